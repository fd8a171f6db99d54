/* Action keys: pickers and confirmations from the model's plans, requests to the source's
 * worker, answers to the message line. */
#include "ui/act.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action/plan.h"
#include "model/derive.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

void act_init(struct act *a, const struct ui_source *src, bool readonly)
{
    memset(a, 0, sizeof *a);
    a->src = src;
    a->readonly = readonly;
    action_policy_init(&a->default_policy);
}

/* What confirming a batch does to one of its targets. */
enum act_target {
    TARGET_READY,   /* the Freight is available to it: promoted */
    TARGET_APPROVE, /* not available, the user may approve: promoted after `a` approves it */
    TARGET_SKIP,    /* not available and not approvable by this user: left out */
    TARGET_WAITING, /* not available, and the cluster has not said whether the user may approve:
                       left out until it does (act_update builds the confirmation again) */
};

static void free_targets(struct act *a)
{
    for (size_t i = 0; i < a->n_targets; i++) {
        free(a->targets[i]);
        free(a->target_freights[i]);
    }
    free(a->targets);
    free(a->target_freights);
    free(a->target_state);
    a->targets = a->target_freights = NULL;
    a->target_state = NULL;
    a->n_targets = 0;
    a->approve_waiting = false;
    for (size_t i = 0; i < a->n_left_out; i++)
        free(a->left_out[i]);
    free(a->left_out);
    a->left_out = NULL;
    a->n_left_out = 0;
}

static void act_close(struct act *a)
{
    if (a->open)
        dialog_free(&a->dialog);
    a->open = false;
    free(a->stage);
    free(a->freight);
    free(a->promotion);
    free(a->warehouse);
    a->stage = a->freight = a->promotion = a->warehouse = NULL;
    free_targets(a);
}

void act_reset(struct act *a)
{
    act_close(a);
    act_clear_marks(a);
}

void act_free(struct act *a)
{
    act_close(a);
    act_clear_marks(a);
    action_policy_free(&a->default_policy);
}

static const struct action_policy *policy(const struct act *a)
{
    return a->src != NULL && a->src->policy != NULL ? a->src->policy : &a->default_policy;
}

static bool readonly(const struct act *a)
{
    return a->readonly || policy(a)->readonly;
}

enum action_access act_access(struct act *a, enum action_id id, const char *stage, char *reason,
                              size_t len)
{
    if (readonly(a)) {
        snprintf(reason, len, "read-only session (--readonly): nothing is written");
        return ACTION_ACCESS_DENIED;
    }
    if (a->src == NULL || a->src->access == NULL) {
        snprintf(reason, len, "not connected to a cluster");
        return ACTION_ACCESS_DENIED;
    }
    return a->src->access(a->src->ctx, id, stage, reason, len);
}

static struct store *act_store(const struct act *a)
{
    return a->src != NULL && a->src->store != NULL ? a->src->store(a->src->ctx) : NULL;
}

/* R on a Warehouse refreshes the Warehouse. */
static enum action_id effective_id(enum action_id id, const struct act_selection *sel)
{
    if ((id == ACTION_REFRESH || id == ACTION_REFRESH_WAREHOUSE) && sel->kind == KARGO_WAREHOUSE &&
        sel->name != NULL)
        return ACTION_REFRESH_WAREHOUSE;
    if (id == ACTION_REFRESH_WAREHOUSE)
        return ACTION_REFRESH;
    return id;
}

bool act_applies(struct act *a, enum action_id id, const struct act_selection *sel, time_t now,
                 char *why, size_t len)
{
    struct store *st = act_store(a);
    if (st == NULL) {
        snprintf(why, len, "no project is open");
        return false;
    }
    struct action_subject subj = {sel->stage, sel->kind, sel->name, a->n_marked};
    store_read_lock(st);
    bool ok = action_applies(effective_id(id, sel), st, &subj, now, why, len);
    store_read_unlock(st);
    return ok;
}

static void add_target(struct act *a, const char *stage, const char *freight)
{
    a->targets = xrealloc(a->targets, (a->n_targets + 1) * sizeof *a->targets);
    a->target_freights =
        xrealloc(a->target_freights, (a->n_targets + 1) * sizeof *a->target_freights);
    a->targets[a->n_targets] = xstrdup(stage);
    a->target_freights[a->n_targets] = xstrdup(freight);
    a->n_targets++;
}

