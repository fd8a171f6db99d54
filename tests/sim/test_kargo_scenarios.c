/* Every built-in scenario loads into an in-process kargo-sim and converges: the controller
 * derives the Stage status the scenario's history implies, finishes what it starts, and then a
 * pass changes nothing. Checked through the HTTP API; the generated `large` one is timed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "simkargo.h"
#include "sim/kargo.h"
#include "sim/sim.h"
#include "sim/store.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

#define T0_MS 1767312000000LL /* 2026-01-02T00:00:00Z */

struct env {
    struct sim *sim;
    struct kargo_options opt;
    struct kargo *k;
};

static size_t collect(char *data, size_t size, size_t n, void *ctx)
{
    strbuf_append_len(ctx, data, size * n);
    return size * n;
}

static cJSON *get(struct env *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static cJSON *get(struct env *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *path = xvasprintf(fmt, ap);
    va_end(ap);
    CURL *c = curl_easy_init();
    struct strbuf out;
    strbuf_init(&out);
    char *url = xasprintf("%s%s", sim_url(e->sim), path);
    char *auth = xasprintf("Authorization: Bearer %s", sim_token(e->sim, "viewer"));
    struct curl_slist *h = curl_slist_append(NULL, auth);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    assert_int_equal(code, 200);
    cJSON *body = cJSON_Parse(out.buf);
    assert_non_null(body);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    free(url);
    free(auth);
    free(path);
    strbuf_free(&out);
    return body;
}

static void start_with(struct env *e, const char *scenario, bool discover)
{
    const char *scenarios[] = {scenario, NULL};
    memset(e, 0, sizeof(*e));
    e->opt.discover = discover;
    e->opt.start_ms = T0_MS;
    e->opt.step_ms = 2000;
    e->opt.verify_ms = 10000;
    e->opt.seed = 11;
    e->opt.scenarios = scenarios;
    e->sim = simkargo_start(&e->opt);
    e->k = e->opt.out;
    e->opt.scenarios = NULL;
}

static void start(struct env *e, const char *scenario)
{
    start_with(e, scenario, false);
}

static const char *cond(const cJSON *obj, const char *type, const char *field)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, json_get(obj, "status", "conditions", (char *)NULL))
    {
        if (strcmp(json_get_string(c, "type", (char *)NULL), type) == 0)
            return json_get_string(c, field, (char *)NULL);
    }
    return NULL;
}

static const cJSON *find(const cJSON *list, const char *name)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, json_get(list, "items", (char *)NULL))
    {
        if (strcmp(json_get_string(it, "metadata", "name", (char *)NULL), name) == 0)
            return it;
    }
    fail_msg("%s not found", name);
    return NULL;
}

static const char *current(const cJSON *stage, const char *warehouse)
{
    char key[128];
    snprintf(key, sizeof(key), "Warehouse/%s", warehouse);
    return json_get_string(
        cJSON_GetArrayItem(json_get(stage, "status", "freightHistory", (char *)NULL), 0), "items",
        key, "name", (char *)NULL);
}

static const char *tag_of(const cJSON *freights, const char *name)
{
    const cJSON *f = find(freights, name);
    return json_get_string(cJSON_GetArrayItem(json_get(f, "images", (char *)NULL), 0), "tag",
                           (char *)NULL);
}

/* Runs the clock for ten simulated minutes, then checks the scenario converged: every Stage has
 * a Ready condition and a summary, nothing is left in flight, and a further pass writes nothing. */
