/* Whether an action can apply to what is selected, from the model: the footer offers only these
 * keys, and a key pressed where it cannot apply says why instead of opening a dialog. The checks
 * are those the action itself makes against the cluster (a finished Promotion cannot be aborted,
 * reverify needs a finished verification), so the model's answer only spares a round trip; the
 * cluster keeps the last word. */
#include "applies.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/derive.h"

static bool nope(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool nope(char *why, size_t len, const char *fmt, ...)
{
    if (why != NULL && len > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, len, fmt, ap);
        va_end(ap);
    }
    return false;
}

/* The selected Stage, or NULL with why set. */
static const struct kargo_stage *stage_of(const struct store *st, const struct action_subject *s,
                                          char *why, size_t len)
{
    if (s->stage == NULL) {
        nope(why, len, "select a stage");
        return NULL;
    }
    const struct kargo_stage *stage = store_stage(st, s->stage);
    if (stage == NULL)
        nope(why, len, "stage %s is gone", s->stage);
    return stage;
}

bool applies_promote(const struct store *st, const struct action_subject *s, time_t now, char *why,
                     size_t len)
{
    (void)now;
    if (s->n_marked > 0)
        return true;
    if ((s->kind == KARGO_FREIGHT || s->kind == KARGO_WAREHOUSE) && s->name != NULL)
        return true;
    if (s->kind != KARGO_STAGE)
        return nope(why, len, "select a stage, a freight or a warehouse");
    const struct kargo_stage *stage = stage_of(st, s, why, len);
    if (stage == NULL)
        return false;
    if (stage->n_requests == 0)
        return nope(why, len, "%s requests no freight", stage->name);
    if (stage->control_flow)
        return nope(why, len, "%s is a control-flow stage (no promotion steps)", stage->name);
    return true;
}

bool applies_downstream(const struct store *st, const struct action_subject *s, time_t now,
                        char *why, size_t len)
{
    (void)now;
    const struct kargo_stage *stage = stage_of(st, s, why, len);
    if (stage == NULL)
        return false;
    const struct kargo_freight_ref **cur = NULL;
    size_t n = derive_current_freight(stage, &cur);
    if (n == 0)
        return nope(why, len, "%s has no freight yet", stage->name);
    const struct kargo_stage **down = NULL;
    size_t nd = derive_downstream(st, stage->name, cur[0]->origin.key, &down);
    size_t targets = 0;
    for (size_t i = 0; i < nd; i++)
        targets += !down[i]->control_flow; /* as the action: control-flow Stages are skipped */
    free(down);
    bool ok = targets > 0 || nope(why, len, "no stage downstream of %s takes its %s freight",
                                  stage->name, cur[0]->origin.key);
    free(cur);
    return ok;
}

bool applies_rollback(const struct store *st, const struct action_subject *s, time_t now, char *why,
                      size_t len)
{
    (void)now;
    const struct kargo_stage *stage = stage_of(st, s, why, len);
    if (stage == NULL)
        return false;
    if (stage->n_requests == 0)
        return nope(why, len, "%s requests no freight", stage->name);
    struct history_entry *h = NULL;
    size_t n = derive_stage_history(st, stage, stage->requests[0].origin.key, &h);
    free(h);
    return n > 0 || nope(why, len, "%s has no earlier freight to roll back to", stage->name);
}

bool applies_resume(const struct store *st, const struct action_subject *s, time_t now, char *why,
                    size_t len)
{
    const struct kargo_stage *stage = stage_of(st, s, why, len);
    if (stage == NULL)
        return false;
    struct auto_promotion *ap = NULL;
    size_t n = derive_auto_promotion(st, stage, now, &ap);
    bool held = false;
    for (size_t i = 0; i < n; i++)
        held = held || ap[i].hold != NULL;
    free(ap);
    return held || nope(why, len, "%s has no auto-promotion hold to resume", stage->name);
}

bool applies_approve(const struct store *st, const struct action_subject *s, time_t now, char *why,
                     size_t len)
{
    (void)now;
    if (s->kind != KARGO_FREIGHT || s->name == NULL)
        return nope(why, len, "select a stage, then one of its freight");
    const struct kargo_stage *stage = stage_of(st, s, why, len);
    if (stage == NULL)
        return false;
    const struct kargo_freight *f = store_freight(st, s->name);
    if (f == NULL)
        return nope(why, len, "freight %s is gone", s->name);
    const char *alias = f->alias != NULL && f->alias[0] ? f->alias : f->ref.name;
    bool requested = false;
    for (size_t i = 0; i < stage->n_requests; i++)
        requested = requested || strcmp(stage->requests[i].origin.key, f->ref.origin.key) == 0;
    if (!requested)
        return nope(why, len, "%s does not request %s freight", stage->name, f->ref.origin.key);
    for (size_t i = 0; i < f->n_approved_for; i++)
        if (strcmp(f->approved_for[i].stage, stage->name) == 0)
            return nope(why, len, "%s is already approved for %s", alias, stage->name);
    return true;
}

bool applies_abort(const struct store *st, const struct action_subject *s, time_t now, char *why,
                   size_t len)
{
    (void)now;
    if (s->kind != KARGO_PROMOTION || s->name == NULL)
        return nope(why, len, "select a promotion");
    const struct kargo_promotion *p = store_promotion(st, s->name);
    if (p == NULL)
        return nope(why, len, "promotion %s is gone", s->name);
    if (kargo_promotion_terminal(p->phase))
        return nope(why, len,
                    "the promotion has finished (%s): only a pending or running one can be "
                    "aborted",
                    p->phase);
    return true;
}

bool applies_refresh(const struct store *st, const struct action_subject *s, time_t now, char *why,
                     size_t len)
{
    (void)now;
    return stage_of(st, s, why, len) != NULL;
}

bool applies_refresh_warehouse(const struct store *st, const struct action_subject *s, time_t now,
                               char *why, size_t len)
{
    (void)now;
    if (s->kind != KARGO_WAREHOUSE || s->name == NULL)
        return nope(why, len, "select a warehouse");
    return store_warehouse(st, s->name) != NULL || nope(why, len, "warehouse %s is gone", s->name);
}

static bool verification_done(const char *phase)
{
    static const char *const done[] = {"Successful", "Failed", "Error", "Aborted", "Inconclusive"};
    for (size_t i = 0; phase != NULL && i < sizeof done / sizeof done[0]; i++)
        if (strcmp(phase, done[i]) == 0)
            return true;
    return false;
}

bool applies_reverify(const struct store *st, const struct action_subject *s, time_t now, char *why,
                      size_t len)
{
    (void)now;
    const struct kargo_stage *stage = stage_of(st, s, why, len);
    if (stage == NULL)
        return false;
    const struct kargo_verification *v = derive_current_verification(stage);
    if (v == NULL || v->id == NULL)
        return nope(why, len, "%s has no verification of its current freight", stage->name);
    if (!verification_done(v->phase))
        return nope(why, len, "%s is still verifying (V aborts it)", stage->name);
    return true;
}

bool applies_abort_verification(const struct store *st, const struct action_subject *s, time_t now,
                                char *why, size_t len)
{
    (void)now;
    const struct kargo_stage *stage = stage_of(st, s, why, len);
    if (stage == NULL)
        return false;
    const struct kargo_verification *v = derive_current_verification(stage);
    if (v == NULL || v->id == NULL)
        return nope(why, len, "%s has no verification of its current freight", stage->name);
    if (verification_done(v->phase))
        return nope(why, len, "no verification of %s is running (the last one is %s)", stage->name,
                    v->phase);
    return true;
}
