/* util: string building, allocation helpers, RFC 3339 and duration parsing, relative ages,
 * JSON trees parsed into one arena. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/json.h"
#include "util/strbuf.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

static void test_strbuf_grows_past_initial_capacity(void **state)
{
    struct strbuf sb;
    strbuf_init(&sb);
    for (int i = 0; i < 1000; i++)
        strbuf_appendf(&sb, "%d,", i % 10);
    assert_int_equal(sb.len, 2000);
    assert_int_equal(strlen(sb.buf), 2000);
    assert_memory_equal(sb.buf, "0,1,2,", 6);
    assert_string_equal(sb.buf + 1994, "7,8,9,");
    strbuf_free(&sb);
}

static void test_strbuf_append_len_keeps_embedded_text_exact(void **state)
{
    struct strbuf sb;
    strbuf_init(&sb);
    strbuf_append(&sb, "stage ");
    strbuf_append_len(&sb, "production-and-more", 10);
    strbuf_append_char(&sb, '!');
    assert_string_equal(sb.buf, "stage production!");
    char *owned = strbuf_detach(&sb);
    assert_string_equal(owned, "stage production!");
    assert_int_equal(sb.len, 0);
    assert_null(sb.buf);
    free(owned);
    strbuf_free(&sb); /* harmless after detach */
}

static void test_xasprintf_and_cause(void **state)
{
    char *s = xasprintf("%s/%d", "Warehouse", 42);
    assert_string_equal(s, "Warehouse/42");
    free(s);

    char *cause = NULL;
    cause_set(&cause, "context '%s' not found", "prod");
    cause_set(&cause, "second %s replaces the first", "message"); /* no leak: frees the old */
    assert_string_equal(cause, "second message replaces the first");
    free(cause);
    cause_set(NULL, "ignored"); /* callers may not want a message */
}

static void test_xstrndup_stops_at_nul(void **state)
{
    char *s = xstrndup("abc", 10);
    assert_string_equal(s, "abc");
    free(s);
    s = xstrndup("abcdef", 2);
    assert_string_equal(s, "ab");
    free(s);
}

static void test_rfc3339_forms(void **state)
{
    time_t t;
    assert_int_equal(timefmt_parse_rfc3339("2026-08-20T16:00:40Z", &t, NULL), 0);
    assert_int_equal((long long)t, 1787241640LL);
    assert_int_equal(timefmt_parse_rfc3339("2026-08-20T16:00:40.123456Z", &t, NULL), 0);
    assert_int_equal((long long)t, 1787241640LL);
    assert_int_equal(timefmt_parse_rfc3339("2026-08-20T18:00:40+02:00", &t, NULL), 0);
    assert_int_equal((long long)t, 1787241640LL);
    assert_int_equal(timefmt_parse_rfc3339("2026-08-20T11:30:40-04:30", &t, NULL), 0);
    assert_int_equal((long long)t, 1787241640LL);
    assert_int_equal(timefmt_parse_rfc3339("1970-01-01T00:00:00Z", &t, NULL), 0);
    assert_int_equal((long long)t, 0);

    char buf[32];
    timefmt_rfc3339(1787241640, buf, sizeof buf);
    assert_string_equal(buf, "2026-08-20T16:00:40Z");
}

/* The parser's own calendar arithmetic agrees with timegm() on every day of 1600-2400, on days
 * past a month's end (rolled over alike) and on a leap second. */
static void test_rfc3339_agrees_with_timegm(void **state)
{
    (void)state;
    for (int y = 1600; y <= 2400; y++) {
        for (int m = 1; m <= 12; m++) {
            for (int d = 1; d <= 31; d++) {
                int h = (y + d) % 24, mi = (m * 7 + d) % 60, sec = d == 31 ? 60 : (y + m) % 60;
                char buf[40];
                snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, h, mi, sec);
                time_t t = 0;
                assert_int_equal(timefmt_parse_rfc3339(buf, &t, NULL), 0);
                struct tm tm = {.tm_year = y - 1900,
                                .tm_mon = m - 1,
                                .tm_mday = d,
                                .tm_hour = h,
                                .tm_min = mi,
                                .tm_sec = sec};
                if ((long long)t != (long long)timegm(&tm))
                    fail_msg("%s: %lld, timegm %lld", buf, (long long)t, (long long)timegm(&tm));
            }
        }
    }
}

