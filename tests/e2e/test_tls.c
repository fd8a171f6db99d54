/* TLS trust (issue 12): the server certificate is verified against the kubeconfig's CA; a wrong
 * CA, a wrong host name and an expired certificate are refused with a message that says so (the
 * client) and no cluster data on the screen (the real binary); insecure-skip-tls-verify works
 * only when the kubeconfig says so, and then the top bar says the server is unverified. With no
 * CA in the kubeconfig the system's trust store decides: the binary runs in a private mount
 * namespace whose store (libcurl's default CA file) holds the simulator's CA, and works; with
 * the machine's own store it is refused with a message naming the server and the store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kube/api.h"
#include "kube/http.h"
#include "kube/kubeconfig.h"
#include "proc.h"
#include "ptyterm.h"
#include "sim/kargo.h"
#include "sim/sim.h"
#include "util/base64.h"
#include "util/xalloc.h"

#define WAIT_MS 20000

struct cluster {
    struct kargo_options kargo;
    struct sim *sim;
};

static struct cluster *cluster_start(bool expired)
{
    static const char *const builtin[] = {"flask-app", NULL};
    struct cluster *c = xcalloc(1, sizeof *c);
    c->kargo.speed = 1.0;
    c->kargo.seed = 4;
    c->kargo.scenarios = builtin;
    struct sim_config cfg = {.seed = 4,
                             .tls = true,
                             .tls_expired = expired,
                             .install = kargo_install,
                             .install_ctx = &c->kargo};
    char *cause = NULL;
    c->sim = sim_start(&cfg, &cause);
    if (c->sim == NULL)
        fail_msg("sim_start: %s", cause);
    return c;
}

static void cluster_stop(struct cluster *c)
{
    sim_stop(c->sim);
    free(c);
}

/* A kubeconfig for the server of c trusting ca_of's CA (NULL: none, the system's store), at
 * server (NULL: c's URL), optionally with a tls-server-name and insecure-skip-tls-verify.
 * Returns its path (caller frees). */
static char *kubeconfig(const char *dir, struct cluster *c, struct cluster *ca_of,
                        const char *server, const char *server_name, bool insecure)
{
    const char *pem = ca_of != NULL ? sim_ca_pem(ca_of->sim) : NULL;
    char *ca = pem != NULL ? base64_encode(pem, strlen(pem)) : NULL;
    char *text = xasprintf(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        "clusters:\n- name: sim\n  cluster:\n    server: %s\n%s%s%s"
        "%s%s%s%s"
        "users:\n- name: u\n  user: {token: %s}\n"
        "contexts:\n- {name: c, context: {cluster: sim, user: u, namespace: flask-app}}\n",
        server != NULL ? server : sim_url(c->sim), ca ? "    certificate-authority-data: " : "",
        ca ? ca : "", ca ? "\n" : "", server_name ? "    tls-server-name: " : "",
        server_name ? server_name : "", server_name ? "\n" : "",
        insecure ? "    insecure-skip-tls-verify: true\n" : "", sim_token(c->sim, "admin"));
    char *path = xasprintf("%s/kubeconfig-%d", dir, rand());
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    chmod(path, 0600);
    free(text);
    free(ca);
    return path;
}

/* The client's answer to a list through kubeconfig path: NULL when it worked, else its message
 * (caller frees). */
static char *list_error(const char *path)
{
    struct kubeconfig_opts ko = {.kubeconfig = path};
    char *cause = NULL;
    struct kube_config *cfg = kubeconfig_load(&ko, &cause);
    if (cfg == NULL)
        fail_msg("%s", cause);
    struct kube_client *cl = kube_client_new(cfg, &cause);
    assert_non_null(cl);
    struct api_ref ref = {"kargo.akuity.io/v1alpha1", "stages", "flask-app", NULL};
    struct kube_error err = {0};
    cJSON *l = api_list(cl, &ref, NULL, NULL, &err);
    char *msg = l == NULL ? xstrdup(err.message != NULL ? err.message : "?") : NULL;
    cJSON_Delete(l);
    kube_error_clear(&err);
    kube_client_free(cl);
    kubeconfig_free(cfg);
    return msg;
}

static struct ptyterm *dashboard(const char *path)
{
    char *argv[] = {KARGOTOP_BIN, "--kubeconfig", (char *)path, NULL};
    struct ptyterm *t = ptyterm_spawn(argv, NULL, 30, 120);
    assert_non_null(t);
    return t;
}

