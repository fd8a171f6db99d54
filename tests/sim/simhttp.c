/* libcurl plumbing for the simulated cluster's tests. */
#include "simhttp.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "util/xalloc.h"

static size_t on_data(char *p, size_t size, size_t n, void *ctx)
{
    strbuf_append_len(ctx, p, size * n);
    return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
    struct simhttp_resp *r = ctx;
    size_t len = size * n;
    char line[256];
    snprintf(line, sizeof line, "%.*s", (int)(len < 255 ? len : 255), p);
    line[strcspn(line, "\r\n")] = '\0';
    if (strncasecmp(line, "Content-Type: ", 14) == 0)
        snprintf(r->content_type, sizeof r->content_type, "%.127s", line + 14);
    if (strncasecmp(line, "Retry-After: ", 13) == 0)
        snprintf(r->retry_after, sizeof r->retry_after, "%.31s", line + 13);
    return len;
}

static void set_common(CURL *c, struct sim *sim, const char *url, struct curl_slist **h,
                       const char *user)
{
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    const char *ca = sim_ca_pem(sim);
    if (ca != NULL) {
        struct curl_blob blob = {(void *)ca, strlen(ca), CURL_BLOB_COPY};
        curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob);
    }
    const char *tok = user != NULL ? sim_token(sim, user) : NULL;
    if (tok != NULL) {
        char *hv = xasprintf("Authorization: Bearer %s", tok);
        *h = curl_slist_append(*h, hv);
        free(hv);
    }
}

long simhttp_do(struct sim *sim, const char *user, const char *method, const char *path,
                const char *ctype, const char *body, struct simhttp_resp *r)
{
    memset(r, 0, sizeof *r);
    CURL *c = curl_easy_init();
    char *url = xasprintf("%s%s", sim_url(sim), path);
    struct curl_slist *h = NULL;
    set_common(c, sim, url, &h, user);
    if (ctype != NULL) {
        char *hv = xasprintf("Content-Type: %s", ctype);
        h = curl_slist_append(h, hv);
        free(hv);
    }
    h = curl_slist_append(h, "Accept: application/json");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (body != NULL) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    struct strbuf sb;
    strbuf_init(&sb);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sb);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    r->curl_error = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->code);
    curl_easy_getinfo(c, CURLINFO_TOTAL_TIME, &r->seconds);
    if (r->curl_error != CURLE_OK && r->curl_error != CURLE_PARTIAL_FILE)
        r->code = 0;
    r->body = strbuf_detach(&sb);
    r->json = cJSON_Parse(r->body);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    free(url);
    return r->code;
}

void simhttp_free(struct simhttp_resp *r)
{
    free(r->body);
    cJSON_Delete(r->json);
    memset(r, 0, sizeof *r);
}

static size_t on_watch_data(char *p, size_t size, size_t n, void *ctx)
{
    struct simhttp_watch *w = ctx;
    pthread_mutex_lock(&w->mu);
    strbuf_append_len(&w->data, p, size * n);
    pthread_mutex_unlock(&w->mu);
    return size * n;
}

static void *watch_main(void *arg)
{
    struct simhttp_watch *w = arg;
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    curl_easy_setopt(c, CURLOPT_URL, w->url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (w->ca != NULL) {
        struct curl_blob blob = {w->ca, strlen(w->ca), CURL_BLOB_COPY};
        curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob);
    }
    if (w->token != NULL) {
        char *hv = xasprintf("Authorization: Bearer %s", w->token);
        h = curl_slist_append(h, hv);
        free(hv);
    }
    char *acc = xasprintf("Accept: %s", w->accept);
    h = curl_slist_append(h, acc);
    free(acc);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_watch_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, w);
    curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    pthread_mutex_lock(&w->mu);
    w->code = code;
    w->done = true;
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

void simhttp_watch_start(struct simhttp_watch *w, struct sim *sim, const char *user,
                         const char *path, const char *accept)
{
    memset(w, 0, sizeof *w);
    pthread_mutex_init(&w->mu, NULL);
    strbuf_init(&w->data);
    w->url = xasprintf("%s%s", sim_url(sim), path);
    const char *tok = user != NULL ? sim_token(sim, user) : NULL;
    w->token = tok != NULL ? xstrdup(tok) : NULL;
    w->ca = sim_ca_pem(sim) != NULL ? xstrdup(sim_ca_pem(sim)) : NULL;
    w->accept = xstrdup(accept != NULL ? accept : "application/json");
    pthread_create(&w->thread, NULL, watch_main, w);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

bool simhttp_watch_wait(struct simhttp_watch *w, const char *needle, int ms)
{
    for (int waited = 0; waited <= ms; waited += 10) {
        pthread_mutex_lock(&w->mu);
        bool found = strstr(w->data.buf, needle) != NULL;
        bool done = w->done;
        pthread_mutex_unlock(&w->mu);
        if (found)
            return true;
        if (done)
            return false;
        sleep_ms(10);
    }
    return false;
}

cJSON *simhttp_watch_finish(struct simhttp_watch *w, int ms)
{
    for (int waited = 0; waited <= ms; waited += 10) {
        pthread_mutex_lock(&w->mu);
        bool done = w->done;
        pthread_mutex_unlock(&w->mu);
        if (done)
            break;
        sleep_ms(10);
    }
    /* A stream that does not end in time fails the test through its missing events; joining
     * would then hang, so the thread is only joined when done. */
    pthread_mutex_lock(&w->mu);
    bool done = w->done;
    pthread_mutex_unlock(&w->mu);
    cJSON *events = cJSON_CreateArray();
    if (done) {
        pthread_join(w->thread, NULL);
        char *save = NULL;
        for (char *line = strtok_r(w->data.buf, "\n", &save); line != NULL;
             line = strtok_r(NULL, "\n", &save)) {
            cJSON *e = cJSON_Parse(line);
            cJSON_AddItemToArray(events, e != NULL ? e : cJSON_CreateString(line));
        }
        strbuf_free(&w->data);
        free(w->url);
        free(w->token);
        free(w->ca);
        free(w->accept);
        pthread_mutex_destroy(&w->mu);
    }
    return events;
}
