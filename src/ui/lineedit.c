/* Line editing on a UTF-8 buffer. */
#include "ui/lineedit.h"

#include <curses.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

#define CTRL(c) ((c)&0x1f)

void lineedit_init(struct lineedit *le)
{
    strbuf_init(&le->text);
    le->cursor = 0;
}

void lineedit_free(struct lineedit *le)
{
    strbuf_free(&le->text);
}

void lineedit_set(struct lineedit *le, const char *s)
{
    strbuf_reset(&le->text);
    strbuf_append(&le->text, s);
    le->cursor = le->text.len;
}

static bool lineedit_is_cont(char c)
{
    return ((unsigned char)c & 0xC0) == 0x80;
}

static size_t lineedit_prev(const struct lineedit *le, size_t at)
{
    if (at == 0)
        return 0;
    do
        at--;
    while (at > 0 && lineedit_is_cont(le->text.buf[at]));
    return at;
}

static size_t lineedit_next(const struct lineedit *le, size_t at)
{
    if (at >= le->text.len)
        return le->text.len;
    do
        at++;
    while (at < le->text.len && lineedit_is_cont(le->text.buf[at]));
    return at;
}

/* Removes bytes [from, to) and leaves the cursor at from. */
static void lineedit_cut(struct lineedit *le, size_t from, size_t to)
{
    memmove(le->text.buf + from, le->text.buf + to, le->text.len - to + 1);
    le->text.len -= to - from;
    le->cursor = from;
}

static void lineedit_insert_bytes(struct lineedit *le, const char *b, size_t n)
{
    size_t tail = le->text.len - le->cursor;
    strbuf_append_len(&le->text, b, n); /* grow; then move the tail behind the insert */
    memmove(le->text.buf + le->cursor + n, le->text.buf + le->cursor, tail);
    memcpy(le->text.buf + le->cursor, b, n);
    le->cursor += n;
}

enum lineedit_result lineedit_insert(struct lineedit *le, wchar_t wc)
{
    if (wc < 0x20 || wc == 0x7F)
        return lineedit_key(le, (int)wc);
    char mb[MB_LEN_MAX];
    mbstate_t st;
    memset(&st, 0, sizeof st);
    size_t n = wcrtomb(mb, wc, &st);
    if (n == (size_t)-1)
        return LINEEDIT_IGNORED;
    lineedit_insert_bytes(le, mb, n);
    return LINEEDIT_CHANGED;
}

enum lineedit_result lineedit_key(struct lineedit *le, int key)
{
    size_t at;
    switch (key) {
    case '\n':
    case '\r':
    case KEY_ENTER:
        return LINEEDIT_SUBMIT;
    case 27:
        return LINEEDIT_CANCEL;
    case KEY_BACKSPACE:
    case 127:
    case CTRL('h'):
        if (le->text.len == 0)
            return LINEEDIT_CANCEL; /* as in less and vim: backspace past the start leaves */
        if (le->cursor == 0)
            return LINEEDIT_IGNORED;
        lineedit_cut(le, lineedit_prev(le, le->cursor), le->cursor);
        return LINEEDIT_CHANGED;
    case KEY_DC:
    case CTRL('d'):
        if (le->cursor >= le->text.len)
            return LINEEDIT_IGNORED;
        at = le->cursor;
        lineedit_cut(le, at, lineedit_next(le, at));
        return LINEEDIT_CHANGED;
    case KEY_LEFT:
    case CTRL('b'):
        at = lineedit_prev(le, le->cursor);
        break;
    case KEY_RIGHT:
    case CTRL('f'):
        at = lineedit_next(le, le->cursor);
        break;
    case KEY_HOME:
    case CTRL('a'):
        at = 0;
        break;
    case KEY_END:
    case CTRL('e'):
        at = le->text.len;
        break;
    case CTRL('u'):
        if (le->cursor == 0)
            return LINEEDIT_IGNORED;
        lineedit_cut(le, 0, le->cursor);
        return LINEEDIT_CHANGED;
    case CTRL('w'): {
        size_t end = le->cursor;
        at = end;
        while (at > 0 && le->text.buf[at - 1] == ' ')
            at--;
        while (at > 0 && le->text.buf[at - 1] != ' ')
            at--;
        if (at == end)
            return LINEEDIT_IGNORED;
        lineedit_cut(le, at, end);
        return LINEEDIT_CHANGED;
    }
    default:
        return LINEEDIT_IGNORED;
    }
    if (at == le->cursor)
        return LINEEDIT_IGNORED;
    le->cursor = at;
    return LINEEDIT_MOVED;
}

size_t lineedit_complete(struct lineedit *le, const char *const *candidates, size_t n)
{
    const char *first = NULL;
    size_t common = 0, matches = 0;
    for (size_t i = 0; i < n; i++) {
        if (strncmp(candidates[i], le->text.buf, le->text.len) != 0)
            continue;
        if (first == NULL) {
            first = candidates[i];
            common = strlen(first);
        } else {
            size_t j = 0;
            while (j < common && first[j] == candidates[i][j])
                j++;
            common = j;
        }
        matches++;
    }
    if (matches == 0)
        return 0;
    while (common > le->text.len && lineedit_is_cont(first[common]))
        common--; /* never stop inside a UTF-8 character */
    if (common > le->text.len) {
        strbuf_reset(&le->text);
        strbuf_append_len(&le->text, first, common);
        if (matches == 1)
            strbuf_append_char(&le->text, ' '); /* a unique command is ready for its argument */
    }
    le->cursor = le->text.len;
    return matches;
}
