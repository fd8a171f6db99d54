/* The pipeline view: the model's layout drawn with box characters (warehouses as sources, Stage
 * boxes with name in the Stage's colour, phase, health, auto-promotion, current Freight), edges
 * with arrowheads, spatial movement between boxes, and scrolling that keeps the selection in
 * view. It owns the layout and recomputes it only when the graph's shape or the width changes. */
#ifndef KT_UI_PIPELINE_VIEW_H
#define KT_UI_PIPELINE_VIEW_H

#include <curses.h>
#include <stdbool.h>

#include "model/layout.h"
#include "model/store.h"
#include "ui/keymap.h"
#include "ui/paint.h"

struct pipeline_view {
    struct layout *layout;
    unsigned long topology; /* store topology generation the layout was computed for */
    int width, height;      /* the area it was computed for */
    char *selected;         /* name of the selected node */
    enum layout_kind selected_kind;
    int sx, sy;  /* scroll offset of the drawing */
    bool chosen; /* the user picked the selection (else it follows the first Stage as the
                    graph fills in while the watches list) */
    /* Stages marked for a batch (the owner's array, set before each draw): drawn marked */
    char *const *marked;
    size_t n_marked;
};

void pipeline_view_init(struct pipeline_view *v);
void pipeline_view_free(struct pipeline_view *v);
/* Brings the layout up to date for a drawing area width cells wide and at most height rows tall
 * (under the store's lock). */
void pipeline_view_update(struct pipeline_view *v, const struct store *st, int width, int height);
/* Draws the rectangle (y, x, h, w) of win from st (locked by the caller). */
void pipeline_view_draw(struct pipeline_view *v, WINDOW *win, int y, int x, int h, int w,
                        const struct store *st, const struct paint *p, bool focused);
/* Up/down/left/right move spatially between boxes, first/last to the first/last Stage. Returns
 * true when the action was a movement. */
bool pipeline_view_key(struct pipeline_view *v, enum ui_action a);
/* The selected node's name (NULL when the graph is empty) and kind. */
const char *pipeline_view_selected(const struct pipeline_view *v, enum layout_kind *kind);
bool pipeline_view_select(struct pipeline_view *v, enum layout_kind kind, const char *name);

#endif
