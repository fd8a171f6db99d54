/* A running kargo-sim and a kube client pointed at it through a real kubeconfig, for the network
 * tests of the kube layer. */
#ifndef KT_TEST_SIMFIX_H
#define KT_TEST_SIMFIX_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "kube/http.h"
#include "kube/kubeconfig.h"
#include "sim/sim.h"

struct simfix {
    bool tls;
    struct sim *sim;
    char *dir;
    char *kubeconfig; /* written by sim_write_kubeconfig */
    struct kube_config *cfg;
    struct kube_client *client;
};

/* Starts a sim (HTTPS when f->tls) with faults off and connects as context ("admin", "promoter",
 * "viewer"). Fails the test on error. */
void simfix_start(struct simfix *f, const char *context);
/* Loads kubeconfig path with context and makes a client (replacing any). Returns 0 or -1 with
 * *cause. */
int simfix_connect(struct simfix *f, const char *path, const char *context, char **cause);
void simfix_stop(struct simfix *f);
/* Creates namespace ns and n Events in it directly in the store. */
void simfix_seed_events(struct simfix *f, const char *ns, int n);
/* An Event object named name in ns. The caller deletes it. */
cJSON *simfix_event(const char *ns, const char *name);
void simfix_faults(struct simfix *f, const struct sim_faults *faults);

/* cmocka fixtures: a group's simfix, over HTTP or HTTPS, freed with the group; each test's sim
 * stopped after it (SIMFIX_TEST). simfix_run_http_and_https runs an array of them both ways. */
int simfix_setup_http(void **state);
int simfix_setup_https(void **state);
int simfix_teardown(void **state);
int simfix_after_test(void **state);
#define SIMFIX_TEST(fn) cmocka_unit_test_teardown(fn, simfix_after_test)
#define simfix_run_http_and_https(tests)                                                           \
    (cmocka_run_group_tests_name("http", tests, simfix_setup_http, simfix_teardown) +              \
     cmocka_run_group_tests_name("https", tests, simfix_setup_https, simfix_teardown))

/* Compacts the sim's history (a write, then forgetting it) as soon as it has answered n more list
 * requests, in a thread of its own: continue tokens of lists in progress then expire. Use with
 * the latency fault so the next page is asked for before it is answered. */
struct simfix_compactor;
struct simfix_compactor *simfix_compact_after_lists(struct simfix *f, unsigned long n);
/* Waits for it (returns whether it compacted) and frees it. */
bool simfix_compactor_join(struct simfix_compactor *c);

#endif
