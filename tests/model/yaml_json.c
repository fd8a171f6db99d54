/* libyaml's event stream folded into cJSON trees: mappings to objects, sequences to arrays, plain
 * scalars typed as YAML 1.2's core schema does (null, booleans, numbers), everything else a
 * string. Anchors and aliases do not occur in the fixtures and become null. */
#include "yaml_json.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "util/json.h"
#include "util/xalloc.h"

static bool is_number(const char *s)
{
    const char *p = s;
    if (*p == '-' || *p == '+')
        p++;
    if (!isdigit((unsigned char)*p))
        return false;
    while (isdigit((unsigned char)*p))
        p++;
    if (*p == '.') {
        p++;
        while (isdigit((unsigned char)*p))
            p++;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '-' || *p == '+')
            p++;
        while (isdigit((unsigned char)*p))
            p++;
    }
    return *p == '\0';
}

static cJSON *scalar(const yaml_event_t *ev)
{
    const char *v = (const char *)ev->data.scalar.value;
    if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return cJSON_CreateString(v);
    if (*v == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0)
        return cJSON_CreateNull();
    if (strcmp(v, "true") == 0)
        return cJSON_CreateTrue();
    if (strcmp(v, "false") == 0)
        return cJSON_CreateFalse();
    if (is_number(v))
        return cJSON_CreateNumber(strtod(v, NULL));
    return cJSON_CreateString(v);
}

/* Builds the node that starts with ev (already taken from the parser). */
static cJSON *node(yaml_parser_t *p, yaml_event_t *ev, char **cause)
{
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        return scalar(ev);
    case YAML_ALIAS_EVENT:
        return cJSON_CreateNull();
    case YAML_SEQUENCE_START_EVENT: {
        cJSON *arr = cJSON_CreateArray();
        for (;;) {
            yaml_event_t e;
            if (!yaml_parser_parse(p, &e)) {
                cause_set(cause, "YAML error: %s", p->problem ? p->problem : "?");
                cJSON_Delete(arr);
                return NULL;
            }
            if (e.type == YAML_SEQUENCE_END_EVENT) {
                yaml_event_delete(&e);
                return arr;
            }
            cJSON *child = node(p, &e, cause);
            yaml_event_delete(&e);
            if (child == NULL) {
                cJSON_Delete(arr);
                return NULL;
            }
            cJSON_AddItemToArray(arr, child);
        }
    }
    case YAML_MAPPING_START_EVENT: {
        cJSON *obj = cJSON_CreateObject();
        for (;;) {
            yaml_event_t k;
            if (!yaml_parser_parse(p, &k)) {
                cause_set(cause, "YAML error: %s", p->problem ? p->problem : "?");
                cJSON_Delete(obj);
                return NULL;
            }
            if (k.type == YAML_MAPPING_END_EVENT) {
                yaml_event_delete(&k);
                return obj;
            }
            if (k.type != YAML_SCALAR_EVENT) {
                yaml_event_delete(&k);
                cause_set(cause, "YAML mapping key is not a scalar");
                cJSON_Delete(obj);
                return NULL;
            }
            char *key = xstrdup((const char *)k.data.scalar.value);
            yaml_event_delete(&k);
            yaml_event_t v;
            if (!yaml_parser_parse(p, &v)) {
                cause_set(cause, "YAML error: %s", p->problem ? p->problem : "?");
                free(key);
                cJSON_Delete(obj);
                return NULL;
            }
            cJSON *child = node(p, &v, cause);
            yaml_event_delete(&v);
            if (child == NULL) {
                free(key);
                cJSON_Delete(obj);
                return NULL;
            }
            cJSON_AddItemToObject(obj, key, child);
            free(key);
        }
    }
    default:
        cause_set(cause, "unexpected YAML event %d", (int)ev->type);
        return NULL;
    }
}

cJSON *yaml_json_load(const char *path, char **cause)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        cause_set(cause, "cannot open %s", path);
        return NULL;
    }
    yaml_parser_t p;
    yaml_parser_initialize(&p);
    yaml_parser_set_input_file(&p, f);
    cJSON *docs = cJSON_CreateArray();
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            cause_set(cause, "%s: YAML error: %s", path, p.problem ? p.problem : "?");
            cJSON_Delete(docs);
            docs = NULL;
            break;
        }
        yaml_event_type_t t = ev.type;
        if (t == YAML_SCALAR_EVENT || t == YAML_SEQUENCE_START_EVENT ||
            t == YAML_MAPPING_START_EVENT) {
            cJSON *root = node(&p, &ev, cause);
            if (root == NULL) {
                yaml_event_delete(&ev);
                cJSON_Delete(docs);
                docs = NULL;
                break;
            }
            if (cJSON_IsNull(root))
                cJSON_Delete(root);
            else
                cJSON_AddItemToArray(docs, root);
        }
        yaml_event_delete(&ev);
        if (t == YAML_STREAM_END_EVENT)
            break;
    }
    yaml_parser_delete(&p);
    fclose(f);
    return docs;
}

const cJSON *yaml_json_find(const cJSON *docs, const char *kind, const char *name)
{
    const cJSON *d;
    cJSON_ArrayForEach(d, docs)
    {
        const char *k = json_get_string(d, "kind", NULL);
        const char *n = json_get_string(d, "metadata", "name", NULL);
        if (k && strcmp(k, kind) == 0 && (name == NULL || (n && strcmp(n, name) == 0)))
            return d;
    }
    return NULL;
}

cJSON *json_file_load(const char *path, char **cause)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        cause_set(cause, "cannot open %s", path);
        return NULL;
    }
    size_t cap = 4096, len = 0;
    char *buf = xmalloc(cap);
    size_t got;
    while ((got = fread(buf + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap)
            buf = xrealloc(buf, cap *= 2);
    }
    fclose(f);
    cJSON *j = json_parse(buf, len, cause);
    free(buf);
    return j;
}

int fixture_kind(const char *kind)
{
    static const struct {
        const char *name;
        enum kargo_kind kind;
    } kinds[] = {
        {"Project", KARGO_PROJECT},     {"ProjectConfig", KARGO_PROJECT_CONFIG},
        {"Warehouse", KARGO_WAREHOUSE}, {"Stage", KARGO_STAGE},
        {"Freight", KARGO_FREIGHT},     {"Promotion", KARGO_PROMOTION},
        {"Event", KARGO_EVENT},
    };
    for (size_t i = 0; kind != NULL && i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kinds[i].name, kind) == 0)
            return (int)kinds[i].kind;
    return -1;
}

int fixture_apply_all(struct store *st, const cJSON *objects)
{
    int n = 0;
    const cJSON *o;
    cJSON_ArrayForEach(o, objects)
    {
        int k = fixture_kind(json_get_string(o, "kind", NULL));
        if (k < 0)
            continue;
        char *cause = NULL;
        if (store_apply(st, (enum kargo_kind)k, STORE_ADDED, o, &cause) != 0) {
            fprintf(stderr, "fixture: %s\n", cause);
            free(cause);
            return -1;
        }
        n++;
    }
    return n;
}

int fixture_load(struct store *st, const char *name)
{
    char *path = xasprintf("%s/tests/model/fixtures/%s", KT_SOURCE_DIR, name);
    char *cause = NULL;
    cJSON *list = json_file_load(path, &cause);
    free(path);
    if (list == NULL) {
        fprintf(stderr, "fixture: %s\n", cause);
        free(cause);
        return -1;
    }
    int n = fixture_apply_all(st, json_get(list, "items", NULL));
    cJSON_Delete(list);
    return n;
}
