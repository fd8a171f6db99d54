/* watch: the event splitter at every chunk boundary, event decoding, the resume/relist/poll
 * decisions, randomised timeouts; plus the backoff curve and Status messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "kube/http.h"
#include "kube/status.h"
#include "kube/watch.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* Five events with everything that can fool a splitter: braces and brackets inside strings,
 * escaped quotes and backslashes, \u escapes, multi-byte UTF-8, nested arrays, CRLF and blank
 * lines between events, and one event with no newline after it. */
static const char *events[] = {
    "{\"type\":\"ADDED\",\"object\":{\"kind\":\"Stage\",\"metadata\":{\"name\":\"uat\","
    "\"resourceVersion\":\"11\"},\"spec\":{\"note\":\"a { b } [c] \\\"q\\\" \\\\\"}}}",
    "{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"uat\",\"resourceVersion\":\"12\"},"
    "\"status\":{\"msg\":\"\\u007b not a brace \\\\\\\"}\",\"list\":[[1,2],{\"x\":[]}]}}}",
    "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Stage\",\"metadata\":{\"resourceVersion\":"
    "\"20\"}}}",
    "{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"name\":\"pröd-ü\",\"resourceVersion\":"
    "\"21\"},\"x\":\"\\\\\"}}",
    "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410,\"reason\":\"Expired\","
    "\"message\":\"too old resource version: 1 (21)\"}}",
};
#define NEVENTS (sizeof events / sizeof events[0])

static char *stream_text(void)
{
    struct strbuf sb;
    strbuf_init(&sb);
    for (size_t i = 0; i < NEVENTS; i++) {
        strbuf_append(&sb, events[i]);
        strbuf_append(&sb, i == 1 ? "\r\n\n" : i == NEVENTS - 1 ? "" : "\n");
    }
    return strbuf_detach(&sb);
}

struct collected {
    char *got[16];
    size_t n;
};

static bool collect(void *ctx, const char *json, size_t len)
{
    struct collected *c = ctx;
    if (c->n < 16)
        c->got[c->n] = xstrndup(json, len);
    c->n++;
    return true;
}

static void check_collected(struct collected *c)
{
    assert_int_equal(c->n, NEVENTS);
    for (size_t i = 0; i < NEVENTS; i++) {
        assert_string_equal(c->got[i], events[i]);
        free(c->got[i]);
    }
    c->n = 0;
}

static void test_splitter_every_two_chunk_boundary(void **state)
{
    char *text = stream_text();
    size_t len = strlen(text);
    for (size_t cut = 0; cut <= len; cut++) {
        struct watch_splitter s;
        watch_splitter_init(&s);
        struct collected c = {0};
        assert_true(watch_splitter_feed(&s, text, cut, collect, &c));
        assert_true(watch_splitter_feed(&s, text + cut, len - cut, collect, &c));
        check_collected(&c);
        assert_int_equal(watch_splitter_pending(&s), 0);
        watch_splitter_free(&s);
    }
    free(text);
}

static void test_splitter_every_three_chunk_boundary(void **state)
{
    char *text = stream_text();
    size_t len = strlen(text);
    for (size_t a = 0; a <= len; a += 3) {
        for (size_t b = a; b <= len; b++) {
            struct watch_splitter s;
            watch_splitter_init(&s);
            struct collected c = {0};
            assert_true(watch_splitter_feed(&s, text, a, collect, &c));
            assert_true(watch_splitter_feed(&s, text + a, b - a, collect, &c));
            assert_true(watch_splitter_feed(&s, text + b, len - b, collect, &c));
            check_collected(&c);
            watch_splitter_free(&s);
        }
    }
    free(text);
}

static void test_splitter_byte_by_byte_and_partial_tail(void **state)
{
    char *text = stream_text();
    size_t len = strlen(text);
    struct watch_splitter s;
    watch_splitter_init(&s);
    struct collected c = {0};
    for (size_t i = 0; i + 10 < len; i++)
        assert_true(watch_splitter_feed(&s, text + i, 1, collect, &c));
    /* The last event is incomplete: held back, not delivered. */
    assert_int_equal(c.n, NEVENTS - 1);
    assert_true(watch_splitter_pending(&s) > 0);
    for (size_t i = 0; i < c.n; i++)
        free(c.got[i]);
    watch_splitter_reset(&s);
    assert_int_equal(watch_splitter_pending(&s), 0);
    watch_splitter_free(&s);
    free(text);
}

static bool stop_after_first(void *ctx, const char *json, size_t len)
{
    (*(int *)ctx)++;
    return false;
}

static void test_splitter_stops_on_request_and_rejects_garbage(void **state)
{
    struct watch_splitter s;
    watch_splitter_init(&s);
    int calls = 0;
    assert_false(watch_splitter_feed(&s, "{}\n{}\n", 6, stop_after_first, &calls));
    assert_int_equal(calls, 1);
    watch_splitter_reset(&s);
    struct collected c = {0};
    assert_false(watch_splitter_feed(&s, "<html>502 Bad Gateway</html>", 28, collect, &c));
    assert_int_equal(c.n, 0);
    /* Once broken, it stays broken until reset. */
    assert_false(watch_splitter_feed(&s, "{}", 2, collect, &c));
    watch_splitter_free(&s);
}

