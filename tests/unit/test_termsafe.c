/* Hostile text from the cluster never reaches the terminal as control sequences. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "util/termsafe.h"

static void expect(const char *in, enum termsafe_charset cs, const char *want)
{
    char *got = termsafe_dup(in, cs);
    if (strcmp(got, want) != 0)
        fail_msg("termsafe(\"%s\") = \"%s\", want \"%s\"", in, got, want);
    assert_true(termsafe_is_clean(got, cs));
    free(got);
}

static void test_plain_text_unchanged(void **state)
{
    expect("production", TERMSAFE_UTF8, "production");
    expect("chore: bump to 1.29.0 — ünïcödé ✓", TERMSAFE_UTF8, "chore: bump to 1.29.0 — ünïcödé ✓");
    assert_true(termsafe_is_clean("mortal-dragonfly", TERMSAFE_ASCII));
    expect(NULL, TERMSAFE_UTF8, "");
}

static void test_osc52_clipboard_write_and_screen_clear_neutralised(void **state)
{
    /* the example: an annotation that would set the clipboard and clear the screen */
    expect("x\033]52;c;ZXZpbA==\007y\033[2Jz", TERMSAFE_UTF8,
           "x\xE2\x90\x9B]52;c;ZXZpbA==\xE2\x90\x87y\xE2\x90\x9B[2Jz");
    expect("x\033]52;c;ZXZpbA==\007y\033[2Jz", TERMSAFE_ASCII, "x^[]52;c;ZXZpbA==^Gy^[[2Jz");
}

static void test_newlines_tabs_del_and_c1(void **state)
{
    expect("a\nb\tc\rd", TERMSAFE_UTF8,
           "a\xE2\x90\x8A"
           "b\xE2\x90\x89"
           "c\xE2\x90\x8D"
           "d");
    expect("a\x7f", TERMSAFE_UTF8, "a\xE2\x90\xA1");
    expect("a\x7f", TERMSAFE_ASCII, "a^?");
    /* U+009B is CSI on 8-bit terminals: encoded in UTF-8 it must still not pass */
    expect("a\xC2\x9B"
           "31m",
           TERMSAFE_UTF8,
           "a\xEF\xBF\xBD"
           "31m");
}

static void test_bidi_controls_replaced(void **state)
{
    /* a right-to-left override would make "prod\u202Edev" read as "prodved" on a bidi terminal */
    expect("prod\u202Edev", TERMSAFE_UTF8, "prod\uFFFDdev");
    expect("a\u2066b\u2069c\u200Fd\u061Ce", TERMSAFE_UTF8, "a\uFFFDb\uFFFDc\uFFFDd\uFFFDe");
    expect("prod\u202Edev", TERMSAFE_ASCII, "prod?dev");
    assert_false(termsafe_is_clean("x\u202Ay", TERMSAFE_UTF8));
    expect("\u2010\u2013\u2030", TERMSAFE_UTF8, "\u2010\u2013\u2030"); /* neighbours stay */
}

static void test_invalid_utf8_replaced(void **state)
{
    expect("ok\xff\xfe", TERMSAFE_UTF8, "ok\xEF\xBF\xBD\xEF\xBF\xBD");
    expect("\xC0\xAF", TERMSAFE_UTF8, "\xEF\xBF\xBD\xEF\xBF\xBD"); /* overlong '/' */
    expect("\xED\xA0\x80", TERMSAFE_UTF8, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"); /* surrogate */
    expect("\xE2\x82", TERMSAFE_UTF8, "\xEF\xBF\xBD\xEF\xBF\xBD");                 /* truncated */
    expect("caf\xC3\xA9", TERMSAFE_ASCII, "caf?");
}

static void test_long_input_bounded_work(void **state)
{
    size_t n = 1 << 20; /* a 1 MB annotation full of escapes */
    char *big = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        big[i] = (i % 3 == 0) ? '\033' : 'a';
    big[n] = '\0';
    struct strbuf sb;
    strbuf_init(&sb);
    size_t replaced = termsafe_append(&sb, big, n, TERMSAFE_UTF8);
    assert_int_equal(replaced, (n + 2) / 3);
    assert_null(memchr(sb.buf, '\033', sb.len));
    strbuf_free(&sb);
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_text_unchanged),
        cmocka_unit_test(test_osc52_clipboard_write_and_screen_clear_neutralised),
        cmocka_unit_test(test_newlines_tabs_del_and_c1),
        cmocka_unit_test(test_bidi_controls_replaced),
        cmocka_unit_test(test_invalid_utf8_replaced),
        cmocka_unit_test(test_long_input_bounded_work),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
