/* Synchronous Kubernetes API calls over the client's I/O thread, with kubectl's paging and a
 * create that is never sent twice blindly. */
#include "kube/api.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "kube/status.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define LIST_PAGE       500
#define CREATE_ATTEMPTS 3
#define CREATE_ID_LABEL "kargotop/create-id"

void kube_error_clear(struct kube_error *e)
{
    if (e == NULL)
        return;
    free(e->reason);
    free(e->message);
    memset(e, 0, sizeof *e);
}

static void error_set(struct kube_error *err, long code, const char *body, size_t len,
                      const char *message)
{
    if (err == NULL)
        return;
    kube_error_clear(err);
    err->code = code;
    struct kube_status st;
    if (kube_status_decode(body, len, &st) == 0 && st.reason != NULL) {
        err->reason = st.reason;
        st.reason = NULL;
    }
    kube_status_clear(&st);
    err->message = xstrdup(message ? message : "request failed");
}

static void error_setf(struct kube_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void error_setf(struct kube_error *err, const char *fmt, ...)
{
    if (err == NULL)
        return;
    kube_error_clear(err);
    va_list ap;
    va_start(ap, fmt);
    err->message = xvasprintf(fmt, ap);
    va_end(ap);
}

static void append_escaped(struct strbuf *sb, const char *s)
{
    char *e = curl_easy_escape(NULL, s, 0);
    strbuf_append(sb, e ? e : "");
    curl_free(e);
}

char *api_path(const struct api_ref *ref, const char *subresource)
{
    struct strbuf sb;
    strbuf_init(&sb);
    if (strchr(ref->group_version, '/') == NULL)
        strbuf_appendf(&sb, "/api/%s", ref->group_version);
    else
        strbuf_appendf(&sb, "/apis/%s", ref->group_version);
    if (ref->namespace != NULL && ref->namespace[0] != '\0') {
        strbuf_append(&sb, "/namespaces/");
        append_escaped(&sb, ref->namespace);
    }
    strbuf_appendf(&sb, "/%s", ref->plural);
    if (ref->name != NULL) {
        strbuf_append_char(&sb, '/');
        append_escaped(&sb, ref->name);
    }
    if (subresource != NULL)
        strbuf_appendf(&sb, "/%s", subresource);
    return strbuf_detach(&sb);
}

/* Sends one request; on 2xx returns the parsed body, else NULL with err filled. */
static cJSON *call(struct kube_client *c, enum http_method m, const char *path, const char *body,
                   const char *ctype, int attempts, long *code_out, struct kube_error *err)
{
    struct http_request req = {
        .method = m,
        .path = path,
        .body = body,
        .body_len = body ? strlen(body) : 0,
        .content_type = ctype,
    };
    struct http_response resp;
    cJSON *out = NULL;
    if (http_request_sync(c, &req, attempts, &resp, NULL) != 0) {
        error_set(err, resp.code, resp.body, resp.len, resp.error);
        if (code_out)
            /* A 2xx whose body broke off (cut, stalled) was processed: like -2 below. */
            *code_out = resp.code == 0 && resp.maybe_sent     ? -1
                        : resp.code >= 200 && resp.code < 300 ? -2
                                                              : resp.code;
        http_response_clear(&resp);
        return NULL;
    }
    char *perr = NULL;
    out = json_parse(resp.body, resp.len, &perr);
    if (out == NULL) {
        error_setf(err, "the answer to %s %s is not JSON: %s", m == HTTP_GET ? "GET" : "request",
                   path, perr);
        free(perr);
        /* The server did answer 2xx, so the request took effect; the body is what broke. */
        if (code_out)
            *code_out = -2;
    } else if (code_out) {
        *code_out = resp.code;
    }
    http_response_clear(&resp);
    return out;
}

cJSON *api_get(struct kube_client *c, const struct api_ref *ref, struct kube_error *err)
{
    char *path = api_path(ref, NULL);
    cJSON *o = call(c, HTTP_GET, path, NULL, NULL, kube_client_attempts(c), NULL, err);
    free(path);
    return o;
}

int api_list_pages(struct kube_client *c, const struct api_ref *ref, const char *label_selector,
                   void (*on_page)(void *ctx, cJSON *items, bool first), void *ctx, char **rv_out,
                   int *pages, struct kube_error *err)
{
    char *base = api_path(ref, NULL);
    char *cont = NULL;
    char *rv = NULL;
    int n = 0, rc = -1;
    bool restarted = false, first = true;
    for (;;) {
        struct strbuf path;
        strbuf_init(&path);
        strbuf_appendf(&path, "%s?limit=%d", base, LIST_PAGE);
        if (label_selector != NULL) {
            strbuf_append(&path, "&labelSelector=");
            append_escaped(&path, label_selector);
        }
        if (cont != NULL) {
            strbuf_append(&path, "&continue=");
            append_escaped(&path, cont);
        }
        n++;
        cJSON *page = call(c, HTTP_GET, path.buf, NULL, NULL, kube_client_attempts(c), NULL, err);
        strbuf_free(&path);
        if (page == NULL && err != NULL && err->code == 410 && cont != NULL && !restarted) {
            /* The continue token expired between pages (history compacted): the pages so far
             * are no longer one consistent list, so start again, once, as client-go's pager. */
            kube_error_clear(err);
            restarted = true;
            first = true;
            free(cont);
            cont = NULL;
            continue;
        }
        if (page == NULL)
            goto out;
        cJSON *pitems = cJSON_GetObjectItemCaseSensitive(page, "items");
        if (pitems != NULL && !cJSON_IsArray(pitems) && !cJSON_IsNull(pitems)) {
            error_setf(err, "the list of %s has no items array", ref->plural);
            cJSON_Delete(page);
            goto out;
        }
        if (cJSON_IsArray(pitems) || first)
            on_page(ctx, cJSON_IsArray(pitems) ? pitems : NULL, first);
        first = false;
        const char *prv = json_get_string(page, "metadata", "resourceVersion", (char *)NULL);
        const char *pc = json_get_string(page, "metadata", "continue", (char *)NULL);
        free(rv);
        rv = prv ? xstrdup(prv) : NULL;
        free(cont);
        cont = pc && pc[0] ? xstrdup(pc) : NULL;
        cJSON_Delete(page);
        if (cont == NULL)
            break;
    }
    rc = 0;
    if (rv_out != NULL) {
        *rv_out = rv;
        rv = NULL;
    }
out:
    if (pages)
        *pages = n;
    free(cont);
    free(rv);
    free(base);
    return rc;
}

/* api_list's page consumer: every item moved into one array. */
static void api_list_collect(void *ctx, cJSON *items, bool first)
{
    cJSON **all = ctx;
    if (first) {
        cJSON_Delete(*all);
        *all = cJSON_CreateArray();
    }
    while (items != NULL && cJSON_GetArraySize(items) > 0)
        cJSON_AddItemToArray(*all, cJSON_DetachItemFromArray(items, 0));
}

cJSON *api_list(struct kube_client *c, const struct api_ref *ref, const char *label_selector,
                int *pages, struct kube_error *err)
{
    cJSON *items = NULL;
    char *rv = NULL;
    if (api_list_pages(c, ref, label_selector, api_list_collect, &items, &rv, pages, err) != 0) {
        cJSON_Delete(items);
        return NULL;
    }
    cJSON *result = cJSON_CreateObject();
    cJSON_AddStringToObject(result, "kind", "List");
    cJSON *md = cJSON_AddObjectToObject(result, "metadata");
    cJSON_AddStringToObject(md, "resourceVersion", rv ? rv : "");
    cJSON_AddItemToObject(result, "items", items ? items : cJSON_CreateArray());
    free(rv);
    return result;
}

static void random_hex(char *out, size_t nbytes)
{
    unsigned char buf[32];
    if (nbytes > sizeof buf)
        nbytes = sizeof buf;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    ssize_t got = fd >= 0 ? read(fd, buf, nbytes) : -1;
    if (fd >= 0)
        close(fd);
    if (got != (ssize_t)nbytes) {
        /* No urandom (chroot): uniqueness is all that matters here, not secrecy. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        unsigned long long v =
            (unsigned long long)ts.tv_nsec ^ ((unsigned long long)getpid() << 32);
        for (size_t i = 0; i < nbytes; i++)
            buf[i] = (unsigned char)(v >> ((i % 8) * 8)) ^ (unsigned char)(i * 131);
    }
    for (size_t i = 0; i < nbytes; i++)
        sprintf(out + 2 * i, "%02x", buf[i]);
}

/* After a create that may or may not have happened: the object if it exists, else NULL (with
 * *lookup_failed set when the lookup itself failed). */
static cJSON *find_created(struct kube_client *c, const struct api_ref *ref, const char *name,
                           const char *create_id, bool *lookup_failed)
{
    struct kube_error e = {0};
    *lookup_failed = false;
    if (name != NULL) {
        struct api_ref r = *ref;
        r.name = name;
        cJSON *o = api_get(c, &r, &e);
        bool missing = o == NULL && e.code == 404;
        if (o == NULL && !missing)
            *lookup_failed = true;
        kube_error_clear(&e);
        /* A webhook may have renamed it (Kargo v1.11+ names Promotions): the label still finds
         * it. */
        if (!missing)
            return o;
    }
    char *sel = xasprintf("%s=%s", CREATE_ID_LABEL, create_id);
    cJSON *list = api_list(c, ref, sel, NULL, &e);
    free(sel);
    kube_error_clear(&e);
    if (list == NULL) {
        *lookup_failed = true;
        return NULL;
    }
    cJSON *items = cJSON_GetObjectItemCaseSensitive(list, "items");
    cJSON *o = cJSON_GetArraySize(items) > 0 ? cJSON_DetachItemFromArray(items, 0) : NULL;
    cJSON_Delete(list);
    return o;
}

cJSON *api_create(struct kube_client *c, const struct api_ref *ref, const cJSON *obj,
                  struct kube_error *err)
{
    cJSON *o = cJSON_Duplicate(obj, true);
    const char *name = json_get_string(o, "metadata", "name", (char *)NULL);
    char create_id[33] = "";
    if (name != NULL && name[0] == '\0')
        name = NULL;
    /* Always labelled, also with a name: a mutating webhook may rename the object. */
    random_hex(create_id, 16);
    cJSON *labels = json_ensure_object(o, "metadata", "labels", (char *)NULL);
    json_set_string(labels, CREATE_ID_LABEL, create_id);
    char *body = cJSON_PrintUnformatted(o);
    char *path = api_path(ref, NULL);
    cJSON *created = NULL;
    for (int attempt = 0; attempt < CREATE_ATTEMPTS; attempt++) {
        long code = 0;
        /* One attempt per POST: http_request_sync would only repeat it on 429 or on a
         * connection that never opened, both of which it handles itself. */
        created = call(c, HTTP_POST, path, body, "application/json", 3, &code, err);
        if (created != NULL)
            break;
        /* -1: transport failure after sending; -2: 2xx with a broken body; 504: the server's
         * own timeout, after which the object may well exist. */
        if (code != -1 && code != -2 && code != 504)
            break;
        bool lookup_failed = false;
        created = find_created(c, ref, name, create_id, &lookup_failed);
        if (created != NULL) {
            kube_error_clear(err);
            break;
        }
        if (lookup_failed || code == -2)
            break; /* cannot tell whether it exists: never risk a second object */
    }
    free(path);
    free(body);
    cJSON_Delete(o);
    return created;
}

cJSON *api_merge_patch(struct kube_client *c, const struct api_ref *ref, const char *subresource,
                       const char *patch, struct kube_error *err)
{
    char *path = api_path(ref, subresource);
    cJSON *o = call(c, HTTP_PATCH, path, patch, "application/merge-patch+json",
                    kube_client_attempts(c), NULL, err);
    free(path);
    return o;
}

int api_delete(struct kube_client *c, const struct api_ref *ref, struct kube_error *err)
{
    char *path = api_path(ref, NULL);
    cJSON *o = call(c, HTTP_DELETE, path, NULL, NULL, kube_client_attempts(c), NULL, err);
    free(path);
    if (o == NULL)
        return -1;
    cJSON_Delete(o);
    return 0;
}

int api_access_review(struct kube_client *c, const char *verb, const char *group,
                      const char *resource, const char *subresource, const char *namespace,
                      const char *name, bool *allowed, struct kube_error *err)
{
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "apiVersion", "authorization.k8s.io/v1");
    cJSON_AddStringToObject(req, "kind", "SelfSubjectAccessReview");
    cJSON *ra = json_ensure_object(req, "spec", "resourceAttributes", (char *)NULL);
    cJSON_AddStringToObject(ra, "verb", verb);
    cJSON_AddStringToObject(ra, "group", group ? group : "");
    cJSON_AddStringToObject(ra, "resource", resource);
    if (subresource)
        cJSON_AddStringToObject(ra, "subresource", subresource);
    if (namespace)
        cJSON_AddStringToObject(ra, "namespace", namespace);
    if (name)
        cJSON_AddStringToObject(ra, "name", name);
    char *body = cJSON_PrintUnformatted(req);
    cJSON_Delete(req);
    struct http_request hr = {
        .method = HTTP_POST,
        .path = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        .body = body,
        .body_len = strlen(body),
        .retry_post = true,
    };
    struct http_response resp;
    int rc = -1;
    if (http_request_sync(c, &hr, kube_client_attempts(c), &resp, NULL) != 0) {
        error_set(err, resp.code, resp.body, resp.len, resp.error);
    } else {
        cJSON *o = json_parse(resp.body, resp.len, NULL);
        bool a = false;
        if (o != NULL) {
            /* "allowed" is omitted when false. */
            *allowed = json_get_bool(o, &a, "status", "allowed", (char *)NULL) && a;
            rc = 0;
        } else {
            error_setf(err, "the SelfSubjectAccessReview answer is not JSON");
        }
        cJSON_Delete(o);
    }
    http_response_clear(&resp);
    if (rc == 0)
        kube_error_clear(err);
    free(body);
    return rc;
}
