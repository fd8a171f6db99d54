/* Kargo objects (Project, ProjectConfig, Warehouse, Stage, Freight, Promotion, core Event) decoded
 * from the API's JSON into plain structs holding only what the views use. Field meanings follow
 * KARGO-API.md and the v1.11.2 CRDs; the structs own every string (nothing points into cJSON). */
#ifndef KT_MODEL_KARGO_H
#define KT_MODEL_KARGO_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <cjson/cJSON.h>

/* Where a Freight comes from. key is "Kind/name" (FreightOrigin.String()), the map key Kargo
 * uses in freightHistory items, holds and hold annotations. */
struct kargo_origin {
    char *kind; /* "Warehouse" when the object leaves it out */
    char *name;
    char *key;
};

struct kargo_condition {
    char *type;
    char *status; /* "True", "False", "Unknown" */
    char *reason;
    char *message;
    time_t since; /* lastTransitionTime, 0 when absent */
};

struct kargo_image {
    char *repo_url;
    char *tag;
    char *digest;
};

struct kargo_chart {
    char *repo_url;
    char *name; /* empty for OCI charts */
    char *version;
};

struct kargo_commit {
    char *repo_url;
    char *id;
    char *branch;
    char *tag;
    char *message; /* first line */
    char *author;
};

struct kargo_generic_artifact {
    char *type; /* artifactType */
    char *subscription;
    char *version;
};

struct kargo_artifacts {
    struct kargo_image *images;
    size_t n_images;
    struct kargo_chart *charts;
    size_t n_charts;
    struct kargo_commit *commits;
    size_t n_commits;
    struct kargo_generic_artifact *generic;
    size_t n_generic;
};

/* FreightReference: a Freight as a Stage or Promotion status records it. */
struct kargo_freight_ref {
    char *name; /* NULL when the reference is absent */
    struct kargo_origin origin;
    struct kargo_artifacts artifacts;
};

struct kargo_verification {
    char *id;
    char *actor;
    char *phase; /* Pending, Running, Successful, Failed, Error, Aborted, Inconclusive */
    char *message;
    char *analysis_run;
    time_t started;
    time_t finished;
};

/* One freightHistory entry: what was deployed together, newest verification first. */
struct kargo_freight_collection {
    char *id;
    struct kargo_freight_ref *items; /* sorted by origin key */
    size_t n_items;
    struct kargo_verification *verifications;
    size_t n_verifications;
};

struct kargo_freight_request {
    struct kargo_origin origin;
    bool direct;
    char **stages; /* sources.stages, in spec order */
    size_t n_stages;
    long long soak_ms;   /* sources.requiredSoakTime; 0 = none */
    bool all;            /* availabilityStrategy All (else OneOf) */
    bool match_upstream; /* autoPromotionOptions.selectionPolicy MatchUpstream */
};

struct kargo_promotion_ref {
    char *name; /* NULL when absent */
    struct kargo_freight_ref freight;
    char *phase; /* status.phase of the copy, when present */
    time_t finished;
};

struct kargo_hold {
    char *origin_key;
    char *freight;
    char *promotion;
    char *actor;
    time_t created;
};

struct kargo_stage {
    char *name;
    char *namespace;
    time_t created;
    char *color;       /* annotation kargo.akuity.io/color, verbatim */
    char *description; /* annotation kargo.akuity.io/description */
    char *shard;
    char *refresh; /* annotation kargo.akuity.io/refresh */
    char *last_handled_refresh;

    struct kargo_freight_request *requests;
    size_t n_requests;
    size_t n_steps; /* promotionTemplate steps; 0 makes a control-flow Stage */
    bool control_flow;
    bool has_verification;

    struct kargo_condition *conditions;
    size_t n_conditions;
    char *health; /* status.health.status; NULL when the Stage has no health */
    char *freight_summary;
    struct kargo_freight_collection *history; /* freightHistory, newest first */
    size_t n_history;
    struct kargo_promotion_ref current_promotion;
    struct kargo_promotion_ref last_promotion;
    bool auto_promotion_enabled;
    struct kargo_hold *holds; /* effectiveAutoPromotionHolds, sorted by origin key */
    size_t n_holds;

    /* requestedFreight in canonical text: equal keys mean an equal graph shape */
    char *topology_key;
};

/* A per-Stage timestamp from a Freight's status maps. */
struct kargo_stage_mark {
    char *stage;
    time_t at;         /* since / verifiedAt / approvedAt; 0 when absent */
    long long soak_ms; /* verifiedIn longestSoak; 0 otherwise */
};

struct kargo_freight {
    struct kargo_freight_ref ref; /* name, origin and artifacts */
    char *namespace;
    char *alias;
    time_t created;
    time_t discovered;                   /* discoveredAt, else creationTimestamp */
    struct kargo_stage_mark *current_in; /* each list sorted by stage */
    size_t n_current_in;
    struct kargo_stage_mark *verified_in;
    size_t n_verified_in;
    struct kargo_stage_mark *approved_for;
    size_t n_approved_for;
};

