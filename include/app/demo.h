/* `kargotop --demo`: the simulated Kargo cluster in-process (the built-in scenarios, Kargo's
 * controller on a real-time clock, warehouses discovering new versions) and a connection to it,
 * so the dashboard can be tried without a cluster. No file is written. */
#ifndef KT_APP_DEMO_H
#define KT_APP_DEMO_H

#include "kube/kubeconfig.h"

struct demo;

/* Starts the cluster on a loopback port with the given scenarios (built-in names or YAML paths,
 * NULL-terminated, borrowed until demo_stop; NULL or empty: the built-in "demo"). Returns NULL
 * with *cause set (an unknown scenario, a bad file). */
struct demo *demo_start(const char *const *scenarios, char **cause);
/* A connection to it as the admin user, starting in the first project the first scenario
 * brought (new; the caller frees it, or hands it to the session). */
struct kube_config *demo_config(struct demo *d);
void demo_stop(struct demo *d);

#endif
