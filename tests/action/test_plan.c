/* What confirmations and pickers show, from fixture stores: targets and artifact differences,
 * availability with the reason and the approve-first offer, holds, names to type (patterns and
 * manual Stages of the ProjectConfig), rollback history, refusals decided before asking. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "action/plan.h"
#include "util/xalloc.h"
#include "yaml_json.h"

#define NOW 1767225600 /* 2026-01-01T00:00:00Z, the ui fixture's "now" */

static struct store *load(const char *path, const char *ns)
{
    struct store *st = store_new(ns);
    char *cause = NULL;
    char *full = xasprintf("%s/%s", KT_SOURCE_DIR, path);
    cJSON *list = json_file_load(full, &cause);
    free(full);
    if (list == NULL)
        fail_msg("%s", cause);
    assert_true(fixture_apply_all(st, cJSON_GetObjectItem(list, "items")) > 0);
    cJSON_Delete(list);
    return st;
}

static bool has_line(const struct action_plan *p, const char *text)
{
    for (size_t i = 0; i < p->n_lines; i++)
        if (strstr(p->lines[i], text) != NULL)
            return true;
    return false;
}

static void dump(const struct action_plan *p)
{
    for (size_t i = 0; i < p->n_lines; i++)
        print_message("  | %s\n", p->lines[i]);
}

static void test_promote_shows_the_diff_availability_and_the_name_to_type(void **state)
{
    (void)state;
    struct store *st = load("tests/ui/fixtures/backstage.json", "backstage-kargo");
    struct action_policy pol;
    action_policy_init(&pol);
    store_read_lock(st);
    const struct kargo_freight *lynx = store_freight_by_alias(st, "dizzy-lynx");
    const struct kargo_freight *heron = store_freight_by_alias(st, "calm-heron");
    assert_non_null(lynx);
    assert_non_null(heron);

    /* not verified in dev: said, and approving first offered; staging is not protected */
    struct action_plan p;
    const char *stg[] = {"staging"};
    const char *fl[] = {lynx->ref.name};
    action_plan_promote(&p, st, &pol, stg, fl, 1, false, NOW);
    dump(&p);
    assert_string_equal(p.title, "Promote to staging");
    assert_true(has_line(&p, "staging <- dizzy-lynx (Warehouse/backstage)"));
    assert_true(has_line(&p, "not available: not verified in dev"));
    assert_true(has_line(&p, " -> ")); /* an artifact moving from what staging runs */
    assert_true(p.offer_approve);
    assert_false(p.blocked);
    assert_null(p.typed);
    action_plan_free(&p);

    /* production matches prod*: its name must be typed */
    const char *prod[] = {"production"};
    const char *fh[] = {heron->ref.name};
    action_plan_promote(&p, st, &pol, prod, fh, 1, false, NOW);
    dump(&p);
    assert_string_equal(p.typed, "production");
    action_plan_free(&p);

    /* a batch touching one protected Stage: that Stage's name is typed */
    const char *both[] = {"staging", "production"};
    const char *ff[] = {heron->ref.name, heron->ref.name};
    action_plan_promote(&p, st, &pol, both, ff, 2, false, NOW);
    assert_string_equal(p.title, "Promote to 2 stages");
    assert_string_equal(p.typed, "production");
    assert_true(has_line(&p, "production is protected: type its name"));
    assert_true(has_line(&p, "staging <- calm-heron"));
    assert_true(has_line(&p, "production <- calm-heron"));
    action_plan_free(&p);

    /* several protected: every protected name, listed above the prompt */
    const char *two[] = {"prod*", "stag*"};
    action_policy_set_patterns(&pol, two, 2);
    action_plan_promote(&p, st, &pol, both, ff, 2, false, NOW);
    dump(&p);
    assert_string_equal(p.typed, "staging production");
    assert_true(has_line(&p, "2 protected stages: type all of their names, in any order:"));
    assert_true(has_line(&p, "    staging production"));
    action_plan_free(&p);
    /* or, by the policy (confirm.typed-batch: count), the batch's size */
    pol.typed_batch_count = true;
    action_plan_promote(&p, st, &pol, both, ff, 2, false, NOW);
    assert_string_equal(p.typed, "2");
    action_plan_free(&p);
    pol.typed_batch_count = false;

    /* no patterns and nothing manual: y is enough */
    action_policy_set_patterns(&pol, NULL, 0);
    action_plan_promote(&p, st, &pol, prod, fh, 1, false, NOW);
    assert_null(p.typed);
    action_plan_free(&p);

    /* a rollback of dev (auto-promoted) to an older freight says it holds auto-promotion */
    const struct kargo_freight *otter = store_freight_by_alias(st, "brave-otter");
    const char *dev[] = {"dev"};
    const char *fo[] = {otter->ref.name};
    action_plan_promote(&p, st, &pol, dev, fo, 1, true, NOW);
    dump(&p);
    assert_string_equal(p.title, "Roll back dev");
    assert_true(has_line(&p, "auto-promotion of Warehouse/backstage will be held until resumed"));
    action_plan_free(&p);
    store_read_unlock(st);
    action_policy_free(&pol);
    store_free(st);
}

