/* The Promotion controller (pkg/controller/promotions): each Stage's Promotions run one at a
 * time in name (ULID) order, Pending -> Running -> Succeeded|Failed|Errored, one step per
 * step_ms of simulated time; an abort request ends them as Aborted. A finished Promotion is
 * recorded on its Stage: lastPromotion, and on success a new freightHistory entry, the
 * auto-promotion hold it carries, and the start of verification. */
#include "kargo_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/kargo_rules.h"
#include "util/json.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

static int64_t parse_time(const char *s)
{
    time_t t;
    if (s == NULL || timefmt_parse_rfc3339(s, &t, NULL) != 0)
        return 0;
    return (int64_t)t;
}

static void put_time(cJSON *obj, const char *key, int64_t t)
{
    char buf[32];
    timefmt_rfc3339((time_t)t, buf, sizeof(buf));
    kargo_json_put(obj, key, cJSON_CreateString(buf));
}

static const char *phase_of(const cJSON *p)
{
    const char *ph = json_get_string(p, "status", "phase", (char *)NULL);
    return ph ? ph : "";
}

static int queue_cmp(const void *a, const void *b)
{
    const cJSON *pa = *(const cJSON *const *)a, *pb = *(const cJSON *const *)b;
    int ra = strcmp(phase_of(pa), "Running") == 0, rb = strcmp(phase_of(pb), "Running") == 0;
    if (ra != rb)
        return rb - ra;
    return strcmp(json_get_string(pa, "metadata", "name", (char *)NULL),
                  json_get_string(pb, "metadata", "name", (char *)NULL));
}

/* "stage@step[:Errored]" entries of a Freight's sim annotation: whether promoting it to stage
 * fails at step, and how. */
static const char *configured_failure(const cJSON *freight, const char *stage, int step)
{
    const char *spec =
        json_get_string(freight, "metadata", "annotations", SIMK_FAIL_PROMOTION, (char *)NULL);
    if (spec == NULL)
        return NULL;
    char *copy = xstrdup(spec), *save = NULL;
    const char *result = NULL;
    for (char *tok = strtok_r(copy, ", ", &save); tok != NULL && result == NULL;
         tok = strtok_r(NULL, ", ", &save)) {
        char *at = strchr(tok, '@');
        if (at == NULL)
            continue;
        *at = '\0';
        char *kind = strchr(at + 1, ':');
        if (kind != NULL)
            *kind++ = '\0';
        if (strcmp(tok, stage) == 0 && atoi(at + 1) == step)
            result = kind != NULL && strcmp(kind, "Errored") == 0 ? "Errored" : "Failed";
    }
    free(copy);
    return result;
}

static void emit_terminal_event(struct kargo *k, const char *ns, const cJSON *promo)
{
    const char *phase = phase_of(promo);
    const char *stage = json_get_string(promo, "spec", "stage", (char *)NULL);
    const char *msg = json_get_string(promo, "status", "message", (char *)NULL);
    char *text;
    if (strcmp(phase, "Succeeded") == 0)
        text = xasprintf("Promotion succeeded for Stage \"%s\"", stage);
    else
        text = xasprintf("Promotion %s for Stage \"%s\": %s",
                         strcmp(phase, "Failed") == 0    ? "failed"
                         : strcmp(phase, "Errored") == 0 ? "errored"
                                                         : "aborted",
                         stage, msg ? msg : "");
    char reason[32];
    snprintf(reason, sizeof(reason), "Promotion%s", phase);
    kargo_event(k, ns, promo, reason, strcmp(phase, "Succeeded") != 0, text, (char *)NULL);
    free(text);
}

/* The Stage's current freight per origin with freight replacing its own origin's entry. */
static cJSON *next_collection(const cJSON *stage, const cJSON *freight, char *id_out)
{
    cJSON *items = cJSON_CreateObject();
    const cJSON *cur =
        json_get(cJSON_GetArrayItem(json_get(stage, "status", "freightHistory", (char *)NULL), 0),
                 "items", (char *)NULL);
    char key[300];
    kargo_origin_key(freight, key, sizeof(key));
    const cJSON *it;
    cJSON_ArrayForEach(it, cur)
    {
        if (strcmp(it->string, key) != 0)
            cJSON_AddItemToObject(items, it->string, cJSON_Duplicate(it, true));
    }
    cJSON_AddItemToObject(items, key, kargo_freight_ref(freight));
    const char *names[64];
    size_t n = 0;
    cJSON_ArrayForEach(it, items)
    {
        if (n < 64)
            names[n++] = json_get_string(it, "name", (char *)NULL);
    }
    kargo_collection_id(names, n, id_out);
    return items;
}

