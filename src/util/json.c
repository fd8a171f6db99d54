/* Path access over cJSON. */
#include "util/json.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

/* ---- bulk trees: every node of a parse from one arena ---------------------------------------
 * A page of 500 Promotions is some 400,000 cJSON nodes and strings. Allocated and freed one by
 * one they were half of the client's time in a large project's first list: malloc, free, and
 * the consolidation that the next large allocation triggers after so many small frees. cJSON's
 * hooks are global, so they allocate from an arena only while this thread parses into one, and
 * free ignores what an arena of this thread owns; everything else is malloc and free as before,
 * so strings from cJSON_Print may still go to free(). */

#define BULK_CHUNK (1u << 20)

struct bulk_chunk {
    struct bulk_chunk *next;
    size_t size, used;
    _Alignas(max_align_t) unsigned char data[];
};

struct json_bulk {
    struct bulk_chunk *chunks;
    size_t total; /* bytes of every chunk */
    struct json_bulk *next_live; /* this thread's other live arenas */
};

static _Thread_local struct json_bulk *bulk_filling; /* the arena this thread parses into */
static _Thread_local struct json_bulk *bulk_live;    /* every arena of this thread not yet freed */

static void *bulk_alloc(struct json_bulk *b, size_t n)
{
    const size_t align = _Alignof(max_align_t);
    n = (n + align - 1) & ~(align - 1);
    struct bulk_chunk *c = b->chunks;
    if (c == NULL || c->size - c->used < n) {
        /* each chunk as big as all before it: a free looks through few of them */
        size_t size = c != NULL && b->total > BULK_CHUNK ? b->total : BULK_CHUNK;
        if (size < n)
            size = n;
        b->total += size;
        c = xmalloc(sizeof *c + size);
        c->size = size;
        c->used = 0;
        c->next = b->chunks;
        b->chunks = c;
    }
    void *p = c->data + c->used;
    c->used += n;
    return p;
}

static bool bulk_owns(const struct json_bulk *b, const void *p)
{
    for (const struct bulk_chunk *c = b->chunks; c != NULL; c = c->next) {
        if ((uintptr_t)p >= (uintptr_t)c->data && (uintptr_t)p < (uintptr_t)(c->data + c->size))
            return true;
    }
    return false;
}

static void *hook_malloc(size_t n)
{
    if (bulk_filling != NULL)
        return bulk_alloc(bulk_filling, n);
    return malloc(n);
}

static void hook_free(void *p)
{
    for (const struct json_bulk *b = bulk_live; b != NULL; b = b->next_live) {
        if (bulk_owns(b, p))
            return; /* freed with its arena */
    }
    free(p);
}

/* Before main, so before any thread can be inside cJSON. */
__attribute__((constructor)) static void json_hooks_install(void)
{
    cJSON_Hooks hooks = {.malloc_fn = hook_malloc, .free_fn = hook_free};
    cJSON_InitHooks(&hooks);
}

struct json_bulk *json_bulk_new(void)
{
    struct json_bulk *b = xcalloc(1, sizeof *b);
    b->next_live = bulk_live;
    bulk_live = b;
    return b;
}

cJSON *json_parse_in(struct json_bulk *bulk, const char *text, size_t len, char **cause)
{
    bulk_filling = bulk;
    cJSON *root = json_parse(text, len, cause);
    bulk_filling = NULL;
    return root;
}

cJSON *json_parse_bulk(const char *text, size_t len, struct json_bulk **bulk, char **cause)
{
    struct json_bulk *b = json_bulk_new();
    cJSON *root = json_parse_in(b, text, len, cause);
    if (root == NULL) {
        json_bulk_free(b);
        b = NULL;
    }
    *bulk = b;
    return root;
}

void json_bulk_free(struct json_bulk *b)
{
    if (b == NULL)
        return;
    for (struct json_bulk **pp = &bulk_live; *pp != NULL; pp = &(*pp)->next_live) {
        if (*pp == b) {
            *pp = b->next_live;
            break;
        }
    }
    while (b->chunks != NULL) {
        struct bulk_chunk *c = b->chunks;
        b->chunks = c->next;
        free(c);
    }
    free(b);
}

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
