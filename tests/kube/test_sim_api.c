/* The client against kargo-sim over HTTP and HTTPS: token auth and RBAC messages, access reviews,
 * paging over 2,000 objects, 429 with Retry-After, 500 retried for GET but not for POST, truncated
 * bodies, and a create that is never sent twice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/api.h"
#include "kubetest.h"
#include "sim/store.h"
#include "simfix.h"
#include "util/json.h"
#include "util/xalloc.h"

static struct api_ref events_in(const char *ns)
{
    return (struct api_ref){"v1", "events", ns, NULL};
}

static void test_token_auth_rbac_and_reviews(void **state)
{
    struct simfix *f = *state;
    simfix_start(f, "viewer");
    simfix_seed_events(f, "kargo-demo", 3);
    struct kube_error err = {0};
    struct api_ref ref = events_in("kargo-demo");
    cJSON *list = api_list(f->client, &ref, NULL, NULL, &err);
    assert_non_null(list);
    assert_int_equal(cJSON_GetArraySize(json_get(list, "items", (char *)NULL)), 3);
    cJSON_Delete(list);

    /* The viewer may not create: the server's Status reaches the person. */
    cJSON *ev = simfix_event("kargo-demo", "new-one");
    assert_null(api_create(f->client, &ref, ev, &err));
    cJSON_Delete(ev);
    assert_int_equal(err.code, 403);
    assert_string_equal(err.reason, "Forbidden");
    assert_non_null(strstr(err.message, "User \"viewer\" cannot create"));
    assert_non_null(strstr(err.message, "(HTTP 403 Forbidden)"));
    assert_null(strstr(err.message, sim_token(f->sim, "viewer")));
    kube_error_clear(&err);

    bool allowed = true;
    assert_int_equal(api_access_review(f->client, "patch", "kargo.akuity.io", "stages", NULL,
                                       "kargo-demo", "uat", &allowed, &err),
                     0);
    assert_false(allowed);
    assert_int_equal(api_access_review(f->client, "list", "kargo.akuity.io", "stages", NULL,
                                       "kargo-demo", NULL, &allowed, &err),
                     0);
    assert_true(allowed);

    /* The promoter may promote. */
    char *cause = NULL;
    assert_int_equal(simfix_connect(f, f->kubeconfig, "promoter", &cause), 0);
    assert_int_equal(api_access_review(f->client, "promote", "kargo.akuity.io", "stages", NULL,
                                       "kargo-demo", "uat", &allowed, &err),
                     0);
    assert_true(allowed);

    /* A wrong token: 401 with a message that does not contain it. */
    free(f->cfg->token);
    f->cfg->token = xstrdup("not-a-valid-token-0123456789");
    ref.name = "ev-00000";
    assert_null(api_get(f->client, &ref, &err));
    assert_int_equal(err.code, 401);
    assert_null(strstr(err.message, "not-a-valid-token"));
    kube_error_clear(&err);
}

static void test_get_patch_status_delete(void **state)
{
    struct simfix *f = *state;
    simfix_start(f, "admin");
    simfix_seed_events(f, "p", 1);
    struct kube_error err = {0};
    struct api_ref ref = {"v1", "events", "p", "ev-00000"};
    cJSON *o = api_merge_patch(f->client, &ref, NULL, "{\"message\":\"patched\"}", &err);
    assert_non_null(o);
    assert_string_equal(json_get_string(o, "message", (char *)NULL), "patched");
    cJSON_Delete(o);

    /* The /status subresource of a Freight: what approving does. */
    struct sim_write_opts wo = {.skip_admission = true};
    struct sim_status *serr = NULL;
    cJSON *fr = cJSON_Parse("{\"apiVersion\":\"kargo.akuity.io/v1alpha1\",\"kind\":\"Freight\","
                            "\"metadata\":{\"name\":\"abc123\",\"namespace\":\"p\"},"
                            "\"origin\":{\"kind\":\"Warehouse\",\"name\":\"w\"}}");
    cJSON *stored = sim_store_create(sim_store(f->sim), "freights", "p", fr, &wo, &serr);
    assert_non_null(stored);
    cJSON_Delete(stored);
    cJSON_Delete(fr);
    struct api_ref fref = {"kargo.akuity.io/v1alpha1", "freights", "p", "abc123"};
    o = api_merge_patch(f->client, &fref, "status",
                        "{\"status\":{\"approvedFor\":{\"uat\":{\"approvedAt\":"
                        "\"2026-11-23T10:00:00Z\"}}}}",
                        &err);
    assert_non_null(o);
    assert_string_equal(
        json_get_string(o, "status", "approvedFor", "uat", "approvedAt", (char *)NULL),
        "2026-11-23T10:00:00Z");
    cJSON_Delete(o);

    assert_int_equal(api_delete(f->client, &ref, &err), 0);
    assert_null(api_get(f->client, &ref, &err));
    assert_int_equal(err.code, 404);
    assert_string_equal(err.reason, "NotFound");
    kube_error_clear(&err);
}

