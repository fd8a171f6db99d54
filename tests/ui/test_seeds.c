/* Every seed setup end to end: the real binary in a pseudo-terminal against the simulated cluster
 * loaded with the four built-in scenarios (backstage, flask-app, microsvcs, myapp: the five seed
 * write-ups). For each: every Stage in graph order in its colour with its phase and current
 * Freight as the API reports them, keys moving the selection where the layout puts the boxes,
 * the freight panel's availability checked against the Freight's verifiedIn/approvedFor, `/`,
 * a promotion made through the API appearing as Promoting then Succeeded without a key press,
 * a resize to 80x24 and back keeping the selection, and `:project` reaching each project. */
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

#include "expect.h"
#include "kube/api.h"
#include "kube/http.h"
#include "kube/kubeconfig.h"
#include "model/colour.h"
#include "model/derive.h"
#include "model/kargo.h"
#include "ptyterm.h"
#include "uienv.h"
#include "sim/kargo.h"
#include "sim/sim.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define WAIT_MS 20000
#define GV      "kargo.akuity.io/v1alpha1"
#define ROWS    50
#define COLS    200 /* wide enough for full boxes in every scenario, panes side by side */
#define SPLIT   (COLS / 2)

static const char *const scenarios[] = {"backstage", "flask-app", "microsvcs", "myapp", NULL};

/* What each seed's layout makes of the movement keys, and a manual Stage fed by another Stage
 * to check availability and promote to. */
struct move {
    const char *keys;
    const char *selected;
};

struct seed {
    const char *project;
    const char *first; /* selected at start: the top-left Stage */
    struct move moves[6];
    const char *target;
};

static const struct seed seeds[] = {
    {"backstage-kargo",
     "dev",
     {{"l", "staging"},
      {"\033[C", "production"},
      {"h", "staging"},
      {"h", "dev"},
      {"h", "backstage"}},
     "production"},
    {"flask-app", "dev", {{"l", "staging"}, {"l", "prod"}, {"g", "dev"}, {"G", "prod"}}, "prod"},
    {"microsvcs",
     "blue-development",
     {{"j", "blue-staging"},
      {"l", "blue-production"},
      {"k", "blue-development"},
      {"\033[B", "blue-staging"},
      {"h", "blue-releases"}},
     "red-production"},
    {"myapp",
     "dev",
     {{"l", "staging"},
      {"l", "uat"},
      {"l", "preprod"},
      {"l", "production"},
      {"h", "preprod"},
      {"G", "production"}},
     "uat"},
};

static int setup(void **state)
{
    /* a promotion of five steps runs for a few seconds */
    *state = uienv_start(scenarios, 7, 800, 1000);
    return *state != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    uienv_stop(*state);
    return 0;
}

/* ---- the API's view ------------------------------------------------------------------------ */

struct project_objects {
    struct kargo_stage **stages; /* by name, as the API lists them */
    size_t n_stages;
    struct kargo_freight **freight;
    size_t n_freight;
};

static void objects_free(struct project_objects *o)
{
    for (size_t i = 0; i < o->n_stages; i++)
        kargo_free_stage(o->stages[i]);
    for (size_t i = 0; i < o->n_freight; i++)
        kargo_free_freight(o->freight[i]);
    free(o->stages);
    free(o->freight);
    memset(o, 0, sizeof *o);
}

static void objects_load(struct env *e, const char *ns, struct project_objects *o)
{
    memset(o, 0, sizeof *o);
    struct kube_error err = {0};
    struct api_ref ref = {GV, "stages", ns, NULL};
    cJSON *list = api_list(e->client, &ref, NULL, NULL, &err);
    if (list == NULL)
        fail_msg("list stages: %s", err.message);
    const cJSON *items = cJSON_GetObjectItem(list, "items");
    o->stages = xcalloc((size_t)cJSON_GetArraySize(items) + 1, sizeof *o->stages);
    const cJSON *it;
    cJSON_ArrayForEach(it, items)
    {
        char *cause = NULL;
        o->stages[o->n_stages] = kargo_decode_stage(it, &cause);
        if (o->stages[o->n_stages] == NULL)
            fail_msg("decode stage: %s", cause);
        o->n_stages++;
    }
    cJSON_Delete(list);
    ref.plural = "freights";
    list = api_list(e->client, &ref, NULL, NULL, &err);
    if (list == NULL)
        fail_msg("list freight: %s", err.message);
    items = cJSON_GetObjectItem(list, "items");
    o->freight = xcalloc((size_t)cJSON_GetArraySize(items) + 1, sizeof *o->freight);
    cJSON_ArrayForEach(it, items)
    {
        char *cause = NULL;
        o->freight[o->n_freight] = kargo_decode_freight(it, &cause);
        if (o->freight[o->n_freight] == NULL)
            fail_msg("decode freight: %s", cause);
        o->n_freight++;
    }
    cJSON_Delete(list);
    kube_error_clear(&err);
}

