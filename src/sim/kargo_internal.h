/* Shared state of the Kargo webhooks and controller modules (private to src/sim). */
#ifndef KT_SIM_KARGO_INTERNAL_H
#define KT_SIM_KARGO_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "sim/kargo_names.h"
#include "sim/kargo_rules.h"
#include "sim/simclock.h"
#include "util/hmap.h"

struct sim;
struct sim_store;

/* Annotations that steer the simulation only (documented in docs/ARCHITECTURE.md). */
#define SIMK_FAIL_PROMOTION "sim.kargotop.io/promotion-fails"
#define SIMK_FAIL_VERIFY    "sim.kargotop.io/verification-fails"
#define SIMK_DISCOVERY      "sim.kargotop.io/discovery-interval"

#define KARGO_GROUP "kargo.akuity.io"
#define KARGO_API   "kargo.akuity.io/v1alpha1"

struct kargo {
    struct sim *sim;
    struct sim_store *store;
    struct simclock clock;
    /* Serialises reconcile passes (background thread and kargo_settle). */
    pthread_mutex_t pass_lock;
    /* Guards the generator, which admission hooks on server threads use too. */
    pthread_mutex_t lock;
    struct kargo_rng rng;
    struct kargo_ulid_state ulid;
    int step_ms;
    int verify_ms;
    bool discover;
    double large_scale;         /* fraction of the `large` scenario's size */
    struct hmap next_discovery; /* "ns/warehouse" -> int64_t * (simulated ms) */
    int writes;                 /* writes made by the current pass, to know when it settled */
    /* Simulated ms at which time alone makes the current pass's state change (a step ends, a
     * verification finishes, a discovery or a soak is due), KARGO_NEVER if nothing waits on the
     * clock; each part lowers it with kargo_due. After a settle: what its last pass found. */
    int64_t next_due;
    unsigned long long pass_rv; /* the store's resourceVersion when the last pass began */
    unsigned long passes;       /* passes run so far */
};

/* One namespace's objects for a pass (deep copies owned by the snapshot), with indexes: a write
 * updates an object in place, so pointers into the lists stay valid for the whole pass. */
struct kargo_ns {
    const char *ns;
    cJSON *stages, *freights, *promotions, *warehouses;
    cJSON *projectconfig;    /* or NULL */
    struct hmap freight_idx; /* name -> cJSON * in freights */
    struct hmap promo_idx;   /* stage name -> struct kargo_plist * */
};

/* The Promotions of one Stage. */
struct kargo_plist {
    cJSON **items;
    size_t n, cap;
};

/* The Freight called name, or NULL. */
cJSON *kargo_ns_freight(const struct kargo_ns *n, const char *name);
/* The Promotions of stage (never NULL; possibly empty). */
const struct kargo_plist *kargo_ns_promotions(const struct kargo_ns *n, const char *stage);
/* Appends obj (taken over) to the list and the index. */
void kargo_ns_add_freight(struct kargo_ns *n, cJSON *obj);
void kargo_ns_add_promotion(struct kargo_ns *n, cJSON *obj);
/* Builds / frees the indexes of a snapshot. */
void kargo_ns_index(struct kargo_ns *n);
void kargo_ns_unindex(struct kargo_ns *n);

/* Locked generator access (admission runs on server threads). */
void kargo_ulid_now(struct kargo *k, char *out);
void kargo_uuid_new(struct kargo *k, char *out);

/* Admission hooks (admission_kargo.c). */
void kargo_admission_install(struct kargo *k);
/* The fields the Promotion webhook sets, for the controller's own auto-promotions too: name,
 * steps, vars, labels, annotations, ownerReference. user NULL means the controller. */
struct sim_status *kargo_promotion_build(struct kargo *k, cJSON *promo, const char *ns,
                                         const char *user);

/* Events (kargo_events.c): a Kubernetes Event about obj in ns with event.kargo.akuity.io/...
 * annotations taken from the pairs (key suffix, value; NULL-terminated). */
void kargo_event(struct kargo *k, const char *ns, const cJSON *obj, const char *reason,
                 bool warning, const char *message, ...) __attribute__((sentinel));

/* Hands each YAML document of text (an object) to each, which takes ownership; name is for
 * messages. Returns the number of objects or -1 with *cause ("name:line: problem"). */
int kargo_yaml_each(const char *name, const char *text, size_t len,
                    void (*each)(void *ctx, cJSON *obj), void *ctx, char **cause);

/* Controller parts, each one pass over a namespace. */
void kargo_warehouses_pass(struct kargo *k, struct kargo_ns *n);
void kargo_promotions_pass(struct kargo *k, struct kargo_ns *n);
void kargo_stages_pass(struct kargo *k, struct kargo_ns *n);
void kargo_auto_pass(struct kargo *k, struct kargo_ns *n);
void kargo_freight_pass(struct kargo *k, struct kargo_ns *n);

/* Helpers shared by the parts (kargo_common.c). */
int64_t kargo_now(struct kargo *k);                       /* simulated Unix seconds */
void kargo_now_str(struct kargo *k, char *buf, size_t n); /* RFC 3339 */
/* Time alone changes what this pass would write at at_ms (simulated Unix ms): the controller
 * runs again by then. A part that cannot tell says now + 1 s. */
void kargo_due(struct kargo *k, int64_t at_ms);
/* The same for at_s in simulated Unix seconds (KARGO_NEVER: nothing). */
void kargo_due_s(struct kargo *k, int64_t at_s);
cJSON *kargo_find(const cJSON *list, const char *name);
/* Stores status (taken over) as the status of item, a member of list, when it differs from what
 * item holds; item is then replaced in list by the stored object, which is returned (item itself
 * when nothing changed or the write failed, as on a conflict the next pass resolves). */
cJSON *kargo_set_status(struct kargo *k, const char *plural, const char *ns, cJSON *list,
                        cJSON *item, cJSON *status);
/* Stores obj (taken over; a changed copy of item) with a full update, replacing item in list. */
cJSON *kargo_set_object(struct kargo *k, const char *plural, const char *ns, cJSON *list,
                        cJSON *item, cJSON *obj);
/* Sets or refreshes condition type in conds (an array) keeping lastTransitionTime when status
 * did not change. */
void kargo_condition_set(struct kargo *k, cJSON *conds, const char *type, const char *status,
                         const char *reason, const char *message, double generation);
/* Replaces (or adds) key in obj with item. */
void kargo_json_put(cJSON *obj, const char *key, cJSON *item);
/* FreightReference {name, origin, commits, images, charts, artifacts} of a Freight object. */
cJSON *kargo_freight_ref(const cJSON *freight);
/* "Warehouse/<name>" of a Freight or a FreightReference; into buf. */
const char *kargo_origin_key(const cJSON *obj, char *buf, size_t n);
/* The alias of step i of a promotion's steps. */
void kargo_step_alias(const cJSON *steps, int i, char *buf, size_t n);
/* A Promotion phase is terminal. */
bool kargo_phase_terminal(const char *phase);

#endif
