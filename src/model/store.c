/* One hash map by name per kind, plus the sorted indexes the views walk: Stages and Warehouses
 * by name, Freight per origin by discovery time, Promotions per Stage by name (ULID), Events by
 * time. Freight and Promotions mostly arrive in time order, so an insert is usually an append;
 * a relist appends everything and sorts once. Decoding happens before the write lock is taken. */
#include "model/store.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/hmap.h"
#include "util/json.h"
#include "util/xalloc.h"

typedef int (*vec_cmp)(const void *a, const void *b);

/* A sorted array of object pointers. */
struct vec {
    void **v;
    size_t n;
    size_t cap;
};

struct store {
    char *ns;
    pthread_rwlock_t lock;
    atomic_ulong generation;
    atomic_ulong topology;
    struct hmap objs[KARGO_KIND_COUNT]; /* name -> object (the key is the object's name) */
    struct vec stage_list;
    struct vec warehouse_list;
    struct vec event_list;
    struct hmap freight_alias;    /* alias -> Freight (the key is its alias) */
    struct hmap freight_origin;   /* origin key -> struct vec of Freight */
    struct hmap stage_promotions; /* stage name -> struct vec of Promotions */
    void (*notify)(void *ctx);
    void *notify_ctx;
};

struct kind_ops {
    const char *name;
    void *(*decode)(const cJSON *obj, char **cause);
    void (*free)(void *obj);
    const char *(*key)(const void *obj);
};

#define KIND_WRAP(kind, type, namefield)                                                           \
    static void *kind##_decode(const cJSON *obj, char **cause)                                     \
    {                                                                                              \
        return kargo_decode_##kind(obj, cause);                                                    \
    }                                                                                              \
    static void kind##_free(void *obj)                                                             \
    {                                                                                              \
        kargo_free_##kind(obj);                                                                    \
    }                                                                                              \
    static const char *kind##_key(const void *obj)                                                 \
    {                                                                                              \
        return ((const struct type *)obj)->namefield;                                              \
    }

KIND_WRAP(project, kargo_project, name)
KIND_WRAP(project_config, kargo_project_config, name)
KIND_WRAP(warehouse, kargo_warehouse, name)
KIND_WRAP(stage, kargo_stage, name)
KIND_WRAP(freight, kargo_freight, ref.name)
KIND_WRAP(promotion, kargo_promotion, name)
KIND_WRAP(event, kargo_event, name)

static const struct kind_ops kinds[KARGO_KIND_COUNT] = {
    [KARGO_PROJECT] = {"Project", project_decode, project_free, project_key},
    [KARGO_PROJECT_CONFIG] = {"ProjectConfig", project_config_decode, project_config_free,
                              project_config_key},
    [KARGO_WAREHOUSE] = {"Warehouse", warehouse_decode, warehouse_free, warehouse_key},
    [KARGO_STAGE] = {"Stage", stage_decode, stage_free, stage_key},
    [KARGO_FREIGHT] = {"Freight", freight_decode, freight_free, freight_key},
    [KARGO_PROMOTION] = {"Promotion", promotion_decode, promotion_free, promotion_key},
    [KARGO_EVENT] = {"Event", event_decode, event_free, event_key},
};

static int cmp_stage(const void *a, const void *b)
{
    return strcmp(((const struct kargo_stage *)a)->name, ((const struct kargo_stage *)b)->name);
}

static int cmp_warehouse(const void *a, const void *b)
{
    return strcmp(((const struct kargo_warehouse *)a)->name,
                  ((const struct kargo_warehouse *)b)->name);
}

static int cmp_freight(const void *a, const void *b)
{
    const struct kargo_freight *x = a, *y = b;
    if (x->discovered != y->discovered)
        return x->discovered < y->discovered ? -1 : 1;
    return strcmp(x->ref.name, y->ref.name);
}

static int cmp_promotion(const void *a, const void *b)
{
    return strcmp(((const struct kargo_promotion *)a)->name,
                  ((const struct kargo_promotion *)b)->name);
}

