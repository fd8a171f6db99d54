/* The API server: libmicrohttpd with a thread per connection. Every request is authenticated by
 * bearer token, authorized by the Kargo roles, routed by the resource table and answered with the
 * JSON kube-apiserver would send; watches block their connection's thread on the store. */
/* POLLRDHUP, to notice a watcher that hung up. */
#define _GNU_SOURCE
#include "sim/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>
#include <zlib.h>

#include "sim/authz.h"
#include "sim/discovery.h"
#include "sim/printer.h"
#include "sim/protobuf.h"
#include "sim/resource.h"
#include "sim/selector.h"
#include "sim/status.h"
#include "sim/store.h"
#include "sim/yaml.h"
#include "util/base64.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define MAX_BODY      (3 * 1024 * 1024) /* kube-apiserver's limit for a request body */
#define MAX_SEGS      12
#define WATCH_MAX_S   1800 /* a watch without timeoutSeconds ends within kube's 30-60 min */
#define DEFAULT_BM_MS 60000
#define RV_WAIT_MS    3000 /* the watch cache's blockTimeout for a resourceVersion not reached yet */

struct sim_server {
    struct MHD_Daemon *daemon;
    int port;
    char *address; /* host:port, for /api's serverAddressByClientCIDRs */
    struct sim_store *store;
    struct sim_server_user *users;
    int nusers;
    int bookmark_ms;
    bool log;

    pthread_mutex_t mu; /* faults, rng, stats */
    struct sim_faults faults;
    struct timespec faults_at;
    uint64_t rng;
    struct sim_stats stats;
};

/* One HTTP request's upload, across libmicrohttpd's calls. */
struct upload {
    struct strbuf body;
    bool too_big;
};

struct request {
    struct sim_server *srv;
    struct MHD_Connection *c;
    const char *method;
    const char *url;
    const char *body;
    size_t body_len;
    const char *user;
    const char *groups;                  /* the user's, comma-separated; NULL for none */
    bool table;                          /* the client accepts meta.k8s.io/v1 Table */
    bool control;                        /* the simulator's own endpoint: never faulted */
    const struct sim_resource *resource; /* of a resource path, once routed */
    enum sim_verb verb;
    int code; /* answered with */
};

/* ---- helpers ------------------------------------------------------------------------------- */

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t srv_rand(struct sim_server *srv)
{
    uint64_t z = (srv->rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static const char *arg(const struct request *rq, const char *key)
{
    return MHD_lookup_connection_value(rq->c, MHD_GET_ARGUMENT_KIND, key);
}

static const char *header(const struct request *rq, const char *key)
{
    return MHD_lookup_connection_value(rq->c, MHD_HEADER_KIND, key);
}

static bool truthy(const char *v)
{
    return v != NULL && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0);
}

struct cut_body {
    char *data;
    size_t limit;
    struct sim_server *srv; /* set when the body stalls at limit rather than ending there */
    int fd;                 /* the client's socket, to see it hang up while stalled */
};

/* Holds a stalled answer (this connection's thread sleeps) until the client hangs up or the
 * server stops. */
static void stall(struct cut_body *cb)
{
    while (!sim_store_stopping(cb->srv->store)) {
        struct pollfd pfd = {.fd = cb->fd, .events = POLLRDHUP};
        if (cb->fd < 0 || poll(&pfd, 1, 100) != 0)
            return;
    }
}

static ssize_t cut_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct cut_body *cb = cls;
    if (pos >= cb->limit) {
        if (cb->srv != NULL)
            stall(cb);
        return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    size_t n = cb->limit - (size_t)pos;
    if (n > max)
        n = max;
    memcpy(buf, cb->data + pos, n);
    return (ssize_t)n;
}

static void cut_free(void *cls)
{
    struct cut_body *cb = cls;
    free(cb->data);
    free(cb);
}

/* kube-apiserver gzips answers of 128 KiB and more for clients that accept it, at level 1:
 * "least CPU, similar ratios" (kubernetes/kubernetes#112296); the default level 6 cost this
 * server 0.45 s of a 30,000-Promotion list, a time no real cluster adds. */
#define GZIP_THRESHOLD (128 * 1024)

static bool accepts_gzip(const char *ae)
{
    if (ae == NULL)
        return false;
    const char *g = strstr(ae, "gzip");
    return g != NULL && strncmp(g + 4, ";q=0", 4) != 0;
}

/* A gzip stream of text (malloc'ed, *out_len bytes), or NULL. */
static char *gzip(const char *text, size_t len, size_t *out_len)
{
    z_stream z = {0};
    if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    uLong cap = deflateBound(&z, (uLong)len);
    char *out = xmalloc(cap);
    z.next_in = (Bytef *)text;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)cap;
    int rc = deflate(&z, Z_FINISH);
    *out_len = z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    return out;
}

/* Sends text (consumed) with code; may cut it in the middle when that fault is on. */
static enum MHD_Result respond_text(struct request *rq, int code, char *text, const char *ctype,
                                    int retry_after)
{
    struct sim_server *srv = rq->srv;
    size_t len = strlen(text);
    bool cut = false, stalls = false;
    if (rq->user != NULL && !rq->control && len > 1) {
        pthread_mutex_lock(&srv->mu);
        if (srv->faults.cut_body_pct > 0 && (int)(srv_rand(srv) % 100) < srv->faults.cut_body_pct) {
            cut = true;
            srv->stats.faults_injected++;
        } else if (srv->faults.stall_body_pct > 0 &&
                   (int)(srv_rand(srv) % 100) < srv->faults.stall_body_pct) {
            cut = stalls = true;
            srv->stats.faults_injected++;
        }
        pthread_mutex_unlock(&srv->mu);
    }
    struct MHD_Response *resp;
    char *gz = NULL;
    size_t gz_len = 0;
    if (cut) {
        struct cut_body *cb = xcalloc(1, sizeof *cb);
        cb->data = text;
        cb->limit = len / 2;
        cb->fd = -1;
        if (stalls) {
            const union MHD_ConnectionInfo *ci =
                MHD_get_connection_info(rq->c, MHD_CONNECTION_INFO_CONNECTION_FD);
            cb->srv = srv;
            cb->fd = ci != NULL ? ci->connect_fd : -1;
        }
        resp = MHD_create_response_from_callback(len, 4096, cut_read, cb, cut_free);
    } else if (len >= GZIP_THRESHOLD && accepts_gzip(header(rq, "Accept-Encoding")) &&
               (gz = gzip(text, len, &gz_len)) != NULL) {
        free(text);
        resp = MHD_create_response_from_buffer(gz_len, gz, MHD_RESPMEM_MUST_FREE);
        pthread_mutex_lock(&srv->mu);
        srv->stats.gzipped++;
        pthread_mutex_unlock(&srv->mu);
    } else {
        resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_COPY);
        free(text);
    }
    if (gz != NULL) {
        MHD_add_response_header(resp, "Content-Encoding", "gzip");
        MHD_add_response_header(resp, "Vary", "Accept-Encoding");
    }
    MHD_add_response_header(resp, "Content-Type", ctype);
    MHD_add_response_header(resp, "Cache-Control", "no-cache, private");
    if (retry_after > 0) {
        char v[16];
        snprintf(v, sizeof v, "%d", retry_after);
        MHD_add_response_header(resp, "Retry-After", v);
    }
    rq->code = code;
    enum MHD_Result r = MHD_queue_response(rq->c, (unsigned)code, resp);
    MHD_destroy_response(resp);
    return r;
}

static enum MHD_Result respond_json(struct request *rq, int code, cJSON *doc)
{
    char *text = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    if (text == NULL)
        xalloc_fail(0);
    return respond_text(rq, code, text, "application/json", 0);
}

static enum MHD_Result respond_status(struct request *rq, struct sim_status *st)
{
    int code = st->code, retry = st->retry_after_s;
    cJSON *doc = sim_status_to_json(st);
    char *text = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    sim_status_free(st);
    if (text == NULL)
        xalloc_fail(0);
    return respond_text(rq, code, text, "application/json", retry);
}

static struct sim_status *not_found_path(void)
{
    struct sim_status *st =
        sim_status_new(404, "NotFound", "the server could not find the requested resource");
    st->kind = NULL;
    return st;
}

/* ---- selectors and filters ------------------------------------------------------------------ */

/* A field selector term on a field other than metadata.name/namespace: the object's value at
 * path ("" when absent) compared with value. */
struct field_term {
    const char *path; /* static: from field_labels */
    char *value;
    bool neg;
};

struct filter {
    struct sim_selector *sel;
    char *name;    /* metadata.name= */
    bool name_neg; /* metadata.name!= */
    char *ns;      /* metadata.namespace= */
    bool ns_neg;   /* metadata.namespace!= */
    struct field_term *terms;
    size_t nterms;
};

/* The selectable fields kube-apiserver adds beyond metadata.name and metadata.namespace (Kargo's
 * CRDs declare no selectableFields): `kubectl describe` finds an object's Events by
 * involvedObject.*, `kubectl get events --field-selector type=Warning` filters them. */
static const struct field_label {
    const char *plural;
    const char *label;
    const char *path; /* dotted JSON path in the object */
} field_labels[] = {
    {"events", "involvedObject.kind", "involvedObject.kind"},
    {"events", "involvedObject.namespace", "involvedObject.namespace"},
    {"events", "involvedObject.name", "involvedObject.name"},
    {"events", "involvedObject.uid", "involvedObject.uid"},
    {"events", "involvedObject.apiVersion", "involvedObject.apiVersion"},
    {"events", "involvedObject.resourceVersion", "involvedObject.resourceVersion"},
    {"events", "involvedObject.fieldPath", "involvedObject.fieldPath"},
    {"events", "reason", "reason"},
    {"events", "reportingComponent", "reportingComponent"},
    {"events", "source", "source.component"},
    {"events", "type", "type"},
    {"namespaces", "status.phase", "status.phase"},
};

