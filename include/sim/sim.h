/* The simulated Kargo cluster as a whole: start a Kubernetes-conformant API server on loopback
 * (HTTP or HTTPS with a CA made for the run), load scenarios, write a kubeconfig, inject faults,
 * run in-process controllers, stop. */
#ifndef KT_SIM_SIM_H
#define KT_SIM_SIM_H

#include <stdbool.h>
#include <stddef.h>

struct sim;
struct sim_store;

/* Faults, all off when zero. Percentages are drawn from the seeded generator, per request. */
struct sim_faults {
    int watch_close_s;   /* end every watch stream N seconds after it started */
    int error500_pct;    /* answer this % of API requests with 500 InternalError */
    int error429_pct;    /* answer this % with 429 TooManyRequests and Retry-After */
    int error503_pct;    /* answer this % with 503 ServiceUnavailable and Retry-After */
    int retry_after_s;   /* the Retry-After value (0 means 1) */
    int latency_ms;      /* added before every API answer */
    int cut_body_pct;    /* send only the first half of this % of response bodies, then close */
    int stall_body_pct;  /* send the headers and the first half of this % of response bodies,
                            then nothing more (the connection stays open) until the client leaves */
    int token_expire_s;  /* every token answers 401 once N seconds have passed since it was set */
    bool forget_history; /* drop watch history now (and keep dropping it): resumes get 410 */
    bool deny_watch;     /* RBAC that grants list but not watch: every watch answers 403 */
    /* One slow endpoint, as an authorization webhook behind SelfSubjectAccessReviews makes
     * them: answers to requests whose path starts with slow_path ("" for none) wait slow_ms,
     * counted from arrival with the value of each moment (a change reaches answers already
     * waiting: a test holds or releases them). */
    char slow_path[128];
    int slow_ms;
};

struct sim_config {
    const char *host;             /* address to listen on; NULL means 127.0.0.1 */
    int port;                     /* 0: chosen by the OS */
    bool tls;                     /* HTTPS with a CA and server certificate generated in memory */
    bool tls_expired;             /* with tls: a server certificate that expired an hour ago */
    unsigned long long seed;      /* uids, generated names, fault draws */
    const char *const *scenarios; /* YAML files loaded in order, NULL-terminated; may be NULL */
    struct sim_faults faults;
    size_t history;    /* watch events retained (0: 10000) */
    int bookmark_ms;   /* period of BOOKMARK events on watches that allow them (0: 60000) */
    bool log_requests; /* one line per request on stderr (never a token) */
    /* More users, as kube-apiserver's --token-auth-file: a CSV file of
     * token,user,uid[,"group1,group2"] lines. NULL: admin, promoter and viewer only. */
    const char *token_auth_file;
    /* Called once the store is loaded and before the server answers; registers admission hooks
     * and controllers (part 2). Returns 0, or -1 with *cause set to fail sim_start. */
    int (*install)(struct sim *sim, void *ctx, char **cause);
    void *install_ctx;
};

/* Starts the server. Returns NULL with *cause set (bad scenario with file:line, port in use). */
struct sim *sim_start(const struct sim_config *cfg, char **cause);
/* Stops controllers and the server, closes every connection, frees everything. */
void sim_stop(struct sim *sim);

/* "https://127.0.0.1:43121" */
const char *sim_url(const struct sim *sim);
int sim_port(const struct sim *sim);
/* The CA certificate in PEM (NULL without TLS), for clients to verify the server. */
const char *sim_ca_pem(const struct sim *sim);
/* A client certificate and key (PEM) for user "viewer", signed by the CA; NULL without TLS. Never
 * print the key. */
const char *sim_client_cert_pem(const struct sim *sim);
const char *sim_client_key_pem(const struct sim *sim);
/* The bearer token of "admin", "promoter", "viewer" or a user of the token file; NULL for other
 * names. Never print it. */
const char *sim_token(const struct sim *sim, const char *user);
/* The groups (comma-separated) the token file gives user; NULL for none. */
const char *sim_user_groups(const struct sim *sim, const char *user);
/* Writes a kubeconfig (mode 0600) with contexts admin, promoter, viewer and one per user of the
 * token file (named as the user), current-context admin, bearer tokens and the CA in
 * certificate-authority-data. Returns 0 or -1 with *cause. */
int sim_write_kubeconfig(struct sim *sim, const char *path, char **cause);

/* The store, for in-process controllers and admission hooks (sim/store.h, sim/admission.h). */
struct sim_store *sim_store(struct sim *sim);

/* Loads a multi-document YAML file of objects into the running cluster (as a scenario).
 * Returns the number of objects loaded, or -1 with *cause ("file:line: ..."). */
int sim_load_file(struct sim *sim, const char *path, char **cause);

/* Replaces the fault settings (token expiry counts from this call). */
void sim_faults_set(struct sim *sim, const struct sim_faults *f);
void sim_faults_get(struct sim *sim, struct sim_faults *f);

/* Requests answered per verb since start. */
enum sim_verb {
    SIM_VERB_GET,
    SIM_VERB_LIST,
    SIM_VERB_WATCH,
    SIM_VERB_CREATE,
    SIM_VERB_UPDATE,
    SIM_VERB_PATCH,
    SIM_VERB_DELETE,
    SIM_VERB_OTHER, /* discovery, openapi, reviews, control */
    SIM_VERB_COUNT
};
struct sim_stats {
    unsigned long requests[SIM_VERB_COUNT];
    unsigned long faults_injected;
    unsigned long watches_open; /* now */
    unsigned long gzipped;      /* answers sent gzip-encoded (large, to clients accepting it) */
};
void sim_stats_get(struct sim *sim, struct sim_stats *st);
const char *sim_verb_name(enum sim_verb v);

/* A background task in the server's process, in its own thread from registration (or from
 * sim_start, when registered by install) until sim_stop. run must return soon after
 * sim_controller_stopping() becomes true; sim_controller_sleep and sim_store_wait wake up for
 * that. free_ctx (may be NULL) is called on ctx after run returned. */
struct sim_controller;
int sim_controller_add(struct sim *sim, const char *name,
                       void (*run)(struct sim_controller *c, void *ctx), void *ctx,
                       void (*free_ctx)(void *ctx), char **cause);
bool sim_controller_stopping(struct sim_controller *c);
/* Sleeps up to ms; returns false at once when stopping. */
bool sim_controller_sleep(struct sim_controller *c, long ms);
struct sim *sim_controller_sim(struct sim_controller *c);

#endif
