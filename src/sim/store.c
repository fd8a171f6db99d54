/* The object store: sorted buckets of immutable object versions per (resource, namespace), the
 * global resourceVersion, a ring of watch events and the write pipeline every change passes. */
#include "sim/store.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/admission.h"
#include "sim/apply.h"
#include "sim/patch.h"
#include "sim/resource.h"
#include "sim/schema.h"
#include "sim/selector.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

#define CONTROLLER_USER "system:serviceaccount:kargo:kargo-controller"
#define WRITE_RETRIES   8

/* One version of an object. Immutable once stored; shared by its bucket and the event ring, so
 * refs counts both (changed only under the store lock). */
struct rec {
    int refs;
    char *text; /* the object as served, with its resourceVersion */
    size_t len;
    cJSON *labels; /* copy of metadata.labels, for selectors; NULL when none */
    char *ns;      /* "" at cluster scope */
    char *name;
    unsigned long long rv;
};

struct bucket {
    char *ns;
    struct rec **items; /* sorted by name */
    size_t n, cap;
};

struct table {
    struct bucket *b; /* sorted by namespace */
    size_t n, cap;
};

struct event {
    enum sim_event_type type;
    size_t res;
    struct rec *rec;
    struct rec *prev; /* MODIFIED, DELETED: the version before (NULL for ADDED), so a selective
                         watch sees an object move into its selection (ADDED) or out of it
                         (DELETED), and a list at an older resourceVersion can undo the event */
};

struct hook {
    char *plural;
    bool mutating;
    sim_admission_fn fn;
    void *ctx;
};

struct sim_store {
    pthread_mutex_t mu;
    pthread_cond_t changed;
    bool stopping;
    unsigned long long rv;
    unsigned long long compacted; /* events at or below this resourceVersion are gone */
    const struct sim_resource *res;
    size_t nres;
    struct table *tables; /* one per resource, in sim_resource_all order */
    struct event *ring;
    size_t ring_cap, ring_head, ring_n;
    uint64_t rng;

    pthread_mutex_t hooks_mu;
    struct hook *hooks;
    size_t nhooks, hooks_cap;

    time_t (*now)(void *ctx);
    void *now_ctx;
};

/* ---- records, buckets ---------------------------------------------------------------------- */

static void rec_unref(struct rec *r)
{
    if (r == NULL || --r->refs > 0)
        return;
    free(r->text);
    cJSON_Delete(r->labels);
    free(r->ns);
    free(r->name);
    free(r);
}

static struct rec *rec_new(const cJSON *obj, const char *ns, const char *name,
                           unsigned long long rv)
{
    struct rec *r = xcalloc(1, sizeof *r);
    r->refs = 1;
    r->text = cJSON_PrintUnformatted(obj);
    if (r->text == NULL)
        xalloc_fail(0);
    r->len = strlen(r->text);
    const cJSON *labels = json_get(obj, "metadata", "labels", (char *)NULL);
    if (cJSON_IsObject(labels))
        r->labels = cJSON_Duplicate(labels, true);
    r->ns = xstrdup(ns != NULL ? ns : "");
    r->name = xstrdup(name);
    r->rv = rv;
    return r;
}

/* Index of the first bucket whose namespace is >= ns. */
static size_t bucket_lower(const struct table *t, const char *ns)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(t->b[mid].ns, ns) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static struct bucket *bucket_find(const struct table *t, const char *ns)
{
    size_t i = bucket_lower(t, ns);
    return i < t->n && strcmp(t->b[i].ns, ns) == 0 ? &t->b[i] : NULL;
}

static struct bucket *bucket_get(struct table *t, const char *ns)
{
    size_t i = bucket_lower(t, ns);
    if (i < t->n && strcmp(t->b[i].ns, ns) == 0)
        return &t->b[i];
    t->b = xreallocarray_grow(t->b, &t->cap, t->n + 1, sizeof *t->b);
    memmove(&t->b[i + 1], &t->b[i], (t->n - i) * sizeof *t->b);
    t->n++;
    memset(&t->b[i], 0, sizeof t->b[i]);
    t->b[i].ns = xstrdup(ns);
    return &t->b[i];
}

/* Index of the first item whose name is > name (strictly after) when after, else >= name. */
static size_t item_lower(const struct bucket *b, const char *name, bool after)
{
    size_t lo = 0, hi = b->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(b->items[mid]->name, name);
        if (c < 0 || (after && c == 0))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static struct rec *item_find(const struct bucket *b, const char *name)
{
    if (b == NULL)
        return NULL;
    size_t i = item_lower(b, name, false);
    return i < b->n && strcmp(b->items[i]->name, name) == 0 ? b->items[i] : NULL;
}

/* Puts r in place of the item of the same name, or inserts it; the bucket takes r's reference. */
static void item_put(struct bucket *b, struct rec *r)
{
    size_t i = item_lower(b, r->name, false);
    if (i < b->n && strcmp(b->items[i]->name, r->name) == 0) {
        rec_unref(b->items[i]);
        b->items[i] = r;
        return;
    }
    b->items = xreallocarray_grow(b->items, &b->cap, b->n + 1, sizeof *b->items);
    memmove(&b->items[i + 1], &b->items[i], (b->n - i) * sizeof *b->items);
    b->items[i] = r;
    b->n++;
}

static void item_remove(struct bucket *b, const char *name)
{
    size_t i = item_lower(b, name, false);
    if (i < b->n && strcmp(b->items[i]->name, name) == 0) {
        rec_unref(b->items[i]);
        memmove(&b->items[i], &b->items[i + 1], (b->n - i - 1) * sizeof *b->items);
        b->n--;
    }
}

static size_t res_index(const struct sim_store *s, const char *plural)
{
    for (size_t i = 0; i < s->nres; i++)
        if (strcmp(s->res[i].plural, plural) == 0 && s->res[i].storable)
            return i;
    return SIZE_MAX;
}

static const char *ns_key(const struct sim_resource *r, const char *ns)
{
    return r->namespaced && ns != NULL ? ns : "";
}

/* ---- the event ring -------------------------------------------------------------------------- */

static struct event *ring_at(struct sim_store *s, size_t i)
{
    return &s->ring[(s->ring_head + i) % s->ring_cap];
}

static void event_release(struct event *e)
{
    rec_unref(e->rec);
    rec_unref(e->prev);
}

/* Appends an event; takes new references on rec and prev. Called with the lock held. */
static void ring_push(struct sim_store *s, enum sim_event_type type, size_t res, struct rec *rec,
                      struct rec *prev)
{
    if (s->ring_n == s->ring_cap) {
        struct event *old = ring_at(s, 0);
        s->compacted = old->rec->rv;
        event_release(old);
        s->ring_head = (s->ring_head + 1) % s->ring_cap;
        s->ring_n--;
    }
    struct event *e = ring_at(s, s->ring_n);
    e->type = type;
    e->res = res;
    e->rec = rec;
    rec->refs++;
    e->prev = prev;
    if (prev != NULL)
        prev->refs++;
    s->ring_n++;
}

/* Index of the first event newer than rv. */
static size_t ring_after(struct sim_store *s, unsigned long long rv)
{
    size_t lo = 0, hi = s->ring_n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ring_at(s, mid)->rec->rv <= rv)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* ---- lifecycle ----------------------------------------------------------------------------- */

struct sim_store *sim_store_new(size_t history_max, unsigned long long seed)
{
    struct sim_store *s = xcalloc(1, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->hooks_mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->changed, &ca);
    pthread_condattr_destroy(&ca);
    s->res = sim_resource_all(&s->nres);
    s->tables = xcalloc(s->nres, sizeof *s->tables);
    s->ring_cap = history_max > 0 ? history_max : 10000;
    s->ring = xcalloc(s->ring_cap, sizeof *s->ring);
    s->rng = seed ^ 0x9e3779b97f4a7c15ULL;
    /* kube-apiserver never starts from 0; clients treat "0" specially. */
    s->rv = 1000;
    s->compacted = s->rv;
    return s;
}

void sim_store_shutdown(struct sim_store *s)
{
    pthread_mutex_lock(&s->mu);
    s->stopping = true;
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->mu);
}

bool sim_store_stopping(struct sim_store *s)
{
    pthread_mutex_lock(&s->mu);
    bool st = s->stopping;
    pthread_mutex_unlock(&s->mu);
    return st;
}

