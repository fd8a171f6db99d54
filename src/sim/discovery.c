/* Discovery documents as kube-apiserver 1.32 with the Kargo CRDs installed serves them. */
#include "sim/discovery.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/crds.h"
#include "sim/resource.h"
#include "sim/yaml.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

cJSON *sim_discovery_version(void)
{
    cJSON *v = cJSON_CreateObject();
    cJSON_AddStringToObject(v, "major", "1");
    cJSON_AddStringToObject(v, "minor", "32");
    cJSON_AddStringToObject(v, "gitVersion", "v1.32.0-kargo-sim");
    cJSON_AddStringToObject(v, "gitCommit", "0000000000000000000000000000000000000000");
    cJSON_AddStringToObject(v, "gitTreeState", "clean");
    cJSON_AddStringToObject(v, "buildDate", "2026-01-01T00:00:00Z");
    cJSON_AddStringToObject(v, "goVersion", "go1.23.0");
    cJSON_AddStringToObject(v, "compiler", "gc");
    cJSON_AddStringToObject(v, "platform", "linux/amd64");
    return v;
}

cJSON *sim_discovery_api(const char *server_address)
{
    cJSON *v = cJSON_CreateObject();
    cJSON_AddStringToObject(v, "kind", "APIVersions");
    cJSON *vs = cJSON_AddArrayToObject(v, "versions");
    cJSON_AddItemToArray(vs, cJSON_CreateString("v1"));
    cJSON *addrs = cJSON_AddArrayToObject(v, "serverAddressByClientCIDRs");
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "clientCIDR", "0.0.0.0/0");
    cJSON_AddStringToObject(a, "serverAddress", server_address);
    cJSON_AddItemToArray(addrs, a);
    return v;
}

static cJSON *group_doc(const char *group, const char *version)
{
    cJSON *g = cJSON_CreateObject();
    cJSON_AddStringToObject(g, "name", group);
    cJSON *vs = cJSON_AddArrayToObject(g, "versions");
    cJSON *gv = cJSON_CreateObject();
    char *s = xasprintf("%s/%s", group, version);
    cJSON_AddStringToObject(gv, "groupVersion", s);
    cJSON_AddStringToObject(gv, "version", version);
    cJSON_AddItemToArray(vs, gv);
    cJSON *pv = cJSON_AddObjectToObject(g, "preferredVersion");
    cJSON_AddStringToObject(pv, "groupVersion", s);
    cJSON_AddStringToObject(pv, "version", version);
    free(s);
    return g;
}

/* The named groups, each once, in table order. */
static size_t groups(const char **out, const char **versions, size_t max)
{
    size_t n = 0, count;
    const struct sim_resource *rs = sim_resource_all(&count);
    for (size_t i = 0; i < count; i++) {
        if (rs[i].group[0] == '\0')
            continue;
        bool seen = false;
        for (size_t k = 0; k < n; k++)
            seen = seen || strcmp(out[k], rs[i].group) == 0;
        if (!seen && n < max) {
            versions[n] = rs[i].version;
            out[n++] = rs[i].group;
        }
    }
    return n;
}

cJSON *sim_discovery_groups(void)
{
    const char *gs[8], *vs[8];
    size_t n = groups(gs, vs, 8);
    cJSON *l = cJSON_CreateObject();
    cJSON_AddStringToObject(l, "kind", "APIGroupList");
    cJSON_AddStringToObject(l, "apiVersion", "v1");
    cJSON *arr = cJSON_AddArrayToObject(l, "groups");
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(arr, group_doc(gs[i], vs[i]));
    return l;
}

cJSON *sim_discovery_group(const char *group)
{
    const char *gs[8], *vs[8];
    size_t n = groups(gs, vs, 8);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(gs[i], group) != 0)
            continue;
        cJSON *g = group_doc(gs[i], vs[i]);
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "kind", "APIGroup");
        cJSON_AddStringToObject(d, "apiVersion", "v1");
        cJSON *it = g->child;
        while (it != NULL) {
            cJSON *next = it->next;
            cJSON_AddItemToObject(d, it->string, cJSON_DetachItemViaPointer(g, it));
            it = next;
        }
        cJSON_Delete(g);
        return d;
    }
    return NULL;
}

