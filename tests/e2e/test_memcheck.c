/* valgrind memcheck on an end-to-end session (issue 12): kargotop under valgrind in a
 * pseudo-terminal against the simulated cluster (the seed scenarios plus hostile text), through
 * the dashboard, details, YAML, lists, a project switch and a resize, then q. memcheck must
 * report no error and no definitely lost block (exit status 99 otherwise). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ptyterm.h"
#include "uienv.h"
#include "util/xalloc.h"

#define WAIT_MS 120000 /* everything is 20-50 times slower under memcheck */

static void show_log(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return;
    char line[1024];
    while (fgets(line, sizeof line, f) != NULL)
        fputs(line, stderr);
    fclose(f);
}

#define expect(t, text)                                                                            \
    do {                                                                                           \
        if (!ptyterm_wait_text(t, text, WAIT_MS)) {                                                \
            ptyterm_dump(t, "missing: " text);                                                     \
            show_log(log);                                                                         \
            fail_msg("the screen never showed '%s'", text);                                        \
        }                                                                                          \
    } while (0)

static void test_session_under_memcheck(void **state)
{
    static const char *const builtin[] = {"flask-app", "backstage", NULL};
    struct uienv_opts o = uienv_defaults();
    o.scenarios = builtin;
    o.tls = true;
    struct env *e = uienv_start_opts(&o);
    assert_non_null(e);
    char *log = xasprintf("%s/memcheck.log", e->dir);
    char *logopt = xasprintf("--log-file=%s", log);
    char *supp = xasprintf("--suppressions=%s/tests/support/valgrind.supp", KT_SOURCE_DIR);
    char *argv[] = {VALGRIND,
                    "--tool=memcheck",
                    "--error-exitcode=99",
                    "--leak-check=full",
                    "--show-leak-kinds=definite",
                    "--errors-for-leak-kinds=definite",
                    "--track-fds=no",
                    supp,
                    logopt,
                    KARGOTOP_BIN,
                    "--kubeconfig",
                    e->kubeconfig,
                    "-n",
                    "flask-app",
                    NULL};
    struct ptyterm *t = ptyterm_spawn(argv, NULL, 40, 160);
    assert_non_null(t);
    expect(t, "Freight for");
    expect(t, "live");
    ptyterm_send(t, "\r");
    expect(t, "Stage");
    ptyterm_send(t, "y");
    expect(t, "apiVersion");
    ptyterm_send(t, "\033\033:freight\r");
    expect(t, "ALIAS");
    ptyterm_send(t, "\033:events\r");
    expect(t, "Events of flask-app");
    ptyterm_send(t, "\033:project backstage-kargo\r");
    expect(t, "project: backstage-kargo");
    ptyterm_resize(t, 24, 80);
    ptyterm_send(t, "?");
    expect(t, "help");
    ptyterm_send(t, "\033q");
    int status = 0;
    if (!ptyterm_wait_exit(t, WAIT_MS, &status)) {
        ptyterm_dump(t, "did not exit");
        show_log(log);
        fail();
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        show_log(log);
        fail_msg("memcheck: exit status 0x%x (99: errors or definite leaks)", status);
    }
    ptyterm_free(t);
    unlink(log);
    free(log);
    free(logopt);
    free(supp);
    uienv_stop(e);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_session_under_memcheck)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
