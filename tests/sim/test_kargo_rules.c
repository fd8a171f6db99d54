/* Kargo's pure rules in the simulator: generated names, Freight content hashes (checked against
 * every built-in scenario), availability (§4.1), auto-promotion candidates and policy matching,
 * the scenario time shift and the generated `large` scenario. No server involved. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kargo_internal.h"
#include "sim/kargo_names.h"
#include "sim/kargo_rules.h"
#include "sim/kargo.h"
#include "sim/scenarios.h"
#include "sim/simclock.h"
#include "util/json.h"

static cJSON *parse(const char *text)
{
    cJSON *j = cJSON_Parse(text);
    assert_non_null(j);
    return j;
}

static void test_ulid_is_lowercase_crockford_and_time_ordered(void **state)
{
    struct kargo_rng r;
    kargo_rng_seed(&r, 1);
    char a[KARGO_ULID_LEN + 1], b[KARGO_ULID_LEN + 1];
    kargo_ulid(1767225600000LL, &r, a);
    kargo_ulid(1767225600001LL, &r, b);
    assert_int_equal(strlen(a), 26);
    assert_true(strspn(a, "0123456789abcdefghjkmnpqrstvwxyz") == 26);
    /* 1767225600000 ms in 48-bit Crockford base32. */
    assert_memory_equal(a, "01kdvdna00", 10);
    assert_true(strcmp(a, b) < 0);
    /* Monotonic: the same millisecond still sorts later. */
    struct kargo_ulid_state st = {0};
    char c1[KARGO_ULID_LEN + 1], c2[KARGO_ULID_LEN + 1], c3[KARGO_ULID_LEN + 1];
    kargo_ulid_monotonic(&st, 1767225600000LL, &r, c1);
    kargo_ulid_monotonic(&st, 1767225600000LL, &r, c2);
    kargo_ulid_monotonic(&st, 1767225599000LL, &r, c3);
    assert_true(strcmp(c1, c2) < 0);
    assert_true(strcmp(c2, c3) < 0);
    assert_memory_equal(c1, "01kdvdna00", 10);
}

static void test_promotion_name_is_stage_ulid_freight7(void **state)
{
    char *n = kargo_promotion_name("Prod", "01kdwdjc00abcdefghjkmnpqrs",
                                   "666209fd9755a1e48bec6b27f5f447747410dd9e");
    assert_string_equal(n, "prod.01kdwdjc00abcdefghjkmnpqrs.666209f");
    free(n);
}

static void test_collection_id_sorts_names(void **state)
{
    const char *ab[] = {"b", "a"};
    char id[41], want[41];
    kargo_collection_id(ab, 2, id);
    kargo_sha1_hex("a,b", 3, want);
    assert_string_equal(id, want);
}

static void test_freight_id_is_sha1_of_origin_and_sorted_parts(void **state)
{
    cJSON *f = parse("{\"origin\":{\"kind\":\"Warehouse\",\"name\":\"w\"},"
                     "\"images\":[{\"repoURL\":\"r/b\",\"tag\":\"2\",\"digest\":\"sha256:x\"},"
                     "{\"repoURL\":\"r/a\",\"tag\":\"1\",\"digest\":\"sha256:y\"}],"
                     "\"charts\":[{\"repoURL\":\"https://Charts.example/\",\"name\":\"c\","
                     "\"version\":\"0.1.0\"}]}");
    char id[41], want[41];
    assert_int_equal(kargo_freight_id(f, id, NULL), 0);
    const char *text = "Warehouse/w:https://charts.example/c:0.1.0|r/a:1@sha256:y|r/b:2@sha256:x";
    kargo_sha1_hex(text, strlen(text), want);
    assert_string_equal(id, want);
    cJSON_Delete(f);

    char *cause = NULL;
    cJSON *empty = parse("{\"origin\":{\"kind\":\"Warehouse\",\"name\":\"w\"}}");
    assert_int_equal(kargo_freight_id(empty, id, &cause), -1);
    assert_string_equal(cause,
                        "Freight must contain at least one commit, image, chart, or artifact");
    free(cause);
    cJSON_Delete(empty);
}

struct scan {
    int freight, bad;
    int kinds[8];
};

