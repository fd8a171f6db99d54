/* List-then-watch informers, run entirely on the client's I/O thread as a small state machine
 * driven by transfer completions and timers. */
#include "kube/informer.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "kube/api.h"
#include "kube/watch.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define LIST_PAGE       500
#define DEFAULT_POLL_S  5
#define DEFAULT_IDLE_S  180 /* three of kube-apiserver's one-minute bookmark periods */
#define SHORT_WATCH_MS  1000
#define LIST_TIMEOUT_MS 60000L

enum informer_mode { MODE_WATCH, MODE_POLL };

struct informer {
    struct kube_client *c;
    char *collection;
    struct informer_callbacks cb;
    int poll_s;
    int idle_s; /* a watch silent this long is a dead connection */
    enum informer_mode mode;
    struct watch_state ws;
    struct watch_splitter sp;
    struct http_xfer *xfer;
    struct http_timer *timer;
    struct http_waiter *waiter; /* a backoff that ends early when the server answers again */
    void (*retry_fn)(void *);   /* what the backoff's timer runs */
    cJSON *pending;             /* items of the list pages so far */
    char *cont;                 /* continue token of the next page */
    char *polled_rv;            /* resourceVersion of the last list delivered while polling */
    bool have_listed;           /* a relist was delivered (polling compares resourceVersions) */
    bool paging;                /* on_relist_page has had the first pages of an unfinished relist */
    void (*on_relist_page)(void *ctx, const cJSON *items, bool first, bool last);
    long long watch_t0; /* when the current watch was opened */
    bool watch_had_data;
    unsigned list_failures;
    unsigned quick_relists; /* 410s right after a relist, in a row */
    struct informer_state st;
    char *msg;
};

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *informer_phase_name(enum informer_phase phase)
{
    switch (phase) {
    case INFORMER_CONNECTING:
        return "connecting";
    case INFORMER_CONNECTED:
        return "connected";
    case INFORMER_RETRYING:
        return "retrying";
    case INFORMER_FORBIDDEN:
        return "forbidden";
    case INFORMER_POLLING:
        return "polling";
    }
    return "unknown";
}

static void report(struct informer *inf, enum informer_phase phase, int retry_s, const char *msg)
{
    bool same = inf->st.phase == phase && inf->st.retry_in_s == retry_s &&
                ((msg == NULL && inf->msg == NULL) ||
                 (msg != NULL && inf->msg != NULL && strcmp(msg, inf->msg) == 0));
    if (same)
        return;
    char *m = msg ? xstrdup(msg) : NULL;
    free(inf->msg);
    inf->msg = m;
    inf->st.phase = phase;
    inf->st.retry_in_s = retry_s;
    inf->st.poll_interval_s = inf->poll_s;
    inf->st.message = inf->msg;
    if (inf->cb.on_state != NULL)
        inf->cb.on_state(inf->cb.ctx, &inf->st);
    kube_client_wake(inf->c);
}

static void begin_list(void *arg);
static void begin_watch(void *arg);

static void schedule(struct informer *inf, long ms, void (*fn)(void *))
{
    inf->timer = http_timer_add(inf->c, ms, fn, inf);
}

static void stop_waiting(struct informer *inf)
{
    if (inf->waiter != NULL)
        http_recovery_cancel(inf->c, inf->waiter);
    inf->waiter = NULL;
}

static void timer_list(void *arg)
{
    struct informer *inf = arg;
    inf->timer = NULL;
    stop_waiting(inf);
    begin_list(inf);
}

static void timer_watch(void *arg)
{
    struct informer *inf = arg;
    inf->timer = NULL;
    stop_waiting(inf);
    begin_watch(inf);
}

static void recovered(void *arg)
{
    struct informer *inf = arg;
    inf->waiter = NULL;
    if (inf->timer == NULL)
        return;
    http_timer_cancel(inf->c, inf->timer);
    inf->timer = NULL;
    inf->retry_fn(inf);
}

/* A backoff after a failure. Unless the server itself said how long to wait (Retry-After), it
 * ends as soon as the server answers anything again: after an outage every informer would
 * otherwise come back at its own point of a backoff of up to 30 s, and the screen would show
 * stale state that long after the cluster is fine. */
static void schedule_retry(struct informer *inf, long ms, double retry_after, void (*fn)(void *))
{
    schedule(inf, ms, fn);
    inf->retry_fn = fn;
    stop_waiting(inf);
    if (retry_after < 0)
        inf->waiter = http_recovery_wait(inf->c, recovered, inf);
}

