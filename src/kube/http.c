/* One libcurl multi handle driven by one I/O thread: every request and watch of a client shares
 * its connection pool (and, over HTTPS, one multiplexed HTTP/2 connection). Other threads hand
 * work over through a queue and curl_multi_wakeup(). */
#include "kube/http.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "kube/exec_cred.h"
#include "kube/status.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define DEFAULT_TIMEOUT_MS 30000L
#define CONNECT_TIMEOUT_MS 10000L
#define IDLE_TIMEOUT_MS    30000L
#define RETRY_AFTER_MAX_S  300.0
#define PROBE_MS           2000L /* while someone waits for the server to come back */
#define PROBE_TIMEOUT_MS   5000L

struct http_xfer {
    struct kube_client *c;
    CURL *easy;
    struct http_request req; /* path and body point at the copies below */
    char *path;
    char *body;
    struct curl_slist *headers;
    struct strbuf resp_body;
    bool headers_seen;
    bool stream_aborted;
    bool auth_retried;
    unsigned cred_gen; /* the exec credential this request was sent with (plugin run count) */
    long connect_ms, idle_ms, timeout_ms; /* the limits it runs under, for messages */
    long stream_idle_ms; /* req.idle_ms: idle_ms once a 2xx status arrives (0: no change) */
    bool connected;      /* a connection was made (or reused) and the request was about to go out */
    bool idled;          /* ended by the idle timeout */
    long long last_io_ms;    /* when the last byte went or came */
    curl_off_t last_io_seen; /* bytes up and down at that time */
    double retry_after;
    char errbuf[CURL_ERROR_SIZE];
    struct http_xfer *prev, *next; /* in the client's active list */
};

struct http_timer {
    long long due_ms;
    void (*fn)(void *ctx);
    void *ctx;
    struct http_timer *next;
};

struct http_waiter {
    void (*fn)(void *ctx);
    void *ctx;
    struct http_waiter *next;
};

enum op_kind { OP_XFER, OP_CALL };

struct op {
    enum op_kind kind;
    struct http_xfer *xfer;
    void (*fn)(void *ctx);
    void *ctx;
    struct op *next;
};

struct kube_client {
    const struct kube_config *cfg;
    CURLM *multi;
    pthread_t thread;
    pthread_mutex_t lock; /* guards queue, stopping, stats, exec_msg, rng, and sync waits */
    pthread_cond_t cond;
    struct op *queue_head, *queue_tail;
    bool stopping;
    int wake[2];
    struct http_xfer *active;
    struct http_timer *timers;
    struct exec_cred_cache *exec; /* I/O thread only */
    char *exec_msg;
    struct kube_client_stats stats;
    uint64_t rng;
    char *base_url;
    char *user_agent;
    struct curl_slist *connect_to;
    int attempts;    /* for idempotent api_* calls */
    long connect_ms; /* under lock: TCP and TLS handshake */
    long idle_ms;    /* under lock: a response without a byte for this long is abandoned */
    /* I/O thread only: who waits for the server to answer again (http_recovery_wait), the
     * probe that asks it meanwhile */
    struct http_waiter *waiters;
    struct http_timer *probe_timer;
    bool probing;
};

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long kube_backoff_ms(unsigned attempt, double jitter01)
{
    long d = 800;
    for (unsigned i = 0; i < attempt && d < 30000; i++)
        d *= 2;
    if (d > 30000)
        d = 30000;
    return d + (long)(jitter01 * (double)d / 4.0);
}

double http_rand01(struct kube_client *c)
{
    pthread_mutex_lock(&c->lock);
    uint64_t x = c->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c->rng = x;
    pthread_mutex_unlock(&c->lock);
    return (double)(x >> 11) / (double)(1ULL << 53);
}

/* ---- wake-up pipe ---------------------------------------------------------------------- */

int kube_client_wake_fd(const struct kube_client *c)
{
    return c->wake[0];
}

void kube_client_wake(struct kube_client *c)
{
    char b = 1;
    /* A full pipe already wakes the reader; nothing is lost by dropping the byte. */
    if (write(c->wake[1], &b, 1) < 0 && errno != EAGAIN)
        return;
}

void kube_client_wake_drain(struct kube_client *c)
{
    char buf[256];
    while (read(c->wake[0], buf, sizeof buf) > 0)
        ;
}

/* ---- transfers ------------------------------------------------------------------------- */

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct http_xfer *x = userdata;
    size_t n = size * nmemb;
    long code = 0;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
    if (x->req.on_data != NULL && code >= 200 && code < 300) {
        if (!x->req.on_data(x->req.ctx, ptr, n)) {
            x->stream_aborted = true;
            return CURL_WRITEFUNC_ERROR;
        }
        return n;
    }
    strbuf_append_len(&x->resp_body, ptr, n);
    return n;
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *userdata)
{
    struct http_xfer *x = userdata;
    size_t n = size * nitems;
    static const char ra[] = "retry-after:";
    if (n > sizeof ra - 1 && strncasecmp(buf, ra, sizeof ra - 1) == 0) {
        char *end = NULL;
        double v = strtod(buf + sizeof ra - 1, &end);
        if (end != buf + sizeof ra - 1 && v >= 0)
            x->retry_after = v > RETRY_AFTER_MAX_S ? RETRY_AFTER_MAX_S : v;
    }
    x->last_io_ms = mono_ms();
    if (n <= 2 && (buf[0] == '\r' || buf[0] == '\n')) {
        long code = 0;
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
        if (code >= 200 && !x->headers_seen) {
            x->headers_seen = true;
            /* A stream's own (longer) silence limit is for its 2xx body: an error answer is
             * one document, which must not stall longer than any other answer. */
            if (code < 300 && x->stream_idle_ms > 0)
                x->idle_ms = x->stream_idle_ms;
            if (x->req.on_headers != NULL)
                x->req.on_headers(x->req.ctx, code);
        }
    }
    return n;
}

