/* Server-side apply (PATCH application/apply-patch+yaml, `kubectl apply --server-side`): merging an
 * applied configuration into the live object and keeping each field manager's applied fields in
 * metadata.managedFields (FieldsV1), so that a field dropped from a manager's configuration is
 * removed and a field another manager applied is a conflict unless forced.
 *
 * As kube-apiserver's structured-merge-diff: other writes (create, update, patch) are Update
 * managers owning the fields they changed, taken from whoever owned them; an applier's field
 * owned by another manager (Apply or Update) with a different value is a conflict unless forced;
 * a field an applier drops goes only when no other manager owns it. Lists follow their schema's
 * x-kubernetes-list-type (sim_schema_list_type): a map's items are merged and owned by key
 * (k:{"type":"Ready"}, with "." for the item itself), a set's by member (v:"x"), anything else is
 * atomic. */
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

/* Records a non-apply write by manager (create when live is NULL; /status when status_only) in
 * obj's metadata.managedFields at time now: the fields it changed become its Update entry's and
 * leave every other entry; fields it removed leave every entry; entries left empty go. */
void sim_apply_update(const struct sim_resource *r, const cJSON *live, cJSON *obj,
                      const char *manager, bool status_only, const char *now);

#endif