/* The binary refuses the server: it says why (TLS) and shows none of its data. */
static void expect_refused_on_screen(const char *path)
{
    struct ptyterm *t = dashboard(path);
    if (!ptyterm_wait_text(t, "reconnecting in", WAIT_MS) ||
        !ptyterm_wait_text(t, "TLS", WAIT_MS)) {
        ptyterm_dump(t, "no reconnecting state");
        fail();
    }
    assert_false(ptyterm_wait_text(t, "Freight for", 1500));
    char *screen = ptyterm_screen(t);
    assert_null(strstr(screen, "staging")); /* a Stage of flask-app */
    free(screen);
    ptyterm_free(t);
}

static void remove_dir(const char *dir)
{
    char *rm = xasprintf("rm -rf '%s'", dir);
    assert_int_equal(system(rm), 0);
    free(rm);
}

static void expect_says(const char *msg, const char *want)
{
    if (msg == NULL)
        fail_msg("the request worked; expected a refusal saying '%s'", want);
    if (strstr(msg, want) == NULL)
        fail_msg("'%s' does not say '%s'", msg, want);
}

static void test_tls(void **state)
{
    char dir[] = "/tmp/kt-e2e-tls-XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct cluster *good = cluster_start(false), *other = cluster_start(false),
                   *old = cluster_start(true);

    /* the right CA: works, and the top bar does not warn */
    char *p = kubeconfig(dir, good, good, NULL, NULL, false);
    assert_null(list_error(p));
    struct ptyterm *t = dashboard(p);
    assert_true(ptyterm_wait_text(t, "Freight for", WAIT_MS));
    assert_false(ptyterm_find(t, "TLS unverified", NULL, NULL));
    ptyterm_free(t);
    free(p);

    /* another CA */
    p = kubeconfig(dir, good, other, NULL, NULL, false);
    char *msg = list_error(p);
    expect_says(msg, "cannot verify the TLS certificate");
    free(msg);
    expect_refused_on_screen(p);
    free(p);

    /* a host name the certificate does not name (it names 127.0.0.1 and localhost) */
    p = kubeconfig(dir, good, good, NULL, "kubernetes.other.example", false);
    msg = list_error(p);
    expect_says(msg, "TLS");
    free(msg);
    expect_refused_on_screen(p);
    free(p);

    /* an expired certificate from the right CA */
    p = kubeconfig(dir, old, old, NULL, NULL, false);
    msg = list_error(p);
    expect_says(msg, "expired");
    free(msg);
    expect_refused_on_screen(p);
    free(p);

    /* insecure-skip-tls-verify, because the kubeconfig says so: works with the wrong CA, and the
     * top bar says the server is not verified */
    p = kubeconfig(dir, good, other, NULL, NULL, true);
    assert_null(list_error(p));
    t = dashboard(p);
    if (!ptyterm_wait_text(t, "Freight for", WAIT_MS) ||
        !ptyterm_wait_text(t, "[TLS unverified]", WAIT_MS)) {
        ptyterm_dump(t, "insecure");
        fail();
    }
    int row;
    assert_true(ptyterm_find(t, "[TLS unverified]", &row, NULL));
    assert_int_equal(row, 0);
    ptyterm_free(t);
    free(p);

    cluster_stop(good);
    cluster_stop(other);
    cluster_stop(old);
    remove_dir(dir);
}

/* Where this machine's libcurl (the one kargotop links) finds the system's trust store when it
 * is told nothing: its default CA file (curl-config --ca). Caller frees. */
static char *system_store(void)
{
    CURL *e = curl_easy_init();
    assert_non_null(e);
    char *path = NULL;
    if (curl_easy_getinfo(e, CURLINFO_CAINFO, &path) != CURLE_OK || path == NULL)
        fail_msg("libcurl has no default CA file: it does not use the system's trust store");
    char *copy = xstrdup(path);
    curl_easy_cleanup(e);
    return copy;
}

/* argv running cmd with bundle bind-mounted over the system's store, in a mount namespace of
 * its own (as root; otherwise in a user namespace too, where the caller is root). The machine's
 * store is untouched. Caller frees the array only. */
