/* Neutralising control characters and malformed UTF-8 before text reaches a terminal. */
#include "util/termsafe.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "util/xalloc.h"

/* Decodes one UTF-8 sequence at s; returns its length, or 0 if it is invalid (overlong forms,
 * surrogates and code points above U+10FFFF are invalid too). */
static size_t termsafe_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t n;
    uint32_t min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        n = 2;
        min = 0x80;
        *cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3;
        min = 0x800;
        *cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4;
        min = 0x10000;
        *cp = c & 0x07;
    } else {
        return 0;
    }
    if (n > len)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        *cp = (*cp << 6) | (s[i] & 0x3F);
    }
    if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF))
        return 0;
    return n;
}

static void termsafe_put_utf8(struct strbuf *out, uint32_t cp)
{
    char b[4];
    size_t n;
    if (cp < 0x800) {
        b[0] = (char)(0xC0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else {
        b[0] = (char)(0xE0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    }
    strbuf_append_len(out, b, n);
}

/* Bidirectional formatting characters: a terminal that implements bidi would reorder the text
 * around them, so a name could read as another ("Trojan Source"); elsewhere they are invisible
 * and zero-width, which also breaks the column arithmetic. */
static bool termsafe_is_bidi(uint32_t cp)
{
    return cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

static bool termsafe_is_control(uint32_t cp)
{
    return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) || termsafe_is_bidi(cp);
}

static void termsafe_placeholder(struct strbuf *out, uint32_t cp, enum termsafe_charset cs)
{
    if (cs == TERMSAFE_ASCII) {
        if (cp < 0x20 || cp == 0x7F) {
            strbuf_append_char(out, '^');
            strbuf_append_char(out, (char)(cp ^ 0x40));
        } else {
            strbuf_append_char(out, '?');
        }
        return;
    }
    if (cp < 0x20)
        termsafe_put_utf8(out, 0x2400 + cp); /* control pictures: U+2400 NUL .. U+241F US */
    else if (cp == 0x7F)
        termsafe_put_utf8(out, 0x2421); /* DEL */
    else
        termsafe_put_utf8(out, 0xFFFD); /* C1 and bidi controls have no pictures */
}

size_t termsafe_append(struct strbuf *out, const char *s, size_t len, enum termsafe_charset cs)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t replaced = 0, i = 0;
    while (i < len) {
        uint32_t cp;
        size_t n = termsafe_decode(p + i, len - i, &cp);
        if (n == 0) {
            if (cs == TERMSAFE_ASCII)
                strbuf_append_char(out, '?');
            else
                termsafe_put_utf8(out, 0xFFFD);
            replaced++;
            i++;
            continue;
        }
        if (termsafe_is_control(cp)) {
            termsafe_placeholder(out, cp, cs);
            replaced++;
        } else if (cs == TERMSAFE_ASCII && cp >= 0x80) {
            strbuf_append_char(out, '?');
        } else {
            strbuf_append_len(out, s + i, n);
        }
        i += n;
    }
    return replaced;
}

size_t termsafe_utf8_seq(const char *s, size_t len)
{
    uint32_t cp;
    return len == 0 ? 0 : termsafe_decode((const unsigned char *)s, len, &cp);
}

char *termsafe_dup(const char *s, enum termsafe_charset cs)
{
    struct strbuf sb;
    strbuf_init(&sb);
    if (s != NULL)
        termsafe_append(&sb, s, strlen(s), cs);
    return strbuf_detach(&sb);
}

bool termsafe_is_clean(const char *s, enum termsafe_charset cs)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t len = strlen(s);
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = termsafe_decode(p + i, len - i, &cp);
        if (n == 0 || termsafe_is_control(cp) || (cs == TERMSAFE_ASCII && cp >= 0x80))
            return false;
        i += n;
    }
    return true;
}
