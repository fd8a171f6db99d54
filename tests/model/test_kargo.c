/* model/kargo: every kind decoded from the kargo-examples (YAML read with libyaml) and from JSON,
 * and malformed input turned into an error value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "model/kargo.h"
#include "util/json.h"
#include "util/timefmt.h"
#include "util/xalloc.h"
#include "yaml_json.h"

static cJSON *example(const char *file)
{
    char *path = xasprintf("%s/reference/kargo-examples/%s", KT_SHARED_DIR, file);
    char *cause = NULL;
    cJSON *docs = yaml_json_load(path, &cause);
    if (docs == NULL)
        fail_msg("%s", cause);
    free(path);
    return docs;
}

static time_t t(const char *s)
{
    time_t v = 0;
    assert_int_equal(timefmt_parse_rfc3339(s, &v, NULL), 0);
    return v;
}

static void test_stage_uat_promoting_example(void **state)
{
    cJSON *docs = example("10-stage-uat-promoting-CONSTRUCTED.yaml");
    char *cause = NULL;
    struct kargo_stage *s = kargo_decode_stage(yaml_json_find(docs, "Stage", "uat"), &cause);
    assert_non_null(s);
    assert_string_equal(s->name, "uat");
    assert_string_equal(s->namespace, "kargo-demo");
    assert_string_equal(s->color, "amber");
    assert_string_equal(s->description, "User acceptance testing");
    assert_string_equal(s->refresh, "2026-08-21T10:15:02Z");
    assert_string_equal(s->last_handled_refresh, "2026-08-21T10:15:02Z");
    assert_int_equal(s->n_requests, 1);
    assert_string_equal(s->requests[0].origin.key, "Warehouse/kargo-demo");
    assert_string_equal(s->requests[0].origin.name, "kargo-demo");
    assert_false(s->requests[0].direct);
    assert_int_equal(s->requests[0].n_stages, 1);
    assert_string_equal(s->requests[0].stages[0], "test");
    assert_int_equal(s->requests[0].soak_ms, 3600000);
    assert_false(s->requests[0].all);
    assert_false(s->requests[0].match_upstream);
    assert_int_equal(s->n_steps, 1);
    assert_false(s->control_flow);
    assert_true(s->has_verification);
    assert_string_equal(s->topology_key, "Warehouse/kargo-demo<test;");

    assert_int_equal(s->n_conditions, 4);
    const struct kargo_condition *c = kargo_condition(s->conditions, s->n_conditions, "Promoting");
    assert_non_null(c);
    assert_string_equal(c->status, "True");
    assert_string_equal(c->reason, "ActivePromotion");
    assert_int_equal(c->since, t("2026-08-21T10:20:00Z"));
    assert_null(kargo_condition(s->conditions, s->n_conditions, "Reconciling"));
    assert_string_equal(s->health, "Unknown");
    assert_string_equal(s->freight_summary, "666209fd9755a1e48bec6b27f5f447747410dd9e");

    assert_int_equal(s->n_history, 2);
    assert_string_equal(s->history[0].id, "101bca5b0e18ca7913978a1da956308d2544f741");
    assert_int_equal(s->history[0].n_items, 1);
    assert_string_equal(s->history[0].items[0].name, "666209fd9755a1e48bec6b27f5f447747410dd9e");
    assert_string_equal(s->history[0].items[0].origin.key, "Warehouse/kargo-demo");
    assert_int_equal(s->history[0].items[0].artifacts.n_images, 1);
    assert_string_equal(s->history[0].items[0].artifacts.images[0].tag, "1.29.0");
    assert_int_equal(s->history[0].n_verifications, 1);
    assert_string_equal(s->history[0].verifications[0].phase, "Successful");
    assert_int_equal(s->history[0].verifications[0].started, t("2026-08-20T16:01:34Z"));
    assert_int_equal(s->history[0].verifications[0].finished, t("2026-08-20T16:02:11Z"));
    assert_string_equal(s->history[0].verifications[0].analysis_run,
                        "uat.01k35r3a7c5e3g1j9m7p5r3t1v.101bca5");
    assert_string_equal(s->history[1].items[0].artifacts.images[0].tag, "1.28.2");
    assert_null(s->history[1].items[0].artifacts.images[0].digest);
    assert_string_equal(s->history[1].verifications[0].phase, "Failed");
    assert_string_equal(s->history[1].verifications[0].message,
                        "Metric \"integration-test\" assessed Failed due to failed (1) > "
                        "failureLimit (0)");

    assert_string_equal(s->current_promotion.name, "uat.01k37wq5d3n1x0gq3j5y8f2m9c.a1b2c3d");
    assert_string_equal(s->current_promotion.freight.name,
                        "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678");
    assert_string_equal(s->current_promotion.freight.artifacts.images[0].tag, "1.29.1");
    assert_null(s->current_promotion.phase);
    assert_string_equal(s->last_promotion.name, "uat.01k35r2m8t6v4x2z0b8d6f4h2j.666209f");
    assert_string_equal(s->last_promotion.phase, "Succeeded");
    assert_int_equal(s->last_promotion.finished, t("2026-08-20T16:00:40Z"));
    assert_true(s->auto_promotion_enabled);
    assert_int_equal(s->n_holds, 1);
    assert_string_equal(s->holds[0].origin_key, "Warehouse/kargo-demo");
    assert_string_equal(s->holds[0].freight, "666209fd9755a1e48bec6b27f5f447747410dd9e");
    assert_string_equal(s->holds[0].promotion, "uat.01k35r2m8t6v4x2z0b8d6f4h2j.666209f");
    assert_string_equal(s->holds[0].actor, "email:alice@example.com");
    assert_int_equal(s->holds[0].created, t("2026-08-20T16:00:00Z"));
    kargo_free_stage(s);
    cJSON_Delete(docs);
}

static void test_quickstart_pipeline_example(void **state)
{
    cJSON *docs = example("01-quickstart-pipeline.yaml");
    char *cause = NULL;
    struct kargo_project *p = kargo_decode_project(yaml_json_find(docs, "Project", NULL), &cause);
    assert_non_null(p);
    assert_string_equal(p->name, "kargo-demo");
    assert_int_equal(p->n_conditions, 0);
    kargo_free_project(p);

    struct kargo_warehouse *w =
        kargo_decode_warehouse(yaml_json_find(docs, "Warehouse", "kargo-demo"), &cause);
    assert_non_null(w);
    assert_int_equal(w->n_subscriptions, 1);
    assert_string_equal(w->subscriptions[0].type, "image");
    assert_string_equal(w->subscriptions[0].repo_url, "public.ecr.aws/nginx/nginx");
    kargo_free_warehouse(w);

    struct kargo_stage *test = kargo_decode_stage(yaml_json_find(docs, "Stage", "test"), &cause);
    struct kargo_stage *uat = kargo_decode_stage(yaml_json_find(docs, "Stage", "uat"), &cause);
    struct kargo_stage *prod = kargo_decode_stage(yaml_json_find(docs, "Stage", "prod"), &cause);
    assert_non_null(test);
    assert_non_null(uat);
    assert_non_null(prod);
    assert_true(test->requests[0].direct);
    assert_int_equal(test->requests[0].n_stages, 0);
    assert_string_equal(uat->requests[0].stages[0], "test");
    assert_string_equal(prod->requests[0].stages[0], "uat");
    assert_false(prod->control_flow);
    assert_null(prod->health);
    assert_int_equal(prod->n_history, 0);
    assert_null(prod->current_promotion.name);
    assert_string_equal(test->topology_key, "Warehouse/kargo-demo+direct;");
    kargo_free_stage(test);
    kargo_free_stage(uat);
    kargo_free_stage(prod);
    cJSON_Delete(docs);
}

static void test_freight_example(void **state)
{
    cJSON *docs = example("11-freight-CONSTRUCTED.yaml");
    char *cause = NULL;
    struct kargo_freight *f = kargo_decode_freight(yaml_json_find(docs, "Freight", NULL), &cause);
    assert_non_null(f);
    assert_string_equal(f->ref.name, "666209fd9755a1e48bec6b27f5f447747410dd9e");
    assert_string_equal(f->alias, "mortal-dragonfly");
    assert_int_equal(f->discovered, t("2026-08-20T08:12:30Z"));
    assert_int_equal(f->created, t("2026-08-20T08:12:31Z"));
    assert_string_equal(f->ref.origin.key, "Warehouse/kargo-demo");
    assert_int_equal(f->ref.artifacts.n_images, 1);
    assert_string_equal(f->ref.artifacts.images[0].digest,
                        "sha256:b2487a28589657b318e0d63110056e11564e73b9fd3ec4c4afba5542f9d07d46");
    assert_int_equal(f->ref.artifacts.n_commits, 1);
    assert_string_equal(f->ref.artifacts.commits[0].id, "961cfaedbc53aacdb65110028839a2c1c281290d");
    assert_string_equal(f->ref.artifacts.commits[0].branch, "main");
    assert_string_equal(f->ref.artifacts.commits[0].message, "chore: bump replicas");
    assert_int_equal(f->ref.artifacts.n_charts, 1);
    assert_string_equal(f->ref.artifacts.charts[0].version, "0.7.3");
    assert_null(f->ref.artifacts.charts[0].name);
    assert_int_equal(f->n_current_in, 1);
    assert_string_equal(f->current_in[0].stage, "test");
    assert_int_equal(f->current_in[0].at, t("2026-08-20T08:15:02Z"));
    assert_int_equal(f->n_verified_in, 2);
    assert_string_equal(f->verified_in[0].stage, "test");
    assert_int_equal(f->verified_in[0].soak_ms, (26 * 3600 + 5 * 60 + 10) * 1000LL);
    assert_string_equal(f->verified_in[1].stage, "uat");
    assert_int_equal(f->verified_in[1].soak_ms, 0);
    assert_int_equal(f->n_approved_for, 1);
    assert_string_equal(f->approved_for[0].stage, "prod");
    assert_int_equal(f->approved_for[0].at, t("2026-08-21T09:00:00Z"));
    kargo_free_freight(f);
    cJSON_Delete(docs);
}

/* Pre-v1.2 status maps hold empty objects: still a verification and an approval. */
static void test_freight_old_status_example(void **state)
{
    cJSON *docs = example("05-freight-status-approval-from-docs.yaml");
    cJSON *status = cJSON_DetachItemFromArray(cJSON_GetArrayItem(docs, 0), 0);
    cJSON *f_json = cJSON_Parse("{\"metadata\":{\"name\":\"f5f87aa\",\"labels\":"
                                "{\"kargo.akuity.io/alias\":\"mortal-dragonfly\"}},"
                                "\"origin\":{\"kind\":\"Warehouse\",\"name\":\"kargo-demo\"}}");
    cJSON_AddItemToObject(f_json, "status", status);
    char *cause = NULL;
    struct kargo_freight *f = kargo_decode_freight(f_json, &cause);
    assert_non_null(f);
    assert_string_equal(f->alias, "mortal-dragonfly"); /* from the label: no .alias field */
    assert_int_equal(f->n_verified_in, 1);
    assert_string_equal(f->verified_in[0].stage, "test");
    assert_int_equal(f->verified_in[0].at, 0);
    assert_int_equal(f->n_approved_for, 1);
    assert_string_equal(f->approved_for[0].stage, "prod");
    assert_int_equal(f->discovered, 0);
    kargo_free_freight(f);
    cJSON_Delete(f_json);
    cJSON_Delete(docs);
}

