/* The `:` command line: names, prefixes, arguments, errors, completion. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "ui/command_line.h"

static enum command_id parse_ok(const char *line, const char *want_arg)
{
    struct command c;
    char *cause = NULL;
    if (command_parse(line, &c, &cause) != 0)
        fail_msg("'%s': %s", line, cause);
    if (want_arg == NULL)
        assert_null(c.arg);
    else
        assert_string_equal(c.arg, want_arg);
    free(c.arg);
    return c.id;
}

static void parse_fails(const char *line, const char *words)
{
    struct command c;
    char *cause = NULL;
    assert_int_equal(command_parse(line, &c, &cause), -1);
    assert_non_null(cause);
    if (strstr(cause, words) == NULL)
        fail_msg("'%s' gave '%s'", line, cause);
    free(cause);
}

static void test_names_prefixes_and_arguments(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("projects", NULL), COMMAND_PROJECTS);
    assert_int_equal(parse_ok("  project   backstage-kargo  ", "backstage-kargo"), COMMAND_PROJECT);
    assert_int_equal(parse_ok("proj", NULL), COMMAND_PROJECTS); /* no argument: the list */
    assert_int_equal(parse_ok("proj x", "x"), COMMAND_PROJECT); /* argument: switch */
    assert_int_equal(parse_ok("ev", NULL), COMMAND_EVENTS);
    assert_int_equal(parse_ok("st", NULL), COMMAND_STAGES);
    assert_int_equal(parse_ok("fr", NULL), COMMAND_FREIGHT);
    assert_int_equal(parse_ok("prom", NULL), COMMAND_PROMOTIONS);
    assert_int_equal(parse_ok("w", NULL), COMMAND_WAREHOUSES);
    assert_int_equal(parse_ok("q", NULL), COMMAND_QUIT);
    assert_int_equal(parse_ok("quit", NULL), COMMAND_QUIT);
    assert_int_equal(parse_ok("ctx viewer", "viewer"), COMMAND_CTX);
}

static void test_errors_say_what_is_wrong(void **state)
{
    (void)state;
    parse_fails("bogus", "unknown command 'bogus'");
    parse_fails("pro", "ambiguous");
    parse_fails("project", "needs a name");
    parse_fails("events now", "takes no argument");
    parse_fails("", "type a command");
}

static void test_completion_of_commands_and_projects(void **state)
{
    (void)state;
    char *projects[] = {"backstage-kargo", "flask-app", "flask-api"};
    char *contexts[] = {"admin", "promoter", "viewer"};
    struct command_names names = {projects, 3, contexts, 3};
    struct lineedit le;
    lineedit_init(&le);
    lineedit_set(&le, "ev");
    assert_int_equal(command_complete(&le, &names), 1);
    assert_string_equal(le.text.buf, "events ");
    lineedit_set(&le, "project fl");
    assert_int_equal(command_complete(&le, &names), 2);
    assert_string_equal(le.text.buf, "project flask-ap");
    lineedit_set(&le, "project b");
    assert_int_equal(command_complete(&le, &names), 1);
    assert_string_equal(le.text.buf, "project backstage-kargo ");
    lineedit_set(&le, "ctx pr");
    assert_int_equal(command_complete(&le, &names), 1);
    assert_string_equal(le.text.buf, "ctx promoter ");
    lineedit_set(&le, "events x");
    assert_int_equal(command_complete(&le, &names), 0);
    lineedit_free(&le);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_prefixes_and_arguments),
        cmocka_unit_test(test_errors_say_what_is_wrong),
        cmocka_unit_test(test_completion_of_commands_and_projects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
