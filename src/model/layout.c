/* A layered layout in the manner of dagre (which the Kargo UI uses), reduced to what a terminal
 * needs: longest-path ranks, one barycenter sweep from left to right that keeps a node on its
 * upstream's row when it can (so a linear pipeline is one straight row), connected components as
 * lanes stacked top to bottom, and orthogonal edges routed through the gaps between boxes. */
#include "model/layout.h"

#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/hmap.h"
#include "util/xalloc.h"

#define GAP_X         6 /* columns between ranks: room for a bend and an arrowhead */
#define GAP_X_COMPACT 3
#define GAP_Y         1 /* a free row between boxes carries edges that jump ranks */
#define GAP_LANE      1 /* an extra row between lanes */
#define MIN_BOX_W     10
#define COMPACT_BOX_H 3 /* a border, one line of text, a border */

struct builder {
    struct layout *l;
    size_t cap_nodes, cap_edges;
    struct hmap index; /* "W:name" / "S:name" -> node index + 1 */
};

static long node_lookup(const struct builder *b, enum layout_kind kind, const char *name)
{
    char *key = xasprintf("%c:%s", kind == LAYOUT_WAREHOUSE ? 'W' : 'S', name);
    void *v = hmap_get(&b->index, key);
    free(key);
    return v ? (long)((size_t)v - 1) : -1;
}

static size_t node_add(struct builder *b, enum layout_kind kind, const char *name, bool missing)
{
    long found = node_lookup(b, kind, name);
    if (found >= 0)
        return (size_t)found;
    struct layout *l = b->l;
    l->nodes = xreallocarray_grow(l->nodes, &b->cap_nodes, l->n_nodes + 1, sizeof *l->nodes);
    struct layout_node *n = &l->nodes[l->n_nodes];
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->name = xstrdup(name);
    n->missing = missing;
    char *key = xasprintf("%c:%s", kind == LAYOUT_WAREHOUSE ? 'W' : 'S', name);
    hmap_put(&b->index, key, (void *)(l->n_nodes + 1));
    free(key);
    return l->n_nodes++;
}

static void edge_add(struct builder *b, size_t from, size_t to, const char *origin)
{
    struct layout *l = b->l;
    if (from == to)
        return;
    for (size_t i = 0; i < l->n_edges; i++)
        if (l->edges[i].from == from && l->edges[i].to == to)
            return; /* one line per pair of boxes even when several origins flow along it */
    l->edges = xreallocarray_grow(l->edges, &b->cap_edges, l->n_edges + 1, sizeof *l->edges);
    l->edges[l->n_edges++] =
        (struct layout_edge){.from = from, .to = to, .origin = xstrdup(origin)};
}

/* Incoming edges per node, as offsets into one array (CSR). */
struct preds {
    size_t *start; /* n_nodes + 1 */
    size_t *edge;
};

static void preds_build(const struct layout *l, struct preds *p)
{
    p->start = xcalloc(l->n_nodes + 1, sizeof *p->start);
    p->edge = xcalloc(l->n_edges ? l->n_edges : 1, sizeof *p->edge);
    for (size_t e = 0; e < l->n_edges; e++)
        p->start[l->edges[e].to + 1]++;
    for (size_t i = 0; i < l->n_nodes; i++)
        p->start[i + 1] += p->start[i];
    size_t *fill = xcalloc(l->n_nodes, sizeof *fill);
    for (size_t e = 0; e < l->n_edges; e++) {
        size_t t = l->edges[e].to;
        p->edge[p->start[t] + fill[t]++] = e;
    }
    free(fill);
}

static void preds_free(struct preds *p)
{
    free(p->start);
    free(p->edge);
}

/* Longest path from a warehouse; state 1 marks nodes on the current path, so an edge back to
 * one (a cycle Kargo's webhook would not stop) is ignored and marked in back[]. */
