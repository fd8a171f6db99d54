/* The in-process simulated cluster behind --demo. */
#include "app/demo.h"

#include <stdlib.h>
#include <string.h>

#include "sim/kargo.h"
#include "sim/sim.h"
#include "util/xalloc.h"

static const char *const demo_scenarios[] = {"demo", NULL};

struct demo {
    struct kargo_options kargo; /* must outlive the sim: the controller reads it */
    char *first_project; /* the first project the first scenario brought, where the demo opens */
    struct sim *sim;
};

struct demo *demo_start(const char *const *scenarios, char **cause)
{
    struct demo *d = xcalloc(1, sizeof *d);
    d->kargo.speed = 1.0;
    d->kargo.discover = true;
    d->kargo.seed = 1;
    /* kargo_install loads them all before its controller starts, so no pass sees half a
     * scenario. */
    d->kargo.scenarios = scenarios != NULL && scenarios[0] != NULL ? scenarios : demo_scenarios;
    struct sim_config cfg = {.seed = 1, .install = kargo_install, .install_ctx = &d->kargo};
    d->sim = sim_start(&cfg, cause);
    if (d->sim == NULL) {
        free(d);
        return NULL;
    }
    /* A user who asks for `--scenario flask-app` expects to land in flask-app; a file without a
     * Project opens the project list. */
    char *why = NULL;
    d->first_project = kargo_scenario_project(d->kargo.scenarios[0], &why);
    free(why);
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