static int cmp_event(const void *a, const void *b)
{
    const struct kargo_event *x = a, *y = b;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* First index whose element is not less than obj. */
static size_t vec_lower(const struct vec *vc, vec_cmp cmp, const void *obj)
{
    size_t lo = 0, hi = vc->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp(vc->v[mid], obj) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void vec_push(struct vec *vc, void *obj)
{
    vc->v = xreallocarray_grow(vc->v, &vc->cap, vc->n + 1, sizeof *vc->v);
    vc->v[vc->n++] = obj;
}

static void vec_insert(struct vec *vc, vec_cmp cmp, void *obj)
{
    /* appends are the common case (new Freight, new Promotions): check the end first */
    size_t pos = (vc->n == 0 || cmp(vc->v[vc->n - 1], obj) < 0) ? vc->n : vec_lower(vc, cmp, obj);
    vec_push(vc, obj);
    memmove(&vc->v[pos + 1], &vc->v[pos], (vc->n - 1 - pos) * sizeof *vc->v);
    vc->v[pos] = obj;
}

static size_t vec_find(const struct vec *vc, vec_cmp cmp, const void *obj)
{
    for (size_t i = vec_lower(vc, cmp, obj); i < vc->n; i++) {
        if (vc->v[i] == obj)
            return i;
        if (cmp(vc->v[i], obj) != 0)
            break;
    }
    return (size_t)-1;
}

static void vec_remove(struct vec *vc, vec_cmp cmp, const void *obj)
{
    size_t pos = vec_find(vc, cmp, obj);
    if (pos == (size_t)-1)
        return;
    memmove(&vc->v[pos], &vc->v[pos + 1], (vc->n - pos - 1) * sizeof *vc->v);
    vc->n--;
}

static void vec_replace(struct vec *vc, vec_cmp cmp, const void *old, void *obj)
{
    size_t pos = vec_find(vc, cmp, old);
    if (pos != (size_t)-1 && cmp(old, obj) == 0) {
        vc->v[pos] = obj;
        return;
    }
    vec_remove(vc, cmp, old);
    vec_insert(vc, cmp, obj);
}

static void vec_sort(struct vec *vc, vec_cmp cmp)
{
    size_t n = vc->n;
    if (n < 2)
        return;
    void **tmp = xmalloc(n * sizeof *tmp);
    /* bottom-up merge sort: stable and free of qsort's double indirection */
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] = cmp(vc->v[j], vc->v[i]) < 0 ? vc->v[j++] : vc->v[i++];
            while (i < mid)
                tmp[k++] = vc->v[i++];
            while (j < hi)
                tmp[k++] = vc->v[j++];
        }
        memcpy(vc->v, tmp, n * sizeof *tmp);
    }
    free(tmp);
}

static void vec_free(void *p)
{
    struct vec *vc = p;
    if (vc == NULL)
        return;
    free(vc->v);
    free(vc);
}

static struct vec *group_vec(struct hmap *m, const char *key, bool create)
{
    struct vec *vc = hmap_get(m, key);
    if (vc == NULL && create) {
        vc = xcalloc(1, sizeof *vc);
        hmap_put(m, key, vc);
    }
    return vc;
}

static const char *promotion_stage(const struct kargo_promotion *p)
{
    return p->stage ? p->stage : "";
}

/* Adds obj to the indexes of its kind; bulk appends unsorted (the caller sorts afterwards). */
static void index_add(struct store *st, enum kargo_kind kind, void *obj, bool bulk)
{
    switch (kind) {
    case KARGO_STAGE:
        if (bulk)
            vec_push(&st->stage_list, obj);
        else
            vec_insert(&st->stage_list, cmp_stage, obj);
        break;
    case KARGO_WAREHOUSE:
        if (bulk)
            vec_push(&st->warehouse_list, obj);
        else
            vec_insert(&st->warehouse_list, cmp_warehouse, obj);
        break;
    case KARGO_EVENT:
        if (bulk)
            vec_push(&st->event_list, obj);
        else
            vec_insert(&st->event_list, cmp_event, obj);
        break;
    case KARGO_FREIGHT: {
        struct kargo_freight *f = obj;
        struct vec *vc = group_vec(&st->freight_origin, f->ref.origin.key, true);
        if (bulk)
            vec_push(vc, f);
        else
            vec_insert(vc, cmp_freight, f);
        if (f->alias != NULL && *f->alias != '\0')
            hmap_put(&st->freight_alias, f->alias, f);
        break;
    }
    case KARGO_PROMOTION: {
        struct kargo_promotion *p = obj;
        struct vec *vc = group_vec(&st->stage_promotions, promotion_stage(p), true);
        if (bulk)
            vec_push(vc, p);
        else
            vec_insert(vc, cmp_promotion, p);
        break;
    }
    default:
        break;
    }
}

