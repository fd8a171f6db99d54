/* Secrets (issue 12): the real binary with a known bearer token, client key, exec-plugin
 * credential and password, through the dashboard (every view, a context switch), the command
 * line and their error paths (wrong token, basic auth refused, a failing plugin, a missing
 * kubeconfig); none of the secrets may appear in anything written to the terminal, stdout,
 * stderr or any file the program created (under its HOME, XDG directories, TMPDIR, working
 * directory, and /tmp). The exec plugin's argv is passed literally: an argument holding
 * `;rm -rf` removes nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "expect.h"
#include "proc.h"
#include "ptyterm.h"
#include "uienv.h"
#include "util/base64.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define WAIT_MS 20000
/* with this process's id after them: a copy of the test running beside it has its own */
#define PASSWORD "hunter2-kt-secret-pw-%ld"
#define WRONG    "kt-wrong-secret-token-0123456789abcdef-%ld"

struct fx {
    struct env *e;
    char *root; /* the private directory: kubeconfig, plugin, and the program's home */
    char *kubeconfig;
    char *env[8];
    const char *secrets[16];
    size_t nsecrets;
    char *owned[16]; /* secrets built here, freed at the end */
    size_t nowned;
    time_t started;
};

static const char plugin[] =
    "#!/bin/sh\n"
    "for a in \"$@\"; do printf '%s\\n' \"$a\"; done > \"$KT_DIR/args\"\n"
    "if [ \"$1\" = fail ]; then\n"
    "  echo \"login required for $KT_TOKEN\" >/dev/null; echo 'login required' >&2\n"
    "  printf '{\"status\":{\"token\":\"%s\"}}' \"$KT_TOKEN\"; exit 1\n"
    "fi\n"
    "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
    "\"status\":{\"token\":\"%s\"}}\\n' \"$KT_TOKEN\"\n";

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    struct strbuf sb;
    strbuf_init(&sb);
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        strbuf_append_len(&sb, buf, n);
    fclose(f);
    *len = sb.len;
    return strbuf_detach(&sb);
}

static void put(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(path, mode), 0);
}

static void add_secret(struct fx *f, const char *s, bool owned)
{
    f->secrets[f->nsecrets++] = s;
    if (owned)
        f->owned[f->nowned++] = (char *)s;
}

static bool holds(const char *data, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; n > 0 && i + n <= len; i++)
        if (data[i] == needle[0] && memcmp(data + i, needle, n) == 0)
            return true;
    return false;
}

static void expect_no_secret(struct fx *f, const char *what, const char *data, size_t len)
{
    for (size_t i = 0; i < f->nsecrets; i++)
        if (holds(data, len, f->secrets[i]))
            fail_msg("secret #%zu (%.12s...) found in %s", i, f->secrets[i], what);
}

