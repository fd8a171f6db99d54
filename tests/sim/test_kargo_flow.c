/* Kargo's behaviour in the simulated cluster, through the real HTTP API (libcurl) against an
 * in-process kargo-sim whose clock the test steps: promotion lifecycle and the Stage and Freight
 * status it leaves, admission answers (422, 403), approval, auto-promotion by policy, rollback
 * holds, abort. Each test starts its own cluster from the built-in `backstage` scenario. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "simkargo.h"
#include "sim/kargo.h"
#include "sim/sim.h"
#include "sim/simclock.h"
#include "sim/store.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define T0_MS   1767312000000LL /* 2026-01-02T00:00:00Z */
#define NS      "backstage-kargo"
#define API     "/apis/kargo.akuity.io/v1alpha1/namespaces/" NS
#define STEP_MS 2000
#define STEPS   5 /* the backstage promotion template's steps */

/* Freight of the backstage scenario (content hashes). */
#define F_050 "8dc7aab535355a86c5751455037477f9843d8c64"

struct env {
    struct sim *sim;
    struct kargo_options opt;
    struct kargo *k;
};

struct reply {
    long code;
    cJSON *body;
};

static size_t collect(char *data, size_t size, size_t n, void *ctx)
{
    strbuf_append_len(ctx, data, size * n);
    return size * n;
}

/* One request as user; body may be NULL. The caller frees reply.body. */
static struct reply http(struct env *e, const char *user, const char *method, const char *path,
                         const char *ctype, const char *body)
{
    CURL *c = curl_easy_init();
    assert_non_null(c);
    struct strbuf out;
    strbuf_init(&out);
    char *url = xasprintf("%s%s", sim_url(e->sim), path);
    char *auth = xasprintf("Authorization: Bearer %s", sim_token(e->sim, user));
    char *ct = xasprintf("Content-Type: %s", ctype ? ctype : "application/json");
    struct curl_slist *h = curl_slist_append(NULL, auth);
    h = curl_slist_append(h, ct);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    if (body != NULL)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    struct reply r = {0};
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.code);
    r.body = cJSON_Parse(out.buf);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    free(url);
    free(auth);
    free(ct);
    strbuf_free(&out);
    return r;
}

static cJSON *get_path(struct env *e, const char *path)
{
    struct reply r = http(e, "admin", "GET", path, NULL, NULL);
    assert_int_equal(r.code, 200);
    return r.body;
}

static cJSON *get(struct env *e, const char *what)
{
    char *path = xasprintf(API "/%s", what);
    struct reply r = http(e, "admin", "GET", path, NULL, NULL);
    free(path);
    assert_int_equal(r.code, 200);
    return r.body;
}

static struct reply promote(struct env *e, const char *user, const char *stage, const char *freight)
{
    char *body = xasprintf("{\"apiVersion\":\"kargo.akuity.io/v1alpha1\",\"kind\":\"Promotion\","
                           "\"metadata\":{\"generateName\":\"promo-\"},"
                           "\"spec\":{\"stage\":\"%s\",\"freight\":\"%s\"}}",
                           stage, freight);
    struct reply r = http(e, user, "POST", API "/promotions", NULL, body);
    free(body);
    return r;
}

static char *merge_patch(struct env *e, const char *user, const char *what, const char *patch,
                         long want)
{
    char *path = xasprintf(API "/%s", what);
    struct reply r = http(e, user, "PATCH", path, "application/merge-patch+json", patch);
    free(path);
    if (r.code != want)
        fail_msg("PATCH %s: %ld %s", what, r.code,
                 json_get_string(r.body, "message", (char *)NULL));
    char *msg = xstrdup(r.code >= 400 ? json_get_string(r.body, "message", (char *)NULL) : "");
    cJSON_Delete(r.body);
    return msg;
}

