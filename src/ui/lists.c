/* Rows of the dashboard's lists. */
#include "ui/lists.h"

#include <stdlib.h>
#include <string.h>

#include "model/derive.h"
#include "ui/describe.h"
#include "util/xalloc.h"

static const struct table_column stage_cols[] = {
    {"STAGE", 16}, {"PHASE", 17}, {"HEALTH", 12}, {"FREIGHT", 14}, {"VERSION", 0}, {"PROMOTED", 9},
};
static const struct table_column freight_cols[] = {
    {"", 1}, {"ALIAS", 16}, {"VERSION", 12}, {"WHEN", 8}, {"AVAILABILITY", 32}, {"WHERE", 0},
};
static const struct table_column promotion_cols[] = {
    {"PHASE", 10}, {"STAGE", 14}, {"FREIGHT", 16}, {"STEP", 5},
    {"BY", 24},    {"WHEN", 8},   {"NAME", 0},
};
static const struct table_column warehouse_cols[] = {
    {"WAREHOUSE", 18}, {"SUBSCRIPTIONS", 0}, {"INTERVAL", 9}, {"FREIGHT", 8}};
static const struct table_column event_cols[] = {
    {"WHEN", 8}, {"TYPE", 7}, {"REASON", 22}, {"OBJECT", 24}, {"MESSAGE", 0}};
static const struct table_column project_cols[] = {{"PROJECT", 0}};

static const struct {
    const char *title;
    const struct table_column *cols;
    size_t n;
} list_defs[LIST_KIND_COUNT] = {
#define DEF(k, title, cols) [k] = {title, cols, sizeof cols / sizeof cols[0]}
    DEF(LIST_STAGES, "Stages", stage_cols),
    DEF(LIST_FREIGHT, "Freight", freight_cols),
    DEF(LIST_PROMOTIONS, "Promotions", promotion_cols),
    DEF(LIST_WAREHOUSES, "Warehouses", warehouse_cols),
    DEF(LIST_EVENTS, "Events", event_cols),
    DEF(LIST_PROJECTS, "Projects", project_cols),
#undef DEF
};

/* What rows by reference are formatted against: set by each fill, used in the same frame. */
struct lists_ctx {
    const struct store *st;
    const struct paint *p;
    const struct kargo_stage *stage; /* the Freight list's Stage (availability), or NULL */
    char *const *marked;             /* the Stages list's marks (the owner's, set each frame) */
    size_t n_marked;
};

static void format_stage(struct table *t, const void *obj, void *ctx);
static void format_freight(struct table *t, const void *obj, void *ctx);
static void format_promotion(struct table *t, const void *obj, void *ctx);
static void format_event(struct table *t, const void *obj, void *ctx);

void lists_init(struct table *t, enum list_kind kind)
{
    static const table_format_fn formats[LIST_KIND_COUNT] = {
        [LIST_STAGES] = format_stage,
        [LIST_FREIGHT] = format_freight,
        [LIST_PROMOTIONS] = format_promotion,
        [LIST_EVENTS] = format_event,
    };
    table_init(t, list_defs[kind].cols, list_defs[kind].n, true);
    /* the long lists (and those with ages) keep references and format the rows on screen */
    if (formats[kind] != NULL)
        table_set_format(t, formats[kind], xcalloc(1, sizeof(struct lists_ctx)), free);
}

static void lists_bind(struct table *t, const struct store *st, const struct paint *p,
                       const struct kargo_stage *stage)
{
    struct lists_ctx *c = t->format_ctx;
    c->st = st;
    c->p = p;
    c->stage = stage;
}

void lists_set_marks(struct table *t, char *const *marked, size_t n)
{
    struct lists_ctx *c = t->format_ctx;
    c->marked = marked;
    c->n_marked = n;
}

const char *lists_title(enum list_kind kind)
{
    return list_defs[kind].title;
}

