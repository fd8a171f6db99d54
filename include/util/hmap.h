/* A hash map from strings to pointers: open addressing, keys copied, O(1) expected per call. */
#ifndef KT_UTIL_HMAP_H
#define KT_UTIL_HMAP_H

#include <stdbool.h>
#include <stddef.h>

struct hmap_slot;

struct hmap {
    struct hmap_slot *slots;
    size_t cap;   /* a power of two, or 0 before the first insert */
    size_t count; /* live entries */
    size_t used;  /* live entries plus tombstones */
};

void hmap_init(struct hmap *m);
/* Frees the map; free_value (may be NULL) is called on every value. */
void hmap_free(struct hmap *m, void (*free_value)(void *));
void *hmap_get(const struct hmap *m, const char *key);
bool hmap_contains(const struct hmap *m, const char *key);
/* Inserts or replaces; returns the previous value (the caller frees it) or NULL. */
void *hmap_put(struct hmap *m, const char *key, void *value);
/* Removes key; returns its value (the caller frees it) or NULL. */
void *hmap_remove(struct hmap *m, const char *key);
size_t hmap_count(const struct hmap *m);
/* Iterates in unspecified order: start with *it = 0; returns false at the end. The map must not
 * change while iterating. */
bool hmap_next(const struct hmap *m, size_t *it, const char **key, void **value);

#endif