static void scan_object(void *ctx, cJSON *obj)
{
    struct scan *s = ctx;
    const char *kind = json_get_string(obj, "kind", (char *)NULL);
    if (strcmp(kind, "Freight") == 0) {
        char id[41];
        s->freight++;
        if (kargo_freight_id(obj, id, NULL) != 0 ||
            strcmp(id, json_get_string(obj, "metadata", "name", (char *)NULL)) != 0)
            s->bad++;
        if (strcmp(json_get_string(obj, "alias", (char *)NULL),
                   json_get_string(obj, "metadata", "labels", "kargo.akuity.io/alias",
                                   (char *)NULL)) != 0)
            s->bad++;
    }
    static const char *const kinds[] = {"Project", "ProjectConfig", "Warehouse",
                                        "Stage",   "Freight",       "Promotion"};
    for (int i = 0; i < 6; i++)
        s->kinds[i] += strcmp(kind, kinds[i]) == 0;
    cJSON_Delete(obj);
}

static void test_builtin_scenarios_parse_and_freight_names_are_content_hashes(void **state)
{
    static const struct {
        const char *name;
        int warehouses, stages;
    } want[] = {{"backstage", 1, 3}, {"flask-app", 1, 3}, {"microsvcs", 8, 12}, {"myapp", 2, 5}};
    for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++) {
        const struct scenario_builtin *b = scenarios_find(want[i].name);
        assert_non_null(b);
        struct scan s = {0};
        char *cause = NULL;
        int n = kargo_yaml_each(b->name, b->yaml, b->len, scan_object, &s, &cause);
        assert_null(cause);
        assert_true(n > 0);
        assert_int_equal(s.bad, 0);
        assert_int_equal(s.kinds[0], 1);
        assert_int_equal(s.kinds[1], 1);
        assert_int_equal(s.kinds[2], want[i].warehouses);
        assert_int_equal(s.kinds[3], want[i].stages);
        assert_true(s.freight >= 5);
        assert_true(s.kinds[5] >= 3);
    }
    assert_null(scenarios_find("nope"));
    assert_true(scenarios_is_builtin("large"));
}

#define STAGE_JSON                                                                                 \
    "{\"metadata\":{\"name\":\"prod\",\"namespace\":\"p\",\"labels\":{\"env\":\"production\"}},"   \
    "\"spec\":{\"requestedFreight\":[{\"origin\":{\"kind\":\"Warehouse\",\"name\":\"w\"},"         \
    "\"sources\":{\"stages\":[\"qa\",\"uat\"],\"requiredSoakTime\":\"1h\"%s}}],"                   \
    "\"promotionTemplate\":{\"spec\":{\"steps\":[{\"uses\":\"git-clone\"}]}}}}"

static cJSON *stage_with(const char *extra)
{
    char buf[1024];
    snprintf(buf, sizeof(buf), STAGE_JSON, extra);
    return parse(buf);
}

static void test_availability_follows_verification_soak_and_strategy(void **state)
{
    const int64_t now = 1767225600; /* 2026-01-01T00:00:00Z */
    cJSON *oneof = stage_with("");
    cJSON *all = stage_with(",\"availabilityStrategy\":\"All\"");
    /* Verified in qa 30 minutes ago and still there: not soaked for 1h. */
    cJSON *f = parse("{\"metadata\":{\"name\":\"f1\",\"namespace\":\"p\"},"
                     "\"origin\":{\"kind\":\"Warehouse\",\"name\":\"w\"},\"status\":{"
                     "\"verifiedIn\":{\"qa\":{\"verifiedAt\":\"2025-12-31T23:30:00Z\"}},"
                     "\"currentlyIn\":{\"qa\":{\"since\":\"2025-12-31T23:30:00Z\"}}}}");
    assert_false(kargo_freight_available(oneof, f, now));
    assert_true(kargo_freight_available(oneof, f, now + 1800));
    /* All needs uat too. */
    assert_false(kargo_freight_available(all, f, now + 1800));
    cJSON *vi = (cJSON *)json_get(f, "status", "verifiedIn", (char *)NULL);
    cJSON_AddItemToObject(vi, "uat", parse("{\"longestSoak\":\"2h0m0s\"}"));
    assert_true(kargo_freight_available(all, f, now + 1800));
    /* A manual approval overrides everything. */
    cJSON *g = parse("{\"metadata\":{\"name\":\"f2\",\"namespace\":\"p\"},"
                     "\"origin\":{\"kind\":\"Warehouse\",\"name\":\"w\"},"
                     "\"status\":{\"approvedFor\":{\"prod\":{}}}}");
    assert_true(kargo_freight_available(all, g, now));
    /* Another namespace or origin is never available. */
    cJSON *h = parse("{\"metadata\":{\"name\":\"f3\",\"namespace\":\"q\"},"
                     "\"origin\":{\"kind\":\"Warehouse\",\"name\":\"w\"},"
                     "\"status\":{\"approvedFor\":{\"prod\":{}}}}");
    assert_false(kargo_freight_available(all, h, now));
    cJSON_Delete(oneof);
    cJSON_Delete(all);
    cJSON_Delete(f);
    cJSON_Delete(g);
    cJSON_Delete(h);
}