static void filter_free(struct filter *f)
{
    sim_selector_free(f->sel);
    free(f->name);
    free(f->ns);
    for (size_t i = 0; i < f->nterms; i++)
        free(f->terms[i].value);
    free(f->terms);
}

static const char *field_value(const cJSON *obj, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    const cJSON *v = obj;
    char *save = NULL;
    for (char *k = strtok_r(buf, ".", &save); k != NULL && v != NULL;
         k = strtok_r(NULL, ".", &save))
        v = cJSON_GetObjectItemCaseSensitive(v, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static bool filter_match(void *ctx, const char *ns, const char *name, const cJSON *labels,
                         const char *json, size_t len)
{
    const struct filter *f = ctx;
    if (f->name != NULL && (strcmp(name, f->name) == 0) == f->name_neg)
        return false;
    if (f->ns != NULL && (strcmp(ns, f->ns) == 0) == f->ns_neg)
        return false;
    if (f->sel != NULL && !sim_selector_match(f->sel, labels))
        return false;
    if (f->nterms == 0)
        return true;
    cJSON *obj = cJSON_ParseWithLength(json, len);
    bool ok = obj != NULL;
    for (size_t i = 0; ok && i < f->nterms; i++)
        ok =
            (strcmp(field_value(obj, f->terms[i].path), f->terms[i].value) == 0) != f->terms[i].neg;
    cJSON_Delete(obj);
    return ok;
}

static bool filter_any(const struct filter *f)
{
    return f->sel != NULL || f->name != NULL || f->ns != NULL || f->nterms > 0;
}

static const char *field_path(const struct sim_resource *r, const char *label)
{
    for (size_t i = 0; i < sizeof field_labels / sizeof field_labels[0]; i++)
        if (strcmp(field_labels[i].plural, r->plural) == 0 &&
            strcmp(field_labels[i].label, label) == 0)
            return field_labels[i].path;
    return NULL;
}

static struct sim_status *filter_parse(struct request *rq, const struct sim_resource *r,
                                       struct filter *f)
{
    memset(f, 0, sizeof *f);
    const char *ls = arg(rq, "labelSelector");
    if (ls != NULL && ls[0] != '\0') {
        char *cause = NULL;
        f->sel = sim_selector_parse(ls, &cause);
        if (f->sel == NULL) {
            struct sim_status *st =
                sim_status_bad_request("unable to parse requirement: %s", cause);
            free(cause);
            return st;
        }
    }
    const char *fs = arg(rq, "fieldSelector");
    if (fs == NULL || fs[0] == '\0')
        return NULL;
    char *copy = xstrdup(fs), *save = NULL;
    struct sim_status *st = NULL;
    for (char *t = strtok_r(copy, ",", &save); t != NULL && st == NULL;
         t = strtok_r(NULL, ",", &save)) {
        bool neg = false;
        char *op = strstr(t, "!=");
        char *val;
        if (op != NULL) {
            neg = true;
            *op = '\0';
            val = op + 2;
        } else if ((op = strstr(t, "==")) != NULL) {
            *op = '\0';
            val = op + 2;
        } else if ((op = strchr(t, '=')) != NULL) {
            *op = '\0';
            val = op + 1;
        } else {
            st = sim_status_bad_request("invalid selector: '%s'; can't understand '%s'", fs, t);
            break;
        }
        if (strcmp(t, "metadata.name") == 0) {
            free(f->name);
            f->name = xstrdup(val);
            f->name_neg = neg;
        } else if (strcmp(t, "metadata.namespace") == 0) {
            free(f->ns);
            f->ns = xstrdup(val);
            f->ns_neg = neg;
        } else if (field_path(r, t) != NULL) {
            f->terms = xrealloc(f->terms, (f->nterms + 1) * sizeof *f->terms);
            f->terms[f->nterms++] = (struct field_term){field_path(r, t), xstrdup(val), neg};
        } else {
            st = sim_status_bad_request("field label not supported: %s", t);
        }
    }
    free(copy);
    return st;
}

/* ---- list ---------------------------------------------------------------------------------- */

struct list_out {
    const struct sim_resource *r;
    struct strbuf sb; /* JSON items, comma-separated */
    cJSON *table;     /* or rows of a Table */
    time_t now;
    long n;
};

static void list_emit(void *ctx, enum sim_event_type type, const char *json, size_t len)
{
    struct list_out *o = ctx;
    if (o->table != NULL) {
        cJSON *obj = cJSON_ParseWithLength(json, len);
        if (obj != NULL)
            sim_printer_add_row(o->r, o->table, obj, o->now);
        cJSON_Delete(obj);
    } else {
        if (o->n > 0)
            strbuf_append_char(&o->sb, ',');
        strbuf_append_len(&o->sb, json, len);
    }
    o->n++;
}

/* kube-apiserver's continue token: base64url (unpadded) of {"v":"meta.k8s.io/v1","rv":N,
 * "start":"<key>\u0000"}, the key being what follows the list's etcd prefix ("ns/name" across
 * namespaces, "name" otherwise), the NUL making the next page start strictly after it. rv -1
 * continues at the latest resourceVersion (the token of an inconsistent continuation). */
static char *continue_encode(long long rv, bool across_ns, const char *ns, const char *name)
{
    char *key = across_ns ? xasprintf("%s/%s", ns, name) : xstrdup(name);
    cJSON *ks = cJSON_CreateString(key);
    char *quoted = cJSON_PrintUnformatted(ks);
    cJSON_Delete(ks);
    free(key);
    if (quoted == NULL)
        xalloc_fail(0);
    quoted[strlen(quoted) - 1] = '\0'; /* the closing quote: the NUL goes before it */
    char *text =
        xasprintf("{\"v\":\"meta.k8s.io/v1\",\"rv\":%lld,\"start\":%s\\u0000\"}", rv, quoted);
    free(quoted);
    char *enc = base64_encode(text, strlen(text));
    free(text);
    for (char *p = enc; *p != '\0'; p++) {
        if (*p == '+')
            *p = '-';
        else if (*p == '/')
            *p = '_';
        else if (*p == '=')
            *p = '\0';
    }
    return enc;
}

/* A decoded continue token: where the page starts and at which resourceVersion (-1: latest). */
struct cont {
    long long rv;
    char *ns;
    char *name;
};

static struct sim_status *continue_decode(const char *token, bool across_ns, const char *ns,
                                          struct cont *out)
{
    memset(out, 0, sizeof *out);
    char *std = xstrdup(token);
    for (char *p = std; *p != '\0'; p++)
        *p = *p == '-' ? '+' : *p == '_' ? '/' : *p;
    size_t dlen = 0;
    unsigned char *dec = base64_decode(std, &dlen, NULL);
    free(std);
    cJSON *t = dec != NULL ? cJSON_ParseWithLength((const char *)dec, dlen) : NULL;
    free(dec);
    const char *v = json_get_string(t, "v", (char *)NULL);
    const cJSON *rv = cJSON_GetObjectItemCaseSensitive(t, "rv");
    const char *start = json_get_string(t, "start", (char *)NULL);
    struct sim_status *st = NULL;
    if (t == NULL || v == NULL)
        st = sim_status_bad_request("invalid continue token: continue key is not valid");
    else if (strcmp(v, "meta.k8s.io/v1") != 0)
        st = sim_status_bad_request("invalid continue token: continue key is not valid: server "
                                    "does not recognize this encoded version %s",
                                    v);
    else if (!cJSON_IsNumber(rv) || rv->valuedouble == 0)
        st = sim_status_bad_request("invalid continue token: continue key is not valid: "
                                    "incorrect encoded start resourceVersion (version "
                                    "meta.k8s.io/v1)");
    else if (start == NULL || start[0] == '\0')
        st = sim_status_bad_request("invalid continue token: continue key is not valid: encoded "
                                    "start key empty (version meta.k8s.io/v1)");
    if (st == NULL) {
        /* cJSON stops the string at the \u0000, which leaves the key itself. */
        const char *slash = strchr(start, '/');
        if (across_ns && slash != NULL && slash != start && slash[1] != '\0' &&
            strchr(slash + 1, '/') == NULL) {
            out->ns = xstrndup(start, (size_t)(slash - start));
            out->name = xstrdup(slash + 1);
        } else if (!across_ns && slash == NULL) {
            out->ns = xstrdup(ns != NULL ? ns : "");
            out->name = xstrdup(start);
        } else {
            st = sim_status_bad_request("invalid continue token: continue key is not valid: "
                                        "invalid start key: %s",
                                        start);
        }
        out->rv = (long long)rv->valuedouble;
    }
    cJSON_Delete(t);
    return st;
}

/* kube-apiserver's answer to a list or watch at a resourceVersion it has not reached after
 * waiting (the watch cache's blockTimeout): 504 Timeout, retry after a second. */
static struct sim_status *too_large_rv(unsigned long long want, unsigned long long current)
{
    struct sim_status *st = sim_status_new(
        504, "Timeout", "Timeout: Too large resource version: %llu, current: %llu", want, current);
    sim_status_add_cause(st, "ResourceVersionTooLarge", "Too large resource version", NULL);
    st->retry_after_s = 1;
    return st;
}

/* Waits up to kube's 3 s for the store to reach rv; returns NULL, or the 504 when it did not. */
static struct sim_status *wait_for_rv(struct sim_server *srv, unsigned long long rv)
{
    unsigned long long cur = sim_store_rv(srv->store);
    if (cur >= rv)
        return NULL;
    double until = mono_now() + RV_WAIT_MS / 1000.0;
    while (cur < rv && !sim_store_stopping(srv->store)) {
        double left = until - mono_now();
        if (left <= 0)
            break;
        cur = sim_store_wait(srv->store, rv - 1, (long)(left * 1000) + 1);
    }
    return cur >= rv ? NULL : too_large_rv(rv, cur);
}

/* ListOptions validation as kube-apiserver's (422 Invalid, kind ListOptions.meta.k8s.io). */
static struct sim_status *list_options_check(const char *rv, const char *match, const char *cont)
{
    struct sim_status *st = xcalloc(1, sizeof *st);
    st->code = 422;
    st->reason = xstrdup("Invalid");
    st->message = xstrdup("ListOptions.meta.k8s.io");
    st->group = xstrdup("meta.k8s.io");
    st->kind = xstrdup("ListOptions");
    st->name = xstrdup("");
    if (match != NULL && match[0] != '\0') {
        if (rv == NULL || rv[0] == '\0')
            sim_status_add_cause(st, "FieldValueForbidden",
                                 "Forbidden: resourceVersionMatch is forbidden unless "
                                 "resourceVersion is provided",
                                 "resourceVersionMatch");
        if (cont != NULL && cont[0] != '\0')
            sim_status_add_cause(st, "FieldValueForbidden",
                                 "Forbidden: resourceVersionMatch is forbidden when continue is "
                                 "provided",
                                 "resourceVersionMatch");
        if (strcmp(match, "Exact") != 0 && strcmp(match, "NotOlderThan") != 0) {
            char *m = xasprintf("Unsupported value: \"%s\": supported values: \"Exact\", "
                                "\"NotOlderThan\", \"\"",
                                match);
            sim_status_add_cause(st, "FieldValueNotSupported", m, "resourceVersionMatch");
            free(m);
        }
        if (strcmp(match, "Exact") == 0 && rv != NULL && strcmp(rv, "0") == 0)
            sim_status_add_cause(st, "FieldValueForbidden",
                                 "Forbidden: resourceVersionMatch \"exact\" is forbidden for "
                                 "resourceVersion \"0\"",
                                 "resourceVersionMatch");
    }
    if (st->causes == NULL) {
        sim_status_free(st);
        return NULL;
    }
    sim_status_invalid_finish(st);
    return st;
}

/* Which state a list serves (kube's resourceVersion semantics for list): the page's at_rv (0: the
 * latest), after waiting for a resourceVersion not reached yet. */
static struct sim_status *list_read_at(struct request *rq, const char *rvs, const char *match,
                                       bool paged, const struct cont *c, unsigned long long *at)
{
    *at = 0;
    if (c != NULL) {
        if (rvs != NULL && rvs[0] != '\0' && strcmp(rvs, "0") != 0)
            return sim_status_bad_request("specifying resource version is not allowed when "
                                          "using continue");
        *at = c->rv > 0 ? (unsigned long long)c->rv : 0;
        return NULL;
    }
    if (rvs == NULL || rvs[0] == '\0' || strcmp(rvs, "0") == 0)
        return NULL; /* the most recent state, or any (which the latest is) */
    char *end = NULL;
    errno = 0;
    unsigned long long rv = strtoull(rvs, &end, 10);
    if (*end != '\0' || errno != 0 || rvs[0] == '-')
        return sim_status_bad_request("invalid resource version: resourceVersion: Invalid "
                                      "value: \"%s\": must be a number",
                                      rvs);
    struct sim_status *st = wait_for_rv(rq->srv, rv);
    if (st != NULL)
        return st;
    /* Exact when asked, and for a first page with a resourceVersion (kube's table: "limit=<n>,
     * continue unset, resourceVersion set: Exact"); else not older than rv, i.e. the latest. */
    bool exact = match != NULL ? strcmp(match, "Exact") == 0 : paged;
    if (exact)
        *at = rv;
    return NULL;
}

static enum MHD_Result do_list(struct request *rq, const struct sim_resource *r, const char *ns)
{
    struct filter f;
    struct sim_status *st = filter_parse(rq, r, &f);
    if (st != NULL) {
        filter_free(&f);
        return respond_status(rq, st);
    }
    struct sim_store_page page = {0};
    const char *limit = arg(rq, "limit");
    if (limit != NULL && limit[0] != '\0')
        page.limit = (size_t)strtoul(limit, NULL, 10);
    const char *contq = arg(rq, "continue");
    const char *rvs = arg(rq, "resourceVersion");
    const char *match = arg(rq, "resourceVersionMatch");
    if (match != NULL && match[0] == '\0')
        match = NULL;
    bool across_ns = r->namespaced && ns == NULL;
    struct cont c = {0};
    bool has_cont = contq != NULL && contq[0] != '\0';
    st = list_options_check(rvs, match, contq);
    if (st == NULL && has_cont)
        st = continue_decode(contq, across_ns, ns, &c);
    if (st == NULL)
        st = list_read_at(rq, rvs, match, page.limit > 0, has_cont ? &c : NULL, &page.at_rv);
    if (st != NULL) {
        free(c.ns);
        free(c.name);
        filter_free(&f);
        return respond_status(rq, st);
    }
    if (has_cont) {
        page.start_ns = c.ns;
        page.start_name = c.name;
    }
    struct list_out o = {.r = r, .now = sim_store_now(rq->srv->store)};
    strbuf_init(&o.sb);
    if (rq->table)
        o.table = sim_printer_table(r, NULL);
    struct sim_store_cursor cur = {.plural = r->plural,
                                   .ns = r->namespaced ? ns : NULL,
                                   .match = filter_any(&f) ? filter_match : NULL,
                                   .match_ctx = &f,
                                   .emit = list_emit,
                                   .emit_ctx = &o};
    enum MHD_Result res;
    if (sim_store_scan(rq->srv->store, &cur, &page) == -2) {
        /* The history needed for the snapshot was compacted, as etcd's ErrCompacted. */
        if (has_cont) {
            st = sim_status_new(410, "Expired",
                                "The provided continue parameter is too old to display a "
                                "consistent list result. You can start a new list without the "
                                "continue parameter, or use the continue token in this response "
                                "to retrieve the remainder of the results. Continuing with the "
                                "provided token results in an inconsistent list - objects that "
                                "were created, modified, or deleted between the time the first "
                                "chunk was returned and now may show up in the list.");
            st->list_continue = continue_encode(-1, across_ns, c.ns, c.name);
        } else {
            st = sim_status_new(410, "Expired",
                                "The resourceVersion for the provided list is too old.");
        }
        res = respond_status(rq, st);
        cJSON_Delete(o.table);
        goto out;
    }
    char rvs_out[32];
    snprintf(rvs_out, sizeof rvs_out, "%llu", page.rv);
    char *next = page.next_ns != NULL
                     ? continue_encode((long long)page.rv, across_ns, page.next_ns, page.next_name)
                     : NULL;
    if (o.table != NULL) {
        cJSON *meta = cJSON_GetObjectItemCaseSensitive(o.table, "metadata");
        cJSON_AddStringToObject(meta, "resourceVersion", rvs_out);
        if (next != NULL)
            cJSON_AddStringToObject(meta, "continue", next);
        if (next != NULL && page.remaining >= 0)
            cJSON_AddNumberToObject(meta, "remainingItemCount", (double)page.remaining);
        res = respond_json(rq, 200, o.table);
    } else {
        struct strbuf out;
        strbuf_init(&out);
        strbuf_appendf(&out,
                       "{\"apiVersion\":\"%s\",\"kind\":\"%s\",\"metadata\":{\"resourceVersion\":"
                       "\"%s\"",
                       r->api_version, r->list_kind, rvs_out);
        if (next != NULL)
            strbuf_appendf(&out, ",\"continue\":\"%s\"", next);
        if (next != NULL && page.remaining >= 0)
            strbuf_appendf(&out, ",\"remainingItemCount\":%ld", page.remaining);
        strbuf_append(&out, "},\"items\":[");
        strbuf_append_len(&out, o.sb.buf, o.sb.len);
        strbuf_append(&out, "]}");
        res = respond_text(rq, 200, strbuf_detach(&out), "application/json", 0);
    }
    free(next);
out:
    strbuf_free(&o.sb);
    free(page.next_ns);
    free(page.next_name);
    free(c.ns);
    free(c.name);
    filter_free(&f);
    return res;
}

/* ---- watch --------------------------------------------------------------------------------- */

struct watch {
    struct sim_server *srv;
    int fd;   /* the connection's socket, polled for a hang-up while idle; -1 if unknown */
    char *ns; /* the cursor's namespace: the request's path is gone once the stream runs */
    const struct sim_resource *r;
    struct filter f;
    struct sim_store_cursor cur;
    bool table;
    bool bookmarks;
    bool done;
    bool cut; /* fault: the stream breaks in the middle of its first event */
    struct strbuf out;
    size_t off;
    double deadline;
    double started;
    double next_bookmark;
    time_t now;
};

static const char *event_name(enum sim_event_type t)
{
    return t == SIM_EVENT_ADDED ? "ADDED" : t == SIM_EVENT_MODIFIED ? "MODIFIED" : "DELETED";
}

static void watch_emit(void *ctx, enum sim_event_type type, const char *json, size_t len)
{
    struct watch *w = ctx;
    strbuf_appendf(&w->out, "{\"type\":\"%s\",\"object\":", event_name(type));
    if (w->table) {
        cJSON *obj = cJSON_ParseWithLength(json, len);
        cJSON *t = sim_printer_table(
            w->r, json_get_string(obj, "metadata", "resourceVersion", (char *)NULL));
        if (obj != NULL)
            sim_printer_add_row(w->r, t, obj, w->now);
        char *text = cJSON_PrintUnformatted(t);
        strbuf_append(&w->out, text);
        free(text);
        cJSON_Delete(t);
        cJSON_Delete(obj);
    } else {
        strbuf_append_len(&w->out, json, len);
    }
    strbuf_append(&w->out, "}\n");
}

static ssize_t watch_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct watch *w = cls;
    struct sim_server *srv = w->srv;
    for (;;) {
        if (w->cut && w->out.len > 1) {
            if (w->off >= w->out.len / 2)
                return MHD_CONTENT_READER_END_WITH_ERROR;
            size_t n = w->out.len / 2 - w->off;
            if (n > max)
                n = max;
            memcpy(buf, w->out.buf + w->off, n);
            w->off += n;
            return (ssize_t)n;
        }
        if (w->off < w->out.len) {
            size_t n = w->out.len - w->off;
            if (n > max)
                n = max;
            memcpy(buf, w->out.buf + w->off, n);
            w->off += n;
            if (w->off == w->out.len) {
                strbuf_reset(&w->out);
                w->off = 0;
            }
            return (ssize_t)n;
        }
        if (w->done)
            return MHD_CONTENT_READER_END_OF_STREAM;
        double now = mono_now();
        /* The close fault applies to watches already open when it is switched on, too. */
        pthread_mutex_lock(&srv->mu);
        int close_s = srv->faults.watch_close_s;
        pthread_mutex_unlock(&srv->mu);
        if (close_s > 0 && now >= w->started + close_s && now < w->deadline)
            w->deadline = now;
        if (now >= w->deadline || sim_store_stopping(srv->store)) {
            w->done = true;
            continue;
        }
        double until = w->deadline;
        if (w->bookmarks && w->next_bookmark < until)
            until = w->next_bookmark;
        long wait_ms = (long)((until - now) * 1000) + 1;
        if (wait_ms > 1000)
            wait_ms = 1000;
        w->now = sim_store_now(srv->store);
        long n = sim_store_next(srv->store, &w->cur, wait_ms);
        if (n < 0) {
            strbuf_appendf(&w->out,
                           "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":"
                           "\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"too old "
                           "resource version: %llu (%llu)\",\"reason\":\"Expired\",\"code\":410}}"
                           "\n",
                           w->cur.rv, w->cur.oldest);
            w->done = true;
            continue;
        }
        if (n == 0 && w->fd >= 0) {
            /* Nothing is written to an idle watch, so a client that left would keep this thread
             * until the timeout; its hang-up shows on the socket. */
            struct pollfd pfd = {.fd = w->fd, .events = POLLRDHUP};
            if (poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0)
                return MHD_CONTENT_READER_END_WITH_ERROR;
        }
        if (n == 0 && w->bookmarks && mono_now() >= w->next_bookmark) {
            strbuf_appendf(&w->out,
                           "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"%s\",\"apiVersion\":"
                           "\"%s\",\"metadata\":{\"resourceVersion\":\"%llu\","
                           "\"creationTimestamp\":null}}}\n",
                           w->table ? "Table" : w->r->kind,
                           w->table ? "meta.k8s.io/v1" : w->r->api_version, w->cur.rv);
            w->next_bookmark = mono_now() + srv->bookmark_ms / 1000.0;
        }
    }
}

static void watch_free(void *cls)
{
    struct watch *w = cls;
    pthread_mutex_lock(&w->srv->mu);
    w->srv->stats.watches_open--;
    pthread_mutex_unlock(&w->srv->mu);
    filter_free(&w->f);
    strbuf_free(&w->out);
    free(w->ns);
    free(w);
}

static enum MHD_Result do_watch(struct request *rq, const struct sim_resource *r, const char *ns)
{
    struct sim_server *srv = rq->srv;
    pthread_mutex_lock(&srv->mu);
    bool deny = srv->faults.deny_watch;
    pthread_mutex_unlock(&srv->mu);
    if (deny) {
        struct sim_authz_request az = {.user = rq->user,
                                       .groups = rq->groups,
                                       .store = rq->srv->store,
                                       .verb = "watch",
                                       .group = r->group,
                                       .resource = r->plural,
                                       .ns = ns};
        return respond_status(rq, sim_authz_forbidden(&az));
    }
    struct watch *w = xcalloc(1, sizeof *w);
    struct sim_status *st = filter_parse(rq, r, &w->f);
    const char *rvs = arg(rq, "resourceVersion");
    char *end = NULL;
    unsigned long long rv = 0;
    if (st == NULL && rvs != NULL && rvs[0] != '\0') {
        errno = 0;
        rv = strtoull(rvs, &end, 10);
        if (*end != '\0' || errno != 0)
            st = sim_status_bad_request("resourceVersion: Invalid value: \"%s\": must be a "
                                        "number",
                                        rvs);
    }
    if (st != NULL) {
        filter_free(&w->f);
        free(w);
        return respond_status(rq, st);
    }
    w->srv = srv;
    w->r = r;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(rq->c, MHD_CONNECTION_INFO_CONNECTION_FD);
    w->fd = ci != NULL ? ci->connect_fd : -1;
    w->table = rq->table;
    w->bookmarks = truthy(arg(rq, "allowWatchBookmarks"));
    bool initial_events = truthy(arg(rq, "sendInitialEvents"));
    strbuf_init(&w->out);
    w->ns = r->namespaced && ns != NULL ? xstrdup(ns) : NULL;
    w->cur = (struct sim_store_cursor){.plural = r->plural,
                                       .ns = w->ns,
                                       .match = filter_any(&w->f) ? filter_match : NULL,
                                       .match_ctx = &w->f,
                                       .emit = watch_emit,
                                       .emit_ctx = w};
    double now = mono_now();
    long timeout = WATCH_MAX_S;
    const char *ts = arg(rq, "timeoutSeconds");
    if (ts != NULL && ts[0] != '\0')
        timeout = strtol(ts, NULL, 10);
    pthread_mutex_lock(&srv->mu);
    int close_s = srv->faults.watch_close_s;
    bool forget = srv->faults.forget_history;
    if (srv->faults.cut_body_pct > 0 && (int)(srv_rand(srv) % 100) < srv->faults.cut_body_pct) {
        w->cut = true;
        srv->stats.faults_injected++;
    }
    srv->stats.watches_open++;
    pthread_mutex_unlock(&srv->mu);
    if (close_s > 0 && close_s < timeout)
        timeout = close_s;
    w->deadline = now + (double)timeout;
    w->started = now;
    w->next_bookmark = now + srv->bookmark_ms / 1000.0;
    w->now = sim_store_now(srv->store);
    if (initial_events) {
        /* The streaming list (sendInitialEvents=true): the current state as ADDED events, then
         * a bookmark marked as the end of the initial events, whatever resourceVersion was sent. */
        sim_store_snapshot(srv->store, &w->cur);
        strbuf_appendf(&w->out,
                       "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"%s\",\"apiVersion\":\"%s\","
                       "\"metadata\":{\"resourceVersion\":\"%llu\",\"creationTimestamp\":null,"
                       "\"annotations\":{\"k8s.io/initial-events-end\":\"true\"}}}}\n",
                       r->kind, r->api_version, w->cur.rv);
    } else if (rv == 0) {
        sim_store_snapshot(srv->store, &w->cur);
    } else {
        if (forget)
            sim_store_forget_history(srv->store);
        w->cur.rv = rv;
        /* A resourceVersion the store has not reached: kube's watch cache waits a little, then
         * the watch gets the 504 as its one ERROR event (errors after the request was accepted
         * travel in the stream). */
        struct sim_status *late = wait_for_rv(srv, rv);
        if (late != NULL) {
            cJSON *doc = sim_status_to_json(late);
            char *text = cJSON_PrintUnformatted(doc);
            cJSON_Delete(doc);
            sim_status_free(late);
            if (text == NULL)
                xalloc_fail(0);
            strbuf_appendf(&w->out, "{\"type\":\"ERROR\",\"object\":%s}\n", text);
            free(text);
            w->done = true;
        }
    }
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, watch_read, w, watch_free);
    MHD_add_response_header(resp, "Content-Type", "application/json");
    MHD_add_response_header(resp, "Cache-Control", "no-cache, private");
    rq->code = 200;
    enum MHD_Result res = MHD_queue_response(rq->c, 200, resp);
    MHD_destroy_response(resp);
    return res;
}

