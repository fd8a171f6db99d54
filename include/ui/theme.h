/* Colour roles: every element the UI draws asks for a role (top bar, selection, a phase), never for
 * a colour; a theme maps roles to colours and attributes. Stage colours are not roles: they come
 * from each Stage's kargo.akuity.io/color annotation through the model. */
#ifndef KT_UI_THEME_H
#define KT_UI_THEME_H

#include <curses.h>
#include <stdbool.h>

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

struct theme_style {
    short fg, bg; /* curses colour numbers; -1 is the terminal's own colour */
    attr_t attrs; /* A_BOLD, A_REVERSE, ... */
};

struct theme {
    const char *name;
    struct theme_style style[THEME_ROLE_COUNT];
    attr_t attr[THEME_ROLE_COUNT]; /* resolved by theme_apply: attributes plus colour pair */
};

/* The built-in dark theme, and the one for terminals without colour (or NO_COLOR). */
void theme_default(struct theme *t);
void theme_mono(struct theme *t);
/* The role's name in theme files, or NULL. */
const char *theme_role_name(enum theme_role r);
/* Allocates a colour pair per role (pairs 1..THEME_ROLE_COUNT) when colour is on, and resolves
 * every role to the attributes to draw it with. Without colour, roles keep their attributes. */
void theme_apply(struct theme *t, bool colour);

static inline attr_t theme_attr(const struct theme *t, enum theme_role r)
{
    return t->attr[r];
}

#endif
