/* Informers against kargo-sim over HTTP and HTTPS: resume after the "close every watch" fault
 * with no event lost or duplicated, relist on 410, and the connection state while the server
 * fails and recovers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kube/informer.h"
#include "kubetest.h"
#include "sim/store.h"
#include "simfix.h"
#include "util/hmap.h"
#include "util/json.h"
#include "util/xalloc.h"

/* What the model would hold, fed by the informer's callbacks (on the network thread). */
struct coll {
    pthread_mutex_t mu;
    struct hmap objs;  /* name -> resourceVersion (allocated) */
    struct hmap added; /* name -> number of ADDED events (as a pointer-sized count) */
    int relists;
    int dup_adds; /* ADDED for an object already held */
    int lost;     /* MODIFIED/DELETED for an object not held */
    enum informer_phase phase;
    int retry_in_s;
    char *message;
    int phases_seen[5];
    long long retry_due_ms; /* when the last "retrying in N s" said the retry would come */
};

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void coll_init(struct coll *c)
{
    memset(c, 0, sizeof *c);
    pthread_mutex_init(&c->mu, NULL);
    hmap_init(&c->objs);
    hmap_init(&c->added);
}

static void coll_free(struct coll *c)
{
    hmap_free(&c->objs, free);
    hmap_free(&c->added, NULL);
    free(c->message);
    pthread_mutex_destroy(&c->mu);
}

static void on_event(void *ctx, enum informer_event t, const cJSON *obj)
{
    struct coll *c = ctx;
    const char *name = json_get_string(obj, "metadata", "name", (char *)NULL);
    const char *rv = json_get_string(obj, "metadata", "resourceVersion", (char *)NULL);
    pthread_mutex_lock(&c->mu);
    if (t == INFORMER_ADDED) {
        if (hmap_contains(&c->objs, name))
            c->dup_adds++;
        uintptr_t n = (uintptr_t)hmap_get(&c->added, name);
        hmap_put(&c->added, name, (void *)(n + 1));
    } else if (!hmap_contains(&c->objs, name)) {
        c->lost++;
    }
    if (t == INFORMER_DELETED)
        free(hmap_remove(&c->objs, name));
    else
        free(hmap_put(&c->objs, name, xstrdup(rv ? rv : "")));
    pthread_mutex_unlock(&c->mu);
}

static void on_relist(void *ctx, const cJSON *items)
{
    struct coll *c = ctx;
    pthread_mutex_lock(&c->mu);
    hmap_free(&c->objs, free);
    hmap_init(&c->objs);
    const cJSON *it;
    cJSON_ArrayForEach(it, items)
    {
        const char *rv = json_get_string(it, "metadata", "resourceVersion", (char *)NULL);
        hmap_put(&c->objs, json_get_string(it, "metadata", "name", (char *)NULL),
                 xstrdup(rv ? rv : ""));
    }
    c->relists++;
    pthread_mutex_unlock(&c->mu);
}

static void on_state(void *ctx, const struct informer_state *st)
{
    struct coll *c = ctx;
    pthread_mutex_lock(&c->mu);
    c->phase = st->phase;
    c->retry_in_s = st->retry_in_s;
    free(c->message);
    c->message = st->message ? xstrdup(st->message) : NULL;
    c->phases_seen[st->phase]++;
    if (st->phase == INFORMER_RETRYING)
        c->retry_due_ms = mono_ms() + st->retry_in_s * 1000LL;
    pthread_mutex_unlock(&c->mu);
}

struct matchwait {
    struct simfix *f;
    struct coll *c;
    const char *ns;
};

/* The collector holds exactly the store's objects, at the store's resourceVersions. */
static bool in_sync(void *arg)
{
    struct matchwait *w = arg;
    struct sim_status *err = NULL;
    cJSON *items = sim_store_list(sim_store(w->f->sim), "events", w->ns, NULL, &err);
    bool ok = items != NULL;
    pthread_mutex_lock(&w->c->mu);
    ok = ok && hmap_count(&w->c->objs) == (size_t)cJSON_GetArraySize(items);
    const cJSON *it;
    cJSON_ArrayForEach(it, items)
    {
        if (!ok)
            break;
        const char *rv =
            hmap_get(&w->c->objs, json_get_string(it, "metadata", "name", (char *)NULL));
        const char *want = json_get_string(it, "metadata", "resourceVersion", (char *)NULL);
        ok = rv != NULL && want != NULL && strcmp(rv, want) == 0;
    }
    pthread_mutex_unlock(&w->c->mu);
    cJSON_Delete(items);
    if (err)
        sim_status_free(err);
    return ok;
}

