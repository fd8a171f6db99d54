/* The actions over real HTTP against the simulated Kargo cluster (in this process, its clock
 * stepped by the test): what each one sends and what the cluster then shows — the Promotion's
 * real name, approvedFor, the refresh token handled, Aborted, holds — and the API's or the
 * client's words when refused. Each test starts its own cluster from the `backstage` scenario. */
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

#include <pthread.h>

#include "action/action.h"
#include "action/queue.h"
#include "kube/api.h"
#include "kube/kubeconfig.h"
#include "sim/admission.h"
#include "sim/kargo.h"
#include "sim/sim.h"
#include "sim/store.h"
#include "util/json.h"
#include "util/xalloc.h"

#define T0_MS 1767312000000LL /* 2026-01-02T00:00:00Z */
#define NS    "backstage-kargo"
#define GV    "kargo.akuity.io/v1alpha1"

struct env {
    struct sim *sim;
    struct kargo_options opt;
    struct kargo *k;
    char dir[64];
    char *kubeconfig;
    struct kube_config *cfg[3];
    struct kube_client *c[3]; /* admin, promoter, viewer */
};
enum { ADMIN, PROMOTER, VIEWER };

static int setup(void **state)
{
    struct env *e = xcalloc(1, sizeof *e);
    static const char *const scenarios[] = {"backstage", NULL};
    e->opt.start_ms = T0_MS;
    e->opt.step_ms = 2000;
    e->opt.verify_ms = 10000;
    e->opt.seed = 7;
    e->opt.scenarios = scenarios;
    struct sim_config cfg = {.seed = 7, .install = kargo_install, .install_ctx = &e->opt};
    char *cause = NULL;
    e->sim = sim_start(&cfg, &cause);
    if (e->sim == NULL)
        fail_msg("sim_start: %s", cause);
    e->k = e->opt.out;
    kargo_settle(e->k);
    snprintf(e->dir, sizeof e->dir, "/tmp/kt-action-XXXXXX");
    assert_non_null(mkdtemp(e->dir));
    e->kubeconfig = xasprintf("%s/kubeconfig", e->dir);
    assert_int_equal(sim_write_kubeconfig(e->sim, e->kubeconfig, &cause), 0);
    static const char *const users[] = {"admin", "promoter", "viewer"};
    for (int i = 0; i < 3; i++) {
        struct kubeconfig_opts ko = {.kubeconfig = e->kubeconfig, .context = users[i]};
        e->cfg[i] = kubeconfig_load(&ko, &cause);
        assert_non_null(e->cfg[i]);
        e->c[i] = kube_client_new(e->cfg[i], &cause);
        assert_non_null(e->c[i]);
    }
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    struct env *e = *state;
    for (int i = 0; i < 3; i++) {
        kube_client_free(e->c[i]);
        kubeconfig_free(e->cfg[i]);
    }
    sim_stop(e->sim);
    unlink(e->kubeconfig);
    rmdir(e->dir);
    free(e->kubeconfig);
    free(e);
    return 0;
}

static cJSON *get(struct env *e, const char *plural, const char *name)
{
    struct api_ref ref = {GV, plural, NS, name};
    struct kube_error err = {0};
    cJSON *o = api_get(e->c[ADMIN], &ref, &err);
    if (o == NULL)
        fail_msg("GET %s/%s: %s", plural, name, err.message);
    return o;
}

/* The backstage Warehouse's Freight now in stage; the caller frees. */
static char *freight_in(struct env *e, const char *stage)
{
    cJSON *s = get(e, "stages", stage);
    const char *f = json_get_string(
        cJSON_GetArrayItem(json_get(s, "status", "freightHistory", (char *)NULL), 0), "items",
        "Warehouse/backstage", "name", (char *)NULL);
    assert_non_null(f);
    char *copy = xstrdup(f);
    cJSON_Delete(s);
    return copy;
}

static char *freight_at(struct env *e, const char *stage, int index)
{
    cJSON *s = get(e, "stages", stage);
    const char *f = json_get_string(
        cJSON_GetArrayItem(json_get(s, "status", "freightHistory", (char *)NULL), index), "items",
        "Warehouse/backstage", "name", (char *)NULL);
    assert_non_null(f);
    char *copy = xstrdup(f);
    cJSON_Delete(s);
    return copy;
}

static size_t promotions_of(struct env *e, const char *stage)
{
    struct api_ref ref = {GV, "promotions", NS, NULL};
    cJSON *list = api_list(e->c[ADMIN], &ref, NULL, NULL, NULL);
    assert_non_null(list);
    size_t n = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(list, "items"))
    {
        const char *s = json_get_string(p, "spec", "stage", (char *)NULL);
        n += s != NULL && strcmp(s, stage) == 0;
    }
    cJSON_Delete(list);
    return n;
}

