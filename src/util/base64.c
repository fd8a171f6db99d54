/* Base64 both ways. */
#include "util/base64.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

static const char base64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *base64_encode(const void *data, size_t len)
{
    const unsigned char *in = data;
    char *out = xmalloc((len + 2) / 3 * 4 + 1);
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned)in[i] << 16;
        if (i + 1 < len)
            v |= (unsigned)in[i + 1] << 8;
        if (i + 2 < len)
            v |= in[i + 2];
        out[o++] = base64_alphabet[(v >> 18) & 63];
        out[o++] = base64_alphabet[(v >> 12) & 63];
        out[o++] = i + 1 < len ? base64_alphabet[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < len ? base64_alphabet[v & 63] : '=';
    }
    out[o] = '\0';
    return out;
}

static int base64_value(char c)
{
    const char *p = c != '\0' ? strchr(base64_alphabet, c) : NULL;
    return p ? (int)(p - base64_alphabet) : -1;
}

unsigned char *base64_decode(const char *text, size_t *outlen, char **cause)
{
    size_t len = strlen(text);
    unsigned char *out = xmalloc(len / 4 * 3 + 4);
    size_t o = 0, n = 0, pad = 0;
    unsigned v = 0;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (isspace((unsigned char)c))
            continue;
        if (c == '=') {
            pad++;
            continue;
        }
        int d = base64_value(c);
        if (d < 0 || pad > 0) {
            cause_set(cause, "invalid base64 at character %zu", i + 1);
            free(out);
            return NULL;
        }
        v = (v << 6) | (unsigned)d;
        if (++n == 4) {
            out[o++] = (unsigned char)(v >> 16);
            out[o++] = (unsigned char)(v >> 8);
            out[o++] = (unsigned char)v;
            n = 0;
            v = 0;
        }
    }
    if (n == 1 || pad > 2) {
        cause_set(cause, "truncated base64");
        free(out);
        return NULL;
    }
    if (n == 2) {
        out[o++] = (unsigned char)(v >> 4);
    } else if (n == 3) {
        out[o++] = (unsigned char)(v >> 10);
        out[o++] = (unsigned char)(v >> 2);
    }
    out[o] = '\0';
    *outlen = o;
    return out;
}
