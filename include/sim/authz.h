/* Authorization of the simulated cluster: Kargo's default project roles (KARGO-API.md §9) bound to
 * the users admin (kargo-admin), promoter (kargo-promoter) and viewer (kargo-viewer). */
#ifndef KT_SIM_AUTHZ_H
#define KT_SIM_AUTHZ_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "sim/status.h"

struct sim_authz_request {
    const char *user;
    const char *verb;        /* get, list, watch, create, update, patch, delete, promote, ... */
    const char *group;       /* "" for the core group */
    const char *resource;    /* plural */
    const char *subresource; /* NULL or "" for none */
    const char *ns;          /* NULL or "" at cluster scope */
    const char *name;        /* NULL or "" for collections and create */
};

/* May the user do it? Unknown users may do nothing. The in-process controller
 * ("system:serviceaccount:kargo:kargo-controller") may do anything. */
bool sim_authz_allowed(const struct sim_authz_request *rq);

/* The 403 Forbidden kube-apiserver answers when rq is denied: "stages.kargo.akuity.io \"dev\" is
 * forbidden: User \"viewer\" cannot patch resource \"stages\" in API group \"kargo.akuity.io\" in
 * the namespace \"kargo-demo\"". The caller frees it. */
struct sim_status *sim_authz_forbidden(const struct sim_authz_request *rq);

/* What a SelfSubjectRulesReview answers for user: the status object (resourceRules,
 * nonResourceRules, incomplete) of the same rules sim_authz_allowed applies. Caller deletes. */
cJSON *sim_authz_rules(const char *user);

/* The reason an SSAR gives when rq is allowed (RBAC's wording), or NULL when denied; static. */
const char *sim_authz_reason(const struct sim_authz_request *rq);

#endif
