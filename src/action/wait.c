/* Waiting on the API server for an action's effect, by reading the object until it shows it.
 * Reads rather than a watch: one small GET a poll, nothing to resume, the same on every server. */
#include "action/wait.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/kargo.h"
#include "util/json.h"
#include "util/xalloc.h"

#define GV      "kargo.akuity.io/v1alpha1"
#define POLL_MS 500

static long long wait_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleeps until the next poll, never past the deadline. False when the deadline has passed. */
static bool wait_pause(long long deadline)
{
    long long left = deadline - wait_now_ms();
    if (left <= 0)
        return false;
    long long ms = left < POLL_MS ? left : POLL_MS;
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
    return true;
}

static void wait_timeout(struct kube_error *err, const char *what, const char *name, long ms,
                         const char *state)
{
    if (err == NULL)
        return;
    kube_error_clear(err);
    err->message =
        xasprintf("timed out after %lds waiting for %s \"%s\" (%s)", ms / 1000, what, name, state);
}

int action_wait_promotion(struct kube_client *c, const char *ns, const char *name, long timeout_ms,
                          char **phase, char **message, struct kube_error *err)
{
    struct api_ref ref = {GV, "promotions", ns, name};
    long long deadline = wait_now_ms() + timeout_ms;
    char *last = NULL;
    *phase = NULL;
    *message = NULL;
    for (;;) {
        cJSON *p = api_get(c, &ref, err);
        if (p == NULL) {
            free(last);
            return -1;
        }
        const char *ph = json_get_string(p, "status", "phase", (char *)NULL);
        if (ph != NULL && kargo_promotion_terminal(ph)) {
            const char *msg = json_get_string(p, "status", "message", (char *)NULL);
            *phase = xstrdup(ph);
            *message = msg ? xstrdup(msg) : NULL;
            cJSON_Delete(p);
            free(last);
            return 0;
        }
        free(last);
        last = xstrdup(ph && ph[0] ? ph : "not started");
        cJSON_Delete(p);
        if (!wait_pause(deadline))
            break;
    }
    char *state = xasprintf("phase %s", last);
    wait_timeout(err, "Promotion", name, timeout_ms, state);
    free(state);
    free(last);
    return -1;
}

int action_wait_refresh(struct kube_client *c, const char *ns, enum action_target kind,
                        const char *name, const char *token, long timeout_ms,
                        struct kube_error *err)
{
    bool stage = kind == ACTION_ON_STAGE;
    struct api_ref ref = {GV, stage ? "stages" : "warehouses", ns, name};
    long long deadline = wait_now_ms() + timeout_ms;
    do {
        cJSON *o = api_get(c, &ref, err);
        if (o == NULL)
            return -1;
        const char *handled = json_get_string(o, "status", "lastHandledRefresh", (char *)NULL);
        bool done = handled != NULL && strcmp(handled, token) == 0;
        cJSON_Delete(o);
        if (done)
            return 0;
    } while (wait_pause(deadline));
    wait_timeout(err, stage ? "Stage" : "Warehouse", name, timeout_ms, "refresh not handled yet");
    return -1;
}
