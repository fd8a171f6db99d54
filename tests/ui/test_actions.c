/* Action keys end to end: the real binary in a pseudo-terminal against the simulated Kargo
 * cluster (in this process, controller on a real-time clock), then the cluster's state read over
 * HTTP: p creates a Promotion with the right stage and freight and the screen shows it succeed;
 * r rolls production back and sets a hold; a approves; A aborts; R's token is handled; the
 * promoter sees abort and refresh dimmed, the viewer every write key; --readonly writes nothing;
 * a batch over 4 marked stages makes 4 Promotions; n and Esc cancel with nothing written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kube/api.h"
#include "kube/http.h"
#include "kube/kubeconfig.h"
#include "ptyterm.h"
#include "sim/kargo.h"
#include "sim/sim.h"
#include "util/json.h"
#include "util/xalloc.h"

#define WAIT_MS 30000
#define GV      "kargo.akuity.io/v1alpha1"
#define ROWS    50
#define COLS    170

struct env {
    struct kargo_options kargo;
    struct sim *sim;
    char dir[64];
    char *kubeconfig;
    struct kube_config *cfg;
    struct kube_client *client; /* admin: the test's own view of the cluster */
};

static const char *const scenarios[] = {"backstage", "microsvcs", NULL};

static int setup(void **state)
{
    struct env *e = xcalloc(1, sizeof *e);
    e->kargo.speed = 1.0;
    e->kargo.step_ms = 1500; /* a promotion of five steps runs for several seconds */
    e->kargo.verify_ms = 2000;
    e->kargo.seed = 5;
    e->kargo.scenarios = scenarios;
    struct sim_config cfg = {.seed = 5, .install = kargo_install, .install_ctx = &e->kargo};
    char *cause = NULL;
    e->sim = sim_start(&cfg, &cause);
    if (e->sim == NULL) {
        fprintf(stderr, "sim_start: %s\n", cause);
        return -1;
    }
    snprintf(e->dir, sizeof e->dir, "/tmp/kt-ui-act-XXXXXX");
    if (mkdtemp(e->dir) == NULL)
        return -1;
    e->kubeconfig = xasprintf("%s/kubeconfig", e->dir);
    if (sim_write_kubeconfig(e->sim, e->kubeconfig, &cause) != 0)
        return -1;
    struct kubeconfig_opts ko = {.kubeconfig = e->kubeconfig};
    e->cfg = kubeconfig_load(&ko, &cause);
    if (e->cfg == NULL)
        return -1;
    e->client = kube_client_new(e->cfg, &cause);
    if (e->client == NULL)
        return -1;
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    struct env *e = *state;
    kube_client_free(e->client);
    kubeconfig_free(e->cfg);
    sim_stop(e->sim);
    unlink(e->kubeconfig);
    rmdir(e->dir);
    free(e->kubeconfig);
    free(e);
    return 0;
}

static struct ptyterm *start_as(struct env *e, const char *context, const char *project,
                                bool readonly)
{
    char *argv[] = {KARGOTOP_BIN,
                    "--kubeconfig",
                    e->kubeconfig,
                    "--context",
                    (char *)context,
                    "-n",
                    (char *)project,
                    readonly ? "--readonly" : NULL,
                    NULL};
    struct ptyterm *t = ptyterm_spawn(argv, NULL, ROWS, COLS);
    assert_non_null(t);
    if (!ptyterm_wait_text(t, "Freight for", WAIT_MS) || !ptyterm_wait_text(t, "live", WAIT_MS)) {
        ptyterm_dump(t, "no dashboard");
        fail();
    }
    return t;
}

static void quit(struct ptyterm *t)
{
    int status;
    ptyterm_send(t, "q");
    if (!ptyterm_wait_exit(t, WAIT_MS, &status)) {
        ptyterm_dump(t, "did not exit");
        fail();
    }
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    ptyterm_free(t);
}

#define expect(t, text)                                                                            \
    do {                                                                                           \
        if (!ptyterm_wait_text(t, text, WAIT_MS)) {                                                \
            ptyterm_dump(t, "missing: " text);                                                     \
            fail_msg("the screen never showed '%s'", text);                                        \
        }                                                                                          \
    } while (0)

static long long ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until a row holds both texts. */
static bool wait_row(struct ptyterm *t, const char *a, const char *b)
{
    for (long long end = ms_now() + WAIT_MS; ms_now() < end;) {
        for (int r = 0; r < ROWS; r++) {
            char *row = ptyterm_row(t, r);
            bool hit = row != NULL && strstr(row, a) != NULL && strstr(row, b) != NULL;
            free(row);
            if (hit)
                return true;
        }
        ptyterm_pump(t, 50);
    }
    return false;
}