static void test_pagination_over_2000_objects(void **state)
{
    struct simfix *f = *state;
    simfix_start(f, "admin");
    simfix_seed_events(f, "bulk", 2000);
    struct sim_stats before, after;
    sim_stats_get(f->sim, &before);
    struct kube_error err = {0};
    struct api_ref ref = events_in("bulk");
    int pages = 0;
    struct kube_client_stats c0, c1;
    kube_client_stats(f->client, &c0);
    long long t0 = kt_now_ms();
    cJSON *list = api_list(f->client, &ref, NULL, &pages, &err);
    long long ms = kt_now_ms() - t0;
    assert_non_null(list);
    kube_client_stats(f->client, &c1);
    /* Four requests, one connection: the pool keeps it alive between pages. */
    assert_int_equal(c1.requests - c0.requests, 4);
    assert_true(c1.connections - c0.connections <= 1);
    print_message("%s: 2000 objects in %d pages, %lld ms, %lu connection(s)\n",
                  f->tls ? "https" : "http", pages, ms, c1.connections - c0.connections);
    sim_stats_get(f->sim, &after);
    const cJSON *items = json_get(list, "items", (char *)NULL);
    assert_int_equal(cJSON_GetArraySize(items), 2000);
    assert_int_equal(pages, 4);
    assert_int_equal(after.requests[SIM_VERB_LIST] - before.requests[SIM_VERB_LIST], 4);
    /* Pages of 500 are over kube-apiserver's 128 KiB gzip threshold: the client asked for gzip
     * and decoded what came gzipped. */
    assert_int_equal(after.gzipped - before.gzipped, 4);
    /* Every object exactly once, in order. */
    int i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, items)
    {
        char name[32];
        snprintf(name, sizeof name, "ev-%05d", i++);
        assert_string_equal(json_get_string(it, "metadata", "name", (char *)NULL), name);
    }
    assert_non_null(json_get_string(list, "metadata", "resourceVersion", (char *)NULL));
    cJSON_Delete(list);
}

/* The history is compacted while a paged list is under way: the next page is 410 Expired, and
 * api_list starts again and returns one consistent list (client-go's pager does the same). */
static void test_list_restarts_when_continue_expires(void **state)
{
    struct simfix *f = *state;
    simfix_start(f, "admin");
    simfix_seed_events(f, "bulk", 1200);
    struct sim_faults faults = {.latency_ms = 2000}; /* page 2 is asked for before it is read */
    simfix_faults(f, &faults);
    struct simfix_compactor *comp = simfix_compact_after_lists(f, 1);
    struct kube_error err = {0};
    struct api_ref ref = events_in("bulk");
    int pages = 0;
    cJSON *list = api_list(f->client, &ref, NULL, &pages, &err);
    assert_true(simfix_compactor_join(comp));
    if (list == NULL)
        fail_msg("api_list: %s", err.message);
    /* page 1, page 2 refused with 410, then pages 1 to 3 again */
    assert_int_equal(pages, 5);
    const cJSON *items = json_get(list, "items", (char *)NULL);
    assert_int_equal(cJSON_GetArraySize(items), 1200);
    int i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, items)
    {
        char name[32];
        snprintf(name, sizeof name, "ev-%05d", i++);
        assert_string_equal(json_get_string(it, "metadata", "name", (char *)NULL), name);
    }
    cJSON_Delete(list);
}