static void test_promotion_examples(void **state)
{
    cJSON *docs = example("12-promotion-CONSTRUCTED.yaml");
    char *cause = NULL;
    /* (A) the create body has generateName but no name: not a stored object */
    assert_null(kargo_decode_promotion(cJSON_GetArrayItem(docs, 0), &cause));
    assert_string_equal(cause, "a Promotion has no metadata.name");
    free(cause);
    cause = NULL;

    struct kargo_promotion *p = kargo_decode_promotion(cJSON_GetArrayItem(docs, 1), &cause);
    assert_non_null(p);
    assert_string_equal(p->name, "uat.01k37wq5d3n1x0gq3j5y8f2m9c.a1b2c3d");
    assert_string_equal(p->stage, "uat");
    assert_string_equal(p->freight, "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678");
    assert_null(p->origin.key);
    assert_string_equal(p->create_actor, "kubernetes:alice");
    assert_string_equal(p->resume_origin, "Warehouse/kargo-demo");
    assert_null(p->hold_origin);
    assert_false(p->abort_requested);
    assert_false(p->rollback);
    assert_int_equal(p->created, t("2026-08-21T10:19:58Z"));
    assert_int_equal(p->n_steps, 7);
    assert_string_equal(p->steps[0].alias, "promo-process::step-1");
    assert_string_equal(p->steps[2].alias, "promo-process::update");
    assert_string_equal(p->steps[2].uses, "kustomize-set-image");
    assert_string_equal(p->phase, "Running");
    assert_string_equal(p->message, "");
    assert_int_equal(p->current_step, 6);
    assert_int_equal(p->started, t("2026-08-21T10:20:00Z"));
    assert_int_equal(p->finished, 0);
    /* status.freight: its name and origin only (the Freight holds the artifacts) */
    assert_string_equal(p->status_freight.name, "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678");
    assert_string_equal(p->status_freight.origin.key, "Warehouse/kargo-demo");
    assert_int_equal(p->status_freight.artifacts.n_images, 0);
    assert_int_equal(p->n_runs, 7);
    assert_string_equal(p->runs[6].alias, "promo-process::step-7");
    assert_string_equal(p->runs[6].status, "Running");
    assert_string_equal(p->runs[6].message, "waiting for Application kargo-demo-uat to be synced");
    assert_int_equal(p->runs[6].error_count, 0);
    assert_int_equal(p->runs[0].finished, t("2026-08-21T10:20:03Z"));

    /* common words are one constant for every object; the rest is inside the object's block */
    struct kargo_promotion *q = kargo_decode_promotion(cJSON_GetArrayItem(docs, 1), &cause);
    assert_non_null(q);
    assert_ptr_equal(q->phase, p->phase);
    assert_ptr_equal(q->runs[6].status, p->runs[6].status);
    assert_ptr_equal(q->steps[2].uses, p->steps[2].uses);
    assert_ptr_not_equal(q->name, p->name);
    assert_ptr_equal(p->status_freight.name, p->freight); /* one copy of a repeated name */
    kargo_free_promotion(q);
    kargo_free_promotion(p);
    cJSON_Delete(docs);
}