static void test_availability_time_is_when_the_soak_ends(void **state)
{
    const int64_t now = 1767225600; /* 2026-01-01T00:00:00Z */
    cJSON *oneof = stage_with("");
    cJSON *all = stage_with(",\"availabilityStrategy\":\"All\"");
    /* In qa for 30 of the 60 minutes: available in 30 minutes if it stays. */
    cJSON *f = parse("{\"metadata\":{\"name\":\"f1\",\"namespace\":\"p\"},"
                     "\"origin\":{\"kind\":\"Warehouse\",\"name\":\"w\"},\"status\":{"
                     "\"verifiedIn\":{\"qa\":{\"verifiedAt\":\"2025-12-31T23:30:00Z\"}},"
                     "\"currentlyIn\":{\"qa\":{\"since\":\"2025-12-31T23:30:00Z\"}}}}");
    assert_int_equal(kargo_freight_available_at(oneof, f, now), now + 1800);
    assert_int_equal(kargo_freight_available_at(oneof, f, now + 1799), now + 1800);
    assert_false(kargo_freight_available(oneof, f, now + 1799));
    assert_int_equal(kargo_freight_available_at(oneof, f, now + 1800), now + 1800);
    assert_int_equal(kargo_freight_available_at(oneof, f, now + 5000), now + 5000);
    /* All waits for uat too, where it never was: waiting will not do it. */
    assert_true(kargo_freight_available_at(all, f, now) == KARGO_NEVER);
    /* uat soaked long enough before: qa's soak decides. */
    cJSON *vi = (cJSON *)json_get(f, "status", "verifiedIn", (char *)NULL);
    cJSON_AddItemToObject(vi, "uat", parse("{\"longestSoak\":\"2h0m0s\"}"));
    assert_int_equal(kargo_freight_available_at(all, f, now), now + 1800);
    /* Gone from qa after 20 minutes (longestSoak): no longer soaking anywhere. */
    cJSON *g = parse("{\"metadata\":{\"name\":\"f2\",\"namespace\":\"p\"},"
                     "\"origin\":{\"kind\":\"Warehouse\",\"name\":\"w\"},\"status\":{"
                     "\"verifiedIn\":{\"qa\":{\"longestSoak\":\"20m0s\"}}}}");
    assert_true(kargo_freight_available_at(oneof, g, now) == KARGO_NEVER);
    /* All's auto-promotion candidate changes when f has soaked in qa; g never makes it. */
    const cJSON *both[] = {f, g};
    int64_t changes = KARGO_NEVER;
    assert_null(kargo_auto_candidate_at(all, "w", both, 2, now, &changes));
    assert_int_equal(changes, now + 1800);
    changes = KARGO_NEVER;
    assert_ptr_equal(kargo_auto_candidate_at(all, "w", both, 2, now + 1800, &changes), f);
    assert_true(changes == KARGO_NEVER);
    cJSON_Delete(oneof);
    cJSON_Delete(all);
    cJSON_Delete(f);
    cJSON_Delete(g);
}

