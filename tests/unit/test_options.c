/* The dashboard's command line: every option, its aliases, and the errors a person sees. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/options.h"

#define ARGV(...)            ((char *[]){"kargotop", __VA_ARGS__, NULL})
#define ARGC(...)            ((int)(sizeof((char *[]){"kargotop", __VA_ARGS__}) / sizeof(char *)))
#define PARSE(o, cause, ...) options_parse(o, ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), cause)

static void test_no_arguments_is_the_dashboard(void **state)
{
    struct options o = {0};
    char *argv[] = {"kargotop", NULL};
    assert_int_equal(options_parse(&o, 1, argv, NULL), 0);
    assert_null(o.kubeconfig);
    assert_null(o.project);
    assert_false(o.readonly || o.demo || o.help || o.version);
    options_free(&o);
}

static void test_every_option(void **state)
{
    struct options o = {0};
    char *cause = NULL;
    assert_int_equal(PARSE(&o, &cause, "--kubeconfig", "/tmp/kc", "--context", "prod", "--cluster",
                           "eks-1", "--user", "alice", "--project", "kargo-demo", "--readonly",
                           "--demo"),
                     0);
    assert_null(cause);
    assert_string_equal(o.kubeconfig, "/tmp/kc");
    assert_string_equal(o.context, "prod");
    assert_string_equal(o.cluster, "eks-1");
    assert_string_equal(o.user, "alice");
    assert_string_equal(o.project, "kargo-demo");
    assert_true(o.readonly);
    assert_true(o.demo);
    options_free(&o);
}

static void test_project_aliases_and_equals_form(void **state)
{
    struct options o = {0};
    assert_int_equal(PARSE(&o, NULL, "-n", "a"), 0);
    assert_string_equal(o.project, "a");
    assert_int_equal(PARSE(&o, NULL, "-p", "b"), 0); /* a later value replaces, no leak */
    assert_string_equal(o.project, "b");
    assert_int_equal(PARSE(&o, NULL, "--namespace=c"), 0);
    assert_string_equal(o.project, "c");
    assert_int_equal(PARSE(&o, NULL, "--context=staging"), 0);
    assert_string_equal(o.context, "staging");
    options_free(&o);
}

static void test_help_and_version_flags(void **state)
{
    struct options o = {0};
    assert_int_equal(PARSE(&o, NULL, "--help"), 0);
    assert_true(o.help);
    options_free(&o);
    assert_int_equal(PARSE(&o, NULL, "-h"), 0);
    assert_true(o.help);
    options_free(&o);
    assert_int_equal(PARSE(&o, NULL, "--version"), 0);
    assert_true(o.version);
    options_free(&o);
}

static void expect_error(const char *needle, int argc, char *argv[])
{
    struct options o = {0};
    char *cause = NULL;
    assert_int_equal(options_parse(&o, argc, argv, &cause), -1);
    assert_non_null(cause);
    if (strstr(cause, needle) == NULL)
        fail_msg("error \"%s\" does not mention \"%s\"", cause, needle);
    free(cause);
    options_free(&o);
}

static void test_errors_name_the_argument(void **state)
{
    expect_error("unknown option '--bogus'", ARGC("--bogus"), ARGV("--bogus"));
    expect_error("unknown option '-x'", ARGC("-x"), ARGV("-x"));
    expect_error("'--context' needs an argument", ARGC("--context"), ARGV("--context"));
    expect_error("'-n' needs an argument", ARGC("-n"), ARGV("-n"));
    expect_error("unexpected argument 'stages'", ARGC("stages"), ARGV("stages"));
    expect_error("project name is empty", ARGC("--project="), ARGV("--project="));
}

/* Commands: the first word, options before or after it, and only the options that apply. */
static void test_commands_and_their_options(void **state)
{
    struct options o = {0};
    char *cause = NULL;
    assert_int_equal(PARSE(&o, &cause, "-p", "microsvcs", "get", "freight", "--stage", "prod", "-o",
                           "wide", "-w", "abc"),
                     0);
    assert_int_equal(o.cmd.command, CLI_GET);
    assert_int_equal(o.cmd.n_words, 2);
    assert_string_equal(o.cmd.words[0], "freight");
    assert_string_equal(o.cmd.words[1], "abc");
    assert_string_equal(o.cmd.stage, "prod");
    assert_string_equal(o.cmd.output, "wide");
    assert_true(o.cmd.watch);
    assert_string_equal(o.cmd.project, "microsvcs");
    options_free(&o);
    assert_int_equal(PARSE(&o, NULL, "promote", "--stage", "s", "--freight-alias", "a", "--wait",
                           "--timeout", "2m"),
                     0);
    assert_int_equal(o.cmd.command, CLI_PROMOTE);
    assert_string_equal(o.cmd.freight_alias, "a");
    assert_true(o.cmd.wait);
    options_free(&o);
    expect_error("option '--stage' needs a command", ARGC("--stage", "x"), ARGV("--stage", "x"));
    expect_error("option '--watch' does not apply to 'promote'", ARGC("promote", "-w"),
                 ARGV("promote", "-w"));
    expect_error("option '--to' does not apply to 'get'", ARGC("get", "stages", "--to", "x"),
                 ARGV("get", "stages", "--to", "x"));
}

/* --connect-timeout and --idle-timeout: Go durations above zero, for the dashboard and every
 * command; a bad value is an error naming the option and the value. */
