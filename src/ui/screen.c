/* The dashboard's views, focus, prompts and frame. */
#include "ui/screen.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "model/derive.h"
#include "ui/act.h"
#include "ui/command_line.h"
#include "ui/detail_view.h"
#include "ui/draw.h"
#include "ui/keymap.h"
#include "ui/lineedit.h"
#include "ui/lists.h"
#include "ui/paint.h"
#include "ui/pipeline_view.h"
#include "ui/table.h"
#include "ui/yaml_view.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* Below this the frame cannot be drawn legibly; say so instead of drawing garbage. */
#define SCREEN_MIN_COLS 80
#define SCREEN_MIN_ROWS 24
/* From this width the freight and promotions panes sit side by side. */
#define SCREEN_WIDE_COLS 180

enum pane { PANE_PIPELINE, PANE_FREIGHT, PANE_PROMOTIONS, PANE_COUNT };
enum mode { MODE_DASHBOARD, MODE_LIST };
enum prompt { PROMPT_NONE, PROMPT_FILTER, PROMPT_COMMAND };

/* What a table was last filled from. A frame refills a table only when this changed: moving,
 * filtering, scrolling and the clock reuse the rows (the long lists hold references, sorted, and
 * format only the rows on screen, at each draw, so their ages need no refill). */
struct fill_stamp {
    bool valid;
    unsigned long epoch, generation;
    char *arg; /* the selection the rows are for */
};
enum {
    FILL_STAGES,
    FILL_FREIGHT,
    FILL_PROMOTIONS,
    FILL_LISTS,
    FILL_COUNT = FILL_LISTS + LIST_KIND_COUNT
};

struct screen {
    const struct ui_source *src;
    struct screen_opts opts;
    char *not_connected;
    struct paint paint;
    struct source_status status;
    char project[128]; /* the project the views were built for */
    unsigned long generation;

    enum mode mode;
    enum pane focus;
    enum pane bottom; /* the pane the bottom shows when it has room for one only */
    bool list_form;   /* the pipeline as a list of Stages */
    struct pipeline_view pipeline;
    struct table stages, freight, promotions;
    enum list_kind list_kind;
    struct table lists[LIST_KIND_COUNT];

    bool detail;
    enum kargo_kind detail_kind;
    char *detail_name;
    struct table detail_table;

    bool yaml;
    struct yaml_view yaml_view;
    char *yaml_wait; /* the object the YAML view waits for (the source is fetching it) */
    enum kargo_kind yaml_wait_kind;
    bool help;

    enum prompt prompt;
    struct lineedit edit;
    char *message;
    bool message_error;

    struct act act; /* action keys: dialogs, marks, answers */

    char **projects;
    size_t n_projects;
    time_t tick_at; /* when the frame changes by itself (ages, soak), 0: never */
    bool quit;

    /* the fill cache: the epoch moves when the store, the project, the size or the layout
     * changes, which a generation alone does not tell */
    struct fill_stamp fills[FILL_COUNT];
    unsigned long epoch;
    const struct store *filled_store;
    int filled_cols, filled_lines;

    /* where this frame drew what, for the mouse: a table or the pipeline graph */
    struct screen_hit {
        int y, x, h, w; /* the rows of content */
        struct table *table;
        int pane; /* enum pane, or -1 outside the dashboard's panes */
    } hits[4];
    int n_hits;
};

static void screen_free_projects(struct screen *s)
{
    for (size_t i = 0; i < s->n_projects; i++)
        free(s->projects[i]);
    free(s->projects);
    s->projects = NULL;
    s->n_projects = 0;
}

static void screen_load_projects(struct screen *s)
{
    screen_free_projects(s);
    if (s->src != NULL && s->src->projects != NULL)
        s->projects = s->src->projects(s->src->ctx, &s->n_projects);
}

struct screen *screen_new(const struct ui_source *src, const struct screen_opts *o,
                          const char *not_connected)
{
    struct screen *s = xcalloc(1, sizeof *s);
    s->src = src;
    s->opts = *o;
    s->not_connected = not_connected != NULL ? xstrdup(not_connected) : NULL;
    paint_init(&s->paint, o->theme, o->colour, o->utf8);
    s->paint.relative_ages = o->relative_ages;
    s->opts.theme = NULL; /* copied into paint; the caller's may go */
    if (o->notice != NULL)
        s->message = xstrdup(o->notice);
    s->message_error = true;
    s->opts.notice = NULL;
    pipeline_view_init(&s->pipeline);
    lists_init(&s->stages, LIST_STAGES);
    lists_init(&s->freight, LIST_FREIGHT);
    lists_init(&s->promotions, LIST_PROMOTIONS);
    for (int k = 0; k < LIST_KIND_COUNT; k++)
        lists_init(&s->lists[k], (enum list_kind)k);
    detail_view_init(&s->detail_table);
    lineedit_init(&s->edit);
    act_init(&s->act, src, o->readonly);
    s->bottom = PANE_FREIGHT;
    s->generation = (unsigned long)-1;
    return s;
}

void screen_free(struct screen *s)
{
    if (s == NULL)
        return;
    paint_free(&s->paint);
    pipeline_view_free(&s->pipeline);
    table_free(&s->stages);
    table_free(&s->freight);
    table_free(&s->promotions);
    for (int k = 0; k < LIST_KIND_COUNT; k++)
        table_free(&s->lists[k]);
    table_free(&s->detail_table);
    free(s->yaml_wait);
    if (s->yaml)
        yaml_view_close(&s->yaml_view);
    lineedit_free(&s->edit);
    act_free(&s->act);
    free(s->detail_name);
    free(s->message);
    free(s->not_connected);
    screen_free_projects(s);
    for (int i = 0; i < FILL_COUNT; i++)
        free(s->fills[i].arg);
    free(s);
}

/* Whether table `which` must be filled again for this frame (and records that it now is). */
static bool screen_refill(struct screen *s, int which, const char *arg)
{
    struct fill_stamp *f = &s->fills[which];
    bool same = f->valid && f->epoch == s->epoch && f->generation == s->generation &&
                (f->arg == NULL) == (arg == NULL) && (arg == NULL || strcmp(f->arg, arg) == 0);
    if (same)
        return false;
    f->valid = true;
    f->epoch = s->epoch;
    f->generation = s->generation;
    free(f->arg);
    f->arg = arg != NULL ? xstrdup(arg) : NULL;
    return true;
}

bool screen_quit(const struct screen *s)
{
    return s->quit;
}

time_t screen_tick_at(const struct screen *s)
{
    return s->tick_at;
}

/* The frame must come again by itself at t (the earliest such time wins). */
static void screen_tick(struct screen *s, time_t t)
{
    if (t > 0 && (s->tick_at == 0 || t < s->tick_at))
        s->tick_at = t;
}

unsigned long screen_generation(const struct screen *s)
{
    return s->generation;
}

static void screen_message(struct screen *s, bool error, const char *msg)
{
    free(s->message);
    s->message = msg != NULL ? xstrdup(msg) : NULL;
    s->message_error = error;
}

static struct store *screen_store(const struct screen *s)
{
    return s->src != NULL && s->src->store != NULL ? s->src->store(s->src->ctx) : NULL;
}

