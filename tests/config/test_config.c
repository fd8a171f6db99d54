/* config.yaml: every key read, flags over the file, unknown keys warned about by name and line,
 * every problem of a broken file reported at once with its line, the XDG location, key remaps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "action/action.h"
#include "app/config.h"
#include "app/options.h"
#include "ui/keymap.h"
#include "util/xalloc.h"

static int parse(const char *text, struct config *c, char **cause)
{
    return config_parse(text, strlen(text), "c.yaml", c, cause);
}

static void refused(const char *text, const char *const *want)
{
    struct config c;
    char *cause = NULL;
    assert_int_equal(parse(text, &c, &cause), -1);
    assert_non_null(cause);
    for (size_t i = 0; want[i] != NULL; i++)
        if (strstr(cause, want[i]) == NULL)
            fail_msg("cause '%s' does not say '%s'", cause, want[i]);
    free(cause);
    config_free(&c);
}

static void test_every_key(void **state)
{
    (void)state;
    const char *text = "context: prod-admin\n"
                       "project: checkout\n"
                       "theme: light\n"
                       "color: never\n"
                       "readonly: yes\n"
                       "ascii: true\n"
                       "mouse: on\n"
                       "age-refresh: 1m\n"
                       "ages: relative\n"
                       "confirm:\n"
                       "  typed-name: [prod*, '*-production', uat]\n"
                       "  typed-manual: false\n"
                       "  typed-batch: count\n"
                       "keys:\n"
                       "  quit: Q\n"
                       "  help: [F1, '?']\n";
    struct config c;
    char *cause = NULL;
    if (parse(text, &c, &cause) != 0)
        fail_msg("%s", cause);
    assert_string_equal(c.context, "prod-admin");
    assert_string_equal(c.project, "checkout");
    assert_string_equal(c.theme, "light");
    assert_int_equal(c.colour, OPTIONS_COLOUR_NEVER);
    assert_int_equal(c.readonly, 1);
    assert_int_equal(c.ascii, 1);
    assert_int_equal(c.mouse, 1);
    assert_int_equal(c.age_refresh, 60);
    assert_int_equal(c.relative_ages, 1);
    assert_int_equal(c.n_typed_name, 3);
    assert_true(c.typed_name_set);
    assert_int_equal(c.typed_manual, 0);
    assert_int_equal(c.typed_batch, 1);
    assert_true(config_typed_name(&c, "prod"));
    assert_true(config_typed_name(&c, "prod-eu"));
    assert_true(config_typed_name(&c, "eu-production"));
    assert_true(config_typed_name(&c, "uat"));
    assert_false(config_typed_name(&c, "staging"));
    assert_false(config_typed_name(&c, "uat-2"));
    assert_int_equal(c.n_keys, 2);
    assert_null(c.warnings);
    config_free(&c);
}

static void test_empty_and_defaults(void **state)
{
    (void)state;
    const char *texts[] = {"", "# nothing set\n", "---\n"};
    for (size_t i = 0; i < 3; i++) {
        struct config c;
        assert_int_equal(parse(texts[i], &c, NULL), 0);
        assert_null(c.theme);
        assert_int_equal(c.readonly, -1);
        assert_int_equal(c.age_refresh, 0);
        assert_int_equal(c.relative_ages, -1); /* not set: absolute times */
        assert_int_equal(c.colour, OPTIONS_COLOUR_UNSET);
        config_free(&c);
    }
    struct config c;
    assert_int_equal(parse("age-refresh: off\nconfirm: {typed-name: ~}\n", &c, NULL), 0);
    assert_int_equal(c.age_refresh, -1);
    assert_int_equal(c.n_typed_name, 0);
    assert_true(c.typed_name_set); /* given, and empty: no Stage by name */
    assert_int_equal(c.typed_manual, -1);
    config_free(&c);
    assert_int_equal(parse("theme: light\n", &c, NULL), 0);
    assert_false(c.typed_name_set); /* not given: the actions' own defaults stay */
    config_free(&c);
}

