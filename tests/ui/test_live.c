/* The real binary in a pseudo-terminal against the simulated Kargo cluster (in this process, with
 * Kargo's controller on a fast clock and the seed scenarios): stages in graph order with their
 * colours, keys moving the selection, a promotion made through the API going Promoting then
 * Succeeded without a key press, availability marks, `/`, `:project`, resizes, hostile text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kube/api.h"
#include "kube/http.h"
#include "kube/kubeconfig.h"
#include "model/colour.h"
#include "ptyterm.h"
#include "uienv.h"
#include "sim/kargo.h"
#include "sim/sim.h"
#include "util/json.h"
#include "util/xalloc.h"

#define WAIT_MS 15000
#define GV      "kargo.akuity.io/v1alpha1"

static const char *const scenarios[] = {"backstage", "flask-app", NULL};

static int setup(void **state)
{
    /* a promotion of five steps runs for a few seconds */
    *state = uienv_start(scenarios, 3, 700, 1000);
    return *state != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    uienv_stop(*state);
    return 0;
}

static struct ptyterm *start(struct env *e, const char *project, int rows, int cols)
{
    char *argv[] = {KARGOTOP_BIN, "--kubeconfig", e->kubeconfig, "-n", (char *)project, NULL};
    struct ptyterm *t = ptyterm_spawn(argv, NULL, rows, cols);
    assert_non_null(t);
    if (!ptyterm_wait_text(t, "Freight for", WAIT_MS) || !ptyterm_wait_text(t, "live", WAIT_MS)) {
        ptyterm_dump(t, "no dashboard");
        fail();
    }
    return t;
}

#define expect(t, text)                                                                            \
    do {                                                                                           \
        if (!ptyterm_wait_text(t, text, WAIT_MS)) {                                                \
            ptyterm_dump(t, "missing: " text);                                                     \
            fail_msg("the screen never showed '%s'", text);                                        \
        }                                                                                          \
    } while (0)

/* The row (at or below min_row) holding text, or -1. */
static int row_of(struct ptyterm *t, const char *text, int min_row)
{
    for (int r = min_row; r < 60; r++) {
        char *row = ptyterm_row(t, r);
        bool hit = row != NULL && strstr(row, text) != NULL;
        free(row);
        if (hit)
            return r;
    }
    return -1;
}

/* Waits until a row at or below min_row holds both texts. */
static bool wait_row(struct ptyterm *t, const char *a, const char *b, int min_row)
{
    for (int i = 0; i < WAIT_MS / 50; i++) {
        for (int r = min_row; r < 60; r++) {
            char *row = ptyterm_row(t, r);
            bool hit = row != NULL && strstr(row, a) != NULL && strstr(row, b) != NULL;
            free(row);
            if (hit)
                return true;
        }
        ptyterm_pump(t, 50);
    }
    return false;
}

static void test_stages_in_graph_order_with_their_colours(void **state)
{
    struct env *e = *state;
    struct ptyterm *t = start(e, "flask-app", 40, 160);
    expect(t, " prod ");
    int rd, cd, rs, cs, rp, cp;
    assert_true(ptyterm_find(t, " dev ", &rd, &cd));
    assert_true(ptyterm_find(t, " staging ", &rs, &cs));
    assert_true(ptyterm_find(t, " prod ", &rp, &cp));
    assert_true(cd < cs && cs < cp);
    /* each name on its annotation's colour (flask-app: green, #DFC546, #ED204E), 256 colours */
    const char *ann[] = {"green", "#DFC546", "#ED204E"};
    int cols[] = {cd, cs, cp}, rows[] = {rd, rs, rp};
    for (int i = 0; i < 3; i++) {
        struct colour_rgb rgb;
        assert_int_equal(colour_parse(ann[i], &rgb), 0);
        VTermScreenCell cell;
        assert_true(ptyterm_cell(t, rows[i], cols[i] + 1, &cell));
        assert_true(VTERM_COLOR_IS_INDEXED(&cell.bg));
        if (cell.bg.indexed.idx != colour_nearest(rgb, COLOUR_DEPTH_256)) {
            ptyterm_dump(t, "stage colour");
            fail_msg("stage %d: background %d, want %d", i, cell.bg.indexed.idx,
                     colour_nearest(rgb, COLOUR_DEPTH_256));
        }
    }
    /* phase and current freight in every box */
    assert_true(wait_row(t, "Ready", "Ready", 0));
    uienv_quit(t);
}

static void test_keys_select_stages_and_panels_follow(void **state)
{
    struct env *e = *state;
    struct ptyterm *t = start(e, "backstage-kargo", 40, 160);
    expect(t, "Freight for dev");
    ptyterm_send(t, "l");
    expect(t, "Freight for staging");
    ptyterm_send(t, "\033[C"); /* Right arrow */
    expect(t, "Freight for production");
    ptyterm_send(t, "hh");
    expect(t, "Freight for dev");
    uienv_quit(t);
}