static void test_warehouse_example(void **state)
{
    cJSON *docs = example("13-warehouse-CONSTRUCTED.yaml");
    char *cause = NULL;
    struct kargo_warehouse *w =
        kargo_decode_warehouse(yaml_json_find(docs, "Warehouse", NULL), &cause);
    assert_non_null(w);
    assert_string_equal(w->name, "kargo-demo");
    assert_null(w->color);
    assert_string_equal(w->interval, "5m0s");
    assert_string_equal(w->creation_policy, "Automatic");
    assert_int_equal(w->n_subscriptions, 3);
    assert_string_equal(w->subscriptions[0].type, "image");
    assert_string_equal(w->subscriptions[1].type, "git");
    assert_string_equal(w->subscriptions[1].repo_url, "https://github.com/example/kargo-demo.git");
    assert_string_equal(w->subscriptions[2].type, "chart");
    assert_int_equal(w->n_conditions, 3);
    assert_string_equal(w->conditions[0].reason, "ArtifactsDiscovered");
    assert_string_equal(w->last_freight, "666209fd9755a1e48bec6b27f5f447747410dd9e");
    assert_string_equal(w->refresh, "2026-08-21T10:00:00Z");
    kargo_free_warehouse(w);
    cJSON_Delete(docs);
}

static void test_project_config_example(void **state)
{
    cJSON *docs = example("04-projectconfig-promotion-policies.yaml");
    char *cause = NULL;
    struct kargo_project_config *c =
        kargo_decode_project_config(yaml_json_find(docs, "ProjectConfig", "example"), &cause);
    assert_non_null(c);
    assert_string_equal(c->namespace, "example");
    assert_int_equal(c->n_policies, 7);
    assert_string_equal(c->policies[0].stage, "test");
    assert_true(c->policies[0].auto_promotion);
    assert_string_equal(c->policies[1].stage, "regex:test-.*");
    assert_null(c->policies[3].stage);
    assert_true(c->policies[3].by_labels);
    assert_string_equal(c->policies[5].stage, "glob:prod-*");
    assert_true(c->policies[5].by_labels);
    assert_false(c->policies[5].auto_promotion);
    assert_false(c->policies[6].auto_promotion);
    kargo_free_project_config(c);
    cJSON_Delete(docs);
}

