/* Action keys end to end: the real binary in a pseudo-terminal against the simulated Kargo
 * cluster (in this process, controller on a real-time clock), then the cluster's state read over
 * HTTP: p creates a Promotion with the right stage and freight and the screen shows it succeed;
 * r rolls production back and sets a hold; a approves; A aborts; R's token is handled; the
 * promoter sees abort and refresh dimmed, the viewer every write key; --readonly writes nothing;
 * a batch over 4 marked stages makes 4 Promotions; n and Esc cancel with nothing written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kube/api.h"
#include "kube/http.h"
#include "kube/kubeconfig.h"
#include "ptyterm.h"
#include "uienv.h"
#include "sim/kargo.h"
#include "sim/sim.h"
#include "util/json.h"
#include "util/xalloc.h"

#define WAIT_MS 30000
#define GV      "kargo.akuity.io/v1alpha1"
#define ROWS    50
#define COLS    170

static const char *const scenarios[] = {"backstage", "microsvcs", NULL};

static int setup_with(void **state, int verify_ms)
{
    /* a promotion of five steps runs for several seconds */
    *state = uienv_start(scenarios, 5, 1500, verify_ms);
    return *state != NULL ? 0 : -1;
}

static int setup(void **state)
{
    return setup_with(state, 2000);
}

/* Verifications that run long enough for a key to abort one, even on a loaded machine. */
static int setup_slow_verification(void **state)
{
    return setup_with(state, 60000);
}

/* myapp (uat is there) and a user "ursula" of the token file, with no role yet. */
static int setup_ursula(void **state)
{
    static const char *const myapp[] = {"myapp", NULL};
    *state = uienv_start_users(myapp, 5, 1500, 2000,
                               "ursula-token-7f3a9c1e5b,ursula,2001,\"release,qa\"\n");
    return *state != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    uienv_stop(*state);
    return 0;
}

/* extra: one more option ("--readonly", "--ascii") or NULL. */
static struct ptyterm *start_with(struct env *e, const char *context, const char *project,
                                  const char *extra)
{
    char *argv[] = {KARGOTOP_BIN, "--kubeconfig",  e->kubeconfig, "--context", (char *)context,
                    "-n",         (char *)project, (char *)extra, NULL};
    struct ptyterm *t = ptyterm_spawn(argv, NULL, ROWS, COLS);
    assert_non_null(t);
    if (!ptyterm_wait_text(t, "Freight for", WAIT_MS) || !ptyterm_wait_text(t, "live", WAIT_MS)) {
        ptyterm_dump(t, "no dashboard");
        fail();
    }
    return t;
}

static struct ptyterm *start_as(struct env *e, const char *context, const char *project,
                                bool readonly)
{
    return start_with(e, context, project, readonly ? "--readonly" : NULL);
}

#define expect(t, text)                                                                            \
    do {                                                                                           \
        if (!ptyterm_wait_text(t, text, WAIT_MS)) {                                                \
            ptyterm_dump(t, "missing: " text);                                                     \
            fail_msg("the screen never showed '%s'", text);                                        \
        }                                                                                          \
    } while (0)