/* y fetches the selected object from the API (nothing is cached as JSON) and shows it as YAML;
 * Escape goes back to the dashboard. */
static void test_yaml_view_fetches_the_object(void **state)
{
    struct env *e = *state;
    struct ptyterm *t = start(e, "backstage-kargo", 40, 160);
    expect(t, "Freight for dev");
    struct sim_stats before;
    sim_stats_get(e->sim, &before);
    ptyterm_send(t, "y");
    expect(t, "stages/dev");
    expect(t, "apiVersion: kargo.akuity.io/v1alpha1");
    expect(t, "kind: Stage");
    struct sim_stats after;
    sim_stats_get(e->sim, &after);
    assert_true(after.requests[SIM_VERB_GET] > before.requests[SIM_VERB_GET]);
    ptyterm_send(t, "q");
    expect(t, "Freight for dev");
    uienv_quit(t);
}

/* The Freight currently in a Stage (the backstage warehouse's); the caller frees. */
static char *freight_in(struct env *e, const char *ns, const char *stage)
{
    struct api_ref ref = {GV, "stages", ns, stage};
    cJSON *obj = api_get(e->client, &ref, NULL);
    assert_non_null(obj);
    const char *name =
        json_get_string(cJSON_GetArrayItem(json_get(obj, "status", "freightHistory", NULL), 0),
                        "items", "Warehouse/backstage", "name", NULL);
    char *copy = xstrdup(name);
    cJSON_Delete(obj);
    return copy;
}

static const char *alias_of(struct env *e, const char *ns, const char *freight, char *buf,
                            size_t len)
{
    struct api_ref ref = {GV, "freights", ns, freight};
    cJSON *obj = api_get(e->client, &ref, NULL);
    assert_non_null(obj);
    snprintf(buf, len, "%s", json_get_string(obj, "alias", NULL));
    cJSON_Delete(obj);
    return buf;
}

static void test_api_promotion_shows_promoting_then_succeeded_live(void **state)
{
    struct env *e = *state;
    struct ptyterm *t = start(e, "backstage-kargo", 40, 160);
    ptyterm_send(t, "l\t\t"); /* staging, its promotions pane */
    expect(t, "Promotions of staging");
    char *freight = freight_in(e, "backstage-kargo", "dev");
    char alias[128];
    alias_of(e, "backstage-kargo", freight, alias, sizeof alias);
    char *body = xasprintf("{\"apiVersion\":\"" GV "\",\"kind\":\"Promotion\","
                           "\"metadata\":{\"generateName\":\"staging.\"},"
                           "\"spec\":{\"stage\":\"staging\",\"freight\":\"%s\"}}",
                           freight);
    cJSON *promo = cJSON_Parse(body);
    struct api_ref ref = {GV, "promotions", "backstage-kargo", NULL};
    struct kube_error err = {0};
    cJSON *created = api_create(e->client, &ref, promo, &err);
    if (created == NULL)
        fail_msg("create: %s", err.message);
    /* no key from here on: the watch brings every change */
    if (!wait_row(t, "Promoting", "", 0)) {
        ptyterm_dump(t, "never Promoting");
        fail();
    }
    if (!wait_row(t, "Running", alias, 10)) {
        ptyterm_dump(t, "never Running");
        fail();
    }
    if (!wait_row(t, "Succeeded", alias, 10)) {
        ptyterm_dump(t, "never Succeeded");
        fail();
    }
    /* and the staging box now runs it */
    if (!wait_row(t, alias, alias, 0)) {
        ptyterm_dump(t, "box");
        fail();
    }
    cJSON_Delete(created);
    cJSON_Delete(promo);
    free(body);
    free(freight);
    kube_error_clear(&err);
    uienv_quit(t);
}

static void test_freight_panel_marks_availability(void **state)
{
    struct env *e = *state;
    struct ptyterm *t = start(e, "backstage-kargo", 40, 160);
    ptyterm_send(t, "ll");
    expect(t, "Freight for production");
    /* what staging has verified is available to production; what only dev has is not */
    char *in_staging = freight_in(e, "backstage-kargo", "staging");
    char alias[128];
    alias_of(e, "backstage-kargo", in_staging, alias, sizeof alias);
    if (!wait_row(t, alias, "available", 10)) {
        ptyterm_dump(t, "available");
        fail();
    }
    char *in_dev = freight_in(e, "backstage-kargo", "dev");
    char dev_alias[128];
    alias_of(e, "backstage-kargo", in_dev, dev_alias, sizeof dev_alias);
    free(in_dev);
    if (!wait_row(t, dev_alias, "not verified in staging", 10)) {
        ptyterm_dump(t, "unavailable");
        fail();
    }
    free(in_staging);
    uienv_quit(t);
}