static long retry_delay(struct informer *inf, unsigned failures, double retry_after)
{
    if (retry_after >= 0)
        return (long)(retry_after * 1000.0);
    return kube_backoff_ms(failures > 0 ? failures - 1 : 0, http_rand01(inf->c));
}

static void deliver_list(struct informer *inf, const char *rv)
{
    inf->st.relists++;
    if (inf->mode == MODE_POLL && inf->have_listed && rv != NULL && inf->polled_rv != NULL &&
        strcmp(rv, inf->polled_rv) == 0)
        return; /* nothing changed since the last poll */
    if (inf->cb.on_relist != NULL)
        inf->cb.on_relist(inf->cb.ctx, inf->pending);
    inf->have_listed = true;
    free(inf->polled_rv);
    inf->polled_rv = rv ? xstrdup(rv) : NULL;
    kube_client_wake(inf->c);
}

/* After the list (delivered or found unchanged by a poll): watch, or poll again later. */
static void list_finished(struct informer *inf, const char *rv)
{
    inf->list_failures = 0;
    watch_state_set_rv(&inf->ws, rv);
    if (inf->mode == MODE_POLL) {
        report(inf, INFORMER_POLLING, 0, inf->msg);
        schedule(inf, inf->poll_s * 1000L, timer_list);
    } else {
        begin_watch(inf);
    }
}

/* One page to on_relist_page, then freed: parse and free per page. Takes page and its arena. */
static void list_page(struct informer *inf, const cJSON *page, struct json_bulk *bulk)
{
    const char *rv = json_get_string(page, "metadata", "resourceVersion", (char *)NULL);
    const char *cont = json_get_string(page, "metadata", "continue", (char *)NULL);
    bool first = !inf->paging, last = cont == NULL || cont[0] == '\0';
    free(inf->cont);
    inf->cont = NULL;
    /* Every page of a list is served at the first page's resourceVersion: a poll that finds it
     * unchanged needs neither the callback nor the other pages. */
    bool unchanged = first && inf->mode == MODE_POLL && inf->have_listed && rv != NULL &&
                     inf->polled_rv != NULL && strcmp(rv, inf->polled_rv) == 0;
    if (unchanged) {
        inf->st.relists++;
        char *keep = xstrdup(rv);
        json_bulk_free(bulk);
        list_finished(inf, keep);
        free(keep);
        return;
    }
    inf->on_relist_page(inf->cb.ctx, cJSON_GetObjectItemCaseSensitive(page, "items"), first, last);
    inf->paging = !last;
    if (!last) {
        inf->cont = xstrdup(cont);
        json_bulk_free(bulk);
        begin_list(inf);
        return;
    }
    inf->st.relists++;
    inf->have_listed = true;
    free(inf->polled_rv);
    inf->polled_rv = rv ? xstrdup(rv) : NULL;
    kube_client_wake(inf->c);
    char *keep = rv ? xstrdup(rv) : NULL;
    json_bulk_free(bulk);
    list_finished(inf, keep);
    free(keep);
}

static void list_done(void *arg, struct http_response *resp)
{
    struct informer *inf = arg;
    inf->xfer = NULL;
    cJSON *page = NULL;
    struct json_bulk *bulk = NULL;
    char *err = NULL;
    /* a page that is decoded and dropped goes in one arena; one whose items are kept cannot */
    if (resp->error == NULL && inf->on_relist_page != NULL)
        page = json_parse_bulk(resp->body, resp->len, &bulk, &err);
    else if (resp->error == NULL)
        page = json_parse(resp->body, resp->len, &err);
    if (page == NULL) {
        if (resp->code == 410 && inf->cont != NULL) {
            /* The continue token expired between pages: start the list again. */
            inf->paging = false;
            free(inf->cont);
            inf->cont = NULL;
            cJSON_Delete(inf->pending);
            inf->pending = NULL;
            free(err);
            begin_list(inf);
            return;
        }
        inf->list_failures++;
        long ms = retry_delay(inf, inf->list_failures, resp->retry_after);
        const char *why = resp->error ? resp->error : err;
        report(inf, resp->code == 403 ? INFORMER_FORBIDDEN : INFORMER_RETRYING,
               (int)((ms + 999) / 1000), why);
        free(err);
        free(inf->cont);
        inf->cont = NULL;
        inf->paging = false;
        cJSON_Delete(inf->pending);
        inf->pending = NULL;
        if (resp->code == 403)
            schedule(inf, ms, timer_list); /* an answer already: the server is not down */
        else
            schedule_retry(inf, ms, resp->retry_after, timer_list);
        return;
    }
    if (inf->on_relist_page != NULL) {
        list_page(inf, page, bulk);
        return;
    }
    if (inf->pending == NULL)
        inf->pending = cJSON_CreateArray();
    cJSON *items = cJSON_GetObjectItemCaseSensitive(page, "items");
    while (cJSON_GetArraySize(items) > 0)
        cJSON_AddItemToArray(inf->pending, cJSON_DetachItemFromArray(items, 0));
    const char *cont = json_get_string(page, "metadata", "continue", (char *)NULL);
    free(inf->cont);
    inf->cont = cont && cont[0] ? xstrdup(cont) : NULL;
    if (inf->cont != NULL) {
        cJSON_Delete(page);
        begin_list(inf);
        return;
    }
    inf->list_failures = 0;
    const char *rv = json_get_string(page, "metadata", "resourceVersion", (char *)NULL);
    deliver_list(inf, rv);
    watch_state_set_rv(&inf->ws, rv);
    cJSON_Delete(page);
    cJSON_Delete(inf->pending);
    inf->pending = NULL;
    if (inf->mode == MODE_POLL) {
        report(inf, INFORMER_POLLING, 0, inf->msg);
        schedule(inf, inf->poll_s * 1000L, timer_list);
    } else {
        begin_watch(inf);
    }
}