static void start_verification(struct kargo *k, const cJSON *stage, cJSON *entry, int64_t now)
{
    cJSON *vh = cJSON_CreateArray();
    cJSON *v = cJSON_CreateObject();
    char uuid[40];
    kargo_uuid_new(k, uuid);
    cJSON_AddStringToObject(v, "id", uuid);
    if (json_get(stage, "spec", "verification", (char *)NULL) != NULL) {
        cJSON_AddStringToObject(v, "phase", "Pending");
        put_time(v, "startTime", now);
        char ulid[KARGO_ULID_LEN + 1];
        kargo_ulid_now(k, ulid);
        char *ar = kargo_promotion_name(json_get_string(stage, "metadata", "name", (char *)NULL),
                                        ulid, json_get_string(entry, "id", (char *)NULL));
        cJSON *run = cJSON_AddObjectToObject(v, "analysisRun");
        cJSON_AddStringToObject(run, "name", ar);
        cJSON_AddStringToObject(run, "namespace",
                                json_get_string(stage, "metadata", "namespace", (char *)NULL));
        cJSON_AddStringToObject(run, "phase", "Pending");
        free(ar);
    } else {
        /* No verification configured: Kargo records an immediate success. */
        cJSON_AddStringToObject(v, "phase", "Successful");
        put_time(v, "startTime", now);
        put_time(v, "finishTime", now);
    }
    cJSON_AddItemToArray(vh, v);
    cJSON_AddItemToObject(entry, "verificationHistory", vh);
}

/* Records a terminal Promotion on its Stage (a status write). */
static cJSON *record_on_stage(struct kargo *k, struct kargo_ns *n, cJSON *stage, const cJSON *promo,
                              const cJSON *freight, int64_t now)
{
    cJSON *st = cJSON_Duplicate(json_get(stage, "status", (char *)NULL), true);
    if (st == NULL)
        st = cJSON_CreateObject();
    const char *phase = phase_of(promo);
    const char *pname = json_get_string(promo, "metadata", "name", (char *)NULL);
    cJSON *last = cJSON_CreateObject();
    cJSON_AddStringToObject(last, "name", pname);
    cJSON_AddItemToObject(last, "freight", kargo_freight_ref(freight));
    cJSON_AddItemToObject(last, "status",
                          cJSON_Duplicate(json_get(promo, "status", (char *)NULL), true));
    const char *fin = json_get_string(promo, "status", "finishedAt", (char *)NULL);
    if (fin != NULL)
        cJSON_AddStringToObject(last, "finishedAt", fin);
    kargo_json_put(st, "lastPromotion", last);
    cJSON_DeleteItemFromObjectCaseSensitive(st, "currentPromotion");

    if (strcmp(phase, "Succeeded") == 0) {
        char id[41];
        cJSON *entry = cJSON_CreateObject();
        cJSON *items = next_collection(stage, freight, id);
        cJSON_AddStringToObject(entry, "id", id);
        cJSON_AddItemToObject(entry, "items", items);
        start_verification(k, stage, entry, now);
        cJSON *fh = cJSON_GetObjectItemCaseSensitive(st, "freightHistory");
        if (!cJSON_IsArray(fh)) {
            fh = cJSON_CreateArray();
            kargo_json_put(st, "freightHistory", fh);
        }
        cJSON_InsertItemInArray(fh, 0, entry);
        while (cJSON_GetArraySize(fh) > 10)
            cJSON_DeleteItemFromArray(fh, 10);
    }
    if (strcmp(phase, "Aborted") != 0) {
        char key[300];
        kargo_origin_key(freight, key, sizeof(key));
        const char *hold = json_get_string(promo, "metadata", "annotations",
                                           "kargo.akuity.io/auto-promotion-hold", (char *)NULL);
        const char *resume = json_get_string(promo, "metadata", "annotations",
                                             "kargo.akuity.io/auto-promotion-resume", (char *)NULL);
        cJSON *holds = json_ensure_object(st, "autoPromotionHolds", (char *)NULL);
        if (hold != NULL) {
            cJSON *h = cJSON_CreateObject();
            cJSON_AddStringToObject(h, "freightName",
                                    json_get_string(freight, "metadata", "name", (char *)NULL));
            cJSON_AddItemToObject(h, "origin",
                                  cJSON_Duplicate(json_get(freight, "origin", (char *)NULL), true));
            cJSON_AddStringToObject(h, "promotionName", pname);
            const char *actor = json_get_string(promo, "metadata", "annotations",
                                                "kargo.akuity.io/create-actor", (char *)NULL);
            if (actor != NULL)
                cJSON_AddStringToObject(h, "actor", actor);
            put_time(h, "createdAt", now);
            kargo_json_put(holds, hold, h);
        } else if (resume != NULL) {
            cJSON_DeleteItemFromObjectCaseSensitive(holds, resume);
        }
        if (cJSON_GetArraySize(holds) == 0)
            cJSON_DeleteItemFromObjectCaseSensitive(st, "autoPromotionHolds");
    }
    return kargo_set_status(k, "stages", n->ns, n->stages, stage, st);
}