static void index_remove(struct store *st, enum kargo_kind kind, void *obj)
{
    switch (kind) {
    case KARGO_STAGE:
        vec_remove(&st->stage_list, cmp_stage, obj);
        break;
    case KARGO_WAREHOUSE:
        vec_remove(&st->warehouse_list, cmp_warehouse, obj);
        break;
    case KARGO_EVENT:
        vec_remove(&st->event_list, cmp_event, obj);
        break;
    case KARGO_FREIGHT: {
        struct kargo_freight *f = obj;
        struct vec *vc = group_vec(&st->freight_origin, f->ref.origin.key, false);
        if (vc != NULL) {
            vec_remove(vc, cmp_freight, f);
            if (vc->n == 0)
                vec_free(hmap_remove(&st->freight_origin, f->ref.origin.key));
        }
        if (f->alias != NULL && hmap_get(&st->freight_alias, f->alias) == f)
            hmap_remove(&st->freight_alias, f->alias);
        break;
    }
    case KARGO_PROMOTION: {
        struct kargo_promotion *p = obj;
        struct vec *vc = group_vec(&st->stage_promotions, promotion_stage(p), false);
        if (vc != NULL) {
            vec_remove(vc, cmp_promotion, p);
            if (vc->n == 0)
                vec_free(hmap_remove(&st->stage_promotions, promotion_stage(p)));
        }
        break;
    }
    default:
        break;
    }
}

/* Replaces old by obj in the indexes, in place when the sort key is unchanged (the usual case:
 * a status update). */
static void index_replace(struct store *st, enum kargo_kind kind, void *old, void *obj)
{
    switch (kind) {
    case KARGO_STAGE:
        vec_replace(&st->stage_list, cmp_stage, old, obj);
        break;
    case KARGO_WAREHOUSE:
        vec_replace(&st->warehouse_list, cmp_warehouse, old, obj);
        break;
    case KARGO_EVENT:
        vec_replace(&st->event_list, cmp_event, old, obj);
        break;
    case KARGO_FREIGHT: {
        struct kargo_freight *o = old, *f = obj;
        if (strcmp(o->ref.origin.key, f->ref.origin.key) != 0) {
            index_remove(st, kind, old);
            index_add(st, kind, obj, false);
            break;
        }
        vec_replace(group_vec(&st->freight_origin, f->ref.origin.key, true), cmp_freight, o, f);
        if (o->alias != NULL && hmap_get(&st->freight_alias, o->alias) == o)
            hmap_remove(&st->freight_alias, o->alias);
        if (f->alias != NULL && *f->alias != '\0')
            hmap_put(&st->freight_alias, f->alias, f);
        break;
    }
    case KARGO_PROMOTION: {
        struct kargo_promotion *o = old, *p = obj;
        if (strcmp(promotion_stage(o), promotion_stage(p)) != 0) {
            index_remove(st, kind, old);
            index_add(st, kind, obj, false);
            break;
        }
        vec_replace(group_vec(&st->stage_promotions, promotion_stage(p), true), cmp_promotion, o,
                    p);
        break;
    }
    default:
        break;
    }
}

static bool stage_shape_differs(const struct kargo_stage *a, const struct kargo_stage *b)
{
    return strcmp(a->topology_key, b->topology_key) != 0;
}

