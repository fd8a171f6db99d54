/* Allocation that cannot fail: out of memory is the one error kargotop aborts on. */
#ifndef KT_UTIL_XALLOC_H
#define KT_UTIL_XALLOC_H

#include <stdarg.h>
#include <stddef.h>

/* Reports out-of-memory and aborts; for libraries that return NULL on allocation failure. */
void xalloc_fail(size_t size) __attribute__((noreturn));
void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
/* Grows an array of *cap elements of elem_size to hold at least need; doubles. */
void *xreallocarray_grow(void *ptr, size_t *cap, size_t need, size_t elem_size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Sets *cause (when cause is not NULL) to a newly allocated message; the error idiom of every
 * fallible function: return -1 or NULL and say why in *cause. */
void cause_set(char **cause, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
