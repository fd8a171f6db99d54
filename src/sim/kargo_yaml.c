/* YAML documents to cJSON for the built-in scenarios compiled into the binary (files given by path
 * go through the server's own loader, sim_load_file). Scalars resolve as YAML 1.2's core schema
 * does for the values Kubernetes objects hold: null, booleans, integers and floats when plain,
 * strings otherwise. */
#include "kargo_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "util/xalloc.h"

static cJSON *scalar(const yaml_node_t *n)
{
    const char *v = (const char *)n->data.scalar.value;
    size_t len = n->data.scalar.length;
    if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return cJSON_CreateString(v);
    if (len == 0 || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 || strcmp(v, "Null") == 0)
        return cJSON_CreateNull();
    if (strcmp(v, "true") == 0 || strcmp(v, "True") == 0)
        return cJSON_CreateTrue();
    if (strcmp(v, "false") == 0 || strcmp(v, "False") == 0)
        return cJSON_CreateFalse();
    char *end = NULL;
    errno = 0;
    double d = strtod(v, &end);
    if (errno == 0 && end == v + len && len > 0 && strspn(v, "+-0123456789.eE") == len)
        return cJSON_CreateNumber(d);
    return cJSON_CreateString(v);
}

static cJSON *convert(yaml_document_t *doc, const yaml_node_t *n, int depth)
{
    if (n == NULL || depth > 64)
        return cJSON_CreateNull();
    switch (n->type) {
    case YAML_SCALAR_NODE:
        return scalar(n);
    case YAML_SEQUENCE_NODE: {
        cJSON *arr = cJSON_CreateArray();
        for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top;
             i++)
            cJSON_AddItemToArray(arr, convert(doc, yaml_document_get_node(doc, *i), depth + 1));
        return arr;
    }
    case YAML_MAPPING_NODE: {
        cJSON *obj = cJSON_CreateObject();
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
             p++) {
            const yaml_node_t *k = yaml_document_get_node(doc, p->key);
            if (k == NULL || k->type != YAML_SCALAR_NODE)
                continue;
            cJSON_AddItemToObject(obj, (const char *)k->data.scalar.value,
                                  convert(doc, yaml_document_get_node(doc, p->value), depth + 1));
        }
        return obj;
    }
    default:
        return cJSON_CreateNull();
    }
}

int kargo_yaml_each(const char *name, const char *text, size_t len,
                    void (*each)(void *ctx, cJSON *obj), void *ctx, char **cause)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        cause_set(cause, "%s: cannot start the YAML parser", name);
        return -1;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    int count = 0;
    for (;;) {
        yaml_document_t doc;
        if (!yaml_parser_load(&parser, &doc)) {
            cause_set(cause, "%s:%zu: %s", name, parser.problem_mark.line + 1,
                      parser.problem ? parser.problem : "invalid YAML");
            yaml_parser_delete(&parser);
            return -1;
        }
        yaml_node_t *root = yaml_document_get_root_node(&doc);
        if (root == NULL) {
            yaml_document_delete(&doc);
            break;
        }
        cJSON *obj = convert(&doc, root, 0);
        yaml_document_delete(&doc);
        if (cJSON_IsObject(obj)) {
            each(ctx, obj);
            count++;
        } else {
            cJSON_Delete(obj);
        }
    }
    yaml_parser_delete(&parser);
    return count;
}
