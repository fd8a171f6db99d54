/* model/derive: stage phase for each condition combination, health, current Freight, rollback
 * history, Freight usage, availability (soak, approval, OneOf/All) with its reasons, the
 * auto-promotion candidate, promotion history, downstream Stages and artifact diffs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "model/derive.h"
#include "util/timefmt.h"
#include "util/xalloc.h"
#include "yaml_json.h"

/* JSON written with single quotes, for readable fixtures in C strings. */
static cJSON *J(const char *text)
{
    char *s = xstrdup(text);
    for (char *p = s; *p; p++)
        if (*p == '\'')
            *p = '"';
    cJSON *j = cJSON_Parse(s);
    if (j == NULL)
        fail_msg("bad test JSON: %s", s);
    free(s);
    return j;
}

static struct kargo_stage *stage(const char *text)
{
    cJSON *j = J(text);
    char *cause = NULL;
    struct kargo_stage *s = kargo_decode_stage(j, &cause);
    if (s == NULL)
        fail_msg("%s", cause);
    cJSON_Delete(j);
    return s;
}

static struct kargo_freight *freight(const char *text)
{
    cJSON *j = J(text);
    char *cause = NULL;
    struct kargo_freight *f = kargo_decode_freight(j, &cause);
    if (f == NULL)
        fail_msg("%s", cause);
    cJSON_Delete(j);
    return f;
}

static void put(struct store *st, enum kargo_kind kind, const char *text)
{
    cJSON *j = J(text);
    char *cause = NULL;
    if (store_apply(st, kind, STORE_ADDED, j, &cause) != 0)
        fail_msg("%s", cause);
    cJSON_Delete(j);
}

static time_t t(const char *s)
{
    time_t v = 0;
    assert_int_equal(timefmt_parse_rfc3339(s, &v, NULL), 0);
    return v;
}

struct phase_case {
    const char *conditions;
    enum stage_phase phase;
};

static void test_phase_for_each_condition_combination(void **state)
{
    static const struct phase_case cases[] = {
        {"[]", PHASE_UNKNOWN},
        {"[{'type':'Ready','status':'True','reason':'Verified'}]", PHASE_READY},
        {"[{'type':'Ready','status':'False','reason':'ReconcileError'}]", PHASE_FAILED},
        {"[{'type':'Ready','status':'False','reason':'NoFreight'}]", PHASE_UNKNOWN},
        {"[{'type':'Ready','status':'Unknown','reason':'X'}]", PHASE_UNKNOWN},
        {"[{'type':'Reconciling','status':'True','reason':'Reconciling'},"
         "{'type':'Ready','status':'False','reason':'ReconcileError'}]",
         PHASE_RECONCILING},
        {"[{'type':'Reconciling','status':'False'},{'type':'Ready','status':'True'}]", PHASE_READY},
        {"[{'type':'Promoting','status':'True','reason':'ActivePromotion'},"
         "{'type':'Ready','status':'False','reason':'ActivePromotion'},"
         "{'type':'Healthy','status':'Unknown','reason':'ActivePromotion'},"
         "{'type':'Verified','status':'True','reason':'Verified'}]",
         PHASE_PROMOTING},
        {"[{'type':'Promoting','status':'True','reason':'NoFreight'},"
         "{'type':'Ready','status':'True','reason':'Verified'}]",
         PHASE_READY},
        {"[{'type':'Promoting','status':'Unknown','reason':'ListPromotionsFailed'},"
         "{'type':'Ready','status':'False','reason':'ListPromotionsFailed'}]",
         PHASE_FAILED},
        {"[{'type':'Promoting','status':'True','reason':'ActivePromotion'},"
         "{'type':'Reconciling','status':'True'},{'type':'Verified','status':'Unknown',"
         "'reason':'VerificationRunning'}]",
         PHASE_PROMOTING},
        {"[{'type':'Verified','status':'Unknown','reason':'VerificationRunning'},"
         "{'type':'Ready','status':'False','reason':'VerificationRunning'}]",
         PHASE_VERIFYING},
        {"[{'type':'Verified','status':'Unknown','reason':'WaitingForVerification'},"
         "{'type':'Reconciling','status':'True'}]",
         PHASE_VERIFYING},
        {"[{'type':'Verified','status':'Unknown','reason':'NoFreight'},"
         "{'type':'Healthy','status':'Unknown','reason':'NoFreight'},"
         "{'type':'Ready','status':'False','reason':'NoFreight'}]",
         PHASE_UNKNOWN},
        {"[{'type':'Verified','status':'False','reason':'VerificationFailed'},"
         "{'type':'Ready','status':'False','reason':'VerificationFailed'}]",
         PHASE_FAILED},
        {"[{'type':'Healthy','status':'False','reason':'Unhealthy'},"
         "{'type':'Verified','status':'True'},{'type':'Ready','status':'False',"
         "'reason':'Unhealthy'}]",
         PHASE_FAILED},
        {"[{'type':'Ready','status':'False','reason':'LastPromotionFailed'},"
         "{'type':'Verified','status':'True'},{'type':'Healthy','status':'True'}]",
         PHASE_FAILED},
        {"[{'type':'Verified','status':'True','reason':'Verified'},"
         "{'type':'Healthy','status':'True','reason':'Healthy'},"
         "{'type':'Ready','status':'True','reason':'Verified'}]",
         PHASE_READY},
        /* control-flow Stages keep only Ready and Reconciling */
        {"[{'type':'Ready','status':'True','reason':'Ready'}]", PHASE_READY},
        {"[{'type':'Ready','status':'False','reason':'FreightRetrievalFailed'},"
         "{'type':'Reconciling','status':'True','reason':'RetryAfterError'}]",
         PHASE_RECONCILING},
        {"[{'type':'Ready','status':'False','reason':'FreightVerificationFailed'}]", PHASE_FAILED},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *text =
            xasprintf("{'metadata':{'name':'s'},'status':{'conditions':%s}}", cases[i].conditions);
        struct kargo_stage *s = stage(text);
        enum stage_phase got = derive_stage_phase(s, true);
        if (got != cases[i].phase)
            fail_msg("case %zu: got %s, want %s", i, derive_phase_name(got),
                     derive_phase_name(cases[i].phase));
        /* a dead controller makes any Stage Failed */
        assert_int_equal(derive_stage_phase(s, false), PHASE_FAILED);
        kargo_free_stage(s);
        free(text);
    }
    assert_string_equal(derive_phase_name(PHASE_PROMOTING), "Promoting");
    assert_string_equal(derive_phase_name(PHASE_VERIFYING), "Verifying");
    assert_string_equal(derive_phase_name(PHASE_RECONCILING), "Reconciling");
    assert_string_equal(derive_phase_name(PHASE_FAILED), "Failed");
    assert_string_equal(derive_phase_name(PHASE_READY), "Ready");
    assert_string_equal(derive_phase_name(PHASE_UNKNOWN), "Unknown");
}

