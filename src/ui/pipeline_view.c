/* Drawing the laid-out pipeline and moving around it. */
#include "ui/pipeline_view.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/derive.h"
#include "ui/describe.h"
#include "ui/draw.h"
#include "util/xalloc.h"

/* Preferred box: a border, four lines (phase, health, alias, artifact and age), a border. */
#define BOX_W 26
#define BOX_H 6

void pipeline_view_init(struct pipeline_view *v)
{
    memset(v, 0, sizeof *v);
}

void pipeline_view_free(struct pipeline_view *v)
{
    layout_free(v->layout);
    free(v->selected);
    memset(v, 0, sizeof *v);
}

static const struct layout_node *pipeline_node(const struct pipeline_view *v)
{
    if (v->layout == NULL || v->selected == NULL)
        return NULL;
    long i = layout_find(v->layout, v->selected_kind, v->selected);
    return i >= 0 ? &v->layout->nodes[i] : NULL;
}

static void pipeline_set(struct pipeline_view *v, const struct layout_node *n)
{
    char *name = n != NULL ? xstrdup(n->name) : NULL;
    free(v->selected);
    v->selected = name;
    if (n != NULL)
        v->selected_kind = n->kind;
}

/* The first Stage in drawing order (top-left first), else the first node. */
static const struct layout_node *pipeline_first(const struct layout *l, bool last)
{
    const struct layout_node *best = NULL;
    for (size_t i = 0; i < l->n_nodes; i++) {
        const struct layout_node *n = &l->nodes[i];
        if (n->kind != LAYOUT_STAGE || n->missing)
            continue;
        bool better =
            best == NULL || (last ? (n->y > best->y || (n->y == best->y && n->x > best->x))
                                  : (n->y < best->y || (n->y == best->y && n->x < best->x)));
        if (better)
            best = n;
    }
    return best != NULL ? best : (l->n_nodes > 0 ? &l->nodes[0] : NULL);
}

void pipeline_view_update(struct pipeline_view *v, const struct store *st, int width, int height)
{
    unsigned long topo = store_topology_generation(st);
    if (v->layout == NULL || topo != v->topology || width != v->width || height != v->height) {
        const struct kargo_warehouse *const *whs;
        const struct kargo_stage *const *stages;
        size_t nw = store_warehouses(st, &whs);
        size_t ns = store_stages(st, &stages);
        struct layout_params params = {
            .box_w = BOX_W, .box_h = BOX_H, .width = width, .height = height};
        layout_free(v->layout);
        v->layout = layout_compute(whs, nw, stages, ns, &params);
        v->topology = topo;
        v->width = width;
        v->height = height;
    }
    if (pipeline_node(v) == NULL || (!v->chosen && v->selected_kind != LAYOUT_STAGE))
        pipeline_set(v, pipeline_first(v->layout, false));
}

const char *pipeline_view_selected(const struct pipeline_view *v, enum layout_kind *kind)
{
    const struct layout_node *n = pipeline_node(v);
    if (n != NULL && kind != NULL)
        *kind = n->kind;
    return n != NULL ? n->name : NULL;
}

bool pipeline_view_select(struct pipeline_view *v, enum layout_kind kind, const char *name)
{
    if (v->layout == NULL)
        return false;
    long i = layout_find(v->layout, kind, name);
    if (i < 0)
        return false;
    pipeline_set(v, &v->layout->nodes[i]);
    v->chosen = true;
    return true;
}

/* The nearest box in direction (dx, dy): distance along the direction plus twice the distance
 * across it, rows counting double because a cell is about twice as tall as it is wide. */
static const struct layout_node *pipeline_neighbour(const struct layout *l,
                                                    const struct layout_node *from, int dx, int dy)
{
    const struct layout_node *best = NULL;
    long best_score = LONG_MAX;
    int fx = from->x + from->w / 2, fy = (from->y + from->h / 2) * 2;
    for (size_t i = 0; i < l->n_nodes; i++) {
        const struct layout_node *n = &l->nodes[i];
        if (n == from)
            continue;
        long cx = n->x + n->w / 2 - fx, cy = (n->y + n->h / 2) * 2 - fy;
        long along = dx != 0 ? cx * dx : cy * dy;
        long across = dx != 0 ? labs(cy) : labs(cx);
        if (along <= 0)
            continue;
        long score = along + 2 * across;
        if (score < best_score) {
            best_score = score;
            best = n;
        }
    }
    return best;
}

