/* One allocation per decoded object: a decoder builds its struct, arrays and strings in a scratch
 * arena, then arena_finish() moves them into a single block of exactly the bytes used, freed
 * with one free(). A Promotion was ~40 small allocations (half its memory was malloc's chunk
 * headers); it is now one. Every pointer the object keeps into the arena is written through the
 * arena (arena_array, arena_strdup, arena_set...), which remembers where it is, so the move can
 * fix it; a pointer set behind the arena's back would dangle (debug builds check for it). */
#ifndef KT_MODEL_ARENA_H
#define KT_MODEL_ARENA_H

#include <stddef.h>

/* Chunks grow 1 KB, 2 KB, 4 KB...: enough for any object (the last would be 2^33 bytes). */
#define ARENA_FIRST_CHUNK  1024
#define ARENA_MAX_CHUNKS   24
#define ARENA_INLINE_SLOTS 64

struct arena_chunk {
    char *base;
    size_t used;
    size_t cap;
};

struct arena {
    struct arena_chunk chunks[ARENA_MAX_CHUNKS];
    size_t n_chunks;
    void *inline_slots[ARENA_INLINE_SLOTS];
    void **slots; /* addresses of pointer fields inside the arena */
    size_t n_slots;
    size_t cap_slots;
};

/* An empty arena (it allocates nothing until the first call). */
void arena_init(struct arena *a);

/* The object itself: size zeroed bytes, the first allocation of the arena, so that it starts the
 * block arena_finish() returns. */
void *arena_root(struct arena *a, size_t size);

/* Zeroed room for n elements of size bytes; the array's address is stored in *slot (a pointer
 * field inside this arena's objects), or NULL when n is 0. Returns the array. */
void *arena_array(struct arena *a, void *slot, size_t n, size_t size);

/* A copy of s (NULL for NULL) stored in *slot. Returns the copy. */
char *arena_strdup(struct arena *a, char **slot, const char *s);
/* The first n bytes of s, terminated. */
char *arena_strndup(struct arena *a, char **slot, const char *s, size_t n);
/* a, then b, then c (each may be NULL for nothing) as one string. */
char *arena_concat(struct arena *a, char **slot, const char *s1, const char *s2, const char *s3);

/* Points *slot at s, which must outlive the object: a string already in this arena (one copy
 * for a value the object repeats) or a constant. */
void arena_set(struct arena *a, char **slot, const char *s);

/* Moves everything into one new block and returns it (the root's address; free() it), leaving
 * the arena empty. Returns NULL when nothing was allocated. */
void *arena_finish(struct arena *a);
/* Frees everything (a decoder that gave up), leaving the arena empty. */
void arena_discard(struct arena *a);

/* Bytes the arena holds now (what arena_finish's block will take, give or take alignment). */
size_t arena_used(const struct arena *a);

#endif
