/* Kargo's default roles as rules: admin (kargo-admin), promoter (kargo-promoter), viewer
 * (kargo-viewer); the in-process controller is trusted. */
#include "sim/authz.h"

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sim/resource.h"
#include "util/strbuf.h"

static bool is(const char *a, const char *b)
{
    return a != NULL && strcmp(a, b) == 0;
}

static bool empty(const char *s)
{
    return s == NULL || s[0] == '\0';
}

static bool read_verb(const char *verb)
{
    return is(verb, "get") || is(verb, "list") || is(verb, "watch");
}

bool sim_authz_allowed(const struct sim_authz_request *rq)
{
    const char *u = rq->user;
    if (u == NULL)
        return false;
    if (is(u, "admin") || strncmp(u, "system:serviceaccount:kargo:", 28) == 0)
        return true;
    if (!is(u, "promoter") && !is(u, "viewer"))
        return false;
    /* Every authenticated user may ask what it may do. */
    if (is(rq->group, "authorization.k8s.io") && (is(rq->resource, "selfsubjectaccessreviews") ||
                                                  is(rq->resource, "selfsubjectrulesreviews")))
        return is(rq->verb, "create");
    bool sub = !empty(rq->subresource);
    if (read_verb(rq->verb) && !sub)
        return true;
    if (is(u, "viewer"))
        return false;
    /* kargo-promoter */
    if (!is(rq->group, "kargo.akuity.io"))
        return false;
    if (is(rq->resource, "promotions") && !sub && is(rq->verb, "create"))
        return true;
    if (is(rq->resource, "stages") && !sub && is(rq->verb, "promote"))
        return true;
    if (is(rq->resource, "freights") && is(rq->subresource, "status") && is(rq->verb, "patch"))
        return true;
    return false;
}

const char *sim_authz_reason(const struct sim_authz_request *rq)
{
    if (!sim_authz_allowed(rq))
        return NULL;
    if (is(rq->user, "admin"))
        return "RBAC: allowed by ClusterRoleBinding \"kargo-admin\" of ClusterRole "
               "\"kargo-admin\" to User \"admin\"";
    if (is(rq->user, "promoter"))
        return "RBAC: allowed by RoleBinding \"kargo-promoter\" of Role \"kargo-promoter\" to "
               "User \"promoter\"";
    if (is(rq->user, "viewer"))
        return "RBAC: allowed by ClusterRoleBinding \"kargo-viewer\" of ClusterRole "
               "\"kargo-viewer\" to User \"viewer\"";
    return "allowed";
}

struct sim_status *sim_authz_forbidden(const struct sim_authz_request *rq)
{
    const char *group = rq->group != NULL ? rq->group : "";
    struct strbuf q, res;
    strbuf_init(&q);
    strbuf_init(&res);
    strbuf_append(&q, rq->resource);
    if (group[0] != '\0')
        strbuf_appendf(&q, ".%s", group);
    strbuf_append(&res, rq->resource);
    if (!empty(rq->subresource))
        strbuf_appendf(&res, "/%s", rq->subresource);
    struct strbuf msg;
    strbuf_init(&msg);
    if (!empty(rq->name))
        strbuf_appendf(&msg, "%s \"%s\" is forbidden: ", q.buf, rq->name);
    else
        strbuf_appendf(&msg, "%s is forbidden: ", q.buf);
    strbuf_appendf(&msg, "User \"%s\" cannot %s resource \"%s\" in API group \"%s\"",
                   rq->user != NULL ? rq->user : "system:anonymous", rq->verb, res.buf, group);
    if (!empty(rq->ns))
        strbuf_appendf(&msg, " in the namespace \"%s\"", rq->ns);
    else
        strbuf_append(&msg, " at the cluster scope");
    struct sim_status *st = sim_status_new(403, "Forbidden", "%s", msg.buf);
    sim_status_details(st, group, rq->resource, empty(rq->name) ? NULL : rq->name);
    strbuf_free(&q);
    strbuf_free(&res);
    strbuf_free(&msg);
    return st;
}

/* The rules behind sim_authz_allowed, in RBAC's PolicyRule form; kept beside it so the two say
 * the same. NULL-separated groups of {verbs, apiGroups, resources}. */
struct rule {
    const char *verbs, *groups, *resources; /* comma-separated */
};

static const struct rule admin_rules[] = {{"*", "*", "*"}, {NULL, NULL, NULL}};
static const struct rule promoter_rules[] = {
    {"create", "authorization.k8s.io", "selfsubjectaccessreviews,selfsubjectrulesreviews"},
    {"get,list,watch", "*", "*"},
    {"create", "kargo.akuity.io", "promotions"},
    {"promote", "kargo.akuity.io", "stages"},
    {"patch", "kargo.akuity.io", "freights/status"},
    {NULL, NULL, NULL}};
static const struct rule viewer_rules[] = {
    {"create", "authorization.k8s.io", "selfsubjectaccessreviews,selfsubjectrulesreviews"},
    {"get,list,watch", "*", "*"},
    {NULL, NULL, NULL}};

static cJSON *split(const char *list)
{
    cJSON *a = cJSON_CreateArray();
    const char *p = list;
    while (*p != '\0') {
        size_t n = strcspn(p, ",");
        char buf[128];
        snprintf(buf, sizeof buf, "%.*s", (int)n, p);
        cJSON_AddItemToArray(a, cJSON_CreateString(buf));
        p += n + (p[n] == ',');
    }
    return a;
}

cJSON *sim_authz_rules(const char *user)
{
    const struct rule *rules = is(user, "admin")      ? admin_rules
                               : is(user, "promoter") ? promoter_rules
                               : is(user, "viewer")   ? viewer_rules
                                                      : NULL;
    cJSON *status = cJSON_CreateObject();
    cJSON *rr = cJSON_AddArrayToObject(status, "resourceRules");
    for (const struct rule *r = rules; r != NULL && r->verbs != NULL; r++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToObject(o, "verbs", split(r->verbs));
        cJSON_AddItemToObject(o, "apiGroups", split(r->groups));
        cJSON_AddItemToObject(o, "resources", split(r->resources));
        cJSON_AddItemToArray(rr, o);
    }
    cJSON *nr = cJSON_AddArrayToObject(status, "nonResourceRules");
    if (rules != NULL) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToObject(o, "verbs", split(rules == admin_rules ? "*" : "get"));
        cJSON_AddItemToObject(o, "nonResourceURLs",
                              split(rules == admin_rules ? "*"
                                                         : "/api,/api/*,/apis,/apis/*,/healthz,"
                                                           "/livez,/openapi,/openapi/*,/readyz,"
                                                           "/version,/version/"));
        cJSON_AddItemToArray(nr, o);
    }
    cJSON_AddBoolToObject(status, "incomplete", false);
    return status;
}
