/* CRD defaults, required fields, name rules and list types, as the API server applies them on
 * write. */
#include "sim/schema.h"

#include <pthread.h>
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

/* ---- list types ---------------------------------------------------------------------------- */

#define MAX_KEYS 4

struct list_type {
    char *plural; /* NULL: every resource (ObjectMeta) */
    char *path;
    enum sim_list_type type;
    const char *keys[MAX_KEYS + 1];
};

static struct list_type *list_types;
static size_t nlist_types, list_types_cap;
static pthread_once_t list_types_once = PTHREAD_ONCE_INIT;

static void list_type_add(const char *plural, const char *path, enum sim_list_type type,
                          const cJSON *keys)
{
    list_types =
        xreallocarray_grow(list_types, &list_types_cap, nlist_types + 1, sizeof *list_types);
    struct list_type *t = &list_types[nlist_types++];
    memset(t, 0, sizeof *t);
    t->plural = plural != NULL ? xstrdup(plural) : NULL;
    t->path = xstrdup(path);
    t->type = type;
    int n = 0;
    const cJSON *k;
    cJSON_ArrayForEach(k, keys)
    {
        if (cJSON_IsString(k) && n < MAX_KEYS)
            t->keys[n++] = xstrdup(k->valuestring);
    }
}

static void schema_walk(const char *plural, const cJSON *node, const char *path)
{
    const char *type = json_get_string(node, "type", (char *)NULL);
    if (type != NULL && strcmp(type, "array") == 0) {
        const char *lt = json_get_string(node, "x-kubernetes-list-type", (char *)NULL);
        if (lt != NULL && strcmp(lt, "map") == 0)
            list_type_add(plural, path, SIM_LIST_MAP,
                          json_get(node, "x-kubernetes-list-map-keys", (char *)NULL));
        else if (lt != NULL && strcmp(lt, "set") == 0)
            list_type_add(plural, path, SIM_LIST_SET, NULL);
        char *ipath = xasprintf("%s[]", path);
        schema_walk(plural, json_get(node, "items", (char *)NULL), ipath);
        free(ipath);
        return;
    }
    const cJSON *prop;
    cJSON_ArrayForEach(prop, json_get(node, "properties", (char *)NULL))
    {
        char *cpath =
            path[0] != '\0' ? xasprintf("%s.%s", path, prop->string) : xstrdup(prop->string);
        schema_walk(plural, prop, cpath);
        free(cpath);
    }
}

static void list_types_load(void)
{
    cJSON *uid = cJSON_CreateStringArray((const char *const[]){"uid"}, 1);
    list_type_add(NULL, "metadata.ownerReferences", SIM_LIST_MAP, uid);
    cJSON_Delete(uid);
    list_type_add(NULL, "metadata.finalizers", SIM_LIST_SET, NULL);
    for (const struct sim_crd *c = sim_crds; c->plural != NULL; c++) {
        cJSON *docs = sim_yaml_parse(c->yaml, c->len, c->plural, NULL, NULL);
        const cJSON *v;
        cJSON_ArrayForEach(v,
                           json_get(cJSON_GetArrayItem(docs, 0), "spec", "versions", (char *)NULL))
        {
            schema_walk(c->plural, json_get(v, "schema", "openAPIV3Schema", (char *)NULL), "");
        }
        cJSON_Delete(docs);
    }
}

enum sim_list_type sim_schema_list_type(const struct sim_resource *r, const char *path,
                                        const char *const **keys)
{
    pthread_once(&list_types_once, list_types_load);
    for (size_t i = 0; i < nlist_types; i++) {
        const struct list_type *t = &list_types[i];
        if ((t->plural == NULL || strcmp(t->plural, r->plural) == 0) &&
            strcmp(t->path, path) == 0) {
            if (keys != NULL)
                *keys = t->keys;
            return t->type;
        }
    }
    return SIM_LIST_ATOMIC;
}