/* The table that has the focus, or NULL (the pipeline as a graph has none). */
static struct table *screen_focus_table(struct screen *s)
{
    if (s->detail)
        return &s->detail_table;
    if (s->mode == MODE_LIST)
        return &s->lists[s->list_kind];
    switch (s->focus) {
    case PANE_PIPELINE:
        return s->list_form ? &s->stages : NULL;
    case PANE_FREIGHT:
        return &s->freight;
    case PANE_PROMOTIONS:
        return &s->promotions;
    case PANE_COUNT:
        break;
    }
    return NULL;
}

/* The selected Stage or Warehouse of the pipeline pane, whichever form it is in. */
static const char *screen_pipeline_selection(struct screen *s, enum layout_kind *kind)
{
    if (s->list_form) {
        *kind = LAYOUT_STAGE;
        return table_selected(&s->stages);
    }
    return pipeline_view_selected(&s->pipeline, kind);
}

/* The object the keys act on: its kind and name (NULL when nothing is selected). */
static const char *screen_selection(struct screen *s, enum kargo_kind *kind)
{
    static const enum kargo_kind list_kinds[LIST_KIND_COUNT] = {
        [LIST_STAGES] = KARGO_STAGE,         [LIST_FREIGHT] = KARGO_FREIGHT,
        [LIST_PROMOTIONS] = KARGO_PROMOTION, [LIST_WAREHOUSES] = KARGO_WAREHOUSE,
        [LIST_EVENTS] = KARGO_EVENT,         [LIST_PROJECTS] = KARGO_PROJECT,
    };
    if (s->detail) {
        *kind = s->detail_kind;
        return s->detail_name;
    }
    if (s->mode == MODE_LIST) {
        *kind = list_kinds[s->list_kind];
        return table_selected(&s->lists[s->list_kind]);
    }
    if (s->focus == PANE_FREIGHT) {
        *kind = KARGO_FREIGHT;
        return table_selected(&s->freight);
    }
    if (s->focus == PANE_PROMOTIONS) {
        *kind = KARGO_PROMOTION;
        return table_selected(&s->promotions);
    }
    enum layout_kind lk;
    const char *name = screen_pipeline_selection(s, &lk);
    *kind = lk == LAYOUT_WAREHOUSE ? KARGO_WAREHOUSE : KARGO_STAGE;
    return name;
}

/* A new project: views start over (selections and filters belonged to the old one). */
static void screen_reset_views(struct screen *s)
{
    pipeline_view_free(&s->pipeline);
    pipeline_view_init(&s->pipeline);
    struct table *tables[] = {&s->stages, &s->freight, &s->promotions};
    for (size_t i = 0; i < 3; i++) {
        table_set_filter(tables[i], NULL);
        free(tables[i]->selected);
        tables[i]->selected = NULL;
    }
    for (int k = 0; k < LIST_KIND_COUNT; k++)
        if (k != LIST_PROJECTS) {
            table_set_filter(&s->lists[k], NULL);
            free(s->lists[k].selected);
            s->lists[k].selected = NULL;
        }
    act_reset(&s->act);
    s->detail = false;
    s->focus = PANE_PIPELINE;
    s->epoch++;
}

/* ---- drawing ---------------------------------------------------------------------------- */

static void screen_frame(struct screen *s, int y, int x, int h, int w, bool focused)
{
    if (h < 2 || w < 2)
        return;
    attr_t a = paint_role(&s->paint, focused ? THEME_BORDER_FOCUS : THEME_BORDER);
    WINDOW *win = stdscr;
    wattron(win, a);
    mvwhline(win, y, x + 1, ACS_HLINE, w - 2);
    mvwhline(win, y + h - 1, x + 1, ACS_HLINE, w - 2);
    mvwvline(win, y + 1, x, ACS_VLINE, h - 2);
    mvwvline(win, y + 1, x + w - 1, ACS_VLINE, h - 2);
    mvwaddch(win, y, x, ACS_ULCORNER);
    mvwaddch(win, y, x + w - 1, ACS_URCORNER);
    mvwaddch(win, y + h - 1, x, ACS_LLCORNER);
    mvwaddch(win, y + h - 1, x + w - 1, ACS_LRCORNER);
    if (x + w == COLS && w > 3) {
        /* Where a border's line ends in the next-to-last column, curses sends it as one
         * character and a repeat (REP, xterm's `rep`). libvterm (Neovim's and Vim's terminals,
         * and the tests' screen) takes the cursor after such a repeat for past the margin, so
         * the corner that follows lands at the start of the next row and the border row loses
         * it. An attribute no terminal shows (A_PROTECT: no `prot` in xterm's sgr) on the last
         * line cell ends the repeat one cell earlier; the line and corner are then plain text. */
        mvwaddch(win, y, x + w - 2, ACS_HLINE | A_PROTECT);
        mvwaddch(win, y + h - 1, x + w - 2, ACS_HLINE | A_PROTECT);
    }
    wattroff(win, a);
}

/* Writes a title into a frame's top border at column x; returns the cells used. */
static int screen_title(struct screen *s, int y, int x, int maxw, const char *text,
                        enum theme_role role)
{
    char buf[400];
    snprintf(buf, sizeof buf, " %s ", text);
    return draw_text(stdscr, y, x, maxw, buf, paint_role(&s->paint, role), s->paint.utf8);
}

/* The right end of a frame's top border: how current the pane's data is. Never shows old data as
 * current: a watch that is down says since when. */
static void screen_freshness(struct screen *s, int y, int x, int w, const enum kargo_kind *kinds,
                             size_t n)
{
    if (s->src == NULL)
        return;
    const struct source_watch *wt = source_worst(&s->status, kinds, n);
    if (wt == NULL || wt->conn == SOURCE_LIVE || wt->conn == SOURCE_OFF)
        return;
    char what[256], buf[320];
    source_conn_describe(wt, what, sizeof what);
    /* the server's (or the transport's) words: a 401 or a refused certificate must say so */
    if (wt->conn == SOURCE_RETRYING && wt->message[0] != '\0') {
        size_t used = strlen(what);
        snprintf(what + used, sizeof what - used, ": %s", wt->message);
    }
    if (wt->stale_since != 0) {
        char clock[16];
        struct tm tm;
        localtime_r(&wt->stale_since, &tm);
        strftime(clock, sizeof clock, "%H:%M:%S", &tm);
        snprintf(buf, sizeof buf, " stale since %s, %s ", clock, what);
    } else {
        snprintf(buf, sizeof buf, " %s ", what);
    }
    int bw = draw_width(buf);
    int at = x + w - 2 - bw;
    if (at < x + w / 2)
        at = x + w / 2;
    bool bad = wt->conn == SOURCE_RETRYING || wt->conn == SOURCE_FORBIDDEN;
    draw_text(stdscr, y, at, x + w - 1 - at, buf,
              paint_role(&s->paint, bad ? THEME_TOPBAR_ALERT : THEME_WARNING), s->paint.utf8);
}

static int screen_filter_title(struct screen *s, int y, int x, int maxw, const struct table *t)
{
    if (t->filter == NULL || maxw <= 0)
        return 0;
    char buf[300];
    snprintf(buf, sizeof buf, "/%s (%zu)", t->filter, t->nshown);
    return screen_title(s, y, x, maxw, buf, THEME_MARK);
}

