/* The table under every list: filter, selection that follows its key across rebuilds, moves. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ui/paint.h"
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

/* Rows by reference: a row is formatted when it is drawn (again at each draw) or when a filter
 * needs its text (once per rebuild), never all of them for a move. */
static int formats;

static void format_number(struct table *t, const void *obj, void *ctx)
{
    (void)ctx;
    formats++;
    const int *n = obj;
    table_addf(t, 0, 0, "n%d", *n);
    table_addf(t, 1, 0, "row %d", *n);
}

static void test_rows_by_reference_format_only_what_is_drawn(void **state)
{
    (void)state;
    FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
    SCREEN *scr = newterm("vt100", out, in);
    assert_non_null(scr);
    struct theme th;
    theme_mono(&th);
    enum { N = 10000 };
    static int nums[N];
    struct table t;
    table_init(&t, cols, 2, true);
    table_set_format(&t, format_number, NULL, NULL);
    table_clear(&t);
    for (int i = 0; i < N; i++) {
        nums[i] = i;
        char key[16];
        snprintf(key, sizeof key, "k%d", i);
        table_row_ref(&t, key, &nums[i]);
    }
    table_done(&t);
    assert_int_equal(formats, 0);
    table_draw(&t, stdscr, 0, 0, 11, 40, &th, true, false); /* a header and ten rows */
    assert_int_equal(formats, 10);
    char row[41];
    mvinnstr(1, 0, row, 40);
    assert_non_null(strstr(row, "row 0"));
    assert_true(table_key(&t, UI_ACTION_PAGE_DOWN));
    table_draw(&t, stdscr, 0, 0, 11, 40, &th, true, false);
    assert_int_equal(formats, 20);
    assert_string_equal(table_selected(&t), "k9");
    /* the filter waits for the frame (the objects are only valid there), then reads every row */
    table_set_filter(&t, "row 9999");
    assert_int_equal(t.nshown, N);
    table_prepare(&t);
    assert_int_equal(t.nshown, 1);
    assert_string_equal(table_selected(&t), "k9999");
    int after = formats;
    assert_true(after <= 20 + N);
    /* the next keystroke reuses the text it formatted */
    table_set_filter(&t, "row 999");
    table_prepare(&t);
    assert_int_equal(t.nshown, 11);
    assert_int_equal(formats, after);
    table_free(&t);
    endwin();
    delscreen(scr);
    fclose(out);
    fclose(in);
}

/* Absolute ages read the same all day (htop's START column); relative ones tick. */
static void test_ages_absolute_and_relative(void **state)
{
    (void)state;
    setenv("TZ", "UTC", 1);
    tzset();
    struct paint p = {.now = 1795444620}; /* 2026-11-23 14:37:00 UTC */
    char buf[32];
    paint_age(&p, p.now - 600, buf, sizeof buf);
    assert_string_equal(buf, "14:27");
    paint_age(&p, p.now - 2 * 86400, buf, sizeof buf);
    assert_string_equal(buf, "Nov 21");
    paint_age(&p, p.now - 367 * 86400, buf, sizeof buf);
    assert_string_equal(buf, "Nov 2025");
    paint_age(&p, 0, buf, sizeof buf);
    assert_string_equal(buf, "-");
    assert_int_equal(paint_age_change(&p), 1795478400); /* 2026-11-24 00:00 */
    p.relative_ages = true;
    paint_age(&p, p.now - 600, buf, sizeof buf);
    assert_string_equal(buf, "10m ago");
    assert_int_equal(paint_age_change(&p), p.now + 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_selection_follows_its_key_across_rebuilds),
        cmocka_unit_test(test_filter_matches_any_cell_ignoring_case),
        cmocka_unit_test(test_rows_by_reference_format_only_what_is_drawn),
        cmocka_unit_test(test_ages_absolute_and_relative),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