static int on_prereq(void *userdata, char *conn_primary_ip, char *conn_local_ip,
                     int conn_primary_port, int conn_local_port)
{
    (void)conn_primary_ip;
    (void)conn_local_ip;
    (void)conn_primary_port;
    (void)conn_local_port;
    struct http_xfer *x = userdata;
    x->connected = true;
    x->last_io_ms = mono_ms();
    return CURL_PREREQFUNC_OK;
}

/* The idle timeout. Curl's own low-speed limit averages over its last five seconds, so it
 * would fire up to five seconds late; this check runs at least once a second (curl ticks every
 * second while a low-speed limit is set) and counts from the last byte either way. */
static int on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal;
    (void)ultotal;
    struct http_xfer *x = userdata;
    long long now = mono_ms();
    if (dlnow + ulnow != x->last_io_seen) {
        x->last_io_seen = dlnow + ulnow;
        x->last_io_ms = now;
    } else if (x->connected && now - x->last_io_ms >= x->idle_ms) {
        x->idled = true;
        return 1;
    }
    return 0;
}

/* Sockets are opened and closed here only to count the connections open at a time (tests
 * prove HTTP/2 multiplexing by it). */
static curl_socket_t on_open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *addr)
{
    (void)purpose;
    struct kube_client *c = clientp;
    curl_socket_t fd = socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
    if (fd == CURL_SOCKET_BAD)
        return fd;
    pthread_mutex_lock(&c->lock);
    c->stats.open_sockets++;
    pthread_mutex_unlock(&c->lock);
    return fd;
}

static int on_close_socket(void *clientp, curl_socket_t fd)
{
    struct kube_client *c = clientp;
    pthread_mutex_lock(&c->lock);
    c->stats.open_sockets--;
    pthread_mutex_unlock(&c->lock);
    return close(fd);
}

static const char *method_name(enum http_method m)
{
    switch (m) {
    case HTTP_GET:
        return "GET";
    case HTTP_POST:
        return "POST";
    case HTTP_PUT:
        return "PUT";
    case HTTP_PATCH:
        return "PATCH";
    case HTTP_DELETE:
        return "DELETE";
    }
    return "GET";
}

static char *read_token_file(const char *path, char **cause)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        cause_set(cause, "cannot read tokenFile %s: %s", path, strerror(errno));
        return NULL;
    }
    struct strbuf sb;
    strbuf_init(&sb);
    char buf[1024];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0)
        strbuf_append_len(&sb, buf, got);
    fclose(f);
    while (sb.len > 0 &&
           (sb.buf[sb.len - 1] == '\n' || sb.buf[sb.len - 1] == '\r' || sb.buf[sb.len - 1] == ' '))
        sb.buf[--sb.len] = '\0';
    return strbuf_detach(&sb);
}

static void set_blob(CURL *e, CURLoption opt, const void *data, size_t len)
{
    /* CURL_BLOB_COPY: curl keeps its own copy, so the PEM never has to reach a file. */
    struct curl_blob b = {.data = (void *)data, .len = len, .flags = CURL_BLOB_COPY};
    curl_easy_setopt(e, opt, &b);
}

/* Sets every option of x's easy handle, authentication included. Runs on the I/O thread, which is
 * where the exec plugin runs too. Returns 0, or -1 with *cause (the credential is unavailable). */
