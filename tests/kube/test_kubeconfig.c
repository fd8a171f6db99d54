/* kubeconfig: kubectl's file order and merge rules, overrides, paths, errors, in-cluster config,
 * and agreement with `kubectl config view --minify -o json`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "kube/kubeconfig.h"
#include "kubetest.h"
#include "proc.h"
#include "util/json.h"
#include "util/xalloc.h"

struct fixture {
    char *dir;
    char *a, *b, *c;
};

/* File a: current-context dev, contexts dev and shared; cluster "shared" on a.example.
 * File b: current-context prod, contexts prod and shared (another one); cluster "shared" on
 * b.example. File c: no current-context; context "other". */
static const char *file_a = "apiVersion: v1\n"
                            "kind: Config\n"
                            "current-context: dev\n"
                            "clusters:\n"
                            "- name: dev-cluster\n"
                            "  cluster:\n"
                            "    server: https://dev.example:6443/\n"
                            "    certificate-authority: certs/ca.pem\n"
                            "    tls-server-name: kubernetes.dev\n"
                            "- name: shared\n"
                            "  cluster:\n"
                            "    server: https://a.example:6443\n"
                            "    insecure-skip-tls-verify: true\n"
                            "users:\n"
                            "- name: dev-user\n"
                            "  user:\n"
                            "    token: dev-secret-token\n"
                            "- name: shared-user\n"
                            "  user:\n"
                            "    tokenFile: tokens/shared\n"
                            "contexts:\n"
                            "- name: dev\n"
                            "  context:\n"
                            "    cluster: dev-cluster\n"
                            "    user: dev-user\n"
                            "    namespace: kargo-demo\n"
                            "- name: shared\n"
                            "  context: {cluster: shared, user: shared-user}\n";

static const char *file_b =
    "apiVersion: v1\n"
    "kind: Config\n"
    "current-context: prod\n"
    "clusters:\n"
    "- name: prod-cluster\n"
    "  cluster:\n"
    "    server: https://prod.example\n"
    "    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==\n"
    "    proxy-url: socks5h://bastion:1080\n"
    "- name: shared\n"
    "  cluster:\n"
    "    server: https://b.example:6443\n"
    "users:\n"
    "- name: prod-user\n"
    "  user:\n"
    "    client-certificate-data: Y2VydA==\n"
    "    client-key-data: a2V5\n"
    "    as: alice\n"
    "    as-groups: [ops, dev]\n"
    "- name: gke-user\n"
    "  user:\n"
    "    auth-provider:\n"
    "      name: gcp\n"
    "      config: {}\n"
    "- name: exec-user\n"
    "  user:\n"
    "    exec:\n"
    "      apiVersion: client.authentication.k8s.io/v1\n"
    "      command: ./bin/cred-plugin\n"
    "      args: [get-token, --cluster, prod]\n"
    "      env:\n"
    "      - {name: PLUGIN_MODE, value: test}\n"
    "      interactiveMode: Never\n"
    "      provideClusterInfo: true\n"
    "      installHint: install cred-plugin from example.com\n"
    "contexts:\n"
    "- name: prod\n"
    "  context: {cluster: prod-cluster, user: prod-user, namespace: kargo-prod}\n"
    "- name: shared\n"
    "  context: {cluster: prod-cluster, user: prod-user}\n"
    "- name: gke\n"
    "  context: {cluster: prod-cluster, user: gke-user}\n"
    "- name: exec\n"
    "  context: {cluster: prod-cluster, user: exec-user}\n"
    "- name: nouser\n"
    "  context: {cluster: prod-cluster, user: ghost}\n";

static const char *file_c = "contexts:\n"
                            "- name: other\n"
                            "  context: {cluster: shared, user: dev-user}\n";

static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof *f);
    f->dir = kt_mkdtemp();
    f->a = kt_write(f->dir, "a.yaml", file_a, false);
    f->b = kt_write(f->dir, "b.yaml", file_b, false);
    f->c = kt_write(f->dir, "c.yaml", file_c, false);
    char *d = xasprintf("%s/certs", f->dir);
    mkdir(d, 0700);
    free(kt_write(d, "ca.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n", false));
    free(d);
    unsetenv("KUBECONFIG");
    unsetenv("KUBERNETES_SERVICE_HOST");
    unsetenv("KUBERNETES_SERVICE_PORT");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    kt_rmtree(f->dir);
    free(f->dir);
    free(f->a);
    free(f->b);
    free(f->c);
    free(f);
    unsetenv("KUBECONFIG");
    return 0;
}

