/* The state of a scrolling list (selection, first visible row, page size) and how keys move it:
 * every list in the dashboard (freight, promotions, stages as a list, events, YAML lines) uses it.
 * Pure logic, no curses: views draw rows [top, top + height) and highlight selected. */
#ifndef KT_UI_LISTVIEW_H
#define KT_UI_LISTVIEW_H

#include <stdbool.h>
#include <stddef.h>

struct listview {
    size_t count;    /* rows in the list */
    size_t selected; /* meaningful when count > 0 */
    size_t top;      /* first visible row */
    int height;      /* visible rows (>= 1) */
};

enum listview_move {
    LISTVIEW_UP,
    LISTVIEW_DOWN,
    LISTVIEW_PAGE_UP,
    LISTVIEW_PAGE_DOWN,
    LISTVIEW_HALF_UP,
    LISTVIEW_HALF_DOWN,
    LISTVIEW_FIRST,
    LISTVIEW_LAST,
};

void listview_init(struct listview *lv);
/* The list changed length (a watch event, a filter): keeps the selection on the same index where
 * possible, clamps it otherwise, and keeps it visible. */
void listview_set_count(struct listview *lv, size_t count);
/* The window changed height (a resize): keeps the selection visible. */
void listview_set_height(struct listview *lv, int height);
/* Selects row i (clamped) and scrolls it into view. */
void listview_select(struct listview *lv, size_t i);
/* Moves the selection; returns true if it changed (the view needs a redraw). */
bool listview_move(struct listview *lv, enum listview_move m);

#endif