static void test_timeouts(void **state)
{
    struct options o = {0};
    char *cause = NULL;
    assert_int_equal(PARSE(&o, &cause, "--connect-timeout", "5s", "--idle-timeout=1m30s"), 0);
    assert_null(cause);
    assert_int_equal(o.connect_timeout_ms, 5000);
    assert_int_equal(o.idle_timeout_ms, 90000);
    options_free(&o);
    assert_int_equal(PARSE(&o, &cause, "get", "stages", "--connect-timeout", "500ms"), 0);
    assert_int_equal(o.cmd.connect_timeout_ms, 500);
    assert_int_equal(o.cmd.idle_timeout_ms, 0); /* not given: the client's default */
    options_free(&o);
    assert_int_equal(PARSE(&o, &cause, "--idle-timeout", "2s", "promote", "--stage", "s"), 0);
    assert_int_equal(o.cmd.idle_timeout_ms, 2000);
    options_free(&o);
    expect_error("--connect-timeout takes a duration above zero and at most 1h, not '0s'",
                 ARGC("--connect-timeout", "0s"), ARGV("--connect-timeout", "0s"));
    expect_error("--idle-timeout takes a duration above zero and at most 1h, not '-1s'",
                 ARGC("--idle-timeout", "-1s"), ARGV("--idle-timeout", "-1s"));
    expect_error("--idle-timeout takes a duration (5s, 1m, 500ms), not '30'",
                 ARGC("get", "stages", "--idle-timeout", "30"),
                 ARGV("get", "stages", "--idle-timeout", "30"));
    expect_error("--connect-timeout takes a duration (5s, 1m, 500ms), not 'soon'",
                 ARGC("--connect-timeout=soon"), ARGV("--connect-timeout=soon"));
    expect_error("--connect-timeout takes a duration above zero and at most 1h, not '2h'",
                 ARGC("--connect-timeout", "2h"), ARGV("--connect-timeout", "2h"));
    expect_error("'--idle-timeout' needs an argument", ARGC("--idle-timeout"),
                 ARGV("--idle-timeout"));
}

static void test_scenarios_repeat_and_need_demo(void **state)
{
    struct options o = {0};
    char *cause = NULL;
    assert_int_equal(
        PARSE(&o, &cause, "--demo", "--scenario", "flask-app", "--scenario=/tmp/x.yaml"), 0);
    assert_int_equal(o.n_scenarios, 2);
    assert_string_equal(o.scenarios[0], "flask-app");
    assert_string_equal(o.scenarios[1], "/tmp/x.yaml");
    assert_null(o.scenarios[2]);
    options_free(&o);
    assert_int_equal(PARSE(&o, &cause, "--scenario", "myapp"), -1);
    assert_non_null(strstr(cause, "--scenario needs --demo"));
    free(cause);
    options_free(&o);
}

static void test_usage_lists_every_option(void **state)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    options_usage(f, "kargotop");
    fclose(f);
    static const char *names[] = {"--kubeconfig FILE",
                                  "--context NAME",
                                  "--cluster NAME",
                                  "--user NAME",
                                  "-n, -p, --project",
                                  "--namespace NAME",
                                  "--readonly",
                                  "--demo",
                                  "--help",
                                  "--version",
                                  "-o, --output FORMAT",
                                  "--watch",
                                  "--freight-alias ALIAS",
                                  "--downstream-from STAGE",
                                  "get projects|stages|freight|promotions|warehouses",
                                  "rollback --stage S",
                                  "Exit status",
                                  "--scenario NAME|FILE",
                                  "--connect-timeout DURATION",
                                  "--idle-timeout DURATION"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strstr(text, names[i]) == NULL)
            fail_msg("--help does not list %s:\n%s", names[i], text);
    free(text);
}

/* The man page documents every option --help lists (both come from people reading them). */
static void test_man_page_documents_every_option(void **state)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    options_usage(f, "kargotop");
    fclose(f);
    FILE *m = fopen(KT_SOURCE_DIR "/docs/kargotop.1", "r");
    assert_non_null(m);
    char *man = NULL;
    size_t mlen = 0;
    FILE *mf = open_memstream(&man, &mlen);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, m)) > 0)
        fwrite(buf, 1, n, mf);
    fclose(mf);
    fclose(m);
    for (const char *p = text; (p = strstr(p, "--")) != NULL;) {
        p += 2;
        size_t w = strspn(p, "abcdefghijklmnopqrstuvwxyz-");
        if (w == 0)
            continue;
        char want[64] = "\\-\\-";
        size_t k = strlen(want);
        for (size_t i = 0; i < w && k + 2 < sizeof want; i++) {
            if (p[i] == '-')
                want[k++] = '\\';
            want[k++] = p[i];
        }
        want[k] = '\0';
        if (strstr(man, want) == NULL)
            fail_msg("docs/kargotop.1 does not document --%.*s (looked for %s)", (int)w, p, want);
    }
    free(man);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_arguments_is_the_dashboard),
        cmocka_unit_test(test_every_option),
        cmocka_unit_test(test_project_aliases_and_equals_form),
        cmocka_unit_test(test_help_and_version_flags),
        cmocka_unit_test(test_commands_and_their_options),
        cmocka_unit_test(test_man_page_documents_every_option),
        cmocka_unit_test(test_errors_name_the_argument),
        cmocka_unit_test(test_scenarios_repeat_and_need_demo),
        cmocka_unit_test(test_timeouts),
        cmocka_unit_test(test_usage_lists_every_option),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
