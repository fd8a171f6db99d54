/* kargo-sim under load, on loopback and bounded: 200 concurrent watches while a burst of 5,000
 * requests is answered, every one of them; then lists at the size of the "large" scenario
 * (300 stages, 10,000 freight, 30,000 promotions) in pages of 500. Prints what it measured. */
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
#include "util/json.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define NWATCH   200
#define NREQ     5000
#define NTHREADS 8
#define NS       "/apis/kargo.akuity.io/v1alpha1/namespaces/load"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f != NULL && fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    if (f != NULL)
        fclose(f);
    return kb;
}

static int setup(void **state)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return 0;
}

static int teardown(void **state)
{
    curl_global_cleanup();
    return 0;
}

static void create(struct sim *s, const char *plural, const char *json)
{
    cJSON *o = cJSON_Parse(json);
    struct sim_status *err = NULL;
    struct sim_write_opts opts = {.skip_admission = true};
    cJSON *r = sim_store_create(sim_store(s), plural, "load", o, &opts, &err);
    if (r == NULL)
        fail_msg("create %s: %s", plural, err->message);
    cJSON_Delete(r);
    cJSON_Delete(o);
}

/* ---- 200 watches and a burst --------------------------------------------------------------- */

/* One watch stream, consumed line by line so 200 streams of 1,000 events stay small. */
struct stream {
    struct strbuf pending;
    int modified;
    bool marker;
};

struct watches {
    struct sim *sim;
    CURLM *multi;
    CURL *h[NWATCH];
    struct curl_slist *hdr;
    struct stream buf[NWATCH];
    pthread_mutex_t mu;
    bool stop;
    int running;
};

static size_t on_watch(char *p, size_t size, size_t n, void *ctx)
{
    struct stream *st = ctx;
    strbuf_append_len(&st->pending, p, size * n);
    char *start = st->pending.buf, *nl;
    while ((nl = memchr(start, '\n', st->pending.len - (size_t)(start - st->pending.buf))) !=
           NULL) {
        *nl = '\0';
        if (strstr(start, "\"type\":\"MODIFIED\"") != NULL)
            st->modified++;
        if (strstr(start, "final-marker") != NULL)
            st->marker = true;
        start = nl + 1;
    }
    size_t rest = st->pending.len - (size_t)(start - st->pending.buf);
    memmove(st->pending.buf, start, rest);
    st->pending.len = rest;
    st->pending.buf[rest] = '\0';
    return size * n;
}

static void *watches_main(void *arg)
{
    struct watches *w = arg;
    for (;;) {
        pthread_mutex_lock(&w->mu);
        int running;
        curl_multi_perform(w->multi, &running);
        w->running = running;
        bool stop = w->stop;
        pthread_mutex_unlock(&w->mu);
        if (stop || running == 0)
            break;
        curl_multi_poll(w->multi, NULL, 0, 50, NULL);
    }
    return NULL;
}

/* How many watch streams saw the marker. */
static int watches_marked(struct watches *w)
{
    int n = 0;
    pthread_mutex_lock(&w->mu);
    for (int i = 0; i < NWATCH; i++)
        n += w->buf[i].marker;
    pthread_mutex_unlock(&w->mu);
    return n;
}

struct burst {
    struct sim *sim;
    int id;
    int ok;
    int failed;
    char first_failure[512];
};