static long long ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until a row holds both texts. */
static bool wait_row(struct ptyterm *t, const char *a, const char *b)
{
    for (long long end = ms_now() + WAIT_MS; ms_now() < end;) {
        for (int r = 0; r < ROWS; r++) {
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

/* The message line (the last row); the caller frees. */
static __attribute__((unused)) char *footer(struct ptyterm *t)
{
    return ptyterm_row(t, ROWS - 1);
}

static cJSON *get(struct env *e, const char *ns, const char *plural, const char *name)
{
    struct api_ref ref = {GV, plural, ns, name};
    struct kube_error err = {0};
    cJSON *o = api_get(e->client, &ref, &err);
    if (o == NULL)
        fail_msg("GET %s/%s: %s", plural, name, err.message);
    return o;
}

/* The Promotions of the namespace (a List). */
static cJSON *promotions(struct env *e, const char *ns)
{
    struct api_ref ref = {GV, "promotions", ns, NULL};
    cJSON *l = api_list(e->client, &ref, NULL, NULL, NULL);
    assert_non_null(l);
    return l;
}

/* Promotions a user made (auto-promotions carry no create-actor): what keys could have written. */
static int count_promotions(struct env *e, const char *ns)
{
    cJSON *l = promotions(e, ns);
    int n = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(l, "items"))
    {
        n += json_get_string(p, "metadata", "annotations", "kargo.akuity.io/create-actor",
                             (char *)NULL) != NULL;
    }
    cJSON_Delete(l);
    return n;
}

/* The Freight of the Stage's first origin now current; the caller frees. */
static char *freight_in(struct env *e, const char *ns, const char *stage, const char *origin)
{
    cJSON *s = get(e, ns, "stages", stage);
    const char *f = json_get_string(
        cJSON_GetArrayItem(json_get(s, "status", "freightHistory", (char *)NULL), 0), "items",
        origin, "name", (char *)NULL);
    char *copy = f != NULL ? xstrdup(f) : NULL;
    cJSON_Delete(s);
    return copy;
}

/* The name of the Freight with alias in ns; the caller frees. */
static char *freight_by_alias(struct env *e, const char *ns, const char *alias)
{
    struct api_ref ref = {GV, "freights", ns, NULL};
    char *sel = xasprintf("kargo.akuity.io/alias=%s", alias);
    cJSON *l = api_list(e->client, &ref, sel, NULL, NULL);
    free(sel);
    cJSON *it = cJSON_GetArrayItem(cJSON_GetObjectItem(l, "items"), 0);
    char *name = it != NULL ? xstrdup(json_get_string(it, "metadata", "name", (char *)NULL)) : NULL;
    cJSON_Delete(l);
    return name;
}

/* The word after `prefix` on the screen (up to a space, ',' or ')'); the caller frees. */
static char *word_after(struct ptyterm *t, const char *prefix)
{
    for (int r = 0; r < ROWS; r++) {
        char *row = ptyterm_row(t, r);
        char *at = row != NULL ? strstr(row, prefix) : NULL;
        if (at != NULL) {
            at += strlen(prefix);
            size_t n = strcspn(at, " ,)");
            char *w = xstrndup(at, n);
            free(row);
            return w;
        }
        free(row);
    }
    return NULL;
}

static cJSON *patch(struct env *e, const char *ns, const char *plural, const char *name,
                    const char *body)
{
    struct api_ref ref = {GV, plural, ns, name};
    struct kube_error err = {0};
    cJSON *o = api_merge_patch(e->client, &ref, NULL, body, &err);
    if (o == NULL)
        fail_msg("PATCH %s/%s: %s", plural, name, err.message);
    return o;
}

static struct ptyterm *start(struct env *e, const char *project)
{
    return start_as(e, "admin", project, false);
}

/* An annotation of a Stage, or "" (allocated). */
static char *stage_annotation(struct env *e, const char *ns, const char *stage, const char *key)
{
    cJSON *s = get(e, ns, "stages", stage);
    const char *v = json_get_string(s, "metadata", "annotations", key, (char *)NULL);
    char *copy = xstrdup(v != NULL ? v : "");
    cJSON_Delete(s);
    return copy;
}

/* The column of text in the last row, or -1. */
static int footer_col(struct ptyterm *t, const char *text)
{
    char *row = ptyterm_row(t, ROWS - 1);
    char *at = row != NULL ? strstr(row, text) : NULL;
    int col = at != NULL ? (int)(at - row) : -1;
    free(row);
    return col;
}

/* Is the footer's key `key` (followed by its hint word) drawn like the dim hint words? */
static bool key_dimmed(struct ptyterm *t, const char *key_and_hint)
{
    int c = footer_col(t, key_and_hint);
    if (c < 0)
        return false;
    VTermScreenCell k, w;
    assert_true(ptyterm_cell(t, ROWS - 1, c, &k));
    assert_true(ptyterm_cell(t, ROWS - 1, c + (int)strcspn(key_and_hint, " ") + 1, &w));
    return vterm_color_is_equal(&k.fg, &w.fg) && k.attrs.bold == w.attrs.bold &&
           k.attrs.reverse == w.attrs.reverse;
}

/* Waits until key_and_hint is in the footer and dimmed (want) or not. */
static bool wait_dimmed(struct ptyterm *t, const char *key_and_hint, bool want)
{
    for (long long end = ms_now() + WAIT_MS; ms_now() < end;) {
        if (footer_col(t, key_and_hint) >= 0 && key_dimmed(t, key_and_hint) == want)
            return true;
        ptyterm_pump(t, 50);
    }
    return false;
}

#define expect_dimmed(t, kh, want)                                                                 \
    do {                                                                                           \
        if (!wait_dimmed(t, kh, want)) {                                                           \
            ptyterm_dump(t, "dimming: " kh);                                                       \
            fail_msg("'%s' never became %s", kh, (want) ? "dimmed" : "usable");                    \
        }                                                                                          \
    } while (0)

/* Presses key until the screen shows text: a dimmed key may still be waiting for the cluster's
 * answer (then it says "checking" and does nothing), so the refusal comes once the answer is in. */
static void press_until(struct ptyterm *t, const char *key, const char *text)
{
    for (long long end = ms_now() + WAIT_MS; ms_now() < end;) {
        ptyterm_send(t, key);
        if (ptyterm_wait_text(t, text, 500))
            return;
        ptyterm_send(t, "\014"); /* clears the message */
    }
    ptyterm_dump(t, "press_until");
    fail_msg("'%s' never led to '%s'", key, text);
}

/* ---- the user's steps ---------------------------------------------------------------------- */

/* Waits until the action key of key_and_hint ("R refresh") is offered and usable, presses it and
 * waits for its dialog (title). */
static void open_action(struct ptyterm *t, const char *key_and_hint, const char *title)
{
    if (!wait_dimmed(t, key_and_hint, false)) {
        ptyterm_dump(t, key_and_hint);
        fail_msg("'%s' is never offered", key_and_hint);
    }
    char key[2] = {key_and_hint[0], '\0'};
    ptyterm_send(t, key);
    if (!ptyterm_wait_text(t, title, WAIT_MS)) {
        ptyterm_dump(t, title);
        fail_msg("'%s' never opened '%s'", key, title);
    }
}

/* Confirms the open dialog with y, or by typing typed and Enter, and waits for the answer. */
static void confirm_with(struct ptyterm *t, const char *typed, const char *answer)
{
    if (typed == NULL) {
        ptyterm_send(t, "y");
    } else {
        ptyterm_send(t, typed);
        ptyterm_send(t, "\r");
    }
    if (!ptyterm_wait_text(t, answer, WAIT_MS)) {
        ptyterm_dump(t, answer);
        fail_msg("confirming never showed '%s'", answer);
    }
}

/* What the cluster should come to, read as admin: an object and a value. */
struct want {
    const char *ns, *name, *value;
};

/* Reads the cluster until check holds (meanwhile the screen keeps being read), or fails with
 * what. */
static void wait_cluster(struct env *e, struct ptyterm *t,
                         bool (*check)(struct env *e, const struct want *w), const struct want *w,
                         const char *what)
{
    for (long long end = ms_now() + 2 * WAIT_MS; !check(e, w);) {
        if (ms_now() > end) {
            if (t != NULL)
                ptyterm_dump(t, what);
            fail_msg("the cluster never came to this: %s", what);
        }
        if (t != NULL) {
            ptyterm_pump(t, 200);
        } else {
            struct timespec ts = {0, 50 * 1000000};
            nanosleep(&ts, NULL);
        }
    }
}

/* A field of the Stage's newest verification of its current Freight; allocated, NULL if none. */
static char *verification_field(struct env *e, const char *ns, const char *stage, const char *field)
{
    cJSON *s = get(e, ns, "stages", stage);
    const char *v = json_get_string(
        cJSON_GetArrayItem(
            json_get(cJSON_GetArrayItem(json_get(s, "status", "freightHistory", (char *)NULL), 0),
                     "verificationHistory", (char *)NULL),
            0),
        field, (char *)NULL);
    char *copy = v != NULL ? xstrdup(v) : NULL;
    cJSON_Delete(s);
    return copy;
}

static bool stage_field_is(struct env *e, const struct want *w, const char *a, const char *b)
{
    cJSON *s = get(e, w->ns, "stages", w->name);
    const char *v = json_get_string(s, "status", a, b, (char *)NULL);
    bool ok = v != NULL && strcmp(v, w->value) == 0;
    cJSON_Delete(s);
    return ok;
}

/* The Stage verified again: its newest verification is not w->value (the id before). */
static bool verified_again(struct env *e, const struct want *w)
{
    char *id = verification_field(e, w->ns, w->name, "id");
    bool ok = id != NULL && strcmp(id, w->value) != 0;
    free(id);
    return ok;
}

static bool verification_phase_is(struct env *e, const struct want *w)
{
    char *phase = verification_field(e, w->ns, w->name, "phase");
    bool ok = phase != NULL && strcmp(phase, w->value) == 0;
    free(phase);
    return ok;
}

static bool promotion_phase_is(struct env *e, const struct want *w)
{
    cJSON *p = get(e, w->ns, "promotions", w->name);
    const char *phase = json_get_string(p, "status", "phase", (char *)NULL);
    bool ok = phase != NULL && strcmp(phase, w->value) == 0;
    cJSON_Delete(p);
    return ok;
}

static bool refresh_handled(struct env *e, const struct want *w)
{
    return stage_field_is(e, w, "lastHandledRefresh", NULL);
}

/* The Stage runs Freight w->value of the backstage Warehouse, held there. */
static bool runs_held(struct env *e, const struct want *w)
{
    char *cur = freight_in(e, w->ns, w->name, "Warehouse/backstage");
    cJSON *s = get(e, w->ns, "stages", w->name);
    bool ok =
        cur != NULL && strcmp(cur, w->value) == 0 &&
        json_get(s, "status", "autoPromotionHolds", "Warehouse/backstage", (char *)NULL) != NULL;
    cJSON_Delete(s);
    free(cur);
    return ok;
}

static bool not_held(struct env *e, const struct want *w)
{
    cJSON *s = get(e, w->ns, "stages", w->name);
    bool ok =
        json_get(s, "status", "autoPromotionHolds", "Warehouse/backstage", (char *)NULL) == NULL;
    cJSON_Delete(s);
    return ok;
}

static bool auto_promoted(struct env *e, const struct want *w)
{
    cJSON *s = get(e, w->ns, "stages", w->name);
    bool on = false;
    json_get_bool(s, &on, "status", "autoPromotionEnabled", (char *)NULL);
    cJSON_Delete(s);
    return on;
}

static void test_promote_with_p_creates_the_promotion_and_shows_it_succeed(void **state)
{
    struct env *e = *state;
    const char *ns = "backstage-kargo";
    char *devf = freight_in(e, ns, "dev", "Warehouse/backstage");
    int before = count_promotions(e, ns);
    struct ptyterm *t = start_as(e, "admin", ns, false);
    ptyterm_send(t, "l"); /* dev -> staging */
    expect(t, "Freight for staging");
    open_action(t, "p promote", "Promote to staging: which freight?");
    ptyterm_send(t, "\r"); /* the newest available: what dev runs */
    expect(t, "y: confirm");
    expect(t, "staging <- ");
    char *alias = word_after(t, "staging <- ");
    assert_non_null(alias);
    long long sent = ms_now();
    confirm_with(t, NULL, "promotion created: staging.");
    /* a figure for the notes, not a timed assertion */
    print_message("key to created Promotion on screen: %lld ms\n", ms_now() - sent);
    char *name = word_after(t, "promotion created: ");
    assert_non_null(name);
    /* the cluster has exactly that one more, with the right stage and freight */
    assert_int_equal(count_promotions(e, ns), before + 1);
    cJSON *p = get(e, ns, "promotions", name);
    assert_string_equal(json_get_string(p, "spec", "stage", (char *)NULL), "staging");
    char *fname = freight_by_alias(e, ns, alias);
    assert_non_null(fname);
    assert_string_equal(json_get_string(p, "spec", "freight", (char *)NULL), fname);
    assert_string_equal(fname, devf);
    cJSON_Delete(p);
    /* and the promotions pane shows it succeed */
    ptyterm_send(t, "\t\t");
    expect(t, "Promotions of staging");
    if (!wait_row(t, name + strlen("staging."), "Succeeded")) {
        ptyterm_dump(t, "no success");
        fail_msg("promotion %s never showed Succeeded", name);
    }
    uienv_quit(t);
    free(fname);
    free(name);
    free(alias);
    free(devf);
}

static void test_rollback_of_production_sets_the_older_freight_and_a_hold(void **state)
{
    struct env *e = *state;
    const char *ns = "backstage-kargo";
    /* production auto-promoted, so a rollback must hold it */
    cJSON_Delete(patch(e, ns, "projectconfigs", ns,
                       "{\"spec\":{\"promotionPolicies\":["
                       "{\"stageSelector\":{\"name\":\"dev\"},\"autoPromotionEnabled\":true},"
                       "{\"stageSelector\":{\"name\":\"production\"},"
                       "\"autoPromotionEnabled\":true}]}}"));
    struct want prod = {ns, "production", NULL};
    wait_cluster(e, NULL, auto_promoted, &prod, "production auto-promoted");
    struct ptyterm *t = start(e, ns);
    ptyterm_send(t, "ll");
    expect(t, "Freight for production");
    open_action(t, "r rollback", "Roll back production to:");
    ptyterm_send(t, "\r"); /* the previous one */
    expect(t, "production <- ");
    char *alias = word_after(t, "production <- ");
    expect(t, "will be held until resumed");
    expect(t, "type production");
    ptyterm_send(t, "prod\r"); /* not the name: stays open */
    expect(t, "that is not production");
    confirm_with(t, "uction", "promotion created: production.");
    char *older = freight_by_alias(e, ns, alias);
    assert_non_null(older);
    prod.value = older;
    wait_cluster(e, t, runs_held, &prod, "production runs the older freight, held");
    /* u resumes: the hold goes (the candidate is promoted by origin) */
    ptyterm_send(t, "\014"); /* Ctrl-L: a key, so the footer replaces the last message */
    open_action(t, "u resume", "Resume auto-promotion of production");
    expect(t, "clears the hold on Warehouse/backstage");
    confirm_with(t, "production", "promotion created: production.");
    wait_cluster(e, t, not_held, &prod, "the hold on production gone");
    uienv_quit(t);
    free(older);
    free(alias);
}

/* A Freight of the backstage Warehouse not available to production (not verified in staging,
 * not approved): its alias, allocated. */
static char *unavailable_to_production(struct env *e, const char *ns)
{
    struct api_ref ref = {GV, "freights", ns, NULL};
    cJSON *l = api_list(e->client, &ref, NULL, NULL, NULL);
    const cJSON *f;
    char *alias = NULL;
    cJSON_ArrayForEach(f, cJSON_GetObjectItem(l, "items"))
    {
        if (alias == NULL && json_get(f, "status", "verifiedIn", "staging", (char *)NULL) == NULL &&
            json_get(f, "status", "approvedFor", "production", (char *)NULL) == NULL)
            alias = xstrdup(json_get_string(f, "alias", (char *)NULL));
    }
    cJSON_Delete(l);
    return alias;
}

static void test_approve_sets_approved_for_and_the_freight_becomes_available(void **state)
{
    struct env *e = *state;
    const char *ns = "backstage-kargo";
    char *alias = unavailable_to_production(e, ns);
    assert_non_null(alias);
    char *name = freight_by_alias(e, ns, alias);
    struct ptyterm *t = start(e, ns);
    ptyterm_send(t, "ll");
    expect(t, "Freight for production");
    ptyterm_send(t, "\t/");
    ptyterm_send(t, alias);
    ptyterm_send(t, "\r");
    if (!wait_row(t, alias, "not verified in staging")) {
        ptyterm_dump(t, "freight row");
        fail_msg("%s is not shown unavailable", alias);
    }
    open_action(t, "a approve", "Approve for production");
    expect(t, "it becomes available to production");
    confirm_with(t, NULL, "approved ");
    cJSON *f = get(e, ns, "freights", name);
    assert_non_null(
        json_get_string(f, "status", "approvedFor", "production", "approvedAt", (char *)NULL));
    cJSON_Delete(f);
    if (!wait_row(t, alias, "available")) {
        ptyterm_dump(t, "available");
        fail_msg("%s never showed available", alias);
    }
    uienv_quit(t);
    free(name);
    free(alias);
}

static void test_promote_of_unavailable_freight_says_why_and_approves_first(void **state)
{
    struct env *e = *state;
    const char *ns = "backstage-kargo";
    char *alias = unavailable_to_production(e, ns);
    assert_non_null(alias);
    char *name = freight_by_alias(e, ns, alias);
    struct ptyterm *t = start(e, ns);
    ptyterm_send(t, "ll");
    expect(t, "Freight for production");
    ptyterm_send(t, "\t/");
    ptyterm_send(t, alias);
    ptyterm_send(t, "\r");
    expect_dimmed(t, "a approve", false);
    open_action(t, "p promote", "Promote to production");
    expect(t, "not available: not verified in staging");
    expect(t, "approving it first makes it available");
    expect(t, "(Ctrl-A: approve first)");
    ptyterm_send(t, "production\001"); /* the name typed, then Ctrl-A */
    expect(t, "promotion created: production.");
    char *pname = word_after(t, "promotion created: ");
    cJSON *f = get(e, ns, "freights", name);
    assert_non_null(json_get(f, "status", "approvedFor", "production", (char *)NULL));
    cJSON_Delete(f);
    cJSON *p = get(e, ns, "promotions", pname);
    assert_string_equal(json_get_string(p, "spec", "freight", (char *)NULL), name);
    cJSON_Delete(p);
    uienv_quit(t);
    free(pname);
    free(name);
    free(alias);
}

static void test_promote_downstream_lists_targets_and_promotes_the_current_freight(void **state)
{
    struct env *e = *state;
    const char *ns = "backstage-kargo";
    char *devf = freight_in(e, ns, "dev", "Warehouse/backstage");
    struct ptyterm *t = start(e, ns);
    expect(t, "Freight for dev");
    open_action(t, "P downstream", "Promote downstream of dev");
    expect(t, "to every stage downstream:");
    long long sent = ms_now();
    confirm_with(t, NULL, "promotion created: staging.");
    /* a figure for the notes, not a timed assertion */
    print_message("key to created Promotion on screen: %lld ms\n", ms_now() - sent);
    char *name = word_after(t, "promotion created: ");
    cJSON *p = get(e, ns, "promotions", name);
    assert_string_equal(json_get_string(p, "spec", "freight", (char *)NULL), devf);
    assert_string_equal(json_get_string(p, "spec", "stage", (char *)NULL), "staging");
    cJSON_Delete(p);
    uienv_quit(t);
    free(name);
    free(devf);
}

static void test_a_refusal_shows_the_apis_own_words(void **state)
{
    struct env *e = *state;
    const char *ns = "backstage-kargo";
    char *alias = unavailable_to_production(e, ns);
    assert_non_null(alias);
    int before = count_promotions(e, ns);
    struct ptyterm *t = start(e, ns);
    ptyterm_send(t, "ll");
    expect(t, "Freight for production");
    ptyterm_send(t, "\t/");
    ptyterm_send(t, alias);
    ptyterm_send(t, "\r");
    open_action(t, "p promote", "not available: not verified in staging");
    /* confirmed without approving: the webhook refuses */
    confirm_with(t, "production", "promote production refused: ");
    expect(t, "Freight is not available to this Stage");
    assert_int_equal(count_promotions(e, ns), before);
    uienv_quit(t);
    free(alias);
}

static void test_reverify_runs_the_verification_again(void **state)
{
    struct env *e = *state;
    const char *ns = "backstage-kargo";
    char *id0 = verification_field(e, ns, "production", "id");
    assert_non_null(id0);
    struct ptyterm *t = start(e, ns);
    ptyterm_send(t, "ll");
    expect(t, "Freight for production");
    open_action(t, "v reverify", "Reverify of production");
    expect(t, "the current freight is verified again");
    confirm_with(t, NULL, "verification requested again for production");
    struct want again = {ns, "production", id0};
    wait_cluster(e, t, verified_again, &again, "production verified again");
    uienv_quit(t);
    free(id0);
}

static void test_promote_from_a_warehouses_freight_picks_the_stage(void **state)
{
    struct env *e = *state;
    const char *ns = "backstage-kargo";
    int before = count_promotions(e, ns);
    struct ptyterm *t = start(e, ns);
    ptyterm_send(t, "h"); /* dev -> the warehouse */
    expect(t, "Freight for backstage");
    ptyterm_send(t, "\t"); /* its newest freight */
    open_action(t, "p promote", "to which stage?");
    expect(t, "+ dev"); /* direct: available */
    ptyterm_send(t, "\r");
    expect(t, "Promote to dev");
    confirm_with(t, NULL, "promotion created: dev.");
    char *name = word_after(t, "promotion created: ");
    cJSON *p = get(e, ns, "promotions", name);
    assert_string_equal(json_get_string(p, "spec", "stage", (char *)NULL), "dev");
    cJSON_Delete(p);
    assert_int_equal(count_promotions(e, ns), before + 1);
    uienv_quit(t);
    free(name);
}

static void test_a_slow_cluster_never_blocks_the_keys(void **state)
{
    struct env *e = *state;
    const char *ns = "backstage-kargo";
    struct ptyterm *t = start(e, ns);
    ptyterm_send(t, "l");
    expect(t, "Freight for staging");
    expect_dimmed(t, "R refresh", false);
    /* every answer now takes 10 s */
    struct sim_faults slow = {.latency_ms = 10000};
    sim_faults_set(e->sim, &slow);
    open_action(t, "R refresh", "Refresh staging");
    confirm_with(t, NULL, "refresh: sent, waiting for the cluster");
    /* the keys still work while the answer is on its way */
    ptyterm_send(t, "\t\t");
    expect(t, "Promotions of staging");
    ptyterm_send(t, "?");
    expect(t, " Keys ");
    assert_false(ptyterm_find(t, "refresh requested", NULL, NULL));
    ptyterm_send(t, "\033");
    struct sim_faults none = {0};
    sim_faults_set(e->sim, &none);
    if (!ptyterm_wait_text(t, "refresh requested for staging", 2 * WAIT_MS)) {
        ptyterm_dump(t, "slow refresh");
        fail_msg("the answer never arrived");
    }
    uienv_quit(t);
}

static void test_marks_belong_to_their_project(void **state)
{
    struct env *e = *state;
    struct ptyterm *t = start(e, "backstage-kargo");
    ptyterm_send(t, " ");
    expect(t, "marked: dev");
    ptyterm_send(t, ":project microsvcs\r");
    expect(t, "project: microsvcs");
    expect(t, "Freight for");
    assert_true(ptyterm_wait_gone(t, "marked: dev", WAIT_MS));
    uienv_quit(t);
}

static void test_abort_verification_with_V(void **state)
{
    struct env *e = *state;
    const char *ns = "backstage-kargo";
    struct ptyterm *t = start(e, ns);
    ptyterm_send(t, "ll");
    expect(t, "Freight for production");
    open_action(t, "v reverify", "Reverify of production");
    confirm_with(t, NULL, "verification requested again for production");
    ptyterm_send(t, "\014");
    /* V is offered once the new verification (a minute long) runs */
    open_action(t, "V abort-verify", "Abort verification of production");
    expect(t, "the running verification stops as Aborted");
    confirm_with(t, NULL, "verification abort requested for production");
    struct want aborted = {ns, "production", "Aborted"};
    wait_cluster(e, t, verification_phase_is, &aborted, "production's verification Aborted");
    uienv_quit(t);
}

/* Keys that cannot apply to the selection are not offered, and say why when pressed: nothing is
 * opened and nothing written. */
static void test_keys_are_offered_only_where_they_apply(void **state)
{
    struct env *e = *state;
    const char *ns = "backstage-kargo";
    int before = count_promotions(e, ns);
    char *abort0 = stage_annotation(e, ns, "production", "kargo.akuity.io/abort");
    struct ptyterm *t = start(e, ns);
    ptyterm_send(t, "ll");
    expect(t, "Freight for production");
    /* the footer is production's once v (its verification finished) is offered */
    expect_dimmed(t, "v reverify", false);
    expect_dimmed(t, "r rollback", false);
    assert_true(footer_col(t, "u resume") < 0);       /* no auto-promotion hold */
    assert_true(footer_col(t, "V abort-verify") < 0); /* no verification running */
    ptyterm_send(t, "u");
    expect(t, "resume: production has no auto-promotion hold to resume");
    assert_false(ptyterm_wait_text(t, "y: confirm", 200));
    ptyterm_send(t, "V");
    expect(t, "abort-verification: no verification of production is running");
    assert_false(ptyterm_wait_text(t, "y: confirm", 200));
    /* the help lists them, dimmed, with the reason */
    ptyterm_send(t, "?");
    expect(t, "not now: production has no auto-promotion hold to resume");
    ptyterm_send(t, "\033");
    /* a finished promotion cannot be aborted */
    ptyterm_send(t, "\t\t/Succeeded\r");
    expect(t, "Promotions of production");
    expect(t, "Enter details");
    assert_true(footer_col(t, "A abort") < 0);
    ptyterm_send(t, "A");
    expect(t, "abort: the promotion has finished (Succeeded)");
    assert_false(ptyterm_wait_text(t, "y: confirm", 200));
    uienv_quit(t);
    assert_int_equal(count_promotions(e, ns), before);
    char *abort1 = stage_annotation(e, ns, "production", "kargo.akuity.io/abort");
    assert_string_equal(abort0, abort1);
    free(abort1);
    free(abort0);
}

/* The box of the Stage at (row, col of its name)'s glyph: reversed. */
static bool glyph_reversed(struct ptyterm *t, const char *glyph_name)
{
    int row, col;
    if (!ptyterm_find(t, glyph_name, &row, &col))
        return false;
    VTermScreenCell c;
    return ptyterm_cell(t, row, col, &c) && c.attrs.reverse;
}

/* Marked Stages are marked on their boxes: a reversed check before the name (* with --ascii). */
static void test_marked_stages_are_marked_on_their_boxes(void **state)
{
    struct env *e = *state;
    const char *ns = "backstage-kargo";
    struct ptyterm *t = start(e, ns);
    assert_false(ptyterm_find(t, "\u2713 dev ", NULL, NULL));
    ptyterm_send(t, " ");
    expect(t, "\u2713 dev ");
    assert_true(glyph_reversed(t, "\u2713 dev "));
    ptyterm_send(t, "l ");
    expect(t, "\u2713 staging ");
    assert_true(ptyterm_find(t, "\u2713 dev ", NULL, NULL));
    ptyterm_send(t, "h "); /* unmarks dev */
    assert_true(ptyterm_wait_gone(t, "\u2713 dev ", WAIT_MS));
    assert_true(ptyterm_find(t, "\u2713 staging ", NULL, NULL));
    ptyterm_send(t, "\033"); /* clears the marks */
    assert_true(ptyterm_wait_gone(t, "\u2713 staging ", WAIT_MS));
    uienv_quit(t);
    t = start_with(e, "admin", ns, "--ascii");
    assert_false(ptyterm_find(t, "* dev ", NULL, NULL));
    ptyterm_send(t, " ");
    expect(t, "* dev ");
    assert_true(glyph_reversed(t, "* dev "));
    /* and in the list form, the same */
    ptyterm_send(t, "lL"); /* staging selected: dev's row keeps its own colours */
    expect(t, "Stages (list)");
    expect(t, "* dev (auto)");
    assert_true(glyph_reversed(t, "* dev (auto)"));
    uienv_quit(t);
}

/* The pipeline's list form (L) shows the same marks as the boxes, and Space marks and unmarks
 * there too: the pane's title and the message line count the same Stages. */
static void test_marks_show_and_toggle_in_the_list_form(void **state)
{
    struct env *e = *state;
    struct ptyterm *t = start(e, "backstage-kargo");
    ptyterm_send(t, " l ");
    expect(t, "staging marked; 2 marked");
    expect(t, "\u2713 staging ");
    ptyterm_send(t, "L");
    expect(t, "Stages (list)");
    expect(t, "marked: dev staging (p promotes all");
    /* both rows marked (dev's check reversed: staging's row is the selection), production not */
    expect(t, "\u2713 dev (auto)");
    assert_true(glyph_reversed(t, "\u2713 dev (auto)"));
    expect(t, "\u2713 staging");
    assert_false(ptyterm_find(t, "\u2713 production", NULL, NULL));
    /* Space in the list form: marks production, then unmarks it and staging */
    ptyterm_send(t, "j ");
    expect(t, "production marked; 3 marked");
    expect(t, "\u2713 production");
    expect(t, "marked: dev staging production (p promotes all");
    ptyterm_send(t, " k ");
    expect(t, "staging unmarked; 1 marked");
    expect(t, "marked: dev (p promotes all");
    assert_false(ptyterm_find(t, "\u2713 production", NULL, NULL));
    assert_false(ptyterm_find(t, "\u2713 staging", NULL, NULL));
    assert_true(ptyterm_find(t, "\u2713 dev (auto)", NULL, NULL));
    /* back to the boxes: only dev's is marked */
    ptyterm_send(t, "L");
    assert_true(ptyterm_wait_gone(t, "Stages (list)", WAIT_MS));
    expect(t, "\u2713 dev ");
    expect(t, "marked: dev (p promotes all");
    assert_false(ptyterm_find(t, "\u2713 staging ", NULL, NULL));
    assert_false(ptyterm_find(t, "\u2713 production ", NULL, NULL));
    uienv_quit(t);
}

static int promotions_to(struct env *e, const char *ns, const char *stage);

static void create_rbac(struct env *e, const char *ns, const char *plural, const char *json)
{
    struct api_ref ref = {"rbac.authorization.k8s.io/v1", plural, ns, NULL};
    struct kube_error err = {0};
    cJSON *o = cJSON_Parse(json);
    assert_non_null(o);
    cJSON *made = api_create(e->client, &ref, o, &err);
    cJSON_Delete(o);
    if (made == NULL)
        fail_msg("create %s: %s", plural, err.message);
    cJSON_Delete(made);
}

/* A role granting promote on uat only (RBAC resourceNames, as a Kargo custom role): p is usable
 * on uat, dimmed with the reason on production, and the promotion to uat goes through. */
static void test_a_role_for_one_stage_allows_promote_there_only(void **state)
{
    struct env *e = *state;
    const char *ns = "myapp";
    create_rbac(e, ns, "roles",
                "{\"metadata\":{\"name\":\"uat-promoter\"},\"rules\":["
                "{\"apiGroups\":[\"*\"],\"resources\":[\"*\"],"
                "\"verbs\":[\"get\",\"list\",\"watch\"]},"
                "{\"apiGroups\":[\"kargo.akuity.io\"],\"resources\":[\"promotions\"],"
                "\"verbs\":[\"create\"]},"
                "{\"apiGroups\":[\"kargo.akuity.io\"],\"resources\":[\"stages\"],"
                "\"verbs\":[\"promote\"],\"resourceNames\":[\"uat\"]}]}");
    create_rbac(e, ns, "rolebindings",
                "{\"metadata\":{\"name\":\"release-uat\"},\"subjects\":["
                "{\"kind\":\"Group\",\"name\":\"release\"}],"
                "\"roleRef\":{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"Role\","
                "\"name\":\"uat-promoter\"}}");
    int before_uat = promotions_to(e, ns, "uat");
    int before_prod = promotions_to(e, ns, "production");
    struct ptyterm *t = start_with(e, "ursula", ns, NULL);
    /* production: dimmed, and p says why without opening anything */
    ptyterm_send(t, "/production\r");
    expect(t, "Freight for production");
    expect_dimmed(t, "p promote", true);
    press_until(t, "p", "promote production: your role cannot promote (promote stages)");
    assert_false(ptyterm_wait_text(t, "which freight?", 300));
    ptyterm_send(t, "?");
    expect(t, "your role cannot promote (promote stages)");
    ptyterm_send(t, "\033");
    /* uat: usable (the review named the Stage), and the promotion is made */
    ptyterm_send(t, "/uat\r");
    expect(t, "Freight for uat");
    open_action(t, "p promote", "Promote to uat: which freight?");
    ptyterm_send(t, "\r");
    expect(t, "type uat"); /* manual in the ProjectConfig */
    confirm_with(t, "uat", "promotion created: uat.");
    char *name = word_after(t, "promotion created: ");
    cJSON *p = get(e, ns, "promotions", name);
    assert_string_equal(json_get_string(p, "spec", "stage", (char *)NULL), "uat");
    assert_string_equal(
        json_get_string(p, "metadata", "annotations", "kargo.akuity.io/create-actor", (char *)NULL),
        "kubernetes:ursula");
    cJSON_Delete(p);
    uienv_quit(t);
    assert_int_equal(promotions_to(e, ns, "uat"), before_uat + 1);
    assert_int_equal(promotions_to(e, ns, "production"), before_prod);
    free(name);
}

/* Creates a Promotion of freight to stage as admin; its name, allocated. */
static char *create_promotion(struct env *e, const char *ns, const char *stage, const char *freight)
{
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "apiVersion", GV);
    cJSON_AddStringToObject(p, "kind", "Promotion");
    cJSON *md = cJSON_AddObjectToObject(p, "metadata");
    cJSON_AddStringToObject(md, "generateName", "test-");
    cJSON *spec = cJSON_AddObjectToObject(p, "spec");
    cJSON_AddStringToObject(spec, "stage", stage);
    cJSON_AddStringToObject(spec, "freight", freight);
    struct api_ref ref = {GV, "promotions", ns, NULL};
    struct kube_error err = {0};
    cJSON *made = api_create(e->client, &ref, p, &err);
    cJSON_Delete(p);
    if (made == NULL)
        fail_msg("create promotion: %s", err.message);
    char *name = xstrdup(json_get_string(made, "metadata", "name", (char *)NULL));
    cJSON_Delete(made);
    return name;
}

/* myapp's Freight of an origin verified in staging, not in uat, approved for neither preprod
 * nor production: available to uat, needing approval for preprod and production. Its alias,
 * allocated. */
static char *freight_for_uat_onwards(struct env *e, const char *ns)
{
    struct api_ref ref = {GV, "freights", ns, NULL};
    cJSON *l = api_list(e->client, &ref, NULL, NULL, NULL);
    const cJSON *f;
    char *alias = NULL;
    cJSON_ArrayForEach(f, cJSON_GetObjectItem(l, "items"))
    {
        if (alias == NULL && json_get(f, "status", "verifiedIn", "staging", (char *)NULL) != NULL &&
            json_get(f, "status", "verifiedIn", "uat", (char *)NULL) == NULL &&
            json_get(f, "status", "approvedFor", "preprod", (char *)NULL) == NULL &&
            json_get(f, "status", "approvedFor", "production", (char *)NULL) == NULL)
            alias = xstrdup(json_get_string(f, "alias", (char *)NULL));
    }
    cJSON_Delete(l);
    return alias;
}

static const char *const uat_onwards[] = {"uat", "preprod", "production"};

/* Marks uat, preprod and production and selects the Freight alias in production's Freight
 * pane. */
static void mark_uat_onwards(struct ptyterm *t, const char *alias)
{
    for (int i = 0; i < 3; i++) {
        ptyterm_send(t, "/");
        ptyterm_send(t, uat_onwards[i]);
        ptyterm_send(t, "\r ");
        char want[64];
        snprintf(want, sizeof want, "%s marked; %d marked", uat_onwards[i], i + 1);
        if (!ptyterm_wait_text(t, want, WAIT_MS)) {
            ptyterm_dump(t, "mark");
            fail_msg("never showed '%s'", want);
        }
    }
    ptyterm_send(t, "\t/");
    ptyterm_send(t, alias);
    ptyterm_send(t, "\r");
}

/* Marks uat, preprod and production, selects the Freight alias in production's Freight pane
 * and presses p until the batch's confirmation shows text (the access reviews answer first). */
static void open_uat_onwards_batch(struct ptyterm *t, const char *alias, const char *text)
{
    mark_uat_onwards(t, alias);
    for (long long end = ms_now() + WAIT_MS;;) {
        ptyterm_send(t, "p");
        if (ptyterm_wait_text(t, "Promote to 3 stages", 1000) && ptyterm_wait_text(t, text, 1000))
            return;
        if (ms_now() > end) {
            ptyterm_dump(t, text);
            fail_msg("the batch's confirmation never showed '%s'", text);
        }
        /* not known yet: close the confirmation if it opened (an Esc without one would clear
         * the filter, then the marks) and ask again */
        if (ptyterm_find(t, "Promote to 3 stages", NULL, NULL)) {
            ptyterm_send(t, "\033");
            assert_true(ptyterm_wait_gone(t, "Promote to 3 stages", WAIT_MS));
        }
        ptyterm_send(t, "\014");
        ptyterm_pump(t, 300);
    }
}

static bool approved_for(struct env *e, const char *ns, const char *freight, const char *stage)
{
    cJSON *f = get(e, ns, "freights", freight);
    bool yes = json_get(f, "status", "approvedFor", stage, (char *)NULL) != NULL;
    cJSON_Delete(f);
    return yes;
}

/* A batch whose Freight some targets may not take yet: the confirmation says per target which
 * are available and which need approval, offers to approve for all of them first, and after
 * Ctrl-A the Freight is approved for exactly those and each target has exactly one Promotion. */
static void test_batch_approves_every_target_needing_it_first(void **state)
{
    struct env *e = *state;
    const char *ns = "myapp";
    char *alias = freight_for_uat_onwards(e, ns);
    assert_non_null(alias);
    char *name = freight_by_alias(e, ns, alias);
    int before[3];
    for (int i = 0; i < 3; i++)
        before[i] = promotions_to(e, ns, uat_onwards[i]);
    struct ptyterm *t = start(e, ns);
    open_uat_onwards_batch(t, alias, "first (preprod, production), then promote 3");
    expect(t, "Ctrl-A: approve for 2 stages first (preprod, production), then promote 3");
    expect(t, "available now: 1 of 3; needing approval: 2; skipped: 0");
    expect(t, "Enter: promote the 1 available now only, approving nothing");
    expect(t, "not available: not verified in uat");
    expect(t, "not available: not verified in preprod");
    expect(t, "needs approval: you may approve it");
    char uat_line[64];
    snprintf(uat_line, sizeof uat_line, "uat <- %s", alias);
    assert_true(ptyterm_wait_text(t, uat_line, WAIT_MS));
    /* every protected name, then Ctrl-A */
    ptyterm_send(t, "uat preprod production\001");
    expect(t, "approved for preprod, production; promotions created: ");
    assert_true(approved_for(e, ns, name, "preprod"));
    assert_true(approved_for(e, ns, name, "production"));
    assert_false(approved_for(e, ns, name, "uat")); /* available already: left alone */
    for (int i = 0; i < 3; i++)
        assert_int_equal(promotions_to(e, ns, uat_onwards[i]), before[i] + 1);
    /* and each of them promotes that Freight */
    cJSON *l = promotions(e, ns);
    const cJSON *p;
    int of_freight = 0;
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(l, "items"))
    {
        const char *fr = json_get_string(p, "spec", "freight", (char *)NULL);
        of_freight += fr != NULL && strcmp(fr, name) == 0;
    }
    cJSON_Delete(l);
    assert_true(of_freight >= 3);
    uienv_quit(t);
    free(name);
    free(alias);
}

