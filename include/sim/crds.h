/* The Kargo CRD manifests (v1.11.2) compiled into the simulated cluster, for the OpenAPI v3
 * schemas it serves. */
#ifndef KT_SIM_CRDS_H
#define KT_SIM_CRDS_H

#include <stddef.h>

struct sim_crd {
    const char *plural; /* "stages" */
    const char *yaml;   /* the CustomResourceDefinition manifest */
    size_t len;
};

/* Every embedded CRD, ended by an entry whose plural is NULL (generated at build time). */
extern const struct sim_crd sim_crds[];

#endif
