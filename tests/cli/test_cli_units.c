/* The commands' pieces without a cluster: output formats, table layout, JSON escaping, kube
 * ages, and the usage checks that decide exit code 2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "output.h"
#include "util/timefmt.h"

static void test_output_formats(void **state)
{
    enum out_format f;
    char *cause = NULL;
    assert_int_equal(output_parse(NULL, &f, NULL), 0);
    assert_int_equal(f, OUT_TABLE);
    assert_int_equal(output_parse("wide", &f, NULL), 0);
    assert_int_equal(f, OUT_WIDE);
    assert_int_equal(output_parse("name", &f, NULL), 0);
    assert_int_equal(f, OUT_NAME);
    assert_int_equal(output_parse("jsonpath", &f, &cause), -1);
    assert_non_null(strstr(cause, "unknown output format 'jsonpath'"));
    free(cause);
}

/* kubectl's layout: three blanks between columns, no trailing blanks, header in capitals; a
 * watch's later rows keep the first table's widths. */
static void test_table_layout(void **state)
{
    struct out_table t;
    const char *headers[] = {"NAME", "*READY", "AGE"};
    out_table_init(&t, headers, 3, TERMSAFE_UTF8);
    out_table_add(&t, (const char *[]){"dev", "True", "5m"});
    out_table_add(&t, (const char *[]){"production", "False", ""});
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    out_table_print(&t, f, false, false);
    out_table_add(&t, (const char *[]){"qa", "True", "1s"});
    out_table_print(&t, f, true, false);
    fclose(f);
    assert_string_equal(text, "NAME         READY   AGE\n"
                              "dev          True    5m\n"
                              "production   False\n"
                              "qa           True    1s\n");
    free(text);
    out_table_free(&t);
}

static void test_table_colour_and_control_characters(void **state)
{
    struct out_table t;
    const char *headers[] = {"NAME", "*PHASE"};
    out_table_init(&t, headers, 2, TERMSAFE_UTF8);
    out_table_add(&t, (const char *[]){"a\033[2Jb", "Failed"});
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    out_table_print(&t, f, true, true);
    fclose(f);
    /* the name's ESC is a visible picture; only the phase's own colour is an escape */
    assert_string_equal(text, "a\xe2\x90\x9b[2Jb   \033[31mFailed\033[0m\n");
    free(text);
    out_table_free(&t);
}

static void test_json_escapes_every_control(void **state)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "m",
                            "a\033b\x7f"
                            "c\xc2\x9b"
                            "d\xc3\xa9");
    cJSON *arr = cJSON_AddArrayToObject(o, "l");
    cJSON_AddItemToArray(arr, cJSON_CreateNumber(1));
    cJSON_AddObjectToObject(o, "e");
    struct strbuf sb;
    strbuf_init(&sb);
    out_json(o, &sb);
    assert_string_equal(sb.buf, "{\n    \"m\": \"a\\u001bb\\u007fc\\u009bd\xc3\xa9\",\n"
                                "    \"l\": [\n        1\n    ],\n    \"e\": {}\n}\n");
    cJSON *back = cJSON_Parse(sb.buf);
    assert_true(cJSON_Compare(back, o, 1));
    strbuf_reset(&sb);
    out_json_line(o, &sb);
    assert_string_equal(sb.buf,
                        "{\"m\":\"a\\u001bb\\u007fc\\u009bd\xc3\xa9\",\"l\":[1],\"e\":{}}\n");
    cJSON_Delete(back);
    cJSON_Delete(o);
    strbuf_free(&sb);
}

static void test_kube_ages(void **state)
{
    static const struct {
        long long s;
        const char *want;
    } cases[] = {{-5, "<invalid>"},
                 {0, "0s"},
                 {119, "119s"},
                 {120, "2m"},
                 {330, "5m30s"},
                 {3 * 3600 - 1, "179m"},
                 {3 * 3600 + 600, "3h10m"},
                 {30 * 3600, "30h"},
                 {52 * 3600, "2d4h"},
                 {90 * 86400, "90d"},
                 {740 * 86400, "2y10d"},
                 {9 * 365 * 86400, "9y"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[32];
        timefmt_kube_age(cases[i].s, buf, sizeof buf);
        assert_string_equal(buf, cases[i].want);
    }
}

static void expect_usage(struct cli_args *a, const char *needle)
{
    char *cause = NULL;
    assert_int_equal(cli_validate(a, &cause), -1);
    if (cause == NULL || strstr(cause, needle) == NULL)
        fail_msg("\"%s\" does not mention \"%s\"", cause ? cause : "(null)", needle);
    free(cause);
}

static void test_usage_checks(void **state)
{
    char *words[] = {"freight", "x"};
    struct cli_args a = {.command = CLI_GET, .words = words, .n_words = 1, .stage = "s"};
    char *cause = NULL;
    assert_int_equal(cli_validate(&a, &cause), 0);
    a.alias = "al";
    assert_int_equal(cli_validate(&a, &cause), 0);
    words[0] = "stages";
    expect_usage(&a, "--stage does not filter stages");

    struct cli_args p = {.command = CLI_PROMOTE, .stage = "prod", .freight = "f", .warehouse = "w"};
    expect_usage(&p, "only one of --freight");
    p.warehouse = NULL;
    assert_int_equal(cli_validate(&p, NULL), 0);
    p.timeout = "5m";
    expect_usage(&p, "--timeout needs --wait");
    p.wait = true;
    assert_int_equal(cli_validate(&p, NULL), 0);
    p.timeout = "soon";
    expect_usage(&p, "soon");
    struct cli_args ab = {.command = CLI_PROMOTE, .abort = true};
    expect_usage(&ab, "--name");
    ab.name = "p";
    assert_int_equal(cli_validate(&ab, NULL), 0);
    char *rw[] = {"stage"};
    struct cli_args r = {.command = CLI_REFRESH, .words = rw, .n_words = 1};
    expect_usage(&r, "usage: kargotop refresh stage|warehouse NAME");
    struct cli_args rb = {.command = CLI_ROLLBACK};
    expect_usage(&rb, "rollback needs --stage");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_output_formats),
        cmocka_unit_test(test_table_layout),
        cmocka_unit_test(test_table_colour_and_control_characters),
        cmocka_unit_test(test_json_escapes_every_control),
        cmocka_unit_test(test_kube_ages),
        cmocka_unit_test(test_usage_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