static int setup(void **state)
{
    static const char *const builtin[] = {"flask-app", NULL};
    struct fx *f = xcalloc(1, sizeof *f);
    f->started = time(NULL);
    struct uienv_opts o = uienv_defaults();
    o.scenarios = builtin;
    o.tls = true;
    f->e = uienv_start_opts(&o);
    if (f->e == NULL)
        return -1;
    f->root = xasprintf("%s/private", f->e->dir);
    mkdir(f->root, 0700);
    const char *dirs[] = {"home", "home/.config", "home/.cache", "home/.local", "home/.local/state",
                          "tmp",  "cwd"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        char *p = xasprintf("%s/%s", f->root, dirs[i]);
        mkdir(p, 0700);
        free(p);
    }
    char *plugin_path = xasprintf("%s/plugin.sh", f->root);
    put(plugin_path, plugin, 0700);
    char *victim = xasprintf("%s/victim", f->root);
    put(victim, "still here\n", 0600);

    const char *token = sim_token(f->e->sim, "admin");
    const char *exec_token = sim_token(f->e->sim, "promoter");
    const char *key = sim_client_key_pem(f->e->sim);
    const char *ca = sim_ca_pem(f->e->sim);
    const char *cert = sim_client_cert_pem(f->e->sim);
    char *ca64 = base64_encode(ca, strlen(ca)), *cert64 = base64_encode(cert, strlen(cert));
    char *key64 = base64_encode(key, strlen(key));
    add_secret(f, token, false);
    add_secret(f, exec_token, false);
    char *password = xasprintf(PASSWORD, (long)getpid()), *wrong = xasprintf(WRONG, (long)getpid());
    add_secret(f, password, true);
    add_secret(f, wrong, true);
    /* the key as the kubeconfig holds it: 48 characters past the base64 of "-----BEGIN PRIVATE
     * KEY-----", which every key's starts with */
    assert_true(strlen(key64) > 64 + 48);
    add_secret(f, xstrndup(key64 + 64, 48), true);
    /* and as PEM: each full line of its body */
    const char *line = strchr(key, '\n');
    while (line != NULL && f->nsecrets < 14) {
        const char *next = strchr(line + 1, '\n');
        if (next != NULL && next - line - 1 >= 40 && line[1] != '-')
            add_secret(f, xstrndup(line + 1, (size_t)(next - line - 1)), true);
        line = next;
    }

    char *kc = xasprintf(
        "apiVersion: v1\nkind: Config\ncurrent-context: token\n"
        "clusters:\n- name: sim\n  cluster:\n    server: %s\n    certificate-authority-data: %s\n"
        "users:\n"
        "- name: token\n  user: {token: %s}\n"
        "- name: cert\n  user: {client-certificate-data: %s, client-key-data: %s}\n"
        "- name: exec\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
        "      command: %s\n      args: [get, \"x;rm -rf %s\", \"$(touch %s/pwned)\"]\n"
        "      interactiveMode: Never\n"
        "      env: [{name: KT_DIR, value: \"%s\"}, {name: KT_TOKEN, value: \"%s\"}]\n"
        "- name: execfail\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
        "      command: %s\n      args: [fail]\n      interactiveMode: Never\n"
        "      env: [{name: KT_DIR, value: \"%s\"}, {name: KT_TOKEN, value: \"%s\"}]\n"
        "- name: basic\n  user: {username: admin, password: %s}\n"
        "- name: badtoken\n  user: {token: %s}\n"
        "contexts:\n"
        "- {name: token, context: {cluster: sim, user: token, namespace: flask-app}}\n"
        "- {name: cert, context: {cluster: sim, user: cert, namespace: flask-app}}\n"
        "- {name: exec, context: {cluster: sim, user: exec, namespace: flask-app}}\n"
        "- {name: execfail, context: {cluster: sim, user: execfail, namespace: flask-app}}\n"
        "- {name: basic, context: {cluster: sim, user: basic, namespace: flask-app}}\n"
        "- {name: badtoken, context: {cluster: sim, user: badtoken, namespace: flask-app}}\n",
        sim_url(f->e->sim), ca64, token, cert64, key64, plugin_path, victim, f->root, f->root,
        exec_token, plugin_path, f->root, exec_token, password, wrong);
    f->kubeconfig = xasprintf("%s/kubeconfig", f->root);
    put(f->kubeconfig, kc, 0600);
    free(kc);
    free(ca64);
    free(cert64);
    free(key64);
    free(plugin_path);
    free(victim);

    f->env[0] = xasprintf("HOME=%s/home", f->root);
    f->env[1] = xasprintf("XDG_CONFIG_HOME=%s/home/.config", f->root);
    f->env[2] = xasprintf("XDG_CACHE_HOME=%s/home/.cache", f->root);
    f->env[3] = xasprintf("XDG_STATE_HOME=%s/home/.local/state", f->root);
    f->env[4] = xasprintf("TMPDIR=%s/tmp", f->root);
    f->env[5] = xasprintf("KUBECONFIG=%s", f->kubeconfig);
    /* the program runs in its own working directory */
    char *cwd = xasprintf("%s/cwd", f->root);
    assert_int_equal(chdir(cwd), 0);
    free(cwd);
    *state = f;
    return 0;
}

