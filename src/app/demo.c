/* The in-process simulated cluster behind --demo. */
#include "app/demo.h"

#include <stdlib.h>
#include <string.h>

#include "sim/kargo.h"
#include "sim/sim.h"
#include "util/xalloc.h"

static const char *const demo_scenarios[] = {"backstage", "flask-app", "microsvcs", "myapp", NULL};

struct demo {
    struct kargo_options kargo; /* must outlive the sim: the controller reads it */
    struct sim *sim;
};

struct demo *demo_start(char **cause)
{
    struct demo *d = xcalloc(1, sizeof *d);
    d->kargo.speed = 1.0;
    d->kargo.discover = true;
    d->kargo.seed = 1;
    d->kargo.scenarios = demo_scenarios;
    struct sim_config cfg = {.seed = 1, .install = kargo_install, .install_ctx = &d->kargo};
    d->sim = sim_start(&cfg, cause);
    if (d->sim == NULL) {
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
    c->namespace = xstrdup("backstage-kargo");
    c->server = xstrdup(sim_url(d->sim));
    c->token = xstrdup(sim_token(d->sim, "admin"));
    return c;
}

void demo_stop(struct demo *d)
{
    if (d == NULL)
        return;
    sim_stop(d->sim);
    free(d);
}
