/* Kargo's default roles as rules: admin (kargo-admin), promoter (kargo-promoter), viewer
 * (kargo-viewer); the in-process controller is trusted; then the stored Roles and RoleBindings,
 * evaluated as kube-apiserver's RBAC authorizer does for namespaced rules. */
#include "sim/authz.h"

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sim/resource.h"
#include "sim/store.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

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

static bool builtin_allowed(const struct sim_authz_request *rq)
{
    const char *u = rq->user;
    if (u == NULL)
        return false;
    if (is(u, "admin") || strncmp(u, "system:serviceaccount:kargo:", 28) == 0)
        return true;
    /* Every authenticated user may ask what it may do (system:basic-user). */
    if (is(rq->group, "authorization.k8s.io") && (is(rq->resource, "selfsubjectaccessreviews") ||
                                                  is(rq->resource, "selfsubjectrulesreviews")))
        return is(rq->verb, "create");
    if (!is(u, "promoter") && !is(u, "viewer"))
        return false;
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

/* Does the JSON array of strings hold s, or "*" when star is true? */
static bool holds(const cJSON *list, const char *s, bool star)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, list)
    {
        if (!cJSON_IsString(e))
            continue;
        if ((star && is(e->valuestring, "*")) || (s != NULL && is(e->valuestring, s)))
            return true;
    }
    return false;
}

static bool in_csv(const char *csv, const char *s)
{
    for (const char *p = csv; p != NULL && *p != '\0';) {
        size_t n = strcspn(p, ",");
        if (strlen(s) == n && strncmp(p, s, n) == 0)
            return true;
        p += n + (p[n] == ',');
    }
    return false;
}

/* Does the binding's subject list name the request's user? */
static bool subject_matches(const cJSON *subjects, const struct sim_authz_request *rq,
                            const char *ns)
{
    const cJSON *sj;
    cJSON_ArrayForEach(sj, subjects)
    {
        const char *kind = json_get_string(sj, "kind", (char *)NULL);
        const char *name = json_get_string(sj, "name", (char *)NULL);
        if (name == NULL)
            continue;
        if (is(kind, "User") && is(name, rq->user))
            return true;
        if (is(kind, "Group") && (is(name, "system:authenticated") || in_csv(rq->groups, name)))
            return true;
        if (is(kind, "ServiceAccount")) {
            const char *sns = json_get_string(sj, "namespace", (char *)NULL);
            char sa[512];
            snprintf(sa, sizeof sa, "system:serviceaccount:%s:%s", empty(sns) ? ns : sns, name);
            if (is(sa, rq->user))
                return true;
        }
    }
    return false;
}

static bool rule_matches(const cJSON *rule, const struct sim_authz_request *rq)
{
    if (!holds(json_get(rule, "verbs", (char *)NULL), rq->verb, true))
        return false;
    if (!holds(json_get(rule, "apiGroups", (char *)NULL), rq->group != NULL ? rq->group : "", true))
        return false;
    char res[256];
    if (!empty(rq->subresource))
        snprintf(res, sizeof res, "%s/%s", rq->resource, rq->subresource);
    else
        snprintf(res, sizeof res, "%s", rq->resource);
    if (!holds(json_get(rule, "resources", (char *)NULL), res, true))
        return false;
    const cJSON *names = json_get(rule, "resourceNames", (char *)NULL);
    if (cJSON_GetArraySize(names) == 0)
        return true;
    return !empty(rq->name) && holds(names, rq->name, false);
}

/* The stored RoleBinding (and its Role) allowing rq: their names into binding and role (len
 * bytes each), or false. */
