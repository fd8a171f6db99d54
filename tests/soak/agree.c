/* The screen against the simulator's state (see agree.h). */
#include "agree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kube/api.h"
#include "model/derive.h"
#include "model/store.h"
#include "ui/describe.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define GV           "kargo.akuity.io/v1alpha1"
#define CORNER_TL    "\u250c"
#define CORNER_TR    0x2510
#define CORNER_BL    0x2514
#define HLINE        "\u2500"
#define VLINE        "\u2502"
#define ELLIPSIS     "\u2026"
#define MAX_MISMATCH 40

struct agree {
    struct store *st;
    unsigned long fields, mismatches;
    /* the mismatches of the attempt under way, printed only when the view never agrees */
    struct strbuf report;
    bool tabbed; /* Tab was sent to bring the Freight pane forward */
};

struct agree *agree_load(struct kube_client *client, const char *ns, char **cause)
{
    static const struct {
        const char *resource;
        enum kargo_kind kind;
    } kinds[] = {{"warehouses", KARGO_WAREHOUSE},
                 {"stages", KARGO_STAGE},
                 {"freights", KARGO_FREIGHT},
                 {"promotions", KARGO_PROMOTION}};
    struct agree *a = xcalloc(1, sizeof *a);
    a->st = store_new(ns);
    strbuf_init(&a->report);
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        struct api_ref ref = {GV, kinds[i].resource, ns, NULL};
        struct kube_error err = {0};
        cJSON *l = api_list(client, &ref, NULL, NULL, &err);
        if (l == NULL) {
            *cause = xasprintf("listing %s: %s", kinds[i].resource, err.message);
            kube_error_clear(&err);
            agree_free(a);
            return NULL;
        }
        kube_error_clear(&err);
        int rc = store_replace(a->st, kinds[i].kind, cJSON_GetObjectItem(l, "items"), cause);
        cJSON_Delete(l);
        if (rc != 0) {
            agree_free(a);
            return NULL;
        }
    }
    return a;
}

void agree_free(struct agree *a)
{
    if (a == NULL)
        return;
    store_free(a->st);
    strbuf_free(&a->report);
    free(a);
}

unsigned long agree_fields(const struct agree *a)
{
    return a->fields;
}

unsigned long agree_mismatches(const struct agree *a)
{
    return a->mismatches;
}

/* One field: what the screen shows against what the simulator's state says it must show. Text
 * the screen cut short (ending in an ellipsis) agrees when the rest is the start of want. */
static bool same_text(const char *want, const char *got)
{
    size_t gl = strlen(got), el = strlen(ELLIPSIS);
    return strcmp(want, got) == 0 ||
           (gl > el && strcmp(got + gl - el, ELLIPSIS) == 0 && strncmp(want, got, gl - el) == 0);
}

static void field(struct agree *a, const char *where, const char *what, const char *want,
                  const char *got)
{
    a->fields++;
    if (same_text(want, got))
        return;
    a->mismatches++;
    if (a->mismatches <= MAX_MISMATCH)
        strbuf_appendf(&a->report,
                       "soak: mismatch: %s, %s: the screen shows \"%s\", the "
                       "simulator's state \"%s\"\n",
                       where, what, got, want);
}

static bool cell_is(struct ptyterm *t, int row, int col, uint32_t ch)
{
    VTermScreenCell c;
    return ptyterm_cell(t, row, col, &c) && c.chars[0] == ch;
}

/* The text after the first space (the icon that leads a phase or health). */
static const char *after_icon(const char *s)
{
    const char *sp = strchr(s, ' ');
    return sp != NULL ? sp + 1 : "";
}

/* "Promoting step 2/5", "Ready", or "Control flow": the phase a Stage shows. */
static void stage_phase_text(const struct store *st, const struct kargo_stage *s, char *buf,
                             size_t len, bool list)
{
    enum stage_phase ph = derive_stage_phase(s, true);
    char step[32] = "";
    if (ph == PHASE_PROMOTING)
        describe_step(derive_active_promotion(st, s), step, sizeof step);
    const char *name = s->control_flow && !list ? "Control flow" : derive_phase_name(ph);
    snprintf(buf, len, "%s%s%s", name, step[0] ? (list ? " " : " step ") : "", step);
}

static const char *stage_health_text(const struct kargo_stage *s)
{
    enum stage_health h = derive_stage_health(s);
    return h == HEALTH_NONE ? "" : derive_health_name(h);
}

