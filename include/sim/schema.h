/* What the API server takes from the schemas on every write: CRD defaults, required fields, object
 * names, and the list types server-side apply merges and tracks lists by. */
#ifndef KT_SIM_SCHEMA_H
#define KT_SIM_SCHEMA_H

#include <cjson/cJSON.h>

#include "sim/status.h"

struct sim_resource;

/* How server-side apply merges and tracks a list (x-kubernetes-list-type). */
enum sim_list_type {
    SIM_LIST_ATOMIC, /* replaced whole, owned as one field */
    SIM_LIST_MAP,    /* items keyed by x-kubernetes-list-map-keys, merged and owned one by one */
    SIM_LIST_SET,    /* scalar items, owned one by one */
};

/* The list type of the list at path in r's objects (field names joined by '.', "[]" after a
 * list: "status.conditions"), from the CRD schemas (read once) and ObjectMeta's (finalizers a
 * set, ownerReferences a map keyed by uid); for a map, *keys its NULL-terminated key fields. */
enum sim_list_type sim_schema_list_type(const struct sim_resource *r, const char *path,
                                        const char *const **keys);

/* Fills the defaults the CRD schema declares (Warehouse spec.interval "5m0s", ...). */
void sim_schema_default(const struct sim_resource *r, cJSON *obj);
/* NULL when obj is valid for r; else a 422 Invalid naming every missing required field and a
 * malformed metadata.name. The caller frees it. */
struct sim_status *sim_schema_validate(const struct sim_resource *r, const cJSON *obj);

#endif