const char *store_kind_name(enum kargo_kind kind)
{
    if ((int)kind < 0 || kind >= KARGO_KIND_COUNT)
        return "object";
    return kinds[kind].name;
}

struct store *store_new(const char *ns)
{
    struct store *st = xcalloc(1, sizeof *st);
    st->ns = xstrdup(ns ? ns : "");
    pthread_rwlock_init(&st->lock, NULL);
    atomic_init(&st->generation, 1);
    atomic_init(&st->topology, 1);
    for (int k = 0; k < KARGO_KIND_COUNT; k++)
        hmap_init_borrowed(&st->objs[k]);
    hmap_init_borrowed(&st->freight_alias);
    hmap_init(&st->freight_origin);
    hmap_init(&st->stage_promotions);
    return st;
}

void store_free(struct store *st)
{
    if (st == NULL)
        return;
    for (int k = 0; k < KARGO_KIND_COUNT; k++)
        hmap_free(&st->objs[k], kinds[k].free);
    free(st->stage_list.v);
    free(st->warehouse_list.v);
    free(st->event_list.v);
    hmap_free(&st->freight_alias, NULL);
    hmap_free(&st->freight_origin, vec_free);
    hmap_free(&st->stage_promotions, vec_free);
    pthread_rwlock_destroy(&st->lock);
    free(st->ns);
    free(st);
}

void store_set_notify(struct store *st, void (*notify)(void *ctx), void *ctx)
{
    pthread_rwlock_wrlock(&st->lock);
    st->notify = notify;
    st->notify_ctx = ctx;
    pthread_rwlock_unlock(&st->lock);
}

/* Releases the write lock, then tells the reader. */
static void store_changed(struct store *st, bool topology)
{
    atomic_fetch_add(&st->generation, 1);
    if (topology)
        atomic_fetch_add(&st->topology, 1);
    void (*notify)(void *) = st->notify;
    void *ctx = st->notify_ctx;
    pthread_rwlock_unlock(&st->lock);
    if (notify != NULL)
        notify(ctx);
}

int store_apply(struct store *st, enum kargo_kind kind, enum store_event ev, const cJSON *obj,
                char **cause)
{
    if ((int)kind < 0 || kind >= KARGO_KIND_COUNT) {
        cause_set(cause, "unknown object kind %d", (int)kind);
        return -1;
    }
    const struct kind_ops *ops = &kinds[kind];
    if (ev == STORE_DELETED) {
        const char *name = json_get_string(obj, "metadata", "name", (char *)NULL);
        if (name == NULL) {
            cause_set(cause, "deleted %s has no metadata.name", ops->name);
            return -1;
        }
        pthread_rwlock_wrlock(&st->lock);
        void *old = hmap_remove(&st->objs[kind], name);
        if (old == NULL) {
            pthread_rwlock_unlock(&st->lock);
            return 0;
        }
        index_remove(st, kind, old);
        ops->free(old);
        store_changed(st, kind == KARGO_STAGE || kind == KARGO_WAREHOUSE);
        return 0;
    }

    void *o = ops->decode(obj, cause);
    if (o == NULL)
        return -1;
    pthread_rwlock_wrlock(&st->lock);
    void *old = hmap_put(&st->objs[kind], ops->key(o), o);
    bool topology = false;
    if (old != NULL) {
        index_replace(st, kind, old, o);
        topology = kind == KARGO_STAGE && stage_shape_differs(old, o);
        ops->free(old);
    } else {
        index_add(st, kind, o, false);
        topology = kind == KARGO_STAGE || kind == KARGO_WAREHOUSE;
    }
    store_changed(st, topology);
    return 0;
}

static void clear_indexes(struct store *st, enum kargo_kind kind)
{
    switch (kind) {
    case KARGO_STAGE:
        st->stage_list.n = 0;
        break;
    case KARGO_WAREHOUSE:
        st->warehouse_list.n = 0;
        break;
    case KARGO_EVENT:
        st->event_list.n = 0;
        break;
    case KARGO_FREIGHT:
        hmap_free(&st->freight_alias, NULL);
        hmap_free(&st->freight_origin, vec_free);
        break;
    case KARGO_PROMOTION:
        hmap_free(&st->stage_promotions, vec_free);
        break;
    default:
        break;
    }
}

