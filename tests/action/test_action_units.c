/* The parts of the actions that need no cluster: the table, the policy, ULIDs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "action/action.h"

static void test_table_has_every_action_once_with_a_key_and_rbac(void **state)
{
    (void)state;
    bool seen[ACTION_COUNT] = {0};
    const struct action_def *d;
    for (size_t i = 0; (d = action_at(i)) != NULL; i++) {
        assert_false(seen[d->id]);
        seen[d->id] = true;
        assert_non_null(d->rbac[0].verb);
        assert_non_null(d->denied);
        assert_non_null(d->run);
        assert_true(d->key > ' ');
        assert_ptr_equal(action_by_name(d->name), d);
        assert_ptr_equal(action_def(d->id), d);
    }
    for (int i = 0; i < ACTION_COUNT; i++)
        assert_true(seen[i]);
    assert_null(action_by_name("delete-everything"));
}

static void test_policy_protects_prod_patterns_and_manual_stages(void **state)
{
    (void)state;
    struct action_policy p;
    action_policy_init(&p);
    assert_false(p.readonly);
    assert_true(action_policy_protects(&p, "prod", false));
    assert_true(action_policy_protects(&p, "production", false));
    assert_true(action_policy_protects(&p, "red-production", false));
    assert_true(action_policy_protects(&p, "eu-prod-1", false));
    assert_false(action_policy_protects(&p, "staging", false));
    assert_false(action_policy_protects(&p, "preprod", false)); /* not a prod* name */
    assert_true(action_policy_protects(&p, "staging", true));   /* manual in the ProjectConfig */
    p.typed_manual = false;
    assert_false(action_policy_protects(&p, "staging", true));
    const char *mine[] = {"live-*"};
    action_policy_set_patterns(&p, mine, 1);
    assert_false(action_policy_protects(&p, "prod", false));
    assert_true(action_policy_protects(&p, "live-eu", false));
    action_policy_free(&p);
    assert_int_equal(p.n_typed_patterns, 0);
}

static void test_ulids_are_crockford_and_increase(void **state)
{
    (void)state;
    char prev[27] = "";
    for (int i = 0; i < 2000; i++) {
        char u[27];
        action_ulid(u);
        assert_int_equal(strlen(u), 26);
        assert_true(strspn(u, "0123456789abcdefghjkmnpqrstvwxyz") == 26);
        assert_true(u[0] <= '7'); /* 128 bits: the first digit holds 3 */
        assert_true(strcmp(prev, u) < 0);
        memcpy(prev, u, sizeof prev);
    }
}

static void test_typed_names_match_in_any_order_and_only_whole(void **state)
{
    (void)state;
    assert_true(action_typed_matches("production", "production"));
    assert_false(action_typed_matches("production", "prod"));
    assert_false(action_typed_matches("production", " production"));
    assert_false(action_typed_matches("4", "four"));
    const char *want = "red-production blue-production";
    assert_true(action_typed_matches(want, "red-production blue-production"));
    assert_true(action_typed_matches(want, "blue-production, red-production"));
    assert_true(action_typed_matches(want, "  blue-production   red-production "));
    assert_false(action_typed_matches(want, "red-production"));
    assert_false(action_typed_matches(want, "red-production red-production"));
    assert_false(action_typed_matches(want, "red-production blue-production green-production"));
    assert_false(action_typed_matches(want, "red-production blue-prod"));
    assert_false(action_typed_matches(want, ""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_has_every_action_once_with_a_key_and_rbac),
        cmocka_unit_test(test_policy_protects_prod_patterns_and_manual_stages),
        cmocka_unit_test(test_typed_names_match_in_any_order_and_only_whole),
        cmocka_unit_test(test_ulids_are_crockford_and_increase),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