static void step_entry(cJSON *sem, const cJSON *steps, int i, int64_t at)
{
    char alias[128];
    kargo_step_alias(steps, i, alias, sizeof(alias));
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "alias", alias);
    put_time(e, "startedAt", at);
    cJSON_AddStringToObject(e, "status", "Running");
    cJSON_AddItemToArray(sem, e);
}

/* Moves a Running promotion's steps forward to now; returns true when it became terminal. */
static bool advance(struct kargo *k, cJSON *st, const cJSON *promo, const cJSON *freight,
                    const char *stage, int64_t now)
{
    const cJSON *steps = json_get(promo, "spec", "steps", (char *)NULL);
    int nsteps = cJSON_GetArraySize(steps);
    int64_t step_s = k->step_ms / 1000 > 0 ? k->step_ms / 1000 : 1;
    cJSON *sem = cJSON_GetObjectItemCaseSensitive(st, "stepExecutionMetadata");
    double d = 0;
    json_get_number(st, &d, "currentStep", (char *)NULL);
    int cur = (int)d;
    for (;;) {
        cJSON *e = cJSON_GetArrayItem(sem, cur);
        if (e == NULL)
            return false;
        int64_t started = parse_time(json_get_string(e, "startedAt", (char *)NULL));
        int64_t done = started + step_s;
        if (now < done) {
            kargo_due_s(k, done);
            return false;
        }
        put_time(e, "finishedAt", done);
        const char *fail = configured_failure(freight, stage, cur);
        if (fail != NULL) {
            char alias[128];
            kargo_step_alias(steps, cur, alias, sizeof(alias));
            const char *uses =
                json_get_string(cJSON_GetArrayItem(steps, cur), "uses", (char *)NULL);
            char *msg = strcmp(fail, "Errored") == 0
                            ? xasprintf("step \"%s\" met error threshold of 1: error running step "
                                        "\"%s\": connection refused",
                                        alias, uses ? uses : alias)
                            : xasprintf("step \"%s\" failed: %s did not complete successfully",
                                        alias, uses ? uses : alias);
            kargo_json_put(e, "status", cJSON_CreateString(fail));
            kargo_json_put(e, "message", cJSON_CreateString(msg));
            if (strcmp(fail, "Errored") == 0)
                kargo_json_put(e, "errorCount", cJSON_CreateNumber(1));
            kargo_json_put(st, "phase", cJSON_CreateString(fail));
            kargo_json_put(st, "message", cJSON_CreateString(msg));
            put_time(st, "finishedAt", done);
            free(msg);
            return true;
        }
        kargo_json_put(e, "status", cJSON_CreateString("Succeeded"));
        if (cur + 1 >= nsteps) {
            kargo_json_put(st, "phase", cJSON_CreateString("Succeeded"));
            put_time(st, "finishedAt", done);
            return true;
        }
        cur++;
        kargo_json_put(st, "currentStep", cJSON_CreateNumber(cur));
        step_entry(sem, steps, cur, done);
    }
}

