/* kubectl, unchanged, against kargo-sim: each command of issue #3, asserted on what kubectl prints
 * and on the server's state afterwards. Skipped, saying so, when kubectl is not on PATH. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "proc.h"
#include "sim/sim.h"
#include "sim/store.h"
#include "util/json.h"
#include "util/xalloc.h"

#define SCENARIO KT_SOURCE_DIR "/tests/sim/data/demo.yaml"

struct fixture {
    struct sim *sim;
    char dir[64];
    char kubeconfig[128];
    char cachedir[128];
};

static bool have_kubectl(void)
{
    char *argv[] = {"sh", "-c", "command -v kubectl", NULL};
    struct proc_result r;
    if (proc_run(argv, NULL, 10000, &r) < 0)
        return false;
    bool ok = r.status == 0;
    proc_result_free(&r);
    return ok;
}

static int setup(void **state)
{
    if (!have_kubectl()) {
        fprintf(stderr, "sim_kubectl: kubectl is not on PATH; skipping the kubectl suite "
                        "(make deps installs it)\n");
        *state = NULL;
        return 0;
    }
    struct fixture *f = xcalloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/kt-sim-kubectl-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->kubeconfig, sizeof f->kubeconfig, "%s/kubeconfig", f->dir);
    snprintf(f->cachedir, sizeof f->cachedir, "%s/cache", f->dir);
    static const char *const scen[] = {SCENARIO, NULL};
    struct sim_config cfg = {.tls = true, .seed = 3, .scenarios = scen};
    char *cause = NULL;
    f->sim = sim_start(&cfg, &cause);
    if (f->sim == NULL || sim_write_kubeconfig(f->sim, f->kubeconfig, &cause) < 0) {
        fprintf(stderr, "sim_kubectl: %s\n", cause);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    if (f == NULL)
        return 0;
    sim_stop(f->sim);
    char *argv[] = {"rm", "-rf", f->dir, NULL};
    struct proc_result r;
    if (proc_run(argv, NULL, 10000, &r) == 0)
        proc_result_free(&r);
    free(f);
    return 0;
}

static struct fixture *fixture(void **state)
{
    if (*state == NULL)
        skip();
    return *state;
}

/* Runs kubectl with the fixture's kubeconfig and arguments (NULL-terminated). */
static void kubectl(struct fixture *f, struct proc_result *r, int timeout_ms, ...)
{
    char *argv[32];
    int n = 0;
    argv[n++] = "kubectl";
    char kc[160], cache[160];
    snprintf(kc, sizeof kc, "--kubeconfig=%s", f->kubeconfig);
    snprintf(cache, sizeof cache, "--cache-dir=%s", f->cachedir);
    argv[n++] = kc;
    argv[n++] = cache;
    va_list ap;
    va_start(ap, timeout_ms);
    char *a;
    while ((a = va_arg(ap, char *)) != NULL && n < 31)
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    if (proc_run(argv, NULL, timeout_ms, r) < 0)
        fail_msg("cannot run kubectl");
}

static void expect_ok(const struct proc_result *r, const char *out)
{
    if (r->status != 0)
        fail_msg("kubectl exited %d: %s", r->status, r->err);
    if (out != NULL && strcmp(r->out, out) != 0)
        fail_msg("kubectl printed [%s], want [%s]", r->out, out);
}

static cJSON *stored(struct fixture *f, const char *plural, const char *name)
{
    struct sim_status *err = NULL;
    cJSON *o = sim_store_get(sim_store(f->sim), plural, "kargo-demo", name, &err);
    sim_status_free(err);
    return o;
}

