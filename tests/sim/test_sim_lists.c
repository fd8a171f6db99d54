/* Conformance of kargo-sim's lists and deletions over real HTTPS: consistent snapshots across
 * continue pages, list and watch resourceVersion semantics, and deletion propagation (Foreground,
 * Orphan), asserted on status codes, Status bodies and the store's state. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "sim/sim.h"
#include "sim/store.h"
#include "simhttp.h"
#include "util/base64.h"
#include "util/json.h"
#include "util/xalloc.h"

#define API      "/apis/kargo.akuity.io/v1alpha1"
#define NS       API "/namespaces/kargo-demo"
#define SCENARIO KT_SOURCE_DIR "/tests/sim/data/demo.yaml"

static int setup(void **state)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    static const char *const scen[] = {SCENARIO, NULL};
    struct sim_config cfg = {.tls = true, .seed = 11, .scenarios = scen};
    char *cause = NULL;
    struct sim *s = sim_start(&cfg, &cause);
    if (s == NULL)
        fail_msg("sim_start: %s", cause);
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    sim_stop(*state);
    curl_global_cleanup();
    return 0;
}

/* The request's JSON answer with the expected code (the caller deletes it). */
static cJSON *req(struct sim *s, const char *method, const char *path, const char *body, long want)
{
    struct simhttp_resp r;
    const char *ctype = body == NULL                   ? NULL
                        : strcmp(method, "PATCH") == 0 ? "application/merge-patch+json"
                                                       : "application/json";
    simhttp_do(s, "admin", method, path, ctype, body, &r);
    if (r.code != want)
        fail_msg("%s %s: want %ld, got %ld: %s", method, path, want, r.code, r.body);
    cJSON *j = r.json;
    r.json = NULL;
    simhttp_free(&r);
    assert_non_null(j);
    return j;
}

static cJSON *get(struct sim *s, const char *path, long want)
{
    return req(s, "GET", path, NULL, want);
}

static void assert_status(const cJSON *st, long code, const char *reason, const char *message)
{
    assert_string_equal(json_get_string(st, "kind", NULL), "Status");
    assert_string_equal(json_get_string(st, "status", NULL), "Failure");
    double c = 0;
    assert_true(json_get_number(st, &c, "code", NULL));
    assert_int_equal((long)c, code);
    assert_string_equal(json_get_string(st, "reason", NULL), reason);
    if (message != NULL)
        assert_string_equal(json_get_string(st, "message", NULL), message);
}

/* The names of a list's items joined by spaces, e.g. "w0 w1". */
static char *names(const cJSON *list)
{
    struct strbuf sb;
    strbuf_init(&sb);
    const cJSON *it;
    cJSON_ArrayForEach(it, json_get(list, "items", NULL))
    {
        if (sb.len > 0)
            strbuf_append_char(&sb, ' ');
        strbuf_append(&sb, json_get_string(it, "metadata", "name", NULL));
    }
    return strbuf_detach(&sb);
}

static void assert_names(const cJSON *list, const char *want)
{
    char *got = names(list);
    assert_string_equal(got, want);
    free(got);
}

static const cJSON *item_named(const cJSON *list, const char *name)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, json_get(list, "items", NULL))
    {
        if (strcmp(json_get_string(it, "metadata", "name", NULL), name) == 0)
            return it;
    }
    return NULL;
}

/* The next page's path: base plus the list's continue token (escaped). */
static char *next_page(const char *base, const cJSON *list)
{
    const char *cont = json_get_string(list, "metadata", "continue", NULL);
    assert_non_null(cont);
    char *esc = curl_easy_escape(NULL, cont, 0);
    char *p = xasprintf("%s%scontinue=%s", base, strchr(base, '?') != NULL ? "&" : "?", esc);
    curl_free(esc);
    return p;
}

/* A continue token decoded as kube-apiserver encodes it: base64url without padding of
 * {"v":"meta.k8s.io/v1","rv":N,"start":"key\u0000"}. */
