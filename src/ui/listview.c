/* Selection and scrolling arithmetic, kept apart from drawing so it can be tested exhaustively. */
#include "ui/listview.h"

void listview_init(struct listview *lv)
{
    *lv = (struct listview){.height = 1};
}

static void listview_clamp(struct listview *lv)
{
    size_t h = lv->height > 0 ? (size_t)lv->height : 1;
    if (lv->count == 0) {
        lv->selected = lv->top = 0;
        return;
    }
    if (lv->selected >= lv->count)
        lv->selected = lv->count - 1;
    if (lv->selected < lv->top)
        lv->top = lv->selected;
    if (lv->selected >= lv->top + h)
        lv->top = lv->selected - h + 1;
    /* no empty space below the last row while rows above are hidden */
    if (lv->top + h > lv->count)
        lv->top = lv->count > h ? lv->count - h : 0;
}

void listview_set_count(struct listview *lv, size_t count)
{
    lv->count = count;
    listview_clamp(lv);
}

void listview_set_height(struct listview *lv, int height)
{
    lv->height = height > 0 ? height : 1;
    listview_clamp(lv);
}

void listview_select(struct listview *lv, size_t i)
{
    lv->selected = i;
    listview_clamp(lv);
}

bool listview_move(struct listview *lv, enum listview_move m)
{
    if (lv->count == 0)
        return false;
    size_t before = lv->selected, top_before = lv->top;
    size_t page = lv->height > 1 ? (size_t)lv->height - 1 : 1;
    size_t half = lv->height > 1 ? (size_t)lv->height / 2 : 1;
    size_t last = lv->count - 1;
    switch (m) {
    case LISTVIEW_UP:
        lv->selected = lv->selected > 0 ? lv->selected - 1 : 0;
        break;
    case LISTVIEW_DOWN:
        lv->selected = lv->selected < last ? lv->selected + 1 : last;
        break;
    case LISTVIEW_PAGE_UP:
    case LISTVIEW_HALF_UP: {
        size_t step = m == LISTVIEW_PAGE_UP ? page : half;
        lv->selected = lv->selected > step ? lv->selected - step : 0;
        lv->top = lv->top > step ? lv->top - step : 0; /* the page moves with the cursor */
        break;
    }
    case LISTVIEW_PAGE_DOWN:
    case LISTVIEW_HALF_DOWN: {
        size_t step = m == LISTVIEW_PAGE_DOWN ? page : half;
        lv->selected = lv->selected + step < last ? lv->selected + step : last;
        lv->top += step;
        break;
    }
    case LISTVIEW_FIRST:
        lv->selected = 0;
        break;
    case LISTVIEW_LAST:
        lv->selected = last;
        break;
    }
    listview_clamp(lv);
    return lv->selected != before || lv->top != top_before;
}