/* Promotions of freight (a name) to stage. */
static int promotions_of(struct env *e, const char *ns, const char *stage, const char *freight)
{
    cJSON *l = promotions(e, ns);
    const cJSON *p;
    int n = 0;
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(l, "items"))
    {
        const char *fr = json_get_string(p, "spec", "freight", (char *)NULL);
        const char *st = json_get_string(p, "spec", "stage", (char *)NULL);
        n += fr != NULL && st != NULL && strcmp(fr, freight) == 0 && strcmp(st, stage) == 0;
    }
    cJSON_Delete(l);
    return n;
}

/* Holds (ms > 0) or lets through (0) the simulator's answers to SelfSubjectAccessReviews, as
 * a slow authorization webhook would; answers already waiting follow the change. */
static void slow_reviews(struct env *e, int ms)
{
    struct sim_faults f;
    sim_faults_get(e->sim, &f);
    snprintf(f.slow_path, sizeof f.slow_path, "/apis/authorization.k8s.io/");
    f.slow_ms = ms;
    sim_faults_set(e->sim, &f);
}

/* The batch of test_batch_approves_every_target_needing_it_first opened while the review of
 * whether the user may approve is still out (every review takes seconds; the one about approving
 * comes after those about promoting): preprod and production first show as skipped because the
 * cluster has not said yet; once the answer is in, with no key pressed, the same confirmation
 * offers approving them, what was typed into it is still there, and Ctrl-A approves both and
 * creates exactly one Promotion per target. */