static void test_unknown_keys_are_warnings_naming_key_and_line(void **state)
{
    (void)state;
    struct config c;
    char *cause = NULL;
    const char *text =
        "theme: mono\nthem: light\nconfirm:\n  typed-names: [prod]\nreadonly: true\n";
    if (parse(text, &c, &cause) != 0)
        fail_msg("%s", cause);
    assert_non_null(c.warnings);
    assert_non_null(strstr(c.warnings, "c.yaml:2: unknown key 'them' (ignored)"));
    assert_non_null(strstr(c.warnings, "c.yaml:4: unknown key 'confirm.typed-names' (ignored)"));
    /* and what is known still counts */
    assert_string_equal(c.theme, "mono");
    assert_int_equal(c.readonly, 1);
    config_free(&c);
}

static void test_every_problem_reported_with_its_line(void **state)
{
    (void)state;
    refused("readonly: maybe\ncolor: sometimes\nage-refresh: 2 minutes\ntheme: ''\n",
            (const char *const[]){"c.yaml:1: readonly: true or false, not 'maybe'",
                                  "c.yaml:2: color: auto, always or never",
                                  "c.yaml:3: age-refresh:", "c.yaml:4: theme: a non-empty string",
                                  NULL});
    refused("theme: [a, b]\nproject: {a: 1}\nmouse: 'true'\n",
            (const char *const[]){"c.yaml:1: theme", "c.yaml:2: project", "c.yaml:3: mouse", NULL});
    refused("age-refresh: 500ms\n", (const char *const[]){"c.yaml:1: age-refresh: whole", NULL});
    refused("age-refresh: 2h\n", (const char *const[]){"c.yaml:1: age-refresh", NULL});
    refused("theme: mono\nages: ago\n",
            (const char *const[]){"c.yaml:2: ages: absolute or relative", NULL});
    refused("confirm: prod\n", (const char *const[]){"c.yaml:1: confirm: a map", NULL});
    refused("confirm:\n  typed-name: {a: b}\n",
            (const char *const[]){"c.yaml:2: confirm.typed-name", NULL});
    refused("confirm:\n  typed-name: [prod, [x]]\n",
            (const char *const[]){"c.yaml:2: confirm.typed-name: a Stage name", NULL});
    refused("keys:\n  quit: Q\n  launch: x\n",
            (const char *const[]){"c.yaml:3: keys: unknown action 'launch'", "quit", NULL});
    refused("keys:\n  quit: Hyper-Q\n",
            (const char *const[]){"c.yaml:2: keys: 'Hyper-Q' is not a key", NULL});
    refused("confirm:\n  typed-manual: sometimes\n",
            (const char *const[]){"c.yaml:2: confirm.typed-manual: true or false", NULL});
    refused("keys:\n  quit: {a: b}\n", (const char *const[]){"c.yaml:2: keys.quit", NULL});
    refused("keys: []\n", (const char *const[]){"c.yaml:1: keys: a map", NULL});
    refused("keys:\n  help: []\n", (const char *const[]){"c.yaml:2: keys.help", NULL});
    /* broken YAML: where it broke */
    refused("theme: light\nreadonly: [true\n",
            (const char *const[]){"c.yaml:3: not valid YAML", NULL});
    refused("theme: light\n  readonly: true\n",
            (const char *const[]){"c.yaml:2: not valid YAML", NULL});
    refused("\ttheme: x\n", (const char *const[]){"c.yaml:1:", NULL});
    refused("- theme\n", (const char *const[]){"c.yaml:1: the configuration is a map", NULL});
    refused("theme: a\ntheme: b\n", (const char *const[]){"c.yaml:2: 'theme' is given twice "
                                                          "(first on line 1)",
                                                          NULL});
    refused("a: &x 1\nb: *x\n", (const char *const[]){"c.yaml:2: aliases", NULL});
    refused("theme: a\n---\ntheme: b\n",
            (const char *const[]){"c.yaml:2: only one YAML document", NULL});
    struct config c;
    char *cause = NULL;
    assert_int_equal(config_parse("theme: x\n\0", 10, "c.yaml", &c, &cause), -1);
    assert_non_null(strstr(cause, "NUL"));
    free(cause);
    config_free(&c);
}

/* timeouts: Go durations above zero and at most an hour; each bad value named with its key and
 * line; the flags win. */
