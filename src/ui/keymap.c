/* The key table. */
#include "ui/keymap.h"

#include <curses.h>

#include "action/action.h"

#define CTRL(c)   ((c)&0x1f)
#define SHIFT_TAB KEY_BTAB

/* Order: help order, and footer order for the entries with a hint ("? help  q quit" last). */
static const struct keymap_entry keymap_table[] = {
    {'k', "k j", UI_ACTION_UP, KEYMAP_ANY, "up, down (pipeline: to the box above, below)", NULL, 0},
    {'j', "j", UI_ACTION_DOWN, KEYMAP_ANY, NULL, NULL, 0},
    {KEY_UP, "Up", UI_ACTION_UP, KEYMAP_ANY, NULL, NULL, 0},
    {KEY_DOWN, "Down", UI_ACTION_DOWN, KEYMAP_ANY, NULL, NULL, 0},
    {'h', "h l", UI_ACTION_LEFT, KEYMAP_ANY, "pipeline: to the box left, right (and arrows)", NULL,
     0},
    {'l', "l", UI_ACTION_RIGHT, KEYMAP_ANY, NULL, NULL, 0},
    {KEY_LEFT, "Left", UI_ACTION_LEFT, KEYMAP_ANY, NULL, NULL, 0},
    {KEY_RIGHT, "Right", UI_ACTION_RIGHT, KEYMAP_ANY, NULL, NULL, 0},
    {'g', "g G", UI_ACTION_FIRST, KEYMAP_ANY, "first, last row (Home, End)", NULL, 0},
    {'G', "G", UI_ACTION_LAST, KEYMAP_ANY, NULL, NULL, 0},
    {KEY_HOME, "Home", UI_ACTION_FIRST, KEYMAP_ANY, NULL, NULL, 0},
    {KEY_END, "End", UI_ACTION_LAST, KEYMAP_ANY, NULL, NULL, 0},
    {KEY_PPAGE, "PgUp/Dn", UI_ACTION_PAGE_UP, KEYMAP_ANY,
     "page up, down (Ctrl-B Ctrl-F; half: Ctrl-U Ctrl-D)", NULL, 0},
    {KEY_NPAGE, "PgDn", UI_ACTION_PAGE_DOWN, KEYMAP_ANY, NULL, NULL, 0},
    {CTRL('b'), "Ctrl-B", UI_ACTION_PAGE_UP, KEYMAP_ANY, NULL, NULL, 0},
    {CTRL('f'), "Ctrl-F", UI_ACTION_PAGE_DOWN, KEYMAP_ANY, NULL, NULL, 0},
    {CTRL('u'), "Ctrl-U", UI_ACTION_HALF_UP, KEYMAP_ANY, NULL, NULL, 0},
    {CTRL('d'), "Ctrl-D", UI_ACTION_HALF_DOWN, KEYMAP_ANY, NULL, NULL, 0},
    {'\t', "Tab", UI_ACTION_NEXT_PANE, KEYMAP_ANY, "next pane (Shift-Tab: previous)", "pane", 0},
    {SHIFT_TAB, "S-Tab", UI_ACTION_PREV_PANE, KEYMAP_ANY, NULL, NULL, 0},
    {'\r', "Enter", UI_ACTION_DETAILS, KEYMAP_OBJECT, "details of the selection", "details", 0},
    {'\n', "Enter", UI_ACTION_DETAILS, KEYMAP_OBJECT, NULL, NULL, 0},
    {KEY_ENTER, "Enter", UI_ACTION_DETAILS, KEYMAP_OBJECT, NULL, NULL, 0},
    {'y', "y", UI_ACTION_YAML, KEYMAP_OBJECT, "the selection as YAML", "yaml", 0},
    /* cluster actions (action/action.h): the dashboard asks first and dims what RBAC denies */
    {'p', "p", UI_ACTION_ACT, KEYMAP_STAGE | KEYMAP_FREIGHT | KEYMAP_WAREHOUSE,
     "promote a freight picked for the stage, or the selected one (to a picked or marked stages)",
     "promote", ACTION_PROMOTE},
    {'P', "P", UI_ACTION_ACT, KEYMAP_STAGE, "promote the stage's freight to every downstream stage",
     "downstream", ACTION_PROMOTE_DOWNSTREAM},
    {'r', "r", UI_ACTION_ACT, KEYMAP_STAGE,
     "roll back: pick an earlier freight of the stage (holds auto-promotion)", "rollback",
     ACTION_ROLLBACK},
    {'u', "u", UI_ACTION_ACT, KEYMAP_STAGE, "resume auto-promotion of the stage", "resume",
     ACTION_RESUME},
    {'a', "a", UI_ACTION_ACT, KEYMAP_FREIGHT, "approve the freight for the stage", "approve",
     ACTION_APPROVE},
    {'A', "A", UI_ACTION_ACT, KEYMAP_PROMOTION, "abort the pending or running promotion", "abort",
     ACTION_ABORT_PROMOTION},
    {'R', "R", UI_ACTION_ACT, KEYMAP_STAGE, "refresh the stage or warehouse", "refresh",
     ACTION_REFRESH},
    {'R', "R", UI_ACTION_ACT, KEYMAP_WAREHOUSE, NULL, "refresh", ACTION_REFRESH_WAREHOUSE},
    {'v', "v", UI_ACTION_ACT, KEYMAP_STAGE, "verify the stage's freight again", "reverify",
     ACTION_REVERIFY},
    {'V', "V", UI_ACTION_ACT, KEYMAP_STAGE, "abort the stage's running verification",
     "abort-verify", ACTION_ABORT_VERIFICATION},
    {' ', "Space", UI_ACTION_MARK, KEYMAP_STAGE,
     "mark the stage for a batch promotion (Esc clears the marks)", "mark", 0},
    {'L', "L", UI_ACTION_TOGGLE_LIST, KEYMAP_ANY, "pipeline as a graph or as a list", "list", 0},
    {'/', "/", UI_ACTION_FILTER, KEYMAP_ANY, "filter the list (pipeline: find a stage)", "filter",
     0},
    {':', ":", UI_ACTION_COMMAND, KEYMAP_ANY,
     "command (:projects :project NAME :events :ctx NAME ...)", "cmd", 0},
    {27, "Esc", UI_ACTION_BACK, KEYMAP_ANY, "close, clear the filter, go back", NULL, 0},
    {CTRL('l'), "Ctrl-L", UI_ACTION_REDRAW, KEYMAP_ANY, "redraw the screen", NULL, 0},
    {'?', "?", UI_ACTION_HELP, KEYMAP_ANY, "show or hide this help", "help", 0},
    {'q', "q", UI_ACTION_QUIT, KEYMAP_ANY, "quit", "quit", 0},
};

const struct keymap_entry *keymap_lookup(int key)
{
    for (size_t i = 0; i < sizeof keymap_table / sizeof keymap_table[0]; i++)
        if (keymap_table[i].key == key)
            return &keymap_table[i];
    return NULL;
}

const struct keymap_entry *keymap_lookup_scope(int key, unsigned scope)
{
    const struct keymap_entry *first = NULL;
    for (size_t i = 0; i < sizeof keymap_table / sizeof keymap_table[0]; i++) {
        const struct keymap_entry *k = &keymap_table[i];
        if (k->key != key)
            continue;
        if (k->scope == KEYMAP_ANY || (k->scope & scope))
            return k;
        if (first == NULL)
            first = k;
    }
    return first;
}

const struct keymap_entry *keymap_at(size_t i)
{
    return i < sizeof keymap_table / sizeof keymap_table[0] ? &keymap_table[i] : NULL;
}
