/* Confirmation contents and picker choices from the store. */
#include "action/plan.h"

#include <fnmatch.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/derive.h"
#include "util/strbuf.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

#define MAX_PICK 50

static void add_line(struct action_plan *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void add_line(struct action_plan *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *line = xvasprintf(fmt, ap);
    va_end(ap);
    p->lines = xrealloc(p->lines, (p->n_lines + 1) * sizeof *p->lines);
    p->lines[p->n_lines++] = line;
}

void action_plan_free(struct action_plan *p)
{
    free(p->title);
    for (size_t i = 0; i < p->n_lines; i++)
        free(p->lines[i]);
    free(p->lines);
    free(p->typed);
    free(p->unavailable);
    free(p->unavailable_line);
    memset(p, 0, sizeof *p);
}

void action_choices_free(struct action_choice *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(c[i].value);
        free(c[i].label);
    }
    free(c);
}

/* ---- policy: manual stages -------------------------------------------------------------- */

/* Does a policy's stage name (exact, "glob:", "regex:"/"regexp:") select name? */
static bool name_matches(const char *pattern, const char *name)
{
    if (strncmp(pattern, "glob:", 5) == 0)
        return fnmatch(pattern + 5, name, 0) == 0;
    const char *re = strncmp(pattern, "regex:", 6) == 0    ? pattern + 6
                     : strncmp(pattern, "regexp:", 7) == 0 ? pattern + 7
                                                           : NULL;
    if (re == NULL)
        return strcmp(pattern, name) == 0;
    regex_t rx;
    if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) != 0)
        return false;
    bool hit = regexec(&rx, name, 0, NULL, 0) == 0;
    regfree(&rx);
    return hit;
}

bool action_plan_stage_manual(const struct store *st, const char *stage)
{
    const struct kargo_project_config *pc = store_project_config(st);
    if (pc == NULL)
        return false;
    for (size_t i = 0; i < pc->n_policies; i++) {
        const struct kargo_policy *pol = &pc->policies[i];
        /* a labels-only selector cannot be judged from here: the next policy decides */
        if (pol->stage == NULL || pol->stage[0] == '\0')
            continue;
        if (name_matches(pol->stage, stage))
            return !pol->auto_promotion;
    }
    return false;
}

static bool protects(const struct store *st, const struct action_policy *pol, const char *stage)
{
    return pol != NULL && action_policy_protects(pol, stage, action_plan_stage_manual(st, stage));
}

/* ---- text pieces ------------------------------------------------------------------------ */

static const char *alias_of(const struct store *st, const char *freight)
{
    const struct kargo_freight *f = store_freight(st, freight);
    return f != NULL && f->alias != NULL && f->alias[0] ? f->alias : freight;
}

static const char *artifact_kind(enum artifact_type t)
{
    switch (t) {
    case ARTIFACT_IMAGE:
        return "image";
    case ARTIFACT_CHART:
        return "chart";
    case ARTIFACT_COMMIT:
        return "commit";
    case ARTIFACT_GENERIC:
        break;
    }
    return "artifact";
}

/* The Stage's current Freight of origin key, or NULL. */
static const struct kargo_freight_ref *current_of(const struct kargo_stage *s, const char *key)
{
    if (s == NULL || s->n_history == 0)
        return NULL;
    const struct kargo_freight_collection *c = &s->history[0];
    for (size_t i = 0; i < c->n_items; i++)
        if (c->items[i].origin.key != NULL && strcmp(c->items[i].origin.key, key) == 0)
            return &c->items[i];
    return NULL;
}

