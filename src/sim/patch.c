/* RFC 7386 merge patches and RFC 6902 JSON patches, applied to cJSON trees. */
#include "sim/patch.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

cJSON *sim_patch_merge(cJSON *target, const cJSON *patch)
{
    if (!cJSON_IsObject(patch)) {
        cJSON_Delete(target);
        return cJSON_Duplicate(patch, true);
    }
    if (!cJSON_IsObject(target)) {
        cJSON_Delete(target);
        target = cJSON_CreateObject();
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, patch)
    {
        if (cJSON_IsNull(it)) {
            cJSON_DeleteItemFromObjectCaseSensitive(target, it->string);
            continue;
        }
        /* Replaced in place, so that keys keep their order. */
        cJSON *cur = cJSON_GetObjectItemCaseSensitive(target, it->string);
        if (cur == NULL) {
            cJSON_AddItemToObject(target, it->string, sim_patch_merge(NULL, it));
        } else {
            cJSON *merged = sim_patch_merge(cJSON_Duplicate(cur, true), it);
            cJSON_ReplaceItemInObjectCaseSensitive(target, it->string, merged);
        }
    }
    return target;
}

/* A JSON pointer split into unescaped tokens ("~1" is '/', "~0" is '~'). */
struct pointer {
    char **tok;
    int n;
};

static void pointer_free(struct pointer *p)
{
    for (int i = 0; i < p->n; i++)
        free(p->tok[i]);
    free(p->tok);
}

static int pointer_parse(const char *s, struct pointer *p, char **cause)
{
    p->tok = NULL;
    p->n = 0;
    if (s[0] == '\0')
        return 0;
    if (s[0] != '/') {
        cause_set(cause, "invalid JSON pointer \"%s\"", s);
        return -1;
    }
    const char *c = s + 1;
    for (;;) {
        const char *end = strchr(c, '/');
        size_t len = end != NULL ? (size_t)(end - c) : strlen(c);
        char *t = xmalloc(len + 1);
        size_t k = 0;
        for (size_t i = 0; i < len; i++) {
            if (c[i] == '~' && i + 1 < len && (c[i + 1] == '0' || c[i + 1] == '1')) {
                t[k++] = c[i + 1] == '0' ? '~' : '/';
                i++;
            } else {
                t[k++] = c[i];
            }
        }
        t[k] = '\0';
        p->tok = xrealloc(p->tok, (size_t)(p->n + 1) * sizeof *p->tok);
        p->tok[p->n++] = t;
        if (end == NULL)
            return 0;
        c = end + 1;
    }
}

static bool array_index(const char *t, int size, bool allow_end, int *out)
{
    if (allow_end && strcmp(t, "-") == 0) {
        *out = size;
        return true;
    }
    if (t[0] == '\0' || (t[0] == '0' && t[1] != '\0'))
        return false;
    char *end;
    errno = 0;
    long v = strtol(t, &end, 10);
    if (*end != '\0' || errno != 0 || v < 0 || v > (allow_end ? size : size - 1))
        return false;
    *out = (int)v;
    return true;
}

/* The parent of the pointer's last token, or NULL. */
static cJSON *resolve_parent(cJSON *root, const struct pointer *p)
{
    cJSON *node = root;
    for (int i = 0; i < p->n - 1 && node != NULL; i++) {
        if (cJSON_IsObject(node)) {
            node = cJSON_GetObjectItemCaseSensitive(node, p->tok[i]);
        } else if (cJSON_IsArray(node)) {
            int idx;
            node = array_index(p->tok[i], cJSON_GetArraySize(node), false, &idx)
                       ? cJSON_GetArrayItem(node, idx)
                       : NULL;
        } else {
            node = NULL;
        }
    }
    return node;
}

static cJSON *resolve(cJSON *root, const struct pointer *p)
{
    if (p->n == 0)
        return root;
    cJSON *parent = resolve_parent(root, p);
    const char *last = p->tok[p->n - 1];
    if (cJSON_IsObject(parent))
        return cJSON_GetObjectItemCaseSensitive(parent, last);
    int idx;
    if (cJSON_IsArray(parent) && array_index(last, cJSON_GetArraySize(parent), false, &idx))
        return cJSON_GetArrayItem(parent, idx);
    return NULL;
}

/* Detaches the value at p; NULL if absent. */
static cJSON *detach(cJSON *root, const struct pointer *p)
{
    if (p->n == 0)
        return NULL;
    cJSON *parent = resolve_parent(root, p);
    const char *last = p->tok[p->n - 1];
    if (cJSON_IsObject(parent))
        return cJSON_DetachItemFromObjectCaseSensitive(parent, last);
    int idx;
    if (cJSON_IsArray(parent) && array_index(last, cJSON_GetArraySize(parent), false, &idx))
        return cJSON_DetachItemFromArray(parent, idx);
    return NULL;
}