/* ---- single objects ------------------------------------------------------------------------ */

static enum MHD_Result respond_object(struct request *rq, const struct sim_resource *r, int code,
                                      cJSON *obj)
{
    if (!rq->table)
        return respond_json(rq, code, obj);
    cJSON *t =
        sim_printer_table(r, json_get_string(obj, "metadata", "resourceVersion", (char *)NULL));
    sim_printer_add_row(r, t, obj, sim_store_now(rq->srv->store));
    cJSON_Delete(obj);
    return respond_json(rq, code, t);
}

static cJSON *parse_body(struct request *rq, struct sim_status **st)
{
    const char *ct = header(rq, "Content-Type");
    char *cause = NULL;
    if (ct != NULL && strncmp(ct, "application/vnd.kubernetes.protobuf", 35) == 0 &&
        rq->resource != NULL && strcmp(rq->resource->plural, "namespaces") == 0) {
        cJSON *ns = sim_protobuf_namespace((const unsigned char *)rq->body, rq->body_len, &cause);
        if (ns == NULL) {
            *st = sim_status_bad_request("%s", cause);
            free(cause);
        }
        return ns;
    }
    if (ct != NULL &&
        (strncmp(ct, "application/yaml", 16) == 0 || strncmp(ct, "application/x-yaml", 18) == 0)) {
        cJSON *docs = sim_yaml_parse(rq->body, rq->body_len, "body", NULL, &cause);
        cJSON *obj = docs != NULL ? cJSON_DetachItemFromArray(docs, 0) : NULL;
        cJSON_Delete(docs);
        if (!cJSON_IsObject(obj)) {
            cJSON_Delete(obj);
            *st = sim_status_bad_request("the object provided is unrecognized (%s)",
                                         cause != NULL ? cause : "not a YAML mapping");
            free(cause);
            return NULL;
        }
        return obj;
    }
    if (ct != NULL && strncmp(ct, "application/json", 16) != 0) {
        *st = sim_status_new(415, "UnsupportedMediaType",
                             "the body of the request was in an unknown format - accepted media "
                             "types include: application/json, application/yaml, "
                             "application/vnd.kubernetes.protobuf, application/cbor");
        return NULL;
    }
    cJSON *obj = rq->body_len > 0 ? cJSON_ParseWithLength(rq->body, rq->body_len) : NULL;
    if (!cJSON_IsObject(obj)) {
        cJSON_Delete(obj);
        *st = sim_status_bad_request("the object provided is unrecognized (the body is not a "
                                     "JSON object)");
        return NULL;
    }
    return obj;
}

