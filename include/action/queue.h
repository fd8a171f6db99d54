/* Actions off the UI thread: a worker that runs requested actions and access reviews one at a
 * time against the cluster, a list of finished results the UI takes when woken, and the cache of
 * what the user may do per project (SelfSubjectAccessReviews, kept for a minute). */
#ifndef KT_ACTION_QUEUE_H
#define KT_ACTION_QUEUE_H

#include <stdbool.h>
#include <stddef.h>

#include "action/action.h"

/* What to do. Strings are copied on submit. For ACTION_PROMOTE and ACTION_ROLLBACK the targets
 * are stages[i] <- freights[i] (several for a batch); the other actions use the single fields. */
struct action_request {
    enum action_id id;
    const char *ns;
    const char *stage;
    const char *freight;
    const char *promotion;
    const char *warehouse; /* ACTION_RESUME: the origin; ACTION_REFRESH_WAREHOUSE: the target */
    const char *const *stages;
    const char *const *freights;
    size_t n_targets;
    bool approve_first;  /* ACTION_PROMOTE: approve each Freight for its Stage before */
    const bool *approve; /* or per target, n_targets of them (NULL: approve_first says) */
};

/* A finished action. */
struct action_result {
    unsigned long seq; /* what action_queue_submit returned */
    enum action_id id;
    bool ok;                         /* every outcome ok */
    char *summary;                   /* for a person: what happened, or the API's words */
    struct action_outcome *outcomes; /* one per target */
    size_t n_outcomes;
};
void action_result_free(struct action_result *r);

enum action_access { ACTION_ACCESS_UNKNOWN, ACTION_ACCESS_ALLOWED, ACTION_ACCESS_DENIED };

struct action_queue;

/* Starts the worker for client c (which must outlive the queue). notify(ctx) runs on the worker
 * after each result or access answer (the session wakes the UI with it). */
struct action_queue *action_queue_new(struct kube_client *c, void (*notify)(void *ctx), void *ctx);
/* Waits for the action under way (bounded by the client's timeouts), drops the rest. */
void action_queue_free(struct action_queue *q);

/* Queues req; returns its sequence number (> 0) at once, or 0 with *cause when the policy
 * forbids writing (read-only) or the request is incomplete. */
unsigned long action_queue_submit(struct action_queue *q, const struct action_request *req,
                                  const struct action_policy *policy, char **cause);
/* The oldest finished result (caller frees with action_result_free), or NULL. */
struct action_result *action_queue_take(struct action_queue *q);
/* True while something submitted has not finished. */
bool action_queue_busy(struct action_queue *q);

/* May the user do id in namespace ns, as last reviewed? Unknown until the first review answered
 * (one is queued when none was asked, and again a minute after an answer, the old answer standing
 * meanwhile); a review that failed counts as allowed (the API then has the last word). A
 * denial's reason goes to reason[len]. Returns at once. When the namespace-wide answer is a
 * denial and stage is not NULL, the action's rules about Stages are asked again for that Stage
 * (resourceAttributes.name; cached per (project, action, Stage) for the same minute), since a
 * role may grant them on some Stages only (RBAC resourceNames). */
enum action_access action_queue_access(struct action_queue *q, const char *ns, enum action_id id,
                                       const char *stage, char *reason, size_t len);

/* Runs req synchronously on this thread (what the worker does): for commands. Never on the UI
 * thread. */
struct action_result *action_run(struct kube_client *c, const struct action_request *req);

#endif