static void set_kubeconfig(const char *p1, const char *p2, const char *p3)
{
    char *v = xasprintf("%s%s%s%s%s", p1, p2 ? ":" : "", p2 ? p2 : "", p3 ? ":" : "", p3 ? p3 : "");
    setenv("KUBECONFIG", v, 1);
    free(v);
}

static void test_first_file_sets_current_context_and_wins_map_entries(void **state)
{
    struct fixture *f = *state;
    set_kubeconfig(f->a, f->b, NULL);
    char *cause = NULL;
    struct kubeconfig_opts o = {0};
    struct kube_config *cfg = kubeconfig_load(&o, &cause);
    assert_non_null(cfg);
    assert_string_equal(cfg->context, "dev");
    assert_string_equal(cfg->server, "https://dev.example:6443"); /* trailing slash dropped */
    assert_string_equal(cfg->namespace, "kargo-demo");
    assert_string_equal(cfg->token, "dev-secret-token");
    assert_string_equal(cfg->tls_server_name, "kubernetes.dev");
    /* certificate-authority is relative to the file that names it. */
    assert_non_null(cfg->ca_data);
    assert_memory_equal(cfg->ca_data, "-----BEGIN CERTIFICATE-----", 27);
    kubeconfig_free(cfg);

    /* "shared" is defined by both files: a's context and a's cluster win. */
    o.context = "shared";
    cfg = kubeconfig_load(&o, &cause);
    assert_non_null(cfg);
    assert_string_equal(cfg->server, "https://a.example:6443");
    assert_true(cfg->insecure);
    assert_string_equal(cfg->user_name, "shared-user");
    char *tf = xasprintf("%s/tokens/shared", f->dir);
    assert_string_equal(cfg->token_file, tf);
    free(tf);
    assert_string_equal(cfg->namespace, "default");
    kubeconfig_free(cfg);

    /* Reversed order: b's current-context and b's "shared" cluster. */
    set_kubeconfig(f->b, f->a, NULL);
    o.context = NULL;
    cfg = kubeconfig_load(&o, &cause);
    assert_non_null(cfg);
    assert_string_equal(cfg->context, "prod");
    assert_string_equal(cfg->proxy_url, "socks5h://bastion:1080");
    assert_int_equal(cfg->ca_len, 28);
    assert_int_equal(cfg->cert_len, 4);
    assert_memory_equal(cfg->key_data, "key", 3);
    assert_string_equal(cfg->impersonate, "alice");
    assert_int_equal(cfg->n_impersonate_groups, 2);
    assert_string_equal(cfg->impersonate_groups[1], "dev");
    kubeconfig_free(cfg);
}

static void test_current_context_from_a_later_file_and_missing_files_skipped(void **state)
{
    struct fixture *f = *state;
    char *missing = xasprintf("%s/nope.yaml", f->dir);
    set_kubeconfig(f->c, missing, f->a);
    char *cause = NULL;
    struct kubeconfig_opts o = {0};
    struct kube_config *cfg = kubeconfig_load(&o, &cause);
    assert_non_null(cfg);
    assert_string_equal(cfg->context, "dev");
    kubeconfig_free(cfg);
    o.context = "other";
    cfg = kubeconfig_load(&o, &cause);
    assert_non_null(cfg);
    assert_string_equal(cfg->server, "https://a.example:6443");
    assert_string_equal(cfg->token, "dev-secret-token");
    kubeconfig_free(cfg);
    free(missing);
}

static void test_overrides_cluster_user_namespace(void **state)
{
    struct fixture *f = *state;
    set_kubeconfig(f->a, f->b, NULL);
    char *cause = NULL;
    struct kubeconfig_opts o = {
        .context = "dev", .cluster = "prod-cluster", .user = "prod-user", .namespace = "other-ns"};
    struct kube_config *cfg = kubeconfig_load(&o, &cause);
    assert_non_null(cfg);
    assert_string_equal(cfg->server, "https://prod.example");
    assert_string_equal(cfg->user_name, "prod-user");
    assert_null(cfg->token);
    assert_string_equal(cfg->namespace, "other-ns");
    kubeconfig_free(cfg);
}

