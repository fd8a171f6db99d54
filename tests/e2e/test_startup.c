/* The real binary in a pseudo-terminal: it draws its frame, shows help, survives resizes, and
 * leaves the terminal as it found it on q, on SIGTERM and when the terminal goes away. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <sys/wait.h>

#include "ptyterm.h"

#define WAIT_MS 10000

static struct ptyterm *start(int rows, int cols)
{
    struct ptyterm *t = ptyterm_spawn((char *[]){KARGOTOP_BIN, NULL}, NULL, rows, cols);
    assert_non_null(t);
    if (!ptyterm_wait_text(t, "kargotop", WAIT_MS)) {
        ptyterm_dump(t, "no frame");
        fail();
    }
    return t;
}

static void expect_clean_exit(struct ptyterm *t, int code)
{
    int status;
    if (!ptyterm_wait_exit(t, WAIT_MS, &status)) {
        ptyterm_dump(t, "did not exit");
        fail();
    }
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), code);
    assert_false(ptyterm_altscreen(t));     /* back on the normal screen */
    assert_true(ptyterm_cursor_visible(t)); /* and the cursor is back */
}

static void test_frame_has_name_and_help_hint_and_q_quits(void **state)
{
    struct ptyterm *t = start(24, 80);
    int row, col;
    assert_true(ptyterm_find(t, "kargotop " KARGOTOP_VERSION_EXPECTED, &row, &col));
    assert_int_equal(row, 0);
    assert_true(ptyterm_altscreen(t));
    assert_false(ptyterm_cursor_visible(t));
    assert_true(ptyterm_wait_text(t, "? help  q quit", WAIT_MS));
    assert_true(ptyterm_find(t, "q quit", &row, NULL));
    assert_int_equal(row, 23);

    VTermScreenCell cell; /* the default theme's top bar: black on cyan */
    assert_true(ptyterm_cell(t, 0, 1, &cell));
    assert_true(VTERM_COLOR_IS_INDEXED(&cell.bg));
    assert_int_equal(cell.bg.indexed.idx, 6);
    assert_true(ptyterm_cell(t, 0, 79, &cell)); /* the bar spans the width */
    assert_int_equal(cell.bg.indexed.idx, 6);

    ptyterm_send(t, "q");
    expect_clean_exit(t, 0);
    ptyterm_free(t);
}

static void test_no_color_draws_with_attributes_only(void **state)
{
    struct ptyterm *t =
        ptyterm_spawn((char *[]){KARGOTOP_BIN, NULL}, (char *[]){"NO_COLOR=1", NULL}, 24, 80);
    assert_non_null(t);
    assert_true(ptyterm_wait_text(t, "? help  q quit", WAIT_MS));
    VTermScreenCell cell;
    for (int row = 0; row < 24; row++)
        for (int col = 0; col < 80; col++) {
            assert_true(ptyterm_cell(t, row, col, &cell));
            if (!VTERM_COLOR_IS_DEFAULT_FG(&cell.fg) || !VTERM_COLOR_IS_DEFAULT_BG(&cell.bg)) {
                ptyterm_dump(t, "colour drawn under NO_COLOR");
                fail_msg("cell %d,%d has a colour", row, col);
            }
        }
    assert_true(ptyterm_cell(t, 0, 1, &cell));
    assert_true(cell.attrs.reverse); /* the top bar stands out by attribute alone */
    ptyterm_send(t, "q");
    expect_clean_exit(t, 0);
    ptyterm_free(t);
}

static void test_help_overlay_comes_from_the_keymap(void **state)
{
    struct ptyterm *t = start(24, 80);
    ptyterm_send(t, "?");
    assert_true(ptyterm_wait_text(t, "show or hide this help", WAIT_MS));
    assert_true(ptyterm_wait_text(t, " Keys ", WAIT_MS));
    assert_true(ptyterm_wait_text(t, "Ctrl-L   redraw the screen", WAIT_MS));
    ptyterm_send(t, "\033");
    assert_true(ptyterm_wait_gone(t, "show or hide this help", WAIT_MS));
    ptyterm_send(t, "q");
    expect_clean_exit(t, 0);
    ptyterm_free(t);
}

