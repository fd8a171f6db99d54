/* `kargotop get KIND [NAME]...`: a project's objects as the kargo CLI lists them (plus `-o wide`
 * extras derived by the model), as JSON, YAML or names, and `-w` to follow changes. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli_internal.h"
#include "kube/informer.h"
#include "model/derive.h"
#include "model/store.h"
#include "output.h"
#include "util/hmap.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "util/timefmt.h"
#include "util/xalloc.h"
#include "util/yamlout.h"

#define MAX_COLS 12

struct get_run;

/* One kind `get` knows: its names on the command line, where it lives, how a row reads. */
struct get_kind {
    const char *words[5]; /* accepted spellings, NULL-terminated */
    const char *plural;
    const char *kind;  /* "Stage" */
    const char *lower; /* "stage", for -o name */
    bool cluster;      /* cluster-scoped (projects) */
    enum kargo_kind store_kind;
    const char *const *headers; /* table columns, then the -o wide extras */
    size_t ncols;
    size_t nwide;
    unsigned filters; /* which of --stage, --warehouse, --alias apply */
    void *(*decode)(const cJSON *obj, char **cause);
    void (*free)(void *obj);
    const char *(*name_of)(const void *obj);
    /* false when the object is filtered out; else the cells (ncols + nwide) */
    bool (*row)(struct get_run *r, const void *obj, const cJSON *raw, struct strbuf *cells);
};

#define F_STAGE     1u
#define F_WAREHOUSE 2u
#define F_ALIAS     4u

struct get_run {
    struct cli_ctx *c;
    const struct get_kind *k;
    enum out_format fmt;
    struct store *st; /* the project's objects the rows derive from */
    time_t now;
    struct out_table table;
    struct hmap printed;          /* watch: name -> resourceVersion last printed */
    pthread_mutex_t mu;           /* watch: rows come from the I/O thread */
    volatile sig_atomic_t broken; /* stdout failed: stop */
};

/* ---- cells ------------------------------------------------------------------------------ */

static void age_cell(struct strbuf *cell, time_t t, time_t now)
{
    char buf[32];
    if (t == 0)
        return;
    timefmt_kube_age((long long)(now - t), buf, sizeof buf);
    strbuf_append(cell, buf);
}

static const char *cond_status(const struct kargo_condition *c, size_t n, const char *type)
{
    const struct kargo_condition *k = kargo_condition(c, n, type);
    return k && k->status ? k->status : "";
}

static const char *cond_message(const struct kargo_condition *c, size_t n, const char *type)
{
    const struct kargo_condition *k = kargo_condition(c, n, type);
    return k && k->message ? k->message : "";
}

/* The artifact a person knows a Freight by, with its repository: "ghcr.io/x/app:1.2.0". */
static void artifact_cell(struct strbuf *cell, const struct kargo_artifacts *a)
{
    if (a->n_images > 0)
        strbuf_appendf(cell, "%s:%s", a->images[0].repo_url ? a->images[0].repo_url : "",
                       a->images[0].tag      ? a->images[0].tag
                       : a->images[0].digest ? a->images[0].digest
                                             : "");
    else if (a->n_charts > 0)
        strbuf_appendf(cell, "%s%s%s:%s", a->charts[0].repo_url ? a->charts[0].repo_url : "",
                       a->charts[0].name && a->charts[0].name[0] ? "/" : "",
                       a->charts[0].name ? a->charts[0].name : "",
                       a->charts[0].version ? a->charts[0].version : "");
    else if (a->n_commits > 0)
        strbuf_appendf(cell, "%s@%.7s", a->commits[0].repo_url ? a->commits[0].repo_url : "",
                       a->commits[0].id ? a->commits[0].id : "");
    else if (a->n_generic > 0)
        strbuf_appendf(cell, "%s:%s", a->generic[0].type ? a->generic[0].type : "",
                       a->generic[0].version ? a->generic[0].version : "");
    size_t more = a->n_images + a->n_charts + a->n_commits + a->n_generic;
    if (more > 1)
        strbuf_appendf(cell, " (+%zu)", more - 1);
}

static void join_cell(struct strbuf *cell, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        strbuf_appendf(cell, "%s%s", i ? "," : "", names[i]);
}

/* ---- kinds ------------------------------------------------------------------------------ */

static bool project_row(struct get_run *r, const void *obj, const cJSON *raw, struct strbuf *cells)
{
    (void)raw;
    const struct kargo_project *p = obj;
    strbuf_append(&cells[0], p->name);
    strbuf_append(&cells[1], cond_status(p->conditions, p->n_conditions, "Ready"));
    strbuf_append(&cells[2], cond_message(p->conditions, p->n_conditions, "Ready"));
    age_cell(&cells[3], p->created, r->now);
    return true;
}