static void test_batch_confirmation_follows_a_late_approval_answer(void **state)
{
    struct env *e = *state;
    const char *ns = "myapp";
    char *alias = freight_for_uat_onwards(e, ns);
    assert_non_null(alias);
    char *name = freight_by_alias(e, ns, alias);
    int before[3], before_of[3];
    for (int i = 0; i < 3; i++) {
        before[i] = promotions_to(e, ns, uat_onwards[i]);
        before_of[i] = promotions_of(e, ns, uat_onwards[i], name);
    }
    struct ptyterm *t = NULL;
    /* The approve review goes out when the promote ones have answered and is answered slow_ms
     * later; the test holds it once p is usable. Should the machine be so loaded that it answered
     * first, the confirmation would open complete: a new dashboard (its answers are its own)
     * tries again with reviews twice as slow. */
    for (int attempt = 0, slow_ms = 5000;; attempt++, slow_ms *= 2) {
        slow_reviews(e, slow_ms);
        t = start(e, ns);
        mark_uat_onwards(t, alias);
        expect_dimmed(t, "p promote", false);
        slow_reviews(e, 20000); /* under the client's 30 s idle timeout: never a failed review */
        ptyterm_send(t, "p");
        expect(t, "Promote to 3 stages");
        if (ptyterm_wait_text(t, "has not said yet whether you may approve", 2000))
            break;
        if (attempt == 2) {
            ptyterm_dump(t, "late approval");
            fail_msg("the batch never opened before the approve review answered");
        }
        print_message("the approve review answered before p: again with slower reviews\n");
        ptyterm_send(t, "\033");
        assert_true(ptyterm_wait_gone(t, "Promote to 3 stages", WAIT_MS));
        slow_reviews(e, 0); /* quitting waits for the review under way */
        uienv_quit(t);
    }
    expect(t, "available now: 1 of 3; needing approval: 0; skipped: 2");
    expect(t, "left out either way: preprod, production");
    assert_false(ptyterm_find(t, "Ctrl-A", NULL, NULL)); /* nothing to approve yet */
    assert_false(ptyterm_find(t, "needs approval", NULL, NULL));
    /* the first protected name typed while the answer is held */
    ptyterm_send(t, "uat");
    expect(t, "> uat");
    assert_true(ptyterm_find(t, "has not said yet whether you may approve", NULL, NULL));
    /* the answer comes in; no key is pressed */
    slow_reviews(e, 0);
    expect(t, "Ctrl-A: approve for 2 stages first (preprod, production), then promote 3");
    expect(t, "available now: 1 of 3; needing approval: 2; skipped: 0");
    expect(t, "needs approval: you may approve it");
    expect(t, "Enter: promote the 1 available now only, approving nothing");
    /* gone, read until then: the rebuilt frame may arrive in parts */
    assert_true(ptyterm_wait_gone(t, "has not said yet", WAIT_MS));
    assert_true(ptyterm_wait_gone(t, "left out either way", WAIT_MS));
    expect(t, "> uat");
    ptyterm_send(t, " preprod production\001");
    expect(t, "approved for preprod, production; promotions created: ");
    assert_true(approved_for(e, ns, name, "preprod"));
    assert_true(approved_for(e, ns, name, "production"));
    assert_false(approved_for(e, ns, name, "uat"));
    for (int i = 0; i < 3; i++)
        assert_int_equal(promotions_to(e, ns, uat_onwards[i]), before[i] + 1);
    for (int i = 0; i < 3; i++) /* and each of them promotes that Freight */
        assert_int_equal(promotions_of(e, ns, uat_onwards[i], name), before_of[i] + 1);
    uienv_quit(t);
    free(name);
    free(alias);
}

