/* Linear probing with tombstones; grows at 70% occupancy (tombstones count) so probes stay short.
 */
#include "util/hmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

struct hmap_slot {
    char *key; /* NULL: empty; hmap_tombstone: removed */
    void *value;
    uint64_t hash;
};

static char hmap_tombstone_mark;
#define HMAP_TOMBSTONE (&hmap_tombstone_mark)

static uint64_t hmap_hash(const char *key)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    return h;
}

void hmap_init(struct hmap *m)
{
    memset(m, 0, sizeof *m);
}

void hmap_init_borrowed(struct hmap *m)
{
    hmap_init(m);
    m->borrowed = true;
}

void hmap_free(struct hmap *m, void (*free_value)(void *))
{
    for (size_t i = 0; i < m->cap; i++) {
        struct hmap_slot *s = &m->slots[i];
        if (s->key != NULL && s->key != HMAP_TOMBSTONE) {
            if (free_value)
                free_value(s->value);
            if (!m->borrowed)
                free(s->key);
        }
    }
    free(m->slots);
    bool borrowed = m->borrowed;
    hmap_init(m);
    m->borrowed = borrowed;
}

/* The slot holding key, or NULL. */
static struct hmap_slot *hmap_find(const struct hmap *m, const char *key, uint64_t h)
{
    if (m->cap == 0)
        return NULL;
    for (size_t i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        struct hmap_slot *s = &m->slots[i];
        if (s->key == NULL)
            return NULL;
        if (s->key != HMAP_TOMBSTONE && s->hash == h && strcmp(s->key, key) == 0)
            return s;
    }
}

static void hmap_resize(struct hmap *m, size_t cap)
{
    struct hmap_slot *old = m->slots;
    size_t oldcap = m->cap;
    m->slots = xcalloc(cap, sizeof *m->slots);
    m->cap = cap;
    m->used = m->count;
    for (size_t i = 0; i < oldcap; i++) {
        struct hmap_slot *s = &old[i];
        if (s->key == NULL || s->key == HMAP_TOMBSTONE)
            continue;
        size_t j = s->hash & (cap - 1);
        while (m->slots[j].key != NULL)
            j = (j + 1) & (cap - 1);
        m->slots[j] = *s;
    }
    free(old);
}

void *hmap_get(const struct hmap *m, const char *key)
{
    struct hmap_slot *s = hmap_find(m, key, hmap_hash(key));
    return s ? s->value : NULL;
}

bool hmap_contains(const struct hmap *m, const char *key)
{
    return hmap_find(m, key, hmap_hash(key)) != NULL;
}

void *hmap_put(struct hmap *m, const char *key, void *value)
{
    uint64_t h = hmap_hash(key);
    struct hmap_slot *s = hmap_find(m, key, h);
    if (s != NULL) {
        void *old = s->value;
        s->value = value;
        if (m->borrowed)
            s->key = (char *)key; /* the old key may go with the old value */
        return old;
    }
    if ((m->used + 1) * 10 >= m->cap * 7) {
        size_t cap = m->cap ? m->cap : 16;
        while ((m->count + 1) * 10 >= cap * 5)
            cap *= 2; /* after a resize, at most half full */
        hmap_resize(m, cap);
    }
    size_t i = h & (m->cap - 1);
    while (m->slots[i].key != NULL && m->slots[i].key != HMAP_TOMBSTONE)
        i = (i + 1) & (m->cap - 1);
    if (m->slots[i].key == NULL)
        m->used++;
    m->slots[i] = (struct hmap_slot){m->borrowed ? (char *)key : xstrdup(key), value, h};
    m->count++;
    return NULL;
}

void *hmap_remove(struct hmap *m, const char *key)
{
    struct hmap_slot *s = hmap_find(m, key, hmap_hash(key));
    if (s == NULL)
        return NULL;
    void *value = s->value;
    if (!m->borrowed)
        free(s->key);
    s->key = HMAP_TOMBSTONE;
    s->value = NULL;
    m->count--;
    return value;
}

size_t hmap_count(const struct hmap *m)
{
    return m->count;
}

bool hmap_next(const struct hmap *m, size_t *it, const char **key, void **value)
{
    while (*it < m->cap) {
        struct hmap_slot *s = &m->slots[(*it)++];
        if (s->key != NULL && s->key != HMAP_TOMBSTONE) {
            if (key)
                *key = s->key;
            if (value)
                *value = s->value;
            return true;
        }
    }
    return false;
}