static int rank_of(struct layout *l, const struct preds *p, char *state, bool *back, size_t n)
{
    struct layout_node *node = &l->nodes[n];
    if (state[n] == 2)
        return node->rank;
    if (node->kind == LAYOUT_WAREHOUSE) {
        state[n] = 2;
        node->rank = 0;
        return 0;
    }
    state[n] = 1;
    int r = 1;
    for (size_t i = p->start[n]; i < p->start[n + 1]; i++) {
        size_t e = p->edge[i];
        size_t from = l->edges[e].from;
        if (state[from] == 1) {
            back[e] = true;
            continue;
        }
        int fr = rank_of(l, p, state, back, from) + 1;
        if (fr > r)
            r = fr;
    }
    node->rank = r;
    state[n] = 2;
    return r;
}

static size_t uf_find(size_t *parent, size_t x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}

/* The part of a name before its first '-' or '.': "red" for red-staging and red-releases. */
static size_t name_token(const char *name)
{
    return strcspn(name, "-.");
}

/* Pipelines are the connected components, numbered in order of their first node (warehouses by
 * name come first). A lane holds one pipeline, or several when every name in each of them starts
 * with the same token: microsvcs' red-dev -> red-development and red-releases -> red-staging ->
 * red-production share the lane "red", one row each. */
static void assign_lanes(struct layout *l)
{
    size_t n_nodes = l->n_nodes ? l->n_nodes : 1;
    size_t *parent = xcalloc(n_nodes, sizeof *parent);
    for (size_t n = 0; n < l->n_nodes; n++)
        parent[n] = n;
    for (size_t e = 0; e < l->n_edges; e++) {
        size_t a = uf_find(parent, l->edges[e].from), c = uf_find(parent, l->edges[e].to);
        if (a != c)
            parent[a > c ? a : c] = a < c ? a : c;
    }
    /* the token shared by every node of a component, or none (mixed[root]) */
    size_t *token_of = xcalloc(n_nodes, sizeof *token_of); /* node index of the first name + 1 */
    bool *mixed = xcalloc(n_nodes, sizeof *mixed);
    for (size_t n = 0; n < l->n_nodes; n++) {
        size_t root = uf_find(parent, n);
        const char *name = l->nodes[n].name;
        if (token_of[root] == 0) {
            token_of[root] = n + 1;
            continue;
        }
        const char *first = l->nodes[token_of[root] - 1].name;
        size_t len = name_token(first);
        if (name_token(name) != len || strncmp(first, name, len) != 0)
            mixed[root] = true;
    }
    int *pipeline_of_root = xcalloc(n_nodes, sizeof *pipeline_of_root);
    int *lane_of_root = xcalloc(n_nodes, sizeof *lane_of_root);
    for (size_t n = 0; n < l->n_nodes; n++)
        pipeline_of_root[n] = lane_of_root[n] = -1;
    struct hmap lanes; /* token -> lane + 1 */
    hmap_init(&lanes);
    int n_pipelines = 0;
    for (size_t n = 0; n < l->n_nodes; n++) {
        size_t root = uf_find(parent, n);
        if (pipeline_of_root[root] < 0) {
            pipeline_of_root[root] = n_pipelines++;
            const char *first = l->nodes[token_of[root] - 1].name;
            char *token = mixed[root] ? NULL : xstrndup(first, name_token(first));
            void *lane = token ? hmap_get(&lanes, token) : NULL;
            if (lane != NULL) {
                lane_of_root[root] = (int)((size_t)lane - 1);
            } else {
                lane_of_root[root] = l->n_lanes++;
                if (token != NULL)
                    hmap_put(&lanes, token, (void *)(size_t)l->n_lanes);
            }
            free(token);
        }
        l->nodes[n].pipeline = pipeline_of_root[root];
        l->nodes[n].lane = lane_of_root[root];
    }
    l->n_pipelines = n_pipelines;
    hmap_free(&lanes, NULL);
    free(parent);
    free(token_of);
    free(mixed);
    free(pipeline_of_root);
    free(lane_of_root);
}