/* The message line (the last row); the caller frees. */
static __attribute__((unused)) char *footer(struct ptyterm *t)
{
    return ptyterm_row(t, ROWS - 1);
}

static cJSON *get(struct env *e, const char *ns, const char *plural, const char *name)
{
    struct api_ref ref = {GV, plural, ns, name};
    struct kube_error err = {0};
    cJSON *o = api_get(e->client, &ref, &err);
    if (o == NULL)
        fail_msg("GET %s/%s: %s", plural, name, err.message);
    return o;
}

/* The Promotions of the namespace (a List). */
static cJSON *promotions(struct env *e, const char *ns)
{
    struct api_ref ref = {GV, "promotions", ns, NULL};
    cJSON *l = api_list(e->client, &ref, NULL, NULL, NULL);
    assert_non_null(l);
    return l;
}

static int count_promotions(struct env *e, const char *ns)
{
    cJSON *l = promotions(e, ns);
    int n = cJSON_GetArraySize(cJSON_GetObjectItem(l, "items"));
    cJSON_Delete(l);
    return n;
}

/* The Freight of the Stage's first origin now current; the caller frees. */
static char *freight_in(struct env *e, const char *ns, const char *stage, const char *origin)
{
    cJSON *s = get(e, ns, "stages", stage);
    const char *f = json_get_string(
        cJSON_GetArrayItem(json_get(s, "status", "freightHistory", (char *)NULL), 0), "items",
        origin, "name", (char *)NULL);
    char *copy = f != NULL ? xstrdup(f) : NULL;
    cJSON_Delete(s);
    return copy;
}

/* The name of the Freight with alias in ns; the caller frees. */
static char *freight_by_alias(struct env *e, const char *ns, const char *alias)
{
    struct api_ref ref = {GV, "freights", ns, NULL};
    char *sel = xasprintf("kargo.akuity.io/alias=%s", alias);
    cJSON *l = api_list(e->client, &ref, sel, NULL, NULL);
    free(sel);
    cJSON *it = cJSON_GetArrayItem(cJSON_GetObjectItem(l, "items"), 0);
    char *name = it != NULL ? xstrdup(json_get_string(it, "metadata", "name", (char *)NULL)) : NULL;
    cJSON_Delete(l);
    return name;
}

/* The word after `prefix` on the screen (up to a space, ',' or ')'); the caller frees. */
static char *word_after(struct ptyterm *t, const char *prefix)
{
    for (int r = 0; r < ROWS; r++) {
        char *row = ptyterm_row(t, r);
        char *at = row != NULL ? strstr(row, prefix) : NULL;
        if (at != NULL) {
            at += strlen(prefix);
            size_t n = strcspn(at, " ,)");
            char *w = xstrndup(at, n);
            free(row);
            return w;
        }
        free(row);
    }
    return NULL;
}

static void test_promote_with_p_creates_the_promotion_and_shows_it_succeed(void **state)
{
    struct env *e = *state;
    const char *ns = "backstage-kargo";
    char *devf = freight_in(e, ns, "dev", "Warehouse/backstage");
    int before = count_promotions(e, ns);
    struct ptyterm *t = start_as(e, "admin", ns, false);
    ptyterm_send(t, "l"); /* dev -> staging */
    expect(t, "Freight for staging");
    ptyterm_send(t, "p");
    expect(t, "Promote to staging: which freight?");
    ptyterm_send(t, "\r"); /* the newest available: what dev runs */
    expect(t, "y: confirm");
    expect(t, "staging <- ");
    char *alias = word_after(t, "staging <- ");
    assert_non_null(alias);
    ptyterm_send(t, "y");
    expect(t, "promotion created: staging.");
    char *name = word_after(t, "promotion created: ");
    assert_non_null(name);
    /* the cluster has exactly that one more, with the right stage and freight */
    assert_int_equal(count_promotions(e, ns), before + 1);
    cJSON *p = get(e, ns, "promotions", name);
    assert_string_equal(json_get_string(p, "spec", "stage", (char *)NULL), "staging");
    char *fname = freight_by_alias(e, ns, alias);
    assert_non_null(fname);
    assert_string_equal(json_get_string(p, "spec", "freight", (char *)NULL), fname);
    assert_string_equal(fname, devf);
    cJSON_Delete(p);
    /* and the promotions pane shows it succeed */
    ptyterm_send(t, "\t\t");
    expect(t, "Promotions of staging");
    if (!wait_row(t, name + strlen("staging."), "Succeeded")) {
        ptyterm_dump(t, "no success");
        fail_msg("promotion %s never showed Succeeded", name);
    }
    quit(t);
    free(fname);
    free(name);
    free(alias);
    free(devf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_promote_with_p_creates_the_promotion_and_shows_it_succeed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