/* The same batch for a user whose role may promote but not approve: the confirmation says why
 * preprod and production are left out, offers no approval, and confirming promotes uat only;
 * nothing is approved. */
static void test_batch_without_approval_rights_says_why_and_approves_nothing(void **state)
{
    struct env *e = *state;
    const char *ns = "myapp";
    create_rbac(e, ns, "roles",
                "{\"metadata\":{\"name\":\"promote-only\"},\"rules\":["
                "{\"apiGroups\":[\"*\"],\"resources\":[\"*\"],"
                "\"verbs\":[\"get\",\"list\",\"watch\"]},"
                "{\"apiGroups\":[\"kargo.akuity.io\"],\"resources\":[\"promotions\"],"
                "\"verbs\":[\"create\"]},"
                "{\"apiGroups\":[\"kargo.akuity.io\"],\"resources\":[\"stages\"],"
                "\"verbs\":[\"promote\"]}]}");
    create_rbac(e, ns, "rolebindings",
                "{\"metadata\":{\"name\":\"release-promote-only\"},\"subjects\":["
                "{\"kind\":\"Group\",\"name\":\"release\"}],"
                "\"roleRef\":{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"Role\","
                "\"name\":\"promote-only\"}}");
    char *alias = freight_for_uat_onwards(e, ns);
    assert_non_null(alias);
    char *name = freight_by_alias(e, ns, alias);
    int before[3];
    for (int i = 0; i < 3; i++)
        before[i] = promotions_to(e, ns, uat_onwards[i]);
    struct ptyterm *t = start_with(e, "ursula", ns, NULL);
    open_uat_onwards_batch(t, alias, "skipped: cannot be approved by you (your role cannot");
    expect(t, "not available: not verified in uat");
    expect(t, "not available: not verified in preprod");
    assert_false(ptyterm_find(t, "needs approval", NULL, NULL));
    expect(t, "available now: 1 of 3; needing approval: 0; skipped: 2");
    expect(t, "left out either way: preprod, production");
    expect(t, "Enter: promote the 1 available now only");
    assert_false(ptyterm_find(t, "Ctrl-A", NULL, NULL)); /* no approval offered */
    ptyterm_send(t, "uat preprod production\001");       /* Ctrl-A does nothing here */
    assert_false(ptyterm_wait_text(t, "approved for", 300));
    ptyterm_send(t, "\r");
    expect(t, "promotion created: uat.");
    assert_int_equal(promotions_to(e, ns, "uat"), before[0] + 1);
    assert_int_equal(promotions_to(e, ns, "preprod"), before[1]);
    assert_int_equal(promotions_to(e, ns, "production"), before[2]);
    assert_false(approved_for(e, ns, name, "preprod"));
    assert_false(approved_for(e, ns, name, "production"));
    uienv_quit(t);
    free(name);
    free(alias);
}