/* The alias of the Stage's current Freight (of its first origin), or NULL. */
static char *stage_alias(const struct store *st, const struct kargo_stage *s, bool all)
{
    const struct kargo_freight_ref **cur = NULL;
    size_t n = derive_current_freight(s, &cur);
    if (n == 0)
        return NULL;
    struct strbuf sb;
    strbuf_init(&sb);
    for (size_t i = 0; i < (all ? n : 1); i++) {
        const struct kargo_freight *f = store_freight(st, cur[i]->name);
        strbuf_appendf(&sb, "%s%s", i > 0 ? " " : "",
                       f != NULL && f->alias != NULL ? f->alias : cur[i]->name);
    }
    free(cur);
    return strbuf_detach(&sb);
}

/* The boxes of the pipeline: for each Stage whose box is on screen (found by "┌ name "), the
 * phase (with the step of a running promotion), health, current Freight and the auto-promotion
 * mark in the top border. Returns how many boxes were found. */
static size_t check_boxes(struct agree *a, struct ptyterm *t)
{
    const struct kargo_stage *const *stages;
    size_t ns = store_stages(a->st, &stages), found = 0;
    for (size_t i = 0; i < ns; i++) {
        const struct kargo_stage *s = stages[i];
        char *head = xasprintf(CORNER_TL " %s ", s->name);
        int row, col;
        bool on = ptyterm_find(t, head, &row, &col);
        free(head);
        if (!on)
            continue;
        int right = col + 1, bottom = row + 1;
        while (right < 1000 && !cell_is(t, row, right, CORNER_TR))
            right++;
        while (bottom < row + 10 && !cell_is(t, bottom, col, CORNER_BL))
            bottom++;
        int h = bottom - row + 1, w = right - col + 1;
        if (right >= 1000 || h > 9)
            continue; /* cut by the edge of the pane: not a whole box */
        found++;
        char where[128];
        snprintf(where, sizeof where, "Stage box %s", s->name);
        char phase[96], *alias = stage_alias(a->st, s, false);
        stage_phase_text(a->st, s, phase, sizeof phase, false);
        if (h <= 3) {
            /* compact: icon, step, artifact or alias; the step and alias are what we can tell */
            char *line = ptyterm_text(t, row + 1, col + 1, w - 2);
            field(a, where, "freight", alias != NULL ? "freight" : "no freight",
                  alias != NULL ? (strstr(line, "no freight") ? "no freight" : "freight")
                                : (strstr(line, "no freight") ? "no freight" : line));
            free(line);
        } else {
            char *got = ptyterm_text(t, row + 1, col + 2, w - 3);
            /* a narrow box puts the step before the phase name: "2/5 Promoting" */
            field(a, where, "phase", phase, after_icon(got));
            free(got);
            int fy = row + 2;
            if (h > 4) {
                got = ptyterm_text(t, row + 2, col + 2, w - 3);
                const char *hl = stage_health_text(s);
                field(a, where, "health", hl[0] ? hl : "no health", after_icon(got));
                free(got);
                fy = row + 3;
            }
            got = ptyterm_text(t, fy, col + 2, w - 3);
            field(a, where, "freight", alias != NULL ? alias : "no freight yet", got);
            free(got);
        }
        /* the top border after the name: "auto", "paused" (or "held" when narrow) or nothing */
        int name_end = col + 1 + (int)strlen(s->name) + 2;
        char *border = ptyterm_text(t, row, name_end, right - name_end);
        struct strbuf mark;
        strbuf_init(&mark);
        for (const char *p = border; *p != '\0';)
            if (strncmp(p, HLINE, strlen(HLINE)) == 0)
                p += strlen(HLINE);
            else
                strbuf_append_char(&mark, *p++);
        const char *want = !s->auto_promotion_enabled ? "" : s->n_holds > 0 ? "paused" : "auto";
        if (strcmp(mark.buf, "held") == 0 && s->n_holds > 0)
            want = "held";
        if (right - name_end > 8 || !s->auto_promotion_enabled)
            field(a, where, "auto-promotion mark", want, mark.buf);
        strbuf_free(&mark);
        free(border);
        free(alias);
    }
    return found;
}

/* A list on screen: its name (for messages), column titles and where each column starts. */
struct list {
    const char *name;
    const char *const *titles;
    size_t n;
    size_t key; /* the column that names the row's object */
    int hrow;
    int cols[8];
};