static void test_timeouts(void **state)
{
    (void)state;
    struct config c;
    char *cause = NULL;
    assert_int_equal(parse("timeouts: {connect: 5s, idle: 1m30s}\n", &c, &cause), 0);
    assert_null(cause);
    assert_int_equal(c.connect_timeout_ms, 5000);
    assert_int_equal(c.idle_timeout_ms, 90000);
    struct options o = {0};
    o.idle_timeout_ms = 2000; /* --idle-timeout 2s */
    assert_int_equal(config_apply(&c, &o, NULL, NULL), 0);
    assert_int_equal(o.connect_timeout_ms, 5000);
    assert_int_equal(o.idle_timeout_ms, 2000);
    options_free(&o);
    config_free(&c);
    assert_int_equal(parse("timeouts:\n  connect: 500ms\n", &c, NULL), 0);
    assert_int_equal(c.connect_timeout_ms, 500);
    assert_int_equal(c.idle_timeout_ms, 0); /* not set: the client's default */
    config_free(&c);
    assert_int_equal(parse("timeouts:\n  read: 5s\n", &c, NULL), 0);
    assert_non_null(c.warnings);
    assert_non_null(strstr(c.warnings, "c.yaml:2: unknown key 'timeouts.read'"));
    config_free(&c);
    refused("timeouts:\n  connect: 0s\n  idle: -5s\n",
            (const char *const[]){"c.yaml:2: timeouts.connect: a duration above zero and at most "
                                  "1h, not '0s'",
                                  "c.yaml:3: timeouts.idle: a duration above zero and at most 1h, "
                                  "not '-5s'",
                                  NULL});
    refused("timeouts:\n  idle: soon\n",
            (const char *const[]){"c.yaml:2: timeouts.idle: a duration (5s, 1m, 500ms), not "
                                  "'soon'",
                                  NULL});
    refused("timeouts:\n  connect: 2h\n",
            (const char *const[]){"c.yaml:2: timeouts.connect", "2h", NULL});
    refused("timeouts:\n  idle: [1s]\n", (const char *const[]){"c.yaml:2: timeouts.idle", NULL});
    refused("timeouts: 5s\n", (const char *const[]){"c.yaml:1: timeouts: a map", NULL});
}

static void test_flags_win_over_the_file(void **state)
{
    (void)state;
    struct config c;
    assert_int_equal(parse("context: a\nproject: p\ntheme: light\ncolor: never\nreadonly: true\n"
                           "age-refresh: 10s\nascii: true\nmouse: true\nages: relative\n",
                           &c, NULL),
                     0);
    struct options o = {0};
    o.context = xstrdup("b");
    o.colour = OPTIONS_COLOUR_ALWAYS;
    o.write = true;
    assert_int_equal(config_apply(&c, &o, NULL, NULL), 0);
    assert_string_equal(o.context, "b");
    assert_string_equal(o.project, "p");
    assert_string_equal(o.theme, "light");
    assert_int_equal(o.colour, OPTIONS_COLOUR_ALWAYS);
    assert_false(o.readonly); /* --write */
    assert_true(o.ascii);
    assert_true(o.mouse);
    assert_int_equal(o.age_refresh, 10);
    assert_true(o.relative_ages);
    options_free(&o);
    struct options o2 = {0};
    assert_int_equal(config_apply(&c, &o2, NULL, NULL), 0);
    assert_true(o2.readonly);
    assert_int_equal(o2.colour, OPTIONS_COLOUR_NEVER);
    options_free(&o2);
    config_free(&c);
}

