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

/* Adds the leaf path to a FieldsV1 tree. */
static void fields_add(cJSON *f, const char *path)
{
    char *copy = xstrdup(path);
    char sep[2] = {SEP, '\0'}, *save = NULL;
    cJSON *n = f;
    for (char *k = strtok_r(copy, sep, &save); k != NULL; k = strtok_r(NULL, sep, &save)) {
        char *fk = xasprintf("f:%s", k);
        cJSON *c = cJSON_GetObjectItemCaseSensitive(n, fk);
        if (c == NULL)
            c = cJSON_AddObjectToObject(n, fk);
        free(fk);
        n = c;
    }
    free(copy);
}

static bool fields_remove_at(cJSON *n, char **keys, int nkeys, int i)
{
    char *fk = xasprintf("f:%s", keys[i]);
    cJSON *c = cJSON_GetObjectItemCaseSensitive(n, fk);
    bool removed = false;
    if (c != NULL && (i == nkeys - 1 || fields_remove_at(c, keys, nkeys, i + 1))) {
        if (i == nkeys - 1 || c->child == NULL) {
            cJSON_DeleteItemFromObjectCaseSensitive(n, fk);
            removed = true;
        }
    }
    free(fk);
    return removed;
}

/* Removes the path (a leaf, or a whole subtree) from a FieldsV1 tree, and the ancestors it leaves
 * empty: an empty parent would read as a leaf of its own. */
static void fields_remove(cJSON *f, const char *path)
{
    char *copy = xstrdup(path);
    char *keys[64];
    int n = 0;
    char sep[2] = {SEP, '\0'}, *save = NULL;
    for (char *k = strtok_r(copy, sep, &save); k != NULL && n < 64; k = strtok_r(NULL, sep, &save))
        keys[n++] = k;
    if (n > 0)
        fields_remove_at(f, keys, n, 0);
    free(copy);
}

/* Drops the entries left owning nothing, as kube's field manager does. */
static void drop_empty_entries(cJSON *mf)
{
    for (int i = cJSON_GetArraySize(mf) - 1; i >= 0; i--) {
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(mf, i), "fieldsV1");
        if (f == NULL || f->child == NULL)
            cJSON_DeleteItemFromArray(mf, i);
    }
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

/* Whether e is the entry of manager (NULL: any) with operation op (NULL: any) for the main
 * resource or, when status_only, for /status. */
static bool entry_is(const cJSON *e, const char *manager, const char *op, bool status_only)
{
    const char *m = json_get_string(e, "manager", (char *)NULL);
    const char *eop = json_get_string(e, "operation", (char *)NULL);
    const char *sub = json_get_string(e, "subresource", (char *)NULL);
    bool is_status = sub != NULL && strcmp(sub, "status") == 0;
    return eop != NULL && (op == NULL || strcmp(eop, op) == 0) && is_status == status_only &&
           (manager == NULL || (m != NULL && strcmp(m, manager) == 0));
}

/* A manager as kube's conflict messages name it (printManager): "m", "m" with subresource
 * "status", and for an Update manager " using apiVersion at time". */
