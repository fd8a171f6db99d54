/* Drawing text on curses windows: cluster text sanitised, clipped to a width in terminal cells
 * (wide characters count double) with an ellipsis, so no string can spill past its box. */
#ifndef KT_UI_DRAW_H
#define KT_UI_DRAW_H

#include <curses.h>
#include <stdbool.h>

/* The display width of UTF-8 text in cells (invalid bytes and controls count as one). */
int draw_width(const char *s);
/* Draws s at (y, x) in at most maxcols cells; text that does not fit ends in an ellipsis ("…", or
 * "~" when utf8 is false). The text is sanitised first (control characters and escape sequences
 * become visible placeholders). Returns the number of cells drawn. Clipped to the window. */
int draw_text(WINDOW *w, int y, int x, int maxcols, const char *s, attr_t attr, bool utf8);
/* Like draw_text, then fills the rest of maxcols with spaces in attr (for bars and selections). */
int draw_text_fill(WINDOW *w, int y, int x, int maxcols, const char *s, attr_t attr, bool utf8);

#endif