void sim_store_free(struct sim_store *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->nres; i++) {
        struct table *t = &s->tables[i];
        for (size_t k = 0; k < t->n; k++) {
            for (size_t j = 0; j < t->b[k].n; j++)
                rec_unref(t->b[k].items[j]);
            free(t->b[k].items);
            free(t->b[k].ns);
        }
        free(t->b);
    }
    free(s->tables);
    for (size_t i = 0; i < s->ring_n; i++)
        event_release(ring_at(s, i));
    free(s->ring);
    for (size_t i = 0; i < s->nhooks; i++)
        free(s->hooks[i].plural);
    free(s->hooks);
    pthread_cond_destroy(&s->changed);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->hooks_mu);
    free(s);
}

void sim_store_set_clock(struct sim_store *s, time_t (*now)(void *ctx), void *ctx)
{
    pthread_mutex_lock(&s->mu);
    s->now = now;
    s->now_ctx = ctx;
    pthread_mutex_unlock(&s->mu);
}

time_t sim_store_now(struct sim_store *s)
{
    pthread_mutex_lock(&s->mu);
    time_t (*now)(void *) = s->now;
    void *ctx = s->now_ctx;
    pthread_mutex_unlock(&s->mu);
    return now != NULL ? now(ctx) : time(NULL);
}

unsigned long long sim_store_rv(struct sim_store *s)
{
    pthread_mutex_lock(&s->mu);
    unsigned long long rv = s->rv;
    pthread_mutex_unlock(&s->mu);
    return rv;
}

static void deadline_after(struct timespec *ts, long ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

unsigned long long sim_store_wait(struct sim_store *s, unsigned long long rv, long timeout_ms)
{
    struct timespec dl;
    deadline_after(&dl, timeout_ms);
    pthread_mutex_lock(&s->mu);
    while (s->rv <= rv && !s->stopping)
        if (pthread_cond_timedwait(&s->changed, &s->mu, &dl) == ETIMEDOUT)
            break;
    unsigned long long cur = s->rv;
    pthread_mutex_unlock(&s->mu);
    return cur;
}

unsigned long long sim_store_compacted(struct sim_store *s)
{
    pthread_mutex_lock(&s->mu);
    unsigned long long c = s->compacted;
    pthread_mutex_unlock(&s->mu);
    return c;
}

void sim_store_forget_history(struct sim_store *s)
{
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->ring_n; i++)
        event_release(ring_at(s, i));
    s->ring_n = 0;
    s->ring_head = 0;
    s->compacted = s->rv;
    pthread_mutex_unlock(&s->mu);
}

size_t sim_store_count(struct sim_store *s, const char *plural, const char *ns)
{
    size_t ri = res_index(s, plural);
    if (ri == SIZE_MAX)
        return 0;
    size_t n = 0;
    pthread_mutex_lock(&s->mu);
    const struct table *t = &s->tables[ri];
    for (size_t i = 0; i < t->n; i++)
        if (ns == NULL || strcmp(t->b[i].ns, ns_key(&s->res[ri], ns)) == 0)
            n += t->b[i].n;
    pthread_mutex_unlock(&s->mu);
    return n;
}

void sim_admission_add(struct sim_store *s, const char *plural, bool mutating, sim_admission_fn fn,
                       void *ctx)
{
    pthread_mutex_lock(&s->hooks_mu);
    s->hooks = xreallocarray_grow(s->hooks, &s->hooks_cap, s->nhooks + 1, sizeof *s->hooks);
    s->hooks[s->nhooks++] =
        (struct hook){plural != NULL ? xstrdup(plural) : NULL, mutating, fn, ctx};
    pthread_mutex_unlock(&s->hooks_mu);
}

/* ---- reading ------------------------------------------------------------------------------- */

static struct sim_status *unknown_resource(const char *plural)
{
    return sim_status_new(404, "NotFound", "the server could not find the requested resource (%s)",
                          plural);
}

cJSON *sim_store_get(struct sim_store *s, const char *plural, const char *ns, const char *name,
                     struct sim_status **err)
{
    size_t ri = res_index(s, plural);
    if (ri == SIZE_MAX) {
        *err = unknown_resource(plural);
        return NULL;
    }
    const struct sim_resource *r = &s->res[ri];
    pthread_mutex_lock(&s->mu);
    struct rec *rec = item_find(bucket_find(&s->tables[ri], ns_key(r, ns)), name);
    cJSON *obj = rec != NULL ? cJSON_ParseWithLength(rec->text, rec->len) : NULL;
    pthread_mutex_unlock(&s->mu);
    if (rec == NULL)
        *err = sim_status_not_found(r, name);
    return obj;
}

static bool cursor_match(const struct sim_store_cursor *c, const struct rec *rec)
{
    if (c->ns != NULL && strcmp(rec->ns, c->ns) != 0)
        return false;
    return c->match == NULL ||
           c->match(c->match_ctx, rec->ns, rec->name, rec->labels, rec->text, rec->len);
}

/* Emits one event of the ring as a watch with a selector sees it (kube-apiserver's watch cache):
 * a modification that moves the object into the selection is ADDED, out of it DELETED (with the
 * previous object at the event's resourceVersion). Returns whether something was emitted. */
static bool cursor_emit(const struct sim_store_cursor *c, const struct event *e)
{
    bool now = cursor_match(c, e->rec);
    if (e->type != SIM_EVENT_MODIFIED || e->prev == NULL || c->match == NULL) {
        if (now)
            c->emit(c->emit_ctx, e->type, e->rec->text, e->rec->len);
        return now;
    }
    bool before = cursor_match(c, e->prev);
    if (now) {
        c->emit(c->emit_ctx, before ? SIM_EVENT_MODIFIED : SIM_EVENT_ADDED, e->rec->text,
                e->rec->len);
        return true;
    }
    if (!before)
        return false;
    cJSON *old = cJSON_ParseWithLength(e->prev->text, e->prev->len);
    if (old == NULL)
        return false;
    char rv[32];
    snprintf(rv, sizeof rv, "%llu", e->rec->rv);
    json_set_string(json_ensure_object(old, "metadata", (char *)NULL), "resourceVersion", rv);
    char *text = cJSON_PrintUnformatted(old);
    cJSON_Delete(old);
    if (text == NULL)
        xalloc_fail(e->prev->len);
    c->emit(c->emit_ctx, SIM_EVENT_DELETED, text, strlen(text));
    free(text);
    return true;
}

/* A list at an older resourceVersion is the current state with the newer events undone: for each
 * object changed since, the version its first later event replaced (NULL: it did not exist yet). */
struct change {
    const char *ns, *name;
    const struct rec *then;
    size_t order; /* position in the ring: the first event after the snapshot wins */
};

static int key_cmp(const char *ans, const char *aname, const char *bns, const char *bname)
{
    int c = strcmp(ans, bns);
    return c != 0 ? c : strcmp(aname, bname);
}

