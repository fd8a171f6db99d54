/* Theme files: every shipped theme loads, colours parse in every form and step down the terminal
 * depths as tmux does, and every kind of broken file is refused with its line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ui/theme.h"
#include "util/xalloc.h"

static int parse(const char *text, struct theme *t, char **cause)
{
    return theme_parse(text, strlen(text), "t.yaml", t, cause);
}

/* The text must be refused with a message holding want (a "t.yaml:N:" prefix and the reason). */
static void refused(const char *text, const char *want)
{
    struct theme t;
    char *cause = NULL;
    assert_int_equal(parse(text, &t, &cause), -1);
    assert_non_null(cause);
    if (strstr(cause, want) == NULL)
        fail_msg("cause '%s' does not say '%s'", cause, want);
    free(cause);
}

static void test_every_shipped_theme_loads(void **state)
{
    (void)state;
    const char *want[] = {"default", "high-contrast", "light", "mono"};
    size_t n = 0;
    for (size_t i = 0; theme_builtin_name(i) != NULL; i++) {
        struct theme t;
        char *cause = NULL;
        if (theme_load(theme_builtin_name(i), NULL, &t, &cause) != 0)
            fail_msg("%s: %s", theme_builtin_name(i), cause);
        assert_string_equal(t.name, theme_builtin_name(i));
        n++;
    }
    assert_int_equal(n, 4);
    for (size_t i = 0; i < 4; i++) {
        struct theme t;
        assert_int_equal(theme_load(want[i], NULL, &t, NULL), 0);
    }
    /* and the files in the source tree are the ones built in */
    char *path = xasprintf("%s/themes/light.yaml", KT_SOURCE_DIR);
    struct theme a, b;
    assert_int_equal(theme_load(path, NULL, &a, NULL), 0);
    assert_int_equal(theme_load("light", NULL, &b, NULL), 0);
    assert_memory_equal(a.style, b.style, sizeof a.style);
    assert_int_equal(a.n_palette, 10);
    free(path);
}

static void test_default_theme_roles(void **state)
{
    (void)state;
    struct theme t;
    theme_default(&t);
    assert_string_equal(t.name, "default");
    assert_int_equal(t.style[THEME_TOPBAR].fg.kind, THEME_COLOUR_INDEX);
    assert_int_equal(t.style[THEME_TOPBAR].fg.value, COLOR_BLACK);
    assert_int_equal(t.style[THEME_TOPBAR].bg.value, COLOR_CYAN);
    assert_true(t.style[THEME_ERROR].attrs & A_BOLD);
    assert_int_equal(t.n_palette, 0); /* Kargo's palette */
    theme_mono(&t);
    for (int r = 0; r < THEME_ROLE_COUNT; r++) {
        assert_int_equal(t.style[r].fg.kind, THEME_COLOUR_DEFAULT);
        assert_int_equal(t.style[r].bg.kind, THEME_COLOUR_DEFAULT);
    }
    assert_true(t.style[THEME_SELECTION].attrs & A_REVERSE);
    assert_true(t.monochrome); /* not even Stage colours */
    theme_default(&t);
    assert_false(t.monochrome);
}

static void test_colours_in_every_form(void **state)
{
    (void)state;
    struct theme t;
    const char *text = "roles:\n"
                       "  normal: default\n"
                       "  dim: grey\n"
                       "  title: bright-yellow\n"
                       "  border: 27\n"
                       "  error: '#ff0000'\n"
                       "  warning: {fg: '#fa0', bg: 0, attrs: [bold, underline]}\n"
                       "  mark: {attrs: reverse dim}\n"
                       "stage-colors: ['#123456', 196, red]\n";
    char *cause = NULL;
    if (parse(text, &t, &cause) != 0)
        fail_msg("%s", cause);
    assert_int_equal(t.style[THEME_NORMAL].fg.kind, THEME_COLOUR_DEFAULT);
    assert_int_equal(t.style[THEME_DIM].fg.value, 8);
    assert_int_equal(t.style[THEME_TITLE].fg.value, 11);
    assert_int_equal(t.style[THEME_BORDER].fg.kind, THEME_COLOUR_INDEX);
    assert_int_equal(t.style[THEME_BORDER].fg.value, 27);
    assert_int_equal(t.style[THEME_ERROR].fg.kind, THEME_COLOUR_RGB);
    assert_int_equal(t.style[THEME_ERROR].fg.value, 0xff0000);
    assert_int_equal(t.style[THEME_WARNING].fg.value, 0xffaa00);
    assert_int_equal(t.style[THEME_WARNING].bg.value, 0);
    assert_int_equal(t.style[THEME_WARNING].attrs, A_BOLD | A_UNDERLINE);
    assert_int_equal(t.style[THEME_MARK].attrs, A_REVERSE | A_DIM);
    /* roles left out are plain */
    assert_int_equal(t.style[THEME_TOPBAR].fg.kind, THEME_COLOUR_DEFAULT);
    assert_int_equal(t.style[THEME_TOPBAR].attrs, A_NORMAL);
    assert_int_equal(t.n_palette, 3);
    assert_int_equal(t.palette[0].r, 0x12);
    assert_int_equal(t.palette[1].r, 0xff); /* 196 is xterm's pure red */
    assert_int_equal(t.palette[1].g, 0);
}

