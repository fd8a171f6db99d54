/* The client's connect and idle timeouts: a server that never completes the TCP handshake is
 * given up after the connect timeout with a message naming it (and informers say "retrying"
 * without anyone waiting), and a stalled answer is abandoned after the idle timeout: a GET is
 * retried, a POST is looked up and never repeated. Over HTTP and HTTPS against kargo-sim. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kube/api.h"
#include "kube/informer.h"
#include "kubetest.h"
#include "simfix.h"
#include "util/xalloc.h"

/* A kubeconfig for https://127.0.0.1:port with a token; returns its path in dir. */
static char *blackhole_kubeconfig(const char *dir, int port)
{
    char *text = xasprintf("apiVersion: v1\n"
                           "kind: Config\n"
                           "clusters:\n"
                           "- name: nowhere\n"
                           "  cluster:\n"
                           "    server: https://127.0.0.1:%d\n"
                           "    insecure-skip-tls-verify: true\n"
                           "users:\n"
                           "- name: u\n"
                           "  user:\n"
                           "    token: not-a-secret-anyone-sees\n"
                           "contexts:\n"
                           "- name: c\n"
                           "  context: {cluster: nowhere, user: u, namespace: default}\n"
                           "current-context: c\n",
                           port);
    char *path = kt_write(dir, "config", text, false);
    free(text);
    return path;
}

struct states {
    pthread_mutex_t mu;
    enum informer_phase phase;
    int retry_in_s;
    char *message;
    long long retrying_at; /* when RETRYING was first reported */
    long long stalled_at;  /* when a state was first reported for an answer that stalled */
    enum informer_phase stalled_phase; /* and which */
};

static void states_on_state(void *ctx, const struct informer_state *st)
{
    struct states *s = ctx;
    pthread_mutex_lock(&s->mu);
    s->phase = st->phase;
    s->retry_in_s = st->retry_in_s;
    free(s->message);
    s->message = st->message ? xstrdup(st->message) : NULL;
    if (st->phase == INFORMER_RETRYING && s->retrying_at == 0)
        s->retrying_at = kt_now_ms();
    if (s->stalled_at == 0 && st->message != NULL &&
        strstr(st->message, "stalled: the server sent nothing for 1 s") != NULL) {
        s->stalled_at = kt_now_ms();
        s->stalled_phase = st->phase;
    }
    pthread_mutex_unlock(&s->mu);
}

static bool states_retrying(void *ctx)
{
    struct states *s = ctx;
    pthread_mutex_lock(&s->mu);
    bool ok = s->phase == INFORMER_RETRYING;
    pthread_mutex_unlock(&s->mu);
    return ok;
}

static void test_connect_timeout_names_the_server(void **state)
{
    (void)state;
    struct kt_blackhole b;
    assert_int_equal(kt_blackhole_open(&b), 0);
    char *dir = kt_mkdtemp();
    char *path = blackhole_kubeconfig(dir, b.port);
    struct kubeconfig_opts o = {.kubeconfig = path};
    char *cause = NULL;
    struct kube_config *cfg = kubeconfig_load(&o, &cause);
    assert_non_null(cfg);
    struct kube_client *c = kube_client_new(cfg, &cause);
    assert_non_null(c);
    kube_client_set_timeouts(c, 1000, 0);
    kube_client_set_attempts(c, 1);

    /* A synchronous request (a script's, an action's) gives up after the connect timeout. */
    struct api_ref ref = {"v1", "events", "default", NULL};
    struct kube_error err = {0};
    long long t0 = kt_now_ms();
    cJSON *list = api_list(c, &ref, NULL, NULL, &err);
    long long took = kt_now_ms() - t0;
    assert_null(list);
    char *want = xasprintf("cannot connect to https://127.0.0.1:%d: timed out after 1 s", b.port);
    assert_non_null(err.message);
    if (strstr(err.message, want) == NULL)
        fail_msg("message: %s", err.message);
    assert_null(strstr(err.message, "not-a-secret"));
    assert_true(took >= 900 && took < 20000);
    print_message("connect timeout: api_list gave up after %lld ms: %s\n", took, err.message);
    kube_error_clear(&err);

    /* An informer reports it asynchronously: informer_start returns at once, and "retrying in
     * N s" comes later from the network thread. */
    struct states s = {.phase = INFORMER_CONNECTING};
    pthread_mutex_init(&s.mu, NULL);
    struct informer_opts io = {.group_version = "v1", .plural = "events", .namespace = "default"};
    struct informer_callbacks cb = {NULL, NULL, states_on_state, &s};
    t0 = kt_now_ms();
    struct informer *inf = informer_start(c, &io, &cb);
    long long returned = kt_now_ms();
    assert_true(kt_wait_until(states_retrying, &s, 30000));
    pthread_mutex_lock(&s.mu);
    assert_true(returned < s.retrying_at); /* the caller never waited for the network */
    assert_true(s.retrying_at - t0 >= 900);
    assert_true(s.retry_in_s >= 1);
    assert_non_null(s.message);
    if (strstr(s.message, want) == NULL)
        fail_msg("informer message: %s", s.message);
    print_message("connect timeout: informer_start returned in %lld ms; \"retrying in %d s\" "
                  "reported after %lld ms\n",
                  returned - t0, s.retry_in_s, s.retrying_at - t0);
    pthread_mutex_unlock(&s.mu);
    informer_stop(inf);
    free(s.message);
    pthread_mutex_destroy(&s.mu);
    free(want);
    kube_client_free(c);
    kubeconfig_free(cfg);
    kt_rmtree(dir);
    free(dir);
    free(path);
    kt_blackhole_close(&b);
}

