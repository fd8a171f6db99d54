/* List selection and scrolling: the selection is always visible and never out of range. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ui/listview.h"

static struct listview make(size_t count, int height)
{
    struct listview lv;
    listview_init(&lv);
    listview_set_height(&lv, height);
    listview_set_count(&lv, count);
    return lv;
}

static void check_invariants(const struct listview *lv)
{
    if (lv->count == 0) {
        assert_int_equal(lv->selected, 0);
        assert_int_equal(lv->top, 0);
        return;
    }
    assert_true(lv->selected < lv->count);
    assert_true(lv->selected >= lv->top);
    assert_true(lv->selected < lv->top + (size_t)lv->height);
}

static void test_empty_list_ignores_moves(void **state)
{
    struct listview lv = make(0, 10);
    assert_false(listview_move(&lv, LISTVIEW_DOWN));
    assert_false(listview_move(&lv, LISTVIEW_LAST));
    check_invariants(&lv);
}

static void test_down_scrolls_at_the_bottom_edge(void **state)
{
    struct listview lv = make(100, 10);
    for (int i = 0; i < 9; i++)
        assert_true(listview_move(&lv, LISTVIEW_DOWN));
    assert_int_equal(lv.selected, 9);
    assert_int_equal(lv.top, 0);
    assert_true(listview_move(&lv, LISTVIEW_DOWN));
    assert_int_equal(lv.selected, 10);
    assert_int_equal(lv.top, 1);
    check_invariants(&lv);
}

static void test_paging_and_ends(void **state)
{
    struct listview lv = make(100, 10);
    listview_move(&lv, LISTVIEW_PAGE_DOWN);
    assert_int_equal(lv.selected, 9);
    assert_int_equal(lv.top, 9); /* the page turned: the old last row is now the first */
    listview_move(&lv, LISTVIEW_LAST);
    assert_int_equal(lv.selected, 99);
    assert_int_equal(lv.top, 90);
    assert_false(listview_move(&lv, LISTVIEW_DOWN));
    assert_false(listview_move(&lv, LISTVIEW_PAGE_DOWN));
    listview_move(&lv, LISTVIEW_PAGE_UP);
    assert_int_equal(lv.selected, 90);
    assert_int_equal(lv.top, 81);
    listview_move(&lv, LISTVIEW_HALF_UP);
    assert_int_equal(lv.selected, 85);
    listview_move(&lv, LISTVIEW_FIRST);
    assert_int_equal(lv.selected, 0);
    assert_int_equal(lv.top, 0);
    assert_false(listview_move(&lv, LISTVIEW_UP));
}

static void test_shrinking_list_clamps_selection(void **state)
{
    struct listview lv = make(100, 10);
    listview_select(&lv, 95);
    listview_set_count(&lv, 20); /* a filter narrowed the list */
    assert_int_equal(lv.selected, 19);
    assert_int_equal(lv.top, 10);
    check_invariants(&lv);
    listview_set_count(&lv, 0);
    check_invariants(&lv);
    listview_set_count(&lv, 5); /* rows came back */
    assert_int_equal(lv.selected, 0);
    check_invariants(&lv);
}

static void test_growing_list_keeps_selection(void **state)
{
    struct listview lv = make(20, 10);
    listview_select(&lv, 12);
    size_t top = lv.top;
    listview_set_count(&lv, 10000); /* new freight arrived */
    assert_int_equal(lv.selected, 12);
    assert_int_equal(lv.top, top);
}

static void test_resize_keeps_selection_visible(void **state)
{
    struct listview lv = make(100, 30);
    listview_select(&lv, 25);
    listview_set_height(&lv, 5);
    check_invariants(&lv);
    listview_set_height(&lv, 0); /* a 1-row terminal: height is at least one */
    assert_int_equal(lv.height, 1);
    check_invariants(&lv);
    listview_set_height(&lv, 200); /* taller than the list: nothing hidden above */
    assert_int_equal(lv.top, 0);
    check_invariants(&lv);
}

static void test_exhaustive_small_lists(void **state)
{
    for (size_t count = 0; count < 12; count++)
        for (int height = 1; height < 8; height++) {
            struct listview lv = make(count, height);
            for (int step = 0; step < 50; step++) {
                listview_move(&lv, (enum listview_move)((step * 7 + count) % 8));
                check_invariants(&lv);
            }
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_list_ignores_moves),
        cmocka_unit_test(test_down_scrolls_at_the_bottom_edge),
        cmocka_unit_test(test_paging_and_ends),
        cmocka_unit_test(test_shrinking_list_clamps_selection),
        cmocka_unit_test(test_growing_list_keeps_selection),
        cmocka_unit_test(test_resize_keeps_selection_visible),
        cmocka_unit_test(test_exhaustive_small_lists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
