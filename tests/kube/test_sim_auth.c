/* Authentication against kargo-sim over HTTP and HTTPS: an exec plugin that counts its runs (run
 * again after its credential expires and after a 401), and the credential kept out of messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "kube/api.h"
#include "kubetest.h"
#include "simfix.h"
#include "util/base64.h"
#include "util/json.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

/* Prints $d/token.<run> if it exists, else $d/token, with $d/expiry if present. */
static const char *plugin = "#!/bin/sh\n"
                            "d=\"$PLUGIN_DIR\"\n"
                            "n=$(cat \"$d/count\" 2>/dev/null || echo 0); n=$((n+1)); "
                            "echo $n > \"$d/count\"\n"
                            "tok=$(cat \"$d/token.$n\" 2>/dev/null || cat \"$d/token\")\n"
                            "exp=$(cat \"$d/expiry\" 2>/dev/null)\n"
                            "echo \"plugin run $n\" >&2\n"
                            "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\","
                            "\"kind\":\"ExecCredential\",\"status\":{\"token\":\"%s\"' \"$tok\"\n"
                            "[ -n \"$exp\" ] && printf ',\"expirationTimestamp\":\"%s\"' \"$exp\"\n"
                            "echo '}}'\n";

static int runs(struct simfix *f)
{
    char *p = xasprintf("%s/count", f->dir);
    char *s = kt_slurp(p);
    free(p);
    int n = s ? atoi(s) : 0;
    free(s);
    return n;
}

static void put(struct simfix *f, const char *name, const char *text)
{
    free(kt_write(f->dir, name, text, false));
}

/* A kubeconfig for the sim whose user gets its token from the plugin. */
static void connect_exec(struct simfix *f)
{
    free(kt_write(f->dir, "plugin.sh", plugin, true));
    char *ca = NULL;
    if (f->tls) {
        const char *pem = sim_ca_pem(f->sim);
        char *b = base64_encode(pem, strlen(pem));
        ca = xasprintf("    certificate-authority-data: %s\n", b);
        free(b);
    }
    char *kc = xasprintf("apiVersion: v1\nkind: Config\ncurrent-context: exec\n"
                         "clusters:\n- name: sim\n  cluster:\n    server: %s\n%s"
                         "users:\n- name: plugin-user\n  user:\n    exec:\n"
                         "      apiVersion: client.authentication.k8s.io/v1beta1\n"
                         "      command: ./plugin.sh\n"
                         "      env: [{name: PLUGIN_DIR, value: \"%s\"}]\n"
                         "contexts:\n- name: exec\n  context: {cluster: sim, user: plugin-user}\n",
                         sim_url(f->sim), ca ? ca : "", f->dir);
    char *path = kt_write(f->dir, "exec-config", kc, false);
    char *cause = NULL;
    if (simfix_connect(f, path, NULL, &cause) != 0)
        fail_msg("%s", cause);
    free(path);
    free(kc);
    free(ca);
}

static bool list_ok(struct simfix *f, struct kube_error *err)
{
    struct api_ref ref = {"v1", "events", "x", NULL};
    cJSON *l = api_list(f->client, &ref, NULL, NULL, err);
    cJSON_Delete(l);
    return l != NULL;
}

static bool past(void *arg)
{
    return time(NULL) >= *(time_t *)arg;
}

static void test_exec_plugin_cached_then_rerun_after_expiry(void **state)
{
    struct simfix *f = *state;
    simfix_start(f, "admin");
    simfix_seed_events(f, "x", 2);
    put(f, "token", sim_token(f->sim, "viewer"));
    time_t expiry = time(NULL) + 2;
    char ts[32];
    timefmt_rfc3339(expiry, ts, sizeof ts);
    put(f, "expiry", ts);
    connect_exec(f);
    struct kube_error err = {0};
    assert_true(list_ok(f, &err));
    assert_true(list_ok(f, &err));
    assert_int_equal(runs(f), 1);
    char *msg = kube_client_exec_message(f->client);
    assert_string_equal(msg, "plugin run 1");
    free(msg);
    assert_true(kt_wait_until(past, &expiry, 5000));
    assert_true(list_ok(f, &err));
    assert_int_equal(runs(f), 2);
    struct kube_client_stats st;
    kube_client_stats(f->client, &st);
    assert_int_equal(st.exec_runs, 2);
    assert_int_equal(st.auth_refreshes, 0);
}

