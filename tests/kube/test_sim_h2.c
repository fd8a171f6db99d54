/* HTTP/2 for real: nghttpx (TLS, ALPN h2) in front of kargo-sim (HTTP/1.1 behind it). The four
 * Kargo informers and twenty lists, gets and writes share ONE connection, as curl and nghttpx's
 * access log both say; events stream through; a dropped connection resumes every watch on a new
 * one. The same work straight to kargo-sim (HTTP/1.1 over TLS) is counted for comparison. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kube/api.h"
#include "kube/informer.h"
#include "kubetest.h"
#include "sim/sim.h"
#include "sim/tls.h"
#include "util/hmap.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

extern char **environ;

#define NS       "h2"
#define KARGO_GV "kargo.akuity.io/v1alpha1"
#define NKINDS   4
#define NREQ     20

static const char *const kinds[NKINDS] = {"stages", "freights", "promotions", "warehouses"};

/* ---- nghttpx ------------------------------------------------------------------------------ */

/* nghttpx's path: $KT_NGHTTPX if set (another build of it), else from PATH (Debian's
 * nghttp2-proxy installs it in /usr/sbin, often not on a user's PATH); NULL if there is none. */
static char *find_nghttpx(void)
{
    const char *given = getenv("KT_NGHTTPX");
    if (given != NULL)
        return access(given, X_OK) == 0 ? xstrdup(given) : NULL;
    const char *path = getenv("PATH");
    struct strbuf dirs;
    strbuf_init(&dirs);
    strbuf_appendf(&dirs, "%s:/usr/sbin:/usr/local/sbin", path ? path : "");
    char *save = NULL;
    char *found = NULL;
    for (char *d = strtok_r(dirs.buf, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
        char *p = xasprintf("%s/nghttpx", d);
        if (access(p, X_OK) == 0)
            found = p;
        else
            free(p);
    }
    strbuf_free(&dirs);
    return found;
}

struct proxy {
    char *bin;
    char *dir;
    char *key, *cert, *ca; /* files */
    int backend_port;
    int port;
    pid_t pid;
    int runs;
    char *log; /* access log of the current run */
};

static int free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&sa, &len), 0);
    close(s);
    return ntohs(sa.sin_port);
}

static bool accepts(int port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                             .sin_port = htons((uint16_t)port)};
    bool ok = connect(s, (struct sockaddr *)&sa, sizeof sa) == 0;
    close(s);
    return ok;
}