static void test_abort_with_A_ends_the_promotion_aborted(void **state)
{
    struct env *e = *state;
    const char *ns = "backstage-kargo";
    char *f = freight_in(e, ns, "dev", "Warehouse/backstage");
    /* the first runs for several seconds, the others wait behind it: the last is still
     * unfinished when the keys reach it, even on a loaded machine */
    char *first = create_promotion(e, ns, "staging", f);
    char *queued = create_promotion(e, ns, "staging", f);
    char *second = create_promotion(e, ns, "staging", f);
    struct ptyterm *t = start(e, ns);
    ptyterm_send(t, "l");
    expect(t, "Freight for staging");
    ptyterm_send(t, "\t\t/");
    const char *ulid = strchr(second, '.') + 1;
    char *needle = xstrndup(ulid, 26);
    ptyterm_send(t, needle);
    ptyterm_send(t, "\r");
    open_action(t, "A abort", "Abort promotion");
    expect(t, "the controller stops it");
    confirm_with(t, NULL, "abort requested for promotion");
    struct want aborted = {ns, second, "Aborted"};
    wait_cluster(e, t, promotion_phase_is, &aborted, "the promotion Aborted");
    if (!wait_row(t, needle, "Aborted")) {
        ptyterm_dump(t, "aborted row");
        fail_msg("the screen never showed %s Aborted", second);
    }
    uienv_quit(t);
    free(needle);
    free(second);
    free(queued);
    free(first);
    free(f);
}

