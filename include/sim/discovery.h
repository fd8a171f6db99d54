/* Discovery and OpenAPI documents of the simulated cluster, generated from the resource table:
 * /version, /api, /api/v1, /apis, /apis/<group>[/<version>], /openapi/v3[/...]. */
#ifndef KT_SIM_DISCOVERY_H
#define KT_SIM_DISCOVERY_H

#include <cjson/cJSON.h>

/* Each returns a new document the caller owns, or NULL for an unknown group or version. */
cJSON *sim_discovery_version(void);
cJSON *sim_discovery_api(const char *server_address);
cJSON *sim_discovery_groups(void);
cJSON *sim_discovery_group(const char *group);
cJSON *sim_discovery_resources(const char *group, const char *version);
/* OpenAPI v3: the root lists one document per group version; each document declares, for every
 * kind, the PATCH operation with the fieldValidation parameter, which tells kubectl to leave
 * validation to the server. */
cJSON *sim_discovery_openapi_root(void);
cJSON *sim_discovery_openapi_gv(const char *group, const char *version);

#endif
