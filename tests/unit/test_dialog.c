/* The action dialogs' keys: a confirmation rebuilt while open (an access answer came in) keeps
 * what was typed into it and its scroll, and offers the keys of its new content. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curses.h>
#include <string.h>

#include "ui/dialog.h"

static void keys(struct dialog *d, const char *s)
{
    for (; *s; s++)
        assert_int_equal(dialog_key(d, (unsigned char)*s, false), DIALOG_OPEN);
}

static const char *const before[] = {"uat <- abc", "preprod <- abc", "    skipped: not said yet",
                                     "production <- abc", "    skipped: not said yet"};
static const char *const after[] = {"uat <- abc",
                                    "preprod <- abc",
                                    "    needs approval: you may approve it",
                                    "production <- abc",
                                    "    needs approval: you may approve it",
                                    "Ctrl-A: approve for 2 stages first"};

static void test_rebuild_keeps_the_typed_text_and_offers_approving(void **state)
{
    (void)state;
    struct dialog d;
    dialog_confirm(&d, "Promote to 3 stages", before, 5, false, false, "uat preprod production");
    keys(&d, "uat");
    assert_int_equal(dialog_key(&d, KEY_LEFT, true), DIALOG_OPEN);
    assert_int_equal(dialog_key(&d, KEY_DOWN, true), DIALOG_OPEN);
    assert_int_equal(d.top, 1);
    assert_null(strstr(d.note, "Ctrl-A"));

    dialog_confirm_rebuild(&d, "Promote to 3 stages", after, 6, false, true,
                           "uat preprod production");
    assert_int_equal(d.n_lines, 6);
    assert_string_equal(d.lines[2], "    needs approval: you may approve it");
    assert_string_equal(d.edit.text.buf, "uat");
    assert_int_equal(d.edit.cursor, 2); /* where the user left it */
    assert_int_equal(d.top, 1);
    assert_non_null(strstr(d.note, "Ctrl-A: approve first"));
    assert_int_equal(dialog_key(&d, KEY_END, true), DIALOG_OPEN);
    keys(&d, " preprod production");
    /* the key acts on the rebuilt dialog: approving is offered now */
    assert_int_equal(dialog_key(&d, 'a' & 0x1f, false), DIALOG_OK_APPROVE);
    dialog_free(&d);
}

static void test_rebuild_clamps_the_scroll_and_may_unblock(void **state)
{
    (void)state;
    struct dialog d;
    dialog_confirm(&d, "Promote to 2 stages", after, 6, true, false, NULL);
    assert_true(d.blocked);
    assert_int_equal(dialog_key(&d, 'y', false), DIALOG_OPEN); /* nothing to confirm */
    d.top = 5;
    dialog_confirm_rebuild(&d, "Promote to 2 stages", before, 2, false, true, NULL);
    assert_false(d.blocked);
    assert_int_equal(d.top, 1);
    assert_non_null(strstr(d.note, "a: approve first"));
    assert_int_equal(dialog_key(&d, 'a', false), DIALOG_OK_APPROVE);
    /* and back: approving no longer offered, a does nothing, y confirms */
    dialog_confirm_rebuild(&d, "Promote to 2 stages", before, 2, false, false, NULL);
    assert_int_equal(dialog_key(&d, 'a', false), DIALOG_OPEN);
    assert_int_equal(dialog_key(&d, 'y', false), DIALOG_OK);
    dialog_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rebuild_keeps_the_typed_text_and_offers_approving),
        cmocka_unit_test(test_rebuild_clamps_the_scroll_and_may_unblock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
