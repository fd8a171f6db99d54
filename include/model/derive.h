/* Derived state: what a release engineer wants to know, computed from the store's objects by pure
 * functions (each takes `now` explicitly when time matters; none reads the clock). Callers hold
 * the store's read lock while they use the results, which point into the store. */
#ifndef KT_MODEL_DERIVE_H
#define KT_MODEL_DERIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "model/kargo.h"
#include "model/store.h"

enum stage_phase {
    PHASE_UNKNOWN,
    PHASE_READY,
    PHASE_FAILED,
    PHASE_RECONCILING,
    PHASE_VERIFYING,
    PHASE_PROMOTING
};

enum stage_health {
    HEALTH_NONE, /* no Freight yet, or a control-flow Stage */
    HEALTH_HEALTHY,
    HEALTH_PROGRESSING,
    HEALTH_UNKNOWN,
    HEALTH_UNHEALTHY,
    HEALTH_NOT_APPLICABLE
};

/* The phase the Kargo UI shows (KARGO-API.md §10.3), from the conditions; controller_alive false
 * (a dead controller heartbeat) makes every Stage Failed. Control-flow Stages go through the same
 * rules (they keep Ready/Reconciling). */
enum stage_phase derive_stage_phase(const struct kargo_stage *s, bool controller_alive);
const char *derive_phase_name(enum stage_phase p);
enum stage_health derive_stage_health(const struct kargo_stage *s);
const char *derive_health_name(enum stage_health h);

/* The Stage's current Freight, one per origin (freightHistory[0]): the origin of the last
 * promotion first, then the others by origin key. Returns the count; *out is a new array of
 * pointers into s (the caller frees the array), NULL when there is none. */
size_t derive_current_freight(const struct kargo_stage *s, const struct kargo_freight_ref ***out);

/* One earlier Freight of an origin in a Stage, for rollback. */
struct history_entry {
    const struct kargo_freight_ref *freight;
    size_t index;             /* position in freightHistory (1 = the one before the current) */
    const char *verification; /* phase of its newest verification, NULL if never verified */
    const char *promotion;    /* the Succeeded Promotion that brought it, NULL if unknown */
    time_t promoted;          /* that Promotion's finishedAt, 0 if unknown */
};

/* The Stage's earlier Freight for origin_key, newest first, skipping entries where that origin's
 * Freight did not change (another origin was promoted). *out is new (caller frees). */
size_t derive_stage_history(const struct store *st, const struct kargo_stage *s,
                            const char *origin_key, struct history_entry **out);

/* Where a Freight is: Stages whose current Freight includes it (as the UI computes "in use"),
 * and the Stage names of its verifiedIn and approvedFor maps. The arrays are new; names point
 * into the store. */
struct freight_usage {
    const char **in;
    size_t n_in;
    const char **verified;
    size_t n_verified;
    const char **approved;
    size_t n_approved;
};
void derive_freight_usage(const struct store *st, const struct kargo_freight *f,
                          struct freight_usage *out);
void derive_freight_usage_free(struct freight_usage *u);
/* True when no Stage currently uses the Freight. */
bool derive_freight_unused(const struct store *st, const struct kargo_freight *f);

/* A page of the Freight timeline: newest first by discovery time (ties: greater name), merged over
 * the given origin keys (every origin when n_origins is 0), skipping `offset` entries and filling
 * at most `limit` pointers into the caller's out[]; returns how many. With hide_unused, Freight no
 * Stage currently uses is left out (the UI's "hide unused freight"). Costs O((offset + limit) x
 * origins), not a sort of all Freight. */
size_t derive_freight_page(const struct store *st, const char *const *origins, size_t n_origins,
                           bool hide_unused, size_t offset, size_t limit,
                           const struct kargo_freight **out);

/* Whether Freight f may be promoted to Stage s at time now (§4.1: approval, direct, verified and
 * soaked upstream with OneOf/All). When not, *reason (if reason is not NULL) is set to a phrase
 * for a person, e.g. "not verified in staging" or "needs 1h12m more soak in uat". */
