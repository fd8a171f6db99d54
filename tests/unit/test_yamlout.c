/* JSON written as YAML the way kubectl shows it, typed so it reads back the same. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "util/json.h"
#include "util/yamlout.h"

static char *to_yaml(const char *json)
{
    cJSON *o = json_parse(json, strlen(json), NULL);
    assert_non_null(o);
    struct strbuf sb;
    strbuf_init(&sb);
    char *cause = NULL;
    assert_int_equal(yamlout_write(o, &sb, &cause), 0);
    assert_null(cause);
    cJSON_Delete(o);
    return strbuf_detach(&sb);
}

static void test_object_shapes(void **state)
{
    char *y =
        to_yaml("{\"apiVersion\":\"kargo.akuity.io/v1alpha1\",\"kind\":\"Freight\","
                "\"metadata\":{\"name\":\"666209f\",\"labels\":{\"kargo.akuity.io/alias\":"
                "\"mortal-dragonfly\"}},\"images\":[{\"repoURL\":\"nginx\",\"tag\":\"1.29.0\"}],"
                "\"status\":{}}");
    assert_string_equal(y, "apiVersion: kargo.akuity.io/v1alpha1\n"
                           "kind: Freight\n"
                           "metadata:\n"
                           "  name: 666209f\n"
                           "  labels:\n"
                           "    kargo.akuity.io/alias: mortal-dragonfly\n"
                           "images:\n"
                           "- repoURL: nginx\n"
                           "  tag: 1.29.0\n"
                           "status: {}\n");
    free(y);
}

static void test_strings_that_look_typed_are_quoted(void **state)
{
    char *y = to_yaml("{\"a\":\"true\",\"b\":\"123\",\"c\":\"null\",\"d\":\"\",\"e\":\"1.5\","
                      "\"f\":\"no\",\"g\":true,\"h\":42,\"i\":null,\"j\":2.5,\"k\":\"v1.2.3\","
                      "\"l\":\"1e3\",\"m\":\"0x1F\",\"n\":\"12:30\",\"o\":\"2026-08-20T16:00:40Z\","
                      "\"p\":\"666209f\",\"q\":\"1.29.0\",\"r\":\"1_000\"}");
    assert_string_equal(y, "a: 'true'\nb: '123'\nc: 'null'\nd: ''\ne: '1.5'\nf: 'no'\n"
                           "g: true\nh: 42\ni: null\nj: 2.5\nk: v1.2.3\nl: '1e3'\nm: '0x1F'\n"
                           "'n': '12:30'\no: '2026-08-20T16:00:40Z'\np: 666209f\nq: 1.29.0\n"
                           "r: '1_000'\n");
    free(y);
}

static void test_multiline_message_and_escapes(void **state)
{
    char *y = to_yaml("{\"message\":\"line one\\nline two\\n\",\"odd\":\"x\\u001b[2Jy\"}");
    assert_non_null(strstr(y, "message: |\n  line one\n  line two\n"));
    assert_null(strchr(y, '\033')); /* libyaml escapes non-printable characters */
    assert_non_null(strstr(y, "odd: \"x\\e[2Jy\"\n")); /* quoted, and no "!" tag */
    free(y);
}

static void test_invalid_utf8_and_bidi_controls(void **state)
{
    /* raw bytes the API passed through: U+FFFD, as Go's encoders write it, not a failure */
    char *y = to_yaml("{\"a\":\"x\xff\xfey\",\"b\":\"\xc3\xa9\"}");
    assert_string_equal(y, "a: x\xEF\xBF\xBD\xEF\xBF\xBDy\nb: \xc3\xa9\n");
    free(y);
    /* bidi controls escaped inside double quotes, in keys and values; round trip intact */
    y = to_yaml("{\"k\\u202e\":\"prod\\u202edev\",\"x\":\"a\\u2066b\"}");
    assert_string_equal(y, "\"k\\u202E\": \"prod\\u202Edev\"\nx: \"a\\u2066b\"\n");
    free(y);
}

static void test_empty_array_and_nested_arrays(void **state)
{
    char *y = to_yaml("{\"steps\":[],\"m\":[[1,2],[]]}");
    assert_string_equal(y, "steps: []\nm:\n- - 1\n  - 2\n- []\n");
    free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_object_shapes),
        cmocka_unit_test(test_strings_that_look_typed_are_quoted),
        cmocka_unit_test(test_multiline_message_and_escapes),
        cmocka_unit_test(test_empty_array_and_nested_arrays),
        cmocka_unit_test(test_invalid_utf8_and_bidi_controls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
