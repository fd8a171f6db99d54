/* JSON merge patch (RFC 7386) and JSON patch (RFC 6902) over cJSON trees. */
#ifndef KT_SIM_PATCH_H
#define KT_SIM_PATCH_H

#include <cjson/cJSON.h>

/* Applies a merge patch to target and returns the result (target, or its replacement when the
 * patch is not an object; the caller owns what is returned, target is consumed). */
cJSON *sim_patch_merge(cJSON *target, const cJSON *patch);
/* Applies the operations of a JSON patch to *target in place. Returns 0, or -1 with *cause
 * ("the server rejected our request due to an error in our request" style detail). */
int sim_patch_json(cJSON **target, const cJSON *ops, char **cause);

#endif
