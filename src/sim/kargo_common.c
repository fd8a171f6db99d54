/* Helpers the Kargo controller parts share: time, status writes, conditions, references. */
#include "kargo_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/store.h"
#include "util/json.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

int64_t kargo_now(struct kargo *k)
{
    return simclock_now(&k->clock);
}

void kargo_due(struct kargo *k, int64_t at_ms)
{
    if (at_ms < k->next_due)
        k->next_due = at_ms;
}

void kargo_due_s(struct kargo *k, int64_t at_s)
{
    if (at_s < KARGO_NEVER / 1000)
        kargo_due(k, at_s * 1000);
}

void kargo_now_str(struct kargo *k, char *buf, size_t n)
{
    simclock_rfc3339(&k->clock, buf, n);
}

void kargo_ulid_now(struct kargo *k, char *out)
{
    int64_t ms = simclock_now_ms(&k->clock);
    pthread_mutex_lock(&k->lock);
    kargo_ulid_monotonic(&k->ulid, ms, &k->rng, out);
    pthread_mutex_unlock(&k->lock);
}

void kargo_uuid_new(struct kargo *k, char *out)
{
    pthread_mutex_lock(&k->lock);
    kargo_uuid(&k->rng, out);
    pthread_mutex_unlock(&k->lock);
}

cJSON *kargo_find(const cJSON *list, const char *name)
{
    cJSON *it;
    cJSON_ArrayForEach(it, list)
    {
        const char *n = json_get_string(it, "metadata", "name", (char *)NULL);
        if (n != NULL && strcmp(n, name) == 0)
            return it;
    }
    return NULL;
}

void kargo_json_put(cJSON *obj, const char *key, cJSON *item)
{
    if (cJSON_GetObjectItemCaseSensitive(obj, key) != NULL)
        cJSON_ReplaceItemInObjectCaseSensitive(obj, key, item);
    else
        cJSON_AddItemToObject(obj, key, item);
}

/* The stored object's members move into item, so that pointers to item (in indexes, in loops)
 * stay valid: cJSON children do not point back at their parent. */
static cJSON *replace_in_list(cJSON *list, cJSON *item, cJSON *stored)
{
    (void)list;
    if (cJSON_IsObject(item) && cJSON_IsObject(stored)) {
        cJSON *old = item->child;
        item->child = stored->child;
        stored->child = old;
    }
    cJSON_Delete(stored);
    return item;
}

static const struct kargo_plist empty_plist;

cJSON *kargo_ns_freight(const struct kargo_ns *n, const char *name)
{
    return name != NULL ? hmap_get(&n->freight_idx, name) : NULL;
}

const struct kargo_plist *kargo_ns_promotions(const struct kargo_ns *n, const char *stage)
{
    const struct kargo_plist *l = stage != NULL ? hmap_get(&n->promo_idx, stage) : NULL;
    return l != NULL ? l : &empty_plist;
}

static void index_freight(struct kargo_ns *n, cJSON *obj)
{
    const char *name = json_get_string(obj, "metadata", "name", (char *)NULL);
    if (name != NULL)
        hmap_put(&n->freight_idx, name, obj);
}

static void index_promotion(struct kargo_ns *n, cJSON *obj)
{
    const char *stage = json_get_string(obj, "spec", "stage", (char *)NULL);
    if (stage == NULL)
        return;
    struct kargo_plist *l = hmap_get(&n->promo_idx, stage);
    if (l == NULL) {
        l = xcalloc(1, sizeof(*l));
        hmap_put(&n->promo_idx, stage, l);
    }
    l->items = xreallocarray_grow(l->items, &l->cap, l->n + 1, sizeof(*l->items));
    l->items[l->n++] = obj;
}

void kargo_ns_add_freight(struct kargo_ns *n, cJSON *obj)
{
    cJSON_AddItemToArray(n->freights, obj);
    index_freight(n, obj);
}

void kargo_ns_add_promotion(struct kargo_ns *n, cJSON *obj)
{
    cJSON_AddItemToArray(n->promotions, obj);
    index_promotion(n, obj);
}

void kargo_ns_index(struct kargo_ns *n)
{
    hmap_init(&n->freight_idx);
    hmap_init(&n->promo_idx);
    cJSON *it;
    cJSON_ArrayForEach(it, n->freights)
    {
        index_freight(n, it);
    }
    cJSON_ArrayForEach(it, n->promotions)
    {
        index_promotion(n, it);
    }
}

static void free_plist(void *v)
{
    struct kargo_plist *l = v;
    free(l->items);
    free(l);
}

void kargo_ns_unindex(struct kargo_ns *n)
{
    hmap_free(&n->freight_idx, NULL);
    hmap_free(&n->promo_idx, free_plist);
}

