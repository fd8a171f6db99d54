/* What every view draws with: the theme, the charset, the clock of this frame, and the colours of
 * Stages and Warehouses (from the model's assignment, mapped to curses colour pairs at the
 * terminal's depth). One per dashboard; views receive it, never build their own. */
#ifndef KT_UI_PAINT_H
#define KT_UI_PAINT_H

#include <curses.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "model/colour.h"
#include "model/store.h"
#include "ui/theme.h"

struct paint_entry {
    char *name;
    attr_t fg;   /* text in the object's colour on the default background */
    attr_t head; /* the object's colour as background, with a readable text colour */
};

struct paint {
    struct theme theme;
    bool utf8;
    bool colour;
    enum colour_depth depth;
    time_t now;
    bool relative_ages; /* "3m ago" (they change with the clock); else "14:02", "Nov 21" */
    struct paint_entry *stages, *warehouses; /* sorted by name */
    size_t n_stages, n_warehouses;
    int next_pair;
};

/* The colour depth of the current terminal (from terminfo), or none when colour is false. */
enum colour_depth paint_depth(bool colour);
/* Sets up theme (NULL: the default; mono whatever it is when colour is false or the terminal has
 * none) at the terminal's depth. Call after curses is initialised. */
void paint_init(struct paint *p, const struct theme *theme, bool colour, bool utf8);
void paint_free(struct paint *p);
/* Recomputes Stage and Warehouse colours from the store (call under its read lock when the
 * store changed). */
void paint_update(struct paint *p, const struct store *st);
/* The entry of a Stage or Warehouse, or NULL (then draw in the theme's roles). */
const struct paint_entry *paint_stage(const struct paint *p, const char *name);
const struct paint_entry *paint_warehouse(const struct paint *p, const char *name);
static inline attr_t paint_role(const struct paint *p, enum theme_role r)
{
    return theme_attr(&p->theme, r);
}
/* When then happened, for a list or a box: "-" for 0; relative ("3m ago") or absolute in
 * local time ("14:02" today, "Nov 21" this year, "Nov 2024" before), as the dashboard is set. */
void paint_age(const struct paint *p, time_t then, char *buf, size_t len);
/* The next time (after now) at which what paint_age shows can change by itself: the next
 * second for relative ages, the next local midnight for absolute ones. */
time_t paint_age_change(const struct paint *p);

/* The glyph for a UTF-8 terminal, or its ASCII fallback. */
static inline const char *paint_glyph(const struct paint *p, const char *utf8, const char *ascii)
{
    return p->utf8 ? utf8 : ascii;
}

#endif
