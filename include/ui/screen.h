/* The dashboard's screen: which view is up (pipeline with its freight and promotions panes, a
 * full-screen list, details, YAML, help), the focus, the `/` and `:` prompts, the top bar and the
 * footer; keys in, a frame out. It draws on stdscr of whatever curses screen is current, so tests
 * drive it headless; the main loop (dashboard.c) owns the terminal and decides when to draw. */
#ifndef KT_UI_SCREEN_H
#define KT_UI_SCREEN_H

#include <stdbool.h>
#include <time.h>

#include "ui/keymap.h"
#include "ui/source.h"
#include "ui/theme.h"

struct screen;

struct screen_opts {
    bool readonly;
    bool colour;               /* colour allowed (the terminal may still have none) */
    bool utf8;                 /* UTF-8 glyphs; else ASCII */
    const struct theme *theme; /* copied; NULL: the default theme */
    const char *notice;        /* shown in the footer until the first key, or NULL */
    bool mouse;                /* clicks select, the wheel scrolls */
    const struct keymap *keys; /* NULL: the default key table */
    bool relative_ages;        /* "3m ago" in lists and boxes; else the time ("14:02") */
};

/* A screen reading from src (borrowed; may be NULL: not connected, cause says why). */
struct screen *screen_new(const struct ui_source *src, const struct screen_opts *o,
                          const char *not_connected);
void screen_free(struct screen *s);
/* Draws the whole frame into stdscr for time now (ages are relative to it) and updates the
 * terminal once. */
void screen_draw(struct screen *s, time_t now);
/* Handles one key (a curses KEY_ code when is_keycode, else a character). */
void screen_key(struct screen *s, int key, bool is_keycode);
/* True once the user asked to quit. */
bool screen_quit(const struct screen *s);
/* When what the last frame shows changes by itself (relative ages: the next second; absolute
 * ones: midnight; a soak counting down: the next minute), or 0 when it never does. */
time_t screen_tick_at(const struct screen *s);
/* The store generation the frame shows; the loop redraws when the store's differs. */
unsigned long screen_generation(const struct screen *s);

#endif