static bool fault_injected(void *arg)
{
    struct simfix *f = arg;
    struct sim_stats st;
    sim_stats_get(f->sim, &st);
    return st.faults_injected >= 1;
}

static unsigned long verb_count(struct simfix *f, enum sim_verb v)
{
    struct sim_stats st;
    sim_stats_get(f->sim, &st);
    return st.requests[v];
}

/* With every answer stalled and one attempt, a GET ends after the idle timeout with a message
 * saying so. */
static void test_stalled_get_gives_a_clear_error(void **state)
{
    struct simfix *f = *state;
    simfix_start(f, "admin");
    simfix_seed_events(f, "stall", 3);
    kube_client_set_timeouts(f->client, 0, 1000);
    kube_client_set_attempts(f->client, 1);
    struct sim_faults faults = {.stall_body_pct = 100};
    simfix_faults(f, &faults);
    struct api_ref ref = {"v1", "events", "stall", "ev-00001"};
    struct kube_error err = {0};
    long long t0 = kt_now_ms();
    cJSON *o = api_get(f->client, &ref, &err);
    long long took = kt_now_ms() - t0;
    assert_null(o);
    assert_non_null(err.message);
    const char *want = "GET /api/v1/namespaces/stall/events/ev-00001 stalled: the server sent "
                       "nothing for 1 s";
    if (strstr(err.message, want) == NULL)
        fail_msg("message: %s", err.message);
    assert_true(took >= 900 && took < 20000);
    assert_int_equal(verb_count(f, SIM_VERB_GET), 1);
    print_message("%s: stalled GET abandoned after %lld ms: %s\n", f->tls ? "https" : "http", took,
                  err.message);
    kube_error_clear(&err);
}

struct call {
    struct simfix *f;
    cJSON *result;
    struct kube_error err;
    bool create;
    long long took;
};

static void *call_run(void *arg)
{
    struct call *k = arg;
    long long t0 = kt_now_ms();
    if (k->create) {
        struct api_ref ref = {"v1", "events", "stall", NULL};
        cJSON *ev = simfix_event("stall", "made-once");
        k->result = api_create(k->f->client, &ref, ev, &k->err);
        cJSON_Delete(ev);
    } else {
        struct api_ref ref = {"v1", "events", "stall", NULL};
        k->result = api_list(k->f->client, &ref, NULL, NULL, &k->err);
    }
    k->took = kt_now_ms() - t0;
    return NULL;
}

/* The stall lasts for the first answer only (the fault is lifted once it struck): the idempotent
 * list is abandoned after the idle timeout and retried with backoff, and succeeds. */
static void test_stalled_list_is_retried(void **state)
{
    struct simfix *f = *state;
    simfix_start(f, "admin");
    simfix_seed_events(f, "stall", 3);
    kube_client_set_timeouts(f->client, 0, 1000);
    struct sim_faults faults = {.stall_body_pct = 100};
    simfix_faults(f, &faults);
    unsigned long lists0 = verb_count(f, SIM_VERB_LIST);
    struct call k = {.f = f};
    pthread_t t;
    pthread_create(&t, NULL, call_run, &k);
    assert_true(kt_wait_until(fault_injected, f, 30000));
    struct sim_faults none = {0};
    simfix_faults(f, &none);
    pthread_join(t, NULL);
    if (k.result == NULL)
        fail_msg("list failed: %s", k.err.message);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(k.result, "items")), 3);
    assert_true(verb_count(f, SIM_VERB_LIST) - lists0 >= 2);
    assert_true(k.took >= 1700); /* 1 s idle, then at least 0.8 s backoff */
    print_message("%s: stalled list retried, answered after %lld ms (%lu requests)\n",
                  f->tls ? "https" : "http", k.took, verb_count(f, SIM_VERB_LIST) - lists0);
    cJSON_Delete(k.result);
}

/* A POST whose answer stalls has reached the server: it is not sent again; the object is looked
 * up and returned, and exists once. */