/* The Stages marked for a batch, in a pipeline pane's title (either form: the same words). */
static void screen_marks_title(struct screen *s, int y, int x, int maxw)
{
    if (s->act.n_marked == 0 || maxw <= 0)
        return;
    struct strbuf m;
    strbuf_init(&m);
    strbuf_append(&m, "marked:");
    for (size_t i = 0; i < s->act.n_marked; i++)
        strbuf_appendf(&m, " %s", s->act.marked[i]);
    strbuf_append(&m, " (p promotes all, Esc clears)");
    screen_title(s, y, x, maxw, m.buf, THEME_MARK);
    strbuf_free(&m);
}

static void screen_draw_topbar(struct screen *s)
{
    struct strbuf top;
    strbuf_init(&top);
    strbuf_appendf(&top, " kargotop %s", KARGOTOP_VERSION);
    if (s->status.context[0])
        strbuf_appendf(&top, "  ctx: %s", s->status.context);
    if (s->status.cluster[0])
        strbuf_appendf(&top, "  cluster: %s", s->status.cluster);
    strbuf_appendf(&top, "  project: %s", s->status.project[0] ? s->status.project : "-");
    draw_text_fill(stdscr, 0, 0, COLS, top.buf, paint_role(&s->paint, THEME_TOPBAR), s->paint.utf8);
    strbuf_free(&top);

    /* the connection state on the right: the worst of the project's watches */
    char state[96] = "";
    bool alert = false;
    /* without a session the body says why; the bar stays plain */
    if (s->src != NULL && s->status.project[0]) {
        static const enum kargo_kind kinds[] = {KARGO_STAGE, KARGO_WAREHOUSE, KARGO_FREIGHT,
                                                KARGO_PROMOTION};
        const struct source_watch *w = source_worst(&s->status, kinds, 4);
        source_conn_describe(w, state, sizeof state);
        alert = w->conn == SOURCE_RETRYING || w->conn == SOURCE_FORBIDDEN;
    }
    struct strbuf right;
    strbuf_init(&right);
    if (state[0])
        strbuf_appendf(&right, " %s%s ", alert ? "" : (s->paint.utf8 ? "\u25cf " : "* "), state);
    if (s->opts.readonly)
        strbuf_append(&right, " [read-only] ");
    /* the kubeconfig turned certificate checks off: anyone on the path could be the server */
    if (s->status.insecure) {
        strbuf_append(&right, " [TLS unverified] ");
        alert = true;
    }
    int rw = draw_width(right.buf);
    if (rw > 0 && rw < COLS / 2)
        draw_text(stdscr, 0, COLS - rw, rw, right.buf,
                  paint_role(&s->paint, alert ? THEME_TOPBAR_ALERT : THEME_TOPBAR), s->paint.utf8);
    strbuf_free(&right);
}

/* What an action key would act on: the focused selection, and the pipeline's Stage. */
static void screen_act_selection(struct screen *s, struct act_selection *sel)
{
    memset(sel, 0, sizeof *sel);
    enum layout_kind lk;
    const char *stage = NULL;
    if (s->mode == MODE_DASHBOARD) {
        stage = screen_pipeline_selection(s, &lk);
        if (stage != NULL && lk != LAYOUT_STAGE)
            stage = NULL;
    }
    sel->name = screen_selection(s, &sel->kind);
    if (sel->kind == KARGO_STAGE && sel->name != NULL)
        stage = sel->name;
    sel->stage = stage;
}

/* The scope bits of the selection, for footer hints. */
static unsigned screen_scope(struct screen *s)
{
    enum kargo_kind kind;
    const char *name = screen_selection(s, &kind);
    unsigned scope = 0;
    if (name != NULL) {
        switch (kind) {
        case KARGO_STAGE:
            scope |= KEYMAP_STAGE;
            break;
        case KARGO_FREIGHT:
            scope |= KEYMAP_FREIGHT;
            break;
        case KARGO_PROMOTION:
            scope |= KEYMAP_PROMOTION;
            break;
        case KARGO_WAREHOUSE:
            scope |= KEYMAP_WAREHOUSE;
            break;
        default:
            break;
        }
    }
    if (s->mode == MODE_DASHBOARD && s->focus == PANE_PIPELINE && !s->detail)
        scope |= KEYMAP_PIPELINE;
    return scope;
}

static void screen_draw_footer(struct screen *s)
{
    int y = LINES - 1;
    if (s->prompt != PROMPT_NONE) {
        const char *lead = s->prompt == PROMPT_FILTER ? "/" : ":";
        draw_text(stdscr, y, 0, 1, lead, paint_role(&s->paint, THEME_KEY_HINT), s->paint.utf8);
        draw_text(stdscr, y, 1, COLS - 2, s->edit.text.buf, paint_role(&s->paint, THEME_NORMAL),
                  s->paint.utf8);
        /* the cursor as a reversed cell: the terminal's own stays hidden */
        char *before = xstrndup(s->edit.text.buf, s->edit.cursor);
        int cx = 1 + draw_width(before);
        free(before);
        if (cx < COLS)
            mvchgat(y, cx, 1, A_REVERSE, 0, NULL);
        return;
    }
    if (s->message != NULL) {
        draw_text(stdscr, y, 1, COLS - 2, s->message,
                  paint_role(&s->paint, s->message_error ? THEME_ERROR : THEME_SUCCESS),
                  s->paint.utf8);
        return;
    }
    unsigned scope = screen_scope(s);
    struct act_selection sel;
    screen_act_selection(s, &sel);
    time_t now = time(NULL);
    /* "? help  q quit" always shows: the other hints take the room left and stop at the first
     * that does not fit whole */
    int tail = 0;
    const struct keymap_entry *k;
    for (size_t i = 0; (k = keymap_entry_at(s->opts.keys, i)) != NULL; i++)
        if (k->hint != NULL && (k->action == UI_ACTION_HELP || k->action == UI_ACTION_QUIT))
            tail += draw_width(k->keyname) + 1 + draw_width(k->hint) + 2;
    int x = 1;
    bool full = false;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; (k = keymap_entry_at(s->opts.keys, i)) != NULL; i++) {
            if (k->hint == NULL || (k->scope != KEYMAP_ANY && !(k->scope & scope)))
                continue;
            bool is_tail = k->action == UI_ACTION_HELP || k->action == UI_ACTION_QUIT;
            if (is_tail != (pass == 1))
                continue;
            /* an action that cannot apply to the selection is not offered (the key says why) */
            char reason[240];
            if (k->action == UI_ACTION_ACT &&
                !act_applies(&s->act, (enum action_id)k->act, &sel, now, reason, sizeof reason))
                continue;
            int need = draw_width(k->keyname) + 1 + draw_width(k->hint);
            if (!is_tail && (full || x + need > COLS - 1 - tail)) {
                full = true;
                continue;
            }
            /* a key the user may not use now is there, dimmed: the help says why */
            bool denied = k->action == UI_ACTION_ACT &&
                          act_access(&s->act, (enum action_id)k->act, sel.stage, reason,
                                     sizeof reason) != ACTION_ACCESS_ALLOWED;
            x += draw_text(stdscr, y, x, COLS - x, k->keyname,
                           paint_role(&s->paint, denied ? THEME_DIM : THEME_KEY_HINT),
                           s->paint.utf8);
            x += 1 + draw_text(stdscr, y, x + 1, COLS - x - 1, k->hint,
                               paint_role(&s->paint, THEME_DIM), s->paint.utf8);
            x += 2;
        }
    }
}