static int change_cmp(const void *a, const void *b)
{
    const struct change *x = a, *y = b;
    int c = key_cmp(x->ns, x->name, y->ns, y->name);
    if (c != 0)
        return c;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* The changes to resource ri after rv, past the page's start key, one per object, sorted by key.
 * Bounded by the events since rv, not by the size of the store. */
static struct change *changes_since(struct sim_store *s, size_t ri, unsigned long long rv,
                                    const char *only_ns, const struct sim_store_page *p, size_t *n)
{
    struct change *ch = NULL;
    size_t cnt = 0, cap = 0;
    for (size_t i = ring_after(s, rv); i < s->ring_n; i++) {
        const struct event *e = ring_at(s, i);
        if (e->res != ri)
            continue;
        const struct rec *r = e->rec;
        if (only_ns != NULL && strcmp(r->ns, only_ns) != 0)
            continue;
        if (p->start_ns != NULL && p->start_name != NULL &&
            key_cmp(r->ns, r->name, p->start_ns, p->start_name) <= 0)
            continue;
        ch = xreallocarray_grow(ch, &cap, cnt + 1, sizeof *ch);
        ch[cnt++] = (struct change){r->ns, r->name, e->type == SIM_EVENT_ADDED ? NULL : e->prev, i};
    }
    if (cnt > 1)
        qsort(ch, cnt, sizeof *ch, change_cmp);
    size_t out = 0;
    for (size_t i = 0; i < cnt; i++)
        if (out == 0 || key_cmp(ch[out - 1].ns, ch[out - 1].name, ch[i].ns, ch[i].name) != 0)
            ch[out++] = ch[i];
    *n = out;
    return ch;
}

/* A walk over the current objects of a table in key order, from a start key. */
struct walk {
    const struct table *t;
    const char *only_ns;
    size_t bi, i;
};

static void walk_init(struct walk *w, const struct table *t, const char *only_ns,
                      const struct sim_store_page *p)
{
    *w = (struct walk){t, only_ns, 0, 0};
    if (only_ns != NULL)
        w->bi = bucket_lower(t, only_ns);
    else if (p->start_ns != NULL)
        w->bi = bucket_lower(t, p->start_ns);
    if (p->start_ns != NULL && p->start_name != NULL && w->bi < t->n &&
        strcmp(t->b[w->bi].ns, p->start_ns) == 0)
        w->i = item_lower(&t->b[w->bi], p->start_name, true);
}

static const struct rec *walk_peek(struct walk *w)
{
    while (w->bi < w->t->n) {
        const struct bucket *b = &w->t->b[w->bi];
        if (w->only_ns != NULL && strcmp(b->ns, w->only_ns) != 0)
            return NULL;
        if (w->i < b->n)
            return b->items[w->i];
        w->bi++;
        w->i = 0;
    }
    return NULL;
}

/* Objects from the walk's position to the end of its scope. */
static long walk_rest(const struct walk *w)
{
    long rest = 0;
    for (size_t k = w->bi; k < w->t->n; k++) {
        if (w->only_ns != NULL && strcmp(w->t->b[k].ns, w->only_ns) != 0)
            break;
        rest += (long)(w->t->b[k].n - (k == w->bi ? w->i : 0));
    }
    return rest;
}

long sim_store_scan(struct sim_store *s, struct sim_store_cursor *c, struct sim_store_page *p)
{
    size_t ri = res_index(s, c->plural);
    if (ri == SIZE_MAX)
        return -1;
    const struct sim_resource *r = &s->res[ri];
    const char *only_ns = r->namespaced ? c->ns : NULL;
    long emitted = 0;
    p->next_ns = p->next_name = NULL;
    p->remaining = -1;
    pthread_mutex_lock(&s->mu);
    unsigned long long at = p->at_rv != 0 && p->at_rv < s->rv ? p->at_rv : s->rv;
    p->rv = at;
    if (at < s->compacted) {
        /* The events needed to go back to rv are gone: etcd's "required revision has been
         * compacted". */
        p->rv = s->compacted;
        pthread_mutex_unlock(&s->mu);
        return -2;
    }
    const struct table *t = &s->tables[ri];
    size_t nch = 0, ci = 0;
    struct change *ch = at < s->rv ? changes_since(s, ri, at, only_ns, p, &nch) : NULL;
    struct walk w;
    walk_init(&w, t, only_ns, p);
    const struct rec *last = NULL;
    bool more = false;
    for (;;) {
        const struct rec *cur = walk_peek(&w);
        const struct change *chg = ci < nch ? &ch[ci] : NULL;
        if (cur == NULL && chg == NULL)
            break;
        /* < 0: the current object is as it was at rv; >= 0: the change says what was there. */
        int cmp = cur == NULL   ? 1
                  : chg == NULL ? -1
                                : key_cmp(cur->ns, cur->name, chg->ns, chg->name);
        const struct rec *vis = cmp < 0 ? cur : chg->then;
        if (vis != NULL && (c->match == NULL || c->match(c->match_ctx, vis->ns, vis->name,
                                                         vis->labels, vis->text, vis->len))) {
            if (p->limit > 0 && (size_t)emitted == p->limit) {
                more = true;
                if (c->match == NULL) {
                    long rest = walk_rest(&w);
                    for (size_t k = ci; k < nch; k++)
                        rest += (ch[k].then != NULL) -
                                (item_find(bucket_find(t, ch[k].ns), ch[k].name) != NULL);
                    p->remaining = rest;
                }
                break;
            }
            c->emit(c->emit_ctx, SIM_EVENT_ADDED, vis->text, vis->len);
            last = vis;
            emitted++;
        }
        if (cmp <= 0)
            w.i++;
        if (cmp >= 0)
            ci++;
    }
    if (more && last != NULL) {
        p->next_ns = xstrdup(last->ns);
        p->next_name = xstrdup(last->name);
    }
    pthread_mutex_unlock(&s->mu);
    free(ch);
    return emitted;
}

long sim_store_snapshot(struct sim_store *s, struct sim_store_cursor *c)
{
    size_t ri = res_index(s, c->plural);
    if (ri == SIZE_MAX)
        return -1;
    long emitted = 0;
    pthread_mutex_lock(&s->mu);
    const struct table *t = &s->tables[ri];
    for (size_t bi = 0; bi < t->n; bi++)
        for (size_t i = 0; i < t->b[bi].n; i++) {
            const struct rec *rec = t->b[bi].items[i];
            if (!cursor_match(c, rec))
                continue;
            c->emit(c->emit_ctx, SIM_EVENT_ADDED, rec->text, rec->len);
            emitted++;
        }
    c->rv = s->rv;
    pthread_mutex_unlock(&s->mu);
    return emitted;
}

long sim_store_next(struct sim_store *s, struct sim_store_cursor *c, long timeout_ms)
{
    size_t ri = res_index(s, c->plural);
    if (ri == SIZE_MAX)
        return -1;
    struct timespec dl;
    deadline_after(&dl, timeout_ms);
    long emitted = 0;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        if (s->stopping)
            break;
        if (c->rv < s->compacted) {
            c->oldest = s->compacted + 1;
            emitted = -1;
            break;
        }
        for (size_t i = ring_after(s, c->rv); i < s->ring_n; i++) {
            const struct event *e = ring_at(s, i);
            if (e->res == ri && cursor_emit(c, e))
                emitted++;
        }
        if (s->rv > c->rv)
            c->rv = s->rv;
        if (emitted > 0)
            break;
        if (pthread_cond_timedwait(&s->changed, &s->mu, &dl) == ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&s->mu);
    return emitted;
}

/* The texts are copied under the store's lock and parsed after it: parsing a 30,000-Promotion
 * list for the controller took a quarter of a second, and every API request waited for it. */
struct list_ctx {
    struct strbuf texts;
    size_t *ends; /* where each object's text ends in texts */
    size_t n, cap;
};

static void list_emit(void *ctx, enum sim_event_type type, const char *json, size_t len)
{
    (void)type;
    struct list_ctx *l = ctx;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->ends = xrealloc(l->ends, l->cap * sizeof *l->ends);
    }
    strbuf_append_len(&l->texts, json, len);
    l->ends[l->n++] = l->texts.len;
}

static bool selector_match(void *ctx, const char *ns, const char *name, const cJSON *labels,
                           const char *json, size_t len)
{
    return sim_selector_match(ctx, labels);
}

cJSON *sim_store_list(struct sim_store *s, const char *plural, const char *ns,
                      const char *label_selector, struct sim_status **err)
{
    return sim_store_list_in(s, plural, ns, label_selector, NULL, err);
}

cJSON *sim_store_list_in(struct sim_store *s, const char *plural, const char *ns,
                         const char *label_selector, struct json_bulk *bulk,
                         struct sim_status **err)
{
    char *cause = NULL;
    struct sim_selector *sel = NULL;
    if (label_selector != NULL && label_selector[0] != '\0') {
        sel = sim_selector_parse(label_selector, &cause);
        if (sel == NULL) {
            *err = sim_status_bad_request("unable to parse requirement: %s", cause);
            free(cause);
            return NULL;
        }
    }
    struct list_ctx l = {0};
    strbuf_init(&l.texts);
    struct sim_store_cursor c = {.plural = plural,
                                 .ns = ns,
                                 .match = sel != NULL ? selector_match : NULL,
                                 .match_ctx = sel,
                                 .emit = list_emit,
                                 .emit_ctx = &l};
    struct sim_store_page p = {0};
    long n = sim_store_scan(s, &c, &p);
    sim_selector_free(sel);
    cJSON *items = NULL;
    if (n < 0) {
        *err = unknown_resource(plural);
    } else {
        items = cJSON_CreateArray();
        for (size_t i = 0, start = 0; i < l.n; start = l.ends[i++]) {
            const char *text = l.texts.buf + start;
            size_t len = l.ends[i] - start;
            cJSON *o = bulk != NULL ? json_parse_in(bulk, text, len, NULL)
                                    : cJSON_ParseWithLength(text, len);
            if (o != NULL)
                cJSON_AddItemToArray(items, o);
        }
    }
    strbuf_free(&l.texts);
    free(l.ends);
    return items;
}

/* ---- writing ------------------------------------------------------------------------------- */

enum write_kind { W_CREATE, W_UPDATE, W_STATUS, W_PATCH, W_DELETE, W_APPLY };

struct write {
    enum write_kind kind;
    const struct sim_resource *r;
    size_t ri;
    const char *ns; /* namespace key, "" at cluster scope */
    const char *name;
    const cJSON *obj; /* create, update, status */
    bool status_only;
    enum sim_patch_type ptype;
    const char *patch;
    size_t patch_len;
    const struct sim_write_opts *o;
    char *renamed;       /* the name a mutating hook gave a new object (owned) */
    const char *manager; /* apply: the field manager */
    bool force;          /* apply: take fields other managers applied */
};

