/* Kargo's decision rules as pure functions over objects: Freight availability to a Stage (§4.1),
 * the auto-promotion candidate, and which ProjectConfig promotion policy applies to a Stage. */
#ifndef KT_SIM_KARGO_RULES_H
#define KT_SIM_KARGO_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/* The Stage's requestedFreight entry for a Warehouse origin name, or NULL. */
const cJSON *kargo_stage_request(const cJSON *stage, const char *warehouse);
/* Whether the Stage has no promotion steps (a control-flow Stage). */
bool kargo_stage_is_control_flow(const cJSON *stage);
/* "Never" for the times below: time alone will not make it happen. */
#define KARGO_NEVER INT64_MAX

/* Whether freight may be promoted to stage at now_s (Unix seconds): approved, direct, or verified
 * (and soaked) upstream per availabilityStrategy. */
bool kargo_freight_available(const cJSON *stage, const cJSON *freight, int64_t now_s);
/* When freight becomes available to stage if nothing but time changes: now_s when it is, a later
 * second when it still has to soak upstream, KARGO_NEVER when waiting will not do it. */
int64_t kargo_freight_available_at(const cJSON *stage, const cJSON *freight, int64_t now_s);
/* Freight time for ordering: discoveredAt, else creationTimestamp (Unix seconds, 0 if none). */
int64_t kargo_freight_time(const cJSON *freight);
/* Whether a is newer than b (time, then greater name). */
bool kargo_freight_newer(const cJSON *a, const cJSON *b);
/* The auto-promotion candidate for warehouse among the n freights (any origin), or NULL. */
const cJSON *kargo_auto_candidate(const cJSON *stage, const char *warehouse,
                                  const cJSON *const *freights, size_t n, int64_t now_s);
/* The same, and lowers *changes_s to the second at which a Freight of warehouse that is not yet
 * available becomes so by soaking (the candidate may change then). */
const cJSON *kargo_auto_candidate_at(const cJSON *stage, const char *warehouse,
                                     const cJSON *const *freights, size_t n, int64_t now_s,
                                     int64_t *changes_s);
/* Whether a stageSelector {name, matchLabels, matchExpressions} selects the Stage. */
bool kargo_stage_selector_matches(const cJSON *selector, const cJSON *stage);
/* autoPromotionEnabled of the first promotion policy of the ProjectConfig that matches the
 * Stage; false when projectconfig is NULL or none matches. */
bool kargo_auto_promotion_enabled(const cJSON *projectconfig, const cJSON *stage);

#endif
