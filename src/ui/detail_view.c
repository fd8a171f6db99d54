/* Detail lines for Stages, Freight, Promotions and Warehouses. */
#include "ui/detail_view.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/derive.h"
#include "ui/describe.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

static const struct table_column detail_cols[] = {{"", 0}};

void detail_view_init(struct table *t)
{
    table_init(t, detail_cols, 1, false);
}

struct lines {
    struct table *t;
    size_t n;
    const struct paint *p;
};

static void line(struct lines *l, attr_t a, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void line(struct lines *l, attr_t a, const char *fmt, ...)
{
    char key[24];
    snprintf(key, sizeof key, "%zu", l->n++);
    table_row(l->t, key, 0);
    va_list ap;
    va_start(ap, fmt);
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    table_add(l->t, 0, s, a);
    free(s);
}

/* Appends a segment to the last line. */
static void more(struct lines *l, attr_t a, const char *s)
{
    table_add(l->t, 0, s != NULL ? s : "", a);
}

static void heading(struct lines *l, const char *title)
{
    line(l, 0, "%s", "");
    line(l, paint_role(l->p, THEME_TITLE), "%s", title);
}

/* "2026-01-02 10:00:00Z (3h ago)" */
static const char *when(const struct paint *p, time_t t, char *buf, size_t len)
{
    if (t == 0) {
        snprintf(buf, len, "-");
        return buf;
    }
    char abs[32], rel[32];
    timefmt_rfc3339(t, abs, sizeof abs);
    timefmt_ago(t, p->now, rel, sizeof rel);
    snprintf(buf, len, "%s (%s)", abs, rel);
    return buf;
}

static void artifacts(struct lines *l, const struct kargo_artifacts *a)
{
    char sha[16];
    for (size_t i = 0; i < a->n_images; i++) {
        line(l, 0, "    image  %s:%s", a->images[i].repo_url ? a->images[i].repo_url : "",
             a->images[i].tag ? a->images[i].tag : "");
        if (a->images[i].digest != NULL)
            more(l, paint_role(l->p, THEME_DIM), "  ");
        more(l, paint_role(l->p, THEME_DIM), a->images[i].digest);
    }
    for (size_t i = 0; i < a->n_charts; i++)
        line(l, 0, "    chart  %s%s%s %s", a->charts[i].repo_url ? a->charts[i].repo_url : "",
             a->charts[i].name && a->charts[i].name[0] ? "/" : "",
             a->charts[i].name ? a->charts[i].name : "",
             a->charts[i].version ? a->charts[i].version : "");
    for (size_t i = 0; i < a->n_commits; i++) {
        snprintf(sha, sizeof sha, "%.7s", a->commits[i].id ? a->commits[i].id : "");
        line(l, 0, "    git    %s %s", a->commits[i].repo_url ? a->commits[i].repo_url : "", sha);
        if (a->commits[i].message != NULL) {
            more(l, 0, "  ");
            more(l, paint_role(l->p, THEME_DIM), a->commits[i].message);
        }
        if (a->commits[i].author != NULL) {
            more(l, paint_role(l->p, THEME_DIM), paint_glyph(l->p, " \u2014 ", " - "));
            more(l, paint_role(l->p, THEME_DIM), a->commits[i].author);
        }
    }
    for (size_t i = 0; i < a->n_generic; i++)
        line(l, 0, "    %s  %s %s", a->generic[i].type ? a->generic[i].type : "artifact",
             a->generic[i].subscription ? a->generic[i].subscription : "",
             a->generic[i].version ? a->generic[i].version : "");
}

static const char *alias_of(const struct store *st, const char *name)
{
    const struct kargo_freight *f = name != NULL ? store_freight(st, name) : NULL;
    return f != NULL && f->alias != NULL ? f->alias : (name != NULL ? name : "-");
}

static void conditions(struct lines *l, const struct kargo_condition *c, size_t n)
{
    heading(l, "Conditions");
    if (n == 0)
        line(l, paint_role(l->p, THEME_DIM), "  none");
    for (size_t i = 0; i < n; i++) {
        bool bad = c[i].status != NULL && strcmp(c[i].status, "False") == 0;
        line(l, bad ? paint_role(l->p, THEME_WARNING) : 0, "  %-12s %-7s %s",
             c[i].type ? c[i].type : "", c[i].status ? c[i].status : "",
             c[i].reason ? c[i].reason : "");
        if (c[i].message != NULL && c[i].message[0] != '\0') {
            more(l, 0, "  ");
            more(l, paint_role(l->p, THEME_DIM), c[i].message);
        }
    }
}

static void stage_details(struct lines *l, const struct store *st, const struct kargo_stage *s)
{
    const struct paint *p = l->p;
    char buf[96];
    const struct paint_entry *pe = paint_stage(p, s->name);
    line(l, pe != NULL ? pe->head : A_BOLD, " %s ", s->name);
    more(l, paint_role(p, THEME_DIM), "  Stage");
    if (s->description != NULL)
        line(l, 0, "%s", s->description);
    enum stage_phase ph = derive_stage_phase(s, true);
    enum stage_health h = derive_stage_health(s);
    line(l, 0, "Phase      ");
    more(l, paint_role(p, describe_phase_role(ph)), derive_phase_name(ph));
    const struct kargo_promotion *act = derive_active_promotion(st, s);
    if (act != NULL) {
        char step[32];
        describe_step(act, step, sizeof step);
        line(l, 0, "Promotion  %s %s%s%s", act->name, act->phase ? act->phase : "Pending",
             step[0] ? " step " : "", step);
    }
    line(l, 0, "Health     ");
    more(l, paint_role(p, describe_health_role(h)),
         h == HEALTH_NONE ? "none" : derive_health_name(h));
    line(l, 0, "Auto       %s", s->auto_promotion_enabled ? "enabled" : "off");
    for (size_t i = 0; i < s->n_holds; i++)
        line(l, paint_role(p, THEME_MARK), "  paused for %s by %s since %s",
             s->holds[i].origin_key ? s->holds[i].origin_key : "",
             s->holds[i].actor ? s->holds[i].actor : "someone",
             when(p, s->holds[i].created, buf, sizeof buf));
    if (s->control_flow)
        line(l, paint_role(p, THEME_DIM), "Control-flow Stage (no promotion steps)");
    else
        line(l, 0, "Steps      %zu%s", s->n_steps,
             s->has_verification ? ", with verification" : "");
    for (size_t i = 0; i < s->n_requests; i++) {
        const struct kargo_freight_request *r = &s->requests[i];
        line(l, 0, "Requests   %s from ", r->origin.key);
        if (r->direct)
            more(l, 0, "the warehouse");
        for (size_t j = 0; j < r->n_stages; j++) {
            more(l, 0, j > 0 || r->direct ? ", " : "");
            more(l, 0, r->stages[j]);
        }
        if (r->soak_ms > 0) {
            char span[32];
            timefmt_span(r->soak_ms / 1000, span, sizeof span);
            more(l, paint_role(p, THEME_DIM), " (soak ");
            more(l, paint_role(p, THEME_DIM), span);
            more(l, paint_role(p, THEME_DIM), ")");
        }
    }

    heading(l, "Current freight");
    const struct kargo_freight_ref **cur = NULL;
    size_t n = derive_current_freight(s, &cur);
    if (n == 0)
        line(l, paint_role(p, THEME_DIM), "  none yet");
    for (size_t i = 0; i < n; i++) {
        line(l, A_BOLD, "  %s", alias_of(st, cur[i]->name));
        more(l, paint_role(p, THEME_DIM), "  ");
        more(l, paint_role(p, THEME_DIM), cur[i]->origin.key);
        artifacts(l, &cur[i]->artifacts);
    }
    free(cur);

    if (s->n_history > 0 && s->history[0].n_verifications > 0) {
        heading(l, "Verification history");
        for (size_t i = 0; i < s->history[0].n_verifications; i++) {
            const struct kargo_verification *v = &s->history[0].verifications[i];
            line(l, 0, "  %-12s %s", v->phase ? v->phase : "",
                 when(p, v->started, buf, sizeof buf));
            if (v->message != NULL) {
                more(l, 0, "  ");
                more(l, paint_role(p, THEME_DIM), v->message);
            }
        }
    }

    heading(l, "Freight history (newest first, when it was promoted)");
    for (size_t r = 0; r < s->n_requests; r++) {
        bool dup = false;
        for (size_t j = 0; j < r; j++)
            dup = dup || strcmp(s->requests[j].origin.key, s->requests[r].origin.key) == 0;
        if (dup)
            continue;
        struct history_entry *hist = NULL;
        size_t nh = derive_stage_history(st, s, s->requests[r].origin.key, &hist);
        if (s->n_requests > 1)
            line(l, paint_role(p, THEME_DIM), "  %s", s->requests[r].origin.key);
        if (nh == 0)
            line(l, paint_role(p, THEME_DIM), "  no earlier freight");
        for (size_t i = 0; i < nh; i++) {
            char art[96];
            describe_artifact(&hist[i].freight->artifacts, art, sizeof art);
            line(l, 0, "  %-16s %-14s %s", alias_of(st, hist[i].freight->name), art,
                 when(p, hist[i].promoted, buf, sizeof buf));
            if (hist[i].verification != NULL) {
                more(l, paint_role(p, THEME_DIM), "  verification ");
                more(l, paint_role(p, THEME_DIM), hist[i].verification);
            }
        }
        free(hist);
    }

    heading(l, "Recent promotions");
    for (size_t i = 0; i < 8; i++) {
        const struct kargo_promotion *pr = derive_promotion_newest(st, s->name, i);
        if (pr == NULL) {
            if (i == 0)
                line(l, paint_role(p, THEME_DIM), "  none");
            break;
        }
        line(l, 0, "  ");
        more(l, paint_role(p, describe_promotion_role(pr->phase)),
             pr->phase && pr->phase[0] ? pr->phase : "Pending");
        line(l, 0, "    %s  %s  %s", alias_of(st, pr->freight), pr->name,
             when(p, pr->finished != 0 ? pr->finished : pr->created, buf, sizeof buf));
    }
    conditions(l, s->conditions, s->n_conditions);
}

static void marks(struct lines *l, const char *title, const struct kargo_stage_mark *m, size_t n)
{
    char buf[96];
    line(l, 0, "%-14s", title);
    if (n == 0)
        more(l, paint_role(l->p, THEME_DIM), "-");
    for (size_t i = 0; i < n; i++) {
        const struct paint_entry *pe = paint_stage(l->p, m[i].stage);
        line(l, pe != NULL ? pe->fg : 0, "  %s", m[i].stage);
        if (m[i].at != 0) {
            more(l, paint_role(l->p, THEME_DIM), "  since ");
            more(l, paint_role(l->p, THEME_DIM), when(l->p, m[i].at, buf, sizeof buf));
        }
    }
}

static void freight_details(struct lines *l, const struct store *st, const struct kargo_freight *f)
{
    const struct paint *p = l->p;
    char buf[96];
    line(l, A_BOLD, "%s", f->alias != NULL ? f->alias : f->ref.name);
    more(l, paint_role(p, THEME_DIM), "  Freight");
    line(l, 0, "Name        %s", f->ref.name);
    line(l, 0, "Origin      %s", f->ref.origin.key ? f->ref.origin.key : "");
    line(l, 0, "Discovered  %s", when(p, f->discovered, buf, sizeof buf));
    heading(l, "Artifacts");
    artifacts(l, &f->ref.artifacts);
    heading(l, "Where it is");
    marks(l, "In", f->current_in, f->n_current_in);
    marks(l, "Verified in", f->verified_in, f->n_verified_in);
    marks(l, "Approved for", f->approved_for, f->n_approved_for);
    if (derive_freight_unused(st, f))
        line(l, paint_role(p, THEME_DIM), "No Stage uses it now.");
}

static void promotion_details(struct lines *l, const struct store *st,
                              const struct kargo_promotion *pr)
{
    const struct paint *p = l->p;
    char buf[96];
    line(l, A_BOLD, "%s", pr->name);
    more(l, paint_role(p, THEME_DIM), "  Promotion");
    line(l, 0, "Stage      ");
    const struct paint_entry *pe = paint_stage(p, pr->stage);
    more(l, pe != NULL ? pe->fg : 0, pr->stage);
    line(l, 0, "Freight    %s",
         alias_of(st, pr->freight != NULL ? pr->freight : pr->status_freight.name));
    line(l, 0, "Phase      ");
    more(l, paint_role(p, describe_promotion_role(pr->phase)),
         pr->phase && pr->phase[0] ? pr->phase : "Pending");
    if (pr->message != NULL && pr->message[0] != '\0') {
        line(l, 0, "Message    ");
        more(l, paint_role(p, THEME_WARNING), pr->message);
    }
    line(l, 0, "Created    %s by %s", when(p, pr->created, buf, sizeof buf),
         pr->create_actor ? pr->create_actor : "-");
    if (pr->started != 0)
        line(l, 0, "Started    %s", when(p, pr->started, buf, sizeof buf));
    if (pr->finished != 0)
        line(l, 0, "Finished   %s", when(p, pr->finished, buf, sizeof buf));
    if (pr->rollback)
        line(l, paint_role(p, THEME_MARK), "A rollback (sets an auto-promotion hold)");
    if (pr->abort_requested)
        line(l, paint_role(p, THEME_WARNING), "Abort requested");
    heading(l, "Steps");
    for (size_t i = 0; i < pr->n_steps; i++) {
        const struct kargo_step *stp = &pr->steps[i];
        const struct kargo_step_run *run = NULL;
        for (size_t j = 0; j < pr->n_runs; j++)
            if (pr->runs[j].alias != NULL && stp->alias != NULL &&
                strcmp(pr->runs[j].alias, stp->alias) == 0)
                run = &pr->runs[j];
        const char *status = run != NULL && run->status != NULL ? run->status : "";
        if (status[0] == '\0' && (long)i == pr->current_step &&
            !kargo_promotion_terminal(pr->phase))
            status = "Running";
        line(l, 0, "  %2zu. %-22s %-20s ", i + 1, stp->alias ? stp->alias : "",
             stp->uses ? stp->uses : "");
        enum theme_role role = strcmp(status, "Succeeded") == 0 ? THEME_PHASE_READY
                               : strcmp(status, "Running") == 0 ? THEME_PHASE_PROMOTING
                               : strcmp(status, "Skipped") == 0 ? THEME_DIM
                               : status[0] == '\0'              ? THEME_DIM
                                                                : THEME_PHASE_FAILED;
        more(l, paint_role(p, role), status[0] ? status : "pending");
        if (run != NULL && run->started != 0) {
            char span[32];
            time_t end = run->finished != 0 ? run->finished : p->now;
            timefmt_span((long long)(end - run->started), span, sizeof span);
            more(l, paint_role(p, THEME_DIM), "  ");
            more(l, paint_role(p, THEME_DIM), span);
        }
        if (run != NULL && run->message != NULL && run->message[0] != '\0') {
            more(l, 0, "  ");
            more(l, paint_role(p, THEME_WARNING), run->message);
        }
    }
    if (pr->n_steps == 0)
        line(l, paint_role(p, THEME_DIM), "  none recorded");
}

static void warehouse_details(struct lines *l, const struct store *st,
                              const struct kargo_warehouse *w)
{
    const struct paint *p = l->p;
    const struct paint_entry *pe = paint_warehouse(p, w->name);
    line(l, pe != NULL ? pe->fg : A_BOLD, "%s", w->name);
    more(l, paint_role(p, THEME_DIM), "  Warehouse");
    if (w->description != NULL)
        line(l, 0, "%s", w->description);
    line(l, 0, "Interval   %s", w->interval ? w->interval : "-");
    line(l, 0, "Creation   %s", w->creation_policy ? w->creation_policy : "Automatic");
    line(l, 0, "Last       %s", alias_of(st, w->last_freight));
    heading(l, "Subscriptions");
    for (size_t i = 0; i < w->n_subscriptions; i++)
        line(l, 0, "  %-6s %s", w->subscriptions[i].type ? w->subscriptions[i].type : "",
             w->subscriptions[i].repo_url ? w->subscriptions[i].repo_url : "");
    conditions(l, w->conditions, w->n_conditions);
}

bool detail_view_fill(struct table *t, const struct store *st, enum kargo_kind kind,
                      const char *name, const struct paint *p)
{
    struct lines l = {t, 0, p};
    table_clear(t);
    bool found = true;
    switch (kind) {
    case KARGO_STAGE: {
        const struct kargo_stage *s = store_stage(st, name);
        if ((found = s != NULL))
            stage_details(&l, st, s);
        break;
    }
    case KARGO_FREIGHT: {
        const struct kargo_freight *f = store_freight(st, name);
        if ((found = f != NULL))
            freight_details(&l, st, f);
        break;
    }
    case KARGO_PROMOTION: {
        const struct kargo_promotion *pr = store_promotion(st, name);
        if ((found = pr != NULL))
            promotion_details(&l, st, pr);
        break;
    }
    case KARGO_WAREHOUSE: {
        const struct kargo_warehouse *w = store_warehouse(st, name);
        if ((found = w != NULL))
            warehouse_details(&l, st, w);
        break;
    }
    default:
        found = false;
        break;
    }
    if (!found)
        line(&l, paint_role(p, THEME_WARNING), "%s is gone from the cluster.", name);
    table_done(t);
    return found;
}