static void test_api_resources(void **state)
{
    struct fixture *f = fixture(state);
    struct proc_result r;
    kubectl(f, &r, 30000, "api-resources", NULL);
    expect_ok(&r, NULL);
    const char *want[] = {"stages",
                          "promotions",
                          "promo,promos",
                          "freights",
                          "warehouses",
                          "projects",
                          "projectconfigs",
                          "kargo.akuity.io/v1alpha1",
                          "selfsubjectaccessreviews",
                          "namespaces"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (strstr(r.out, want[i]) == NULL)
            fail_msg("api-resources lacks %s:\n%s", want[i], r.out);
    /* The stage line reads as the CRD declares it: namespaced, kind Stage. */
    const char *line = strstr(r.out, "\nstages ");
    assert_non_null(line);
    const char *eol = strchr(line + 1, '\n');
    char buf[256];
    snprintf(buf, sizeof buf, "%.*s", (int)(eol - line - 1), line + 1);
    assert_non_null(strstr(buf, "true"));
    assert_non_null(strstr(buf, "Stage"));
    proc_result_free(&r);
}

static void names_in_json(const char *out, const char *expect)
{
    cJSON *l = cJSON_Parse(out);
    assert_non_null(l);
    assert_string_equal(json_get_string(l, "kind", NULL), "List");
    char joined[512] = "";
    const cJSON *it;
    cJSON_ArrayForEach(it, json_get(l, "items", NULL))
    {
        if (joined[0] != '\0')
            strcat(joined, ",");
        strcat(joined, json_get_string(it, "metadata", "name", NULL));
    }
    assert_string_equal(joined, expect);
    cJSON_Delete(l);
}

static void test_get_json(void **state)
{
    struct fixture *f = fixture(state);
    struct proc_result r;
    kubectl(f, &r, 30000, "get", "stages", "-n", "kargo-demo", "-o", "json", NULL);
    expect_ok(&r, NULL);
    names_in_json(r.out, "dev,prod,uat");
    proc_result_free(&r);
    kubectl(f, &r, 30000, "get", "freight", "-n", "kargo-demo", "-o", "json", NULL);
    expect_ok(&r, NULL);
    names_in_json(
        r.out, "666209fd9755a1e48bec6b27f5f447747410dd9e,7a1e2b3c4d5e6f708192a3b4c5d6e7f809102132");
    proc_result_free(&r);
    kubectl(f, &r, 30000, "get", "promotions", "-n", "kargo-demo", "-o", "json", NULL);
    expect_ok(&r, NULL);
    names_in_json(r.out,
                  "dev.01k0000000000000000000000.666209f,uat.01k0000000000000000000001.666209f");
    proc_result_free(&r);
}

/* Asserts that out has a line starting with first and then containing each further word in
 * order (NULL-terminated): column widths are kubectl's business. */
static void assert_row(const char *out, const char *first, ...)
{
    size_t flen = strlen(first);
    const char *line = out;
    while (line != NULL && *line != '\0' &&
           !(strncmp(line, first, flen) == 0 && (line[flen] == ' ' || line[flen] == '\n')))
        line = strchr(line, '\n') != NULL ? strchr(line, '\n') + 1 : NULL;
    if (line == NULL || *line == '\0')
        fail_msg("no line starting with '%s' in:\n%s", first, out);
    const char *eol = strchr(line, '\n');
    char *copy = xstrndup(line, eol != NULL ? (size_t)(eol - line) : strlen(line));
    const char *p = copy + flen;
    va_list ap;
    va_start(ap, first);
    const char *w;
    while ((w = va_arg(ap, const char *)) != NULL) {
        const char *q = strstr(p, w);
        if (q == NULL)
            fail_msg("'%s' lacks '%s' (in order)", copy, w);
        p = q + strlen(w);
    }
    va_end(ap);
    free(copy);
}

static void test_get_table(void **state)
{
    struct fixture *f = fixture(state);
    struct proc_result r;
    kubectl(f, &r, 30000, "get", "stages", "-n", "kargo-demo", NULL);
    expect_ok(&r, NULL);
    assert_row(r.out, "NAME", "SHARD", "CURRENT FREIGHT", "HEALTH", "READY", "STATUS", "AGE", NULL);
    assert_row(r.out, "dev", "666209fd9755a1e48bec6b27f5f447747410dd9e", "Healthy", "True",
               "Stage is ready", NULL);
    assert_row(r.out, "prod", "east", NULL);
    proc_result_free(&r);
    kubectl(f, &r, 30000, "get", "freight", "-n", "kargo-demo", NULL);
    expect_ok(&r, NULL);
    assert_row(r.out, "NAME", "ALIAS", "ORIGIN (KIND)", "ORIGIN (NAME)", "AGE", NULL);
    assert_row(r.out, "666209fd9755a1e48bec6b27f5f447747410dd9e", "mortal-dragonfly", "Warehouse",
               "kargo-demo", NULL);
    proc_result_free(&r);
}

struct bg {
    struct fixture *f;
    struct proc_result r;
};

static void *watch_main(void *arg)
{
    struct bg *b = arg;
    kubectl(b->f, &b->r, 8000, "get", "promotions", "-n", "kargo-demo", "-w", NULL);
    return NULL;
}

static void test_watch(void **state)
{
    struct fixture *f = fixture(state);
    struct bg b = {.f = f};
    pthread_t t;
    pthread_create(&t, NULL, watch_main, &b);
    /* Create the promotion once kubectl watches, so the event comes through the watch. */
    struct sim_stats st;
    for (int i = 0; i < 600; i++) {
        sim_stats_get(f->sim, &st);
        if (st.watches_open > 0)
            break;
        struct timespec ts = {0, 10000000L};
        nanosleep(&ts, NULL);
    }
    assert_true(st.watches_open > 0);
    cJSON *p =
        cJSON_Parse("{\"metadata\":{\"name\":\"watched-promo\"},\"spec\":{\"stage\":\"prod\","
                    "\"freight\":\"666209fd9755a1e48bec6b27f5f447747410dd9e\","
                    "\"steps\":[{\"uses\":\"git-clone\"}]}}");
    struct sim_status *err = NULL;
    cJSON *o = sim_store_create(sim_store(f->sim), "promotions", "kargo-demo", p, NULL, &err);
    assert_non_null(o);
    cJSON_Delete(o);
    cJSON_Delete(p);
    pthread_join(t, NULL);
    /* kubectl was stopped by the deadline; what it printed is what a user saw. */
    assert_row(b.r.out, "NAME", "STAGE", "FREIGHT", "PHASE", NULL);
    assert_row(b.r.out, "watched-promo", "prod", "666209fd9755a1e48bec6b27f5f447747410dd9e", NULL);
    proc_result_free(&b.r);
}

static void test_create_annotate_patch_delete(void **state)
{
    struct fixture *f = fixture(state);
    char file[160];
    snprintf(file, sizeof file, "%s/promo.yaml", f->dir);
    FILE *fp = fopen(file, "w");
    fputs("apiVersion: kargo.akuity.io/v1alpha1\nkind: Promotion\nmetadata:\n  name: kt-created\n"
          "  namespace: kargo-demo\nspec:\n  stage: uat\n  freight: "
          "666209fd9755a1e48bec6b27f5f447747410dd9e\n  steps:\n  - uses: git-clone\n",
          fp);
    fclose(fp);
    struct proc_result r;
    kubectl(f, &r, 30000, "create", "-f", file, NULL);
    expect_ok(&r, "promotion.kargo.akuity.io/kt-created created\n");
    proc_result_free(&r);
    cJSON *o = stored(f, "promotions", "kt-created");
    assert_non_null(o);
    assert_string_equal(json_get_string(o, "spec", "stage", NULL), "uat");
    cJSON_Delete(o);
    kubectl(f, &r, 30000, "create", "-f", file, NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "Error from server (AlreadyExists): error when creating"));
    proc_result_free(&r);

    kubectl(f, &r, 30000, "annotate", "promotion", "kt-created", "-n", "kargo-demo",
            "kargo.akuity.io/abort=terminate", NULL);
    expect_ok(&r, "promotion.kargo.akuity.io/kt-created annotated\n");
    proc_result_free(&r);
    o = stored(f, "promotions", "kt-created");
    assert_string_equal(
        json_get_string(o, "metadata", "annotations", "kargo.akuity.io/abort", NULL), "terminate");
    cJSON_Delete(o);

    kubectl(f, &r, 30000, "patch", "stage", "uat", "-n", "kargo-demo", "--type", "merge", "-p",
            "{\"spec\":{\"shard\":\"blue\"}}", NULL);
    expect_ok(&r, "stage.kargo.akuity.io/uat patched\n");
    proc_result_free(&r);
    o = stored(f, "stages", "uat");
    assert_string_equal(json_get_string(o, "spec", "shard", NULL), "blue");
    double gen = 0;
    json_get_number(o, &gen, "metadata", "generation", NULL);
    assert_int_equal((int)gen, 2);
    cJSON_Delete(o);

    kubectl(f, &r, 30000, "patch", "promotion", "kt-created", "-n", "kargo-demo", "--subresource",
            "status", "--type", "merge", "-p", "{\"status\":{\"phase\":\"Running\"}}", NULL);
    expect_ok(&r, "promotion.kargo.akuity.io/kt-created patched\n");
    proc_result_free(&r);
    o = stored(f, "promotions", "kt-created");
    assert_string_equal(json_get_string(o, "status", "phase", NULL), "Running");
    cJSON_Delete(o);

    /* kubectl's default patch type is strategic merge: a CRD answers 415. */
    kubectl(f, &r, 30000, "patch", "stage", "uat", "-n", "kargo-demo", "-p",
            "{\"spec\":{\"shard\":\"red\"}}", NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "application/strategic-merge-patch+json is not supported"));
    proc_result_free(&r);

    kubectl(f, &r, 30000, "delete", "promotion", "kt-created", "-n", "kargo-demo", NULL);
    expect_ok(&r, "promotion.kargo.akuity.io \"kt-created\" deleted\n");
    proc_result_free(&r);
    o = stored(f, "promotions", "kt-created");
    assert_null(o);
}