struct phasewait {
    struct coll *c;
    enum informer_phase phase;
};

static bool in_phase(void *arg)
{
    struct phasewait *w = arg;
    pthread_mutex_lock(&w->c->mu);
    bool ok = w->c->phase == w->phase;
    pthread_mutex_unlock(&w->c->mu);
    return ok;
}

struct relistwait {
    struct coll *c;
    int n;
};

static bool relisted(void *arg)
{
    struct relistwait *w = arg;
    pthread_mutex_lock(&w->c->mu);
    bool ok = w->c->relists >= w->n;
    pthread_mutex_unlock(&w->c->mu);
    return ok;
}

struct watchwait {
    struct simfix *f;
    unsigned long n;
};

static bool watches_at_least(void *arg)
{
    struct watchwait *w = arg;
    struct sim_stats st;
    sim_stats_get(w->f->sim, &st);
    return st.requests[SIM_VERB_WATCH] >= w->n;
}

static unsigned long watch_count(struct simfix *f)
{
    struct sim_stats st;
    sim_stats_get(f->sim, &st);
    return st.requests[SIM_VERB_WATCH];
}

static struct informer *start(struct simfix *f, struct coll *c, const char *ns)
{
    struct informer_opts o = {.group_version = "v1", .plural = "events", .namespace = ns};
    struct informer_callbacks cb = {on_event, on_relist, on_state, c};
    struct informer *inf = informer_start(f->client, &o, &cb);
    struct phasewait pw = {c, INFORMER_CONNECTED};
    assert_true(kt_wait_until(in_phase, &pw, 10000));
    return inf;
}

static void store_create(struct simfix *f, const char *ns, const char *name)
{
    struct sim_write_opts wo = {.skip_admission = true};
    struct sim_status *err = NULL;
    cJSON *o = simfix_event(ns, name);
    cJSON *made = sim_store_create(sim_store(f->sim), "events", ns, o, &wo, &err);
    assert_non_null(made);
    cJSON_Delete(made);
    cJSON_Delete(o);
}

static void store_modify(struct simfix *f, const char *ns, const char *name, int i)
{
    struct sim_write_opts wo = {.skip_admission = true};
    struct sim_status *err = NULL;
    char patch[64];
    snprintf(patch, sizeof patch, "{\"message\":\"changed %d\"}", i);
    cJSON *made = sim_store_patch(sim_store(f->sim), "events", ns, name, false, SIM_PATCH_MERGE,
                                  patch, strlen(patch), &wo, &err);
    assert_non_null(made);
    cJSON_Delete(made);
}

static void store_delete(struct simfix *f, const char *ns, const char *name)
{
    struct sim_write_opts wo = {.skip_admission = true};
    struct sim_status *err = NULL;
    cJSON *gone = sim_store_delete(sim_store(f->sim), "events", ns, name, &wo, &err);
    assert_non_null(gone);
    cJSON_Delete(gone);
}

static void test_resume_after_close_every_watch_loses_nothing(void **state)
{
    struct simfix *f = *state;
    simfix_start(f, "viewer");
    simfix_seed_events(f, "w", 5);
    struct coll c;
    coll_init(&c);
    /* The sim applies the fault to watches opened after it is set. */
    struct sim_faults faults = {.watch_close_s = 1};
    simfix_faults(f, &faults);
    struct informer *inf = start(f, &c, "w");

    /* Changes in four rounds, each after the server has ended a watch and the client reopened
     * it, so events fall before, during and after reconnects. */
    char name[32];
    int made = 0;
    for (int round = 0; round < 4; round++) {
        for (int i = 0; i < 10; i++, made++) {
            snprintf(name, sizeof name, "new-%03d", made);
            store_create(f, "w", name);
        }
        snprintf(name, sizeof name, "ev-%05d", round);
        store_modify(f, "w", name, round);
        snprintf(name, sizeof name, "new-%03d", made - 5);
        store_delete(f, "w", name);
        struct watchwait ww = {f, watch_count(f) + 1};
        assert_true(kt_wait_until(watches_at_least, &ww, 10000));
    }
    struct matchwait mw = {f, &c, "w"};
    assert_true(kt_wait_until(in_sync, &mw, 10000));
    informer_stop(inf);

    /* The UI's wake-up pipe was made readable by the deliveries, and drains. */
    struct pollfd pfd = {.fd = kube_client_wake_fd(f->client), .events = POLLIN};
    assert_int_equal(poll(&pfd, 1, 0), 1);
    kube_client_wake_drain(f->client);
    assert_int_equal(poll(&pfd, 1, 0), 0);

    assert_int_equal(c.relists, 1); /* resumed every time, never listed again */
    assert_int_equal(c.dup_adds, 0);
    assert_int_equal(c.lost, 0);
    for (int i = 0; i < made; i++) {
        snprintf(name, sizeof name, "new-%03d", i);
        assert_int_equal((uintptr_t)hmap_get(&c.added, name), 1);
    }
    assert_true(watch_count(f) >= 5);
    print_message("%s: %d objects created, %lu watches (resumed %lu times), %d relist, 0 lost, "
                  "0 duplicated\n",
                  f->tls ? "https" : "http", made, watch_count(f), watch_count(f) - 1, c.relists);
    coll_free(&c);
}

