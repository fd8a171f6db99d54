/* Text drawing on a headless curses screen: clipping by cells, wide glyphs, hostile text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curses.h>
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "ui/draw.h"

static SCREEN *screen;
static FILE *out, *in;

static int setup(void **state)
{
    setlocale(LC_ALL, "C.UTF-8");
    out = fopen("/dev/null", "w");
    in = fopen("/dev/null", "r");
    screen = newterm("xterm-256color", out, in);
    return screen == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    endwin();
    delscreen(screen);
    fclose(out);
    fclose(in);
    return 0;
}

/* The row's text as UTF-8, read back cell by cell. */
static char *row_text(WINDOW *w, int y)
{
    static char buf[512];
    size_t o = 0;
    int cols = getmaxx(w);
    for (int x = 0; x < cols; x++) {
        cchar_t c;
        wchar_t wch[CCHARW_MAX + 1];
        attr_t a;
        short pair;
        mvwin_wch(w, y, x, &c);
        getcchar(&c, wch, &a, &pair, NULL);
        if (wch[0] == 0)
            continue;
        if (wcwidth(wch[0]) > 1)
            x += wcwidth(wch[0]) - 1; /* ncurses reports a wide glyph in each of its cells */
        char mb[MB_LEN_MAX * 2];
        size_t n = wcstombs(mb, wch, sizeof mb);
        if (n != (size_t)-1 && o + n < sizeof buf) {
            memcpy(buf + o, mb, n);
            o += n;
        }
    }
    while (o > 0 && buf[o - 1] == ' ')
        o--;
    buf[o] = '\0';
    return buf;
}

static void test_width_counts_cells(void **state)
{
    assert_int_equal(draw_width("stage"), 5);
    assert_int_equal(draw_width("ünï"), 3);
    assert_int_equal(draw_width("生产"), 4); /* wide CJK */
    assert_int_equal(draw_width("\xff"), 1);
    assert_int_equal(draw_width(""), 0);
}

static void test_text_fits_and_clips_with_ellipsis(void **state)
{
    WINDOW *w = newwin(3, 20, 0, 0);
    assert_int_equal(draw_text(w, 0, 0, 10, "prod", A_NORMAL, true), 4);
    assert_string_equal(row_text(w, 0), "prod");
    assert_int_equal(draw_text(w, 1, 0, 10, "production-eu-west-1", A_NORMAL, true), 10);
    assert_string_equal(row_text(w, 1), "productio…");
    assert_int_equal(draw_text(w, 2, 0, 10, "production-eu-west-1", A_NORMAL, false), 10);
    assert_string_equal(row_text(w, 2), "productio~");
    delwin(w);
}

static void test_wide_glyphs_never_overflow(void **state)
{
    WINDOW *w = newwin(2, 20, 0, 0);
    /* 6 cells of CJK into 5: two glyphs (4 cells) and the ellipsis */
    assert_int_equal(draw_text(w, 0, 0, 5, "生产环境", A_NORMAL, true), 5);
    assert_string_equal(row_text(w, 0), "生产…");
    assert_int_equal(draw_text(w, 1, 0, 8, "生产环境", A_NORMAL, true), 8);
    assert_string_equal(row_text(w, 1), "生产环境");
    delwin(w);
}

static void test_escape_sequences_drawn_as_placeholders(void **state)
{
    WINDOW *w = newwin(1, 40, 0, 0);
    draw_text(w, 0, 0, 40, "x\033[2Jy\033]52;c;QQ==\007z", A_NORMAL, true);
    assert_string_equal(row_text(w, 0), "x␛[2Jy␛]52;c;QQ==␇z");
    delwin(w);
}

static void test_clipped_to_window_and_fill(void **state)
{
    WINDOW *w = newwin(2, 8, 0, 0);
    assert_int_equal(draw_text(w, 0, 5, 100, "abcdef", A_NORMAL, true), 3); /* window edge */
    assert_string_equal(row_text(w, 0), "     ab…");
    assert_int_equal(draw_text(w, 5, 0, 10, "off screen", A_NORMAL, true), 0);
    assert_int_equal(draw_text(w, 0, -1, 10, "off screen", A_NORMAL, true), 0);
    assert_int_equal(draw_text_fill(w, 1, 0, 8, "ab", A_REVERSE, true), 8);
    chtype c = mvwinch(w, 1, 7);
    assert_true(c & A_REVERSE); /* the fill carries the attribute to the edge */
    delwin(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_width_counts_cells),
        cmocka_unit_test(test_text_fits_and_clips_with_ellipsis),
        cmocka_unit_test(test_wide_glyphs_never_overflow),
        cmocka_unit_test(test_escape_sequences_drawn_as_placeholders),
        cmocka_unit_test(test_clipped_to_window_and_fill),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