struct sort_item {
    size_t node;
    double key; /* barycenter of upstream rows; larger than any row when there is none */
};

static int sort_item_cmp(const void *a, const void *b)
{
    const struct sort_item *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->node < y->node ? -1 : x->node > y->node;
}

/* Rows inside each lane: warehouses by name; then rank by rank, each node as close to the
 * average row of its upstreams as the nodes already placed in that rank allow. */
static void assign_rows(struct layout *l, const struct preds *p, const bool *back, int *lane_rows)
{
    struct sort_item *items = xcalloc(l->n_nodes ? l->n_nodes : 1, sizeof *items);
    for (int lane = 0; lane < l->n_lanes; lane++) {
        lane_rows[lane] = 1;
        for (int rank = 0; rank < l->n_ranks; rank++) {
            size_t k = 0;
            for (size_t n = 0; n < l->n_nodes; n++) {
                struct layout_node *node = &l->nodes[n];
                if (node->lane != lane || node->rank != rank)
                    continue;
                double sum = 0;
                int cnt = 0;
                for (size_t i = p->start[n]; i < p->start[n + 1]; i++) {
                    if (back[p->edge[i]])
                        continue;
                    sum += l->nodes[l->edges[p->edge[i]].from].order;
                    cnt++;
                }
                items[k++] = (struct sort_item){n, cnt ? sum / cnt : (double)INT_MAX};
            }
            qsort(items, k, sizeof *items, sort_item_cmp);
            int prev = -1;
            for (size_t i = 0; i < k; i++) {
                int want = prev + 1;
                if (items[i].key != (double)INT_MAX) {
                    /* round half down: between two upstreams, stay level with the upper one */
                    int centre = (int)(items[i].key + 0.4999);
                    if (centre > want)
                        want = centre;
                }
                l->nodes[items[i].node].order = want;
                prev = want;
                if (want + 1 > lane_rows[lane])
                    lane_rows[lane] = want + 1;
            }
        }
    }
    free(items);
}

static void point_add(struct layout_edge *e, size_t *cap, int x, int y)
{
    if (e->n_points > 0) {
        struct layout_point *last = &e->points[e->n_points - 1];
        if (last->x == x && last->y == y)
            return;
        /* extend a straight run instead of adding a collinear point */
        if (e->n_points > 1) {
            struct layout_point *prev = &e->points[e->n_points - 2];
            if ((prev->x == last->x && last->x == x) || (prev->y == last->y && last->y == y)) {
                last->x = x;
                last->y = y;
                return;
            }
        }
    }
    e->points = xreallocarray_grow(e->points, cap, e->n_points + 1, sizeof *e->points);
    e->points[e->n_points++] = (struct layout_point){x, y};
}

/* Rows the drawing takes with boxes box_h rows tall. */
static int lanes_height(const struct layout *l, const int *lane_rows, int box_h)
{
    int h = 0;
    for (int lane = 0; lane < l->n_lanes; lane++)
        h += lane_rows[lane] * (box_h + GAP_Y) + GAP_LANE;
    return l->n_lanes ? h - GAP_Y - GAP_LANE : 0;
}

static bool box_hits_row(const struct layout *l, int y, int x1, int x2, size_t skip1, size_t skip2)
{
    if (x1 > x2) {
        int t = x1;
        x1 = x2;
        x2 = t;
    }
    for (size_t n = 0; n < l->n_nodes; n++) {
        const struct layout_node *b = &l->nodes[n];
        if (n == skip1 || n == skip2)
            continue;
        if (y >= b->y && y < b->y + b->h && x2 >= b->x && x1 < b->x + b->w)
            return true;
    }
    return false;
}

