/* The watch stream splitter and the per-watch resume/relist state. */
#include "kube/watch.h"

#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "util/json.h"
#include "util/xalloc.h"

/* No Kargo object comes near this; a larger value means a broken stream, and buffering it
 * forever would eat memory. */
#define WATCH_EVENT_MAX (64u * 1024 * 1024)

void watch_splitter_init(struct watch_splitter *s)
{
    memset(s, 0, sizeof *s);
    strbuf_init(&s->buf);
}

void watch_splitter_free(struct watch_splitter *s)
{
    strbuf_free(&s->buf);
}

void watch_splitter_reset(struct watch_splitter *s)
{
    strbuf_reset(&s->buf);
    s->scan = s->start = 0;
    s->depth = 0;
    s->in_string = s->escape = s->broken = false;
}

size_t watch_splitter_pending(const struct watch_splitter *s)
{
    return s->depth > 0 ? s->buf.len - s->start : 0;
}

bool watch_splitter_feed(struct watch_splitter *s, const char *data, size_t len,
                         bool (*fn)(void *ctx, const char *json, size_t len), void *ctx)
{
    if (s->broken)
        return false;
    strbuf_append_len(&s->buf, data, len);
    const char *b = s->buf.buf;
    size_t i = s->scan;
    bool ok = true;
    for (; i < s->buf.len; i++) {
        char ch = b[i];
        if (s->depth == 0) {
            if (ch == '{' || ch == '[') {
                s->start = i;
                s->depth = 1;
            } else if (ch != ' ' && ch != '\n' && ch != '\r' && ch != '\t') {
                s->broken = true; /* the server writes only objects between newlines */
                ok = false;
                i++;
                break;
            }
            continue;
        }
        if (s->in_string) {
            if (s->escape)
                s->escape = false;
            else if (ch == '\\')
                s->escape = true;
            else if (ch == '"')
                s->in_string = false;
            continue;
        }
        if (ch == '"') {
            s->in_string = true;
        } else if (ch == '{' || ch == '[') {
            s->depth++;
        } else if (ch == '}' || ch == ']') {
            if (--s->depth == 0) {
                if (!fn(ctx, b + s->start, i + 1 - s->start)) {
                    ok = false;
                    i++;
                    s->start = i;
                    break;
                }
                s->start = i + 1;
            }
        }
    }
    /* Drop what has been handed out, keep the partial value. */
    size_t keep_from = s->depth > 0 ? s->start : i;
    if (keep_from > 0) {
        memmove(s->buf.buf, s->buf.buf + keep_from, s->buf.len - keep_from);
        s->buf.len -= keep_from;
        s->buf.buf[s->buf.len] = '\0';
        i -= keep_from;
        s->start -= s->start >= keep_from ? keep_from : s->start;
    }
    s->scan = i;
    if (s->depth > 0 && s->buf.len - s->start > WATCH_EVENT_MAX) {
        s->broken = true;
        ok = false;
    }
    return ok;
}

int watch_event_decode(const char *json, size_t len, struct watch_event *ev, char **cause)
{
    memset(ev, 0, sizeof *ev);
    char *err = NULL;
    ev->root = json_parse(json, len, &err);
    if (ev->root == NULL) {
        cause_set(cause, "watch event is not JSON: %s", err);
        free(err);
        return -1;
    }
    const char *type = json_get_string(ev->root, "type", (char *)NULL);
    const cJSON *obj = json_get(ev->root, "object", (char *)NULL);
    static const struct {
        const char *name;
        enum watch_type type;
    } types[] = {{"ADDED", WATCH_ADDED},
                 {"MODIFIED", WATCH_MODIFIED},
                 {"DELETED", WATCH_DELETED},
                 {"BOOKMARK", WATCH_BOOKMARK},
                 {"ERROR", WATCH_ERROR}};
    size_t k = 0;
    for (; type != NULL && k < sizeof types / sizeof types[0]; k++)
        if (strcmp(type, types[k].name) == 0)
            break;
    if (type == NULL || k == sizeof types / sizeof types[0] || !cJSON_IsObject(obj)) {
        cause_set(cause, "watch event has type '%s' and %s", type ? type : "",
                  cJSON_IsObject(obj) ? "an object" : "no object");
        watch_event_clear(ev);
        return -1;
    }
    ev->type = types[k].type;
    ev->object = obj;
    ev->resource_version = json_get_string(obj, "metadata", "resourceVersion", (char *)NULL);
    return 0;
}

void watch_event_clear(struct watch_event *ev)
{
    cJSON_Delete(ev->root);
    memset(ev, 0, sizeof *ev);
}

void watch_state_init(struct watch_state *w)
{
    memset(w, 0, sizeof *w);
}

void watch_state_free(struct watch_state *w)
{
    free(w->resource_version);
    w->resource_version = NULL;
}

void watch_state_set_rv(struct watch_state *w, const char *rv)
{
    if (rv == NULL || rv[0] == '\0')
        return;
    char *n = xstrdup(rv);
    free(w->resource_version);
    w->resource_version = n;
}

bool watch_state_event(struct watch_state *w, const struct watch_event *ev)
{
    switch (ev->type) {
    case WATCH_ADDED:
    case WATCH_MODIFIED:
    case WATCH_DELETED:
        watch_state_set_rv(w, ev->resource_version);
        w->events++;
        return true;
    case WATCH_BOOKMARK:
        watch_state_set_rv(w, ev->resource_version);
        w->bookmarks++;
        return false;
    case WATCH_ERROR: {
        double code = 0;
        const char *reason = json_get_string(ev->object, "reason", (char *)NULL);
        if ((json_get_number(ev->object, &code, "code", (char *)NULL) && code == 410) ||
            (reason != NULL && (strcmp(reason, "Expired") == 0 || strcmp(reason, "Gone") == 0)))
            w->gone = true;
        return false;
    }
    }
    return false;
}

enum watch_next watch_state_end(struct watch_state *w, long code, bool transport_error)
{
    if (w->gone || code == 410) {
        w->gone = false;
        w->failures = 0;
        return WATCH_NEXT_RELIST;
    }
    if (code == 403)
        return WATCH_NEXT_POLL;
    if (code >= 200 && code < 300 && !transport_error) {
        w->failures = 0;
        return WATCH_NEXT_RESUME;
    }
    w->failures++;
    return WATCH_NEXT_RETRY;
}

long watch_timeout_seconds(double r01)
{
    if (r01 < 0)
        r01 = 0;
    if (r01 >= 1)
        r01 = 0.999999;
    return 300 + (long)(r01 * 300.0);
}

char *watch_path(const char *collection, const char *rv, long timeout_s)
{
    char *erv = curl_easy_escape(NULL, rv ? rv : "", 0);
    char *p =
        xasprintf("%s%swatch=1&allowWatchBookmarks=true&resourceVersion=%s&timeoutSeconds=%ld",
                  collection, strchr(collection, '?') ? "&" : "?", erv ? erv : "", timeout_s);
    curl_free(erv);
    return p;
}