static bool stage_row(struct get_run *r, const void *obj, const cJSON *raw, struct strbuf *cells)
{
    (void)raw;
    const struct kargo_stage *s = obj;
    const struct cli_args *a = r->c->a;
    if (a->warehouse != NULL) {
        bool fed = false;
        for (size_t i = 0; i < s->n_requests && !fed; i++)
            fed = strcmp(s->requests[i].origin.name, a->warehouse) == 0;
        if (!fed)
            return false;
    }
    strbuf_append(&cells[0], s->name);
    strbuf_append(&cells[1], s->shard ? s->shard : "");
    strbuf_append(&cells[2], s->freight_summary ? s->freight_summary : "");
    strbuf_append(&cells[3], s->health ? s->health : "");
    strbuf_append(&cells[4], cond_status(s->conditions, s->n_conditions, "Ready"));
    strbuf_append(&cells[5], cond_message(s->conditions, s->n_conditions, "Ready"));
    age_cell(&cells[6], s->created, r->now);
    if (r->fmt != OUT_WIDE)
        return true;
    strbuf_append(&cells[7], derive_phase_name(derive_stage_phase(s, true)));
    const struct kargo_freight_ref **cur = NULL;
    size_t n = derive_current_freight(s, &cur);
    for (size_t i = 0; i < n; i++) {
        const struct kargo_freight *f = store_freight(r->st, cur[i]->name);
        strbuf_appendf(&cells[8], "%s%s", i ? "," : "",
                       f && f->alias && f->alias[0] ? f->alias : cur[i]->name);
    }
    free(cur);
    if (s->control_flow)
        strbuf_append(&cells[9], "");
    else if (!s->auto_promotion_enabled)
        strbuf_append(&cells[9], "off");
    else
        strbuf_append(&cells[9], s->n_holds > 0 ? "paused" : "on");
    return true;
}

/* With --stage S: what the Freight is to S (current, previous: a rollback target, available),
 * or NULL when it is none of them and the row is left out. */
static const char *freight_for_stage(struct get_run *r, const struct kargo_freight *f)
{
    const struct kargo_stage *s = store_stage(r->st, r->c->a->stage);
    if (s == NULL)
        return NULL;
    const struct kargo_freight_ref **cur = NULL;
    size_t n = derive_current_freight(s, &cur);
    bool current = false;
    for (size_t i = 0; i < n && !current; i++)
        current = cur[i]->name != NULL && strcmp(cur[i]->name, f->ref.name) == 0;
    free(cur);
    if (current)
        return "current";
    struct history_entry *h = NULL;
    size_t nh = derive_stage_history(r->st, s, f->ref.origin.key, &h);
    bool previous = false;
    for (size_t i = 0; i < nh && !previous; i++)
        previous = strcmp(h[i].freight->name, f->ref.name) == 0;
    free(h);
    if (previous)
        return "previous";
    return derive_freight_available(s, f, r->now, NULL) ? "available" : NULL;
}

static bool freight_row(struct get_run *r, const void *obj, const cJSON *raw, struct strbuf *cells)
{
    (void)raw;
    const struct kargo_freight *f = obj;
    const struct cli_args *a = r->c->a;
    if (a->warehouse != NULL && strcmp(f->ref.origin.name, a->warehouse) != 0)
        return false;
    if (a->alias != NULL && (f->alias == NULL || strcmp(f->alias, a->alias) != 0))
        return false;
    const char *for_stage = NULL;
    if (a->stage != NULL && (for_stage = freight_for_stage(r, f)) == NULL)
        return false;
    strbuf_append(&cells[0], f->ref.name);
    strbuf_append(&cells[1], f->alias ? f->alias : "");
    strbuf_append(&cells[2], f->ref.origin.key);
    age_cell(&cells[3], f->discovered, r->now);
    size_t i = 4;
    if (r->fmt == OUT_WIDE) {
        artifact_cell(&cells[i++], &f->ref.artifacts);
        struct freight_usage u;
        derive_freight_usage(r->st, f, &u);
        join_cell(&cells[i++], u.in, u.n_in);
        derive_freight_usage_free(&u);
    }
    if (for_stage != NULL)
        strbuf_append(&cells[i], for_stage);
    return true;
}

static bool promotion_row(struct get_run *r, const void *obj, const cJSON *raw,
                          struct strbuf *cells)
{
    const struct kargo_promotion *p = obj;
    const struct cli_args *a = r->c->a;
    if (a->stage != NULL && (p->stage == NULL || strcmp(p->stage, a->stage) != 0))
        return false;
    const char *shard =
        json_get_string(raw, "metadata", "labels", "kargo.akuity.io/shard", (char *)NULL);
    strbuf_append(&cells[0], p->name);
    strbuf_append(&cells[1], shard ? shard : "");
    strbuf_append(&cells[2], p->stage ? p->stage : "");
    strbuf_append(&cells[3], p->freight ? p->freight : "");
    strbuf_append(&cells[4], p->phase ? p->phase : "");
    age_cell(&cells[5], p->created, r->now);
    if (r->fmt != OUT_WIDE)
        return true;
    struct promotion_step step;
    if (derive_promotion_step(p, &step))
        strbuf_appendf(&cells[6], "%zu/%zu %s", step.index + 1, step.total,
                       step.alias ? step.alias : "");
    strbuf_append(&cells[7], p->create_actor ? p->create_actor : "");
    strbuf_append(&cells[8], p->message ? p->message : "");
    return true;
}

