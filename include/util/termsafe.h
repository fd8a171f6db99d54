/* Text from the cluster made safe for a terminal: names, annotations, messages and commit subjects
 * can hold control characters and escape sequences (an OSC 52 clipboard write, a screen clear);
 * none of them may reach the terminal. Shared by the dashboard and the commands' table output. */
#ifndef KT_UTIL_TERMSAFE_H
#define KT_UTIL_TERMSAFE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/strbuf.h"

enum termsafe_charset {
    TERMSAFE_UTF8,  /* placeholders are Unicode control pictures: ESC -> U+241B, NUL -> U+2400 */
    TERMSAFE_ASCII, /* placeholders in caret notation (^[), anything not ASCII becomes '?' */
};

/* Appends s (len bytes) to out with every C0/C1 control and DEL replaced by a visible placeholder
 * and every invalid UTF-8 sequence by U+FFFD ('?' in ASCII). Newlines and tabs are controls too:
 * a single-line field must stay on its line. Returns the number of bytes replaced. */
size_t termsafe_append(struct strbuf *out, const char *s, size_t len, enum termsafe_charset cs);
/* The length of the valid UTF-8 sequence at s (len bytes available), or 0 when s does not start
 * one (stray continuation byte, overlong form, surrogate, beyond U+10FFFF, cut short). */
size_t termsafe_utf8_seq(const char *s, size_t len);
/* A newly allocated safe copy of a NUL-terminated string (NULL gives ""). */
char *termsafe_dup(const char *s, enum termsafe_charset cs);
/* True if s would pass unchanged: only printable characters in valid UTF-8. */
bool termsafe_is_clean(const char *s, enum termsafe_charset cs);

#endif