static void screen_draw_help(struct screen *s)
{
    struct act_selection sel;
    screen_act_selection(s, &sel);
    time_t now = time(NULL);
    char why[200];
    int w = COLS - 4 < 110 ? COLS - 4 : 110, lines = 0;
    for (size_t i = 0; keymap_entry_at(s->opts.keys, i) != NULL; i++)
        if (keymap_entry_at(s->opts.keys, i)->help != NULL)
            lines++;
    /* more keys than rows: two columns, so every key stays in view on 80x24 */
    int cols = lines + 5 > LINES ? 2 : 1;
    int per_col = (lines + cols - 1) / cols;
    int h = per_col + 5;
    if (cols == 2)
        w = COLS;
    if (w > COLS)
        w = COLS;
    if (h > LINES)
        h = LINES;
    int y0 = (LINES - h) / 2, x0 = (COLS - w) / 2;
    for (int r = 0; r < h; r++)
        mvhline(y0 + r, x0, ' ', w);
    screen_frame(s, y0, x0, h, w, true);
    screen_title(s, y0, x0 + 2, w - 4, "Keys", THEME_TITLE);
    int colw = (w - 4) / cols;
    int n = 0;
    for (size_t i = 0; keymap_entry_at(s->opts.keys, i) != NULL; i++) {
        const struct keymap_entry *k = keymap_entry_at(s->opts.keys, i);
        if (k->help == NULL)
            continue;
        int row = y0 + 2 + n % per_col, x = x0 + 2 + (n / per_col) * colw;
        n++;
        if (row >= y0 + h - 2)
            continue;
        char line[480], reason[240];
        enum action_access access =
            k->action == UI_ACTION_ACT
                ? act_access(&s->act, (enum action_id)k->act, sel.stage, reason, sizeof reason)
                : ACTION_ACCESS_ALLOWED;
        if (access == ACTION_ACCESS_UNKNOWN)
            snprintf(reason, sizeof reason, "checking with the cluster");
        bool denied = access != ACTION_ACCESS_ALLOWED;
        if (!denied && k->action == UI_ACTION_ACT &&
            !act_applies(&s->act, (enum action_id)k->act, &sel, now, why, sizeof why)) {
            snprintf(reason, sizeof reason, "not now: %s", why);
            denied = true;
        }
        if (denied)
            snprintf(line, sizeof line, "%-8s %s: %s", k->keyname, k->help, reason);
        else
            snprintf(line, sizeof line, "%-8s %s", k->keyname, k->help);
        draw_text(stdscr, row, x, colw - 1, line,
                  paint_role(&s->paint, denied ? THEME_DIM : THEME_NORMAL), s->paint.utf8);
    }
    char line[200];
    snprintf(line, sizeof line, "commands: %s", command_summary());
    draw_text(stdscr, y0 + h - 2, x0 + 2, w - 4, line, paint_role(&s->paint, THEME_DIM),
              s->paint.utf8);
}

static void screen_draw_too_small(void)
{
    /* each line word-wrapped and centred, so the sizes stay whole on any terminal (40x12, or
     * smaller) */
    char need[64], have[64];
    snprintf(need, sizeof need, "kargotop needs %dx%d", SCREEN_MIN_COLS, SCREEN_MIN_ROWS);
    snprintf(have, sizeof have, "this terminal is %dx%d", COLS, LINES);
    const char *texts[] = {need, have, "press q to quit"};
    const char *lines[12];
    int lens[12], n = 0;
    for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++) {
        const char *p = texts[t];
        while (*p != '\0' && n < 12) {
            int len = (int)strlen(p);
            if (len > COLS && COLS > 0) {
                len = COLS;
                while (len > 0 && p[len] != ' ')
                    len--;
                if (len == 0)
                    len = COLS;
            }
            lines[n] = p;
            lens[n++] = len;
            p += len;
            while (*p == ' ')
                p++;
        }
    }
    int y0 = (LINES - n) / 2;
    if (y0 < 0)
        y0 = 0;
    for (int i = 0; i < n && y0 + i < LINES; i++) {
        int x = lens[i] < COLS ? (COLS - lens[i]) / 2 : 0;
        if (COLS > 0)
            mvaddnstr(y0 + i, x, lines[i], lens[i]);
    }
}

static void screen_hit_add(struct screen *s, int y, int x, int h, int w, struct table *t, int pane)
{
    if (s->n_hits < (int)(sizeof s->hits / sizeof s->hits[0]) && h > 0 && w > 0)
        s->hits[s->n_hits++] = (struct screen_hit){y, x, h, w, t, pane};
}

/* A framed pane holding a table. */
static void screen_table_pane(struct screen *s, struct table *t, int y, int x, int h, int w,
                              const char *title, bool focused, const enum kargo_kind *kinds,
                              size_t nkinds)
{
    table_prepare(t);
    screen_frame(s, y, x, h, w, focused);
    int used = screen_title(s, y, x + 2, w - 4, title, focused ? THEME_TITLE : THEME_NORMAL);
    used += screen_filter_title(s, y, x + 2 + used, w - 4 - used, t);
    if (t == &s->stages || t == &s->lists[LIST_STAGES]) {
        /* the Stages as a list show the batch's marks as the pipeline's boxes do */
        lists_set_marks(t, s->act.marked, s->act.n_marked);
        screen_marks_title(s, y, x + 2 + used, w - 4 - used);
    }
    screen_freshness(s, y, x, w, kinds, nkinds);
    if (t->nshown == 0 && h > 3) {
        const char *empty = t->filter != NULL ? "nothing matches the filter" : "none";
        draw_text(stdscr, y + 2, x + 2, w - 4, empty, paint_role(&s->paint, THEME_DIM),
                  s->paint.utf8);
    }
    table_draw(t, stdscr, y + 1, x + 1, h - 2, w - 2, &s->paint.theme, focused, s->paint.utf8);
    if (t->ticks)
        screen_tick(s, (s->paint.now / 60 + 1) * 60); /* a soak counts down in minutes */
    int pane = t == &s->freight      ? PANE_FREIGHT
               : t == &s->promotions ? PANE_PROMOTIONS
               : t == &s->stages     ? PANE_PIPELINE
                                     : -1;
    screen_hit_add(s, y + 1 + (t->header ? 1 : 0), x + 1, h - 2 - (t->header ? 1 : 0), w - 2, t,
                   pane);
}