static void converge(struct env *e, const char *ns, int stages)
{
    kargo_advance(e->k, 600000, 2000);
    cJSON *list = get(e, "/apis/kargo.akuity.io/v1alpha1/namespaces/%s/stages", ns);
    assert_int_equal(cJSON_GetArraySize(json_get(list, "items", (char *)NULL)), stages);
    const cJSON *s;
    cJSON_ArrayForEach(s, json_get(list, "items", (char *)NULL))
    {
        assert_non_null(cond(s, "Ready", "status"));
        assert_non_null(json_get_string(s, "status", "freightSummary", (char *)NULL));
        assert_null(json_get(s, "status", "currentPromotion", (char *)NULL));
    }
    cJSON_Delete(list);
    list = get(e, "/apis/kargo.akuity.io/v1alpha1/namespaces/%s/promotions", ns);
    const cJSON *p;
    cJSON_ArrayForEach(p, json_get(list, "items", (char *)NULL))
    {
        const char *ph = json_get_string(p, "status", "phase", (char *)NULL);
        assert_non_null(ph);
        assert_true(strcmp(ph, "Succeeded") == 0 || strcmp(ph, "Failed") == 0 ||
                    strcmp(ph, "Errored") == 0 || strcmp(ph, "Aborted") == 0);
    }
    cJSON_Delete(list);
    cJSON *project = get(e, "/apis/kargo.akuity.io/v1alpha1/projects/%s", ns);
    assert_string_equal(cond(project, "Ready", "status"), "True");
    double n = 0;
    assert_true(json_get_number(project, &n, "status", "stats", "stages", "count", (char *)NULL));
    assert_int_equal((int)n, stages);
    cJSON_Delete(project);
    cJSON *pc = get(e, "/apis/kargo.akuity.io/v1alpha1/namespaces/%s/projectconfigs/%s", ns, ns);
    assert_string_equal(cond(pc, "Ready", "status"), "True");
    cJSON_Delete(pc);
    unsigned long long rv = sim_store_rv(sim_store(e->sim));
    kargo_settle(e->k);
    assert_int_equal(sim_store_rv(sim_store(e->sim)), rv);
}

static time_t ts(const char *rfc3339)
{
    assert_non_null(rfc3339);
    time_t t;
    assert_int_equal(timefmt_parse_rfc3339(rfc3339, &t, NULL), 0);
    return t;
}

static void test_backstage(void **state)
{
    struct env e;
    start(&e, "backstage");
    kargo_settle(e.k);
    cJSON *stages = get(&e, "/apis/kargo.akuity.io/v1alpha1/namespaces/backstage-kargo/stages");
    cJSON *freights = get(&e, "/apis/kargo.akuity.io/v1alpha1/namespaces/backstage-kargo/freights");
    const cJSON *dev = find(stages, "dev"), *prod = find(stages, "production");
    assert_string_equal(tag_of(freights, current(dev, "backstage")), "0.6.1");
    assert_string_equal(tag_of(freights, current(find(stages, "staging"), "backstage")), "0.6.0");
    assert_string_equal(tag_of(freights, current(prod, "backstage")), "0.5.2");
    /* History to roll back to: production has had 0.5.1 and 0.5.0. */
    assert_int_equal(cJSON_GetArraySize(json_get(prod, "status", "freightHistory", (char *)NULL)),
                     3);
    assert_true(cJSON_IsTrue(json_get(dev, "status", "autoPromotionEnabled", (char *)NULL)));
    assert_string_equal(cond(prod, "Ready", "status"), "True");
    assert_string_equal(cond(prod, "Verified", "reason"), "Verified");
    assert_string_equal(
        json_get_string(prod, "status", "lastPromotion", "status", "phase", (char *)NULL),
        "Succeeded");
    assert_non_null(json_get(find(freights, current(prod, "backstage")), "status", "currentlyIn",
                             "production", "since", (char *)NULL));
    /* The history is as old as it says (kubectl's AGE, --sort-by=.metadata.creationTimestamp):
     * Freight were created when discovered, Promotions when their ULID says, and the Stages
     * before all of it. */
    const time_t now = (time_t)(T0_MS / 1000);
    const cJSON *f;
    time_t oldest = now;
    cJSON_ArrayForEach(f, json_get(freights, "items", (char *)NULL))
    {
        assert_string_equal(json_get_string(f, "metadata", "creationTimestamp", (char *)NULL),
                            json_get_string(f, "discoveredAt", (char *)NULL));
        time_t t = ts(json_get_string(f, "metadata", "creationTimestamp", (char *)NULL));
        oldest = t < oldest ? t : oldest;
    }
    assert_true(oldest < now - 3 * 86400);
    assert_true(ts(json_get_string(prod, "metadata", "creationTimestamp", (char *)NULL)) < oldest);
    cJSON *promos = get(&e, "/apis/kargo.akuity.io/v1alpha1/namespaces/backstage-kargo/promotions");
    const cJSON *p;
    cJSON_ArrayForEach(p, json_get(promos, "items", (char *)NULL))
    {
        time_t created = ts(json_get_string(p, "metadata", "creationTimestamp", (char *)NULL));
        const char *started = json_get_string(p, "status", "startedAt", (char *)NULL);
        assert_true(created < now);
        if (started != NULL)
            assert_true(created <= ts(started));
    }
    cJSON_Delete(promos);
    cJSON_Delete(stages);
    cJSON_Delete(freights);
    converge(&e, "backstage-kargo", 3);
    sim_stop(e.sim);
}