static cJSON *token_decode(const char *token)
{
    assert_null(strpbrk(token, "+/="));
    char *std = xstrdup(token);
    for (char *p = std; *p != '\0'; p++)
        *p = *p == '-' ? '+' : *p == '_' ? '/' : *p;
    size_t len = 0;
    unsigned char *dec = base64_decode(std, &len, NULL);
    free(std);
    assert_non_null(dec);
    assert_non_null(strstr((const char *)dec, "\\u0000\""));
    cJSON *t = cJSON_ParseWithLength((const char *)dec, len);
    free(dec);
    assert_non_null(t);
    assert_string_equal(json_get_string(t, "v", NULL), "meta.k8s.io/v1");
    return t;
}

static double token_rv(const cJSON *t)
{
    double v = 0;
    assert_true(json_get_number(t, &v, "rv", NULL));
    return v;
}

static void make_namespace(struct sim *s, const char *name)
{
    char body[256];
    snprintf(body, sizeof body, "{\"metadata\":{\"name\":\"%s\"}}", name);
    cJSON_Delete(req(s, "POST", "/api/v1/namespaces", body, 201));
}

static void make_warehouse(struct sim *s, const char *ns, const char *name)
{
    char body[256], path[256];
    snprintf(body, sizeof body, "{\"metadata\":{\"name\":\"%s\"},\"spec\":{\"subscriptions\":[]}}",
             name);
    snprintf(path, sizeof path, API "/namespaces/%s/warehouses", ns);
    cJSON_Delete(req(s, "POST", path, body, 201));
}

/* ---- consistent snapshots ------------------------------------------------------------------ */

/* Every page of a paged list comes from the snapshot at the first page's resourceVersion: what
 * is created, changed or deleted after it neither appears, changes nor vanishes on later pages. */
static void test_pages_are_one_snapshot(void **state)
{
    struct sim *s = *state;
    make_namespace(s, "snap");
    for (int i = 0; i < 6; i++) {
        char name[8];
        snprintf(name, sizeof name, "w%d", i);
        make_warehouse(s, "snap", name);
    }
    const char *base = API "/namespaces/snap/warehouses?limit=2";
    cJSON *p1 = get(s, base, 200);
    assert_names(p1, "w0 w1");
    const char *rv = json_get_string(p1, "metadata", "resourceVersion", NULL);
    double remaining = 0;
    json_get_number(p1, &remaining, "metadata", "remainingItemCount", NULL);
    assert_int_equal((int)remaining, 4);
    cJSON *tok = token_decode(json_get_string(p1, "metadata", "continue", NULL));
    assert_int_equal((long long)token_rv(tok), strtoll(rv, NULL, 10));
    assert_string_equal(json_get_string(tok, "start", NULL), "w1"); /* up to the \u0000 */
    cJSON_Delete(tok);
    cJSON *w3_before = get(s, API "/namespaces/snap/warehouses/w3", 200);

    /* Writes after the first page: one object created inside the rest of the list, one
     * modified, one deleted, one created at the end. */
    make_warehouse(s, "snap", "w1a");
    cJSON_Delete(req(s, "PATCH", API "/namespaces/snap/warehouses/w3",
                     "{\"metadata\":{\"labels\":{\"changed\":\"yes\"}}}", 200));
    cJSON_Delete(req(s, "DELETE", API "/namespaces/snap/warehouses/w4", NULL, 200));
    make_warehouse(s, "snap", "w9");

    char *path2 = next_page(base, p1);
    cJSON *p2 = get(s, path2, 200);
    assert_names(p2, "w2 w3");
    assert_string_equal(json_get_string(p2, "metadata", "resourceVersion", NULL), rv);
    json_get_number(p2, &remaining, "metadata", "remainingItemCount", NULL);
    assert_int_equal((int)remaining, 2);
    const cJSON *w3 = item_named(p2, "w3");
    assert_null(json_get(w3, "metadata", "labels", "changed", NULL));
    assert_string_equal(json_get_string(w3, "metadata", "resourceVersion", NULL),
                        json_get_string(w3_before, "metadata", "resourceVersion", NULL));
    char *path3 = next_page(base, p2);
    cJSON *p3 = get(s, path3, 200);
    assert_names(p3, "w4 w5");
    assert_null(json_get(p3, "metadata", "continue", NULL));
    assert_string_equal(json_get_string(p3, "metadata", "resourceVersion", NULL), rv);

    /* A new list sees the writes. */
    cJSON *now = get(s, API "/namespaces/snap/warehouses", 200);
    assert_names(now, "w0 w1 w1a w2 w3 w5 w9");
    assert_string_equal(
        json_get_string(item_named(now, "w3"), "metadata", "labels", "changed", NULL), "yes");

    /* The same snapshot as one list: resourceVersionMatch=Exact. */
    char path[512];
    snprintf(path, sizeof path,
             API "/namespaces/snap/warehouses?resourceVersion=%s&resourceVersionMatch=Exact", rv);
    cJSON *exact = get(s, path, 200);
    assert_names(exact, "w0 w1 w2 w3 w4 w5");
    assert_string_equal(json_get_string(exact, "metadata", "resourceVersion", NULL), rv);
    cJSON_Delete(exact);
    /* A first page with a resourceVersion and a limit is Exact too (kube's table). */
    snprintf(path, sizeof path, API "/namespaces/snap/warehouses?resourceVersion=%s&limit=10", rv);
    exact = get(s, path, 200);
    assert_names(exact, "w0 w1 w2 w3 w4 w5");
    cJSON_Delete(exact);

    free(path2);
    free(path3);
    cJSON_Delete(now);
    cJSON_Delete(p3);
    cJSON_Delete(p2);
    cJSON_Delete(w3_before);
    cJSON_Delete(p1);
}