/* "  image ghcr.io/x: 1.2 -> 1.3" lines for what promoting f to s changes. */
static void add_diff(struct action_plan *p, const struct kargo_stage *s,
                     const struct kargo_freight *f, const struct store *st)
{
    const struct kargo_freight_ref *cur = current_of(s, f->ref.origin.key);
    if (cur == NULL || cur->name == NULL) {
        add_line(p, "    first %s Freight in this stage", f->ref.origin.key);
        return;
    }
    if (strcmp(cur->name, f->ref.name) == 0) {
        add_line(p, "    already runs %s: promotes it again", alias_of(st, cur->name));
        return;
    }
    struct artifact_change *ch = NULL;
    size_t n = 0;
    char *cause = NULL;
    if (derive_artifact_diff(cur, &f->ref, &ch, &n, &cause) != 0) {
        add_line(p, "    %s", cause);
        free(cause);
        return;
    }
    add_line(p, "    now runs %s", alias_of(st, cur->name));
    for (size_t i = 0; i < n; i++)
        add_line(p, "    %s %s: %s -> %s", artifact_kind(ch[i].type), ch[i].subject,
                 ch[i].from ? ch[i].from : "(none)", ch[i].to ? ch[i].to : "(removed)");
    if (n == 0)
        add_line(p, "    same artifacts");
    derive_artifact_diff_free(ch, n);
}

/* "held", the origin key of the Stage's first request. */
static const char *first_origin(const struct kargo_stage *s)
{
    return s != NULL && s->n_requests > 0 ? s->requests[0].origin.key : NULL;
}

/* The word(s) to type for a write to n targets of which the protected ones are in prot (np):
 * none; a single target's name; for a batch, every protected name on one line (any order), or
 * the batch's size when the policy says so (confirm.typed-batch: count). A line of the plan says
 * what to type, so a long list is readable above the prompt. */
static void set_typed(struct action_plan *p, const struct action_policy *pol,
                      const char *const *prot, size_t np, size_t n)
{
    if (np == 0)
        return;
    if (n == 1 || np == 1) {
        p->typed = xstrdup(prot[0]);
        if (n > 1)
            add_line(p, "%s is protected: type its name to confirm", prot[0]);
        return;
    }
    if (pol != NULL && pol->typed_batch_count) {
        p->typed = xasprintf("%zu", n);
        add_line(p, "%zu of these stages are protected: type %zu (the number of stages)", np, n);
        return;
    }
    struct strbuf b, line;
    strbuf_init(&b);
    strbuf_init(&line);
    add_line(p, "%zu protected stages: type all of their names, in any order:", np);
    for (size_t i = 0; i < np; i++) {
        strbuf_appendf(&b, "%s%s", i ? " " : "", prot[i]);
        /* the names wrapped, so a confirmation of any width shows them whole */
        if (line.len > 0 && line.len + 1 + strlen(prot[i]) > 76) {
            add_line(p, "    %s", line.buf);
            strbuf_reset(&line);
        }
        strbuf_appendf(&line, "%s%s", line.len ? " " : "", prot[i]);
    }
    add_line(p, "    %s", line.buf);
    strbuf_free(&line);
    p->typed = strbuf_detach(&b);
}

/* ---- plans ------------------------------------------------------------------------------ */

void action_plan_promote(struct action_plan *p, const struct store *st,
                         const struct action_policy *pol, const char *const *stages,
                         const char *const *freights, size_t n, bool rollback, time_t now)
{
    memset(p, 0, sizeof *p);
    if (n == 1)
        p->title = xasprintf("%s %s", rollback ? "Roll back" : "Promote to", stages[0]);
    else
        p->title = xasprintf("Promote to %zu stages", n);
    size_t n_protected = 0;
    const char **prot = xcalloc(n + 1, sizeof *prot);
    p->n_targets = n;
    p->unavailable = xcalloc(n + 1, sizeof *p->unavailable);
    p->unavailable_line = xcalloc(n + 1, sizeof *p->unavailable_line);
    for (size_t i = 0; i < n; i++) {
        const struct kargo_stage *s = store_stage(st, stages[i]);
        const struct kargo_freight *f = store_freight(st, freights[i]);
        if (s == NULL || f == NULL) {
            add_line(p, "%s: %s is not known here", stages[i],
                     s == NULL ? "the stage" : "the freight");
            p->blocked = true;
            continue;
        }
        add_line(p, "%s <- %s (%s)", stages[i], alias_of(st, f->ref.name), f->ref.origin.key);
        add_diff(p, s, f, st);
        char *why = NULL;
        if (!derive_freight_available(s, f, now, &why)) {
            p->unavailable[i] = true;
            p->unavailable_line[i] = p->n_lines;
            add_line(p, "    not available: %s", why != NULL ? why : "not approved");
            p->offer_approve = true;
        }
        free(why);
        if (s->auto_promotion_enabled) {
            const struct kargo_freight *cand = derive_auto_candidate(st, s, f->ref.origin.key, now);
            if (cand == NULL || strcmp(cand->ref.name, f->ref.name) != 0)
                add_line(p, "    auto-promotion of %s will be held until resumed (u)",
                         f->ref.origin.key);
        } else if (rollback) {
            add_line(p, "    auto-promotion is off here: nothing to hold");
        }
        if (protects(st, pol, stages[i]))
            prot[n_protected++] = stages[i];
    }
    set_typed(p, pol, prot, n_protected, n);
    free(prot);
}

