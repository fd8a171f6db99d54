/* Fuzzes the watch stream: the splitter, the event decoder and the resume state. The first byte
 * chooses how the rest is cut into chunks; the values found must be the same however the stream
 * is cut (a chunk may end anywhere: inside a string, an escape or a UTF-8 sequence). */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "kube/watch.h"

struct seen {
    unsigned long long hash[64];
    size_t len[64];
    size_t n;
    struct watch_state state;
};

static unsigned long long fnv1a(const char *s, size_t n)
{
    unsigned long long h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

static bool on_value(void *ctx, const char *json, size_t len)
{
    struct seen *s = ctx;
    if (len == 0 || (json[0] != '{' && json[0] != '[') ||
        (json[len - 1] != '}' && json[len - 1] != ']'))
        abort(); /* a value the splitter hands out is a whole object or array */
    if (s->n < sizeof s->hash / sizeof s->hash[0]) {
        s->hash[s->n] = fnv1a(json, len);
        s->len[s->n] = len;
    }
    s->n++;
    struct watch_event ev;
    char *cause = NULL;
    if (watch_event_decode(json, len, &ev, &cause) == 0) {
        (void)watch_state_event(&s->state, &ev);
        watch_event_clear(&ev);
    } else if (cause == NULL || cause[0] == '\0') {
        abort(); /* an error without a message */
    }
    free(cause);
    return true;
}

static bool feed(const char *data, size_t size, unsigned chunking, struct seen *out)
{
    struct watch_splitter sp;
    watch_splitter_init(&sp);
    watch_state_init(&out->state);
    bool ok = true;
    size_t off = 0;
    unsigned r = chunking | 1;
    while (ok && off < size) {
        size_t n = size - off;
        if (chunking != 0) {
            r = r * 1103515245u + 12345u;
            n = 1 + (r >> 16) % (chunking % 17 + 1);
            if (n > size - off)
                n = size - off;
        }
        ok = watch_splitter_feed(&sp, data + off, n, on_value, out);
        off += n;
    }
    (void)watch_splitter_pending(&sp);
    (void)watch_state_end(&out->state, 410, false);
    (void)watch_state_end(&out->state, 0, true);
    watch_state_free(&out->state);
    watch_splitter_free(&sp);
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned chunking = data[0];
    const char *stream = (const char *)data + 1;
    size--;
    struct seen *whole = calloc(1, sizeof *whole), *cut = calloc(1, sizeof *cut);
    if (whole == NULL || cut == NULL)
        abort();
    bool ok_whole = feed(stream, size, 0, whole);
    bool ok_cut = feed(stream, size, chunking, cut);
    if (ok_whole != ok_cut || whole->n != cut->n)
        abort();
    for (size_t i = 0; i < whole->n && i < sizeof whole->hash / sizeof whole->hash[0]; i++)
        if (whole->hash[i] != cut->hash[i] || whole->len[i] != cut->len[i])
            abort();
    free(whole);
    free(cut);
    return 0;
}