static void test_flask_app(void **state)
{
    struct env e;
    start(&e, "flask-app");
    kargo_settle(e.k);
    cJSON *stages = get(&e, "/apis/kargo.akuity.io/v1alpha1/namespaces/flask-app/stages");
    const cJSON *stg = find(stages, "staging");
    assert_string_equal(
        json_get_string(stg, "metadata", "annotations", "kargo.akuity.io/color", (char *)NULL),
        "#DFC546");
    assert_string_equal(json_get_string(find(stages, "dev"), "metadata", "annotations",
                                        "kargo.akuity.io/color", (char *)NULL),
                        "green");
    /* 1.8.4 has soaked in dev for more than 30 minutes: staging's policy promotes it now. */
    assert_string_equal(cond(stg, "Promoting", "reason"), "ActivePromotion");
    assert_true(cJSON_IsFalse(
        json_get(find(stages, "prod"), "status", "autoPromotionEnabled", (char *)NULL)));
    cJSON_Delete(stages);
    converge(&e, "flask-app", 3);
    stages = get(&e, "/apis/kargo.akuity.io/v1alpha1/namespaces/flask-app/stages");
    cJSON *freights = get(&e, "/apis/kargo.akuity.io/v1alpha1/namespaces/flask-app/freights");
    assert_string_equal(tag_of(freights, current(find(stages, "staging"), "flask-app")), "1.8.4");
    assert_string_equal(tag_of(freights, current(find(stages, "prod"), "flask-app")), "1.8.2");
    cJSON_Delete(stages);
    cJSON_Delete(freights);
    sim_stop(e.sim);
}

