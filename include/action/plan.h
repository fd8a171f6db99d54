/* What an action will change, told before it is sent: the confirmation's lines (targets, the
 * artifact difference against what each Stage runs now, availability with the reason, the hold a
 * rollback sets), whether the user must type a name, and the choices a picker offers (a Stage's
 * available Freight, its rollback history). Computed from the model's store, which the caller
 * holds read-locked; no network, no curses. */
#ifndef KT_ACTION_PLAN_H
#define KT_ACTION_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "action/action.h"
#include "model/store.h"

struct action_plan {
    char *title;  /* "Promote to staging" */
    char **lines; /* what changes, one line each */
    size_t n_lines;
    bool blocked;       /* nothing can be done (the lines say why): only cancel */
    bool offer_approve; /* some Freight is not available; approving it first would make it so */
    char *typed;        /* the word the user must type to confirm (a Stage name), or NULL */
    /* a promotion's targets: whether its Freight is not available to each, and the index of
     * the line that says why (whoever knows who may approve completes it) */
    bool *unavailable;
    size_t *unavailable_line;
    size_t n_targets;
};
void action_plan_free(struct action_plan *p);

/* True when the ProjectConfig's first policy matching the Stage by name (exact, glob:, regex:)
 * turns auto-promotion off: its promotions are manual, deliberate acts. */
bool action_plan_stage_manual(const struct store *st, const char *stage);

/* Promotions of freights[i] to stages[i] (a batch when n > 1); rollback true adds what the
 * auto-promotion hold means. */
void action_plan_promote(struct action_plan *p, const struct store *st,
                         const struct action_policy *pol, const char *const *stages,
                         const char *const *freights, size_t n, bool rollback, time_t now);
/* The Stage's current Freight (first origin) to every downstream Stage. */
void action_plan_downstream(struct action_plan *p, const struct store *st,
                            const struct action_policy *pol, const char *stage, time_t now);
/* Resuming auto-promotion of the Stage's first held (else first) origin; *warehouse gets the
 * origin's Warehouse (allocated) unless the plan is blocked. */
void action_plan_resume(struct action_plan *p, const struct store *st,
                        const struct action_policy *pol, const char *stage, time_t now,
                        char **warehouse);
/* The single-object actions: approve (freight for stage), abort (promotion), refresh (stage or
 * warehouse), reverify and abort-verification (stage). */
void action_plan_simple(struct action_plan *p, const struct store *st,
                        const struct action_policy *pol, enum action_id id, const char *stage,
                        const char *object, time_t now);

/* One choice of a picker: value is what the action takes (a Freight name); label is for a
 * person. */
struct action_choice {
    char *value;
    char *label;
    bool available;
};
void action_choices_free(struct action_choice *c, size_t n);
/* The Freight a Stage requests, newest first, available ones marked (every origin). */
size_t action_plan_freight_choices(const struct store *st, const char *stage, time_t now,
                                   struct action_choice **out);
/* The Stages a promotion could target, by name: those requesting the Freight's origin (freight
 * not NULL; marked available or not, with the reason), else those requesting Freight from the
 * Warehouse (warehouse not NULL), else every Stage with promotion steps. */
size_t action_plan_stage_choices(const struct store *st, const char *freight, const char *warehouse,
                                 time_t now, struct action_choice **out);
/* The Stage's earlier Freight (its first origin), previous first: when it was there and whether
 * it was verified. */
size_t action_plan_rollback_choices(const struct store *st, const char *stage, time_t now,
                                    struct action_choice **out);

#endif