static void test_promote_creates_one_promotion_with_its_real_name_and_it_succeeds(void **state)
{
    struct env *e = *state;
    char *f = freight_in(e, "dev"); /* verified in dev: available to staging */
    size_t before = promotions_of(e, "staging");
    char *name = NULL;
    struct kube_error err = {0};
    /* by alias, as a person types it */
    cJSON *fo = get(e, "freights", f);
    const char *alias = json_get_string(fo, "alias", (char *)NULL);
    assert_non_null(alias);
    assert_int_equal(action_promote(e->c[PROMOTER], NS, "staging", alias, &name, &err), 0);
    cJSON_Delete(fo);
    assert_non_null(name);
    /* <stage>.<ulid>.<freight[0:7]> as the cluster named it */
    assert_int_equal(strlen(name), strlen("staging.") + 26 + 1 + 7);
    assert_memory_equal(name, "staging.", 8);
    assert_memory_equal(name + strlen(name) - 7, f, 7);
    assert_int_equal(promotions_of(e, "staging"), before + 1);
    cJSON *p = get(e, "promotions", name);
    assert_string_equal(json_get_string(p, "spec", "freight", (char *)NULL), f);
    assert_string_equal(json_get_string(p, "spec", "stage", (char *)NULL), "staging");
    assert_true(cJSON_GetArraySize(json_get(p, "spec", "steps", (char *)NULL)) > 0);
    cJSON_Delete(p);
    kargo_advance(e->k, 30000, 1000);
    p = get(e, "promotions", name);
    assert_string_equal(json_get_string(p, "status", "phase", (char *)NULL), "Succeeded");
    cJSON_Delete(p);
    char *now = freight_in(e, "staging");
    assert_string_equal(now, f);
    free(now);
    free(name);
    free(f);
}

static void test_promote_refusals_carry_the_apis_words(void **state)
{
    struct env *e = *state;
    struct kube_error err = {0};
    char *name = NULL;
    /* the viewer may not: the webhook's own 403 */
    char *f = freight_in(e, "dev");
    assert_int_equal(action_promote(e->c[VIEWER], NS, "staging", f, &name, &err), -1);
    assert_int_equal(err.code, 403);
    assert_non_null(strstr(err.message, "viewer"));
    kube_error_clear(&err);
    /* a Stage that does not exist */
    assert_int_equal(action_promote(e->c[ADMIN], NS, "nowhere", f, &name, &err), -1);
    assert_int_equal(err.code, 404);
    assert_non_null(strstr(err.message, "nowhere"));
    kube_error_clear(&err);
    assert_null(name);
    free(f);
}

static void test_approve_sets_approved_for_and_makes_freight_available(void **state)
{
    struct env *e = *state;
    char *f = freight_in(e, "dev");
    char *prodf = freight_in(e, "production");
    if (strcmp(f, prodf) == 0)
        skip();
    struct kube_error err = {0};
    char *name = NULL;
    /* not verified in uat/staging chain for production: refused by the webhook */
    int rc = action_promote(e->c[ADMIN], NS, "production", f, &name, &err);
    if (rc == 0)
        fail_msg("dev's newest freight should not be available to production yet");
    assert_int_equal(err.code, 422);
    assert_non_null(strstr(err.message, "not available"));
    kube_error_clear(&err);
    assert_int_equal(action_approve(e->c[PROMOTER], NS, f, "production", &err), 0);
    cJSON *fo = get(e, "freights", f);
    assert_non_null(
        json_get_string(fo, "status", "approvedFor", "production", "approvedAt", (char *)NULL));
    cJSON_Delete(fo);
    assert_int_equal(action_promote(e->c[ADMIN], NS, "production", f, &name, &err), 0);
    assert_non_null(name);
    free(name);
    /* client-side check the API server makes and the webhook does not */
    assert_int_equal(action_approve(e->c[ADMIN], NS, f, "nowhere", &err), -1);
    assert_int_equal(err.code, 404);
    kube_error_clear(&err);
    free(prodf);
    free(f);
}

/* A batch with approvals per target (what the dashboard sends after "approve for N stages
 * first"): only the flagged targets are approved, each before its promotion; a target whose
 * approval is refused gets no promotion. */