static void test_microsvcs(void **state)
{
    struct env e;
    start(&e, "microsvcs");
    kargo_settle(e.k);
    cJSON *whs = get(&e, "/apis/kargo.akuity.io/v1alpha1/namespaces/microsvcs/warehouses");
    assert_int_equal(cJSON_GetArraySize(json_get(whs, "items", (char *)NULL)), 8);
    assert_string_equal(cond(find(whs, "red-dev"), "Ready", "reason"), "ArtifactsDiscovered");
    cJSON_Delete(whs);
    cJSON *stages = get(&e, "/apis/kargo.akuity.io/v1alpha1/namespaces/microsvcs/stages");
    cJSON *freights = get(&e, "/apis/kargo.akuity.io/v1alpha1/namespaces/microsvcs/freights");
    static const char *const svcs[] = {"red", "blue", "green", "yellow"};
    for (int i = 0; i < 4; i++) {
        char n[64], wh[64];
        snprintf(n, sizeof(n), "%s-development", svcs[i]);
        snprintf(wh, sizeof(wh), "%s-dev", svcs[i]);
        const cJSON *d = find(stages, n);
        assert_true(cJSON_IsTrue(json_get(d, "status", "autoPromotionEnabled", (char *)NULL)));
        assert_memory_equal(tag_of(freights, current(d, wh)), "sha-", 4);
        snprintf(n, sizeof(n), "%s-staging", svcs[i]);
        snprintf(wh, sizeof(wh), "%s-releases", svcs[i]);
        assert_true(cJSON_IsTrue(
            json_get(find(stages, n), "status", "autoPromotionEnabled", (char *)NULL)));
        assert_string_equal(tag_of(freights, current(find(stages, n), wh)), "3.2.0");
        snprintf(n, sizeof(n), "%s-production", svcs[i]);
        assert_true(cJSON_IsFalse(
            json_get(find(stages, n), "status", "autoPromotionEnabled", (char *)NULL)));
        assert_string_equal(json_get_string(find(stages, n), "metadata", "annotations",
                                            "kargo.akuity.io/color", (char *)NULL),
                            svcs[i]);
    }
    /* red-production was rolled back from 3.2.0 to 3.1.0. */
    const cJSON *rp = find(stages, "red-production");
    assert_string_equal(tag_of(freights, current(rp, "red-releases")), "3.1.0");
    assert_string_equal(
        tag_of(freights,
               json_get_string(
                   cJSON_GetArrayItem(json_get(rp, "status", "freightHistory", (char *)NULL), 1),
                   "items", "Warehouse/red-releases", "name", (char *)NULL)),
        "3.2.0");
    /* In flight at the start: green's 3.2.0 on its way to production. */
    const cJSON *gp = find(stages, "green-production");
    assert_string_equal(cond(gp, "Promoting", "reason"), "ActivePromotion");
    assert_string_equal(tag_of(freights, current(gp, "green-releases")), "3.1.0");
    cJSON_Delete(stages);
    cJSON_Delete(freights);
    converge(&e, "microsvcs", 12);
    stages = get(&e, "/apis/kargo.akuity.io/v1alpha1/namespaces/microsvcs/stages");
    freights = get(&e, "/apis/kargo.akuity.io/v1alpha1/namespaces/microsvcs/freights");
    assert_string_equal(
        tag_of(freights, current(find(stages, "green-production"), "green-releases")), "3.2.0");
    cJSON_Delete(stages);
    cJSON_Delete(freights);
    sim_stop(e.sim);
}

static void test_myapp(void **state)
{
    struct env e;
    start(&e, "myapp");
    kargo_settle(e.k);
    cJSON *stages = get(&e, "/apis/kargo.akuity.io/v1alpha1/namespaces/myapp/stages");
    const cJSON *dev = find(stages, "dev");
    assert_string_equal(json_get_string(dev, "status", "freightSummary", (char *)NULL),
                        "2/2 Fulfilled");
    const cJSON *pre = find(stages, "preprod");
    assert_string_equal(cond(pre, "Ready", "status"), "False");
    assert_string_equal(cond(pre, "Ready", "reason"), "LastPromotionFailed");
    assert_string_equal(
        json_get_string(pre, "status", "lastPromotion", "status", "phase", (char *)NULL), "Failed");
    /* The failed verification is in staging's history. */
    int failed = 0;
    const cJSON *h;
    cJSON_ArrayForEach(h,
                       json_get(find(stages, "staging"), "status", "freightHistory", (char *)NULL))
    {
        const char *ph =
            json_get_string(cJSON_GetArrayItem(json_get(h, "verificationHistory", (char *)NULL), 0),
                            "phase", (char *)NULL);
        failed += ph != NULL && strcmp(ph, "Failed") == 0;
    }
    assert_int_equal(failed, 1);
    assert_non_null(json_get(find(stages, "staging"), "spec", "verification", (char *)NULL));
    assert_null(json_get(find(stages, "uat"), "spec", "verification", (char *)NULL));
    assert_true(cJSON_IsFalse(
        json_get(find(stages, "uat"), "status", "autoPromotionEnabled", (char *)NULL)));
    assert_true(cJSON_IsTrue(
        json_get(find(stages, "staging"), "status", "autoPromotionEnabled", (char *)NULL)));
    cJSON_Delete(stages);
    cJSON *whs = get(&e, "/apis/kargo.akuity.io/v1alpha1/namespaces/myapp/warehouses");
    assert_int_equal(cJSON_GetArraySize(json_get(find(whs, "services-warehouse"), "spec",
                                                 "subscriptions", (char *)NULL)),
                     3);
    cJSON_Delete(whs);
    converge(&e, "myapp", 5);
    /* The approved v1.3.0 was in flight to uat and has arrived. */
    stages = get(&e, "/apis/kargo.akuity.io/v1alpha1/namespaces/myapp/stages");
    cJSON *freights = get(&e, "/apis/kargo.akuity.io/v1alpha1/namespaces/myapp/freights");
    assert_string_equal(tag_of(freights, current(find(stages, "uat"), "services-warehouse")),
                        "v1.3.0");
    cJSON_Delete(stages);
    cJSON_Delete(freights);
    sim_stop(e.sim);
}