static bool verification_busy(const cJSON *stage)
{
    const char *ph = json_get_string(
        cJSON_GetArrayItem(
            json_get(
                cJSON_GetArrayItem(json_get(stage, "status", "freightHistory", (char *)NULL), 0),
                "verificationHistory", (char *)NULL),
            0),
        "phase", (char *)NULL);
    return ph != NULL && (strcmp(ph, "Pending") == 0 || strcmp(ph, "Running") == 0);
}

static char *abort_actor(const char *value)
{
    cJSON *v = cJSON_Parse(value);
    const char *a = json_get_string(v, "actor", (char *)NULL);
    char *r = a ? xstrdup(a) : NULL;
    cJSON_Delete(v);
    return r;
}

static void stage_queue(struct kargo *k, struct kargo_ns *n, cJSON *stage, int64_t now)
{
    /* A copy: recording a result on the Stage replaces the strings inside it. */
    char *sname = xstrdup(json_get_string(stage, "metadata", "name", (char *)NULL));
    size_t cap = 0, count = 0;
    cJSON **q = NULL;
    const struct kargo_plist *l = kargo_ns_promotions(n, sname);
    for (size_t j = 0; j < l->n; j++) {
        cJSON *p = l->items[j];
        if (kargo_phase_terminal(phase_of(p)))
            continue;
        q = xreallocarray_grow(q, &cap, count + 1, sizeof(*q));
        q[count++] = p;
    }
    if (count == 0) {
        free(q);
        free(sname);
        return;
    }
    qsort(q, count, sizeof(*q), queue_cmp);
    bool head_done = false;
    for (size_t i = 0; i < count; i++) {
        cJSON *promo = q[i];
        const char *phase = phase_of(promo);
        const char *fname = json_get_string(promo, "spec", "freight", (char *)NULL);
        const cJSON *freight = kargo_ns_freight(n, fname);
        cJSON *st = cJSON_Duplicate(json_get(promo, "status", (char *)NULL), true);
        if (st == NULL)
            st = cJSON_CreateObject();
        bool created = *phase == '\0';
        if (created) {
            kargo_json_put(st, "phase", cJSON_CreateString("Pending"));
            if (freight != NULL)
                kargo_json_put(st, "freight", kargo_freight_ref(freight));
        }
        const char *abort_v = json_get_string(promo, "metadata", "annotations",
                                              "kargo.akuity.io/abort", (char *)NULL);
        bool running = strcmp(phase, "Running") == 0;
        bool terminal = false;
        if (abort_v != NULL) {
            char *actor = abort_actor(abort_v);
            char *msg = actor ? xasprintf("Promotion terminated by %s", actor)
                              : xstrdup("Promotion terminated per user request");
            kargo_json_put(st, "phase", cJSON_CreateString("Aborted"));
            kargo_json_put(st, "message", cJSON_CreateString(msg));
            put_time(st, "finishedAt", now);
            double d = 0;
            json_get_number(st, &d, "currentStep", (char *)NULL);
            cJSON *e =
                cJSON_GetArrayItem(json_get(st, "stepExecutionMetadata", (char *)NULL), (int)d);
            if (running && e != NULL) {
                kargo_json_put(e, "status", cJSON_CreateString("Aborted"));
                put_time(e, "finishedAt", now);
            }
            free(actor);
            free(msg);
            terminal = true;
        } else if (!head_done && freight != NULL) {
            head_done = true;
            if (!running && !verification_busy(stage)) {
                /* Start: the Stage's other origins ride along in the freight collection. */
                char id[41];
                cJSON *coll = cJSON_CreateObject();
                cJSON *items = next_collection(stage, freight, id);
                cJSON_AddStringToObject(coll, "id", id);
                cJSON *it;
                cJSON_ArrayForEach(it, items)
                {
                    cJSON_DeleteItemFromObjectCaseSensitive(it, "commits");
                    cJSON_DeleteItemFromObjectCaseSensitive(it, "images");
                    cJSON_DeleteItemFromObjectCaseSensitive(it, "charts");
                    cJSON_DeleteItemFromObjectCaseSensitive(it, "artifacts");
                }
                cJSON_AddItemToObject(coll, "items", items);
                kargo_json_put(st, "freightCollection", coll);
                kargo_json_put(st, "phase", cJSON_CreateString("Running"));
                put_time(st, "startedAt", now);
                kargo_json_put(st, "currentStep", cJSON_CreateNumber(0));
                cJSON *sem = cJSON_CreateArray();
                step_entry(sem, json_get(promo, "spec", "steps", (char *)NULL), 0, now);
                kargo_json_put(st, "stepExecutionMetadata", sem);
                running = true;
            }
            if (running)
                terminal = advance(k, st, promo, freight, sname, now);
        } else if (freight == NULL && !created) {
            kargo_json_put(st, "phase", cJSON_CreateString("Errored"));
            kargo_json_put(st, "message", cJSON_CreateString("Freight not found"));
            put_time(st, "finishedAt", now);
            terminal = true;
        }
        const char *refresh = json_get_string(promo, "metadata", "annotations",
                                              "kargo.akuity.io/refresh", (char *)NULL);
        if (refresh != NULL)
            kargo_json_put(st, "lastHandledRefresh", cJSON_CreateString(refresh));
        /* Stored in place: promo now holds what the store answered (unchanged if refused). */
        cJSON *stored = kargo_set_status(k, "promotions", n->ns, n->promotions, promo, st);
        if (created && *phase_of(stored) != '\0' &&
            json_get(stored, "metadata", "annotations", "kargo.akuity.io/create-actor",
                     (char *)NULL) != NULL) {
            char *msg = xasprintf("Promotion created for Stage \"%s\"", sname);
            kargo_event(k, n->ns, stored, "PromotionCreated", false, msg, (char *)NULL);
            free(msg);
        }
        if (terminal && kargo_phase_terminal(phase_of(stored))) {
            emit_terminal_event(k, n->ns, stored);
            if (running && freight != NULL)
                stage = record_on_stage(k, n, stage, stored, freight, now);
        }
    }
    free(q);
    free(sname);
}