static int xfer_setup(struct kube_client *c, struct http_xfer *x, char **cause)
{
    const struct kube_config *cfg = c->cfg;
    CURL *e = x->easy;
    curl_easy_reset(e);
    curl_slist_free_all(x->headers);
    x->headers = NULL;
    strbuf_reset(&x->resp_body);
    x->headers_seen = false;
    x->stream_aborted = false;
    x->retry_after = -1;
    x->connected = false;
    x->idled = false;
    x->last_io_seen = 0;
    x->errbuf[0] = '\0';

    char *url = xasprintf("%s%s", c->base_url, x->path);
    curl_easy_setopt(e, CURLOPT_URL, url);
    free(url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, x);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, c->user_agent);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    pthread_mutex_lock(&c->lock);
    x->connect_ms = c->connect_ms;
    /* Until a 2xx status says the stream is on, a request with its own idle limit (a watch,
     * quiet for minutes by design) waits for its answer as long as any other request. */
    x->idle_ms = c->idle_ms;
    x->stream_idle_ms = x->req.idle_ms;
    pthread_mutex_unlock(&c->lock);
    x->timeout_ms = x->req.timeout_ms == 0 ? DEFAULT_TIMEOUT_MS : x->req.timeout_ms;
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, x->connect_ms);
    if (x->timeout_ms > 0)
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, x->timeout_ms);
    /* A peer that stops sending without closing (a stalled server, a dead NAT entry) is caught
     * by on_progress; curl's low-speed limit (less than a byte per second for the idle time,
     * averaged) stays as the backstop and keeps curl calling on_progress every second. */
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
    long longest = x->stream_idle_ms > x->idle_ms ? x->stream_idle_ms : x->idle_ms;
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (longest + 999) / 1000);
    curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(e, CURLOPT_XFERINFODATA, x);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, c);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, on_close_socket);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, c);
    curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, on_prereq);
    curl_easy_setopt(e, CURLOPT_PREREQDATA, x);
    if (c->connect_to != NULL)
        curl_easy_setopt(e, CURLOPT_CONNECT_TO, c->connect_to);
    if (cfg->proxy_url != NULL)
        curl_easy_setopt(e, CURLOPT_PROXY, cfg->proxy_url);
    if (cfg->insecure) {
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    } else if (cfg->ca_data != NULL) {
        set_blob(e, CURLOPT_CAINFO_BLOB, cfg->ca_data, cfg->ca_len);
    }

    switch (x->req.method) {
    case HTTP_GET:
        break;
    case HTTP_POST:
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        break;
    default:
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method_name(x->req.method));
        break;
    }
    if (x->body != NULL) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)x->req.body_len);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->body);
        char *ct = xasprintf("Content-Type: %s",
                             x->req.content_type ? x->req.content_type : "application/json");
        x->headers = curl_slist_append(x->headers, ct);
        free(ct);
    } else if (x->req.method == HTTP_POST) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, 0L);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
    }
    x->headers = curl_slist_append(x->headers, "Accept: application/json");
    /* Curl's "Expect: 100-continue" costs a round trip on every large POST. */
    x->headers = curl_slist_append(x->headers, "Expect:");

    const char *token = cfg->token;
    char *file_token = NULL;
    const unsigned char *cert = cfg->cert_data, *key = cfg->key_data;
    size_t cert_len = cfg->cert_len, key_len = cfg->key_len;
    if (token == NULL && cfg->token_file != NULL) {
        file_token = read_token_file(cfg->token_file, cause);
        if (file_token == NULL)
            return -1;
        token = file_token;
    }
    if (token == NULL && cert == NULL && cfg->exec != NULL) {
        unsigned runs = exec_cred_runs(c->exec);
        const struct exec_cred *cred = exec_cred_get(c->exec, time(NULL), cause);
        pthread_mutex_lock(&c->lock);
        if (exec_cred_runs(c->exec) != runs)
            c->stats.exec_runs++;
        free(c->exec_msg);
        c->exec_msg = xstrdup(exec_cred_stderr(c->exec));
        pthread_mutex_unlock(&c->lock);
        if (cred == NULL)
            return -1;
        x->cred_gen = exec_cred_runs(c->exec);
        token = cred->token;
        if (cred->cert != NULL) {
            cert = cred->cert;
            cert_len = cred->cert_len;
            key = cred->key;
            key_len = cred->key_len;
        }
    }
    if (token != NULL && token[0] != '\0') {
        char *h = xasprintf("Authorization: Bearer %s", token);
        x->headers = curl_slist_append(x->headers, h);
        memset(h, 0, strlen(h));
        free(h);
    } else if (cfg->username != NULL && cfg->password != NULL) {
        curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(e, CURLOPT_USERNAME, cfg->username);
        curl_easy_setopt(e, CURLOPT_PASSWORD, cfg->password);
    }
    if (file_token != NULL) {
        memset(file_token, 0, strlen(file_token));
        free(file_token);
    }
    if (cert != NULL && key != NULL) {
        curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
        set_blob(e, CURLOPT_SSLCERT_BLOB, cert, cert_len);
        curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
        set_blob(e, CURLOPT_SSLKEY_BLOB, key, key_len);
    }
    if (cfg->impersonate != NULL) {
        char *h = xasprintf("Impersonate-User: %s", cfg->impersonate);
        x->headers = curl_slist_append(x->headers, h);
        free(h);
    }
    for (size_t i = 0; i < cfg->n_impersonate_groups; i++) {
        char *h = xasprintf("Impersonate-Group: %s", cfg->impersonate_groups[i]);
        x->headers = curl_slist_append(x->headers, h);
        free(h);
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
    return 0;
}

static void xfer_free(struct http_xfer *x)
{
    if (x == NULL)
        return;
    if (x->easy != NULL)
        curl_easy_cleanup(x->easy);
    curl_slist_free_all(x->headers);
    strbuf_free(&x->resp_body);
    free(x->path);
    free(x->body);
    free(x);
}

static void active_unlink(struct kube_client *c, struct http_xfer *x)
{
    if (x->prev)
        x->prev->next = x->next;
    else if (c->active == x)
        c->active = x->next;
    if (x->next)
        x->next->prev = x->prev;
    x->prev = x->next = NULL;
}

