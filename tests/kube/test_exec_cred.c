/* exec credential plugins run by a test plugin that counts its runs: argv exactly as configured
 * (no shell), env, KUBERNETES_EXEC_INFO, caching until expirationTimestamp, stderr captured. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "kube/exec_cred.h"
#include "kube/kubeconfig.h"
#include "kubetest.h"
#include "util/json.h"
#include "util/xalloc.h"

/* Counts its runs in $DIR/count, records argv and KUBERNETES_EXEC_INFO, says something on
 * stderr, and prints a credential (or fails, per $DIR/mode). */
static const char *plugin =
    "#!/bin/sh\n"
    "d=\"$PLUGIN_DIR\"\n"
    "n=$(cat \"$d/count\" 2>/dev/null || echo 0); n=$((n+1)); echo $n > \"$d/count\"\n"
    "printf '%s\\n' \"$@\" > \"$d/args\"\n"
    "printf '%s' \"$KUBERNETES_EXEC_INFO\" > \"$d/info\"\n"
    "echo \"plugin: fetched credential $n\" >&2\n"
    "mode=$(cat \"$d/mode\" 2>/dev/null)\n"
    "if [ \"$mode\" = fail ]; then echo \"refresh token expired; run 'login'\" >&2; exit 3; fi\n"
    "if [ \"$mode\" = badversion ]; then\n"
    "  echo '{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\","
    "\"status\":{\"token\":\"x\"}}'; exit 0; fi\n"
    "exp=$(cat \"$d/expiry\" 2>/dev/null)\n"
    "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
    "\"status\":{\"token\":\"tok-%s\"' \"$n\"\n"
    "[ -n \"$exp\" ] && printf ',\"expirationTimestamp\":\"%s\"' \"$exp\"\n"
    "echo '}}'\n";

struct fixture {
    char *dir;
    char *kubeconfig;
    struct kube_config *cfg;
};

static struct kube_config *load(struct fixture *f, const char *mode_line)
{
    char *kc = xasprintf("apiVersion: v1\n"
                         "kind: Config\n"
                         "current-context: c\n"
                         "clusters:\n"
                         "- name: k\n"
                         "  cluster:\n"
                         "    server: https://k.example:6443\n"
                         "    extensions:\n"
                         "    - name: client.authentication.k8s.io/exec\n"
                         "      extension: {audience: kargo}\n"
                         "users:\n"
                         "- name: u\n"
                         "  user:\n"
                         "    exec:\n"
                         "      apiVersion: client.authentication.k8s.io/v1\n"
                         "      command: %s\n"
                         "      args: [\"get token\", \"$(touch %s/pwned)\", \"a;b\"]\n"
                         "      env: [{name: PLUGIN_DIR, value: \"%s\"}]\n"
                         "      provideClusterInfo: true\n"
                         "      installHint: get it from example.com/plugin\n"
                         "      %s\n"
                         "contexts:\n"
                         "- name: c\n"
                         "  context: {cluster: k, user: u}\n",
                         "./plugin.sh", f->dir, f->dir, mode_line);
    free(f->kubeconfig);
    f->kubeconfig = kt_write(f->dir, "config", kc, false);
    free(kc);
    char *cause = NULL;
    struct kubeconfig_opts o = {.kubeconfig = f->kubeconfig};
    struct kube_config *cfg = kubeconfig_load(&o, &cause);
    if (cfg == NULL)
        fail_msg("%s", cause);
    return cfg;
}

static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof *f);
    f->dir = kt_mkdtemp();
    free(kt_write(f->dir, "plugin.sh", plugin, true));
    f->cfg = load(f, "interactiveMode: Never");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    kubeconfig_free(f->cfg);
    kt_rmtree(f->dir);
    free(f->dir);
    free(f->kubeconfig);
    free(f);
    return 0;
}

static int runs(struct fixture *f)
{
    char *p = xasprintf("%s/count", f->dir);
    char *s = kt_slurp(p);
    free(p);
    int n = s ? atoi(s) : 0;
    free(s);
    return n;
}

static void put(struct fixture *f, const char *name, const char *text)
{
    free(kt_write(f->dir, name, text, false));
}

