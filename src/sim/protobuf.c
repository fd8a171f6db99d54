/* A minimal protobuf reader for the Kubernetes envelope ("k8s\0" + runtime.Unknown) and the
 * authorization.k8s.io/v1 SelfSubjectAccessReview fields kubectl sets. */
#include "sim/protobuf.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

struct pb {
    const unsigned char *p, *end;
};

static bool varint(struct pb *b, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64 && b->p < b->end; shift += 7) {
        unsigned char c = *b->p++;
        *v |= (uint64_t)(c & 0x7f) << shift;
        if ((c & 0x80) == 0)
            return true;
    }
    return false;
}

/* The next field: its number and, for length-delimited fields, its bytes in *sub. Other wire
 * types are skipped (sub->p is then NULL). Returns false at the end or on malformed input. */
static bool field(struct pb *b, unsigned *num, struct pb *sub, bool *bad)
{
    *bad = false;
    if (b->p >= b->end)
        return false;
    uint64_t key, len;
    if (!varint(b, &key))
        goto bad;
    *num = (unsigned)(key >> 3);
    sub->p = sub->end = NULL;
    switch (key & 7) {
    case 0:
        if (!varint(b, &len))
            goto bad;
        return true;
    case 1:
        if (b->end - b->p < 8)
            goto bad;
        b->p += 8;
        return true;
    case 2:
        if (!varint(b, &len) || len > (uint64_t)(b->end - b->p))
            goto bad;
        sub->p = b->p;
        sub->end = b->p + len;
        b->p += len;
        return true;
    case 5:
        if (b->end - b->p < 4)
            goto bad;
        b->p += 4;
        return true;
    default:
        goto bad;
    }
bad:
    *bad = true;
    return false;
}

static void add_string(cJSON *o, const char *key, const struct pb *s)
{
    char *v = xstrndup((const char *)s->p, (size_t)(s->end - s->p));
    cJSON_AddStringToObject(o, key, v);
    free(v);
}

static bool attributes(struct pb b, cJSON *out, const char *const *names, unsigned nnames)
{
    unsigned num;
    struct pb sub;
    bool bad;
    while (field(&b, &num, &sub, &bad))
        if (sub.p != NULL && num >= 1 && num <= nnames && names[num - 1] != NULL)
            add_string(out, names[num - 1], &sub);
    return !bad;
}

/* The object's bytes (runtime.Unknown.raw) inside the "k8s\0" envelope. */
static bool envelope(const unsigned char *data, size_t len, struct pb *raw, char **cause)
{
    if (len < 4 || memcmp(data, "k8s\0", 4) != 0) {
        cause_set(cause, "the protobuf body lacks the k8s envelope");
        return false;
    }
    struct pb env = {data + 4, data + len}, sub;
    unsigned num;
    bool bad;
    raw->p = raw->end = NULL;
    while (field(&env, &num, &sub, &bad))
        if (num == 2 && sub.p != NULL)
            *raw = sub;
    if (bad || raw->p == NULL) {
        cause_set(cause, "malformed protobuf envelope");
        return false;
    }
    return true;
}

cJSON *sim_protobuf_ssar(const unsigned char *data, size_t len, char **cause)
{
    static const char *const ra_names[] = {"namespace", "verb",        "group", "version",
                                           "resource",  "subresource", "name"};
    static const char *const nra_names[] = {"path", "verb"};
    struct pb raw, sub;
    unsigned num;
    bool bad = false;
    if (!envelope(data, len, &raw, cause))
        return NULL;
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "apiVersion", "authorization.k8s.io/v1");
    cJSON_AddStringToObject(out, "kind", "SelfSubjectAccessReview");
    cJSON *spec = cJSON_AddObjectToObject(out, "spec");
    bool ok = true;
    while (ok && field(&raw, &num, &sub, &bad)) {
        if (num != 2 || sub.p == NULL)
            continue;
        struct pb s = sub;
        while (ok && field(&s, &num, &sub, &bad)) {
            if (sub.p == NULL)
                continue;
            if (num == 1)
                ok = attributes(sub, cJSON_AddObjectToObject(spec, "resourceAttributes"), ra_names,
                                7);
            else if (num == 2)
                ok = attributes(sub, cJSON_AddObjectToObject(spec, "nonResourceAttributes"),
                                nra_names, 2);
        }
        ok = ok && !bad;
    }
    if (!ok || bad) {
        cJSON_Delete(out);
        cause_set(cause, "malformed SelfSubjectAccessReview protobuf");
        return NULL;
    }
    return out;
}

/* A map<string,string> entry {key = 1, value = 2} into obj. */
static bool map_entry(struct pb b, cJSON *obj)
{
    struct pb sub, key = {NULL, NULL}, value = {NULL, NULL};
    unsigned num;
    bool bad;
    while (field(&b, &num, &sub, &bad)) {
        if (num == 1 && sub.p != NULL)
            key = sub;
        else if (num == 2 && sub.p != NULL)
            value = sub;
    }
    if (bad || key.p == NULL)
        return false;
    char *k = xstrndup((const char *)key.p, (size_t)(key.end - key.p));
    char *v = value.p != NULL ? xstrndup((const char *)value.p, (size_t)(value.end - value.p))
                              : xstrdup("");
    cJSON_AddStringToObject(obj, k, v);
    free(k);
    free(v);
    return true;
}

cJSON *sim_protobuf_namespace(const unsigned char *data, size_t len, char **cause)
{
    struct pb raw, sub;
    unsigned num;
    bool bad = false, ok = true;
    if (!envelope(data, len, &raw, cause))
        return NULL;
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "apiVersion", "v1");
    cJSON_AddStringToObject(out, "kind", "Namespace");
    cJSON *meta = cJSON_AddObjectToObject(out, "metadata");
    while (ok && field(&raw, &num, &sub, &bad)) {
        if (num != 1 || sub.p == NULL)
            continue; /* spec and status are the server's to set */
        struct pb m = sub;
        while (ok && field(&m, &num, &sub, &bad)) {
            if (sub.p == NULL)
                continue;
            if (num == 1)
                add_string(meta, "name", &sub);
            else if (num == 2)
                add_string(meta, "generateName", &sub);
            else if (num == 11 || num == 12) {
                const char *key = num == 11 ? "labels" : "annotations";
                cJSON *map = cJSON_GetObjectItemCaseSensitive(meta, key);
                if (map == NULL)
                    map = cJSON_AddObjectToObject(meta, key);
                ok = map_entry(sub, map);
            }
        }
        ok = ok && !bad;
    }
    if (!ok || bad) {
        cJSON_Delete(out);
        cause_set(cause, "malformed Namespace protobuf");
        return NULL;
    }
    return out;
}

cJSON *sim_protobuf_ssrr(const unsigned char *data, size_t len, char **cause)
{
    struct pb raw, sub;
    unsigned num;
    bool bad = false;
    if (!envelope(data, len, &raw, cause))
        return NULL;
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "apiVersion", "authorization.k8s.io/v1");
    cJSON_AddStringToObject(out, "kind", "SelfSubjectRulesReview");
    cJSON *spec = cJSON_AddObjectToObject(out, "spec");
    static const char *const spec_names[] = {"namespace"};
    bool ok = true;
    while (ok && field(&raw, &num, &sub, &bad))
        if (num == 2 && sub.p != NULL)
            ok = attributes(sub, spec, spec_names, 1);
    if (!ok || bad) {
        cJSON_Delete(out);
        cause_set(cause, "malformed SelfSubjectRulesReview protobuf");
        return NULL;
    }
    return out;
}