static void screen_draw_dashboard(struct screen *s, const struct store *st, int y, int h)
{
    static const enum kargo_kind pipeline_kinds[] = {KARGO_STAGE, KARGO_WAREHOUSE};
    static const enum kargo_kind freight_kinds[] = {KARGO_FREIGHT, KARGO_STAGE};
    static const enum kargo_kind promotion_kinds[] = {KARGO_PROMOTION};
    /* the pipeline takes what it needs up to a little over half; the panes below the rest */
    int top_max = h * 11 / 20;
    const struct layout *before = s->pipeline.layout;
    pipeline_view_update(&s->pipeline, st, COLS - 2, top_max - 2);
    if (s->pipeline.layout != before)
        s->epoch++; /* the stage list follows the layout's order */
    if (screen_refill(s, FILL_STAGES, NULL))
        lists_fill_stages(&s->stages, st, s->pipeline.layout, &s->paint);
    table_prepare(&s->stages); /* a new filter moves the selection the panes below follow */
    int need = s->list_form ? (int)s->stages.nshown + 3 : s->pipeline.layout->height + 2;
    int top_h = top_max;
    if (need < top_h)
        top_h = need;
    if (top_h < 6)
        top_h = 6;
    int bottom_h = h - top_h;
    enum layout_kind kind;
    const char *sel = screen_pipeline_selection(s, &kind);
    char *sel_copy = sel != NULL ? xstrdup(sel) : NULL;
    bool stage = sel_copy != NULL && kind == LAYOUT_STAGE;
    char *arg = sel_copy != NULL ? xasprintf("%c%s", stage ? 's' : 'w', sel_copy) : NULL;
    if (screen_refill(s, FILL_FREIGHT, arg))
        lists_fill_freight(&s->freight, st, stage ? sel_copy : NULL, stage ? NULL : sel_copy,
                           &s->paint);
    if (screen_refill(s, FILL_PROMOTIONS, stage ? sel_copy : NULL))
        lists_fill_promotions(&s->promotions, st, stage ? sel_copy : NULL, &s->paint);
    free(arg);

    bool pfocus = s->focus == PANE_PIPELINE;
    if (s->list_form) {
        screen_table_pane(s, &s->stages, y, 0, top_h, COLS, "Stages (list)", pfocus, pipeline_kinds,
                          2);
    } else {
        screen_frame(s, y, 0, top_h, COLS, pfocus);
        int used = screen_title(s, y, 2, COLS - 4, "Pipeline", pfocus ? THEME_TITLE : THEME_NORMAL);
        screen_marks_title(s, y, 2 + used, COLS - 4 - used);
        screen_freshness(s, y, 0, COLS, pipeline_kinds, 2);
        s->pipeline.marked = s->act.marked;
        s->pipeline.n_marked = s->act.n_marked;
        pipeline_view_draw(&s->pipeline, stdscr, y + 1, 1, top_h - 2, COLS - 2, st, &s->paint,
                           pfocus);
        screen_hit_add(s, y + 1, 1, top_h - 2, COLS - 2, NULL, PANE_PIPELINE);
    }

    char ftitle[300], ptitle[300];
    snprintf(ftitle, sizeof ftitle, "Freight%s%s", sel_copy != NULL ? " for " : "",
             sel_copy != NULL ? sel_copy : "");
    snprintf(ptitle, sizeof ptitle, "Promotions%s%s", stage ? " of " : "", stage ? sel_copy : "");
    int by = y + top_h;
    if (COLS >= SCREEN_WIDE_COLS) {
        int lw = COLS / 2;
        screen_table_pane(s, &s->freight, by, 0, bottom_h, lw, ftitle, s->focus == PANE_FREIGHT,
                          freight_kinds, 2);
        screen_table_pane(s, &s->promotions, by, lw, bottom_h, COLS - lw, ptitle,
                          s->focus == PANE_PROMOTIONS, promotion_kinds, 1);
    } else {
        /* one pane at a time; the other's name in the border says Tab reaches it */
        bool fr = s->bottom == PANE_FREIGHT;
        screen_table_pane(s, fr ? &s->freight : &s->promotions, by, 0, bottom_h, COLS,
                          fr ? ftitle : ptitle, s->focus == s->bottom,
                          fr ? freight_kinds : promotion_kinds, fr ? 2 : 1);
        char other[64];
        snprintf(other, sizeof other, "Tab: %s", fr ? "Promotions" : "Freight");
        int ow = draw_width(other) + 2;
        if (COLS > ow + 40)
            screen_title(s, by + bottom_h - 1, COLS - ow - 2, ow, other, THEME_DIM);
    }
    free(sel_copy);
}

static void screen_draw_list(struct screen *s, const struct store *st, int y, int h)
{
    struct table *t = &s->lists[s->list_kind];
    static const enum kargo_kind kinds_of[LIST_KIND_COUNT] = {
        [LIST_STAGES] = KARGO_STAGE,         [LIST_FREIGHT] = KARGO_FREIGHT,
        [LIST_PROMOTIONS] = KARGO_PROMOTION, [LIST_WAREHOUSES] = KARGO_WAREHOUSE,
        [LIST_EVENTS] = KARGO_EVENT,         [LIST_PROJECTS] = KARGO_PROJECT,
    };
    /* the project list comes from the session, not the store: always filled */
    bool fill = s->list_kind == LIST_PROJECTS || screen_refill(s, FILL_LISTS + s->list_kind, NULL);
    switch (fill ? s->list_kind : LIST_KIND_COUNT) {
    case LIST_STAGES:
        lists_fill_stages(t, st, s->pipeline.layout, &s->paint);
        break;
    case LIST_FREIGHT:
        lists_fill_freight(t, st, NULL, NULL, &s->paint);
        break;
    case LIST_PROMOTIONS:
        lists_fill_promotions(t, st, NULL, &s->paint);
        break;
    case LIST_WAREHOUSES:
        lists_fill_warehouses(t, st, &s->paint);
        break;
    case LIST_EVENTS:
        lists_fill_events(t, st, &s->paint);
        break;
    case LIST_PROJECTS:
        lists_fill_projects(t, s->projects, s->n_projects, s->status.project, &s->paint);
        break;
    case LIST_KIND_COUNT:
        break;
    }
    char title[200];
    if (s->list_kind == LIST_PROJECTS)
        snprintf(title, sizeof title, "Projects (Enter opens)");
    else
        snprintf(title, sizeof title, "%s of %s", lists_title(s->list_kind), s->status.project);
    enum kargo_kind k = kinds_of[s->list_kind];
    screen_table_pane(s, t, y, 0, h, COLS, title, true, &k, 1);
}

static void screen_draw_detail(struct screen *s, const struct store *st, int y, int h)
{
    static const char *const kind_names[KARGO_KIND_COUNT] = {[KARGO_STAGE] = "Stage",
                                                             [KARGO_FREIGHT] = "Freight",
                                                             [KARGO_PROMOTION] = "Promotion",
                                                             [KARGO_WAREHOUSE] = "Warehouse"};
    detail_view_fill(&s->detail_table, st, s->detail_kind, s->detail_name, &s->paint);
    char title[400];
    snprintf(title, sizeof title, "%s %s",
             kind_names[s->detail_kind] ? kind_names[s->detail_kind] : "", s->detail_name);
    enum kargo_kind k = s->detail_kind;
    screen_table_pane(s, &s->detail_table, y, 0, h, COLS, title, true, &k, 1);
}

static void screen_yaml_of(struct screen *s, enum kargo_kind kind, const char *name);