static void test_errors_name_file_context_and_choices(void **state)
{
    struct fixture *f = *state;
    set_kubeconfig(f->a, f->b, NULL);
    char *cause = NULL;
    struct kubeconfig_opts o = {.context = "staging"};
    assert_null(kubeconfig_load(&o, &cause));
    char *want = xasprintf("context 'staging' not found in %s:%s; contexts are: dev, exec, gke, "
                           "nouser, prod, shared",
                           f->a, f->b);
    assert_string_equal(cause, want);
    free(want);
    free(cause);
    cause = NULL;

    o.context = "nouser";
    assert_null(kubeconfig_load(&o, &cause));
    assert_non_null(strstr(cause, "user 'ghost' (of context 'nouser') not found"));
    assert_non_null(strstr(cause, "users are: dev-user, exec-user, gke-user, prod-user"));
    free(cause);
    cause = NULL;

    o.context = "gke";
    assert_null(kubeconfig_load(&o, &cause));
    assert_non_null(strstr(cause, "auth-provider 'gcp'"));
    assert_non_null(strstr(cause, "gke-gcloud-auth-plugin"));
    assert_non_null(strstr(cause, f->b));
    free(cause);
    cause = NULL;

    struct kubeconfig_opts only = {.kubeconfig = "/nonexistent/kubeconfig"};
    assert_null(kubeconfig_load(&only, &cause));
    assert_string_equal(cause, "kubeconfig /nonexistent/kubeconfig does not exist");
    free(cause);
    cause = NULL;

    char *bad = kt_write(f->dir, "bad.yaml", "clusters: [\n  - {name: x\n", false);
    only.kubeconfig = bad;
    assert_null(kubeconfig_load(&only, &cause));
    assert_non_null(strstr(cause, bad));
    assert_non_null(strstr(cause, "not valid YAML"));
    free(cause);
    free(bad);
}

static void test_secrets_never_appear_in_messages(void **state)
{
    struct fixture *f = *state;
    set_kubeconfig(f->a, NULL, NULL);
    char *cause = NULL;
    struct kubeconfig_opts o = {.context = "dev", .cluster = "nothere"};
    assert_null(kubeconfig_load(&o, &cause));
    assert_non_null(strstr(cause, "cluster 'nothere'"));
    assert_null(strstr(cause, "dev-secret-token"));
    free(cause);
}

static void test_exec_user_paths_and_fields(void **state)
{
    struct fixture *f = *state;
    set_kubeconfig(f->b, NULL, NULL);
    char *cause = NULL;
    struct kubeconfig_opts o = {.context = "exec"};
    struct kube_config *cfg = kubeconfig_load(&o, &cause);
    assert_non_null(cfg);
    assert_non_null(cfg->exec);
    char *cmd = xasprintf("%s/bin/cred-plugin", f->dir);
    assert_string_equal(cfg->exec->command, cmd);
    free(cmd);
    assert_int_equal(cfg->exec->nargs, 3);
    assert_string_equal(cfg->exec->args[2], "prod");
    assert_int_equal(cfg->exec->nenv, 1);
    assert_string_equal(cfg->exec->env[0], "PLUGIN_MODE=test");
    assert_true(cfg->exec->provide_cluster_info);
    assert_string_equal(cfg->exec->interactive_mode, "Never");
    kubeconfig_free(cfg);
}

static void test_home_default_then_in_cluster(void **state)
{
    struct fixture *f = *state;
    char *old_home = getenv("HOME") ? xstrdup(getenv("HOME")) : NULL;
    setenv("HOME", f->dir, 1);
    char *cause = NULL;
    struct kubeconfig_opts o = {.incluster_dir = f->dir};
    /* No ~/.kube/config and not in a pod. */
    assert_null(kubeconfig_load(&o, &cause));
    assert_non_null(strstr(cause, "no kubeconfig found"));
    free(cause);
    cause = NULL;

    /* In a pod: service-account files. */
    free(kt_write(f->dir, "token", "sa-token\n", false));
    free(kt_write(f->dir, "namespace", "kargo-demo\n", false));
    setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    struct kube_config *cfg = kubeconfig_load(&o, &cause);
    assert_non_null(cfg);
    assert_string_equal(cfg->server, "https://10.0.0.1:443");
    assert_string_equal(cfg->namespace, "kargo-demo");
    assert_string_equal(cfg->context, "in-cluster");
    kubeconfig_free(cfg);

    /* ~/.kube/config takes precedence over in-cluster config. */
    char *kd = xasprintf("%s/.kube", f->dir);
    mkdir(kd, 0700);
    free(kt_write(kd, "config", file_b, false));
    free(kd);
    cfg = kubeconfig_load(&o, &cause);
    assert_non_null(cfg);
    assert_string_equal(cfg->context, "prod");
    kubeconfig_free(cfg);
    unsetenv("KUBERNETES_SERVICE_HOST");
    unsetenv("KUBERNETES_SERVICE_PORT");
    if (old_home)
        setenv("HOME", old_home, 1);
    free(old_home);
}

