/* The simulated cluster a dashboard test runs against: kargo-sim in-process, its kubeconfig and
 * a configuration home of its own on disk for the binary, and an admin client for the test's own
 * reads and writes. */
#ifndef KT_UIENV_H
#define KT_UIENV_H

#include <stdbool.h>
#include <sys/types.h>

#include "kube/http.h"
#include "kube/kubeconfig.h"
#include "ptyterm.h"
#include "sim/kargo.h"
#include "sim/sim.h"

struct env {
    struct kargo_options kargo;
    const char *scenario_files[2];
    struct sim *sim; /* a test may stop it early (sim_stop, then NULL) */
    char dir[64];    /* private, removed with everything in it by uienv_stop */
    char *kubeconfig;
    char *tokens; /* the token file, or NULL */
    struct kube_config *cfg;
    struct kube_client *client; /* admin */
    /* XDG_CONFIG_HOME=<dir>/xdg for the binary's environment (the user's real configuration
     * must not change what a test sees), and its kargotop directory */
    char *xdg, *xdg_env, *confdir;
    pid_t child; /* a server the test started (an sshd), ended by uienv_stop if still there */
};

struct uienv_opts {
    const char *const *scenarios; /* NULL-terminated */
    unsigned seed;
    double speed;              /* simulated seconds per second; 0 stops the clock */
    long long start_ms;        /* the simulated clock's start (Unix ms); 0: now */
    int step_ms;               /* a promotion step */
    int verify_ms;             /* a verification */
    bool tls;                  /* HTTPS (the kubeconfig trusts the simulator's CA) */
    const char *scenario_file; /* a YAML/JSON scenario besides the built-in ones, or NULL */
    const char *token_csv;     /* a token file (token,user,uid[,"groups"] lines) whose users get
                                  contexts of their own in the kubeconfig, or NULL */
};

/* Options of a cluster at real speed with short promotions (a step 500 ms, a verification
 * 800 ms), seed 12, over HTTP, with no scenario: the caller sets what it needs. */
struct uienv_opts uienv_defaults(void);
/* Starts the cluster. Returns NULL with the reason on stderr. */
struct env *uienv_start_opts(const struct uienv_opts *o);
/* Starts the scenarios (NULL-terminated) at real speed with a promotion step every step_ms and
 * verifications of verify_ms. */
struct env *uienv_start(const char *const *scenarios, unsigned seed, int step_ms, int verify_ms);
/* The same with more users: token_csv is a token file (token,user,uid[,"groups"] lines) whose
 * users get contexts of their own in the kubeconfig. */
struct env *uienv_start_users(const char *const *scenarios, unsigned seed, int step_ms,
                              int verify_ms, const char *token_csv);
void uienv_stop(struct env *e);
/* Creates a Promotion of freight (a name) to stage in namespace ns through the API, as a user's
 * `promote` sends it; fails the test when the API refuses. */
void uienv_promote(struct env *e, const char *ns, const char *stage, const char *freight);
/* Sends q and fails the test unless the program exits with status 0; frees t. */
void uienv_quit(struct ptyterm *t);

#endif