static void test_relist_on_410(void **state)
{
    struct simfix *f = *state;
    simfix_start(f, "viewer");
    simfix_seed_events(f, "g", 3);
    struct coll c;
    coll_init(&c);
    struct sim_faults faults = {.watch_close_s = 1};
    simfix_faults(f, &faults);
    struct informer *inf = start(f, &c, "g");
    /* The server forgets its history: the next resume gets 410 and the client lists again. */
    simfix_seed_events(f, "elsewhere", 0);
    faults.forget_history = true;
    simfix_faults(f, &faults);
    store_create(f, "g", "after-forget");
    store_delete(f, "g", "ev-00001");
    /* A change this watch does not see moves the global resourceVersion past the client's, so
     * the forgotten history is history it needed. */
    store_create(f, "elsewhere", "unseen");
    struct relistwait rw = {&c, 2};
    assert_true(kt_wait_until(relisted, &rw, 10000));
    /* History kept again: the client settles into watching and catches up. */
    faults.forget_history = false;
    simfix_faults(f, &faults);
    store_create(f, "g", "after-recovery");
    struct matchwait mw = {f, &c, "g"};
    assert_true(kt_wait_until(in_sync, &mw, 10000));
    informer_stop(inf);
    coll_free(&c);
}

/* The informer's first list is paged; the history is compacted between its pages: the next page
 * is 410 Expired and the informer lists again from the start, delivering every object once. */
static void test_informer_relists_when_continue_expires(void **state)
{
    struct simfix *f = *state;
    simfix_start(f, "viewer");
    simfix_seed_events(f, "paged", 1100);
    struct sim_faults faults = {.latency_ms = 2000};
    simfix_faults(f, &faults);
    struct simfix_compactor *comp = simfix_compact_after_lists(f, 1);
    struct coll c;
    coll_init(&c);
    struct informer_opts o = {.group_version = "v1", .plural = "events", .namespace = "paged"};
    struct informer_callbacks cb = {on_event, on_relist, on_state, &c};
    struct informer *inf = informer_start(f->client, &o, &cb);
    assert_true(simfix_compactor_join(comp));
    struct relistwait rw = {&c, 1};
    assert_true(kt_wait_until(relisted, &rw, 60000));
    struct sim_stats st;
    sim_stats_get(f->sim, &st);
    assert_true(st.requests[SIM_VERB_LIST] >= 5); /* 1, 2 (410), then 1 to 3 again */
    faults.latency_ms = 0;
    simfix_faults(f, &faults);
    struct matchwait mw = {f, &c, "paged"};
    assert_true(kt_wait_until(in_sync, &mw, 30000));
    pthread_mutex_lock(&c.mu);
    assert_int_equal(c.relists, 1); /* the broken list was never delivered */
    assert_int_equal(c.dup_adds, 0);
    pthread_mutex_unlock(&c.mu);
    informer_stop(inf);
    coll_free(&c);
}

/* A watch on which nothing arrives for the idle timeout (no event, no BOOKMARK: the server's
 * bookmarks come every 60 s here) is taken for a dead connection: the informer resumes on a new
 * one from its resourceVersion, without reporting trouble and without losing an event. */
