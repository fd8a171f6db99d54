/* The checks kube-apiserver makes on every write of an object before storing it: CRD defaults,
 * required fields and object names. */
#ifndef KT_SIM_SCHEMA_H
#define KT_SIM_SCHEMA_H

#include <cjson/cJSON.h>

#include "sim/status.h"

struct sim_resource;

/* Fills the defaults the CRD schema declares (Warehouse spec.interval "5m0s", ...). */
void sim_schema_default(const struct sim_resource *r, cJSON *obj);
/* NULL when obj is valid for r; else a 422 Invalid naming every missing required field and a
 * malformed metadata.name. The caller frees it. */
struct sim_status *sim_schema_validate(const struct sim_resource *r, const cJSON *obj);

#endif