static uint64_t store_rand(struct sim_store *s)
{
    /* splitmix64: deterministic for a seed, which makes uids and generated names repeatable. */
    uint64_t z = (s->rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void make_uid(struct sim_store *s, char *buf, size_t len)
{
    pthread_mutex_lock(&s->mu);
    uint64_t a = store_rand(s), b = store_rand(s);
    pthread_mutex_unlock(&s->mu);
    snprintf(buf, len, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32),
             (unsigned)(a >> 16) & 0xffff, (unsigned)a & 0xfff,
             (unsigned)((b >> 48) & 0x3fff) | 0x8000, (unsigned long long)(b & 0xffffffffffffULL));
}

static char *generate_name(struct sim_store *s, const char *prefix)
{
    static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
    char suffix[6];
    pthread_mutex_lock(&s->mu);
    uint64_t v = store_rand(s);
    pthread_mutex_unlock(&s->mu);
    for (int i = 0; i < 5; i++) {
        suffix[i] = alphabet[v % (sizeof alphabet - 1)];
        v /= sizeof alphabet - 1;
    }
    suffix[5] = '\0';
    return xasprintf("%s%s", prefix, suffix);
}

static void store_timestamp(struct sim_store *s, char *buf, size_t len)
{
    timefmt_rfc3339(sim_store_now(s), buf, len);
}

static void set_string(cJSON *obj, const char *key, const char *value)
{
    json_set_string(obj, key, value);
}

static void replace_item(cJSON *obj, const char *key, cJSON *value)
{
    if (cJSON_GetObjectItemCaseSensitive(obj, key) != NULL)
        cJSON_ReplaceItemInObjectCaseSensitive(obj, key, value);
    else
        cJSON_AddItemToObject(obj, key, value);
}

/* Sets apiVersion and kind and puts them first, where kube-apiserver writes them. */
static void set_type(cJSON *obj, const struct sim_resource *r)
{
    cJSON_DeleteItemFromObjectCaseSensitive(obj, "apiVersion");
    cJSON_DeleteItemFromObjectCaseSensitive(obj, "kind");
    cJSON *rest = obj->child;
    obj->child = NULL;
    cJSON_AddStringToObject(obj, "apiVersion", r->api_version);
    cJSON_AddStringToObject(obj, "kind", r->kind);
    cJSON *last = obj->child->next;
    last->next = rest;
    if (rest != NULL) {
        rest->prev = last;
        /* cJSON keeps the last element in the first one's prev. */
        cJSON *tail = rest;
        while (tail->next != NULL)
            tail = tail->next;
        obj->child->prev = tail;
    }
}

/* Copies (or removes) key of src into dst. */
static void copy_key(cJSON *dst, const cJSON *src, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(src, key);
    if (v != NULL)
        replace_item(dst, key, cJSON_Duplicate(v, true));
    else
        cJSON_DeleteItemFromObjectCaseSensitive(dst, key);
}

/* Whether a and b differ anywhere but metadata and status (what makes generation grow). */
static bool spec_differs(const cJSON *a, const cJSON *b)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, a)
    {
        if (strcmp(it->string, "metadata") == 0 || strcmp(it->string, "status") == 0)
            continue;
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(b, it->string);
        if (o == NULL || !cJSON_Compare(it, o, true))
            return true;
    }
    cJSON_ArrayForEach(it, b)
    {
        if (strcmp(it->string, "metadata") == 0 || strcmp(it->string, "status") == 0)
            continue;
        if (cJSON_GetObjectItemCaseSensitive(a, it->string) == NULL)
            return true;
    }
    return false;
}

static bool has_finalizers(const cJSON *obj)
{
    const cJSON *f = json_get(obj, "metadata", "finalizers", (char *)NULL);
    return cJSON_IsArray(f) && cJSON_GetArraySize(f) > 0;
}

/* The garbage collector's finalizers (metav1.FinalizerDeleteDependents, FinalizerOrphanDependents).
 */
#define FIN_FOREGROUND "foregroundDeletion"
#define FIN_ORPHAN     "orphan"

static bool has_finalizer(const cJSON *obj, const char *name)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, json_get(obj, "metadata", "finalizers", (char *)NULL))
    {
        if (cJSON_IsString(it) && strcmp(it->valuestring, name) == 0)
            return true;
    }
    return false;
}

static bool namespace_exists(struct sim_store *s, const char *ns)
{
    size_t ri = res_index(s, "namespaces");
    pthread_mutex_lock(&s->mu);
    bool ok = item_find(bucket_find(&s->tables[ri], ""), ns) != NULL;
    pthread_mutex_unlock(&s->mu);
    return ok;
}

/* The server-owned fields of a new object. */
static struct sim_status *prepare_create(struct sim_store *s, const struct write *w, cJSON *obj)
{
    const struct sim_resource *r = w->r;
    if (!cJSON_IsObject(obj))
        return sim_status_bad_request(
            "the object provided is unrecognized (must be a JSON object)");
    const char *kind = json_get_string(obj, "kind", (char *)NULL);
    if (kind != NULL && strcmp(kind, r->kind) != 0)
        return sim_status_bad_request("the API version in the data (%s) does not match the "
                                      "expected API version (%s) or kind %s does not match %s",
                                      json_get_string(obj, "apiVersion", (char *)NULL) != NULL
                                          ? json_get_string(obj, "apiVersion", (char *)NULL)
                                          : "",
                                      r->api_version, kind, r->kind);
    set_type(obj, r);
    cJSON *meta = json_ensure_object(obj, "metadata", (char *)NULL);
    if (r->namespaced) {
        const char *ons = json_get_string(meta, "namespace", (char *)NULL);
        if (ons != NULL && ons[0] != '\0' && strcmp(ons, w->ns) != 0)
            return sim_status_bad_request("the namespace of the provided object does not match "
                                          "the namespace sent on the request");
        set_string(meta, "namespace", w->ns);
    } else {
        cJSON_DeleteItemFromObjectCaseSensitive(meta, "namespace");
    }
    const char *name = json_get_string(meta, "name", (char *)NULL);
    const char *gen = json_get_string(meta, "generateName", (char *)NULL);
    if ((name == NULL || name[0] == '\0') && gen != NULL && gen[0] != '\0') {
        char *n = generate_name(s, gen);
        set_string(meta, "name", n);
        free(n);
    }
    /* A scenario may set creationTimestamp (for ages) and uid; the API never lets a client. */
    bool loading = w->o != NULL && w->o->skip_admission;
    char uid[40], ts[32];
    if (!loading || json_get_string(meta, "uid", (char *)NULL) == NULL) {
        make_uid(s, uid, sizeof uid);
        set_string(meta, "uid", uid);
    }
    if (!loading || json_get_string(meta, "creationTimestamp", (char *)NULL) == NULL) {
        store_timestamp(s, ts, sizeof ts);
        set_string(meta, "creationTimestamp", ts);
    }
    cJSON_DeleteItemFromObjectCaseSensitive(meta, "resourceVersion");
    cJSON_DeleteItemFromObjectCaseSensitive(meta, "deletionTimestamp");
    if (w->kind != W_APPLY) /* the server records field managers; clients do not send them */
        cJSON_DeleteItemFromObjectCaseSensitive(meta, "managedFields");
    if (r->is_crd)
        replace_item(meta, "generation", cJSON_CreateNumber(1));
    if (r->has_status && r->is_crd && !loading)
        cJSON_DeleteItemFromObjectCaseSensitive(obj, "status");
    if (strcmp(r->plural, "namespaces") == 0) {
        cJSON *spec = json_ensure_object(obj, "spec", (char *)NULL);
        if (cJSON_GetObjectItemCaseSensitive(spec, "finalizers") == NULL) {
            cJSON *f = cJSON_AddArrayToObject(spec, "finalizers");
            cJSON_AddItemToArray(f, cJSON_CreateString("kubernetes"));
        }
        cJSON *st = json_ensure_object(obj, "status", (char *)NULL);
        set_string(st, "phase", "Active");
        cJSON *labels = json_ensure_object(meta, "labels", (char *)NULL);
        const char *n = json_get_string(meta, "name", (char *)NULL);
        if (n != NULL)
            set_string(labels, "kubernetes.io/metadata.name", n);
    }
    if (r->namespaced && !namespace_exists(s, w->ns)) {
        const struct sim_resource *nsr = sim_resource_find("", "namespaces");
        return sim_status_not_found(nsr, w->ns);
    }
    return NULL;
}