/* The docs' stale status (removed fields such as health.argoCDApps) is tolerated. */
static void test_stale_stage_status_example(void **state)
{
    cJSON *docs = example("03-stage-status-from-docs-STALE.yaml");
    cJSON *obj = cJSON_Parse("{\"metadata\":{\"name\":\"test\",\"namespace\":\"kargo-demo\"}}");
    cJSON_AddItemToObject(obj, "status",
                          cJSON_DetachItemFromObject(cJSON_GetArrayItem(docs, 0), "status"));
    char *cause = NULL;
    struct kargo_stage *s = kargo_decode_stage(obj, &cause);
    assert_non_null(s);
    assert_string_equal(s->health, "Healthy");
    assert_true(s->control_flow); /* no promotionTemplate in a status-only object */
    assert_string_equal(s->history[0].items[0].artifacts.commits[0].id,
                        "961cfaedbc53aacdb65110028839a2c1c281290d");
    assert_string_equal(s->history[0].items[0].origin.key, "Warehouse/my-warehouse");
    assert_string_equal(s->last_promotion.name, "test.01j2w7a15cxjjgejresfyw6ysp.666209f");
    kargo_free_stage(s);
    cJSON_Delete(obj);
    cJSON_Delete(docs);
}

static void test_event_and_fixture_lists(void **state)
{
    cJSON *e_json = cJSON_Parse(
        "{\"apiVersion\":\"v1\",\"kind\":\"Event\",\"metadata\":{\"name\":\"uat.1836\","
        "\"namespace\":\"kargo-demo\",\"creationTimestamp\":\"2026-08-21T10:19:58Z\","
        "\"annotations\":{\"event.kargo.akuity.io/actor\":\"kubernetes:alice\","
        "\"event.kargo.akuity.io/stage-name\":\"uat\",\"event.kargo.akuity.io/freight-alias\":"
        "\"mortal-dragonfly\",\"event.kargo.akuity.io/promotion-name\":\"uat.01k37.a1b2c3d\"}},"
        "\"involvedObject\":{\"kind\":\"Promotion\",\"name\":\"uat.01k37.a1b2c3d\"},"
        "\"reason\":\"PromotionCreated\",\"message\":\"Promotion created for Stage uat\","
        "\"type\":\"Normal\",\"count\":2,\"lastTimestamp\":null}");
    char *cause = NULL;
    struct kargo_event *e = kargo_decode_event(e_json, &cause);
    assert_non_null(e);
    assert_string_equal(e->reason, "PromotionCreated");
    assert_string_equal(e->object_kind, "Promotion");
    assert_string_equal(e->actor, "kubernetes:alice");
    assert_string_equal(e->stage, "uat");
    assert_string_equal(e->freight_alias, "mortal-dragonfly");
    assert_string_equal(e->promotion, "uat.01k37.a1b2c3d");
    assert_int_equal(e->count, 2);
    assert_int_equal(e->at, t("2026-08-21T10:19:58Z")); /* falls back to creationTimestamp */
    kargo_free_event(e);
    cJSON_Delete(e_json);

    char *path = xasprintf("%s/tests/model/fixtures/microsvcs.json", KT_SOURCE_DIR);
    cJSON *list = json_file_load(path, &cause);
    free(path);
    assert_non_null(list);
    int stages = 0, warehouses = 0;
    const cJSON *o;
    cJSON_ArrayForEach(o, json_get(list, "items", NULL))
    {
        const char *kind = json_get_string(o, "kind", NULL);
        if (strcmp(kind, "Stage") == 0) {
            struct kargo_stage *s = kargo_decode_stage(o, &cause);
            assert_non_null(s);
            assert_non_null(s->color);
            kargo_free_stage(s);
            stages++;
        } else if (strcmp(kind, "Warehouse") == 0) {
            struct kargo_warehouse *w = kargo_decode_warehouse(o, &cause);
            assert_non_null(w);
            kargo_free_warehouse(w);
            warehouses++;
        }
    }
    assert_int_equal(stages, 12);
    assert_int_equal(warehouses, 8);
    cJSON_Delete(list);
}