static void add_strings(cJSON *obj, const char *key, const char *const *v)
{
    cJSON *a = cJSON_AddArrayToObject(obj, key);
    for (size_t i = 0; v[i] != NULL; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
}

cJSON *sim_discovery_resources(const char *group, const char *version)
{
    static const char *const all_verbs[] = {"create", "delete", "get",   "list",
                                            "patch",  "update", "watch", NULL};
    static const char *const status_verbs[] = {"get", "patch", "update", NULL};
    static const char *const create_only[] = {"create", NULL};
    size_t count;
    const struct sim_resource *rs = sim_resource_all(&count);
    cJSON *l = NULL, *arr = NULL;
    for (size_t i = 0; i < count; i++) {
        const struct sim_resource *r = &rs[i];
        if (strcmp(r->group, group) != 0 || strcmp(r->version, version) != 0)
            continue;
        if (l == NULL) {
            l = cJSON_CreateObject();
            cJSON_AddStringToObject(l, "kind", "APIResourceList");
            cJSON_AddStringToObject(l, "apiVersion", "v1");
            cJSON_AddStringToObject(l, "groupVersion", r->api_version);
            arr = cJSON_AddArrayToObject(l, "resources");
        }
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "name", r->plural);
        cJSON_AddStringToObject(e, "singularName", r->singular);
        cJSON_AddBoolToObject(e, "namespaced", r->namespaced);
        cJSON_AddStringToObject(e, "kind", r->kind);
        add_strings(e, "verbs", r->storable ? all_verbs : create_only);
        if (r->short_names[0] != NULL)
            add_strings(e, "shortNames", r->short_names);
        cJSON_AddItemToArray(arr, e);
        if (r->has_status) {
            cJSON *st = cJSON_CreateObject();
            char *name = xasprintf("%s/status", r->plural);
            cJSON_AddStringToObject(st, "name", name);
            free(name);
            cJSON_AddStringToObject(st, "singularName", "");
            cJSON_AddBoolToObject(st, "namespaced", r->namespaced);
            cJSON_AddStringToObject(st, "kind", r->kind);
            add_strings(st, "verbs", status_verbs);
            cJSON_AddItemToArray(arr, st);
        }
    }
    if (l == NULL && group[0] != '\0') {
        /* A known group without resources in that version still answers. */
        return NULL;
    }
    return l;
}

static const char *gv_path(const struct sim_resource *r, char *buf, size_t len)
{
    if (r->group[0] == '\0')
        snprintf(buf, len, "api/%s", r->version);
    else
        snprintf(buf, len, "apis/%s/%s", r->group, r->version);
    return buf;
}

cJSON *sim_discovery_openapi_root(void)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *paths = cJSON_AddObjectToObject(root, "paths");
    size_t count;
    const struct sim_resource *rs = sim_resource_all(&count);
    for (size_t i = 0; i < count; i++) {
        char p[128];
        gv_path(&rs[i], p, sizeof p);
        if (cJSON_GetObjectItemCaseSensitive(paths, p) != NULL)
            continue;
        cJSON *e = cJSON_AddObjectToObject(paths, p);
        char *url = xasprintf("/openapi/v3/%s?hash=%s", p, "0000000000000002");
        cJSON_AddStringToObject(e, "serverRelativeURL", url);
        free(url);
    }
    return root;
}

/* The CRD's openAPIV3Schema for r, named and tagged as kube-apiserver publishes it
 * ("com.akuity.kargo.v1alpha1.Stage" with x-kubernetes-group-version-kind), so that
 * `kubectl explain stage.spec` works; NULL when r is no embedded CRD. */