/* Opens the confirmation of plan p, or (rebuild) puts p in place of the open one, keeping what
 * was typed into it and where it was scrolled. */
static void open_plan(struct act *a, struct action_plan *p, bool rebuild)
{
    if (rebuild)
        dialog_confirm_rebuild(&a->dialog, p->title, (const char *const *)p->lines, p->n_lines,
                               p->blocked, p->offer_approve, p->typed);
    else
        dialog_confirm(&a->dialog, p->title, (const char *const *)p->lines, p->n_lines, p->blocked,
                       p->offer_approve, p->typed);
    a->open = true;
    a->step = 1;
    action_plan_free(p);
}

static void plan_line(struct action_plan *p, char *line)
{
    p->lines = xrealloc(p->lines, (p->n_lines + 1) * sizeof *p->lines);
    p->lines[p->n_lines++] = line;
}

/* The targets in state which (TARGET_SKIP: also those waiting for an answer). */
static void plan_names(struct strbuf *b, const struct act *a, enum act_target which)
{
    for (size_t i = 0; i < a->n_targets; i++)
        if (a->target_state[i] == which ||
            (which == TARGET_SKIP && a->target_state[i] == TARGET_WAITING))
            strbuf_appendf(b, "%s%s", b->len ? ", " : "", a->targets[i]);
}

/* A batch promotion: per target, whether its Freight is available, needs an approval this user
 * may give, or can be neither promoted nor approved (left out, with the reason); then what y and
 * a do. Approving is offered for every target needing it, not only the first. */
static void batch_availability(struct act *a, struct action_plan *p)
{
    size_t n_ready = 0, n_approve = 0, n_skip = a->n_left_out;
    free(a->target_state); /* built again: an access answer came in */
    a->target_state = xcalloc(a->n_targets + 1, sizeof *a->target_state);
    /* each unavailable target's line is followed by what happens to it */
    char **extra = xcalloc(p->n_lines + 1, sizeof *extra);
    for (size_t i = 0; i < a->n_targets && i < p->n_targets; i++) {
        if (!p->unavailable[i]) {
            a->target_state[i] = TARGET_READY;
            n_ready++;
            continue;
        }
        char reason[240] = "";
        enum action_access m = act_access(a, ACTION_APPROVE, a->targets[i], reason, sizeof reason);
        char **x = &extra[p->unavailable_line[i]];
        free(*x);
        if (m == ACTION_ACCESS_ALLOWED) {
            a->target_state[i] = TARGET_APPROVE;
            n_approve++;
            *x = xstrdup("    needs approval: you may approve it");
        } else {
            a->target_state[i] = m == ACTION_ACCESS_UNKNOWN ? TARGET_WAITING : TARGET_SKIP;
            n_skip++;
            *x = xasprintf("    skipped: cannot be approved by you (%s)",
                           m == ACTION_ACCESS_UNKNOWN || !reason[0]
                               ? "the cluster has not said yet whether you may approve"
                               : reason);
        }
    }
    char **lines = xcalloc(2 * p->n_lines + 1, sizeof *lines);
    size_t n = 0;
    for (size_t j = 0; j < p->n_lines; j++) {
        lines[n++] = p->lines[j];
        if (extra[j] != NULL)
            lines[n++] = extra[j];
    }
    free(extra);
    free(p->lines);
    p->lines = lines;
    p->n_lines = n;
    for (size_t i = 0; i < a->n_left_out; i++)
        plan_line(p, xasprintf("%s: skipped", a->left_out[i]));
    if (n_approve == 0 && n_skip == 0)
        return;
    p->offer_approve = n_approve > 0;
    plan_line(p, xasprintf("available now: %zu of %zu; needing approval: %zu; skipped: %zu",
                           n_ready, a->n_targets + a->n_left_out, n_approve, n_skip));
    struct strbuf b;
    strbuf_init(&b);
    if (n_approve > 0) {
        plan_names(&b, a, TARGET_APPROVE);
        plan_line(p, xasprintf("%s: approve for %zu stage%s first (%s), then promote %zu",
                               p->typed != NULL ? "Ctrl-A" : "a", n_approve,
                               n_approve == 1 ? "" : "s", b.buf, n_ready + n_approve));
        strbuf_reset(&b);
    }
    if (n_ready > 0)
        plan_line(p, xasprintf("%s: promote the %zu available now only%s",
                               p->typed != NULL ? "Enter" : "y", n_ready,
                               n_approve > 0 ? ", approving nothing" : ""));
    if (n_skip > 0) {
        plan_names(&b, a, TARGET_SKIP);
        for (size_t i = 0; i < a->n_left_out; i++) {
            const char *colon = strchr(a->left_out[i], ':');
            strbuf_appendf(&b, "%s%.*s", b.len ? ", " : "",
                           (int)(colon != NULL ? colon - a->left_out[i] : 0), a->left_out[i]);
        }
        plan_line(p, xasprintf("left out either way: %s", b.buf));
    }
    strbuf_free(&b);
    if (n_ready == 0 && n_approve == 0) {
        p->blocked = true;
        plan_line(p, xstrdup("nothing can be promoted: no target is available or approvable"));
    }
}