void action_plan_downstream(struct action_plan *p, const struct store *st,
                            const struct action_policy *pol, const char *stage, time_t now)
{
    memset(p, 0, sizeof *p);
    p->title = xasprintf("Promote downstream of %s", stage);
    const struct kargo_stage *s = store_stage(st, stage);
    /* the Freight of the origin promoted last (what the dashboard's key sends) */
    const struct kargo_freight_ref **all = NULL;
    size_t n_cur = s != NULL ? derive_current_freight(s, &all) : 0;
    const struct kargo_freight_ref *cur = n_cur > 0 ? all[0] : NULL;
    free(all);
    if (cur == NULL || cur->name == NULL || cur->origin.key == NULL) {
        add_line(p, "%s has no current Freight to promote", stage);
        p->blocked = true;
        return;
    }
    const char *key = cur->origin.key;
    const struct kargo_freight *f = store_freight(st, cur->name);
    const struct kargo_stage **down = NULL;
    size_t n = derive_downstream(st, stage, key, &down);
    add_line(p, "%s (%s) to every stage downstream:", alias_of(st, cur->name), key);
    size_t targets = 0;
    const char **prot = xcalloc(n + 1, sizeof *prot);
    size_t n_protected = 0;
    for (size_t i = 0; i < n; i++) {
        if (down[i]->control_flow)
            continue;
        targets++;
        add_line(p, "%s", down[i]->name);
        if (f != NULL) {
            add_diff(p, down[i], f, st);
            char *why = NULL;
            if (!derive_freight_available(down[i], f, now, &why))
                add_line(p, "    not available: %s", why != NULL ? why : "not approved");
            free(why);
        }
        if (protects(st, pol, down[i]->name))
            prot[n_protected++] = down[i]->name;
    }
    if (targets == 0) {
        add_line(p, "no stage downstream of %s takes %s Freight", stage, key);
        p->blocked = true;
    } else {
        set_typed(p, pol, prot, n_protected, targets);
    }
    free(prot);
    free(down);
}

void action_plan_resume(struct action_plan *p, const struct store *st,
                        const struct action_policy *pol, const char *stage, time_t now,
                        char **warehouse)
{
    memset(p, 0, sizeof *p);
    p->title = xasprintf("Resume auto-promotion of %s", stage);
    const struct kargo_stage *s = store_stage(st, stage);
    struct auto_promotion *ap = NULL;
    size_t n = s != NULL ? derive_auto_promotion(st, s, now, &ap) : 0;
    const struct auto_promotion *pick = NULL;
    for (size_t i = 0; i < n && pick == NULL; i++)
        if (ap[i].hold != NULL)
            pick = &ap[i];
    if (pick == NULL && n > 0)
        pick = &ap[0];
    if (s == NULL || pick == NULL) {
        add_line(p, "%s requests no Freight", stage);
        p->blocked = true;
    } else if (strncmp(pick->origin_key, "Warehouse/", 10) != 0) {
        add_line(p, "origin %s is not a Warehouse", pick->origin_key);
        p->blocked = true;
    } else {
        if (!s->auto_promotion_enabled)
            add_line(p, "auto-promotion is off for %s: this promotes the candidate once", stage);
        if (pick->hold != NULL)
            add_line(p, "clears the hold on %s (set by %s)", pick->origin_key,
                     pick->hold->actor ? pick->hold->actor : "a rollback");
        if (pick->candidate != NULL) {
            add_line(p, "%s <- %s, what auto-promotion picks", stage,
                     alias_of(st, pick->candidate->ref.name));
            add_diff(p, s, pick->candidate, st);
        } else {
            add_line(p, "no auto-promotion candidate for %s: the API will say so",
                     pick->origin_key);
        }
        *warehouse = xstrdup(pick->origin_key + 10);
        if (protects(st, pol, stage))
            p->typed = xstrdup(stage);
    }
    free(ap);
}