/* SelfSubjectRulesReview (kubectl auth can-i --list): the rules of the caller's roles. */
static enum MHD_Result do_ssrr(struct request *rq)
{
    struct sim_status *st = NULL;
    cJSON *in;
    const char *ct = header(rq, "Content-Type");
    if (ct != NULL && strncmp(ct, "application/vnd.kubernetes.protobuf", 35) == 0) {
        char *cause = NULL;
        in = sim_protobuf_ssrr((const unsigned char *)rq->body, rq->body_len, &cause);
        if (in == NULL) {
            st = sim_status_bad_request("%s", cause);
            free(cause);
        }
    } else {
        in = parse_body(rq, &st);
    }
    if (in == NULL)
        return respond_status(rq, st);
    const char *ns = json_get_string(in, "spec", "namespace", (char *)NULL);
    if (ns == NULL || ns[0] == '\0') {
        cJSON_Delete(in);
        return respond_status(rq, sim_status_new(422, "Invalid",
                                                 "SelfSubjectRulesReview.authorization.k8s.io "
                                                 "\"\" is invalid: spec.namespace: Required "
                                                 "value: no namespace on request"));
    }
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "kind", "SelfSubjectRulesReview");
    cJSON_AddStringToObject(out, "apiVersion", "authorization.k8s.io/v1");
    cJSON_AddItemToObject(cJSON_AddObjectToObject(out, "metadata"), "creationTimestamp",
                          cJSON_CreateNull());
    cJSON_AddItemToObject(out, "spec", cJSON_Duplicate(json_get(in, "spec", (char *)NULL), true));
    struct sim_authz_request az = {
        .user = rq->user, .groups = rq->groups, .store = rq->srv->store, .ns = ns};
    cJSON_AddItemToObject(out, "status", sim_authz_rules(&az));
    cJSON_Delete(in);
    return respond_json(rq, 201, out);
}

