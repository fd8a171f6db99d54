/* Authorization of the simulated cluster: Kargo's default project roles (KARGO-API.md §9) bound to
 * the users admin (kargo-admin), promoter (kargo-promoter) and viewer (kargo-viewer), plus the
 * namespaced RBAC Roles and RoleBindings (rbac.authorization.k8s.io/v1) stored in the cluster, as
 * Kargo's custom project roles are. */
#ifndef KT_SIM_AUTHZ_H
#define KT_SIM_AUTHZ_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "sim/status.h"

struct sim_store;

struct sim_authz_request {
    const char *user;
    const char *groups;      /* the user's groups, comma-separated; NULL for none */
    struct sim_store *store; /* where Roles and RoleBindings are; NULL: built-in roles only */
    const char *verb;        /* get, list, watch, create, update, patch, delete, promote, ... */
    const char *group;       /* "" for the core group */
    const char *resource;    /* plural */
    const char *subresource; /* NULL or "" for none */
    const char *ns;          /* NULL or "" at cluster scope */
    const char *name;        /* NULL or "" for collections and create */
};

/* May the user do it? The built-in roles first, then every RoleBinding of rq->ns whose subjects
 * name the user (kind User), one of its groups or system:authenticated (kind Group), or the
 * user as a ServiceAccount ("system:serviceaccount:<ns>:<name>"), through the Role it refers to:
 * a rule matches when its verbs, apiGroups and resources ("res/sub" for a subresource) hold the
 * request's or "*", and its resourceNames, when it has any, hold the request's name (so a rule
 * with resourceNames never allows a request without a name: list, create). ClusterRoles are not
 * simulated. Every authenticated user may create SelfSubjectAccessReviews and
 * SelfSubjectRulesReviews; unknown users may do nothing else without a binding. The in-process
 * controller ("system:serviceaccount:kargo:kargo-controller") may do anything. */
bool sim_authz_allowed(const struct sim_authz_request *rq);

/* The 403 Forbidden kube-apiserver answers when rq is denied: "stages.kargo.akuity.io \"dev\" is
 * forbidden: User \"viewer\" cannot patch resource \"stages\" in API group \"kargo.akuity.io\" in
 * the namespace \"kargo-demo\"". The caller frees it. */
struct sim_status *sim_authz_forbidden(const struct sim_authz_request *rq);

/* What a SelfSubjectRulesReview answers for rq->user in namespace rq->ns: the status object
 * (resourceRules, nonResourceRules, incomplete) of the same rules sim_authz_allowed applies, the
 * bound Roles' rules included. Caller deletes. */
cJSON *sim_authz_rules(const struct sim_authz_request *rq);

/* The reason an SSAR gives when rq is allowed (RBAC's wording: "RBAC: allowed by RoleBinding
 * \"b/ns\" of Role \"r\" to User \"u\""), or NULL when denied. The caller frees it. */
char *sim_authz_reason(const struct sim_authz_request *rq);

#endif
