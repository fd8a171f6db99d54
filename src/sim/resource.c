/* The served resources as data: one table drives routing, discovery, tables and schema checks. */
#include "sim/resource.h"

#include <stdio.h>
#include <string.h>

#define READY_COL                                                                                  \
    {                                                                                              \
        "Ready", "string", ".status.conditions[?(@.type==\"Ready\")].status", ""                   \
    }
#define STATUS_COL                                                                                 \
    {                                                                                              \
        "Status", "string", ".status.conditions[?(@.type==\"Ready\")].message", ""                 \
    }
#define AGE_COL                                                                                    \
    {                                                                                              \
        "Age", "date", ".metadata.creationTimestamp", ""                                           \
    }
#define END_COL                                                                                    \
    {                                                                                              \
        NULL, NULL, NULL, NULL                                                                     \
    }

static const struct sim_printer_column ready_cols[] = {READY_COL, STATUS_COL, AGE_COL, END_COL};
static const struct sim_printer_column age_cols[] = {AGE_COL, END_COL};
static const struct sim_printer_column warehouse_cols[] = {
    {"Shard", "string", ".spec.shard", ""}, AGE_COL, END_COL};
static const struct sim_printer_column stage_cols[] = {
    {"Shard", "string", ".spec.shard", ""},
    {"Current Freight", "string", ".status.freightSummary", ""},
    {"Health", "string", ".status.health.status", ""},
    READY_COL,
    STATUS_COL,
    AGE_COL,
    END_COL};
static const struct sim_printer_column freight_cols[] = {
    {"Alias", "string", ".metadata.labels.kargo\\.akuity\\.io/alias", ""},
    {"Origin (Kind)", "string", ".origin.kind", ""},
    {"Origin (Name)", "string", ".origin.name", ""},
    AGE_COL,
    END_COL};
static const struct sim_printer_column promotion_cols[] = {
    {"Shard", "string", ".metadata.labels.kargo\\.akuity\\.io/shard", ""},
    {"Stage", "string", ".spec.stage", ""},
    {"Freight", "string", ".spec.freight", ""},
    {"Phase", "string", ".status.phase", ""},
    AGE_COL,
    END_COL};
static const struct sim_printer_column namespace_cols[] = {
    {"Status", "string", ".status.phase", "The phase of the namespace"}, AGE_COL, END_COL};
static const struct sim_printer_column event_cols[] = {
    {"Last Seen", "date", ".lastTimestamp", ""}, {"Type", "string", ".type", ""},
    {"Reason", "string", ".reason", ""},         {"Object", "string", ".involvedObject.name", ""},
    {"Message", "string", ".message", ""},       END_COL};

/* kubectl's columns for RBAC objects (kube-apiserver's table convertor) */
static const struct sim_printer_column role_cols[] = {
    {"Created At", "date", ".metadata.creationTimestamp", ""}, END_COL};
static const struct sim_printer_column rolebinding_cols[] = {
    {"Role", "string", ".roleRef.name", ""}, AGE_COL, END_COL};

/* From the CRDs' openAPIV3Schema "required" lists (status excluded: it is the controller's). */
static const char *const stage_req[] = {"spec",
                                        "spec.requestedFreight",
                                        "spec.requestedFreight[].origin",
                                        "spec.requestedFreight[].sources",
                                        "spec.requestedFreight[].origin.kind",
                                        "spec.requestedFreight[].origin.name",
                                        "spec.promotionTemplate.spec",
                                        "spec.vars[].name",
                                        NULL};
static const char *const promotion_req[] = {
    "spec", "spec.stage", "spec.steps", "spec.origin.kind", "spec.origin.name", "spec.vars[].name",
    NULL};
static const char *const freight_req[] = {
    "origin", "origin.kind", "origin.name", "artifacts[].subscriptionName", "artifacts[].version",
    NULL};
static const char *const warehouse_req[] = {"spec", "spec.interval", "spec.subscriptions", NULL};
static const char *const task_req[] = {"spec", "spec.steps", "spec.vars[].name", NULL};
static const char *const config_req[] = {"spec.freightLinks[].title",    "spec.freightLinks[].url",
                                         "spec.stageLinks[].title",      "spec.stageLinks[].url",
                                         "spec.webhookReceivers[].name", NULL};
static const char *const none_req[] = {NULL};
static const char *const rolebinding_req[] = {"roleRef", "roleRef.kind", "roleRef.name", NULL};

#define KARGO "kargo.akuity.io", "v1alpha1", "kargo.akuity.io/v1alpha1"