bool pipeline_view_key(struct pipeline_view *v, enum ui_action a)
{
    int dx = 0, dy = 0;
    switch (a) {
    case UI_ACTION_LEFT:
        dx = -1;
        break;
    case UI_ACTION_RIGHT:
        dx = 1;
        break;
    case UI_ACTION_UP:
        dy = -1;
        break;
    case UI_ACTION_DOWN:
        dy = 1;
        break;
    case UI_ACTION_FIRST:
        v->chosen = true;
        if (v->layout != NULL)
            pipeline_set(v, pipeline_first(v->layout, false));
        return true;
    case UI_ACTION_LAST:
        v->chosen = true;
        if (v->layout != NULL)
            pipeline_set(v, pipeline_first(v->layout, true));
        return true;
    default:
        return false;
    }
    v->chosen = true;
    const struct layout_node *from = pipeline_node(v);
    if (from == NULL)
        return true;
    const struct layout_node *to = pipeline_neighbour(v->layout, from, dx, dy);
    if (to != NULL)
        pipeline_set(v, to);
    return true;
}

/* The drawing area and its scroll offset: canvas coordinates map to (y0 + cy - sy, x0 + cx - sx)
 * and nothing lands outside the rectangle. */
struct canvas {
    WINDOW *win;
    int y0, x0, h, w, sy, sx;
};

static bool canvas_at(const struct canvas *c, int cy, int cx, int *y, int *x)
{
    *y = c->y0 + cy - c->sy;
    *x = c->x0 + cx - c->sx;
    return *y >= c->y0 && *y < c->y0 + c->h && *x >= c->x0 && *x < c->x0 + c->w;
}

static void canvas_ch(const struct canvas *c, int cy, int cx, chtype ch, attr_t a)
{
    int y, x;
    if (canvas_at(c, cy, cx, &y, &x))
        mvwaddch(c->win, y, x, ch | a);
}

static void canvas_str(const struct canvas *c, int cy, int cx, int maxw, const char *s, attr_t a,
                       bool utf8)
{
    int y, x;
    if (maxw <= 0)
        return;
    /* clip the start: text left of the visible area is skipped by drawing from its edge only
     * when it starts inside, which keeps wide glyphs whole */
    if (!canvas_at(c, cy, cx, &y, &x))
        return;
    int room = c->x0 + c->w - x;
    draw_text(c->win, y, x, maxw < room ? maxw : room, s, a, utf8);
}

static chtype corner(int in_dx, int in_dy, int out_dx, int out_dy)
{
    /* entering moving right and leaving downwards turns at the top-right corner, and so on */
    if ((in_dx > 0 && out_dy > 0) || (in_dy < 0 && out_dx < 0))
        return ACS_URCORNER;
    if ((in_dx > 0 && out_dy < 0) || (in_dy > 0 && out_dx < 0))
        return ACS_LRCORNER;
    if ((in_dx < 0 && out_dy > 0) || (in_dy < 0 && out_dx > 0))
        return ACS_ULCORNER;
    return ACS_LLCORNER;
}

static int sign(int v)
{
    return (v > 0) - (v < 0);
}

static void pipeline_draw_edge(const struct canvas *c, const struct layout_edge *e, attr_t a,
                               const struct paint *p)
{
    for (size_t i = 0; i + 1 < e->n_points; i++) {
        struct layout_point s = e->points[i], t = e->points[i + 1];
        int dx = sign(t.x - s.x), dy = sign(t.y - s.y);
        for (int yy = s.y, xx = s.x;; yy += dy, xx += dx) {
            canvas_ch(c, yy, xx, dx != 0 ? ACS_HLINE : ACS_VLINE, a);
            if (yy == t.y && xx == t.x)
                break;
        }
    }
    for (size_t i = 1; i + 1 < e->n_points; i++) {
        struct layout_point s = e->points[i - 1], m = e->points[i], t = e->points[i + 1];
        int idx = sign(m.x - s.x), idy = sign(m.y - s.y);
        int odx = sign(t.x - m.x), ody = sign(t.y - m.y);
        if ((idx != 0) != (odx != 0))
            canvas_ch(c, m.y, m.x, corner(idx, idy, odx, ody), a);
    }
    if (e->n_points > 0) {
        struct layout_point end = e->points[e->n_points - 1];
        int y, x;
        if (canvas_at(c, end.y, end.x, &y, &x))
            draw_text(c->win, y, x, 1, paint_glyph(p, "\u25b6", ">"), a, p->utf8);
    }
}