void screen_draw(struct screen *s, time_t now)
{
    erase();
    s->tick_at = 0;
    s->n_hits = 0;
    if (COLS < SCREEN_MIN_COLS || LINES < SCREEN_MIN_ROWS) {
        screen_draw_too_small();
        refresh();
        return;
    }
    s->paint.now = now;
    act_poll(&s->act, &s->message, &s->message_error);
    memset(&s->status, 0, sizeof s->status);
    if (s->src != NULL && s->src->status != NULL)
        s->src->status(s->src->ctx, &s->status);
    /* "reconnecting in 5s" counts down on screen */
    for (int k = 0; k < KARGO_KIND_COUNT; k++)
        if (s->status.watch[k].conn == SOURCE_RETRYING)
            screen_tick(s, now + 1);
    struct store *st = screen_store(s);
    if (st != s->filled_store) {
        s->filled_store = st; /* a new store (a project or context switch): nothing carries over */
        s->generation = (unsigned long)-1;
        s->epoch++;
    }
    if (COLS != s->filled_cols || LINES != s->filled_lines) {
        s->filled_cols = COLS;
        s->filled_lines = LINES;
        s->epoch++;
    }
    if (strcmp(s->status.project, s->project) != 0) {
        snprintf(s->project, sizeof s->project, "%s", s->status.project);
        screen_reset_views(s);
        s->generation = (unsigned long)-1;
        if (s->project[0] != '\0' && s->mode == MODE_LIST && s->list_kind == LIST_PROJECTS)
            s->mode = MODE_DASHBOARD; /* a project opened: show it */
    }
    if (s->yaml_wait != NULL && !s->yaml) {
        char *name = xstrdup(s->yaml_wait);
        screen_yaml_of(s, s->yaml_wait_kind, name);
        free(name);
    }
    if (st == NULL && s->src != NULL && !s->yaml) {
        /* no project open: the project list is the place to start from */
        s->mode = MODE_LIST;
        s->list_kind = LIST_PROJECTS;
        s->detail = false;
        screen_load_projects(s);
    }
    screen_draw_topbar(s);
    int y = 1, h = LINES - 2;

    if (s->yaml) {
        WINDOW *win = derwin(stdscr, h, COLS, y, 0);
        if (win != NULL) {
            yaml_view_draw(&s->yaml_view, win, &s->paint.theme, s->paint.utf8);
            delwin(win);
        }
    } else if (st == NULL && s->src != NULL) {
        screen_draw_list(s, NULL, y, h);
    } else if (st == NULL) {
        draw_text(stdscr, y + h / 2 - 1, 4, COLS - 8,
                  s->not_connected != NULL ? s->not_connected : "Not connected.", A_BOLD,
                  s->paint.utf8);
    } else {
        store_read_lock(st);
        unsigned long gen = store_generation(st);
        if (gen != s->generation) {
            paint_update(&s->paint, st);
            s->generation = gen;
        }
        act_prefetch(&s->act);
        if (s->detail)
            screen_draw_detail(s, st, y, h);
        else if (s->mode == MODE_LIST)
            screen_draw_list(s, st, y, h);
        else
            screen_draw_dashboard(s, st, y, h);
        store_read_unlock(st);
        /* ages on screen: relative ones every second, absolute ones at midnight; the details
         * always say how long ago */
        if (s->detail && !s->paint.relative_ages)
            screen_tick(s, now + 1);
        screen_tick(s, paint_age_change(&s->paint));
    }
    screen_draw_footer(s);
    if (s->help)
        screen_draw_help(s);
    /* a confirmation waiting for an access answer follows it once it is in (a wake-up) */
    act_update(&s->act, now);
    act_draw(&s->act, &s->paint);
    refresh();
}

/* ---- keys -------------------------------------------------------------------------------- */

/* Opens a project; the one already open stays as it is (its selection, filters and data), rather
 * than starting its watches over and drawing an empty pipeline meanwhile. */
static int screen_open_project(struct screen *s, const char *name, char **cause)
{
    if (s->status.project[0] != '\0' && strcmp(s->status.project, name) == 0)
        return 0;
    return s->src->open_project(s->src->ctx, name, cause);
}

static void screen_open_detail(struct screen *s)
{
    enum kargo_kind kind;
    const char *name = screen_selection(s, &kind);
    if (name == NULL)
        return;
    if (kind == KARGO_PROJECT) {
        char *cause = NULL;
        char *copy = xstrdup(name);
        if (screen_open_project(s, copy, &cause) != 0)
            screen_message(s, true, cause);
        else
            s->mode = MODE_DASHBOARD;
        free(copy);
        free(cause);
        return;
    }
    if (kind != KARGO_STAGE && kind != KARGO_FREIGHT && kind != KARGO_PROMOTION &&
        kind != KARGO_WAREHOUSE)
        return;
    char *copy = xstrdup(name);
    free(s->detail_name);
    s->detail_name = copy;
    s->detail_kind = kind;
    s->detail = true;
    table_set_filter(&s->detail_table, NULL);
    free(s->detail_table.selected);
    s->detail_table.selected = NULL;
    listview_select(&s->detail_table.lv, 0);
}

/* Opens the YAML view on the object if the source has it; when the source is fetching it, the
 * view opens on a later frame (the source's wake-up), unless a key came first. */
static void screen_yaml_of(struct screen *s, enum kargo_kind kind, const char *name)
{
    static const char *const plural[KARGO_KIND_COUNT] = {
        [KARGO_PROJECT] = "projects",     [KARGO_PROJECT_CONFIG] = "projectconfigs",
        [KARGO_WAREHOUSE] = "warehouses", [KARGO_STAGE] = "stages",
        [KARGO_FREIGHT] = "freights",     [KARGO_PROMOTION] = "promotions",
        [KARGO_EVENT] = "events"};
    char *title = xasprintf("%s/%s", plural[kind], name);
    cJSON *obj = s->src->object(s->src->ctx, kind, name);
    bool waiting = s->yaml_wait != NULL;
    free(s->yaml_wait);
    s->yaml_wait = NULL;
    char why[256] = "that object is not in the cache any more";
    bool pending = obj == NULL && s->src->object_pending != NULL &&
                   s->src->object_pending(s->src->ctx, kind, name, why, sizeof why);
    /* the fetch may have ended between the two questions: then the object is in */
    if (obj == NULL && !pending)
        obj = s->src->object(s->src->ctx, kind, name);
    if (obj == NULL) {
        if (pending) {
            s->yaml_wait = xstrdup(name);
            s->yaml_wait_kind = kind;
            if (!waiting) {
                char *m = xasprintf("fetching %s...", title);
                screen_message(s, false, m);
                free(m);
            }
        } else {
            char *m = xasprintf("%s: %s", title, why);
            screen_message(s, true, m);
            free(m);
        }
        free(title);
        return;
    }
    if (waiting)
        screen_message(s, false, NULL);
    char *cause = NULL;
    if (yaml_view_open(&s->yaml_view, title, obj, &cause) == 0)
        s->yaml = true;
    else
        screen_message(s, true, cause);
    free(cause);
    free(title);
    cJSON_Delete(obj);
}

static void screen_open_yaml(struct screen *s)
{
    enum kargo_kind kind;
    const char *name = screen_selection(s, &kind);
    if (name == NULL || s->src == NULL || s->src->object == NULL)
        return;
    screen_yaml_of(s, kind, name);
}