/* The confirmation for what a->id, a->stage ... say (rebuild: in place of the open one); the
 * store is read-locked here. */
static void confirm(struct act *a, struct store *st, time_t now, bool rebuild)
{
    struct action_plan p;
    const struct action_policy *pol = policy(a);
    a->approve_waiting = false;
    store_read_lock(st);
    switch (a->id) {
    case ACTION_PROMOTE:
    case ACTION_ROLLBACK:
        action_plan_promote(&p, st, pol, (const char *const *)a->targets,
                            (const char *const *)a->target_freights, a->n_targets,
                            a->id == ACTION_ROLLBACK, now);
        break;
    case ACTION_PROMOTE_DOWNSTREAM:
        action_plan_downstream(&p, st, pol, a->stage, now);
        break;
    case ACTION_RESUME:
        action_plan_resume(&p, st, pol, a->stage, now, &a->warehouse);
        break;
    case ACTION_REFRESH_WAREHOUSE:
        action_plan_simple(&p, st, pol, a->id, NULL, a->warehouse, now);
        break;
    case ACTION_ABORT_PROMOTION:
        action_plan_simple(&p, st, pol, a->id, NULL, a->promotion, now);
        break;
    case ACTION_REFRESH:
        action_plan_simple(&p, st, pol, a->id, a->stage, a->stage, now);
        break;
    default:
        action_plan_simple(&p, st, pol, a->id, a->stage, a->freight, now);
        break;
    }
    store_read_unlock(st);
    if (a->id == ACTION_PROMOTE && a->n_marked > 0) {
        batch_availability(a, &p);
    } else if (p.offer_approve) {
        /* approving first is offered only to who may approve */
        char reason[240];
        const char *on = a->n_targets > 0 ? a->targets[0] : a->stage;
        enum action_access m = act_access(a, ACTION_APPROVE, on, reason, sizeof reason);
        a->approve_waiting = m == ACTION_ACCESS_UNKNOWN;
        if (m != ACTION_ACCESS_ALLOWED) {
            p.offer_approve = false;
            p.lines = xrealloc(p.lines, (p.n_lines + 1) * sizeof *p.lines);
            p.lines[p.n_lines++] =
                xasprintf("approving it first is not offered: %s",
                          m == ACTION_ACCESS_UNKNOWN || !reason[0]
                              ? "the cluster has not said yet whether you may approve"
                              : reason);
        } else {
            p.lines = xrealloc(p.lines, (p.n_lines + 1) * sizeof *p.lines);
            p.lines[p.n_lines++] = xstrdup("approving it first makes it available");
        }
    }
    open_plan(a, &p, rebuild);
}

static void set_msg(char **msg, bool *error, bool is_error, char *text)
{
    free(*msg);
    *msg = text;
    *error = is_error;
}

