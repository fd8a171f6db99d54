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

/* A List written whole equals its head, each item by yamlout_write_item, and its tail.
 * Returns whether an item left the document open. */
static bool assert_items_stream_like_whole(const char *items_json)
{
    cJSON *items = json_parse(items_json, strlen(items_json), NULL);
    assert_non_null(items);
    struct strbuf pieces;
    strbuf_init(&pieces);
    strbuf_append(&pieces, cJSON_GetArraySize(items) ? "apiVersion: v1\nitems:\n"
                                                     : "apiVersion: v1\nitems: []\n");
    const cJSON *it;
    bool open = false;
    cJSON_ArrayForEach(it, items)
    {
        char *cause = NULL;
        assert_int_equal(yamlout_write_item(it, &pieces, &open, &cause), 0);
        assert_null(cause);
    }
    strbuf_append(&pieces, "kind: List\nmetadata:\n  resourceVersion: ''\n");
    if (open)
        strbuf_append(&pieces, "...\n");

    cJSON *list = cJSON_CreateObject();
    cJSON_AddStringToObject(list, "apiVersion", "v1");
    cJSON_AddItemToObject(list, "items", items);
    cJSON_AddStringToObject(list, "kind", "List");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(list, "metadata"), "resourceVersion", "");
    struct strbuf whole;
    strbuf_init(&whole);
    assert_int_equal(yamlout_write(list, &whole, NULL), 0);
    assert_string_equal(pieces.buf, whole.buf);
    cJSON_Delete(list);
    strbuf_free(&whole);
    strbuf_free(&pieces);
    return open;
}

static void test_items_one_by_one_equal_the_list(void **state)
{
    char *cause = NULL;
    struct strbuf sb;
    strbuf_init(&sb);
    const char *p1 = "{\"kind\":\"Promotion\",\"metadata\":{\"name\":\"p1\"},"
                     "\"steps\":[{\"uses\":\"git-clone\"}],\"status\":{}}";
    cJSON *o = json_parse(p1, strlen(p1), NULL);
    assert_non_null(o);
    bool open = false;
    assert_int_equal(yamlout_write_item(o, &sb, &open, &cause), 0);
    assert_false(open);
    assert_string_equal(sb.buf, "- kind: Promotion\n"
                                "  metadata:\n"
                                "    name: p1\n"
                                "  steps:\n"
                                "  - uses: git-clone\n"
                                "  status: {}\n");
    cJSON_Delete(o);
    strbuf_free(&sb);

    /* what could read differently at an item's edges or when indented: block scalars (clip,
     * strip, keep, leading blanks, blank lines), multi-line keys, scalars and empty
     * collections as items, bidi controls, invalid UTF-8, an item that ends in a nested
     * sequence */
    assert_false(assert_items_stream_like_whole("[]"));
    assert_true(assert_items_stream_like_whole(
        "[{\"a\":\"x\\ny\\n\"},{\"b\":\"x\\ny\"},{\"c\":\"x\\n\\n\\n\"},"
        "{\"d\":\"  lead\\n\\n  more\\n\"},{\"e\\nf\":1},\"plain\",\"x\\n\",\"true\",42,null,"
        "{},[],[[1,[2]],{}],{\"g\":\"\\u202e\"},{\"h\":\"\\u00ff\"},"
        "{\"i\":{\"j\":[{\"k\":\"v\\n\\n\"}]}},{\"l\":\" \\n \"},{\"m\":\"tail \"}]"));
    assert_true(assert_items_stream_like_whole("[{\"z\":\"last\\n\\n\"}]"));
    assert_true(assert_items_stream_like_whole("[\"only\\n\\n\"]"));
    assert_false(
        assert_items_stream_like_whole("[{\"a\":\"x\\ny\\n\"},\"b\\n\",{\"c\":[\"\\u2066\"]}]"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_object_shapes),
        cmocka_unit_test(test_strings_that_look_typed_are_quoted),
        cmocka_unit_test(test_multiline_message_and_escapes),
        cmocka_unit_test(test_empty_array_and_nested_arrays),
        cmocka_unit_test(test_invalid_utf8_and_bidi_controls),
        cmocka_unit_test(test_items_one_by_one_equal_the_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