/* Across namespaces the token's key is "namespace/name", as in kube's etcd keys; label-selected
 * pages come from the snapshot too. */
static void test_pages_across_namespaces(void **state)
{
    struct sim *s = *state;
    make_namespace(s, "snap-a");
    make_namespace(s, "snap-b");
    make_warehouse(s, "snap-a", "x1");
    make_warehouse(s, "snap-a", "x2");
    make_warehouse(s, "snap-b", "x1");
    const char *base = API "/warehouses?limit=1&fieldSelector=metadata.name%3Dx1";
    cJSON *p1 = get(s, base, 200);
    assert_int_equal(cJSON_GetArraySize(json_get(p1, "items", NULL)), 1);
    assert_string_equal(json_get_string(cJSON_GetArrayItem(json_get(p1, "items", NULL), 0),
                                        "metadata", "namespace", NULL),
                        "snap-a");
    cJSON *tok = token_decode(json_get_string(p1, "metadata", "continue", NULL));
    assert_string_equal(json_get_string(tok, "start", NULL), "snap-a/x1");
    cJSON_Delete(tok);
    /* snap-b/x1 is deleted after the first page: the snapshot still has it. */
    cJSON_Delete(req(s, "DELETE", API "/namespaces/snap-b/warehouses/x1", NULL, 200));
    char *p = next_page(base, p1);
    cJSON *p2 = get(s, p, 200);
    assert_names(p2, "x1");
    assert_string_equal(json_get_string(cJSON_GetArrayItem(json_get(p2, "items", NULL), 0),
                                        "metadata", "namespace", NULL),
                        "snap-b");
    assert_null(json_get(p2, "metadata", "continue", NULL));
    free(p);
    cJSON_Delete(p2);
    cJSON_Delete(p1);
}

/* When the history a snapshot needs was compacted: 410 Expired with kube's message and, in
 * metadata.continue, a token that continues inconsistently at the latest version. */