static void screen_set_list(struct screen *s, enum list_kind k)
{
    s->mode = MODE_LIST;
    s->list_kind = k;
    s->detail = false;
    if (k == LIST_PROJECTS)
        screen_load_projects(s);
}

static void screen_run_command(struct screen *s, const char *line)
{
    struct command cmd;
    char *cause = NULL;
    if (command_parse(line, &cmd, &cause) != 0) {
        screen_message(s, true, cause);
        free(cause);
        return;
    }
    switch (cmd.id) {
    case COMMAND_PROJECTS:
        screen_set_list(s, LIST_PROJECTS);
        break;
    case COMMAND_PROJECT:
        if (s->src == NULL || s->src->open_project == NULL) {
            screen_message(s, true, "not connected to a cluster");
        } else if (screen_open_project(s, cmd.arg, &cause) != 0) {
            screen_message(s, true, cause);
        } else {
            s->mode = MODE_DASHBOARD;
            s->detail = false;
        }
        break;
    case COMMAND_STAGES:
    case COMMAND_PIPELINE:
        s->mode = MODE_DASHBOARD;
        s->detail = false;
        s->focus = PANE_PIPELINE;
        s->list_form = cmd.id == COMMAND_STAGES;
        break;
    case COMMAND_FREIGHT:
        screen_set_list(s, LIST_FREIGHT);
        break;
    case COMMAND_PROMOTIONS:
        screen_set_list(s, LIST_PROMOTIONS);
        break;
    case COMMAND_WAREHOUSES:
        screen_set_list(s, LIST_WAREHOUSES);
        break;
    case COMMAND_EVENTS:
        screen_set_list(s, LIST_EVENTS);
        break;
    case COMMAND_CTX:
        if (s->src == NULL || s->src->open_context == NULL) {
            screen_message(s, true, "not connected to a cluster");
        } else if (s->src->open_context(s->src->ctx, cmd.arg, &cause) != 0) {
            screen_message(s, true, cause);
        } else {
            s->mode = MODE_DASHBOARD;
            s->detail = false;
        }
        break;
    case COMMAND_HELP:
        s->help = true;
        break;
    case COMMAND_QUIT:
        s->quit = true;
        break;
    }
    free(cmd.arg);
    free(cause);
}

/* In the pipeline as a graph, `/` finds: the first Stage whose name holds the text. */
static void screen_find_stage(struct screen *s, const char *text)
{
    const struct layout *l = s->pipeline.layout;
    if (l == NULL || text[0] == '\0')
        return;
    for (size_t i = 0; i < l->n_nodes; i++)
        if (l->nodes[i].kind == LAYOUT_STAGE && table_contains(l->nodes[i].name, text)) {
            pipeline_view_select(&s->pipeline, LAYOUT_STAGE, l->nodes[i].name);
            return;
        }
}

static void screen_filter_changed(struct screen *s)
{
    struct table *t = screen_focus_table(s);
    if (t != NULL)
        table_set_filter(t, s->edit.text.buf);
    else
        screen_find_stage(s, s->edit.text.buf);
}

static void screen_prompt_key(struct screen *s, int key, bool is_keycode)
{
    enum lineedit_result r;
    if (!is_keycode && key == '\t' && s->prompt == PROMPT_COMMAND) {
        screen_load_projects(s);
        size_t n_ctx = 0;
        char **ctxs = s->src != NULL && s->src->contexts != NULL
                          ? s->src->contexts(s->src->ctx, &n_ctx)
                          : NULL;
        struct command_names names = {s->projects, s->n_projects, ctxs, n_ctx};
        command_complete(&s->edit, &names);
        for (size_t i = 0; i < n_ctx; i++)
            free(ctxs[i]);
        free(ctxs);
        return;
    }
    if (!is_keycode && key >= 32 && key != 127)
        r = lineedit_insert(&s->edit, (wchar_t)key);
    else
        r = lineedit_key(&s->edit, key);
    switch (r) {
    case LINEEDIT_CHANGED:
        if (s->prompt == PROMPT_FILTER)
            screen_filter_changed(s);
        break;
    case LINEEDIT_SUBMIT:
        if (s->prompt == PROMPT_COMMAND) {
            char *line = xstrdup(s->edit.text.buf);
            s->prompt = PROMPT_NONE;
            screen_run_command(s, line);
            free(line);
        }
        s->prompt = PROMPT_NONE;
        break;
    case LINEEDIT_CANCEL:
        if (s->prompt == PROMPT_FILTER) {
            struct table *t = screen_focus_table(s);
            if (t != NULL)
                table_set_filter(t, NULL);
        }
        s->prompt = PROMPT_NONE;
        break;
    case LINEEDIT_IGNORED:
    case LINEEDIT_MOVED:
        break;
    }
}

static void screen_cycle(struct screen *s, int dir)
{
    if (s->mode != MODE_DASHBOARD || s->detail)
        return;
    bool wide = COLS >= SCREEN_WIDE_COLS;
    /* narrow: pipeline, freight, promotions still cycle; the bottom shows the focused one */
    int f = ((int)s->focus + dir + PANE_COUNT) % PANE_COUNT;
    s->focus = (enum pane)f;
    if (!wide && s->focus != PANE_PIPELINE)
        s->bottom = s->focus;
}

static void screen_toggle_list(struct screen *s)
{
    enum layout_kind kind;
    const char *sel = screen_pipeline_selection(s, &kind);
    char *copy = sel != NULL ? xstrdup(sel) : NULL;
    s->list_form = !s->list_form;
    s->mode = MODE_DASHBOARD;
    s->detail = false;
    s->focus = PANE_PIPELINE;
    /* the selection crosses over, so the freight and promotions panes stay put */
    if (copy != NULL && kind == LAYOUT_STAGE) {
        if (s->list_form)
            table_select(&s->stages, copy);
        else
            pipeline_view_select(&s->pipeline, LAYOUT_STAGE, copy);
    }
    free(copy);
}

/* An action key: what is selected decides what it acts on. */
static void screen_act(struct screen *s, enum action_id id)
{
    struct act_selection sel;
    screen_act_selection(s, &sel);
    act_start(&s->act, id, &sel, time(NULL), &s->message, &s->message_error);
}

static void screen_mark(struct screen *s)
{
    enum kargo_kind kind;
    const char *name = screen_selection(s, &kind);
    if (name == NULL || kind != KARGO_STAGE) {
        screen_message(s, true, "space marks stages: select one in the pipeline");
        return;
    }
    char *copy = xstrdup(name);
    bool on = act_toggle_mark(&s->act, copy);
    char *msg = xasprintf("%s %s; %zu marked (p promotes them all, Esc clears)", copy,
                          on ? "marked" : "unmarked", s->act.n_marked);
    screen_message(s, false, msg);
    free(msg);
    free(copy);
}

static void screen_back(struct screen *s)
{
    struct table *t = screen_focus_table(s);
    if (s->help)
        s->help = false;
    else if (s->detail)
        s->detail = false;
    else if (t != NULL && t->filter != NULL)
        table_set_filter(t, NULL);
    else if (s->act.n_marked > 0)
        act_clear_marks(&s->act);
    else if (s->mode == MODE_LIST && screen_store(s) != NULL)
        s->mode = MODE_DASHBOARD;
    else if (s->focus != PANE_PIPELINE)
        s->focus = PANE_PIPELINE;
}

