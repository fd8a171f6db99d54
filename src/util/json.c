/* Path access over cJSON. */
#include "util/json.h"

#include <stdarg.h>
#include <string.h>

#include "util/xalloc.h"

static const cJSON *json_vget(const cJSON *node, va_list ap)
{
    const char *key;
    while (node != NULL && (key = va_arg(ap, const char *)) != NULL) {
        if (!cJSON_IsObject(node))
            return NULL;
        node = cJSON_GetObjectItemCaseSensitive(node, key);
    }
    return node;
}

const cJSON *json_get(const cJSON *root, ...)
{
    va_list ap;
    va_start(ap, root);
    const cJSON *n = json_vget(root, ap);
    va_end(ap);
    return n;
}

const char *json_get_string(const cJSON *root, ...)
{
    va_list ap;
    va_start(ap, root);
    const cJSON *n = json_vget(root, ap);
    va_end(ap);
    return cJSON_IsString(n) ? n->valuestring : NULL;
}

bool json_get_number(const cJSON *root, double *out, ...)
{
    va_list ap;
    va_start(ap, out);
    const cJSON *n = json_vget(root, ap);
    va_end(ap);
    if (!cJSON_IsNumber(n))
        return false;
    *out = n->valuedouble;
    return true;
}

bool json_get_bool(const cJSON *root, bool *out, ...)
{
    va_list ap;
    va_start(ap, out);
    const cJSON *n = json_vget(root, ap);
    va_end(ap);
    if (!cJSON_IsBool(n))
        return false;
    *out = cJSON_IsTrue(n);
    return true;
}

cJSON *json_ensure_object(cJSON *root, ...)
{
    va_list ap;
    const char *key;
    cJSON *node = root;
    va_start(ap, root);
    while ((key = va_arg(ap, const char *)) != NULL) {
        cJSON *child = cJSON_GetObjectItemCaseSensitive(node, key);
        if (!cJSON_IsObject(child)) {
            child = cJSON_CreateObject();
            if (child == NULL)
                xalloc_fail(sizeof(cJSON));
            if (cJSON_GetObjectItemCaseSensitive(node, key) != NULL)
                cJSON_ReplaceItemInObjectCaseSensitive(node, key, child);
            else
                cJSON_AddItemToObject(node, key, child);
        }
        node = child;
    }
    va_end(ap);
    return node;
}

void json_set_string(cJSON *obj, const char *key, const char *value)
{
    cJSON *s = cJSON_CreateString(value);
    if (s == NULL)
        xalloc_fail(strlen(value));
    if (cJSON_GetObjectItemCaseSensitive(obj, key) != NULL)
        cJSON_ReplaceItemInObjectCaseSensitive(obj, key, s);
    else
        cJSON_AddItemToObject(obj, key, s);
}

cJSON *json_parse(const char *text, size_t len, char **cause)
{
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, false);
    if (root == NULL) {
        size_t off = end != NULL && end >= text ? (size_t)(end - text) : 0;
        if (len == 0)
            cause_set(cause, "empty JSON document");
        else if (off >= len)
            cause_set(cause, "JSON document ends early (after %zu bytes)", len);
        else
            cause_set(cause, "malformed JSON at byte %zu of %zu", off, len);
    }
    return root;
}
