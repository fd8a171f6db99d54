/* Colour roles and themes: every element the UI draws asks for a role (top bar, selection, a
 * phase), never for a colour; a theme maps roles to colours and attributes. Themes are YAML files
 * (the YAML files in themes/ are built in; users add theirs), parsed here with file:line errors.
 * Stage colours are not roles: they come from each Stage's kargo.akuity.io/color annotation through
 * the model; a theme only gives the colours of Stages without one. */
#ifndef KT_UI_THEME_H
#define KT_UI_THEME_H

#include <curses.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/colour.h"

/* X(id, name used in theme files) */
#define THEME_ROLES(X)                                                                             \
    X(NORMAL, "normal")                                                                            \
    X(DIM, "dim")                                                                                  \
    X(TOPBAR, "topbar")                                                                            \
    X(TOPBAR_ALERT, "topbar-alert")                                                                \
    X(BORDER, "border")                                                                            \
    X(BORDER_FOCUS, "border-focus")                                                                \
    X(SELECTION, "selection")                                                                      \
    X(TITLE, "title")                                                                              \
    X(KEY_HINT, "key-hint")                                                                        \
    X(ERROR, "error")                                                                              \
    X(WARNING, "warning")                                                                          \
    X(SUCCESS, "success")                                                                          \
    X(PHASE_PROMOTING, "phase-promoting")                                                          \
    X(PHASE_VERIFYING, "phase-verifying")                                                          \
    X(PHASE_RECONCILING, "phase-reconciling")                                                      \
    X(PHASE_FAILED, "phase-failed")                                                                \
    X(PHASE_READY, "phase-ready")                                                                  \
    X(PHASE_UNKNOWN, "phase-unknown")                                                              \
    X(HEALTH_HEALTHY, "health-healthy")                                                            \
    X(HEALTH_PROGRESSING, "health-progressing")                                                    \
    X(HEALTH_UNHEALTHY, "health-unhealthy")                                                        \
    X(HEALTH_UNKNOWN, "health-unknown")                                                            \
    X(EDGE, "edge")                                                                                \
    X(MARK, "mark")

enum theme_role {
#define THEME_ENUM(id, name) THEME_##id,
    THEME_ROLES(THEME_ENUM)
#undef THEME_ENUM
        THEME_ROLE_COUNT
};

enum theme_colour_kind {
    THEME_COLOUR_DEFAULT, /* the terminal's own colour */
    THEME_COLOUR_INDEX,   /* a palette number 0-255 (names are 0-15) */
    THEME_COLOUR_RGB,     /* #rrggbb */
};

struct theme_colour {
    enum theme_colour_kind kind;
    uint32_t value; /* the index, or 0xrrggbb */
};

struct theme_style {
    struct theme_colour fg, bg;
    attr_t attrs; /* A_BOLD, A_REVERSE, ... */
};

#define THEME_PALETTE_MAX 64

struct theme {
    char name[64];
    bool monochrome; /* no colour at all, not even Stage colours: attributes carry everything */
    struct theme_style style[THEME_ROLE_COUNT];
    struct colour_rgb palette[THEME_PALETTE_MAX]; /* colours of un-annotated Stages; may be none */
    size_t n_palette;
    attr_t attr[THEME_ROLE_COUNT]; /* resolved by theme_apply: attributes plus colour pair */
};

/* Parses a theme file of len bytes (name is used in messages: "name:12: ..."). Roles the file
 * does not name are drawn plain. Unknown keys, roles, colours or attributes are errors naming the
 * line. Returns 0, or -1 with *cause (then *t holds nothing useful). Pure: no terminal needed. */
int theme_parse(const char *buf, size_t len, const char *name, struct theme *t, char **cause);
/* A colour as written in theme files: a name, bright-<name>, grey, default, 0-255, #rrggbb or
 * #rgb. Returns 0, or -1 with *cause. */
int theme_colour_parse(const char *text, struct theme_colour *out, char **cause);

/* Built-in themes (the YAML files in themes/ compiled in), by index until NULL. */
const char *theme_builtin_name(size_t i);
/* Loads a theme: a path (holding '/' or ending in .yaml) is read as a file; a name is looked up
 * as user_dir/NAME.yaml (user_dir may be NULL), then among the built-in ones. Returns 0, or -1
 * with *cause ("file:line: problem", or which names exist). */
int theme_load(const char *name_or_path, const char *user_dir, struct theme *t, char **cause);

/* The built-in dark theme, and the one for terminals without colour (or NO_COLOR). */
void theme_default(struct theme *t);
void theme_mono(struct theme *t);
/* The role's name in theme files, or NULL. */
const char *theme_role_name(enum theme_role r);
/* The terminal colour number of c at depth (COLOUR_DEFAULT for the terminal's own). */
int theme_colour_number(struct theme_colour c, enum colour_depth depth);
/* A colour number (theme_colour_number, colour_nearest) as curses takes it: -1 for the default,
 * 0xrrggbb on a direct-colour terminal. */
int theme_colour_curses(int number);
/* Allocates a colour pair per role (pairs 1..THEME_ROLE_COUNT) at the terminal's depth, and
 * resolves every role to the attributes to draw it with. At COLOUR_DEPTH_NONE roles keep their
 * attributes only (callers use theme_mono then, whose attributes carry the meaning). */
void theme_apply(struct theme *t, enum colour_depth depth);

static inline attr_t theme_attr(const struct theme *t, enum theme_role r)
{
    return t->attr[r];
}

#endif