static void test_health(void **state)
{
    static const struct {
        const char *status;
        enum stage_health health;
        const char *name;
    } cases[] = {
        {"'Healthy'", HEALTH_HEALTHY, "Healthy"},
        {"'Progressing'", HEALTH_PROGRESSING, "Progressing"},
        {"'Unhealthy'", HEALTH_UNHEALTHY, "Unhealthy"},
        {"'Degraded'", HEALTH_UNHEALTHY, "Unhealthy"},
        {"'Unknown'", HEALTH_UNKNOWN, "Unknown"},
        {"'NotApplicable'", HEALTH_NOT_APPLICABLE, "NotApplicable"},
        {"'Sideways'", HEALTH_UNKNOWN, "Unknown"},
        {"null", HEALTH_NONE, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *text = xasprintf("{'metadata':{'name':'s'},'status':{'health':{'status':%s}}}",
                               cases[i].status);
        struct kargo_stage *s = stage(text);
        assert_int_equal(derive_stage_health(s), cases[i].health);
        assert_string_equal(derive_health_name(derive_stage_health(s)), cases[i].name);
        kargo_free_stage(s);
        free(text);
    }
}

static void test_current_freight_prefers_last_promotion_origin(void **state)
{
    const char *items = "'freightHistory':[{'items':{"
                        "'Warehouse/b':{'name':'fb','origin':{'kind':'Warehouse','name':'b'}},"
                        "'Warehouse/a':{'name':'fa','origin':{'kind':'Warehouse','name':'a'}}}}]";
    char *text = xasprintf("{'metadata':{'name':'s'},'status':{%s,'lastPromotion':{'name':'p',"
                           "'freight':{'name':'fb','origin':{'kind':'Warehouse','name':'b'}}}}}",
                           items);
    struct kargo_stage *s = stage(text);
    free(text);
    const struct kargo_freight_ref **cur;
    assert_int_equal(derive_current_freight(s, &cur), 2);
    assert_string_equal(cur[0]->name, "fb");
    assert_string_equal(cur[1]->name, "fa");
    free(cur);
    kargo_free_stage(s);

    text = xasprintf("{'metadata':{'name':'s'},'status':{%s}}", items);
    s = stage(text);
    free(text);
    assert_int_equal(derive_current_freight(s, &cur), 2);
    assert_string_equal(cur[0]->name, "fa"); /* by origin key, not the JSON map order */
    assert_string_equal(cur[1]->name, "fb");
    free(cur);
    kargo_free_stage(s);

    s = stage("{'metadata':{'name':'s'}}");
    assert_int_equal(derive_current_freight(s, &cur), 0);
    assert_null(cur);
    kargo_free_stage(s);
}

static void test_history_for_rollback(void **state)
{
    struct store *st = store_new("p");
    put(st, KARGO_STAGE,
        "{'metadata':{'name':'prod'},'status':{'freightHistory':["
        "{'items':{'Warehouse/a':{'name':'f3'},'Warehouse/b':{'name':'g1'}}},"
        "{'items':{'Warehouse/a':{'name':'f2'},'Warehouse/b':{'name':'g1'}},"
        " 'verificationHistory':[{'phase':'Failed'},{'phase':'Successful'}]},"
        "{'items':{'Warehouse/a':{'name':'f2'},'Warehouse/b':{'name':'g0'}}},"
        "{'items':{'Warehouse/a':{'name':'f1'}},'verificationHistory':[{'phase':'Successful'}]}"
        "]}}");
    put(st, KARGO_PROMOTION,
        "{'metadata':{'name':'prod.01k1.f1'},'spec':{'stage':'prod','freight':'f1'},"
        "'status':{'phase':'Succeeded','finishedAt':'2026-01-01T10:00:00Z'}}");
    put(st, KARGO_PROMOTION,
        "{'metadata':{'name':'prod.01k2.f2'},'spec':{'stage':'prod','freight':'f2'},"
        "'status':{'phase':'Failed','finishedAt':'2026-01-02T10:00:00Z'}}");
    put(st, KARGO_PROMOTION,
        "{'metadata':{'name':'prod.01k3.f2'},'spec':{'stage':'prod','freight':'f2'},"
        "'status':{'phase':'Succeeded','finishedAt':'2026-01-03T10:00:00Z'}}");
    store_read_lock(st);
    const struct kargo_stage *s = store_stage(st, "prod");
    struct history_entry *h;
    assert_int_equal(derive_stage_history(st, s, "Warehouse/a", &h), 2);
    assert_string_equal(h[0].freight->name, "f2");
    assert_int_equal(h[0].index, 1);
    assert_string_equal(h[0].verification, "Failed");
    assert_string_equal(h[0].promotion, "prod.01k3.f2");
    assert_int_equal(h[0].promoted, t("2026-01-03T10:00:00Z"));
    assert_string_equal(h[1].freight->name, "f1");
    assert_int_equal(h[1].index, 3);
    assert_string_equal(h[1].verification, "Successful");
    assert_int_equal(h[1].promoted, t("2026-01-01T10:00:00Z"));
    free(h);
    assert_int_equal(derive_stage_history(st, s, "Warehouse/b", &h), 1);
    assert_string_equal(h[0].freight->name, "g0");
    assert_int_equal(h[0].index, 2);
    assert_null(h[0].verification);
    assert_null(h[0].promotion);
    assert_int_equal(h[0].promoted, 0);
    free(h);
    assert_int_equal(derive_stage_history(st, s, "Warehouse/none", &h), 0);
    assert_null(h);
    store_read_unlock(st);
    store_free(st);
}

static void test_freight_usage(void **state)
{
    struct store *st = store_new("p");
    put(st, KARGO_STAGE,
        "{'metadata':{'name':'staging'},'status':{'freightHistory':[{'items':{'Warehouse/"
        "w':{'name':"
        "'f1'}}}]}}");
    put(st, KARGO_STAGE,
        "{'metadata':{'name':'dev'},'status':{'freightHistory':[{'items':{'Warehouse/w':{'name':"
        "'f1'}}},{'items':{'Warehouse/w':{'name':'f0'}}}]}}");
    put(st, KARGO_FREIGHT,
        "{'metadata':{'name':'f1'},'origin':{'name':'w'},'status':{'verifiedIn':{'dev':{},"
        "'staging':{}},'approvedFor':{'prod':{}}}}");
    put(st, KARGO_FREIGHT, "{'metadata':{'name':'f0'},'origin':{'name':'w'}}");
    store_read_lock(st);
    struct freight_usage u;
    derive_freight_usage(st, store_freight(st, "f1"), &u);
    assert_int_equal(u.n_in, 2);
    assert_string_equal(u.in[0], "dev");
    assert_string_equal(u.in[1], "staging");
    assert_int_equal(u.n_verified, 2);
    assert_string_equal(u.verified[0], "dev");
    assert_int_equal(u.n_approved, 1);
    assert_string_equal(u.approved[0], "prod");
    derive_freight_usage_free(&u);
    assert_false(derive_freight_unused(st, store_freight(st, "f1")));
    /* in dev's history, but not current anywhere */
    assert_true(derive_freight_unused(st, store_freight(st, "f0")));
    derive_freight_usage(st, store_freight(st, "f0"), &u);
    assert_int_equal(u.n_in, 0);
    assert_int_equal(u.n_verified, 0);
    derive_freight_usage_free(&u);
    store_read_unlock(st);
    store_free(st);
}

static void test_freight_timeline_pages(void **state)
{
    struct store *st = store_new("p");
    static const char *fr[][3] = {
        {"a1", "w1", "2026-01-01T01:00:00Z"}, {"b1", "w2", "2026-01-01T02:00:00Z"},
        {"a2", "w1", "2026-01-01T03:00:00Z"}, {"a3", "w1", "2026-01-01T04:00:00Z"},
        {"b2", "w2", "2026-01-01T04:00:00Z"}, {"c1", "w3", "2026-01-01T05:00:00Z"},
    };
    for (size_t i = 0; i < 6; i++) {
        char *text = xasprintf("{'metadata':{'name':'%s'},'origin':{'name':'%s'},"
                               "'discoveredAt':'%s'}",
                               fr[i][0], fr[i][1], fr[i][2]);
        put(st, KARGO_FREIGHT, text);
        free(text);
    }
    put(st, KARGO_STAGE,
        "{'metadata':{'name':'dev'},'status':{'freightHistory':[{'items':{"
        "'Warehouse/w1':{'name':'a2'},'Warehouse/w2':{'name':'b1'}}}]}}");
    store_read_lock(st);
    const char **keys;
    assert_int_equal(store_freight_origins(st, &keys), 3);
    assert_string_equal(keys[0], "Warehouse/w1");
    assert_string_equal(keys[2], "Warehouse/w3");
    free(keys);

    const struct kargo_freight *page[4];
    /* b2 and a3 share a time: the greater name is newer */
    assert_int_equal(derive_freight_page(st, NULL, 0, false, 0, 4, page), 4);
    assert_string_equal(page[0]->ref.name, "c1");
    assert_string_equal(page[1]->ref.name, "b2");
    assert_string_equal(page[2]->ref.name, "a3");
    assert_string_equal(page[3]->ref.name, "a2");
    assert_int_equal(derive_freight_page(st, NULL, 0, false, 4, 4, page), 2);
    assert_string_equal(page[0]->ref.name, "b1");
    assert_string_equal(page[1]->ref.name, "a1");
    const char *w1[] = {"Warehouse/w1", "Warehouse/w3"};
    assert_int_equal(derive_freight_page(st, w1, 2, false, 1, 4, page), 3);
    assert_string_equal(page[0]->ref.name, "a3");
    assert_string_equal(page[2]->ref.name, "a1");
    assert_int_equal(derive_freight_page(st, NULL, 0, true, 0, 4, page), 2);
    assert_string_equal(page[0]->ref.name, "a2");
    assert_string_equal(page[1]->ref.name, "b1");
    assert_int_equal(derive_freight_page(st, NULL, 0, true, 1, 4, page), 1);
    assert_string_equal(page[0]->ref.name, "b1");
    const char *none[] = {"Warehouse/none"};
    assert_int_equal(derive_freight_page(st, none, 1, false, 0, 4, page), 0);
    store_read_unlock(st);
    store_free(st);
}

struct avail_case {
    const char *status; /* Freight status */
    bool available;
    const char *reason;
};

static void check_availability(const char *stage_json, const struct avail_case *cases, size_t n,
                               time_t now)
{
    struct kargo_stage *s = stage(stage_json);
    for (size_t i = 0; i < n; i++) {
        char *text = xasprintf("{'metadata':{'name':'f'},'origin':{'kind':'Warehouse',"
                               "'name':'w'},'status':%s}",
                               cases[i].status);
        struct kargo_freight *f = freight(text);
        char *reason = NULL;
        bool ok = derive_freight_available(s, f, now, &reason);
        if (ok != cases[i].available)
            fail_msg("case %zu: available %d, want %d (%s)", i, ok, cases[i].available,
                     reason ? reason : "");
        if (!ok && strcmp(reason, cases[i].reason) != 0)
            fail_msg("case %zu: reason \"%s\", want \"%s\"", i, reason, cases[i].reason);
        free(reason);
        kargo_free_freight(f);
        free(text);
    }
    kargo_free_stage(s);
}

static void test_availability_with_soak_and_approval(void **state)
{
    time_t now = t("2026-08-21T12:00:00Z");
    static const struct avail_case cases[] = {
        {"{}", false, "not verified in staging"},
        {"{'approvedFor':{'uat':{'approvedAt':'2026-08-21T09:00:00Z'}}}", true, NULL},
        {"{'approvedFor':{'prod':{}}}", false, "not verified in staging"},
        {"{'verifiedIn':{'dev':{}}}", false, "not verified in staging"},
        /* in staging for 48 minutes of the 2 hours */
        {"{'verifiedIn':{'staging':{'verifiedAt':'2026-08-21T11:15:00Z'}},"
         "'currentlyIn':{'staging':{'since':'2026-08-21T11:12:00Z'}}}",
         false, "needs 1h12m more soak in staging"},
        /* left staging after 30 minutes */
        {"{'verifiedIn':{'staging':{'longestSoak':'30m0s'}}}", false,
         "needs 1h30m more soak in staging"},
        {"{'verifiedIn':{'staging':{'longestSoak':'3h0m0s'}}}", true, NULL},
        {"{'verifiedIn':{'staging':{}},'currentlyIn':{'staging':{'since':'2026-08-21T10:00:00Z'}}}",
         true, NULL},
        {"{'verifiedIn':{'staging':{'longestSoak':'1h59m59s'}}}", false,
         "needs 1s more soak in staging"},
    };
    check_availability("{'metadata':{'name':'uat'},'spec':{'requestedFreight':[{'origin':{"
                       "'kind':'Warehouse','name':'w'},'sources':{'stages':['staging'],"
                       "'requiredSoakTime':'2h'}}]}}",
                       cases, sizeof cases / sizeof cases[0], now);

    static const struct avail_case all[] = {
        {"{'verifiedIn':{'a':{}}}", false, "not verified in b"},
        {"{}", false, "not verified in a; not verified in b"},
        {"{'verifiedIn':{'a':{},'b':{}}}", true, NULL},
    };
    check_availability(
        "{'metadata':{'name':'prod'},'spec':{'requestedFreight':[{'origin':{"
        "'name':'w'},'sources':{'stages':['a','b'],'availabilityStrategy':'All'}}]}}",
        all, sizeof all / sizeof all[0], now);

    static const struct avail_case all_soak[] = {
        {"{'verifiedIn':{'a':{'longestSoak':'1h'},'b':{'longestSoak':'20m'}}}", false,
         "needs 40m more soak in b"},
        {"{'verifiedIn':{'a':{'longestSoak':'10m'}}}", false,
         "needs 50m more soak in a; not verified in b"},
    };
    check_availability("{'metadata':{'name':'prod'},'spec':{'requestedFreight':[{'origin':{"
                       "'name':'w'},'sources':{'stages':['a','b'],'availabilityStrategy':'All',"
                       "'requiredSoakTime':'1h'}}]}}",
                       all_soak, sizeof all_soak / sizeof all_soak[0], now);

    static const struct avail_case one_of[] = {
        {"{}", false, "not verified in any of a, b"},
        {"{'verifiedIn':{'a':{'longestSoak':'50m'},'b':{'longestSoak':'55m'}}}", false,
         "needs 5m more soak in b"},
        {"{'verifiedIn':{'a':{'longestSoak':'50m'},'b':{'longestSoak':'1h'}}}", true, NULL},
    };
    check_availability("{'metadata':{'name':'prod'},'spec':{'requestedFreight':[{'origin':{"
                       "'name':'w'},'sources':{'stages':['a','b'],'availabilityStrategy':'OneOf',"
                       "'requiredSoakTime':'1h'}}]}}",
                       one_of, sizeof one_of / sizeof one_of[0], now);

    static const struct avail_case direct[] = {{"{}", true, NULL}};
    check_availability("{'metadata':{'name':'dev'},'spec':{'requestedFreight':[{'origin':{"
                       "'name':'w'},'sources':{'direct':true}}]}}",
                       direct, 1, now);

    static const struct avail_case none[] = {
        {"{'verifiedIn':{'staging':{}}}", false, "not approved for prod"},
        {"{'approvedFor':{'prod':{}}}", true, NULL},
    };
    check_availability("{'metadata':{'name':'prod'},'spec':{'requestedFreight':[{'origin':{"
                       "'name':'w'},'sources':{}}]}}",
                       none, 2, now);

    static const struct avail_case other[] = {
        {"{'approvedFor':{'dev':{}}}", false, "dev does not request Freight from Warehouse/w"},
    };
    check_availability("{'metadata':{'name':'dev'},'spec':{'requestedFreight':[{'origin':{"
                       "'name':'elsewhere'},'sources':{'direct':true}}]}}",
                       other, 1, now);
}

static void test_auto_promotion_candidate_and_holds(void **state)
{
    time_t now = t("2026-08-21T12:00:00Z");
    struct store *st = store_new("p");
    put(st, KARGO_STAGE,
        "{'metadata':{'name':'dev'},'spec':{'requestedFreight':[{'origin':{'name':'w'},"
        "'sources':{'direct':true}}]},'status':{'autoPromotionEnabled':true,'freightHistory':"
        "[{'items':{'Warehouse/w':{'name':'f3'}}}]}}");
    put(st, KARGO_STAGE,
        "{'metadata':{'name':'staging'},'spec':{'requestedFreight':[{'origin':{'name':'w'},"
        "'sources':{'stages':['dev']}}]},'status':{'autoPromotionEnabled':true,"
        "'freightHistory':[{'items':{'Warehouse/w':{'name':'f1'}}}],"
        "'effectiveAutoPromotionHolds':{'Warehouse/w':{'freightName':'f1',"
        "'promotionName':'staging.01k1.f1','actor':'kubernetes:alice'}}}}");
    put(st, KARGO_STAGE,
        "{'metadata':{'name':'mirror'},'spec':{'requestedFreight':[{'origin':{'name':'w'},"
        "'sources':{'stages':['dev'],'autoPromotionOptions':{'selectionPolicy':'MatchUpstream'}}}"
        "]}}");
    put(st, KARGO_FREIGHT,
        "{'metadata':{'name':'f1'},'origin':{'name':'w'},'discoveredAt':'2026-08-20T01:00:00Z',"
        "'status':{'verifiedIn':{'dev':{}},'currentlyIn':{'dev':{'since':'2026-08-20T02:00:00Z'}}}"
        "}");
    put(st, KARGO_FREIGHT,
        "{'metadata':{'name':'f2'},'origin':{'name':'w'},'discoveredAt':'2026-08-20T03:00:00Z',"
        "'status':{'verifiedIn':{'dev':{}}}}");
    put(st, KARGO_FREIGHT,
        "{'metadata':{'name':'f3'},'origin':{'name':'w'},'discoveredAt':'2026-08-20T05:00:00Z'}");

    store_read_lock(st);
    const struct kargo_stage *dev = store_stage(st, "dev"), *stg = store_stage(st, "staging");
    const struct kargo_stage *mirror = store_stage(st, "mirror");
    assert_string_equal(derive_auto_candidate(st, dev, "Warehouse/w", now)->ref.name, "f3");
    assert_string_equal(derive_auto_candidate(st, stg, "Warehouse/w", now)->ref.name, "f2");
    /* MatchUpstream: what is in dev now, though f2 is newer */
    assert_string_equal(derive_auto_candidate(st, mirror, "Warehouse/w", now)->ref.name, "f1");
    assert_null(derive_auto_candidate(st, dev, "Warehouse/other", now));

    struct auto_promotion *ap;
    assert_int_equal(derive_auto_promotion(st, dev, now, &ap), 1);
    assert_string_equal(ap[0].origin_key, "Warehouse/w");
    assert_null(ap[0].hold);
    assert_string_equal(ap[0].candidate->ref.name, "f3");
    assert_true(ap[0].candidate_current);
    free(ap);
    assert_int_equal(derive_auto_promotion(st, stg, now, &ap), 1);
    assert_non_null(ap[0].hold);
    assert_string_equal(ap[0].hold->actor, "kubernetes:alice");
    assert_string_equal(ap[0].candidate->ref.name, "f2");
    assert_false(ap[0].candidate_current);
    free(ap);
    store_read_unlock(st);

    /* two Freight in the upstream: MatchUpstream has no candidate this pass */
    put(st, KARGO_FREIGHT,
        "{'metadata':{'name':'f2'},'origin':{'name':'w'},'discoveredAt':'2026-08-20T03:00:00Z',"
        "'status':{'verifiedIn':{'dev':{}},'currentlyIn':{'dev':{}}}}");
    store_read_lock(st);
    assert_null(derive_auto_candidate(st, store_stage(st, "mirror"), "Warehouse/w", now));
    store_read_unlock(st);
    store_free(st);
}

static void test_promotion_history_and_active(void **state)
{
    struct store *st = store_new("p");
    put(st, KARGO_STAGE, "{'metadata':{'name':'uat'}}");
    const char *promos[][2] = {{"uat.01k1.aaaaaaa", "Succeeded"},
                               {"uat.01k2.aaaaaaa", "Failed"},
                               {"uat.01k4.aaaaaaa", "Pending"},
                               {"uat.01k3.aaaaaaa", "Running"}};
    for (size_t i = 0; i < 4; i++) {
        char *text = xasprintf("{'metadata':{'name':'%s'},'spec':{'stage':'uat','freight':'f'},"
                               "'status':{'phase':'%s'}}",
                               promos[i][0], promos[i][1]);
        put(st, KARGO_PROMOTION, text);
        free(text);
    }
    store_read_lock(st);
    assert_string_equal(derive_promotion_newest(st, "uat", 0)->name, "uat.01k4.aaaaaaa");
    assert_string_equal(derive_promotion_newest(st, "uat", 1)->name, "uat.01k3.aaaaaaa");
    assert_string_equal(derive_promotion_newest(st, "uat", 3)->name, "uat.01k1.aaaaaaa");
    assert_null(derive_promotion_newest(st, "uat", 4));
    assert_null(derive_promotion_newest(st, "prod", 0));
    assert_string_equal(derive_active_promotion(st, store_stage(st, "uat"))->name,
                        "uat.01k3.aaaaaaa");
    store_read_unlock(st);

    put(st, KARGO_PROMOTION,
        "{'metadata':{'name':'uat.01k3.aaaaaaa'},'spec':{'stage':'uat'},'status':{'phase':"
        "'Succeeded'}}");
    put(st, KARGO_PROMOTION,
        "{'metadata':{'name':'uat.01k5.aaaaaaa'},'spec':{'stage':'uat'},'status':{}}");
    store_read_lock(st);
    /* nothing running: the oldest queued one is next */
    assert_string_equal(derive_active_promotion(st, store_stage(st, "uat"))->name,
                        "uat.01k4.aaaaaaa");
    store_read_unlock(st);

    put(st, KARGO_STAGE,
        "{'metadata':{'name':'uat'},'status':{'currentPromotion':{'name':'uat.01k5.aaaaaaa'}}}");
    put(st, KARGO_PROMOTION,
        "{'metadata':{'name':'uat.01k4.aaaaaaa'},'spec':{'stage':'uat'},'status':{'phase':"
        "'Aborted'}}");
    put(st, KARGO_PROMOTION,
        "{'metadata':{'name':'uat.01k5.aaaaaaa'},'spec':{'stage':'uat'},'status':{'phase':"
        "'Errored'}}");
    store_read_lock(st);
    assert_null(derive_active_promotion(st, store_stage(st, "uat")));
    store_read_unlock(st);
    store_free(st);
}

static struct kargo_promotion *promotion(const char *text)
{
    cJSON *j = J(text);
    char *cause = NULL;
    struct kargo_promotion *p = kargo_decode_promotion(j, &cause);
    if (p == NULL)
        fail_msg("%s", cause);
    cJSON_Delete(j);
    return p;
}

static void test_promotion_step_and_verification(void **state)
{
    const char *steps =
        "'steps':[{'uses':'git-clone'},{'uses':'kustomize-set-image','as':'update'},"
        "{'uses':'argocd-update'}]";
    char *text = xasprintf("{'metadata':{'name':'p'},'spec':{'stage':'uat',%s},'status':{"
                           "'phase':'Running','currentStep':1,'stepExecutionMetadata':["
                           "{'alias':'step-1','status':'Succeeded'},{'alias':'update','status':"
                           "'Running','message':'pushing'}]}}",
                           steps);
    struct kargo_promotion *p = promotion(text);
    free(text);
    struct promotion_step ps;
    assert_true(derive_promotion_step(p, &ps));
    assert_int_equal(ps.index, 1);
    assert_int_equal(ps.total, 3);
    assert_string_equal(ps.alias, "update");
    assert_string_equal(ps.uses, "kustomize-set-image");
    assert_string_equal(ps.status, "Running");
    assert_string_equal(ps.message, "pushing");
    kargo_free_promotion(p);

    /* failed at step 1, then the controller moved currentStep on: show the failed one */
    text =
        xasprintf("{'metadata':{'name':'p'},'spec':{'stage':'uat',%s},'status':{"
                  "'phase':'Failed','currentStep':2,'stepExecutionMetadata':["
                  "{'alias':'step-1','status':'Succeeded'},{'alias':'update','status':"
                  "'Errored','message':'no such image'},{'alias':'step-3','status':'Skipped'}]}}",
                  steps);
    p = promotion(text);
    free(text);
    assert_true(derive_promotion_step(p, &ps));
    assert_int_equal(ps.index, 1);
    assert_string_equal(ps.status, "Errored");
    assert_string_equal(ps.message, "no such image");
    kargo_free_promotion(p);

    text = xasprintf("{'metadata':{'name':'p'},'spec':{'stage':'uat',%s},'status':{"
                     "'phase':'Pending'}}",
                     steps);
    p = promotion(text);
    free(text);
    assert_false(derive_promotion_step(p, &ps));
    kargo_free_promotion(p);

    struct kargo_stage *s =
        stage("{'metadata':{'name':'uat','annotations':{'kargo.akuity.io/refresh':'t2'}},'status':{"
              "'lastHandledRefresh':'t1','freightHistory':[{'items':{},'verificationHistory':["
              "{'id':'v2','phase':'Running'},{'id':'v1','phase':'Failed'}]}]}}");
    assert_string_equal(derive_current_verification(s)->id, "v2");
    assert_true(derive_refresh_pending(s->refresh, s->last_handled_refresh));
    assert_false(derive_refresh_pending("t1", "t1"));
    assert_false(derive_refresh_pending(NULL, "t1"));
    assert_true(derive_refresh_pending("t1", NULL));
    kargo_free_stage(s);
    s = stage("{'metadata':{'name':'uat'}}");
    assert_null(derive_current_verification(s));
    kargo_free_stage(s);
}

static void test_downstream(void **state)
{
    struct store *st = store_new("microsvcs");
    assert_int_equal(fixture_load(st, "microsvcs.json"), 22);
    assert_int_equal(fixture_load(st, "myapp.json"), 8);
    store_read_lock(st);
    const struct kargo_stage **d;
    assert_int_equal(derive_downstream(st, "red-staging", "Warehouse/red-releases", &d), 1);
    assert_string_equal(d[0]->name, "red-production");
    free(d);
    assert_int_equal(derive_downstream(st, "red-staging", "Warehouse/red-dev", &d), 0);
    assert_null(d);
    assert_int_equal(derive_downstream(st, "red-development", "Warehouse/red-dev", &d), 0);
    assert_int_equal(derive_downstream(st, "dev", "Warehouse/services-warehouse", &d), 1);
    assert_string_equal(d[0]->name, "staging");
    free(d);
    assert_int_equal(derive_downstream(st, "preprod", "Warehouse/packages-warehouse", &d), 1);
    assert_string_equal(d[0]->name, "production");
    free(d);
    assert_int_equal(derive_downstream(st, "production", "Warehouse/services-warehouse", &d), 0);
    store_read_unlock(st);
    store_free(st);
}

static void test_artifact_diff(void **state)
{
    struct kargo_freight *a =
        freight("{'metadata':{'name':'aaaaaaa1'},'origin':{'name':'w'},'images':["
                "{'repoURL':'nginx','tag':'1.29.0','digest':'sha256:b2487a28589657b318e0'},"
                "{'repoURL':'sidecar','tag':'1.0','digest':'sha256:111111111111111'},"
                "{'repoURL':'old','tag':'0.1'}],"
                "'charts':[{'repoURL':'oci://ghcr.io/x/demo','version':'0.7.2'},"
                "{'repoURL':'https://charts','name':'db','version':'1.0.0'}],"
                "'commits':[{'repoURL':'https://git/x','id':'abcdef1234567890'}],"
                "'artifacts':[{'artifactType':'thing','subscriptionName':'s','version':'v1'}]}");
    struct kargo_freight *b =
        freight("{'metadata':{'name':'bbbbbbb2'},'origin':{'name':'w'},'images':["
                "{'repoURL':'nginx','tag':'1.29.1','digest':'sha256:0f1e2d3c4b5a6978'},"
                "{'repoURL':'sidecar','tag':'1.0','digest':'sha256:222222222222222'},"
                "{'repoURL':'new','tag':'2.0'}],"
                "'charts':[{'repoURL':'oci://ghcr.io/x/demo','version':'0.7.3'},"
                "{'repoURL':'https://charts','name':'db','version':'1.0.0'}],"
                "'commits':[{'repoURL':'https://git/x','id':'1234567aaaaaaaa'}],"
                "'artifacts':[{'artifactType':'thing','subscriptionName':'s','version':'v1'}]}");
    struct artifact_change *c;
    size_t n;
    assert_int_equal(derive_artifact_diff(&a->ref, &b->ref, &c, &n, NULL), 0);
    assert_int_equal(n, 6);
    assert_int_equal(c[0].type, ARTIFACT_IMAGE);
    assert_string_equal(c[0].subject, "nginx");
    assert_string_equal(c[0].from, "1.29.0");
    assert_string_equal(c[0].to, "1.29.1");
    assert_string_equal(c[1].subject, "sidecar"); /* same tag, rebuilt: show the digests */
    assert_string_equal(c[1].from, "1.0@111111111111");
    assert_string_equal(c[1].to, "1.0@222222222222");
    assert_string_equal(c[2].subject, "new");
    assert_null(c[2].from);
    assert_string_equal(c[2].to, "2.0");
    assert_string_equal(c[3].subject, "old");
    assert_string_equal(c[3].from, "0.1");
    assert_null(c[3].to);
    assert_int_equal(c[4].type, ARTIFACT_CHART);
    assert_string_equal(c[4].subject, "oci://ghcr.io/x/demo");
    assert_string_equal(c[4].from, "0.7.2");
    assert_string_equal(c[4].to, "0.7.3");
    assert_int_equal(c[5].type, ARTIFACT_COMMIT);
    assert_string_equal(c[5].subject, "https://git/x");
    assert_string_equal(c[5].from, "abcdef1");
    assert_string_equal(c[5].to, "1234567");
    derive_artifact_diff_free(c, n);

    assert_int_equal(derive_artifact_diff(&a->ref, &a->ref, &c, &n, NULL), 0);
    assert_int_equal(n, 0);
    derive_artifact_diff_free(c, n);

    struct kargo_freight *o = freight("{'metadata':{'name':'ccccccc3'},'origin':{'name':'x'}}");
    char *cause = NULL;
    assert_int_equal(derive_artifact_diff(&a->ref, &o->ref, &c, &n, &cause), -1);
    assert_string_equal(cause, "Freight aaaaaaa is from Warehouse/w and ccccccc from "
                               "Warehouse/x: only Freight of one origin compare");
    free(cause);
    kargo_free_freight(a);
    kargo_free_freight(b);
    kargo_free_freight(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_phase_for_each_condition_combination),
        cmocka_unit_test(test_health),
        cmocka_unit_test(test_current_freight_prefers_last_promotion_origin),
        cmocka_unit_test(test_history_for_rollback),
        cmocka_unit_test(test_freight_usage),
        cmocka_unit_test(test_freight_timeline_pages),
        cmocka_unit_test(test_availability_with_soak_and_approval),
        cmocka_unit_test(test_auto_promotion_candidate_and_holds),
        cmocka_unit_test(test_promotion_history_and_active),
        cmocka_unit_test(test_promotion_step_and_verification),
        cmocka_unit_test(test_downstream),
        cmocka_unit_test(test_artifact_diff),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