static void pipeline_draw_frame(const struct canvas *c, const struct layout_node *n, attr_t a)
{
    int r = n->x + n->w - 1, b = n->y + n->h - 1;
    for (int xx = n->x + 1; xx < r; xx++) {
        canvas_ch(c, n->y, xx, ACS_HLINE, a);
        canvas_ch(c, b, xx, ACS_HLINE, a);
    }
    for (int yy = n->y + 1; yy < b; yy++) {
        canvas_ch(c, yy, n->x, ACS_VLINE, a);
        canvas_ch(c, yy, r, ACS_VLINE, a);
    }
    canvas_ch(c, n->y, n->x, ACS_ULCORNER, a);
    canvas_ch(c, n->y, r, ACS_URCORNER, a);
    canvas_ch(c, b, n->x, ACS_LLCORNER, a);
    canvas_ch(c, b, r, ACS_LRCORNER, a);
}

/* The selected box stands out in the focus colour; while another pane has the focus it stays
 * bold, because the panels below follow it. */
static attr_t pipeline_frame_attr(const struct paint *p, bool selected, bool focused,
                                  enum theme_role normal)
{
    if (!selected)
        return paint_role(p, normal);
    return (focused ? paint_role(p, THEME_BORDER_FOCUS) : paint_role(p, THEME_BORDER)) | A_BOLD;
}

/* The inner lines of a Stage box, from its derived state. */
static void pipeline_draw_stage(const struct canvas *c, const struct layout_node *n,
                                const struct store *st, const struct paint *p, bool selected,
                                bool focused, bool marked)
{
    const struct kargo_stage *s = store_stage(st, n->name);
    const struct paint_entry *pe = paint_stage(p, n->name);
    /* a marked box has the mark's colour on its frame (the selection's wins, it moves) */
    attr_t frame = marked && !selected ? paint_role(p, THEME_MARK) | A_BOLD
                                       : pipeline_frame_attr(p, selected, focused, THEME_BORDER);
    pipeline_draw_frame(c, n, frame);
    int inner = n->w - 2, x = n->x + 1;
    if (marked && inner > 2) {
        /* and a reversed check before its name, which shows without colour too */
        canvas_str(c, n->y, x, 1, paint_glyph(p, "\u2713", "*"),
                   paint_role(p, THEME_MARK) | A_REVERSE, p->utf8);
        x++;
        inner--;
    }
    char name[300];
    snprintf(name, sizeof name, " %s ", n->name);
    /* the name in the Stage's colour, as the Kargo UI's header; reversed when selected so the
     * selection shows without colour too */
    attr_t head = pe != NULL ? pe->head : paint_role(p, THEME_TITLE);
    if (selected)
        head |= A_UNDERLINE;
    canvas_str(c, n->y, x, inner, name, head, p->utf8);
    int used = draw_width(name) < inner ? draw_width(name) : inner;
    if (s == NULL) {
        canvas_str(c, n->y + 1, x + 1, inner - 1, "(missing)", paint_role(p, THEME_DIM), p->utf8);
        return;
    }
    if (s->auto_promotion_enabled) {
        /* in the top border after the name, with a border cell between; a hold must show even
         * in a narrow box, so "paused" gives way to "held" before it gives way at all */
        const char *txt = s->n_holds > 0 ? "paused" : "auto";
        if (s->n_holds > 0 && used + 7 >= inner)
            txt = "held";
        int tw = (int)strlen(txt);
        if (used + tw + 1 < inner)
            canvas_str(c, n->y, n->x + n->w - 2 - tw, tw, txt, paint_role(p, THEME_MARK), p->utf8);
    }

    enum stage_phase ph = derive_stage_phase(s, true);
    enum stage_health hl = derive_stage_health(s);
    char phase[96], step[32] = "";
    if (ph == PHASE_PROMOTING)
        describe_step(derive_active_promotion(st, s), step, sizeof step);
    const char *phase_name = s->control_flow ? "Control flow" : derive_phase_name(ph);
    snprintf(phase, sizeof phase, "%s %s%s%s", describe_phase_icon(p, ph), phase_name,
             step[0] ? " step " : "", step);
    /* a narrow box keeps the step whole: it goes first and the name gives way */
    if (step[0] && draw_width(phase) > n->w - 3)
        snprintf(phase, sizeof phase, "%s %s %s", describe_phase_icon(p, ph), step, phase_name);

    const struct kargo_freight_ref **cur = NULL;
    size_t ncur = derive_current_freight(s, &cur);
    char art[128] = "", age[32] = "";
    const char *alias = NULL;
    if (ncur > 0) {
        const struct kargo_freight *f = store_freight(st, cur[0]->name);
        alias = f != NULL && f->alias != NULL ? f->alias : cur[0]->name;
        describe_artifact(&cur[0]->artifacts, art, sizeof art);
        time_t since = 0;
        const struct kargo_stage_mark *m =
            f != NULL ? kargo_stage_mark(f->current_in, f->n_current_in, s->name) : NULL;
        if (m != NULL && m->at != 0)
            since = m->at;
        else if (s->last_promotion.finished != 0)
            since = s->last_promotion.finished;
        if (since != 0)
            paint_age(p, since, age, sizeof age);
    }

    if (n->h <= 3) {
        /* compact: the phase icon, the step of a running promotion and what runs there on
         * the one line */
        char line[200];
        snprintf(line, sizeof line, "%s %s%s%s", describe_phase_icon(p, ph), step,
                 step[0] ? " " : "", alias != NULL ? (art[0] ? art : alias) : "no freight");
        canvas_str(c, n->y + 1, x, inner, line, paint_role(p, describe_phase_role(ph)), p->utf8);
        free(cur);
        return;
    }
    canvas_str(c, n->y + 1, x + 1, inner - 1, phase, paint_role(p, describe_phase_role(ph)),
               p->utf8);
    if (n->h > 4) {
        char health[64];
        snprintf(health, sizeof health, "%s %s", describe_health_icon(p, hl),
                 hl == HEALTH_NONE ? "no health" : derive_health_name(hl));
        canvas_str(c, n->y + 2, x + 1, inner - 1, health, paint_role(p, describe_health_role(hl)),
                   p->utf8);
    }
    int fy = n->y + (n->h > 4 ? 3 : 2);
    if (alias == NULL) {
        canvas_str(c, fy, x + 1, inner - 1, "no freight yet", paint_role(p, THEME_DIM), p->utf8);
    } else {
        canvas_str(c, fy, x + 1, inner - 1, alias, A_BOLD, p->utf8);
        if (fy + 1 < n->y + n->h - 1) {
            char line[200];
            snprintf(line, sizeof line, "%s%s%s%s", art, art[0] && ncur > 1 ? " +" : "",
                     art[0] && age[0] ? paint_glyph(p, " \u00b7 ", " - ") : "", age);
            /* a narrow box keeps the age whole: a plain space, then "11h" for "11h ago" */
            if (draw_width(line) > inner - 1 && art[0] && age[0]) {
                char *ago = strstr(age, " ago");
                snprintf(line, sizeof line, "%s%s %s", art, ncur > 1 ? " +" : "", age);
                if (draw_width(line) > inner - 1 && ago != NULL) {
                    *ago = '\0';
                    snprintf(line, sizeof line, "%s%s %s", art, ncur > 1 ? " +" : "", age);
                }
            }
            canvas_str(c, fy + 1, x + 1, inner - 1, line, paint_role(p, THEME_NORMAL), p->utf8);
        }
    }
    free(cur);
}

