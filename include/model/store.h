/* The live store of one project namespace: every Kargo object the views use, fed by informer
 * events and read by the UI thread under a briefly held read lock. */
#ifndef KT_MODEL_STORE_H
#define KT_MODEL_STORE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "model/kargo.h"

enum kargo_kind {
    KARGO_PROJECT,
    KARGO_PROJECT_CONFIG,
    KARGO_WAREHOUSE,
    KARGO_STAGE,
    KARGO_FREIGHT,
    KARGO_PROMOTION,
    KARGO_EVENT,
    KARGO_KIND_COUNT
};

enum store_event { STORE_ADDED, STORE_MODIFIED, STORE_DELETED };

struct store;

/* The Kubernetes kind of a store kind ("Stage"), for messages. */
const char *store_kind_name(enum kargo_kind kind);

/* A new empty store for the project namespace ns; free with store_free(). */
struct store *store_new(const char *ns);
void store_free(struct store *st);

/* Called (outside the lock, on the writer's thread) after every change, e.g. to write to the
 * UI thread's wake-up pipe. */
void store_set_notify(struct store *st, void (*notify)(void *ctx), void *ctx);

/* Applies one informer event; obj is borrowed for the call. ADDED and MODIFIED both insert or
 * replace (an informer may replay either); DELETED needs only metadata.name. Returns 0, or -1
 * with *cause set and the store unchanged when obj cannot be decoded. */
int store_apply(struct store *st, enum kargo_kind kind, enum store_event ev, const cJSON *obj,
                char **cause);
/* Replaces every object of kind with the list items (a relist). Malformed items are skipped:
 * the rest is applied and -1 returned with *cause naming the first bad one. */
int store_replace(struct store *st, enum kargo_kind kind, const cJSON *items, char **cause);
/* The same replacement fed page by page, so that a big list is never held whole as JSON: begin,
 * add each page (decoded at once, outside the lock; items borrowed for the call), then commit
 * (swaps the set in under the lock, frees the handle; -1 with *cause as store_replace) or abort
 * (frees what was staged, the store unchanged). */
struct store_relist;
struct store_relist *store_relist_begin(struct store *st, enum kargo_kind kind);
void store_relist_add(struct store_relist *r, const cJSON *items);
int store_relist_commit(struct store_relist *r, char **cause);
void store_relist_abort(struct store_relist *r);

/* Bumped by every change; a view redraws when it differs from what it drew. Lock-free. */
unsigned long store_generation(const struct store *st);
/* Bumped only when the graph's shape changes (a Stage or Warehouse added or removed, a Stage's
 * requestedFreight changed): the layout is recomputed only then. Lock-free. */
unsigned long store_topology_generation(const struct store *st);

/* Readers bracket every access below with these; pointers stay valid until the unlock. */
void store_read_lock(struct store *st);
void store_read_unlock(struct store *st);

const char *store_namespace(const struct store *st);
const struct kargo_project *store_project(const struct store *st); /* the namespace's own */
const struct kargo_project_config *store_project_config(const struct store *st);

const struct kargo_stage *store_stage(const struct store *st, const char *name);
/* Every Stage, sorted by name; returns the count. */
size_t store_stages(const struct store *st, const struct kargo_stage *const **out);
const struct kargo_warehouse *store_warehouse(const struct store *st, const char *name);
size_t store_warehouses(const struct store *st, const struct kargo_warehouse *const **out);

const struct kargo_freight *store_freight(const struct store *st, const char *name);
const struct kargo_freight *store_freight_by_alias(const struct store *st, const char *alias);
size_t store_freight_count(const struct store *st);
/* The Freight of one origin key ("Warehouse/x"), oldest first by discovery time then name (the
 * newest is last). */
size_t store_freight_of_origin(const struct store *st, const char *origin_key,
                               const struct kargo_freight *const **out);

/* The origin keys that have Freight, sorted; *out is a new array of keys borrowed from the store
 * (the caller frees the array). */
size_t store_freight_origins(const struct store *st, const char ***out);

const struct kargo_promotion *store_promotion(const struct store *st, const char *name);
size_t store_promotion_count(const struct store *st);
/* The Promotions of a Stage sorted by name, i.e. by ULID creation order: the newest is last. */
size_t store_stage_promotions(const struct store *st, const char *stage,
                              const struct kargo_promotion *const **out);

/* Kubernetes Events, oldest first by time then name. */
size_t store_events(const struct store *st, const struct kargo_event *const **out);

#endif