cJSON *kargo_set_status(struct kargo *k, const char *plural, const char *ns, cJSON *list,
                        cJSON *item, cJSON *status)
{
    const cJSON *old = cJSON_GetObjectItemCaseSensitive(item, "status");
    if (old != NULL && cJSON_Compare(old, status, true)) {
        cJSON_Delete(status);
        return item;
    }
    if (old == NULL && cJSON_GetArraySize(status) == 0) {
        cJSON_Delete(status);
        return item;
    }
    cJSON *obj = cJSON_Duplicate(item, true);
    kargo_json_put(obj, "status", status);
    struct sim_write_opts o = {0};
    struct sim_status *err = NULL;
    cJSON *stored = sim_store_update_status(k->store, plural, ns, obj, &o, &err);
    cJSON_Delete(obj);
    k->writes++;
    if (stored == NULL) {
        sim_status_free(err);
        return item;
    }
    return replace_in_list(list, item, stored);
}

cJSON *kargo_set_object(struct kargo *k, const char *plural, const char *ns, cJSON *list,
                        cJSON *item, cJSON *obj)
{
    if (cJSON_Compare(item, obj, true)) {
        cJSON_Delete(obj);
        return item;
    }
    struct sim_write_opts o = {0};
    struct sim_status *err = NULL;
    cJSON *stored = sim_store_update(k->store, plural, ns, obj, &o, &err);
    cJSON_Delete(obj);
    k->writes++;
    if (stored == NULL) {
        sim_status_free(err);
        return item;
    }
    return replace_in_list(list, item, stored);
}

void kargo_condition_set(struct kargo *k, cJSON *conds, const char *type, const char *status,
                         const char *reason, const char *message, double generation)
{
    cJSON *c = NULL, *it;
    cJSON_ArrayForEach(it, conds)
    {
        const char *t = json_get_string(it, "type", (char *)NULL);
        if (t != NULL && strcmp(t, type) == 0) {
            c = it;
            break;
        }
    }
    char now[32];
    kargo_now_str(k, now, sizeof(now));
    const char *since = now;
    char *keep = NULL;
    if (c != NULL) {
        const char *old = json_get_string(c, "status", (char *)NULL);
        const char *ltt = json_get_string(c, "lastTransitionTime", (char *)NULL);
        if (old != NULL && strcmp(old, status) == 0 && ltt != NULL)
            since = keep = xstrdup(ltt);
    } else {
        c = cJSON_CreateObject();
        cJSON_AddItemToArray(conds, c);
    }
    while (c->child != NULL)
        cJSON_Delete(cJSON_DetachItemViaPointer(c, c->child));
    cJSON_AddStringToObject(c, "type", type);
    cJSON_AddStringToObject(c, "status", status);
    cJSON_AddStringToObject(c, "reason", reason);
    cJSON_AddStringToObject(c, "message", message ? message : "");
    cJSON_AddNumberToObject(c, "observedGeneration", generation);
    cJSON_AddStringToObject(c, "lastTransitionTime", since);
    free(keep);
}

cJSON *kargo_freight_ref(const cJSON *freight)
{
    static const char *const keys[] = {"commits", "images", "charts", "artifacts"};
    cJSON *r = cJSON_CreateObject();
    const char *name = json_get_string(freight, "metadata", "name", (char *)NULL);
    if (name == NULL)
        name = json_get_string(freight, "name", (char *)NULL);
    cJSON_AddStringToObject(r, "name", name ? name : "");
    const cJSON *o = json_get(freight, "origin", (char *)NULL);
    if (o != NULL)
        cJSON_AddItemToObject(r, "origin", cJSON_Duplicate(o, true));
    for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++) {
        const cJSON *a = json_get(freight, keys[i], (char *)NULL);
        if (cJSON_GetArraySize(a) > 0)
            cJSON_AddItemToObject(r, keys[i], cJSON_Duplicate(a, true));
    }
    return r;
}

const char *kargo_origin_key(const cJSON *obj, char *buf, size_t n)
{
    const char *kind = json_get_string(obj, "origin", "kind", (char *)NULL);
    const char *name = json_get_string(obj, "origin", "name", (char *)NULL);
    snprintf(buf, n, "%s/%s", kind ? kind : "Warehouse", name ? name : "");
    return buf;
}

void kargo_step_alias(const cJSON *steps, int i, char *buf, size_t n)
{
    const char *as = json_get_string(cJSON_GetArrayItem(steps, i), "as", (char *)NULL);
    if (as != NULL && *as)
        snprintf(buf, n, "%s", as);
    else
        snprintf(buf, n, "step-%d", i + 1);
}

bool kargo_phase_terminal(const char *phase)
{
    return phase != NULL && (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0 ||
                             strcmp(phase, "Errored") == 0 || strcmp(phase, "Aborted") == 0);
}
