/* What a user can do to the cluster (promote, promote downstream, roll back, resume
 * auto-promotion, approve, abort a promotion, refresh, reverify, abort a verification): the
 * table of actions as data, the policy that guards them, and one synchronous implementation per
 * action shared by the dashboard's keys and the scriptable commands. Every call talks to the API
 * server (KARGO-API.md §9), so none may run on the UI thread: the dashboard goes through
 * action/queue.h. */
#ifndef KT_ACTION_ACTION_H
#define KT_ACTION_ACTION_H

#include <stdbool.h>
#include <stddef.h>

#include <time.h>

#include "kube/api.h"
#include "kube/http.h"
#include "model/store.h"

enum action_id {
    ACTION_PROMOTE,            /* a Freight to a Stage */
    ACTION_PROMOTE_DOWNSTREAM, /* a Stage's current Freight to every downstream Stage */
    ACTION_ROLLBACK,           /* an earlier Freight to a Stage (sets an auto-promotion hold) */
    ACTION_RESUME,             /* promote the auto-promotion candidate by spec.origin */
    ACTION_APPROVE,            /* a Freight for a Stage */
    ACTION_ABORT_PROMOTION,    /* a Pending or Running Promotion */
    ACTION_REFRESH,            /* a Stage */
    ACTION_REFRESH_WAREHOUSE,  /* a Warehouse (discovers at once) */
    ACTION_REVERIFY,           /* a Stage's current Freight */
    ACTION_ABORT_VERIFICATION, /* a Stage's running verification */
    ACTION_COUNT
};

/* What an action is applied to. */
enum action_target {
    ACTION_ON_STAGE,
    ACTION_ON_FREIGHT, /* a Freight for a Stage */
    ACTION_ON_PROMOTION,
    ACTION_ON_WAREHOUSE,
};

/* How the user confirms. ACTION_CONFIRM_PROTECTED asks for y, or for the Stage's name typed when
 * the policy protects the Stage (action_policy_protects). */
enum action_confirm { ACTION_CONFIRM_YES, ACTION_CONFIRM_PROTECTED };

/* One RBAC permission an action needs (checked with a SelfSubjectAccessReview). */
struct action_rbac {
    const char *verb;
    const char *group; /* "kargo.akuity.io" */
    const char *resource;
    const char *subresource; /* NULL for none */
};

/* The outcome of an action on one target. */
struct action_outcome {
    char *target;  /* the Stage, Promotion or Warehouse acted on */
    char *created; /* the created Promotion's real name, or the refresh token sent; NULL else */
    bool ok;
    struct kube_error err; /* when !ok: the API's own words (code 0: a client-side refusal) */
};

/* What one application of an action names (NULL where it does not apply). */
struct action_args {
    const char *ns;
    const char *stage;
    const char *freight;
    const char *promotion;
    const char *warehouse;
};

/* What is selected when an action's key is pressed. */
struct action_subject {
    const char *stage;    /* the selected Stage (the pipeline's, or the focused one), or NULL */
    enum kargo_kind kind; /* the focused selection's kind */
    const char *name;     /* and its name, or NULL */
    size_t n_marked;      /* Stages marked for a batch */
};

struct action_def {
    enum action_id id;
    const char *name;    /* "promote", "abort-promotion": for commands and messages */
    int key;             /* the dashboard's key */
    const char *keyname; /* as shown in help and hints */
    const char *hint;    /* the footer word */
    const char *help;    /* the help line */
    enum action_target target;
    enum action_confirm confirm;
    struct action_rbac rbac[2]; /* what it needs; verb NULL ends the list */
    const char *denied;         /* "cannot abort promotions": the reason a key is dimmed */
    /* The function: runs the action once for a (synchronously; never on the UI thread) and
     * appends one outcome per target to *out (*n of them; free with action_outcomes_free). */
    void (*run)(struct kube_client *c, const struct action_args *a, struct action_outcome **out,
                size_t *n);
    /* Whether it can apply to the selection, judged from the model (st read-locked): a finished
     * Promotion cannot be aborted, resume needs a hold, V a running verification. False sets
     * why[len] for a person. The cluster keeps the last word. */
    bool (*applies)(const struct store *st, const struct action_subject *s, time_t now, char *why,
                    size_t len);
};

/* The table, in help order. */
const struct action_def *action_def(enum action_id id);
/* The i-th entry; NULL past the end. */
const struct action_def *action_at(size_t i);
/* By name ("promote"); NULL when unknown. */
const struct action_def *action_by_name(const char *name);

/* d->applies for the selection (st read-locked); why[len] says why not. */
bool action_applies(enum action_id id, const struct store *st, const struct action_subject *s,
                    time_t now, char *why, size_t len);

/* ---- policy ----------------------------------------------------------------------------- */

/* What guards writes: filled from options and the config file (issue 10). */
struct action_policy {
    bool readonly; /* --readonly: every write is refused before it is sent */
    /* Stage name patterns (fnmatch(3) globs) whose writes need the Stage's name typed */
    char **typed_patterns;
    size_t n_typed_patterns;
    /* also ask for the name where the ProjectConfig makes promotion manual (a matching policy
     * with autoPromotionEnabled false) */
    bool typed_manual;
    /* a batch touching protected Stages: false (the default) asks for every protected Stage's
     * name on one line, true only for the number of Stages (confirm.typed-batch: count) */
    bool typed_batch_count;
};