/* A namespace through kubectl's typed (protobuf) client, and a manifest through kubectl apply. */
static void test_namespace_and_apply(void **state)
{
    struct fixture *f = fixture(state);
    struct proc_result r;
    kubectl(f, &r, 30000, "create", "namespace", "kt-ns", NULL);
    expect_ok(&r, "namespace/kt-ns created\n");
    proc_result_free(&r);
    struct sim_status *err = NULL;
    cJSON *ns = sim_store_get(sim_store(f->sim), "namespaces", NULL, "kt-ns", &err);
    assert_non_null(ns);
    assert_string_equal(json_get_string(ns, "status", "phase", (char *)NULL), "Active");
    cJSON_Delete(ns);
    const char *file = KT_SHARED_DIR "/reference/kargo-examples/01-quickstart-pipeline.yaml";
    kubectl(f, &r, 30000, "apply", "-f", file, NULL);
    expect_ok(&r, NULL);
    assert_non_null(strstr(r.out, "stage.kargo.akuity.io/test created\n"));
    assert_non_null(strstr(r.out, "promotiontask.kargo.akuity.io/demo-promo-process created\n"));
    proc_result_free(&r);
    /* A second apply changes nothing. */
    kubectl(f, &r, 30000, "apply", "-f", file, NULL);
    expect_ok(&r, NULL);
    assert_non_null(strstr(r.out, "stage.kargo.akuity.io/test unchanged\n"));
    proc_result_free(&r);
    cJSON *st = stored(f, "stages", "test");
    assert_non_null(json_get_string(st, "metadata", "annotations",
                                    "kubectl.kubernetes.io/last-applied-configuration",
                                    (char *)NULL));
    cJSON_Delete(st);
    kubectl(f, &r, 30000, "delete", "stage", "test", "-n", "kargo-demo", NULL);
    expect_ok(&r, "stage.kargo.akuity.io \"test\" deleted\n");
    proc_result_free(&r);
}