/* Completes x without a transfer (its credential could not be had). */
static void xfer_fail_now(struct kube_client *c, struct http_xfer *x, char *cause)
{
    struct http_response resp = {.retry_after = -1, .curl_code = -1};
    resp.error = cause;
    if (x->req.on_done != NULL)
        x->req.on_done(x->req.ctx, &resp);
    http_response_clear(&resp);
    xfer_free(x);
}

/* Adds x to the multi handle; on the I/O thread. */
static void xfer_start(struct kube_client *c, struct http_xfer *x)
{
    char *cause = NULL;
    if (xfer_setup(c, x, &cause) != 0) {
        xfer_fail_now(c, x, cause ? cause : xstrdup("the request could not be prepared"));
        return;
    }
    pthread_mutex_lock(&c->lock);
    c->stats.requests++;
    pthread_mutex_unlock(&c->lock);
    x->next = c->active;
    x->prev = NULL;
    if (c->active)
        c->active->prev = x;
    c->active = x;
    curl_multi_add_handle(c->multi, x->easy);
}

static bool not_sent(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
        return true;
    default:
        return false;
    }
}

/* OpenSSL's X509_V_ERR_* codes that a person may meet, in words. */
static const char *verify_text(long verify)
{
    switch (verify) {
    case 2:  /* UNABLE_TO_GET_ISSUER_CERT */
    case 20: /* UNABLE_TO_GET_ISSUER_CERT_LOCALLY */
    case 21: /* UNABLE_TO_VERIFY_LEAF_SIGNATURE */
        return "it is not signed by the cluster's certificate authority";
    case 7: /* CERT_SIGNATURE_FAILURE */
        return "its signature does not match the cluster's certificate authority";
    case 18: /* DEPTH_ZERO_SELF_SIGNED_CERT */
    case 19: /* SELF_SIGNED_CERT_IN_CHAIN */
        return "it is self-signed and not the cluster's certificate authority";
    case 9:
        return "it is not valid yet";
    case 10:
        return "it has expired";
    case 62: /* HOSTNAME_MISMATCH */
        return "it is not issued for this host name (see the cluster's tls-server-name)";
    default:
        return "it is not trusted by the cluster's certificate authority";
    }
}

/* "1 s", "1.5 s" */
static void seconds_text(char *buf, size_t size, long ms)
{
    if (ms % 1000 == 0)
        snprintf(buf, size, "%ld s", ms / 1000);
    else
        snprintf(buf, size, "%.1f s", (double)ms / 1000.0);
}

static char *transport_message(struct kube_client *c, struct http_xfer *x, CURLcode rc, long code)
{
    long verify = 0;
    curl_easy_getinfo(x->easy, CURLINFO_SSL_VERIFYRESULT, &verify);
    const struct kube_config *cfg = c->cfg;
    const char *detail = x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc);
    const char *m = method_name(x->req.method);
    switch (rc) {
    case CURLE_PEER_FAILED_VERIFICATION:
        if (cfg->ca_data == NULL) {
            /* no CA in the kubeconfig: the words about "the cluster's certificate authority"
             * would send the person looking for one; say which store was asked */
            char *store = NULL;
            curl_easy_getinfo(x->easy, CURLINFO_CAINFO, &store);
            return xasprintf("cannot verify the TLS certificate of %s (cluster '%s' in %s) "
                             "against the system's trust store%s%s%s: %s; the kubeconfig names "
                             "no certificate authority: add the cluster's "
                             "certificate-authority-data or certificate-authority",
                             cfg->server, cfg->cluster_name, cfg->source, store ? " (" : "",
                             store ? store : "", store ? ")" : "", detail);
        }
        return xasprintf("cannot verify the TLS certificate of %s (cluster '%s' in %s): %s (%s); "
                         "check the cluster's certificate-authority-data or "
                         "certificate-authority",
                         cfg->server, cfg->cluster_name, cfg->source, verify_text(verify), detail);
    case CURLE_SSL_CERTPROBLEM:
        return xasprintf("the client certificate of user '%s' (in %s) was not accepted by "
                         "libcurl: %s",
                         cfg->user_name ? cfg->user_name : "", cfg->source, detail);
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
        return xasprintf("cannot connect to %s (cluster '%s' in %s): %s", cfg->server,
                         cfg->cluster_name, cfg->source, detail);
    case CURLE_OPERATION_TIMEDOUT: {
        char limit[32];
        if (!x->connected) {
            seconds_text(limit, sizeof limit, x->connect_ms);
            return xasprintf("cannot connect to %s: timed out after %s (cluster '%s' in %s)",
                             cfg->server, limit, cfg->cluster_name, cfg->source);
        }
        curl_off_t total_us = 0;
        curl_easy_getinfo(x->easy, CURLINFO_TOTAL_TIME_T, &total_us);
        /* Curl reports its low-speed limit and the total one with the same code. */
        if (x->idled || x->timeout_ms <= 0 || total_us / 1000 < x->timeout_ms - 500) {
            seconds_text(limit, sizeof limit, x->idle_ms);
            if (code != 0)
                return xasprintf("%s %s stalled: the server sent nothing for %s in the middle "
                                 "of its answer (HTTP %ld), so the request was abandoned",
                                 m, x->path, limit, code);
            return xasprintf("%s %s stalled: the server sent nothing for %s, so the request "
                             "was abandoned",
                             m, x->path, limit);
        }
        seconds_text(limit, sizeof limit, x->timeout_ms);
        return xasprintf("%s %s timed out after %s: %s", m, x->path, limit, detail);
    }
    default:
        if (code != 0)
            return xasprintf("the response to %s %s was cut short (HTTP %ld): %s", m, x->path, code,
                             detail);
        return xasprintf("%s %s failed: %s", m, x->path, detail);
    }
}

