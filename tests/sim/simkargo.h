/* Starting a simulated cluster with Kargo installed, for the controller and scenario tests. */
#ifndef KT_TEST_SIMKARGO_H
#define KT_TEST_SIMKARGO_H

#include "sim/kargo.h"
#include "sim/sim.h"

/* Starts a simulated cluster with Kargo installed as opt says (opt must outlive it), seeded with
 * opt->seed; opt->out is the Kargo handle. Fails the test when it cannot start. */
struct sim *simkargo_start(struct kargo_options *opt);

#endif