static bool warehouse_row(struct get_run *r, const void *obj, const cJSON *raw,
                          struct strbuf *cells)
{
    const struct kargo_warehouse *w = obj;
    const char *shard = json_get_string(raw, "spec", "shard", (char *)NULL);
    strbuf_append(&cells[0], w->name);
    strbuf_append(&cells[1], shard ? shard : "");
    age_cell(&cells[2], w->created, r->now);
    if (r->fmt != OUT_WIDE)
        return true;
    strbuf_append(&cells[3], w->interval ? w->interval : "");
    for (size_t i = 0; i < w->n_subscriptions; i++)
        strbuf_appendf(&cells[4], "%s%s", i ? "," : "",
                       w->subscriptions[i].repo_url ? w->subscriptions[i].repo_url : "");
    strbuf_append(&cells[5], w->last_freight ? w->last_freight : "");
    return true;
}

static void *dec_project(const cJSON *o, char **cause)
{
    return kargo_decode_project(o, cause);
}
static void *dec_stage(const cJSON *o, char **cause)
{
    return kargo_decode_stage(o, cause);
}
static void *dec_freight(const cJSON *o, char **cause)
{
    return kargo_decode_freight(o, cause);
}
static void *dec_promotion(const cJSON *o, char **cause)
{
    return kargo_decode_promotion(o, cause);
}
static void *dec_warehouse(const cJSON *o, char **cause)
{
    return kargo_decode_warehouse(o, cause);
}
static void free_project(void *o)
{
    kargo_free_project(o);
}
static void free_stage(void *o)
{
    kargo_free_stage(o);
}
static void free_freight(void *o)
{
    kargo_free_freight(o);
}
static void free_promotion(void *o)
{
    kargo_free_promotion(o);
}
static void free_warehouse(void *o)
{
    kargo_free_warehouse(o);
}
static const char *name_project(const void *o)
{
    return ((const struct kargo_project *)o)->name;
}
static const char *name_stage(const void *o)
{
    return ((const struct kargo_stage *)o)->name;
}
static const char *name_freight(const void *o)
{
    return ((const struct kargo_freight *)o)->ref.name;
}
static const char *name_promotion(const void *o)
{
    return ((const struct kargo_promotion *)o)->name;
}
static const char *name_warehouse(const void *o)
{
    return ((const struct kargo_warehouse *)o)->name;
}

static const char *const project_headers[] = {"NAME", "*READY", "STATUS", "AGE"};
static const char *const stage_headers[] = {
    "NAME",   "SHARD", "CURRENT FREIGHT", "*HEALTH", "*READY",
    "STATUS", "AGE",   "*PHASE",          "ALIAS",   "*AUTO-PROMOTION"};
static const char *const freight_headers[] = {"NAME", "ALIAS", "ORIGIN", "AGE", "ARTIFACT", "IN"};
static const char *const promotion_headers[] = {"NAME", "SHARD", "STAGE", "FREIGHT", "*PHASE",
                                                "AGE",  "STEP",  "ACTOR", "MESSAGE"};
static const char *const warehouse_headers[] = {"NAME",     "SHARD",         "AGE",
                                                "INTERVAL", "SUBSCRIPTIONS", "LAST FREIGHT"};

static const struct get_kind get_kinds[] = {
    {{"projects", "project", NULL},
     "projects",
     "Project",
     "project",
     true,
     KARGO_PROJECT,
     project_headers,
     4,
     0,
     0,
     dec_project,
     free_project,
     name_project,
     project_row},
    {{"stages", "stage", NULL},
     "stages",
     "Stage",
     "stage",
     false,
     KARGO_STAGE,
     stage_headers,
     7,
     3,
     F_WAREHOUSE,
     dec_stage,
     free_stage,
     name_stage,
     stage_row},
    {{"freight", "freights", NULL},
     "freights",
     "Freight",
     "freight",
     false,
     KARGO_FREIGHT,
     freight_headers,
     4,
     2,
     F_STAGE | F_WAREHOUSE | F_ALIAS,
     dec_freight,
     free_freight,
     name_freight,
     freight_row},
    {{"promotions", "promotion", "promo", "promos", NULL},
     "promotions",
     "Promotion",
     "promotion",
     false,
     KARGO_PROMOTION,
     promotion_headers,
     6,
     3,
     F_STAGE,
     dec_promotion,
     free_promotion,
     name_promotion,
     promotion_row},
    {{"warehouses", "warehouse", NULL},
     "warehouses",
     "Warehouse",
     "warehouse",
     false,
     KARGO_WAREHOUSE,
     warehouse_headers,
     3,
     3,
     0,
     dec_warehouse,
     free_warehouse,
     name_warehouse,
     warehouse_row},
};
#define KIND_COUNT (sizeof get_kinds / sizeof get_kinds[0])

