/* Server-side apply: field sets (FieldsV1) of applied configurations, the merge, the removal of
 * fields a manager stopped applying, and conflicts with other managers. */
#include "sim/apply.h"

#include <stdlib.h>
#include <string.h>

#include "util/json.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define SEP '\x1f' /* between the keys of a field path */

/* Fields the server owns: never part of a field set, never merged from an applied body. */
static bool server_field(int depth, const char *parent, const char *key, bool status_only)
{
    if (depth == 0)
        return strcmp(key, "apiVersion") == 0 || strcmp(key, "kind") == 0 ||
               (status_only ? strcmp(key, "status") != 0 : strcmp(key, "status") == 0);
    if (depth == 1 && parent != NULL && strcmp(parent, "metadata") == 0) {
        static const char *const own[] = {"name",
                                          "namespace",
                                          "uid",
                                          "resourceVersion",
                                          "generation",
                                          "creationTimestamp",
                                          "deletionTimestamp",
                                          "deletionGracePeriodSeconds",
                                          "managedFields",
                                          "selfLink",
                                          "generateName"};
        for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
            if (strcmp(key, own[i]) == 0)
                return true;
    }
    return false;
}

static cJSON *fields_of(const cJSON *v, int depth, const char *parent, bool status_only)
{
    cJSON *f = cJSON_CreateObject();
    const cJSON *it;
    cJSON_ArrayForEach(it, v)
    {
        if (server_field(depth, parent, it->string, status_only))
            continue;
        cJSON *child = cJSON_IsObject(it) && it->child != NULL
                           ? fields_of(it, depth + 1, it->string, status_only)
                           : cJSON_CreateObject();
        if (child->child == NULL && cJSON_IsObject(it) && it->child != NULL) {
            cJSON_Delete(child); /* only server fields under it (metadata of a status apply) */
            continue;
        }
        char *key = xasprintf("f:%s", it->string);
        cJSON_AddItemToObject(f, key, child);
        free(key);
    }
    return f;
}

/* Appends each leaf path of a FieldsV1 tree (keys joined by SEP) to out. */
static void leaves(const cJSON *f, struct strbuf *prefix, cJSON *out)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, f)
    {
        if (strncmp(it->string, "f:", 2) != 0)
            continue; /* "." or k:/v: entries of other writers: not ours to read */
        size_t mark = prefix->len;
        if (mark > 0)
            strbuf_append_char(prefix, SEP);
        strbuf_append(prefix, it->string + 2);
        if (it->child == NULL)
            cJSON_AddItemToArray(out, cJSON_CreateString(prefix->buf));
        else
            leaves(it, prefix, out);
        prefix->len = mark;
        prefix->buf[mark] = '\0';
    }
}

static cJSON *leaf_list(const cJSON *f)
{
    cJSON *out = cJSON_CreateArray();
    struct strbuf p;
    strbuf_init(&p);
    leaves(f, &p, out);
    strbuf_free(&p);
    return out;
}

/* The node at path in a FieldsV1 tree (parent set to its parent), or NULL. */
static cJSON *field_node(cJSON *f, const char *path, cJSON **parent)
{
    char *copy = xstrdup(path);
    cJSON *n = f;
    *parent = NULL;
    char sep[2] = {SEP, '\0'}, *save = NULL;
    for (char *k = strtok_r(copy, sep, &save); k != NULL && n != NULL;
         k = strtok_r(NULL, sep, &save)) {
        char *fk = xasprintf("f:%s", k);
        *parent = n;
        n = cJSON_GetObjectItemCaseSensitive(n, fk);
        free(fk);
    }
    free(copy);
    return n;
}

static bool has_leaf(const cJSON *f, const char *path)
{
    cJSON *parent;
    const cJSON *n = field_node((cJSON *)f, path, &parent);
    return n != NULL && n->child == NULL;
}

