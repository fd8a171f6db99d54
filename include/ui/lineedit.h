/* A one-line text editor for the `/` filter and the `:` command line: insert, delete, move,
 * kill word/line, and Tab completion to the longest common prefix of the candidates. Pure logic:
 * the view draws text with the cursor at cursor (a byte offset). */
#ifndef KT_UI_LINEEDIT_H
#define KT_UI_LINEEDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <wchar.h>

#include "util/strbuf.h"

struct lineedit {
    struct strbuf text;
    size_t cursor; /* byte offset into text, always on a character boundary */
};

enum lineedit_result {
    LINEEDIT_IGNORED, /* not an editing key */
    LINEEDIT_MOVED,   /* cursor moved, text unchanged */
    LINEEDIT_CHANGED, /* text changed (an incremental filter re-filters) */
    LINEEDIT_SUBMIT,  /* Enter */
    LINEEDIT_CANCEL,  /* Esc, or Backspace on an empty line */
};

void lineedit_init(struct lineedit *le);
void lineedit_free(struct lineedit *le);
void lineedit_set(struct lineedit *le, const char *s);
/* A typed character (from get_wch when it is not a function key). */
enum lineedit_result lineedit_insert(struct lineedit *le, wchar_t wc);
/* A key: a curses KEY_ code (arrows, backspace, home, end, delete) or a control character. */
enum lineedit_result lineedit_key(struct lineedit *le, int key);
/* Completes the text to the longest common prefix of the candidates it is a prefix of. Returns
 * how many candidates match (0: nothing happens). */
size_t lineedit_complete(struct lineedit *le, const char *const *candidates, size_t n);

#endif