static enum MHD_Result do_ssar(struct request *rq)
{
    struct sim_status *st = NULL;
    cJSON *in;
    const char *ct = header(rq, "Content-Type");
    if (ct != NULL && strncmp(ct, "application/vnd.kubernetes.protobuf", 35) == 0) {
        char *cause = NULL;
        in = sim_protobuf_ssar((const unsigned char *)rq->body, rq->body_len, &cause);
        if (in == NULL) {
            st = sim_status_bad_request("%s", cause);
            free(cause);
        }
    } else {
        in = parse_body(rq, &st);
    }
    if (in == NULL)
        return respond_status(rq, st);
    const cJSON *ra = json_get(in, "spec", "resourceAttributes", (char *)NULL);
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "kind", "SelfSubjectAccessReview");
    cJSON_AddStringToObject(out, "apiVersion", "authorization.k8s.io/v1");
    cJSON_AddItemToObject(cJSON_AddObjectToObject(out, "metadata"), "creationTimestamp",
                          cJSON_CreateNull());
    const cJSON *spec = json_get(in, "spec", (char *)NULL);
    cJSON_AddItemToObject(out, "spec",
                          spec != NULL ? cJSON_Duplicate(spec, true) : cJSON_CreateObject());
    cJSON *status = cJSON_AddObjectToObject(out, "status");
    bool allowed;
    char *reason = NULL;
    if (ra != NULL) {
        struct sim_authz_request az = {
            .user = rq->user,
            .groups = rq->groups,
            .store = rq->srv->store,
            .verb = json_get_string(ra, "verb", (char *)NULL),
            .group = json_get_string(ra, "group", (char *)NULL)
                         ? json_get_string(ra, "group", (char *)NULL)
                         : "",
            .resource = json_get_string(ra, "resource", (char *)NULL),
            .subresource = json_get_string(ra, "subresource", (char *)NULL),
            .ns = json_get_string(ra, "namespace", (char *)NULL),
            .name = json_get_string(ra, "name", (char *)NULL),
        };
        allowed = az.verb != NULL && az.resource != NULL && sim_authz_allowed(&az);
        reason = allowed ? sim_authz_reason(&az) : NULL;
    } else {
        /* Non-resource URLs (discovery, /version): every authenticated user may GET them. */
        const char *verb =
            json_get_string(in, "spec", "nonResourceAttributes", "verb", (char *)NULL);
        allowed = verb != NULL && strcmp(verb, "get") == 0;
    }
    cJSON_AddBoolToObject(status, "allowed", allowed);
    if (reason != NULL)
        cJSON_AddStringToObject(status, "reason", reason);
    free(reason);
    cJSON_Delete(in);
    return respond_json(rq, 201, out);
}

static enum sim_patch_type patch_type(const char *ct, bool *ok)
{
    *ok = true;
    if (ct != NULL && strncmp(ct, "application/merge-patch+json", 28) == 0)
        return SIM_PATCH_MERGE;
    if (ct != NULL && strncmp(ct, "application/json-patch+json", 27) == 0)
        return SIM_PATCH_JSON;
    if (ct != NULL && strncmp(ct, "application/strategic-merge-patch+json", 38) == 0)
        return SIM_PATCH_STRATEGIC;
    *ok = false;
    return SIM_PATCH_MERGE;
}

/* Server-side apply: the body is YAML (or JSON) of the whole configuration this field manager
 * wants; see sim/apply.h. */
static cJSON *do_apply(struct request *rq, const struct sim_resource *r, const char *ns,
                       const char *name, bool status_sub, const struct sim_write_opts *o,
                       bool *created, struct sim_status **st)
{
    char *cause = NULL;
    cJSON *docs = sim_yaml_parse(rq->body, rq->body_len, "body", NULL, &cause);
    cJSON *obj = cJSON_GetArraySize(docs) == 1 ? cJSON_DetachItemFromArray(docs, 0) : NULL;
    cJSON_Delete(docs);
    if (!cJSON_IsObject(obj)) {
        *st = sim_status_bad_request("error decoding YAML: %s",
                                     cause != NULL ? cause : "the body is not one mapping");
        free(cause);
        cJSON_Delete(obj);
        return NULL;
    }
    const char *av = json_get_string(obj, "apiVersion", (char *)NULL);
    const char *kind = json_get_string(obj, "kind", (char *)NULL);
    if (av == NULL || kind == NULL || strcmp(av, r->api_version) != 0 || strcmp(kind, r->kind) != 0)
        *st = sim_status_bad_request("the API version in the data (%s) does not match the "
                                     "expected API version (%s) or kind %s does not match %s",
                                     av ? av : "", r->api_version, kind ? kind : "", r->kind);
    cJSON *res =
        *st == NULL
            ? sim_store_apply(
                  rq->srv->store, r->plural, ns, name, status_sub, obj, arg(rq, "fieldManager"),
                  arg(rq, "force") != NULL && strcmp(arg(rq, "force"), "true") == 0, o, created, st)
            : NULL;
    cJSON_Delete(obj);
    return res;
}

/* DeleteOptions (query or body, as kubectl sends them): what happens to the dependents. An
 * unknown policy is kube-apiserver's 422. */
static struct sim_status *delete_propagation(struct request *rq, enum sim_propagation *out)
{
    cJSON *opts = rq->body_len > 0 ? cJSON_ParseWithLength(rq->body, rq->body_len) : NULL;
    const char *p = arg(rq, "propagationPolicy");
    if (p == NULL)
        p = json_get_string(opts, "propagationPolicy", (char *)NULL);
    const char *oq = arg(rq, "orphanDependents");
    const cJSON *od = cJSON_GetObjectItemCaseSensitive(opts, "orphanDependents");
    struct sim_status *st = NULL;
    *out = SIM_PROPAGATE_BACKGROUND;
    if (p != NULL && strcmp(p, "Foreground") == 0)
        *out = SIM_PROPAGATE_FOREGROUND;
    else if (p != NULL && strcmp(p, "Orphan") == 0)
        *out = SIM_PROPAGATE_ORPHAN;
    else if (p == NULL && ((oq != NULL && strcmp(oq, "true") == 0) || cJSON_IsTrue(od)))
        *out = SIM_PROPAGATE_ORPHAN; /* the deprecated orphanDependents */
    else if (p != NULL && strcmp(p, "Background") != 0) {
        st = xcalloc(1, sizeof *st);
        st->code = 422;
        st->reason = xstrdup("Invalid");
        st->message = xstrdup("DeleteOptions.meta.k8s.io");
        st->group = xstrdup("meta.k8s.io");
        st->kind = xstrdup("DeleteOptions");
        st->name = xstrdup("");
        char *m = xasprintf("Unsupported value: \"%s\": supported values: \"Foreground\", "
                            "\"Background\", \"Orphan\", \"nil\"",
                            p);
        sim_status_add_cause(st, "FieldValueNotSupported", m, "propagationPolicy");
        free(m);
        sim_status_invalid_finish(st);
    }
    cJSON_Delete(opts);
    return st;
}

