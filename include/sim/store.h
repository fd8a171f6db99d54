/* The object store of the simulated cluster: every object by (resource, namespace, name), the one
 * global resourceVersion, the bounded watch history and the admission chain every write passes.
 *
 * The API handlers and in-process controllers use the same calls, so a controller's write bumps
 * the resourceVersion, runs admission and reaches watchers exactly as an API request does. Every
 * call locks the store itself; none may be made while holding another store call's lock (admission
 * hooks run without the lock and may call back into the store). Objects passed in are borrowed;
 * objects returned belong to the caller (deep copies). Resources are named by plural ("stages",
 * "namespaces"); ns is NULL or "" for cluster-scoped resources. */
#ifndef KT_SIM_STORE_H
#define KT_SIM_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "sim/status.h"

struct sim_store;

enum sim_event_type { SIM_EVENT_ADDED, SIM_EVENT_MODIFIED, SIM_EVENT_DELETED };

enum sim_patch_type {
    SIM_PATCH_MERGE,     /* application/merge-patch+json (RFC 7386) */
    SIM_PATCH_JSON,      /* application/json-patch+json (RFC 6902) */
    SIM_PATCH_STRATEGIC, /* application/strategic-merge-patch+json: 415 on custom resources */
};

/* What a delete does to the objects whose ownerReferences name the deleted one (DeleteOptions'
 * propagationPolicy), as kube's garbage collector does it. */
enum sim_propagation {
    SIM_PROPAGATE_BACKGROUND, /* the owner goes at once, then its dependents */
    SIM_PROPAGATE_FOREGROUND, /* the owner stays (deletionTimestamp, finalizer foregroundDeletion)
                                 until the dependents that block it (blockOwnerDeletion) are gone */
    SIM_PROPAGATE_ORPHAN,     /* the dependents stay, without their ownerReferences to it
                                 (finalizer orphan while that happens) */
};

/* Who asks, for admission hooks and for fields the server records; NULL user means the
 * simulated Kargo controller ("system:serviceaccount:kargo:kargo-controller"). */
struct sim_write_opts {
    const char *user;
    bool dry_run;        /* run everything but store nothing (dryRun=All) */
    bool skip_admission; /* loading a scenario: no hooks, no schema checks, status kept */
    enum sim_propagation propagation; /* delete */
    /* create, update, patch: the field manager recorded in managedFields as an Update (the
     * request's fieldManager, else its User-Agent's product); NULL records nothing */
    const char *field_manager;
};

/* Creates a store retaining history_max watch events (0 means 10000). */
struct sim_store *sim_store_new(size_t history_max, unsigned long long seed);
/* Wakes every waiter for shutdown; later waits return at once. */
void sim_store_shutdown(struct sim_store *s);
void sim_store_free(struct sim_store *s);

/* The clock for creationTimestamp and ages; default time(NULL). Part 2's simulated clock. */
void sim_store_set_clock(struct sim_store *s, time_t (*now)(void *ctx), void *ctx);
time_t sim_store_now(struct sim_store *s);

/* The current global resourceVersion. */
unsigned long long sim_store_rv(struct sim_store *s);
/* Blocks until the resourceVersion exceeds rv, timeout_ms passes or the store shuts down; returns
 * the current resourceVersion. For controllers that react to changes. */
unsigned long long sim_store_wait(struct sim_store *s, unsigned long long rv, long timeout_ms);

/* One object; NULL with *err (404 NotFound) when absent. */
cJSON *sim_store_get(struct sim_store *s, const char *plural, const char *ns, const char *name,
                     struct sim_status **err);
/* Objects of a resource in ns (NULL: every namespace) matching label_selector (NULL: all), in
 * (namespace, name) order, as a cJSON array; NULL with *err on a bad selector. */
cJSON *sim_store_list(struct sim_store *s, const char *plural, const char *ns,
                      const char *label_selector, struct sim_status **err);
/* sim_store_list with the objects parsed into bulk (util/json.h), the array itself not: for a
 * caller that reads a big list and drops it, on the thread that frees bulk. */
struct json_bulk;
cJSON *sim_store_list_in(struct sim_store *s, const char *plural, const char *ns,
                         const char *label_selector, struct json_bulk *bulk,
                         struct sim_status **err);

/* Creates obj (its metadata.namespace, or ns when given, wins as the API's URL does); sets name
 * from generateName, uid, creationTimestamp, resourceVersion, generation. Returns the stored
 * object, or NULL with *err (AlreadyExists, Invalid, namespace NotFound, admission denial). */
cJSON *sim_store_create(struct sim_store *s, const char *plural, const char *ns, const cJSON *obj,
                        const struct sim_write_opts *o, struct sim_status **err);
/* Replaces an object (PUT): a metadata.resourceVersion in obj must match (409 Conflict); the
 * stored status is kept; generation grows when anything but metadata and status changes. */