static void test_batch_approves_only_the_flagged_targets(void **state)
{
    struct env *e = *state;
    char *f = freight_in(e, "dev");
    char *prodf = freight_in(e, "production");
    if (strcmp(f, prodf) == 0)
        skip();
    size_t before = promotions_of(e, "production");
    const char *stages[] = {"staging", "production", "nowhere"};
    const char *freights[] = {f, f, f};
    const bool approve[] = {false, true, true};
    struct action_request req = {.id = ACTION_PROMOTE,
                                 .ns = NS,
                                 .stages = stages,
                                 .freights = freights,
                                 .n_targets = 3,
                                 .approve = approve};
    struct action_result *r = action_run(e->c[PROMOTER], &req);
    assert_int_equal(r->n_outcomes, 3);
    assert_string_equal(r->outcomes[1].target, "production");
    assert_true(r->outcomes[1].ok);
    assert_non_null(r->outcomes[1].created);
    assert_string_equal(r->outcomes[2].target, "nowhere");
    assert_false(r->outcomes[2].ok);
    assert_int_equal(r->outcomes[2].err.code, 404);
    assert_true(strncmp(r->summary, "approved for production; ", 25) == 0);
    cJSON *fo = get(e, "freights", f);
    assert_non_null(json_get(fo, "status", "approvedFor", "production", (char *)NULL));
    assert_null(json_get(fo, "status", "approvedFor", "staging", (char *)NULL));
    cJSON_Delete(fo);
    assert_int_equal(promotions_of(e, "production"), before + 1);
    assert_int_equal(promotions_of(e, "nowhere"), 0);
    action_result_free(r);
    free(prodf);
    free(f);
}

static void test_refresh_token_is_handled(void **state)
{
    struct env *e = *state;
    struct kube_error err = {0};
    char *token = NULL;
    assert_int_equal(action_refresh(e->c[ADMIN], NS, ACTION_ON_STAGE, "staging", &token, &err), 0);
    assert_non_null(token);
    kargo_settle(e->k);
    cJSON *s = get(e, "stages", "staging");
    assert_string_equal(
        json_get_string(s, "metadata", "annotations", "kargo.akuity.io/refresh", (char *)NULL),
        token);
    assert_string_equal(json_get_string(s, "status", "lastHandledRefresh", (char *)NULL), token);
    cJSON_Delete(s);
    char *t2 = NULL;
    assert_int_equal(action_refresh(e->c[ADMIN], NS, ACTION_ON_WAREHOUSE, "backstage", &t2, &err),
                     0);
    assert_string_not_equal(t2, token);
    kargo_settle(e->k);
    cJSON *w = get(e, "warehouses", "backstage");
    assert_string_equal(json_get_string(w, "status", "lastHandledRefresh", (char *)NULL), t2);
    cJSON_Delete(w);
    /* the promoter has no patch on stages: the API's 403 */
    assert_int_equal(action_refresh(e->c[PROMOTER], NS, ACTION_ON_STAGE, "staging", NULL, &err),
                     -1);
    assert_int_equal(err.code, 403);
    kube_error_clear(&err);
    free(t2);
    free(token);
}

static void test_abort_ends_a_running_promotion_aborted(void **state)
{
    struct env *e = *state;
    char *f = freight_in(e, "dev");
    char *name = NULL;
    struct kube_error err = {0};
    assert_int_equal(action_promote(e->c[ADMIN], NS, "staging", f, &name, &err), 0);
    kargo_settle(e->k); /* Running, first step */
    assert_int_equal(action_abort_promotion(e->c[ADMIN], NS, name, &err), 0);
    kargo_settle(e->k);
    cJSON *p = get(e, "promotions", name);
    assert_string_equal(json_get_string(p, "status", "phase", (char *)NULL), "Aborted");
    cJSON_Delete(p);
    /* a finished one is refused with its phase, nothing sent */
    assert_int_equal(action_abort_promotion(e->c[ADMIN], NS, name, &err), -1);
    assert_int_equal(err.code, 0);
    assert_non_null(strstr(err.message, "Aborted"));
    kube_error_clear(&err);
    free(name);
    free(f);
}

static void test_rollback_sets_a_hold_and_resume_clears_it(void **state)
{
    struct env *e = *state;
    /* dev is auto-promoted in backstage: rolling it back holds auto-promotion */
    char *cur = freight_in(e, "dev");
    char *prev = freight_at(e, "dev", 1);
    assert_string_not_equal(cur, prev);
    char *name = NULL;
    struct kube_error err = {0};
    assert_int_equal(action_promote(e->c[ADMIN], NS, "dev", prev, &name, &err), 0);
    kargo_advance(e->k, 30000, 1000);
    char *now = freight_in(e, "dev");
    assert_string_equal(now, prev);
    cJSON *s = get(e, "stages", "dev");
    assert_non_null(
        json_get(s, "status", "autoPromotionHolds", "Warehouse/backstage", (char *)NULL));
    cJSON_Delete(s);
    free(name);
    name = NULL;
    assert_int_equal(action_resume(e->c[ADMIN], NS, "dev", "backstage", &name, &err), 0);
    cJSON *p = get(e, "promotions", name);
    assert_string_equal(json_get_string(p, "spec", "freight", (char *)NULL), cur);
    cJSON_Delete(p);
    kargo_advance(e->k, 30000, 1000);
    s = get(e, "stages", "dev");
    assert_null(json_get(s, "status", "autoPromotionHolds", "Warehouse/backstage", (char *)NULL));
    cJSON_Delete(s);
    free(now);
    free(name);
    free(prev);
    free(cur);
}