/* The value at path in an object, with the parent object in *parent; NULL when absent. */
static cJSON *value_at(cJSON *obj, const char *path, cJSON **parent, char **last)
{
    char *copy = xstrdup(path);
    cJSON *n = obj;
    *parent = NULL;
    *last = NULL;
    char sep[2] = {SEP, '\0'}, *save = NULL;
    for (char *k = strtok_r(copy, sep, &save); k != NULL && n != NULL;
         k = strtok_r(NULL, sep, &save)) {
        *parent = n;
        free(*last);
        *last = xstrdup(k);
        n = cJSON_IsObject(n) ? cJSON_GetObjectItemCaseSensitive(n, k) : NULL;
    }
    free(copy);
    return n;
}

static void merge_into(cJSON *dst, const cJSON *src, int depth, const char *parent,
                       bool status_only)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, src)
    {
        if (server_field(depth, parent, it->string, status_only))
            continue;
        cJSON *d = cJSON_GetObjectItemCaseSensitive(dst, it->string);
        if (cJSON_IsObject(d) && cJSON_IsObject(it)) {
            merge_into(d, it, depth + 1, it->string, status_only);
        } else {
            cJSON *v = cJSON_Duplicate(it, true);
            if (d != NULL)
                cJSON_ReplaceItemInObjectCaseSensitive(dst, it->string, v);
            else
                cJSON_AddItemToObject(dst, it->string, v);
        }
    }
}

static bool entry_is(const cJSON *e, const char *manager, bool status_only)
{
    const char *m = json_get_string(e, "manager", (char *)NULL);
    const char *op = json_get_string(e, "operation", (char *)NULL);
    const char *sub = json_get_string(e, "subresource", (char *)NULL);
    bool is_status = sub != NULL && strcmp(sub, "status") == 0;
    return op != NULL && strcmp(op, "Apply") == 0 && is_status == status_only &&
           (manager == NULL || (m != NULL && strcmp(m, manager) == 0));
}

static char *dotted(const char *path)
{
    char *s = xasprintf(".%s", path);
    for (char *p = s; *p; p++)
        if (*p == SEP)
            *p = '.';
    return s;
}

cJSON *sim_apply(const struct sim_resource *r, const cJSON *live, const cJSON *applied,
                 const char *manager, bool force, bool status_only, const char *now,
                 struct sim_status **err)
{
    *err = NULL;
    if (!cJSON_IsObject(applied)) {
        *err = sim_status_bad_request("the object provided is unrecognized (not a mapping)");
        return NULL;
    }
    cJSON *mine = fields_of(applied, 0, NULL, status_only);
    cJSON *mine_leaves = leaf_list(mine);
    cJSON *n;
    if (live == NULL) {
        n = cJSON_Duplicate(applied, true);
        if (!status_only)
            cJSON_DeleteItemFromObjectCaseSensitive(n, "status");
    } else {
        n = cJSON_Duplicate(live, true);
    }
    cJSON *meta = json_ensure_object(n, "metadata", (char *)NULL);
    cJSON *mf = cJSON_DetachItemFromObjectCaseSensitive(meta, "managedFields");
    if (!cJSON_IsArray(mf)) {
        cJSON_Delete(mf);
        mf = cJSON_CreateArray();
    }

