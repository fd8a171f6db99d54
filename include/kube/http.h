/* The connection to one API server: a libcurl multi I/O thread (one connection pool, HTTP/2),
 * authentication, TLS from memory, timers, and a synchronous request with retries. */
#ifndef KT_KUBE_HTTP_H
#define KT_KUBE_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "kube/kubeconfig.h"

struct kube_client;
struct http_xfer;
struct http_timer;

enum http_method { HTTP_GET, HTTP_POST, HTTP_PUT, HTTP_PATCH, HTTP_DELETE };

struct http_response {
    long code;  /* HTTP status, 0 when no response arrived */
    char *body; /* the body (NUL-terminated); for a stream only when code is not 2xx */
    size_t len;
    char *error;        /* for a person; NULL on 2xx with a complete body */
    bool maybe_sent;    /* a transport failure after the request may have reached the server */
    double retry_after; /* seconds the server asked to wait (Retry-After), or -1 */
    int curl_code;      /* CURLcode of the transfer, 0 on success */
};

struct http_request {
    enum http_method method;
    const char *path; /* "/apis/...?..." after the server URL; copied */
    const char *body; /* copied; may be NULL */
    size_t body_len;
    const char *content_type; /* NULL: application/json when there is a body */
    long timeout_ms;          /* 0: 30 s; -1: none (a watch ends by its own timeoutSeconds) */
    long idle_ms;    /* > 0: abort (CURLE_OPERATION_TIMEDOUT) when no byte arrives for this long;
                        0: the client's idle timeout */
    bool retry_post; /* this POST creates nothing (an access review): retry it like a GET */
    /* A stream: each chunk of a 2xx body goes here on the I/O thread instead of into body;
     * returning false aborts the transfer (on_done then sees curl_code set, code kept). */
    bool (*on_data)(void *ctx, const char *buf, size_t len);
    /* Called on the I/O thread once the status line and headers are in. */
    void (*on_headers)(void *ctx, long code);
    /* Called on the I/O thread when the transfer ends, unless it was aborted with
     * http_abort(); resp and what it points to are freed after it returns (take resp->body by
     * setting it to NULL). */
    void (*on_done)(void *ctx, struct http_response *resp);
    void *ctx;
};

/* Connects nothing yet: starts the I/O thread for cfg (which must outlive the client). Returns
 * NULL with *cause when curl cannot be set up. */
struct kube_client *kube_client_new(const struct kube_config *cfg, char **cause);
/* Stops the I/O thread (aborting transfers without calling their on_done) and frees it. */
void kube_client_free(struct kube_client *c);
const struct kube_config *kube_client_config(const struct kube_client *c);

/* The read end of the wake-up pipe: readable after informers delivered callbacks. The UI polls
 * it beside stdin and calls kube_client_wake_drain() before reading the model. */
int kube_client_wake_fd(const struct kube_client *c);
void kube_client_wake_drain(struct kube_client *c);
/* Makes the wake fd readable (the I/O thread calls it after callbacks). */
void kube_client_wake(struct kube_client *c);

/* Starts a transfer. From any thread; on_done runs on the I/O thread. The returned handle is
 * valid until on_done returns or http_abort() is called, and only the I/O thread may use it. */
struct http_xfer *http_submit(struct kube_client *c, const struct http_request *req);
/* Ends a transfer without calling on_done. I/O thread only. */
void http_abort(struct kube_client *c, struct http_xfer *x);
/* Runs fn(ctx) on the I/O thread (soon); from any thread. */
void http_call(struct kube_client *c, void (*fn)(void *ctx), void *ctx);
/* Runs fn(ctx) on the I/O thread and waits until it has returned. Never from the I/O thread. */
void http_call_wait(struct kube_client *c, void (*fn)(void *ctx), void *ctx);
/* Runs fn(ctx) on the I/O thread after delay_ms. I/O thread only; the handle is valid until fn
 * runs or the timer is cancelled. */
struct http_timer *http_timer_add(struct kube_client *c, long delay_ms, void (*fn)(void *ctx),
                                  void *ctx);
void http_timer_cancel(struct kube_client *c, struct http_timer *t);
/* Runs fn(ctx) on the I/O thread once the server answers again: while anyone waits, the client
 * sends GET /version every 2 s (or after the server's Retry-After), and the first answer that is
 * neither a 5xx, a 429 nor a transport error calls every waiter. Lets everything waiting out a
 * backoff come back together within seconds of an outage's end. I/O thread only; the handle is
 * valid until fn runs or it is cancelled. */
struct http_waiter;
struct http_waiter *http_recovery_wait(struct kube_client *c, void (*fn)(void *ctx), void *ctx);
void http_recovery_cancel(struct kube_client *c, struct http_waiter *w);
bool http_on_io_thread(const struct kube_client *c);

/* One request from a thread that is not the I/O thread, waiting for the answer. Idempotent
 * methods (GET, PUT, DELETE, and PATCH, whose merge patches here are idempotent) are retried on
 * transport errors, 5xx and 429 with backoff (0.8 s doubling to 30 s, jitter; Retry-After
 * honoured) up to max_attempts; a POST is retried only on 429 (the server did not process it) and
 * when the connection failed before sending. Returns 0 on 2xx, else -1 with resp->error and
 * *cause set (resp is filled either way; free it with http_response_clear()). */
int http_request_sync(struct kube_client *c, const struct http_request *req, int max_attempts,
                      struct http_response *resp, char **cause);
void http_response_clear(struct http_response *resp);

/* A uniform random number in [0, 1) for jitter; from any thread. */
double http_rand01(struct kube_client *c);

/* The wait before retry number attempt (0-based): 800 ms doubling to 30 s, plus up to a quarter
 * of that as jitter, jitter01 in [0, 1). */
long kube_backoff_ms(unsigned attempt, double jitter01);

/* Counters for tests and the status line. */
struct kube_client_stats {
    unsigned long requests;       /* transfers started */
    unsigned long exec_runs;      /* exec plugin runs */
    unsigned long auth_refreshes; /* 401s answered by running the exec plugin again */
    unsigned long connections;    /* TCP connections opened (counted as their transfers end) */
    unsigned long open_sockets;   /* sockets open now: connections and connection attempts */
    unsigned long http2;          /* transfers that got an answer over HTTP/2 */
    unsigned long http1;          /* ... over HTTP/1.x */
};
void kube_client_stats(struct kube_client *c, struct kube_client_stats *out);

/* How many times api_* calls try an idempotent request (default 5; at least 1). */
void kube_client_set_attempts(struct kube_client *c, int attempts);
int kube_client_attempts(const struct kube_client *c);
/* How long opening a connection (TCP and TLS) may take, default 10 s, and how long an answer may
 * go without a byte before it is abandoned as stalled, default 30 s (a watch uses its informer's
 * idle timeout instead); 0 restores the default. Both end a transfer with a message naming the
 * server or the request; idempotent requests are then retried with backoff, a POST is not. */
void kube_client_set_timeouts(struct kube_client *c, long connect_ms, long idle_ms);

/* What the exec plugin last wrote on stderr ("" if none or no plugin); allocated. */
char *kube_client_exec_message(struct kube_client *c);

#endif