struct page_log {
    int calls, firsts, largest, since_first;
};

static void page_log_on_page(void *ctx, cJSON *items, bool first)
{
    struct page_log *l = ctx;
    l->calls++;
    if (first) {
        l->firsts++;
        l->since_first = 0;
    }
    int n = cJSON_GetArraySize(items);
    l->since_first += n;
    if (n > l->largest)
        l->largest = n;
}

/* api_list_pages hands the pages over one by one (none bigger than a page), and says "first"
 * again when the list starts over after a 410, so the consumer drops the earlier pages. */
static void test_list_pages_one_by_one_and_restart(void **state)
{
    struct simfix *f = *state;
    simfix_start(f, "admin");
    simfix_seed_events(f, "bulk", 1200);
    struct sim_faults faults = {.latency_ms = 2000};
    simfix_faults(f, &faults);
    struct simfix_compactor *comp = simfix_compact_after_lists(f, 1);
    struct kube_error err = {0};
    struct api_ref ref = events_in("bulk");
    struct page_log log = {0};
    char *rv = NULL;
    int pages = 0;
    int rc = api_list_pages(f->client, &ref, NULL, page_log_on_page, &log, &rv, &pages, &err);
    assert_true(simfix_compactor_join(comp));
    if (rc != 0)
        fail_msg("api_list_pages: %s", err.message);
    assert_int_equal(pages, 5);
    assert_int_equal(log.calls, 4); /* page 1, then pages 1 to 3 again */
    assert_int_equal(log.firsts, 2);
    assert_int_equal(log.since_first, 1200);
    assert_int_equal(log.largest, 500);
    assert_non_null(rv);
    free(rv);
}

struct bg_get {
    struct simfix *f;
    struct api_ref ref;
    cJSON *result;
    struct kube_error err;
    long long ms;
};

static void *bg_get_run(void *arg)
{
    struct bg_get *g = arg;
    long long t0 = kt_now_ms();
    g->result = api_get(g->f->client, &g->ref, &g->err);
    g->ms = kt_now_ms() - t0;
    return NULL;
}

struct faults_seen {
    struct simfix *f;
    unsigned long n;
};

static unsigned long total_requests(struct simfix *f)
{
    struct sim_stats st;
    sim_stats_get(f->sim, &st);
    unsigned long n = 0;
    for (int v = 0; v < SIM_VERB_COUNT; v++)
        n += st.requests[v];
    return n;
}

static bool faults_at_least(void *arg)
{
    struct faults_seen *w = arg;
    struct sim_stats st;
    sim_stats_get(w->f->sim, &st);
    return st.faults_injected >= w->n;
}

static void test_429_honours_retry_after(void **state)
{
    struct simfix *f = *state;
    simfix_start(f, "admin");
    simfix_seed_events(f, "p", 1);
    struct sim_faults faults = {.error429_pct = 100, .retry_after_s = 2};
    simfix_faults(f, &faults);
    struct bg_get g = {.f = f, .ref = {"v1", "events", "p", "ev-00000"}};
    pthread_t t;
    pthread_create(&t, NULL, bg_get_run, &g);
    struct faults_seen w = {f, 1};
    assert_true(kt_wait_until(faults_at_least, &w, 10000));
    struct sim_faults none = {0};
    simfix_faults(f, &none);
    pthread_join(t, NULL);
    assert_non_null(g.result);
    /* It waited the 2 s the server asked for, not the 0.8 s of its own backoff. */
    assert_true(g.ms >= 1900);
    assert_true(g.ms < 6000);
    cJSON_Delete(g.result);
    kube_error_clear(&g.err);
}

