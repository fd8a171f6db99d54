/* The simulated cluster of the end-to-end trust tests. */
#include "hostile_env.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "util/xalloc.h"

struct hostile_env *hostile_env_start(const char *const *builtin, const char *scenario_file,
                                      bool tls)
{
    struct hostile_env *e = xcalloc(1, sizeof *e);
    e->kargo.speed = 1.0;
    e->kargo.step_ms = 500;
    e->kargo.verify_ms = 800;
    e->kargo.seed = 12;
    e->kargo.scenarios = builtin;
    e->scenario_files[0] = scenario_file;
    struct sim_config cfg = {.seed = 12,
                             .tls = tls,
                             .scenarios = scenario_file != NULL ? e->scenario_files : NULL,
                             .install = kargo_install,
                             .install_ctx = &e->kargo};
    char *cause = NULL;
    e->sim = sim_start(&cfg, &cause);
    if (e->sim == NULL) {
        fprintf(stderr, "sim_start: %s\n", cause);
        free(cause);
        free(e);
        return NULL;
    }
    snprintf(e->dir, sizeof e->dir, "/tmp/kt-e2e-trust-XXXXXX");
    if (mkdtemp(e->dir) == NULL)
        goto fail;
    e->kubeconfig = xasprintf("%s/kubeconfig", e->dir);
    if (sim_write_kubeconfig(e->sim, e->kubeconfig, &cause) != 0)
        goto fail;
    struct kubeconfig_opts ko = {.kubeconfig = e->kubeconfig};
    e->cfg = kubeconfig_load(&ko, &cause);
    if (e->cfg == NULL)
        goto fail;
    e->client = kube_client_new(e->cfg, &cause);
    if (e->client == NULL)
        goto fail;
    return e;
fail:
    fprintf(stderr, "hostile_env: %s\n", cause != NULL ? cause : "cannot make a directory");
    free(cause);
    hostile_env_stop(e);
    return NULL;
}

void hostile_env_stop(struct hostile_env *e)
{
    if (e == NULL)
        return;
    kube_client_free(e->client);
    kubeconfig_free(e->cfg);
    sim_stop(e->sim);
    if (e->kubeconfig != NULL)
        unlink(e->kubeconfig);
    if (e->dir[0] != '\0')
        rmdir(e->dir);
    free(e->kubeconfig);
    free(e);
}
