/* The resources the simulated cluster serves: names, scope, subresources, printer columns and
 * required fields, as the Kargo CRDs (v1.11.2) and the core API declare them. */
#ifndef KT_SIM_RESOURCE_H
#define KT_SIM_RESOURCE_H

#include <stdbool.h>
#include <stddef.h>

struct sim_printer_column {
    const char *name;
    const char *type; /* "string", "integer", "number", "boolean", "date" */
    const char *json_path;
    const char *description;
};

struct sim_resource {
    const char *group; /* "" for the core group */
    const char *version;
    const char *api_version; /* "v1" or "group/version" */
    const char *plural;
    const char *singular;
    const char *kind;
    const char *list_kind;
    const char *short_names[3]; /* NULL-terminated */
    bool namespaced;
    bool has_status; /* serves the /status subresource */
    bool is_crd;     /* custom resource semantics: generation, 415 for strategic merge patch */
    bool storable;   /* false for review resources (selfsubjectaccessreviews) */
    const struct sim_printer_column *columns; /* after Name; NULL-terminated by name */
    const char *const *required; /* paths such as "spec.stage", "spec.requestedFreight[].origin" */
};

/* Every served resource, in discovery order; *count set to their number. */
const struct sim_resource *sim_resource_all(size_t *count);
/* The resource with this group and plural (or singular or short name), or NULL. */
const struct sim_resource *sim_resource_find(const char *group, const char *name);
/* The resource of an object's apiVersion and kind, or NULL. */
const struct sim_resource *sim_resource_by_kind(const char *api_version, const char *kind);
/* "stages.kargo.akuity.io", or "namespaces" for the core group; into buf of len bytes. */
const char *sim_resource_qualified(const struct sim_resource *r, char *buf, size_t len);

#endif