/* 503 with Retry-After: a GET waits as told and retries; a POST is not repeated. */
static void test_503_honours_retry_after_and_post_is_not_repeated(void **state)
{
    struct simfix *f = *state;
    simfix_start(f, "admin");
    simfix_seed_events(f, "p", 1);
    struct sim_faults faults = {.error503_pct = 100, .retry_after_s = 2};
    simfix_faults(f, &faults);
    unsigned long r0 = total_requests(f);
    struct kube_error err = {0};
    struct api_ref ref = events_in("p");
    cJSON *ev = simfix_event("p", "once-503");
    assert_null(api_create(f->client, &ref, ev, &err));
    cJSON_Delete(ev);
    assert_int_equal(err.code, 503);
    assert_non_null(strstr(err.message, "the server is currently unable to handle the request"));
    assert_int_equal(total_requests(f) - r0, 1);
    kube_error_clear(&err);

    struct sim_stats s1;
    sim_stats_get(f->sim, &s1);
    struct bg_get g = {.f = f, .ref = {"v1", "events", "p", "ev-00000"}};
    pthread_t t;
    pthread_create(&t, NULL, bg_get_run, &g);
    struct faults_seen w = {f, s1.faults_injected + 1};
    assert_true(kt_wait_until(faults_at_least, &w, 10000));
    struct sim_faults none = {0};
    simfix_faults(f, &none);
    pthread_join(t, NULL);
    assert_non_null(g.result);
    assert_true(g.ms >= 1900); /* the server's 2 s, not the client's 0.8 s */
    assert_true(g.ms < 6000);
    cJSON_Delete(g.result);
    kube_error_clear(&g.err);
    assert_int_equal(sim_store_count(sim_store(f->sim), "events", "p"), 1);
}

static void test_500_retried_for_get_not_for_post(void **state)
{
    struct simfix *f = *state;
    simfix_start(f, "admin");
    simfix_seed_events(f, "p", 1);
    struct sim_stats s1;
    struct sim_faults faults = {.error500_pct = 100};
    simfix_faults(f, &faults);
    unsigned long r0 = total_requests(f);

    /* POST: one request, an error naming the server's reason, nothing created. */
    struct kube_error err = {0};
    struct api_ref ref = events_in("p");
    cJSON *ev = simfix_event("p", "once");
    assert_null(api_create(f->client, &ref, ev, &err));
    cJSON_Delete(ev);
    sim_stats_get(f->sim, &s1);
    assert_int_equal(err.code, 500);
    assert_non_null(strstr(err.message, "HTTP 500"));
    /* One request in all: not repeated, and no lookup either (the server answered). */
    assert_int_equal(total_requests(f) - r0, 1);
    kube_error_clear(&err);
    r0 = total_requests(f);

    /* GET: retried until the server recovers. */
    struct bg_get g = {.f = f, .ref = {"v1", "events", "p", "ev-00000"}};
    pthread_t t;
    pthread_create(&t, NULL, bg_get_run, &g);
    struct faults_seen w = {f, s1.faults_injected + 2};
    assert_true(kt_wait_until(faults_at_least, &w, 10000));
    struct sim_faults none = {0};
    simfix_faults(f, &none);
    pthread_join(t, NULL);
    assert_non_null(g.result);
    assert_true(total_requests(f) - r0 >= 3);
    cJSON_Delete(g.result);
    kube_error_clear(&g.err);
    assert_int_equal(sim_store_count(sim_store(f->sim), "events", "p"), 1);
}