static void test_location_follows_xdg(void **state)
{
    (void)state;
    char dir[] = "/tmp/kt-config-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *old_xdg = getenv("XDG_CONFIG_HOME") ? xstrdup(getenv("XDG_CONFIG_HOME")) : NULL;
    char *old_home = getenv("HOME") ? xstrdup(getenv("HOME")) : NULL;

    setenv("XDG_CONFIG_HOME", dir, 1);
    char *d = config_dir();
    char *want = xasprintf("%s/kargotop", dir);
    assert_string_equal(d, want);
    free(d);
    /* no file: defaults, no error */
    struct config c;
    assert_int_equal(config_load(NULL, &c, NULL), 0);
    assert_null(c.path);
    config_free(&c);
    /* the file there is read */
    assert_int_equal(mkdir(want, 0700), 0);
    char *file = xasprintf("%s/config.yaml", want);
    FILE *f = fopen(file, "w");
    fputs("theme: high-contrast\nwat: 1\n", f);
    fclose(f);
    assert_int_equal(config_load(NULL, &c, NULL), 0);
    assert_string_equal(c.path, file);
    assert_string_equal(c.theme, "high-contrast");
    char *warn = xasprintf("%s:2: unknown key 'wat'", file);
    assert_non_null(strstr(c.warnings, warn));
    free(warn);
    config_free(&c);
    /* a broken one names itself */
    f = fopen(file, "w");
    fputs("theme: light\nreadonly: sure\n", f);
    fclose(f);
    char *cause = NULL;
    assert_int_equal(config_load(NULL, &c, &cause), -1);
    char *where = xasprintf("%s:2: readonly", file);
    assert_non_null(strstr(cause, where));
    free(where);
    free(cause);
    cause = NULL;
    config_free(&c);
    /* an explicit --config that is missing is an error, not a silent default */
    char *missing = xasprintf("%s/none.yaml", dir);
    assert_int_equal(config_load(missing, &c, &cause), -1);
    assert_non_null(strstr(cause, missing));
    free(cause);
    config_free(&c);

    /* a relative XDG_CONFIG_HOME is ignored (the spec), then HOME/.config */
    setenv("XDG_CONFIG_HOME", "relative/dir", 1);
    setenv("HOME", dir, 1);
    d = config_dir();
    char *home_want = xasprintf("%s/.config/kargotop", dir);
    assert_string_equal(d, home_want);
    free(d);
    unsetenv("XDG_CONFIG_HOME");
    d = config_dir();
    assert_string_equal(d, home_want);
    free(d);

    if (old_xdg)
        setenv("XDG_CONFIG_HOME", old_xdg, 1);
    if (old_home)
        setenv("HOME", old_home, 1);
    unlink(file);
    rmdir(want);
    rmdir(dir);
    free(home_want);
    free(missing);
    free(file);
    free(want);
    free(old_xdg);
    free(old_home);
}

