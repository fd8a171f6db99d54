/* The filter and command line editor. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curses.h>
#include <locale.h>
#include <string.h>

#include "ui/lineedit.h"

static void type(struct lineedit *le, const wchar_t *s)
{
    for (; *s; s++)
        assert_int_equal(lineedit_insert(le, *s), LINEEDIT_CHANGED);
}

static void test_typing_and_moving(void **state)
{
    struct lineedit le;
    lineedit_init(&le);
    type(&le, L"prod");
    assert_string_equal(le.text.buf, "prod");
    assert_int_equal(lineedit_key(&le, KEY_HOME), LINEEDIT_MOVED);
    type(&le, L"eu-");
    assert_string_equal(le.text.buf, "eu-prod");
    assert_int_equal(le.cursor, 3);
    assert_int_equal(lineedit_key(&le, KEY_LEFT), LINEEDIT_MOVED);
    assert_int_equal(lineedit_key(&le, KEY_DC), LINEEDIT_CHANGED);
    assert_string_equal(le.text.buf, "euprod");
    assert_int_equal(lineedit_key(&le, KEY_END), LINEEDIT_MOVED);
    assert_int_equal(lineedit_key(&le, KEY_RIGHT), LINEEDIT_IGNORED);
    assert_int_equal(lineedit_key(&le, '\r'), LINEEDIT_SUBMIT);
    lineedit_free(&le);
}

static void test_utf8_is_edited_by_character(void **state)
{
    struct lineedit le;
    lineedit_init(&le);
    type(&le, L"café✓");
    assert_string_equal(le.text.buf, "café✓");
    assert_int_equal(lineedit_key(&le, KEY_BACKSPACE), LINEEDIT_CHANGED);
    assert_string_equal(le.text.buf, "café");
    assert_int_equal(lineedit_key(&le, KEY_LEFT), LINEEDIT_MOVED);
    assert_int_equal(le.cursor, 3); /* before the two-byte é */
    assert_int_equal(lineedit_key(&le, KEY_DC), LINEEDIT_CHANGED);
    assert_string_equal(le.text.buf, "caf");
    lineedit_free(&le);
}

static void test_kill_word_line_and_cancel(void **state)
{
    struct lineedit le;
    lineedit_init(&le);
    lineedit_set(&le, "project  kargo-demo");
    assert_int_equal(lineedit_key(&le, 'w' & 0x1f), LINEEDIT_CHANGED);
    assert_string_equal(le.text.buf, "project  ");
    assert_int_equal(lineedit_key(&le, 'w' & 0x1f), LINEEDIT_CHANGED);
    assert_string_equal(le.text.buf, "");
    assert_int_equal(lineedit_key(&le, 'w' & 0x1f), LINEEDIT_IGNORED);
    lineedit_set(&le, "abc");
    assert_int_equal(lineedit_key(&le, 'u' & 0x1f), LINEEDIT_CHANGED);
    assert_string_equal(le.text.buf, "");
    assert_int_equal(lineedit_key(&le, KEY_BACKSPACE), LINEEDIT_CANCEL);
    assert_int_equal(lineedit_key(&le, 27), LINEEDIT_CANCEL);
    assert_int_equal(lineedit_insert(&le, L'\r'), LINEEDIT_SUBMIT); /* controls act as keys */
    lineedit_free(&le);
}

static void test_completion(void **state)
{
    static const char *const cmds[] = {"projects", "project", "promotions", "stages", "q"};
    struct lineedit le;
    lineedit_init(&le);
    lineedit_set(&le, "pro");
    assert_int_equal(lineedit_complete(&le, cmds, 5), 3);
    assert_string_equal(le.text.buf, "pro"); /* projects/project/promotions share only "pro" */
    lineedit_set(&le, "proj");
    assert_int_equal(lineedit_complete(&le, cmds, 5), 2);
    assert_string_equal(le.text.buf, "project");
    lineedit_set(&le, "st");
    assert_int_equal(lineedit_complete(&le, cmds, 5), 1);
    assert_string_equal(le.text.buf, "stages ");
    assert_int_equal(le.cursor, 7);
    lineedit_set(&le, "zz");
    assert_int_equal(lineedit_complete(&le, cmds, 5), 0);
    assert_string_equal(le.text.buf, "zz");
    lineedit_free(&le);
}

int main(void)
{
    setlocale(LC_ALL, "C.UTF-8");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_typing_and_moving),
        cmocka_unit_test(test_utf8_is_edited_by_character),
        cmocka_unit_test(test_kill_word_line_and_cancel),
        cmocka_unit_test(test_completion),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
