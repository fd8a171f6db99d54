/* model/arena: an object built from many pieces comes out as one block whose pointers all lead
 * inside it (or to constants), whatever the number of chunks, and is freed with one free(); a
 * discarded arena leaves nothing behind (the sanitizer build checks both). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "model/arena.h"

struct item {
    char *key;
    char *value;
    long n;
};

struct obj {
    char *name;
    char *copy_of_name;
    char *word;
    struct item *items;
    size_t n_items;
    char **tags;
    size_t n_tags;
    char *big;
};

static void assert_inside(const void *block, size_t size, const void *p)
{
    uintptr_t b = (uintptr_t)block, u = (uintptr_t)p;
    assert_true(u >= b && u < b + size);
}

/* Builds an obj with n items and n tags, each value long enough to need several chunks. */
static struct obj *build(struct arena *a, size_t n)
{
    struct obj *o = arena_root(a, sizeof *o);
    arena_strdup(a, &o->name, "team-00-dev.01kabc.e987bc5");
    arena_set(a, &o->copy_of_name, o->name);
    arena_set(a, &o->word, "Succeeded");
    arena_array(a, &o->items, n, sizeof *o->items);
    arena_array(a, &o->tags, n, sizeof *o->tags);
    for (size_t i = 0; i < n; i++) {
        char key[32], value[96];
        snprintf(key, sizeof key, "k%03zu", (n - i) % n); /* descending, to sort later */
        snprintf(value, sizeof value, "value of item %zu padded to be long enough ...........", i);
        arena_strdup(a, &o->items[i].key, key);
        arena_strdup(a, &o->items[i].value, value);
        o->items[i].n = (long)i;
        arena_concat(a, &o->tags[i], "tag-", key, NULL);
    }
    o->n_items = o->n_tags = n;
    return o;
}

static int item_cmp(const void *x, const void *y)
{
    return strcmp(((const struct item *)x)->key, ((const struct item *)y)->key);
}

static void test_one_block_with_every_pointer_inside(void **state)
{
    (void)state;
    for (size_t n = 1; n <= 200; n = n * 3 + 1) {
        struct arena a;
        arena_init(&a);
        build(&a, n);
        size_t used = arena_used(&a);
        struct obj *o = arena_finish(&a);
        assert_non_null(o);
        assert_string_equal(o->name, "team-00-dev.01kabc.e987bc5");
        assert_inside(o, used, o->name);
        assert_ptr_equal(o->copy_of_name, o->name); /* one copy, still shared after the move */
        assert_string_equal(o->word, "Succeeded");
        assert_int_equal(o->n_items, n);
        assert_inside(o, used, o->items);
        assert_inside(o, used, o->tags);
        for (size_t i = 0; i < n; i++) {
            char key[32];
            snprintf(key, sizeof key, "k%03zu", (n - i) % n);
            assert_string_equal(o->items[i].key, key);
            assert_inside(o, used, o->items[i].key);
            assert_inside(o, used, o->items[i].value);
            assert_int_equal(o->items[i].n, (long)i);
            char tag[40];
            snprintf(tag, sizeof tag, "tag-%s", key);
            assert_string_equal(o->tags[i], tag);
            assert_inside(o, used, o->tags[i]);
        }
        free(o);
        /* the arena is empty again and can build the next object */
        assert_int_equal(arena_used(&a), 0);
        assert_null(arena_finish(&a));
    }
}

static void test_constants_and_nulls_stay(void **state)
{
    (void)state;
    static const char constant[] = "Warehouse";
    struct arena a;
    arena_init(&a);
    struct obj *o = arena_root(&a, sizeof *o);
    arena_set(&a, &o->word, constant);
    arena_strdup(&a, &o->name, NULL);
    assert_null(arena_array(&a, &o->items, 0, sizeof *o->items));
    arena_strndup(&a, &o->big, "abcdef", 3);
    o = arena_finish(&a);
    assert_ptr_equal(o->word, constant);
    assert_null(o->name);
    assert_null(o->items);
    assert_string_equal(o->big, "abc");
    free(o);
}

