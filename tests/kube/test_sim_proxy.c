/* What the client puts on the wire, seen through a recording proxy in front of kargo-sim: the
 * kubeconfig's proxy-url and the environment's HTTPS_PROXY/NO_PROXY (a bastion's usual setup), and
 * over plain HTTP the headers themselves: User-Agent, Accept-Encoding, the bearer token, basic
 * auth for username/password, Impersonate-User/Group. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/api.h"
#include "kubetest.h"
#include "proxy.h"
#include "simfix.h"
#include "util/base64.h"
#include "util/xalloc.h"

struct env {
    struct simfix f;
    struct test_proxy *proxy;
};

static int setup(void **state)
{
    struct env *e = xcalloc(1, sizeof *e);
    *state = e;
    return 0;
}

static int after_test(void **state)
{
    struct env *e = *state;
    simfix_stop(&e->f);
    test_proxy_stop(e->proxy);
    e->proxy = NULL;
    unsetenv("HTTPS_PROXY");
    unsetenv("https_proxy");
    unsetenv("http_proxy");
    unsetenv("NO_PROXY");
    unsetenv("no_proxy");
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

/* Starts the sim (HTTPS unless plain) and the proxy. */
static void start(struct env *e, bool tls)
{
    e->f.tls = tls;
    simfix_start(&e->f, "admin");
    simfix_seed_events(&e->f, "x", 3);
    e->proxy = test_proxy_start();
    assert_non_null(e->proxy);
}

/* Connects with a kubeconfig whose user block is `user` (YAML lines at 4 spaces) and whose
 * cluster has proxy-url when proxied. */
static void connect_with(struct env *e, const char *user, bool proxied)
{
    char *ca = NULL, *proxy = NULL;
    if (e->f.tls) {
        char *b = base64_encode(sim_ca_pem(e->f.sim), strlen(sim_ca_pem(e->f.sim)));
        ca = xasprintf("    certificate-authority-data: %s\n", b);
        free(b);
    }
    if (proxied)
        proxy = xasprintf("    proxy-url: http://127.0.0.1:%d\n", test_proxy_port(e->proxy));
    char *kc = xasprintf("apiVersion: v1\nkind: Config\ncurrent-context: c\n"
                         "clusters:\n- name: sim\n  cluster:\n    server: %s\n%s%s"
                         "users:\n- name: u\n  user:\n%s"
                         "contexts:\n- name: c\n  context: {cluster: sim, user: u}\n",
                         sim_url(e->f.sim), ca ? ca : "", proxy ? proxy : "", user);
    char *path = kt_write(e->f.dir, "proxy-config", kc, false);
    char *cause = NULL;
    if (simfix_connect(&e->f, path, NULL, &cause) != 0)
        fail_msg("%s", cause);
    free(path);
    free(kc);
    free(ca);
    free(proxy);
}

static char *admin_user(struct env *e)
{
    return xasprintf("    token: %s\n", sim_token(e->f.sim, "admin"));
}

static int list_events(struct env *e, struct kube_error *err)
{
    struct api_ref ref = {"v1", "events", "x", NULL};
    cJSON *l = api_list(e->f.client, &ref, NULL, NULL, err);
    int n = l != NULL ? cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(l, "items")) : -1;
    cJSON_Delete(l);
    return n;
}

static void expect_in_log(struct env *e, const char *text)
{
    char *log = test_proxy_log(e->proxy);
    if (strstr(log, text) == NULL)
        fail_msg("the proxy did not see [%s]; it saw:\n%s", text, log);
    free(log);
}

/* HTTPS through the kubeconfig's proxy-url: a CONNECT tunnel to the API server. */
static void test_proxy_url_tunnels_https(void **state)
{
    struct env *e = *state;
    start(e, true);
    char *user = admin_user(e);
    connect_with(e, user, true);
    struct kube_error err = {0};
    assert_int_equal(list_events(e, &err), 3);
    char *want = xasprintf("CONNECT 127.0.0.1:%d HTTP/1.1", sim_port(e->f.sim));
    expect_in_log(e, want);
    free(want);
    free(user);
}

/* HTTPS_PROXY from the environment is used, and NO_PROXY exempts the server, as for kubectl. */
static void test_environment_proxy_and_no_proxy(void **state)
{
    struct env *e = *state;
    start(e, true);
    char *proxy = xasprintf("http://127.0.0.1:%d", test_proxy_port(e->proxy));
    setenv("HTTPS_PROXY", proxy, 1);
    char *user = admin_user(e);
    connect_with(e, user, false);
    struct kube_error err = {0};
    assert_int_equal(list_events(e, &err), 3);
    assert_true(test_proxy_requests(e->proxy) >= 1);
    expect_in_log(e, "CONNECT 127.0.0.1:");

    setenv("NO_PROXY", "127.0.0.1", 1);
    connect_with(e, user, false); /* a new client: new connections */
    int before = test_proxy_requests(e->proxy);
    assert_int_equal(list_events(e, &err), 3);
    assert_int_equal(test_proxy_requests(e->proxy), before);
    free(user);
    free(proxy);
}

/* Over plain HTTP the proxy sees the requests themselves. */
static void test_request_headers(void **state)
{
    struct env *e = *state;
    start(e, false);
    char *user = xasprintf("    token: %s\n    as: viewer\n    as-groups: [team-a]\n",
                           sim_token(e->f.sim, "admin"));
    connect_with(e, user, true);
    struct kube_error err = {0};
    assert_int_equal(list_events(e, &err), 3);
    char *get = xasprintf("GET http://127.0.0.1:%d/api/v1/namespaces/x/events", sim_port(e->f.sim));
    expect_in_log(e, get);
    free(get);
    expect_in_log(e, "\r\nUser-Agent: kargotop/");
    expect_in_log(e, " (linux/");
    expect_in_log(e, "\r\nAccept-Encoding: ");
    expect_in_log(e, "gzip");
    expect_in_log(e, "\r\nAccept: application/json");
    char *bearer = xasprintf("\r\nAuthorization: Bearer %s", sim_token(e->f.sim, "admin"));
    expect_in_log(e, bearer);
    free(bearer);
    expect_in_log(e, "\r\nImpersonate-User: viewer");
    expect_in_log(e, "\r\nImpersonate-Group: team-a");
    free(user);
}

/* username/password: HTTP basic auth on the wire; the server (like kube-apiserver since 1.19)
 * does not accept it, and the password is in no message. */
static void test_basic_auth(void **state)
{
    struct env *e = *state;
    start(e, false);
    connect_with(e, "    username: alice\n    password: s3cret-pw\n", true);
    struct kube_error err = {0};
    assert_int_equal(list_events(e, &err), -1);
    assert_int_equal(err.code, 401);
    assert_null(strstr(err.message, "s3cret-pw"));
    kube_error_clear(&err);
    char *b = base64_encode("alice:s3cret-pw", strlen("alice:s3cret-pw"));
    char *want = xasprintf("\r\nAuthorization: Basic %s", b);
    expect_in_log(e, want);
    free(want);
    free(b);
}

int main(void)
{
#define T(fn) cmocka_unit_test_teardown(fn, after_test)
    const struct CMUnitTest tests[] = {
        T(test_proxy_url_tunnels_https),
        T(test_environment_proxy_and_no_proxy),
        T(test_request_headers),
        T(test_basic_auth),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