static const struct get_kind *get_kind_find(const char *word)
{
    for (size_t i = 0; i < KIND_COUNT; i++)
        for (const char *const *w = get_kinds[i].words; *w != NULL; w++)
            if (strcmp(*w, word) == 0)
                return &get_kinds[i];
    return NULL;
}

int cli_get_validate(const struct cli_args *a, char **cause)
{
    enum out_format fmt;
    if (a->n_words == 0) {
        cause_set(cause, "get needs a kind: projects, stages, freight, promotions or warehouses");
        return -1;
    }
    const struct get_kind *k = get_kind_find(a->words[0]);
    if (k == NULL) {
        cause_set(cause, "unknown kind '%s' (projects, stages, freight, promotions or warehouses)",
                  a->words[0]);
        return -1;
    }
    if (output_parse(a->output, &fmt, cause) != 0)
        return -1;
    const struct {
        unsigned bit;
        const char *value, *flag;
    } filters[] = {{F_STAGE, a->stage, "--stage"},
                   {F_WAREHOUSE, a->warehouse, "--warehouse"},
                   {F_ALIAS, a->alias, "--alias"}};
    for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++) {
        if (filters[i].value != NULL && (k->filters & filters[i].bit) == 0) {
            cause_set(cause, "%s does not filter %s", filters[i].flag, k->plural);
            return -1;
        }
    }
    return 0;
}

/* ---- loading ---------------------------------------------------------------------------- */

/* The kinds to list: the rows' own, and those derived columns and filters read from the store.
 * The rows' own kind is never needed in the store (rows are decoded one at a time), which keeps
 * 30,000 Promotions from being held twice. */
static unsigned get_needs(const struct get_kind *k, enum out_format fmt, const struct cli_args *a)
{
    unsigned need = 1u << k->store_kind;
    if (k->store_kind == KARGO_STAGE && fmt == OUT_WIDE)
        need |= 1u << KARGO_FREIGHT;
    if (k->store_kind == KARGO_FREIGHT && (fmt == OUT_WIDE || a->stage != NULL))
        need |= 1u << KARGO_STAGE;
    return need;
}

static const char *get_plural(enum kargo_kind kind)
{
    for (size_t i = 0; i < KIND_COUNT; i++)
        if (get_kinds[i].store_kind == kind)
            return get_kinds[i].plural;
    return "";
}

static time_t item_time(const cJSON *item, bool discovered)
{
    const char *s = discovered ? json_get_string(item, "discoveredAt", (char *)NULL) : NULL;
    if (s == NULL)
        s = json_get_string(item, "metadata", "creationTimestamp", (char *)NULL);
    time_t t = 0;
    if (s != NULL && timefmt_parse_rfc3339(s, &t, NULL) != 0)
        t = 0;
    return t;
}

/* One listed object kept for printing: its sort key and only what the output needs (a
 * table's cells, the object as compact JSON, or its YAML), never the cJSON tree: 30,000
 * Promotions as cJSON were 800 MB. */
struct get_item {
    time_t t;
    char *name;
    char **cells; /* table and wide */
    char *json;   /* json, and yaml for one NAME (the object alone, or a List) */
    char *yaml;   /* yaml: the item as an element of the List's items, or a watch's document */
};

static int by_name(const void *pa, const void *pb)
{
    const struct get_item *a = pa, *b = pb;
    return strcmp(a->name, b->name);
}

/* Newest first; equal times by name, greater first (ULIDs and hashes: later first). */
static int by_newest(const void *pa, const void *pb)
{
    const struct get_item *a = pa, *b = pb;
    if (a->t != b->t)
        return a->t > b->t ? -1 : 1;
    return -strcmp(a->name, b->name);
}

/* ---- printing --------------------------------------------------------------------------- */

static size_t get_width(const struct get_run *r)
{
    size_t n = r->k->ncols + (r->fmt == OUT_WIDE ? r->k->nwide : 0);
    if (r->k->store_kind == KARGO_FREIGHT && r->c->a->stage != NULL)
        n++; /* the STAGE column */
    return n;
}

static void get_table_init(struct get_run *r)
{
    const char *headers[MAX_COLS];
    size_t n = get_width(r);
    size_t base = r->k->ncols + (r->fmt == OUT_WIDE ? r->k->nwide : 0);
    for (size_t i = 0; i < base; i++)
        headers[i] = r->k->headers[i];
    if (n > base)
        headers[base] = "STAGE";
    out_table_init(&r->table, headers, n, r->c->cs);
}