static void rm_rf(const char *path)
{
    char *cmd = xasprintf("rm -rf '%s'", path);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", path);
    free(cmd);
}

static int teardown(void **state)
{
    struct fx *f = *state;
    if (chdir("/") != 0)
        return -1;
    rm_rf(f->root);
    unlink(f->kubeconfig);
    uienv_stop(f->e);
    for (size_t i = 0; i < f->nowned; i++)
        free(f->owned[i]);
    for (size_t i = 0; f->env[i] != NULL; i++)
        free(f->env[i]);
    free(f->kubeconfig);
    free(f->root);
    free(f);
    return 0;
}

static struct ptyterm *dashboard(struct fx *f, const char *context)
{
    char *argv[] = {KARGOTOP_BIN, "--context", (char *)context, NULL};
    struct ptyterm *t = ptyterm_spawn(argv, f->env, 40, 160);
    assert_non_null(t);
    expect_text(t, "kargotop");
    return t;
}

static void quit_and_check(struct fx *f, struct ptyterm *t, const char *what)
{
    int status;
    ptyterm_send(t, "\033\033q");
    if (!ptyterm_wait_exit(t, WAIT_MS, &status)) {
        ptyterm_dump(t, "did not exit");
        fail();
    }
    size_t len;
    const char *raw = ptyterm_raw(t, &len);
    expect_no_secret(f, what, raw, len);
    char *screen = ptyterm_screen(t);
    expect_no_secret(f, what, screen, strlen(screen));
    free(screen);
    ptyterm_free(t);
}

/* Every regular file under dir (and, for /tmp, only those changed since the test started and
 * outside this test's own directory) holds no secret. */
static void scan_files(struct fx *f, const char *dir, bool only_new, int depth)
{
    DIR *d = opendir(dir);
    if (d == NULL || depth > 6) {
        if (d != NULL)
            closedir(d);
        return;
    }
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
        if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0)
            continue;
        char *p = xasprintf("%s/%s", dir, ent->d_name);
        struct stat st;
        if (strcmp(p, f->e->dir) == 0 || lstat(p, &st) != 0 || st.st_uid != getuid()) {
            free(p);
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            scan_files(f, p, only_new, depth + 1);
        } else if (S_ISREG(st.st_mode) && st.st_size < 16 * 1024 * 1024 &&
                   (!only_new || st.st_mtime >= f->started)) {
            size_t len;
            char *data = slurp(p, &len);
            if (data != NULL)
                expect_no_secret(f, p, data, len);
            free(data);
        }
        free(p);
    }
    closedir(d);
}

static void test_dashboard_with_each_credential(void **state)
{
    struct fx *f = *state;
    const char *working[] = {"token", "cert", "exec"};
    for (size_t i = 0; i < sizeof working / sizeof working[0]; i++) {
        struct ptyterm *t = dashboard(f, working[i]);
        expect_text(t, "live");
        expect_text(t, "Freight for");
        ptyterm_send(t, "\r");
        ptyterm_send(t, "\033y");
        ptyterm_send(t, "\033\033:events\r");
        expect_text(t, "Events of flask-app");
        ptyterm_send(t, "\033:projects\r");
        expect_text(t, "Projects");
        ptyterm_send(t, "\033?");
        expect_text(t, "show or hide this help");
        /* a switch to a context whose credential the server refuses: its error, and no secret */
        ptyterm_send(t, "\033:ctx badtoken\r");
        expect_text(t, "ctx: badtoken");
        expect_text(t, "Unauthorized");
        quit_and_check(f, t, working[i]);
    }
}

static void test_dashboard_error_paths(void **state)
{
    struct fx *f = *state;
    const char *refused[] = {"badtoken", "basic", "execfail"};
    const char *says[] = {"Unauthorized", "Unauthorized", "exec plugin"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        struct ptyterm *t = dashboard(f, refused[i]);
        expect_text(t, says[i]);
        ptyterm_send(t, ":projects\r");
        expect_text(t, says[i]);
        quit_and_check(f, t, refused[i]);
    }
}