bool derive_freight_available(const struct kargo_stage *s, const struct kargo_freight *f,
                              time_t now, char **reason);

/* The auto-promotion state of one requested origin of a Stage. */
struct auto_promotion {
    const char *origin_key;
    const struct kargo_hold *hold;         /* effective hold on that origin, or NULL */
    const struct kargo_freight *candidate; /* what auto-promotion would pick, or NULL */
    bool candidate_current;                /* the candidate is already deployed */
};
/* One entry per distinct requested origin, in request order; *out is new (caller frees). Whether
 * auto-promotion is on at all is s->auto_promotion_enabled. */
size_t derive_auto_promotion(const struct store *st, const struct kargo_stage *s, time_t now,
                             struct auto_promotion **out);
/* The auto-promotion candidate for one origin (§4.1): the newest available Freight by discovery
 * time (ties: greater name); with MatchUpstream the one Freight in the upstream Stage, none if
 * several. NULL when there is none. */
const struct kargo_freight *derive_auto_candidate(const struct store *st,
                                                  const struct kargo_stage *s,
                                                  const char *origin_key, time_t now);

/* The i-th newest Promotion of a Stage (0 = newest), or NULL past the end. */
const struct kargo_promotion *derive_promotion_newest(const struct store *st, const char *stage,
                                                      size_t i);
/* The Promotion the Stage is working on: the Running one, else the one named by
 * currentPromotion, else the oldest non-terminal one (next in the queue); NULL when idle. */
const struct kargo_promotion *derive_active_promotion(const struct store *st,
                                                      const struct kargo_stage *s);

/* The step a Promotion is at, or the step that failed (for a Failed/Errored/Aborted Promotion):
 * what the stage node shows while promoting and after a failure (kargo#4753). */
struct promotion_step {
    size_t index; /* 0-based into the Promotion's steps */
    size_t total;
    const char *alias;
    const char *uses;   /* NULL for a step not inflated yet */
    const char *status; /* from stepExecutionMetadata; NULL before the step started */
    const char *message;
};
/* False when the Promotion has no step to show (no steps, not started). */
bool derive_promotion_step(const struct kargo_promotion *p, struct promotion_step *out);

/* The verification of the Stage's current Freight (freightHistory[0], newest), or NULL: its id is
 * what reverify and abort-verification name. */
const struct kargo_verification *derive_current_verification(const struct kargo_stage *s);

/* True while a refresh requested through the kargo.akuity.io/refresh annotation has not been
 * handled (the annotation differs from status.lastHandledRefresh). */
bool derive_refresh_pending(const char *refresh, const char *last_handled);

/* Stages that take origin_key Freight from stage (sources.stages contains it), sorted by name.
 * *out is new (caller frees); control-flow Stages are included (check ->control_flow). */
size_t derive_downstream(const struct store *st, const char *stage, const char *origin_key,
                         const struct kargo_stage ***out);

enum artifact_type { ARTIFACT_IMAGE, ARTIFACT_CHART, ARTIFACT_COMMIT, ARTIFACT_GENERIC };

/* One artifact that differs between two Freight: subject is the repository (chart: repo/name,
 * generic: type:subscription); from/to are the versions (image tag, or tag@digest when only the
 * digest moved; chart version; short commit id), NULL when the artifact was added or removed. */
struct artifact_change {
    enum artifact_type type;
    char *subject;
    char *from;
    char *to;
};

/* What promoting `to` over `from` changes (both of one origin). Returns 0 with *out (new, free
 * with derive_artifact_diff_free) and *n, or -1 with *cause when the origins differ. */
int derive_artifact_diff(const struct kargo_freight_ref *from, const struct kargo_freight_ref *to,
                         struct artifact_change **out, size_t *n, char **cause);
void derive_artifact_diff_free(struct artifact_change *c, size_t n);

#endif