static char *write_file(struct fixture *f, const char *name, const char *text)
{
    char *path = xasprintf("%s/%s", f->dir, name);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
    return path;
}

/* kubectl apply --server-side: created, then a field dropped from the file goes, and another
 * field manager's different value is a conflict kubectl explains. */
static void test_server_side_apply(void **state)
{
    struct fixture *f = fixture(state);
    struct proc_result r;
    char *v1 = write_file(f, "ssa1.yaml",
                          "apiVersion: kargo.akuity.io/v1alpha1\nkind: Warehouse\n"
                          "metadata: {name: ssa, namespace: kargo-demo, labels: {a: '1', b: '2'}}\n"
                          "spec: {subscriptions: [{image: {repoURL: ghcr.io/x/y}}]}\n");
    char *v2 = write_file(f, "ssa2.yaml",
                          "apiVersion: kargo.akuity.io/v1alpha1\nkind: Warehouse\n"
                          "metadata: {name: ssa, namespace: kargo-demo, labels: {a: '1'}}\n"
                          "spec: {subscriptions: [{image: {repoURL: ghcr.io/x/y}}]}\n");
    char *other = write_file(f, "ssa3.yaml",
                             "apiVersion: kargo.akuity.io/v1alpha1\nkind: Warehouse\n"
                             "metadata: {name: ssa, namespace: kargo-demo, labels: {a: '9'}}\n");
    kubectl(f, &r, 30000, "apply", "--server-side", "-f", v1, NULL);
    expect_ok(&r, "warehouse.kargo.akuity.io/ssa serverside-applied\n");
    proc_result_free(&r);
    cJSON *w = stored(f, "warehouses", "ssa");
    assert_string_equal(json_get_string(w, "metadata", "labels", "b", NULL), "2");
    cJSON_Delete(w);
    kubectl(f, &r, 30000, "apply", "--server-side", "-f", v2, NULL);
    expect_ok(&r, "warehouse.kargo.akuity.io/ssa serverside-applied\n");
    proc_result_free(&r);
    w = stored(f, "warehouses", "ssa");
    assert_null(json_get(w, "metadata", "labels", "b", NULL));
    cJSON_Delete(w);
    kubectl(f, &r, 30000, "apply", "--server-side", "--field-manager", "ops", "-f", other, NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "Apply failed with 1 conflict: conflict with \"kubectl\""));
    assert_non_null(strstr(r.err, ".metadata.labels.a"));
    proc_result_free(&r);
    kubectl(f, &r, 30000, "apply", "--server-side", "--field-manager", "ops", "--force-conflicts",
            "-f", other, NULL);
    expect_ok(&r, NULL);
    proc_result_free(&r);
    w = stored(f, "warehouses", "ssa");
    assert_string_equal(json_get_string(w, "metadata", "labels", "a", NULL), "9");
    cJSON_Delete(w);
    kubectl(f, &r, 30000, "delete", "-f", v1, NULL);
    expect_ok(&r, NULL);
    proc_result_free(&r);
    free(v1);
    free(v2);
    free(other);
}

/* Two managers: kubectl label (an Update manager, "kubectl-label") takes a label the applier
 * set; the applier dropping it from its file leaves it, and setting it again is a conflict kubectl
 * explains, naming kubectl-label. */