static bool rbac_allowed(const struct sim_authz_request *rq, char *binding, char *role, size_t len)
{
    if (rq->store == NULL || rq->user == NULL || empty(rq->ns) || rq->verb == NULL ||
        rq->resource == NULL)
        return false;
    struct sim_status *err = NULL;
    cJSON *bindings = sim_store_list(rq->store, "rolebindings", rq->ns, NULL, &err);
    sim_status_free(err);
    bool ok = false;
    const cJSON *b;
    cJSON_ArrayForEach(b, bindings)
    {
        if (!is(json_get_string(b, "roleRef", "kind", (char *)NULL), "Role") ||
            !subject_matches(json_get(b, "subjects", (char *)NULL), rq, rq->ns))
            continue;
        const char *rname = json_get_string(b, "roleRef", "name", (char *)NULL);
        err = NULL;
        cJSON *r = rname != NULL ? sim_store_get(rq->store, "roles", rq->ns, rname, &err) : NULL;
        sim_status_free(err);
        const cJSON *rule;
        cJSON_ArrayForEach(rule, json_get(r, "rules", (char *)NULL))
        {
            if (rule_matches(rule, rq)) {
                ok = true;
                break;
            }
        }
        if (ok) {
            snprintf(binding, len, "%s", json_get_string(b, "metadata", "name", (char *)NULL));
            snprintf(role, len, "%s", rname);
        }
        cJSON_Delete(r);
        if (ok)
            break;
    }
    cJSON_Delete(bindings);
    return ok;
}

bool sim_authz_allowed(const struct sim_authz_request *rq)
{
    char b[256], r[256];
    return builtin_allowed(rq) || rbac_allowed(rq, b, r, sizeof b);
}

char *sim_authz_reason(const struct sim_authz_request *rq)
{
    if (builtin_allowed(rq)) {
        if (is(rq->user, "admin"))
            return xstrdup("RBAC: allowed by ClusterRoleBinding \"kargo-admin\" of ClusterRole "
                           "\"kargo-admin\" to User \"admin\"");
        if (is(rq->user, "promoter"))
            return xstrdup("RBAC: allowed by RoleBinding \"kargo-promoter\" of Role "
                           "\"kargo-promoter\" to User \"promoter\"");
        if (is(rq->user, "viewer"))
            return xstrdup("RBAC: allowed by ClusterRoleBinding \"kargo-viewer\" of ClusterRole "
                           "\"kargo-viewer\" to User \"viewer\"");
        return xstrdup("allowed");
    }
    char b[256], r[256];
    if (!rbac_allowed(rq, b, r, sizeof b))
        return NULL;
    return xasprintf("RBAC: allowed by RoleBinding \"%s/%s\" of Role \"%s\" to User \"%s\"", b,
                     rq->ns, r, rq->user);
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

static const struct rule basic_rules[] = {
    {"create", "authorization.k8s.io", "selfsubjectaccessreviews,selfsubjectrulesreviews"},
    {NULL, NULL, NULL}};

cJSON *sim_authz_rules(const struct sim_authz_request *rq)
{
    const char *user = rq->user;
    const struct rule *rules = is(user, "admin")      ? admin_rules
                               : is(user, "promoter") ? promoter_rules
                               : is(user, "viewer")   ? viewer_rules
                               : user != NULL         ? basic_rules
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
    /* and the rules of the Roles bound to the user in the namespace, resourceNames included */
    struct sim_status *err = NULL;
    cJSON *bindings = rq->store != NULL && !empty(rq->ns) && user != NULL
                          ? sim_store_list(rq->store, "rolebindings", rq->ns, NULL, &err)
                          : NULL;
    sim_status_free(err);
    const cJSON *b;
    cJSON_ArrayForEach(b, bindings)
    {
        const char *rname = json_get_string(b, "roleRef", "name", (char *)NULL);
        if (!is(json_get_string(b, "roleRef", "kind", (char *)NULL), "Role") || rname == NULL ||
            !subject_matches(json_get(b, "subjects", (char *)NULL), rq, rq->ns))
            continue;
        err = NULL;
        cJSON *role = sim_store_get(rq->store, "roles", rq->ns, rname, &err);
        sim_status_free(err);
        const cJSON *rule;
        cJSON_ArrayForEach(rule, json_get(role, "rules", (char *)NULL))
        {
            cJSON *o = cJSON_CreateObject();
            static const char *const keys[] = {"verbs", "apiGroups", "resources", "resourceNames"};
            for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
                const cJSON *v = json_get(rule, keys[k], (char *)NULL);
                if (v != NULL)
                    cJSON_AddItemToObject(o, keys[k], cJSON_Duplicate(v, true));
            }
            cJSON_AddItemToArray(rr, o);
        }
        cJSON_Delete(role);
    }
    cJSON_Delete(bindings);
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