static void test_exec_plugin_rerun_after_401(void **state)
{
    struct simfix *f = *state;
    simfix_start(f, "admin");
    simfix_seed_events(f, "x", 1);
    /* The first credential is one the server no longer accepts (a revoked token); it has not
     * expired by its own account, so only the 401 can make the client ask again. */
    put(f, "token.1", "revoked-token-abcdef");
    put(f, "token", sim_token(f->sim, "viewer"));
    put(f, "expiry", "2099-01-01T00:00:00Z");
    connect_exec(f);
    struct kube_error err = {0};
    assert_true(list_ok(f, &err));
    assert_int_equal(runs(f), 2);
    struct kube_client_stats st;
    kube_client_stats(f->client, &st);
    assert_int_equal(st.auth_refreshes, 1);
    /* And the new credential is cached. */
    assert_true(list_ok(f, &err));
    assert_int_equal(runs(f), 2);

    /* A plugin that keeps handing out a bad token: one retry, then the error, no loop. */
    put(f, "token", "still-revoked-token");
    connect_exec(f); /* a new client: nothing cached */
    assert_false(list_ok(f, &err));
    assert_int_equal(runs(f), 4);
    assert_int_equal(err.code, 401);
    assert_null(strstr(err.message, "still-revoked-token"));
    kube_error_clear(&err);
}

/* A kubeconfig whose user authenticates with a client certificate (and no token). */
static void connect_cert(struct simfix *f, const char *cert, const char *key)
{
    char *ca = base64_encode(sim_ca_pem(f->sim), strlen(sim_ca_pem(f->sim)));
    char *c64 = base64_encode(cert, strlen(cert));
    char *k64 = base64_encode(key, strlen(key));
    char *kc = xasprintf("apiVersion: v1\nkind: Config\ncurrent-context: cert\n"
                         "clusters:\n- name: sim\n  cluster:\n    server: %s\n"
                         "    certificate-authority-data: %s\n"
                         "users:\n- name: cert-user\n  user:\n"
                         "    client-certificate-data: %s\n    client-key-data: %s\n"
                         "contexts:\n- name: cert\n  context: {cluster: sim, user: cert-user}\n",
                         sim_url(f->sim), ca, c64, k64);
    char *path = kt_write(f->dir, "cert-config", kc, false);
    char *cause = NULL;
    if (simfix_connect(f, path, NULL, &cause) != 0)
        fail_msg("%s", cause);
    free(path);
    free(kc);
    free(ca);
    free(c64);
    free(k64);
}

static void test_client_certificate(void **state)
{
    struct simfix *f = *state;
    if (!f->tls)
        skip();
    simfix_start(f, "admin");
    simfix_seed_events(f, "x", 2);
    connect_cert(f, sim_client_cert_pem(f->sim), sim_client_key_pem(f->sim));
    struct kube_error err = {0};
    assert_true(list_ok(f, &err));
    /* The server knows who it is by the certificate alone: "viewer", who may not create. */
    struct api_ref ref = {"v1", "events", "x", NULL};
    cJSON *ev = simfix_event("x", "by-cert");
    assert_null(api_create(f->client, &ref, ev, &err));
    cJSON_Delete(ev);
    assert_int_equal(err.code, 403);
    assert_non_null(strstr(err.message, "User \"viewer\" cannot create"));
    kube_error_clear(&err);

    /* A certificate from another CA proves nothing: 401, and the key is in no message. */
    struct sim_config sc = {.tls = true, .seed = 9};
    char *cause = NULL;
    struct sim *other = sim_start(&sc, &cause);
    assert_non_null(other);
    connect_cert(f, sim_client_cert_pem(other), sim_client_key_pem(other));
    assert_false(list_ok(f, &err));
    assert_int_equal(err.code, 401);
    kube_error_clear(&err);
    sim_stop(other);
}

/* A kubeconfig user with a token and `as` / `as-groups`: the client sends Impersonate-User and
 * Impersonate-Group, and the server acts as the impersonated user, or refuses a caller who may
 * not impersonate. */