struct kargo_step {
    char *alias; /* "as", else step-<i+1> / task-<i+1> as Kargo names them */
    char *uses;
};

struct kargo_step_run {
    char *alias;
    char *status; /* Running, Succeeded, Failed, Errored, Aborted, Skipped */
    char *message;
    time_t started;
    time_t finished;
    long error_count;
};

struct kargo_promotion {
    char *name;
    char *namespace;
    time_t created;
    char *stage;
    char *freight;              /* spec.freight; NULL while spec.origin awaits resolution */
    struct kargo_origin origin; /* spec.origin, when set */
    char *create_actor;
    char *hold_origin;   /* annotation kargo.akuity.io/auto-promotion-hold */
    char *resume_origin; /* annotation kargo.akuity.io/auto-promotion-resume */
    bool abort_requested;
    bool rollback;
    struct kargo_step *steps;
    size_t n_steps;

    char *phase; /* "" until first reconcile */
    char *message;
    long current_step; /* -1 when absent */
    time_t started;
    time_t finished;
    struct kargo_freight_ref status_freight; /* name and origin only: no artifacts */
    struct kargo_step_run *runs;             /* stepExecutionMetadata, spec order */
    size_t n_runs;
};

struct kargo_subscription {
    char *type; /* image, git, chart, or a generic subscription's key */
    char *repo_url;
    char *name;
};

struct kargo_warehouse {
    char *name;
    char *namespace;
    time_t created;
    char *color;
    char *description;
    char *refresh;
    char *last_handled_refresh;
    char *interval;
    char *creation_policy;
    struct kargo_subscription *subscriptions;
    size_t n_subscriptions;
    struct kargo_condition *conditions;
    size_t n_conditions;
    char *last_freight;
};

struct kargo_project {
    char *name;
    time_t created;
    struct kargo_condition *conditions;
    size_t n_conditions;
};

struct kargo_policy {
    char *stage;    /* spec `stage` or stageSelector.name (may be a regex:/glob: pattern) */
    bool by_labels; /* the selector also matches labels */
    bool auto_promotion;
};

struct kargo_project_config {
    char *name;
    char *namespace;
    struct kargo_policy *policies; /* in order: the first match wins */
    size_t n_policies;
};

struct kargo_event {
    char *name;
    char *namespace;
    char *type; /* Normal, Warning */
    char *reason;
    char *message;
    char *object_kind; /* involvedObject */
    char *object_name;
    long count;
    time_t at; /* lastTimestamp, else eventTime, firstTimestamp, creationTimestamp */
    char *actor;
    char *stage;
    char *freight;
    char *freight_alias;
    char *promotion;
};

/* Each decoder returns a new object the caller frees with the matching kargo_free_*(), or NULL
 * with *cause set when obj is not a decodable object of that kind. Missing fields are tolerated;
 * a field of the wrong JSON type or an unreadable time or duration is an error. An object is one
 * allocation holding its struct, arrays and strings (model/arena.h); its strings are read-only,
 * and common words (phases, statuses, step names, "Warehouse") are constants shared by all. */
struct kargo_stage *kargo_decode_stage(const cJSON *obj, char **cause);
struct kargo_freight *kargo_decode_freight(const cJSON *obj, char **cause);
struct kargo_promotion *kargo_decode_promotion(const cJSON *obj, char **cause);
struct kargo_warehouse *kargo_decode_warehouse(const cJSON *obj, char **cause);
struct kargo_project *kargo_decode_project(const cJSON *obj, char **cause);
struct kargo_project_config *kargo_decode_project_config(const cJSON *obj, char **cause);
struct kargo_event *kargo_decode_event(const cJSON *obj, char **cause);

void kargo_free_stage(struct kargo_stage *s);
void kargo_free_freight(struct kargo_freight *f);
void kargo_free_promotion(struct kargo_promotion *p);
void kargo_free_warehouse(struct kargo_warehouse *w);
void kargo_free_project(struct kargo_project *p);
void kargo_free_project_config(struct kargo_project_config *c);
void kargo_free_event(struct kargo_event *e);

/* The condition of that type, or NULL. */
const struct kargo_condition *kargo_condition(const struct kargo_condition *conds, size_t n,
                                              const char *type);
/* The mark for stage in a Freight status list, or NULL. */
const struct kargo_stage_mark *kargo_stage_mark(const struct kargo_stage_mark *marks, size_t n,
                                                const char *stage);
/* True for the terminal Promotion phases: Succeeded, Failed, Errored, Aborted. */
bool kargo_promotion_terminal(const char *phase);

#endif