static void test_compacted_continue(void **state)
{
    struct sim *s = *state;
    make_namespace(s, "compact");
    for (int i = 0; i < 4; i++) {
        char name[8];
        snprintf(name, sizeof name, "c%d", i);
        make_warehouse(s, "compact", name);
    }
    const char *base = API "/namespaces/compact/warehouses?limit=2";
    cJSON *p1 = get(s, base, 200);
    assert_names(p1, "c0 c1");
    const char *rv1 = json_get_string(p1, "metadata", "resourceVersion", NULL);
    cJSON_Delete(req(s, "DELETE", API "/namespaces/compact/warehouses/c2", NULL, 200));
    cJSON_Delete(req(s, "DELETE", "/sim/v1/history", NULL, 200));
    char *path = next_page(base, p1);
    cJSON *st = get(s, path, 410);
    assert_status(st, 410, "Expired",
                  "The provided continue parameter is too old to display a consistent list "
                  "result. You can start a new list without the continue parameter, or use the "
                  "continue token in this response to retrieve the remainder of the results. "
                  "Continuing with the provided token results in an inconsistent list - objects "
                  "that were created, modified, or deleted between the time the first chunk was "
                  "returned and now may show up in the list.");
    cJSON *tok = token_decode(json_get_string(st, "metadata", "continue", NULL));
    assert_int_equal((int)token_rv(tok), -1);
    assert_string_equal(json_get_string(tok, "start", NULL), "c1");
    cJSON_Delete(tok);
    /* The inconsistent token continues from the latest state: c2 is gone. */
    char *inc = next_page(base, st);
    cJSON *p2 = get(s, inc, 200);
    assert_names(p2, "c3");
    assert_true(strtoull(json_get_string(p2, "metadata", "resourceVersion", NULL), NULL, 10) >
                strtoull(rv1, NULL, 10));
    /* Exact at the compacted version: kube's message for a list. */
    char exact[256];
    snprintf(exact, sizeof exact,
             API "/namespaces/compact/warehouses?resourceVersion=%s&resourceVersionMatch=Exact",
             rv1);
    cJSON *st2 = get(s, exact, 410);
    assert_status(st2, 410, "Expired", "The resourceVersion for the provided list is too old.");
    cJSON_Delete(st2);
    free(inc);
    free(path);
    cJSON_Delete(p2);
    cJSON_Delete(st);
    cJSON_Delete(p1);
}

/* ---- resourceVersion semantics ------------------------------------------------------------- */

static void assert_invalid_list_options(struct sim *s, const char *query, const char *message,
                                        int ncauses)
{
    char path[256];
    snprintf(path, sizeof path, NS "/stages?%s", query);
    cJSON *st = get(s, path, 422);
    assert_status(st, 422, "Invalid", message);
    assert_string_equal(json_get_string(st, "details", "group", NULL), "meta.k8s.io");
    assert_string_equal(json_get_string(st, "details", "kind", NULL), "ListOptions");
    const cJSON *causes = json_get(st, "details", "causes", NULL);
    assert_int_equal(cJSON_GetArraySize(causes), ncauses);
    assert_string_equal(json_get_string(cJSON_GetArrayItem(causes, 0), "field", NULL),
                        "resourceVersionMatch");
    assert_string_equal(json_get_string(cJSON_GetArrayItem(causes, 0), "reason", NULL),
                        "FieldValueForbidden");
    cJSON_Delete(st);
}

