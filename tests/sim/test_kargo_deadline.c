/* The Kargo controller passes when something is due, not on a timer: an idle cluster on a
 * running clock runs no pass, a Promotion and its verification still finish on time, every pass
 * before the reported deadline writes nothing (the deadline misses no time-based change), and the
 * deadline is exactly the step's end, the verification's end or the soak's end. Requests go over
 * HTTP to an in-process kargo-sim. */
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

#include "simhttp.h"
#include "simkargo.h"
#include "sim/kargo.h"
#include "sim/sim.h"
#include "sim/simclock.h"
#include "sim/store.h"
#include "util/json.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

#define T0_MS     1767312000000LL /* 2026-01-02T00:00:00Z */
#define STEP_MS   2000
#define VERIFY_MS 10000
#define BACKSTAGE "/apis/kargo.akuity.io/v1alpha1/namespaces/backstage-kargo"
#define FLASK     "/apis/kargo.akuity.io/v1alpha1/namespaces/flask-app"
/* Waits for a state; generous for a loaded machine yet below the controller's 30 s safety net,
 * so a missed deadline cannot hide behind it. */
#define WAIT_MS 20000

struct env {
    struct sim *sim;
    struct kargo_options opt;
    struct kargo *k;
    const char *scenarios[2];
};

static struct env *start(const char *scenario, double speed, bool discover)
{
    struct env *e = xcalloc(1, sizeof(*e));
    e->scenarios[0] = scenario;
    e->opt.start_ms = T0_MS;
    e->opt.speed = speed;
    e->opt.step_ms = STEP_MS;
    e->opt.verify_ms = VERIFY_MS;
    e->opt.discover = discover;
    e->opt.seed = 7;
    e->opt.scenarios = e->scenarios;
    e->sim = simkargo_start(&e->opt);
    e->k = e->opt.out;
    kargo_settle(e->k);
    return e;
}

static void stop(struct env *e)
{
    sim_stop(e->sim);
    free(e);
}

static int64_t real_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void nap(void)
{
    struct timespec ts = {0, 50 * 1000000L};
    nanosleep(&ts, NULL);
}

static int64_t now_ms(struct env *e)
{
    return simclock_now_ms(kargo_clock(e->k));
}

/* GET path as admin; the caller frees. */
static cJSON *get(struct env *e, const char *path)
{
    struct simhttp_resp r = {0};
    if (simhttp_do(e->sim, "admin", "GET", path, NULL, NULL, &r) != 200)
        fail_msg("GET %s: %ld %s", path, r.code, r.body);
    cJSON *obj = r.json;
    r.json = NULL;
    simhttp_free(&r);
    return obj;
}

/* The time at a path of up to four keys (NULL-terminated early), in Unix seconds. */
static int64_t time_of(const cJSON *obj, const char *a, const char *b, const char *c, const char *d)
{
    const char *s = json_get_string(obj, a, b, c, d, (char *)NULL);
    time_t t = 0;
    if (s == NULL || timefmt_parse_rfc3339(s, &t, NULL) != 0)
        fail_msg("no time at %s.%s", a, b ? b : "");
    return (int64_t)t;
}

static const char *condition(const cJSON *obj, const char *type)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, json_get(obj, "status", "conditions", (char *)NULL))
    {
        if (strcmp(json_get_string(c, "type", (char *)NULL), type) == 0)
            return json_get_string(c, "status", (char *)NULL);
    }
    return NULL;
}

/* The name of the Freight from origin wh current in stage; the caller frees. */
static char *current_freight(struct env *e, const char *api, const char *stage, const char *wh)
{
    char *path = xasprintf("%s/stages/%s", api, stage);
    cJSON *s = get(e, path);
    char *key = xasprintf("Warehouse/%s", wh);
    const char *f = json_get_string(
        cJSON_GetArrayItem(json_get(s, "status", "freightHistory", (char *)NULL), 0), "items", key,
        "name", (char *)NULL);
    assert_non_null(f);
    char *out = xstrdup(f);
    cJSON_Delete(s);
    free(key);
    free(path);
    return out;
}

/* Promotions of stage in the backstage or flask-app namespace api, by a label selector. */
static int promotions_of(struct env *e, const char *api, const char *stage, const char *freight)
{
    char *path = xasprintf("%s/promotions?labelSelector=kargo.akuity.io/stage%%3D%s", api, stage);
    cJSON *l = get(e, path);
    int n = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, json_get(l, "items", (char *)NULL))
    {
        const char *f = json_get_string(p, "spec", "freight", (char *)NULL);
        n += f != NULL && strcmp(f, freight) == 0;
    }
    cJSON_Delete(l);
    free(path);
    return n;
}

