/* HTTP(S) requests from the tests to the simulated cluster with libcurl: whole answers and
 * streamed watches, with the run's CA and the users' bearer tokens. */
#ifndef KT_TEST_SIMHTTP_H
#define KT_TEST_SIMHTTP_H

#include <pthread.h>
#include <stdbool.h>

#include <cjson/cJSON.h>

#include "sim/sim.h"
#include "util/strbuf.h"

struct simhttp_resp {
    long code;      /* HTTP status, 0 when the transfer failed */
    int curl_error; /* CURLcode */
    char *body;     /* NUL-terminated */
    cJSON *json;    /* body parsed, or NULL */
    char content_type[128];
    char retry_after[32];
    double seconds; /* total time */
};

/* method, path (with query), user ("admin", ...; NULL: no token), Content-Type (NULL: none),
 * body (NULL: none). Fills r; returns r->code. */
long simhttp_do(struct sim *sim, const char *user, const char *method, const char *path,
                const char *ctype, const char *body, struct simhttp_resp *r);
void simhttp_free(struct simhttp_resp *r);

/* A watch read in its own thread until the server ends the stream (use timeoutSeconds). */
struct simhttp_watch {
    pthread_t thread;
    pthread_mutex_t mu;
    struct strbuf data;
    bool done;
    long code;
    char *url;
    char *token;
    char *ca;
    char *accept;
};
void simhttp_watch_start(struct simhttp_watch *w, struct sim *sim, const char *user,
                         const char *path, const char *accept);
/* Waits up to ms for the stream to contain needle (true) or the stream to end (false). */
bool simhttp_watch_wait(struct simhttp_watch *w, const char *needle, int ms);
/* Waits for the stream to end (up to ms), then returns its events as a JSON array (caller owns). */
cJSON *simhttp_watch_finish(struct simhttp_watch *w, int ms);

#endif