static void test_rfc3339_rejects_bad_input_with_reason(void **state)
{
    static const char *bad[] = {"",
                                "2026-08-20",
                                "2026-08-20T16:00:40",
                                "2026-13-20T16:00:40Z",
                                "2026-08-20T25:00:40Z",
                                "2026-08-20T16:00:40Zjunk",
                                "2026-08-20T16:00:40.Z",
                                "2026-08-20T16:00:40+0200",
                                "20x6-08-20T16:00:40Z"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        time_t t;
        char *cause = NULL;
        assert_int_equal(timefmt_parse_rfc3339(bad[i], &t, &cause), -1);
        assert_non_null(cause);
        free(cause);
    }
    time_t t;
    assert_int_equal(timefmt_parse_rfc3339(NULL, &t, NULL), -1);
}

static void test_duration_go_forms(void **state)
{
    long long ms;
    assert_int_equal(timefmt_parse_duration("26h5m10s", &ms, NULL), 0);
    assert_int_equal(ms, (26LL * 3600 + 5 * 60 + 10) * 1000);
    assert_int_equal(timefmt_parse_duration("5m0s", &ms, NULL), 0);
    assert_int_equal(ms, 300000);
    assert_int_equal(timefmt_parse_duration("1.5h", &ms, NULL), 0);
    assert_int_equal(ms, 5400000);
    assert_int_equal(timefmt_parse_duration("300ms", &ms, NULL), 0);
    assert_int_equal(ms, 300);
    assert_int_equal(timefmt_parse_duration("0", &ms, NULL), 0);
    assert_int_equal(ms, 0);

    char *cause = NULL;
    assert_int_equal(timefmt_parse_duration("5 minutes", &ms, &cause), -1);
    assert_non_null(strstr(cause, "5 minutes"));
    free(cause);
    assert_int_equal(timefmt_parse_duration("", &ms, NULL), -1);
    assert_int_equal(timefmt_parse_duration("h", &ms, NULL), -1);
    assert_int_equal(timefmt_parse_duration("10", &ms, NULL), -1);
    assert_int_equal(timefmt_parse_duration("-5m", &ms, NULL), -1);
}

static void test_span_two_units(void **state)
{
    char buf[32];
    timefmt_span(45, buf, sizeof buf);
    assert_string_equal(buf, "45s");
    timefmt_span(190, buf, sizeof buf);
    assert_string_equal(buf, "3m10s");
    timefmt_span(3600 + 12 * 60 + 5, buf, sizeof buf);
    assert_string_equal(buf, "1h12m");
    timefmt_span(4 * 86400 + 2 * 3600, buf, sizeof buf);
    assert_string_equal(buf, "4d2h");
    timefmt_span(7200, buf, sizeof buf);
    assert_string_equal(buf, "2h");
    timefmt_span(0, buf, sizeof buf);
    assert_string_equal(buf, "0s");
}

static void test_ago(void **state)
{
    char buf[32];
    time_t now = 1787241640;
    timefmt_ago(now - 2, now, buf, sizeof buf);
    assert_string_equal(buf, "just now");
    timefmt_ago(now - 12, now, buf, sizeof buf);
    assert_string_equal(buf, "12s ago");
    timefmt_ago(now - 190, now, buf, sizeof buf);
    assert_string_equal(buf, "3m ago");
    timefmt_ago(now - 2 * 3600 - 59, now, buf, sizeof buf);
    assert_string_equal(buf, "2h ago");
    timefmt_ago(now - 5 * 86400, now, buf, sizeof buf);
    assert_string_equal(buf, "5d ago");
    timefmt_ago(now + 30, now, buf, sizeof buf);
    assert_string_equal(buf, "just now");
    timefmt_ago(now + 190, now, buf, sizeof buf);
    assert_string_equal(buf, "in 3m");
}

static const char PAGE[] =
    "{\"kind\":\"PromotionList\",\"metadata\":{\"resourceVersion\":\"42\",\"continue\":\"c1\"},"
    "\"items\":[{\"metadata\":{\"name\":\"p1\",\"labels\":{\"a\":\"b\"}},\"spec\":"
    "{\"stage\":\"dev\",\"freight\":\"f1\"}},{\"metadata\":{\"name\":\"p2\"},\"spec\":"
    "{\"stage\":\"prod\",\"freight\":\"f2\"},\"status\":{\"phase\":\"Running\","
    "\"n\":[1,2.5,true,null]}}]}";