static void test_idle_watch_is_resumed(void **state)
{
    struct simfix *f = *state;
    simfix_start(f, "viewer");
    simfix_seed_events(f, "quiet", 2);
    struct coll c;
    coll_init(&c);
    struct informer_opts o = {
        .group_version = "v1", .plural = "events", .namespace = "quiet", .idle_timeout_s = 2};
    struct informer_callbacks cb = {on_event, on_relist, on_state, &c};
    struct informer *inf = informer_start(f->client, &o, &cb);
    struct phasewait pw = {&c, INFORMER_CONNECTED};
    assert_true(kt_wait_until(in_phase, &pw, 10000));
    unsigned long w0 = watch_count(f);
    struct watchwait ww = {f, w0 + 2}; /* two silent periods, two resumes */
    assert_true(kt_wait_until(watches_at_least, &ww, 30000));
    store_create(f, "quiet", "after-idle");
    struct matchwait mw = {f, &c, "quiet"};
    assert_true(kt_wait_until(in_sync, &mw, 10000));
    pthread_mutex_lock(&c.mu);
    assert_int_equal(c.relists, 1); /* resumed, never listed again */
    assert_int_equal(c.phases_seen[INFORMER_RETRYING], 0);
    assert_int_equal(c.lost + c.dup_adds, 0);
    pthread_mutex_unlock(&c.mu);
    informer_stop(inf);
    coll_free(&c);
}

static void test_state_retrying_then_connected(void **state)
{
    struct simfix *f = *state;
    simfix_start(f, "viewer");
    simfix_seed_events(f, "s", 1);
    struct coll c;
    coll_init(&c);
    struct sim_faults faults = {.watch_close_s = 1};
    simfix_faults(f, &faults);
    struct informer *inf = start(f, &c, "s");
    faults.error500_pct = 100;
    simfix_faults(f, &faults);
    struct phasewait pw = {&c, INFORMER_RETRYING};
    assert_true(kt_wait_until(in_phase, &pw, 10000));
    pthread_mutex_lock(&c.mu);
    assert_true(c.retry_in_s >= 1);
    assert_non_null(c.message);
    assert_non_null(strstr(c.message, "HTTP 500"));
    pthread_mutex_unlock(&c.mu);
    faults.error500_pct = 0;
    simfix_faults(f, &faults);
    store_create(f, "s", "while-down");
    pw.phase = INFORMER_CONNECTED;
    assert_true(kt_wait_until(in_phase, &pw, 15000));
    struct matchwait mw = {f, &c, "s"};
    assert_true(kt_wait_until(in_sync, &mw, 10000));
    informer_stop(inf);
    coll_free(&c);
}

/* After an outage long enough for the backoff to grow, the informer does not wait out the rest of
 * it: the client's probe sees the server answer again and the informer reconnects at once. */
static void test_backoff_ends_when_the_server_is_back(void **state)
{
    struct simfix *f = *state;
    simfix_start(f, "viewer");
    simfix_seed_events(f, "s", 1);
    struct coll c;
    coll_init(&c);
    struct sim_faults faults = {.watch_close_s = 1};
    simfix_faults(f, &faults);
    struct informer *inf = start(f, &c, "s");
    faults.error500_pct = 100;
    simfix_faults(f, &faults);
    /* down until the informer's next retry is at least 6 s away */
    long long deadline = mono_ms() + 60000, wait_left = 0;
    while (mono_ms() < deadline) {
        pthread_mutex_lock(&c.mu);
        wait_left = c.phase == INFORMER_RETRYING ? c.retry_due_ms - mono_ms() : 0;
        pthread_mutex_unlock(&c.mu);
        if (wait_left >= 6000)
            break;
        poll(NULL, 0, 50);
    }
    assert_true(wait_left >= 6000);
    faults.error500_pct = 0;
    simfix_faults(f, &faults);
    long long back = mono_ms();
    store_create(f, "s", "after-the-outage");
    struct phasewait pw = {&c, INFORMER_CONNECTED};
    assert_true(kt_wait_until(in_phase, &pw, 15000));
    long long took = mono_ms() - back;
    printf("backoff had %lld ms left; connected again %lld ms after the server was back\n",
           wait_left, took);
    /* the probe runs every 2 s; 4.5 s leaves room for a loaded machine and stays well under
     * the 6 s the backoff alone would have taken */
    assert_true(took < 4500);
    struct matchwait mw = {f, &c, "s"};
    assert_true(kt_wait_until(in_sync, &mw, 10000));
    informer_stop(inf);
    coll_free(&c);
}

