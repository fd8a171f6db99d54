/* The table under every list: filter, selection that follows its key across rebuilds, moves. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "ui/table.h"

static const struct table_column cols[] = {{"NAME", 10}, {"NOTE", 0}};

static void fill(struct table *t, const char *const *names, size_t n)
{
    table_clear(t);
    for (size_t i = 0; i < n; i++) {
        table_row(t, names[i], 0);
        table_add(t, 0, names[i], 0);
        table_addf(t, 1, 0, "row %zu", i);
    }
    table_done(t);
}

static void test_selection_follows_its_key_across_rebuilds(void **state)
{
    (void)state;
    struct table t;
    table_init(&t, cols, 2, true);
    const char *a[] = {"dev", "staging", "production"};
    fill(&t, a, 3);
    assert_string_equal(table_selected(&t), "dev");
    assert_true(table_key(&t, UI_ACTION_DOWN));
    assert_string_equal(table_selected(&t), "staging");
    /* a new row arrives above it: the selection stays on staging */
    const char *b[] = {"canary", "dev", "staging", "production"};
    fill(&t, b, 4);
    assert_string_equal(table_selected(&t), "staging");
    /* staging goes: the selection keeps its place */
    const char *c[] = {"canary", "dev", "production"};
    fill(&t, c, 3);
    assert_string_equal(table_selected(&t), "production");
    assert_true(table_key(&t, UI_ACTION_FIRST));
    assert_string_equal(table_selected(&t), "canary");
    assert_true(table_key(&t, UI_ACTION_LAST));
    assert_string_equal(table_selected(&t), "production");
    assert_false(table_key(&t, UI_ACTION_QUIT));
    table_free(&t);
}

static void test_filter_matches_any_cell_ignoring_case(void **state)
{
    (void)state;
    struct table t;
    table_init(&t, cols, 2, true);
    const char *a[] = {"dev", "staging", "production"};
    fill(&t, a, 3);
    table_set_filter(&t, "PROD");
    assert_int_equal(t.nshown, 1);
    assert_string_equal(table_selected(&t), "production");
    table_set_filter(&t, "row 1");
    assert_int_equal(t.nshown, 1);
    assert_string_equal(table_selected(&t), "staging");
    table_set_filter(&t, "nothing");
    assert_int_equal(t.nshown, 0);
    assert_null(table_selected(&t));
    table_set_filter(&t, NULL);
    assert_int_equal(t.nshown, 3);
    assert_true(table_contains("Production", "duct"));
    assert_false(table_contains("dev", "devs"));
    table_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_selection_follows_its_key_across_rebuilds),
        cmocka_unit_test(test_filter_matches_any_cell_ignoring_case),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