static void test_server_side_apply_two_managers(void **state)
{
    struct fixture *f = fixture(state);
    struct proc_result r;
    char *v1 = write_file(f, "two1.yaml",
                          "apiVersion: kargo.akuity.io/v1alpha1\nkind: Warehouse\n"
                          "metadata: {name: two, namespace: kargo-demo, labels: {a: '1', b: '2'}}\n"
                          "spec: {subscriptions: []}\n");
    char *v2 = write_file(f, "two2.yaml",
                          "apiVersion: kargo.akuity.io/v1alpha1\nkind: Warehouse\n"
                          "metadata: {name: two, namespace: kargo-demo, labels: {a: '1'}}\n"
                          "spec: {subscriptions: []}\n");
    kubectl(f, &r, 30000, "apply", "--server-side", "-f", v1, NULL);
    expect_ok(&r, "warehouse.kargo.akuity.io/two serverside-applied\n");
    proc_result_free(&r);
    kubectl(f, &r, 30000, "label", "warehouse", "two", "-n", "kargo-demo", "b=3", "--overwrite",
            NULL);
    expect_ok(&r, "warehouse.kargo.akuity.io/two labeled\n");
    proc_result_free(&r);
    kubectl(f, &r, 30000, "apply", "--server-side", "-f", v2, NULL);
    expect_ok(&r, "warehouse.kargo.akuity.io/two serverside-applied\n");
    proc_result_free(&r);
    cJSON *w = stored(f, "warehouses", "two");
    assert_string_equal(json_get_string(w, "metadata", "labels", "b", NULL), "3");
    bool label_owner = false;
    const cJSON *e;
    cJSON_ArrayForEach(e, json_get(w, "metadata", "managedFields", NULL))
    {
        if (strcmp(json_get_string(e, "manager", NULL), "kubectl-label") == 0) {
            assert_string_equal(json_get_string(e, "operation", NULL), "Update");
            assert_non_null(json_get(e, "fieldsV1", "f:metadata", "f:labels", "f:b", NULL));
            label_owner = true;
        }
    }
    assert_true(label_owner);
    cJSON_Delete(w);
    kubectl(f, &r, 30000, "apply", "--server-side", "-f", v1, NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "Apply failed with 1 conflict: conflict with \"kubectl-label\" "
                                  "using kargo.akuity.io/v1alpha1 at "));
    assert_non_null(strstr(r.err, ".metadata.labels.b"));
    proc_result_free(&r);
    kubectl(f, &r, 30000, "delete", "-f", v1, NULL);
    expect_ok(&r, NULL);
    proc_result_free(&r);
    free(v1);
    free(v2);
}

#define CHUNKY 12

struct writer {
    struct sim *sim;
    pthread_mutex_t mu;
    bool stop;
    int writes;
    int failures; /* checked by the test's thread: cmocka asserts only there */
};

/* A controller writing all the time: warehouse chunk-(n % CHUNKY) gets label gen=n. */
static void *write_all_the_time(void *arg)
{
    struct writer *wr = arg;
    for (int n = 0; n < 20000; n++) {
        pthread_mutex_lock(&wr->mu);
        bool stop = wr->stop;
        pthread_mutex_unlock(&wr->mu);
        if (stop)
            break;
        char name[32], patch[96];
        snprintf(name, sizeof name, "chunk-%02d", n % CHUNKY);
        snprintf(patch, sizeof patch, "{\"metadata\":{\"labels\":{\"gen\":\"%d\"}}}", n);
        struct sim_status *err = NULL;
        struct sim_write_opts o = {.user = "admin"};
        cJSON_Delete(sim_store_patch(sim_store(wr->sim), "warehouses", "chunky", name, false,
                                     SIM_PATCH_MERGE, patch, strlen(patch), &o, &err));
        pthread_mutex_lock(&wr->mu);
        wr->failures += err != NULL;
        wr->writes = n + 1;
        pthread_mutex_unlock(&wr->mu);
        sim_status_free(err);
        struct timespec ts = {0, 2 * 1000000L}; /* 500 writes/s: far within the watch history */
        nanosleep(&ts, NULL);
    }
    return NULL;
}

/* kubectl get --chunk-size=1 while a controller writes: every page from the first one's
 * snapshot. In a snapshot, the newest write (label gen=G) fixes every other object's version:
 * chunk-j carries the last gen <= G written to it. Listing the current state page by page would
 * show older gens on the early pages. */