static void test_polling_when_watch_is_forbidden(void **state)
{
    struct simfix *f = *state;
    simfix_start(f, "viewer");
    simfix_seed_events(f, "q", 2);
    struct sim_faults faults = {.deny_watch = true};
    simfix_faults(f, &faults);
    struct coll c;
    coll_init(&c);
    struct informer_opts o = {
        .group_version = "v1", .plural = "events", .namespace = "q", .poll_interval_s = 1};
    struct informer_callbacks cb = {on_event, on_relist, on_state, &c};
    struct informer *inf = informer_start(f->client, &o, &cb);
    struct phasewait pw = {&c, INFORMER_POLLING};
    assert_true(kt_wait_until(in_phase, &pw, 10000));
    pthread_mutex_lock(&c.mu);
    assert_non_null(c.message);
    assert_non_null(strstr(c.message, "listing every 1 s"));
    assert_non_null(strstr(c.message, "cannot watch"));
    pthread_mutex_unlock(&c.mu);
    unsigned long watches = watch_count(f);
    store_create(f, "q", "seen-by-polling");
    store_delete(f, "q", "ev-00000");
    struct matchwait mw = {f, &c, "q"};
    assert_true(kt_wait_until(in_sync, &mw, 10000));
    informer_stop(inf);
    assert_int_equal(watch_count(f), watches); /* no more watch attempts while polling */
    assert_true(c.relists >= 2);
    coll_free(&c);
}

/* Pages to on_relist_page as they come: the list is never whole in memory. */
struct pages {
    pthread_mutex_t mu;
    int pages, items, firsts, lasts;
    bool order_ok; /* first only on the first page of a relist, last only on its last */
    bool open;     /* between a first and a last */
    enum informer_phase phase;
};

static void pages_page(void *ctx, const cJSON *items, bool first, bool last)
{
    struct pages *p = ctx;
    pthread_mutex_lock(&p->mu);
    if (first == p->open)
        p->order_ok = false;
    p->open = !last;
    p->pages++;
    p->items += cJSON_GetArraySize(items);
    p->firsts += first;
    p->lasts += last;
    pthread_mutex_unlock(&p->mu);
}

static void pages_state(void *ctx, const struct informer_state *st)
{
    struct pages *p = ctx;
    pthread_mutex_lock(&p->mu);
    p->phase = st->phase;
    pthread_mutex_unlock(&p->mu);
}

static bool pages_connected(void *ctx)
{
    struct pages *p = ctx;
    pthread_mutex_lock(&p->mu);
    bool done = p->phase == INFORMER_CONNECTED && p->lasts > 0;
    pthread_mutex_unlock(&p->mu);
    return done;
}

static void test_relist_page_by_page(void **state)
{
    struct simfix *f = *state;
    simfix_start(f, "viewer");
    simfix_seed_events(f, "p", 1201);
    struct sim_stats before;
    sim_stats_get(f->sim, &before);
    struct pages p = {.order_ok = true};
    pthread_mutex_init(&p.mu, NULL);
    struct informer_opts o = {.group_version = "v1", .plural = "events", .namespace = "p"};
    struct informer_callbacks cb = {NULL, NULL, pages_state, &p};
    struct informer *inf = informer_start_paged(f->client, &o, &cb, pages_page);
    assert_true(kt_wait_until(pages_connected, &p, 10000));
    informer_stop(inf);
    struct sim_stats after;
    sim_stats_get(f->sim, &after);
    assert_int_equal(p.pages, 3); /* 500 + 500 + 201 */
    assert_int_equal(p.items, 1201);
    assert_int_equal(p.firsts, 1);
    assert_int_equal(p.lasts, 1);
    assert_true(p.order_ok);
    assert_int_equal(after.requests[SIM_VERB_LIST] - before.requests[SIM_VERB_LIST], 3);
    pthread_mutex_destroy(&p.mu);
}

#define T(fn) SIMFIX_TEST(fn)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_resume_after_close_every_watch_loses_nothing),
        T(test_relist_on_410),
        T(test_informer_relists_when_continue_expires),
        T(test_idle_watch_is_resumed),
        T(test_state_retrying_then_connected),
        T(test_backoff_ends_when_the_server_is_back),
        T(test_polling_when_watch_is_forbidden),
        T(test_relist_page_by_page),
    };
    int rc = simfix_run_http_and_https(tests);
    return rc;
}
