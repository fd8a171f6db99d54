/* The modal dialogs of actions: a picker (choose a Freight, a rollback target) and a
 * confirmation (what will change; y/n, or the Stage's name typed for protected Stages; an
 * optional "approve first"). Keys in, a box drawn over the frame; the screen decides what a
 * choice leads to. */
#ifndef KT_UI_DIALOG_H
#define KT_UI_DIALOG_H

#include <stdbool.h>
#include <stddef.h>

#include "ui/lineedit.h"
#include "ui/paint.h"

enum dialog_kind { DIALOG_PICK, DIALOG_CONFIRM };

enum dialog_result {
    DIALOG_OPEN,       /* still up */
    DIALOG_CANCEL,     /* n, Esc, q: nothing happens */
    DIALOG_OK,         /* y / Enter (picker: the selected choice) */
    DIALOG_OK_APPROVE, /* confirmation: approve first, then go on */
};

struct dialog {
    enum dialog_kind kind;
    char *title;
    char **lines; /* confirmation text, or the picker's labels */
    size_t n_lines;
    char **values; /* picker: the value of each line */
    bool *enabled; /* picker: may be chosen */
    size_t sel;
    size_t top;
    bool blocked;       /* confirmation with nothing to do: any key closes */
    bool offer_approve; /* confirmation: `a` approves first */
    char *typed;        /* confirmation: the word to type, or NULL for y/n */
    struct lineedit edit;
    char *note; /* one line under the text (e.g. "type the stage name") */
};

/* A picker over labels[i] -> values[i] (copied). */
void dialog_pick(struct dialog *d, const char *title, const char *const *labels,
                 const char *const *values, const bool *enabled, size_t n);
/* A confirmation of lines (copied); typed (copied, may be NULL) must be typed to confirm. */
void dialog_confirm(struct dialog *d, const char *title, const char *const *lines, size_t n,
                    bool blocked, bool offer_approve, const char *typed);
/* The open confirmation d with new lines and offers (an answer changed what it can do): what
 * was typed, and the scroll position while it is within the new lines, stay. */
void dialog_confirm_rebuild(struct dialog *d, const char *title, const char *const *lines, size_t n,
                            bool blocked, bool offer_approve, const char *typed);
void dialog_free(struct dialog *d);
/* The picker's chosen value (valid until dialog_free). */
const char *dialog_value(const struct dialog *d);
enum dialog_result dialog_key(struct dialog *d, int key, bool is_keycode);
/* Draws the box centred on stdscr. */
void dialog_draw(struct dialog *d, const struct paint *p);

#endif
