/* Rows, filter and selection shared by every list of the dashboard. */
#include "ui/table.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ui/draw.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

void table_init(struct table *t, const struct table_column *cols, size_t ncols, bool header)
{
    memset(t, 0, sizeof *t);
    t->cols = cols;
    t->ncols = ncols;
    t->header = header;
    listview_init(&t->lv);
}

static void table_free_cells(struct table *t, struct table_row *r)
{
    if (r->cells == NULL)
        return;
    for (size_t c = 0; c < t->ncols; c++) {
        for (size_t s = 0; s < r->cells[c].n; s++)
            free(r->cells[c].segs[s].text);
        free(r->cells[c].segs);
    }
    free(r->cells);
    r->cells = NULL;
}

static void table_free_rows(struct table *t)
{
    for (size_t i = 0; i < t->nrows; i++) {
        table_free_cells(t, &t->rows[i]);
        free(t->rows[i].key);
    }
    t->nrows = 0;
}

void table_free(struct table *t)
{
    table_free_rows(t);
    free(t->rows);
    free(t->shown);
    free(t->selected);
    free(t->filter);
    if (t->format_ctx_free != NULL)
        t->format_ctx_free(t->format_ctx);
    memset(t, 0, sizeof *t);
}

void table_set_format(struct table *t, table_format_fn format, void *ctx, void (*free_ctx)(void *))
{
    if (t->format_ctx_free != NULL)
        t->format_ctx_free(t->format_ctx);
    t->format = format;
    t->format_ctx = ctx;
    t->format_ctx_free = free_ctx;
}

void table_clear(struct table *t)
{
    table_free_rows(t);
}

void table_row(struct table *t, const char *key, attr_t attr)
{
    t->rows = xreallocarray_grow(t->rows, &t->cap, t->nrows + 1, sizeof *t->rows);
    t->cur = t->nrows;
    struct table_row *r = &t->rows[t->nrows++];
    r->key = xstrdup(key != NULL ? key : "");
    r->cells = xcalloc(t->ncols, sizeof *r->cells);
    r->attr = attr;
    r->obj = NULL;
}

void table_row_ref(struct table *t, const char *key, const void *obj)
{
    t->rows = xreallocarray_grow(t->rows, &t->cap, t->nrows + 1, sizeof *t->rows);
    t->rows[t->nrows++] = (struct table_row){xstrdup(key != NULL ? key : ""), NULL, 0, obj};
}

/* (Re)formats row i by reference from its object. */
static void table_format_row(struct table *t, size_t i)
{
    struct table_row *r = &t->rows[i];
    if (t->format == NULL || r->obj == NULL)
        return;
    table_free_cells(t, r);
    r->cells = xcalloc(t->ncols, sizeof *r->cells);
    r->attr = 0;
    size_t cur = t->cur;
    t->cur = i;
    t->format(t, r->obj, t->format_ctx);
    t->cur = cur;
}

void table_add(struct table *t, size_t col, const char *text, attr_t attr)
{
    if (t->cur >= t->nrows || col >= t->ncols || text == NULL || t->rows[t->cur].cells == NULL)
        return;
    struct table_cell *c = &t->rows[t->cur].cells[col];
    c->segs = xrealloc(c->segs, (c->n + 1) * sizeof *c->segs);
    c->segs[c->n++] = (struct table_seg){xstrdup(text), attr};
}

void table_addf(struct table *t, size_t col, attr_t attr, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    table_add(t, col, s, attr);
    free(s);
}

bool table_contains(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay != '\0'; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return true;
    return n == 0;
}

static bool table_row_matches(struct table *t, size_t i)
{
    if (t->filter == NULL || t->filter[0] == '\0')
        return true;
    const struct table_row *r = &t->rows[i];
    if (table_contains(r->key, t->filter))
        return true;
    if (r->cells == NULL)
        table_format_row(t, i); /* kept until the rebuild: the next keystroke reuses it */
    if (r->cells == NULL)
        return false;
    for (size_t c = 0; c < t->ncols; c++)
        for (size_t s = 0; s < r->cells[c].n; s++)
            if (table_contains(r->cells[c].segs[s].text, t->filter))
                return true;
    return false;
}

static void table_remember(struct table *t)
{
    free(t->selected);
    t->selected = t->nshown > 0 ? xstrdup(t->rows[t->shown[t->lv.selected]].key) : NULL;
}

void table_done(struct table *t)
{
    t->refilter = false;
    free(t->shown);
    t->shown = xcalloc(t->nrows + 1, sizeof *t->shown);
    t->nshown = 0;
    size_t at = (size_t)-1;
    for (size_t i = 0; i < t->nrows; i++) {
        if (!table_row_matches(t, i))
            continue;
        if (t->selected != NULL && at == (size_t)-1 && strcmp(t->rows[i].key, t->selected) == 0)
            at = t->nshown;
        t->shown[t->nshown++] = i;
    }
    listview_set_count(&t->lv, t->nshown);
    if (at != (size_t)-1)
        listview_select(&t->lv, at);
    table_remember(t);
}

void table_set_filter(struct table *t, const char *filter)
{
    free(t->filter);
    t->filter = filter != NULL && filter[0] != '\0' ? xstrdup(filter) : NULL;
    if (t->format != NULL)
        t->refilter = true; /* the rows' objects are only valid inside a frame */
    else
        table_done(t);
}