/* The defaults: not read-only, patterns "prod*", "*-prod*", "*production*", typed_manual. */
void action_policy_init(struct action_policy *p);
/* Replaces the pattern list (copied); n 0 = no name patterns. */
void action_policy_set_patterns(struct action_policy *p, const char *const *patterns, size_t n);
void action_policy_free(struct action_policy *p);
/* True when the Stage's name matches a typed pattern, or when manual is true (the caller says
 * whether the ProjectConfig makes this Stage manual; see action/plan.h) and typed_manual is on. */
bool action_policy_protects(const struct action_policy *p, const char *stage, bool manual);

/* Does what the user typed confirm `want` (a Stage's name, a number, or several names separated
 * by spaces)? Several names match when every one of them is typed, in any order, each once,
 * separated by spaces or commas, and nothing else; a single word only exactly. */
bool action_typed_matches(const char *want, const char *typed);

/* ---- results ---------------------------------------------------------------------------- */

void action_outcome_clear(struct action_outcome *o);

/* ---- the actions (synchronous; never on the UI thread) ---------------------------------- */
/* Each reads what it needs from the cluster at the moment it acts (the dashboard's store may be
 * a few events behind), returns 0 or -1 with *err filled (the API's message, or a client-side
 * refusal with code 0), and frees nothing it did not allocate. ns is the project namespace. A
 * Freight may be named by name or by alias. */

/* Creates a Promotion of freight to stage as a full object that every Kargo accepts: the name
 * <stage>.<ulid>.<freight[0:7]> and the steps and vars of the Stage's promotionTemplate (what
 * ≤ v1.10 needs; v1.11+ renames and refills it). *created (allocated) is the real name from the
 * answer. Never creates two: a lost answer is followed by a lookup, not a second POST. */
int action_promote(struct kube_client *c, const char *ns, const char *stage, const char *freight,
                   char **created, struct kube_error *err);
/* Promotes the auto-promotion candidate of origin Warehouse warehouse (v1.11+: spec.origin),
 * which resumes auto-promotion after a hold. */
int action_resume(struct kube_client *c, const char *ns, const char *stage, const char *warehouse,
                  char **created, struct kube_error *err);
/* The downstream Stages of stage for freight's origin (freight NULL: the Stage's current Freight
 * of its first origin), skipping control-flow Stages: *stages (allocated array of allocated
 * names, sorted) and the Freight's name in *freight_name (allocated). */
int action_downstream_targets(struct kube_client *c, const char *ns, const char *stage,
                              const char *freight, char ***stages, size_t *n, char **freight_name,
                              struct kube_error *err);
/* Promotes freight (NULL: stage's current) to every downstream Stage: one outcome per target in
 * *out (allocated, action_outcomes_free). Returns 0 when every one was created. */
int action_promote_downstream(struct kube_client *c, const char *ns, const char *stage,
                              const char *freight, struct action_outcome **out, size_t *n,
                              struct kube_error *err);
void action_outcomes_free(struct action_outcome *o, size_t n);
/* Approves freight for stage (status.approvedFor merge patch) after the checks the Kargo API
 * server makes and the webhook does not: the Stage exists and requests Freight from that
 * origin. */
int action_approve(struct kube_client *c, const char *ns, const char *freight, const char *stage,
                   struct kube_error *err);
/* Asks the controller to terminate a Promotion (kargo.akuity.io/abort). A finished Promotion is
 * refused with its phase. */
int action_abort_promotion(struct kube_client *c, const char *ns, const char *promotion,
                           struct kube_error *err);
/* Sets kargo.akuity.io/refresh on a Stage (kind ACTION_ON_STAGE) or Warehouse
 * (ACTION_ON_WAREHOUSE) to a new token (RFC 3339 now with nanoseconds), returned in *token
 * (allocated); it is done when status.lastHandledRefresh equals it. A Stage's current Promotion
 * gets the same token when the user may patch it (as the Kargo API server does). */
int action_refresh(struct kube_client *c, const char *ns, enum action_target kind, const char *name,
                   char **token, struct kube_error *err);
/* Re-runs the verification of the Stage's current Freight (kargo.akuity.io/reverify). */
int action_reverify(struct kube_client *c, const char *ns, const char *stage,
                    struct kube_error *err);
/* Aborts the Stage's running verification (kargo.akuity.io/abort on the Stage). */
int action_abort_verification(struct kube_client *c, const char *ns, const char *stage,
                              struct kube_error *err);

/* May the current user do action id in namespace ns? Asks one SelfSubjectAccessReview per RBAC
 * rule of the action; *allowed false sets *reason (allocated, e.g. "your role cannot abort
 * promotions (patch promotions)"). -1 with *err when the review itself failed. */
int action_access(struct kube_client *c, const char *ns, enum action_id id, bool *allowed,
                  char **reason, struct kube_error *err);

/* One rule of an action (a SelfSubjectAccessReview in namespace ns), for callers that cache per
 * rule: actions share rules (every promotion needs create promotions + promote stages). name
 * (NULL: namespace-wide) goes into resourceAttributes.name: a role may grant a verb on some
 * objects only (RBAC resourceNames, as Kargo's custom roles do per Stage). */
int action_access_rule(struct kube_client *c, const char *ns, const struct action_rbac *r,
                       const char *name, bool *allowed, struct kube_error *err);
/* Whether rule r is about a Stage (its resource is stages), so a Stage's name can scope it. */
bool action_rule_per_stage(const struct action_rbac *r);
/* "your role cannot abort promotions (patch promotions)": why d is denied by rule r. Allocated. */
char *action_denied_reason(const struct action_def *d, const struct action_rbac *r);

/* A new lowercase ULID (26 Crockford base32 characters: 48-bit ms time, 80 random bits) into
 * out[27]; monotonic within the process. */
void action_ulid(char out[27]);

#endif