static enum MHD_Result do_resource(struct request *rq, const struct sim_resource *r, const char *ns,
                                   const char *name, const char *sub)
{
    struct sim_store *store = rq->srv->store;
    struct sim_status *st = NULL;
    struct sim_write_opts o = {.user = rq->user, .dry_run = arg(rq, "dryRun") != NULL};
    /* kube's managerOrUserAgent: the fieldManager, else the User-Agent up to its first '/'. */
    char *ua_manager = NULL;
    o.field_manager = arg(rq, "fieldManager");
    if (o.field_manager == NULL || o.field_manager[0] == '\0') {
        const char *ua = header(rq, "User-Agent");
        ua_manager = xstrndup(ua != NULL ? ua : "", ua != NULL ? strcspn(ua, "/") : 0);
        o.field_manager = ua_manager;
    }
    bool status_sub = sub != NULL;
    cJSON *res = NULL;
    int code = 200;
    switch (rq->verb) {
    case SIM_VERB_GET:
        res = sim_store_get(store, r->plural, ns, name, &st);
        break;
    case SIM_VERB_LIST:
        free(ua_manager);
        return do_list(rq, r, ns);
    case SIM_VERB_WATCH:
        free(ua_manager);
        return do_watch(rq, r, ns);
    case SIM_VERB_CREATE: {
        cJSON *obj = parse_body(rq, &st);
        if (obj != NULL) {
            res = sim_store_create(store, r->plural, r->namespaced ? ns : NULL, obj, &o, &st);
            cJSON_Delete(obj);
            code = 201;
        }
        break;
    }
    case SIM_VERB_UPDATE: {
        cJSON *obj = parse_body(rq, &st);
        if (obj != NULL) {
            cJSON *meta = json_ensure_object(obj, "metadata", (char *)NULL);
            const char *bn = json_get_string(meta, "name", (char *)NULL);
            if (bn == NULL)
                json_set_string(meta, "name", name);
            else if (strcmp(bn, name) != 0)
                st = sim_status_bad_request("the name of the object (%s) does not match the "
                                            "name on the URL (%s)",
                                            bn, name);
            const char *bns = json_get_string(meta, "namespace", (char *)NULL);
            if (st == NULL && r->namespaced && bns != NULL && bns[0] != '\0' &&
                strcmp(bns, ns) != 0)
                st = sim_status_bad_request("the namespace of the provided object does not "
                                            "match the namespace sent on the request");
            if (st == NULL)
                res = status_sub ? sim_store_update_status(store, r->plural, ns, obj, &o, &st)
                                 : sim_store_update(store, r->plural, ns, obj, &o, &st);
            cJSON_Delete(obj);
        }
        break;
    }
    case SIM_VERB_PATCH: {
        const char *pct = header(rq, "Content-Type");
        if (pct != NULL && strncmp(pct, "application/apply-patch+yaml", 28) == 0) {
            bool created = false;
            res = do_apply(rq, r, ns, name, status_sub, &o, &created, &st);
            code = created ? 201 : 200;
            break;
        }
        bool ok;
        enum sim_patch_type pt = patch_type(pct, &ok);
        if (!ok)
            st = sim_status_new(415, "UnsupportedMediaType",
                                "the body of the request was in an unknown format - accepted "
                                "media types include: application/json-patch+json, "
                                "application/merge-patch+json, application/apply-patch+yaml");
        else
            res = sim_store_patch(store, r->plural, ns, name, status_sub, pt, rq->body,
                                  rq->body_len, &o, &st);
        break;
    }
    case SIM_VERB_DELETE:
        st = delete_propagation(rq, &o.propagation);
        if (st == NULL)
            res = sim_store_delete(store, r->plural, ns, name, &o, &st);
        break;
    default:
        st = sim_status_new(405, "MethodNotAllowed",
                            "the server does not allow this method on the requested resource");
        break;
    }
    free(ua_manager);
    if (res == NULL)
        return respond_status(rq, st != NULL ? st : sim_status_internal("no result"));
    sim_status_free(st);
    return respond_object(rq, r, code, res);
}

/* ---- the control endpoint ------------------------------------------------------------------ */

static cJSON *faults_json(const struct sim_faults *f)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "watchCloseSeconds", f->watch_close_s);
    cJSON_AddNumberToObject(o, "error500Percent", f->error500_pct);
    cJSON_AddNumberToObject(o, "error429Percent", f->error429_pct);
    cJSON_AddNumberToObject(o, "error503Percent", f->error503_pct);
    cJSON_AddNumberToObject(o, "retryAfterSeconds", f->retry_after_s);
    cJSON_AddNumberToObject(o, "latencyMs", f->latency_ms);
    cJSON_AddNumberToObject(o, "cutBodyPercent", f->cut_body_pct);
    cJSON_AddNumberToObject(o, "stallBodyPercent", f->stall_body_pct);
    cJSON_AddNumberToObject(o, "tokenExpireSeconds", f->token_expire_s);
    cJSON_AddBoolToObject(o, "forgetHistory", f->forget_history);
    cJSON_AddStringToObject(o, "slowPath", f->slow_path);
    cJSON_AddNumberToObject(o, "slowMs", f->slow_ms);
    return o;
}

static int num(const cJSON *o, const char *key)
{
    double v = 0;
    json_get_number(o, &v, key, (char *)NULL);
    return v < 0 ? 0 : (int)v;
}

static enum MHD_Result do_control(struct request *rq, const char *what)
{
    struct sim_server *srv = rq->srv;
    if (rq->user == NULL || strcmp(rq->user, "admin") != 0) {
        struct sim_status *st = sim_status_new(403, "Forbidden",
                                               "forbidden: User \"%s\" cannot use the simulator "
                                               "control endpoint",
                                               rq->user);
        return respond_status(rq, st);
    }
    if (strcmp(what, "faults") == 0 && strcmp(rq->method, "GET") == 0) {
        struct sim_faults f;
        sim_server_faults_get(srv, &f);
        return respond_json(rq, 200, faults_json(&f));
    }
    if (strcmp(what, "faults") == 0 &&
        (strcmp(rq->method, "PUT") == 0 || strcmp(rq->method, "POST") == 0)) {
        struct sim_status *st = NULL;
        cJSON *in = parse_body(rq, &st);
        if (in == NULL)
            return respond_status(rq, st);
        bool forget = false;
        json_get_bool(in, &forget, "forgetHistory", (char *)NULL);
        struct sim_faults f = {
            .watch_close_s = num(in, "watchCloseSeconds"),
            .error500_pct = num(in, "error500Percent"),
            .error429_pct = num(in, "error429Percent"),
            .error503_pct = num(in, "error503Percent"),
            .retry_after_s = num(in, "retryAfterSeconds"),
            .latency_ms = num(in, "latencyMs"),
            .cut_body_pct = num(in, "cutBodyPercent"),
            .stall_body_pct = num(in, "stallBodyPercent"),
            .token_expire_s = num(in, "tokenExpireSeconds"),
            .forget_history = forget,
            .slow_ms = num(in, "slowMs"),
        };
        const char *slow = json_get_string(in, "slowPath", (char *)NULL);
        snprintf(f.slow_path, sizeof f.slow_path, "%s", slow != NULL ? slow : "");
        cJSON_Delete(in);
        sim_server_faults_set(srv, &f);
        return respond_json(rq, 200, faults_json(&f));
    }
    if (strcmp(what, "stats") == 0 && strcmp(rq->method, "GET") == 0) {
        struct sim_stats s;
        sim_server_stats(srv, &s);
        cJSON *o = cJSON_CreateObject();
        cJSON *req = cJSON_AddObjectToObject(o, "requests");
        for (int v = 0; v < SIM_VERB_COUNT; v++)
            cJSON_AddNumberToObject(req, sim_verb_name((enum sim_verb)v), (double)s.requests[v]);
        cJSON_AddNumberToObject(o, "faultsInjected", (double)s.faults_injected);
        cJSON_AddNumberToObject(o, "gzipped", (double)s.gzipped);
        cJSON_AddNumberToObject(o, "watchesOpen", (double)s.watches_open);
        cJSON_AddNumberToObject(o, "resourceVersion", (double)sim_store_rv(srv->store));
        return respond_json(rq, 200, o);
    }
    if (strcmp(what, "history") == 0 && strcmp(rq->method, "DELETE") == 0) {
        sim_store_forget_history(srv->store);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "status", "Success");
        return respond_json(rq, 200, o);
    }
    return respond_status(rq, not_found_path());
}

/* ---- routing ------------------------------------------------------------------------------- */

/* The user of a bearer token. Expiry (a fault) spares the control endpoint, which must stay
 * usable to lift it. */