struct bad_case {
    const char *json;
    const char *cause;
};

static void test_malformed_input_is_an_error(void **state)
{
    static const struct bad_case stages[] = {
        {"[]", "a Stage should be a JSON object, not a list"},
        {"\"uat\"", "a Stage should be a JSON object, not a string"},
        {"{}", "a Stage has no metadata.name"},
        {"{\"metadata\":{\"name\":42}}", "field \"name\" should be a string, not a number"},
        {"{\"metadata\":[]}", "field \"metadata\" should be an object, not a list"},
        {"{\"metadata\":{\"name\":\"uat\"},\"spec\":{\"requestedFreight\":\"test\"}}",
         "Stage \"uat\": field \"requestedFreight\" should be a list, not a string"},
        {"{\"metadata\":{\"name\":\"uat\"},\"spec\":{\"requestedFreight\":[{\"sources\":{}}]}}",
         "Stage \"uat\": a requestedFreight entry has no origin"},
        {"{\"metadata\":{\"name\":\"uat\"},\"spec\":{\"requestedFreight\":[{\"origin\":{\"name\":"
         "\"w\"},\"sources\":{\"requiredSoakTime\":\"1 hour\"}}]}}",
         "Stage \"uat\": field \"requiredSoakTime\": not a duration (like 1h30m or 45s): \"1 "
         "hour\""},
        {"{\"metadata\":{\"name\":\"uat\"},\"status\":{\"conditions\":{\"type\":\"Ready\"}}}",
         "Stage \"uat\": field \"conditions\" should be a list, not an object"},
        {"{\"metadata\":{\"name\":\"uat\"},\"status\":{\"freightHistory\":[{\"items\":{"
         "\"Warehouse/w\":{\"name\":\"f\",\"images\":[{\"tag\":1}]}}}]}}",
         "Stage \"uat\": field \"tag\" should be a string, not a number"},
        {"{\"metadata\":{\"name\":\"uat\",\"creationTimestamp\":\"yesterday\"}}",
         "Stage \"uat\": field \"creationTimestamp\": not an RFC 3339 time: \"yesterday\""},
        {"{\"metadata\":{\"name\":\"uat\"},\"status\":{\"autoPromotionEnabled\":\"yes\"}}",
         "Stage \"uat\": field \"autoPromotionEnabled\" should be a boolean, not a string"},
    };
    for (size_t i = 0; i < sizeof stages / sizeof stages[0]; i++) {
        cJSON *j = cJSON_Parse(stages[i].json);
        assert_non_null(j);
        char *cause = NULL;
        assert_null(kargo_decode_stage(j, &cause));
        if (strcmp(cause, stages[i].cause) != 0)
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, cause, stages[i].cause);
        free(cause);
        cJSON_Delete(j);
    }

    char *cause = NULL;
    assert_null(kargo_decode_stage(NULL, &cause));
    assert_string_equal(cause, "a Stage should be a JSON object, not null");
    free(cause);
    cause = NULL;

    cJSON *j =
        cJSON_Parse("{\"metadata\":{\"name\":\"f1\"},\"status\":{\"approvedFor\":[\"prod\"]}}");
    assert_null(kargo_decode_freight(j, &cause));
    assert_string_equal(cause,
                        "Freight \"f1\": field \"approvedFor\" should be an object, not a list");
    free(cause);
    cause = NULL;
    cJSON_Delete(j);

    j = cJSON_Parse("{\"metadata\":{\"name\":\"p1\"},\"spec\":{\"steps\":\"git-clone\"}}");
    assert_null(kargo_decode_promotion(j, &cause));
    assert_string_equal(cause, "Promotion \"p1\": field \"steps\" should be a list, not a string");
    free(cause);
    cause = NULL;
    cJSON_Delete(j);

    j = cJSON_Parse("{\"metadata\":{\"name\":\"w\"},\"spec\":{\"subscriptions\":[1]}}");
    assert_null(kargo_decode_warehouse(j, &cause));
    assert_string_equal(cause, "Warehouse \"w\": a subscription should be an object, not a number");
    free(cause);
    cause = NULL;
    cJSON_Delete(j);

    j = cJSON_Parse("{\"metadata\":{\"name\":\"e\"},\"count\":\"two\"}");
    assert_null(kargo_decode_event(j, &cause));
    assert_string_equal(cause, "Event \"e\": field \"count\" should be a number, not a string");
    free(cause);
    cause = NULL;
    cJSON_Delete(j);

    j = cJSON_Parse("{\"metadata\":{\"name\":\"p\"},\"spec\":{\"promotionPolicies\":{}}}");
    assert_null(kargo_decode_project_config(j, &cause));
    assert_string_equal(
        cause, "ProjectConfig \"p\": field \"promotionPolicies\" should be a list, not an object");
    free(cause);
    cause = NULL;
    cJSON_Delete(j);

    j = cJSON_Parse("{\"metadata\":{\"name\":\"p\"},\"status\":{\"conditions\":[7]}}");
    assert_null(kargo_decode_project(j, &cause));
    assert_string_equal(cause, "Project \"p\": a condition should be an object, not a number");
    free(cause);
    cJSON_Delete(j);
}