/* Carries the server-owned fields of old into the replacement obj of an update. */
static struct sim_status *prepare_update(const struct write *w, const cJSON *old, cJSON *obj,
                                         bool check_rv)
{
    const struct sim_resource *r = w->r;
    if (!cJSON_IsObject(obj))
        return sim_status_bad_request(
            "the object provided is unrecognized (must be a JSON object)");
    const char *kind = json_get_string(obj, "kind", (char *)NULL);
    if (kind != NULL && strcmp(kind, r->kind) != 0)
        return sim_status_bad_request("the kind of the object (%s) does not match the resource "
                                      "(%s)",
                                      kind, r->kind);
    set_type(obj, r);
    cJSON *meta = json_ensure_object(obj, "metadata", (char *)NULL);
    const char *name = json_get_string(meta, "name", (char *)NULL);
    if (name == NULL || strcmp(name, w->name) != 0)
        return sim_status_bad_request("the name of the object (%s) does not match the name on "
                                      "the URL (%s)",
                                      name != NULL ? name : "", w->name);
    if (r->namespaced) {
        const char *ons = json_get_string(meta, "namespace", (char *)NULL);
        if (ons != NULL && ons[0] != '\0' && strcmp(ons, w->ns) != 0)
            return sim_status_bad_request("the namespace of the provided object does not match "
                                          "the namespace sent on the request");
        set_string(meta, "namespace", w->ns);
    }
    const char *want = json_get_string(meta, "resourceVersion", (char *)NULL);
    const char *have = json_get_string(old, "metadata", "resourceVersion", (char *)NULL);
    if (check_rv && want != NULL && want[0] != '\0' && (have == NULL || strcmp(want, have) != 0))
        return sim_status_conflict(r, w->name);
    const cJSON *ometa = json_get(old, "metadata", (char *)NULL);
    copy_key(meta, ometa, "uid");
    copy_key(meta, ometa, "creationTimestamp");
    copy_key(meta, ometa, "generation");
    copy_key(meta, ometa, "deletionTimestamp");
    copy_key(meta, ometa, "deletionGracePeriodSeconds");
    if (w->kind != W_APPLY) /* other writes keep the applied field sets */
        copy_key(meta, ometa, "managedFields");
    if (r->has_status)
        copy_key(obj, old, "status");
    if (r->is_crd && spec_differs(old, obj)) {
        double g = 1;
        json_get_number(ometa, &g, "generation", (char *)NULL);
        replace_item(meta, "generation", cJSON_CreateNumber(g + 1));
    }
    return NULL;
}

/* Builds the status-only update of old from obj's status. */
static cJSON *status_update(const struct write *w, const cJSON *old, const cJSON *obj,
                            struct sim_status **err)
{
    const char *name = json_get_string(obj, "metadata", "name", (char *)NULL);
    if (name != NULL && strcmp(name, w->name) != 0) {
        *err = sim_status_bad_request("the name of the object (%s) does not match the name on "
                                      "the URL (%s)",
                                      name, w->name);
        return NULL;
    }
    const char *want = json_get_string(obj, "metadata", "resourceVersion", (char *)NULL);
    const char *have = json_get_string(old, "metadata", "resourceVersion", (char *)NULL);
    if (want != NULL && want[0] != '\0' && (have == NULL || strcmp(want, have) != 0)) {
        *err = sim_status_conflict(w->r, w->name);
        return NULL;
    }
    cJSON *n = cJSON_Duplicate(old, true);
    copy_key(n, obj, "status");
    return n;
}

static struct sim_status *run_hooks(struct sim_store *s, struct sim_admission_request *rq,
                                    bool mutating)
{
    pthread_mutex_lock(&s->hooks_mu);
    size_t n = s->nhooks;
    struct hook *copy = n > 0 ? xcalloc(n, sizeof *copy) : NULL;
    if (n > 0)
        memcpy(copy, s->hooks, n * sizeof *copy);
    pthread_mutex_unlock(&s->hooks_mu);
    struct sim_status *st = NULL;
    for (size_t i = 0; i < n && st == NULL; i++) {
        if (copy[i].mutating != mutating)
            continue;
        if (copy[i].plural != NULL && strcmp(copy[i].plural, rq->resource->plural) != 0)
            continue;
        st = copy[i].fn(copy[i].ctx, rq);
    }
    free(copy);
    return st;
}

static struct sim_status *admit(struct sim_store *s, const struct write *w, enum sim_operation op,
                                const cJSON *old, cJSON *obj)
{
    const struct sim_write_opts *o = w->o;
    if (o != NULL && o->skip_admission)
        return NULL;
    const char *name =
        obj != NULL ? json_get_string(obj, "metadata", "name", (char *)NULL) : w->name;
    struct sim_admission_request rq = {
        .op = op,
        .resource = w->r,
        .subresource = w->status_only ? "status" : NULL,
        .ns = w->r->namespaced ? w->ns : NULL,
        .name = name != NULL ? name : "",
        .user = o != NULL && o->user != NULL ? o->user : CONTROLLER_USER,
        .dry_run = o != NULL && o->dry_run,
        .old_object = old,
        .object = obj,
    };
    struct sim_status *st = run_hooks(s, &rq, true);
    if (st == NULL && obj != NULL && !w->status_only)
        st = sim_schema_validate(w->r, obj);
    if (st == NULL)
        st = run_hooks(s, &rq, false);
    /* A hook returns a Status it allocated, never a pointer into rq. */
    // cppcheck-suppress returnDanglingLifetime
    return st;
}

/* Computes the new version of the object from old (NULL if absent); NULL with *err to fail, or
 * with *del set for a deletion. */
static cJSON *build(struct sim_store *s, const struct write *w, const cJSON *old, bool *del,
                    struct sim_status **err)
{
    *del = false;
    cJSON *n = NULL;
    switch (w->kind) {
    case W_CREATE:
        if (old != NULL) {
            *err = sim_status_already_exists(w->r, w->name);
            return NULL;
        }
        return cJSON_Duplicate(w->obj, true); /* prepared by the caller */
    case W_UPDATE:
        if (old == NULL) {
            *err = sim_status_not_found(w->r, w->name);
            return NULL;
        }
        n = cJSON_Duplicate(w->obj, true);
        *err = prepare_update(w, old, n, true);
        break;
    case W_STATUS:
        if (old == NULL) {
            *err = sim_status_not_found(w->r, w->name);
            return NULL;
        }
        n = status_update(w, old, w->obj, err);
        break;
    case W_PATCH: {
        if (old == NULL) {
            *err = sim_status_not_found(w->r, w->name);
            return NULL;
        }
        cJSON *p = cJSON_ParseWithLength(w->patch, w->patch_len);
        if (p == NULL) {
            *err = sim_status_bad_request("error decoding patch: invalid JSON");
            return NULL;
        }
        n = cJSON_Duplicate(old, true);
        if (w->ptype == SIM_PATCH_JSON) {
            char *cause = NULL;
            if (!cJSON_IsArray(p) || sim_patch_json(&n, p, &cause) < 0) {
                *err = sim_status_new(422, "Invalid", "%s",
                                      cause != NULL ? cause : "the patch is not a JSON array");
                free(cause);
            }
        } else {
            if (!cJSON_IsObject(p))
                *err = sim_status_bad_request("error decoding patch: the patch is not a JSON "
                                              "object");
            else
                n = sim_patch_merge(n, p);
        }
        cJSON_Delete(p);
        if (*err != NULL)
            break;
        /* A resourceVersion in the patch is a precondition, as in kube-apiserver. */
        const char *want = json_get_string(n, "metadata", "resourceVersion", (char *)NULL);
        const char *have = json_get_string(old, "metadata", "resourceVersion", (char *)NULL);
        if (want != NULL && have != NULL && strcmp(want, have) != 0) {
            *err = sim_status_conflict(w->r, w->name);
            break;
        }
        if (w->status_only) {
            cJSON *st = status_update(w, old, n, err);
            cJSON_Delete(n);
            n = st;
        } else {
            *err = prepare_update(w, old, n, false);
        }
        break;
    }
    case W_APPLY: {
        if (old == NULL && w->status_only) {
            *err = sim_status_not_found(w->r, w->name);
            return NULL;
        }
        char ts[32];
        store_timestamp(s, ts, sizeof ts);
        n = sim_apply(w->r, old, w->obj, w->manager, w->force, w->status_only, ts, err);
        if (n == NULL)
            return NULL;
        cJSON *meta = json_ensure_object(n, "metadata", (char *)NULL);
        const char *bn = json_get_string(meta, "name", (char *)NULL);
        if (bn != NULL && strcmp(bn, w->name) != 0) {
            *err = sim_status_bad_request("the name of the object (%s) does not match the name "
                                          "on the URL (%s)",
                                          bn, w->name);
            break;
        }
        set_string(meta, "name", w->name);
        if (old == NULL) {
            *err = prepare_create(s, w, n);
        } else if (w->status_only) {
            cJSON *st = status_update(w, old, n, err);
            if (st != NULL)
                copy_key(json_ensure_object(st, "metadata", (char *)NULL), meta, "managedFields");
            cJSON_Delete(n);
            n = st;
        } else {
            *err = prepare_update(w, old, n, false);
        }
        break;
    }
    case W_DELETE: {
        if (old == NULL) {
            *err = sim_status_not_found(w->r, w->name);
            return NULL;
        }
        n = cJSON_Duplicate(old, true);
        /* kube-apiserver marks a foreground or orphaning delete with the garbage collector's
         * finalizer, which the collector removes once it has done its part. */
        enum sim_propagation pp = w->o != NULL ? w->o->propagation : SIM_PROPAGATE_BACKGROUND;
        const char *gc = pp == SIM_PROPAGATE_FOREGROUND ? FIN_FOREGROUND
                         : pp == SIM_PROPAGATE_ORPHAN   ? FIN_ORPHAN
                                                        : NULL;
        if (gc != NULL && !has_finalizer(n, gc)) {
            cJSON *meta = json_ensure_object(n, "metadata", (char *)NULL);
            cJSON *f = cJSON_GetObjectItemCaseSensitive(meta, "finalizers");
            if (!cJSON_IsArray(f)) {
                cJSON_DeleteItemFromObjectCaseSensitive(meta, "finalizers");
                f = cJSON_AddArrayToObject(meta, "finalizers");
            }
            cJSON_AddItemToArray(f, cJSON_CreateString(gc));
        }
        if (!has_finalizers(n)) {
            *del = true;
            return n;
        }
        if (json_get(old, "metadata", "deletionTimestamp", (char *)NULL) == NULL) {
            char ts[32];
            store_timestamp(s, ts, sizeof ts);
            cJSON *meta = json_ensure_object(n, "metadata", (char *)NULL);
            set_string(meta, "deletionTimestamp", ts);
            replace_item(meta, "deletionGracePeriodSeconds", cJSON_CreateNumber(0));
        }
        return n;
    }
    }
    if (*err != NULL) {
        cJSON_Delete(n);
        return NULL;
    }
    /* An update that empties the finalizers of an object being deleted completes the delete. */
    if (json_get(n, "metadata", "deletionTimestamp", (char *)NULL) != NULL && !has_finalizers(n))
        *del = true;
    return n;
}