static cJSON *crd_schema(const struct sim_resource *r, char **name)
{
    const struct sim_crd *c = sim_crds;
    while (c->plural != NULL && strcmp(c->plural, r->plural) != 0)
        c++;
    if (c->plural == NULL)
        return NULL;
    cJSON *docs = sim_yaml_parse(c->yaml, c->len, c->plural, NULL, NULL);
    const cJSON *v, *schema = NULL;
    cJSON_ArrayForEach(v, json_get(cJSON_GetArrayItem(docs, 0), "spec", "versions", (char *)NULL))
    {
        const char *vn = json_get_string(v, "name", (char *)NULL);
        if (vn != NULL && strcmp(vn, r->version) == 0)
            schema = json_get(v, "schema", "openAPIV3Schema", (char *)NULL);
    }
    cJSON *out = schema != NULL ? cJSON_Duplicate(schema, true) : NULL;
    cJSON_Delete(docs);
    if (out == NULL)
        return NULL;
    cJSON *gvks = cJSON_AddArrayToObject(out, "x-kubernetes-group-version-kind");
    cJSON *gvk = cJSON_CreateObject();
    cJSON_AddStringToObject(gvk, "group", r->group);
    cJSON_AddStringToObject(gvk, "kind", r->kind);
    cJSON_AddStringToObject(gvk, "version", r->version);
    cJSON_AddItemToArray(gvks, gvk);
    /* kargo.akuity.io -> com.akuity.kargo */
    struct strbuf rev;
    strbuf_init(&rev);
    char *grp = xstrdup(r->group);
    for (char *dot = strrchr(grp, '.'); dot != NULL; dot = strrchr(grp, '.')) {
        strbuf_appendf(&rev, "%s.", dot + 1);
        *dot = '\0';
    }
    strbuf_appendf(&rev, "%s", grp);
    free(grp);
    *name = xasprintf("%s.%s.%s", rev.buf, r->version, r->kind);
    strbuf_free(&rev);
    return out;
}

cJSON *sim_discovery_openapi_gv(const char *group, const char *version)
{
    size_t count;
    const struct sim_resource *rs = sim_resource_all(&count);
    cJSON *doc = NULL, *paths = NULL;
    for (size_t i = 0; i < count; i++) {
        const struct sim_resource *r = &rs[i];
        if (strcmp(r->group, group) != 0 || strcmp(r->version, version) != 0)
            continue;
        if (doc == NULL) {
            doc = cJSON_CreateObject();
            cJSON_AddStringToObject(doc, "openapi", "3.0.0");
            cJSON *info = cJSON_AddObjectToObject(doc, "info");
            cJSON_AddStringToObject(info, "title", "Kubernetes");
            cJSON_AddStringToObject(info, "version", "v1.32.0");
            paths = cJSON_AddObjectToObject(doc, "paths");
            cJSON_AddObjectToObject(cJSON_AddObjectToObject(doc, "components"), "schemas");
        }
        if (!r->storable)
            continue;
        char base[128];
        gv_path(r, base, sizeof base);
        char *p = r->namespaced ? xasprintf("/%s/namespaces/{namespace}/%s/{name}", base, r->plural)
                                : xasprintf("/%s/%s/{name}", base, r->plural);
        cJSON *item = cJSON_AddObjectToObject(paths, p);
        free(p);
        cJSON *patch = cJSON_AddObjectToObject(item, "patch");
        char *op = xasprintf("patch%s", r->kind);
        cJSON_AddStringToObject(patch, "operationId", op);
        free(op);
        cJSON *params = cJSON_AddArrayToObject(patch, "parameters");
        static const char *const qp[] = {"dryRun", "fieldManager", "fieldValidation", "force",
                                         NULL};
        for (size_t k = 0; qp[k] != NULL; k++) {
            cJSON *prm = cJSON_CreateObject();
            cJSON_AddStringToObject(prm, "name", qp[k]);
            cJSON_AddStringToObject(prm, "in", "query");
            cJSON_AddStringToObject(cJSON_AddObjectToObject(prm, "schema"), "type",
                                    strcmp(qp[k], "force") == 0 ? "boolean" : "string");
            cJSON_AddItemToArray(params, prm);
        }
        cJSON *resp = cJSON_AddObjectToObject(cJSON_AddObjectToObject(patch, "responses"), "200");
        cJSON_AddStringToObject(resp, "description", "OK");
        cJSON *gvk = cJSON_AddObjectToObject(patch, "x-kubernetes-group-version-kind");
        cJSON_AddStringToObject(gvk, "group", r->group);
        cJSON_AddStringToObject(gvk, "version", r->version);
        cJSON_AddStringToObject(gvk, "kind", r->kind);
        cJSON_AddStringToObject(patch, "x-kubernetes-action", "patch");
        char *sname = NULL;
        cJSON *schema = crd_schema(r, &sname);
        if (schema != NULL)
            cJSON_AddItemToObject(json_ensure_object(doc, "components", "schemas", (char *)NULL),
                                  sname, schema);
        free(sname);
    }
    return doc;
}