/* Starts nghttpx on p->port; false if it exited (the port was taken). */
static bool proxy_spawn(struct proxy *p)
{
    p->runs++;
    free(p->log);
    p->log = xasprintf("%s/access-%d.log", p->dir, p->runs);
    char *front = xasprintf("--frontend=127.0.0.1,%d", p->port);
    char *back = xasprintf("--backend=127.0.0.1,%d", p->backend_port);
    char *alog = xasprintf("--accesslog-file=%s", p->log);
    char *elog = xasprintf("--errorlog-file=%s/error.log", p->dir);
    char *argv[] = {
        p->bin, "--conf=/dev/null", "--single-process", "--no-ocsp", front, back,
        /* Watches are long and quiet (a BOOKMARK a minute): no read timeout may end them. */
        "--backend-read-timeout=10m", "--frontend-read-timeout=10m",
        "--frontend-http2-read-timeout=10m", "--stream-read-timeout=0", alog,
        /* Logged when the answer's headers come, so open watches are in the log. */
        "--accesslog-write-early", "--accesslog-format=$remote_port $alpn $status $method $path",
        elog, p->key, p->cert, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    int rc = posix_spawn(&p->pid, p->bin, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    free(front);
    free(back);
    free(alog);
    free(elog);
    assert_int_equal(rc, 0);
    long long deadline = kt_now_ms() + 20000;
    while (kt_now_ms() < deadline) {
        int status;
        if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
            p->pid = 0;
            return false;
        }
        if (accepts(p->port))
            return true;
        usleep(20000);
    }
    fail_msg("nghttpx did not listen on port %d within 20 s", p->port);
    return false;
}

static void proxy_kill(struct proxy *p)
{
    if (p->pid <= 0)
        return;
    kill(p->pid, SIGKILL);
    waitpid(p->pid, NULL, 0);
    p->pid = 0;
}

static void proxy_start(struct proxy *p, const char *bin, const char *dir, int backend_port)
{
    memset(p, 0, sizeof *p);
    p->bin = xstrdup(bin);
    p->dir = xstrdup(dir);
    p->backend_port = backend_port;
    struct sim_tls t;
    char *cause = NULL;
    if (sim_tls_generate(&t, &cause) != 0)
        fail_msg("sim_tls_generate: %s", cause);
    p->key = kt_write(dir, "proxy.key", t.key_pem, false);
    p->cert = kt_write(dir, "proxy.crt", t.cert_pem, false);
    p->ca = kt_write(dir, "ca.crt", t.ca_pem, false);
    sim_tls_free(&t);
    for (int tries = 0; tries < 5; tries++) {
        p->port = free_port();
        if (proxy_spawn(p))
            return;
    }
    fail_msg("nghttpx would not start; see %s/error.log", dir);
}

/* Kills nghttpx (every connection drops at once, no GOAWAY) and starts it again on its port. */
static void proxy_restart(struct proxy *p)
{
    proxy_kill(p);
    for (int tries = 0; tries < 50; tries++) {
        if (proxy_spawn(p))
            return;
        usleep(100000); /* the port lingers a moment */
    }
    fail_msg("nghttpx would not start again on port %d", p->port);
}

static void proxy_stop(struct proxy *p)
{
    proxy_kill(p);
    if (p->bin == NULL)
        return;
    free(p->bin);
    free(p->dir);
    free(p->key);
    free(p->cert);
    free(p->ca);
    free(p->log);
    memset(p, 0, sizeof *p);
}

/* What nghttpx's access log of this run says: lines, distinct client ports, lines not h2. */
struct access {
    int lines;
    int ports;
    int not_h2;
    int watches;
};

static struct access access_read(const char *path)
{
    struct access a = {0};
    char *text = kt_slurp(path);
    if (text == NULL)
        return a;
    struct hmap ports;
    hmap_init(&ports);
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char port[16], alpn[32], status[8], method[16], reqpath[2048];
        if (sscanf(line, "%15s %31s %7s %15s %2047s", port, alpn, status, method, reqpath) != 5)
            continue;
        a.lines++;
        if (!hmap_contains(&ports, port))
            hmap_put(&ports, port, NULL);
        if (strcmp(alpn, "h2") != 0)
            a.not_h2++;
        if (strstr(reqpath, "watch=") != NULL)
            a.watches++;
    }
    a.ports = (int)hmap_count(&ports);
    hmap_free(&ports, NULL);
    free(text);
    return a;
}

static bool access_has_watches(void *arg)
{
    struct proxy *p = arg;
    return access_read(p->log).watches >= NKINDS;
}

/* ---- informers ---------------------------------------------------------------------------- */

struct coll {
    pthread_mutex_t mu;
    struct hmap names; /* objects held */
    int relists;
    enum informer_phase phase;
};

static void on_event(void *ctx, enum informer_event t, const cJSON *obj)
{
    struct coll *c = ctx;
    const char *name = json_get_string(obj, "metadata", "name", (char *)NULL);
    pthread_mutex_lock(&c->mu);
    if (t == INFORMER_DELETED)
        hmap_remove(&c->names, name);
    else if (!hmap_contains(&c->names, name))
        hmap_put(&c->names, name, NULL);
    pthread_mutex_unlock(&c->mu);
}

static void on_relist(void *ctx, const cJSON *items)
{
    struct coll *c = ctx;
    pthread_mutex_lock(&c->mu);
    hmap_free(&c->names, NULL);
    hmap_init(&c->names);
    const cJSON *it;
    cJSON_ArrayForEach(it, items)
    {
        hmap_put(&c->names, json_get_string(it, "metadata", "name", (char *)NULL), NULL);
    }
    c->relists++;
    pthread_mutex_unlock(&c->mu);
}

static void on_state(void *ctx, const struct informer_state *st)
{
    struct coll *c = ctx;
    pthread_mutex_lock(&c->mu);
    c->phase = st->phase;
    pthread_mutex_unlock(&c->mu);
}

static bool all_connected(void *arg)
{
    struct coll *cs = arg;
    bool ok = true;
    for (int i = 0; i < NKINDS; i++) {
        pthread_mutex_lock(&cs[i].mu);
        ok = ok && cs[i].phase == INFORMER_CONNECTED && cs[i].relists >= 1;
        pthread_mutex_unlock(&cs[i].mu);
    }
    return ok;
}

struct holds {
    struct coll *c;
    const char *name;
};

static bool coll_holds(void *arg)
{
    struct holds *h = arg;
    pthread_mutex_lock(&h->c->mu);
    bool ok = hmap_contains(&h->c->names, h->name);
    pthread_mutex_unlock(&h->c->mu);
    return ok;
}

struct watchwait {
    struct sim *sim;
    unsigned long n;
};

