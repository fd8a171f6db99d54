/* Tables for kubectl, computed the way apiextensions-apiserver's table convertor does. */
#include "sim/printer.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/resource.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

/* Reads one key of a path: characters up to an unescaped ".[=)"; "\\." is a dot. */
static const char *read_key(const char *p, struct strbuf *key)
{
    strbuf_reset(key);
    while (*p != '\0' && !strchr(".[=)", *p)) {
        if (*p == '\\' && p[1] != '\0')
            p++;
        strbuf_append_char(key, *p++);
    }
    return p;
}

const cJSON *sim_printer_jsonpath(const cJSON *obj, const char *path)
{
    const cJSON *node = obj;
    const char *p = path;
    struct strbuf key;
    strbuf_init(&key);
    if (*p == '{')
        p++;
    while (node != NULL && *p != '\0' && *p != '}') {
        if (*p == '.') {
            p = read_key(p + 1, &key);
            node = cJSON_IsObject(node) ? cJSON_GetObjectItemCaseSensitive(node, key.buf) : NULL;
        } else if (strncmp(p, "[?(@.", 5) == 0) {
            /* [?(@.field=="value")] : the first array element whose field equals value. */
            const char *q = read_key(p + 5, &key);
            char *field = xstrdup(key.buf);
            const cJSON *found = NULL;
            if (strncmp(q, "==\"", 3) == 0) {
                const char *vs = q + 3, *ve = strchr(vs, '"');
                if (ve != NULL) {
                    char *want = xstrndup(vs, (size_t)(ve - vs));
                    const cJSON *it, *arr = cJSON_IsArray(node) ? node : NULL;
                    cJSON_ArrayForEach(it, arr)
                    {
                        const char *v = json_get_string(it, field, (char *)NULL);
                        if (v != NULL && strcmp(v, want) == 0) {
                            found = it;
                            break;
                        }
                    }
                    free(want);
                    q = ve + 1;
                }
            }
            free(field);
            const char *close = strstr(q, ")]");
            p = close != NULL ? close + 2 : q + strlen(q);
            node = found;
        } else if (*p == '[') {
            char *end;
            long idx = strtol(p + 1, &end, 10);
            node = cJSON_IsArray(node) ? cJSON_GetArrayItem(node, (int)idx) : NULL;
            p = *end == ']' ? end + 1 : end;
        } else {
            node = NULL;
        }
    }
    strbuf_free(&key);
    return node;
}

static void add_column(cJSON *cols, const char *name, const char *type, const char *format,
                       const char *desc)
{
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "name", name);
    cJSON_AddStringToObject(c, "type", type);
    cJSON_AddStringToObject(c, "format", format);
    cJSON_AddStringToObject(c, "description", desc);
    cJSON_AddNumberToObject(c, "priority", 0);
    cJSON_AddItemToArray(cols, c);
}

cJSON *sim_printer_table(const struct sim_resource *r, const char *resource_version)
{
    cJSON *t = cJSON_CreateObject();
    cJSON_AddStringToObject(t, "kind", "Table");
    cJSON_AddStringToObject(t, "apiVersion", "meta.k8s.io/v1");
    cJSON *meta = cJSON_AddObjectToObject(t, "metadata");
    if (resource_version != NULL)
        cJSON_AddStringToObject(meta, "resourceVersion", resource_version);
    cJSON *cols = cJSON_AddArrayToObject(t, "columnDefinitions");
    add_column(cols, "Name", "string", "name",
               "Name must be unique within a namespace. Is required when creating resources, "
               "although some resources may allow a client to request the generation of an "
               "appropriate name automatically. Name is primarily intended for creation "
               "idempotence and configuration definition. Cannot be updated. More info: "
               "https://kubernetes.io/docs/concepts/overview/working-with-objects/"
               "names#names");
    for (const struct sim_printer_column *c = r->columns; c != NULL && c->name != NULL; c++)
        add_column(cols, c->name, c->type, "", c->description);
    cJSON_AddArrayToObject(t, "rows");
    return t;
}

static cJSON *cell(const struct sim_printer_column *c, const cJSON *obj, time_t now)
{
    const cJSON *v = sim_printer_jsonpath(obj, c->json_path);
    if (v == NULL || cJSON_IsNull(v))
        return cJSON_CreateNull();
    if (strcmp(c->type, "date") == 0 && cJSON_IsString(v)) {
        time_t t;
        if (timefmt_parse_rfc3339(v->valuestring, &t, NULL) == 0) {
            char buf[32];
            timefmt_kube_age((long long)(now - t), buf, sizeof buf);
            return cJSON_CreateString(buf);
        }
        return cJSON_CreateString(v->valuestring);
    }
    if (cJSON_IsString(v) || cJSON_IsNumber(v) || cJSON_IsBool(v))
        return cJSON_Duplicate(v, false);
    char *text = cJSON_PrintUnformatted(v);
    cJSON *s = cJSON_CreateString(text != NULL ? text : "");
    free(text);
    return s;
}

void sim_printer_add_row(const struct sim_resource *r, cJSON *table, const cJSON *obj, time_t now)
{
    cJSON *rows = cJSON_GetObjectItemCaseSensitive(table, "rows");
    cJSON *row = cJSON_CreateObject();
    cJSON *cells = cJSON_AddArrayToObject(row, "cells");
    const char *name = json_get_string(obj, "metadata", "name", (char *)NULL);
    cJSON_AddItemToArray(cells, cJSON_CreateString(name != NULL ? name : ""));
    for (const struct sim_printer_column *c = r->columns; c != NULL && c->name != NULL; c++)
        cJSON_AddItemToArray(cells, cell(c, obj, now));
    cJSON *po = cJSON_AddObjectToObject(row, "object");
    cJSON_AddStringToObject(po, "kind", "PartialObjectMetadata");
    cJSON_AddStringToObject(po, "apiVersion", "meta.k8s.io/v1");
    const cJSON *meta = json_get(obj, "metadata", (char *)NULL);
    cJSON_AddItemToObject(po, "metadata",
                          meta != NULL ? cJSON_Duplicate(meta, true) : cJSON_CreateObject());
    cJSON_AddItemToArray(rows, row);
}