void table_prepare(struct table *t)
{
    if (t->refilter)
        table_done(t);
}

const char *table_selected(const struct table *t)
{
    return t->nshown > 0 ? t->rows[t->shown[t->lv.selected]].key : NULL;
}

bool table_select(struct table *t, const char *key)
{
    for (size_t i = 0; i < t->nshown; i++)
        if (strcmp(t->rows[t->shown[i]].key, key) == 0) {
            listview_select(&t->lv, i);
            table_remember(t);
            return true;
        }
    return false;
}

bool table_key(struct table *t, enum ui_action a)
{
    static const struct {
        enum ui_action action;
        enum listview_move move;
    } moves[] = {
        {UI_ACTION_UP, LISTVIEW_UP},           {UI_ACTION_DOWN, LISTVIEW_DOWN},
        {UI_ACTION_PAGE_UP, LISTVIEW_PAGE_UP}, {UI_ACTION_PAGE_DOWN, LISTVIEW_PAGE_DOWN},
        {UI_ACTION_HALF_UP, LISTVIEW_HALF_UP}, {UI_ACTION_HALF_DOWN, LISTVIEW_HALF_DOWN},
        {UI_ACTION_FIRST, LISTVIEW_FIRST},     {UI_ACTION_LAST, LISTVIEW_LAST},
    };
    for (size_t i = 0; i < sizeof moves / sizeof moves[0]; i++)
        if (moves[i].action == a) {
            listview_move(&t->lv, moves[i].move);
            table_remember(t);
            return true;
        }
    return false;
}

/* Column widths for w cells: fixed columns as asked, the flexible one gets the rest; when that
 * leaves it too little, the widest fixed columns give way first (down to a floor), so a narrow
 * pane still shows every column. */
static void table_widths(const struct table *t, int w, int *out)
{
    const int flex_min = 14, fixed_min = 6;
    int fixed = 0, flex = -1;
    for (size_t c = 0; c < t->ncols; c++) {
        if (t->cols[c].width == 0 && flex < 0) {
            flex = (int)c;
            out[c] = 0;
        } else {
            out[c] = t->cols[c].width;
            fixed += out[c] + 1;
        }
    }
    int room = w - (flex >= 0 ? flex_min + 1 : 0);
    while (fixed > room) {
        int widest = -1;
        for (size_t c = 0; c < t->ncols; c++)
            if ((int)c != flex && out[c] > fixed_min && (widest < 0 || out[c] > out[widest]))
                widest = (int)c;
        if (widest < 0)
            break;
        out[widest]--;
        fixed--;
    }
    if (flex >= 0)
        out[flex] = w - fixed - 1 > 4 ? w - fixed - 1 : 4;
}

static void table_draw_cell(WINDOW *win, int y, int x, int w, const struct table_cell *cell,
                            attr_t base, bool utf8)
{
    int used = 0;
    for (size_t s = 0; s < cell->n && used < w; s++)
        used += draw_text(win, y, x + used, w - used, cell->segs[s].text, cell->segs[s].attr | base,
                          utf8);
}

void table_draw(struct table *t, WINDOW *win, int y, int x, int h, int w, const struct theme *th,
                bool focused, bool utf8)
{
    table_prepare(t);
    if (h <= 0 || w <= 0)
        return;
    int *widths = xcalloc(t->ncols + 1, sizeof *widths);
    table_widths(t, w, widths);
    if (t->header) {
        int cx = x;
        for (size_t c = 0; c < t->ncols && cx < x + w; c++) {
            draw_text(win, y, cx, x + w - cx, t->cols[c].title, theme_attr(th, THEME_TITLE), utf8);
            cx += widths[c] + 1;
        }
        y++;
        h--;
    }
    listview_set_height(&t->lv, h);
    t->ticks = false;
    for (int i = 0; i < h && t->lv.top + (size_t)i < t->nshown; i++) {
        size_t vi = t->lv.top + (size_t)i;
        /* formatted now, for this frame's clock: only the rows on screen cost anything */
        table_format_row(t, t->shown[vi]);
        const struct table_row *r = &t->rows[t->shown[vi]];
        if (r->cells == NULL)
            continue;
        attr_t base = r->attr;
        bool sel = vi == t->lv.selected;
        if (sel) {
            base = focused ? theme_attr(th, THEME_SELECTION) : A_UNDERLINE;
            if (focused) {
                wattron(win, base);
                mvwhline(win, y + i, x, ' ', w);
                wattroff(win, base);
            }
        }
        int cx = x;
        for (size_t c = 0; c < t->ncols && cx < x + w; c++) {
            int cw = widths[c] < x + w - cx ? widths[c] : x + w - cx;
            const struct table_cell *cell = &r->cells[c];
            if (sel && focused) {
                /* the selection's colours win over the segments' so the row reads as one */
                for (size_t s = 0, used = 0; s < cell->n && (int)used < cw; s++)
                    used += (size_t)draw_text(win, y + i, cx + (int)used, cw - (int)used,
                                              cell->segs[s].text, base, utf8);
            } else {
                table_draw_cell(win, y + i, cx, cw, cell, base, utf8);
            }
            cx += widths[c] + 1;
        }
    }
    free(widths);
}
