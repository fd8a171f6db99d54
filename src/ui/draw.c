/* Width-aware, sanitising text output on top of ncursesw. */
#include "ui/draw.h"

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "util/strbuf.h"
#include "util/termsafe.h"

/* Width in cells of the UTF-8 character at s (n bytes left); its length in bytes goes to *len.
 * A byte that does not start a valid character counts as one cell of one byte. */
static int draw_char(const char *s, size_t n, size_t *len)
{
    mbstate_t st;
    wchar_t wc;
    memset(&st, 0, sizeof st);
    size_t r = mbrtowc(&wc, s, n, &st);
    if (r == (size_t)-1 || r == (size_t)-2 || r == 0) {
        *len = 1;
        return 1;
    }
    *len = r;
    int w = wcwidth(wc);
    return w < 0 ? 1 : w;
}

int draw_width(const char *s)
{
    size_t n = strlen(s), i = 0;
    int cells = 0;
    while (i < n) {
        size_t len;
        cells += draw_char(s + i, n - i, &len);
        i += len;
    }
    return cells;
}

int draw_text(WINDOW *w, int y, int x, int maxcols, const char *s, attr_t attr, bool utf8)
{
    int wy, wx;
    getmaxyx(w, wy, wx);
    if (y < 0 || y >= wy || x < 0 || x >= wx || maxcols <= 0 || s == NULL)
        return 0;
    if (maxcols > wx - x)
        maxcols = wx - x;

    struct strbuf safe;
    strbuf_init(&safe);
    termsafe_append(&safe, s, strlen(s), utf8 ? TERMSAFE_UTF8 : TERMSAFE_ASCII);
    const char *ellipsis = utf8 ? "\xE2\x80\xA6" : "~";

    /* how many bytes fit, leaving a cell for the ellipsis when the whole text does not */
    size_t n = safe.len, i = 0, fit = 0;
    int cells = 0, fit_cells = 0;
    bool truncated = false;
    while (i < n) {
        size_t len;
        int cw = draw_char(safe.buf + i, n - i, &len);
        if (cells + cw > maxcols) {
            truncated = true;
            break;
        }
        cells += cw;
        i += len;
        if (cells <= maxcols - 1) {
            fit = i;
            fit_cells = cells;
        }
    }
    if (!truncated) {
        fit = n;
        fit_cells = cells;
    }
    wattron(w, attr);
    mvwaddnstr(w, y, x, safe.buf, (int)fit);
    if (truncated) {
        waddstr(w, ellipsis);
        fit_cells++;
    }
    wattroff(w, attr);
    strbuf_free(&safe);
    return fit_cells;
}

int draw_text_fill(WINDOW *w, int y, int x, int maxcols, const char *s, attr_t attr, bool utf8)
{
    int used = draw_text(w, y, x, maxcols, s, attr, utf8);
    int wy, wx;
    getmaxyx(w, wy, wx);
    (void)wy;
    if (maxcols > wx - x)
        maxcols = wx - x;
    if (used < maxcols) {
        wattron(w, attr);
        mvwhline(w, y, x + used, ' ', maxcols - used);
        wattroff(w, attr);
    }
    return maxcols > used ? maxcols : used;
}