static void test_list_option_errors(void **state)
{
    struct sim *s = *state;
    assert_invalid_list_options(s, "resourceVersionMatch=Exact",
                                "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: "
                                "Forbidden: resourceVersionMatch is forbidden unless "
                                "resourceVersion is provided",
                                1);
    assert_invalid_list_options(s, "resourceVersionMatch=NotARealMatch",
                                "ListOptions.meta.k8s.io \"\" is invalid: [resourceVersionMatch: "
                                "Forbidden: resourceVersionMatch is forbidden unless "
                                "resourceVersion is provided, resourceVersionMatch: Unsupported "
                                "value: \"NotARealMatch\": supported values: \"Exact\", "
                                "\"NotOlderThan\", \"\"]",
                                2);
    assert_invalid_list_options(s, "resourceVersion=0&resourceVersionMatch=Exact",
                                "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: "
                                "Forbidden: resourceVersionMatch \"exact\" is forbidden for "
                                "resourceVersion \"0\"",
                                1);
    cJSON *p1 = get(s, NS "/stages?limit=1", 200);
    char *cont = next_page(NS "/stages?limit=1&resourceVersion=5", p1);
    cJSON *st = get(s, cont, 400);
    assert_status(st, 400, "BadRequest",
                  "specifying resource version is not allowed when using continue");
    cJSON_Delete(st);
    free(cont);
    cont = next_page(NS "/stages?limit=1&resourceVersion=5&resourceVersionMatch=NotOlderThan", p1);
    st = get(s, cont, 422);
    assert_status(st, 422, "Invalid",
                  "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: "
                  "resourceVersionMatch is forbidden when continue is provided");
    cJSON_Delete(st);
    free(cont);
    /* A continue token with rv 0 is not a token (kube's DecodeContinue). */
    st = get(s,
             NS "/stages?limit=1&continue=eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MCwic3RhcnQiOiJ4In0",
             400);
    assert_status(st, 400, "BadRequest",
                  "invalid continue token: continue key is not valid: incorrect encoded start "
                  "resourceVersion (version meta.k8s.io/v1)");
    cJSON_Delete(st);
    cJSON_Delete(p1);
}

