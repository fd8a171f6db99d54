/* Server-side apply: field sets (FieldsV1) of applied configurations, the merge, the removal of
 * fields a manager stopped applying, and conflicts with other managers. */
#include "sim/apply.h"

#include <stdlib.h>
#include <string.h>

#include "sim/schema.h"
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

static cJSON *fields_of(const struct sim_resource *r, const cJSON *v, int depth, const char *parent,
                        bool status_only, const char *spath);

/* The key of a list-map item as FieldsV1 writes it: k:{"key":value,...}, keys sorted by name;
 * NULL when the item lacks one. */
static char *map_key(const cJSON *item, const char *const *keys)
{
    const char *sorted[8];
    int n = 0;
    for (; n < 8 && keys[n] != NULL; n++)
        sorted[n] = keys[n];
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && strcmp(sorted[j - 1], sorted[j]) > 0; j--) {
            const char *t = sorted[j];
            sorted[j] = sorted[j - 1];
            sorted[j - 1] = t;
        }
    cJSON *k = cJSON_CreateObject();
    for (int i = 0; i < n; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, sorted[i]);
        if (v == NULL) {
            cJSON_Delete(k);
            return NULL;
        }
        cJSON_AddItemToObject(k, sorted[i], cJSON_Duplicate(v, true));
    }
    char *text = cJSON_PrintUnformatted(k);
    cJSON_Delete(k);
    char *out = xasprintf("k:%s", text);
    free(text);
    return out;
}

static char *set_key(const cJSON *item)
{
    char *text = cJSON_PrintUnformatted(item);
    char *out = xasprintf("v:%s", text);
    free(text);
    return out;
}

/* The field set of one value at spath: an object's fields, a map or set list's items (each
 * keyed, a map item also owning itself as "."), or a leaf. */
static cJSON *value_fields(const struct sim_resource *r, const cJSON *it, int depth,
                           const char *key, bool status_only, const char *spath)
{
    if (cJSON_IsObject(it) && it->child != NULL)
        return fields_of(r, it, depth, key, status_only, spath);
    const char *const *keys = NULL;
    enum sim_list_type lt = cJSON_IsArray(it) && it->child != NULL
                                ? sim_schema_list_type(r, spath, &keys)
                                : SIM_LIST_ATOMIC;
    cJSON *f = cJSON_CreateObject();
    if (lt == SIM_LIST_ATOMIC)
        return f;
    char *ipath = xasprintf("%s[]", spath);
    const cJSON *item;
    cJSON_ArrayForEach(item, it)
    {
        char *k = lt == SIM_LIST_SET     ? set_key(item)
                  : cJSON_IsObject(item) ? map_key(item, keys)
                                         : NULL;
        if (k == NULL || cJSON_GetObjectItemCaseSensitive(f, k) != NULL) {
            free(k);
            continue;
        }
        cJSON *sub = cJSON_CreateObject();
        if (lt == SIM_LIST_MAP) {
            cJSON *fields = fields_of(r, item, depth + 1, NULL, status_only, ipath);
            cJSON_AddItemToObject(sub, ".", cJSON_CreateObject());
            while (fields->child != NULL) {
                cJSON *c = cJSON_DetachItemViaPointer(fields, fields->child);
                cJSON_AddItemToObject(sub, c->string, c);
            }
            cJSON_Delete(fields);
        }
        cJSON_AddItemToObject(f, k, sub);
        free(k);
    }
    free(ipath);
    return f;
}