/* A picker of choices (freed here). */
static void pick(struct act *a, const char *title, struct action_choice *c, size_t n)
{
    const char **labels = xcalloc(n + 1, sizeof *labels);
    const char **values = xcalloc(n + 1, sizeof *values);
    bool *enabled = xcalloc(n + 1, sizeof *enabled);
    for (size_t i = 0; i < n; i++) {
        labels[i] = c[i].label;
        values[i] = c[i].value;
        enabled[i] = c[i].available;
    }
    dialog_pick(&a->dialog, title, labels, values, enabled, n);
    /* start on the first available choice */
    for (size_t i = 0; i < n; i++)
        if (c[i].available) {
            a->dialog.sel = i;
            break;
        }
    free(labels);
    free(values);
    free(enabled);
    action_choices_free(c, n);
    a->open = true;
    a->step = 0;
}

/* A batch over the marked Stages: the selected Freight where a Stage requests its origin, else
 * each Stage's newest available Freight of its first origin. */
static void start_batch(struct act *a, struct store *st, const struct act_selection *sel,
                        time_t now)
{
    store_read_lock(st);
    const struct kargo_freight *chosen =
        sel->kind == KARGO_FREIGHT && sel->name != NULL ? store_freight(st, sel->name) : NULL;
    for (size_t i = 0; i < a->n_marked; i++) {
        const struct kargo_stage *s = store_stage(st, a->marked[i]);
        if (s == NULL || s->n_requests == 0)
            continue;
        const struct kargo_freight *f = NULL;
        for (size_t r = 0; chosen != NULL && r < s->n_requests && f == NULL; r++)
            if (strcmp(s->requests[r].origin.key, chosen->ref.origin.key) == 0)
                f = chosen;
        if (f == NULL)
            f = derive_auto_candidate(st, s, s->requests[0].origin.key, now);
        if (f != NULL) {
            add_target(a, s->name, f->ref.name);
        } else {
            /* said in the confirmation, never dropped silently */
            a->left_out = xrealloc(a->left_out, (a->n_left_out + 1) * sizeof *a->left_out);
            a->left_out[a->n_left_out++] =
                xasprintf("%s: no Freight of %s available to it", s->name,
                          chosen != NULL ? "the selected one's origin or its own" : "its origin");
        }
    }
    store_read_unlock(st);
}

