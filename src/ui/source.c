/* Describing watch state for people. */
#include "ui/source.h"

#include <stdio.h>

void source_conn_describe(const struct source_watch *w, char *buf, size_t len)
{
    switch (w->conn) {
    case SOURCE_CONNECTING:
        snprintf(buf, len, "connecting");
        return;
    case SOURCE_LIVE:
        snprintf(buf, len, "live");
        return;
    case SOURCE_RETRYING:
        snprintf(buf, len, "reconnecting in %ds", w->retry_in_s);
        return;
    case SOURCE_FORBIDDEN:
        snprintf(buf, len, "forbidden");
        return;
    case SOURCE_POLLING:
        snprintf(buf, len, "polling");
        return;
    case SOURCE_OFF:
        break;
    }
    snprintf(buf, len, "not watched");
}

/* Worse states sort later. */
static int source_badness(enum source_conn c)
{
    switch (c) {
    case SOURCE_LIVE:
    case SOURCE_OFF:
        return 0;
    case SOURCE_POLLING:
        return 1;
    case SOURCE_CONNECTING:
        return 2;
    case SOURCE_RETRYING:
        return 3;
    case SOURCE_FORBIDDEN:
        return 4;
    }
    return 0;
}

const struct source_watch *source_worst(const struct source_status *s, const enum kargo_kind *kinds,
                                        size_t n)
{
    const struct source_watch *worst = NULL;
    for (size_t i = 0; i < n; i++) {
        const struct source_watch *w = &s->watch[kinds[i]];
        if (worst == NULL || source_badness(w->conn) > source_badness(worst->conn))
            worst = w;
    }
    return worst;
}