static const struct kargo_stage *objects_stage(const struct project_objects *o, const char *name)
{
    for (size_t i = 0; i < o->n_stages; i++)
        if (strcmp(o->stages[i]->name, name) == 0)
            return o->stages[i];
    return NULL;
}

static const struct kargo_freight *objects_freight(const struct project_objects *o,
                                                   const char *name)
{
    for (size_t i = 0; i < o->n_freight; i++)
        if (strcmp(o->freight[i]->ref.name, name) == 0)
            return o->freight[i];
    return NULL;
}

/* The colour the Kargo UI gives each Stage, from the annotations of all of them in name order. */
static int stage_colour(const struct project_objects *o, const char *name)
{
    const char **ann = xcalloc(o->n_stages + 1, sizeof *ann);
    struct colour_rgb *rgb = xcalloc(o->n_stages + 1, sizeof *rgb);
    for (size_t i = 0; i < o->n_stages; i++)
        ann[i] = o->stages[i]->color;
    colour_assign(ann, o->n_stages, rgb);
    int c = -1;
    for (size_t i = 0; i < o->n_stages; i++)
        if (strcmp(o->stages[i]->name, name) == 0)
            c = colour_nearest(rgb[i], COLOUR_DEPTH_256);
    free(ann);
    free(rgb);
    return c;
}

/* ---- the screen -------------------------------------------------------------------------- */

static struct ptyterm *start(struct env *e, const char *project)
{
    char *argv[] = {KARGOTOP_BIN, "--kubeconfig", e->kubeconfig, "-n", (char *)project, NULL};
    struct ptyterm *t = ptyterm_spawn(argv, NULL, ROWS, COLS);
    assert_non_null(t);
    if (!ptyterm_wait_text(t, "Freight for", WAIT_MS) || !ptyterm_wait_text(t, "live", WAIT_MS)) {
        ptyterm_dump(t, "no dashboard");
        fail();
    }
    return t;
}

/* The freight pane's title for a selection: " Freight for NAME " then the border. */
static void expect_selected(struct ptyterm *t, const char *name)
{
    char *title = xasprintf("Freight for %s \u2500", name);
    expect_text(t, title);
    free(title);
}

/* The text of cells [c0, c1) of a row, as UTF-8; caller frees. */
static char *cells(struct ptyterm *t, int row, int c0, int c1)
{
    struct strbuf sb;
    strbuf_init(&sb);
    for (int c = c0; c < c1; c++) {
        VTermScreenCell cell;
        if (!ptyterm_cell(t, row, c, &cell))
            break;
        uint32_t u = cell.chars[0] != 0 ? cell.chars[0] : ' ';
        char out[4];
        size_t n = 0;
        if (u < 0x80) {
            out[n++] = (char)u;
        } else if (u < 0x800) {
            out[n++] = (char)(0xC0 | (u >> 6));
            out[n++] = (char)(0x80 | (u & 0x3F));
        } else {
            out[n++] = (char)(0xE0 | (u >> 12));
            out[n++] = (char)(0x80 | ((u >> 6) & 0x3F));
            out[n++] = (char)(0x80 | (u & 0x3F));
        }
        strbuf_append_len(&sb, out, n);
    }
    return strbuf_detach(&sb);
}

/* The top-left corner of a Stage's box: "┌ NAME " with the name on the Stage's colour. */
static bool find_box(struct ptyterm *t, const char *name, int *row, int *col)
{
    char *top = xasprintf("\u250c %s ", name);
    bool ok = ptyterm_find(t, top, row, col);
    free(top);
    return ok;
}

/* Whether the box of stage shows the API's phase and one of its current Freight's aliases. */
static bool box_matches(struct ptyterm *t, const struct kargo_stage *s,
                        const struct project_objects *o, char **why)
{
    int r, c;
    if (!find_box(t, s->name, &r, &c)) {
        *why = xasprintf("no box for %s", s->name);
        return false;
    }
    const char *phase =
        s->control_flow ? "Control flow" : derive_phase_name(derive_stage_phase(s, true));
    char *line = cells(t, r + 1, c + 1, c + 25);
    bool ok = strstr(line, phase) != NULL;
    if (!ok)
        *why = xasprintf("%s: phase line '%s', want %s", s->name, line, phase);
    free(line);
    if (!ok)
        return false;
    const struct kargo_freight_ref **cur = NULL;
    size_t ncur = derive_current_freight(s, &cur);
    line = cells(t, r + 3, c + 1, c + 25);
    ok = ncur == 0 && strstr(line, "no freight") != NULL;
    for (size_t i = 0; i < ncur && !ok; i++) {
        const struct kargo_freight *f = objects_freight(o, cur[i]->name);
        ok = f != NULL && f->alias != NULL && strstr(line, f->alias) != NULL;
    }
    if (!ok)
        *why =
            xasprintf("%s: freight line '%s' names none of its %zu current", s->name, line, ncur);
    free(line);
    free(cur);
    return ok;
}