static void test_argv_env_and_exec_info(void **state)
{
    struct fixture *f = *state;
    struct exec_cred_cache *c = exec_cred_new(f->cfg);
    char *cause = NULL;
    const struct exec_cred *cred = exec_cred_get(c, time(NULL), &cause);
    assert_non_null(cred);
    assert_string_equal(cred->token, "tok-1");
    assert_int_equal(runs(f), 1);
    /* Arguments arrive exactly as written: no shell expanded or split them. */
    char *p = xasprintf("%s/args", f->dir);
    char *args = kt_slurp(p);
    free(p);
    char *want = xasprintf("get token\n$(touch %s/pwned)\na;b\n", f->dir);
    assert_string_equal(args, want);
    free(want);
    free(args);
    p = xasprintf("%s/pwned", f->dir);
    assert_int_not_equal(access(p, F_OK), 0);
    free(p);
    p = xasprintf("%s/info", f->dir);
    char *info = kt_slurp(p);
    free(p);
    cJSON *j = cJSON_Parse(info);
    free(info);
    assert_non_null(j);
    assert_string_equal(json_get_string(j, "kind", (char *)NULL), "ExecCredential");
    assert_string_equal(json_get_string(j, "apiVersion", (char *)NULL),
                        "client.authentication.k8s.io/v1");
    bool interactive = true;
    assert_true(json_get_bool(j, &interactive, "spec", "interactive", (char *)NULL));
    assert_false(interactive);
    assert_string_equal(json_get_string(j, "spec", "cluster", "server", (char *)NULL),
                        "https://k.example:6443");
    assert_string_equal(json_get_string(j, "spec", "cluster", "config", "audience", (char *)NULL),
                        "kargo");
    cJSON_Delete(j);
    /* stderr was captured, for a message, and not written to ours. */
    assert_string_equal(exec_cred_stderr(c), "plugin: fetched credential 1");
    exec_cred_free(c);
}

static void test_cached_until_expiry_and_after_invalidate(void **state)
{
    struct fixture *f = *state;
    put(f, "expiry", "2030-01-01T00:00:00Z");
    struct exec_cred_cache *c = exec_cred_new(f->cfg);
    char *cause = NULL;
    time_t before = 1893456000 - 60; /* a minute before 2030-01-01 */
    assert_string_equal(exec_cred_get(c, before, &cause)->token, "tok-1");
    assert_string_equal(exec_cred_get(c, before + 30, &cause)->token, "tok-1");
    assert_int_equal(runs(f), 1);
    assert_int_equal(exec_cred_runs(c), 1);
    /* At the expiry it runs again. */
    assert_string_equal(exec_cred_get(c, 1893456000, &cause)->token, "tok-2");
    assert_int_equal(runs(f), 2);
    /* After a 401 the caller invalidates: runs again although not expired. */
    exec_cred_invalidate(c);
    assert_string_equal(exec_cred_get(c, before, &cause)->token, "tok-3");
    assert_int_equal(exec_cred_runs(c), 3);
    exec_cred_free(c);
}

static void test_failure_carries_stderr_status_and_no_token(void **state)
{
    struct fixture *f = *state;
    put(f, "mode", "fail");
    struct exec_cred_cache *c = exec_cred_new(f->cfg);
    char *cause = NULL;
    assert_null(exec_cred_get(c, time(NULL), &cause));
    assert_non_null(strstr(cause, "exit status 3"));
    assert_non_null(strstr(cause, "refresh token expired; run 'login'"));
    assert_non_null(strstr(cause, "user 'u'"));
    free(cause);
    cause = NULL;
    put(f, "mode", "badversion");
    assert_null(exec_cred_get(c, time(NULL), &cause));
    assert_non_null(strstr(cause, "v1beta1"));
    free(cause);
    exec_cred_free(c);
}

static void test_missing_plugin_shows_install_hint(void **state)
{
    struct fixture *f = *state;
    free(f->cfg->exec->command);
    f->cfg->exec->command = xstrdup("kargotop-no-such-plugin");
    struct exec_cred_cache *c = exec_cred_new(f->cfg);
    char *cause = NULL;
    assert_null(exec_cred_get(c, time(NULL), &cause));
    assert_non_null(strstr(cause, "kargotop-no-such-plugin"));
    assert_non_null(strstr(cause, "get it from example.com/plugin"));
    free(cause);
    exec_cred_free(c);
}

static void test_interactive_always_is_refused(void **state)
{
    struct fixture *f = *state;
    kubeconfig_free(f->cfg);
    f->cfg = load(f, "interactiveMode: Always");
    struct exec_cred_cache *c = exec_cred_new(f->cfg);
    char *cause = NULL;
    assert_null(exec_cred_get(c, time(NULL), &cause));
    assert_non_null(strstr(cause, "interactiveMode: Always"));
    assert_int_equal(runs(f), 0);
    free(cause);
    exec_cred_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_argv_env_and_exec_info, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cached_until_expiry_and_after_invalidate, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_failure_carries_stderr_status_and_no_token, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_missing_plugin_shows_install_hint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interactive_always_is_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