void kargo_promotions_pass(struct kargo *k, struct kargo_ns *n)
{
    int64_t now = kargo_now(k);
    /* Stages may be replaced in the list while iterating, so walk by index. */
    cJSON *stage;
    cJSON_ArrayForEach(stage, n->stages)
    {
        stage_queue(k, n, stage, now);
    }
    /* Refresh requests on finished Promotions are still answered; Promotions of Stages that do
     * not exist error out, as Kargo's reconciler reports. */
    cJSON *p;
    cJSON_ArrayForEach(p, n->promotions)
    {
        const char *refresh =
            json_get_string(p, "metadata", "annotations", "kargo.akuity.io/refresh", (char *)NULL);
        const char *handled = json_get_string(p, "status", "lastHandledRefresh", (char *)NULL);
        if (refresh != NULL && kargo_phase_terminal(phase_of(p)) &&
            (handled == NULL || strcmp(refresh, handled) != 0)) {
            cJSON *st = cJSON_Duplicate(json_get(p, "status", (char *)NULL), true);
            kargo_json_put(st, "lastHandledRefresh", cJSON_CreateString(refresh));
            kargo_set_status(k, "promotions", n->ns, n->promotions, p, st);
            continue;
        }
        const char *s = json_get_string(p, "spec", "stage", (char *)NULL);
        if (kargo_phase_terminal(phase_of(p)) || s == NULL || kargo_find(n->stages, s) != NULL)
            continue;
        cJSON *st = cJSON_Duplicate(json_get(p, "status", (char *)NULL), true);
        if (st == NULL)
            st = cJSON_CreateObject();
        kargo_json_put(st, "phase", cJSON_CreateString("Errored"));
        kargo_json_put(st, "message", cJSON_CreateString("could not find Stage"));
        p = kargo_set_status(k, "promotions", n->ns, n->promotions, p, st);
    }
}