static cJSON *fields_of(const struct sim_resource *r, const cJSON *v, int depth, const char *parent,
                        bool status_only, const char *spath)
{
    cJSON *f = cJSON_CreateObject();
    const cJSON *it;
    cJSON_ArrayForEach(it, v)
    {
        if (server_field(depth, parent, it->string, status_only))
            continue;
        char *cpath =
            spath[0] != '\0' ? xasprintf("%s.%s", spath, it->string) : xstrdup(it->string);
        cJSON *child = value_fields(r, it, depth + 1, it->string, status_only, cpath);
        free(cpath);
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

/* Appends each leaf path of a FieldsV1 tree (its elements, "f:name", "k:{..}", "v:..", ".",
 * joined by SEP) to out. */
static void leaves(const cJSON *f, struct strbuf *prefix, cJSON *out)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, f)
    {
        size_t mark = prefix->len;
        if (mark > 0)
            strbuf_append_char(prefix, SEP);
        strbuf_append(prefix, it->string);
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

/* The node at path in a FieldsV1 tree, or NULL. */
static cJSON *field_node(cJSON *f, const char *path)
{
    char *copy = xstrdup(path);
    cJSON *n = f;
    char sep[2] = {SEP, '\0'}, *save = NULL;
    for (char *k = strtok_r(copy, sep, &save); k != NULL && n != NULL;
         k = strtok_r(NULL, sep, &save))
        n = cJSON_GetObjectItemCaseSensitive(n, k);
    free(copy);
    return n;
}

static bool has_leaf(const cJSON *f, const char *path)
{
    const cJSON *n = field_node((cJSON *)f, path);
    return n != NULL && n->child == NULL;
}

/* Whether a leaf path names a list item itself (a map item's "." or a set member): such a leaf
 * never conflicts (the item's fields do), and changes only by appearing. */
static bool item_leaf(const char *path)
{
    const char *last = strrchr(path, SEP);
    last = last != NULL ? last + 1 : path;
    return strcmp(last, ".") == 0 || strncmp(last, "v:", 2) == 0;
}

/* Adds the leaf path to a FieldsV1 tree. */
static void fields_add(cJSON *f, const char *path)
{
    char *copy = xstrdup(path);
    char sep[2] = {SEP, '\0'}, *save = NULL;
    cJSON *n = f;
    for (char *k = strtok_r(copy, sep, &save); k != NULL; k = strtok_r(NULL, sep, &save)) {
        cJSON *c = cJSON_GetObjectItemCaseSensitive(n, k);
        if (c == NULL)
            c = cJSON_AddObjectToObject(n, k);
        n = c;
    }
    free(copy);
}

static bool fields_remove_at(cJSON *n, char **keys, int nkeys, int i)
{
    cJSON *c = cJSON_GetObjectItemCaseSensitive(n, keys[i]);
    if (c == NULL || (i < nkeys - 1 && !fields_remove_at(c, keys, nkeys, i + 1)))
        return false;
    if (i < nkeys - 1 && c->child != NULL)
        return false;
    cJSON_DeleteItemFromObjectCaseSensitive(n, keys[i]);
    return true;
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

/* Where a value sits: in an object under key, or in an array at index. */
struct loc {
    cJSON *parent;
    char *key; /* owned; NULL for an array item */
    int index;
};

/* The index of the item of array a that a path element "k:{..}" or "v:.." names, or -1. */
static int item_index(const cJSON *a, const char *elem)
{
    cJSON *want = cJSON_Parse(elem + 2);
    int found = -1, i = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, a)
    {
        bool match;
        if (elem[0] == 'v') {
            match = cJSON_Compare(item, want, true);
        } else {
            match = cJSON_IsObject(item) && cJSON_IsObject(want);
            const cJSON *k;
            cJSON_ArrayForEach(k, want)
            {
                const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, k->string);
                match = match && v != NULL && cJSON_Compare(v, k, true);
            }
        }
        if (match) {
            found = i;
            break;
        }
        i++;
    }
    cJSON_Delete(want);
    return found;
}

/* The value at a leaf path in an object (an item's "." is the item), with where it sits in *at
 * (at->key the caller frees); NULL when absent. */
static cJSON *value_at(const cJSON *obj, const char *path, struct loc *at)
{
    char *copy = xstrdup(path);
    cJSON *n = (cJSON *)obj;
    *at = (struct loc){NULL, NULL, -1};
    char sep[2] = {SEP, '\0'}, *save = NULL;
    for (char *k = strtok_r(copy, sep, &save); k != NULL && n != NULL;
         k = strtok_r(NULL, sep, &save)) {
        if (strcmp(k, ".") == 0)
            continue;
        cJSON *parent = n;
        free(at->key);
        at->key = NULL;
        if (strncmp(k, "f:", 2) == 0) {
            n = cJSON_IsObject(n) ? cJSON_GetObjectItemCaseSensitive(n, k + 2) : NULL;
            at->key = xstrdup(k + 2);
            at->index = -1;
        } else {
            int i = cJSON_IsArray(n) ? item_index(n, k) : -1;
            n = i >= 0 ? cJSON_GetArrayItem(n, i) : NULL;
            at->index = i;
        }
        at->parent = parent;
    }
    free(copy);
    return n;
}

static void remove_at(const struct loc *at)
{
    if (at->key != NULL)
        cJSON_DeleteItemFromObjectCaseSensitive(at->parent, at->key);
    else if (at->index >= 0)
        cJSON_DeleteItemFromArray(at->parent, at->index);
}

/* Merges an applied value into the live one: objects field by field, map lists item by item
 * (by key), sets by member, anything else replaced. */
static void merge_into(const struct sim_resource *r, cJSON *dst, const cJSON *src, int depth,
                       const char *parent, bool status_only, const char *spath)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, src)
    {
        if (server_field(depth, parent, it->string, status_only))
            continue;
        char *cpath =
            spath[0] != '\0' ? xasprintf("%s.%s", spath, it->string) : xstrdup(it->string);
        cJSON *d = cJSON_GetObjectItemCaseSensitive(dst, it->string);
        const char *const *keys = NULL;
        enum sim_list_type lt =
            cJSON_IsArray(it) ? sim_schema_list_type(r, cpath, &keys) : SIM_LIST_ATOMIC;
        if (cJSON_IsObject(d) && cJSON_IsObject(it)) {
            merge_into(r, d, it, depth + 1, it->string, status_only, cpath);
        } else if (cJSON_IsArray(d) && lt != SIM_LIST_ATOMIC) {
            char *ipath = xasprintf("%s[]", cpath);
            const cJSON *item;
            cJSON_ArrayForEach(item, it)
            {
                char *k = lt == SIM_LIST_SET     ? set_key(item)
                          : cJSON_IsObject(item) ? map_key(item, keys)
                                                 : NULL;
                int i = k != NULL ? item_index(d, k) : -1;
                cJSON *have = i >= 0 ? cJSON_GetArrayItem(d, i) : NULL;
                if (have == NULL)
                    cJSON_AddItemToArray(d, cJSON_Duplicate(item, true));
                else if (lt == SIM_LIST_MAP)
                    merge_into(r, have, item, depth + 2, NULL, status_only, ipath);
                free(k);
            }
            free(ipath);
        } else {
            cJSON *v = cJSON_Duplicate(it, true);
            if (d != NULL)
                cJSON_ReplaceItemInObjectCaseSensitive(dst, it->string, v);
            else
                cJSON_AddItemToObject(dst, it->string, v);
        }
        free(cpath);
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

/* Orders entries by manager, then operation, then subresource. */
static int entry_cmp(const cJSON *a, const cJSON *b)
{
    static const char *const keys[] = {"manager", "operation", "subresource"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const char *x = json_get_string(a, keys[i], (char *)NULL);
        const char *y = json_get_string(b, keys[i], (char *)NULL);
        int c = strcmp(x != NULL ? x : "", y != NULL ? y : "");
        if (c != 0)
            return c;
    }
    return a < b ? -1 : a > b;
}

/* A leaf path as structured-merge-diff prints it: .status.conditions[type="Ready"].status,
 * .metadata.finalizers[="x"]. */
static char *dotted(const char *path)
{
    struct strbuf sb;
    strbuf_init(&sb);
    char *copy = xstrdup(path);
    char sep[2] = {SEP, '\0'}, *save = NULL;
    for (char *k = strtok_r(copy, sep, &save); k != NULL; k = strtok_r(NULL, sep, &save)) {
        if (strncmp(k, "f:", 2) == 0) {
            strbuf_appendf(&sb, ".%s", k + 2);
        } else if (strncmp(k, "v:", 2) == 0) {
            strbuf_appendf(&sb, "[=%s]", k + 2);
        } else if (strncmp(k, "k:", 2) == 0) {
            cJSON *keys = cJSON_Parse(k + 2);
            strbuf_append_char(&sb, '[');
            const cJSON *kv;
            bool first = true;
            cJSON_ArrayForEach(kv, keys)
            {
                char *v = cJSON_PrintUnformatted(kv);
                strbuf_appendf(&sb, "%s%s=%s", first ? "" : ",", kv->string, v);
                free(v);
                first = false;
            }
            strbuf_append_char(&sb, ']');
            cJSON_Delete(keys);
        }
    }
    free(copy);
    return strbuf_detach(&sb);
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
    cJSON *mine = fields_of(r, applied, 0, NULL, status_only, "");
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
            if (!has_leaf(theirs, l->valuestring) || item_leaf(l->valuestring))
                continue;
            struct loc a1, a2;
            const cJSON *have = value_at(live, l->valuestring, &a1);
            const cJSON *want = value_at(applied, l->valuestring, &a2);
            free(a1.key);
            free(a2.key);
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
            /* Grouped by manager, the managers sorted (kube sorts their encoded entries, which
             * begin with the manager's name). */
            strbuf_appendf(&msg, "Apply failed with %zu conflicts: ", ncf);
            const cJSON *done = NULL;
            for (bool first = true;; first = false) {
                const cJSON *next = NULL;
                cJSON_ArrayForEach(e, mf)
                {
                    bool has = false;
                    for (size_t i = 0; i < ncf; i++)
                        has = has || cf[i].entry == e;
                    if (has && (done == NULL || entry_cmp(e, done) > 0) &&
                        (next == NULL || entry_cmp(e, next) < 0))
                        next = e;
                }
                if (next == NULL)
                    break;
                char *who = manager_words(next);
                strbuf_appendf(&msg, "%sconflicts with %s:", first ? "" : "\n", who);
                free(who);
                for (size_t i = 0; i < ncf; i++)
                    if (cf[i].entry == next)
                        strbuf_appendf(&msg, "\n- %s", cf[i].field);
                done = next;
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
            /* A map item stays while another manager owns it or any of its fields. */
            size_t plen = strlen(l->valuestring);
            char *item = plen > 2 && strcmp(l->valuestring + plen - 2, "\x1f.") == 0
                             ? xstrndup(l->valuestring, plen - 2)
                             : NULL;
            bool shared = false;
            cJSON_ArrayForEach(e, mf)
            {
                cJSON *theirs = cJSON_GetObjectItemCaseSensitive(e, "fieldsV1");
                shared = shared || (e != prev && entry_is(e, NULL, NULL, status_only) &&
                                    (item != NULL ? field_node(theirs, item) != NULL
                                                  : has_leaf(theirs, l->valuestring)));
            }
            free(item);
            struct loc at = {0};
            if (!shared && value_at(n, l->valuestring, &at) != NULL)
                remove_at(&at);
            free(at.key);
        }
        cJSON_Delete(old_leaves);
    }
    if (live != NULL)
        merge_into(r, n, applied, 0, NULL, status_only, "");

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
        struct loc a1 = {0}, a2;
        const cJSON *have = live != NULL ? value_at(live, l->valuestring, &a1) : NULL;
        const cJSON *want = value_at(obj, l->valuestring, &a2);
        free(a1.key);
        free(a2.key);
        if (have == NULL || want == NULL ||
            (!item_leaf(l->valuestring) && !cJSON_Compare(have, want, true)))
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
    cJSON *nowf = fields_of(r, obj, 0, NULL, status_only, "");
    cJSON *changed = changed_leaves(nowf, live, obj);
    /* Fields the write removed leave every manager. */
    cJSON *removed = cJSON_CreateArray();
    if (live != NULL) {
        cJSON *thenf = fields_of(r, live, 0, NULL, status_only, "");
        cJSON *then = leaf_list(thenf);
        const cJSON *l;
        cJSON_ArrayForEach(l, then)
        {
            struct loc at;
            if (value_at(obj, l->valuestring, &at) == NULL)
                cJSON_AddItemToArray(removed, cJSON_CreateString(l->valuestring));
            free(at.key);
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