static const char *authenticate(struct sim_server *srv, const char *auth, bool control)
{
    if (auth == NULL || strncmp(auth, "Bearer ", 7) != 0)
        return NULL;
    const char *tok = auth + 7;
    for (int i = 0; i < srv->nusers; i++) {
        if (strcmp(srv->users[i].token, tok) != 0)
            continue;
        pthread_mutex_lock(&srv->mu);
        int exp = srv->faults.token_expire_s;
        struct timespec at = srv->faults_at;
        pthread_mutex_unlock(&srv->mu);
        if (!control && exp > 0 && mono_now() - ((double)at.tv_sec + at.tv_nsec / 1e9) >= exp) {
            return NULL;
        }
        return srv->users[i].name;
    }
    return NULL;
}

/* The user named by the CN of a client certificate the CA signed, as kube-apiserver's x509
 * authenticator maps it; NULL without a valid certificate. */
static const char *authenticate_cert(struct sim_server *srv, struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (ci == NULL || ci->tls_session == NULL)
        return NULL;
    gnutls_session_t session = (gnutls_session_t)ci->tls_session;
    unsigned status = 0;
    unsigned n = 0;
    if (gnutls_certificate_verify_peers2(session, &status) < 0 || status != 0)
        return NULL;
    const gnutls_datum_t *peers = gnutls_certificate_get_peers(session, &n);
    if (peers == NULL || n == 0)
        return NULL;
    gnutls_x509_crt_t crt;
    if (gnutls_x509_crt_init(&crt) < 0)
        return NULL;
    char cn[256];
    size_t len = sizeof cn;
    const char *user = NULL;
    if (gnutls_x509_crt_import(crt, &peers[0], GNUTLS_X509_FMT_DER) >= 0 &&
        gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, cn, &len) >= 0) {
        for (int i = 0; i < srv->nusers && user == NULL; i++)
            if (strcmp(srv->users[i].name, cn) == 0)
                user = srv->users[i].name;
    }
    gnutls_x509_crt_deinit(crt);
    return user;
}

static bool accepts_table(const char *accept)
{
    return accept != NULL && strstr(accept, "as=Table") != NULL;
}

/* Returns the verb, or SIM_VERB_COUNT when the method does not fit the path. */
static enum sim_verb verb_of(const char *method, bool named, bool watch)
{
    if (strcmp(method, "GET") == 0)
        return named ? SIM_VERB_GET : watch ? SIM_VERB_WATCH : SIM_VERB_LIST;
    if (strcmp(method, "POST") == 0 && !named)
        return SIM_VERB_CREATE;
    if (strcmp(method, "PUT") == 0 && named)
        return SIM_VERB_UPDATE;
    if (strcmp(method, "PATCH") == 0 && named)
        return SIM_VERB_PATCH;
    if (strcmp(method, "DELETE") == 0 && named)
        return SIM_VERB_DELETE;
    return SIM_VERB_COUNT;
}

static const char *verb_word(enum sim_verb v)
{
    static const char *const words[] = {"get",    "list",  "watch",  "create",
                                        "update", "patch", "delete", "other"};
    return words[v];
}

static enum MHD_Result route_api(struct request *rq, const char *group, const char *version,
                                 char **seg, int n)
{
    /* seg: the path after /api/v1 or /apis/<group>/<version> */
    const char *ns = NULL, *plural, *name = NULL, *sub = NULL;
    const struct sim_resource *r = NULL;
    if (n >= 3 && strcmp(seg[0], "namespaces") == 0) {
        const struct sim_resource *cand = sim_resource_find(group, seg[2]);
        if (cand != NULL && strcmp(cand->plural, seg[2]) == 0 && cand->namespaced) {
            ns = seg[1];
            seg += 2;
            n -= 2;
        }
    }
    if (n < 1 || n > 3)
        return respond_status(rq, not_found_path());
    plural = seg[0];
    name = n >= 2 ? seg[1] : NULL;
    sub = n >= 3 ? seg[2] : NULL;
    r = sim_resource_find(group, plural);
    if (r == NULL || strcmp(r->plural, plural) != 0 || strcmp(r->version, version) != 0 ||
        (ns != NULL && !r->namespaced) || (r->namespaced && ns == NULL && name != NULL) ||
        (sub != NULL && (strcmp(sub, "status") != 0 || !r->has_status)))
        return respond_status(rq, not_found_path());
    bool watch = truthy(arg(rq, "watch"));
    enum sim_verb verb = verb_of(rq->method, name != NULL, watch);
    if (!r->storable)
        verb = strcmp(rq->method, "POST") == 0 && name == NULL ? SIM_VERB_CREATE : SIM_VERB_COUNT;
    if (sub != NULL && verb != SIM_VERB_GET && verb != SIM_VERB_UPDATE && verb != SIM_VERB_PATCH)
        verb = SIM_VERB_COUNT;
    if (verb == SIM_VERB_COUNT) {
        rq->verb = SIM_VERB_OTHER;
        return respond_status(
            rq, sim_status_new(405, "MethodNotAllowed",
                               "the server does not allow this method on the requested resource"));
    }
    rq->verb = verb;
    rq->resource = r;
    struct sim_authz_request az = {.user = rq->user,
                                   .groups = rq->groups,
                                   .store = rq->srv->store,
                                   .verb = verb_word(verb),
                                   .group = group,
                                   .resource = r->plural,
                                   .subresource = sub,
                                   .ns = ns,
                                   .name = name};
    if (!sim_authz_allowed(&az))
        return respond_status(rq, sim_authz_forbidden(&az));
    if (!r->storable) {
        rq->verb = SIM_VERB_OTHER;
        return strcmp(r->plural, "selfsubjectrulesreviews") == 0 ? do_ssrr(rq) : do_ssar(rq);
    }
    return do_resource(rq, r, ns, name, sub);
}

static enum MHD_Result route(struct request *rq, char **seg, int n)
{
    struct sim_server *srv = rq->srv;
    bool get = strcmp(rq->method, "GET") == 0;
    if (n == 1 && strcmp(seg[0], "api") == 0 && get)
        return respond_json(rq, 200, sim_discovery_api(srv->address));
    if (n == 1 && strcmp(seg[0], "apis") == 0 && get)
        return respond_json(rq, 200, sim_discovery_groups());
    if (n == 2 && strcmp(seg[0], "api") == 0 && get) {
        cJSON *d = sim_discovery_resources("", seg[1]);
        return d != NULL ? respond_json(rq, 200, d) : respond_status(rq, not_found_path());
    }
    if (n == 2 && strcmp(seg[0], "apis") == 0 && get) {
        cJSON *d = sim_discovery_group(seg[1]);
        return d != NULL ? respond_json(rq, 200, d) : respond_status(rq, not_found_path());
    }
    if (n == 3 && strcmp(seg[0], "apis") == 0 && get) {
        cJSON *d = sim_discovery_resources(seg[1], seg[2]);
        return d != NULL ? respond_json(rq, 200, d) : respond_status(rq, not_found_path());
    }
    if (n >= 3 && strcmp(seg[0], "api") == 0)
        return route_api(rq, "", seg[1], seg + 2, n - 2);
    if (n >= 4 && strcmp(seg[0], "apis") == 0)
        return route_api(rq, seg[1], seg[2], seg + 3, n - 3);
    if (n >= 2 && strcmp(seg[0], "openapi") == 0 && get) {
        cJSON *d = NULL;
        if (n == 2 && strcmp(seg[1], "v3") == 0)
            d = sim_discovery_openapi_root();
        else if (n == 4 && strcmp(seg[1], "v3") == 0 && strcmp(seg[2], "api") == 0)
            d = sim_discovery_openapi_gv("", seg[3]);
        else if (n == 5 && strcmp(seg[1], "v3") == 0 && strcmp(seg[2], "apis") == 0)
            d = sim_discovery_openapi_gv(seg[3], seg[4]);
        else if (n == 2 && strcmp(seg[1], "v2") == 0)
            /* An empty protobuf Document: kubectl finds no schema and validates nothing. */
            return respond_text(rq, 200, xstrdup(""),
                                "application/com.github.proto-openapi.spec.v2.v1.0+protobuf", 0);
        return d != NULL ? respond_json(rq, 200, d) : respond_status(rq, not_found_path());
    }
    if (n == 3 && strcmp(seg[0], "sim") == 0 && strcmp(seg[1], "v1") == 0)
        return do_control(rq, seg[2]);
    return respond_status(rq, not_found_path());
}

static bool is_health(const char *url)
{
    return strcmp(url, "/healthz") == 0 || strcmp(url, "/livez") == 0 ||
           strcmp(url, "/readyz") == 0;
}

/* The slow endpoint: waits while the request's path has the slow prefix and slow_ms since it
 * arrived have not passed, reading both again every 20 ms; stopping the server ends the wait. */
static void slow_wait(struct request *rq)
{
    struct sim_server *srv = rq->srv;
    double arrived = mono_now();
    for (;;) {
        pthread_mutex_lock(&srv->mu);
        const char *prefix = srv->faults.slow_path;
        bool slow = prefix[0] != '\0' && strncmp(rq->url, prefix, strlen(prefix)) == 0 &&
                    mono_now() - arrived < srv->faults.slow_ms / 1000.0;
        pthread_mutex_unlock(&srv->mu);
        if (!slow || sim_store_stopping(srv->store))
            return;
        usleep(20 * 1000);
    }
}