cJSON *sim_store_update(struct sim_store *s, const char *plural, const char *ns, const cJSON *obj,
                        const struct sim_write_opts *o, struct sim_status **err);
/* Replaces only the status (PUT .../status). */
cJSON *sim_store_update_status(struct sim_store *s, const char *plural, const char *ns,
                               const cJSON *obj, const struct sim_write_opts *o,
                               struct sim_status **err);
/* Patches the object (status_only: the /status subresource) with len bytes of patch; retries
 * internally on concurrent writes as kube-apiserver does. */
cJSON *sim_store_patch(struct sim_store *s, const char *plural, const char *ns, const char *name,
                       bool status_only, enum sim_patch_type type, const char *patch, size_t len,
                       const struct sim_write_opts *o, struct sim_status **err);
/* Server-side apply (sim/apply.h) of applied to the object named name (creating it when absent,
 * *created then true) as field manager (required: 422 without); status_only applies to /status.
 * Retries internally on concurrent writes. */
cJSON *sim_store_apply(struct sim_store *s, const char *plural, const char *ns, const char *name,
                       bool status_only, const cJSON *applied, const char *manager, bool force,
                       const struct sim_write_opts *o, bool *created, struct sim_status **err);
/* Deletes an object and returns its last state; an object with finalizers only gets a
 * deletionTimestamp and goes when an update empties metadata.finalizers. Its dependents (the
 * objects of its namespace, or cluster-scoped ones for a cluster-scoped owner, whose
 * metadata.ownerReferences name its uid) are deleted after it (Background: a Stage takes its
 * Promotions with it), before it (Foreground) or kept and released (Orphan), per
 * o->propagation. */
cJSON *sim_store_delete(struct sim_store *s, const char *plural, const char *ns, const char *name,
                        const struct sim_write_opts *o, struct sim_status **err);

/* Forgets all watch history: every resume from an older resourceVersion gets 410 Expired. */
void sim_store_forget_history(struct sim_store *s);

/* The oldest resourceVersion history still covers: a watch from below it gets 410, and so does a
 * list continued from a page listed below it (etcd compaction's effect on continue tokens). */
unsigned long long sim_store_compacted(struct sim_store *s);

/* Number of objects of a resource in ns (NULL: all). */
size_t sim_store_count(struct sim_store *s, const char *plural, const char *ns);

/* Reading the store as the API's list and watch do, without copying objects into cJSON: emit is
 * called under the store lock with each object's stored JSON text (which it must copy, and it
 * must not call the store). */
struct sim_store_cursor {
    const char *plural;
    const char *ns; /* NULL: every namespace */
    /* NULL: every object; else the objects for which it returns true (json, len: the stored
     * object, for field selectors; parse it only when labels are not enough). A watch with a
     * match sees an object that a change moves into the selection as ADDED, out of it as
     * DELETED, as kube-apiserver's watch cache does. */
    bool (*match)(void *ctx, const char *ns, const char *name, const cJSON *labels,
                  const char *json, size_t len);
    void *match_ctx;
    void (*emit)(void *ctx, enum sim_event_type type, const char *json, size_t len);
    void *emit_ctx;
    unsigned long long rv;     /* watch: the last resourceVersion seen; advanced by each call */
    unsigned long long oldest; /* set when sim_store_next returns -1: the oldest resumable rv */
};

/* One page of a list: objects after (start_ns, start_name) in (namespace, name) order, at most
 * limit (0: all) matching ones, as they were at resourceVersion at_rv (0: now). */
struct sim_store_page {
    const char *start_ns; /* NULL: from the beginning */
    const char *start_name;
    size_t limit;
    unsigned long long at_rv; /* a consistent snapshot: every page of a list at the first's rv */
    char *next_ns;            /* out: set (caller frees both) when more objects follow the page */
    char *next_name;
    long remaining;        /* out: objects after the page when there is no match filter, or -1 */
    unsigned long long rv; /* out: the resourceVersion of the list */
};

/* Emits one page of matching objects (type ADDED). Returns the number emitted, -1 for an unknown
 * resource, or -2 when at_rv is older than the retained history (p->rv is then the oldest
 * resourceVersion that can be listed). The cost is the page plus the events since at_rv. */
long sim_store_scan(struct sim_store *s, struct sim_store_cursor *c, struct sim_store_page *p);
/* Emits ADDED for every matching object and sets c->rv to the current resourceVersion, atomically:
 * the start of a watch without a resourceVersion. */
long sim_store_snapshot(struct sim_store *s, struct sim_store_cursor *c);
/* Emits the matching events after c->rv (waiting up to timeout_ms for one) and advances c->rv.
 * Returns the number emitted (0 on timeout or shutdown), or -1 when c->rv is older than the
 * retained history (410 Expired; c->oldest says from where a resume would work). */
long sim_store_next(struct sim_store *s, struct sim_store_cursor *c, long timeout_ms);
/* Whether the store is shutting down. */
bool sim_store_stopping(struct sim_store *s);

#endif