/* The padding between a string and the next aligned piece is zero in the block: whatever the
 * heap left there (a freed pointer) would otherwise be copied out, and the debug build's check
 * for pointers set behind the arena's back would take it for one. */
static void test_padding_is_zeroed(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a);
    struct obj *o = arena_root(&a, sizeof *o);
    arena_strdup(&a, &o->name, "");
    struct arena_chunk *c = &a.chunks[0];
    size_t gap = c->used; /* the padding starts after the 1-byte string */
    memset(c->base + c->used, 0xab, c->cap - c->used); /* stale bytes, as malloc leaves them */
    arena_array(&a, &o->tags, 1, sizeof *o->tags);
    o = arena_finish(&a);
    const unsigned char *block = (const unsigned char *)o;
    assert_int_equal(gap % 8, 1);
    for (size_t i = gap; i % 8 != 0; i++)
        assert_int_equal(block[i], 0);
    assert_ptr_equal((const unsigned char *)o->tags, block + gap + 7);
    free(o);
}

/* Sorting an array of structs moves values between remembered fields: still relocated. */
static void test_sorted_after_building(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a);
    struct obj *o = build(&a, 40);
    qsort(o->items, o->n_items, sizeof *o->items, item_cmp);
    size_t used = arena_used(&a);
    o = arena_finish(&a);
    for (size_t i = 0; i < o->n_items; i++) {
        char key[32];
        snprintf(key, sizeof key, "k%03zu", i);
        assert_string_equal(o->items[i].key, key);
        assert_inside(o, used, o->items[i].value);
        char value[96];
        snprintf(value, sizeof value, "value of item %zu padded to be long enough ...........",
                 (size_t)o->items[i].n);
        assert_string_equal(o->items[i].value, value);
    }
    free(o);
}

/* One piece bigger than any chunk so far gets a chunk of its own size. */
static void test_piece_larger_than_a_chunk(void **state)
{
    (void)state;
    size_t len = ARENA_FIRST_CHUNK * 5 + 7;
    char *s = malloc(len + 1);
    memset(s, 'x', len);
    s[len] = '\0';
    struct arena a;
    arena_init(&a);
    struct obj *o = arena_root(&a, sizeof *o);
    arena_strdup(&a, &o->name, "small");
    arena_strdup(&a, &o->big, s);
    arena_strdup(&a, &o->word, "after");
    o = arena_finish(&a);
    assert_string_equal(o->name, "small");
    assert_string_equal(o->big, s);
    assert_string_equal(o->word, "after");
    free(o);
    free(s);
}

/* Discarding frees the chunks and the field list, also once they outgrew their first size. */
static void test_discard_leaves_nothing(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a);
    build(&a, 150); /* > ARENA_INLINE_SLOTS fields and several chunks */
    assert_true(arena_used(&a) > 4 * ARENA_FIRST_CHUNK);
    arena_discard(&a);
    assert_int_equal(arena_used(&a), 0);
    arena_discard(&a); /* twice is harmless */
}

#ifndef NDEBUG
/* Debug builds catch a pointer into the arena that was not set through it. */
static void test_pointer_behind_the_arenas_back_aborts(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        fclose(stderr); /* the message is expected */
        struct arena a;
        arena_init(&a);
        struct obj *o = arena_root(&a, sizeof *o);
        arena_strdup(&a, &o->name, "x");
        o->word = o->name; /* not through arena_set */
        free(arena_finish(&a));
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_block_with_every_pointer_inside),
        cmocka_unit_test(test_constants_and_nulls_stay),
        cmocka_unit_test(test_sorted_after_building),
        cmocka_unit_test(test_padding_is_zeroed),
        cmocka_unit_test(test_piece_larger_than_a_chunk),
        cmocka_unit_test(test_discard_leaves_nothing),
#ifndef NDEBUG
        cmocka_unit_test(test_pointer_behind_the_arenas_back_aborts),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
