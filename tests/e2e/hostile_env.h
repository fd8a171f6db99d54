/* A simulated Kargo cluster in the test process for the end-to-end trust tests: Kargo's webhooks
 * and controller on a fast clock, scenarios loaded, a kubeconfig in a private directory and an
 * admin client for setting things up through the API. */
#ifndef KT_E2E_HOSTILE_ENV_H
#define KT_E2E_HOSTILE_ENV_H

#include <stdbool.h>

#include "kube/api.h"
#include "kube/http.h"
#include "kube/kubeconfig.h"
#include "sim/kargo.h"
#include "sim/sim.h"

struct hostile_env {
    struct kargo_options kargo;
    const char *scenario_files[2];
    struct sim *sim;
    char dir[64];
    char *kubeconfig;
    struct kube_config *cfg;
    struct kube_client *client;
};

/* Starts the cluster with the built-in scenarios (NULL-terminated names, may be NULL) and the
 * YAML/JSON file scenario_file (may be NULL), over HTTPS when tls. Returns NULL with a message
 * on stderr. */
struct hostile_env *hostile_env_start(const char *const *builtin, const char *scenario_file,
                                      bool tls);
void hostile_env_stop(struct hostile_env *e);

#endif