static const struct sim_resource resources[] = {
    {"",
     "v1",
     "v1",
     "namespaces",
     "namespace",
     "Namespace",
     "NamespaceList",
     {"ns", NULL},
     false,
     true,
     false,
     true,
     namespace_cols,
     none_req},
    {"",
     "v1",
     "v1",
     "events",
     "event",
     "Event",
     "EventList",
     {"ev", NULL},
     true,
     false,
     false,
     true,
     event_cols,
     none_req},
    {KARGO,
     "clusterconfigs",
     "clusterconfig",
     "ClusterConfig",
     "ClusterConfigList",
     {"clusterconfig", "clusterconfigs", NULL},
     false,
     true,
     true,
     true,
     ready_cols,
     config_req},
    {KARGO,
     "clusterpromotiontasks",
     "clusterpromotiontask",
     "ClusterPromotionTask",
     "ClusterPromotionTaskList",
     {"clusterpromotask", "clusterpromotasks", NULL},
     false,
     false,
     true,
     true,
     age_cols,
     task_req},
    {KARGO,
     "freights",
     "freight",
     "Freight",
     "FreightList",
     {NULL},
     true,
     true,
     true,
     true,
     freight_cols,
     freight_req},
    {KARGO,
     "projectconfigs",
     "projectconfig",
     "ProjectConfig",
     "ProjectConfigList",
     {NULL},
     true,
     true,
     true,
     true,
     ready_cols,
     config_req},
    {KARGO,
     "projects",
     "project",
     "Project",
     "ProjectList",
     {NULL},
     false,
     true,
     true,
     true,
     ready_cols,
     none_req},
    {KARGO,
     "promotions",
     "promotion",
     "Promotion",
     "PromotionList",
     {"promo", "promos", NULL},
     true,
     true,
     true,
     true,
     promotion_cols,
     promotion_req},
    {KARGO,
     "promotiontasks",
     "promotiontask",
     "PromotionTask",
     "PromotionTaskList",
     {"promotask", "promotasks", NULL},
     true,
     false,
     true,
     true,
     age_cols,
     task_req},
    {KARGO,
     "stages",
     "stage",
     "Stage",
     "StageList",
     {NULL},
     true,
     true,
     true,
     true,
     stage_cols,
     stage_req},
    {KARGO,
     "warehouses",
     "warehouse",
     "Warehouse",
     "WarehouseList",
     {NULL},
     true,
     true,
     true,
     true,
     warehouse_cols,
     warehouse_req},
    {"rbac.authorization.k8s.io",
     "v1",
     "rbac.authorization.k8s.io/v1",
     "roles",
     "role",
     "Role",
     "RoleList",
     {NULL},
     true,
     false,
     false,
     true,
     role_cols,
     none_req},
    {"rbac.authorization.k8s.io",
     "v1",
     "rbac.authorization.k8s.io/v1",
     "rolebindings",
     "rolebinding",
     "RoleBinding",
     "RoleBindingList",
     {NULL},
     true,
     false,
     false,
     true,
     rolebinding_cols,
     rolebinding_req},
    {"authorization.k8s.io",
     "v1",
     "authorization.k8s.io/v1",
     "selfsubjectaccessreviews",
     "",
     "SelfSubjectAccessReview",
     "",
     {NULL},
     false,
     false,
     false,
     false,
     NULL,
     none_req},
    {"authorization.k8s.io",
     "v1",
     "authorization.k8s.io/v1",
     "selfsubjectrulesreviews",
     "",
     "SelfSubjectRulesReview",
     "",
     {NULL},
     false,
     false,
     false,
     false,
     NULL,
     none_req},
};

const struct sim_resource *sim_resource_all(size_t *count)
{
    *count = sizeof resources / sizeof resources[0];
    return resources;
}

const struct sim_resource *sim_resource_find(const char *group, const char *name)
{
    for (size_t i = 0; i < sizeof resources / sizeof resources[0]; i++) {
        const struct sim_resource *r = &resources[i];
        if (strcmp(r->group, group) != 0)
            continue;
        if (strcmp(r->plural, name) == 0 || strcmp(r->singular, name) == 0)
            return r;
        for (size_t k = 0; r->short_names[k] != NULL; k++)
            if (strcmp(r->short_names[k], name) == 0)
                return r;
    }
    return NULL;
}

const struct sim_resource *sim_resource_by_kind(const char *api_version, const char *kind)
{
    if (api_version == NULL || kind == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof resources / sizeof resources[0]; i++)
        if (strcmp(resources[i].api_version, api_version) == 0 &&
            strcmp(resources[i].kind, kind) == 0)
            return &resources[i];
    return NULL;
}

const char *sim_resource_qualified(const struct sim_resource *r, char *buf, size_t len)
{
    if (r->group[0] == '\0')
        snprintf(buf, len, "%s", r->plural);
    else
        snprintf(buf, len, "%s.%s", r->plural, r->group);
    return buf;
}