/* Finds the n-th node below root in preorder (root excluded) and its parent; counts down *n. */
static cJSON *nth_node(cJSON *root, int *n, cJSON **parent)
{
    cJSON *c;
    cJSON_ArrayForEach(c, root)
    {
        if ((*n)-- == 0) {
            *parent = root;
            return c;
        }
        cJSON *found = nth_node(c, n, parent);
        if (found != NULL)
            return found;
    }
    return NULL;
}

typedef void *(*decoder)(const cJSON *obj, char **cause);
typedef void (*freer)(void *obj);

static void *dec_stage(const cJSON *o, char **c)
{
    return kargo_decode_stage(o, c);
}
static void free_stage(void *o)
{
    kargo_free_stage(o);
}
static void *dec_freight(const cJSON *o, char **c)
{
    return kargo_decode_freight(o, c);
}
static void free_freight(void *o)
{
    kargo_free_freight(o);
}
static void *dec_promotion(const cJSON *o, char **c)
{
    return kargo_decode_promotion(o, c);
}
static void free_promotion(void *o)
{
    kargo_free_promotion(o);
}
static void *dec_warehouse(const cJSON *o, char **c)
{
    return kargo_decode_warehouse(o, c);
}
static void free_warehouse(void *o)
{
    kargo_free_warehouse(o);
}