static bool watches_at_least(void *arg)
{
    struct watchwait *w = arg;
    struct sim_stats st;
    sim_stats_get(w->sim, &st);
    return st.requests[SIM_VERB_WATCH] >= w->n;
}

/* ---- the work ----------------------------------------------------------------------------- */

struct run {
    struct sim *sim;
    char *dir;
    struct kube_config *cfg;
    struct kube_client *client;
    struct coll colls[NKINDS];
    struct informer *infs[NKINDS];
};

static char *write_kubeconfig(const char *dir, const char *server, const char *ca_file,
                              const char *token)
{
    char *text = xasprintf("apiVersion: v1\n"
                           "kind: Config\n"
                           "clusters:\n"
                           "- name: c\n"
                           "  cluster:\n"
                           "    server: %s\n"
                           "    certificate-authority: %s\n"
                           "users:\n"
                           "- name: admin\n"
                           "  user:\n"
                           "    token: %s\n"
                           "contexts:\n"
                           "- name: admin\n"
                           "  context: {cluster: c, user: admin, namespace: " NS "}\n"
                           "current-context: admin\n",
                           server, ca_file, token);
    char *path = kt_write(dir, "config", text, false);
    free(text);
    return path;
}

static void run_connect(struct run *r, const char *kubeconfig)
{
    struct kubeconfig_opts o = {.kubeconfig = kubeconfig};
    char *cause = NULL;
    r->cfg = kubeconfig_load(&o, &cause);
    if (r->cfg == NULL)
        fail_msg("kubeconfig: %s", cause);
    r->client = kube_client_new(r->cfg, &cause);
    assert_non_null(r->client);
}

static cJSON *warehouse(const char *name)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "apiVersion", KARGO_GV);
    cJSON_AddStringToObject(o, "kind", "Warehouse");
    cJSON *md = cJSON_AddObjectToObject(o, "metadata");
    cJSON_AddStringToObject(md, "name", name);
    cJSON_AddStringToObject(md, "namespace", NS);
    cJSON *sub = cJSON_CreateObject();
    cJSON_AddStringToObject(cJSON_AddObjectToObject(sub, "image"), "repoURL", "nginx");
    cJSON *subs = cJSON_AddArrayToObject(cJSON_AddObjectToObject(o, "spec"), "subscriptions");
    cJSON_AddItemToArray(subs, sub);
    return o;
}

static void expect_ok(cJSON *o, struct kube_error *err, const char *what)
{
    if (o == NULL)
        fail_msg("%s: %s", what, err->message);
    cJSON_Delete(o);
}

/* The namespace, the four informers, then NREQ requests (creates, gets, lists, patches of
 * Warehouses), each create seen by the Warehouse informer. */
static void run_work(struct run *r)
{
    struct kube_error err = {0};
    cJSON *ns = cJSON_Parse("{\"apiVersion\":\"v1\",\"kind\":\"Namespace\","
                            "\"metadata\":{\"name\":\"" NS "\"}}");
    struct api_ref nsref = {"v1", "namespaces", NULL, NULL};
    expect_ok(api_create(r->client, &nsref, ns, &err), &err, "create namespace");
    cJSON_Delete(ns);
    for (int i = 0; i < NKINDS; i++) {
        pthread_mutex_init(&r->colls[i].mu, NULL);
        hmap_init(&r->colls[i].names);
        r->colls[i].phase = INFORMER_CONNECTING;
        struct informer_opts o = {.group_version = KARGO_GV, .plural = kinds[i], .namespace = NS};
        struct informer_callbacks cb = {on_event, on_relist, on_state, &r->colls[i]};
        r->infs[i] = informer_start(r->client, &o, &cb);
    }
    assert_true(kt_wait_until(all_connected, r->colls, 30000));
    struct api_ref coll = {KARGO_GV, "warehouses", NS, NULL};
    for (int i = 0; i < NREQ / 4; i++) {
        char name[16];
        snprintf(name, sizeof name, "w%d", i);
        cJSON *w = warehouse(name);
        expect_ok(api_create(r->client, &coll, w, &err), &err, "create");
        cJSON_Delete(w);
        struct holds h = {&r->colls[3], name};
        assert_true(kt_wait_until(coll_holds, &h, 30000)); /* the watch saw it */
        struct api_ref one = {KARGO_GV, "warehouses", NS, name};
        expect_ok(api_get(r->client, &one, &err), &err, "get");
        expect_ok(api_list(r->client, &coll, NULL, NULL, &err), &err, "list");
        expect_ok(api_merge_patch(r->client, &one, NULL,
                                  "{\"metadata\":{\"annotations\":{\"kargo.akuity.io/color\":"
                                  "\"red\"}}}",
                                  &err),
                  &err, "patch");
    }
}

