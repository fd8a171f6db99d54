/* The dashboard screen on a headless curses screen, fed from fixture stores built like the
 * backstage seed (dev -> staging -> production, one image warehouse): what the pipeline, the
 * freight and promotions panes, details, lists, filter and commands show, and how keys move. */
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

#include "model/colour.h"
#include "model/store.h"
#include "ui/screen.h"
#include "ui/source.h"
#include "util/json.h"
#include "util/xalloc.h"
#include "yaml_json.h"

/* 2026-01-01T00:00:00Z: the fixture's times are minutes before it */
#define NOW 1767225600

struct fake {
    struct store *stores[2];
    const char *names[2];
    int open; /* index of the open project, -1 for none */
    cJSON *objects;
    struct source_status status;
    int opened; /* open_project calls */
};

static struct store *fake_store(void *ctx)
{
    struct fake *f = ctx;
    return f->open >= 0 ? f->stores[f->open] : NULL;
}

static void fake_status(void *ctx, struct source_status *out)
{
    struct fake *f = ctx;
    *out = f->status;
    snprintf(out->context, sizeof out->context, "kind-kargo");
    snprintf(out->cluster, sizeof out->cluster, "kind");
    snprintf(out->project, sizeof out->project, "%s", f->open >= 0 ? f->names[f->open] : "");
}

static char **fake_projects(void *ctx, size_t *n)
{
    struct fake *f = ctx;
    char **v = xcalloc(3, sizeof *v);
    v[0] = xstrdup(f->names[0]);
    v[1] = xstrdup(f->names[1]);
    *n = 2;
    return v;
}

static int fake_open(void *ctx, const char *name, char **cause)
{
    struct fake *f = ctx;
    for (int i = 0; i < 2; i++)
        if (strcmp(f->names[i], name) == 0) {
            f->open = i;
            f->opened++;
            return 0;
        }
    cause_set(cause, "no project '%s'", name);
    return -1;
}

static cJSON *fake_object(void *ctx, enum kargo_kind kind, const char *name)
{
    struct fake *f = ctx;
    (void)kind;
    const cJSON *item;
    cJSON_ArrayForEach(item, json_get(f->objects, "items", NULL))
    {
        const char *n = json_get_string(item, "metadata", "name", (char *)NULL);
        if (n != NULL && strcmp(n, name) == 0)
            return cJSON_Duplicate(item, 1);
    }
    return NULL;
}

static struct fake fake;
static struct ui_source source = {
    .ctx = &fake,
    .store = fake_store,
    .status = fake_status,
    .projects = fake_projects,
    .open_project = fake_open,
    .object = fake_object,
};
static SCREEN *term;
static FILE *out, *in;

static int setup(void **state)
{
    (void)state;
    setlocale(LC_ALL, "C.UTF-8");
    out = fopen("/dev/null", "w");
    in = fopen("/dev/null", "r");
    term = newterm("xterm-256color", out, in);
    if (term == NULL)
        return -1;
    start_color();
    use_default_colors();
    char *cause = NULL;
    char *path = xasprintf("%s/tests/ui/fixtures/backstage.json", KT_SOURCE_DIR);
    fake.objects = json_file_load(path, &cause);
    free(path);
    if (fake.objects == NULL) {
        fprintf(stderr, "%s\n", cause);
        return -1;
    }
    fake.names[0] = "backstage-kargo";
    fake.names[1] = "other";
    fake.stores[0] = store_new("backstage-kargo");
    fake.stores[1] = store_new("other");
    if (fixture_apply_all(fake.stores[0], json_get(fake.objects, "items", NULL)) != 17)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    endwin();
    delscreen(term);
    fclose(out);
    fclose(in);
    store_free(fake.stores[0]);
    store_free(fake.stores[1]);
    cJSON_Delete(fake.objects);
    return 0;
}