static void test_context_list(void **state)
{
    struct fixture *f = *state;
    set_kubeconfig(f->c, f->a, NULL);
    char **names = NULL, *cur = NULL, *cause = NULL;
    size_t n = 0;
    struct kubeconfig_opts o = {0};
    assert_int_equal(kubeconfig_contexts(&o, &names, &n, &cur, &cause), 0);
    assert_int_equal(n, 3);
    assert_string_equal(names[0], "dev");
    assert_string_equal(names[1], "other");
    assert_string_equal(names[2], "shared");
    assert_string_equal(cur, "dev");
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(cur);
}

/* What kubectl selects for the same KUBECONFIG and flags. */
static cJSON *kubectl_minify(const char *context, const char *ns)
{
    char *argv[10];
    int i = 0;
    argv[i++] = "kubectl";
    argv[i++] = "config";
    argv[i++] = "view";
    argv[i++] = "--minify";
    argv[i++] = "-o";
    argv[i++] = "json";
    char *ctxarg = context ? xasprintf("--context=%s", context) : NULL;
    char *nsarg = ns ? xasprintf("--namespace=%s", ns) : NULL;
    if (ctxarg)
        argv[i++] = ctxarg;
    if (nsarg)
        argv[i++] = nsarg;
    argv[i] = NULL;
    struct proc_result r;
    cJSON *out = NULL;
    if (proc_run(argv, NULL, 20000, &r) == 0) {
        if (r.status == 0)
            out = cJSON_Parse(r.out);
        else
            fprintf(stderr, "kubectl: %s\n", r.err);
        proc_result_free(&r);
    }
    free(ctxarg);
    free(nsarg);
    return out;
}

static void test_agrees_with_kubectl(void **state)
{
    struct fixture *f = *state;
    if (access("/usr/bin/kubectl", X_OK) != 0 && system("command -v kubectl >/dev/null") != 0)
        skip();
    static const struct {
        int order; /* 0: a:b:c, 1: b:a:c, 2: c:a */
        const char *context, *ns;
    } cases[] = {
        {0, NULL, NULL}, {0, "shared", NULL}, {1, NULL, NULL},   {1, "shared", NULL},
        {2, NULL, NULL}, {2, "other", NULL},  {0, "prod", NULL}, {1, "dev", NULL},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        if (cases[k].order == 0)
            set_kubeconfig(f->a, f->b, f->c);
        else if (cases[k].order == 1)
            set_kubeconfig(f->b, f->a, f->c);
        else
            set_kubeconfig(f->c, f->a, NULL);
        cJSON *kc = kubectl_minify(cases[k].context, cases[k].ns);
        assert_non_null(kc);
        char *cause = NULL;
        struct kubeconfig_opts o = {.context = cases[k].context, .namespace = cases[k].ns};
        struct kube_config *cfg = kubeconfig_load(&o, &cause);
        assert_non_null(cfg);
        const cJSON *cl = cJSON_GetArrayItem(json_get(kc, "clusters", (char *)NULL), 0);
        const cJSON *us = cJSON_GetArrayItem(json_get(kc, "users", (char *)NULL), 0);
        const cJSON *cx = cJSON_GetArrayItem(json_get(kc, "contexts", (char *)NULL), 0);
        assert_string_equal(json_get_string(kc, "current-context", (char *)NULL), cfg->context);
        assert_string_equal(json_get_string(cl, "name", (char *)NULL), cfg->cluster_name);
        const char *server = json_get_string(cl, "cluster", "server", (char *)NULL);
        size_t sl = strlen(server);
        while (sl > 0 && server[sl - 1] == '/')
            sl--;
        assert_int_equal(sl, strlen(cfg->server));
        assert_memory_equal(server, cfg->server, sl);
        assert_string_equal(json_get_string(us, "name", (char *)NULL), cfg->user_name);
        const char *ns = json_get_string(cx, "context", "namespace", (char *)NULL);
        assert_string_equal(ns ? ns : "default", cfg->namespace);
        bool insecure = false;
        json_get_bool(cl, &insecure, "cluster", "insecure-skip-tls-verify", (char *)NULL);
        assert_int_equal(insecure, cfg->insecure);
        kubeconfig_free(cfg);
        cJSON_Delete(kc);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_first_file_sets_current_context_and_wins_map_entries,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_current_context_from_a_later_file_and_missing_files_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_overrides_cluster_user_namespace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors_name_file_context_and_choices, setup, teardown),
        cmocka_unit_test_setup_teardown(test_secrets_never_appear_in_messages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exec_user_paths_and_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_home_default_then_in_cluster, setup, teardown),
        cmocka_unit_test_setup_teardown(test_context_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_agrees_with_kubectl, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