/* Injects the request-level faults; returns true when the request was answered by one. */
static bool inject(struct request *rq, enum MHD_Result *res)
{
    struct sim_server *srv = rq->srv;
    pthread_mutex_lock(&srv->mu);
    struct sim_faults f = srv->faults;
    int draw = (f.error500_pct > 0 || f.error429_pct > 0 || f.error503_pct > 0)
                   ? (int)(srv_rand(srv) % 100)
                   : 100;
    bool e500 = draw < f.error500_pct;
    bool e429 = !e500 && draw < f.error500_pct + f.error429_pct;
    bool e503 = !e500 && !e429 && draw < f.error500_pct + f.error429_pct + f.error503_pct;
    if (e500 || e429 || e503)
        srv->stats.faults_injected++;
    pthread_mutex_unlock(&srv->mu);
    if (f.latency_ms > 0)
        usleep((useconds_t)f.latency_ms * 1000);
    slow_wait(rq);
    if (e500) {
        struct sim_status *st =
            sim_status_new(500, "InternalError", "Internal error occurred: injected fault");
        sim_status_add_cause(st, NULL, "injected fault", NULL);
        *res = respond_status(rq, st);
        return true;
    }
    if (e429 || e503) {
        struct sim_status *st =
            e429 ? sim_status_new(429, "TooManyRequests",
                                  "Too many requests, please try again later.")
                 : sim_status_new(503, "ServiceUnavailable",
                                  "the server is currently unable to handle the request");
        st->retry_after_s = f.retry_after_s > 0 ? f.retry_after_s : 1;
        *res = respond_status(rq, st);
        return true;
    }
    return false;
}

/* Impersonate-User / Impersonate-Group (kubectl --as, a kubeconfig's `as`): the caller needs the
 * `impersonate` verb on users (and groups), which only admin has; the request then runs as the
 * named user. Returns true when it answered (403). */
static bool impersonate(struct request *rq, enum MHD_Result *res)
{
    const char *as = header(rq, "Impersonate-User");
    const char *group = header(rq, "Impersonate-Group");
    if (as == NULL && group == NULL)
        return false;
    struct sim_authz_request az = {.user = rq->user,
                                   .groups = rq->groups,
                                   .store = rq->srv->store,
                                   .verb = "impersonate",
                                   .group = ""};
    if (as == NULL || as[0] == '\0') {
        /* kube-apiserver: groups without a user are a bad request */
        *res = respond_status(rq, sim_status_bad_request("requested impersonation of groups "
                                                         "without impersonating a user"));
        return true;
    }
    az.resource = "users";
    az.name = as;
    if (sim_authz_allowed(&az) && group != NULL) {
        az.resource = "groups";
        az.name = group;
    }
    if (!sim_authz_allowed(&az)) {
        *res = respond_status(rq, sim_authz_forbidden(&az));
        return true;
    }
    rq->user = as;
    rq->groups = group;
    return false;
}

static enum MHD_Result handle(struct sim_server *srv, struct MHD_Connection *c, const char *url,
                              const char *method, struct upload *up)
{
    struct request rq = {.srv = srv,
                         .c = c,
                         .method = method,
                         .url = url,
                         .body = up->body.buf,
                         .body_len = up->body.len,
                         .verb = SIM_VERB_OTHER};
    enum MHD_Result res;
    if (strcmp(url, "/version") == 0 || is_health(url)) {
        res = strcmp(url, "/version") == 0
                  ? respond_json(&rq, 200, sim_discovery_version())
                  : respond_text(&rq, 200, xstrdup("ok"), "text/plain; charset=utf-8", 0);
        goto done;
    }
    bool control = strncmp(url, "/sim/", 5) == 0;
    rq.control = control;
    if (!control && inject(&rq, &res))
        goto done;
    rq.user = authenticate(srv, header(&rq, "Authorization"), control);
    if (rq.user == NULL && header(&rq, "Authorization") == NULL)
        rq.user = authenticate_cert(srv, c);
    if (rq.user == NULL) {
        res = respond_status(&rq, sim_status_new(401, "Unauthorized", "Unauthorized"));
        goto done;
    }
    for (int i = 0; i < srv->nusers; i++)
        if (strcmp(srv->users[i].name, rq.user) == 0)
            rq.groups = srv->users[i].groups;
    if (!control && impersonate(&rq, &res))
        goto done;
    if (up->too_big) {
        res = respond_status(&rq, sim_status_new(413, "RequestEntityTooLarge",
                                                 "Request entity too large: limit is 3145728"));
        goto done;
    }
    rq.table = accepts_table(header(&rq, "Accept"));
    char *path = xstrdup(url);
    char *seg[MAX_SEGS];
    int n = 0;
    char *save = NULL;
    for (char *t = strtok_r(path, "/", &save); t != NULL; t = strtok_r(NULL, "/", &save)) {
        if (n == MAX_SEGS) {
            n = MAX_SEGS + 1;
            break;
        }
        seg[n++] = t;
    }
    res = n > MAX_SEGS || n == 0 ? respond_status(&rq, not_found_path()) : route(&rq, seg, n);
    free(path);
done:
    pthread_mutex_lock(&srv->mu);
    srv->stats.requests[rq.verb]++;
    pthread_mutex_unlock(&srv->mu);
    if (srv->log)
        fprintf(stderr, "kargo-sim: %s %s -> %d (%s)\n", method, url, rq.code,
                rq.user != NULL ? rq.user : "anonymous");
    return res;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls)
{
    struct sim_server *srv = cls;
    struct upload *up = *con_cls;
    if (up == NULL) {
        up = xcalloc(1, sizeof *up);
        strbuf_init(&up->body);
        *con_cls = up;
        return MHD_YES;
    }
    if (*upload_size > 0) {
        if (up->body.len + *upload_size > MAX_BODY)
            up->too_big = true;
        else
            strbuf_append_len(&up->body, upload_data, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    return handle(srv, c, url, method, up);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct upload *up = *con_cls;
    if (up != NULL) {
        strbuf_free(&up->body);
        free(up);
        *con_cls = NULL;
    }
}

/* ---- lifecycle ----------------------------------------------------------------------------- */

struct sim_server *sim_server_start(const struct sim_server_config *cfg, char **cause)
{
    struct sim_server *srv = xcalloc(1, sizeof *srv);
    pthread_mutex_init(&srv->mu, NULL);
    srv->store = cfg->store;
    srv->bookmark_ms = cfg->bookmark_ms > 0 ? cfg->bookmark_ms : DEFAULT_BM_MS;
    srv->log = cfg->log_requests;
    srv->rng = cfg->seed * 0x2545f4914f6cdd1dULL + 1;
    srv->faults = cfg->faults;
    clock_gettime(CLOCK_MONOTONIC, &srv->faults_at);
    srv->nusers = cfg->nusers;
    srv->users = xcalloc((size_t)cfg->nusers, sizeof *srv->users);
    for (int i = 0; i < cfg->nusers; i++) {
        srv->users[i].name = xstrdup(cfg->users[i].name);
        srv->users[i].token = xstrdup(cfg->users[i].token);
        srv->users[i].groups = cfg->users[i].groups ? xstrdup(cfg->users[i].groups) : NULL;
    }

    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)cfg->port);
    const char *host = cfg->host != NULL ? cfg->host : "127.0.0.1";
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        cause_set(cause, "cannot listen on '%s': not an IPv4 address", host);
        sim_server_stop(srv);
        return NULL;
    }
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;
    if (cfg->tls != NULL)
        flags |= MHD_USE_TLS;
    struct MHD_OptionItem opts[8];
    int k = 0;
    opts[k++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, &sa};
    opts[k++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, NULL};
    opts[k++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, 4000, NULL};
    opts[k++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_STACK_SIZE, 1024 * 1024, NULL};
    if (cfg->tls != NULL) {
        opts[k++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, cfg->tls->key_pem};
        opts[k++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, cfg->tls->cert_pem};
        /* Asks for (does not require) client certificates signed by the CA. */
        opts[k++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_TRUST, 0, cfg->tls->ca_pem};
    }
    opts[k++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    srv->daemon = MHD_start_daemon(flags, (uint16_t)cfg->port, NULL, NULL, on_request, srv,
                                   MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
    if (srv->daemon == NULL) {
        cause_set(cause, "cannot listen on %s:%d: %s", host, cfg->port,
                  errno != 0 ? strerror(errno) : "libmicrohttpd failed to start");
        sim_server_stop(srv);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info != NULL ? info->port : cfg->port;
    srv->address = xasprintf("%s:%d", host, srv->port);
    return srv;
}

int sim_server_port(const struct sim_server *srv)
{
    return srv->port;
}

void sim_server_stop(struct sim_server *srv)
{
    if (srv == NULL)
        return;
    if (srv->daemon != NULL)
        MHD_stop_daemon(srv->daemon);
    for (int i = 0; i < srv->nusers; i++) {
        free((char *)srv->users[i].name);
        free((char *)srv->users[i].token);
        free((char *)srv->users[i].groups);
    }
    free(srv->users);
    free(srv->address);
    pthread_mutex_destroy(&srv->mu);
    free(srv);
}

void sim_server_faults_set(struct sim_server *srv, const struct sim_faults *f)
{
    pthread_mutex_lock(&srv->mu);
    srv->faults = *f;
    clock_gettime(CLOCK_MONOTONIC, &srv->faults_at);
    pthread_mutex_unlock(&srv->mu);
    if (f->forget_history)
        sim_store_forget_history(srv->store);
}

void sim_server_faults_get(struct sim_server *srv, struct sim_faults *f)
{
    pthread_mutex_lock(&srv->mu);
    *f = srv->faults;
    pthread_mutex_unlock(&srv->mu);
}

void sim_server_stats(struct sim_server *srv, struct sim_stats *st)
{
    pthread_mutex_lock(&srv->mu);
    *st = srv->stats;
    pthread_mutex_unlock(&srv->mu);
}
