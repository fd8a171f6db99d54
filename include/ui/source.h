/* What the dashboard reads from the session that feeds it: the open project's store, how fresh
 * each watch is, the project list, and objects as the API returned them (for the YAML view).
 * The session implements it (src/app/session.c); tests implement it with fixtures. Every call
 * returns at once: the UI thread never waits on the network. */
#ifndef KT_UI_SOURCE_H
#define KT_UI_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "action/action.h"
#include "action/queue.h"
#include "model/store.h"

enum source_conn {
    SOURCE_CONNECTING, /* first list under way */
    SOURCE_LIVE,       /* listed and watching */
    SOURCE_RETRYING,   /* down; next attempt in retry_in_s */
    SOURCE_FORBIDDEN,  /* RBAC denies it */
    SOURCE_POLLING,    /* RBAC denies watch: listed every few seconds */
    SOURCE_OFF,        /* not watched (no project open) */
};

/* The state of the watch on one kind of object. */
struct source_watch {
    enum source_conn conn;
    int retry_in_s;
    time_t stale_since; /* when the data stopped being current; 0 while live */
    char message[160];  /* the server's words when down, else "" */
};

struct source_status {
    char context[128];
    char cluster[128];
    bool insecure;     /* the kubeconfig says insecure-skip-tls-verify: the server is unverified */
    char project[128]; /* "" when no project is open */
    struct source_watch watch[KARGO_KIND_COUNT];
};

struct ui_source {
    void *ctx;
    /* The open project's store, or NULL when none is open. Valid until open_project. */
    struct store *(*store)(void *ctx);
    void (*status)(void *ctx, struct source_status *out);
    /* The Kargo projects known, sorted; a new array of new strings (caller frees both). */
    char **(*projects)(void *ctx, size_t *n);
    /* Switches to project name (starts its watches; returns at once). -1 with *cause when the
     * name is not a project. */
    int (*open_project)(void *ctx, const char *name, char **cause);
    /* The kubeconfig's context names, sorted; a new array of new strings (caller frees). */
    char **(*contexts)(void *ctx, size_t *n);
    /* Reconnects with another kubeconfig context (its namespace opens if it is a project).
     * -1 with *cause when it cannot be used; the current connection then stays. */
    int (*open_context)(void *ctx, const char *name, char **cause);
    /* A copy of the object as the API has it (caller deletes), or NULL: not (yet) had. */
    cJSON *(*object)(void *ctx, enum kargo_kind kind, const char *name);
    /* May be NULL. After object() gave NULL: whether it is being fetched (the wake-up fd fires
     * when it is in: ask object() again); when not, why (into why, len bytes) it cannot be had. */
    bool (*object_pending)(void *ctx, enum kargo_kind kind, const char *name, char *why,
                           size_t len);
    /* Readable when the store or the status changed; the dashboard polls it (ask again after
     * open_context: the connection, and its fd, are new). -1 when none. */
    int (*wake_fd)(void *ctx);
    /* Empties the wake-up fd after a wake-up. */
    void (*drain)(void *ctx);
    /* What guards writes (read-only, names to type); NULL: the defaults. Owned by the source. */
    const struct action_policy *policy;
    /* Queues an action on the open project's cluster and returns at once: its sequence number,
     * or 0 with *cause (read-only, nothing open). NULL when the source cannot act. */
    unsigned long (*act)(void *ctx, const struct action_request *req, char **cause);
    /* The oldest finished action (caller frees with action_result_free), or NULL. */
    struct action_result *(*act_result)(void *ctx);
    /* What the cluster last said about the user doing id in the open project (asks again when
     * that is older than a minute; the answer wakes the UI), on Stage stage when it is not NULL
     * (a role may allow some Stages only). A denial's reason goes to reason. */
    enum action_access (*access)(void *ctx, enum action_id id, const char *stage, char *reason,
                                 size_t len);
};

/* "live", "reconnecting in 3s", "forbidden", ... for the top bar, into buf. */
void source_conn_describe(const struct source_watch *w, char *buf, size_t len);
/* The watch among kinds (n of them) that is the least current, for a panel showing them. */
const struct source_watch *source_worst(const struct source_status *s, const enum kargo_kind *kinds,
                                        size_t n);

#endif