/* Selects a Stage by `/` (find in the pipeline), which also scrolls it into view. */
static void select_stage(struct ptyterm *t, const char *name)
{
    char *keys = xasprintf("/%s\r", name);
    ptyterm_send(t, keys);
    free(keys);
    expect_selected(t, name);
}

static void check_boxes(struct env *e, struct ptyterm *t, const struct seed *sd)
{
    struct project_objects o;
    objects_load(e, sd->project, &o);
    assert_true(o.n_stages >= 3);
    for (size_t i = 0; i < o.n_stages; i++) {
        const struct kargo_stage *s = o.stages[i];
        select_stage(t, s->name);
        /* phase and Freight change while promotions run: compare with a fresh read until both
         * agree, or the deadline passes */
        char *why = NULL;
        bool ok = false;
        for (int tries = 0; tries < WAIT_MS / 200 && !ok; tries++) {
            struct project_objects now;
            objects_load(e, sd->project, &now);
            free(why);
            why = NULL;
            ok = box_matches(t, objects_stage(&now, s->name), &now, &why);
            objects_free(&now);
            if (!ok)
                ptyterm_pump(t, 200);
        }
        if (!ok) {
            ptyterm_dump(t, why);
            fail_msg("%s", why);
        }
        free(why);
        int r, c;
        assert_true(find_box(t, s->name, &r, &c));
        /* the name on the Stage's colour, black or white text on it */
        VTermScreenCell cell;
        assert_true(ptyterm_cell(t, r, c + 2, &cell));
        int want = stage_colour(&o, s->name);
        if (!VTERM_COLOR_IS_INDEXED(&cell.bg) || cell.bg.indexed.idx != want) {
            ptyterm_dump(t, "stage colour");
            fail_msg("%s: name background %d, want %d", s->name,
                     VTERM_COLOR_IS_INDEXED(&cell.bg) ? cell.bg.indexed.idx : -1, want);
        }
        /* graph order: right of every Stage it takes Freight from, on the same screen */
        for (size_t q = 0; q < s->n_requests; q++)
            for (size_t u = 0; u < s->requests[q].n_stages; u++) {
                int ur, uc;
                if (find_box(t, s->requests[q].stages[u], &ur, &uc) && uc >= c) {
                    ptyterm_dump(t, "graph order");
                    fail_msg("%s is not right of its upstream %s", s->name,
                             s->requests[q].stages[u]);
                }
            }
    }
    objects_free(&o);
}

static void check_moves(struct ptyterm *t, const struct seed *sd)
{
    ptyterm_send(t, "g");
    expect_selected(t, sd->first);
    for (size_t i = 0; i < sizeof sd->moves / sizeof sd->moves[0] && sd->moves[i].keys; i++) {
        ptyterm_send(t, sd->moves[i].keys);
        expect_selected(t, sd->moves[i].selected);
    }
}

/* The row (left half) holding alias in the freight pane of stage, as text, or NULL; caller
 * frees. NULL too while the pane still belongs to what was selected before (a warehouse's pane
 * has no availability column): the pty may have delivered only the top of the new frame. */
static char *freight_row(struct ptyterm *t, const char *stage, const char *alias)
{
    int top;
    char *title = xasprintf("Freight for %s", stage);
    bool found = ptyterm_find(t, title, &top, NULL);
    free(title);
    if (!found)
        return NULL;
    char *key = xasprintf(" %s ", alias);
    for (int r = top + 2; r < ROWS - 2; r++) {
        char *line = cells(t, r, 0, SPLIT);
        if (strstr(line, key) != NULL) {
            free(key);
            return line;
        }
        free(line);
    }
    free(key);
    return NULL;
}

static bool verified_upstream(const struct kargo_freight *f, const struct kargo_freight_request *q)
{
    for (size_t u = 0; u < q->n_stages; u++)
        if (kargo_stage_mark(f->verified_in, f->n_verified_in, q->stages[u]) != NULL)
            return true;
    return false;
}

/* The request of s that f's origin flows through, or NULL. */
static const struct kargo_freight_request *request_of(const struct kargo_stage *s,
                                                      const struct kargo_freight *f)
{
    for (size_t k = 0; k < s->n_requests; k++)
        if (strcmp(s->requests[k].origin.key, f->ref.origin.key) == 0)
            return &s->requests[k];
    return NULL;
}

enum shown { SHOWN_MISSING, SHOWN_WRONG, SHOWN_AVAILABLE, SHOWN_UNAVAILABLE };

/* How the freight pane shows f for s, checked against the API: "available" only when verified
 * upstream (or approved for s, or the request is direct); "not verified in X" only when it is
 * not; never unavailable when approved. */
