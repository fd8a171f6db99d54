/* The binary's non-interactive surface: --help, --version, and usage errors (exit code 2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "proc.h"

static void run(struct proc_result *r, char *const argv[])
{
    assert_int_equal(proc_run(argv, NULL, 10000, r), 0);
}

static void test_help_lists_options_on_stdout(void **state)
{
    struct proc_result r;
    run(&r, (char *[]){KARGOTOP_BIN, "--help", NULL});
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "Usage: kargotop"));
    assert_non_null(strstr(r.out, "--kubeconfig FILE"));
    assert_non_null(strstr(r.out, "--readonly"));
    assert_non_null(strstr(r.out, "--demo"));
    assert_string_equal(r.err, "");
    proc_result_free(&r);
}

static void test_version_names_libraries(void **state)
{
    struct proc_result r;
    run(&r, (char *[]){KARGOTOP_BIN, "--version", NULL});
    assert_int_equal(r.status, 0);
    assert_true(strncmp(r.out, "kargotop " KARGOTOP_VERSION_EXPECTED "\n",
                        strlen("kargotop " KARGOTOP_VERSION_EXPECTED "\n")) == 0);
    assert_non_null(strstr(r.out, "ncurses 6."));
    assert_non_null(strstr(r.out, "libcurl "));
    assert_non_null(strstr(r.out, "cJSON "));
    assert_non_null(strstr(r.out, "libyaml "));
    proc_result_free(&r);
}

static void test_unknown_option_exits_2_with_clear_message(void **state)
{
    struct proc_result r;
    run(&r, (char *[]){KARGOTOP_BIN, "--frobnicate", NULL});
    assert_int_equal(r.status, 2);
    assert_string_equal(r.out, "");
    assert_non_null(strstr(r.err, "kargotop: unknown option '--frobnicate'"));
    assert_non_null(strstr(r.err, "kargotop --help"));
    proc_result_free(&r);
}

static void test_missing_argument_exits_2(void **state)
{
    struct proc_result r;
    run(&r, (char *[]){KARGOTOP_BIN, "--kubeconfig", NULL});
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "'--kubeconfig' needs an argument"));
    proc_result_free(&r);
}

static void test_without_a_terminal_says_so(void **state)
{
    struct proc_result r;
    run(&r, (char *[]){KARGOTOP_BIN, NULL}); /* stdin is /dev/null, stdout a pipe */
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "needs a terminal"));
    proc_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help_lists_options_on_stdout),
        cmocka_unit_test(test_version_names_libraries),
        cmocka_unit_test(test_unknown_option_exits_2_with_clear_message),
        cmocka_unit_test(test_missing_argument_exits_2),
        cmocka_unit_test(test_without_a_terminal_says_so),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