/* The mouse (--mouse): a click selects the row or box under it (and focuses its pane), the wheel
 * scrolls what is under it. */
static void screen_mouse(struct screen *s)
{
    MEVENT ev;
    if (getmouse(&ev) != OK || s->help || s->yaml || s->prompt != PROMPT_NONE)
        return;
    const struct screen_hit *h = NULL;
    for (int i = 0; i < s->n_hits; i++)
        if (ev.y >= s->hits[i].y && ev.y < s->hits[i].y + s->hits[i].h && ev.x >= s->hits[i].x &&
            ev.x < s->hits[i].x + s->hits[i].w)
            h = &s->hits[i];
    if (h == NULL)
        return;
    if (h->pane >= 0 && s->mode == MODE_DASHBOARD && !s->detail) {
        s->focus = (enum pane)h->pane;
        if (h->pane != PANE_PIPELINE)
            s->bottom = s->focus;
    }
    bool up = ev.bstate & BUTTON4_PRESSED;
    if (up || (ev.bstate & BUTTON5_PRESSED)) {
        for (int i = 0; i < 3; i++) {
            if (h->table != NULL)
                table_key(h->table, up ? UI_ACTION_UP : UI_ACTION_DOWN);
            else
                pipeline_view_key(&s->pipeline, up ? UI_ACTION_UP : UI_ACTION_DOWN);
        }
        return;
    }
    if (!(ev.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED)))
        return;
    if (h->table != NULL) {
        size_t i = h->table->lv.top + (size_t)(ev.y - h->y);
        if (i < h->table->nshown) {
            char *key = xstrdup(h->table->rows[h->table->shown[i]].key);
            table_select(h->table, key);
            free(key);
        }
        return;
    }
    const struct layout *l = s->pipeline.layout;
    int lx = ev.x - h->x + s->pipeline.sx, ly = ev.y - h->y + s->pipeline.sy;
    for (size_t i = 0; l != NULL && i < l->n_nodes; i++) {
        const struct layout_node *n = &l->nodes[i];
        if (!n->missing && lx >= n->x && lx < n->x + n->w && ly >= n->y && ly < n->y + n->h) {
            pipeline_view_select(&s->pipeline, n->kind, n->name);
            return;
        }
    }
}

/* The fill stamp of a table, or NULL (details). */
static struct fill_stamp *screen_stamp_of(struct screen *s, const struct table *t)
{
    if (t == &s->stages)
        return &s->fills[FILL_STAGES];
    if (t == &s->freight)
        return &s->fills[FILL_FREIGHT];
    if (t == &s->promotions)
        return &s->fills[FILL_PROMOTIONS];
    for (int k = 0; k < LIST_KIND_COUNT; k++)
        if (t == &s->lists[k])
            return &s->fills[FILL_LISTS + k];
    return NULL;
}

/* A filter typed since the last frame (keys come in batches: "/name" then Enter) applies before
 * a key that acts on the selection. Rows by reference are formatted under the store's lock and
 * only while they are still the store's; otherwise the next frame refills and filters them. */
static void screen_settle_filter(struct screen *s)
{
    struct table *t = screen_focus_table(s);
    struct store *st = screen_store(s);
    struct fill_stamp *f = t != NULL ? screen_stamp_of(s, t) : NULL;
    if (t == NULL || !t->refilter || st == NULL || st != s->filled_store || f == NULL)
        return;
    store_read_lock(st);
    if (f->valid && f->epoch == s->epoch && f->generation == store_generation(st))
        table_prepare(t);
    store_read_unlock(st);
}

void screen_key(struct screen *s, int key, bool is_keycode)
{
    if (key == KEY_RESIZE && is_keycode)
        return; /* ncurses already knows the new size; the redraw follows */
    if (s->prompt == PROMPT_NONE)
        screen_settle_filter(s);
    if (key == KEY_MOUSE && is_keycode) {
        screen_mouse(s);
        return;
    }
    screen_message(s, false, NULL);
    free(s->yaml_wait); /* a key changes the subject: the YAML view no longer waits */
    s->yaml_wait = NULL;
    if ((COLS < SCREEN_MIN_COLS || LINES < SCREEN_MIN_ROWS) && key == 'q' && !is_keycode) {
        /* "press q to quit" holds whatever is open unseen (a prompt, the YAML view, a
         * confirmation, which goes with nothing sent) */
        if (s->act.open)
            act_key(&s->act, 27, false, time(NULL), &s->message, &s->message_error);
        s->quit = true;
        return;
    }
    if (s->act.open) {
        /* an unseen confirmation is never confirmed: below the minimum size only Esc works */
        if ((COLS < SCREEN_MIN_COLS || LINES < SCREEN_MIN_ROWS) && key != 27)
            return;
        act_key(&s->act, key, is_keycode, time(NULL), &s->message, &s->message_error);
        return;
    }
    if (s->prompt != PROMPT_NONE) {
        screen_prompt_key(s, key, is_keycode);
        return;
    }
    if (s->yaml) {
        if (!yaml_view_key(&s->yaml_view, key, is_keycode)) {
            yaml_view_close(&s->yaml_view);
            s->yaml = false;
        }
        return;
    }
    const struct keymap_entry *k = keymap_find_scope(s->opts.keys, key, screen_scope(s));
    enum ui_action a = k != NULL ? k->action : UI_ACTION_NONE;
    if (s->help && a != UI_ACTION_QUIT && a != UI_ACTION_REDRAW) {
        if (a == UI_ACTION_HELP || a == UI_ACTION_BACK)
            s->help = false;
        return;
    }
    switch (a) {
    case UI_ACTION_QUIT:
        s->quit = true;
        return;
    case UI_ACTION_HELP:
        s->help = true;
        return;
    case UI_ACTION_BACK:
        screen_back(s);
        return;
    case UI_ACTION_REDRAW:
        clearok(curscr, TRUE);
        return;
    case UI_ACTION_NEXT_PANE:
        screen_cycle(s, 1);
        return;
    case UI_ACTION_PREV_PANE:
        screen_cycle(s, -1);
        return;
    case UI_ACTION_DETAILS:
        if (!s->detail)
            screen_open_detail(s);
        return;
    case UI_ACTION_YAML:
        screen_open_yaml(s);
        return;
    case UI_ACTION_FILTER: {
        s->prompt = PROMPT_FILTER;
        struct table *t = screen_focus_table(s);
        lineedit_set(&s->edit, t != NULL && t->filter != NULL ? t->filter : "");
        return;
    }
    case UI_ACTION_COMMAND:
        s->prompt = PROMPT_COMMAND;
        lineedit_set(&s->edit, "");
        return;
    case UI_ACTION_TOGGLE_LIST:
        screen_toggle_list(s);
        return;
    case UI_ACTION_ACT:
        screen_act(s, (enum action_id)k->act);
        return;
    case UI_ACTION_MARK:
        screen_mark(s);
        return;
    case UI_ACTION_NONE:
        return;
    default:
        break;
    }
    /* movement: the focused list, or the pipeline's boxes */
    struct table *t = screen_focus_table(s);
    if (t != NULL)
        table_key(t, a);
    else
        pipeline_view_key(&s->pipeline, a);
}