/* Finds the list's header: the row where the first title stands and every other one follows.
 * A list that is not on screen is a mismatch; returns false. */
static bool list_open(struct agree *a, struct ptyterm *t, struct list *l)
{
    int c;
    bool ok = ptyterm_find(t, l->titles[0], &l->hrow, &c);
    char *line = ok ? ptyterm_text(t, l->hrow, c, 1000) : NULL;
    const char *from = line;
    for (size_t i = 0; i < l->n && ok; i++) {
        const char *at = strstr(from, l->titles[i]);
        ok = at != NULL;
        if (ok) {
            l->cols[i] = c + (int)(at - line); /* the header is ASCII: a byte is a cell */
            from = at + strlen(l->titles[i]);
        }
    }
    free(line);
    if (!ok)
        field(a, l->name, "header", "on screen", "(none)");
    return ok;
}

/* The text of column i of a screen row. Caller frees. */
static char *list_cell(struct ptyterm *t, const struct list *l, int row, size_t i)
{
    int end = i + 1 < l->n ? l->cols[i + 1] - 1 : 1000;
    char *s = ptyterm_text(t, row, l->cols[i], end - l->cols[i]);
    /* the last column runs into the pane's right border */
    size_t len = strlen(s), bl = strlen(VLINE);
    if (i + 1 == l->n && len >= bl && strcmp(s + len - bl, VLINE) == 0) {
        len -= bl;
        while (len > 0 && s[len - 1] == ' ')
            len--;
        s[len] = '\0';
    }
    return s;
}

/* Compares column i of the list's row-th row with want. */
static void list_check(struct agree *a, struct ptyterm *t, const struct list *l, size_t row,
                       size_t i, const char *want)
{
    char where[160];
    snprintf(where, sizeof where, "%s row %zu", l->name, row + 1);
    char *got = list_cell(t, l, l->hrow + 1 + (int)row, i);
    field(a, where, l->titles[i], want, got);
    free(got);
}

/* Whether the list has a row-th row (a key under the header, not the pane's border); past the
 * last one, checks how many rows it had against total: all of them, or as many as fill the pane
 * (the row after the last is its bottom border). */
static bool list_row(struct agree *a, struct ptyterm *t, const struct list *l, size_t row,
                     size_t total)
{
    int y = l->hrow + 1 + (int)row;
    char *key = list_cell(t, l, y, l->key);
    bool more = key[0] != '\0' && strncmp(key, HLINE, strlen(HLINE)) != 0;
    free(key);
    if (more)
        return true;
    char want[32], got[32];
    snprintf(want, sizeof want, "%zu", total);
    snprintf(got, sizeof got, "%zu", row);
    char *next = ptyterm_text(t, y, l->cols[0], 3);
    if (row < total && strcmp(next, HLINE HLINE HLINE) == 0)
        a->fields++; /* a full pane */
    else
        field(a, l->name, "rows", want, got);
    free(next);
    return false;
}

static int promotion_newest_first(const void *x, const void *y)
{
    const struct kargo_promotion *p = *(const struct kargo_promotion *const *)x;
    const struct kargo_promotion *q = *(const struct kargo_promotion *const *)y;
    if (p->created != q->created)
        return p->created < q->created ? 1 : -1;
    return strcmp(q->name, p->name);
}

/* The Promotions list from its top: each row's name, phase, Stage and Freight; the rows in
 * order, newest first, as many as the pane holds. */
static void check_promotions(struct agree *a, struct ptyterm *t)
{
    static const char *const titles[] = {"PHASE", "STAGE", "FREIGHT", "STEP", "BY", "WHEN", "NAME"};
    struct list l = {"Promotions list", titles, 7, 6, 0, {0}};
    if (!list_open(a, t, &l))
        return;
    const struct kargo_stage *const *stages;
    size_t ns = store_stages(a->st, &stages), n = 0, cap = 0;
    const struct kargo_promotion **all = NULL;
    for (size_t i = 0; i < ns; i++) {
        const struct kargo_promotion *const *ps;
        size_t np = store_stage_promotions(a->st, stages[i]->name, &ps);
        for (size_t j = 0; j < np; j++) {
            all = xreallocarray_grow(all, &cap, n + 1, sizeof *all);
            all[n++] = ps[j];
        }
    }
    if (n > 0)
        qsort(all, n, sizeof *all, promotion_newest_first);
    for (size_t r = 0; list_row(a, t, &l, r, n); r++) {
        const struct kargo_promotion *pr = r < n ? all[r] : NULL;
        list_check(a, t, &l, r, 6, pr != NULL ? pr->name : "(no such row)");
        if (pr == NULL)
            continue;
        const char *fname = pr->freight != NULL ? pr->freight : pr->status_freight.name;
        const struct kargo_freight *f = fname != NULL ? store_freight(a->st, fname) : NULL;
        list_check(a, t, &l, r, 0, pr->phase != NULL && pr->phase[0] ? pr->phase : "Pending");
        list_check(a, t, &l, r, 1, pr->stage);
        list_check(a, t, &l, r, 2,
                   f != NULL && f->alias != NULL ? f->alias : (fname != NULL ? fname : "-"));
    }
    free(all);
}