static attr_t stage_fg(const struct paint *p, const char *stage)
{
    const struct paint_entry *e = paint_stage(p, stage);
    return e != NULL ? e->fg : paint_role(p, THEME_NORMAL);
}

static int node_order(const void *a, const void *b)
{
    const struct layout_node *x = *(const struct layout_node *const *)a;
    const struct layout_node *y = *(const struct layout_node *const *)b;
    if (x->lane != y->lane)
        return x->lane - y->lane;
    if (x->rank != y->rank)
        return x->rank - y->rank;
    if (x->order != y->order)
        return x->order - y->order;
    return strcmp(x->name, y->name);
}

static void format_stage(struct table *t, const void *obj, void *ctx)
{
    const struct kargo_stage *s = obj;
    const struct lists_ctx *c = ctx;
    const struct store *st = c->st;
    const struct paint *p = c->p;
    bool marked = false;
    for (size_t i = 0; i < c->n_marked && !marked; i++)
        marked = strcmp(c->marked[i], s->name) == 0;
    /* as on the pipeline's boxes: a reversed check (which shows without colour too) before the
     * name; while any Stage is marked the others keep its place so the names stay aligned */
    if (marked) {
        table_add(t, 0, paint_glyph(p, "\u2713", "*"), paint_role(p, THEME_MARK) | A_REVERSE);
        table_add(t, 0, " ", 0);
    } else if (c->n_marked > 0) {
        table_add(t, 0, "  ", 0);
    }
    table_add(t, 0, s->name, stage_fg(p, s->name));
    enum stage_phase ph = derive_stage_phase(s, true);
    char step[32] = "";
    if (ph == PHASE_PROMOTING)
        describe_step(derive_active_promotion(st, s), step, sizeof step);
    table_addf(t, 1, paint_role(p, describe_phase_role(ph)), "%s %s%s%s",
               describe_phase_icon(p, ph), derive_phase_name(ph), step[0] ? " " : "", step);
    enum stage_health h = derive_stage_health(s);
    table_addf(t, 2, paint_role(p, describe_health_role(h)), "%s %s", describe_health_icon(p, h),
               h == HEALTH_NONE ? "" : derive_health_name(h));
    const struct kargo_freight_ref **cur = NULL;
    size_t n = derive_current_freight(s, &cur);
    for (size_t i = 0; i < n; i++) {
        const struct kargo_freight *f = store_freight(st, cur[i]->name);
        char art[128];
        describe_artifacts(&cur[i]->artifacts, art, sizeof art);
        table_add(t, 3, i > 0 ? " " : "", 0);
        table_add(t, 3, f != NULL && f->alias != NULL ? f->alias : cur[i]->name, A_BOLD);
        table_add(t, 4, i > 0 ? "; " : "", 0);
        table_add(t, 4, art, 0);
    }
    if (n == 0)
        table_add(t, 3, "-", paint_role(p, THEME_DIM));
    free(cur);
    if (s->auto_promotion_enabled)
        table_add(t, 0, s->n_holds > 0 ? " (paused)" : " (auto)", paint_role(p, THEME_MARK));
    char when[32];
    paint_age(p, s->last_promotion.finished, when, sizeof when);
    table_add(t, 5, when, 0);
}

void lists_fill_stages(struct table *t, const struct store *st, const struct layout *l,
                       const struct paint *p)
{
    table_clear(t);
    lists_bind(t, st, p, NULL);
    const struct kargo_stage *const *stages;
    size_t ns = store_stages(st, &stages);
    if (l != NULL) {
        const struct layout_node **order = xcalloc(l->n_nodes + 1, sizeof *order);
        size_t n = 0;
        for (size_t i = 0; i < l->n_nodes; i++)
            if (l->nodes[i].kind == LAYOUT_STAGE && !l->nodes[i].missing)
                order[n++] = &l->nodes[i];
        qsort(order, n, sizeof *order, node_order);
        for (size_t i = 0; i < n; i++) {
            const struct kargo_stage *s = store_stage(st, order[i]->name);
            if (s != NULL)
                table_row_ref(t, s->name, s);
        }
        free(order);
    } else {
        for (size_t i = 0; i < ns; i++)
            table_row_ref(t, stages[i]->name, stages[i]);
    }
    table_done(t);
}