static void connect_as(struct simfix *f, const char *token_of, const char *as)
{
    char *ca = NULL;
    if (f->tls) {
        char *b = base64_encode(sim_ca_pem(f->sim), strlen(sim_ca_pem(f->sim)));
        ca = xasprintf("    certificate-authority-data: %s\n", b);
        free(b);
    }
    char *kc = xasprintf("apiVersion: v1\nkind: Config\ncurrent-context: as\n"
                         "clusters:\n- name: sim\n  cluster:\n    server: %s\n%s"
                         "users:\n- name: u\n  user:\n    token: %s\n    as: %s\n"
                         "    as-groups: [kargo-viewers, system:authenticated]\n"
                         "contexts:\n- name: as\n  context: {cluster: sim, user: u}\n",
                         sim_url(f->sim), ca ? ca : "", sim_token(f->sim, token_of), as);
    char *path = kt_write(f->dir, "as-config", kc, false);
    char *cause = NULL;
    if (simfix_connect(f, path, NULL, &cause) != 0)
        fail_msg("%s", cause);
    free(path);
    free(kc);
    free(ca);
}

static void test_impersonation(void **state)
{
    struct simfix *f = *state;
    simfix_start(f, "admin");
    simfix_seed_events(f, "x", 2);
    struct api_ref ref = {"v1", "events", "x", NULL};
    struct kube_error err = {0};

    /* admin acting as viewer: reads work, writes are the viewer's 403. */
    connect_as(f, "admin", "viewer");
    assert_true(list_ok(f, &err));
    cJSON *ev = simfix_event("x", "as-viewer");
    assert_null(api_create(f->client, &ref, ev, &err));
    assert_int_equal(err.code, 403);
    assert_non_null(strstr(err.message, "User \"viewer\" cannot create resource \"events\""));
    kube_error_clear(&err);
    /* and SelfSubjectAccessReview answers for the impersonated user */
    bool allowed = true;
    assert_int_equal(api_access_review(f->client, "promote", "kargo.akuity.io", "stages", NULL, "x",
                                       "prod", &allowed, &err),
                     0);
    assert_false(allowed);

    /* a promoter may not impersonate anyone: every request is refused, saying why */
    connect_as(f, "promoter", "admin");
    assert_false(list_ok(f, &err));
    assert_int_equal(err.code, 403);
    assert_non_null(strstr(err.message, "User \"promoter\" cannot impersonate resource \"users\""));
    assert_null(strstr(err.message, sim_token(f->sim, "promoter")));
    kube_error_clear(&err);
    cJSON_Delete(ev);
}

/* Files instead of inline data: certificate-authority, client-certificate and client-key paths
 * relative to the kubeconfig; and insecure-skip-tls-verify, which needs no CA at all. */
static void test_certificate_files_and_insecure(void **state)
{
    struct simfix *f = *state;
    if (!f->tls)
        skip();
    simfix_start(f, "admin");
    simfix_seed_events(f, "x", 2);
    free(kt_write(f->dir, "ca.pem", sim_ca_pem(f->sim), false));
    free(kt_write(f->dir, "client.crt", sim_client_cert_pem(f->sim), false));
    free(kt_write(f->dir, "client.key", sim_client_key_pem(f->sim), false));
    char *kc =
        xasprintf("apiVersion: v1\nkind: Config\ncurrent-context: files\n"
                  "clusters:\n- name: sim\n  cluster:\n    server: %s\n"
                  "    certificate-authority: ca.pem\n"
                  "- name: sim-insecure\n  cluster:\n    server: %s\n"
                  "    insecure-skip-tls-verify: true\n"
                  "- name: sim-no-ca\n  cluster:\n    server: %s\n"
                  "users:\n- name: cert-files\n  user:\n"
                  "    client-certificate: client.crt\n    client-key: client.key\n"
                  "- name: tok\n  user:\n    token: %s\n"
                  "contexts:\n- name: files\n  context: {cluster: sim, user: cert-files}\n"
                  "- name: insecure\n  context: {cluster: sim-insecure, user: tok}\n"
                  "- name: no-ca\n  context: {cluster: sim-no-ca, user: tok}\n",
                  sim_url(f->sim), sim_url(f->sim), sim_url(f->sim), sim_token(f->sim, "admin"));
    char *path = kt_write(f->dir, "files-config", kc, false);
    char *cause = NULL;
    struct kube_error err = {0};
    /* The certificate read from its file identifies the viewer. */
    if (simfix_connect(f, path, "files", &cause) != 0)
        fail_msg("%s", cause);
    assert_true(list_ok(f, &err));
    struct api_ref ref = {"v1", "events", "x", NULL};
    cJSON *ev = simfix_event("x", "by-cert-file");
    assert_null(api_create(f->client, &ref, ev, &err));
    assert_int_equal(err.code, 403);
    assert_non_null(strstr(err.message, "User \"viewer\""));
    kube_error_clear(&err);
    cJSON_Delete(ev);
    /* No CA, but told not to verify: it connects. */
    if (simfix_connect(f, path, "insecure", &cause) != 0)
        fail_msg("%s", cause);
    assert_true(list_ok(f, &err));
    /* No CA and verification on: the system store does not know the run's CA. */
    if (simfix_connect(f, path, "no-ca", &cause) != 0)
        fail_msg("%s", cause);
    assert_false(list_ok(f, &err));
    assert_non_null(strstr(err.message, "cannot verify the TLS certificate"));
    assert_null(strstr(err.message, sim_token(f->sim, "admin")));
    kube_error_clear(&err);
    free(path);
    free(kc);
}