/* Where a Freight is, as the WHERE column marks it: ●stage (✓ once verified there), ✓stage
 * verified elsewhere, ◆stage approved. */
static char *freight_marks(const struct store *st, const struct kargo_freight *f)
{
    struct freight_usage u;
    derive_freight_usage(st, f, &u);
    struct strbuf sb;
    strbuf_init(&sb);
    for (size_t i = 0; i < u.n_in; i++) {
        bool verified = false;
        for (size_t j = 0; j < u.n_verified; j++)
            verified = verified || strcmp(u.verified[j], u.in[i]) == 0;
        strbuf_appendf(&sb, "\u25cf%s%s ", u.in[i], verified ? "\u2713" : "");
    }
    for (size_t i = 0; i < u.n_verified; i++) {
        bool in = false;
        for (size_t j = 0; j < u.n_in; j++)
            in = in || strcmp(u.in[j], u.verified[i]) == 0;
        if (!in)
            strbuf_appendf(&sb, "\u2713%s ", u.verified[i]);
    }
    for (size_t i = 0; i < u.n_approved; i++)
        strbuf_appendf(&sb, "\u25c6%s ", u.approved[i]);
    derive_freight_usage_free(&u);
    while (sb.len > 0 && sb.buf[sb.len - 1] == ' ')
        sb.buf[--sb.len] = '\0';
    return strbuf_detach(&sb);
}

/* A Freight list (the project's from its top, or the dashboard's pane for one Stage wherever
 * its selection scrolled it): each row's alias, version and where the Freight is, and for a
 * Stage whether it is available there and why not; the rows a window of the Freight newest first
 * over the origins shown. */
static void check_freight(struct agree *a, struct ptyterm *t, const struct kargo_stage *s,
                          const char *name, bool from_top)
{
    static const char *const titles[] = {"ALIAS", "VERSION", "WHEN", "AVAILABILITY", "WHERE"};
    struct list l = {name, titles, 5, 0, 0, {0}};
    if (!list_open(a, t, &l))
        return;
    const char **origins = NULL;
    size_t no = 0;
    if (s != NULL) {
        origins = xcalloc(s->n_requests + 1, sizeof *origins);
        for (size_t i = 0; i < s->n_requests; i++) {
            bool dup = false;
            for (size_t j = 0; j < no; j++)
                dup = dup || strcmp(origins[j], s->requests[i].origin.key) == 0;
            if (!dup)
                origins[no++] = s->requests[i].origin.key;
        }
    }
    size_t total = store_freight_count(a->st);
    const struct kargo_freight **page = xcalloc(total + 1, sizeof *page);
    size_t n =
        s != NULL && no == 0 ? 0 : derive_freight_page(a->st, origins, no, false, 0, total, page);
    time_t now = time(NULL);
    /* a scrolled pane starts where its first row's Freight stands in that order */
    size_t off = 0;
    char *first = from_top ? NULL : list_cell(t, &l, l.hrow + 1, 0);
    for (size_t i = 0; first != NULL && i < n; i++)
        if (same_text(page[i]->alias != NULL ? page[i]->alias : page[i]->ref.name, first)) {
            off = i;
            break;
        }
    free(first);
    for (size_t r = 0; list_row(a, t, &l, r, n - off); r++) {
        const struct kargo_freight *f = off + r < n ? page[off + r] : NULL;
        list_check(a, t, &l, r, 0,
                   f != NULL ? (f->alias != NULL ? f->alias : f->ref.name) : "(no such row)");
        if (f == NULL)
            continue;
        char version[160];
        describe_artifact(&f->ref.artifacts, version, sizeof version);
        list_check(a, t, &l, r, 1, version);
        if (s != NULL) {
            char *why = NULL;
            bool ok = derive_freight_available(s, f, now, &why);
            list_check(a, t, &l, r, 3, ok ? "available" : why != NULL ? why : "not available");
            free(why);
        }
        char *marks = freight_marks(a->st, f);
        list_check(a, t, &l, r, 4, marks);
        free(marks);
    }
    free(page);
    free(origins);
}

