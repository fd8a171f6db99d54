/* Informers: one (resource, namespace) kept in sync by list-then-watch (or polling where RBAC
 * allows list but not watch), handing objects to their owner and saying how connected it is. */
#ifndef KT_KUBE_INFORMER_H
#define KT_KUBE_INFORMER_H

#include <cjson/cJSON.h>

#include "kube/http.h"

enum informer_event { INFORMER_ADDED, INFORMER_MODIFIED, INFORMER_DELETED };

enum informer_phase {
    INFORMER_CONNECTING, /* first list under way */
    INFORMER_CONNECTED,  /* listed and watching */
    INFORMER_RETRYING,   /* the last attempt failed; next in retry_in_s */
    INFORMER_FORBIDDEN,  /* RBAC denies list; retried in retry_in_s */
    INFORMER_POLLING,    /* RBAC denies watch: listing every poll interval */
};

struct informer_state {
    enum informer_phase phase;
    int retry_in_s;      /* RETRYING, FORBIDDEN: seconds until the next attempt */
    int poll_interval_s; /* POLLING */
    const char *message; /* why (the server's words), or NULL; borrowed */
    unsigned long relists;
};

/* Called on the network thread; obj and items are borrowed for the duration of the call. The
 * owner locks its own store. After callbacks, the client's wake fd becomes readable. */
struct informer_callbacks {
    void (*on_event)(void *ctx, enum informer_event type, const cJSON *obj);
    void (*on_relist)(void *ctx, const cJSON *items); /* replace the whole set with items */
    void (*on_state)(void *ctx, const struct informer_state *state);
    void *ctx;
};

struct informer_opts {
    const char *group_version; /* "kargo.akuity.io/v1alpha1", "v1" */
    const char *plural;        /* "stages" */
    const char *namespace;     /* NULL for cluster-scoped resources (or all namespaces) */
    int poll_interval_s;       /* polling fallback; 0 means 5 */
    /* A watch on which nothing arrives for this long (not even the BOOKMARK kube-apiserver sends
     * about every minute) is taken for a dead connection and resumed; 0 means 180. */
    int idle_timeout_s;
};

struct informer;

/* Starts listing and watching; returns at once (the work happens on the client's thread). */
struct informer *informer_start(struct kube_client *c, const struct informer_opts *opts,
                                const struct informer_callbacks *cb);
/* Stops it and waits until no callback runs any more; never from a callback. */
void informer_stop(struct informer *inf);
const char *informer_phase_name(enum informer_phase phase);

#endif