/* Every node of obj replaced in turn by every JSON type: each decode either succeeds or returns an
 * error with a cause, never crashes (the sanitizer build checks memory). Returns the number of
 * mutants rejected. */
static int mutate_all(const cJSON *obj, decoder dec, freer fr, int *total)
{
    static const char *values[] = {"7", "\"x\"", "[]", "{}", "null", "true", "[1,\"y\",{}]"};
    int rejected = 0;
    for (int i = 0;; i++) {
        cJSON *copy = cJSON_Duplicate(obj, 1);
        int n = i;
        cJSON *parent = NULL;
        cJSON *victim = nth_node(copy, &n, &parent);
        if (victim == NULL) {
            cJSON_Delete(copy);
            break;
        }
        for (size_t v = 0; v < sizeof values / sizeof values[0]; v++) {
            cJSON *mut = cJSON_Duplicate(copy, 1);
            int m = i;
            cJSON *mp = NULL;
            cJSON *mv = nth_node(mut, &m, &mp);
            if (cJSON_IsObject(mp))
                cJSON_ReplaceItemInObjectCaseSensitive(mp, mv->string, cJSON_Parse(values[v]));
            else
                cJSON_ReplaceItemViaPointer(mp, mv, cJSON_Parse(values[v]));
            char *cause = NULL;
            void *o = dec(mut, &cause);
            if (o == NULL) {
                assert_non_null(cause);
                rejected++;
            } else {
                assert_null(cause);
            }
            free(cause);
            fr(o);
            cJSON_Delete(mut);
            (*total)++;
        }
        cJSON_Delete(copy);
    }
    return rejected;
}