static void test_downstream_promotes_every_downstream_stage(void **state)
{
    struct env *e = *state;
    char **targets = NULL, *fname = NULL;
    size_t n = 0;
    struct kube_error err = {0};
    assert_int_equal(
        action_downstream_targets(e->c[ADMIN], NS, "dev", NULL, &targets, &n, &fname, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(targets[0], "staging");
    char *devf = freight_in(e, "dev");
    assert_string_equal(fname, devf);
    for (size_t i = 0; i < n; i++)
        free(targets[i]);
    free(targets);
    free(fname);
    struct action_outcome *out = NULL;
    assert_int_equal(action_promote_downstream(e->c[ADMIN], NS, "dev", NULL, &out, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_true(out[0].ok);
    cJSON *p = get(e, "promotions", out[0].created);
    assert_string_equal(json_get_string(p, "spec", "freight", (char *)NULL), devf);
    cJSON_Delete(p);
    action_outcomes_free(out, n);
    free(devf);
}

/* The newest verification of the Stage's current Freight: its id or phase (allocated). */
static char *verification(struct env *e, const char *stage, const char *field)
{
    cJSON *s = get(e, "stages", stage);
    const char *v = json_get_string(
        cJSON_GetArrayItem(
            json_get(cJSON_GetArrayItem(json_get(s, "status", "freightHistory", (char *)NULL), 0),
                     "verificationHistory", (char *)NULL),
            0),
        field, (char *)NULL);
    char *copy = v != NULL ? xstrdup(v) : NULL;
    cJSON_Delete(s);
    return copy;
}

static void test_reverify_and_abort_verification(void **state)
{
    struct env *e = *state;
    struct kube_error err = {0};
    char *id0 = verification(e, "production", "id");
    assert_non_null(id0);
    /* settled: the current verification of production is finished, so reverify is sent */
    if (action_reverify(e->c[ADMIN], NS, "production", &err) != 0)
        fail_msg("reverify: %s", err.message);
    kargo_settle(e->k); /* a new verification runs */
    char *id1 = verification(e, "production", "id");
    assert_string_not_equal(id0, id1);
    /* still verifying: a second reverify is refused here, nothing sent */
    assert_int_equal(action_reverify(e->c[ADMIN], NS, "production", &err), -1);
    assert_int_equal(err.code, 0);
    kube_error_clear(&err);
    if (action_abort_verification(e->c[ADMIN], NS, "production", &err) != 0)
        fail_msg("abort verification: %s", err.message);
    kargo_settle(e->k);
    char *phase = verification(e, "production", "phase");
    assert_string_equal(phase, "Aborted");
    /* nothing running any more: refused here, nothing sent */
    assert_int_equal(action_abort_verification(e->c[ADMIN], NS, "production", &err), -1);
    assert_int_equal(err.code, 0);
    kube_error_clear(&err);
    free(phase);
    free(id1);
    free(id0);
}

static void test_access_follows_the_roles(void **state)
{
    struct env *e = *state;
    struct kube_error err = {0};
    bool allowed;
    char *reason = NULL;
    static const struct {
        int user;
        enum action_id id;
        bool want;
    } cases[] = {
        {ADMIN, ACTION_ABORT_PROMOTION, true},     {ADMIN, ACTION_REFRESH, true},
        {PROMOTER, ACTION_PROMOTE, true},          {PROMOTER, ACTION_APPROVE, true},
        {PROMOTER, ACTION_ABORT_PROMOTION, false}, {PROMOTER, ACTION_REFRESH, false},
        {VIEWER, ACTION_PROMOTE, false},           {VIEWER, ACTION_APPROVE, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(
            action_access(e->c[cases[i].user], NS, cases[i].id, &allowed, &reason, &err), 0);
        if (allowed != cases[i].want)
            fail_msg("case %zu: allowed %d", i, allowed);
        if (!allowed) {
            assert_non_null(reason);
            assert_non_null(strstr(reason, action_def(cases[i].id)->denied));
        }
        free(reason);
        reason = NULL;
    }
}

struct wake {
    pthread_mutex_t mu;
    int n;
};

static void count_wake(void *ctx)
{
    struct wake *w = ctx;
    pthread_mutex_lock(&w->mu);
    w->n++;
    pthread_mutex_unlock(&w->mu);
}

static long long ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The next result, waiting up to 20 s (a loaded machine); fails the test without one. */
static struct action_result *take(struct action_queue *q)
{
    for (long long end = ms_now() + 20000; ms_now() < end;) {
        struct action_result *r = action_queue_take(q);
        if (r != NULL)
            return r;
        struct timespec ts = {0, 10 * 1000000};
        nanosleep(&ts, NULL);
    }
    fail_msg("no result within 20 s");
    return NULL;
}

static void test_queue_runs_off_the_callers_thread_and_reports(void **state)
{
    struct env *e = *state;
    struct wake w = {PTHREAD_MUTEX_INITIALIZER, 0};
    struct action_queue *q = action_queue_new(e->c[PROMOTER], count_wake, &w);
    struct action_policy pol;
    action_policy_init(&pol);
    char *f = freight_in(e, "dev");
    const char *stages[] = {"staging"};
    const char *freights[] = {f};
    struct action_request req = {
        .id = ACTION_PROMOTE, .ns = NS, .stages = stages, .freights = freights, .n_targets = 1};
    /* read-only: refused before anything is queued or sent */
    pol.readonly = true;
    char *cause = NULL;
    size_t before = promotions_of(e, "staging");
    assert_int_equal(action_queue_submit(q, &req, &pol, &cause), 0);
    assert_non_null(strstr(cause, "read-only"));
    free(cause);
    cause = NULL;
    pol.readonly = false;
    struct action_request empty = {.id = ACTION_PROMOTE, .ns = NS};
    assert_int_equal(action_queue_submit(q, &empty, &pol, &cause), 0);
    assert_non_null(strstr(cause, "nothing to promote"));
    free(cause);
    unsigned long seq = action_queue_submit(q, &req, &pol, NULL);
    assert_true(seq > 0);
    struct action_result *r = take(q);
    assert_int_equal(r->seq, seq);
    assert_true(r->ok);
    assert_int_equal(r->n_outcomes, 1);
    assert_non_null(strstr(r->summary, r->outcomes[0].created));
    assert_int_equal(promotions_of(e, "staging"), before + 1);
    action_result_free(r);
    /* a refusal carries the API's words: the promoter may not refresh */
    struct action_request ref = {.id = ACTION_REFRESH, .ns = NS, .stage = "staging"};
    action_queue_submit(q, &ref, &pol, NULL);
    r = take(q);
    assert_false(r->ok);
    assert_non_null(strstr(r->summary, "forbidden"));
    action_result_free(r);
    /* access: unknown at first (a review is queued), then the answer, cached */
    char reason[200];
    enum action_access a =
        action_queue_access(q, NS, ACTION_ABORT_PROMOTION, NULL, reason, sizeof reason);
    for (long long end = ms_now() + 20000; a == ACTION_ACCESS_UNKNOWN && ms_now() < end;) {
        struct timespec ts = {0, 10 * 1000000};
        nanosleep(&ts, NULL);
        a = action_queue_access(q, NS, ACTION_ABORT_PROMOTION, NULL, reason, sizeof reason);
    }
    assert_int_equal(a, ACTION_ACCESS_DENIED);
    assert_non_null(strstr(reason, "cannot abort promotions"));
    pthread_mutex_lock(&w.mu);
    assert_true(w.n >= 3);
    pthread_mutex_unlock(&w.mu);
    action_queue_free(q);
    action_policy_free(&pol);
    free(f);
}

/* Half the answers cut after the server acted (a lost answer, as after a timeout): whatever is
 * lost, one action makes at most one POST and one Promotion, and a success names the Promotion
 * that exists (found by its create-id label when the webhook renamed it). */
static void test_lost_answers_never_make_a_second_promotion(void **state)
{
    struct env *e = *state;
    char *f = freight_in(e, "dev");
    struct sim_faults faults = {.cut_body_pct = 50};
    sim_faults_set(e->sim, &faults);
    /* two tries per read: enough to recover often, few backoff waits */
    kube_client_set_attempts(e->c[ADMIN], 2);
    int recovered = 0;
    for (int i = 0; i < 10; i++) {
        struct sim_stats s0, s1;
        sim_stats_get(e->sim, &s0);
        size_t before = sim_store_count(sim_store(e->sim), "promotions", NS);
        char *name = NULL;
        struct kube_error err = {0};
        int rc = action_promote(e->c[ADMIN], NS, "staging", f, &name, &err);
        size_t after = sim_store_count(sim_store(e->sim), "promotions", NS);
        sim_stats_get(e->sim, &s1);
        unsigned long posts = s1.requests[SIM_VERB_CREATE] - s0.requests[SIM_VERB_CREATE];
        assert_true(posts <= 1);
        assert_int_equal(after - before, posts);
        if (rc == 0) {
            assert_int_equal(after - before, 1);
            assert_true(sim_store_count(sim_store(e->sim), "promotions", NS) == after);
            cJSON *p = NULL;
            struct sim_faults none = {0};
            sim_faults_set(e->sim, &none);
            p = get(e, "promotions", name);
            sim_faults_set(e->sim, &faults);
            cJSON_Delete(p);
            /* an answer was cut during this action, and it still told the real name */
            recovered += s1.faults_injected > s0.faults_injected;
        } else {
            assert_non_null(err.message);
        }
        kube_error_clear(&err);
        free(name);
    }
    assert_true(recovered > 0);
    struct sim_faults none = {0};
    sim_faults_set(e->sim, &none);
    free(f);
}

/* ---- what is sent: the full object Kargo <= v1.10 needs ---------------------------------- */

struct recorder {
    struct kargo_options *opt;
    pthread_mutex_t mu;
    cJSON *sent; /* the last Promotion a user created, as it arrived */
};

/* Runs before Kargo's webhook (registered first): sees the object as the client sent it. */
static struct sim_status *record_hook(void *ctx, struct sim_admission_request *req)
{
    struct recorder *r = ctx;
    if (req->op == SIM_OP_CREATE && req->object != NULL && req->user != NULL &&
        strcmp(req->user, "admin") == 0) {
        pthread_mutex_lock(&r->mu);
        cJSON_Delete(r->sent);
        r->sent = cJSON_Duplicate(req->object, true);
        pthread_mutex_unlock(&r->mu);
    }
    return NULL;
}

static int install_recording(struct sim *sim, void *ctx, char **cause)
{
    struct recorder *r = ctx;
    sim_admission_add(sim_store(sim), "promotions", true, record_hook, r);
    return kargo_install(sim, r->opt, cause);
}

static void test_promotion_is_sent_whole_as_older_kargo_needs(void **state)
{
    (void)state;
    static const char *const flask[] = {"flask-app", NULL};
    struct kargo_options opt = {
        .start_ms = T0_MS, .step_ms = 2000, .verify_ms = 10000, .seed = 7, .scenarios = flask};
    struct recorder r = {.opt = &opt, .mu = PTHREAD_MUTEX_INITIALIZER};
    struct sim_config cfg = {.seed = 7, .install = install_recording, .install_ctx = &r};
    char *cause = NULL;
    struct sim *sim = sim_start(&cfg, &cause);
    if (sim == NULL)
        fail_msg("sim_start: %s", cause);
    kargo_settle(opt.out);
    char dir[] = "/tmp/kt-action-rec-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *kc = xasprintf("%s/kubeconfig", dir);
    assert_int_equal(sim_write_kubeconfig(sim, kc, &cause), 0);
    struct kubeconfig_opts ko = {.kubeconfig = kc};
    struct kube_config *kcfg = kubeconfig_load(&ko, &cause);
    assert_non_null(kcfg);
    struct kube_client *c = kube_client_new(kcfg, &cause);
    assert_non_null(c);

    struct api_ref sref = {GV, "stages", "flask-app", "staging"};
    cJSON *stage = api_get(c, &sref, NULL);
    assert_non_null(stage);
    struct api_ref dref = {GV, "stages", "flask-app", "dev"};
    cJSON *dev = api_get(c, &dref, NULL);
    const char *f = json_get_string(
        cJSON_GetArrayItem(json_get(dev, "status", "freightHistory", (char *)NULL), 0), "items",
        "Warehouse/flask-app", "name", (char *)NULL);
    assert_non_null(f);
    char *created = NULL;
    struct kube_error err = {0};
    if (action_promote(c, "flask-app", "staging", f, &created, &err) != 0)
        fail_msg("promote: %s", err.message);

    pthread_mutex_lock(&r.mu);
    cJSON *sent = r.sent;
    r.sent = NULL;
    pthread_mutex_unlock(&r.mu);
    assert_non_null(sent);
    /* the name <stage>.<ulid>.<freight[0:7]>, lowercase */
    const char *name = json_get_string(sent, "metadata", "name", (char *)NULL);
    assert_non_null(name);
    assert_int_equal(strlen(name), strlen("staging.") + 26 + 1 + 7);
    assert_memory_equal(name, "staging.", 8);
    assert_true(strspn(name + 8, "0123456789abcdefghjkmnpqrstvwxyz") == 26);
    assert_memory_equal(name + 8 + 27, f, 7);
    assert_string_equal(json_get_string(sent, "spec", "freight", (char *)NULL), f);
    /* steps as the template has them; vars = Stage vars ++ template vars */
    const cJSON *tspec = json_get(stage, "spec", "promotionTemplate", "spec", (char *)NULL);
    assert_true(cJSON_Compare(json_get(sent, "spec", "steps", (char *)NULL),
                              cJSON_GetObjectItem(tspec, "steps"), true));
    cJSON *want = cJSON_CreateArray();
    const cJSON *lists[] = {json_get(stage, "spec", "vars", (char *)NULL),
                            cJSON_GetObjectItem(tspec, "vars")};
    for (int i = 0; i < 2; i++) {
        const cJSON *v;
        cJSON_ArrayForEach(v, lists[i])
        {
            cJSON_AddItemToArray(want, cJSON_Duplicate(v, true));
        }
    }
    assert_true(cJSON_GetArraySize(want) > 0);
    assert_true(cJSON_Compare(json_get(sent, "spec", "vars", (char *)NULL), want, true));
    cJSON_Delete(want);
    /* labelled, so a lost answer finds it even renamed */
    assert_non_null(
        json_get_string(sent, "metadata", "labels", "kargotop/create-id", (char *)NULL));
    /* v1.11+ renamed it; the caller learns the real name */
    assert_non_null(created);
    struct api_ref pref = {GV, "promotions", "flask-app", created};
    cJSON *made = api_get(c, &pref, NULL);
    assert_non_null(made);
    cJSON_Delete(made);

    free(created);
    cJSON_Delete(sent);
    cJSON_Delete(dev);
    cJSON_Delete(stage);
    kube_client_free(c);
    kubeconfig_free(kcfg);
    sim_stop(sim);
    unlink(kc);
    rmdir(dir);
    free(kc);
}

/* Every action's access in a minute costs one review (SIM_VERB_OTHER) per distinct rule (6 for
 * all), and asking again within the minute costs none. */
static void test_access_reviews_are_shared_and_cached(void **state)
{
    struct env *e = *state;
    struct action_queue *q = action_queue_new(e->c[ADMIN], NULL, NULL);
    struct sim_stats s0, s1;
    sim_stats_get(e->sim, &s0);
    char reason[200];
    bool known = false;
    for (long long end = ms_now() + 20000; !known && ms_now() < end;) {
        known = true;
        for (int id = 0; id < ACTION_COUNT; id++)
            known = action_queue_access(q, NS, (enum action_id)id, NULL, reason, sizeof reason) ==
                        ACTION_ACCESS_ALLOWED &&
                    known;
        if (!known) {
            struct timespec ts = {0, 10 * 1000000};
            nanosleep(&ts, NULL);
        }
    }
    assert_true(known);
    sim_stats_get(e->sim, &s1);
    assert_int_equal(s1.requests[SIM_VERB_OTHER] - s0.requests[SIM_VERB_OTHER], 6);
    for (int id = 0; id < ACTION_COUNT; id++)
        assert_int_equal(
            action_queue_access(q, NS, (enum action_id)id, NULL, reason, sizeof reason),
            ACTION_ACCESS_ALLOWED);
    action_queue_free(q); /* joins the worker: nothing more can be under way */
    struct sim_stats s2;
    sim_stats_get(e->sim, &s2);
    assert_int_equal(s2.requests[SIM_VERB_OTHER], s1.requests[SIM_VERB_OTHER]);
}

static void create_rbac(struct env *e, const char *plural, const char *json)
{
    struct api_ref ref = {"rbac.authorization.k8s.io/v1", plural, NS, NULL};
    struct kube_error err = {0};
    cJSON *o = cJSON_Parse(json);
    assert_non_null(o);
    cJSON *made = api_create(e->c[ADMIN], &ref, o, &err);
    cJSON_Delete(o);
    if (made == NULL)
        fail_msg("create %s: %s", plural, err.message);
    cJSON_Delete(made);
}

static enum action_access wait_access(struct action_queue *q, enum action_id id, const char *stage,
                                      char *reason, size_t len)
{
    enum action_access a = ACTION_ACCESS_UNKNOWN;
    for (long long end = ms_now() + 20000;
         (a = action_queue_access(q, NS, id, stage, reason, len)) == ACTION_ACCESS_UNKNOWN &&
         ms_now() < end;) {
        struct timespec ts = {0, 10 * 1000000};
        nanosleep(&ts, NULL);
    }
    return a;
}

/* A role granting promote on one Stage (resourceNames): the namespace-wide review is denied, the
 * review naming that Stage allowed, another Stage denied; each asked once a minute. */
static void test_access_per_stage_follows_resource_names(void **state)
{
    struct env *e = *state;
    create_rbac(e, "roles",
                "{\"metadata\":{\"name\":\"staging-promoter\"},\"rules\":["
                "{\"apiGroups\":[\"kargo.akuity.io\"],\"resources\":[\"promotions\"],"
                "\"verbs\":[\"create\"]},"
                "{\"apiGroups\":[\"kargo.akuity.io\"],\"resources\":[\"stages\"],"
                "\"verbs\":[\"promote\"],\"resourceNames\":[\"staging\"]}]}");
    create_rbac(e, "rolebindings",
                "{\"metadata\":{\"name\":\"viewer-staging\"},\"subjects\":["
                "{\"kind\":\"User\",\"name\":\"viewer\"}],\"roleRef\":{\"apiGroup\":"
                "\"rbac.authorization.k8s.io\",\"kind\":\"Role\",\"name\":\"staging-promoter\"}}");
    struct action_queue *q = action_queue_new(e->c[VIEWER], NULL, NULL);
    struct sim_stats s0, s1, s2;
    sim_stats_get(e->sim, &s0);
    char reason[200];
    assert_int_equal(wait_access(q, ACTION_PROMOTE, NULL, reason, sizeof reason),
                     ACTION_ACCESS_DENIED);
    assert_string_equal(reason, "your role cannot promote (promote stages)");
    assert_int_equal(wait_access(q, ACTION_PROMOTE, "staging", reason, sizeof reason),
                     ACTION_ACCESS_ALLOWED);
    assert_int_equal(wait_access(q, ACTION_PROMOTE, "production", reason, sizeof reason),
                     ACTION_ACCESS_DENIED);
    assert_string_equal(reason, "your role cannot promote (promote stages)");
    /* rollback shares the rules: no new review */
    assert_int_equal(wait_access(q, ACTION_ROLLBACK, "staging", reason, sizeof reason),
                     ACTION_ACCESS_ALLOWED);
    sim_stats_get(e->sim, &s1);
    /* namespace-wide: create promotions + promote stages; then promote stages for staging and
     * for production (create promotions is not about a Stage: shared) */
    assert_int_equal(s1.requests[SIM_VERB_OTHER] - s0.requests[SIM_VERB_OTHER], 4);
    assert_int_equal(action_queue_access(q, NS, ACTION_PROMOTE, "staging", reason, sizeof reason),
                     ACTION_ACCESS_ALLOWED);
    action_queue_free(q);
    sim_stats_get(e->sim, &s2);
    assert_int_equal(s2.requests[SIM_VERB_OTHER], s1.requests[SIM_VERB_OTHER]);
    /* and the cluster agrees: the promotion to staging is made, to production refused */
    char *f = freight_in(e, "dev");
    char *name = NULL;
    struct kube_error err = {0};
    assert_int_equal(action_promote(e->c[VIEWER], NS, "staging", f, &name, &err), 0);
    free(name);
    name = NULL;
    assert_int_equal(action_promote(e->c[VIEWER], NS, "production", f, &name, &err), -1);
    assert_int_equal(err.code, 403);
    kube_error_clear(&err);
    free(f);
}

static void test_refresh_of_a_promoting_stage_refreshes_its_promotion(void **state)
{
    struct env *e = *state;
    char *f = freight_in(e, "dev");
    char *name = NULL;
    struct kube_error err = {0};
    assert_int_equal(action_promote(e->c[ADMIN], NS, "staging", f, &name, &err), 0);
    kargo_settle(e->k); /* Running: the Stage's currentPromotion */
    cJSON *s = get(e, "stages", "staging");
    const char *cur = json_get_string(s, "status", "currentPromotion", "name", (char *)NULL);
    assert_non_null(cur);
    assert_string_equal(cur, name);
    cJSON_Delete(s);
    char *token = NULL;
    assert_int_equal(action_refresh(e->c[ADMIN], NS, ACTION_ON_STAGE, "staging", &token, &err), 0);
    cJSON *p = get(e, "promotions", name);
    assert_string_equal(
        json_get_string(p, "metadata", "annotations", "kargo.akuity.io/refresh", (char *)NULL),
        token);
    cJSON_Delete(p);
    free(token);
    free(name);
    free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_promote_creates_one_promotion_with_its_real_name_and_it_succeeds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_promote_refusals_carry_the_apis_words, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_approve_sets_approved_for_and_makes_freight_available,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_refresh_token_is_handled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refresh_of_a_promoting_stage_refreshes_its_promotion,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_abort_ends_a_running_promotion_aborted, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rollback_sets_a_hold_and_resume_clears_it, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_downstream_promotes_every_downstream_stage, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reverify_and_abort_verification, setup, teardown),
        cmocka_unit_test_setup_teardown(test_access_follows_the_roles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queue_runs_off_the_callers_thread_and_reports, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_lost_answers_never_make_a_second_promotion, setup,
                                        teardown),
        cmocka_unit_test(test_promotion_is_sent_whole_as_older_kargo_needs),
        cmocka_unit_test_setup_teardown(test_batch_approves_only_the_flagged_targets, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_access_reviews_are_shared_and_cached, setup, teardown),
        cmocka_unit_test_setup_teardown(test_access_per_stage_follows_resource_names, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