/* NotOlderThan (and a bare resourceVersion without a limit) serves the latest state; "0" any. */
static void test_not_older_than(void **state)
{
    struct sim *s = *state;
    cJSON *before = get(s, NS "/stages", 200);
    const char *rv = json_get_string(before, "metadata", "resourceVersion", NULL);
    cJSON_Delete(req(s, "PATCH", NS "/stages/dev?fieldManager=t",
                     "{\"metadata\":{\"labels\":{\"not-older\":\"1\"}}}", 200));
    const char *queries[] = {
        "resourceVersionMatch=NotOlderThan&resourceVersion=", "resourceVersion=", NULL};
    for (int i = 0; queries[i] != NULL; i++) {
        char path[256];
        snprintf(path, sizeof path, NS "/stages?%s%s", queries[i], rv);
        cJSON *l = get(s, path, 200);
        assert_true(strtoull(json_get_string(l, "metadata", "resourceVersion", NULL), NULL, 10) >
                    strtoull(rv, NULL, 10));
        assert_string_equal(
            json_get_string(item_named(l, "dev"), "metadata", "labels", "not-older", NULL), "1");
        cJSON_Delete(l);
    }
    cJSON *any = get(s, NS "/stages?resourceVersion=0", 200);
    assert_non_null(json_get(item_named(any, "dev"), "metadata", "labels", "not-older", NULL));
    cJSON_Delete(any);
    cJSON_Delete(before);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void assert_too_large(const cJSON *st, unsigned long long want)
{
    assert_status(st, 504, "Timeout", NULL);
    const char *msg = json_get_string(st, "message", NULL);
    char prefix[96];
    snprintf(prefix, sizeof prefix, "Timeout: Too large resource version: %llu, current: ", want);
    assert_int_equal(strncmp(msg, prefix, strlen(prefix)), 0);
    unsigned long long cur = strtoull(msg + strlen(prefix), NULL, 10);
    assert_true(cur < want && cur > 1000);
    double retry = 0;
    assert_true(json_get_number(st, &retry, "details", "retryAfterSeconds", NULL));
    assert_int_equal((int)retry, 1);
    const cJSON *cause = cJSON_GetArrayItem(json_get(st, "details", "causes", NULL), 0);
    assert_string_equal(json_get_string(cause, "reason", NULL), "ResourceVersionTooLarge");
    assert_string_equal(json_get_string(cause, "message", NULL), "Too large resource version");
}

/* A list or watch at a resourceVersion the server has not reached waits kube's 3 s, then 504. */
static void test_too_large_resource_version(void **state)
{
    struct sim *s = *state;
    unsigned long long want = sim_store_rv(sim_store(s)) + 1000;
    const char *matches[] = {"NotOlderThan", "Exact"};
    for (int i = 0; i < 2; i++) {
        char path[256];
        snprintf(path, sizeof path, NS "/stages?resourceVersion=%llu&resourceVersionMatch=%s", want,
                 matches[i]);
        struct simhttp_resp r;
        double t0 = now_s();
        simhttp_do(s, "admin", "GET", path, NULL, NULL, &r);
        double took = now_s() - t0;
        assert_int_equal(r.code, 504);
        assert_true(took >= 2.9);
        assert_string_equal(r.retry_after, "1");
        assert_too_large(r.json, want);
        simhttp_free(&r);
    }
    char path[256];
    snprintf(path, sizeof path, NS "/stages?watch=1&resourceVersion=%llu&timeoutSeconds=30", want);
    struct simhttp_watch w;
    double t0 = now_s();
    simhttp_watch_start(&w, s, "admin", path, NULL);
    cJSON *ev = simhttp_watch_finish(&w, 60000);
    assert_true(now_s() - t0 >= 2.9);
    assert_true(now_s() - t0 < 25); /* ended by the error, not by timeoutSeconds */
    assert_int_equal(w.code, 200);
    assert_int_equal(cJSON_GetArraySize(ev), 1);
    assert_string_equal(json_get_string(cJSON_GetArrayItem(ev, 0), "type", NULL), "ERROR");
    assert_too_large(json_get(cJSON_GetArrayItem(ev, 0), "object", NULL), want);
    cJSON_Delete(ev);
}

struct later_write {
    struct sim *s;
    long code; /* checked by the test's thread: cmocka asserts only there */
};

static void *write_later(void *arg)
{
    struct later_write *lw = arg;
    struct timespec ts = {0, 300 * 1000000L};
    nanosleep(&ts, NULL);
    struct simhttp_resp r;
    lw->code = simhttp_do(lw->s, "admin", "PATCH", NS "/stages/uat", "application/merge-patch+json",
                          "{\"metadata\":{\"labels\":{\"late\":\"1\"}}}", &r);
    simhttp_free(&r);
    return NULL;
}

/* A resourceVersion reached while the list waits is served. */
static void test_list_waits_for_resource_version(void **state)
{
    struct sim *s = *state;
    unsigned long long want = sim_store_rv(sim_store(s)) + 1;
    struct later_write lw = {s, 0};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, write_later, &lw), 0);
    char path[256];
    snprintf(path, sizeof path, NS "/stages?resourceVersion=%llu&resourceVersionMatch=NotOlderThan",
             want);
    cJSON *l = get(s, path, 200);
    pthread_join(t, NULL);
    assert_int_equal(lw.code, 200);
    assert_true(strtoull(json_get_string(l, "metadata", "resourceVersion", NULL), NULL, 10) >=
                want);
    assert_string_equal(json_get_string(item_named(l, "uat"), "metadata", "labels", "late", NULL),
                        "1");
    cJSON_Delete(l);
}

/* ---- deletion propagation ------------------------------------------------------------------ */

/* A Promotion in kargo-demo owned by the Warehouse uid (blocking its foreground deletion when
 * block), held by a finalizer when hold. */
static void make_dependent(struct sim *s, const char *name, const char *owner, const char *uid,
                           bool block, bool hold)
{
    char body[1024];
    snprintf(body, sizeof body,
             "{\"metadata\":{\"name\":\"%s\",%s\"ownerReferences\":[{\"apiVersion\":"
             "\"kargo.akuity.io/v1alpha1\",\"kind\":\"Warehouse\",\"name\":\"%s\",\"uid\":\"%s\""
             "%s}]},\"spec\":{\"stage\":\"dev\",\"steps\":[{}]}}",
             name, hold ? "\"finalizers\":[\"test.kargotop.io/hold\"]," : "", owner, uid,
             block ? ",\"blockOwnerDeletion\":true" : "");
    cJSON_Delete(req(s, "POST", NS "/promotions", body, 201));
}