static void test_stalled_post_is_looked_up_not_repeated(void **state)
{
    struct simfix *f = *state;
    simfix_start(f, "admin");
    simfix_seed_events(f, "stall", 0);
    kube_client_set_timeouts(f->client, 0, 1000);
    struct sim_faults faults = {.stall_body_pct = 100};
    simfix_faults(f, &faults);
    unsigned long creates0 = verb_count(f, SIM_VERB_CREATE);
    struct call k = {.f = f, .create = true};
    pthread_t t;
    pthread_create(&t, NULL, call_run, &k);
    assert_true(kt_wait_until(fault_injected, f, 30000));
    struct sim_faults none = {0};
    simfix_faults(f, &none);
    pthread_join(t, NULL);
    if (k.result == NULL)
        fail_msg("create failed: %s", k.err.message);
    assert_string_equal(cJSON_GetStringValue(
                            cJSON_GetObjectItem(cJSON_GetObjectItem(k.result, "metadata"), "name")),
                        "made-once");
    assert_int_equal(verb_count(f, SIM_VERB_CREATE) - creates0, 1);
    assert_true(k.took >= 900);
    cJSON_Delete(k.result);
    struct api_ref ref = {"v1", "events", "stall", NULL};
    struct kube_error err = {0};
    cJSON *list = api_list(f->client, &ref, NULL, NULL, &err);
    assert_non_null(list);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(list, "items")), 1);
    cJSON_Delete(list);
    print_message("%s: stalled POST looked up after %lld ms, sent once\n",
                  f->tls ? "https" : "http", k.took);
}

static bool states_connected(void *ctx)
{
    struct states *s = ctx;
    pthread_mutex_lock(&s->mu);
    bool ok = s->phase == INFORMER_CONNECTED;
    pthread_mutex_unlock(&s->mu);
    return ok;
}

static bool states_stalled(void *ctx)
{
    struct states *s = ctx;
    pthread_mutex_lock(&s->mu);
    bool ok = s->stalled_at != 0;
    pthread_mutex_unlock(&s->mu);
    return ok;
}

/* A watch's own idle limit (180 s by default: a quiet watch sends nothing for minutes) is for
 * its 2xx stream. An error answer to a watch (here RBAC's 403, whose body stalls halfway) is
 * abandoned after the client's idle timeout like any other answer, so the informer goes on to
 * poll within seconds, not minutes. */
static void test_stalled_watch_error_is_abandoned(void **state)
{
    struct simfix *f = *state;
    simfix_start(f, "admin");
    simfix_seed_events(f, "stall", 2);
    kube_client_set_timeouts(f->client, 0, 1000);
    struct sim_faults faults = {.watch_close_s = 1};
    simfix_faults(f, &faults);
    struct states s = {.phase = INFORMER_CONNECTING};
    pthread_mutex_init(&s.mu, NULL);
    struct informer_opts io = {.group_version = "v1", .plural = "events", .namespace = "stall"};
    struct informer_callbacks cb = {NULL, NULL, states_on_state, &s};
    struct informer *inf = informer_start(f->client, &io, &cb);
    assert_true(kt_wait_until(states_connected, &s, 30000));
    /* the watch ends each second; its resume is refused with a 403 that stalls */
    faults.deny_watch = true;
    faults.stall_body_pct = 100;
    simfix_faults(f, &faults);
    assert_true(kt_wait_until(fault_injected, f, 30000));
    long long t0 = kt_now_ms();
    struct sim_faults none = {0};
    simfix_faults(f, &none);
    /* the watch's own limit would have held it for 180 s */
    assert_true(kt_wait_until(states_stalled, &s, 30000));
    pthread_mutex_lock(&s.mu);
    long long stalled = s.stalled_at - t0;
    enum informer_phase phase = s.stalled_phase;
    pthread_mutex_unlock(&s.mu);
    print_message("%s: watch refused with a stalled 403: abandoned and reported %lld ms after "
                  "the stall began\n",
                  f->tls ? "https" : "http", stalled);
    assert_int_equal(phase, INFORMER_POLLING); /* a 403, however it ended: poll */
    assert_true(stalled < 10000);
    informer_stop(inf);
    free(s.message);
    pthread_mutex_destroy(&s.mu);
}

#define T(fn) SIMFIX_TEST(fn)

int main(void)
{
    const struct CMUnitTest connect[] = {
        cmocka_unit_test(test_connect_timeout_names_the_server),
    };
    const struct CMUnitTest tests[] = {
        T(test_stalled_get_gives_a_clear_error),
        T(test_stalled_list_is_retried),
        T(test_stalled_watch_error_is_abandoned),
        T(test_stalled_post_is_looked_up_not_repeated),
    };
    int rc = cmocka_run_group_tests_name("connect", connect, NULL, NULL);
    rc += simfix_run_http_and_https(tests);
    return rc;
}
