/* The one table of keys: every key, the action it triggers, where it applies, and its help line
 * and footer hint. Help and footer are generated from this table, so they cannot drift from what
 * the keys do. */
#ifndef KT_UI_KEYMAP_H
#define KT_UI_KEYMAP_H

#include <stddef.h>

enum ui_action {
    UI_ACTION_NONE = 0,
    UI_ACTION_QUIT,
    UI_ACTION_HELP,
    UI_ACTION_BACK,
    UI_ACTION_REDRAW,
    UI_ACTION_UP,
    UI_ACTION_DOWN,
    UI_ACTION_LEFT,
    UI_ACTION_RIGHT,
    UI_ACTION_FIRST,
    UI_ACTION_LAST,
    UI_ACTION_PAGE_UP,
    UI_ACTION_PAGE_DOWN,
    UI_ACTION_HALF_UP,
    UI_ACTION_HALF_DOWN,
    UI_ACTION_NEXT_PANE,
    UI_ACTION_PREV_PANE,
    UI_ACTION_DETAILS,
    UI_ACTION_YAML,
    UI_ACTION_FILTER,
    UI_ACTION_COMMAND,
    UI_ACTION_TOGGLE_LIST,
    UI_ACTION_MARK, /* mark the selected Stage for a batch promotion */
    UI_ACTION_ACT,  /* a cluster action: keymap_entry.act says which */
};

/* What is selected, for keys that apply to some objects only (the footer shows a hint only when
 * the selection allows the key). */
enum keymap_scope {
    KEYMAP_ANY = 0,
    KEYMAP_STAGE = 1 << 0,
    KEYMAP_FREIGHT = 1 << 1,
    KEYMAP_PROMOTION = 1 << 2,
    KEYMAP_WAREHOUSE = 1 << 3,
    KEYMAP_PIPELINE = 1 << 4, /* the pipeline pane has the focus */
    KEYMAP_OBJECT = KEYMAP_STAGE | KEYMAP_FREIGHT | KEYMAP_PROMOTION | KEYMAP_WAREHOUSE,
};

struct keymap_entry {
    int key;             /* a character or a curses KEY_ code */
    const char *keyname; /* as shown in help and hints */
    enum ui_action action;
    unsigned scope;   /* enum keymap_scope bits; KEYMAP_ANY applies everywhere */
    const char *help; /* the line in the help overlay; NULL for a second key of the same action */
    const char *hint; /* the word in the footer, or NULL to keep it out of the footer */
    int act;          /* UI_ACTION_ACT: the enum action_id (action/action.h) */
};

/* The entry bound to key, or NULL. Keys bound twice (R: a Stage's or a Warehouse's refresh) give
 * the first; keymap_lookup_scope picks the one whose scope matches. */
const struct keymap_entry *keymap_lookup(int key);
const struct keymap_entry *keymap_lookup_scope(int key, unsigned scope);
/* Entries in help order; index past the end gives NULL. */
const struct keymap_entry *keymap_at(size_t i);

#endif