static void test_colour_downgrade_chain(void **state)
{
    (void)state;
    struct theme_colour c;
    assert_int_equal(theme_colour_parse("#ff8700", &c, NULL), 0);
    /* truecolor exact; 256: the cube entry (tmux's colour_find_rgb); 16 and 8: the hue family;
     * none: the terminal's own */
    assert_int_equal(theme_colour_number(c, COLOUR_DEPTH_TRUE), COLOUR_RGB_FLAG | 0xff8700);
    assert_int_equal(theme_colour_number(c, COLOUR_DEPTH_256), 208);
    int c16 = theme_colour_number(c, COLOUR_DEPTH_16);
    assert_true(c16 == 3 || c16 == 11 || c16 == 9 || c16 == 1);
    assert_true(theme_colour_number(c, COLOUR_DEPTH_8) < 8);
    assert_int_equal(theme_colour_number(c, COLOUR_DEPTH_NONE), COLOUR_DEFAULT);
    /* a grey goes to the grey ramp, then to black/white family */
    assert_int_equal(theme_colour_parse("#808080", &c, NULL), 0);
    assert_int_equal(theme_colour_number(c, COLOUR_DEPTH_256), 244);
    /* bright names on an 8-colour terminal: their normal sibling */
    assert_int_equal(theme_colour_parse("bright-red", &c, NULL), 0);
    assert_int_equal(theme_colour_number(c, COLOUR_DEPTH_16), 9);
    assert_int_equal(theme_colour_number(c, COLOUR_DEPTH_8), 1);
    /* a direct-colour terminal reads 0-7 as ANSI and the rest as RGB */
    assert_int_equal(theme_colour_number(c, COLOUR_DEPTH_TRUE), COLOUR_RGB_FLAG | 0xff0000);
    assert_int_equal(theme_colour_parse("red", &c, NULL), 0);
    assert_int_equal(theme_colour_number(c, COLOUR_DEPTH_TRUE), 1);
    assert_int_equal(theme_colour_curses(COLOUR_RGB_FLAG | 0x000003), 8);
    assert_int_equal(theme_colour_curses(COLOUR_DEFAULT), -1);
    /* 256-colour numbers shrink by what they show */
    assert_int_equal(theme_colour_parse("196", &c, NULL), 0);
    assert_int_equal(theme_colour_number(c, COLOUR_DEPTH_256), 196);
    assert_int_equal(theme_colour_number(c, COLOUR_DEPTH_16), 9);
}

static void test_bad_colours(void **state)
{
    (void)state;
    struct theme_colour c;
    const char *bad[] = {"#12345",     "#ggg",        "256", "-1", "1e3",
                         "chartreuse", "bright-grey", "",    "#",  "bright-"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *cause = NULL;
        if (theme_colour_parse(bad[i], &c, &cause) != -1)
            fail_msg("'%s' was taken as a colour", bad[i]);
        assert_non_null(cause);
        free(cause);
    }
}