static void test_key_remaps(void **state)
{
    (void)state;
    struct config c;
    assert_int_equal(parse("keys:\n  quit: Q\n  help: [F1, Ctrl-H]\n  down: [j, n]\n", &c, NULL),
                     0);
    struct options o = {0};
    struct keymap km;
    keymap_init(&km);
    assert_int_equal(config_apply(&c, &o, &km, NULL), 0);
    const struct keymap_entry *e = keymap_find(&km, 'Q');
    assert_non_null(e);
    assert_int_equal(e->action, UI_ACTION_QUIT);
    assert_null(keymap_find(&km, 'q')); /* the default key of quit is gone */
    assert_int_equal(keymap_find(&km, KEY_F(1))->action, UI_ACTION_HELP);
    assert_int_equal(keymap_find(&km, 8)->action, UI_ACTION_HELP);
    assert_null(keymap_find(&km, '?'));
    assert_int_equal(keymap_find(&km, 'n')->action, UI_ACTION_DOWN);
    assert_int_equal(keymap_find(&km, KEY_DOWN), NULL); /* down's keys are now j and n only */
    /* help and footer, generated from the table, show the new keys */
    bool quit_shown = false, help_shown = false;
    for (size_t i = 0; keymap_entry_at(&km, i) != NULL; i++) {
        const struct keymap_entry *k = keymap_entry_at(&km, i);
        if (k->action == UI_ACTION_QUIT && k->help != NULL) {
            assert_string_equal(k->keyname, "Q");
            assert_string_equal(k->hint, "quit");
            quit_shown = true;
        }
        if (k->action == UI_ACTION_HELP && k->help != NULL) {
            assert_string_equal(k->keyname, "F1 Ctrl-H");
            help_shown = true;
        }
    }
    assert_true(quit_shown && help_shown);
    /* cluster actions by their names: refresh is R for a Stage and for a Warehouse */
    const char *f5[] = {"F5"};
    assert_int_equal(keymap_bind(&km, "refresh", f5, 1, NULL), 0);
    const struct keymap_entry *r = keymap_find_scope(&km, KEY_F(5), KEYMAP_STAGE);
    assert_non_null(r);
    assert_int_equal(r->action, UI_ACTION_ACT);
    assert_int_equal(r->act, ACTION_REFRESH);
    assert_string_equal(r->hint, "refresh");
    r = keymap_find_scope(&km, 'R', KEYMAP_WAREHOUSE); /* the Warehouse's refresh kept R */
    assert_non_null(r);
    assert_int_equal(r->act, ACTION_REFRESH_WAREHOUSE);
    r = keymap_find_scope(&km, 'R', KEYMAP_STAGE);
    assert_true(r == NULL || r->act != ACTION_REFRESH); /* R no longer refreshes a Stage */
    const char *pk[] = {"Ctrl-P"};
    assert_int_equal(keymap_bind(&km, "promote", pk, 1, NULL), 0);
    assert_int_equal(keymap_find_scope(&km, 16, KEYMAP_FREIGHT)->act, ACTION_PROMOTE);
    assert_null(keymap_find_scope(&km, 'p', KEYMAP_FREIGHT));
    /* a key taken from another action leaves it */
    const char *g[] = {"q"};
    assert_int_equal(keymap_bind(&km, "first", g, 1, NULL), 0);
    assert_int_equal(keymap_find(&km, 'q')->action, UI_ACTION_FIRST);
    assert_null(keymap_find(&km, 'g'));
    assert_int_equal(keymap_find(&km, 'Q')->action, UI_ACTION_QUIT);
    keymap_free(&km);
    options_free(&o);
    config_free(&c);

    int key;
    assert_int_equal(keymap_parse_key("^x", &key, NULL), 0);
    assert_int_equal(key, 24);
    assert_int_equal(keymap_parse_key("C-a", &key, NULL), 0);
    assert_int_equal(key, 1);
    assert_int_equal(keymap_parse_key("F12", &key, NULL), 0);
    assert_int_equal(key, KEY_F(12));
    assert_int_equal(keymap_parse_key("pgdn", &key, NULL), 0);
    assert_int_equal(key, KEY_NPAGE);
    const char *bad[] = {"", "F13", "F0", "Ctrl-", "Ctrl-1", "ab", "\x01", "é"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(keymap_parse_key(bad[i], &key, NULL), -1);
}

static void test_options_for_terminals(void **state)
{
    (void)state;
    struct options o = {0};
    char *argv[] = {"kargotop", "--theme",  "light",   "--color", "never", "--ascii",
                    "--mouse",  "--config", "/x.yaml", "--write", NULL};
    assert_int_equal(options_parse(&o, 10, argv, NULL), 0);
    assert_string_equal(o.theme, "light");
    assert_int_equal(o.colour, OPTIONS_COLOUR_NEVER);
    assert_true(o.ascii && o.mouse && o.write);
    assert_string_equal(o.config, "/x.yaml");
    options_free(&o);
    char *bad[] = {"kargotop", "--color", "rainbow", NULL};
    char *cause = NULL;
    assert_int_equal(options_parse(&o, 3, bad, &cause), -1);
    assert_non_null(strstr(cause, "'rainbow'"));
    free(cause);
    cause = NULL;
    options_free(&o);
    char *both[] = {"kargotop", "--readonly", "--write", NULL};
    assert_int_equal(options_parse(&o, 3, both, &cause), -1);
    free(cause);
    options_free(&o);
    char *british[] = {"kargotop", "--colour", "always", NULL};
    assert_int_equal(options_parse(&o, 3, british, NULL), 0);
    assert_int_equal(o.colour, OPTIONS_COLOUR_ALWAYS);
    options_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_key),
        cmocka_unit_test(test_empty_and_defaults),
        cmocka_unit_test(test_unknown_keys_are_warnings_naming_key_and_line),
        cmocka_unit_test(test_every_problem_reported_with_its_line),
        cmocka_unit_test(test_flags_win_over_the_file),
        cmocka_unit_test(test_timeouts),
        cmocka_unit_test(test_location_follows_xdg),
        cmocka_unit_test(test_key_remaps),
        cmocka_unit_test(test_options_for_terminals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
