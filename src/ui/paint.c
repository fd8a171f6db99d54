/* Theme set-up and Stage/Warehouse colour pairs. */
#include "ui/paint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/timefmt.h"
#include "util/xalloc.h"

enum colour_depth paint_depth(bool colour)
{
    if (!colour || !has_colors())
        return COLOUR_DEPTH_NONE;
    /* direct-colour terminfo (xterm-direct, tmux-direct...) numbers colours 0xrrggbb */
    if (COLORS >= 0x1000000)
        return COLOUR_DEPTH_TRUE;
    if (COLORS >= 256)
        return COLOUR_DEPTH_256;
    if (COLORS >= 16)
        return COLOUR_DEPTH_16;
    if (COLORS >= 8)
        return COLOUR_DEPTH_8;
    return COLOUR_DEPTH_NONE;
}

void paint_init(struct paint *p, const struct theme *theme, bool colour, bool utf8)
{
    memset(p, 0, sizeof *p);
    p->utf8 = utf8;
    p->depth = paint_depth(colour && (theme == NULL || !theme->monochrome));
    p->colour = p->depth != COLOUR_DEPTH_NONE;
    /* without colour only attributes can carry meaning, and mono's are chosen for that */
    if (!p->colour)
        theme_mono(&p->theme);
    else if (theme != NULL)
        p->theme = *theme;
    else
        theme_default(&p->theme);
    theme_apply(&p->theme, p->depth);
    /* pairs 1..THEME_ROLE_COUNT belong to the theme */
    p->next_pair = THEME_ROLE_COUNT + 1;
}

static void paint_free_entries(struct paint_entry *e, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(e[i].name);
    free(e);
}

void paint_free(struct paint *p)
{
    paint_free_entries(p->stages, p->n_stages);
    paint_free_entries(p->warehouses, p->n_warehouses);
    p->stages = p->warehouses = NULL;
    p->n_stages = p->n_warehouses = 0;
}

/* Two pairs per object: its colour as text, and as a header background. Pair numbers are reused
 * from the same start on every update, so a long session never runs out of them. COLOR_PAIR()
 * holds 8 bits: past pair 255 objects keep the attribute-only look. */
static void paint_fill(struct paint *p, struct paint_entry *e, const char *name,
                       struct colour_rgb rgb)
{
    e->name = xstrdup(name);
    e->fg = A_BOLD;
    e->head = A_REVERSE | A_BOLD;
    if (p->depth == COLOUR_DEPTH_NONE || p->next_pair + 1 >= COLOR_PAIRS || p->next_pair + 1 > 255)
        return;
    int c = theme_colour_curses(colour_nearest(rgb, p->depth));
    struct colour_pair cp = colour_pair_for(rgb, p->depth);
    int fg = theme_colour_curses(cp.fg), bg = theme_colour_curses(cp.bg);
    if (c < 0 || c >= COLORS || fg < 0 || fg >= COLORS || bg < 0 || bg >= COLORS)
        return;
    if (init_extended_pair(p->next_pair, c, -1) == OK)
        e->fg = COLOR_PAIR(p->next_pair) | A_BOLD;
    if (init_extended_pair(p->next_pair + 1, fg, bg) == OK)
        e->head = COLOR_PAIR(p->next_pair + 1) | A_BOLD;
    p->next_pair += 2;
}

static struct paint_entry *paint_assign(struct paint *p, const char *const *names,
                                        const char *const *annotations, size_t n)
{
    struct colour_rgb *rgb = xcalloc(n + 1, sizeof *rgb);
    colour_assign(annotations, n, rgb);
    /* the theme's colours for objects without an annotation (a light terminal needs darker ones
     * than the Kargo UI's palette), stepping through them in name order */
    size_t k = 0;
    for (size_t i = 0; i < n && p->theme.n_palette > 0; i++) {
        struct colour_rgb unused;
        if (annotations[i] == NULL || colour_parse(annotations[i], &unused) != 0)
            rgb[i] = p->theme.palette[k++ % p->theme.n_palette];
    }
    struct paint_entry *e = xcalloc(n + 1, sizeof *e);
    for (size_t i = 0; i < n; i++)
        paint_fill(p, &e[i], names[i], rgb[i]);
    free(rgb);
    return e;
}
void paint_update(struct paint *p, const struct store *st)
{
    paint_free(p);
    p->next_pair = THEME_ROLE_COUNT + 1;
    if (st == NULL)
        return;
    const struct kargo_stage *const *stages;
    size_t ns = store_stages(st, &stages);
    const char **names = xcalloc(ns + 1, sizeof *names);
    const char **ann = xcalloc(ns + 1, sizeof *ann);
    for (size_t i = 0; i < ns; i++) {
        names[i] = stages[i]->name;
        ann[i] = stages[i]->color;
    }
    p->stages = paint_assign(p, names, ann, ns);
    p->n_stages = ns;
    free(names);
    free(ann);

    const struct kargo_warehouse *const *whs;
    size_t nw = store_warehouses(st, &whs);
    names = xcalloc(nw + 1, sizeof *names);
    ann = xcalloc(nw + 1, sizeof *ann);
    for (size_t i = 0; i < nw; i++) {
        names[i] = whs[i]->name;
        ann[i] = whs[i]->color;
    }
    p->warehouses = paint_assign(p, names, ann, nw);
    p->n_warehouses = nw;
    free(names);
    free(ann);
}

static const struct paint_entry *paint_find(const struct paint_entry *e, size_t n, const char *name)
{
    size_t lo = 0, hi = n;
    while (lo < hi && name != NULL) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(name, e[mid].name);
        if (c == 0)
            return &e[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

const struct paint_entry *paint_stage(const struct paint *p, const char *name)
{
    return paint_find(p->stages, p->n_stages, name);
}

const struct paint_entry *paint_warehouse(const struct paint *p, const char *name)
{
    return paint_find(p->warehouses, p->n_warehouses, name);
}

void paint_age(const struct paint *p, time_t then, char *buf, size_t len)
{
    if (then == 0) {
        snprintf(buf, len, "-");
        return;
    }
    if (p->relative_ages) {
        timefmt_ago(then, p->now, buf, len);
        return;
    }
    /* htop's START column: the clock today, the day this year, the month before; what it
     * shows changes only at midnight, so an idle screen has nothing to redraw */
    struct tm t, n;
    localtime_r(&then, &t);
    localtime_r(&p->now, &n);
    size_t r;
    if (t.tm_year == n.tm_year && t.tm_yday == n.tm_yday)
        r = strftime(buf, len, "%H:%M", &t);
    else if (t.tm_year == n.tm_year)
        r = strftime(buf, len, "%b %d", &t);
    else
        r = strftime(buf, len, "%b %Y", &t);
    if (r == 0 && len > 0)
        buf[0] = '\0';
}

time_t paint_age_change(const struct paint *p)
{
    if (p->relative_ages)
        return p->now + 1;
    struct tm n;
    localtime_r(&p->now, &n);
    n.tm_hour = n.tm_min = 0;
    n.tm_sec = 0;
    n.tm_mday++;
    n.tm_isdst = -1;
    time_t midnight = mktime(&n);
    return midnight > p->now ? midnight : p->now + 3600;
}