/* The Warehouses list: every Warehouse by name with its subscriptions, interval and how many
 * Freight it has. */
static void check_warehouses(struct agree *a, struct ptyterm *t)
{
    static const char *const titles[] = {"WAREHOUSE", "SUBSCRIPTIONS", "INTERVAL", "FREIGHT"};
    struct list l = {"Warehouses list", titles, 4, 0, 0, {0}};
    if (!list_open(a, t, &l))
        return;
    const struct kargo_warehouse *const *whs;
    size_t nw = store_warehouses(a->st, &whs);
    for (size_t r = 0; list_row(a, t, &l, r, nw); r++) {
        const struct kargo_warehouse *w = r < nw ? whs[r] : NULL;
        list_check(a, t, &l, r, 0, w != NULL ? w->name : "(no such row)");
        if (w == NULL)
            continue;
        struct strbuf subs;
        strbuf_init(&subs);
        for (size_t j = 0; j < w->n_subscriptions; j++)
            strbuf_appendf(&subs, "%s%s %s", j > 0 ? ", " : "",
                           w->subscriptions[j].type ? w->subscriptions[j].type : "",
                           w->subscriptions[j].repo_url ? w->subscriptions[j].repo_url : "");
        char *key = xasprintf("Warehouse/%s", w->name), count[32];
        const struct kargo_freight *const *fs;
        snprintf(count, sizeof count, "%zu", store_freight_of_origin(a->st, key, &fs));
        free(key);
        list_check(a, t, &l, r, 1, subs.buf);
        list_check(a, t, &l, r, 2, w->interval != NULL ? w->interval : "-");
        list_check(a, t, &l, r, 3, count);
        strbuf_free(&subs);
    }
}

/* The Stages list (the pipeline's list form, L): each Stage's phase, health and Freight. The
 * rows follow the layout's order, so each is matched by its name. Returns the rows compared. */
static size_t check_stage_list(struct agree *a, struct ptyterm *t)
{
    static const char *const titles[] = {"STAGE", "PHASE", "HEALTH", "FREIGHT", "VERSION"};
    struct list l = {"Stages list", titles, 5, 0, 0, {0}};
    int c;
    if (!ptyterm_find(t, "STAGE", &l.hrow, &c) || !list_open(a, t, &l))
        return 0;
    const struct kargo_stage *const *stages;
    size_t ns = store_stages(a->st, &stages), r = 0;
    for (; list_row(a, t, &l, r, ns); r++) {
        char *name = list_cell(t, &l, l.hrow + 1 + (int)r, 0);
        char *sp = strchr(name, ' '); /* "dev (auto)" */
        if (sp != NULL)
            *sp = '\0';
        const struct kargo_stage *s = store_stage(a->st, name);
        free(name);
        /* the name, with the auto-promotion mark */
        char *want = s == NULL ? xstrdup("(a Stage the simulator has)")
                               : xasprintf("%s%s", s->name,
                                           !s->auto_promotion_enabled ? ""
                                           : s->n_holds > 0           ? " (paused)"
                                                                      : " (auto)");
        list_check(a, t, &l, r, 0, want);
        free(want);
        if (s == NULL)
            continue;
        char phase[96], *alias = stage_alias(a->st, s, true);
        stage_phase_text(a->st, s, phase, sizeof phase, true);
        char *got = list_cell(t, &l, l.hrow + 1 + (int)r, 1);
        field(a, "Stages list", "PHASE", phase, after_icon(got));
        free(got);
        got = list_cell(t, &l, l.hrow + 1 + (int)r, 2);
        field(a, "Stages list", "HEALTH", stage_health_text(s), after_icon(got));
        free(got);
        list_check(a, t, &l, r, 3, alias != NULL ? alias : "-");
        free(alias);
    }
    return r;
}