static void begin_list(void *arg)
{
    struct informer *inf = arg;
    struct strbuf path;
    strbuf_init(&path);
    strbuf_appendf(&path, "%s?limit=%d", inf->collection, LIST_PAGE);
    if (inf->cont != NULL) {
        char *e = curl_easy_escape(NULL, inf->cont, 0);
        strbuf_appendf(&path, "&continue=%s", e ? e : "");
        curl_free(e);
    }
    struct http_request req = {
        .method = HTTP_GET,
        .path = path.buf,
        .timeout_ms = LIST_TIMEOUT_MS,
        .on_done = list_done,
        .ctx = inf,
    };
    inf->xfer = http_submit(inf->c, &req);
    strbuf_free(&path);
}

static bool watch_event(void *arg, const char *json, size_t len)
{
    struct informer *inf = arg;
    struct watch_event ev;
    char *err = NULL;
    if (watch_event_decode(json, len, &ev, &err) != 0) {
        free(err);
        return false;
    }
    if (watch_state_event(&inf->ws, &ev) && inf->cb.on_event != NULL) {
        enum informer_event t = ev.type == WATCH_ADDED      ? INFORMER_ADDED
                                : ev.type == WATCH_MODIFIED ? INFORMER_MODIFIED
                                                            : INFORMER_DELETED;
        inf->cb.on_event(inf->cb.ctx, t, ev.object);
    }
    bool gone = inf->ws.gone;
    watch_event_clear(&ev);
    return !gone; /* a 410 ends the stream: the next step is a relist */
}

static bool watch_data(void *arg, const char *buf, size_t len)
{
    struct informer *inf = arg;
    inf->watch_had_data = true;
    unsigned long before = inf->ws.events;
    bool ok = watch_splitter_feed(&inf->sp, buf, len, watch_event, inf);
    if (inf->ws.events != before)
        kube_client_wake(inf->c);
    return ok;
}

static void watch_headers(void *arg, long code)
{
    struct informer *inf = arg;
    if (code >= 200 && code < 300) {
        inf->ws.failures = 0;
        report(inf, INFORMER_CONNECTED, 0, NULL);
    }
}