static enum shown freight_shown(struct ptyterm *t, const struct kargo_stage *s,
                                const struct kargo_freight *f, char **row_out)
{
    const struct kargo_freight_request *q = request_of(s, f);
    char *row = freight_row(t, s->name, f->alias);
    if (row_out != NULL)
        *row_out = row != NULL ? xstrdup(row) : NULL;
    if (row == NULL)
        return SHOWN_MISSING;
    /* a row without its availability column is a frame still being drawn */
    if (strstr(row, "available") == NULL && strstr(row, "not verified in") == NULL &&
        strstr(row, "needs ") == NULL && strstr(row, "not approved") == NULL) {
        free(row);
        return SHOWN_MISSING;
    }
    bool approved = kargo_stage_mark(f->approved_for, f->n_approved_for, s->name) != NULL;
    bool verified = q->direct || verified_upstream(f, q);
    enum shown r;
    if (strstr(row, "available") != NULL && strstr(row, "not available") == NULL)
        r = approved || verified ? SHOWN_AVAILABLE : SHOWN_WRONG;
    else if (approved || (strstr(row, "not verified in") != NULL && verified))
        r = SHOWN_WRONG;
    else
        r = SHOWN_UNAVAILABLE;
    free(row);
    return r;
}

/* Waits until the pane shows the Freight named freight as the API (read afresh each time) says
 * it should; returns how it is shown. */
static enum shown wait_freight_shown(struct env *e, struct ptyterm *t, const struct seed *sd,
                                     const char *freight)
{
    enum shown r = SHOWN_MISSING;
    char *row = NULL;
    for (int tries = 0; tries < WAIT_MS / 200; tries++) {
        struct project_objects o;
        objects_load(e, sd->project, &o);
        free(row);
        r = freight_shown(t, objects_stage(&o, sd->target), objects_freight(&o, freight), &row);
        objects_free(&o);
        if (r == SHOWN_AVAILABLE || r == SHOWN_UNAVAILABLE)
            break;
        ptyterm_pump(t, 200);
    }
    if (r == SHOWN_MISSING || r == SHOWN_WRONG) {
        ptyterm_dump(t, "availability");
        fail_msg("freight %s for %s: %s", freight, sd->target,
                 r == SHOWN_MISSING ? "not in the panel" : row);
    }
    free(row);
    return r;
}

/* Every Freight of the target's origins is listed and its availability agrees with the API.
 * Returns the name of an available Freight not yet in the target, for the promotion (caller
 * frees), or NULL. */
static char *check_availability(struct env *e, struct ptyterm *t, const struct seed *sd)
{
    select_stage(t, sd->target);
    struct project_objects o;
    objects_load(e, sd->project, &o);
    const struct kargo_stage *s = objects_stage(&o, sd->target);
    assert_non_null(s);
    const struct kargo_freight_ref **cur = NULL;
    size_t ncur = derive_current_freight(s, &cur);
    char *pick = NULL;
    size_t n_available = 0;
    for (size_t i = 0; i < o.n_freight; i++) {
        const struct kargo_freight *f = o.freight[i];
        if (request_of(s, f) == NULL)
            continue;
        if (wait_freight_shown(e, t, sd, f->ref.name) != SHOWN_AVAILABLE)
            continue;
        n_available++;
        bool in = false;
        for (size_t c = 0; c < ncur; c++)
            in = in || strcmp(cur[c]->name, f->ref.name) == 0;
        if (!in && pick == NULL)
            pick = xstrdup(f->ref.name);
    }
    if (n_available == 0) {
        ptyterm_dump(t, "nothing available");
        fail_msg("no Freight shown available for %s, and the API agrees", sd->target);
    }
    free(cur);
    objects_free(&o);
    return pick;
}

/* Whether new Freight of origin reaches stage on its own: it promotes automatically, straight
 * from the warehouse or without a soak from a Stage it reaches on its own. */
static bool flows(const struct project_objects *o, const struct kargo_stage *s, const char *origin)
{
    if (s == NULL || !s->auto_promotion_enabled)
        return false;
    for (size_t k = 0; k < s->n_requests; k++) {
        const struct kargo_freight_request *q = &s->requests[k];
        if (strcmp(q->origin.key, origin) != 0)
            continue;
        if (q->direct)
            return true;
        return q->soak_ms == 0 && q->n_stages > 0 &&
               flows(o, objects_stage(o, q->stages[0]), origin);
    }
    return false;
}

/* A Freight created through the API (as `kargo create freight` does) for the target's first
 * origin appears live, unavailable ("not verified in" its upstream); where that upstream
 * promotes automatically it stops being so once verified there, without a key press. */