static int setup(void **state)
{
    struct env *e = xcalloc(1, sizeof(*e));
    static const char *const scenarios[] = {"backstage", NULL};
    e->opt.start_ms = T0_MS;
    e->opt.step_ms = STEP_MS;
    e->opt.verify_ms = 10000;
    e->opt.seed = 7;
    e->opt.scenarios = scenarios;
    e->sim = simkargo_start(&e->opt);
    e->k = e->opt.out;
    kargo_settle(e->k);
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    struct env *e = *state;
    sim_stop(e->sim);
    free(e);
    return 0;
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

static const char *current_freight(const cJSON *stage)
{
    return json_get_string(
        cJSON_GetArrayItem(json_get(stage, "status", "freightHistory", (char *)NULL), 0), "items",
        "Warehouse/backstage", "name", (char *)NULL);
}

/* The Freight of the backstage Warehouse now current in a Stage; the caller frees. */
static char *freight_in(struct env *e, const char *stage)
{
    char *what = xasprintf("stages/%s", stage);
    cJSON *s = get(e, what);
    free(what);
    char *f = xstrdup(current_freight(s));
    cJSON_Delete(s);
    return f;
}

static void test_promotion_runs_and_updates_stage_and_freight(void **state)
{
    struct env *e = *state;
    char *f = freight_in(e, "dev"); /* verified in dev, so available to staging */
    char *old = freight_in(e, "staging");
    struct reply r = promote(e, "promoter", "staging", f);
    assert_int_equal(r.code, 201);
    const char *name = json_get_string(r.body, "metadata", "name", (char *)NULL);
    char *pname = xstrdup(name);
    /* <stage>.<ulid>.<freight[0:7]> */
    assert_int_equal(strlen(name), strlen("staging.") + 26 + 1 + 7);
    assert_memory_equal(name, "staging.", 8);
    assert_memory_equal(name + strlen(name) - 7, f, 7);
    assert_string_equal(json_get_string(r.body, "metadata", "annotations",
                                        "kargo.akuity.io/create-actor", (char *)NULL),
                        "kubernetes:promoter");
    assert_string_equal(
        json_get_string(r.body, "metadata", "labels", "kargo.akuity.io/stage", (char *)NULL),
        "staging");
    assert_int_equal(cJSON_GetArraySize(json_get(r.body, "spec", "steps", (char *)NULL)), STEPS);
    cJSON_Delete(r.body);

    kargo_settle(e->k);
    char *what = xasprintf("promotions/%s", pname);
    cJSON *p = get(e, what);
    assert_string_equal(json_get_string(p, "status", "phase", (char *)NULL), "Running");
    double d = -1;
    assert_true(json_get_number(p, &d, "status", "currentStep", (char *)NULL));
    assert_int_equal((int)d, 0);
    cJSON_Delete(p);
    cJSON *s = get(e, "stages/staging");
    assert_string_equal(cond(s, "Promoting", "reason"), "ActivePromotion");
    char *msg = xasprintf("Promotion \"%s\" is currently Running", pname);
    assert_string_equal(cond(s, "Promoting", "message"), msg);
    assert_string_equal(cond(s, "Ready", "status"), "False");
    assert_string_equal(cond(s, "Healthy", "reason"), "ActivePromotion");
    assert_string_equal(json_get_string(s, "status", "currentPromotion", "name", (char *)NULL),
                        pname);
    assert_string_equal(json_get_string(s, "status", "health", "status", (char *)NULL), "Unknown");
    cJSON_Delete(s);

    /* Half way: step 3 of 5 running, two finished. */
    kargo_advance(e->k, 2 * STEP_MS, 1000);
    p = get(e, what);
    assert_true(json_get_number(p, &d, "status", "currentStep", (char *)NULL));
    assert_int_equal((int)d, 2);
    const cJSON *sem = json_get(p, "status", "stepExecutionMetadata", (char *)NULL);
    assert_int_equal(cJSON_GetArraySize(sem), 3);
    assert_string_equal(json_get_string(cJSON_GetArrayItem(sem, 0), "status", (char *)NULL),
                        "Succeeded");
    assert_string_equal(json_get_string(cJSON_GetArrayItem(sem, 2), "status", (char *)NULL),
                        "Running");
    assert_string_equal(json_get_string(cJSON_GetArrayItem(sem, 1), "alias", (char *)NULL),
                        "update-image");
    cJSON_Delete(p);

    kargo_advance(e->k, 3 * STEP_MS, 1000);
    p = get(e, what);
    assert_string_equal(json_get_string(p, "status", "phase", (char *)NULL), "Succeeded");
    assert_true(json_get_number(p, &d, "status", "currentStep", (char *)NULL));
    assert_int_equal((int)d, STEPS - 1);
    cJSON_Delete(p);
    s = get(e, "stages/staging");
    assert_string_equal(current_freight(s), f);
    assert_string_equal(json_get_string(s, "status", "freightSummary", (char *)NULL), f);
    assert_string_equal(json_get_string(s, "status", "lastPromotion", "name", (char *)NULL), pname);
    assert_string_equal(
        json_get_string(s, "status", "lastPromotion", "status", "phase", (char *)NULL),
        "Succeeded");
    assert_null(json_get(s, "status", "currentPromotion", (char *)NULL));
    assert_null(cond(s, "Promoting", "status"));
    assert_string_equal(cond(s, "Ready", "status"), "True");
    assert_string_equal(cond(s, "Ready", "reason"), "Verified");
    assert_string_equal(cond(s, "Verified", "message"), "Freight has been verified");
    assert_string_equal(cond(s, "Healthy", "message"),
                        "Stage is healthy (performed 1 health checks)");
    assert_string_equal(json_get_string(s, "status", "health", "status", (char *)NULL), "Healthy");
    assert_true(cJSON_GetArraySize(json_get(s, "status", "freightHistory", (char *)NULL)) <= 10);
    assert_string_equal(
        current_freight(s) ? old : NULL,
        json_get_string(
            cJSON_GetArrayItem(json_get(s, "status", "freightHistory", (char *)NULL), 1), "items",
            "Warehouse/backstage", "name", (char *)NULL));
    cJSON_Delete(s);

    char *fw = xasprintf("freights/%s", f);
    cJSON *fr = get(e, fw);
    assert_non_null(json_get(fr, "status", "currentlyIn", "staging", "since", (char *)NULL));
    assert_non_null(json_get(fr, "status", "currentlyIn", "dev", (char *)NULL));
    assert_non_null(json_get(fr, "status", "verifiedIn", "staging", "verifiedAt", (char *)NULL));
    cJSON_Delete(fr);
    char *ow = xasprintf("freights/%s", old);
    fr = get(e, ow);
    assert_null(json_get(fr, "status", "currentlyIn", "staging", (char *)NULL));
    assert_non_null(
        json_get_string(fr, "status", "verifiedIn", "staging", "longestSoak", (char *)NULL));
    cJSON_Delete(fr);

    cJSON *events = get_path(e, "/api/v1/namespaces/" NS "/events");
    int created = 0, succeeded = 0;
    const cJSON *ev;
    cJSON_ArrayForEach(ev, json_get(events, "items", (char *)NULL))
    {
        const char *pn = json_get_string(ev, "metadata", "annotations",
                                         "event.kargo.akuity.io/promotion-name", (char *)NULL);
        if (pn == NULL || strcmp(pn, pname) != 0)
            continue;
        created += strcmp(json_get_string(ev, "reason", (char *)NULL), "PromotionCreated") == 0;
        succeeded += strcmp(json_get_string(ev, "reason", (char *)NULL), "PromotionSucceeded") == 0;
    }
    assert_int_equal(created, 1);
    assert_int_equal(succeeded, 1);
    cJSON_Delete(events);
    free(ow);
    free(fw);
    free(msg);
    free(what);
    free(pname);
    free(f);
    free(old);
}

static void test_unavailable_freight_is_422(void **state)
{
    struct env *e = *state;
    char *f = freight_in(e, "dev"); /* never verified in staging */
    struct reply r = promote(e, "admin", "production", f);
    assert_int_equal(r.code, 422);
    assert_string_equal(json_get_string(r.body, "reason", (char *)NULL), "Invalid");
    assert_non_null(strstr(json_get_string(r.body, "message", (char *)NULL),
                           "spec.freight: Freight is not available to this Stage"));
    cJSON_Delete(r.body);
    free(f);
}

static void test_promoter_may_promote_but_not_abort_or_refresh(void **state)
{
    struct env *e = *state;
    char *f = freight_in(e, "dev");
    struct reply r = promote(e, "promoter", "staging", f);
    assert_int_equal(r.code, 201);
    char *what =
        xasprintf("promotions/%s", json_get_string(r.body, "metadata", "name", (char *)NULL));
    cJSON_Delete(r.body);
    char *m = merge_patch(e, "promoter", what,
                          "{\"metadata\":{\"annotations\":{\"kargo.akuity.io/abort\":"
                          "\"terminate\"}}}",
                          403);
    assert_non_null(strstr(m, "cannot patch resource \"promotions\""));
    free(m);
    m = merge_patch(e, "promoter", "stages/staging",
                    "{\"metadata\":{\"annotations\":{\"kargo.akuity.io/refresh\":\"x\"}}}", 403);
    assert_non_null(strstr(m, "cannot patch resource \"stages\""));
    free(m);
    free(what);
    free(f);
}

static void test_viewer_may_not_promote(void **state)
{
    struct env *e = *state;
    char *f = freight_in(e, "dev");
    struct reply r = promote(e, "viewer", "staging", f);
    assert_int_equal(r.code, 403);
    assert_string_equal(json_get_string(r.body, "reason", (char *)NULL), "Forbidden");
    cJSON_Delete(r.body);
    free(f);
}

/* The webhook's own check, below RBAC: a user without `promote` on the Stage is refused with
 * Kargo's message even where RBAC would let the create through. */
static void test_webhook_requires_promote_verb(void **state)
{
    struct env *e = *state;
    char *f = freight_in(e, "dev");
    cJSON *promo = cJSON_CreateObject();
    cJSON_AddStringToObject(cJSON_AddObjectToObject(promo, "metadata"), "generateName", "p-");
    cJSON *spec = cJSON_AddObjectToObject(promo, "spec");
    cJSON_AddStringToObject(spec, "stage", "staging");
    cJSON_AddStringToObject(spec, "freight", f);
    struct sim_write_opts o = {.user = "viewer"};
    struct sim_status *err = NULL;
    cJSON *p = sim_store_create(sim_store(e->sim), "promotions", NS, promo, &o, &err);
    assert_null(p);
    assert_non_null(err);
    assert_int_equal(err->code, 403);
    assert_string_equal(err->reason, "Forbidden");
    assert_non_null(strstr(err->message, "subject \"viewer\" is not permitted to create "
                                         "Promotions for Stage \"staging\""));
    sim_status_free(err);
    o.user = "promoter";
    p = sim_store_create(sim_store(e->sim), "promotions", NS, promo, &o, &err);
    assert_non_null(p);
    cJSON_Delete(p);
    cJSON_Delete(promo);
    free(f);
}

static void test_approval_makes_freight_available(void **state)
{
    struct env *e = *state;
    char *f = freight_in(e, "dev");
    struct reply r = promote(e, "promoter", "production", f);
    assert_int_equal(r.code, 422);
    cJSON_Delete(r.body);
    char *what = xasprintf("freights/%s/status", f);
    free(merge_patch(e, "promoter", what,
                     "{\"status\":{\"approvedFor\":{\"production\":{\"approvedAt\":"
                     "\"2026-01-02T00:00:00Z\"}}}}",
                     200));
    r = promote(e, "promoter", "production", f);
    assert_int_equal(r.code, 201);
    cJSON_Delete(r.body);
    /* production verifies: promotion, then Pending -> Running -> Successful. */
    kargo_advance(e->k, STEPS * STEP_MS, 1000);
    cJSON *s = get(e, "stages/production");
    assert_string_equal(current_freight(s), f);
    assert_string_equal(cond(s, "Verified", "reason"), "VerificationPending");
    assert_string_equal(cond(s, "Ready", "status"), "False");
    cJSON_Delete(s);
    kargo_advance(e->k, 2000, 1000);
    s = get(e, "stages/production");
    assert_string_equal(cond(s, "Verified", "reason"), "VerificationRunning");
    cJSON_Delete(s);
    kargo_advance(e->k, 10000, 1000);
    s = get(e, "stages/production");
    assert_string_equal(cond(s, "Verified", "status"), "True");
    assert_string_equal(cond(s, "Ready", "status"), "True");
    const cJSON *v = cJSON_GetArrayItem(
        json_get(cJSON_GetArrayItem(json_get(s, "status", "freightHistory", (char *)NULL), 0),
                 "verificationHistory", (char *)NULL),
        0);
    assert_string_equal(json_get_string(v, "phase", (char *)NULL), "Successful");
    assert_string_equal(json_get_string(v, "analysisRun", "phase", (char *)NULL), "Successful");
    cJSON_Delete(s);
    char *fw = xasprintf("freights/%s", f);
    cJSON *fr = get(e, fw);
    assert_non_null(json_get(fr, "status", "verifiedIn", "production", "verifiedAt", (char *)NULL));
    cJSON_Delete(fr);
    cJSON *events = get_path(e, "/api/v1/namespaces/" NS "/events");
    int approved = 0;
    const cJSON *ev;
    cJSON_ArrayForEach(ev, json_get(events, "items", (char *)NULL))
    {
        approved += strcmp(json_get_string(ev, "reason", (char *)NULL), "FreightApproved") == 0 &&
                    strcmp(json_get_string(ev, "metadata", "annotations",
                                           "event.kargo.akuity.io/stage-name", (char *)NULL),
                           "production") == 0;
    }
    assert_int_equal(approved, 1);
    cJSON_Delete(events);
    free(fw);
    free(what);
    free(f);
}

/* Asks the Warehouse to discover now; returns the new Freight's name (the caller frees). */
static char *discover(struct env *e)
{
    free(merge_patch(e, "admin", "warehouses/backstage",
                     "{\"metadata\":{\"annotations\":{\"kargo.akuity.io/refresh\":"
                     "\"2026-01-02T00:00:01Z\"}}}",
                     200));
    kargo_settle(e->k);
    cJSON *w = get(e, "warehouses/backstage");
    assert_string_equal(json_get_string(w, "status", "lastHandledRefresh", (char *)NULL),
                        "2026-01-02T00:00:01Z");
    char *f = xstrdup(json_get_string(w, "status", "lastFreightID", (char *)NULL));
    cJSON_Delete(w);
    return f;
}

static void test_auto_promotion_follows_policies(void **state)
{
    struct env *e = *state;
    cJSON *s = get(e, "stages/dev");
    assert_true(cJSON_IsTrue(json_get(s, "status", "autoPromotionEnabled", (char *)NULL)));
    cJSON_Delete(s);
    s = get(e, "stages/staging");
    assert_true(cJSON_IsFalse(json_get(s, "status", "autoPromotionEnabled", (char *)NULL)));
    cJSON_Delete(s);
    char *before = freight_in(e, "staging");
    char *f = discover(e);
    char *fw = xasprintf("freights/%s", f);
    cJSON *fr = get(e, fw);
    assert_string_equal(json_get_string(fr, "images", (char *)NULL) ? "" : "", "");
    const char *tag = json_get_string(cJSON_GetArrayItem(json_get(fr, "images", (char *)NULL), 0),
                                      "tag", (char *)NULL);
    assert_string_equal(tag, "0.6.2"); /* after 0.6.1 */
    assert_non_null(
        json_get_string(fr, "metadata", "labels", "kargo.akuity.io/alias", (char *)NULL));
    cJSON_Delete(fr);
    /* dev has an auto-promotion (no actor) running for it; staging has none. */
    s = get(e, "stages/dev");
    const char *cp = json_get_string(s, "status", "currentPromotion", "name", (char *)NULL);
    assert_non_null(cp);
    char *what = xasprintf("promotions/%s", cp);
    cJSON_Delete(s);
    cJSON *p = get(e, what);
    assert_string_equal(json_get_string(p, "spec", "freight", (char *)NULL), f);
    assert_null(
        json_get(p, "metadata", "annotations", "kargo.akuity.io/create-actor", (char *)NULL));
    cJSON_Delete(p);
    kargo_advance(e->k, STEPS * STEP_MS, 1000);
    char *now = freight_in(e, "dev");
    assert_string_equal(now, f);
    char *st = freight_in(e, "staging");
    assert_string_equal(st, before);
    free(st);
    free(now);
    free(what);
    free(fw);
    free(f);
    free(before);
}

static void test_rollback_holds_until_resumed(void **state)
{
    struct env *e = *state;
    char *cur = freight_in(e, "dev");
    /* Roll dev back to the oldest Freight, 0.5.0 (direct source: always available). */
    struct reply r = promote(e, "admin", "dev", F_050);
    assert_int_equal(r.code, 201);
    assert_string_equal(json_get_string(r.body, "metadata", "annotations",
                                        "kargo.akuity.io/auto-promotion-hold", (char *)NULL),
                        "Warehouse/backstage");
    cJSON_Delete(r.body);
    kargo_advance(e->k, STEPS * STEP_MS, 1000);
    cJSON *s = get(e, "stages/dev");
    assert_string_equal(current_freight(s), F_050);
    assert_string_equal(json_get_string(s, "status", "autoPromotionHolds", "Warehouse/backstage",
                                        "freightName", (char *)NULL),
                        F_050);
    assert_string_equal(json_get_string(s, "status", "effectiveAutoPromotionHolds",
                                        "Warehouse/backstage", "actor", (char *)NULL),
                        "kubernetes:admin");
    cJSON_Delete(s);
    /* New Freight arrives; the hold keeps dev where it was. */
    char *f = discover(e);
    kargo_advance(e->k, 3 * STEPS * STEP_MS, 1000);
    char *now = freight_in(e, "dev");
    assert_string_equal(now, F_050);
    free(now);
    /* Resume: promote the origin; the webhook picks the candidate, the newest Freight. */
    r = http(e, "admin", "POST", API "/promotions", NULL,
             "{\"metadata\":{\"generateName\":\"promo-\"},\"spec\":{\"stage\":\"dev\","
             "\"origin\":{\"kind\":\"Warehouse\",\"name\":\"backstage\"}}}");
    assert_int_equal(r.code, 201);
    assert_string_equal(json_get_string(r.body, "spec", "freight", (char *)NULL), f);
    assert_null(json_get(r.body, "spec", "origin", (char *)NULL));
    assert_string_equal(json_get_string(r.body, "metadata", "annotations",
                                        "kargo.akuity.io/auto-promotion-resume", (char *)NULL),
                        "Warehouse/backstage");
    cJSON_Delete(r.body);
    kargo_advance(e->k, STEPS * STEP_MS, 1000);
    s = get(e, "stages/dev");
    assert_string_equal(current_freight(s), f);
    assert_null(json_get(s, "status", "autoPromotionHolds", (char *)NULL));
    assert_null(json_get(s, "status", "effectiveAutoPromotionHolds", (char *)NULL));
    cJSON_Delete(s);
    free(f);
    free(cur);
}

static void test_abort_stops_a_running_promotion(void **state)
{
    struct env *e = *state;
    char *before = freight_in(e, "staging");
    char *f = freight_in(e, "dev");
    struct reply r = promote(e, "admin", "staging", f);
    assert_int_equal(r.code, 201);
    char *what =
        xasprintf("promotions/%s", json_get_string(r.body, "metadata", "name", (char *)NULL));
    cJSON_Delete(r.body);
    kargo_advance(e->k, STEP_MS, 1000);
    free(merge_patch(e, "admin", what,
                     "{\"metadata\":{\"annotations\":{\"kargo.akuity.io/abort\":\"terminate\"}}}",
                     200));
    cJSON *p = get(e, what);
    cJSON *abort_v = cJSON_Parse(
        json_get_string(p, "metadata", "annotations", "kargo.akuity.io/abort", (char *)NULL));
    assert_string_equal(json_get_string(abort_v, "action", (char *)NULL), "terminate");
    assert_string_equal(json_get_string(abort_v, "actor", (char *)NULL), "kubernetes:admin");
    cJSON_Delete(abort_v);
    cJSON_Delete(p);
    kargo_advance(e->k, 10 * STEP_MS, 1000);
    p = get(e, what);
    assert_string_equal(json_get_string(p, "status", "phase", (char *)NULL), "Aborted");
    assert_string_equal(json_get_string(p, "status", "message", (char *)NULL),
                        "Promotion terminated by kubernetes:admin");
    const cJSON *sem = json_get(p, "status", "stepExecutionMetadata", (char *)NULL);
    assert_int_equal(cJSON_GetArraySize(sem), 2);
    assert_string_equal(json_get_string(cJSON_GetArrayItem(sem, 1), "status", (char *)NULL),
                        "Aborted");
    cJSON_Delete(p);
    cJSON *s = get(e, "stages/staging");
    assert_string_equal(current_freight(s), before);
    assert_string_equal(cond(s, "Ready", "reason"), "LastPromotionAborted");
    cJSON_Delete(s);
    /* The spec cannot change afterwards. */
    char *m = merge_patch(e, "admin", what, "{\"spec\":{\"stage\":\"dev\"}}", 422);
    assert_non_null(strstr(m, "spec is immutable"));
    free(m);
    free(what);
    free(f);
    free(before);
}

static void test_freight_admission_names_aliases_and_protects(void **state)
{
    struct env *e = *state;
    const char *body =
        "{\"apiVersion\":\"kargo.akuity.io/v1alpha1\",\"kind\":\"Freight\","
        "\"metadata\":{\"generateName\":\"f-\"},"
        "\"origin\":{\"kind\":\"Warehouse\",\"name\":\"backstage\"},"
        "\"images\":[{\"repoURL\":\"ghcr.io/craigedmunds/backstage\",\"tag\":\"9.9.9\","
        "\"digest\":\"sha256:abc\"}]}";
    struct reply r = http(e, "admin", "POST", API "/freights", NULL, body);
    assert_int_equal(r.code, 201);
    /* sha1("Warehouse/backstage:ghcr.io/craigedmunds/backstage:9.9.9@sha256:abc") */
    const char *name = json_get_string(r.body, "metadata", "name", (char *)NULL);
    assert_string_equal(name, "d6d266e1d82514bd0d474094e7f4ae9e3d18ad7a");
    const char *alias = json_get_string(r.body, "alias", (char *)NULL);
    assert_non_null(alias);
    assert_non_null(strchr(alias, '-'));
    assert_string_equal(
        json_get_string(r.body, "metadata", "labels", "kargo.akuity.io/alias", (char *)NULL),
        alias);
    assert_non_null(json_get_string(r.body, "discoveredAt", (char *)NULL));
    char *what = xasprintf("freights/%s", name);
    cJSON_Delete(r.body);
    /* Artifacts must come from the Warehouse's subscriptions. */
    struct reply bad = http(e, "admin", "POST", API "/freights", NULL,
                            "{\"metadata\":{\"generateName\":\"f-\"},\"origin\":{\"kind\":"
                            "\"Warehouse\",\"name\":\"backstage\"},\"images\":[{\"repoURL\":"
                            "\"docker.io/other\",\"tag\":\"1\",\"digest\":\"sha256:d\"}]}");
    assert_int_equal(bad.code, 422);
    assert_non_null(strstr(json_get_string(bad.body, "message", (char *)NULL),
                           "no subscription found for image \"docker.io/other\""));
    cJSON_Delete(bad.body);
    /* Same content again: the same name, so it already exists. */
    r = http(e, "admin", "POST", API "/freights", NULL, body);
    assert_int_equal(r.code, 409);
    assert_string_equal(json_get_string(r.body, "reason", (char *)NULL), "AlreadyExists");
    cJSON_Delete(r.body);
    /* Artifacts are immutable; the alias label follows the alias. */
    char *m = merge_patch(e, "admin", what,
                          "{\"images\":[{\"repoURL\":\"x\",\"tag\":\"1\",\"digest\":\"d\"}]}", 422);
    assert_non_null(strstr(m, "Freight is immutable"));
    free(m);
    free(merge_patch(e, "admin", what, "{\"alias\":\"renamed-one\"}", 200));
    cJSON *f = get(e, what);
    assert_string_equal(
        json_get_string(f, "metadata", "labels", "kargo.akuity.io/alias", (char *)NULL),
        "renamed-one");
    cJSON_Delete(f);
    /* Aliases are unique in the namespace. */
    char *taken = freight_in(e, "dev");
    char *tw = xasprintf("freights/%s", taken);
    cJSON *other = get(e, tw);
    char *patch = xasprintf("{\"alias\":\"%s\"}", json_get_string(other, "alias", (char *)NULL));
    m = merge_patch(e, "admin", what, patch, 409);
    assert_non_null(strstr(m, "already used by another piece of Freight"));
    free(m);
    /* Unused Freight may go; Freight a Stage uses may not. */
    r = http(e, "admin", "DELETE",
             "/apis/kargo.akuity.io/v1alpha1/namespaces/" NS "/freights/"
             "d6d266e1d82514bd0d474094e7f4ae9e3d18ad7a",
             NULL, NULL);
    assert_int_equal(r.code, 200);
    cJSON_Delete(r.body);
    char *path = xasprintf(API "/freights/%s", taken);
    r = http(e, "admin", "DELETE", path, NULL, NULL);
    assert_int_equal(r.code, 403);
    assert_non_null(strstr(json_get_string(r.body, "message", (char *)NULL),
                           "freight is in-use by stages [dev]"));
    cJSON_Delete(r.body);
    free(path);
    free(patch);
    cJSON_Delete(other);
    free(tw);
    free(taken);
    free(what);
}

static void test_refresh_is_echoed(void **state)
{
    struct env *e = *state;
    free(merge_patch(e, "admin", "stages/staging",
                     "{\"metadata\":{\"annotations\":{\"kargo.akuity.io/refresh\":\"r-1\"}}}",
                     200));
    kargo_settle(e->k);
    cJSON *s = get(e, "stages/staging");
    assert_string_equal(json_get_string(s, "status", "lastHandledRefresh", (char *)NULL), "r-1");
    cJSON_Delete(s);
}

/* The production verification of the current Freight, after a reverify request. */
static void test_reverify_and_abort_verification(void **state)
{
    struct env *e = *state;
    cJSON *s = get(e, "stages/production");
    const cJSON *vh =
        json_get(cJSON_GetArrayItem(json_get(s, "status", "freightHistory", (char *)NULL), 0),
                 "verificationHistory", (char *)NULL);
    char *id = xstrdup(json_get_string(cJSON_GetArrayItem(vh, 0), "id", (char *)NULL));
    int before = cJSON_GetArraySize(vh);
    cJSON_Delete(s);
    char *patch =
        xasprintf("{\"metadata\":{\"annotations\":{\"kargo.akuity.io/reverify\":\"%s\"}}}", id);
    free(merge_patch(e, "admin", "stages/production", patch, 200));
    kargo_settle(e->k);
    s = get(e, "stages/production");
    assert_null(json_get(s, "metadata", "annotations", "kargo.akuity.io/reverify", (char *)NULL));
    vh = json_get(cJSON_GetArrayItem(json_get(s, "status", "freightHistory", (char *)NULL), 0),
                  "verificationHistory", (char *)NULL);
    assert_int_equal(cJSON_GetArraySize(vh), before + 1);
    const cJSON *v = cJSON_GetArrayItem(vh, 0);
    assert_string_equal(json_get_string(v, "phase", (char *)NULL), "Pending");
    assert_string_equal(json_get_string(v, "actor", (char *)NULL), "kubernetes:admin");
    assert_string_equal(cond(s, "Verified", "reason"), "VerificationPending");
    char *vid = xstrdup(json_get_string(v, "id", (char *)NULL));
    cJSON_Delete(s);
    kargo_advance(e->k, 2000, 1000);
    free(patch);
    patch = xasprintf("{\"metadata\":{\"annotations\":{\"kargo.akuity.io/abort\":\"%s\"}}}", vid);
    free(merge_patch(e, "admin", "stages/production", patch, 200));
    kargo_settle(e->k);
    s = get(e, "stages/production");
    v = cJSON_GetArrayItem(
        json_get(cJSON_GetArrayItem(json_get(s, "status", "freightHistory", (char *)NULL), 0),
                 "verificationHistory", (char *)NULL),
        0);
    assert_string_equal(json_get_string(v, "phase", (char *)NULL), "Aborted");
    assert_string_equal(json_get_string(v, "message", (char *)NULL),
                        "Verification aborted by kubernetes:admin");
    assert_string_equal(cond(s, "Verified", "status"), "False");
    assert_string_equal(cond(s, "Verified", "reason"), "VerificationAborted");
    assert_string_equal(cond(s, "Ready", "reason"), "VerificationAborted");
    cJSON_Delete(s);
    free(vid);
    free(patch);
    free(id);
}

static void test_configured_failure_and_queue_order(void **state)
{
    struct env *e = *state;
    char *f = freight_in(e, "dev");
    char *fw = xasprintf("freights/%s", f);
    free(merge_patch(e, "admin", fw,
                     "{\"metadata\":{\"annotations\":{\"sim.kargotop.io/promotion-fails\":"
                     "\"staging@1\"}}}",
                     200));
    /* Two promotions queue; the second waits for the first. */
    struct reply r = promote(e, "admin", "staging", f);
    assert_int_equal(r.code, 201);
    char *first =
        xasprintf("promotions/%s", json_get_string(r.body, "metadata", "name", (char *)NULL));
    cJSON_Delete(r.body);
    char *older = NULL;
    cJSON *s = get(e, "stages/staging");
    older = xstrdup(json_get_string(
        cJSON_GetArrayItem(json_get(s, "status", "freightHistory", (char *)NULL), 1), "items",
        "Warehouse/backstage", "name", (char *)NULL));
    cJSON_Delete(s);
    r = promote(e, "admin", "staging", older);
    assert_int_equal(r.code, 201);
    char *second =
        xasprintf("promotions/%s", json_get_string(r.body, "metadata", "name", (char *)NULL));
    assert_true(strcmp(first, second) < 0);
    cJSON_Delete(r.body);
    kargo_settle(e->k);
    cJSON *p = get(e, second);
    assert_string_equal(json_get_string(p, "status", "phase", (char *)NULL), "Pending");
    cJSON_Delete(p);
    kargo_advance(e->k, 2 * STEP_MS, 1000);
    p = get(e, first);
    assert_string_equal(json_get_string(p, "status", "phase", (char *)NULL), "Failed");
    assert_string_equal(json_get_string(p, "status", "message", (char *)NULL),
                        "step \"update-image\" failed: kustomize-set-image did not complete "
                        "successfully");
    const cJSON *sem = json_get(p, "status", "stepExecutionMetadata", (char *)NULL);
    assert_string_equal(json_get_string(cJSON_GetArrayItem(sem, 1), "status", (char *)NULL),
                        "Failed");
    cJSON_Delete(p);
    p = get(e, second);
    assert_string_equal(json_get_string(p, "status", "phase", (char *)NULL), "Running");
    cJSON_Delete(p);
    s = get(e, "stages/staging");
    assert_string_equal(
        json_get_string(s, "status", "lastPromotion", "status", "phase", (char *)NULL), "Failed");
    cJSON_Delete(s);
    kargo_advance(e->k, STEPS * STEP_MS, 1000);
    s = get(e, "stages/staging");
    assert_string_equal(current_freight(s), older);
    assert_string_equal(cond(s, "Ready", "status"), "True");
    cJSON_Delete(s);
    free(first);
    free(second);
    free(older);
    free(fw);
    free(f);
}

static int promotions_of(struct env *e, const char *stage)
{
    cJSON *l = get(e, "promotions");
    int n = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, json_get(l, "items", (char *)NULL))
    {
        n += strcmp(json_get_string(p, "spec", "stage", (char *)NULL), stage) == 0;
    }
    cJSON_Delete(l);
    return n;
}

