/* Built-in themes and colour pair allocation. */
#include "ui/theme.h"

#include <string.h>

static const char *const theme_names[] = {
#define THEME_NAME(id, name) name,
    THEME_ROLES(THEME_NAME)
#undef THEME_NAME
};

const char *theme_role_name(enum theme_role r)
{
    return (unsigned)r < THEME_ROLE_COUNT ? theme_names[r] : NULL;
}

static void theme_set(struct theme *t, enum theme_role r, short fg, short bg, attr_t attrs)
{
    t->style[r] = (struct theme_style){fg, bg, attrs};
}

void theme_mono(struct theme *t)
{
    memset(t, 0, sizeof *t);
    t->name = "mono";
    for (int r = 0; r < THEME_ROLE_COUNT; r++)
        theme_set(t, (enum theme_role)r, -1, -1, A_NORMAL);
    /* without colour, meaning rides on attributes alone */
    t->style[THEME_DIM].attrs = A_DIM;
    t->style[THEME_TOPBAR].attrs = A_REVERSE;
    t->style[THEME_TOPBAR_ALERT].attrs = A_REVERSE | A_BOLD;
    t->style[THEME_BORDER_FOCUS].attrs = A_BOLD;
    t->style[THEME_SELECTION].attrs = A_REVERSE;
    t->style[THEME_TITLE].attrs = A_BOLD;
    t->style[THEME_KEY_HINT].attrs = A_BOLD;
    t->style[THEME_ERROR].attrs = A_BOLD | A_UNDERLINE;
    t->style[THEME_WARNING].attrs = A_BOLD;
    t->style[THEME_PHASE_PROMOTING].attrs = A_BOLD;
    t->style[THEME_PHASE_FAILED].attrs = A_BOLD | A_UNDERLINE;
    t->style[THEME_PHASE_UNKNOWN].attrs = A_DIM;
    t->style[THEME_HEALTH_UNHEALTHY].attrs = A_BOLD | A_UNDERLINE;
    t->style[THEME_HEALTH_UNKNOWN].attrs = A_DIM;
    t->style[THEME_EDGE].attrs = A_DIM;
    t->style[THEME_MARK].attrs = A_BOLD;
}

void theme_default(struct theme *t)
{
    theme_mono(t); /* the attributes stay: they carry meaning when colour is unavailable */
    t->name = "default";
    theme_set(t, THEME_TOPBAR, COLOR_BLACK, COLOR_CYAN, A_NORMAL);
    theme_set(t, THEME_TOPBAR_ALERT, COLOR_WHITE, COLOR_RED, A_BOLD);
    theme_set(t, THEME_BORDER, COLOR_BLUE, -1, A_NORMAL);
    theme_set(t, THEME_BORDER_FOCUS, COLOR_CYAN, -1, A_BOLD);
    theme_set(t, THEME_SELECTION, COLOR_BLACK, COLOR_WHITE, A_NORMAL);
    theme_set(t, THEME_TITLE, COLOR_CYAN, -1, A_BOLD);
    theme_set(t, THEME_KEY_HINT, COLOR_CYAN, -1, A_BOLD);
    theme_set(t, THEME_ERROR, COLOR_RED, -1, A_BOLD);
    theme_set(t, THEME_WARNING, COLOR_YELLOW, -1, A_BOLD);
    theme_set(t, THEME_SUCCESS, COLOR_GREEN, -1, A_NORMAL);
    theme_set(t, THEME_PHASE_PROMOTING, COLOR_BLUE, -1, A_BOLD);
    theme_set(t, THEME_PHASE_VERIFYING, COLOR_CYAN, -1, A_NORMAL);
    theme_set(t, THEME_PHASE_RECONCILING, COLOR_MAGENTA, -1, A_NORMAL);
    theme_set(t, THEME_PHASE_FAILED, COLOR_RED, -1, A_BOLD);
    theme_set(t, THEME_PHASE_READY, COLOR_GREEN, -1, A_NORMAL);
    theme_set(t, THEME_HEALTH_HEALTHY, COLOR_GREEN, -1, A_NORMAL);
    theme_set(t, THEME_HEALTH_PROGRESSING, COLOR_YELLOW, -1, A_NORMAL);
    theme_set(t, THEME_HEALTH_UNHEALTHY, COLOR_RED, -1, A_BOLD);
    theme_set(t, THEME_MARK, COLOR_YELLOW, -1, A_BOLD);
}

void theme_apply(struct theme *t, bool colour)
{
    for (int r = 0; r < THEME_ROLE_COUNT; r++) {
        const struct theme_style *s = &t->style[r];
        t->attr[r] = s->attrs;
        if (colour && (s->fg != -1 || s->bg != -1)) {
            init_pair((short)(r + 1), s->fg, s->bg);
            t->attr[r] |= COLOR_PAIR(r + 1);
        }
    }
}
