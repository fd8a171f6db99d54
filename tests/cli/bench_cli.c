/* Benchmark (label bench): `kargotop get` against kubectl in the same run, on the simulated
 * cluster's large scenario (300 Stages, 10,000 Freight, 30,000 Promotions). Prints wall times
 * (median of 3) and asserts only that both print the same objects: timings are for people. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "proc.h"
#include "sim/kargo.h"
#include "sim/sim.h"
#include "util/xalloc.h"

#define RUNS   3
#define RUN_MS 300000

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Runs argv RUNS times; the median wall time, the last stdout in *out (allocated). */
static double timed(char *const argv[], char **out)
{
    double t[RUNS];
    for (int i = 0; i < RUNS; i++) {
        struct proc_result r;
        double t0 = now_s();
        assert_int_equal(proc_run(argv, NULL, RUN_MS, &r), 0);
        t[i] = now_s() - t0;
        if (r.status != 0)
            fail_msg("%s %s: exit %d: %s", argv[0], argv[3], r.status, r.err);
        if (i == RUNS - 1)
            *out = xstrdup(r.out);
        proc_result_free(&r);
    }
    qsort(t, RUNS, sizeof t[0], cmp_double);
    return t[RUNS / 2];
}

static int count_items(const char *json)
{
    cJSON *doc = cJSON_Parse(json);
    assert_non_null(doc);
    int n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "items"));
    cJSON_Delete(doc);
    return n;
}

static void bench_get_against_kubectl(void **state)
{
    static const char *const scenarios[] = {"large", NULL};
    struct kargo_options opt = {.speed = 0, .seed = 5, .scenarios = scenarios};
    struct sim_config cfg = {.tls = true, .seed = 5, .install = kargo_install, .install_ctx = &opt};
    char *cause = NULL;
    struct sim *sim = sim_start(&cfg, &cause);
    if (sim == NULL)
        fail_msg("sim_start: %s", cause);
    kargo_settle(opt.out);
    char dir[] = "/tmp/kt-cli-bench-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *kc = xasprintf("%s/kubeconfig", dir);
    char *cache = xasprintf("--cache-dir=%s/cache", dir);
    assert_int_equal(sim_write_kubeconfig(sim, kc, &cause), 0);
    bool kubectl = system("command -v kubectl >/dev/null 2>&1") == 0;

    static const char *const cases[][2] = {
        {"freight", "json"}, {"freight", "table"}, {"promotions", "json"}, {"stages", "table"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *ours_out = NULL, *theirs_out = NULL;
        char *ours[] = {
            KARGOTOP_BIN, "--kubeconfig",      kc,  "get", (char *)cases[i][0], "-p", "large",
            "-o",         (char *)cases[i][1], NULL};
        double a = timed(ours, &ours_out);
        double b = -1;
        if (kubectl) {
            char *kind = strcmp(cases[i][0], "freight") == 0 ? "freights" : (char *)cases[i][0];
            char *theirs[] = {"kubectl",
                              "--kubeconfig",
                              kc,
                              cache,
                              "get",
                              kind,
                              "-n",
                              "large",
                              strcmp(cases[i][1], "json") == 0 ? "-o" : NULL,
                              "json",
                              NULL};
            b = timed(theirs, &theirs_out);
            if (strcmp(cases[i][1], "json") == 0)
                assert_int_equal(count_items(ours_out), count_items(theirs_out));
        }
        printf("bench_cli: get %-10s -o %-5s kargotop %6.2f s   kubectl %6.2f s\n", cases[i][0],
               cases[i][1], a, b);
        free(ours_out);
        free(theirs_out);
    }
    sim_stop(sim);
    char *rm = xasprintf("rm -rf '%s'", dir);
    assert_int_equal(system(rm), 0);
    free(rm);
    free(kc);
    free(cache);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(bench_get_against_kubectl)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