static void test_broken_theme_reports_its_line(void **state)
{
    (void)state;
    refused("roles:\n  normal: default\n  title: {fg: cyan\n", "t.yaml:4:");
    refused("roles:\n  normal: default\n  titel: cyan\n", "t.yaml:3: unknown role 'titel'");
    refused("roles:\n  normal: default\n\n  border: blurple\n", "t.yaml:4: border: 'blurple'");
    refused("roles:\n  error: {fg: red, attrs: [bold, shiny]}\n",
            "t.yaml:2: unknown attribute 'shiny'");
    refused("roles:\n  error: {fg: red, colour: blue}\n", "t.yaml:2: error: unknown key 'colour'");
    refused("roles:\n  error: red\n  error: blue\n", "t.yaml:3: 'error' is given twice");
    refused("name: x\nroles:\n  error: &r red\n  title: *r\n", "t.yaml:4: aliases");
    refused("roles:\n  normal: [red]\n", "t.yaml:2: normal: a colour");
    refused("roles: red\n", "t.yaml:1: roles: a map");
    refused("- red\n- blue\n", "t.yaml:1: a theme is a map");
    refused("", "t.yaml:1: a theme is a map");
    refused("name: nothing\n", "t.yaml:1: the theme has no 'roles:'");
    refused("roles: {}\ncolours: {}\n", "t.yaml:2: unknown key 'colours'");
    refused("roles: {}\nstage-colors: [red, default]\n", "t.yaml:2: stage-colors: 'default'");
    refused("roles: {}\nstage-colors: red\n", "t.yaml:2: stage-colors: a list");
    refused("roles: {}\n---\nroles: {}\n", "only one YAML document");
    refused("monochrome: sometimes\nroles: {}\n", "t.yaml:1: monochrome: true or false");
    refused("roles:\n  title: \"\\x01\"\n", "t.yaml:2: title:");
    struct theme t;
    char *cause = NULL;
    assert_int_equal(theme_parse("roles: {}\n\0x", 12, "t.yaml", &t, &cause), -1);
    assert_non_null(strstr(cause, "NUL"));
    free(cause);
    /* deep nesting is refused, not recursed into */
    char deep[400];
    size_t k = 0;
    k += (size_t)snprintf(deep, sizeof deep, "roles: ");
    for (int i = 0; i < 100; i++)
        deep[k++] = '[';
    deep[k] = '\0';
    refused(deep, "t.yaml:");
}

static void test_load_user_dir_file_and_unknown_names(void **state)
{
    (void)state;
    char dir[] = "/tmp/kt-theme-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *mine = xasprintf("%s/mine.yaml", dir);
    FILE *f = fopen(mine, "w");
    assert_non_null(f);
    fputs("name: mine\nroles:\n  topbar: {fg: white, bg: magenta}\n", f);
    fclose(f);
    /* a user theme shadows a built-in of the same name, so copy-and-edit works */
    char *shadow = xasprintf("%s/light.yaml", dir);
    f = fopen(shadow, "w");
    assert_non_null(f);
    fputs("name: my-light\nroles:\n  topbar: {fg: black, bg: 15}\n", f);
    fclose(f);
    struct theme t;
    char *cause = NULL;
    assert_int_equal(theme_load("mine", dir, &t, &cause), 0);
    assert_string_equal(t.name, "mine");
    assert_int_equal(t.style[THEME_TOPBAR].bg.value, COLOR_MAGENTA);
    assert_int_equal(theme_load("light", dir, &t, NULL), 0);
    assert_string_equal(t.name, "my-light");
    assert_int_equal(theme_load(mine, NULL, &t, NULL), 0);
    assert_string_equal(t.name, "mine");

    assert_int_equal(theme_load("nope", dir, &t, &cause), -1);
    assert_non_null(strstr(cause, "no theme 'nope'"));
    assert_non_null(strstr(cause, "default, high-contrast, light, mono"));
    assert_non_null(strstr(cause, dir));
    free(cause);
    cause = NULL;
    char *missing = xasprintf("%s/missing.yaml", dir);
    assert_int_equal(theme_load(missing, dir, &t, &cause), -1);
    assert_non_null(strstr(cause, missing));
    free(cause);
    cause = NULL;
    /* a broken user file names itself and its line */
    f = fopen(mine, "w");
    fputs("name: mine\nroles:\n  topbar: {fg: white, bg: magneta}\n", f);
    fclose(f);
    assert_int_equal(theme_load("mine", dir, &t, &cause), -1);
    char *want = xasprintf("%s:3: topbar: 'magneta'", mine);
    if (strstr(cause, want) == NULL)
        fail_msg("%s", cause);
    free(want);
    free(cause);
    unlink(mine);
    unlink(shadow);
    rmdir(dir);
    free(mine);
    free(shadow);
    free(missing);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_shipped_theme_loads),
        cmocka_unit_test(test_default_theme_roles),
        cmocka_unit_test(test_colours_in_every_form),
        cmocka_unit_test(test_colour_downgrade_chain),
        cmocka_unit_test(test_bad_colours),
        cmocka_unit_test(test_broken_theme_reports_its_line),
        cmocka_unit_test(test_load_user_dir_file_and_unknown_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