static char *make_owner(struct sim *s, const char *name)
{
    char body[256];
    snprintf(body, sizeof body, "{\"metadata\":{\"name\":\"%s\"},\"spec\":{\"subscriptions\":[]}}",
             name);
    cJSON *w = req(s, "POST", NS "/warehouses", body, 201);
    char *uid = xstrdup(json_get_string(w, "metadata", "uid", NULL));
    cJSON_Delete(w);
    return uid;
}

static bool has_string(const cJSON *arr, const char *v)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        if (cJSON_IsString(it) && strcmp(it->valuestring, v) == 0)
            return true;
    }
    return false;
}

/* Foreground: the owner stays, with a deletionTimestamp and the foregroundDeletion finalizer,
 * until the dependents that block it are gone; then it goes. */
static void test_foreground_deletion(void **state)
{
    struct sim *s = *state;
    char *uid = make_owner(s, "fg-owner");
    make_dependent(s, "fg-held", "fg-owner", uid, true, true);
    make_dependent(s, "fg-free", "fg-owner", uid, true, false);
    make_dependent(s, "fg-loose", "fg-owner", uid, false, false);
    char path[256];
    snprintf(path, sizeof path,
             NS "/warehouses?watch=1&resourceVersion=%llu&timeoutSeconds=10&fieldSelector="
                "metadata.name%%3Dfg-owner",
             sim_store_rv(sim_store(s)));
    struct simhttp_watch w;
    simhttp_watch_start(&w, s, "admin", path, NULL);

    cJSON *d = req(s, "DELETE", NS "/warehouses/fg-owner",
                   "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\",\"propagationPolicy\":"
                   "\"Foreground\"}",
                   200);
    assert_non_null(json_get(d, "metadata", "deletionTimestamp", NULL));
    assert_true(has_string(json_get(d, "metadata", "finalizers", NULL), "foregroundDeletion"));
    cJSON_Delete(d);
    /* Still there while fg-held (blocking, held by its finalizer) exists. */
    cJSON *o = get(s, NS "/warehouses/fg-owner", 200);
    assert_non_null(json_get(o, "metadata", "deletionTimestamp", NULL));
    assert_true(has_string(json_get(o, "metadata", "finalizers", NULL), "foregroundDeletion"));
    cJSON_Delete(o);
    cJSON_Delete(get(s, NS "/promotions/fg-free", 404));
    cJSON_Delete(get(s, NS "/promotions/fg-loose", 404));
    cJSON *held = get(s, NS "/promotions/fg-held", 200);
    assert_non_null(json_get(held, "metadata", "deletionTimestamp", NULL));
    cJSON_Delete(held);
    assert_true(simhttp_watch_wait(&w, "\"MODIFIED\"", 10000));

    /* Its finalizer removed, fg-held goes, and the owner with it. */
    cJSON_Delete(
        req(s, "PATCH", NS "/promotions/fg-held", "{\"metadata\":{\"finalizers\":null}}", 200));
    cJSON_Delete(get(s, NS "/promotions/fg-held", 404));
    cJSON_Delete(get(s, NS "/warehouses/fg-owner", 404));
    assert_true(simhttp_watch_wait(&w, "\"DELETED\"", 10000));
    free(uid);

    /* Without dependents (and as a query parameter) it goes at once. */
    uid = make_owner(s, "fg-alone");
    d = req(s, "DELETE", NS "/warehouses/fg-alone?propagationPolicy=Foreground", NULL, 200);
    assert_true(has_string(json_get(d, "metadata", "finalizers", NULL), "foregroundDeletion"));
    cJSON_Delete(d);
    cJSON_Delete(get(s, NS "/warehouses/fg-alone", 404));
    free(uid);
    cJSON *ev = simhttp_watch_finish(&w, 30000);
    assert_int_equal(cJSON_GetArraySize(ev), 2);
    const cJSON *e0 = cJSON_GetArrayItem(ev, 0), *e1 = cJSON_GetArrayItem(ev, 1);
    assert_string_equal(json_get_string(e0, "type", NULL), "MODIFIED");
    assert_true(
        has_string(json_get(e0, "object", "metadata", "finalizers", NULL), "foregroundDeletion"));
    assert_string_equal(json_get_string(e1, "type", NULL), "DELETED");
    assert_string_equal(json_get_string(e1, "object", "metadata", "name", NULL), "fg-owner");
    cJSON_Delete(ev);
}