void action_plan_simple(struct action_plan *p, const struct store *st,
                        const struct action_policy *pol, enum action_id id, const char *stage,
                        const char *object, time_t now)
{
    memset(p, 0, sizeof *p);
    const struct kargo_stage *s = stage != NULL ? store_stage(st, stage) : NULL;
    switch (id) {
    case ACTION_APPROVE: {
        p->title = xasprintf("Approve for %s", stage != NULL ? stage : "a stage");
        const struct kargo_freight *f = store_freight(st, object);
        if (f == NULL || s == NULL) {
            add_line(p, "select a freight and a stage first");
            p->blocked = true;
            break;
        }
        add_line(p, "approve %s (%s) for %s", alias_of(st, f->ref.name), f->ref.origin.key, stage);
        bool requested = false;
        for (size_t i = 0; i < s->n_requests; i++)
            requested = requested || strcmp(s->requests[i].origin.key, f->ref.origin.key) == 0;
        if (!requested) {
            add_line(p, "Stage \"%s\" does not request Freight from origin \"%s\"", stage,
                     f->ref.origin.key);
            p->blocked = true;
        } else if (kargo_stage_mark(f->approved_for, f->n_approved_for, stage) != NULL) {
            add_line(p, "already approved for %s", stage);
        } else {
            add_line(p, "it becomes available to %s; nothing is promoted", stage);
        }
        break;
    }
    case ACTION_ABORT_PROMOTION: {
        p->title = xasprintf("Abort promotion");
        const struct kargo_promotion *pr = store_promotion(st, object);
        if (pr == NULL) {
            add_line(p, "select a promotion first");
            p->blocked = true;
            break;
        }
        add_line(p, "%s", pr->name);
        add_line(p, "stage %s, freight %s, phase %s", pr->stage,
                 pr->freight ? alias_of(st, pr->freight) : "(by origin)",
                 pr->phase && pr->phase[0] ? pr->phase : "Pending");
        if (kargo_promotion_terminal(pr->phase)) {
            add_line(p, "it has finished: nothing to abort");
            p->blocked = true;
        } else {
            add_line(p, "the controller stops it at the current step");
        }
        break;
    }
    case ACTION_REFRESH:
    case ACTION_REFRESH_WAREHOUSE:
        p->title = xasprintf("Refresh %s", object);
        add_line(p, "sets kargo.akuity.io/refresh on %s %s",
                 id == ACTION_REFRESH ? "stage" : "warehouse", object);
        add_line(p, id == ACTION_REFRESH ? "the controller reconciles it at once"
                                         : "the warehouse discovers new artifacts at once");
        break;
    case ACTION_REVERIFY:
    case ACTION_ABORT_VERIFICATION: {
        bool abort = id == ACTION_ABORT_VERIFICATION;
        p->title = xasprintf("%s of %s", abort ? "Abort verification" : "Reverify", stage);
        const struct kargo_verification *v = s != NULL ? derive_current_verification(s) : NULL;
        if (v == NULL || v->id == NULL) {
            add_line(p, "%s has no verification of its current freight", stage);
            p->blocked = true;
            break;
        }
        bool running = v->phase != NULL &&
                       (strcmp(v->phase, "Pending") == 0 || strcmp(v->phase, "Running") == 0);
        add_line(p, "verification %s: %s", v->id, v->phase ? v->phase : "?");
        if (abort && !running) {
            add_line(p, "nothing is running");
            p->blocked = true;
        } else if (!abort && running) {
            add_line(p, "still running: abort it first (V) or wait");
            p->blocked = true;
        } else {
            add_line(p, abort ? "the running verification stops as Aborted"
                              : "the current freight is verified again");
        }
        break;
    }
    default:
        p->title = xstrdup("?");
        p->blocked = true;
        break;
    }
    (void)pol;
    (void)now;
}