/* Stores the new version (or the deletion) if the object still is at old_rv. Returns 1 when
 * stored, 0 when the object changed meanwhile. Fills in resourceVersion. */
static int commit(struct sim_store *s, const struct write *w, const char *name,
                  unsigned long long old_rv, cJSON *n, bool del)
{
    pthread_mutex_lock(&s->mu);
    struct table *t = &s->tables[w->ri];
    struct bucket *b = bucket_find(t, w->ns);
    struct rec *cur = item_find(b, name);
    if ((cur != NULL ? cur->rv : 0) != old_rv) {
        pthread_mutex_unlock(&s->mu);
        return 0;
    }
    unsigned long long rv = ++s->rv;
    char buf[32];
    snprintf(buf, sizeof buf, "%llu", rv);
    set_string(json_ensure_object(n, "metadata", (char *)NULL), "resourceVersion", buf);
    struct rec *rec = rec_new(n, w->ns, name, rv);
    if (del) {
        ring_push(s, SIM_EVENT_DELETED, w->ri, rec, cur);
        item_remove(b, name);
        rec_unref(rec);
    } else {
        ring_push(s, cur != NULL ? SIM_EVENT_MODIFIED : SIM_EVENT_ADDED, w->ri, rec, cur);
        item_put(bucket_get(t, w->ns), rec);
    }
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->mu);
    return 1;
}

static void after_write(struct sim_store *s, const struct write *w, const cJSON *obj, bool del);

static cJSON *write_run(struct sim_store *s, struct write *w, struct sim_status **err)
{
    *err = NULL;
    for (int attempt = 0; attempt < WRITE_RETRIES; attempt++) {
        pthread_mutex_lock(&s->mu);
        struct rec *cur = item_find(bucket_find(&s->tables[w->ri], w->ns), w->name);
        unsigned long long old_rv = cur != NULL ? cur->rv : 0;
        cJSON *old = cur != NULL ? cJSON_ParseWithLength(cur->text, cur->len) : NULL;
        pthread_mutex_unlock(&s->mu);

        bool del = false;
        cJSON *n = build(s, w, old, &del, err);
        if (n == NULL) {
            cJSON_Delete(old);
            return NULL;
        }
        if (!del && !w->status_only)
            sim_schema_default(w->r, n);
        if (!del && w->kind != W_APPLY && w->kind != W_DELETE && w->o != NULL &&
            w->o->field_manager != NULL && !w->o->skip_admission) {
            char ts[32];
            store_timestamp(s, ts, sizeof ts);
            sim_apply_update(w->r, old, n, w->o->field_manager, w->status_only, ts);
        }
        enum sim_operation op = w->kind == W_CREATE || (w->kind == W_APPLY && old == NULL)
                                    ? SIM_OP_CREATE
                                : w->kind == W_DELETE ? SIM_OP_DELETE
                                                      : SIM_OP_UPDATE;
        *err = admit(s, w, op, old, op == SIM_OP_DELETE ? NULL : n);
        /* A mutating hook may not rename the object, except on create: Kargo's webhooks name
         * Promotions (<stage>.<ulid>.<freight>) and Freight (content hash) themselves. */
        const char *nn = json_get_string(n, "metadata", "name", (char *)NULL);
        if (*err == NULL && op == SIM_OP_CREATE && nn != NULL && nn[0] != '\0' &&
            strcmp(nn, w->name) != 0) {
            free(w->renamed);
            w->renamed = xstrdup(nn);
            w->name = w->renamed;
            pthread_mutex_lock(&s->mu);
            bool taken = item_find(bucket_find(&s->tables[w->ri], w->ns), w->name) != NULL;
            pthread_mutex_unlock(&s->mu);
            if (taken)
                *err = sim_status_already_exists(w->r, w->name);
        }
        if (*err == NULL && (nn == NULL || strcmp(nn, w->name) != 0))
            *err = sim_status_internal("admission changed the name of %s", w->name);
        if (*err != NULL) {
            cJSON_Delete(old);
            cJSON_Delete(n);
            return NULL;
        }
        if (w->o != NULL && w->o->dry_run) {
            cJSON_Delete(old);
            return n;
        }
        int done = commit(s, w, w->name, old_rv, n, del);
        cJSON_Delete(old);
        if (done) {
            after_write(s, w, n, del);
            return n;
        }
        cJSON_Delete(n);
        /* Someone else wrote the object between our read and our commit: a PUT carrying a
         * resourceVersion becomes a Conflict on the next build; everything else is redone. */
    }
    *err = sim_status_conflict(w->r, w->name);
    return NULL;
}

/* Effects kube and Kargo have beyond the object itself: a Project gets its namespace, a deleted
 * namespace takes its objects with it. */
#define GC_USER "system:serviceaccount:kube-system:generic-garbage-collector"

/* Whether rec names uid among its ownerReferences (with blockOwnerDeletion when blocking). */
static bool owned_by(const struct rec *rec, const char *uid, bool blocking)
{
    if (strstr(rec->text, uid) == NULL) /* cheap: most objects do not mention it at all */
        return false;
    cJSON *o = cJSON_ParseWithLength(rec->text, rec->len);
    const cJSON *ref;
    bool hit = false;
    cJSON_ArrayForEach(ref, json_get(o, "metadata", "ownerReferences", (char *)NULL))
    {
        const char *u = json_get_string(ref, "uid", (char *)NULL);
        hit = hit || (u != NULL && strcmp(u, uid) == 0 &&
                      (!blocking ||
                       cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ref, "blockOwnerDeletion"))));
    }
    cJSON_Delete(o);
    return hit;
}

struct dep {
    size_t ri;
    char *name;
};

/* The dependents of the object uid of resource r in namespace ns: a namespaced owner's are in
 * its namespace; a cluster-scoped owner's are cluster-scoped (a Project's Namespace, whose own
 * deletion takes the rest). Returns their number; *out (caller frees, with the names). */