/* The arena's tree is the same document as json_parse's, and the printed text of it is the
 * caller's to free() as before (run under ASan and valgrind: a wrong free fails there). */
static void test_json_bulk_reads_like_json_parse(void **state)
{
    (void)state;
    char *cause = NULL;
    cJSON *plain = json_parse(PAGE, strlen(PAGE), &cause);
    struct json_bulk *bulk = NULL;
    cJSON *page = json_parse_bulk(PAGE, strlen(PAGE), &bulk, &cause);
    assert_non_null(plain);
    assert_non_null(page);
    assert_non_null(bulk);
    assert_null(cause);
    assert_true(cJSON_Compare(plain, page, true));
    assert_string_equal(json_get_string(page, "metadata", "continue", (char *)NULL), "c1");
    char *a = cJSON_PrintUnformatted(plain), *b = cJSON_PrintUnformatted(page);
    assert_string_equal(a, b);
    free(a);
    free(b);
    cJSON_Delete(plain);
    json_bulk_free(bulk);
}

/* A node added to an arena's tree after the parse is the heap's: deleting the tree frees it and
 * skips the arena's nodes; an arena node detached and deleted alone is left to the arena. */
static void test_json_bulk_mixed_tree_frees_only_heap_nodes(void **state)
{
    (void)state;
    struct json_bulk *bulk = NULL;
    cJSON *page = json_parse_bulk(PAGE, strlen(PAGE), &bulk, NULL);
    assert_non_null(page);
    cJSON *items = cJSON_GetObjectItemCaseSensitive(page, "items");
    cJSON_AddItemToArray(items, cJSON_CreateString("added on the heap"));
    cJSON_Delete(cJSON_DetachItemFromArray(items, 0));
    assert_int_equal(cJSON_GetArraySize(items), 2);
    assert_string_equal(json_get_string(cJSON_GetArrayItem(items, 0), "spec", "stage", (char *)NULL),
                        "prod");
    cJSON_Delete(page);
    json_bulk_free(bulk);
}

/* Two arenas live at once (two lists paging together), one string larger than a chunk, and a
 * malformed page that gives json_parse's message and no arena. */
static void test_json_bulk_nested_large_and_malformed(void **state)
{
    (void)state;
    size_t big = (1u << 20) * 2 + 17;
    char *doc = xmalloc(big + 16);
    memcpy(doc, "{\"s\":\"", 6);
    memset(doc + 6, 'x', big);
    memcpy(doc + 6 + big, "\"}", 3);
    struct json_bulk *b1 = NULL, *b2 = NULL, *b3 = (struct json_bulk *)doc;
    cJSON *one = json_parse_bulk(PAGE, strlen(PAGE), &b1, NULL);
    cJSON *two = json_parse_bulk(doc, strlen(doc), &b2, NULL);
    assert_non_null(one);
    assert_non_null(two);
    assert_int_equal(strlen(json_get_string(two, "s", (char *)NULL)), big);
    json_bulk_free(b1);
    assert_string_equal(json_get_string(two, "s", (char *)NULL) + big - 3, "xxx");
    json_bulk_free(b2);
    char *cause = NULL, *plain_cause = NULL;
    assert_null(json_parse(PAGE, strlen(PAGE) - 5, &plain_cause));
    assert_null(json_parse_bulk(PAGE, strlen(PAGE) - 5, &b3, &cause));
    assert_null(b3);
    assert_non_null(cause);
    assert_string_equal(cause, plain_cause);
    free(cause);
    free(plain_cause);
    free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strbuf_grows_past_initial_capacity),
        cmocka_unit_test(test_strbuf_append_len_keeps_embedded_text_exact),
        cmocka_unit_test(test_xasprintf_and_cause),
        cmocka_unit_test(test_xstrndup_stops_at_nul),
        cmocka_unit_test(test_rfc3339_forms),
        cmocka_unit_test(test_rfc3339_agrees_with_timegm),
        cmocka_unit_test(test_rfc3339_rejects_bad_input_with_reason),
        cmocka_unit_test(test_duration_go_forms),
        cmocka_unit_test(test_span_two_units),
        cmocka_unit_test(test_ago),
        cmocka_unit_test(test_json_bulk_reads_like_json_parse),
        cmocka_unit_test(test_json_bulk_mixed_tree_frees_only_heap_nodes),
        cmocka_unit_test(test_json_bulk_nested_large_and_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