static void test_refresh_token_is_the_one_the_stage_handled(void **state)
{
    struct env *e = *state;
    const char *ns = "backstage-kargo";
    struct ptyterm *t = start(e, ns);
    ptyterm_send(t, "l");
    expect(t, "Freight for staging");
    open_action(t, "R refresh", "Refresh staging");
    confirm_with(t, NULL, "refresh requested for staging (token ");
    char *token = word_after(t, "(token ");
    assert_non_null(token);
    struct want handled = {ns, "staging", token};
    wait_cluster(e, t, refresh_handled, &handled, "staging handled the refresh token");
    uienv_quit(t);
    free(token);
}

static void test_promoter_sees_abort_and_refresh_dimmed_and_they_write_nothing(void **state)
{
    struct env *e = *state;
    const char *ns = "backstage-kargo";
    char *before = stage_annotation(e, ns, "dev", "kargo.akuity.io/refresh");
    /* a promotion waiting behind two others: one that abort applies to */
    char *f = freight_in(e, ns, "dev", "Warehouse/backstage");
    char *first = create_promotion(e, ns, "staging", f);
    char *queued = create_promotion(e, ns, "staging", f);
    char *last = create_promotion(e, ns, "staging", f);
    char *ulid = xstrndup(strchr(last, '.') + 1, 26);
    struct ptyterm *t = start_as(e, "promoter", ns, false);
    expect_dimmed(t, "R refresh", true);
    expect_dimmed(t, "p promote", false);
    expect_dimmed(t, "r rollback", false);
    press_until(t, "R", "refresh dev: your role cannot refresh stages");
    assert_false(ptyterm_wait_text(t, "Refresh dev", 300)); /* no confirmation opened */
    ptyterm_send(t, "l\t\t/");
    ptyterm_send(t, ulid);
    ptyterm_send(t, "\r");
    expect(t, "Promotions of staging");
    expect_dimmed(t, "A abort", true);
    press_until(t, "A", "abort: your role cannot abort promotions");
    /* the help says why */
    ptyterm_send(t, "?");
    expect(t, "your role cannot abort promotions (patch promotions)");
    ptyterm_send(t, "\033");
    char *after = stage_annotation(e, ns, "dev", "kargo.akuity.io/refresh");
    assert_string_equal(before, after);
    cJSON *p = get(e, ns, "promotions", last);
    assert_null(json_get(p, "metadata", "annotations", "kargo.akuity.io/abort", (char *)NULL));
    cJSON_Delete(p);
    uienv_quit(t);
    free(after);
    free(before);
    free(ulid);
    free(last);
    free(queued);
    free(first);
    free(f);
}

static void test_viewer_has_no_write_keys(void **state)
{
    struct env *e = *state;
    const char *ns = "backstage-kargo";
    int before = count_promotions(e, ns);
    struct ptyterm *t = start_as(e, "viewer", ns, false);
    /* (u and V do not apply to dev: no hold, no running verification) */
    static const char *const keys[] = {"p promote", "P downstream", "r rollback", "R refresh",
                                       "v reverify"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!wait_dimmed(t, keys[i], true)) {
            ptyterm_dump(t, "viewer");
            fail_msg("'%s' is offered to the viewer", keys[i]);
        }
    press_until(t, "p", "promote dev: your role cannot promote");
    ptyterm_send(t, "\t");
    expect_dimmed(t, "a approve", true);
    press_until(t, "a", "approve dev: your role cannot approve");
    assert_int_equal(count_promotions(e, ns), before);
    uienv_quit(t);
}

