/* Base64 (RFC 4648, standard alphabet) as kubeconfig's *-data fields and Secrets use it. */
#ifndef KT_UTIL_BASE64_H
#define KT_UTIL_BASE64_H

#include <stddef.h>

/* Encodes len bytes; returns a NUL-terminated string the caller frees. */
char *base64_encode(const void *data, size_t len);
/* Decodes text (whitespace and line breaks ignored, padding optional). Returns a buffer the caller
 * frees, NUL-terminated for convenience, with its length in *outlen; NULL with *cause set on
 * invalid input. */
unsigned char *base64_decode(const char *text, size_t *outlen, char **cause);

#endif
