/* model/colour: every palette name at every colour depth (expected values computed independently
 * from tmux's colour_find_rgb, xterm's default colours and WCAG luminance), annotation parsing,
 * deterministic assignment. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "model/colour.h"

struct palette_case {
    const char *name;
    uint32_t hex;
    int c256, c16, c8;
    bool dark_text; /* black text reads better than white on the exact colour */
    int fg256, fg16, fg8;
};

static const struct palette_case palette[] = {
    {"red", 0xed204e, 197, 9, 1, true, 16, 0, 7},
    {"salmon", 0xfd5352, 203, 9, 1, true, 16, 0, 7},
    {"orange", 0xfe7537, 209, 9, 1, true, 16, 0, 7},
    {"amber", 0xe78a00, 172, 3, 3, true, 16, 0, 0},
    {"yellow", 0xdfc546, 185, 3, 3, true, 16, 0, 0},
    {"lime", 0x9bce22, 148, 3, 3, true, 16, 0, 0},
    {"avocado", 0x84df75, 114, 2, 2, true, 16, 0, 0},
    {"green", 0x1cac77, 36, 6, 6, true, 16, 0, 0},
    {"teal", 0x1bc1a7, 37, 6, 6, true, 16, 0, 0},
    {"cyan", 0x1dceca, 44, 6, 6, true, 16, 0, 0},
    {"sky", 0x0dafd3, 38, 6, 6, true, 16, 0, 0},
    {"blue", 0x3882ea, 68, 12, 4, true, 16, 15, 7},
    {"indigo", 0x2d5edc, 26, 12, 4, false, 231, 15, 7},
    {"periwinkle", 0x6380e1, 68, 12, 4, true, 16, 15, 7},
    {"violet", 0x7851aa, 97, 12, 4, false, 231, 15, 7},
    {"purple", 0xa9499d, 133, 5, 5, false, 16, 15, 7},
    {"fuchsia", 0xd0469d, 169, 5, 5, true, 16, 15, 7},
    {"pink", 0xe573a2, 175, 1, 1, true, 16, 15, 7},
    {"rose", 0xf1619b, 205, 9, 1, true, 16, 0, 7},
    {"dragonfruit", 0xfe43a3, 205, 5, 5, true, 16, 15, 7},
    {"gray", 0x6a7382, 243, 8, 7, false, 16, 0, 0},
};

static uint32_t hex(struct colour_rgb c)
{
    return ((uint32_t)c.r << 16) | ((uint32_t)c.g << 8) | c.b;
}

static void test_every_palette_name_at_every_depth(void **state)
{
    assert_int_equal(colour_palette_size(), 21);
    for (size_t i = 0; i < 21; i++) {
        const struct palette_case *p = &palette[i];
        assert_string_equal(colour_palette_name(i), p->name); /* the UI's order */
        assert_int_equal(colour_palette_index(p->name), (int)i);
        struct colour_rgb c;
        assert_int_equal(colour_parse(p->name, &c), 0);
        assert_int_equal(hex(c), p->hex);

        assert_int_equal(colour_nearest(c, COLOUR_DEPTH_TRUE), COLOUR_RGB_FLAG | (int)p->hex);
        if (colour_nearest(c, COLOUR_DEPTH_256) != p->c256)
            fail_msg("%s: 256 colours: %d, want %d", p->name, colour_nearest(c, COLOUR_DEPTH_256),
                     p->c256);
        if (colour_nearest(c, COLOUR_DEPTH_16) != p->c16)
            fail_msg("%s: 16 colours: %d, want %d", p->name, colour_nearest(c, COLOUR_DEPTH_16),
                     p->c16);
        if (colour_nearest(c, COLOUR_DEPTH_8) != p->c8)
            fail_msg("%s: 8 colours: %d, want %d", p->name, colour_nearest(c, COLOUR_DEPTH_8),
                     p->c8);
        assert_int_equal(colour_nearest(c, COLOUR_DEPTH_NONE), COLOUR_DEFAULT);

        struct colour_pair pr = colour_pair_for(c, COLOUR_DEPTH_TRUE);
        assert_int_equal(pr.bg, COLOUR_RGB_FLAG | (int)p->hex);
        assert_int_equal(pr.fg, p->dark_text ? COLOUR_RGB_FLAG : COLOUR_RGB_FLAG | 0xffffff);
        pr = colour_pair_for(c, COLOUR_DEPTH_256);
        assert_int_equal(pr.bg, p->c256);
        if (pr.fg != p->fg256)
            fail_msg("%s: 256-colour text %d, want %d", p->name, pr.fg, p->fg256);
        pr = colour_pair_for(c, COLOUR_DEPTH_16);
        assert_int_equal(pr.bg, p->c16);
        if (pr.fg != p->fg16)
            fail_msg("%s: 16-colour text %d, want %d", p->name, pr.fg, p->fg16);
        pr = colour_pair_for(c, COLOUR_DEPTH_8);
        assert_int_equal(pr.bg, p->c8);
        if (pr.fg != p->fg8)
            fail_msg("%s: 8-colour text %d, want %d", p->name, pr.fg, p->fg8);
        pr = colour_pair_for(c, COLOUR_DEPTH_NONE);
        assert_int_equal(pr.fg, COLOUR_DEFAULT);
        assert_int_equal(pr.bg, COLOUR_DEFAULT);
    }
    assert_null(colour_palette_name(21));
    assert_int_equal(colour_palette_index("Red"), -1); /* the UI's map is case-sensitive */
}