static void test_every_field_with_every_wrong_type(void **state)
{
    cJSON *stage_docs = example("10-stage-uat-promoting-CONSTRUCTED.yaml");
    cJSON *freight_docs = example("11-freight-CONSTRUCTED.yaml");
    cJSON *promo_docs = example("12-promotion-CONSTRUCTED.yaml");
    cJSON *wh_docs = example("13-warehouse-CONSTRUCTED.yaml");
    int total = 0;
    int rejected =
        mutate_all(yaml_json_find(stage_docs, "Stage", "uat"), dec_stage, free_stage, &total);
    rejected += mutate_all(yaml_json_find(freight_docs, "Freight", NULL), dec_freight, free_freight,
                           &total);
    rejected +=
        mutate_all(cJSON_GetArrayItem(promo_docs, 1), dec_promotion, free_promotion, &total);
    rejected += mutate_all(yaml_json_find(wh_docs, "Warehouse", NULL), dec_warehouse,
                           free_warehouse, &total);
    print_message("%d mutants, %d rejected with a cause\n", total, rejected);
    /* both outcomes occur: opaque fields (health output, step config) accept anything */
    assert_true(total > 3000);
    assert_true(rejected > total / 4);
    assert_true(rejected < total);
    cJSON_Delete(stage_docs);
    cJSON_Delete(freight_docs);
    cJSON_Delete(promo_docs);
    cJSON_Delete(wh_docs);
}

/* Unknown fields (main-only, Enterprise) and nulls are ignored. */
static void test_unknown_and_null_fields_are_tolerated(void **state)
{
    cJSON *j = cJSON_Parse(
        "{\"metadata\":{\"name\":\"prod\",\"annotations\":null},\"spec\":{\"targets\":{"
        "\"selectors\":[]},\"requestedFreight\":[{\"origin\":{\"name\":\"w\"},\"sources\":{"
        "\"stages\":[\"uat\"],\"availabilityStrategy\":\"All\",\"autoPromotionOptions\":{"
        "\"selectionPolicy\":\"MatchUpstream\"}}}]},\"status\":{\"promotionWindowStatus\":{"
        "\"closed\":true},\"health\":null,\"lastPromotion\":null,\"freightHistory\":[]}}");
    char *cause = NULL;
    struct kargo_stage *s = kargo_decode_stage(j, &cause);
    assert_non_null(s);
    assert_null(s->color);
    assert_string_equal(s->requests[0].origin.kind, "Warehouse");
    assert_true(s->requests[0].all);
    assert_true(s->requests[0].match_upstream);
    assert_true(s->control_flow);
    assert_null(s->health);
    assert_null(s->last_promotion.name);
    assert_int_equal(s->n_history, 0);
    kargo_free_stage(s);
    cJSON_Delete(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stage_uat_promoting_example),
        cmocka_unit_test(test_quickstart_pipeline_example),
        cmocka_unit_test(test_freight_example),
        cmocka_unit_test(test_freight_old_status_example),
        cmocka_unit_test(test_promotion_examples),
        cmocka_unit_test(test_warehouse_example),
        cmocka_unit_test(test_project_config_example),
        cmocka_unit_test(test_stale_stage_status_example),
        cmocka_unit_test(test_event_and_fixture_lists),
        cmocka_unit_test(test_malformed_input_is_an_error),
        cmocka_unit_test(test_unknown_and_null_fields_are_tolerated),
        cmocka_unit_test(test_every_field_with_every_wrong_type),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