void act_start(struct act *a, enum action_id id, const struct act_selection *sel, time_t now,
               char **msg, bool *error)
{
    char reason[240];
    const struct action_def *d = action_def(id);
    enum action_access access = act_access(a, id, sel->stage, reason, sizeof reason);
    if (access == ACTION_ACCESS_DENIED) {
        set_msg(msg, error, true,
                sel->stage != NULL && !readonly(a) &&
                        (d->target == ACTION_ON_STAGE || d->target == ACTION_ON_FREIGHT)
                    ? xasprintf("%s %s: %s", d->name, sel->stage, reason)
                    : xasprintf("%s: %s", d->name, reason));
        return;
    }
    /* a batch: every marked Stage (a role may allow some of them only) */
    for (size_t i = 0; id == ACTION_PROMOTE && i < a->n_marked && access != ACTION_ACCESS_UNKNOWN;
         i++) {
        enum action_access m = act_access(a, id, a->marked[i], reason, sizeof reason);
        if (m == ACTION_ACCESS_DENIED) {
            set_msg(msg, error, true, xasprintf("%s %s: %s", d->name, a->marked[i], reason));
            return;
        }
        if (m == ACTION_ACCESS_UNKNOWN)
            access = m;
    }
    if (!act_applies(a, id, sel, now, reason, sizeof reason)) {
        set_msg(msg, error, true, xasprintf("%s: %s", d->name, reason));
        return;
    }
    if (access == ACTION_ACCESS_UNKNOWN) {
        /* never a refusal after the user confirmed: ask the cluster first */
        set_msg(msg, error, false,
                xasprintf("%s: checking with the cluster whether you may; try again in a moment",
                          d->name));
        return;
    }
    struct store *st = act_store(a);
    if (st == NULL) {
        set_msg(msg, error, true, xstrdup("no project is open"));
        return;
    }
    act_close(a);
    a->id = id;
    const char *stage = sel->stage;
    switch (id) {
    case ACTION_PROMOTE:
        if (a->n_marked > 0) {
            start_batch(a, st, sel, now);
            if (a->n_targets == 0) {
                set_msg(msg, error, true, xstrdup("no marked stage has freight to promote"));
                return;
            }
            confirm(a, st, now, false);
        } else if (sel->kind == KARGO_FREIGHT && sel->name != NULL && stage != NULL) {
            add_target(a, stage, sel->name);
            confirm(a, st, now, false);
        } else if ((sel->kind == KARGO_FREIGHT || sel->kind == KARGO_WAREHOUSE) &&
                   sel->name != NULL) {
            /* no Stage selected: pick it (among those taking this Freight or Warehouse) */
            bool fr = sel->kind == KARGO_FREIGHT;
            if (fr)
                a->freight = xstrdup(sel->name);
            struct action_choice *c;
            store_read_lock(st);
            size_t n = action_plan_stage_choices(st, fr ? sel->name : NULL, fr ? NULL : sel->name,
                                                 now, &c);
            store_read_unlock(st);
            char *title = xasprintf("Promote %s to which stage?", sel->name);
            pick(a, title, c, n);
            free(title);
            a->step = 2;
        } else if (sel->kind == KARGO_STAGE && stage != NULL) {
            a->stage = xstrdup(stage);
            struct action_choice *c;
            store_read_lock(st);
            size_t n = action_plan_freight_choices(st, stage, now, &c);
            store_read_unlock(st);
            char *title = xasprintf("Promote to %s: which freight?", stage);
            pick(a, title, c, n);
            free(title);
        } else {
            set_msg(msg, error, true, xstrdup("promote: select a stage (or a stage's freight)"));
        }
        return;
    case ACTION_ROLLBACK: {
        if (stage == NULL) {
            set_msg(msg, error, true, xstrdup("roll back: select a stage"));
            return;
        }
        a->stage = xstrdup(stage);
        struct action_choice *c;
        store_read_lock(st);
        size_t n = action_plan_rollback_choices(st, stage, now, &c);
        store_read_unlock(st);
        char *title = xasprintf("Roll back %s to: (previous first)", stage);
        pick(a, title, c, n);
        free(title);
        return;
    }
    case ACTION_PROMOTE_DOWNSTREAM: {
        if (stage == NULL) {
            set_msg(msg, error, true, xstrdup("promote downstream: select a stage"));
            return;
        }
        a->stage = xstrdup(stage);
        /* what the confirmation shows is what is sent, even if the Stage moves meanwhile */
        store_read_lock(st);
        const struct kargo_stage *s = store_stage(st, stage);
        const struct kargo_freight_ref **cur = NULL;
        size_t n = s != NULL ? derive_current_freight(s, &cur) : 0;
        if (n > 0 && cur[0]->name != NULL)
            a->freight = xstrdup(cur[0]->name);
        free(cur);
        store_read_unlock(st);
        break;
    }
    case ACTION_APPROVE:
        if (sel->kind != KARGO_FREIGHT || sel->name == NULL || stage == NULL) {
            set_msg(msg, error, true, xstrdup("approve: select a stage, then one of its freight"));
            return;
        }
        a->stage = xstrdup(stage);
        a->freight = xstrdup(sel->name);
        break;
    case ACTION_ABORT_PROMOTION:
        if (sel->kind != KARGO_PROMOTION || sel->name == NULL) {
            set_msg(msg, error, true, xstrdup("abort: select a promotion"));
            return;
        }
        a->promotion = xstrdup(sel->name);
        break;
    case ACTION_REFRESH:
    case ACTION_REFRESH_WAREHOUSE:
        if (sel->kind == KARGO_WAREHOUSE && sel->name != NULL) {
            a->id = ACTION_REFRESH_WAREHOUSE;
            a->warehouse = xstrdup(sel->name);
            break;
        }
        if (stage == NULL) {
            set_msg(msg, error, true, xstrdup("refresh: select a stage or a warehouse"));
            return;
        }
        a->id = ACTION_REFRESH;
        a->stage = xstrdup(stage);
        break;
    default:
        if (stage == NULL) {
            set_msg(msg, error, true, xasprintf("%s: select a stage", d->name));
            return;
        }
        a->stage = xstrdup(stage);
        break;
    }
    confirm(a, st, now, false);
}