static char **in_store(const char *bundle, const char *store, char *const *cmd)
{
    size_t n = 0;
    while (cmd[n] != NULL)
        n++;
    char **argv = xcalloc(n + 9, sizeof *argv);
    size_t i = 0;
    argv[i++] = "unshare";
    argv[i++] = geteuid() == 0 ? "-m" : "-rm";
    argv[i++] = "sh";
    argv[i++] = "-c";
    argv[i++] = "mount --bind \"$1\" \"$2\" && shift 2 && exec \"$@\"";
    argv[i++] = "sh";
    argv[i++] = (char *)bundle;
    argv[i++] = (char *)store;
    for (size_t k = 0; k < n; k++)
        argv[i++] = cmd[k];
    return argv;
}

/* Whether this machine lets a process have its own mounts; CI (root on Debian) must. */
static bool namespaces_usable(const char *store)
{
    char *cmd[] = {"true", NULL};
    char **argv = in_store(store, store, cmd);
    struct proc_result r = {0};
    bool ok = proc_run(argv, NULL, WAIT_MS, &r) == 0 && r.status == 0;
    if (!ok)
        fprintf(stderr, "mount namespaces: %s", r.err != NULL ? r.err : "unshare did not run\n");
    proc_result_free(&r);
    free(argv);
    return ok;
}

static void test_system_store(void **state)
{
    (void)state;
    char *store = system_store();
    if (!namespaces_usable(store)) {
        const char *ci = getenv("CI");
        if (ci != NULL && strcmp(ci, "true") == 0)
            fail_msg("CI: cannot bind-mount a trust store in a mount namespace (unshare -m)");
        free(store);
        skip();
    }
    char dir[] = "/tmp/kt-e2e-trust-XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct cluster *c = cluster_start(false);
    char *bundle = xasprintf("%s/bundle.pem", dir);
    FILE *f = fopen(bundle, "w");
    assert_non_null(f);
    fputs(sim_ca_pem(c->sim), f);
    fclose(f);
    char *p = kubeconfig(dir, c, NULL, NULL, NULL, false);
    char *get[] = {KARGOTOP_BIN, "--kubeconfig", p, "get", "stages", NULL};

    /* the machine's store does not hold the simulator's CA: refused, naming the server */
    struct proc_result r = {0};
    assert_int_equal(proc_run(get, NULL, WAIT_MS, &r), 0);
    char *want = xasprintf("cannot verify the TLS certificate of %s", sim_url(c->sim));
    if (r.status == 0 || strstr(r.err, want) == NULL || strstr(r.err, store) == NULL ||
        strstr(r.err, "certificate") == NULL)
        fail_msg("get stages with the machine's store: status %d, stderr '%s'; expected '%s' "
                 "and the store %s",
                 r.status, r.err, want, store);
    assert_null(strstr(r.out, "staging"));
    proc_result_free(&r);
    char *msg = list_error(p);
    expect_says(msg, want);
    free(msg);
    free(want);
    expect_refused_on_screen(p);

    /* a system store that holds it: the command lists the Stages */
    char **argv = in_store(bundle, store, get);
    assert_int_equal(proc_run(argv, NULL, WAIT_MS, &r), 0);
    if (r.status != 0 || strstr(r.out, "staging") == NULL)
        fail_msg("get stages with the simulator's CA in the system store: status %d, stdout "
                 "'%s', stderr '%s'",
                 r.status, r.out, r.err);
    proc_result_free(&r);
    free(argv);

    /* and the dashboard is live, its top bar without a warning */
    char *dash[] = {KARGOTOP_BIN, "--kubeconfig", p, NULL};
    argv = in_store(bundle, store, dash);
    struct ptyterm *t = ptyterm_spawn(argv, NULL, 30, 120);
    assert_non_null(t);
    if (!ptyterm_wait_text(t, "Freight for", WAIT_MS) ||
        !ptyterm_wait_text(t, "\u25cf live", WAIT_MS)) {
        ptyterm_dump(t, "system store with the simulator's CA");
        fail();
    }
    char *top = ptyterm_row(t, 0);
    assert_null(strstr(top, "TLS"));
    assert_null(strstr(top, "reconnecting"));
    free(top);
    ptyterm_free(t);
    free(argv);

    free(p);
    free(bundle);
    cluster_stop(c);
    free(store);
    remove_dir(dir);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_tls),
                                       cmocka_unit_test(test_system_store)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