static void check_fresh_freight(struct env *e, struct ptyterm *t, const struct seed *sd)
{
    struct project_objects o;
    objects_load(e, sd->project, &o);
    const struct kargo_stage *s = objects_stage(&o, sd->target);
    const struct kargo_freight_request *q = &s->requests[0];
    assert_false(q->direct);
    assert_true(q->n_stages > 0);
    const struct kargo_stage *up = objects_stage(&o, q->stages[0]);
    bool upstream_auto = flows(&o, up, q->origin.key);
    struct api_ref wref = {GV, "warehouses", sd->project, q->origin.name};
    cJSON *wh = api_get(e->client, &wref, NULL);
    assert_non_null(wh);
    const char *repo =
        json_get_string(cJSON_GetArrayItem(json_get(wh, "spec", "subscriptions", NULL), 0), "image",
                        "repoURL", NULL);
    assert_non_null(repo);
    char *alias = xstrdup("e2e-new"); /* short: the alias column is 16 cells */
    char *body = xasprintf("{\"apiVersion\":\"" GV "\",\"kind\":\"Freight\","
                           "\"metadata\":{\"generateName\":\"e2e-\"},\"alias\":\"%s\","
                           "\"origin\":{\"kind\":\"Warehouse\",\"name\":\"%s\"},"
                           "\"images\":[{\"repoURL\":\"%s\",\"tag\":\"99.0.0\",\"digest\":\"sha256:"
                           "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"}]}",
                           alias, q->origin.name, repo);
    cJSON_Delete(wh);
    cJSON *fobj = cJSON_Parse(body);
    struct api_ref ref = {GV, "freights", sd->project, NULL};
    struct kube_error err = {0};
    cJSON *created = api_create(e->client, &ref, fobj, &err);
    if (created == NULL)
        fail_msg("create freight: %s", err.message);
    char *name = xstrdup(json_get_string(created, "metadata", "name", NULL));
    char *why = xasprintf("not verified in %s", q->stages[0]);
    bool seen = false;
    for (int i = 0; i < WAIT_MS / 50 && !seen; i++) {
        char *row = freight_row(t, sd->target, alias);
        seen = row != NULL && strstr(row, why) != NULL;
        free(row);
        if (!seen)
            ptyterm_pump(t, 50);
    }
    if (!seen) {
        ptyterm_dump(t, why);
        fail_msg("new freight %s never shown '%s'", alias, why);
    }
    if (upstream_auto) {
        /* it flows through the upstream automatically: a promotion or two and a verification */
        bool moved = false;
        for (int i = 0; i < 3 * WAIT_MS / 200 && !moved; i++) {
            char *row = freight_row(t, sd->target, alias);
            moved = row != NULL && strstr(row, why) == NULL;
            free(row);
            if (!moved)
                ptyterm_pump(t, 200);
        }
        if (!moved) {
            ptyterm_dump(t, "still unverified");
            fail_msg("%s never left '%s' although %s promotes automatically", alias, why, up->name);
        }
        wait_freight_shown(e, t, sd, name);
    }
    /* a Stage that asks for a soak upstream says how much is left once the Freight is verified
     * there (flask-app: staging soaks 30m in dev) */
    for (size_t i = 0; i < o.n_stages; i++) {
        const struct kargo_stage *st = o.stages[i];
        for (size_t k = 0; k < st->n_requests; k++) {
            const struct kargo_freight_request *sq = &st->requests[k];
            if (strcmp(sq->origin.key, q->origin.key) != 0 || sq->soak_ms <= 0 ||
                sq->n_stages == 0 || !flows(&o, objects_stage(&o, sq->stages[0]), q->origin.key))
                continue;
            select_stage(t, st->name);
            char *soak = xasprintf("more soak in %s", sq->stages[0]);
            bool shown = false;
            for (int w = 0; w < 3 * WAIT_MS / 100 && !shown; w++) {
                char *row = freight_row(t, st->name, alias);
                shown = row != NULL && strstr(row, soak) != NULL && strstr(row, "needs ") != NULL;
                free(row);
                if (!shown)
                    ptyterm_pump(t, 100);
            }
            if (!shown) {
                ptyterm_dump(t, soak);
                fail_msg("%s never showed '%s' for %s", alias, soak, st->name);
            }
            free(soak);
        }
    }
    select_stage(t, sd->target);
    free(why);
    free(name);
    free(alias);
    free(body);
    cJSON_Delete(fobj);
    cJSON_Delete(created);
    kube_error_clear(&err);
    objects_free(&o);
}

/* Whether the freight pane of sd's target shows the mark "●STAGE" for where a Freight is,
 * drawn in the Stage's colour, "●STAGE✓" exactly when the API says it is verified there; on
 * false, why (caller frees). */