static void test_filter_and_project_switch(void **state)
{
    struct env *e = *state;
    struct ptyterm *t = start(e, "backstage-kargo", 40, 160);
    ptyterm_send(t, "L");
    expect(t, "Stages (list)");
    ptyterm_send(t, "/prod");
    expect(t, "/prod (1)");
    ptyterm_send(t, "\r");
    expect(t, "Freight for production");
    assert_int_equal(row_of(t, "dev (auto)", 0), -1);
    ptyterm_send(t, "\033");
    expect(t, "dev (auto)");
    ptyterm_send(t, ":project fl\t");
    expect(t, ":project flask-app");
    ptyterm_send(t, "\r");
    expect(t, "project: flask-app");
    expect(t, "prod");
    uienv_quit(t);
}

static void test_resize_keeps_the_selection(void **state)
{
    struct env *e = *state;
    struct ptyterm *t = start(e, "backstage-kargo", 40, 160);
    ptyterm_send(t, "ll");
    expect(t, "Freight for production");
    ptyterm_resize(t, 24, 80);
    expect(t, "Freight for production");
    /* drawn for 80x24, not what the terminal kept of the wide frame: the footer on row 23 */
    int row = -1;
    for (int i = 0; i < WAIT_MS / 50 && row != 23; i++) {
        if (!ptyterm_find(t, "q quit", &row, NULL))
            row = -1;
        if (row != 23)
            ptyterm_pump(t, 50);
    }
    assert_int_equal(row, 23);
    expect(t, "Freight for production");
    ptyterm_resize(t, 20, 70);
    expect(t, "needs 80x24");
    ptyterm_resize(t, 40, 160);
    expect(t, "Freight for production");
    uienv_quit(t);
}

static void test_hostile_annotation_is_harmless(void **state)
{
    struct env *e = *state;
    const char *patch = "{\"metadata\":{\"annotations\":{\"kargo.akuity.io/description\":"
                        "\"evil \\u001b]52;c;aGk=\\u0007 and \\u001b[2J end\"}}}";
    struct api_ref ref = {GV, "stages", "backstage-kargo", "dev"};
    struct kube_error err = {0};
    cJSON *r = api_merge_patch(e->client, &ref, NULL, patch, &err);
    if (r == NULL)
        fail_msg("patch: %s", err.message);
    cJSON_Delete(r);
    struct ptyterm *t = start(e, "backstage-kargo", 40, 160);
    ptyterm_send(t, "\r");
    expect(t, "evil \u241b]52;c;aGk=\u2407 and \u241b[2J end");
    /* the screen was not cleared: the frame is still there */
    int row;
    assert_true(ptyterm_find(t, "kargotop", &row, NULL));
    assert_int_equal(row, 0);
    uienv_quit(t);
}

static void test_without_a_project_the_list_opens_and_ctx_switches(void **state)
{
    struct env *e = *state;
    /* the sim's contexts have no Kargo project as their namespace: the project list it is */
    char *argv[] = {KARGOTOP_BIN, "--kubeconfig", e->kubeconfig, NULL};
    struct ptyterm *t = ptyterm_spawn(argv, NULL, 40, 160);
    assert_non_null(t);
    expect(t, "Projects (Enter opens)");
    expect(t, "flask-app");
    ptyterm_send(t, "/flask\r\r");
    expect(t, "project: flask-app");
    expect(t, "Freight for dev");
    ptyterm_send(t, ":ctx vi\t");
    expect(t, ":ctx viewer");
    ptyterm_send(t, "\r");
    expect(t, "ctx: viewer");
    expect(t, "Projects (Enter opens)"); /* a new connection starts from its own namespace */
    ptyterm_send(t, ":project backstage-kargo\r");
    expect(t, "Freight for dev");
    ptyterm_send(t, ":ctx nosuch\r");
    expect(t, "nosuch");
    expect(t, "ctx: viewer"); /* the connection stays */
    uienv_quit(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stages_in_graph_order_with_their_colours),
        cmocka_unit_test(test_keys_select_stages_and_panels_follow),
        cmocka_unit_test(test_yaml_view_fetches_the_object),
        /* before the promotion test, which makes everything available to production */
        cmocka_unit_test(test_freight_panel_marks_availability),
        cmocka_unit_test(test_api_promotion_shows_promoting_then_succeeded_live),
        cmocka_unit_test(test_filter_and_project_switch),
        cmocka_unit_test(test_resize_keeps_the_selection),
        cmocka_unit_test(test_hostile_annotation_is_harmless),
        cmocka_unit_test(test_without_a_project_the_list_opens_and_ctx_switches),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