/* Inserts v before index idx. cJSON_InsertItemInArray of cJSON 1.7.15 (Debian 12) fails on
 * valid input, so the tail is moved aside and back. */
static void array_insert(cJSON *arr, int idx, cJSON *v)
{
    cJSON *tail = cJSON_CreateArray();
    while (cJSON_GetArraySize(arr) > idx)
        cJSON_AddItemToArray(tail, cJSON_DetachItemFromArray(arr, idx));
    cJSON_AddItemToArray(arr, v);
    while (tail->child != NULL)
        cJSON_AddItemToArray(arr, cJSON_DetachItemFromArray(tail, 0));
    cJSON_Delete(tail);
}

/* Adds value (consumed) at p; the root itself is replaced through *root. */
static int add(cJSON **root, const struct pointer *p, cJSON *value, const char *path, char **cause)
{
    if (p->n == 0) {
        cJSON_Delete(*root);
        *root = value;
        return 0;
    }
    cJSON *parent = resolve_parent(*root, p);
    const char *last = p->tok[p->n - 1];
    if (cJSON_IsObject(parent)) {
        if (cJSON_GetObjectItemCaseSensitive(parent, last) != NULL)
            cJSON_ReplaceItemInObjectCaseSensitive(parent, last, value);
        else
            cJSON_AddItemToObject(parent, last, value);
        return 0;
    }
    int idx;
    if (cJSON_IsArray(parent) && array_index(last, cJSON_GetArraySize(parent), true, &idx)) {
        if (idx == cJSON_GetArraySize(parent))
            cJSON_AddItemToArray(parent, value);
        else
            array_insert(parent, idx, value);
        return 0;
    }
    cJSON_Delete(value);
    cause_set(cause, "doc is missing path: \"%s\": missing value", path);
    return -1;
}

static int apply_op(cJSON **root, const cJSON *op, char **cause)
{
    const cJSON *jop = cJSON_GetObjectItemCaseSensitive(op, "op");
    const cJSON *jpath = cJSON_GetObjectItemCaseSensitive(op, "path");
    if (!cJSON_IsString(jop) || !cJSON_IsString(jpath)) {
        cause_set(cause, "the server rejected our request due to an error in our request: "
                         "an operation lacks \"op\" or \"path\"");
        return -1;
    }
    const char *name = jop->valuestring, *path = jpath->valuestring;
    struct pointer p;
    if (pointer_parse(path, &p, cause) < 0)
        return -1;
    int rc = -1;
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(op, "value");
    if (strcmp(name, "add") == 0 || strcmp(name, "replace") == 0) {
        if (value == NULL) {
            cause_set(cause, "missing value for operation \"%s\" on \"%s\"", name, path);
        } else if (strcmp(name, "replace") == 0 && resolve(*root, &p) == NULL) {
            cause_set(cause, "replace operation does not apply: doc is missing key: %s", path);
        } else {
            rc = add(root, &p, cJSON_Duplicate(value, true), path, cause);
        }
    } else if (strcmp(name, "remove") == 0) {
        cJSON *old = detach(*root, &p);
        if (old == NULL)
            cause_set(cause, "remove operation does not apply: doc is missing path: \"%s\"", path);
        else
            rc = 0;
        cJSON_Delete(old);
    } else if (strcmp(name, "test") == 0) {
        const cJSON *cur = resolve(*root, &p);
        if (value == NULL || cur == NULL || !cJSON_Compare(cur, value, true))
            cause_set(cause, "testing value %s failed: test failed", path);
        else
            rc = 0;
    } else if (strcmp(name, "move") == 0 || strcmp(name, "copy") == 0) {
        const cJSON *from = cJSON_GetObjectItemCaseSensitive(op, "from");
        struct pointer f;
        if (!cJSON_IsString(from)) {
            cause_set(cause, "missing \"from\" for operation \"%s\"", name);
        } else if (pointer_parse(from->valuestring, &f, cause) == 0) {
            cJSON *v = strcmp(name, "move") == 0 ? detach(*root, &f)
                                                 : cJSON_Duplicate(resolve(*root, &f), true);
            if (v == NULL)
                cause_set(cause, "%s operation does not apply: doc is missing from path: %s", name,
                          from->valuestring);
            else
                rc = add(root, &p, v, path, cause);
            pointer_free(&f);
        }
    } else {
        cause_set(cause, "Unexpected kind: %s", name);
    }
    pointer_free(&p);
    return rc;
}

int sim_patch_json(cJSON **target, const cJSON *ops, char **cause)
{
    const cJSON *op;
    cJSON_ArrayForEach(op, ops)
    {
        if (apply_op(target, op, cause) < 0)
            return -1;
    }
    return 0;
}