static void pipeline_draw_warehouse(const struct canvas *c, const struct layout_node *n,
                                    const struct store *st, const struct paint *p, bool selected,
                                    bool focused)
{
    const struct kargo_warehouse *w = store_warehouse(st, n->name);
    const struct paint_entry *pe = paint_warehouse(p, n->name);
    attr_t frame = pipeline_frame_attr(p, selected, focused, THEME_DIM);
    pipeline_draw_frame(c, n, frame);
    int inner = n->w - 2, x = n->x + 1;
    char name[300];
    snprintf(name, sizeof name, " %s ", n->name);
    canvas_str(c, n->y, x, inner, name,
               (pe != NULL ? pe->fg : paint_role(p, THEME_TITLE)) | (selected ? A_UNDERLINE : 0),
               p->utf8);
    if (n->h <= 3 || w == NULL) {
        canvas_str(c, n->y + 1, x, inner, w == NULL ? "(missing)" : "warehouse",
                   paint_role(p, THEME_DIM), p->utf8);
        return;
    }
    canvas_str(c, n->y + 1, x + 1, inner - 1, "Warehouse", paint_role(p, THEME_DIM), p->utf8);
    for (size_t i = 0; i < w->n_subscriptions && (int)i + 2 < n->h - 1; i++) {
        char line[300];
        snprintf(line, sizeof line, "%s %s",
                 w->subscriptions[i].type ? w->subscriptions[i].type : "",
                 w->subscriptions[i].repo_url ? w->subscriptions[i].repo_url : "");
        canvas_str(c, n->y + 2 + (int)i, x + 1, inner - 1, line, paint_role(p, THEME_NORMAL),
                   p->utf8);
    }
}