static void xfer_done(struct kube_client *c, struct http_xfer *x, CURLcode rc)
{
    long code = 0;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
    long nconn = 0;
    curl_easy_getinfo(x->easy, CURLINFO_NUM_CONNECTS, &nconn);
    curl_multi_remove_handle(c->multi, x->easy);
    active_unlink(c, x);
    long version = 0;
    curl_easy_getinfo(x->easy, CURLINFO_HTTP_VERSION, &version);
    pthread_mutex_lock(&c->lock);
    c->stats.connections += (unsigned long)nconn;
    if (version == CURL_HTTP_VERSION_2_0)
        c->stats.http2++;
    else if (version == CURL_HTTP_VERSION_1_1 || version == CURL_HTTP_VERSION_1_0)
        c->stats.http1++;
    pthread_mutex_unlock(&c->lock);

    /* An exec credential the server no longer accepts: run the plugin again, once. Safe for
     * every method, since authentication fails before a request is processed. */
    if (code == 401 && c->exec != NULL && !x->auth_retried) {
        x->auth_retried = true;
        /* Requests in flight together all fail with the same stale credential; only the first
         * to come back runs the plugin, the others use what it got. */
        if (x->cred_gen == exec_cred_runs(c->exec))
            exec_cred_invalidate(c->exec);
        pthread_mutex_lock(&c->lock);
        c->stats.auth_refreshes++;
        pthread_mutex_unlock(&c->lock);
        xfer_start(c, x);
        return;
    }

    /* OpenSSL reports some verification failures (an issuer with the right name but another
     * key) as a handshake error; the verify result says what really happened. */
    long verify = 0;
    curl_easy_getinfo(x->easy, CURLINFO_SSL_VERIFYRESULT, &verify);
    if (rc == CURLE_SSL_CONNECT_ERROR && verify != 0 && !c->cfg->insecure)
        rc = CURLE_PEER_FAILED_VERIFICATION;
    if (rc == CURLE_ABORTED_BY_CALLBACK && x->idled)
        rc = CURLE_OPERATION_TIMEDOUT; /* as curl's own limits say it */
    struct http_response resp = {.code = code, .retry_after = x->retry_after, .curl_code = rc};
    if (rc != CURLE_OK && !x->stream_aborted) {
        resp.error = transport_message(c, x, rc, code);
        resp.maybe_sent = x->connected && !not_sent(rc);
    } else if (rc != CURLE_OK) {
        resp.error = xstrdup("stream closed by the client");
    } else if (code < 200 || code >= 300) {
        char *what = xasprintf("%s %s", method_name(x->req.method), x->path);
        resp.error = kube_status_message(code, x->resp_body.buf, x->resp_body.len, what);
        free(what);
    }
    resp.len = x->resp_body.len;
    resp.body = strbuf_detach(&x->resp_body);
    strbuf_init(&x->resp_body);
    if (x->req.on_done != NULL)
        x->req.on_done(x->req.ctx, &resp);
    http_response_clear(&resp);
    xfer_free(x);
}

void http_response_clear(struct http_response *resp)
{
    free(resp->body);
    free(resp->error);
    resp->body = resp->error = NULL;
    resp->len = 0;
}

static void queue_push(struct kube_client *c, struct op *op)
{
    pthread_mutex_lock(&c->lock);
    if (c->queue_tail)
        c->queue_tail->next = op;
    else
        c->queue_head = op;
    c->queue_tail = op;
    pthread_mutex_unlock(&c->lock);
    curl_multi_wakeup(c->multi);
}

struct http_xfer *http_submit(struct kube_client *c, const struct http_request *req)
{
    struct http_xfer *x = xcalloc(1, sizeof *x);
    x->c = c;
    x->req = *req;
    x->path = xstrdup(req->path);
    x->req.path = x->path;
    if (req->body != NULL) {
        x->body = xmalloc(req->body_len + 1);
        memcpy(x->body, req->body, req->body_len);
        x->body[req->body_len] = '\0';
        x->req.body = x->body;
    }
    strbuf_init(&x->resp_body);
    x->easy = curl_easy_init();
    if (x->easy == NULL) {
        fprintf(stderr, "kargotop: libcurl cannot create a handle\n");
        abort();
    }
    if (http_on_io_thread(c)) {
        xfer_start(c, x);
        return x;
    }
    struct op *op = xcalloc(1, sizeof *op);
    op->kind = OP_XFER;
    op->xfer = x;
    queue_push(c, op);
    return x;
}

void http_abort(struct kube_client *c, struct http_xfer *x)
{
    if (x == NULL)
        return;
    curl_multi_remove_handle(c->multi, x->easy);
    active_unlink(c, x);
    xfer_free(x);
}