static void sort_group(struct hmap *m, vec_cmp cmp)
{
    size_t it = 0;
    const char *key;
    void *vc;
    while (hmap_next(m, &it, &key, &vc))
        vec_sort(vc, cmp);
}

static void sort_indexes(struct store *st, enum kargo_kind kind)
{
    switch (kind) {
    case KARGO_STAGE:
        vec_sort(&st->stage_list, cmp_stage);
        break;
    case KARGO_WAREHOUSE:
        vec_sort(&st->warehouse_list, cmp_warehouse);
        break;
    case KARGO_EVENT:
        vec_sort(&st->event_list, cmp_event);
        break;
    case KARGO_FREIGHT:
        sort_group(&st->freight_origin, cmp_freight);
        break;
    case KARGO_PROMOTION:
        sort_group(&st->stage_promotions, cmp_promotion);
        break;
    default:
        break;
    }
}

/* Whether the new set of Stages or Warehouses has another graph shape than the current one. */
static bool replace_changes_shape(const struct store *st, enum kargo_kind kind,
                                  const struct hmap *fresh)
{
    if (kind != KARGO_STAGE && kind != KARGO_WAREHOUSE)
        return false;
    if (hmap_count(fresh) != hmap_count(&st->objs[kind]))
        return true;
    size_t it = 0;
    const char *name;
    void *obj;
    while (hmap_next(fresh, &it, &name, &obj)) {
        void *old = hmap_get(&st->objs[kind], name);
        if (old == NULL || (kind == KARGO_STAGE && stage_shape_differs(old, obj)))
            return true;
    }
    return false;
}

struct store_relist {
    struct store *st;
    enum kargo_kind kind;
    struct hmap fresh;
    char *first_error;
    size_t bad;
};

struct store_relist *store_relist_begin(struct store *st, enum kargo_kind kind)
{
    struct store_relist *r = xcalloc(1, sizeof *r);
    r->st = st;
    r->kind = kind;
    hmap_init_borrowed(&r->fresh);
    return r;
}

void store_relist_add(struct store_relist *r, const cJSON *items)
{
    const struct kind_ops *ops = &kinds[r->kind];
    const cJSON *item;
    cJSON_ArrayForEach(item, items)
    {
        char *why = NULL;
        void *o = ops->decode(item, &why);
        if (o == NULL) {
            if (r->first_error == NULL)
                r->first_error = why;
            else
                free(why);
            r->bad++;
            continue;
        }
        void *dup = hmap_put(&r->fresh, ops->key(o), o);
        if (dup != NULL)
            ops->free(dup);
    }
}

void store_relist_abort(struct store_relist *r)
{
    if (r == NULL)
        return;
    hmap_free(&r->fresh, kinds[r->kind].free);
    free(r->first_error);
    free(r);
}

int store_relist_commit(struct store_relist *r, char **cause)
{
    struct store *st = r->st;
    enum kargo_kind kind = r->kind;
    const struct kind_ops *ops = &kinds[kind];
    pthread_rwlock_wrlock(&st->lock);
    bool topology = replace_changes_shape(st, kind, &r->fresh);
    clear_indexes(st, kind);
    hmap_free(&st->objs[kind], ops->free);
    st->objs[kind] = r->fresh;
    size_t it = 0;
    const char *name;
    void *obj;
    while (hmap_next(&st->objs[kind], &it, &name, &obj))
        index_add(st, kind, obj, true);
    sort_indexes(st, kind);
    store_changed(st, topology);

    int rc = 0;
    if (r->first_error != NULL) {
        cause_set(cause, "%zu malformed %s skipped; first: %s", r->bad, ops->name, r->first_error);
        rc = -1;
    }
    free(r->first_error);
    free(r);
    return rc;
}

