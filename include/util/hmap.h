/* A hash map from strings to pointers: open addressing, keys copied (or borrowed), O(1) expected
 * per call. */
#ifndef KT_UTIL_HMAP_H
#define KT_UTIL_HMAP_H

#include <stdbool.h>
#include <stddef.h>

struct hmap_slot;

struct hmap {
    struct hmap_slot *slots;
    size_t cap;    /* a power of two, or 0 before the first insert */
    size_t count;  /* live entries */
    size_t used;   /* live entries plus tombstones */
    bool borrowed; /* keys are the caller's, not copies */
};

void hmap_init(struct hmap *m);
/* A map that keeps the caller's key pointers instead of copies (the store keys objects by the
 * name inside them: 40,000 copies saved). Each key must stay valid while its entry exists; a
 * put on an existing key takes the new pointer, so a key living in its value can be replaced
 * together with it. */
void hmap_init_borrowed(struct hmap *m);
/* Frees the map (it stays usable, empty, with the same kind of keys); free_value (may be NULL)
 * is called on every value. */
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