void http_call(struct kube_client *c, void (*fn)(void *ctx), void *ctx)
{
    struct op *op = xcalloc(1, sizeof *op);
    op->kind = OP_CALL;
    op->fn = fn;
    op->ctx = ctx;
    queue_push(c, op);
}

struct call_wait {
    struct kube_client *c;
    void (*fn)(void *ctx);
    void *ctx;
    bool done;
};

static void call_wait_run(void *arg)
{
    struct call_wait *w = arg;
    w->fn(w->ctx);
    pthread_mutex_lock(&w->c->lock);
    w->done = true;
    pthread_cond_broadcast(&w->c->cond);
    pthread_mutex_unlock(&w->c->lock);
}

void http_call_wait(struct kube_client *c, void (*fn)(void *ctx), void *ctx)
{
    struct call_wait w = {c, fn, ctx, false};
    http_call(c, call_wait_run, &w);
    pthread_mutex_lock(&c->lock);
    while (!w.done)
        pthread_cond_wait(&c->cond, &c->lock);
    pthread_mutex_unlock(&c->lock);
}

bool http_on_io_thread(const struct kube_client *c)
{
    return pthread_equal(pthread_self(), c->thread);
}

struct http_timer *http_timer_add(struct kube_client *c, long delay_ms, void (*fn)(void *ctx),
                                  void *ctx)
{
    struct http_timer *t = xcalloc(1, sizeof *t);
    t->due_ms = mono_ms() + (delay_ms > 0 ? delay_ms : 0);
    t->fn = fn;
    t->ctx = ctx;
    struct http_timer **pp = &c->timers;
    while (*pp && (*pp)->due_ms <= t->due_ms)
        pp = &(*pp)->next;
    t->next = *pp;
    *pp = t;
    return t;
}

void http_timer_cancel(struct kube_client *c, struct http_timer *t)
{
    for (struct http_timer **pp = &c->timers; *pp; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            free(t);
            return;
        }
    }
}

static void run_timers(struct kube_client *c)
{
    long long now = mono_ms();
    while (c->timers && c->timers->due_ms <= now) {
        struct http_timer *t = c->timers;
        c->timers = t->next;
        void (*fn)(void *) = t->fn;
        void *ctx = t->ctx;
        free(t);
        fn(ctx);
    }
}

/* Only the probe's answers call the waiters, not any other request's: the probe is paced (one
 * request every 2 s, or the server's Retry-After), so against a server that fails some requests
 * and answers others the waiters come back at most that often rather than at every success. */
static void fire_waiters(struct kube_client *c)
{
    struct http_waiter *w = c->waiters;
    c->waiters = NULL;
    while (w != NULL) {
        struct http_waiter *next = w->next;
        void (*fn)(void *) = w->fn;
        void *ctx = w->ctx;
        free(w);
        fn(ctx);
        w = next;
    }
}

static void probe_send(void *arg);

static void probe_done(void *arg, struct http_response *resp)
{
    struct kube_client *c = arg;
    c->probing = false;
    if (c->waiters == NULL)
        return;
    /* Any answer but "busy" or "broken" shows the server is back (a 403 on /version too). */
    bool answered =
        resp->curl_code == CURLE_OK && resp->code >= 200 && resp->code < 500 && resp->code != 429;
    if (answered) {
        fire_waiters(c);
        return;
    }
    long ms = PROBE_MS;
    if (resp->retry_after * 1000.0 > (double)ms)
        ms = (long)(resp->retry_after * 1000.0);
    c->probe_timer = http_timer_add(c, ms, probe_send, c);
}

static void probe_send(void *arg)
{
    struct kube_client *c = arg;
    c->probe_timer = NULL;
    if (c->waiters == NULL || c->probing)
        return;
    c->probing = true;
    struct http_request req = {.method = HTTP_GET,
                               .path = "/version",
                               .timeout_ms = PROBE_TIMEOUT_MS,
                               .on_done = probe_done,
                               .ctx = c};
    http_submit(c, &req);
}

struct http_waiter *http_recovery_wait(struct kube_client *c, void (*fn)(void *ctx), void *ctx)
{
    struct http_waiter *w = xcalloc(1, sizeof *w);
    w->fn = fn;
    w->ctx = ctx;
    w->next = c->waiters;
    c->waiters = w;
    if (c->probe_timer == NULL && !c->probing)
        c->probe_timer = http_timer_add(c, PROBE_MS, probe_send, c);
    return w;
}

void http_recovery_cancel(struct kube_client *c, struct http_waiter *w)
{
    for (struct http_waiter **pp = &c->waiters; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == w) {
            *pp = w->next;
            free(w);
            break;
        }
    }
    if (c->waiters == NULL && c->probe_timer != NULL) {
        http_timer_cancel(c, c->probe_timer);
        c->probe_timer = NULL;
    }
}