static size_t find_dependents(struct sim_store *s, const struct sim_resource *r, const char *ns,
                              const char *uid, bool blocking, struct dep **out)
{
    struct dep *deps = NULL;
    size_t n = 0, cap = 0;
    pthread_mutex_lock(&s->mu);
    for (size_t ri = 0; ri < s->nres; ri++) {
        if (s->res[ri].namespaced != r->namespaced)
            continue;
        const struct bucket *b = bucket_find(&s->tables[ri], ns);
        for (size_t i = 0; b != NULL && i < b->n; i++)
            if (owned_by(b->items[i], uid, blocking)) {
                deps = xreallocarray_grow(deps, &cap, n + 1, sizeof *deps);
                deps[n++] = (struct dep){ri, xstrdup(b->items[i]->name)};
            }
    }
    pthread_mutex_unlock(&s->mu);
    *out = deps;
    return n;
}

static void deps_free(struct dep *deps, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(deps[i].name);
    free(deps);
}

/* The garbage collector's update of one object: edit changes it, and the write is redone when
 * someone else wrote in between (its resourceVersion is the precondition). */
static void gc_update(struct sim_store *s, size_t ri, const char *ns, const char *name,
                      bool (*edit)(cJSON *obj, const char *arg), const char *arg)
{
    struct sim_write_opts o = {.user = GC_USER};
    for (int attempt = 0; attempt < WRITE_RETRIES; attempt++) {
        struct sim_status *err = NULL;
        cJSON *obj = sim_store_get(s, s->res[ri].plural, ns, name, &err);
        if (obj == NULL || !edit(obj, arg)) {
            sim_status_free(err);
            cJSON_Delete(obj);
            return; /* gone, or nothing to do */
        }
        cJSON *res = sim_store_update(s, s->res[ri].plural, ns, obj, &o, &err);
        cJSON_Delete(obj);
        int code = err != NULL ? err->code : 0;
        sim_status_free(err);
        cJSON_Delete(res);
        if (code != 409)
            return;
    }
}

static bool drop_finalizer(cJSON *obj, const char *name)
{
    cJSON *f = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, "metadata"),
                                                "finalizers");
    for (int i = cJSON_GetArraySize(f) - 1; i >= 0; i--) {
        const cJSON *it = cJSON_GetArrayItem(f, i);
        if (cJSON_IsString(it) && strcmp(it->valuestring, name) == 0) {
            cJSON_DeleteItemFromArray(f, i);
            return true;
        }
    }
    return false;
}

static bool drop_owner(cJSON *obj, const char *uid)
{
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
    cJSON *refs = cJSON_GetObjectItemCaseSensitive(meta, "ownerReferences");
    bool changed = false;
    for (int i = cJSON_GetArraySize(refs) - 1; i >= 0; i--) {
        const char *u = json_get_string(cJSON_GetArrayItem(refs, i), "uid", (char *)NULL);
        if (u != NULL && strcmp(u, uid) == 0) {
            cJSON_DeleteItemFromArray(refs, i);
            changed = true;
        }
    }
    if (changed && cJSON_GetArraySize(refs) == 0)
        cJSON_DeleteItemFromObjectCaseSensitive(meta, "ownerReferences");
    return changed;
}

/* A foreground delete ends when no dependent blocks it any more: the collector then removes
 * the foregroundDeletion finalizer, and the owner goes unless other finalizers hold it. */
static void release_if_done(struct sim_store *s, size_t ri, const char *ns, const char *name,
                            const char *uid)
{
    struct dep *deps;
    size_t n = find_dependents(s, &s->res[ri], ns, uid, true, &deps);
    deps_free(deps, n);
    if (n == 0)
        gc_update(s, ri, ns, name, drop_finalizer, FIN_FOREGROUND);
}

/* The garbage collector's part in a delete (kube's attemptToDeleteItem and orphanDependents):
 * Background after the owner is gone; Foreground while it waits (dependents that have
 * dependents of their own are deleted in the foreground too, the others in the background);
 * Orphan: the dependents lose their reference to it, then the owner goes. */
static void collect_dependents(struct sim_store *s, const struct write *w, const cJSON *obj,
                               bool gone)
{
    const char *uid = json_get_string(obj, "metadata", "uid", (char *)NULL);
    if (uid == NULL || uid[0] == '\0')
        return;
    bool orphan = !gone && has_finalizer(obj, FIN_ORPHAN);
    bool foreground = !gone && has_finalizer(obj, FIN_FOREGROUND);
    if (!gone && !orphan && !foreground)
        return;
    struct dep *deps;
    size_t n = find_dependents(s, w->r, w->ns, uid, false, &deps);
    for (size_t i = 0; i < n; i++) {
        if (orphan) {
            gc_update(s, deps[i].ri, w->ns, deps[i].name, drop_owner, uid);
            continue;
        }
        struct sim_write_opts o = {.user = GC_USER};
        struct sim_status *err = NULL;
        cJSON *dep = sim_store_get(s, s->res[deps[i].ri].plural, w->ns, deps[i].name, &err);
        const char *duid = json_get_string(dep, "metadata", "uid", (char *)NULL);
        if (foreground && duid != NULL) {
            struct dep *sub;
            size_t ns = find_dependents(s, &s->res[deps[i].ri], w->ns, duid, false, &sub);
            deps_free(sub, ns);
            if (ns > 0)
                o.propagation = SIM_PROPAGATE_FOREGROUND;
        }
        cJSON_Delete(dep);
        sim_status_free(err);
        err = NULL;
        cJSON_Delete(sim_store_delete(s, s->res[deps[i].ri].plural, w->ns, deps[i].name, &o, &err));
        sim_status_free(err); /* gone already, or held by a finalizer: as the GC, try once */
    }
    deps_free(deps, n);
    if (orphan)
        gc_update(s, w->ri, w->ns, w->name, drop_finalizer, FIN_ORPHAN);
    else if (foreground)
        release_if_done(s, w->ri, w->ns, w->name, uid);
}

/* When an object is gone, an owner of it waiting in a foreground delete may be done. */
static void release_owners(struct sim_store *s, const struct write *w, const cJSON *obj)
{
    const cJSON *ref;
    cJSON_ArrayForEach(ref, json_get(obj, "metadata", "ownerReferences", (char *)NULL))
    {
        const struct sim_resource *r =
            sim_resource_by_kind(json_get_string(ref, "apiVersion", (char *)NULL),
                                 json_get_string(ref, "kind", (char *)NULL));
        const char *name = json_get_string(ref, "name", (char *)NULL);
        const char *uid = json_get_string(ref, "uid", (char *)NULL);
        size_t ri = r != NULL ? res_index(s, r->plural) : SIZE_MAX;
        if (ri == SIZE_MAX || name == NULL || uid == NULL || r->namespaced != w->r->namespaced)
            continue;
        struct sim_status *err = NULL;
        cJSON *owner = sim_store_get(s, r->plural, w->ns, name, &err);
        sim_status_free(err);
        const char *ouid = json_get_string(owner, "metadata", "uid", (char *)NULL);
        bool waiting = ouid != NULL && strcmp(ouid, uid) == 0 &&
                       json_get(owner, "metadata", "deletionTimestamp", (char *)NULL) != NULL &&
                       has_finalizer(owner, FIN_FOREGROUND);
        cJSON_Delete(owner);
        if (waiting)
            release_if_done(s, ri, w->ns, name, uid);
    }
}

/* Kargo's project controller: a Project's namespace (made, or adopted when it carries the project
 * label) is owned by the Project, so deleting the Project deletes the namespace and everything in
 * it, unless the Project says kargo.akuity.io/keep-namespace: "true". */
