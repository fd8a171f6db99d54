/* The simulated cluster of the dashboard tests (see uienv.h). */
#define _XOPEN_SOURCE 700 /* nftw */
#include "uienv.h"

#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "expect.h"
#include "kube/api.h"
#include "util/xalloc.h"

struct env *uienv_start_opts(const struct uienv_opts *o)
{
    struct env *e = xcalloc(1, sizeof *e);
    e->kargo.speed = o->speed;
    e->kargo.start_ms = o->start_ms;
    e->kargo.step_ms = o->step_ms;
    e->kargo.verify_ms = o->verify_ms;
    e->kargo.seed = o->seed;
    e->kargo.scenarios = o->scenarios;
    e->scenario_files[0] = o->scenario_file;
    snprintf(e->dir, sizeof e->dir, "/tmp/kt-ui-XXXXXX");
    if (mkdtemp(e->dir) == NULL) {
        perror("mkdtemp");
        e->dir[0] = '\0';
        uienv_stop(e);
        return NULL;
    }
    struct sim_config cfg = {.seed = o->seed,
                             .tls = o->tls,
                             .scenarios = o->scenario_file != NULL ? e->scenario_files : NULL,
                             .install = kargo_install,
                             .install_ctx = &e->kargo};
    if (o->token_csv != NULL) {
        /* more users, as kube-apiserver's --token-auth-file */
        e->tokens = xasprintf("%s/tokens.csv", e->dir);
        FILE *f = fopen(e->tokens, "w");
        if (f == NULL || fputs(o->token_csv, f) < 0 || fclose(f) != 0) {
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
    e->xdg = xasprintf("%s/xdg", e->dir);
    e->confdir = xasprintf("%s/kargotop", e->xdg);
    e->xdg_env = xasprintf("XDG_CONFIG_HOME=%s", e->xdg);
    e->kubeconfig = xasprintf("%s/kubeconfig", e->dir);
    struct kubeconfig_opts ko = {.kubeconfig = e->kubeconfig};
    if (mkdir(e->xdg, 0700) != 0 || mkdir(e->confdir, 0700) != 0) {
        perror(e->confdir);
        uienv_stop(e);
        return NULL;
    }
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

struct uienv_opts uienv_defaults(void)
{
    return (struct uienv_opts){.seed = 12, .speed = 1.0, .step_ms = 500, .verify_ms = 800};
}

struct env *uienv_start(const char *const *scenarios, unsigned seed, int step_ms, int verify_ms)
{
    struct uienv_opts o = uienv_defaults();
    o.scenarios = scenarios;
    o.seed = seed;
    o.step_ms = step_ms;
    o.verify_ms = verify_ms;
    return uienv_start_opts(&o);
}

struct env *uienv_start_users(const char *const *scenarios, unsigned seed, int step_ms,
                              int verify_ms, const char *token_csv)
{
    struct uienv_opts o = uienv_defaults();
    o.scenarios = scenarios;
    o.seed = seed;
    o.step_ms = step_ms;
    o.verify_ms = verify_ms;
    o.token_csv = token_csv;
    return uienv_start_opts(&o);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    if (remove(path) != 0)
        perror(path);
    return 0;
}

void uienv_stop(struct env *e)
{
    if (e == NULL)
        return;
    if (e->child > 0) {
        kill(e->child, SIGTERM);
        waitpid(e->child, NULL, 0);
    }
    kube_client_free(e->client);
    kubeconfig_free(e->cfg);
    sim_stop(e->sim);
    free(e->tokens);
    if (e->dir[0] != '\0')
        nftw(e->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(e->kubeconfig);
    free(e->xdg);
    free(e->xdg_env);
    free(e->confdir);
    free(e);
}

void uienv_promote(struct env *e, const char *ns, const char *stage, const char *freight)
{
    cJSON *promo = cJSON_CreateObject();
    cJSON_AddStringToObject(promo, "apiVersion", "kargo.akuity.io/v1alpha1");
    cJSON_AddStringToObject(promo, "kind", "Promotion");
    char *prefix = xasprintf("%s.", stage);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(promo, "metadata"), "generateName", prefix);
    free(prefix);
    cJSON *spec = cJSON_AddObjectToObject(promo, "spec");
    cJSON_AddStringToObject(spec, "stage", stage);
    cJSON_AddStringToObject(spec, "freight", freight);
    struct api_ref ref = {"kargo.akuity.io/v1alpha1", "promotions", ns, NULL};
    struct kube_error err = {0};
    cJSON *created = api_create(e->client, &ref, promo, &err);
    cJSON_Delete(promo);
    if (created == NULL)
        fail_msg("creating a Promotion of %s to %s: %s", freight, stage, err.message);
    cJSON_Delete(created);
    kube_error_clear(&err);
}

void uienv_quit(struct ptyterm *t)
{
    expect_quit(t, "q", EXPECT_WAIT_MS);
}