static void *burst_main(void *arg)
{
    struct burst *b = arg;
    for (int i = 0; i < NREQ / NTHREADS; i++) {
        struct simhttp_resp r;
        char path[256], body[256];
        long want = 200;
        const char *method = "GET", *ctype = NULL, *payload = NULL;
        switch (i % 5) {
        case 0:
            snprintf(path, sizeof path, NS "/stages/stage-%d", (b->id * 7 + i) % 20);
            break;
        case 1:
            snprintf(path, sizeof path, NS "/stages?limit=10");
            break;
        case 2:
            snprintf(path, sizeof path, NS "/stages/stage-%d", b->id);
            snprintf(body, sizeof body, "{\"metadata\":{\"annotations\":{\"n\":\"%d\"}}}", i);
            method = "PATCH";
            ctype = "application/merge-patch+json";
            payload = body;
            break;
        case 3:
            snprintf(path, sizeof path, NS "/freights?labelSelector=batch%%3D%d", i % 4);
            break;
        default:
            snprintf(path, sizeof path, NS "/stages/missing-%d", i);
            want = 404;
            break;
        }
        simhttp_do(b->sim, "admin", method, path, ctype, payload, &r);
        if (r.code == want) {
            b->ok++;
        } else {
            if (b->failed++ == 0)
                snprintf(b->first_failure, sizeof b->first_failure, "%s %s -> %ld (curl %d)",
                         method, path, r.code, r.curl_error);
        }
        simhttp_free(&r);
    }
    return NULL;
}

static void test_watches_and_burst(void **state)
{
    struct sim_config cfg = {.tls = false, .seed = 5};
    char *cause = NULL;
    struct sim *s = sim_start(&cfg, &cause);
    assert_non_null(s);
    create(s, "namespaces", "{\"metadata\":{\"name\":\"load\"}}");
    for (int i = 0; i < 20; i++) {
        char j[256];
        snprintf(j, sizeof j,
                 "{\"metadata\":{\"name\":\"stage-%d\",\"namespace\":\"load\"},\"spec\":"
                 "{\"requestedFreight\":[]}}",
                 i);
        create(s, "stages", j);
        snprintf(j, sizeof j,
                 "{\"metadata\":{\"name\":\"f-%d\",\"namespace\":\"load\",\"labels\":{\"batch\":"
                 "\"%d\"}},\"origin\":{\"kind\":\"Warehouse\",\"name\":\"w\"}}",
                 i, i % 4);
        create(s, "freights", j);
    }

    struct watches w = {.sim = s};
    pthread_mutex_init(&w.mu, NULL);
    w.multi = curl_multi_init();
    char *auth = xasprintf("Authorization: Bearer %s", sim_token(s, "viewer"));
    w.hdr = curl_slist_append(NULL, auth);
    free(auth);
    char *url = xasprintf("%s" NS "/stages?watch=1&resourceVersion=%llu&timeoutSeconds=50",
                          sim_url(s), sim_store_rv(sim_store(s)));
    for (int i = 0; i < NWATCH; i++) {
        strbuf_init(&w.buf[i].pending);
        w.h[i] = curl_easy_init();
        curl_easy_setopt(w.h[i], CURLOPT_URL, url);
        curl_easy_setopt(w.h[i], CURLOPT_HTTPHEADER, w.hdr);
        curl_easy_setopt(w.h[i], CURLOPT_WRITEFUNCTION, on_watch);
        curl_easy_setopt(w.h[i], CURLOPT_WRITEDATA, &w.buf[i]);
        curl_easy_setopt(w.h[i], CURLOPT_NOSIGNAL, 1L);
        curl_multi_add_handle(w.multi, w.h[i]);
    }
    free(url);
    pthread_t wt;
    pthread_create(&wt, NULL, watches_main, &w);
    struct sim_stats st;
    double t0 = now_s();
    do {
        struct timespec ts = {0, 20000000L};
        nanosleep(&ts, NULL);
        sim_stats_get(s, &st);
    } while (st.watches_open < NWATCH && now_s() - t0 < 20);
    assert_int_equal(st.watches_open, NWATCH);
    double t_watch = now_s() - t0;

    struct burst b[NTHREADS];
    pthread_t bt[NTHREADS];
    t0 = now_s();
    for (int i = 0; i < NTHREADS; i++) {
        b[i] = (struct burst){.sim = s, .id = i};
        pthread_create(&bt[i], NULL, burst_main, &b[i]);
    }
    int ok = 0, failed = 0;
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(bt[i], NULL);
        ok += b[i].ok;
        failed += b[i].failed;
        if (b[i].failed > 0)
            fprintf(stderr, "burst %d: first failure %s\n", i, b[i].first_failure);
    }
    double t_burst = now_s() - t0;
    assert_int_equal(failed, 0);
    assert_int_equal(ok, NREQ);

    /* A last write reaches every watch. */
    struct sim_status *err = NULL;
    const char *marker = "{\"metadata\":{\"labels\":{\"marker\":\"final-marker\"}}}";
    cJSON *m = sim_store_patch(sim_store(s), "stages", "load", "stage-19", false, SIM_PATCH_MERGE,
                               marker, strlen(marker), NULL, &err);
    assert_non_null(m);
    cJSON_Delete(m);
    t0 = now_s();
    int got = 0;
    while ((got = watches_marked(&w)) < NWATCH && now_s() - t0 < 20) {
        struct timespec ts = {0, 20000000L};
        nanosleep(&ts, NULL);
    }
    double t_fanout = now_s() - t0;
    assert_int_equal(got, NWATCH);
    /* Each watch saw every patch of the burst: NTHREADS stages patched NREQ/5 times in all. */
    int events = 0;
    pthread_mutex_lock(&w.mu);
    for (int i = 0; i < NWATCH; i++)
        events += w.buf[i].modified;
    pthread_mutex_unlock(&w.mu);
    assert_int_equal(events, NWATCH * (NREQ / 5 + 1));

    sim_stats_get(s, &st);
    printf("load: %d watches open in %.2f s; %d requests from %d threads in %.2f s (%.0f/s); "
           "last event reached all watches in %.3f s; %lu events delivered; server counted "
           "get=%lu list=%lu patch=%lu watch=%lu\n",
           NWATCH, t_watch, NREQ, NTHREADS, t_burst, NREQ / t_burst, t_fanout,
           (unsigned long)events, st.requests[SIM_VERB_GET], st.requests[SIM_VERB_LIST],
           st.requests[SIM_VERB_PATCH], st.requests[SIM_VERB_WATCH]);
    assert_int_equal(st.requests[SIM_VERB_WATCH], NWATCH);
    assert_int_equal(st.requests[SIM_VERB_PATCH], NREQ / 5);

    pthread_mutex_lock(&w.mu);
    w.stop = true;
    pthread_mutex_unlock(&w.mu);
    pthread_join(wt, NULL);
    for (int i = 0; i < NWATCH; i++) {
        curl_multi_remove_handle(w.multi, w.h[i]);
        curl_easy_cleanup(w.h[i]);
        strbuf_free(&w.buf[i].pending);
    }
    curl_multi_cleanup(w.multi);
    curl_slist_free_all(w.hdr);
    pthread_mutex_destroy(&w.mu);
    sim_stop(s);
}