/* Whether the canvas rectangle (x0, y0)-(x1, y1), inclusive, overlaps the visible area. */
static bool pipeline_box_visible(const struct canvas *c, int x0, int y0, int x1, int y1)
{
    return x1 >= c->sx && x0 < c->sx + c->w && y1 >= c->sy && y0 < c->sy + c->h;
}

static bool pipeline_edge_visible(const struct canvas *c, const struct layout_edge *e)
{
    if (e->n_points == 0)
        return false;
    int x0 = e->points[0].x, x1 = x0, y0 = e->points[0].y, y1 = y0;
    for (size_t i = 1; i < e->n_points; i++) {
        x0 = e->points[i].x < x0 ? e->points[i].x : x0;
        x1 = e->points[i].x > x1 ? e->points[i].x : x1;
        y0 = e->points[i].y < y0 ? e->points[i].y : y0;
        y1 = e->points[i].y > y1 ? e->points[i].y : y1;
    }
    return pipeline_box_visible(c, x0, y0, x1, y1);
}

/* Scrolls so the selected box is whole on screen (or its top-left when it is larger). */
static void pipeline_scroll(struct pipeline_view *v, int h, int w)
{
    const struct layout_node *n = pipeline_node(v);
    if (n == NULL) {
        v->sx = v->sy = 0;
        return;
    }
    if (n->x + n->w > v->sx + w)
        v->sx = n->x + n->w - w;
    if (n->x < v->sx)
        v->sx = n->x;
    if (n->y + n->h > v->sy + h)
        v->sy = n->y + n->h - h;
    if (n->y < v->sy)
        v->sy = n->y;
    /* never leave empty room at the end while part of the drawing is hidden */
    int maxx = v->layout->width - w, maxy = v->layout->height - h;
    if (v->sx > maxx)
        v->sx = maxx > 0 ? maxx : 0;
    if (v->sy > maxy)
        v->sy = maxy > 0 ? maxy : 0;
}

void pipeline_view_draw(struct pipeline_view *v, WINDOW *win, int y, int x, int h, int w,
                        const struct store *st, const struct paint *p, bool focused)
{
    if (h <= 0 || w <= 0)
        return;
    if (v->layout == NULL || v->layout->n_nodes == 0) {
        draw_text(win, y, x + 1, w - 1, "No stages or warehouses in this project.",
                  paint_role(p, THEME_DIM), p->utf8);
        return;
    }
    pipeline_scroll(v, h, w);
    struct canvas c = {win, y, x, h, w, v->sy, v->sx};
    const struct layout *l = v->layout;
    /* only what is in view: 300 Stages are a few screens, and a move redraws one of them */
    for (size_t i = 0; i < l->n_edges; i++) {
        if (!pipeline_edge_visible(&c, &l->edges[i]))
            continue;
        const struct paint_entry *pe = paint_warehouse(p, l->edges[i].origin);
        attr_t a = pe != NULL ? pe->fg & ~A_BOLD : paint_role(p, THEME_EDGE);
        pipeline_draw_edge(&c, &l->edges[i], a, p);
    }
    const struct layout_node *sel = pipeline_node(v);
    for (size_t i = 0; i < l->n_nodes; i++) {
        const struct layout_node *n = &l->nodes[i];
        if (!pipeline_box_visible(&c, n->x, n->y, n->x + n->w - 1, n->y + n->h - 1))
            continue;
        bool selected = n == sel;
        bool marked = false;
        for (size_t m = 0; n->kind == LAYOUT_STAGE && m < v->n_marked && !marked; m++)
            marked = strcmp(v->marked[m], n->name) == 0;
        if (n->kind == LAYOUT_STAGE)
            pipeline_draw_stage(&c, n, st, p, selected, focused, marked);
        else
            pipeline_draw_warehouse(&c, n, st, p, selected, focused);
    }
    /* say there is more when the drawing is larger than the area */
    if (v->sx > 0)
        draw_text(win, y + h / 2, x, 1, paint_glyph(p, "\u25c0", "<"), paint_role(p, THEME_MARK),
                  p->utf8);
    if (v->sx + w < l->width)
        draw_text(win, y + h / 2, x + w - 1, 1, paint_glyph(p, "\u25b6", ">"),
                  paint_role(p, THEME_MARK), p->utf8);
    if (v->sy > 0)
        draw_text(win, y, x + w / 2, 1, paint_glyph(p, "\u25b2", "^"), paint_role(p, THEME_MARK),
                  p->utf8);
    if (v->sy + h < l->height)
        draw_text(win, y + h - 1, x + w / 2, 1, paint_glyph(p, "\u25bc", "v"),
                  paint_role(p, THEME_MARK), p->utf8);
}