static int freight_newest_first(const void *a, const void *b)
{
    const struct kargo_freight *x = *(const struct kargo_freight *const *)a;
    const struct kargo_freight *y = *(const struct kargo_freight *const *)b;
    if (x->discovered != y->discovered)
        return x->discovered < y->discovered ? 1 : -1;
    return strcmp(y->ref.name, x->ref.name);
}

/* Marks for where a Freight is: ● in a Stage (●staging✓ once verified there), ✓ verified there,
 * ◆ approved for it; each in the Stage's colour. */
static void freight_where(struct table *t, size_t col, const struct store *st,
                          const struct kargo_freight *f, const struct paint *p)
{
    struct freight_usage u;
    derive_freight_usage(st, f, &u);
    for (size_t i = 0; i < u.n_in; i++) {
        bool verified = false;
        for (size_t j = 0; j < u.n_verified; j++)
            verified = verified || strcmp(u.verified[j], u.in[i]) == 0;
        table_addf(t, col, stage_fg(p, u.in[i]), "%s%s%s ", paint_glyph(p, "\u25cf", "*"), u.in[i],
                   verified ? paint_glyph(p, "\u2713", "v") : "");
    }
    for (size_t i = 0; i < u.n_verified; i++) {
        bool in = false;
        for (size_t j = 0; j < u.n_in; j++)
            in = in || strcmp(u.in[j], u.verified[i]) == 0;
        if (!in)
            table_addf(t, col, stage_fg(p, u.verified[i]) & ~A_BOLD, "%s%s ",
                       paint_glyph(p, "\u2713", "v"), u.verified[i]);
    }
    for (size_t i = 0; i < u.n_approved; i++)
        table_addf(t, col, stage_fg(p, u.approved[i]) & ~A_BOLD, "%s%s ",
                   paint_glyph(p, "\u25c6", "a"), u.approved[i]);
    derive_freight_usage_free(&u);
}

static void format_freight(struct table *t, const void *obj, void *ctx)
{
    const struct kargo_freight *f = obj;
    const struct lists_ctx *c = ctx;
    const struct store *st = c->st;
    const struct paint *p = c->p;
    const struct kargo_stage *s = c->stage;
    if (s != NULL) {
        char *why = NULL, *later = NULL;
        bool ok = derive_freight_available(s, f, p->now, &why);
        /* a soak still running counts down ("needs 12m more soak") and then ends without any
         * event: the frame must come again while it does */
        bool ok_later = derive_freight_available(s, f, p->now + 60, &later);
        if (ok != ok_later || (why != NULL) != (later != NULL) ||
            (why != NULL && strcmp(why, later) != 0))
            t->ticks = true;
        free(later);
        if (ok) {
            table_add(t, 0, paint_glyph(p, "\u2713", "+"), paint_role(p, THEME_SUCCESS));
            table_add(t, 4, "available", paint_role(p, THEME_SUCCESS));
        } else {
            table_add(t, 0, paint_glyph(p, "\u00b7", "-"), paint_role(p, THEME_DIM));
            table_add(t, 4, why != NULL ? why : "not available", paint_role(p, THEME_DIM));
        }
        free(why);
    }
    table_add(t, 1, f->alias != NULL ? f->alias : f->ref.name, A_BOLD);
    char art[160], when[32];
    describe_artifacts(&f->ref.artifacts, art, sizeof art);
    /* the version column shows the recognisable one; the full list is in the details */
    describe_artifact(&f->ref.artifacts, when, sizeof when);
    table_add(t, 2, when, 0);
    paint_age(p, f->discovered != 0 ? f->discovered : f->created, when, sizeof when);
    table_add(t, 3, when, 0);
    freight_where(t, 5, st, f, p);
}

