/* The YAML view on a headless screen: the object's YAML, scrolling, search with wrap-around. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curses.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "ui/yaml_view.h"
#include "util/json.h"

static SCREEN *screen;
static FILE *out, *in;
static struct theme theme;

static int setup(void **state)
{
    setlocale(LC_ALL, "C.UTF-8");
    out = fopen("/dev/null", "w");
    in = fopen("/dev/null", "r");
    screen = newterm("xterm-256color", out, in);
    theme_mono(&theme);
    theme_apply(&theme, false);
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

static const char stage[] =
    "{\"apiVersion\":\"kargo.akuity.io/v1alpha1\",\"kind\":\"Stage\",\"metadata\":{\"name\":"
    "\"uat\",\"namespace\":\"kargo-demo\",\"annotations\":{\"kargo.akuity.io/description\":"
    "\"evil\\u001b]52;c;QQ==\\u0007 text\"}},\"spec\":{\"requestedFreight\":[{\"origin\":{\"kind\":"
    "\"Warehouse\",\"name\":\"kargo-demo\"},\"sources\":{\"stages\":[\"test\"]}}]},"
    "\"status\":{\"health\":{\"status\":\"Healthy\"},\"freightSummary\":\"666209f\"}}";

static bool screen_has(WINDOW *w, const char *text)
{
    char line[256];
    for (int y = 0; y < getmaxy(w); y++) {
        mvwinnstr(w, y, 0, line, sizeof line - 1);
        if (strstr(line, text) != NULL)
            return true;
    }
    return false;
}

static struct yaml_view open_stage(void)
{
    struct yaml_view v;
    cJSON *o = json_parse(stage, strlen(stage), NULL);
    assert_non_null(o);
    assert_int_equal(yaml_view_open(&v, "stages/uat", o, NULL), 0);
    cJSON_Delete(o);
    return v;
}

static void test_shows_yaml_with_title(void **state)
{
    struct yaml_view v = open_stage();
    assert_int_equal(v.nlines, 19);
    assert_string_equal(v.lines[0], "apiVersion: kargo.akuity.io/v1alpha1");
    WINDOW *w = newwin(30, 70, 0, 0);
    yaml_view_draw(&v, w, &theme, true);
    assert_true(screen_has(w, "stages/uat"));
    assert_true(screen_has(w, "kind: Stage"));
    assert_true(screen_has(w, "freightSummary: 666209f"));
    delwin(w);
    yaml_view_close(&v);
}

static void test_search_finds_wraps_and_reports_missing(void **state)
{
    struct yaml_view v = open_stage();
    WINDOW *w = newwin(10, 70, 0, 0);
    yaml_view_draw(&v, w, &theme, true);
    assert_true(yaml_view_key(&v, '/', false));
    for (const char *p = "Healthy"; *p; p++)
        yaml_view_key(&v, *p, false);
    yaml_view_key(&v, '\r', false);
    assert_string_equal(v.lines[v.lv.selected], "    status: Healthy");
    yaml_view_draw(&v, w, &theme, true);
    assert_true(screen_has(w, "status: Healthy")); /* scrolled into view in a 7-line body */
    yaml_view_key(&v, 'n', false);                 /* the only match: wraps to itself */
    assert_string_equal(v.lines[v.lv.selected], "    status: Healthy");

    yaml_view_key(&v, '/', false);
    for (const char *p = "nowhere"; *p; p++)
        yaml_view_key(&v, *p, false);
    yaml_view_key(&v, '\r', false);
    yaml_view_draw(&v, w, &theme, true);
    assert_true(screen_has(w, "pattern not found: nowhere"));
    delwin(w);
    yaml_view_close(&v);
}

static void test_escapes_in_values_are_not_passed_through(void **state)
{
    struct yaml_view v = open_stage();
    WINDOW *w = newwin(30, 100, 0, 0);
    yaml_view_draw(&v, w, &theme, true);
    chtype line[120];
    for (int y = 0; y < 30; y++) {
        mvwinchnstr(w, y, 0, line, 100);
        for (int x = 0; x < 100 && line[x]; x++)
            assert_true((line[x] & A_CHARTEXT) != 033);
    }
    delwin(w);
    yaml_view_close(&v);
}

static void test_navigation_and_leaving(void **state)
{
    struct yaml_view v = open_stage();
    WINDOW *w = newwin(8, 40, 0, 0);
    yaml_view_draw(&v, w, &theme, true);
    yaml_view_key(&v, 'G', false);
    assert_int_equal(v.lv.selected, v.nlines - 1);
    yaml_view_key(&v, 'g', false);
    assert_int_equal(v.lv.selected, 0);
    yaml_view_key(&v, KEY_RIGHT, true);
    assert_int_equal(v.hscroll, 8);
    yaml_view_key(&v, 'h', false);
    assert_int_equal(v.hscroll, 0);
    yaml_view_key(&v, '/', false);
    assert_true(yaml_view_key(&v, 27, false)); /* Esc closes the prompt, not the view */
    assert_false(v.searching);
    assert_false(yaml_view_key(&v, 'q', false));
    delwin(w);
    yaml_view_close(&v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shows_yaml_with_title),
        cmocka_unit_test(test_search_finds_wraps_and_reports_missing),
        cmocka_unit_test(test_escapes_in_values_are_not_passed_through),
        cmocka_unit_test(test_navigation_and_leaving),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