static void test_pickers_list_freight_newest_first_and_history_previous_first(void **state)
{
    (void)state;
    struct store *st = load("tests/ui/fixtures/backstage.json", "backstage-kargo");
    store_read_lock(st);
    struct action_choice *c;
    size_t n = action_plan_freight_choices(st, "staging", NOW, &c);
    assert_int_equal(n, 4);
    assert_non_null(strstr(c[0].label, "dizzy-lynx"));
    assert_false(c[0].available);
    assert_non_null(strstr(c[0].label, "not verified in dev"));
    assert_true(c[1].available);
    action_choices_free(c, n);
    n = action_plan_rollback_choices(st, "production", NOW, &c);
    assert_true(n >= 1);
    assert_non_null(strstr(c[0].label, "promoted"));
    action_choices_free(c, n);
    assert_int_equal(action_plan_freight_choices(st, "nowhere", NOW, &c), 0);
    /* stages for a freight: each with its availability */
    const struct kargo_freight *lynx = store_freight_by_alias(st, "dizzy-lynx");
    n = action_plan_stage_choices(st, lynx->ref.name, NULL, NOW, &c);
    assert_int_equal(n, 3);
    assert_string_equal(c[0].value, "dev");
    assert_true(c[0].available);
    assert_string_equal(c[1].value, "production");
    assert_true(c[1].available); /* approved for production */
    assert_string_equal(c[2].value, "staging");
    assert_false(c[2].available);
    assert_non_null(strstr(c[2].label, "not verified in dev"));
    action_choices_free(c, n);
    n = action_plan_stage_choices(st, NULL, "backstage", NOW, &c);
    assert_int_equal(n, 3);
    action_choices_free(c, n);
    assert_int_equal(action_plan_stage_choices(st, NULL, "elsewhere", NOW, &c), 0);
    store_read_unlock(st);
    store_free(st);
}

static void test_simple_plans_refuse_what_cannot_be_done(void **state)
{
    (void)state;
    struct store *st = load("tests/ui/fixtures/backstage.json", "backstage-kargo");
    struct action_policy pol;
    action_policy_init(&pol);
    store_read_lock(st);
    struct action_plan p;
    action_plan_simple(&p, st, &pol, ACTION_ABORT_PROMOTION, NULL,
                       "production.01jgzz0000000000000000002.2b2b2b2", NOW);
    assert_true(p.blocked);
    assert_true(has_line(&p, "it has finished"));
    action_plan_free(&p);
    action_plan_simple(&p, st, &pol, ACTION_ABORT_PROMOTION, NULL,
                       "production.01jgzz0000000000000000005.3c3c3c3", NOW);
    assert_false(p.blocked);
    action_plan_free(&p);
    const struct kargo_freight *lynx = store_freight_by_alias(st, "dizzy-lynx");
    action_plan_simple(&p, st, &pol, ACTION_APPROVE, "staging", lynx->ref.name, NOW);
    assert_false(p.blocked);
    assert_true(has_line(&p, "it becomes available to staging"));
    action_plan_free(&p);
    action_plan_simple(&p, st, &pol, ACTION_APPROVE, "production", lynx->ref.name, NOW);
    assert_true(has_line(&p, "already approved for production"));
    action_plan_free(&p);
    action_plan_simple(&p, st, &pol, ACTION_REFRESH, "staging", "staging", NOW);
    assert_string_equal(p.title, "Refresh staging");
    action_plan_free(&p);
    action_plan_downstream(&p, st, &pol, "dev", NOW);
    dump(&p);
    assert_true(has_line(&p, "staging"));
    assert_false(p.blocked);
    action_plan_free(&p);
    action_plan_downstream(&p, st, &pol, "production", NOW);
    assert_true(p.blocked);
    action_plan_free(&p);
    store_read_unlock(st);
    action_policy_free(&pol);
    store_free(st);
}

static void test_manual_stages_come_from_the_project_config(void **state)
{
    (void)state;
    /* the myapp scenario as written (YAML), for its ProjectConfig */
    struct store *st = store_new("myapp");
    char *cause = NULL;
    char *path = xasprintf("%s/src/sim/scenarios/myapp.yaml", KT_SOURCE_DIR);
    cJSON *docs = yaml_json_load(path, &cause);
    free(path);
    if (docs == NULL)
        fail_msg("%s", cause);
    assert_true(fixture_apply_all(st, docs) > 0);
    cJSON_Delete(docs);
    store_read_lock(st);
    /* myapp: dev (stage:), staging (name) auto; regex:^(uat|preprod|production)$ manual */
    assert_false(action_plan_stage_manual(st, "dev"));
    assert_false(action_plan_stage_manual(st, "staging"));
    assert_true(action_plan_stage_manual(st, "uat"));
    assert_true(action_plan_stage_manual(st, "preprod"));
    assert_true(action_plan_stage_manual(st, "production"));
    assert_false(action_plan_stage_manual(st, "uat-2"));
    struct action_policy pol;
    action_policy_init(&pol);
    action_policy_set_patterns(&pol, NULL, 0);
    assert_true(action_policy_protects(&pol, "uat", action_plan_stage_manual(st, "uat")));
    action_policy_free(&pol);
    store_read_unlock(st);
    store_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_promote_shows_the_diff_availability_and_the_name_to_type),
        cmocka_unit_test(test_pickers_list_freight_newest_first_and_history_previous_first),
        cmocka_unit_test(test_simple_plans_refuse_what_cannot_be_done),
        cmocka_unit_test(test_manual_stages_come_from_the_project_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