/* ---- choices ---------------------------------------------------------------------------- */

size_t action_plan_freight_choices(const struct store *st, const char *stage, time_t now,
                                   struct action_choice **out)
{
    *out = NULL;
    const struct kargo_stage *s = store_stage(st, stage);
    if (s == NULL || s->n_requests == 0)
        return 0;
    const char **origins = xcalloc(s->n_requests, sizeof *origins);
    for (size_t i = 0; i < s->n_requests; i++)
        origins[i] = s->requests[i].origin.key;
    const struct kargo_freight *page[MAX_PICK];
    size_t n = derive_freight_page(st, origins, s->n_requests, false, 0, MAX_PICK, page);
    free(origins);
    if (n == 0)
        return 0;
    *out = xcalloc(n, sizeof **out);
    for (size_t i = 0; i < n; i++) {
        const struct kargo_freight *f = page[i];
        char *why = NULL;
        bool ok = derive_freight_available(s, f, now, &why);
        const struct kargo_freight_ref *cur = current_of(s, f->ref.origin.key);
        bool current = cur != NULL && cur->name != NULL && strcmp(cur->name, f->ref.name) == 0;
        char ago[32];
        timefmt_ago(f->discovered, now, ago, sizeof ago);
        (*out)[i].value = xstrdup(f->ref.name);
        (*out)[i].label = xasprintf("%s %-24s %-10s %s%s", ok ? "+" : "-",
                                    alias_of(st, f->ref.name), ago, current ? "(current) " : "",
                                    ok ? "available" : (why ? why : "not available"));
        (*out)[i].available = ok;
        free(why);
    }
    return n;
}

size_t action_plan_rollback_choices(const struct store *st, const char *stage, time_t now,
                                    struct action_choice **out)
{
    *out = NULL;
    const struct kargo_stage *s = store_stage(st, stage);
    const char *key = first_origin(s);
    if (key == NULL)
        return 0;
    struct history_entry *h = NULL;
    size_t n = derive_stage_history(st, s, key, &h);
    if (n == 0)
        return 0;
    *out = xcalloc(n, sizeof **out);
    for (size_t i = 0; i < n; i++) {
        const struct kargo_freight *f = store_freight(st, h[i].freight->name);
        char when[32] = "?";
        if (h[i].promoted != 0)
            timefmt_ago(h[i].promoted, now, when, sizeof when);
        (*out)[i].value = xstrdup(h[i].freight->name);
        (*out)[i].available = f != NULL && derive_freight_available(s, f, now, NULL);
        (*out)[i].label = xasprintf("%-24s promoted %-10s %s", alias_of(st, h[i].freight->name),
                                    when, h[i].verification ? h[i].verification : "never verified");
    }
    free(h);
    return n;
}

size_t action_plan_stage_choices(const struct store *st, const char *freight, const char *warehouse,
                                 time_t now, struct action_choice **out)
{
    *out = NULL;
    const struct kargo_freight *f = freight != NULL ? store_freight(st, freight) : NULL;
    char *wkey = warehouse != NULL ? xasprintf("Warehouse/%s", warehouse) : NULL;
    const char *key = f != NULL ? f->ref.origin.key : wkey;
    const struct kargo_stage *const *stages;
    size_t ns = store_stages(st, &stages), n = 0;
    for (size_t i = 0; i < ns; i++) {
        const struct kargo_stage *s = stages[i];
        if (s->control_flow)
            continue;
        bool requested = key == NULL;
        for (size_t r = 0; r < s->n_requests && !requested; r++)
            requested = strcmp(s->requests[r].origin.key, key) == 0;
        if (!requested)
            continue;
        *out = xrealloc(*out, (n + 1) * sizeof **out);
        struct action_choice *c = &(*out)[n++];
        char *why = NULL;
        c->available = f == NULL || derive_freight_available(s, f, now, &why);
        c->value = xstrdup(s->name);
        if (f != NULL)
            c->label = xasprintf("%s %-28s %s", c->available ? "+" : "-", s->name,
                                 c->available ? "available" : (why ? why : "not available"));
        else
            c->label = xasprintf("  %s", s->name);
        free(why);
    }
    free(wkey);
    return n;
}