static void test_truncated_body_is_an_error_and_create_happens_once(void **state)
{
    struct simfix *f = *state;
    simfix_start(f, "admin");
    simfix_seed_events(f, "p", 600);
    struct sim_faults faults = {.cut_body_pct = 100};
    simfix_faults(f, &faults);
    /* Idempotent reads are retried; two tries are enough to see them fail cleanly. */
    kube_client_set_attempts(f->client, 2);
    struct kube_error err = {0};
    struct api_ref ref = {"v1", "events", "p", "ev-00001"};
    assert_null(api_get(f->client, &ref, &err));
    assert_non_null(err.message);
    kube_error_clear(&err);
    ref.name = NULL;
    assert_null(api_list(f->client, &ref, NULL, NULL, &err));
    assert_non_null(err.message);
    kube_error_clear(&err);

    /* The create reaches the server, its answer is cut: the client must not POST again. */
    struct sim_stats s0, s1;
    sim_stats_get(f->sim, &s0);
    cJSON *ev = simfix_event("p", "exactly-once");
    cJSON *made = api_create(f->client, &ref, ev, &err);
    cJSON_Delete(ev);
    cJSON_Delete(made);
    kube_error_clear(&err);
    sim_stats_get(f->sim, &s1);
    assert_int_equal(s1.requests[SIM_VERB_CREATE] - s0.requests[SIM_VERB_CREATE], 1);
    assert_int_equal(sim_store_count(sim_store(f->sim), "events", "p"), 601);

    /* With generateName the lookup goes by the label the client added; once the answers are
     * whole again, a lost answer is recovered as the object itself. */
    struct sim_faults none = {0};
    simfix_faults(f, &none);
    cJSON *gen = simfix_event("p", "x");
    cJSON *md = cJSON_GetObjectItem(gen, "metadata");
    cJSON_DeleteItemFromObject(md, "name");
    cJSON_AddStringToObject(md, "generateName", "promo-");
    made = api_create(f->client, &ref, gen, &err);
    cJSON_Delete(gen);
    assert_non_null(made);
    assert_non_null(
        json_get_string(made, "metadata", "labels", "kargotop/create-id", (char *)NULL));
    assert_memory_equal(json_get_string(made, "metadata", "name", (char *)NULL), "promo-", 6);
    cJSON_Delete(made);
}

static void test_wrong_ca_fails_with_a_clear_message(void **state)
{
    struct simfix *f = *state;
    if (!f->tls)
        skip();
    simfix_start(f, "admin");
    /* A kubeconfig for the same server with another run's CA. */
    struct sim_config sc = {.tls = true, .seed = 7};
    char *cause = NULL;
    struct sim *other = sim_start(&sc, &cause);
    assert_non_null(other);
    char *text = kt_slurp(f->kubeconfig);
    assert_non_null(text);
    char *other_path = xasprintf("%s/other", f->dir);
    assert_int_equal(sim_write_kubeconfig(other, other_path, &cause), 0);
    char *other_text = kt_slurp(other_path);
    /* Take our server URL and token, their CA. */
    char *p = strstr(other_text, sim_url(other));
    assert_non_null(p);
    char *mixed = xasprintf("%.*s%s%s", (int)(p - other_text), other_text, sim_url(f->sim),
                            p + strlen(sim_url(other)));
    char *wrong = kt_write(f->dir, "wrong-ca", mixed, false);
    sim_stop(other);
    assert_int_equal(simfix_connect(f, wrong, "admin", &cause), 0);
    struct kube_error err = {0};
    struct api_ref ref = events_in("p");
    assert_null(api_list(f->client, &ref, NULL, NULL, &err));
    assert_int_equal(err.code, 0);
    print_message("wrong CA: %s\n", err.message);
    assert_non_null(strstr(err.message, "cannot verify the TLS certificate of"));
    assert_non_null(strstr(err.message, sim_url(f->sim)));
    assert_non_null(strstr(err.message, "certificate-authority"));
    assert_non_null(strstr(err.message, "certificate authority"));
    kube_error_clear(&err);
    free(mixed);
    free(wrong);
    free(text);
    free(other_text);
    free(other_path);
}

#define T(fn) SIMFIX_TEST(fn)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_token_auth_rbac_and_reviews),
        T(test_get_patch_status_delete),
        T(test_pagination_over_2000_objects),
        T(test_list_restarts_when_continue_expires),
        T(test_list_pages_one_by_one_and_restart),
        T(test_429_honours_retry_after),
        T(test_503_honours_retry_after_and_post_is_not_repeated),
        T(test_500_retried_for_get_not_for_post),
        T(test_truncated_body_is_an_error_and_create_happens_once),
        T(test_wrong_ca_fails_with_a_clear_message),
    };
    int rc = simfix_run_http_and_https(tests);
    return rc;
}
