/* A running kargo-sim and a kube client pointed at it. */
#include "simfix.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubetest.h"
#include "sim/store.h"
#include "util/xalloc.h"

void simfix_start(struct simfix *f, const char *context)
{
    struct sim_config sc = {
        .tls = f->tls, .seed = 42, .log_requests = getenv("KT_SIM_LOG") != NULL};
    char *cause = NULL;
    f->sim = sim_start(&sc, &cause);
    if (f->sim == NULL)
        fail_msg("sim_start: %s", cause);
    f->dir = kt_mkdtemp();
    f->kubeconfig = xasprintf("%s/config", f->dir);
    if (sim_write_kubeconfig(f->sim, f->kubeconfig, &cause) != 0)
        fail_msg("sim_write_kubeconfig: %s", cause);
    if (simfix_connect(f, f->kubeconfig, context, &cause) != 0)
        fail_msg("connect: %s", cause);
}

int simfix_connect(struct simfix *f, const char *path, const char *context, char **cause)
{
    kube_client_free(f->client);
    kubeconfig_free(f->cfg);
    f->client = NULL;
    struct kubeconfig_opts o = {.kubeconfig = path, .context = context};
    f->cfg = kubeconfig_load(&o, cause);
    if (f->cfg == NULL)
        return -1;
    f->client = kube_client_new(f->cfg, cause);
    return f->client ? 0 : -1;
}

void simfix_stop(struct simfix *f)
{
    kube_client_free(f->client);
    kubeconfig_free(f->cfg);
    if (f->sim)
        sim_stop(f->sim);
    if (f->dir)
        kt_rmtree(f->dir);
    free(f->dir);
    free(f->kubeconfig);
    bool tls = f->tls;
    memset(f, 0, sizeof *f);
    f->tls = tls;
}

static int setup(void **state, bool tls)
{
    struct simfix *f = xcalloc(1, sizeof *f);
    f->tls = tls;
    *state = f;
    return 0;
}

int simfix_setup_http(void **state)
{
    return setup(state, false);
}

int simfix_setup_https(void **state)
{
    return setup(state, true);
}

int simfix_teardown(void **state)
{
    simfix_stop(*state);
    free(*state);
    return 0;
}

int simfix_after_test(void **state)
{
    simfix_stop(*state);
    return 0;
}

cJSON *simfix_event(const char *ns, const char *name)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "apiVersion", "v1");
    cJSON_AddStringToObject(o, "kind", "Event");
    cJSON *md = cJSON_AddObjectToObject(o, "metadata");
    cJSON_AddStringToObject(md, "name", name);
    cJSON_AddStringToObject(md, "namespace", ns);
    cJSON_AddStringToObject(o, "reason", "Test");
    cJSON_AddStringToObject(o, "message", "made by a kube test");
    cJSON *io = cJSON_AddObjectToObject(o, "involvedObject");
    cJSON_AddStringToObject(io, "kind", "Stage");
    cJSON_AddStringToObject(io, "name", "uat");
    return o;
}

void simfix_seed_events(struct simfix *f, const char *ns, int n)
{
    struct sim_store *st = sim_store(f->sim);
    struct sim_write_opts wo = {.skip_admission = true};
    struct sim_status *err = NULL;
    cJSON *nso = cJSON_CreateObject();
    cJSON_AddStringToObject(nso, "apiVersion", "v1");
    cJSON_AddStringToObject(nso, "kind", "Namespace");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(nso, "metadata"), "name", ns);
    cJSON *made = sim_store_create(st, "namespaces", NULL, nso, &wo, &err);
    cJSON_Delete(nso);
    cJSON_Delete(made);
    if (err != NULL)
        sim_status_free(err);
    for (int i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof name, "ev-%05d", i);
        cJSON *o = simfix_event(ns, name);
        err = NULL;
        made = sim_store_create(st, "events", ns, o, &wo, &err);
        if (made == NULL)
            fail_msg("seeding %s/%s failed", ns, name);
        cJSON_Delete(made);
        cJSON_Delete(o);
    }
}

void simfix_faults(struct simfix *f, const struct sim_faults *faults)
{
    sim_faults_set(f->sim, faults);
}

struct simfix_compactor {
    struct simfix *f;
    unsigned long until;
    bool done;
    pthread_t thread;
};

static bool lists_reached(void *arg)
{
    struct simfix_compactor *c = arg;
    struct sim_stats st;
    sim_stats_get(c->f->sim, &st);
    return st.requests[SIM_VERB_LIST] >= c->until;
}

static void *compactor_run(void *arg)
{
    struct simfix_compactor *c = arg;
    if (!kt_wait_until(lists_reached, c, 60000))
        return NULL;
    simfix_seed_events(c->f, "compaction", 0);
    sim_store_forget_history(sim_store(c->f->sim));
    c->done = true;
    return NULL;
}

struct simfix_compactor *simfix_compact_after_lists(struct simfix *f, unsigned long n)
{
    struct simfix_compactor *c = xcalloc(1, sizeof *c);
    c->f = f;
    struct sim_stats st;
    sim_stats_get(f->sim, &st);
    c->until = st.requests[SIM_VERB_LIST] + n;
    pthread_create(&c->thread, NULL, compactor_run, c);
    return c;
}

bool simfix_compactor_join(struct simfix_compactor *c)
{
    pthread_join(c->thread, NULL);
    bool done = c->done;
    free(c);
    return done;
}
