/* The key table. */
#include "ui/keymap.h"

#include <curses.h>

#define CTRL(c) ((c)&0x1f)

static const struct keymap_entry keymap_table[] = {
    {'?', "?", UI_ACTION_HELP, "show or hide this help", "help"},
    {27, "Esc", UI_ACTION_BACK, "close the overlay, go back", NULL},
    {CTRL('l'), "Ctrl-L", UI_ACTION_REDRAW, "redraw the screen", NULL},
    {'q', "q", UI_ACTION_QUIT, "quit", "quit"},
};

const struct keymap_entry *keymap_lookup(int key)
{
    for (size_t i = 0; i < sizeof keymap_table / sizeof keymap_table[0]; i++)
        if (keymap_table[i].key == key)
            return &keymap_table[i];
    return NULL;
}

const struct keymap_entry *keymap_at(size_t i)
{
    return i < sizeof keymap_table / sizeof keymap_table[0] ? &keymap_table[i] : NULL;
}