static void test_readonly_writes_nothing_whatever_is_pressed(void **state)
{
    struct env *e = *state;
    const char *ns = "backstage-kargo";
    int before = count_promotions(e, ns);
    char *refresh = stage_annotation(e, ns, "staging", "kargo.akuity.io/refresh");
    struct ptyterm *t = start_as(e, "admin", ns, true);
    expect(t, "[read-only]");
    ptyterm_send(t, "l");
    expect(t, "Freight for staging");
    expect_dimmed(t, "p promote", true);
    /* every write key is refused at once, with no dialog to confirm */
    static const char *const keys[] = {"p", "P", "r", "u", "R", "v", "V"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        ptyterm_send(t, keys[i]);
        expect(t, "read-only session");
        assert_false(ptyterm_wait_text(t, "y: confirm", 100));
        ptyterm_send(t, "j"); /* a move clears the message */
        assert_true(ptyterm_wait_gone(t, "read-only session", WAIT_MS));
    }
    ptyterm_send(t, "\ta");
    expect(t, "read-only session");
    uienv_quit(t); /* the process is gone: nothing can still be on its way */
    assert_int_equal(count_promotions(e, ns), before);
    char *after = stage_annotation(e, ns, "staging", "kargo.akuity.io/refresh");
    assert_string_equal(refresh, after);
    free(after);
    free(refresh);
}

/* Promotions per stage of ns whose stage is in names (n of them). */
static int promotions_to(struct env *e, const char *ns, const char *stage)
{
    cJSON *l = promotions(e, ns);
    int n = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(l, "items"))
    {
        n += strcmp(json_get_string(p, "spec", "stage", (char *)NULL), stage) == 0;
    }
    cJSON_Delete(l);
    return n;
}

static void test_batch_promotes_four_marked_stages_with_one_confirmation(void **state)
{
    struct env *e = *state;
    const char *ns = "microsvcs";
    static const char *const prod[] = {"red-production", "blue-production", "green-production",
                                       "yellow-production"};
    int before[4];
    for (int i = 0; i < 4; i++)
        before[i] = promotions_to(e, ns, prod[i]);
    struct ptyterm *t = start(e, ns);
    expect_dimmed(t, "p promote", false);
    for (int i = 0; i < 4; i++) {
        ptyterm_send(t, "/");
        ptyterm_send(t, prod[i]);
        ptyterm_send(t, "\r ");
        char want[64];
        snprintf(want, sizeof want, "%s marked; %d marked", prod[i], i + 1);
        if (!ptyterm_wait_text(t, want, WAIT_MS)) {
            ptyterm_dump(t, "mark");
            fail_msg("never showed '%s'", want);
        }
    }
    expect(t, "marked: red-production blue-production");
    ptyterm_send(t, "p");
    expect(t, "Promote to 4 stages");
    /* every protected Stage's name, on one line */
    expect(t, "4 protected stages: type all of their names, in any order:");
    expect(t, "red-production blue-production green-production yellow-production");
    for (int i = 0; i < 4; i++) {
        char want[64];
        snprintf(want, sizeof want, "%s <- ", prod[i]);
        if (!ptyterm_wait_text(t, want, WAIT_MS)) {
            ptyterm_dump(t, "batch");
            fail_msg("the confirmation does not list %s", prod[i]);
        }
    }
    /* the count, or a name missing: nothing is sent */
    ptyterm_send(t, "4\r");
    expect(t, "not every protected name");
    ptyterm_send(t, "\025red-production blue-production green-production\r");
    expect(t, "not every protected name");
    assert_false(ptyterm_wait_text(t, "promotions created", 300));
    for (int i = 0; i < 4; i++)
        assert_int_equal(promotions_to(e, ns, prod[i]), before[i]);
    /* all four, in another order */
    confirm_with(t, "\025yellow-production green-production blue-production red-production",
                 "promotions created: ");
    for (int i = 0; i < 4; i++)
        assert_int_equal(promotions_to(e, ns, prod[i]), before[i] + 1);
    uienv_quit(t);
}

static void test_cancel_with_n_or_esc_writes_nothing(void **state)
{
    struct env *e = *state;
    const char *ns = "backstage-kargo";
    int before = count_promotions(e, ns);
    char *refresh = stage_annotation(e, ns, "staging", "kargo.akuity.io/refresh");
    struct ptyterm *t = start(e, ns);
    ptyterm_send(t, "l");
    expect(t, "Freight for staging");
    /* Esc in the picker */
    expect_dimmed(t, "p promote", false);
    ptyterm_send(t, "p");
    expect(t, "which freight?");
    ptyterm_send(t, "\033");
    expect(t, "cancelled: nothing was sent");
    /* n at the confirmation */
    ptyterm_send(t, "p");
    expect(t, "which freight?");
    ptyterm_send(t, "\r");
    expect(t, "y: confirm");
    ptyterm_send(t, "n");
    expect(t, "cancelled: nothing was sent");
    /* Esc at the confirmation */
    ptyterm_send(t, "p\r");
    expect(t, "y: confirm");
    ptyterm_send(t, "\033");
    expect(t, "cancelled: nothing was sent");
    ptyterm_send(t, "R");
    expect(t, "Refresh staging");
    ptyterm_send(t, "n");
    expect(t, "cancelled: nothing was sent");
    /* a confirmation the terminal is too small to show cannot be confirmed blindly */
    ptyterm_send(t, "R");
    expect(t, "Refresh staging");
    ptyterm_resize(t, 12, 40);
    expect(t, "this terminal is 40x12");
    ptyterm_send(t, "y");
    /* the y is read no later than this resize is handled: once 41x12 shows, it was seen small */
    ptyterm_resize(t, 12, 41);
    expect(t, "this terminal is 41x12");
    ptyterm_resize(t, ROWS, COLS);
    expect(t, "Refresh staging");
    ptyterm_send(t, "\033");
    expect(t, "cancelled: nothing was sent");
    uienv_quit(t);
    assert_int_equal(count_promotions(e, ns), before);
    char *after = stage_annotation(e, ns, "staging", "kargo.akuity.io/refresh");
    assert_string_equal(refresh, after);
    free(after);
    free(refresh);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_promote_with_p_creates_the_promotion_and_shows_it_succeed, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_rollback_of_production_sets_the_older_freight_and_a_hold, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_approve_sets_approved_for_and_the_freight_becomes_available, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_promote_of_unavailable_freight_says_why_and_approves_first, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_promote_downstream_lists_targets_and_promotes_the_current_freight, setup,
            teardown),
        cmocka_unit_test_setup_teardown(test_a_refusal_shows_the_apis_own_words, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reverify_runs_the_verification_again, setup, teardown),
        cmocka_unit_test_setup_teardown(test_promote_from_a_warehouses_freight_picks_the_stage,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_slow_cluster_never_blocks_the_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_marks_belong_to_their_project, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abort_verification_with_V, setup_slow_verification,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_abort_with_A_ends_the_promotion_aborted, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_refresh_token_is_the_one_the_stage_handled, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_promoter_sees_abort_and_refresh_dimmed_and_they_write_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_viewer_has_no_write_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_readonly_writes_nothing_whatever_is_pressed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_batch_promotes_four_marked_stages_with_one_confirmation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_with_n_or_esc_writes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keys_are_offered_only_where_they_apply, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_marks_show_and_toggle_in_the_list_form, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_marked_stages_are_marked_on_their_boxes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_role_for_one_stage_allows_promote_there_only,
                                        setup_ursula, teardown),
        cmocka_unit_test_setup_teardown(test_batch_approves_every_target_needing_it_first,
                                        setup_ursula, teardown),
        cmocka_unit_test_setup_teardown(
            test_batch_without_approval_rights_says_why_and_approves_nothing, setup_ursula,
            teardown),
        cmocka_unit_test_setup_teardown(test_batch_confirmation_follows_a_late_approval_answer,
                                        setup_ursula, teardown),
    };
    /* KT_TEST_FILTER=test_name runs the tests whose names match (cmocka's filter) */
    if (getenv("KT_TEST_FILTER") != NULL)
        cmocka_set_test_filter(getenv("KT_TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
