/* The key table. */
#include "ui/keymap.h"

#include <ctype.h>
#include <curses.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "action/action.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

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

/* ---- remaps ---------------------------------------------------------------------------- */

static const struct {
    enum ui_action action;
    const char *name;
} keymap_action_names[] = {
    {UI_ACTION_QUIT, "quit"},
    {UI_ACTION_HELP, "help"},
    {UI_ACTION_BACK, "back"},
    {UI_ACTION_REDRAW, "redraw"},
    {UI_ACTION_UP, "up"},
    {UI_ACTION_DOWN, "down"},
    {UI_ACTION_LEFT, "left"},
    {UI_ACTION_RIGHT, "right"},
    {UI_ACTION_FIRST, "first"},
    {UI_ACTION_LAST, "last"},
    {UI_ACTION_PAGE_UP, "page-up"},
    {UI_ACTION_PAGE_DOWN, "page-down"},
    {UI_ACTION_HALF_UP, "half-page-up"},
    {UI_ACTION_HALF_DOWN, "half-page-down"},
    {UI_ACTION_NEXT_PANE, "next-pane"},
    {UI_ACTION_PREV_PANE, "previous-pane"},
    {UI_ACTION_DETAILS, "details"},
    {UI_ACTION_YAML, "yaml"},
    {UI_ACTION_FILTER, "filter"},
    {UI_ACTION_COMMAND, "command"},
    {UI_ACTION_TOGGLE_LIST, "toggle-list"},
    {UI_ACTION_MARK, "mark"},
};
#define KEYMAP_NACTIONS (sizeof keymap_action_names / sizeof keymap_action_names[0])

static const struct {
    const char *name;
    int key;
} keymap_named_keys[] = {
    {"Up", KEY_UP},        {"Down", KEY_DOWN},
    {"Left", KEY_LEFT},    {"Right", KEY_RIGHT},
    {"Home", KEY_HOME},    {"End", KEY_END},
    {"PgUp", KEY_PPAGE},   {"PgDn", KEY_NPAGE},
    {"PageUp", KEY_PPAGE}, {"PageDown", KEY_NPAGE},
    {"Tab", '\t'},         {"S-Tab", KEY_BTAB},
    {"Enter", '\r'},       {"Esc", 27},
    {"Space", ' '},        {"Backspace", KEY_BACKSPACE},
    {"Delete", KEY_DC},
};

const char *keymap_action_name(enum ui_action a)
{
    for (size_t i = 0; i < KEYMAP_NACTIONS; i++)
        if (keymap_action_names[i].action == a)
            return keymap_action_names[i].name;
    return NULL;
}

int keymap_parse_key(const char *text, int *key, char **cause)
{
    size_t n = strlen(text);
    if (n == 1 && (unsigned char)text[0] > 32 && (unsigned char)text[0] < 127) {
        *key = (unsigned char)text[0];
        return 0;
    }
    for (size_t i = 0; i < sizeof keymap_named_keys / sizeof keymap_named_keys[0]; i++)
        if (strcasecmp(text, keymap_named_keys[i].name) == 0) {
            *key = keymap_named_keys[i].key;
            return 0;
        }
    const char *c = NULL;
    if (strncasecmp(text, "Ctrl-", 5) == 0)
        c = text + 5;
    else if (strncasecmp(text, "C-", 2) == 0)
        c = text + 2;
    else if (text[0] == '^' && n == 2)
        c = text + 1;
    if (c != NULL && strlen(c) == 1 && isalpha((unsigned char)c[0])) {
        *key = CTRL(tolower((unsigned char)c[0]));
        return 0;
    }
    if ((text[0] == 'F' || text[0] == 'f') && n >= 2 && n <= 3 && isdigit((unsigned char)text[1])) {
        int f = atoi(text + 1);
        if (f >= 1 && f <= 12 && (n == 2 || isdigit((unsigned char)text[2]))) {
            *key = KEY_F(f);
            return 0;
        }
    }
    cause_set(cause,
              "'%s' is not a key (one character, Ctrl-X, F1-F12, Up, Down, Left, Right, Home, "
              "End, PgUp, PgDn, Tab, S-Tab, Enter, Esc, Space, Backspace, Delete)",
              text);
    return -1;
}

void keymap_init(struct keymap *km)
{
    memset(km, 0, sizeof *km);
    km->n = sizeof keymap_table / sizeof keymap_table[0];
    km->entries = xcalloc(km->n, sizeof *km->entries);
    memcpy(km->entries, keymap_table, sizeof keymap_table);
}

void keymap_free(struct keymap *km)
{
    for (size_t i = 0; i < km->n_names; i++)
        free(km->names[i]);
    free(km->names);
    free(km->entries);
    memset(km, 0, sizeof *km);
}

