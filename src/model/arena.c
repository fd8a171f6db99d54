/* Scratch chunks that double in size, plus the list of pointer fields written through the
 * arena. arena_finish() copies the chunks one after another into a single block and rewrites
 * each remembered field that points into a chunk; fields holding NULL or a constant stay as
 * they are, so remembering a field whatever its value is harmless (and makes sorting an array
 * of structs, which moves values between fields, safe). */
#include "model/arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

/* Every type the model's structs hold is aligned to at most 8 bytes. */
#define ARENA_ALIGN 8
_Static_assert(_Alignof(void *) <= ARENA_ALIGN && _Alignof(long long) <= ARENA_ALIGN &&
                   _Alignof(double) <= ARENA_ALIGN && _Alignof(size_t) <= ARENA_ALIGN,
               "arena alignment too small for the model's structs");

static size_t align_up(size_t n, size_t align)
{
    return (n + align - 1) & ~(align - 1);
}

void arena_init(struct arena *a)
{
    memset(a, 0, sizeof *a);
    a->slots = a->inline_slots;
    a->cap_slots = ARENA_INLINE_SLOTS;
}

static void arena_abort(const char *what)
{
    fprintf(stderr, "kargotop: arena: %s\n", what);
    abort();
}

static void *arena_take(struct arena *a, size_t size, size_t align)
{
    struct arena_chunk *c = a->n_chunks ? &a->chunks[a->n_chunks - 1] : NULL;
    if (c != NULL) {
        size_t off = align_up(c->used, align);
        if (off <= c->cap && size <= c->cap - off) {
            /* the padding is copied out by arena_finish: no stale heap bytes in it */
            memset(c->base + c->used, 0, off - c->used);
            c->used = off + size;
            return c->base + off;
        }
    }
    if (a->n_chunks == ARENA_MAX_CHUNKS)
        arena_abort("object too large");
    size_t cap = c ? c->cap * 2 : ARENA_FIRST_CHUNK;
    while (cap < size)
        cap *= 2;
    c = &a->chunks[a->n_chunks++];
    c->base = xmalloc(cap); /* malloc's alignment covers ARENA_ALIGN */
    c->cap = cap;
    c->used = size;
    return c->base;
}

/* The chunk holding address p, or NULL. Compared as integers: p may point anywhere. */
static struct arena_chunk *arena_chunk_of(struct arena *a, const void *p)
{
    uintptr_t u = (uintptr_t)p;
    for (size_t i = 0; i < a->n_chunks; i++) {
        uintptr_t b = (uintptr_t)a->chunks[i].base;
        if (u >= b && u < b + a->chunks[i].used)
            return &a->chunks[i];
    }
    return NULL;
}

static void arena_remember(struct arena *a, void *slot)
{
    if (a->n_slots == a->cap_slots) {
        size_t cap = a->cap_slots * 2;
        void **s = xmalloc(cap * sizeof *s);
        memcpy(s, a->slots, a->n_slots * sizeof *s);
        if (a->slots != a->inline_slots)
            free(a->slots);
        a->slots = s;
        a->cap_slots = cap;
    }
    a->slots[a->n_slots++] = slot;
}

static void slot_write(struct arena *a, void *slot, const void *value)
{
    memcpy(slot, &value, sizeof value);
    arena_remember(a, slot);
}

void *arena_root(struct arena *a, size_t size)
{
    if (a->n_chunks != 0)
        arena_abort("the root must be the first allocation");
    void *p = arena_take(a, size ? size : 1, ARENA_ALIGN);
    memset(p, 0, size);
    return p;
}

void *arena_array(struct arena *a, void *slot, size_t n, size_t size)
{
    void *p = NULL;
    if (n > 0) {
        if (size != 0 && n > SIZE_MAX / size)
            arena_abort("array too large");
        p = arena_take(a, n * size, ARENA_ALIGN);
        memset(p, 0, n * size);
    }
    slot_write(a, slot, p);
    return p;
}

char *arena_strndup(struct arena *a, char **slot, const char *s, size_t n)
{
    char *p = arena_take(a, n + 1, 1);
    memcpy(p, s, n);
    p[n] = '\0';
    slot_write(a, slot, p);
    return p;
}

char *arena_strdup(struct arena *a, char **slot, const char *s)
{
    if (s == NULL) {
        slot_write(a, slot, NULL);
        return NULL;
    }
    return arena_strndup(a, slot, s, strlen(s));
}

char *arena_concat(struct arena *a, char **slot, const char *s1, const char *s2, const char *s3)
{
    size_t n1 = s1 ? strlen(s1) : 0, n2 = s2 ? strlen(s2) : 0, n3 = s3 ? strlen(s3) : 0;
    char *p = arena_take(a, n1 + n2 + n3 + 1, 1);
    memcpy(p, s1 ? s1 : "", n1);
    memcpy(p + n1, s2 ? s2 : "", n2);
    memcpy(p + n1 + n2, s3 ? s3 : "", n3);
    p[n1 + n2 + n3] = '\0';
    slot_write(a, slot, p);
    return p;
}

void arena_set(struct arena *a, char **slot, const char *s)
{
    slot_write(a, slot, s);
}

size_t arena_used(const struct arena *a)
{
    size_t n = 0;
    for (size_t i = 0; i < a->n_chunks; i++)
        n = align_up(n, ARENA_ALIGN) + a->chunks[i].used;
    return n;
}

static void arena_reset(struct arena *a)
{
    for (size_t i = 0; i < a->n_chunks; i++)
        free(a->chunks[i].base);
    if (a->slots != a->inline_slots)
        free(a->slots);
    arena_init(a);
}

void arena_discard(struct arena *a)
{
    arena_reset(a);
}

void *arena_finish(struct arena *a)
{
    if (a->n_chunks == 0) {
        arena_reset(a);
        return NULL;
    }
    size_t off[ARENA_MAX_CHUNKS];
    size_t total = 0;
    for (size_t i = 0; i < a->n_chunks; i++) {
        off[i] = align_up(total, ARENA_ALIGN);
        total = off[i] + a->chunks[i].used;
    }
    char *block = xmalloc(total);
    for (size_t i = 0; i < a->n_chunks; i++) {
        size_t end = i + 1 < a->n_chunks ? off[i + 1] : total;
        memcpy(block + off[i], a->chunks[i].base, a->chunks[i].used);
        memset(block + off[i] + a->chunks[i].used, 0, end - off[i] - a->chunks[i].used);
    }

    for (size_t i = 0; i < a->n_slots; i++) {
        struct arena_chunk *sc = arena_chunk_of(a, a->slots[i]);
        if (sc == NULL)
            arena_abort("a pointer field outside the arena");
        char *slot = block + off[sc - a->chunks] + ((char *)a->slots[i] - sc->base);
        void *v;
        memcpy(&v, slot, sizeof v);
        struct arena_chunk *vc = v ? arena_chunk_of(a, v) : NULL;
        if (vc == NULL)
            continue; /* NULL or a constant */
        v = block + off[vc - a->chunks] + ((char *)v - vc->base);
        memcpy(slot, &v, sizeof v);
    }
#ifndef NDEBUG
    /* A word still pointing into a chunk is a pointer set behind the arena's back: it would
     * dangle once the chunks are freed. (Strings and numbers cannot look like these addresses.) */
    for (size_t w = 0; w + sizeof(void *) <= total; w += ARENA_ALIGN) {
        void *v;
        memcpy(&v, block + w, sizeof v);
        if (v != NULL && arena_chunk_of(a, v) != NULL)
            arena_abort("a pointer into the arena was not set through it");
    }
#endif
    arena_reset(a);
    return block;
}