static void test_chunked_get_is_consistent(void **state)
{
    struct fixture *f = fixture(state);
    struct sim_status *err = NULL;
    struct sim_write_opts o = {.user = "admin"};
    cJSON *ns = cJSON_Parse("{\"metadata\":{\"name\":\"chunky\"}}");
    cJSON_Delete(sim_store_create(sim_store(f->sim), "namespaces", NULL, ns, &o, &err));
    assert_null(err);
    cJSON_Delete(ns);
    for (int j = 0; j < CHUNKY; j++) {
        char body[160];
        snprintf(body, sizeof body,
                 "{\"metadata\":{\"name\":\"chunk-%02d\",\"labels\":{\"gen\":\"-1\"}},\"spec\":"
                 "{\"subscriptions\":[]}}",
                 j);
        cJSON *w = cJSON_Parse(body);
        cJSON_Delete(sim_store_create(sim_store(f->sim), "warehouses", "chunky", w, &o, &err));
        assert_null(err);
        cJSON_Delete(w);
    }
    struct writer wr = {.sim = f->sim};
    pthread_mutex_init(&wr.mu, NULL);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, write_all_the_time, &wr), 0);
    int rounds = 0, interleaved = 0;
    for (; rounds < 3; rounds++) {
        pthread_mutex_lock(&wr.mu);
        int before = wr.writes;
        pthread_mutex_unlock(&wr.mu);
        struct proc_result r;
        kubectl(f, &r, 60000, "get", "warehouses", "-n", "chunky", "--chunk-size=1", "-o", "json",
                NULL);
        expect_ok(&r, NULL);
        pthread_mutex_lock(&wr.mu);
        int after = wr.writes;
        pthread_mutex_unlock(&wr.mu);
        cJSON *list = cJSON_Parse(r.out);
        assert_non_null(list);
        const cJSON *items = json_get(list, "items", NULL);
        assert_int_equal(cJSON_GetArraySize(items), CHUNKY);
        int gen[CHUNKY], top = -1;
        for (int j = 0; j < CHUNKY; j++) {
            const cJSON *it = cJSON_GetArrayItem(items, j);
            char want[32];
            snprintf(want, sizeof want, "chunk-%02d", j);
            assert_string_equal(json_get_string(it, "metadata", "name", NULL), want);
            gen[j] = atoi(json_get_string(it, "metadata", "labels", "gen", NULL));
            if (gen[j] > top)
                top = gen[j];
        }
        for (int j = 0; j < CHUNKY; j++) {
            int last = top - ((top - j) % CHUNKY + CHUNKY) % CHUNKY; /* last n <= top, n%12==j */
            if (gen[j] != (last >= 0 ? last : -1))
                fail_msg("round %d: chunk-%02d has gen %d, the snapshot with gen %d has %d", rounds,
                         j, gen[j], top, last >= 0 ? last : -1);
        }
        if (after > before)
            interleaved++;
        cJSON_Delete(list);
        proc_result_free(&r);
    }
    pthread_mutex_lock(&wr.mu);
    wr.stop = true;
    pthread_mutex_unlock(&wr.mu);
    pthread_join(t, NULL);
    pthread_mutex_destroy(&wr.mu);
    assert_int_equal(wr.failures, 0);
    assert_true(interleaved > 0); /* the writes did happen while kubectl listed */
}

/* kubectl delete --cascade=foreground: the Warehouse stays with the foregroundDeletion finalizer
 * while a dependent that blocks it is held by its own finalizer; kubectl wait sees it go once the
 * dependent's finalizer is removed. */
static void test_foreground_delete(void **state)
{
    struct fixture *f = fixture(state);
    struct sim_status *err = NULL;
    struct sim_write_opts o = {.user = "admin"};
    cJSON *w = cJSON_Parse("{\"metadata\":{\"name\":\"fgk\"},\"spec\":{\"subscriptions\":[]}}");
    cJSON *made = sim_store_create(sim_store(f->sim), "warehouses", "kargo-demo", w, &o, &err);
    assert_non_null(made);
    cJSON_Delete(w);
    char body[512];
    snprintf(body, sizeof body,
             "{\"metadata\":{\"name\":\"fgk-held\",\"finalizers\":[\"test.kargotop.io/hold\"],"
             "\"ownerReferences\":[{\"apiVersion\":\"kargo.akuity.io/v1alpha1\",\"kind\":"
             "\"Warehouse\",\"name\":\"fgk\",\"uid\":\"%s\",\"blockOwnerDeletion\":true}]},"
             "\"spec\":{\"stage\":\"dev\",\"steps\":[{}]}}",
             json_get_string(made, "metadata", "uid", NULL));
    cJSON_Delete(made);
    cJSON *p = cJSON_Parse(body);
    cJSON_Delete(sim_store_create(sim_store(f->sim), "promotions", "kargo-demo", p, &o, &err));
    assert_null(err);
    cJSON_Delete(p);

    struct proc_result r;
    kubectl(f, &r, 30000, "delete", "warehouse", "fgk", "-n", "kargo-demo", "--cascade=foreground",
            "--wait=false", NULL);
    expect_ok(&r, "warehouse.kargo.akuity.io \"fgk\" deleted\n");
    proc_result_free(&r);
    kubectl(f, &r, 30000, "get", "warehouse", "fgk", "-n", "kargo-demo", "-o",
            "jsonpath={.metadata.finalizers}", NULL);
    expect_ok(&r, "[\"foregroundDeletion\"]");
    proc_result_free(&r);
    kubectl(f, &r, 30000, "patch", "promotion", "fgk-held", "-n", "kargo-demo", "--type", "merge",
            "-p", "{\"metadata\":{\"finalizers\":null}}", NULL);
    expect_ok(&r, "promotion.kargo.akuity.io/fgk-held patched\n");
    proc_result_free(&r);
    kubectl(f, &r, 60000, "wait", "--for=delete", "warehouse/fgk", "-n", "kargo-demo",
            "--timeout=30s", NULL);
    assert_int_equal(r.status, 0);
    proc_result_free(&r);
    assert_null(stored(f, "warehouses", "fgk"));
    assert_null(stored(f, "promotions", "fgk-held"));
}