static void test_candidate_is_newest_available(void **state)
{
    cJSON *stage = parse("{\"metadata\":{\"name\":\"dev\",\"namespace\":\"p\"},\"spec\":{"
                         "\"requestedFreight\":[{\"origin\":{\"kind\":\"Warehouse\",\"name\":"
                         "\"w\"},\"sources\":{\"direct\":true}}]}}");
    cJSON *a = parse("{\"metadata\":{\"name\":\"aaa\",\"namespace\":\"p\"},\"origin\":{\"kind\":"
                     "\"Warehouse\",\"name\":\"w\"},\"discoveredAt\":\"2026-01-01T00:00:00Z\"}");
    cJSON *b = parse("{\"metadata\":{\"name\":\"bbb\",\"namespace\":\"p\"},\"origin\":{\"kind\":"
                     "\"Warehouse\",\"name\":\"w\"},\"discoveredAt\":\"2026-01-01T00:00:00Z\"}");
    cJSON *c = parse("{\"metadata\":{\"name\":\"ccc\",\"namespace\":\"p\"},\"origin\":{\"kind\":"
                     "\"Warehouse\",\"name\":\"x\"},\"discoveredAt\":\"2026-01-02T00:00:00Z\"}");
    const cJSON *all[] = {a, b, c};
    const cJSON *cand = kargo_auto_candidate(stage, "w", all, 3, 1767225600);
    assert_ptr_equal(cand, b); /* same time: the greater name */
    assert_null(kargo_auto_candidate(stage, "x", all, 3, 1767225600));
    cJSON_Delete(stage);
    cJSON_Delete(a);
    cJSON_Delete(b);
    cJSON_Delete(c);
}

static void test_first_matching_policy_wins(void **state)
{
    cJSON *pc =
        parse("{\"spec\":{\"promotionPolicies\":["
              "{\"stageSelector\":{\"name\":\"glob:*-dev\"},\"autoPromotionEnabled\":true},"
              "{\"stageSelector\":{\"name\":\"regex:^(qa|uat)$\"},\"autoPromotionEnabled\":true},"
              "{\"stageSelector\":{\"matchLabels\":{\"env\":\"production\"}}},"
              "{\"stageSelector\":{\"name\":\"prod\"},\"autoPromotionEnabled\":true},"
              "{\"stage\":\"legacy\",\"autoPromotionEnabled\":true},"
              "{\"stageSelector\":{\"matchExpressions\":[{\"key\":\"env\",\"operator\":\"In\","
              "\"values\":[\"staging\"]}]},\"autoPromotionEnabled\":true}]}}");
    static const struct {
        const char *stage;
        bool on;
    } cases[] = {
        {"{\"metadata\":{\"name\":\"team-dev\"}}", true},
        {"{\"metadata\":{\"name\":\"qa\"}}", true},
        {"{\"metadata\":{\"name\":\"qa2\"}}", false},
        /* matches the label policy first, which leaves auto-promotion off */
        {"{\"metadata\":{\"name\":\"prod\",\"labels\":{\"env\":\"production\"}}}", false},
        {"{\"metadata\":{\"name\":\"prod\"}}", true},
        {"{\"metadata\":{\"name\":\"legacy\"}}", true},
        {"{\"metadata\":{\"name\":\"s\",\"labels\":{\"env\":\"staging\"}}}", true},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        cJSON *s = parse(cases[i].stage);
        assert_int_equal(kargo_auto_promotion_enabled(pc, s), cases[i].on);
        cJSON_Delete(s);
    }
    cJSON *s = parse("{\"metadata\":{\"name\":\"team-dev\"}}");
    assert_false(kargo_auto_promotion_enabled(NULL, s));
    cJSON_Delete(s);
    cJSON_Delete(pc);
}

static void test_shift_moves_only_kubernetes_times(void **state)
{
    cJSON *o = parse("{\"a\":\"2026-01-01T00:00:00Z\",\"b\":[{\"t\":\"2025-12-31T23:00:00Z\"}],"
                     "\"tag\":\"1.2.3\",\"c\":\"2026-01-01\","
                     "\"p\":\"uat.01kdvdna00abcdefghjkmnpqrs.666209f\"}");
    scenarios_shift_times(o, 3600);
    assert_string_equal(json_get_string(o, "a", (char *)NULL), "2026-01-01T01:00:00Z");
    assert_string_equal(
        json_get_string(cJSON_GetArrayItem(json_get(o, "b", (char *)NULL), 0), "t", (char *)NULL),
        "2026-01-01T00:00:00Z");
    assert_string_equal(json_get_string(o, "tag", (char *)NULL), "1.2.3");
    assert_string_equal(json_get_string(o, "c", (char *)NULL), "2026-01-01");
    /* 01kdvdna00 is 2026-01-01T00:00:00Z; an hour later is 3600000 ms more. */
    char want[16];
    struct kargo_rng r;
    kargo_rng_seed(&r, 1);
    char u[KARGO_ULID_LEN + 1];
    kargo_ulid(1767225600000LL + 3600000, &r, u);
    snprintf(want, sizeof(want), "%.10s", u);
    assert_memory_equal(json_get_string(o, "p", (char *)NULL) + 4, want, 10);
    assert_string_equal(json_get_string(o, "p", (char *)NULL) + 14, "abcdefghjkmnpqrs.666209f");
    cJSON_Delete(o);
}