static void project_namespace(struct sim_store *s, const char *name, const cJSON *project)
{
    const char *keep = json_get_string(project, "metadata", "annotations",
                                       "kargo.akuity.io/keep-namespace", (char *)NULL);
    const char *uid = json_get_string(project, "metadata", "uid", (char *)NULL);
    cJSON *owners = cJSON_CreateArray();
    if ((keep == NULL || strcmp(keep, "true") != 0) && uid != NULL) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "apiVersion", "kargo.akuity.io/v1alpha1");
        cJSON_AddStringToObject(o, "kind", "Project");
        cJSON_AddStringToObject(o, "name", name);
        cJSON_AddStringToObject(o, "uid", uid);
        cJSON_AddBoolToObject(o, "blockOwnerDeletion", true);
        cJSON_AddBoolToObject(o, "controller", true);
        cJSON_AddItemToArray(owners, o);
    }
    struct sim_write_opts wo = {.user = CONTROLLER_USER};
    struct sim_status *err = NULL;
    cJSON *ns = sim_store_get(s, "namespaces", NULL, name, &err);
    sim_status_free(err);
    err = NULL;
    if (ns == NULL) {
        ns = cJSON_CreateObject();
        cJSON *meta = json_ensure_object(ns, "metadata", (char *)NULL);
        set_string(meta, "name", name);
        set_string(json_ensure_object(meta, "labels", (char *)NULL), "kargo.akuity.io/project",
                   "true");
        if (cJSON_GetArraySize(owners) > 0)
            cJSON_AddItemToObject(meta, "ownerReferences", cJSON_Duplicate(owners, true));
        cJSON_Delete(sim_store_create(s, "namespaces", NULL, ns, &wo, &err));
    } else {
        const char *label =
            json_get_string(ns, "metadata", "labels", "kargo.akuity.io/project", (char *)NULL);
        if (label != NULL && strcmp(label, "true") == 0 && cJSON_GetArraySize(owners) > 0 &&
            json_get(ns, "metadata", "ownerReferences", (char *)NULL) == NULL) {
            cJSON *patch = cJSON_CreateObject();
            cJSON_AddItemToObject(cJSON_AddObjectToObject(patch, "metadata"), "ownerReferences",
                                  cJSON_Duplicate(owners, true));
            char *text = cJSON_PrintUnformatted(patch);
            cJSON_Delete(sim_store_patch(s, "namespaces", NULL, name, false, SIM_PATCH_MERGE, text,
                                         strlen(text), &wo, &err));
            free(text);
            cJSON_Delete(patch);
        }
    }
    sim_status_free(err);
    cJSON_Delete(ns);
    cJSON_Delete(owners);
}

static void after_write(struct sim_store *s, const struct write *w, const cJSON *obj, bool del)
{
    if (del || w->kind == W_DELETE)
        collect_dependents(s, w, obj, del);
    if (del)
        release_owners(s, w, obj);
    if (strcmp(w->r->plural, "projects") == 0 && !del &&
        (w->kind == W_CREATE || w->kind == W_APPLY))
        project_namespace(s, w->name, obj);
    if (strcmp(w->r->plural, "namespaces") == 0 && del) {
        pthread_mutex_lock(&s->mu);
        for (size_t ri = 0; ri < s->nres; ri++) {
            if (!s->res[ri].namespaced)
                continue;
            struct bucket *b = bucket_find(&s->tables[ri], w->name);
            while (b != NULL && b->n > 0) {
                struct rec *cur = b->items[b->n - 1];
                cJSON *o = cJSON_ParseWithLength(cur->text, cur->len);
                char buf[32];
                unsigned long long rv = ++s->rv;
                snprintf(buf, sizeof buf, "%llu", rv);
                set_string(json_ensure_object(o, "metadata", (char *)NULL), "resourceVersion", buf);
                struct rec *rec = rec_new(o, cur->ns, cur->name, rv);
                cJSON_Delete(o);
                ring_push(s, SIM_EVENT_DELETED, ri, rec, cur);
                rec_unref(rec);
                rec_unref(cur);
                b->n--;
            }
        }
        pthread_cond_broadcast(&s->changed);
        pthread_mutex_unlock(&s->mu);
    }
}

static int write_init(struct sim_store *s, struct write *w, const char *plural, const char *ns,
                      const struct sim_write_opts *o, struct sim_status **err)
{
    memset(w, 0, sizeof *w);
    w->ri = res_index(s, plural);
    if (w->ri == SIZE_MAX) {
        *err = unknown_resource(plural);
        return -1;
    }
    w->r = &s->res[w->ri];
    w->o = o;
    w->ns = ns_key(w->r, ns);
    if (w->r->namespaced && w->ns[0] == '\0') {
        *err = sim_status_bad_request("an empty namespace may not be set when a resource name is "
                                      "provided");
        return -1;
    }
    return 0;
}

cJSON *sim_store_create(struct sim_store *s, const char *plural, const char *ns, const cJSON *obj,
                        const struct sim_write_opts *o, struct sim_status **err)
{
    *err = NULL;
    if (ns == NULL || ns[0] == '\0')
        ns = json_get_string(obj, "metadata", "namespace", (char *)NULL);
    struct write w;
    if (write_init(s, &w, plural, ns, o, err) < 0)
        return NULL;
    w.kind = W_CREATE;
    cJSON *prepared = cJSON_Duplicate(obj, true);
    *err = prepare_create(s, &w, prepared);
    if (*err == NULL) {
        const char *name = json_get_string(prepared, "metadata", "name", (char *)NULL);
        if (name == NULL || name[0] == '\0') {
            /* Reported by the schema with kube's wording; admission sees the nameless object. */
            *err = sim_schema_validate(w.r, prepared);
            if (*err == NULL)
                *err = sim_status_internal("object has no name");
        } else {
            w.name = name;
            w.obj = prepared;
            cJSON *res = write_run(s, &w, err);
            free(w.renamed);
            cJSON_Delete(prepared);
            return res;
        }
    }
    cJSON_Delete(prepared);
    return NULL;
}

static cJSON *replace(struct sim_store *s, enum write_kind kind, const char *plural, const char *ns,
                      const cJSON *obj, const struct sim_write_opts *o, struct sim_status **err)
{
    *err = NULL;
    struct write w;
    if (write_init(s, &w, plural, ns, o, err) < 0)
        return NULL;
    w.kind = kind;
    w.status_only = kind == W_STATUS;
    w.name = json_get_string(obj, "metadata", "name", (char *)NULL);
    if (w.name == NULL) {
        *err = sim_status_bad_request("the object has no metadata.name");
        return NULL;
    }
    w.obj = obj;
    return write_run(s, &w, err);
}

cJSON *sim_store_update(struct sim_store *s, const char *plural, const char *ns, const cJSON *obj,
                        const struct sim_write_opts *o, struct sim_status **err)
{
    if (ns == NULL || ns[0] == '\0')
        ns = json_get_string(obj, "metadata", "namespace", (char *)NULL);
    return replace(s, W_UPDATE, plural, ns, obj, o, err);
}

cJSON *sim_store_update_status(struct sim_store *s, const char *plural, const char *ns,
                               const cJSON *obj, const struct sim_write_opts *o,
                               struct sim_status **err)
{
    if (ns == NULL || ns[0] == '\0')
        ns = json_get_string(obj, "metadata", "namespace", (char *)NULL);
    return replace(s, W_STATUS, plural, ns, obj, o, err);
}

cJSON *sim_store_patch(struct sim_store *s, const char *plural, const char *ns, const char *name,
                       bool status_only, enum sim_patch_type type, const char *patch, size_t len,
                       const struct sim_write_opts *o, struct sim_status **err)
{
    *err = NULL;
    struct write w;
    if (write_init(s, &w, plural, ns, o, err) < 0)
        return NULL;
    if (type == SIM_PATCH_STRATEGIC && w.r->is_crd) {
        *err = sim_status_new(415, "UnsupportedMediaType",
                              "the body of the request was in an unknown format - accepted media "
                              "types include: application/json-patch+json, "
                              "application/merge-patch+json, application/apply-patch+yaml");
        return NULL;
    }
    w.kind = W_PATCH;
    w.name = name;
    w.status_only = status_only;
    w.ptype = type == SIM_PATCH_JSON ? SIM_PATCH_JSON : SIM_PATCH_MERGE;
    w.patch = patch;
    w.patch_len = len;
    return write_run(s, &w, err);
}

cJSON *sim_store_apply(struct sim_store *s, const char *plural, const char *ns, const char *name,
                       bool status_only, const cJSON *applied, const char *manager, bool force,
                       const struct sim_write_opts *o, bool *created, struct sim_status **err)
{
    *err = NULL;
    struct write w;
    if (write_init(s, &w, plural, ns, o, err) < 0)
        return NULL;
    if (manager == NULL || manager[0] == '\0') {
        *err = sim_status_new(422, "Invalid",
                              "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required "
                              "value: is required for apply patch");
        return NULL;
    }
    w.kind = W_APPLY;
    w.name = name;
    w.status_only = status_only;
    w.obj = applied;
    w.manager = manager;
    w.force = force;
    pthread_mutex_lock(&s->mu);
    bool existed = item_find(bucket_find(&s->tables[w.ri], w.ns), name) != NULL;
    pthread_mutex_unlock(&s->mu);
    cJSON *res = write_run(s, &w, err);
    free(w.renamed);
    if (created != NULL)
        *created = res != NULL && !existed;
    return res;
}

cJSON *sim_store_delete(struct sim_store *s, const char *plural, const char *ns, const char *name,
                        const struct sim_write_opts *o, struct sim_status **err)
{
    *err = NULL;
    struct write w;
    if (write_init(s, &w, plural, ns, o, err) < 0)
        return NULL;
    w.kind = W_DELETE;
    w.name = name;
    return write_run(s, &w, err);
}