static void test_token_file_reread_and_in_cluster(void **state)
{
    struct simfix *f = *state;
    simfix_start(f, "admin");
    simfix_seed_events(f, "x", 1);
    /* A service-account directory as a pod has it. */
    char *sa = xasprintf("%s/sa", f->dir);
    mkdir(sa, 0700);
    free(kt_write(sa, "token", sim_token(f->sim, "viewer"), false));
    free(kt_write(sa, "namespace", "x\n", false));
    if (f->tls)
        free(kt_write(sa, "ca.crt", sim_ca_pem(f->sim), false));
    char port[16];
    snprintf(port, sizeof port, "%d", sim_port(f->sim));
    setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1", 1);
    setenv("KUBERNETES_SERVICE_PORT", port, 1);
    char *home = getenv("HOME") ? xstrdup(getenv("HOME")) : NULL;
    setenv("HOME", f->dir, 1);
    unsetenv("KUBECONFIG");
    char *cause = NULL;
    struct kubeconfig_opts o = {.incluster_dir = sa};
    kube_client_free(f->client);
    kubeconfig_free(f->cfg);
    f->client = NULL;
    f->cfg = kubeconfig_load(&o, &cause);
    assert_non_null(f->cfg);
    assert_string_equal(f->cfg->namespace, "x");
    if (!f->tls) {
        /* In-cluster config is always HTTPS; the plain-HTTP sim stands in for the service. */
        free(f->cfg->server);
        f->cfg->server = xstrdup(sim_url(f->sim));
    }
    f->client = kube_client_new(f->cfg, &cause);
    assert_non_null(f->client);
    struct kube_error err = {0};
    assert_true(list_ok(f, &err));
    /* The kubelet rotates the token file; the next request uses the new token. */
    struct api_ref ref = {"v1", "events", "x", NULL};
    cJSON *ev = simfix_event("x", "as-viewer");
    assert_null(api_create(f->client, &ref, ev, &err));
    assert_int_equal(err.code, 403);
    kube_error_clear(&err);
    free(kt_write(sa, "token", sim_token(f->sim, "admin"), false));
    cJSON *made = api_create(f->client, &ref, ev, &err);
    assert_non_null(made);
    cJSON_Delete(made);
    cJSON_Delete(ev);
    unsetenv("KUBERNETES_SERVICE_HOST");
    unsetenv("KUBERNETES_SERVICE_PORT");
    if (home)
        setenv("HOME", home, 1);
    free(home);
    free(sa);
}

static void test_tls_server_name(void **state)
{
    struct simfix *f = *state;
    if (!f->tls)
        skip();
    simfix_start(f, "admin");
    simfix_seed_events(f, "x", 1);
    /* The certificate names localhost and 127.0.0.1: connecting to 127.0.0.1 while verifying
     * "localhost" works, verifying another name does not. */
    free(f->cfg->tls_server_name);
    f->cfg->tls_server_name = xstrdup("localhost");
    kube_client_free(f->client);
    char *cause = NULL;
    f->client = kube_client_new(f->cfg, &cause);
    struct kube_error err = {0};
    assert_true(list_ok(f, &err));
    free(f->cfg->tls_server_name);
    f->cfg->tls_server_name = xstrdup("kubernetes.other.example");
    kube_client_free(f->client);
    f->client = kube_client_new(f->cfg, &cause);
    assert_false(list_ok(f, &err));
    assert_non_null(strstr(err.message, "cannot verify the TLS certificate"));
    kube_error_clear(&err);
}

#define T(fn) SIMFIX_TEST(fn)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_exec_plugin_cached_then_rerun_after_expiry),
        T(test_exec_plugin_rerun_after_401),
        T(test_client_certificate),
        T(test_certificate_files_and_insecure),
        T(test_token_file_reread_and_in_cluster),
        T(test_tls_server_name),
        T(test_impersonation),
    };
    int rc = simfix_run_http_and_https(tests);
    return rc;
}