static void test_hex_annotations(void **state)
{
    struct colour_rgb c = {1, 2, 3};
    assert_int_equal(colour_parse("#ff8800", &c), 0);
    assert_int_equal(hex(c), 0xff8800);
    assert_int_equal(colour_parse("#F80", &c), 0);
    assert_int_equal(hex(c), 0xff8800);
    assert_int_equal(colour_parse("#abc", &c), 0);
    assert_int_equal(hex(c), 0xaabbcc);
    assert_int_equal(colour_parse("#5f87af", &c), 0);
    assert_int_equal(colour_nearest(c, COLOUR_DEPTH_256), 67); /* exactly a cube colour */
    /* a seed's "Green for dev" */
    assert_int_equal(colour_parse("#4CAF50", &c), 0);
    assert_int_equal(colour_nearest(c, COLOUR_DEPTH_256), 71);
    assert_int_equal(colour_nearest(c, COLOUR_DEPTH_16), 2);
    assert_int_equal(colour_nearest(c, COLOUR_DEPTH_8), 2);
    assert_int_equal(colour_pair_for(c, COLOUR_DEPTH_TRUE).fg, COLOUR_RGB_FLAG);
    assert_int_equal(colour_parse("#808080", &c), 0);
    assert_int_equal(colour_nearest(c, COLOUR_DEPTH_256), 244); /* the grey ramp */
    assert_int_equal(colour_nearest(c, COLOUR_DEPTH_16), 8);
    assert_int_equal(colour_nearest(c, COLOUR_DEPTH_8), 7);
    assert_int_equal(colour_parse("#000000", &c), 0);
    assert_int_equal(colour_nearest(c, COLOUR_DEPTH_256), 16);
    assert_int_equal(colour_nearest(c, COLOUR_DEPTH_8), 0);
    assert_int_equal(colour_pair_for(c, COLOUR_DEPTH_256).fg, 231);

    c = (struct colour_rgb){9, 9, 9};
    static const char *bad[] = {"#ff88", "#gg0000", "rebeccapurple", "ff8800", "", "#ff880011"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(colour_parse(bad[i], &c), -1);
    assert_int_equal(colour_parse(NULL, &c), -1);
    assert_int_equal(hex(c), 0x090909);

    assert_int_equal(hex(colour_number_rgb(196, COLOUR_DEPTH_256)), 0xff0000);
    assert_int_equal(hex(colour_number_rgb(232, COLOUR_DEPTH_256)), 0x080808);
    assert_int_equal(hex(colour_number_rgb(255, COLOUR_DEPTH_256)), 0xeeeeee);
    assert_int_equal(hex(colour_number_rgb(3, COLOUR_DEPTH_16)), 0xcdcd00);
    assert_int_equal(hex(colour_number_rgb(COLOUR_DEFAULT, COLOUR_DEPTH_256)), 0);
    assert_int_equal(hex(colour_number_rgb(-7, COLOUR_DEPTH_16)), 0);
    assert_int_equal(hex(colour_number_rgb(COLOUR_RGB_FLAG | 0x123456, COLOUR_DEPTH_TRUE)),
                     0x123456);
}

static void test_assignment_is_deterministic(void **state)
{
    const char *ann[] = {NULL, "amber", NULL, "#123456", NULL};
    struct colour_rgb out[5];
    colour_assign(ann, 5, out);
    /* 20 names left after amber, step 20/5 = 4: red, lime, cyan */
    assert_int_equal(hex(out[0]), 0xed204e);
    assert_int_equal(hex(out[1]), 0xe78a00);
    assert_int_equal(hex(out[2]), 0x9bce22);
    assert_int_equal(hex(out[3]), 0x123456);
    assert_int_equal(hex(out[4]), 0x1dceca);
    struct colour_rgb again[5];
    colour_assign(ann, 5, again);
    assert_memory_equal(out, again, sizeof out);

    /* more objects than colours: step 1, wrapping round */
    const char *none[30] = {NULL};
    struct colour_rgb many[30];
    colour_assign(none, 30, many);
    assert_int_equal(hex(many[0]), 0xed204e);
    assert_int_equal(hex(many[20]), 0x6a7382);
    assert_int_equal(hex(many[21]), 0xed204e);

    /* an unknown CSS name gets a palette colour like an unannotated object */
    const char *css[] = {"rebeccapurple"};
    colour_assign(css, 1, many);
    assert_int_equal(hex(many[0]), 0xed204e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_palette_name_at_every_depth),
        cmocka_unit_test(test_hex_annotations),
        cmocka_unit_test(test_assignment_is_deterministic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