static void test_commands_and_their_errors(void **state)
{
    struct fx *f = *state;
    char *runs[][10] = {
        {KARGOTOP_BIN, "--version", NULL},
        {KARGOTOP_BIN, "--help", NULL},
        {KARGOTOP_BIN, "--no-such-option", NULL},
        {KARGOTOP_BIN, "--kubeconfig", "/nonexistent/kubeconfig", "get", "stages", NULL},
        /* every credential, reading and writing, with JSON and YAML output */
        {KARGOTOP_BIN, "--context", "token", "get", "stages", "-o", "yaml", NULL},
        {KARGOTOP_BIN, "--context", "cert", "get", "freight", "-o", "json", NULL},
        {KARGOTOP_BIN, "--context", "exec", "get", "promotions", "-o", "wide", NULL},
        {KARGOTOP_BIN, "--context", "token", "get", "projects", NULL},
        {KARGOTOP_BIN, "--context", "exec", "promote", "--stage", "dev", NULL},
        {KARGOTOP_BIN, "--context", "token", "refresh", "warehouse", "flask-app", NULL},
        /* the error paths: refused credentials, a forbidden write, a missing object */
        {KARGOTOP_BIN, "--context", "badtoken", "get", "stages", NULL},
        {KARGOTOP_BIN, "--context", "basic", "get", "stages", NULL},
        {KARGOTOP_BIN, "--context", "execfail", "get", "stages", NULL},
        {KARGOTOP_BIN, "--context", "cert", "promote", "--stage", "dev", NULL},
        {KARGOTOP_BIN, "--context", "token", "get", "stages", "no-such-stage", NULL},
        {KARGOTOP_BIN, "--context", "no-such-context", "get", "stages", NULL},
    };
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        struct proc_result r;
        assert_int_equal(proc_run(runs[i], f->env, WAIT_MS, &r), 0);
        assert_true(r.status >= 0); /* finished in time */
        if (i == 4)
            assert_non_null(strstr(r.out, "kind: Stage")); /* it did talk to the cluster */
        if (i >= 10)
            assert_int_not_equal(r.status, 0); /* and the error paths did fail */
        expect_no_secret(f, "stdout", r.out, strlen(r.out));
        expect_no_secret(f, "stderr", r.err, strlen(r.err));
        proc_result_free(&r);
    }
}

static void test_exec_argv_is_literal(void **state)
{
    struct fx *f = *state;
    struct ptyterm *t = dashboard(f, "exec");
    expect_text(t, "live");
    quit_and_check(f, t, "exec");
    char *p = xasprintf("%s/args", f->root);
    size_t len;
    char *args = slurp(p, &len);
    free(p);
    assert_non_null(args);
    char *want = xasprintf("get\nx;rm -rf %s/victim\n$(touch %s/pwned)\n", f->root, f->root);
    assert_string_equal(args, want);
    free(want);
    free(args);
    p = xasprintf("%s/victim", f->root);
    assert_int_equal(access(p, F_OK), 0); /* nothing was removed */
    free(p);
    p = xasprintf("%s/pwned", f->root);
    assert_int_not_equal(access(p, F_OK), 0); /* nothing was run */
    free(p);
}

/* Last: whatever the runs above left behind. */
static void test_no_secret_in_any_file_created(void **state)
{
    struct fx *f = *state;
    const char *dirs[] = {"home", "tmp", "cwd"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        char *p = xasprintf("%s/%s", f->root, dirs[i]);
        scan_files(f, p, false, 0);
        free(p);
    }
    scan_files(f, "/tmp", true, 0);
    const char *tmpdir = getenv("TMPDIR");
    if (tmpdir != NULL && strcmp(tmpdir, "/tmp") != 0)
        scan_files(f, tmpdir, true, 0);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dashboard_with_each_credential),
        cmocka_unit_test(test_dashboard_error_paths),
        cmocka_unit_test(test_commands_and_their_errors),
        cmocka_unit_test(test_exec_argv_is_literal),
        cmocka_unit_test(test_no_secret_in_any_file_created),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