static void test_small_terminal_says_minimum_and_recovers(void **state)
{
    struct ptyterm *t = start(24, 80);
    assert_true(ptyterm_wait_text(t, "q quit", WAIT_MS));
    ptyterm_resize(t, 12, 40);
    /* the whole message, and nothing of the frame drawn for the old size */
    if (!ptyterm_wait_text(t, "this terminal is 40x12", WAIT_MS)) {
        ptyterm_dump(t, "no minimum-size message at 40x12");
        fail();
    }
    assert_true(ptyterm_find(t, "kargotop needs 80x24", NULL, NULL));
    assert_false(ptyterm_find(t, "q quit", NULL, NULL));
    ptyterm_resize(t, 1, 1); /* must not crash at 1x1: it still draws its first letter */
    if (!ptyterm_wait_text(t, "k", WAIT_MS)) {
        ptyterm_dump(t, "nothing at 1x1");
        fail();
    }
    ptyterm_resize(t, 30, 100);
    assert_true(ptyterm_wait_text(t, "q quit", WAIT_MS));
    int row;
    assert_true(ptyterm_find(t, "q quit", &row, NULL));
    assert_int_equal(row, 29);
    assert_false(ptyterm_find(t, "needs 80x24", NULL, NULL));
    ptyterm_send(t, "q");
    expect_clean_exit(t, 0);
    ptyterm_free(t);
}

static void test_q_quits_a_small_terminal(void **state)
{
    struct ptyterm *t = start(24, 80);
    ptyterm_send(t, ":pro"); /* a prompt left open, then the terminal shrinks */
    assert_true(ptyterm_wait_text(t, ":pro", WAIT_MS));
    ptyterm_resize(t, 12, 40);
    assert_true(ptyterm_wait_text(t, "this terminal is 40x12", WAIT_MS));
    /* the frame may arrive in pieces: wait for its last line too */
    assert_true(ptyterm_wait_text(t, "press q to quit", WAIT_MS));
    ptyterm_send(t, "q");
    expect_clean_exit(t, 0);
    ptyterm_free(t);
}

static void test_resize_during_start_up_is_not_lost(void **state)
{
    /* SIGWINCH while the first frame is still being drawn (when the program is not waiting for
     * input): the next frame must still be drawn at the new size. */
    for (int i = 0; i < 5; i++) {
        struct ptyterm *t = ptyterm_spawn((char *[]){KARGOTOP_BIN, NULL}, NULL, 24, 80);
        assert_non_null(t);
        ptyterm_resize(t, 12, 40);
        if (!ptyterm_wait_text(t, "this terminal is 40x12", WAIT_MS)) {
            ptyterm_dump(t, "resize at start-up lost");
            fail();
        }
        ptyterm_resize(t, 24, 80);
        if (!ptyterm_wait_text(t, "q quit", WAIT_MS)) {
            ptyterm_dump(t, "no frame after growing back");
            fail();
        }
        ptyterm_send(t, "q");
        expect_clean_exit(t, 0);
        ptyterm_free(t);
    }
}

static void test_idle_writes_nothing(void **state)
{
    /* Over SSH every byte costs: with nothing changing, the terminal must stay silent. The
     * observation window is the only wait here, and it is a negative assertion. */
    struct ptyterm *t = start(24, 80);
    assert_true(ptyterm_wait_text(t, "? help  q quit", WAIT_MS));
    ptyterm_pump(t, 300); /* let the first frame finish */
    size_t before = ptyterm_bytes(t);
    ptyterm_pump(t, 1500);
    assert_int_equal(ptyterm_bytes(t), before);
    ptyterm_send(t, "q");
    expect_clean_exit(t, 0);
    ptyterm_free(t);
}

static void test_sigterm_restores_terminal(void **state)
{
    struct ptyterm *t = start(24, 80);
    kill(ptyterm_pid(t), SIGTERM);
    expect_clean_exit(t, 0);
    ptyterm_free(t);
}

static void test_sighup_restores_terminal(void **state)
{
    /* the SSH daemon's SIGHUP when the session drops */
    struct ptyterm *t = start(24, 80);
    kill(ptyterm_pid(t), SIGHUP);
    expect_clean_exit(t, 0);
    ptyterm_free(t);
}

static void test_exits_when_the_terminal_goes_away(void **state)
{
    /* A dropped SSH session: the program must not keep running (the k9s bastion bug). */
    struct ptyterm *t = start(24, 80);
    ptyterm_hangup(t);
    int status;
    assert_true(ptyterm_wait_exit(t, WAIT_MS, &status));
    ptyterm_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frame_has_name_and_help_hint_and_q_quits),
        cmocka_unit_test(test_no_color_draws_with_attributes_only),
        cmocka_unit_test(test_help_overlay_comes_from_the_keymap),
        cmocka_unit_test(test_small_terminal_says_minimum_and_recovers),
        cmocka_unit_test(test_q_quits_a_small_terminal),
        cmocka_unit_test(test_resize_during_start_up_is_not_lost),
        cmocka_unit_test(test_idle_writes_nothing),
        cmocka_unit_test(test_sigterm_restores_terminal),
        cmocka_unit_test(test_sighup_restores_terminal),
        cmocka_unit_test(test_exits_when_the_terminal_goes_away),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