/* A Promotion is owned by its Stage (the webhook's owner reference, and the built-in histories
 * carry it too): deleting the Stage deletes its Promotions, and nothing else. */
static void test_deleting_a_stage_takes_its_promotions(void **state)
{
    struct env *e = *state;
    char *f = freight_in(e, "staging");
    struct reply r = promote(e, "admin", "production", f);
    assert_int_equal(r.code, 201);
    cJSON_Delete(r.body);
    kargo_settle(e->k);
    int prod = promotions_of(e, "production"), staging = promotions_of(e, "staging");
    assert_true(prod >= 2); /* the history's and the new one */
    assert_true(staging >= 1);
    r = http(e, "promoter", "DELETE", API "/stages/production", NULL, NULL);
    assert_int_equal(r.code, 403);
    cJSON_Delete(r.body);
    r = http(e, "admin", "DELETE", API "/stages/production", NULL, NULL);
    assert_int_equal(r.code, 200);
    cJSON_Delete(r.body);
    kargo_settle(e->k);
    assert_int_equal(promotions_of(e, "production"), 0);
    assert_int_equal(promotions_of(e, "staging"), staging);
    char *path = xasprintf(API "/freights/%s", f);
    cJSON_Delete(get_path(e, path)); /* Freight belongs to the Warehouse, not to Stages */
    free(path);
    free(f);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_promotion_runs_and_updates_stage_and_freight, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unavailable_freight_is_422, setup, teardown),
        cmocka_unit_test_setup_teardown(test_promoter_may_promote_but_not_abort_or_refresh, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_viewer_may_not_promote, setup, teardown),
        cmocka_unit_test_setup_teardown(test_webhook_requires_promote_verb, setup, teardown),
        cmocka_unit_test_setup_teardown(test_approval_makes_freight_available, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auto_promotion_follows_policies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rollback_holds_until_resumed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abort_stops_a_running_promotion, setup, teardown),
        cmocka_unit_test_setup_teardown(test_freight_admission_names_aliases_and_protects, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_refresh_is_echoed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reverify_and_abort_verification, setup, teardown),
        cmocka_unit_test_setup_teardown(test_configured_failure_and_queue_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deleting_a_stage_takes_its_promotions, setup,
                                        teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
