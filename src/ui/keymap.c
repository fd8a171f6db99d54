/* The key table. */
#include "ui/keymap.h"

#include <curses.h>

#define CTRL(c)   ((c)&0x1f)
#define SHIFT_TAB KEY_BTAB

/* Order: help order, and footer order for the entries with a hint ("? help  q quit" last). */
static const struct keymap_entry keymap_table[] = {
    {'k', "k j", UI_ACTION_UP, KEYMAP_ANY, "up, down (pipeline: to the box above, below)", NULL},
    {'j', "j", UI_ACTION_DOWN, KEYMAP_ANY, NULL, NULL},
    {KEY_UP, "Up", UI_ACTION_UP, KEYMAP_ANY, NULL, NULL},
    {KEY_DOWN, "Down", UI_ACTION_DOWN, KEYMAP_ANY, NULL, NULL},
    {'h', "h l", UI_ACTION_LEFT, KEYMAP_ANY, "pipeline: to the box left, right (and arrows)", NULL},
    {'l', "l", UI_ACTION_RIGHT, KEYMAP_ANY, NULL, NULL},
    {KEY_LEFT, "Left", UI_ACTION_LEFT, KEYMAP_ANY, NULL, NULL},
    {KEY_RIGHT, "Right", UI_ACTION_RIGHT, KEYMAP_ANY, NULL, NULL},
    {'g', "g G", UI_ACTION_FIRST, KEYMAP_ANY, "first, last row (Home, End)", NULL},
    {'G', "G", UI_ACTION_LAST, KEYMAP_ANY, NULL, NULL},
    {KEY_HOME, "Home", UI_ACTION_FIRST, KEYMAP_ANY, NULL, NULL},
    {KEY_END, "End", UI_ACTION_LAST, KEYMAP_ANY, NULL, NULL},
    {KEY_PPAGE, "PgUp/Dn", UI_ACTION_PAGE_UP, KEYMAP_ANY,
     "page up, down (Ctrl-B Ctrl-F; half: Ctrl-U Ctrl-D)", NULL},
    {KEY_NPAGE, "PgDn", UI_ACTION_PAGE_DOWN, KEYMAP_ANY, NULL, NULL},
    {CTRL('b'), "Ctrl-B", UI_ACTION_PAGE_UP, KEYMAP_ANY, NULL, NULL},
    {CTRL('f'), "Ctrl-F", UI_ACTION_PAGE_DOWN, KEYMAP_ANY, NULL, NULL},
    {CTRL('u'), "Ctrl-U", UI_ACTION_HALF_UP, KEYMAP_ANY, NULL, NULL},
    {CTRL('d'), "Ctrl-D", UI_ACTION_HALF_DOWN, KEYMAP_ANY, NULL, NULL},
    {'\t', "Tab", UI_ACTION_NEXT_PANE, KEYMAP_ANY, "next pane (Shift-Tab: previous)", "pane"},
    {SHIFT_TAB, "S-Tab", UI_ACTION_PREV_PANE, KEYMAP_ANY, NULL, NULL},
    {'\r', "Enter", UI_ACTION_DETAILS, KEYMAP_OBJECT, "details of the selection", "details"},
    {'\n', "Enter", UI_ACTION_DETAILS, KEYMAP_OBJECT, NULL, NULL},
    {KEY_ENTER, "Enter", UI_ACTION_DETAILS, KEYMAP_OBJECT, NULL, NULL},
    {'y', "y", UI_ACTION_YAML, KEYMAP_OBJECT, "the selection as YAML", "yaml"},
    {'L', "L", UI_ACTION_TOGGLE_LIST, KEYMAP_ANY, "pipeline as a graph or as a list", "list"},
    {'/', "/", UI_ACTION_FILTER, KEYMAP_ANY, "filter the list (pipeline: find a stage)", "filter"},
    {':', ":", UI_ACTION_COMMAND, KEYMAP_ANY,
     "command (:projects :project NAME :events :ctx NAME ...)", "cmd"},
    {27, "Esc", UI_ACTION_BACK, KEYMAP_ANY, "close, clear the filter, go back", NULL},
    {CTRL('l'), "Ctrl-L", UI_ACTION_REDRAW, KEYMAP_ANY, "redraw the screen", NULL},
    {'?', "?", UI_ACTION_HELP, KEYMAP_ANY, "show or hide this help", "help"},
    {'q', "q", UI_ACTION_QUIT, KEYMAP_ANY, "quit", "quit"},
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