/* Has an access answer the open confirmation was built without come in? (The source's cache:
 * returns at once.) */
static bool awaited_answer_in(struct act *a)
{
    char reason[240];
    for (size_t i = 0; a->target_state != NULL && i < a->n_targets; i++)
        if (a->target_state[i] == TARGET_WAITING &&
            act_access(a, ACTION_APPROVE, a->targets[i], reason, sizeof reason) !=
                ACTION_ACCESS_UNKNOWN)
            return true;
    if (a->approve_waiting) {
        const char *on = a->n_targets > 0 ? a->targets[0] : a->stage;
        if (act_access(a, ACTION_APPROVE, on, reason, sizeof reason) != ACTION_ACCESS_UNKNOWN)
            return true;
    }
    return false;
}

bool act_update(struct act *a, time_t now)
{
    if (!a->open || a->step != 1 || !awaited_answer_in(a))
        return false;
    struct store *st = act_store(a);
    if (st == NULL)
        return false;
    confirm(a, st, now, true);
    return true;
}

/* A batch's confirmation answered: the targets it promotes (approving those that need it when
 * approve is true). Returns how many. */
static size_t batch_request(const struct act *a, bool approve, const char **stages,
                            const char **freights, bool *approvals)
{
    size_t n = 0;
    for (size_t i = 0; i < a->n_targets; i++) {
        enum act_target t = (enum act_target)a->target_state[i];
        if (t == TARGET_SKIP || t == TARGET_WAITING || (t == TARGET_APPROVE && !approve))
            continue;
        stages[n] = a->targets[i];
        freights[n] = a->target_freights[i];
        approvals[n] = t == TARGET_APPROVE;
        n++;
    }
    return n;
}

static void submit(struct act *a, bool approve_first, char **msg, bool *error)
{
    const char **stages = NULL, **freights = NULL;
    bool *approvals = NULL;
    size_t n_targets = a->n_targets;
    if (a->target_state != NULL) {
        stages = xcalloc(a->n_targets + 1, sizeof *stages);
        freights = xcalloc(a->n_targets + 1, sizeof *freights);
        approvals = xcalloc(a->n_targets + 1, sizeof *approvals);
        n_targets = batch_request(a, approve_first, stages, freights, approvals);
    }
    struct action_request req = {
        .id = a->id,
        .stage = a->stage,
        .freight = a->freight,
        .promotion = a->promotion,
        .warehouse = a->warehouse,
        .stages = (const char *const *)a->targets,
        .freights = (const char *const *)a->target_freights,
        .n_targets = a->n_targets,
        .approve_first = approve_first,
    };
    if (a->target_state != NULL) {
        req.stages = stages;
        req.freights = freights;
        req.n_targets = n_targets;
        req.approve = approvals;
        req.approve_first = false;
    }
    char *cause = NULL;
    if (a->src == NULL || a->src->act == NULL) {
        set_msg(msg, error, true, xstrdup("not connected to a cluster"));
    } else if (a->src->act(a->src->ctx, &req, &cause) == 0) {
        set_msg(msg, error, true, cause);
        cause = NULL;
    } else {
        set_msg(msg, error, false,
                xasprintf("%s: sent, waiting for the cluster", action_def(a->id)->name));
        if (a->id == ACTION_PROMOTE && a->n_marked > 0)
            act_clear_marks(a);
    }
    free(cause);
    free(stages);
    free(freights);
    free(approvals);
}

