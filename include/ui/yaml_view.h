/* The YAML view: one object as the API returned it, written as YAML, scrollable both ways and
 * searchable with / n N (as less does). It owns its lines; the caller fetches the object. */
#ifndef KT_UI_YAML_VIEW_H
#define KT_UI_YAML_VIEW_H

#include <cjson/cJSON.h>
#include <curses.h>
#include <stdbool.h>
#include <stddef.h>

#include "ui/lineedit.h"
#include "ui/listview.h"
#include "ui/theme.h"

struct yaml_view {
    char *title;  /* "stages/uat", shown in the border */
    char **lines; /* the YAML, one entry per line, not sanitised (draw does that) */
    size_t nlines;
    struct listview lv;
    int hscroll;    /* columns scrolled to the right */
    char *query;    /* the last search, or NULL */
    bool searching; /* the / prompt is open */
    struct lineedit prompt;
    char *message; /* "pattern not found", or NULL */
};

/* Opens obj (borrowed). Returns 0, or -1 with *cause set (the object cannot be written as YAML). */
int yaml_view_open(struct yaml_view *v, const char *title, const cJSON *obj, char **cause);
void yaml_view_close(struct yaml_view *v);
/* Draws into win (its whole area). */
void yaml_view_draw(struct yaml_view *v, WINDOW *win, const struct theme *t, bool utf8);
/* Handles a key (a curses key code or a character from get_wch, with is_keycode telling which).
 * Returns false when the key means "leave the view" (q or Esc outside the prompt). */
bool yaml_view_key(struct yaml_view *v, int key, bool is_keycode);

#endif