void sim_schema_default(const struct sim_resource *r, cJSON *obj)
{
    if (strcmp(r->plural, "warehouses") == 0) {
        cJSON *spec = cJSON_GetObjectItemCaseSensitive(obj, "spec");
        if (cJSON_IsObject(spec)) {
            if (cJSON_GetObjectItemCaseSensitive(spec, "interval") == NULL)
                cJSON_AddStringToObject(spec, "interval", "5m0s");
            if (cJSON_GetObjectItemCaseSensitive(spec, "freightCreationPolicy") == NULL)
                cJSON_AddStringToObject(spec, "freightCreationPolicy", "Automatic");
        }
    }
}

/* Walks the segments of a required path ("spec.requestedFreight[].origin") below node, reporting
 * the last segment missing from every object its parent path reaches. */
static void check_required(const cJSON *node, char **segs, int nseg, int i, const char *field,
                           struct sim_status *st)
{
    if (!cJSON_IsObject(node))
        return;
    char *seg = segs[i];
    size_t len = strlen(seg);
    bool array = len > 2 && strcmp(seg + len - 2, "[]") == 0;
    char key[128];
    snprintf(key, sizeof key, "%.*s", (int)(array ? len - 2 : len), seg);
    const cJSON *child = cJSON_GetObjectItemCaseSensitive(node, key);
    char *path = field[0] != '\0' ? xasprintf("%s.%s", field, key) : xstrdup(key);
    if (i == nseg - 1) {
        if (child == NULL || cJSON_IsNull(child))
            sim_status_add_cause(st, "FieldValueRequired", "Required value", path);
    } else if (child != NULL) {
        if (array) {
            int n = cJSON_GetArraySize(child);
            for (int k = 0; cJSON_IsArray(child) && k < n; k++) {
                char *ipath = xasprintf("%s[%d]", path, k);
                check_required(cJSON_GetArrayItem(child, k), segs, nseg, i + 1, ipath, st);
                free(ipath);
            }
        } else {
            check_required(child, segs, nseg, i + 1, path, st);
        }
    }
    free(path);
}

static bool dns_label(const char *s, size_t len)
{
    if (len == 0 || len > 63)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && (c != '-' || i == 0 || i == len - 1))
            return false;
    }
    return true;
}

static bool dns_subdomain(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len > 253)
        return false;
    const char *p = s;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t l = dot != NULL ? (size_t)(dot - p) : strlen(p);
        if (!dns_label(p, l))
            return false;
        if (dot == NULL)
            return true;
        p = dot + 1;
    }
}

struct sim_status *sim_schema_validate(const struct sim_resource *r, const cJSON *obj)
{
    const char *name = json_get_string(obj, "metadata", "name", (char *)NULL);
    struct sim_status *st = sim_status_invalid(r, name);
    if (name == NULL || name[0] == '\0') {
        sim_status_add_cause(st, "FieldValueRequired",
                             "Required value: name or generateName is required", "metadata.name");
    } else if (strcmp(r->plural, "namespaces") == 0 ? !dns_label(name, strlen(name))
                                                    : !dns_subdomain(name)) {
        char *msg =
            strcmp(r->plural, "namespaces") == 0
                ? xasprintf("Invalid value: \"%s\": a lowercase RFC 1123 label must consist of "
                            "lower case alphanumeric characters or '-', and must start and end "
                            "with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
                            "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
                            name)
                : xasprintf("Invalid value: \"%s\": a lowercase RFC 1123 subdomain must consist "
                            "of lower case alphanumeric characters, '-' or '.', and must start "
                            "and end with an alphanumeric character (e.g. 'example.com', regex "
                            "used for validation is "
                            "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
                            name);
        sim_status_add_cause(st, "FieldValueInvalid", msg, "metadata.name");
        free(msg);
    }
    for (size_t i = 0; r->required[i] != NULL; i++) {
        char *copy = xstrdup(r->required[i]);
        char *segs[16];
        int nseg = 0;
        char *save = NULL;
        for (char *tok = strtok_r(copy, ".", &save); tok != NULL && nseg < 16;
             tok = strtok_r(NULL, ".", &save))
            segs[nseg++] = tok;
        check_required(obj, segs, nseg, 0, "", st);
        free(copy);
    }
    if (st->causes == NULL) {
        sim_status_free(st);
        return NULL;
    }
    sim_status_invalid_finish(st);
    return st;
}
