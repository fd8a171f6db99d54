/* The simulated cluster a dashboard test runs against: kargo-sim in-process, its kubeconfig on
 * disk for the binary, and an admin client for the test's own reads and writes. */
#ifndef KT_UIENV_H
#define KT_UIENV_H

#include "kube/http.h"
#include "kube/kubeconfig.h"
#include "ptyterm.h"
#include "sim/kargo.h"
#include "sim/sim.h"

struct env {
    struct kargo_options kargo;
    struct sim *sim;
    char dir[64];
    char *kubeconfig;
    char *tokens; /* the token file, or NULL */
    struct kube_config *cfg;
    struct kube_client *client; /* admin */
};

/* Starts the scenarios (NULL-terminated) with a promotion step every step_ms and verifications
 * of verify_ms. Returns NULL with the reason on stderr. */
struct env *uienv_start(const char *const *scenarios, unsigned seed, int step_ms, int verify_ms);
/* The same with more users: token_csv is a token file (token,user,uid[,"groups"] lines) whose
 * users get contexts of their own in the kubeconfig. */
struct env *uienv_start_users(const char *const *scenarios, unsigned seed, int step_ms,
                              int verify_ms, const char *token_csv);
void uienv_stop(struct env *e);
/* Sends q and fails the test unless the program exits with status 0; frees t. */
void uienv_quit(struct ptyterm *t);

#endif