/* kubectl explain reads the CRDs' schemas from the OpenAPI v3 documents. */
static void test_explain(void **state)
{
    struct fixture *f = fixture(state);
    struct proc_result r;
    kubectl(f, &r, 30000, "explain", "stage.spec.requestedFreight.sources", NULL);
    expect_ok(&r, NULL);
    if (strstr(r.out, "KIND:       Stage") == NULL ||
        strstr(r.out, "availabilityStrategy") == NULL || strstr(r.out, "requiredSoakTime") == NULL)
        fail_msg("explain printed:\n%s", r.out);
    proc_result_free(&r);
    kubectl(f, &r, 30000, "explain", "freight.status.approvedFor", NULL);
    expect_ok(&r, NULL);
    assert_non_null(strstr(r.out, "KIND:       Freight"));
    proc_result_free(&r);
}

static void test_auth(void **state)
{
    struct fixture *f = fixture(state);
    struct proc_result r;
    kubectl(f, &r, 30000, "--context", "promoter", "auth", "can-i", "promote", "stages/uat", "-n",
            "kargo-demo", NULL);
    expect_ok(&r, "yes\n");
    proc_result_free(&r);
    kubectl(f, &r, 30000, "--context", "viewer", "auth", "can-i", "promote", "stages/uat", "-n",
            "kargo-demo", NULL);
    assert_int_equal(r.status, 1);
    assert_string_equal(r.out, "no\n");
    proc_result_free(&r);
    kubectl(f, &r, 30000, "--context", "promoter", "auth", "can-i", "patch", "stages/uat", "-n",
            "kargo-demo", NULL);
    assert_int_equal(r.status, 1);
    assert_string_equal(r.out, "no\n");
    proc_result_free(&r);
    kubectl(f, &r, 30000, "--context", "viewer", "patch", "stage", "dev", "-n", "kargo-demo",
            "--type", "merge", "-p", "{\"spec\":{\"shard\":\"x\"}}", NULL);
    assert_int_equal(r.status, 1);
    assert_string_equal(r.err, "Error from server (Forbidden): stages.kargo.akuity.io \"dev\" is "
                               "forbidden: User \"viewer\" cannot patch resource \"stages\" in API "
                               "group \"kargo.akuity.io\" in the namespace \"kargo-demo\"\n");
    proc_result_free(&r);
    cJSON *o = stored(f, "stages", "dev");
    assert_null(json_get(o, "spec", "shard", NULL));
    cJSON_Delete(o);
    /* auth can-i --list (a SelfSubjectRulesReview, sent as protobuf) */
    kubectl(f, &r, 30000, "--context", "promoter", "auth", "can-i", "--list", "-n", "kargo-demo",
            NULL);
    expect_ok(&r, NULL);
    assert_row(r.out, "promotions.kargo.akuity.io", "[create]", NULL);
    assert_row(r.out, "stages.kargo.akuity.io", "[promote]", NULL);
    assert_row(r.out, "freights.kargo.akuity.io/status", "[patch]", NULL);
    proc_result_free(&r);
    kubectl(f, &r, 30000, "--context", "viewer", "auth", "can-i", "--list", "-n", "kargo-demo",
            NULL);
    expect_ok(&r, NULL);
    assert_row(r.out, "*.*", "[get list watch]", NULL);
    assert_null(strstr(r.out, "promotions.kargo.akuity.io"));
    assert_null(strstr(r.out, "[promote]"));
    proc_result_free(&r);
    /* --as: admin may act as the viewer (and gets the viewer's answer); a promoter may not
     * impersonate anyone. */
    kubectl(f, &r, 30000, "--as", "viewer", "auth", "can-i", "create", "promotions", "-n",
            "kargo-demo", NULL);
    assert_int_equal(r.status, 1);
    assert_string_equal(r.out, "no\n");
    proc_result_free(&r);
    kubectl(f, &r, 30000, "--context", "promoter", "--as", "admin", "get", "stages", "-n",
            "kargo-demo", NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "User \"promoter\" cannot impersonate resource \"users\""));
    proc_result_free(&r);
}