/* The demo: all four projects, Warehouses discovering on their own; dev Stages follow. */
static void test_demo_discovers_and_auto_promotes(void **state)
{
    struct env e;
    start_with(&e, "demo", true);
    kargo_settle(e.k);
    cJSON *projects = get(&e, "/apis/kargo.akuity.io/v1alpha1/projects");
    assert_int_equal(cJSON_GetArraySize(json_get(projects, "items", (char *)NULL)), 4);
    cJSON_Delete(projects);
    /* backstage discovers every 3 minutes: after 10 minutes three new versions exist. */
    kargo_advance(e.k, 600000, 2000);
    cJSON *freights = get(&e, "/apis/kargo.akuity.io/v1alpha1/namespaces/backstage-kargo/freights");
    assert_int_equal(cJSON_GetArraySize(json_get(freights, "items", (char *)NULL)), 8);
    cJSON *wh = get(&e, "/apis/kargo.akuity.io/v1alpha1/namespaces/backstage-kargo/warehouses/"
                        "backstage");
    const char *newest = json_get_string(wh, "status", "lastFreightID", (char *)NULL);
    assert_string_equal(tag_of(freights, newest), "0.6.4");
    assert_string_equal(cond(wh, "FreightCreated", "reason"), "NewFreight");
    cJSON *dev = get(&e, "/apis/kargo.akuity.io/v1alpha1/namespaces/backstage-kargo/stages/dev");
    assert_string_equal(current(dev, "backstage"), newest);
    cJSON_Delete(dev);
    cJSON_Delete(wh);
    cJSON_Delete(freights);
    /* microsvcs dev builds are sha tags. */
    wh = get(&e, "/apis/kargo.akuity.io/v1alpha1/namespaces/microsvcs/warehouses/red-dev");
    freights = get(&e, "/apis/kargo.akuity.io/v1alpha1/namespaces/microsvcs/freights");
    assert_memory_equal(
        tag_of(freights, json_get_string(wh, "status", "lastFreightID", (char *)NULL)), "sha-", 4);
    cJSON_Delete(freights);
    cJSON_Delete(wh);
    cJSON *events = get(&e, "/api/v1/namespaces/backstage-kargo/events");
    int created = 0;
    const cJSON *ev;
    cJSON_ArrayForEach(ev, json_get(events, "items", (char *)NULL))
    {
        created += strcmp(json_get_string(ev, "reason", (char *)NULL), "FreightCreated") == 0;
    }
    assert_int_equal(created, 3);
    cJSON_Delete(events);
    sim_stop(e.sim);
}