static void route(struct layout *l, struct layout_edge *e, int gap)
{
    const struct layout_node *s = &l->nodes[e->from], *t = &l->nodes[e->to];
    size_t cap = 0;
    int sx = s->x + s->w, sy = s->y + s->h / 2;
    int tx = t->x - 1, ty = t->y + t->h / 2;
    int mx = t->x - 1 - gap / 2; /* the bend column, in the gap before the target */
    point_add(e, &cap, sx, sy);
    if (mx >= sx && !box_hits_row(l, sy, sx, mx, e->from, e->to)) {
        point_add(e, &cap, mx, sy);
    } else {
        /* leave down the column where edges to the next rank bend (so they share a trunk), and
         * run along the free row under the source */
        int gx = sx + gap - 1 - gap / 2;
        int cy = s->y + s->h;
        point_add(e, &cap, gx, sy);
        point_add(e, &cap, gx, cy);
        point_add(e, &cap, mx, cy);
    }
    point_add(e, &cap, mx, ty);
    point_add(e, &cap, tx, ty);
}

struct layout *layout_compute(const struct kargo_warehouse *const *warehouses, size_t n_wh,
                              const struct kargo_stage *const *stages, size_t n_st,
                              const struct layout_params *params)
{
    struct builder b = {.l = xcalloc(1, sizeof *b.l)};
    struct layout *l = b.l;
    hmap_init(&b.index);

    for (size_t i = 0; i < n_wh; i++)
        node_add(&b, LAYOUT_WAREHOUSE, warehouses[i]->name, false);
    for (size_t i = 0; i < n_st; i++)
        node_add(&b, LAYOUT_STAGE, stages[i]->name, false);
    for (size_t i = 0; i < n_st; i++) {
        size_t to = (size_t)node_lookup(&b, LAYOUT_STAGE, stages[i]->name);
        for (size_t r = 0; r < stages[i]->n_requests; r++) {
            const struct kargo_freight_request *req = &stages[i]->requests[r];
            if (req->direct) {
                size_t from = node_add(&b, LAYOUT_WAREHOUSE, req->origin.name,
                                       node_lookup(&b, LAYOUT_WAREHOUSE, req->origin.name) < 0);
                edge_add(&b, from, to, req->origin.name);
            }
            for (size_t u = 0; u < req->n_stages; u++) {
                size_t from = node_add(&b, LAYOUT_STAGE, req->stages[u],
                                       node_lookup(&b, LAYOUT_STAGE, req->stages[u]) < 0);
                edge_add(&b, from, to, req->origin.name);
            }
        }
    }
    hmap_free(&b.index, NULL);

    struct preds p;
    preds_build(l, &p);
    char *state = xcalloc(l->n_nodes ? l->n_nodes : 1, 1);
    bool *back = xcalloc(l->n_edges ? l->n_edges : 1, sizeof *back);
    l->n_ranks = l->n_nodes ? 1 : 0;
    for (size_t n = 0; n < l->n_nodes; n++) {
        int r = rank_of(l, &p, state, back, n);
        if (r + 1 > l->n_ranks)
            l->n_ranks = r + 1;
    }
    free(state);

    assign_lanes(l);

    int *lane_rows = xcalloc(l->n_lanes ? (size_t)l->n_lanes : 1, sizeof *lane_rows);
    assign_rows(l, &p, back, lane_rows);
    preds_free(&p);
    free(back);

    /* sizes: shrink boxes (and flatten them) only when the preferred ones do not fit */
    int gap = GAP_X;
    l->box_w = params->box_w > 0 ? params->box_w : 24;
    l->box_h = params->box_h > 0 ? params->box_h : 5;
    int ranks = l->n_ranks > 0 ? l->n_ranks : 1;
    if (params->width > 0 && ranks * (l->box_w + gap) - gap > params->width) {
        l->compact = true;
        gap = GAP_X_COMPACT;
        int w = (params->width - (ranks - 1) * gap) / ranks;
        l->box_w = w < MIN_BOX_W ? MIN_BOX_W : (w < l->box_w ? w : l->box_w);
        if (l->box_h > COMPACT_BOX_H &&
            (params->height <= 0 || lanes_height(l, lane_rows, l->box_h) > params->height))
            l->box_h = COMPACT_BOX_H;
    }
    int *lane_y = xcalloc((size_t)l->n_lanes + 1, sizeof *lane_y);
    for (int lane = 0; lane < l->n_lanes; lane++)
        lane_y[lane + 1] = lane_y[lane] + lane_rows[lane] * (l->box_h + GAP_Y) + GAP_LANE;
    for (size_t n = 0; n < l->n_nodes; n++) {
        struct layout_node *node = &l->nodes[n];
        node->w = l->box_w;
        node->h = l->box_h;
        node->x = node->rank * (l->box_w + gap);
        node->y = lane_y[node->lane] + node->order * (l->box_h + GAP_Y);
    }
    l->width = l->n_nodes ? ranks * (l->box_w + gap) - gap : 0;
    l->height = l->n_lanes ? lane_y[l->n_lanes] - GAP_Y - GAP_LANE : 0;
    free(lane_y);
    free(lane_rows);

    for (size_t e = 0; e < l->n_edges; e++)
        route(l, &l->edges[e], gap);
    return l;
}