/* Nothing due: a running clock alone makes the controller pass no more (it used to pass about
 * every simulated second, at least four times a real second). */
static void test_idle_cluster_runs_no_pass(void **state)
{
    struct env *e = start("backstage", 10, false);
    assert_true(kargo_next_due(e->k) == INT64_MAX);
    unsigned long before = kargo_passes(e->k);
    int64_t sim_before = now_ms(e);
    /* An observation window: 2 real seconds, 20 simulated ones. */
    int64_t end = real_ms() + 2000;
    while (real_ms() < end && kargo_passes(e->k) <= before + 1)
        nap();
    unsigned long passes = kargo_passes(e->k) - before;
    /* One may be the controller thread's first settle, started with the server. */
    if (passes > 1)
        fail_msg("%lu passes within %lld idle simulated seconds", passes,
                 (long long)(now_ms(e) - sim_before) / 1000);
    assert_true(now_ms(e) - sim_before >= 15000);
    stop(e);
}

/* Something due: a Promotion's steps and the verification after it finish when they should,
 * woken by their deadlines (not by the safety net, which the waits stay below). */
static void test_running_clock_meets_each_deadline(void **state)
{
    struct env *e = start("backstage", 4, false);
    /* staging's Freight is verified there (at once: it has no verification), so production, with
     * five steps and a verification, may have it. */
    char *f = current_freight(e, BACKSTAGE, "staging", "backstage");
    char *body = xasprintf("{\"apiVersion\":\"kargo.akuity.io/v1alpha1\",\"kind\":\"Promotion\","
                           "\"metadata\":{\"generateName\":\"p-\"},"
                           "\"spec\":{\"stage\":\"production\",\"freight\":\"%s\"}}",
                           f);
    struct simhttp_resp r = {0};
    assert_int_equal(simhttp_do(e->sim, "promoter", "POST", BACKSTAGE "/promotions",
                                "application/json", body, &r),
                     201);
    char *path = xasprintf(BACKSTAGE "/promotions/%s",
                           json_get_string(r.json, "metadata", "name", (char *)NULL));
    simhttp_free(&r);

    int64_t end = real_ms() + WAIT_MS;
    cJSON *p = NULL;
    const char *phase = NULL;
    for (;;) {
        cJSON_Delete(p);
        p = get(e, path);
        phase = json_get_string(p, "status", "phase", (char *)NULL);
        if ((phase != NULL && strcmp(phase, "Succeeded") == 0) || real_ms() > end)
            break;
        nap();
    }
    int64_t seen = now_ms(e) / 1000;
    if (phase == NULL || strcmp(phase, "Succeeded") != 0)
        fail_msg("the Promotion is %s after %d s", phase ? phase : "new", WAIT_MS / 1000);
    /* 5 steps of 2 s: it ends 10 s after it started, and the controller saw it then (a pass per
     * 30 real seconds would have seen it 100 simulated seconds late). */
    int64_t started = time_of(p, "status", "startedAt", NULL, NULL);
    int64_t finished = time_of(p, "status", "finishedAt", NULL, NULL);
    int steps = cJSON_GetArraySize(json_get(p, "spec", "steps", (char *)NULL));
    assert_int_equal(steps, 5);
    assert_int_equal(finished - started, steps * STEP_MS / 1000);
    if (seen - finished > 60)
        fail_msg("Succeeded seen %lld simulated s after it finished", (long long)(seen - finished));
    cJSON_Delete(p);

    /* The verification after it: Pending, Running at +1 s, Successful at +10 s. */
    end = real_ms() + WAIT_MS;
    const char *verified = NULL;
    cJSON *s = NULL;
    for (;;) {
        cJSON_Delete(s);
        s = get(e, BACKSTAGE "/stages/production");
        verified = condition(s, "Verified");
        if ((verified != NULL && strcmp(verified, "True") == 0) || real_ms() > end)
            break;
        nap();
    }
    if (verified == NULL || strcmp(verified, "True") != 0)
        fail_msg("production is not verified after %d s", WAIT_MS / 1000);
    const cJSON *v = cJSON_GetArrayItem(
        json_get(cJSON_GetArrayItem(json_get(s, "status", "freightHistory", (char *)NULL), 0),
                 "verificationHistory", (char *)NULL),
        0);
    assert_int_equal(time_of(v, "finishTime", NULL, NULL, NULL) -
                         time_of(v, "startTime", NULL, NULL, NULL),
                     VERIFY_MS / 1000);
    cJSON_Delete(s);
    free(path);
    free(body);
    free(f);
    stop(e);
}