static bool where_colour_shown(struct env *e, struct ptyterm *t, const struct seed *sd,
                               char **why)
{
    struct project_objects o;
    objects_load(e, sd->project, &o);
    const struct kargo_stage *s = objects_stage(&o, sd->target);
    char *mark = xasprintf("\u25cf%s", s->name);
    size_t mlen = strlen(mark);
    char *title = xasprintf("Freight for %s", s->name);
    *why = NULL;
    bool found = false;
    int top = 0;
    if (!ptyterm_find(t, title, &top, NULL))
        *why = xasprintf("no pane '%s'", title);
    for (int r = top + 2; *why == NULL && !found && r < ROWS - 1; r++) {
        char *line = cells(t, r, 0, SPLIT);
        char *hit = strstr(line, mark);
        if (hit == NULL || (hit[mlen] != ' ' && strncmp(hit + mlen, "\u2713", 3) != 0)) {
            free(line);
            continue;
        }
        int c = 0;
        for (char *p = line; p < hit; p++)
            if (((unsigned char)*p & 0xC0) != 0x80)
                c++;
        VTermScreenCell cell;
        const struct kargo_freight *f = NULL;
        for (size_t i = 0; i < o.n_freight && f == NULL; i++) {
            char *key = xasprintf(" %s ", o.freight[i]->alias);
            if (strstr(line, key) != NULL)
                f = o.freight[i];
            free(key);
        }
        bool verified =
            f != NULL && kargo_stage_mark(f->verified_in, f->n_verified_in, s->name) != NULL;
        if (!ptyterm_cell(t, r, c + 1, &cell) || !VTERM_COLOR_IS_INDEXED(&cell.fg) ||
            cell.fg.indexed.idx != stage_colour(&o, s->name))
            *why = xasprintf("%s is not in %s's colour: %s", mark, s->name, line);
        else if (f == NULL)
            *why = xasprintf("the row with %s names no Freight of the API: %s", mark, line);
        else if (verified != (strncmp(hit + mlen, "\u2713", 3) == 0))
            *why = xasprintf("%s in %s: verified %d, the mark says otherwise", f->alias, s->name,
                             verified);
        found = true;
        free(line);
    }
    if (*why == NULL && !found)
        *why = xasprintf("no %s mark", mark);
    free(title);
    free(mark);
    objects_free(&o);
    return *why == NULL;
}

/* The where-marks agree with the API; read again until they do (a frame may arrive in parts,
 * the API may move on between the read and the screen), or the deadline passes. */
static void check_where_colour(struct env *e, struct ptyterm *t, const struct seed *sd)
{
    char *why = NULL;
    bool ok = false;
    for (int tries = 0; tries < WAIT_MS / 200 && !ok; tries++) {
        free(why);
        ok = where_colour_shown(e, t, sd, &why);
        if (!ok)
            ptyterm_pump(t, 200);
    }
    if (!ok) {
        ptyterm_dump(t, "where marks");
        fail_msg("%s", why);
    }
    free(why);
}

/* The freight pane: `/` narrows it as one types, the title counts what matches; Esc clears. */
static void check_filter(struct ptyterm *t, const char *alias)
{
    ptyterm_send(t, "\t/");
    ptyterm_send(t, alias);
    char *title = xasprintf("/%s (1)", alias);
    expect_text(t, title);
    free(title);
    ptyterm_send(t, "\r\033"); /* leave the prompt, then Esc clears the filter */
    if (!ptyterm_wait_gone(t, " (1)", WAIT_MS)) {
        ptyterm_dump(t, "filter not cleared");
        fail();
    }
    ptyterm_send(t, "\033"); /* and the focus goes back to the pipeline */
}

/* The alias of a Freight, from the API; caller frees. */
static char *alias_of(struct env *e, const char *ns, const char *freight)
{
    struct api_ref fref = {GV, "freights", ns, freight};
    cJSON *fobj = api_get(e->client, &fref, NULL);
    assert_non_null(fobj);
    char *alias = xstrdup(json_get_string(fobj, "alias", NULL));
    cJSON_Delete(fobj);
    return alias;
}