static void run_stop(struct run *r)
{
    for (int i = 0; i < NKINDS; i++) {
        informer_stop(r->infs[i]);
        hmap_free(&r->colls[i].names, NULL);
        pthread_mutex_destroy(&r->colls[i].mu);
    }
    kube_client_free(r->client);
    kubeconfig_free(r->cfg);
    sim_stop(r->sim);
    kt_rmtree(r->dir);
    free(r->dir);
}

static struct sim *sim_up(bool tls)
{
    struct sim_config sc = {.tls = tls, .seed = 42};
    char *cause = NULL;
    struct sim *s = sim_start(&sc, &cause);
    if (s == NULL)
        fail_msg("sim_start: %s", cause);
    return s;
}

/* ---- tests -------------------------------------------------------------------------------- */

struct sockwait {
    struct kube_client *c;
    unsigned long n;
};

static bool open_sockets_are(void *arg)
{
    struct sockwait *w = arg;
    struct kube_client_stats st;
    kube_client_stats(w->c, &st);
    return st.open_sockets == w->n;
}

static int first_port(const char *log)
{
    char *text = kt_slurp(log);
    int port = text ? atoi(text) : 0;
    free(text);
    return port;
}

static void test_everything_multiplexes_on_one_h2_connection(void **state)
{
    struct proxy *pp = *state;
    char *bin = find_nghttpx();
    if (bin == NULL) {
        const char *ci = getenv("CI");
        if (ci != NULL && strcmp(ci, "true") == 0)
            fail_msg("nghttpx is not installed (Debian package nghttp2-proxy; .ci/deps installs "
                     "it): the HTTP/2 test cannot run");
        print_message("nghttpx is not installed (apt-get install nghttp2-proxy); skipped\n");
        skip();
    }
    struct run r = {0};
    r.sim = sim_up(false);
    r.dir = kt_mkdtemp();
    proxy_start(pp, bin, r.dir, sim_port(r.sim));
    char *server = xasprintf("https://127.0.0.1:%d", pp->port);
    char *kc = write_kubeconfig(r.dir, server, pp->ca, sim_token(r.sim, "admin"));
    run_connect(&r, kc);
    long long t0 = kt_now_ms();
    run_work(&r);
    long long took = kt_now_ms() - t0;

    struct kube_client_stats st;
    kube_client_stats(r.client, &st);
    /* 1 namespace + 4 lists + NREQ requests have completed; the 4 watches are still open. */
    assert_true(st.http2 >= 1 + NKINDS + NREQ);
    assert_int_equal(st.http1, 0);
    assert_int_equal(st.connections, 1);
    assert_int_equal(st.open_sockets, 1);
    assert_true(kt_wait_until(access_has_watches, pp, 10000));
    struct access a = access_read(pp->log);
    assert_int_equal(a.ports, 1);
    assert_int_equal(a.not_h2, 0);
    assert_true(a.lines >= 1 + 2 * NKINDS + NREQ);
    print_message("h2 through nghttpx: %lu transfers over HTTP/2 and %lu over HTTP/1.x, %lu TCP "
                  "connection(s) opened, %lu open; nghttpx logged %d requests (%d watches) from "
                  "%d client port(s); work took %lld ms\n",
                  st.http2, st.http1, st.connections, st.open_sockets, a.lines, a.watches, a.ports,
                  took);
    int port1 = first_port(pp->log);

    /* A stalled answer on the shared connection is abandoned by resetting its stream alone:
     * the connection and the watches on it carry on. */
    kube_client_set_timeouts(r.client, 0, 1000);
    kube_client_set_attempts(r.client, 1);
    struct sim_faults stall = {.stall_body_pct = 100};
    sim_faults_set(r.sim, &stall);
    struct kube_error serr = {0};
    struct api_ref w0 = {KARGO_GV, "warehouses", NS, "w0"};
    cJSON *got = api_get(r.client, &w0, &serr);
    assert_null(got);
    assert_non_null(serr.message);
    assert_non_null(strstr(serr.message, "stalled: the server sent nothing for 1 s"));
    kube_error_clear(&serr);
    struct sim_faults none = {0};
    sim_faults_set(r.sim, &none);
    kube_client_set_timeouts(r.client, 0, 0);
    kube_client_set_attempts(r.client, 5);
    cJSON *w = warehouse("after-stall");
    struct api_ref whs = {KARGO_GV, "warehouses", NS, NULL};
    expect_ok(api_create(r.client, &whs, w, &serr), &serr, "create after the stall");
    cJSON_Delete(w);
    struct holds hs = {&r.colls[3], "after-stall"};
    assert_true(kt_wait_until(coll_holds, &hs, 30000));
    kube_client_stats(r.client, &st);
    assert_int_equal(st.open_sockets, 1);
    assert_int_equal(access_read(pp->log).ports, 1);
    for (int i = 0; i < NKINDS; i++) {
        pthread_mutex_lock(&r.colls[i].mu);
        assert_int_equal(r.colls[i].phase, INFORMER_CONNECTED);
        pthread_mutex_unlock(&r.colls[i].mu);
    }
    print_message("a stalled GET on the shared connection was reset alone; the watches and the "
                  "connection stayed\n");

    /* The connection drops (nghttpx killed and started again): every watch resumes on one new
     * connection from its resourceVersion, without a relist, and events flow again. */
    struct sim_stats ss;
    sim_stats_get(r.sim, &ss);
    struct watchwait ww = {r.sim, ss.requests[SIM_VERB_WATCH] + NKINDS};
    t0 = kt_now_ms();
    proxy_restart(pp);
    assert_true(kt_wait_until(watches_at_least, &ww, 60000));
    assert_true(kt_wait_until(all_connected, r.colls, 60000));
    long long resumed = kt_now_ms() - t0;
    struct kube_error err = {0};
    w = warehouse("after-drop");
    struct api_ref coll = {KARGO_GV, "warehouses", NS, NULL};
    expect_ok(api_create(r.client, &coll, w, &err), &err, "create after the drop");
    cJSON_Delete(w);
    struct holds h = {&r.colls[3], "after-drop"};
    assert_true(kt_wait_until(coll_holds, &h, 30000));
    for (int i = 0; i < NKINDS; i++) {
        pthread_mutex_lock(&r.colls[i].mu);
        assert_int_equal(r.colls[i].relists, 1); /* resumed, never listed again */
        pthread_mutex_unlock(&r.colls[i].mu);
    }
    struct sockwait sw = {r.client, 1};
    assert_true(kt_wait_until(open_sockets_are, &sw, 30000));
    kube_client_stats(r.client, &st);
    assert_int_equal(st.http1, 0);
    assert_true(kt_wait_until(access_has_watches, pp, 10000));
    a = access_read(pp->log);
    assert_int_equal(a.ports, 1);
    assert_int_equal(a.not_h2, 0);
    assert_int_not_equal(first_port(pp->log), port1); /* a new connection */
    print_message("after the drop: %d watches resumed on %d new connection (port %d, was %d) in "
                  "%lld ms; %lu socket open\n",
                  a.watches, a.ports, first_port(pp->log), port1, resumed, st.open_sockets);

    run_stop(&r);
    free(server);
    free(kc);
    free(bin);
}