/* Sends keys one group at a time, each given time to be read (Esc alone must not merge with
 * the next key into an Alt chord). */
static void keys(struct ptyterm *t, const char *const *k)
{
    for (; *k != NULL; k++) {
        ptyterm_send(t, *k);
        ptyterm_pump(t, 80);
    }
}

enum view { VIEW_DASHBOARD, VIEW_FREIGHT_PANE, VIEW_PROMOTIONS, VIEW_FREIGHT, VIEW_WAREHOUSES };

static size_t check_view(struct agree *a, struct ptyterm *t, enum view v)
{
    switch (v) {
    case VIEW_DASHBOARD: {
        unsigned long f0 = a->fields;
        size_t boxes = check_boxes(a, t);
        if (boxes == 0)
            check_stage_list(a, t);
        if (a->fields == f0)
            field(a, "dashboard", "Stage boxes or list", "on screen", "none");
        return boxes;
    }
    case VIEW_FREIGHT_PANE: {
        char *title = NULL, *screen = ptyterm_screen(t), *at = strstr(screen, "Freight for ");
        if (at == NULL && !a->tabbed)
            ptyterm_send(t, "\t"); /* the Promotions pane is in front: the other one */
        a->tabbed = true;
        if (at != NULL)
            title = xstrndup(at + 12, strcspn(at + 12, " \n\u2500"));
        free(screen);
        const struct kargo_stage *s = title != NULL ? store_stage(a->st, title) : NULL;
        if (s == NULL)
            field(a, "dashboard", "Freight pane", "Freight for a Stage", title ? title : "none");
        else
            check_freight(a, t, s, "Freight pane", false);
        free(title);
        return 0;
    }
    case VIEW_PROMOTIONS:
        check_promotions(a, t);
        return 0;
    case VIEW_FREIGHT:
        check_freight(a, t, NULL, "Freight list", true);
        return 0;
    case VIEW_WAREHOUSES:
        check_warehouses(a, t);
        return 0;
    }
    return 0;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

unsigned long agree_check(struct agree *a, struct ptyterm *t, double deadline_ms, int min_ms)
{
    static const char *const to_dashboard[] = {"\033", "\033", "\033", "\033", NULL};
    /* Esc after L: a filter typed into the Stages list stays on it while the pipeline is drawn
     * as a graph (where Esc has no table to clear), and shows again with L. */
    static const char *const stage_list[] = {"L", "\033", NULL};
    static const char *const dev[] = {"/dev", "\r", NULL};
    static const char *const promotions[] = {":promotions\r", "/", "\033", "g", NULL};
    static const char *const freight[] = {":freight\r", "/", "\033", "g", NULL};
    static const char *const warehouses[] = {":warehouses\r", "/", "\033", "g", NULL};
    static const struct {
        const char *name;
        enum view view;
        const char *const *keys;
    } plan[] = {
        {"the pipeline", VIEW_DASHBOARD, to_dashboard},
        {"the other form of the pipeline (L)", VIEW_DASHBOARD, stage_list},
        {"the dashboard's Freight pane for dev", VIEW_FREIGHT_PANE, dev},
        {"the Promotions list", VIEW_PROMOTIONS, promotions},
        {"the Freight list", VIEW_FREIGHT, freight},
        {"the Warehouses list", VIEW_WAREHOUSES, warehouses},
    };
    unsigned long total = 0;
    for (size_t i = 0; i < sizeof plan / sizeof plan[0]; i++) {
        keys(t, plan[i].keys);
        double until = now_ms() + min_ms;
        if (deadline_ms > until)
            until = deadline_ms;
        unsigned long fields, bad;
        for (;;) {
            unsigned long f0 = a->fields, m0 = a->mismatches;
            a->report.len = 0;
            a->report.buf[0] = '\0';
            check_view(a, t, plan[i].view);
            fields = a->fields - f0;
            bad = a->mismatches - m0;
            if (bad == 0 || now_ms() >= until)
                break;
            a->fields = f0; /* only the last attempt counts */
            a->mismatches = m0;
            ptyterm_pump(t, 100);
        }
        printf("soak: %s: %lu fields, %lu mismatches\n", plan[i].name, fields, bad);
        if (bad > 0) {
            fputs(a->report.buf, stdout);
            fflush(stdout);
            ptyterm_dump(t, plan[i].name);
        }
        total += bad;
    }
    keys(t, to_dashboard);
    return total;
}