/* Adds obj (decoded from raw) to the output. Returns false when a filter leaves it out. */
static bool get_emit(struct get_run *r, const void *obj, const cJSON *raw, struct strbuf *out,
                     bool watch_line)
{
    struct strbuf cells[MAX_COLS];
    size_t n = get_width(r);
    for (size_t i = 0; i < n; i++)
        strbuf_init(&cells[i]);
    bool keep = r->k->row(r, obj, raw, cells);
    if (keep) {
        switch (r->fmt) {
        case OUT_TABLE:
        case OUT_WIDE: {
            const char *v[MAX_COLS];
            for (size_t i = 0; i < n; i++)
                v[i] = cells[i].buf;
            out_table_add(&r->table, v);
            break;
        }
        case OUT_NAME:
            out_name(out, r->k->lower, r->k->name_of(obj), r->c->cs);
            break;
        case OUT_JSON:
            if (watch_line)
                out_json_line(raw, out);
            break;
        case OUT_YAML:
            if (watch_line) {
                strbuf_append(out, "---\n");
                yamlout_write(raw, out, NULL);
            }
            break;
        }
    }
    for (size_t i = 0; i < n; i++)
        strbuf_free(&cells[i]);
    return keep;
}

static void get_flush(struct get_run *r, struct strbuf *out, bool first)
{
    if (r->fmt == OUT_TABLE || r->fmt == OUT_WIDE)
        out_table_print(&r->table, r->c->out, r->c->a->no_headers || !first, r->c->colour);
    fputs(out->buf, r->c->out);
    strbuf_reset(out);
    if (fflush(r->c->out) != 0 || ferror(r->c->out))
        r->broken = 1;
}

static bool name_matches(const struct get_run *r, const void *obj, const char *want)
{
    if (strcmp(r->k->name_of(obj), want) == 0)
        return true;
    if (r->k->store_kind == KARGO_FREIGHT) {
        const struct kargo_freight *f = obj;
        return f->alias != NULL && strcmp(f->alias, want) == 0;
    }
    return false;
}

/* The listing as it comes, page by page. */
struct get_list {
    struct get_run *r;
    bool watch;
    const char *const *names; /* the NAMEs asked for */
    size_t n_names;
    bool *found;
    struct get_item *items;
    size_t n, cap;
    bool yaml_open; /* an item's YAML leaves the List's document open: "..." ends it */
    int rc;         /* CLI_REFUSED once an item could not be written */
};

static void get_items_free(struct get_list *l)
{
    size_t ncells = get_width(l->r);
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i].name);
        free(l->items[i].json);
        free(l->items[i].yaml);
        if (l->items[i].cells != NULL)
            for (size_t c = 0; c < ncells; c++)
                free(l->items[i].cells[c]);
        free(l->items[i].cells);
    }
    l->n = 0;
    l->yaml_open = false;
}

/* The YAML of a kept item as it will be printed: an element of the List's items (yamlout
 * writes them one by one as it writes them in a whole List), or with a watch a document of its
 * own. One NAME may print the object alone, which is known only at the end: NULL then, and the
 * item keeps its JSON. */
static char *get_item_yaml(struct get_list *l, const cJSON *raw)
{
    struct get_run *r = l->r;
    if (!l->watch && l->n_names == 1)
        return NULL;
    struct strbuf y;
    strbuf_init(&y);
    char *cause = NULL;
    int rc;
    if (l->watch) {
        strbuf_append(&y, "---\n");
        rc = yamlout_write(raw, &y, &cause);
    } else {
        rc = yamlout_write_item(raw, &y, &l->yaml_open, &cause);
    }
    if (rc != 0) {
        l->rc = cli_fail(r->c, CLI_REFUSED, "%s", cause);
        free(cause);
    }
    /* kept until the end: not the up to twice as much the buffer grew to (30,000 Promotions'
     * 63 MB of YAML took 143 MB) */
    size_t len = y.len;
    return xrealloc(strbuf_detach(&y), len + 1);
}