static void check_promotion(struct env *e, struct ptyterm *t, const struct seed *sd,
                            const char *freight)
{
    char *alias = alias_of(e, sd->project, freight);
    char *body = xasprintf("{\"apiVersion\":\"" GV "\",\"kind\":\"Promotion\","
                           "\"metadata\":{\"generateName\":\"%s.\"},"
                           "\"spec\":{\"stage\":\"%s\",\"freight\":\"%s\"}}",
                           sd->target, sd->target, freight);
    cJSON *promo = cJSON_Parse(body);
    struct api_ref ref = {GV, "promotions", sd->project, NULL};
    struct kube_error err = {0};
    cJSON *created = api_create(e->client, &ref, promo, &err);
    if (created == NULL)
        fail_msg("create: %s", err.message);
    /* no key from here on: the watches bring every change */
    int r, c;
    bool promoting = false, running = false, succeeded = false;
    for (int i = 0; i < WAIT_MS / 50 && !(promoting && running); i++) {
        if (!promoting && find_box(t, sd->target, &r, &c)) {
            char *line = cells(t, r + 1, c + 1, c + 25);
            promoting = strstr(line, "Promoting step") != NULL;
            free(line);
        }
        /* the promotions pane: Running, at step k/n, created by the user who sent it */
        for (int row = 0; row < ROWS && !running; row++) {
            char *line = cells(t, row, SPLIT, COLS);
            const char *slash = strchr(line, '/');
            running = strstr(line, "Running") && strstr(line, alias) &&
                      strstr(line, "kubernetes:admin") && slash != NULL && slash > line &&
                      slash[-1] >= '0' && slash[-1] <= '9' && slash[1] >= '1' && slash[1] <= '9';
            free(line);
        }
        if (!(promoting && running))
            ptyterm_pump(t, 50);
    }
    if (!promoting || !running) {
        ptyterm_dump(t, "never Promoting and Running");
        fail_msg("%s never showed Promoting (%d) and a Running row at step k/n (%d)", sd->target,
                 promoting, running);
    }
    for (int i = 0; i < WAIT_MS / 50 && !succeeded; i++) {
        for (int row = 0; row < ROWS && !succeeded; row++) {
            char *line = cells(t, row, SPLIT, COLS); /* the promotions pane */
            succeeded =
                strstr(line, "Succeeded") && strstr(line, alias) && strstr(line, sd->target);
            free(line);
        }
        if (!succeeded)
            ptyterm_pump(t, 50);
    }
    if (!succeeded) {
        ptyterm_dump(t, "never Succeeded");
        fail_msg("the promotion of %s to %s never showed Succeeded", alias, sd->target);
    }
    /* and the box runs it */
    bool runs = false;
    for (int i = 0; i < WAIT_MS / 50 && !runs; i++) {
        if (find_box(t, sd->target, &r, &c)) {
            char *line = cells(t, r + 3, c + 1, c + 25);
            runs = strstr(line, alias) != NULL;
            free(line);
        }
        if (!runs)
            ptyterm_pump(t, 50);
    }
    if (!runs) {
        ptyterm_dump(t, "box");
        fail_msg("%s's box never showed %s", sd->target, alias);
    }
    cJSON_Delete(created);
    cJSON_Delete(promo);
    kube_error_clear(&err);
    free(body);
    free(alias);
}

static void check_resize(struct ptyterm *t, const struct seed *sd)
{
    ptyterm_resize(t, 24, 80);
    expect_selected(t, sd->target);
    /* drawn for 80x24 (not what is left of the wide frame): the footer on the last row */
    int row = -1;
    for (int i = 0; i < WAIT_MS / 50 && row != 23; i++) {
        if (!ptyterm_find(t, "q quit", &row, NULL))
            row = -1;
        if (row != 23)
            ptyterm_pump(t, 50);
    }
    if (row != 23) {
        ptyterm_dump(t, "80x24");
        fail_msg("no frame drawn at 80x24");
    }
    expect_selected(t, sd->target);
    ptyterm_resize(t, ROWS, COLS);
    expect_selected(t, sd->target);
    int r, c;
    for (int i = 0; i < WAIT_MS / 50 && !find_box(t, sd->target, &r, &c); i++)
        ptyterm_pump(t, 50);
    if (!find_box(t, sd->target, &r, &c)) {
        ptyterm_dump(t, "after growing back");
        fail_msg("no box for %s after the resize", sd->target);
    }
}

static void run_seed(void **state, size_t i)
{
    struct env *e = *state;
    const struct seed *sd = &seeds[i];
    struct ptyterm *t = start(e, sd->project);
    char *top = xasprintf("project: %s", sd->project);
    expect_text(t, top);
    free(top);
    expect_selected(t, sd->first);
    check_boxes(e, t, sd);
    check_moves(t, sd);
    char *freight = check_availability(e, t, sd);
    check_fresh_freight(e, t, sd);
    check_where_colour(e, t, sd);
    if (freight == NULL)
        fail_msg("nothing available to promote to %s", sd->target);
    char *alias = alias_of(e, sd->project, freight);
    check_filter(t, alias);
    free(alias);
    expect_selected(t, sd->target);
    check_promotion(e, t, sd, freight);
    free(freight);
    check_resize(t, sd);
    uienv_quit(t);
}

static void test_backstage(void **state)
{
    run_seed(state, 0);
}

static void test_flask_app(void **state)
{
    run_seed(state, 1);
}

static void test_microsvcs(void **state)
{
    run_seed(state, 2);
}

static void test_myapp(void **state)
{
    run_seed(state, 3);
}