static void keymap_remove(struct keymap *km, size_t i)
{
    memmove(&km->entries[i], &km->entries[i + 1], (km->n - i - 1) * sizeof *km->entries);
    km->n--;
}

/* The entries an action name stands for: a UI action, or a cluster action by its name
 * ("promote", "refresh"), whose entries are UI_ACTION_ACT with that id. */
static bool keymap_resolve(const char *name, enum ui_action *a, int *act)
{
    for (size_t i = 0; i < KEYMAP_NACTIONS; i++)
        if (strcmp(keymap_action_names[i].name, name) == 0) {
            *a = keymap_action_names[i].action;
            *act = -1;
            return true;
        }
    const struct action_def *d = action_by_name(name);
    if (d == NULL)
        return false;
    *a = UI_ACTION_ACT;
    *act = (int)d->id;
    return true;
}

static bool keymap_is(const struct keymap_entry *e, enum ui_action a, int act)
{
    return e->action == a && (act < 0 || e->act == act);
}

int keymap_bind(struct keymap *km, const char *action, const char *const *keys, size_t n,
                char **cause)
{
    enum ui_action act;
    int id;
    if (!keymap_resolve(action, &act, &id)) {
        struct strbuf known;
        strbuf_init(&known);
        for (size_t i = 0; i < KEYMAP_NACTIONS; i++)
            strbuf_appendf(&known, "%s%s", i ? ", " : "", keymap_action_names[i].name);
        for (int i = 0; i < ACTION_COUNT; i++)
            strbuf_appendf(&known, ", %s", action_def((enum action_id)i)->name);
        cause_set(cause, "unknown action '%s' (actions: %s)", action, known.buf);
        strbuf_free(&known);
        return -1;
    }
    if (n == 0) {
        cause_set(cause, "%s: give at least one key", action);
        return -1;
    }
    int *codes = xcalloc(n, sizeof *codes);
    for (size_t i = 0; i < n; i++)
        if (keymap_parse_key(keys[i], &codes[i], cause) != 0) {
            free(codes);
            return -1;
        }
    /* where the action sits in help order, and its help, scope and hint */
    struct keymap_entry proto = {0, NULL, act, KEYMAP_ANY, NULL, NULL, id < 0 ? 0 : id};
    bool found = false;
    size_t at = km->n;
    for (size_t i = 0; i < km->n; i++)
        if (keymap_is(&km->entries[i], act, id)) {
            if (at == km->n)
                at = i;
            if (!found || (proto.help == NULL && km->entries[i].help != NULL))
                proto = km->entries[i];
            found = true;
        }
    for (size_t i = km->n; i-- > 0;) {
        bool taken = false;
        for (size_t k = 0; k < n; k++)
            taken = taken || km->entries[i].key == codes[k];
        if (keymap_is(&km->entries[i], act, id) || taken) {
            keymap_remove(km, i);
            if (i < at)
                at--;
        }
    }
    if (at > km->n)
        at = km->n;
    struct strbuf shown;
    strbuf_init(&shown);
    for (size_t k = 0; k < n; k++)
        strbuf_appendf(&shown, "%s%s", k ? " " : "", keys[k]);
    km->names = xrealloc(km->names, (km->n_names + 1) * sizeof *km->names);
    char *label = strbuf_detach(&shown);
    km->names[km->n_names++] = label;
    km->entries = xrealloc(km->entries, (km->n + n) * sizeof *km->entries);
    memmove(&km->entries[at + n], &km->entries[at], (km->n - at) * sizeof *km->entries);
    for (size_t k = 0; k < n; k++) {
        struct keymap_entry e = proto;
        e.key = codes[k];
        e.keyname = label;
        if (k > 0)
            e.help = e.hint = NULL;
        km->entries[at + k] = e;
    }
    km->n += n;
    free(codes);
    return 0;
}

const struct keymap_entry *keymap_find(const struct keymap *km, int key)
{
    if (km == NULL)
        return keymap_lookup(key);
    for (size_t i = 0; i < km->n; i++)
        if (km->entries[i].key == key)
            return &km->entries[i];
    return NULL;
}

const struct keymap_entry *keymap_find_scope(const struct keymap *km, int key, unsigned scope)
{
    if (km == NULL)
        return keymap_lookup_scope(key, scope);
    const struct keymap_entry *first = NULL;
    for (size_t i = 0; i < km->n; i++) {
        const struct keymap_entry *k = &km->entries[i];
        if (k->key != key)
            continue;
        if (k->scope == KEYMAP_ANY || (k->scope & scope))
            return k;
        if (first == NULL)
            first = k;
    }
    return first;
}

const struct keymap_entry *keymap_entry_at(const struct keymap *km, size_t i)
{
    if (km == NULL)
        return keymap_at(i);
    return i < km->n ? &km->entries[i] : NULL;
}
