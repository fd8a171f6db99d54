/* TLS trust (issue 12): the server certificate is verified against the kubeconfig's CA; a wrong
 * CA, a wrong host name and an expired certificate are refused with a message that says so (the
 * client) and no cluster data on the screen (the real binary); insecure-skip-tls-verify works
 * only when the kubeconfig says so, and then the top bar says the server is unverified. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kube/api.h"
#include "kube/http.h"
#include "kube/kubeconfig.h"
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

/* A kubeconfig for the server of c trusting ca_of's CA, at server (NULL: c's URL), optionally
 * with a tls-server-name and insecure-skip-tls-verify. Returns its path (caller frees). */
static char *kubeconfig(const char *dir, struct cluster *c, struct cluster *ca_of,
                        const char *server, const char *server_name, bool insecure)
{
    const char *pem = sim_ca_pem(ca_of->sim);
    char *ca = base64_encode(pem, strlen(pem));
    char *text = xasprintf(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        "clusters:\n- name: sim\n  cluster:\n    server: %s\n    certificate-authority-data: %s\n"
        "%s%s%s%s"
        "users:\n- name: u\n  user: {token: %s}\n"
        "contexts:\n- {name: c, context: {cluster: sim, user: u, namespace: flask-app}}\n",
        server != NULL ? server : sim_url(c->sim), ca, server_name ? "    tls-server-name: " : "",
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
    char *rm = xasprintf("rm -rf '%s'", dir);
    assert_int_equal(system(rm), 0);
    free(rm);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_tls)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