void layout_free(struct layout *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < l->n_nodes; i++)
        free(l->nodes[i].name);
    free(l->nodes);
    for (size_t i = 0; i < l->n_edges; i++) {
        free(l->edges[i].origin);
        free(l->edges[i].points);
    }
    free(l->edges);
    free(l);
}

long layout_find(const struct layout *l, enum layout_kind kind, const char *name)
{
    for (size_t i = 0; i < l->n_nodes; i++)
        if (l->nodes[i].kind == kind && strcmp(l->nodes[i].name, name) == 0)
            return (long)i;
    return -1;
}

struct seg {
    size_t edge;
    int x1, y1, x2, y2; /* normalised: x1 <= x2, y1 <= y2 */
};

static bool strictly_inside(int v, int lo, int hi)
{
    return v > lo && v < hi;
}

size_t layout_crossings(const struct layout *l)
{
    size_t n_segs = 0, cap = 0;
    struct seg *segs = NULL;
    for (size_t e = 0; e < l->n_edges; e++) {
        const struct layout_edge *ed = &l->edges[e];
        for (size_t i = 0; i + 1 < ed->n_points; i++) {
            struct layout_point a = ed->points[i], c = ed->points[i + 1];
            segs = xreallocarray_grow(segs, &cap, n_segs + 1, sizeof *segs);
            segs[n_segs++] = (struct seg){e, a.x < c.x ? a.x : c.x, a.y < c.y ? a.y : c.y,
                                          a.x < c.x ? c.x : a.x, a.y < c.y ? c.y : a.y};
        }
    }
    size_t count = 0;
    for (size_t i = 0; i < n_segs; i++) {
        const struct seg *h = &segs[i];
        if (h->y1 != h->y2)
            continue;
        for (size_t j = 0; j < n_segs; j++) {
            const struct seg *v = &segs[j];
            if (v->x1 != v->x2 || v->edge == h->edge)
                continue;
            if (strictly_inside(v->x1, h->x1, h->x2) && strictly_inside(h->y1, v->y1, v->y2))
                count++;
        }
    }
    for (size_t i = 0; i < n_segs; i++) {
        const struct seg *s = &segs[i];
        const struct layout_edge *ed = &l->edges[s->edge];
        for (size_t n = 0; n < l->n_nodes; n++) {
            const struct layout_node *b = &l->nodes[n];
            if (n == ed->from || n == ed->to)
                continue;
            if (s->x2 >= b->x && s->x1 < b->x + b->w && s->y2 >= b->y && s->y1 < b->y + b->h)
                count++;
        }
    }
    free(segs);
    return count;
}