static char *manager_words(const cJSON *e)
{
    const char *m = json_get_string(e, "manager", (char *)NULL);
    const char *sub = json_get_string(e, "subresource", (char *)NULL);
    const char *op = json_get_string(e, "operation", (char *)NULL);
    struct strbuf sb;
    strbuf_init(&sb);
    strbuf_appendf(&sb, "\"%s\"", m != NULL ? m : "");
    if (sub != NULL && sub[0] != '\0')
        strbuf_appendf(&sb, " with subresource \"%s\"", sub);
    if (op != NULL && strcmp(op, "Update") == 0) {
        const char *av = json_get_string(e, "apiVersion", (char *)NULL);
        const char *t = json_get_string(e, "time", (char *)NULL);
        strbuf_appendf(&sb, " using %s", av != NULL ? av : "");
        if (t != NULL)
            strbuf_appendf(&sb, " at %s", t);
    }
    return strbuf_detach(&sb);
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

    /* Conflicts: a field another manager (Apply or Update) owns, applied with a different value;
     * kube's message groups them by manager. */
    struct conflict {
        const cJSON *entry;
        char *field;
    } *cf = NULL;
    size_t ncf = 0, cfcap = 0;
    cJSON *e;
    cJSON_ArrayForEach(e, mf)
    {
        if (!entry_is(e, NULL, NULL, status_only) || entry_is(e, manager, "Apply", status_only))
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
                fields_remove(theirs, l->valuestring);
                continue;
            }
            cf = xreallocarray_grow(cf, &cfcap, ncf + 1, sizeof *cf);
            cf[ncf++] = (struct conflict){e, dotted(l->valuestring)};
        }
    }
    if (ncf > 0) {
        struct sim_status *st = sim_status_new(409, "Conflict", "conflict");
        struct strbuf msg;
        strbuf_init(&msg);
        if (ncf == 1) {
            char *who = manager_words(cf[0].entry);
            strbuf_appendf(&msg, "Apply failed with 1 conflict: conflict with %s: %s", who,
                           cf[0].field);
            free(who);
        } else {
            strbuf_appendf(&msg, "Apply failed with %zu conflicts: ", ncf);
            bool first = true;
            cJSON_ArrayForEach(e, mf)
            {
                bool any = false;
                for (size_t i = 0; i < ncf; i++) {
                    if (cf[i].entry != e)
                        continue;
                    if (!any) {
                        char *who = manager_words(e);
                        strbuf_appendf(&msg, "%sconflicts with %s:", first ? "" : "\n", who);
                        free(who);
                        any = true;
                        first = false;
                    }
                    strbuf_appendf(&msg, "\n- %s", cf[i].field);
                }
            }
        }
        for (size_t i = 0; i < ncf; i++) {
            char *who = manager_words(cf[i].entry);
            char *m = xasprintf("conflict with %s", who);
            sim_status_add_cause(st, "FieldManagerConflict", m, cf[i].field);
            free(m);
            free(who);
            free(cf[i].field);
        }
        free(cf);
        free(st->message);
        st->message = strbuf_detach(&msg);
        *err = st;
        cJSON_Delete(mf);
        cJSON_Delete(n);
        cJSON_Delete(mine);
        cJSON_Delete(mine_leaves);
        return NULL;
    }
    free(cf);

    /* Fields this manager applied before and no longer does go, unless another manager (of any
     * operation) owns them too. */
    cJSON *prev = NULL;
    cJSON_ArrayForEach(e, mf)
    {
        if (entry_is(e, manager, "Apply", status_only))
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
                    shared || (e != prev && entry_is(e, NULL, NULL, status_only) &&
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
    drop_empty_entries(mf);
    cJSON_AddItemToObject(json_ensure_object(n, "metadata", (char *)NULL), "managedFields", mf);
    cJSON_Delete(mine_leaves);
    return n;
}

/* The leaves of a field set whose value in obj differs from live's (or that live lacks). */
static cJSON *changed_leaves(const cJSON *fields, const cJSON *live, const cJSON *obj)
{
    cJSON *all = leaf_list(fields), *out = cJSON_CreateArray();
    const cJSON *l;
    cJSON_ArrayForEach(l, all)
    {
        cJSON *p1, *p2;
        char *k1, *k2;
        const cJSON *have = live != NULL ? value_at((cJSON *)live, l->valuestring, &p1, &k1) : NULL;
        const cJSON *want = value_at((cJSON *)obj, l->valuestring, &p2, &k2);
        if (live != NULL)
            free(k1);
        free(k2);
        if (have == NULL || want == NULL || !cJSON_Compare(have, want, true))
            cJSON_AddItemToArray(out, cJSON_CreateString(l->valuestring));
    }
    cJSON_Delete(all);
    return out;
}

void sim_apply_update(const struct sim_resource *r, const cJSON *live, cJSON *obj,
                      const char *manager, bool status_only, const char *now)
{
    cJSON *meta = json_ensure_object(obj, "metadata", (char *)NULL);
    cJSON *mf = cJSON_DetachItemFromObjectCaseSensitive(meta, "managedFields");
    if (!cJSON_IsArray(mf)) {
        cJSON_Delete(mf);
        mf = cJSON_CreateArray();
    }
    cJSON *nowf = fields_of(obj, 0, NULL, status_only);
    cJSON *changed = changed_leaves(nowf, live, obj);
    /* Fields the write removed leave every manager. */
    cJSON *removed = cJSON_CreateArray();
    if (live != NULL) {
        cJSON *thenf = fields_of(live, 0, NULL, status_only);
        cJSON *then = leaf_list(thenf);
        const cJSON *l;
        cJSON_ArrayForEach(l, then)
        {
            cJSON *p;
            char *k;
            if (value_at(obj, l->valuestring, &p, &k) == NULL)
                cJSON_AddItemToArray(removed, cJSON_CreateString(l->valuestring));
            free(k);
        }
        cJSON_Delete(then);
        cJSON_Delete(thenf);
    }
    cJSON_Delete(nowf);
    /* What the write changed becomes this manager's alone (an Update takes ownership without a
     * conflict, as in kube). */
    cJSON *mine = NULL, *e;
    cJSON_ArrayForEach(e, mf)
    {
        cJSON *f = cJSON_GetObjectItemCaseSensitive(e, "fieldsV1");
        bool me = entry_is(e, manager, "Update", status_only);
        if (me)
            mine = e;
        const cJSON *l;
        cJSON_ArrayForEach(l, removed)
        {
            fields_remove(f, l->valuestring);
        }
        if (me)
            continue;
        cJSON_ArrayForEach(l, changed)
        {
            fields_remove(f, l->valuestring);
        }
    }
    if (mine == NULL && cJSON_GetArraySize(changed) > 0) {
        mine = cJSON_CreateObject();
        cJSON_AddStringToObject(mine, "manager", manager);
        cJSON_AddStringToObject(mine, "operation", "Update");
        cJSON_AddStringToObject(mine, "apiVersion", r->api_version);
        cJSON_AddStringToObject(mine, "time", now);
        cJSON_AddStringToObject(mine, "fieldsType", "FieldsV1");
        cJSON_AddObjectToObject(mine, "fieldsV1");
        if (status_only)
            cJSON_AddStringToObject(mine, "subresource", "status");
        cJSON_AddItemToArray(mf, mine);
    }
    if (mine != NULL && cJSON_GetArraySize(changed) > 0) {
        cJSON *f = cJSON_GetObjectItemCaseSensitive(mine, "fieldsV1");
        const cJSON *l;
        cJSON_ArrayForEach(l, changed)
        {
            fields_add(f, l->valuestring);
        }
        cJSON_ReplaceItemInObjectCaseSensitive(mine, "time", cJSON_CreateString(now));
    }
    drop_empty_entries(mf);
    if (cJSON_GetArraySize(mf) > 0)
        cJSON_AddItemToObject(meta, "managedFields", mf);
    else
        cJSON_Delete(mf);
    cJSON_Delete(changed);
    cJSON_Delete(removed);
}