static void test_project_command_reaches_every_project(void **state)
{
    struct env *e = *state;
    struct ptyterm *t = start(e, seeds[0].project);
    for (size_t i = 1; i <= sizeof seeds / sizeof seeds[0]; i++) {
        const struct seed *sd = &seeds[i % (sizeof seeds / sizeof seeds[0])];
        char *cmd = xasprintf(":project %s\r", sd->project);
        ptyterm_send(t, cmd);
        free(cmd);
        char *top = xasprintf("project: %s", sd->project);
        expect_text(t, top);
        free(top);
        expect_selected(t, sd->first); /* a new project starts at its first Stage */
        int r, c;
        for (int k = 0; k < WAIT_MS / 50 && !find_box(t, sd->target, &r, &c); k++)
            ptyterm_pump(t, 50);
        if (!find_box(t, sd->target, &r, &c) && !find_box(t, sd->first, &r, &c)) {
            ptyterm_dump(t, sd->project);
            fail_msg("no boxes for %s", sd->project);
        }
    }
    uienv_quit(t);
}

/* At 160 columns myapp's six ranks do not fit the preferred boxes: they narrow, and keep every
 * line (phase, health, Freight, version and age) while the height allows. */
static void test_narrowed_boxes_keep_their_lines(void **state)
{
    struct env *e = *state;
    char *argv[] = {KARGOTOP_BIN, "--kubeconfig", e->kubeconfig, "-n", "myapp", NULL};
    struct ptyterm *t = ptyterm_spawn(argv, NULL, 45, 160);
    assert_non_null(t);
    expect_selected(t, "dev");
    expect_text(t, "\u25cf live");
    char *why = NULL;
    bool ok = false;
    for (int tries = 0; tries < WAIT_MS / 200 && !ok; tries++) {
        struct project_objects o;
        objects_load(e, "myapp", &o);
        ok = true;
        for (size_t i = 0; i < o.n_stages && ok; i++) {
            free(why);
            why = NULL;
            ok = box_matches(t, o.stages[i], &o, &why);
        }
        objects_free(&o);
        if (!ok)
            ptyterm_pump(t, 200);
    }
    if (!ok) {
        ptyterm_dump(t, why);
        fail_msg("%s", why);
    }
    free(why);
    expect_text(t, "\u2665 Healthy");
    uienv_quit(t);
}

/* `kargotop --demo` runs its own simulated cluster with the same four scenarios: every seed's
 * project is there, each Stage boxed on its colour. */
static void test_demo_shows_every_seed(void **state)
{
    struct env *e = *state;
    char *argv[] = {KARGOTOP_BIN, "--demo", NULL};
    struct ptyterm *t = ptyterm_spawn(argv, NULL, ROWS, COLS);
    assert_non_null(t);
    expect_text(t, "cluster: kargo-sim");
    expect_text(t, "\u25cf live");
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        const struct seed *sd = &seeds[i];
        char *top = xasprintf("project: %s ", sd->project);
        if (!ptyterm_find(t, top, NULL, NULL)) { /* (the project it opened with stays open) */
            char *cmd = xasprintf(":project %s\r", sd->project);
            ptyterm_send(t, cmd);
            free(cmd);
        }
        expect_text(t, top);
        free(top);
        expect_selected(t, sd->first);
        struct project_objects o;
        objects_load(e, sd->project, &o);
        for (size_t k = 0; k < o.n_stages; k++) {
            const char *name = o.stages[k]->name;
            select_stage(t, name);
            int r = -1, c = -1;
            for (int w = 0; w < WAIT_MS / 50 && !find_box(t, name, &r, &c); w++)
                ptyterm_pump(t, 50);
            if (!find_box(t, name, &r, &c)) {
                ptyterm_dump(t, name);
                fail_msg("demo: no box for %s/%s", sd->project, name);
            }
            VTermScreenCell cell;
            assert_true(ptyterm_cell(t, r, c + 2, &cell));
            int want = stage_colour(&o, name);
            if (!VTERM_COLOR_IS_INDEXED(&cell.bg) || cell.bg.indexed.idx != want) {
                ptyterm_dump(t, "demo colour");
                fail_msg("demo: %s/%s background %d, want %d", sd->project, name,
                         VTERM_COLOR_IS_INDEXED(&cell.bg) ? cell.bg.indexed.idx : -1, want);
            }
        }
        objects_free(&o);
    }
    uienv_quit(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backstage),
        cmocka_unit_test(test_flask_app),
        cmocka_unit_test(test_microsvcs),
        cmocka_unit_test(test_myapp),
        cmocka_unit_test(test_project_command_reaches_every_project),
        cmocka_unit_test(test_narrowed_boxes_keep_their_lines),
        cmocka_unit_test(test_demo_shows_every_seed),
    };
    if (getenv("KT_TEST_FILTER") != NULL)
        cmocka_set_test_filter(getenv("KT_TEST_FILTER"));
    return cmocka_run_group_tests(tests, setup, teardown);
}
