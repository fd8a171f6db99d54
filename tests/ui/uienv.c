/* The simulated cluster of the dashboard tests (see uienv.h). */
#include "uienv.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/xalloc.h"

#define QUIT_WAIT_MS 20000

struct env *uienv_start(const char *const *scenarios, unsigned seed, int step_ms, int verify_ms)
{
    return uienv_start_users(scenarios, seed, step_ms, verify_ms, NULL);
}

struct env *uienv_start_users(const char *const *scenarios, unsigned seed, int step_ms,
                              int verify_ms, const char *token_csv)
{
    struct env *e = xcalloc(1, sizeof *e);
    e->kargo.speed = 1.0;
    e->kargo.step_ms = step_ms;
    e->kargo.verify_ms = verify_ms;
    e->kargo.seed = seed;
    e->kargo.scenarios = scenarios;
    snprintf(e->dir, sizeof e->dir, "/tmp/kt-ui-XXXXXX");
    if (mkdtemp(e->dir) == NULL) {
        perror("mkdtemp");
        e->dir[0] = '\0';
        uienv_stop(e);
        return NULL;
    }
    struct sim_config cfg = {.seed = seed, .install = kargo_install, .install_ctx = &e->kargo};
    if (token_csv != NULL) {
        /* more users, as kube-apiserver's --token-auth-file */
        e->tokens = xasprintf("%s/tokens.csv", e->dir);
        FILE *f = fopen(e->tokens, "w");
        if (f == NULL || fputs(token_csv, f) < 0 || fclose(f) != 0) {
            perror(e->tokens);
            uienv_stop(e);
            return NULL;
        }
        cfg.token_auth_file = e->tokens;
    }
    char *cause = NULL;
    e->sim = sim_start(&cfg, &cause);
    if (e->sim == NULL) {
        fprintf(stderr, "sim_start: %s\n", cause);
        free(cause);
        uienv_stop(e);
        return NULL;
    }
    e->kubeconfig = xasprintf("%s/kubeconfig", e->dir);
    struct kubeconfig_opts ko = {.kubeconfig = e->kubeconfig};
    if (sim_write_kubeconfig(e->sim, e->kubeconfig, &cause) != 0 ||
        (e->cfg = kubeconfig_load(&ko, &cause)) == NULL ||
        (e->client = kube_client_new(e->cfg, &cause)) == NULL) {
        fprintf(stderr, "test cluster: %s\n", cause);
        free(cause);
        uienv_stop(e);
        return NULL;
    }
    return e;
}

void uienv_stop(struct env *e)
{
    if (e == NULL)
        return;
    kube_client_free(e->client);
    kubeconfig_free(e->cfg);
    if (e->sim != NULL)
        sim_stop(e->sim);
    if (e->kubeconfig != NULL)
        unlink(e->kubeconfig);
    if (e->tokens != NULL)
        unlink(e->tokens);
    free(e->tokens);
    if (e->dir[0] != '\0')
        rmdir(e->dir);
    free(e->kubeconfig);
    free(e);
}

void uienv_quit(struct ptyterm *t)
{
    int status;
    ptyterm_send(t, "q");
    if (!ptyterm_wait_exit(t, QUIT_WAIT_MS, &status)) {
        ptyterm_dump(t, "did not exit");
        fail();
    }
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    ptyterm_free(t);
}
