/* A growable, always NUL-terminated string for building text without fixed-size buffers. */
#ifndef KT_UTIL_STRBUF_H
#define KT_UTIL_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
    char *buf; /* never NULL after strbuf_init; always NUL-terminated */
    size_t len;
    size_t cap;
};

void strbuf_init(struct strbuf *sb);
void strbuf_free(struct strbuf *sb);
void strbuf_reset(struct strbuf *sb);
void strbuf_append(struct strbuf *sb, const char *s);
void strbuf_append_len(struct strbuf *sb, const char *s, size_t n);
void strbuf_append_char(struct strbuf *sb, char c);
void strbuf_appendf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_vappendf(struct strbuf *sb, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Hands the string to the caller (who frees it); sb is then released, as after strbuf_free. */
char *strbuf_detach(struct strbuf *sb);

#endif