/* A file written for `kubectl apply -f` (no Freight, no status): the controller takes over. */
static void test_user_file_is_taken_over(void **state)
{
    struct env e;
    start_with(&e, KT_SOURCE_DIR "/tests/sim/data/kargo-apply.yaml", true);
    kargo_settle(e.k);
    cJSON *freights = get(&e, "/apis/kargo.akuity.io/v1alpha1/namespaces/kargo-demo/freights");
    assert_int_equal(cJSON_GetArraySize(json_get(freights, "items", (char *)NULL)), 1);
    const cJSON *f = cJSON_GetArrayItem(json_get(freights, "items", (char *)NULL), 0);
    char *name = xstrdup(json_get_string(f, "metadata", "name", (char *)NULL));
    assert_string_equal(tag_of(freights, name), "1.29.0");
    cJSON_Delete(freights);
    kargo_advance(e.k, 10000, 1000);
    cJSON *stages = get(&e, "/apis/kargo.akuity.io/v1alpha1/namespaces/kargo-demo/stages");
    const cJSON *t = find(stages, "test");
    assert_string_equal(current(t, "kargo-demo"), name);
    assert_string_equal(cond(t, "Ready", "status"), "True");
    const cJSON *u = find(stages, "uat");
    assert_string_equal(json_get_string(u, "status", "freightSummary", (char *)NULL),
                        "0/1 Fulfilled");
    assert_string_equal(cond(u, "Ready", "reason"), "NoFreight");
    cJSON_Delete(stages);
    /* uat's template refers to a PromotionTask: the webhook inflates it. */
    cJSON *promo = cJSON_Parse("{\"apiVersion\":\"kargo.akuity.io/v1alpha1\",\"kind\":"
                               "\"Promotion\",\"metadata\":{\"generateName\":\"p-\"},"
                               "\"spec\":{\"stage\":\"uat\"}}");
    cJSON *spec = cJSON_GetObjectItem(promo, "spec");
    cJSON_AddStringToObject(spec, "freight", name);
    struct sim_write_opts o = {.user = "admin"};
    struct sim_status *err = NULL;
    cJSON *p = sim_store_create(sim_store(e.sim), "promotions", "kargo-demo", promo, &o, &err);
    if (p == NULL)
        fail_msg("create: %s", err->message);
    const cJSON *steps = json_get(p, "spec", "steps", (char *)NULL);
    assert_int_equal(cJSON_GetArraySize(steps), 2);
    assert_string_equal(json_get_string(cJSON_GetArrayItem(steps, 0), "as", (char *)NULL),
                        "promo-process::update");
    assert_string_equal(json_get_string(cJSON_GetArrayItem(steps, 1), "as", (char *)NULL),
                        "promo-process::step-2");
    assert_string_equal(
        json_get_string(
            cJSON_GetArrayItem(json_get(cJSON_GetArrayItem(steps, 1), "vars", (char *)NULL), 0),
            "value", (char *)NULL),
        "public.ecr.aws/nginx/nginx");
    assert_null(json_get(cJSON_GetArrayItem(steps, 0), "task", (char *)NULL));
    cJSON_Delete(p);
    cJSON_Delete(promo);
    kargo_advance(e.k, 10000, 1000);
    stages = get(&e, "/apis/kargo.akuity.io/v1alpha1/namespaces/kargo-demo/stages");
    assert_string_equal(current(find(stages, "uat"), "kargo-demo"), name);
    cJSON_Delete(stages);
    free(name);
    sim_stop(e.sim);
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void test_large(void **state)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct env e;
    start(&e, "large");
    double load = seconds_since(&t0);
    struct sim_store *st = sim_store(e.sim);
    assert_int_equal(sim_store_count(st, "stages", "large"), 300);
    assert_int_equal(sim_store_count(st, "freights", "large"), 10000);
    assert_int_equal(sim_store_count(st, "promotions", "large"), 30000);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    kargo_settle(e.k);
    double settle = seconds_since(&t0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    unsigned long long rv = sim_store_rv(st);
    kargo_settle(e.k);
    double idle = seconds_since(&t0);
    assert_int_equal(sim_store_rv(st), rv);
    print_message("large: generated and loaded in %.2f s, first settle %.2f s, idle pass %.2f s\n",
                  load, settle, idle);
    cJSON *s = get(&e, "/apis/kargo.akuity.io/v1alpha1/namespaces/large/stages/team-07-prod");
    assert_string_equal(cond(s, "Ready", "status"), "True");
    assert_non_null(json_get_string(s, "status", "lastPromotion", "name", (char *)NULL));
    cJSON_Delete(s);
    sim_stop(e.sim);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backstage),
        cmocka_unit_test(test_flask_app),
        cmocka_unit_test(test_microsvcs),
        cmocka_unit_test(test_myapp),
        cmocka_unit_test(test_demo_discovers_and_auto_promotes),
        cmocka_unit_test(test_user_file_is_taken_over),
        cmocka_unit_test(test_large),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