    /* Conflicts: a field another Apply manager owns, applied with a different value. */
    struct strbuf conflicts;
    strbuf_init(&conflicts);
    int nconflicts = 0;
    struct sim_status *st = sim_status_new(409, "Conflict", "conflict");
    cJSON *e;
    cJSON_ArrayForEach(e, mf)
    {
        if (!entry_is(e, NULL, status_only) || entry_is(e, manager, status_only))
            continue;
        cJSON *theirs = cJSON_GetObjectItemCaseSensitive(e, "fieldsV1");
        const cJSON *l;
        cJSON_ArrayForEach(l, mine_leaves)
        {
            if (!has_leaf(theirs, l->valuestring))
                continue;
            cJSON *p1, *p2;
            char *k1, *k2;
            const cJSON *have = value_at((cJSON *)live, l->valuestring, &p1, &k1);
            const cJSON *want = value_at((cJSON *)applied, l->valuestring, &p2, &k2);
            free(k1);
            free(k2);
            if (have != NULL && want != NULL && cJSON_Compare(have, want, true))
                continue; /* the same value: shared ownership, as in kube */
            if (force) {
                cJSON *parent, *node = field_node(theirs, l->valuestring, &parent);
                if (node != NULL && parent != NULL)
                    cJSON_DetachItemViaPointer(parent, node);
                cJSON_Delete(node);
                continue;
            }
            char *field = dotted(l->valuestring);
            const char *who = json_get_string(e, "manager", (char *)NULL);
            char *msg = xasprintf("conflict with \"%s\"", who ? who : "");
            sim_status_add_cause(st, "FieldManagerConflict", msg, field);
            strbuf_appendf(&conflicts, "%s- conflict with \"%s\" using %s: %s",
                           nconflicts > 0 ? "\n" : "", who ? who : "", r->api_version, field);
            free(msg);
            free(field);
            nconflicts++;
        }
    }
    if (nconflicts > 0) {
        free(st->message);
        st->message =
            nconflicts == 1
                ? xasprintf("Apply failed with 1 conflict: %s", conflicts.buf + 2)
                : xasprintf("Apply failed with %d conflicts: %s", nconflicts, conflicts.buf + 2);
        *err = st;
        strbuf_free(&conflicts);
        cJSON_Delete(mf);
        cJSON_Delete(n);
        cJSON_Delete(mine);
        cJSON_Delete(mine_leaves);
        return NULL;
    }
    sim_status_free(st);
    strbuf_free(&conflicts);

    /* Fields this manager applied before and no longer does go, unless another manager
     * applies them too. */
    cJSON *prev = NULL;
    cJSON_ArrayForEach(e, mf)
    {
        if (entry_is(e, manager, status_only))
            prev = e;
    }
    if (live != NULL && prev != NULL) {
        cJSON *old_leaves = leaf_list(json_get(prev, "fieldsV1", (char *)NULL));
        const cJSON *l;
        cJSON_ArrayForEach(l, old_leaves)
        {
            if (has_leaf(mine, l->valuestring))
                continue;
            bool shared = false;
            cJSON_ArrayForEach(e, mf)
            {
                shared =
                    shared || (e != prev && entry_is(e, NULL, status_only) &&
                               has_leaf(json_get(e, "fieldsV1", (char *)NULL), l->valuestring));
            }
            cJSON *parent = NULL;
            char *key = NULL;
            if (!shared && value_at(n, l->valuestring, &parent, &key) != NULL)
                cJSON_DeleteItemFromObjectCaseSensitive(parent, key);
            free(key);
        }
        cJSON_Delete(old_leaves);
    }
    if (live != NULL)
        merge_into(n, applied, 0, NULL, status_only);

    cJSON *entry = cJSON_CreateObject();
    cJSON_AddStringToObject(entry, "manager", manager);
    cJSON_AddStringToObject(entry, "operation", "Apply");
    cJSON_AddStringToObject(entry, "apiVersion", r->api_version);
    cJSON_AddStringToObject(entry, "time", now);
    cJSON_AddStringToObject(entry, "fieldsType", "FieldsV1");
    cJSON_AddItemToObject(entry, "fieldsV1", mine);
    if (status_only)
        cJSON_AddStringToObject(entry, "subresource", "status");
    if (prev != NULL)
        cJSON_ReplaceItemViaPointer(mf, prev, entry);
    else
        cJSON_AddItemToArray(mf, entry);
    cJSON_AddItemToObject(json_ensure_object(n, "metadata", (char *)NULL), "managedFields", mf);
    cJSON_Delete(mine_leaves);
    return n;
}