static void test_clock_steps_only_when_told_in_manual_mode(void **state)
{
    struct simclock c;
    simclock_init(&c, 1767225600000LL, 0);
    assert_int_equal(simclock_now_ms(&c), 1767225600000LL);
    simclock_advance(&c, 1500);
    assert_int_equal(simclock_now(&c), 1767225601);
    assert_int_equal(simclock_real_ms_until(&c, 1767225700000LL), -1);
    simclock_set_speed(&c, 100);
    assert_int_equal(simclock_real_ms_until(&c, simclock_now_ms(&c) + 10000) <= 100, 1);
    simclock_destroy(&c);
}

struct counts {
    long kinds[6];
    int bad_names;
};

static void count_large(void *ctx, cJSON *obj)
{
    struct counts *c = ctx;
    static const char *const kinds[] = {"Project", "ProjectConfig", "Warehouse",
                                        "Stage",   "Freight",       "Promotion"};
    const char *kind = json_get_string(obj, "kind", (char *)NULL);
    for (int i = 0; i < 6; i++)
        c->kinds[i] += strcmp(kind, kinds[i]) == 0;
    if (strcmp(kind, "Freight") == 0 && c->kinds[4] % 997 == 1) {
        char id[41];
        if (kargo_freight_id(obj, id, NULL) != 0 ||
            strcmp(id, json_get_string(obj, "metadata", "name", (char *)NULL)) != 0)
            c->bad_names++;
    }
    cJSON_Delete(obj);
}

static void test_large_scenario_has_the_issue_shape(void **state)
{
    struct scenario_large_shape shape;
    scenarios_large_default(&shape);
    struct counts c = {0};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    size_t n = scenarios_large_build(&shape, "large", 1767225600, count_large, &c);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    print_message("large: %zu objects generated in %.2f s\n", n, s);
    assert_int_equal(c.kinds[2], 60);
    assert_int_equal(c.kinds[3], 300);
    assert_int_equal(c.kinds[4], 10000);
    assert_int_equal(c.kinds[5], 30000);
    assert_int_equal(c.bad_names, 0);
    assert_int_equal(n, 2 + 60 + 300 + 10000 + 30000);
}

/* Where `kargotop --demo --scenario X` opens: the first Project each scenario defines. */
static void test_scenario_project(void **state)
{
    static const struct {
        const char *scenario, *project;
    } want[] = {{"backstage", "backstage-kargo"},
                {"flask-app", "flask-app"},
                {"microsvcs", "microsvcs"},
                {"myapp", "myapp"},
                {"demo", "backstage-kargo"},
                {"large", "large"},
                {KT_SOURCE_DIR "/tests/sim/data/kargo-apply.yaml", "kargo-demo"}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        char *cause = NULL;
        char *p = kargo_scenario_project(want[i].scenario, &cause);
        if (p == NULL)
            fail_msg("%s: %s", want[i].scenario, cause);
        assert_string_equal(p, want[i].project);
        free(p);
    }
    char *cause = NULL;
    assert_null(kargo_scenario_project("no-such-setup", &cause));
    assert_non_null(strstr(cause, "no-such-setup"));
    free(cause);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ulid_is_lowercase_crockford_and_time_ordered),
        cmocka_unit_test(test_promotion_name_is_stage_ulid_freight7),
        cmocka_unit_test(test_collection_id_sorts_names),
        cmocka_unit_test(test_freight_id_is_sha1_of_origin_and_sorted_parts),
        cmocka_unit_test(test_builtin_scenarios_parse_and_freight_names_are_content_hashes),
        cmocka_unit_test(test_availability_follows_verification_soak_and_strategy),
        cmocka_unit_test(test_availability_time_is_when_the_soak_ends),
        cmocka_unit_test(test_candidate_is_newest_available),
        cmocka_unit_test(test_first_matching_policy_wins),
        cmocka_unit_test(test_shift_moves_only_kubernetes_times),
        cmocka_unit_test(test_clock_steps_only_when_told_in_manual_mode),
        cmocka_unit_test(test_large_scenario_has_the_issue_shape),
        cmocka_unit_test(test_scenario_project),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