/* The same work straight to kargo-sim, which speaks HTTP/1.1 only: each open watch holds a
 * connection of its own. */
static void test_http1_needs_a_connection_per_watch(void **state)
{
    (void)state;
    struct run r = {0};
    r.sim = sim_up(true);
    r.dir = kt_mkdtemp();
    char *ca = kt_write(r.dir, "ca.crt", sim_ca_pem(r.sim), false);
    char *kc = write_kubeconfig(r.dir, sim_url(r.sim), ca, sim_token(r.sim, "admin"));
    run_connect(&r, kc);
    long long t0 = kt_now_ms();
    run_work(&r);
    long long took = kt_now_ms() - t0;
    struct kube_client_stats st;
    kube_client_stats(r.client, &st);
    assert_int_equal(st.http2, 0);
    assert_true(st.http1 >= 1 + NKINDS + NREQ);
    /* Nothing was closed, so the sockets open are all the connections made: one per watch and
     * at least one for the rest. (st.connections counts only those whose transfers ended.) */
    assert_true(st.open_sockets >= NKINDS + 1);
    print_message("HTTP/1.1 straight to kargo-sim: %lu transfers, %lu TCP connections; work "
                  "took %lld ms\n",
                  st.http1, st.open_sockets, took);
    run_stop(&r);
    free(ca);
    free(kc);
}

/* The proxy lives in the state so that a failed test still kills nghttpx. */
static int proxy_setup(void **state)
{
    *state = xcalloc(1, sizeof(struct proxy));
    return 0;
}

static int proxy_teardown(void **state)
{
    proxy_stop(*state);
    free(*state);
    return 0;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_everything_multiplexes_on_one_h2_connection,
                                        proxy_setup, proxy_teardown),
        cmocka_unit_test(test_http1_needs_a_connection_per_watch),
    };
    return cmocka_run_group_tests_name("h2", tests, NULL, NULL);
}