static void watch_done(void *arg, struct http_response *resp)
{
    struct informer *inf = arg;
    inf->xfer = NULL;
    if (resp->curl_code == CURLE_OPERATION_TIMEDOUT && resp->code >= 200 && resp->code < 300) {
        /* Silent past the idle timeout (or past timeoutSeconds plus the margin): the peer or
         * the path to it is gone without a FIN. Resume on a new connection; a server that is
         * really down then fails to connect and the usual backoff reports it. */
        begin_watch(inf);
        return;
    }
    bool transport_error = resp->curl_code != 0;
    bool short_clean = !inf->watch_had_data && mono_ms() - inf->watch_t0 < SHORT_WATCH_MS;
    enum watch_next next = watch_state_end(&inf->ws, resp->code, transport_error);
    if (next == WATCH_NEXT_RESUME && short_clean) {
        /* A server that ends every watch at once must not be hammered in a loop. */
        inf->ws.failures++;
        next = WATCH_NEXT_RETRY;
    }
    switch (next) {
    case WATCH_NEXT_RESUME:
        begin_watch(inf);
        break;
    case WATCH_NEXT_RELIST:
        /* client-go relists at once; but a server that answers every resume with 410 would
         * then be listed in a tight loop, so a second quick 410 in a row backs off. */
        if (mono_ms() - inf->watch_t0 < SHORT_WATCH_MS)
            inf->quick_relists++;
        else
            inf->quick_relists = 0;
        if (inf->quick_relists > 1) {
            long ms = kube_backoff_ms(inf->quick_relists - 2, http_rand01(inf->c));
            report(inf, INFORMER_RETRYING, (int)((ms + 999) / 1000),
                   resp->error ? resp->error : "the server keeps expiring the resourceVersion");
            schedule(inf, ms, timer_list);
        } else {
            begin_list(inf);
        }
        break;
    case WATCH_NEXT_POLL: {
        inf->mode = MODE_POLL;
        char *m = xasprintf("watch is forbidden, so listing every %d s: %s", inf->poll_s,
                            resp->error ? resp->error : "");
        report(inf, INFORMER_POLLING, 0, m);
        free(m);
        schedule(inf, inf->poll_s * 1000L, timer_list);
        break;
    }
    case WATCH_NEXT_RETRY: {
        long ms = retry_delay(inf, inf->ws.failures, resp->retry_after);
        report(inf, INFORMER_RETRYING, (int)((ms + 999) / 1000),
               resp->error ? resp->error : "the watch ended early");
        schedule_retry(inf, ms, resp->retry_after, timer_watch);
        break;
    }
    }
}

static void begin_watch(void *arg)
{
    struct informer *inf = arg;
    watch_splitter_reset(&inf->sp);
    long t = watch_timeout_seconds(http_rand01(inf->c));
    char *path = watch_path(inf->collection, inf->ws.resource_version, t);
    struct http_request req = {
        .method = HTTP_GET,
        .path = path,
        /* The server ends the watch after t seconds; the margin only catches a dead peer. */
        .timeout_ms = (t + 30) * 1000L,
        .idle_ms = inf->idle_s * 1000L,
        .on_data = watch_data,
        .on_headers = watch_headers,
        .on_done = watch_done,
        .ctx = inf,
    };
    inf->watch_t0 = mono_ms();
    inf->watch_had_data = false;
    inf->xfer = http_submit(inf->c, &req);
    free(path);
}

static void start_cb(void *arg)
{
    struct informer *inf = arg;
    if (inf->cb.on_state != NULL)
        inf->cb.on_state(inf->cb.ctx, &inf->st);
    begin_list(inf);
}

struct informer *informer_start(struct kube_client *c, const struct informer_opts *opts,
                                const struct informer_callbacks *cb)
{
    return informer_start_paged(c, opts, cb, NULL);
}

struct informer *informer_start_paged(struct kube_client *c, const struct informer_opts *opts,
                                      const struct informer_callbacks *cb,
                                      void (*on_relist_page)(void *ctx, const cJSON *items,
                                                             bool first, bool last))
{
    struct informer *inf = xcalloc(1, sizeof *inf);
    inf->on_relist_page = on_relist_page;
    inf->c = c;
    struct api_ref ref = {opts->group_version, opts->plural, opts->namespace, NULL};
    inf->collection = api_path(&ref, NULL);
    inf->cb = *cb;
    inf->poll_s = opts->poll_interval_s > 0 ? opts->poll_interval_s : DEFAULT_POLL_S;
    inf->idle_s = opts->idle_timeout_s > 0 ? opts->idle_timeout_s : DEFAULT_IDLE_S;
    inf->mode = MODE_WATCH;
    watch_state_init(&inf->ws);
    watch_splitter_init(&inf->sp);
    inf->st.phase = INFORMER_CONNECTING;
    inf->st.poll_interval_s = inf->poll_s;
    http_call(c, start_cb, inf);
    return inf;
}

static void stop_cb(void *arg)
{
    struct informer *inf = arg;
    if (inf->xfer != NULL)
        http_abort(inf->c, inf->xfer);
    if (inf->timer != NULL)
        http_timer_cancel(inf->c, inf->timer);
    stop_waiting(inf);
    inf->xfer = NULL;
    inf->timer = NULL;
}

void informer_stop(struct informer *inf)
{
    if (inf == NULL)
        return;
    http_call_wait(inf->c, stop_cb, inf);
    watch_state_free(&inf->ws);
    watch_splitter_free(&inf->sp);
    cJSON_Delete(inf->pending);
    free(inf->cont);
    free(inf->polled_rv);
    free(inf->msg);
    free(inf->collection);
    free(inf);
}