/* Keeps what the output needs of each wanted item of a page; the page is freed after. */
static void get_on_page(void *ctx, cJSON *items, bool first)
{
    struct get_list *l = ctx;
    struct get_run *r = l->r;
    if (first) { /* the list started over: forget the earlier pages */
        get_items_free(l);
        memset(l->found, 0, l->n_names * sizeof *l->found);
        hmap_free(&r->printed, free);
    }
    size_t ncells = get_width(r);
    const cJSON *raw;
    cJSON_ArrayForEach(raw, items)
    {
        char *cause = NULL;
        void *obj = r->k->decode(raw, &cause);
        if (obj == NULL) {
            cli_fail(r->c, CLI_REFUSED, "skipping a malformed %s: %s", r->k->kind, cause);
            free(cause);
            continue;
        }
        bool wanted = l->n_names == 0;
        for (size_t k = 0; k < l->n_names; k++) {
            if (name_matches(r, obj, l->names[k])) {
                l->found[k] = true;
                wanted = true;
            }
        }
        if (l->watch) {
            const char *rv = json_get_string(raw, "metadata", "resourceVersion", (char *)NULL);
            free(hmap_put(&r->printed, r->k->name_of(obj), xstrdup(rv ? rv : "")));
        }
        struct strbuf cells[MAX_COLS];
        for (size_t i = 0; i < ncells; i++)
            strbuf_init(&cells[i]);
        if (wanted && r->k->row(r, obj, raw, cells)) {
            l->items = xreallocarray_grow(l->items, &l->cap, l->n + 1, sizeof *l->items);
            struct get_item *it = &l->items[l->n++];
            *it = (struct get_item){
                .t = item_time(raw, r->k->store_kind == KARGO_FREIGHT),
                .name = xstrdup(r->k->name_of(obj)),
            };
            if (r->fmt == OUT_TABLE || r->fmt == OUT_WIDE) {
                it->cells = xcalloc(ncells, sizeof *it->cells);
                for (size_t i = 0; i < ncells; i++)
                    it->cells[i] = strbuf_detach(&cells[i]);
            } else if (r->fmt == OUT_YAML && (it->yaml = get_item_yaml(l, raw)) != NULL) {
                /* printed as it is */
            } else if (r->fmt == OUT_JSON || r->fmt == OUT_YAML) {
                it->json = cJSON_PrintUnformatted(raw);
                if (it->json == NULL)
                    abort(); /* only on out-of-memory */
            }
        }
        for (size_t i = 0; i < ncells; i++)
            strbuf_free(&cells[i]);
        r->k->free(obj);
    }
}

/* Writes what out holds once it is big: a 30,000-item List is never held whole as text. */
static void get_spill(struct get_run *r, struct strbuf *out)
{
    if (out->len < 65536)
        return;
    fputs(out->buf, r->c->out);
    strbuf_reset(out);
}

static cJSON *get_item_json(const struct get_item *it)
{
    cJSON *j = cJSON_Parse(it->json);
    if (j == NULL)
        abort(); /* cJSON printed it: it parses, unless memory ran out */
    return j;
}

/* The kept items in order, in the output format. Returns the exit code. */
static int get_print_items(struct get_list *l, struct strbuf *out)
{
    struct get_run *r = l->r;
    int rc = l->rc;
    get_table_init(r);
    if (!l->watch && r->fmt == OUT_JSON && !(l->n_names == 1 && l->n == 1)) {
        /* a List as kubectl prints several objects, written item by item */
        strbuf_append(out, "{\n    \"apiVersion\": \"v1\",\n    \"items\": [");
        for (size_t i = 0; i < l->n; i++) {
            cJSON *j = get_item_json(&l->items[i]);
            strbuf_append(out, "\n        ");
            out_json_at(j, 2, out);
            if (i + 1 < l->n)
                strbuf_append_char(out, ',');
            cJSON_Delete(j);
            get_spill(r, out);
        }
        strbuf_append(out, l->n ? "\n    ]," : "],");
        strbuf_append(out, "\n    \"kind\": \"List\",\n    \"metadata\": {\n        "
                           "\"resourceVersion\": \"\"\n    }\n}\n");
        return rc;
    }
    if (!l->watch && r->fmt == OUT_YAML) {
        char *cause = NULL;
        if (l->n_names == 1 && l->n == 1) { /* one object: the document itself */
            cJSON *doc = get_item_json(&l->items[0]);
            if (yamlout_write(doc, out, &cause) != 0) {
                rc = cli_fail(r->c, CLI_REFUSED, "%s", cause);
                free(cause);
            }
            cJSON_Delete(doc);
            return rc;
        }
        /* a List as kubectl prints several objects, written item by item: the keys as
         * yamlout writes {"apiVersion": "v1", "items": [...], "kind": "List", "metadata":
         * {"resourceVersion": ""}} whole */
        strbuf_append(out, l->n ? "apiVersion: v1\nitems:\n" : "apiVersion: v1\nitems: []\n");
        for (size_t i = 0; i < l->n; i++) {
            const struct get_item *it = &l->items[i];
            if (it->yaml != NULL) {
                strbuf_append(out, it->yaml);
            } else {
                cJSON *j = get_item_json(it);
                if (yamlout_write_item(j, out, &l->yaml_open, &cause) != 0) {
                    rc = cli_fail(r->c, CLI_REFUSED, "%s", cause);
                    free(cause);
                    cause = NULL;
                }
                cJSON_Delete(j);
            }
            get_spill(r, out);
        }
        strbuf_append(out, "kind: List\nmetadata:\n  resourceVersion: ''\n");
        if (l->yaml_open)
            strbuf_append(out, "...\n");
        return rc;
    }
    for (size_t i = 0; i < l->n; i++) {
        struct get_item *it = &l->items[i];
        switch (r->fmt) {
        case OUT_TABLE:
        case OUT_WIDE:
            out_table_add(&r->table, (const char *const *)it->cells);
            break;
        case OUT_NAME:
            out_name(out, r->k->lower, it->name, r->c->cs);
            break;
        case OUT_JSON: /* one object: the document itself, or a watch's first lines */
        case OUT_YAML: {
            if (it->yaml != NULL) {
                strbuf_append(out, it->yaml);
                break;
            }
            cJSON *j = get_item_json(it);
            if (!l->watch) {
                out_json(j, out);
            } else if (r->fmt == OUT_JSON) {
                out_json_line(j, out);
            } else {
                strbuf_append(out, "---\n");
                yamlout_write(j, out, NULL);
            }
            cJSON_Delete(j);
            break;
        }
        }
        get_spill(r, out);
    }
    return rc;
}

