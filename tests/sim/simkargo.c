/* Starting a simulated cluster with Kargo installed (see simkargo.h). */
#include "simkargo.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

struct sim *simkargo_start(struct kargo_options *opt)
{
    struct sim_config cfg = {0};
    cfg.seed = opt->seed;
    cfg.install = kargo_install;
    cfg.install_ctx = opt;
    char *cause = NULL;
    struct sim *sim = sim_start(&cfg, &cause);
    if (sim == NULL)
        fail_msg("sim_start: %s", cause);
    assert_non_null(opt->out);
    return sim;
}