static void *io_main(void *arg)
{
    struct kube_client *c = arg;
    for (;;) {
        pthread_mutex_lock(&c->lock);
        bool stop = c->stopping;
        struct op *ops = c->queue_head;
        c->queue_head = c->queue_tail = NULL;
        pthread_mutex_unlock(&c->lock);
        if (stop) {
            c->queue_head = ops; /* freed by kube_client_free */
            break;
        }
        while (ops) {
            struct op *op = ops;
            ops = op->next;
            if (op->kind == OP_XFER)
                xfer_start(c, op->xfer);
            else
                op->fn(op->ctx);
            free(op);
        }
        int running = 0;
        curl_multi_perform(c->multi, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(c->multi, &left)) != NULL) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            struct http_xfer *x = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
            xfer_done(c, x, msg->data.result);
        }
        run_timers(c);
        long wait = 1000;
        if (c->timers) {
            long long d = c->timers->due_ms - mono_ms();
            wait = d < 0 ? 0 : d < wait ? (long)d : wait;
        }
        long ct = -1;
        curl_multi_timeout(c->multi, &ct);
        if (ct >= 0 && ct < wait)
            wait = ct;
        curl_multi_poll(c->multi, NULL, 0, (int)wait, NULL);
    }
    return NULL;
}

static char *user_agent(void)
{
    struct utsname u;
    const char *os = "unknown", *arch = "unknown";
    char osbuf[64];
    if (uname(&u) == 0) {
        size_t i = 0;
        for (; i < sizeof osbuf - 1 && u.sysname[i]; i++)
            osbuf[i] = (char)(u.sysname[i] >= 'A' && u.sysname[i] <= 'Z' ? u.sysname[i] + 32
                                                                         : u.sysname[i]);
        osbuf[i] = '\0';
        os = osbuf;
        /* Go's names, as kubectl reports them. */
        arch = strcmp(u.machine, "x86_64") == 0    ? "amd64"
               : strcmp(u.machine, "aarch64") == 0 ? "arm64"
                                                   : u.machine;
        return xasprintf("kargotop/%s (%s/%s)", KARGOTOP_VERSION, os, arch);
    }
    return xasprintf("kargotop/%s (%s/%s)", KARGOTOP_VERSION, os, arch);
}

/* For tls-server-name, the URL carries the certificate's name (so curl sends it as SNI and
 * verifies against it) and CONNECT_TO sends the connection to the real host. */
