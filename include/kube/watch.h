/* Watch streams: splitting the byte stream into events whatever the chunking, decoding them, and
 * the resume / relist / bookmark decisions of one (resource, namespace) watch. No I/O here. */
#ifndef KT_KUBE_WATCH_H
#define KT_KUBE_WATCH_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "util/strbuf.h"

/* Finds complete top-level JSON values in a stream of chunks: the API server writes one event
 * per line, but a chunk may end anywhere (inside a string, an escape, a UTF-8 sequence), so the
 * splitter tracks JSON nesting rather than trusting newlines. */
struct watch_splitter {
    struct strbuf buf;
    size_t scan;  /* bytes of buf already scanned */
    size_t start; /* where the current value began */
    int depth;
    bool in_string;
    bool escape;
    bool broken; /* a value larger than the limit: the stream must be reopened */
};

void watch_splitter_init(struct watch_splitter *s);
void watch_splitter_free(struct watch_splitter *s);
void watch_splitter_reset(struct watch_splitter *s);
/* Feeds len bytes; calls fn for each complete value (not NUL-terminated, len bytes). Stops and
 * returns false when fn returns false or the stream is malformed; true otherwise. */
bool watch_splitter_feed(struct watch_splitter *s, const char *data, size_t len,
                         bool (*fn)(void *ctx, const char *json, size_t len), void *ctx);
/* Bytes of a value begun but not yet complete. */
size_t watch_splitter_pending(const struct watch_splitter *s);

enum watch_type { WATCH_ADDED, WATCH_MODIFIED, WATCH_DELETED, WATCH_BOOKMARK, WATCH_ERROR };

/* One decoded event; object is borrowed from root. */
struct watch_event {
    enum watch_type type;
    cJSON *root;
    const cJSON *object;
    const char *resource_version; /* object's metadata.resourceVersion, may be NULL */
};

/* Decodes {"type":..., "object":{...}}. Returns 0 (free with watch_event_clear), or -1 with
 * *cause. */
int watch_event_decode(const char *json, size_t len, struct watch_event *ev, char **cause);
void watch_event_clear(struct watch_event *ev);

/* What to do when a watch request ends. */
enum watch_next {
    WATCH_NEXT_RESUME, /* reopen now from the last resourceVersion (server timeout, clean end) */
    WATCH_NEXT_RETRY,  /* reopen from the last resourceVersion after a backoff */
    WATCH_NEXT_RELIST, /* the resourceVersion is too old (410 Gone): list again */
    WATCH_NEXT_POLL,   /* watch is forbidden (403) though list worked: poll with lists */
};

/* The state of one watch across requests. */
struct watch_state {
    char *resource_version; /* the last one seen (list, event or bookmark) */
    bool gone;              /* an ERROR event with code 410 arrived on this stream */
    unsigned failures;      /* consecutive failed attempts, for the backoff */
    unsigned long events;   /* ADDED/MODIFIED/DELETED delivered */
    unsigned long bookmarks;
};

void watch_state_init(struct watch_state *w);
void watch_state_free(struct watch_state *w);
void watch_state_set_rv(struct watch_state *w, const char *rv);
/* Records an event's effect on the state (resourceVersion, 410). Returns true if the event is
 * for the owner (ADDED/MODIFIED/DELETED), false for BOOKMARK and ERROR. */
bool watch_state_event(struct watch_state *w, const struct watch_event *ev);
/* Decides the next step when a watch request ended with HTTP code (0: no response) and whether
 * the transfer itself failed. */
enum watch_next watch_state_end(struct watch_state *w, long code, bool transport_error);

/* The server-side timeout of a new watch: between 5 and 10 minutes, as client-go's reflector
 * chooses it, to spread reconnects; r01 in [0, 1). */
long watch_timeout_seconds(double r01);
/* "<collection>?watch=1&allowWatchBookmarks=true&resourceVersion=<rv>&timeoutSeconds=<t>".
 * Allocated. */
char *watch_path(const char *collection, const char *rv, long timeout_s);

#endif