int store_replace(struct store *st, enum kargo_kind kind, const cJSON *items, char **cause)
{
    if ((int)kind < 0 || kind >= KARGO_KIND_COUNT) {
        cause_set(cause, "unknown object kind %d", (int)kind);
        return -1;
    }
    if (items != NULL && !cJSON_IsArray(items)) {
        cause_set(cause, "a %s list should be a JSON array", kinds[kind].name);
        return -1;
    }
    struct store_relist *r = store_relist_begin(st, kind);
    store_relist_add(r, items);
    return store_relist_commit(r, cause);
}

unsigned long store_generation(const struct store *st)
{
    return atomic_load(&((struct store *)st)->generation);
}

unsigned long store_topology_generation(const struct store *st)
{
    return atomic_load(&((struct store *)st)->topology);
}

void store_read_lock(struct store *st)
{
    pthread_rwlock_rdlock(&st->lock);
}

void store_read_unlock(struct store *st)
{
    pthread_rwlock_unlock(&st->lock);
}

const char *store_namespace(const struct store *st)
{
    return st->ns;
}

const struct kargo_project *store_project(const struct store *st)
{
    return hmap_get(&st->objs[KARGO_PROJECT], st->ns);
}

const struct kargo_project_config *store_project_config(const struct store *st)
{
    /* webhook-enforced: the ProjectConfig is named after its project */
    return hmap_get(&st->objs[KARGO_PROJECT_CONFIG], st->ns);
}

const struct kargo_stage *store_stage(const struct store *st, const char *name)
{
    return hmap_get(&st->objs[KARGO_STAGE], name);
}

size_t store_stages(const struct store *st, const struct kargo_stage *const **out)
{
    *out = (const struct kargo_stage *const *)st->stage_list.v;
    return st->stage_list.n;
}

const struct kargo_warehouse *store_warehouse(const struct store *st, const char *name)
{
    return hmap_get(&st->objs[KARGO_WAREHOUSE], name);
}

size_t store_warehouses(const struct store *st, const struct kargo_warehouse *const **out)
{
    *out = (const struct kargo_warehouse *const *)st->warehouse_list.v;
    return st->warehouse_list.n;
}

const struct kargo_freight *store_freight(const struct store *st, const char *name)
{
    return hmap_get(&st->objs[KARGO_FREIGHT], name);
}

const struct kargo_freight *store_freight_by_alias(const struct store *st, const char *alias)
{
    return hmap_get(&st->freight_alias, alias);
}

size_t store_freight_count(const struct store *st)
{
    return hmap_count(&st->objs[KARGO_FREIGHT]);
}

size_t store_freight_of_origin(const struct store *st, const char *origin_key,
                               const struct kargo_freight *const **out)
{
    const struct vec *vc = hmap_get(&st->freight_origin, origin_key);
    *out = vc ? (const struct kargo_freight *const *)vc->v : NULL;
    return vc ? vc->n : 0;
}

static int str_ptr_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

size_t store_freight_origins(const struct store *st, const char ***out)
{
    size_t n = hmap_count(&st->freight_origin), k = 0, it = 0;
    const char *key;
    void *vc;
    *out = n ? xcalloc(n, sizeof **out) : NULL;
    while (hmap_next(&st->freight_origin, &it, &key, &vc))
        (*out)[k++] = key;
    if (k > 1)
        qsort(*out, k, sizeof **out, str_ptr_cmp);
    return k;
}

const struct kargo_promotion *store_promotion(const struct store *st, const char *name)
{
    return hmap_get(&st->objs[KARGO_PROMOTION], name);
}

size_t store_promotion_count(const struct store *st)
{
    return hmap_count(&st->objs[KARGO_PROMOTION]);
}

size_t store_stage_promotions(const struct store *st, const char *stage,
                              const struct kargo_promotion *const **out)
{
    const struct vec *vc = hmap_get(&st->stage_promotions, stage);
    *out = vc ? (const struct kargo_promotion *const *)vc->v : NULL;
    return vc ? vc->n : 0;
}

size_t store_events(const struct store *st, const struct kargo_event *const **out)
{
    *out = (const struct kargo_event *const *)st->event_list.v;
    return st->event_list.n;
}
