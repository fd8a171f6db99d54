/* Server-side apply (PATCH application/apply-patch+yaml, `kubectl apply --server-side`): merging an
 * applied configuration into the live object and keeping each field manager's applied fields in
 * metadata.managedFields (FieldsV1), so that a field dropped from a manager's configuration is
 * removed and a field another manager applied is a conflict unless forced.
 *
 * Simplified against kube-apiserver's structured-merge-diff: only Apply managers own fields
 * (writes by other verbs own none), every list is atomic (Kargo's CRDs declare no list-map keys
 * for the fields users apply), and a conflict is a field another Apply manager owns with a
 * different value. */
#ifndef KT_SIM_APPLY_H
#define KT_SIM_APPLY_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "sim/resource.h"
#include "sim/status.h"

/* The object after manager applies `applied` to `live` (NULL: a new object), with its
 * managedFields entry set at time now (RFC 3339); status_only applies to the /status
 * subresource. NULL with *err: 409 Conflict naming the fields (unless force), 400 on a body that
 * is not an object. The caller owns the result. */
cJSON *sim_apply(const struct sim_resource *r, const cJSON *live, const cJSON *applied,
                 const char *manager, bool force, bool status_only, const char *now,
                 struct sim_status **err);

#endif