static void test_event_decode_and_state(void **state)
{
    struct watch_state w;
    watch_state_init(&w);
    watch_state_set_rv(&w, "10");
    enum watch_type want[] = {WATCH_ADDED, WATCH_MODIFIED, WATCH_BOOKMARK, WATCH_DELETED,
                              WATCH_ERROR};
    const char *rv_after[] = {"11", "12", "20", "21", "21"};
    bool for_owner[] = {true, true, false, true, false};
    for (size_t i = 0; i < NEVENTS; i++) {
        struct watch_event ev;
        char *cause = NULL;
        assert_int_equal(watch_event_decode(events[i], strlen(events[i]), &ev, &cause), 0);
        assert_int_equal(ev.type, want[i]);
        assert_int_equal(watch_state_event(&w, &ev), for_owner[i]);
        assert_string_equal(w.resource_version, rv_after[i]);
        watch_event_clear(&ev);
    }
    assert_int_equal(w.events, 3);
    assert_int_equal(w.bookmarks, 1);
    assert_true(w.gone);
    /* The ERROR 410 wins over a clean end of the stream. */
    assert_int_equal(watch_state_end(&w, 200, false), WATCH_NEXT_RELIST);
    assert_false(w.gone);
    assert_int_equal(watch_state_end(&w, 200, false), WATCH_NEXT_RESUME);
    assert_int_equal(watch_state_end(&w, 410, false), WATCH_NEXT_RELIST);
    assert_int_equal(watch_state_end(&w, 403, false), WATCH_NEXT_POLL);
    assert_int_equal(watch_state_end(&w, 0, true), WATCH_NEXT_RETRY);
    assert_int_equal(watch_state_end(&w, 500, false), WATCH_NEXT_RETRY);
    assert_int_equal(w.failures, 2);
    assert_int_equal(watch_state_end(&w, 200, true), WATCH_NEXT_RETRY); /* cut short */
    assert_int_equal(watch_state_end(&w, 200, false), WATCH_NEXT_RESUME);
    assert_int_equal(w.failures, 0);
    watch_state_free(&w);

    struct watch_event ev;
    char *cause = NULL;
    assert_int_equal(watch_event_decode("{\"type\":\"WHAT\",\"object\":{}}", 28, &ev, &cause), -1);
    assert_non_null(strstr(cause, "WHAT"));
    free(cause);
    cause = NULL;
    assert_int_equal(watch_event_decode("{\"type\":", 8, &ev, &cause), -1);
    assert_non_null(cause);
    free(cause);
}

static void test_timeouts_and_path(void **state)
{
    assert_int_equal(watch_timeout_seconds(0.0), 300);
    assert_int_equal(watch_timeout_seconds(0.5), 450);
    assert_int_equal(watch_timeout_seconds(0.9999), 599);
    assert_int_equal(watch_timeout_seconds(7.0), 599);
    char *p = watch_path("/apis/kargo.akuity.io/v1alpha1/namespaces/p/stages", "12 3", 321);
    assert_string_equal(p, "/apis/kargo.akuity.io/v1alpha1/namespaces/p/stages?watch=1&"
                           "allowWatchBookmarks=true&resourceVersion=12%203&timeoutSeconds=321");
    free(p);
}

static void test_backoff_curve(void **state)
{
    static const long base[] = {800, 1600, 3200, 6400, 12800, 25600, 30000, 30000, 30000};
    for (unsigned i = 0; i < sizeof base / sizeof base[0]; i++) {
        assert_int_equal(kube_backoff_ms(i, 0.0), base[i]);
        long hi = kube_backoff_ms(i, 0.999);
        assert_true(hi > base[i]);
        assert_true(hi <= base[i] + base[i] / 4);
    }
    assert_int_equal(kube_backoff_ms(1000, 0.0), 30000);
}

static void test_status_messages(void **state)
{
    const char *body = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
                       "\"message\":\"stages.kargo.akuity.io \\\"uat\\\" is forbidden: User "
                       "\\\"viewer\\\" cannot patch\",\"reason\":\"Forbidden\",\"code\":403}";
    struct kube_status st;
    assert_int_equal(kube_status_decode(body, strlen(body), &st), 0);
    assert_int_equal(st.code, 403);
    assert_string_equal(st.reason, "Forbidden");
    kube_status_clear(&st);
    char *m = kube_status_message(403, body, strlen(body), "PATCH /x");
    assert_string_equal(m, "stages.kargo.akuity.io \"uat\" is forbidden: User \"viewer\" cannot "
                           "patch (HTTP 403 Forbidden)");
    free(m);
    m = kube_status_message(502, "<html>", 6, "GET /apis/x");
    assert_string_equal(m, "GET /apis/x failed with HTTP 502 Bad Gateway");
    free(m);
    m = kube_status_message(401, NULL, 0, "GET /apis/x");
    assert_non_null(strstr(m, "HTTP 401 Unauthorized"));
    free(m);
    assert_int_equal(kube_status_decode("{\"kind\":\"Stage\"}", 16, &st), -1);
    assert_int_equal(kube_status_decode("{\"kind\":", 8, &st), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_splitter_every_two_chunk_boundary),
        cmocka_unit_test(test_splitter_every_three_chunk_boundary),
        cmocka_unit_test(test_splitter_byte_by_byte_and_partial_tail),
        cmocka_unit_test(test_splitter_stops_on_request_and_rejects_garbage),
        cmocka_unit_test(test_event_decode_and_state),
        cmocka_unit_test(test_timeouts_and_path),
        cmocka_unit_test(test_backoff_curve),
        cmocka_unit_test(test_status_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
