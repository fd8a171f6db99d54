/* The in-process simulated cluster behind --demo. */
#include "app/demo.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sim/kargo.h"
#include "sim/sim.h"
#include "sim/store.h"
#include "util/xalloc.h"

static const char *const demo_scenarios[] = {"demo", NULL};

struct demo {
    struct kargo_options kargo; /* must outlive the sim: the controller reads it */
    const char *const *scenarios;
    char *first_project; /* the first project the first scenario brought, where the demo opens */
    struct sim *sim;
};

static bool project_known(const cJSON *projects, const char *name)
{
    const cJSON *p;
    cJSON_ArrayForEach(p, projects)
    {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(p, "metadata"), "name");
        if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0)
            return true;
    }
    return false;
}

/* Loads the scenarios one by one (before the server answers), noting which project the first one
 * brought: a user who asks for `--scenario flask-app` expects to land in flask-app. */
static int demo_install(struct sim *sim, void *ctx, char **cause)
{
    struct demo *d = ctx;
    if (kargo_install(sim, &d->kargo, cause) != 0)
        return -1;
    struct sim_store *store = sim_store(sim);
    for (const char *const *s = d->scenarios; *s != NULL; s++) {
        struct sim_status *err = NULL;
        cJSON *before = sim_store_list(store, "projects", NULL, NULL, &err);
        sim_status_free(err);
        if (kargo_load_scenario(d->kargo.out, *s, cause) < 0) {
            cJSON_Delete(before);
            return -1;
        }
        cJSON *after =
            d->first_project == NULL ? sim_store_list(store, "projects", NULL, NULL, &err) : NULL;
        sim_status_free(err);
        const cJSON *p;
        cJSON_ArrayForEach(p, after)
        {
            const cJSON *n = cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(p, "metadata"), "name");
            if (cJSON_IsString(n) && !project_known(before, n->valuestring)) {
                d->first_project = xstrdup(n->valuestring);
                break;
            }
        }
        cJSON_Delete(after);
        cJSON_Delete(before);
    }
    return 0;
}

struct demo *demo_start(const char *const *scenarios, char **cause)
{
    struct demo *d = xcalloc(1, sizeof *d);
    d->kargo.speed = 1.0;
    d->kargo.discover = true;
    d->kargo.seed = 1;
    d->scenarios = scenarios != NULL && scenarios[0] != NULL ? scenarios : demo_scenarios;
    struct sim_config cfg = {.seed = 1, .install = demo_install, .install_ctx = d};
    d->sim = sim_start(&cfg, cause);
    if (d->sim == NULL) {
        free(d->first_project);
        free(d);
        return NULL;
    }
    return d;
}

struct kube_config *demo_config(struct demo *d)
{
    struct kube_config *c = xcalloc(1, sizeof *c);
    c->source = xstrdup("kargotop --demo");
    c->context = xstrdup("demo");
    c->cluster_name = xstrdup("kargo-sim");
    c->user_name = xstrdup("admin");
    if (d->first_project != NULL)
        c->namespace = xstrdup(d->first_project);
    c->server = xstrdup(sim_url(d->sim));
    c->token = xstrdup(sim_token(d->sim, "admin"));
    return c;
}

void demo_stop(struct demo *d)
{
    if (d == NULL)
        return;
    sim_stop(d->sim);
    free(d->first_project);
    free(d);
}
