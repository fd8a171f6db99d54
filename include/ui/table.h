/* A table of rows the dashboard's lists are made of (stages as a list, freight, promotions,
 * warehouses, events, projects, details): columns, rows of attributed text segments, the `/`
 * filter, and a selection that follows its row's key when the rows are rebuilt from a new store
 * generation. Views fill it; it draws and moves. */
#ifndef KT_UI_TABLE_H
#define KT_UI_TABLE_H

#include <curses.h>
#include <stdbool.h>
#include <stddef.h>

#include "ui/keymap.h"
#include "ui/listview.h"
#include "ui/theme.h"

struct table_column {
    const char *title;
    int width; /* cells; 0 takes what is left (one such column, the widest text) */
};

struct table_seg {
    char *text;
    attr_t attr;
};

struct table_cell {
    struct table_seg *segs;
    size_t n;
};

struct table_row {
    char *key;                /* what the row is (an object name), stable across rebuilds */
    struct table_cell *cells; /* NULL: a row by reference, not formatted yet */
    attr_t attr;              /* the row's base attributes, under each segment's */
    const void *obj;          /* a row by reference: what table.format formats */
};

struct table;
/* Formats a row by reference: fills its cells with table_add (the row is the current one). Runs
 * only inside a frame, under the store's read lock, where obj is valid. */
typedef void (*table_format_fn)(struct table *t, const void *obj, void *ctx);

struct table {
    const struct table_column *cols;
    size_t ncols;
    bool header;
    struct table_row *rows;
    size_t nrows, cap;
    size_t *shown; /* indexes of rows that pass the filter */
    size_t nshown;
    struct listview lv;
    char *selected; /* key of the selected row, or NULL */
    char *filter;   /* case-insensitive substring, or NULL */
    /* rows by reference (table_row_ref): cells are formatted only for the rows drawn (again at
     * each draw, so they show the frame's clock) and, for the filter, once per rebuild */
    table_format_fn format;
    void *format_ctx;
    void (*format_ctx_free)(void *ctx);
    size_t cur;    /* the row table_add appends to */
    bool refilter; /* the filter changed outside a frame: applied by table_prepare */
    bool ticks;    /* a drawn row's text changes with the clock within a minute */
};

void table_init(struct table *t, const struct table_column *cols, size_t ncols, bool header);
void table_free(struct table *t);
/* Starts a rebuild: the rows go, the selected key stays. */
void table_clear(struct table *t);
/* Adds a row; segments go to its cells with table_add. */
void table_row(struct table *t, const char *key, attr_t attr);
/* Makes the table's rows by reference: format fills a row's cells when it is drawn or
 * filtered; ctx is the table's from now on (freed with free_ctx, which may be NULL). */
void table_set_format(struct table *t, table_format_fn format, void *ctx, void (*free_ctx)(void *));
/* Adds a row by reference (obj is formatted later, in a frame: the caller keeps it valid until
 * the next rebuild). */
void table_row_ref(struct table *t, const char *key, const void *obj);
/* Appends text (sanitised when drawn) to column col of the last row. */
void table_add(struct table *t, size_t col, const char *text, attr_t attr);
void table_addf(struct table *t, size_t col, attr_t attr, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Ends a rebuild: applies the filter and puts the selection back on its key (or keeps its index
 * when that row went). */
void table_done(struct table *t);
/* Whether hay holds needle, ignoring ASCII case (how the filter matches). */
bool table_contains(const char *hay, const char *needle);
/* Sets (NULL or "" clears) the filter and re-applies it (for rows by reference, at the next
 * table_prepare: their objects are only valid inside a frame). */
void table_set_filter(struct table *t, const char *filter);
/* In a frame: applies a filter set since the last one. */
void table_prepare(struct table *t);
/* The selected row's key, or NULL when the table shows no row. */
const char *table_selected(const struct table *t);
/* Selects the row with key, if shown. */
bool table_select(struct table *t, const char *key);
/* Moves the selection for a movement action. Returns true when it was one. */
bool table_key(struct table *t, enum ui_action a);
/* Draws in the rectangle (y, x, h, w) of win; the selected row in the selection role when
 * focused, underlined otherwise. */
void table_draw(struct table *t, WINDOW *win, int y, int x, int h, int w, const struct theme *th,
                bool focused, bool utf8);

#endif
