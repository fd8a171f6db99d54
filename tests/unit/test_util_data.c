/* util data structures: JSON paths, base64, the string hash map. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/base64.h"
#include "util/hmap.h"
#include "util/json.h"

static const char stage_json[] =
    "{\"metadata\":{\"name\":\"uat\",\"annotations\":{\"kargo.akuity.io/color\":\"amber\"}},"
    "\"spec\":{\"shard\":7},\"status\":{\"autoPromotionEnabled\":true,"
    "\"freightSummary\":null}}";

static void test_json_paths_with_dotted_keys(void **state)
{
    char *cause = NULL;
    cJSON *o = json_parse(stage_json, strlen(stage_json), &cause);
    assert_non_null(o);
    assert_string_equal(json_get_string(o, "metadata", "name", NULL), "uat");
    assert_string_equal(
        json_get_string(o, "metadata", "annotations", "kargo.akuity.io/color", NULL), "amber");
    assert_null(json_get_string(o, "metadata", "annotations", "missing", NULL));
    assert_null(json_get_string(o, "spec", "shard", NULL)); /* a number, not a string */
    assert_null(json_get_string(o, "metadata", "name", "deeper", NULL));
    assert_null(json_get_string(o, "status", "freightSummary", NULL));
    assert_ptr_equal(json_get(o, NULL), o);

    double d = 0;
    assert_true(json_get_number(o, &d, "spec", "shard", NULL));
    assert_true(d == 7);
    assert_false(json_get_number(o, &d, "metadata", "name", NULL));
    bool b = false;
    assert_true(json_get_bool(o, &b, "status", "autoPromotionEnabled", NULL));
    assert_true(b);
    assert_false(json_get_bool(o, &b, "status", "nope", NULL));
    assert_null(json_get_string(NULL, "a", NULL));
    cJSON_Delete(o);
}

static void test_json_ensure_object_builds_and_replaces(void **state)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "status", "not-an-object");
    cJSON *approved = json_ensure_object(o, "status", "approvedFor", "prod", NULL);
    json_set_string(approved, "approvedAt", "2026-08-21T09:00:00Z");
    json_set_string(approved, "approvedAt", "2026-08-21T10:00:00Z");
    char *text = cJSON_PrintUnformatted(o);
    assert_string_equal(text, "{\"status\":{\"approvedFor\":{\"prod\":{\"approvedAt\":"
                              "\"2026-08-21T10:00:00Z\"}}}}");
    free(text);
    cJSON_Delete(o);
}

static void test_json_parse_errors_say_where(void **state)
{
    char *cause = NULL;
    assert_null(json_parse("{\"a\": tru}", 10, &cause));
    assert_non_null(strstr(cause, "malformed JSON at byte"));
    free(cause);
    cause = NULL;
    assert_null(json_parse("{\"a\": [1, 2", 11, &cause));
    assert_non_null(cause);
    free(cause);
    cause = NULL;
    assert_null(json_parse("", 0, &cause));
    assert_string_equal(cause, "empty JSON document");
    free(cause);
}

static void test_base64_round_trip_all_lengths(void **state)
{
    unsigned char data[64];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)(i * 37 + 11);
    for (size_t len = 0; len <= sizeof data; len++) {
        char *enc = base64_encode(data, len);
        assert_int_equal(strlen(enc), (len + 2) / 3 * 4);
        size_t outlen = 99;
        unsigned char *dec = base64_decode(enc, &outlen, NULL);
        assert_non_null(dec);
        assert_int_equal(outlen, len);
        assert_memory_equal(dec, data, len);
        free(enc);
        free(dec);
    }
}

static void test_base64_known_values_and_errors(void **state)
{
    char *enc = base64_encode("kargo", 5);
    assert_string_equal(enc, "a2FyZ28=");
    free(enc);
    size_t n;
    unsigned char *dec = base64_decode("a2Fy\nZ28=\n", &n, NULL); /* PEM-style line breaks */
    assert_non_null(dec);
    assert_int_equal(n, 5);
    assert_string_equal((char *)dec, "kargo");
    free(dec);
    dec = base64_decode("a2FyZ28", &n, NULL); /* unpadded */
    assert_string_equal((char *)dec, "kargo");
    free(dec);

    char *cause = NULL;
    assert_null(base64_decode("a2F*eQ==", &n, &cause));
    assert_string_equal(cause, "invalid base64 at character 4");
    free(cause);
    cause = NULL;
    assert_null(base64_decode("a2FyZ", &n, &cause));
    assert_string_equal(cause, "truncated base64");
    free(cause);
    assert_null(base64_decode("a2==Zg", &n, NULL)); /* data after padding */
}