static int setup_server(struct kube_client *c, char **cause)
{
    const struct kube_config *cfg = c->cfg;
    if (cfg->tls_server_name == NULL) {
        c->base_url = xstrdup(cfg->server);
        return 0;
    }
    CURLU *u = curl_url();
    char *host = NULL, *port = NULL;
    if (curl_url_set(u, CURLUPART_URL, cfg->server, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
        cause_set(cause, "cluster '%s' in %s: server '%s' is not a URL", cfg->cluster_name,
                  cfg->source, cfg->server);
        curl_free(host);
        curl_free(port);
        curl_url_cleanup(u);
        return -1;
    }
    char *ct = xasprintf("%s:%s:%s:%s", cfg->tls_server_name, port, host, port);
    c->connect_to = curl_slist_append(NULL, ct);
    free(ct);
    curl_url_set(u, CURLUPART_HOST, cfg->tls_server_name, 0);
    char *url = NULL;
    curl_url_get(u, CURLUPART_URL, &url, 0);
    size_t len = strlen(url);
    while (len > 0 && url[len - 1] == '/')
        len--;
    c->base_url = xstrndup(url, len);
    curl_free(url);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    return 0;
}

struct kube_client *kube_client_new(const struct kube_config *cfg, char **cause)
{
    /* Idempotent and thread-safe since curl 7.84 when the library says so; kargotop calls it
     * before starting any thread of its own. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        cause_set(cause, "libcurl could not be initialised");
        return NULL;
    }
    struct kube_client *c = xcalloc(1, sizeof *c);
    c->cfg = cfg;
    c->wake[0] = c->wake[1] = -1;
    if (setup_server(c, cause) != 0) {
        free(c);
        curl_global_cleanup();
        return NULL;
    }
    if (pipe(c->wake) != 0) {
        cause_set(cause, "cannot create the wake-up pipe: %s", strerror(errno));
        curl_slist_free_all(c->connect_to);
        free(c->base_url);
        free(c);
        curl_global_cleanup();
        return NULL;
    }
    for (int i = 0; i < 2; i++) {
        fcntl(c->wake[i], F_SETFL, fcntl(c->wake[i], F_GETFL) | O_NONBLOCK);
        fcntl(c->wake[i], F_SETFD, FD_CLOEXEC);
    }
    c->user_agent = user_agent();
    c->attempts = 5;
    c->connect_ms = CONNECT_TIMEOUT_MS;
    c->idle_ms = IDLE_TIMEOUT_MS;
    c->rng = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)c;
    if (c->rng == 0)
        c->rng = 0x9e3779b97f4a7c15ULL;
    c->multi = curl_multi_init();
    curl_multi_setopt(c->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
    if (cfg->exec != NULL)
        c->exec = exec_cred_new(cfg);
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->cond, NULL);
    if (pthread_create(&c->thread, NULL, io_main, c) != 0) {
        cause_set(cause, "cannot start the network thread");
        curl_multi_cleanup(c->multi);
        exec_cred_free(c->exec);
        close(c->wake[0]);
        close(c->wake[1]);
        curl_slist_free_all(c->connect_to);
        free(c->base_url);
        free(c->user_agent);
        pthread_mutex_destroy(&c->lock);
        pthread_cond_destroy(&c->cond);
        free(c);
        curl_global_cleanup();
        return NULL;
    }
    return c;
}

void kube_client_free(struct kube_client *c)
{
    if (c == NULL)
        return;
    pthread_mutex_lock(&c->lock);
    c->stopping = true;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
    curl_multi_wakeup(c->multi);
    pthread_join(c->thread, NULL);
    while (c->active)
        http_abort(c, c->active);
    while (c->timers)
        http_timer_cancel(c, c->timers);
    while (c->waiters) {
        struct http_waiter *w = c->waiters;
        c->waiters = w->next;
        free(w);
    }
    while (c->queue_head) {
        struct op *op = c->queue_head;
        c->queue_head = op->next;
        if (op->kind == OP_XFER)
            xfer_free(op->xfer);
        free(op);
    }
    curl_multi_cleanup(c->multi);
    exec_cred_free(c->exec);
    close(c->wake[0]);
    close(c->wake[1]);
    curl_slist_free_all(c->connect_to);
    free(c->base_url);
    free(c->user_agent);
    free(c->exec_msg);
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->cond);
    free(c);
    curl_global_cleanup();
}

void kube_client_set_attempts(struct kube_client *c, int attempts)
{
    c->attempts = attempts < 1 ? 1 : attempts;
}

void kube_client_set_timeouts(struct kube_client *c, long connect_ms, long idle_ms)
{
    pthread_mutex_lock(&c->lock);
    c->connect_ms = connect_ms > 0 ? connect_ms : CONNECT_TIMEOUT_MS;
    c->idle_ms = idle_ms > 0 ? idle_ms : IDLE_TIMEOUT_MS;
    pthread_mutex_unlock(&c->lock);
}

int kube_client_attempts(const struct kube_client *c)
{
    return c->attempts;
}

const struct kube_config *kube_client_config(const struct kube_client *c)
{
    return c->cfg;
}

void kube_client_stats(struct kube_client *c, struct kube_client_stats *out)
{
    pthread_mutex_lock(&c->lock);
    *out = c->stats;
    pthread_mutex_unlock(&c->lock);
}

char *kube_client_exec_message(struct kube_client *c)
{
    pthread_mutex_lock(&c->lock);
    char *m = xstrdup(c->exec_msg ? c->exec_msg : "");
    pthread_mutex_unlock(&c->lock);
    return m;
}

/* ---- synchronous requests -------------------------------------------------------------- */

struct sync_wait {
    struct kube_client *c;
    struct http_response resp;
    bool done;
};

static void sync_done(void *ctx, struct http_response *resp)
{
    struct sync_wait *w = ctx;
    pthread_mutex_lock(&w->c->lock);
    w->resp = *resp;
    resp->body = NULL;
    resp->error = NULL;
    w->done = true;
    pthread_cond_broadcast(&w->c->cond);
    pthread_mutex_unlock(&w->c->lock);
}

static bool should_retry(const struct http_request *req, const struct http_response *r)
{
    bool idempotent = req->method != HTTP_POST || req->retry_post;
    if (r->code == 429)
        return true;
    switch (r->curl_code) {
    case -1: /* no credential: running the plugin again will not help */
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
        return false; /* the kubeconfig is wrong; waiting will not fix it */
    default:
        break;
    }
    if (r->code >= 200 && r->code < 300)
        return r->error != NULL && idempotent; /* a body cut short */
    if (r->code == 0)
        return idempotent || !r->maybe_sent;
    return idempotent && (r->code == 500 || r->code == 502 || r->code == 503 || r->code == 504);
}

/* Sleeps ms unless the client is stopping; returns false if it is. */
static bool sync_sleep(struct kube_client *c, long ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&c->lock);
    int rc = 0;
    while (!c->stopping && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&c->cond, &c->lock, &ts);
    bool ok = !c->stopping;
    pthread_mutex_unlock(&c->lock);
    return ok;
}

int http_request_sync(struct kube_client *c, const struct http_request *req, int max_attempts,
                      struct http_response *resp, char **cause)
{
    if (max_attempts < 1)
        max_attempts = 1;
    memset(resp, 0, sizeof *resp);
    resp->retry_after = -1;
    for (int attempt = 0;; attempt++) {
        struct sync_wait w = {.c = c};
        struct http_request r = *req;
        r.on_done = sync_done;
        r.ctx = &w;
        r.on_data = NULL;
        r.on_headers = NULL;
        http_submit(c, &r);
        pthread_mutex_lock(&c->lock);
        while (!w.done)
            pthread_cond_wait(&c->cond, &c->lock);
        pthread_mutex_unlock(&c->lock);
        http_response_clear(resp);
        *resp = w.resp;
        if (resp->error == NULL && resp->code >= 200 && resp->code < 300)
            return 0;
        if (attempt + 1 >= max_attempts || !should_retry(req, resp))
            break;
        long ms = resp->retry_after >= 0 ? (long)(resp->retry_after * 1000.0)
                                         : kube_backoff_ms((unsigned)attempt, http_rand01(c));
        if (!sync_sleep(c, ms))
            break;
    }
    if (resp->error == NULL)
        resp->error = xasprintf("%s %s failed", method_name(req->method), req->path);
    cause_set(cause, "%s", resp->error);
    return -1;
}