void act_key(struct act *a, int key, bool is_keycode, time_t now, char **msg, bool *error)
{
    enum dialog_result r = dialog_key(&a->dialog, key, is_keycode);
    switch (r) {
    case DIALOG_OPEN:
        return;
    case DIALOG_CANCEL:
        set_msg(msg, error, false, xstrdup("cancelled: nothing was sent"));
        act_close(a);
        return;
    case DIALOG_OK:
    case DIALOG_OK_APPROVE:
        break;
    }
    if (a->step == 2) {
        /* a Stage chosen: with the Freight known, confirm; else pick the Freight */
        const char *v = dialog_value(&a->dialog);
        struct store *st = act_store(a);
        if (v == NULL || st == NULL) {
            act_close(a);
            return;
        }
        a->stage = xstrdup(v);
        dialog_free(&a->dialog);
        a->open = false;
        char reason[240];
        if (act_access(a, a->id, a->stage, reason, sizeof reason) != ACTION_ACCESS_ALLOWED) {
            set_msg(msg, error, true,
                    xasprintf("%s %s: %s", action_def(a->id)->name, a->stage,
                              reason[0] ? reason
                                        : "checking with the cluster whether you may; "
                                          "try again in a moment"));
            act_close(a);
            return;
        }
        if (a->freight != NULL) {
            add_target(a, a->stage, a->freight);
            confirm(a, st, now, false);
            return;
        }
        struct action_choice *c;
        store_read_lock(st);
        size_t n = action_plan_freight_choices(st, a->stage, now, &c);
        store_read_unlock(st);
        char *title = xasprintf("Promote to %s: which freight?", a->stage);
        pick(a, title, c, n);
        free(title);
        return;
    }
    if (a->step == 0) {
        /* a choice made: confirm it */
        const char *v = dialog_value(&a->dialog);
        struct store *st = act_store(a);
        if (v == NULL || st == NULL) {
            act_close(a);
            return;
        }
        add_target(a, a->stage, v);
        dialog_free(&a->dialog);
        a->open = false;
        confirm(a, st, now, false);
        return;
    }
    if (a->target_state != NULL) {
        /* a batch: y with nothing available promotes nothing, so it is not taken for a yes */
        const char **st = xcalloc(a->n_targets + 1, sizeof *st);
        const char **fr = xcalloc(a->n_targets + 1, sizeof *fr);
        bool *ap = xcalloc(a->n_targets + 1, sizeof *ap);
        size_t n = batch_request(a, r == DIALOG_OK_APPROVE, st, fr, ap);
        free(st);
        free(fr);
        free(ap);
        if (n == 0) {
            set_msg(msg, error, true,
                    xstrdup("no target is available without approval: a (Ctrl-A when typing) "
                            "approves first, Esc cancels"));
            return;
        }
    }
    submit(a, r == DIALOG_OK_APPROVE, msg, error);
    act_close(a);
}

void act_draw(struct act *a, const struct paint *p)
{
    if (a->open)
        dialog_draw(&a->dialog, p);
}

bool act_marked(const struct act *a, const char *stage)
{
    for (size_t i = 0; i < a->n_marked; i++)
        if (strcmp(a->marked[i], stage) == 0)
            return true;
    return false;
}

bool act_toggle_mark(struct act *a, const char *stage)
{
    for (size_t i = 0; i < a->n_marked; i++)
        if (strcmp(a->marked[i], stage) == 0) {
            free(a->marked[i]);
            memmove(&a->marked[i], &a->marked[i + 1], (a->n_marked - i - 1) * sizeof *a->marked);
            a->n_marked--;
            return false;
        }
    a->marked = xrealloc(a->marked, (a->n_marked + 1) * sizeof *a->marked);
    a->marked[a->n_marked++] = xstrdup(stage);
    /* A batch's confirmation asks, per target, whether this user may promote and approve there;
     * asked now, the answers are in before p opens it, not "not said yet". */
    char reason[240];
    act_access(a, ACTION_PROMOTE, stage, reason, sizeof reason);
    act_access(a, ACTION_APPROVE, stage, reason, sizeof reason);
    return true;
}

void act_clear_marks(struct act *a)
{
    for (size_t i = 0; i < a->n_marked; i++)
        free(a->marked[i]);
    free(a->marked);
    a->marked = NULL;
    a->n_marked = 0;
}

void act_prefetch(struct act *a)
{
    char reason[240];
    for (int id = 0; id < ACTION_COUNT; id++)
        act_access(a, (enum action_id)id, NULL, reason, sizeof reason);
}

bool act_poll(struct act *a, char **msg, bool *error)
{
    if (a->src == NULL || a->src->act_result == NULL)
        return false;
    bool any = false;
    struct action_result *r;
    while ((r = a->src->act_result(a->src->ctx)) != NULL) {
        set_msg(msg, error, !r->ok, xstrdup(r->summary));
        action_result_free(r);
        any = true;
    }
    return any;
}