/* The "done when" of the issue: the binary with a scenario and a kubeconfig, then kubectl. */
static void test_binary(void **state)
{
    struct fixture *f = fixture(state);
    char kc[160];
    snprintf(kc, sizeof kc, "%s/bin-kubeconfig", f->dir);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        dup2(fd, 1);
        execl(KARGO_SIM_BIN, "kargo-sim", "--scenario", SCENARIO, "--kubeconfig-out", kc,
              (char *)NULL);
        _exit(127);
    }
    struct stat sb;
    for (int i = 0; i < 1000 && stat(kc, &sb) != 0; i++) {
        struct timespec ts = {0, 10000000L};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(stat(kc, &sb), 0);
    char arg[200], cache[160];
    snprintf(arg, sizeof arg, "--kubeconfig=%s", kc);
    snprintf(cache, sizeof cache, "--cache-dir=%s/cache2", f->dir);
    char *argv[] = {"kubectl", arg, cache, "get", "stages", "-n", "kargo-demo", NULL};
    struct proc_result r;
    assert_int_equal(proc_run(argv, NULL, 30000, &r), 0);
    kill(pid, SIGTERM);
    int status;
    waitpid(pid, &status, 0);
    expect_ok(&r, NULL);
    assert_non_null(strstr(r.out, "\ndev "));
    assert_non_null(strstr(r.out, "\nprod "));
    assert_non_null(strstr(r.out, "\nuat "));
    proc_result_free(&r);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* `kubectl describe` finds an object's Events with involvedObject field selectors, and
 * `kubectl get events --field-selector` filters them on the server. */
static void test_describe_shows_events(void **state)
{
    struct fixture *f = fixture(state);
    cJSON *stage = stored(f, "stages", "dev");
    assert_non_null(stage);
    char body[768];
    snprintf(
        body, sizeof body,
        "{\"apiVersion\":\"v1\",\"kind\":\"Event\",\"metadata\":{\"name\":\"dev.1\"},"
        "\"involvedObject\":{\"apiVersion\":\"kargo.akuity.io/v1alpha1\",\"kind\":\"Stage\","
        "\"namespace\":\"kargo-demo\",\"name\":\"dev\",\"uid\":\"%s\"},"
        "\"type\":\"Warning\",\"reason\":\"VerificationFailed\","
        "\"message\":\"Analysis run failed\",\"count\":1,"
        "\"firstTimestamp\":\"2026-01-01T00:00:00Z\",\"lastTimestamp\":\"2026-01-01T00:00:00Z\","
        "\"source\":{\"component\":\"stage-controller\"}}",
        json_get_string(stage, "metadata", "uid", NULL));
    cJSON_Delete(stage);
    cJSON *ev = cJSON_Parse(body);
    struct sim_write_opts o = {.user = "admin"};
    struct sim_status *err = NULL;
    cJSON *made = sim_store_create(sim_store(f->sim), "events", "kargo-demo", ev, &o, &err);
    assert_non_null(made);
    cJSON_Delete(made);
    cJSON_Delete(ev);

    struct proc_result r;
    kubectl(f, &r, 30000, "describe", "stage", "dev", "-n", "kargo-demo", NULL);
    expect_ok(&r, NULL);
    const char *events = strstr(r.out, "\nEvents:");
    if (events == NULL || strstr(events, "VerificationFailed") == NULL ||
        strstr(events, "Analysis run failed") == NULL)
        fail_msg("describe does not show the stage's event:\n%s", r.out);
    proc_result_free(&r);
    kubectl(f, &r, 30000, "get", "events", "-n", "kargo-demo", "--field-selector",
            "type=Warning,involvedObject.kind=Stage", "-o", "name", NULL);
    expect_ok(&r, "event/dev.1\n");
    proc_result_free(&r);
    kubectl(f, &r, 30000, "get", "events", "-n", "kargo-demo", "--field-selector", "type=Normal",
            "-o", "name", NULL);
    expect_ok(&r, NULL);
    assert_null(strstr(r.out, "dev.1"));
    proc_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_api_resources),
        cmocka_unit_test(test_explain),
        cmocka_unit_test(test_get_json),
        cmocka_unit_test(test_get_table),
        cmocka_unit_test(test_watch),
        cmocka_unit_test(test_create_annotate_patch_delete),
        cmocka_unit_test(test_namespace_and_apply),
        cmocka_unit_test(test_server_side_apply),
        cmocka_unit_test(test_server_side_apply_two_managers),
        cmocka_unit_test(test_chunked_get_is_consistent),
        cmocka_unit_test(test_foreground_delete),
        cmocka_unit_test(test_auth),
        cmocka_unit_test(test_describe_shows_events),
        cmocka_unit_test(test_binary),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