/* A fresh screen on the backstage project, rows x cols. */
static struct screen *open_screen(int rows, int cols)
{
    resize_term(rows, cols);
    fake.open = 0;
    fake.opened = 0;
    memset(&fake.status, 0, sizeof fake.status);
    for (int k = 0; k < KARGO_KIND_COUNT; k++)
        fake.status.watch[k].conn = SOURCE_LIVE;
    struct screen_opts o = {.colour = true, .utf8 = true};
    struct screen *s = screen_new(&source, &o, NULL);
    screen_draw(s, NOW);
    return s;
}

static void keys(struct screen *s, const char *k)
{
    for (; *k; k++)
        screen_key(s, (unsigned char)*k, false);
    screen_draw(s, NOW);
}

static void keycode(struct screen *s, int key)
{
    screen_key(s, key, true);
    screen_draw(s, NOW);
}

/* Row y of stdscr as UTF-8, trailing blanks trimmed. */
static char *row_text(int y)
{
    static char buf[2048];
    size_t o = 0;
    for (int x = 0; x < COLS; x++) {
        cchar_t c;
        wchar_t wch[CCHARW_MAX + 1];
        attr_t a;
        short pair;
        mvwin_wch(stdscr, y, x, &c);
        getcchar(&c, wch, &a, &pair, NULL);
        if (wch[0] == 0)
            continue;
        if (wcwidth(wch[0]) > 1)
            x += wcwidth(wch[0]) - 1;
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

/* Finds text on the screen; its row and the column of its first byte's cell (ASCII text). */
static bool find(const char *text, int *row, int *col)
{
    for (int y = 0; y < LINES; y++) {
        const char *r = row_text(y);
        const char *hit = strstr(r, text);
        if (hit != NULL) {
            if (row)
                *row = y;
            if (col) {
                /* count cells up to the hit */
                char *prefix = xstrndup(r, (size_t)(hit - r));
                wchar_t w[2048];
                size_t n = mbstowcs(w, prefix, 2048);
                *col = n == (size_t)-1 ? 0 : wcswidth(w, n);
                free(prefix);
            }
            return true;
        }
    }
    return false;
}

/* The first row at or below min_row holding text (the panes sit below the pipeline). */
static bool find_below(const char *text, int min_row, int *row)
{
    for (int y = min_row; y < LINES; y++)
        if (strstr(row_text(y), text) != NULL) {
            *row = y;
            return true;
        }
    return false;
}

static void dump(const char *why)
{
    fprintf(stderr, "--- %s\n", why);
    for (int y = 0; y < LINES; y++)
        fprintf(stderr, "%2d|%s\n", y, row_text(y));
}

#define assert_shows(text)                                                                         \
    do {                                                                                           \
        if (!find(text, NULL, NULL)) {                                                             \
            dump("missing: " text);                                                                \
            fail_msg("the screen does not show '%s'", text);                                       \
        }                                                                                          \
    } while (0)
#define assert_hides(text)                                                                         \
    do {                                                                                           \
        if (find(text, NULL, NULL)) {                                                              \
            dump("unexpected: " text);                                                             \
            fail_msg("the screen shows '%s'", text);                                               \
        }                                                                                          \
    } while (0)

static void cell_colours(int y, int x, short *fg, short *bg)
{
    cchar_t c;
    wchar_t wch[CCHARW_MAX + 1];
    attr_t a;
    short pair;
    mvwin_wch(stdscr, y, x, &c);
    getcchar(&c, wch, &a, &pair, NULL);
    pair_content(pair, fg, bg);
}

static void test_pipeline_shows_every_stage_in_graph_order_with_its_colour(void **state)
{
    (void)state;
    struct screen *s = open_screen(40, 160);
    int wy, wx, dy, dx, sy, sx, py, px;
    assert_true(find(" backstage ", &wy, &wx)); /* the warehouse as the source */
    assert_true(find(" dev ", &dy, &dx));
    assert_true(find(" staging ", &sy, &sx));
    assert_true(find(" production ", &py, &px));
    assert_true(wx < dx && dx < sx && sx < px); /* left to right along the pipeline */
    assert_int_equal(dy, sy);
    assert_int_equal(sy, py);

    /* the name's background is the Stage's colour at 256 colours, as the annotation says */
    struct colour_rgb rgb;
    const char *names[] = {"dev", "staging", "production"};
    const char *colours[] = {"lime", "amber", "red"};
    int xs[] = {dx, sx, px};
    for (int i = 0; i < 3; i++) {
        short fg, bg;
        cell_colours(dy, xs[i] + 1, &fg, &bg);
        assert_int_equal(colour_parse(colours[i], &rgb), 0); /* a palette name */
        int want = colour_nearest(colour_palette_rgb((size_t)colour_palette_index(colours[i])),
                                  COLOUR_DEPTH_256);
        if (bg != want)
            fail_msg("%s: background %d, want %d", names[i], bg, want);
    }
    /* phase, health, current freight alias, main artifact */
    assert_shows("Verifying");
    assert_shows("Promoting step 2/5");
    assert_shows("Healthy");
    assert_shows("Progressing");
    assert_shows("dizzy-lynx");
    assert_shows("0.6.2");
    assert_shows("calm-heron");
    assert_shows("brave-otter");
    assert_shows("auto"); /* dev auto-promotes */
    /* three edges, each with its arrowhead: warehouse -> dev -> staging -> production */
    int arrows = 0;
    for (int y = 0; y < LINES; y++)
        for (const char *r = row_text(y); (r = strstr(r, "\u25b6")) != NULL; r++)
            arrows++;
    assert_int_equal(arrows, 3);
    screen_free(s);
}

static void test_keys_move_between_boxes_and_panels_follow(void **state)
{
    (void)state;
    struct screen *s = open_screen(40, 160);
    assert_shows("Freight for dev");
    keys(s, "l");
    assert_shows("Freight for staging");
    keycode(s, KEY_RIGHT);
    assert_shows("Freight for production");
    keys(s, "l"); /* nothing further right: stays */
    assert_shows("Freight for production");
    keys(s, "hh");
    assert_shows("Freight for dev");
    keys(s, "h");
    assert_shows("Freight for backstage");
    keys(s, "G");
    assert_shows("Freight for production");
    keys(s, "g");
    assert_shows("Freight for dev");
    screen_free(s);
}

static void test_freight_panel_marks_availability_and_why(void **state)
{
    (void)state;
    struct screen *s = open_screen(40, 160);
    keys(s, "ll"); /* production: requests from staging with a 1h soak */
    int y = 0;
    assert_true(find_below("calm-heron", 8, &y));
    if (strstr(row_text(y), "needs 30m more soak in staging") == NULL) {
        dump("calm-heron");
        fail();
    }
    assert_true(find_below("dizzy-lynx", 8, &y)); /* approved for production */
    assert_non_null(strstr(row_text(y), "available"));
    /* newest first */
    int y1 = 0, y2 = 0, y3 = 0;
    assert_true(find_below("dizzy-lynx", 8, &y1));
    assert_true(find_below("calm-heron", 8, &y2));
    assert_true(find_below("old-fox", 8, &y3));
    assert_true(y1 < y2 && y2 < y3);
    keys(s, "h"); /* staging: dizzy-lynx is still verifying in dev */
    assert_true(find_below("dizzy-lynx", 8, &y));
    if (strstr(row_text(y), "not verified in dev") == NULL) {
        dump("dizzy-lynx for staging");
        fail();
    }
    /* where each Freight is: ● in a Stage */
    assert_true(find_below("calm-heron", 8, &y));
    assert_non_null(strstr(row_text(y), "\u25cfstaging"));
    screen_free(s);
}

static void test_promotions_panel_newest_first_with_step_and_actor(void **state)
{
    (void)state;
    struct screen *s = open_screen(40, 160);
    keys(s, "ll\t\t"); /* production, then the promotions pane */
    assert_shows("Promotions of production");
    int y1 = 0, y2 = 0;
    assert_true(find_below("Running", 8, &y1));
    assert_non_null(strstr(row_text(y1), "2/5"));
    if (strstr(row_text(y1), "alice@example.com") == NULL) {
        dump("actor");
        fail();
    }
    assert_true(find("bob@example.com", &y2, NULL));
    assert_true(y1 < y2);
    /* the project's promotions in the full list */
    keys(s, ":promotions\r");
    assert_shows("Promotions of backstage-kargo");
    assert_shows("Failed");
    assert_shows("kargo (auto-promotion)");
    screen_free(s);
}

static void test_details_of_stage_freight_and_promotion(void **state)
{
    (void)state;
    struct screen *s = open_screen(40, 160);
    keys(s, "ll\r");
    assert_shows("Stage production");
    assert_shows("Freight history");
    assert_shows("old-fox"); /* the earlier freight, with when it was promoted */
    assert_shows("Conditions");
    assert_shows("ActivePromotion");
    keys(s, "\033");
    assert_hides("Freight history");
    keys(s, "\t\r"); /* the freight pane, the newest freight */
    assert_shows("Freight 4d4d");
    assert_shows("sha256:4444");
    assert_shows("Approved for");
    /* a filter and Enter in one batch of keys (no frame between): the filtered row opens */
    keys(s, "\033/calm\r\r");
    assert_shows("Freight 3c3c");
    keys(s, "\033\033"); /* details closed, filter cleared: the selection stays on it */
    assert_hides("/calm");
    keys(s, "\r");
    assert_shows("Freight 3c3c");
    keys(s, "\033\t\r"); /* the promotions pane */
    assert_shows("update-image");
    assert_shows("Running");
    assert_shows("kustomize-set-image");
    screen_free(s);
}

static void test_hostile_annotation_is_shown_harmlessly(void **state)
{
    (void)state;
    struct screen *s = open_screen(40, 160);
    keys(s, "l\r");
    /* ESC and BEL as visible control pictures, and nothing of them reaches a cell */
    assert_shows("Staging \u241b]52;c;aGVsbG8=\u2407 check \u241b[2J done");
    for (int y = 0; y < LINES; y++)
        assert_null(strchr(row_text(y), '\033'));
    screen_free(s);
}

static void test_list_form_filter_and_toggle_keep_the_selection(void **state)
{
    (void)state;
    struct screen *s = open_screen(40, 160);
    keys(s, "l"); /* staging */
    keys(s, "L");
    assert_shows("Stages (list)");
    assert_shows("PROMOTED");
    int y = 0;
    assert_true(find("Freight for staging", &y, NULL)); /* the selection crossed over */
    keys(s, "/prod");
    assert_shows("/prod (1)");
    assert_hides(" dev (auto)");
    assert_shows("Freight for production");
    keys(s, "\r");   /* closes the prompt, the filter stays */
    keys(s, "\033"); /* Esc clears it */
    assert_shows("dev (auto)");
    keys(s, "L");
    assert_shows("Pipeline");
    assert_shows("Freight for production");
    screen_free(s);
}

static void test_commands_complete_and_switch_projects(void **state)
{
    (void)state;
    struct screen *s = open_screen(40, 160);
    keys(s, ":ev\t");
    assert_shows(":events");
    keys(s, "\r");
    assert_shows("Events of backstage-kargo");
    assert_shows("PromotionFailed");
    keys(s, ":project ot\t");
    assert_shows(":project other");
    keys(s, "\r");
    assert_int_equal(fake.opened, 1);
    assert_shows("project: other");
    assert_shows("No stages or warehouses");
    keys(s, ":projects\r");
    assert_shows("backstage-kargo");
    keys(s, "k\r"); /* Enter on a project opens it */
    assert_shows("project: backstage-kargo");
    assert_int_equal(fake.opened, 2);
    keys(s, "ll:project backstage-kargo\r"); /* the open one stays as it is */
    assert_int_equal(fake.opened, 2);
    assert_shows("Freight for production");
    keys(s, ":nonsense\r");
    assert_shows("unknown command 'nonsense'");
    keys(s, ":q\r");
    assert_true(screen_quit(s));
    screen_free(s);
}

static void test_stale_watch_says_since_when(void **state)
{
    (void)state;
    struct screen *s = open_screen(40, 160);
    fake.status.watch[KARGO_STAGE].conn = SOURCE_RETRYING;
    fake.status.watch[KARGO_STAGE].retry_in_s = 4;
    fake.status.watch[KARGO_STAGE].stale_since = NOW - 60;
    screen_draw(s, NOW);
    assert_shows("stale since");
    assert_shows("reconnecting in 4s");
    assert_int_equal(screen_tick_at(s), NOW + 1); /* the countdown moves without an event */
    fake.status.watch[KARGO_STAGE].conn = SOURCE_LIVE;
    fake.status.watch[KARGO_STAGE].stale_since = 0;
    screen_draw(s, NOW);
    assert_hides("stale since");
    assert_shows("live");
    /* live, absolute ages: nothing on screen changes before midnight */
    assert_true(screen_tick_at(s) > NOW + 60);
    /* RBAC denies the freight: the top bar and the freight pane say so */
    fake.status.watch[KARGO_FREIGHT].conn = SOURCE_FORBIDDEN;
    screen_draw(s, NOW);
    assert_shows("forbidden");
    assert_hides("live");
    fake.status.watch[KARGO_FREIGHT].conn = SOURCE_LIVE;
    screen_free(s);
}

static void test_small_sizes_and_resize_keep_the_selection(void **state)
{
    (void)state;
    struct screen *s = open_screen(40, 160);
    keys(s, "ll");
    resize_term(24, 80);
    screen_draw(s, NOW);
    assert_shows("Freight for production"); /* compact boxes, same selection */
    assert_shows("production");
    assert_shows("staging");
    resize_term(23, 80);
    screen_draw(s, NOW);
    assert_shows("needs 80x24");
    assert_shows("this terminal is 80x23");
    resize_term(1, 1);
    screen_draw(s, NOW);
    resize_term(40, 160);
    screen_draw(s, NOW);
    assert_shows("Freight for production");
    assert_shows("Promoting step 2/5");
    screen_free(s);
}

static void test_help_comes_from_the_keymap_and_yaml_opens(void **state)
{
    (void)state;
    struct screen *s = open_screen(24, 80);
    keys(s, "?");
    assert_shows(" Keys ");
    assert_shows("Ctrl-L   redraw the screen");
    assert_shows("details of the selection");
    keys(s, "?");
    assert_hides(" Keys ");
    keys(s, "y");
    assert_shows("stages/dev");
    assert_shows("kargo.akuity.io/color: lime");
    keys(s, "q"); /* q leaves the YAML view, not the program */
    assert_false(screen_quit(s));
    assert_hides("stages/dev");
    screen_free(s);
}

static void test_without_a_project_the_list_is_where_it_starts(void **state)
{
    (void)state;
    struct screen *s = open_screen(24, 80);
    fake.open = -1;
    screen_draw(s, NOW);
    assert_shows("Projects (Enter opens)");
    assert_shows("backstage-kargo");
    keys(s, "j\r");
    assert_int_equal(fake.open, 1);
    assert_shows("project: other");
    assert_hides("Projects (Enter opens)");
    screen_free(s);
}

/* A source that may act: access answers the test sets, requests counted. */
static enum action_access approve_access = ACTION_ACCESS_UNKNOWN;
static int n_acted;
static struct action_request acted; /* the last request: its flags (strings copied below) */
static char acted_stage[64], acted_freight[64];

static enum action_access fake_access(void *ctx, enum action_id id, const char *stage, char *reason,
                                      size_t len)
{
    (void)ctx;
    (void)stage;
    if (len > 0)
        reason[0] = '\0';
    return id == ACTION_APPROVE ? approve_access : ACTION_ACCESS_ALLOWED;
}

static unsigned long fake_act(void *ctx, const struct action_request *req, char **cause)
{
    (void)ctx;
    (void)cause;
    acted = *req;
    snprintf(acted_stage, sizeof acted_stage, "%s", req->n_targets > 0 ? req->stages[0] : "");
    snprintf(acted_freight, sizeof acted_freight, "%s", req->n_targets > 0 ? req->freights[0] : "");
    return (unsigned long)++n_acted;
}

/* A promotion's confirmation opened before the cluster said whether the user may approve: it
 * says so and offers no approval; once the answer is in, the next frame (no key) offers it, and
 * `a` sends one request approving first; later frames send nothing more. */
static void test_confirmation_follows_a_late_approve_answer(void **state)
{
    (void)state;
    struct ui_source acting = source;
    acting.access = fake_access;
    acting.act = fake_act;
    approve_access = ACTION_ACCESS_UNKNOWN;
    n_acted = 0;
    resize_term(40, 160);
    fake.open = 0;
    for (int k = 0; k < KARGO_KIND_COUNT; k++)
        fake.status.watch[k].conn = SOURCE_LIVE;
    struct screen_opts o = {.colour = true, .utf8 = true};
    struct screen *s = screen_new(&acting, &o, NULL);
    screen_draw(s, NOW);
    keys(s, "l\t/dizzy\r"); /* staging; dizzy-lynx is still verifying in dev */
    keys(s, "p");
    assert_shows("Promote to staging");
    assert_shows("approving it first is not offered: the cluster has not said yet");
    assert_hides("a: approve first");
    keys(s, "a"); /* not offered: nothing happens */
    assert_int_equal(n_acted, 0);
    assert_shows("Promote to staging");

    approve_access = ACTION_ACCESS_ALLOWED;
    screen_draw(s, NOW); /* the wake-up the answer brings */
    assert_shows("approving it first makes it available");
    assert_shows("a: approve first, then promote");
    assert_hides("has not said yet");
    keys(s, "a");
    assert_int_equal(n_acted, 1);
    assert_true(acted.approve_first);
    assert_int_equal(acted.n_targets, 1);
    assert_string_equal(acted_stage, "staging");
    assert_string_equal(acted_freight, "4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d");
    assert_hides("Promote to staging");
    approve_access = ACTION_ACCESS_DENIED;
    screen_draw(s, NOW);
    screen_draw(s, NOW);
    assert_int_equal(n_acted, 1); /* what was confirmed is never sent again */
    screen_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pipeline_shows_every_stage_in_graph_order_with_its_colour),
        cmocka_unit_test(test_keys_move_between_boxes_and_panels_follow),
        cmocka_unit_test(test_freight_panel_marks_availability_and_why),
        cmocka_unit_test(test_promotions_panel_newest_first_with_step_and_actor),
        cmocka_unit_test(test_details_of_stage_freight_and_promotion),
        cmocka_unit_test(test_hostile_annotation_is_shown_harmlessly),
        cmocka_unit_test(test_list_form_filter_and_toggle_keep_the_selection),
        cmocka_unit_test(test_commands_complete_and_switch_projects),
        cmocka_unit_test(test_stale_watch_says_since_when),
        cmocka_unit_test(test_small_sizes_and_resize_keep_the_selection),
        cmocka_unit_test(test_help_comes_from_the_keymap_and_yaml_opens),
        cmocka_unit_test(test_without_a_project_the_list_is_where_it_starts),
        cmocka_unit_test(test_confirmation_follows_a_late_approve_answer),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