/* Lists the rows' kind page by page and prints what was asked (under the store's read lock);
 * returns the exit code. With watch, records what was printed so the watch does not print it
 * again. */
static int get_print_list(struct get_run *r, bool watch)
{
    struct cli_ctx *c = r->c;
    const struct cli_args *a = c->a;
    struct get_list l = {.r = r,
                         .watch = watch,
                         .names = (const char *const *)a->words + 1,
                         .n_names = a->n_words - 1};
    l.found = xcalloc(l.n_names + 1, sizeof(bool));
    struct api_ref ref = {KARGO_GV, r->k->plural, r->k->cluster ? NULL : c->ns, NULL};
    struct kube_error e = {0};
    int rc = CLI_OK;
    if (api_list_pages(c->client, &ref, NULL, get_on_page, &l, NULL, NULL, &e) != 0) {
        rc = cli_kube_fail(c, &e, (char *)NULL);
        kube_error_clear(&e);
        get_items_free(&l);
        free(l.items);
        free(l.found);
        return rc;
    }
    bool newest = r->k->store_kind == KARGO_FREIGHT || r->k->store_kind == KARGO_PROMOTION;
    if (l.n > 1) /* qsort's array may not be NULL, even for no items */
        qsort(l.items, l.n, sizeof *l.items, newest ? by_newest : by_name);

    struct strbuf out;
    strbuf_init(&out);
    rc = get_print_items(&l, &out);
    size_t shown = l.n;
    if (shown > 0 || r->fmt == OUT_JSON || r->fmt == OUT_YAML || watch)
        get_flush(r, &out, true);
    strbuf_free(&out);
    for (size_t k = 0; k < l.n_names; k++) {
        if (!l.found[k]) {
            rc = cli_fail(c, CLI_REFUSED, "%s \"%s\" not found in %s%s%s", r->k->kind, l.names[k],
                          r->k->cluster ? "the cluster" : "project \"", r->k->cluster ? "" : c->ns,
                          r->k->cluster ? "" : "\"");
        }
    }
    if (shown == 0 && l.n_names == 0 && !watch && (r->fmt == OUT_TABLE || r->fmt == OUT_WIDE))
        fprintf(c->err, "No %s found%s%s%s.\n", r->k->words[0],
                r->k->cluster ? "" : " in project \"", r->k->cluster ? "" : c->ns,
                r->k->cluster ? "" : "\"");
    get_items_free(&l);
    free(l.items);
    free(l.found);
    return rc;
}

/* ---- watch ------------------------------------------------------------------------------ */

struct get_watch {
    struct get_run *r;
    enum kargo_kind kind;
    bool primary;
};

/* One changed object of the primary kind: printed unless already printed at this version. */
static void get_watch_emit(struct get_run *r, const cJSON *obj, bool deleted)
{
    const char *name = json_get_string(obj, "metadata", "name", (char *)NULL);
    const char *rv = json_get_string(obj, "metadata", "resourceVersion", (char *)NULL);
    if (name == NULL || r->broken)
        return;
    const char *seen = hmap_get(&r->printed, name);
    if (!deleted && seen != NULL && rv != NULL && strcmp(seen, rv) == 0)
        return;
    if (deleted)
        free(hmap_remove(&r->printed, name));
    else
        free(hmap_put(&r->printed, name, xstrdup(rv ? rv : "")));
    const struct cli_args *a = r->c->a;
    bool wanted = a->n_words <= 1;
    char *cause = NULL;
    void *dec = r->k->decode(obj, &cause);
    if (dec == NULL) {
        free(cause);
        return;
    }
    for (size_t k = 1; k < a->n_words && !wanted; k++)
        wanted = name_matches(r, dec, a->words[k]);
    struct strbuf out;
    strbuf_init(&out);
    r->now = time(NULL);
    if (wanted && get_emit(r, dec, obj, &out, true))
        get_flush(r, &out, false);
    strbuf_free(&out);
    r->k->free(dec);
}

static void get_on_event(void *ctx, enum informer_event type, const cJSON *obj)
{
    struct get_watch *w = ctx;
    struct get_run *r = w->r;
    pthread_mutex_lock(&r->mu);
    if (r->st != NULL && !w->primary) {
        enum store_event ev = type == INFORMER_ADDED     ? STORE_ADDED
                              : type == INFORMER_DELETED ? STORE_DELETED
                                                         : STORE_MODIFIED;
        store_apply(r->st, w->kind, ev, obj, NULL);
    }
    if (w->primary) {
        if (r->st != NULL)
            store_read_lock(r->st);
        get_watch_emit(r, obj, type == INFORMER_DELETED);
        if (r->st != NULL)
            store_read_unlock(r->st);
    }
    pthread_mutex_unlock(&r->mu);
}