void lists_fill_freight(struct table *t, const struct store *st, const char *stage,
                        const char *warehouse, const struct paint *p)
{
    table_clear(t);
    const struct kargo_stage *s = stage != NULL ? store_stage(st, stage) : NULL;
    lists_bind(t, st, p, s);
    const struct kargo_freight **all = NULL;
    size_t n = 0, cap = 0;
    /* the origins to show: the Stage's requested ones, the Warehouse's, or every one */
    char **keys = NULL;
    size_t nkeys = 0;
    if (s != NULL) {
        keys = xcalloc(s->n_requests + 1, sizeof *keys);
        for (size_t i = 0; i < s->n_requests; i++)
            keys[nkeys++] = xstrdup(s->requests[i].origin.key);
    } else if (warehouse != NULL) {
        keys = xcalloc(2, sizeof *keys);
        keys[nkeys++] = xasprintf("Warehouse/%s", warehouse);
    } else {
        const struct kargo_warehouse *const *whs;
        size_t nw = store_warehouses(st, &whs);
        keys = xcalloc(nw + 1, sizeof *keys);
        for (size_t i = 0; i < nw; i++)
            keys[nkeys++] = xasprintf("Warehouse/%s", whs[i]->name);
    }
    for (size_t k = 0; k < nkeys; k++) {
        bool dup = false;
        for (size_t j = 0; j < k; j++)
            dup = dup || strcmp(keys[j], keys[k]) == 0;
        const struct kargo_freight *const *fs;
        size_t nf = dup ? 0 : store_freight_of_origin(st, keys[k], &fs);
        for (size_t i = 0; i < nf; i++) {
            all = xreallocarray_grow(all, &cap, n + 1, sizeof *all);
            all[n++] = fs[i];
        }
    }
    for (size_t k = 0; k < nkeys; k++)
        free(keys[k]);
    free(keys);
    if (n > 0)
        qsort(all, n, sizeof *all, freight_newest_first);
    for (size_t i = 0; i < n; i++)
        table_row_ref(t, all[i]->ref.name, all[i]);
    free(all);
    table_done(t);
}

static int promotion_newest_first(const void *a, const void *b)
{
    const struct kargo_promotion *x = *(const struct kargo_promotion *const *)a;
    const struct kargo_promotion *y = *(const struct kargo_promotion *const *)b;
    if (x->created != y->created)
        return x->created < y->created ? 1 : -1;
    return strcmp(y->name, x->name);
}

static void format_promotion(struct table *t, const void *obj, void *ctx)
{
    const struct kargo_promotion *pr = obj;
    const struct store *st = ((struct lists_ctx *)ctx)->st;
    const struct paint *p = ((struct lists_ctx *)ctx)->p;
    const char *phase = pr->phase != NULL && pr->phase[0] != '\0' ? pr->phase : "Pending";
    table_add(t, 0, phase, paint_role(p, describe_promotion_role(pr->phase)));
    table_add(t, 1, pr->stage, stage_fg(p, pr->stage));
    const char *fname = pr->freight != NULL ? pr->freight : pr->status_freight.name;
    const struct kargo_freight *f = fname != NULL ? store_freight(st, fname) : NULL;
    table_add(t, 2, f != NULL && f->alias != NULL ? f->alias : (fname != NULL ? fname : "-"), 0);
    char step[32];
    describe_step(pr, step, sizeof step);
    table_add(t, 3, step, paint_role(p, THEME_PHASE_PROMOTING));
    table_add(t, 4, pr->create_actor != NULL ? pr->create_actor : "-", paint_role(p, THEME_DIM));
    char when[32];
    paint_age(p, pr->created, when, sizeof when);
    table_add(t, 5, when, 0);
    table_add(t, 6, pr->name, paint_role(p, THEME_DIM));
}