/* The deadline misses nothing: over a simulated hour of flask-app (discovery every 4 minutes,
 * auto-promotion to dev, its verification, staging's 30-minute soak and auto-promotion), stepped
 * a second at a time, no settle before the reported deadline writes anything, and most seconds
 * have nothing due. */
static void test_no_write_before_the_deadline(void **state)
{
    struct env *e = start("flask-app", 0, true);
    struct sim_store *store = sim_store(e->sim);
    int quiet = 0, due = 0, wrote_at_due = 0;
    for (int i = 0; i < 3600; i++) {
        int64_t next = kargo_next_due(e->k);
        unsigned long long rv = sim_store_rv(store);
        /* The clock moved, then one settle (kargo_advance would settle before moving it too). */
        simclock_advance(kargo_clock(e->k), 1000);
        kargo_settle(e->k);
        bool wrote = sim_store_rv(store) != rv;
        if (now_ms(e) < next) {
            quiet++;
            if (wrote)
                fail_msg("a write at +%d s, before the deadline +%lld s", i + 1,
                         (long long)(next - T0_MS) / 1000);
        } else {
            due++;
            wrote_at_due += wrote;
        }
    }
    /* Each discovery sets off a promotion and a verification, some a soak. */
    assert_true(due >= 50);
    assert_true(wrote_at_due >= due / 2);
    assert_true(quiet >= 3600 * 8 / 10);
    stop(e);
}

/* The deadline is what happens next: a step's end, the verification's two transitions, then the
 * end of the 30-minute soak that lets flask-app's staging auto-promote the new Freight. */
static void test_next_due_is_the_next_timed_change(void **state)
{
    struct env *e = start("flask-app", 0, false);
    kargo_advance(e->k, 60000, 1000); /* what the scenario left running ends */
    assert_true(kargo_next_due(e->k) == INT64_MAX);
    char *old = current_freight(e, FLASK, "dev", "flask-app");

    /* A refresh discovers new Freight, which dev (auto, direct) promotes at once. */
    struct simhttp_resp r = {0};
    assert_int_equal(
        simhttp_do(e->sim, "admin", "PATCH", FLASK "/warehouses/flask-app",
                   "application/merge-patch+json",
                   "{\"metadata\":{\"annotations\":{\"kargo.akuity.io/refresh\":\"r1\"}}}", &r),
        200);
    simhttp_free(&r);
    kargo_settle(e->k);
    int64_t t = now_ms(e);
    assert_true(kargo_next_due(e->k) == t + STEP_MS);
    int steps = 0;
    while (kargo_next_due(e->k) == now_ms(e) + STEP_MS && steps < 20) {
        kargo_advance(e->k, STEP_MS, 1000);
        steps++;
    }
    char *f = current_freight(e, FLASK, "dev", "flask-app");
    assert_string_not_equal(f, old);
    /* Succeeded now: verification Pending, Running 1 s later, finished 10 s after the start. */
    t = now_ms(e);
    assert_true(kargo_next_due(e->k) == t + 1000);
    kargo_advance(e->k, 1000, 1000);
    assert_true(kargo_next_due(e->k) == t + VERIFY_MS);
    kargo_advance(e->k, VERIFY_MS - 1000, 1000);

    /* Verified in dev; staging wants it there for 30 minutes. */
    char *path = xasprintf(FLASK "/freights/%s", f);
    cJSON *fr = get(e, path);
    assert_non_null(json_get(fr, "status", "verifiedIn", "dev", (char *)NULL));
    int64_t since = time_of(fr, "status", "currentlyIn", "dev", "since");
    cJSON_Delete(fr);
    int64_t soaked = (since + 1800) * 1000;
    assert_true(kargo_next_due(e->k) == soaked);
    kargo_advance(e->k, soaked - 1000 - now_ms(e), 60000);
    assert_int_equal(promotions_of(e, FLASK, "staging", f), 0);
    assert_true(kargo_next_due(e->k) == soaked);
    kargo_advance(e->k, 1000, 1000);
    assert_int_equal(promotions_of(e, FLASK, "staging", f), 1);
    free(path);
    free(f);
    free(old);
    stop(e);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idle_cluster_runs_no_pass),
        cmocka_unit_test(test_running_clock_meets_each_deadline),
        cmocka_unit_test(test_no_write_before_the_deadline),
        cmocka_unit_test(test_next_due_is_the_next_timed_change),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