/* ---- the large scenario's size ------------------------------------------------------------- */

static void test_large_lists(void **state)
{
    struct sim_config cfg = {.tls = true, .seed = 9, .history = 5000};
    char *cause = NULL;
    struct sim *s = sim_start(&cfg, &cause);
    assert_non_null(s);
    long rss0 = rss_kb();
    double t0 = now_s();
    create(s, "namespaces", "{\"metadata\":{\"name\":\"load\"}}");
    int nstages = 300, nfreight = 10000, npromos = 30000;
    char j[1024];
    for (int i = 0; i < nstages; i++) {
        snprintf(j, sizeof j,
                 "{\"metadata\":{\"name\":\"stage-%03d\",\"namespace\":\"load\"},\"spec\":"
                 "{\"requestedFreight\":[{\"origin\":{\"kind\":\"Warehouse\",\"name\":\"w\"},"
                 "\"sources\":{\"direct\":true}}],\"promotionTemplate\":{\"spec\":{\"steps\":"
                 "[{\"uses\":\"git-clone\"},{\"uses\":\"argocd-update\"}]}}},\"status\":"
                 "{\"freightSummary\":\"f-%05d\",\"health\":{\"status\":\"Healthy\"}}}",
                 i, i);
        create(s, "stages", j);
    }
    for (int i = 0; i < nfreight; i++) {
        snprintf(j, sizeof j,
                 "{\"metadata\":{\"name\":\"f-%05d\",\"namespace\":\"load\",\"labels\":"
                 "{\"kargo.akuity.io/alias\":\"alias-%05d\"}},\"alias\":\"alias-%05d\",\"origin\":"
                 "{\"kind\":\"Warehouse\",\"name\":\"w\"},\"images\":[{\"repoURL\":"
                 "\"public.ecr.aws/nginx/nginx\",\"tag\":\"1.%d.0\",\"digest\":\"sha256:"
                 "b2487a28589657b318e0d63110056e11564e73b9fd3ec4c4afba5542f9d07d46\"}]}",
                 i, i, i, i);
        create(s, "freights", j);
    }
    /* Promotions arrive out of name order, as a controller's would across stages. */
    for (int i = 0; i < npromos; i++) {
        int k = (int)(((long long)i * 7919) % npromos);
        snprintf(j, sizeof j,
                 "{\"metadata\":{\"name\":\"stage-%03d.01k%08d.666209f\",\"namespace\":\"load\","
                 "\"labels\":{\"kargo.akuity.io/stage\":\"stage-%03d\"}},\"spec\":{\"stage\":"
                 "\"stage-%03d\",\"freight\":\"f-%05d\",\"steps\":[{\"uses\":\"git-clone\"}]},"
                 "\"status\":{\"phase\":\"Succeeded\"}}",
                 k % nstages, k, k % nstages, k % nstages, k % nfreight);
        create(s, "promotions", j);
    }
    double t_load = now_s() - t0;
    long rss1 = rss_kb();
    assert_int_equal(sim_store_count(sim_store(s), "promotions", "load"), (size_t)npromos);

    /* Every promotion, page by page, as an informer's first list does. */
    t0 = now_s();
    char path[1024] = NS "/promotions?limit=500";
    int pages = 0, items = 0;
    double worst = 0;
    char last[128] = "";
    for (;;) {
        double p0 = now_s();
        struct simhttp_resp r;
        simhttp_do(s, "admin", "GET", path, NULL, NULL, &r);
        double dt = now_s() - p0;
        if (dt > worst)
            worst = dt;
        assert_int_equal(r.code, 200);
        const cJSON *it;
        cJSON_ArrayForEach(it, json_get(r.json, "items", NULL))
        {
            const char *name = json_get_string(it, "metadata", "name", NULL);
            assert_true(strcmp(name, last) > 0); /* ordered, no duplicates */
            snprintf(last, sizeof last, "%s", name);
            items++;
        }
        pages++;
        const char *cont = json_get_string(r.json, "metadata", "continue", NULL);
        if (cont == NULL) {
            simhttp_free(&r);
            break;
        }
        char *esc = curl_easy_escape(NULL, cont, 0);
        snprintf(path, sizeof path, NS "/promotions?limit=500&continue=%s", esc);
        curl_free(esc);
        simhttp_free(&r);
    }
    double t_list = now_s() - t0;
    assert_int_equal(items, npromos);
    assert_int_equal(pages, (npromos + 499) / 500);

    /* The same list while a controller writes between pages: every page still comes from the
     * first page's snapshot (no write shows), and a page costs the page plus the events since. */
    t0 = now_s();
    snprintf(path, sizeof path, NS "/promotions?limit=500");
    int touched = 0, seen_touched = 0, items2 = 0;
    double worst2 = 0;
    for (;;) {
        double p0 = now_s();
        struct simhttp_resp r;
        simhttp_do(s, "admin", "GET", path, NULL, NULL, &r);
        double dt = now_s() - p0;
        if (dt > worst2)
            worst2 = dt;
        assert_int_equal(r.code, 200);
        const cJSON *it;
        cJSON_ArrayForEach(it, json_get(r.json, "items", NULL))
        {
            items2++;
            if (json_get(it, "metadata", "labels", "touched", (char *)NULL) != NULL)
                seen_touched++;
        }
        const char *cont = json_get_string(r.json, "metadata", "continue", NULL);
        if (cont == NULL) {
            simhttp_free(&r);
            break;
        }
        char *esc = curl_easy_escape(NULL, cont, 0);
        snprintf(path, sizeof path, NS "/promotions?limit=500&continue=%s", esc);
        curl_free(esc);
        simhttp_free(&r);
        for (int k = 0; k < 50; k++, touched++) {
            int n = (int)(((long long)touched * 104729) % npromos);
            char name[64];
            snprintf(name, sizeof name, "stage-%03d.01k%08d.666209f", n % nstages, n);
            struct sim_status *err = NULL;
            struct sim_write_opts o = {.user = "admin"};
            static const char patch[] = "{\"metadata\":{\"labels\":{\"touched\":\"1\"}}}";
            cJSON_Delete(sim_store_patch(sim_store(s), "promotions", "load", name, false,
                                         SIM_PATCH_MERGE, patch, sizeof patch - 1, &o, &err));
            assert_null(err);
        }
    }
    double t_list2 = now_s() - t0;
    assert_int_equal(items2, npromos);
    assert_int_equal(seen_touched, 0);

    /* A label-selected list over all of them, and one page of the Table kubectl asks for. */
    t0 = now_s();
    struct simhttp_resp r;
    simhttp_do(s, "admin", "GET",
               NS "/promotions?labelSelector=kargo.akuity.io%2Fstage%3Dstage-007", NULL, NULL, &r);
    double t_sel = now_s() - t0;
    assert_int_equal(r.code, 200);
    assert_int_equal(cJSON_GetArraySize(json_get(r.json, "items", NULL)), npromos / nstages);
    simhttp_free(&r);
    t0 = now_s();
    simhttp_do(s, "admin", "GET", NS "/freights?limit=500", NULL, NULL, &r);
    double t_freight = now_s() - t0;
    assert_int_equal(cJSON_GetArraySize(json_get(r.json, "items", NULL)), 500);
    simhttp_free(&r);
    /* A write into the big namespace stays cheap. */
    t0 = now_s();
    simhttp_do(s, "admin", "POST", NS "/promotions", "application/json",
               "{\"metadata\":{\"name\":\"stage-000.00000000.aaaaaaa\"},\"spec\":{\"stage\":"
               "\"stage-000\",\"steps\":[{}]}}",
               &r);
    double t_create = now_s() - t0;
    assert_int_equal(r.code, 201);
    simhttp_free(&r);

    printf("large: %d stages, %d freight, %d promotions loaded in %.2f s (+%ld MB RSS); "
           "%d promotions listed in %d pages of 500 in %.2f s (slowest page %.1f ms); "
           "again with %d writes between the pages (one snapshot) in %.2f s (slowest page "
           "%.1f ms); label-selected list %.1f ms; first freight page %.1f ms; create %.1f ms\n",
           nstages, nfreight, npromos, t_load, (rss1 - rss0) / 1024, items, pages, t_list,
           worst * 1000, touched, t_list2, worst2 * 1000, t_sel * 1000, t_freight * 1000,
           t_create * 1000);
    /* Generous bounds (ASan, two shared cores): what matters is no quadratic blow-up. */
    assert_true(worst < 2.0);
    assert_true(worst2 < 2.0);
    assert_true(t_create < 1.0);
    sim_stop(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_watches_and_burst),
        cmocka_unit_test(test_large_lists),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
