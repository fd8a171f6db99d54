/* The one table of keys: every key, the action it triggers and its help line. Help is generated
 * from this table, so it cannot drift from what the keys do. */
#ifndef KT_UI_KEYMAP_H
#define KT_UI_KEYMAP_H

#include <stddef.h>

enum ui_action {
    UI_ACTION_NONE = 0,
    UI_ACTION_QUIT,
    UI_ACTION_HELP,
    UI_ACTION_BACK,
    UI_ACTION_REDRAW,
};

struct keymap_entry {
    int key;             /* a character or a curses KEY_ code */
    const char *keyname; /* as shown in help and hints */
    enum ui_action action;
    const char *help; /* the line in the help overlay */
    const char *hint; /* the word in the footer, or NULL to keep it out of the footer */
};

/* The entry bound to key, or NULL. */
const struct keymap_entry *keymap_lookup(int key);
/* Entries in help order; index past the end gives NULL. */
const struct keymap_entry *keymap_at(size_t i);

#endif