void lists_fill_promotions(struct table *t, const struct store *st, const char *stage,
                           const struct paint *p)
{
    table_clear(t);
    lists_bind(t, st, p, NULL);
    const struct kargo_promotion **all = NULL;
    size_t n = 0, cap = 0;
    const struct kargo_stage *const *stages;
    size_t ns = store_stages(st, &stages);
    for (size_t i = 0; i < ns; i++) {
        if (stage != NULL && strcmp(stages[i]->name, stage) != 0)
            continue;
        const struct kargo_promotion *const *ps;
        size_t np = store_stage_promotions(st, stages[i]->name, &ps);
        for (size_t j = 0; j < np; j++) {
            all = xreallocarray_grow(all, &cap, n + 1, sizeof *all);
            all[n++] = ps[j];
        }
    }
    if (n > 0)
        qsort(all, n, sizeof *all, promotion_newest_first);
    for (size_t i = 0; i < n; i++)
        table_row_ref(t, all[i]->name, all[i]);
    free(all);
    table_done(t);
}

void lists_fill_warehouses(struct table *t, const struct store *st, const struct paint *p)
{
    table_clear(t);
    const struct kargo_warehouse *const *whs;
    size_t nw = store_warehouses(st, &whs);
    for (size_t i = 0; i < nw; i++) {
        const struct kargo_warehouse *w = whs[i];
        const struct paint_entry *e = paint_warehouse(p, w->name);
        table_row(t, w->name, 0);
        table_add(t, 0, w->name, e != NULL ? e->fg : 0);
        for (size_t j = 0; j < w->n_subscriptions; j++)
            table_addf(t, 1, 0, "%s%s %s", j > 0 ? ", " : "",
                       w->subscriptions[j].type ? w->subscriptions[j].type : "",
                       w->subscriptions[j].repo_url ? w->subscriptions[j].repo_url : "");
        table_add(t, 2, w->interval != NULL ? w->interval : "-", 0);
        char *key = xasprintf("Warehouse/%s", w->name);
        const struct kargo_freight *const *fs;
        table_addf(t, 3, 0, "%zu", store_freight_of_origin(st, key, &fs));
        free(key);
    }
    table_done(t);
}

static void format_event(struct table *t, const void *obj, void *ctx)
{
    const struct kargo_event *e = obj;
    const struct paint *p = ((struct lists_ctx *)ctx)->p;
    char when[32];
    paint_age(p, e->at, when, sizeof when);
    table_add(t, 0, when, 0);
    bool warn = e->type != NULL && strcmp(e->type, "Warning") == 0;
    table_add(t, 1, e->type != NULL ? e->type : "",
              paint_role(p, warn ? THEME_WARNING : THEME_DIM));
    table_add(t, 2, e->reason != NULL ? e->reason : "", warn ? paint_role(p, THEME_WARNING) : 0);
    table_addf(t, 3, 0, "%s/%s", e->object_kind != NULL ? e->object_kind : "",
               e->object_name != NULL ? e->object_name : "");
    table_add(t, 4, e->message != NULL ? e->message : "", 0);
}

void lists_fill_events(struct table *t, const struct store *st, const struct paint *p)
{
    table_clear(t);
    lists_bind(t, st, p, NULL);
    const struct kargo_event *const *evs;
    size_t n = store_events(st, &evs);
    for (size_t k = n; k-- > 0;)
        table_row_ref(t, evs[k]->name, evs[k]);
    table_done(t);
}

void lists_fill_projects(struct table *t, char *const *names, size_t n, const char *current,
                         const struct paint *p)
{
    table_clear(t);
    for (size_t i = 0; i < n; i++) {
        bool cur = current != NULL && strcmp(current, names[i]) == 0;
        table_row(t, names[i], 0);
        table_add(t, 0, names[i], cur ? paint_role(p, THEME_TITLE) : 0);
        if (cur)
            table_add(t, 0, "  (open)", paint_role(p, THEME_DIM));
    }
    table_done(t);
}