static void test_hmap_put_get_replace_remove(void **state)
{
    struct hmap m;
    hmap_init(&m);
    assert_null(hmap_get(&m, "dev"));
    assert_null(hmap_remove(&m, "dev"));
    int a = 1, b = 2, c = 3;
    assert_null(hmap_put(&m, "dev", &a));
    assert_null(hmap_put(&m, "staging", &b));
    assert_ptr_equal(hmap_put(&m, "dev", &c), &a); /* replace returns the old value */
    assert_ptr_equal(hmap_get(&m, "dev"), &c);
    assert_int_equal(hmap_count(&m), 2);
    assert_ptr_equal(hmap_remove(&m, "dev"), &c);
    assert_false(hmap_contains(&m, "dev"));
    assert_true(hmap_contains(&m, "staging"));
    assert_int_equal(hmap_count(&m), 1);
    hmap_free(&m, NULL);
}

struct named {
    char *name; /* the map's key lives in the value */
    int v;
};

static struct named *named_new(const char *name, int v)
{
    struct named *n = malloc(sizeof *n);
    n->name = strdup(name);
    n->v = v;
    return n;
}

static void named_free(void *p)
{
    struct named *n = p;
    free(n->name);
    free(n);
}

/* Borrowed keys: the map keeps the key inside the value, takes the new value's key on replace
 * (the old value and its key can then be freed) and frees no key itself (the sanitizer build
 * checks both). */
static void test_hmap_borrowed_keys(void **state)
{
    struct hmap m;
    hmap_init_borrowed(&m);
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 1000; i++) {
            char key[32];
            snprintf(key, sizeof key, "promotion-%d", i);
            struct named *n = named_new(key, i + round);
            struct named *old = hmap_put(&m, n->name, n);
            assert_true(round == 0 ? old == NULL : old != NULL);
            if (old != NULL)
                named_free(old); /* its key went with it: the map holds n's now */
        }
        assert_int_equal(hmap_count(&m), 1000);
    }
    struct named *n = hmap_get(&m, "promotion-7");
    assert_non_null(n);
    assert_int_equal(n->v, 9);
    const char *key;
    void *value;
    size_t it = 0;
    while (hmap_next(&m, &it, &key, &value))
        assert_ptr_equal(key, ((struct named *)value)->name); /* no copies */
    named_free(hmap_remove(&m, "promotion-7"));
    assert_false(hmap_contains(&m, "promotion-7"));
    hmap_free(&m, named_free);
    assert_true(m.borrowed); /* still borrowing after a free */
    assert_null(hmap_put(&m, "static", &m));
    hmap_free(&m, NULL);
}

static void test_hmap_many_keys_with_churn(void **state)
{
    struct hmap m;
    hmap_init(&m);
    char key[32];
    for (int i = 0; i < 20000; i++) {
        snprintf(key, sizeof key, "freight-%d", i);
        int *v = malloc(sizeof *v);
        *v = i;
        assert_null(hmap_put(&m, key, v));
    }
    for (int i = 0; i < 20000; i += 2) { /* remove half: tombstones must not break lookups */
        snprintf(key, sizeof key, "freight-%d", i);
        free(hmap_remove(&m, key));
    }
    for (int round = 0; round < 5; round++) /* reinsert and remove: tombstones get reused */
        for (int i = 0; i < 20000; i += 2) {
            snprintf(key, sizeof key, "freight-%d", i);
            int *v = malloc(sizeof *v);
            *v = i;
            assert_null(hmap_put(&m, key, v));
            free(hmap_remove(&m, key));
        }
    assert_int_equal(hmap_count(&m), 10000);
    for (int i = 0; i < 20000; i++) {
        snprintf(key, sizeof key, "freight-%d", i);
        int *v = hmap_get(&m, key);
        if (i % 2)
            assert_int_equal(*v, i);
        else
            assert_null(v);
    }
    size_t it = 0, seen = 0;
    const char *k;
    void *v;
    while (hmap_next(&m, &it, &k, &v)) {
        assert_int_equal(strncmp(k, "freight-", 8), 0);
        seen++;
    }
    assert_int_equal(seen, 10000);
    assert_true(m.cap <= 65536); /* churn did not blow the table up */
    hmap_free(&m, free);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_paths_with_dotted_keys),
        cmocka_unit_test(test_json_ensure_object_builds_and_replaces),
        cmocka_unit_test(test_json_parse_errors_say_where),
        cmocka_unit_test(test_base64_round_trip_all_lengths),
        cmocka_unit_test(test_base64_known_values_and_errors),
        cmocka_unit_test(test_hmap_put_get_replace_remove),
        cmocka_unit_test(test_hmap_borrowed_keys),
        cmocka_unit_test(test_hmap_many_keys_with_churn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
