/* Admission hook points of the simulated cluster: the mutating and validating callbacks every
 * create, update and delete passes, as Kargo's webhooks do in a real cluster.
 *
 * Order, as kube-apiserver's: mutating hooks (in registration order), then the CRD schema checks
 * (required fields), then validating hooks. Hooks run without the store lock and may call the
 * store (sim/store.h); a write a hook makes is a separate write. */
#ifndef KT_SIM_ADMISSION_H
#define KT_SIM_ADMISSION_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "sim/status.h"

struct sim_store;
struct sim_resource;

enum sim_operation { SIM_OP_CREATE, SIM_OP_UPDATE, SIM_OP_DELETE };

struct sim_admission_request {
    enum sim_operation op;
    const struct sim_resource *resource;
    const char *subresource; /* NULL, or "status" for writes through /status */
    const char *ns;          /* NULL for cluster-scoped resources */
    const char *name;        /* the object's name (generated already on create) */
    const char *user;        /* the requesting user ("admin", "promoter", ... or the controller) */
    bool dry_run;
    const cJSON *old_object; /* the stored object on update and delete, else NULL */
    cJSON *object;           /* the object to be stored on create and update (NULL on delete);
                                mutating hooks change it in place */
};

/* Admits (returns NULL) or rejects with a Status the store hands to the client (the store frees
 * it). Validating hooks must not change req->object. */
typedef struct sim_status *(*sim_admission_fn)(void *ctx, struct sim_admission_request *req);

/* Registers a hook for the resource with this plural (NULL: every resource). Safe at any time;
 * hooks stay until the store is freed. */
void sim_admission_add(struct sim_store *s, const char *plural, bool mutating, sim_admission_fn fn,
                       void *ctx);

#endif