static void get_on_relist(void *ctx, const cJSON *items)
{
    struct get_watch *w = ctx;
    struct get_run *r = w->r;
    pthread_mutex_lock(&r->mu);
    if (r->st != NULL && !w->primary)
        store_replace(r->st, w->kind, items, NULL);
    if (w->primary) {
        if (r->st != NULL)
            store_read_lock(r->st);
        const cJSON *item;
        cJSON_ArrayForEach(item, items)
        {
            get_watch_emit(r, item, false);
        }
        if (r->st != NULL)
            store_read_unlock(r->st);
    }
    pthread_mutex_unlock(&r->mu);
}

static void get_on_state(void *ctx, const struct informer_state *state)
{
    (void)ctx;
    (void)state; /* informers retry on their own; a watch outlives a server restart */
}

/* Follows changes until SIGINT/SIGTERM/SIGHUP or until stdout goes away. */
static int get_watch(struct get_run *r, unsigned need)
{
    struct get_watch ws[KARGO_KIND_COUNT];
    struct informer *infs[KARGO_KIND_COUNT] = {NULL};
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    for (int k = 0; k < KARGO_KIND_COUNT; k++) {
        if ((need & (1u << k)) == 0)
            continue;
        ws[k] = (struct get_watch){r, (enum kargo_kind)k, k == (int)r->k->store_kind};
        struct informer_opts io = {.group_version = KARGO_GV,
                                   .plural = get_plural((enum kargo_kind)k),
                                   .namespace = r->k->cluster ? NULL : r->c->ns};
        struct informer_callbacks cb = {get_on_event, get_on_relist, get_on_state, &ws[k]};
        infs[k] = informer_start(r->c->client, &io, &cb);
    }
    /* The signals were blocked before the client's thread started (cli_run), so only this
     * thread takes them; a closed stdout is noticed within a second. */
    struct timespec tick = {1, 0};
    while (!r->broken) {
        if (sigtimedwait(&set, NULL, &tick) > 0)
            break;
    }
    for (int k = 0; k < KARGO_KIND_COUNT; k++)
        if (infs[k] != NULL)
            informer_stop(infs[k]);
    return r->broken ? CLI_REFUSED : CLI_OK;
}

/* ---- the command ------------------------------------------------------------------------ */

int cli_get(struct cli_ctx *c)
{
    const struct cli_args *a = c->a;
    struct get_run r = {.c = c, .k = get_kind_find(a->words[0])};
    output_parse(a->output, &r.fmt, NULL);
    hmap_init(&r.printed);
    pthread_mutex_init(&r.mu, NULL);
    unsigned need = r.k->cluster ? 1u << r.k->store_kind : get_needs(r.k, r.fmt, a);
    int rc = CLI_OK;

    if (!r.k->cluster)
        r.st = store_new(c->ns);
    /* first the kinds the rows derive from, whole in the store; then the rows' own kind, page
     * by page (get_print_list) */
    for (int k = 0; k < KARGO_KIND_COUNT && rc == CLI_OK; k++) {
        if ((need & (1u << k)) == 0 || k == (int)r.k->store_kind)
            continue;
        struct api_ref ref = {KARGO_GV, get_plural((enum kargo_kind)k), c->ns, NULL};
        struct kube_error e = {0};
        cJSON *list = api_list(c->client, &ref, NULL, NULL, &e);
        if (list == NULL) {
            rc = cli_kube_fail(c, &e, (char *)NULL);
            kube_error_clear(&e);
            break;
        }
        store_replace(r.st, (enum kargo_kind)k, cJSON_GetObjectItemCaseSensitive(list, "items"),
                      NULL);
        cJSON_Delete(list);
    }
    if (rc == CLI_OK && a->stage != NULL && r.k->store_kind == KARGO_FREIGHT &&
        store_stage(r.st, a->stage) == NULL)
        rc = cli_fail(c, CLI_REFUSED, "Stage \"%s\" not found in project \"%s\"", a->stage, c->ns);
    if (rc == CLI_OK) {
        r.now = time(NULL);
        if (r.st != NULL)
            store_read_lock(r.st);
        rc = get_print_list(&r, a->watch);
        if (r.st != NULL)
            store_read_unlock(r.st);
        if (r.broken)
            rc = CLI_REFUSED;
    }
    if (rc == CLI_OK && a->watch)
        rc = get_watch(&r, need);
    out_table_free(&r.table);
    hmap_free(&r.printed, free);
    pthread_mutex_destroy(&r.mu);
    store_free(r.st);
    return rc;
}