/* Orphan: the owner goes, the dependents stay without their reference to it. */
static void test_orphan_deletion(void **state)
{
    struct sim *s = *state;
    char *uid = make_owner(s, "or-owner");
    char *other = make_owner(s, "or-other");
    make_dependent(s, "or-one", "or-owner", uid, true, false);
    char body[1024];
    snprintf(body, sizeof body,
             "{\"metadata\":{\"name\":\"or-two\",\"ownerReferences\":["
             "{\"apiVersion\":\"kargo.akuity.io/v1alpha1\",\"kind\":\"Warehouse\",\"name\":"
             "\"or-owner\",\"uid\":\"%s\"},{\"apiVersion\":\"kargo.akuity.io/v1alpha1\",\"kind\":"
             "\"Warehouse\",\"name\":\"or-other\",\"uid\":\"%s\"}]},\"spec\":{\"stage\":\"dev\","
             "\"steps\":[{}]}}",
             uid, other);
    cJSON_Delete(req(s, "POST", NS "/promotions", body, 201));

    cJSON *d = req(s, "DELETE", NS "/warehouses/or-owner?propagationPolicy=Orphan", NULL, 200);
    assert_true(has_string(json_get(d, "metadata", "finalizers", NULL), "orphan"));
    cJSON_Delete(d);
    cJSON_Delete(get(s, NS "/warehouses/or-owner", 404));
    cJSON *one = get(s, NS "/promotions/or-one", 200);
    assert_null(json_get(one, "metadata", "ownerReferences", NULL));
    cJSON_Delete(one);
    cJSON *two = get(s, NS "/promotions/or-two", 200);
    const cJSON *refs = json_get(two, "metadata", "ownerReferences", NULL);
    assert_int_equal(cJSON_GetArraySize(refs), 1);
    assert_string_equal(json_get_string(cJSON_GetArrayItem(refs, 0), "uid", NULL), other);
    cJSON_Delete(two);

    /* An unknown policy is kube's 422, and nothing is deleted. */
    cJSON *st = req(s, "DELETE", NS "/warehouses/or-other?propagationPolicy=Sideways", NULL, 422);
    assert_status(st, 422, "Invalid",
                  "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported "
                  "value: \"Sideways\": supported values: \"Foreground\", \"Background\", "
                  "\"Orphan\", \"nil\"");
    assert_string_equal(json_get_string(st, "details", "kind", NULL), "DeleteOptions");
    cJSON_Delete(st);
    cJSON_Delete(get(s, NS "/warehouses/or-other", 200));
    free(other);
    free(uid);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pages_are_one_snapshot),
        cmocka_unit_test(test_pages_across_namespaces),
        cmocka_unit_test(test_compacted_continue),
        cmocka_unit_test(test_list_option_errors),
        cmocka_unit_test(test_not_older_than),
        cmocka_unit_test(test_too_large_resource_version),
        cmocka_unit_test(test_list_waits_for_resource_version),
        cmocka_unit_test(test_foreground_deletion),
        cmocka_unit_test(test_orphan_deletion),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
