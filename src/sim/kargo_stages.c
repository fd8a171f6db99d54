/* The Stage controller (pkg/controller/stages/regular_stages.go): verification of the current
 * Freight (Pending -> Running -> Successful|Failed, reverify and abort requests), and the derived
 * status: conditions with the reasons of KARGO-API.md §3.3, freightSummary, health,
 * currentPromotion, autoPromotionEnabled, effective holds and the refresh echo. */
#include "kargo_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/kargo_rules.h"
#include "util/json.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

#define ANN_ABORT    "kargo.akuity.io/abort"
#define ANN_REVERIFY "kargo.akuity.io/reverify"

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

static bool phase_is(const char *ph, const char *want)
{
    return ph != NULL && strcmp(ph, want) == 0;
}

/* The id in a reverify/abort annotation: plain, or JSON {"id": ...}; the caller frees. */
static char *annotation_id(const char *value, char **actor)
{
    cJSON *v = cJSON_Parse(value);
    char *id;
    if (cJSON_IsObject(v)) {
        const char *s = json_get_string(v, "id", (char *)NULL);
        id = xstrdup(s ? s : "");
        const char *a = json_get_string(v, "actor", (char *)NULL);
        *actor = a ? xstrdup(a) : NULL;
    } else {
        id = xstrdup(value);
        *actor = NULL;
    }
    cJSON_Delete(v);
    return id;
}

static bool freight_fails_verification(const struct kargo_ns *n, const char *name,
                                       const char *stage)
{
    const char *spec = json_get_string(kargo_ns_freight(n, name), "metadata", "annotations",
                                       SIMK_FAIL_VERIFY, (char *)NULL);
    if (spec == NULL)
        return false;
    char *copy = xstrdup(spec), *save = NULL;
    bool hit = false;
    for (char *t = strtok_r(copy, ", ", &save); t != NULL && !hit; t = strtok_r(NULL, ", ", &save))
        hit = strcmp(t, stage) == 0;
    free(copy);
    return hit;
}

/* Advances the current verification; returns the annotations to clear (bit 1 abort, 2 reverify). */
static int verify_step(struct kargo *k, struct kargo_ns *n, const cJSON *stage, cJSON *st,
                       int64_t now)
{
    const char *sname = json_get_string(stage, "metadata", "name", (char *)NULL);
    cJSON *entry = cJSON_GetArrayItem(json_get(st, "freightHistory", (char *)NULL), 0);
    cJSON *vh = cJSON_GetObjectItemCaseSensitive(entry, "verificationHistory");
    cJSON *v = cJSON_GetArrayItem(vh, 0);
    int clear = 0;
    const char *abort_v =
        json_get_string(stage, "metadata", "annotations", ANN_ABORT, (char *)NULL);
    const char *reverify_v =
        json_get_string(stage, "metadata", "annotations", ANN_REVERIFY, (char *)NULL);
    const char *phase = json_get_string(v, "phase", (char *)NULL);
    const char *vid = json_get_string(v, "id", (char *)NULL);
    bool busy = phase_is(phase, "Pending") || phase_is(phase, "Running");
    if (abort_v != NULL) {
        char *actor = NULL;
        char *id = annotation_id(abort_v, &actor);
        if (busy && vid != NULL && strcmp(id, vid) == 0) {
            kargo_json_put(v, "phase", cJSON_CreateString("Aborted"));
            char *msg = actor ? xasprintf("Verification aborted by %s", actor)
                              : xstrdup("Verification aborted by user");
            kargo_json_put(v, "message", cJSON_CreateString(msg));
            free(msg);
            put_time(v, "finishTime", now);
            cJSON *run = cJSON_GetObjectItemCaseSensitive(v, "analysisRun");
            if (run != NULL)
                kargo_json_put(run, "phase", cJSON_CreateString("Aborted"));
            kargo_event(k, n->ns, stage, "FreightVerificationAborted", true,
                        "Freight verification aborted", "verification-pending", "false",
                        (char *)NULL);
            busy = false;
        }
        free(id);
        free(actor);
        clear |= 1;
    }
    if (reverify_v != NULL) {
        char *actor = NULL;
        char *id = annotation_id(reverify_v, &actor);
        if (!busy && v != NULL && vid != NULL && strcmp(id, vid) == 0) {
            cJSON *nv = cJSON_CreateObject();
            char uuid[40];
            kargo_uuid_new(k, uuid);
            cJSON_AddStringToObject(nv, "id", uuid);
            if (actor != NULL)
                cJSON_AddStringToObject(nv, "actor", actor);
            cJSON_AddStringToObject(nv, "phase", "Pending");
            put_time(nv, "startTime", now);
            if (json_get(stage, "spec", "verification", (char *)NULL) != NULL) {
                char ulid[KARGO_ULID_LEN + 1];
                kargo_ulid_now(k, ulid);
                char *ar =
                    kargo_promotion_name(sname, ulid, json_get_string(entry, "id", (char *)NULL));
                cJSON *run = cJSON_AddObjectToObject(nv, "analysisRun");
                cJSON_AddStringToObject(run, "name", ar);
                cJSON_AddStringToObject(run, "namespace", n->ns);
                cJSON_AddStringToObject(run, "phase", "Pending");
                free(ar);
            }
            cJSON_InsertItemInArray(vh, 0, nv);
            while (cJSON_GetArraySize(vh) > 10)
                cJSON_DeleteItemFromArray(vh, 10);
            v = nv;
            phase = "Pending";
            busy = true;
        }
        free(id);
        free(actor);
        clear |= 2;
    }
    if (!busy)
        return clear;
    int64_t start = parse_time(json_get_string(v, "startTime", (char *)NULL));
    int64_t verify_s = k->verify_ms / 1000 > 0 ? k->verify_ms / 1000 : 1;
    if (json_get(stage, "spec", "verification", (char *)NULL) == NULL) {
        /* A reverify of a Stage without verification succeeds at once. */
        kargo_json_put(v, "phase", cJSON_CreateString("Successful"));
        put_time(v, "finishTime", now);
        return clear;
    }
    cJSON *run = cJSON_GetObjectItemCaseSensitive(v, "analysisRun");
    if (phase_is(phase, "Pending")) {
        if (now >= start + 1) {
            kargo_json_put(v, "phase", cJSON_CreateString("Running"));
            if (run != NULL)
                kargo_json_put(run, "phase", cJSON_CreateString("Running"));
        } else {
            kargo_due_s(k, start + 1);
        }
    }
    if (now < start + verify_s) {
        kargo_due_s(k, start + verify_s);
        return clear;
    }
    /* Every origin's Freight must pass; a Freight marked to fail fails the collection. */
    bool failed = false;
    const cJSON *it;
    cJSON_ArrayForEach(it, json_get(entry, "items", (char *)NULL))
    {
        failed = failed ||
                 freight_fails_verification(n, json_get_string(it, "name", (char *)NULL), sname);
    }
    const char *tmpl = json_get_string(
        cJSON_GetArrayItem(
            json_get(stage, "spec", "verification", "analysisTemplates", (char *)NULL), 0),
        "name", (char *)NULL);
    const char *result = failed ? "Failed" : "Successful";
    kargo_json_put(v, "phase", cJSON_CreateString(result));
    put_time(v, "finishTime", start + verify_s);
    if (failed) {
        char *msg = xasprintf("Metric \"%s\" assessed Failed due to failed (1) > failureLimit (0)",
                              tmpl ? tmpl : "verification");
        kargo_json_put(v, "message", cJSON_CreateString(msg));
        free(msg);
    }
    if (run != NULL)
        kargo_json_put(run, "phase", cJSON_CreateString(result));
    cJSON_ArrayForEach(it, json_get(entry, "items", (char *)NULL))
    {
        const cJSON *f = kargo_ns_freight(n, json_get_string(it, "name", (char *)NULL));
        if (f == NULL)
            continue;
        kargo_event(k, n->ns, f,
                    failed ? "FreightVerificationFailed" : "FreightVerificationSucceeded", failed,
                    failed ? "Freight verification failed" : "Freight verification succeeded",
                    "stage-name", sname, "analysis-run-name",
                    json_get_string(run, "name", (char *)NULL), (char *)NULL);
    }
    return clear;
}

static const char *or_default(const char *s, const char *def)
{
    return s != NULL ? s : def;
}

static const char *or_empty(const char *s)
{
    return or_default(s, "");
}

static void drop_condition(cJSON *conds, const char *type)
{
    int i = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, conds)
    {
        const char *t = json_get_string(c, "type", (char *)NULL);
        if (t != NULL && strcmp(t, type) == 0) {
            cJSON_DeleteItemFromArray(conds, i);
            return;
        }
        i++;
    }
}

/* The head of the Stage's promotion queue (Running first, then the lowest name), or NULL. */
static const cJSON *current_promotion(const struct kargo_ns *n, const char *stage)
{
    const cJSON *best = NULL;
    const struct kargo_plist *l = kargo_ns_promotions(n, stage);
    for (size_t i = 0; i < l->n; i++) {
        const cJSON *p = l->items[i];
        const char *ph = json_get_string(p, "status", "phase", (char *)NULL);
        if (kargo_phase_terminal(ph))
            continue;
        if (best == NULL) {
            best = p;
            continue;
        }
        bool pr = phase_is(ph, "Running");
        bool br = phase_is(json_get_string(best, "status", "phase", (char *)NULL), "Running");
        if ((pr && !br) ||
            (pr == br && strcmp(json_get_string(p, "metadata", "name", (char *)NULL),
                                json_get_string(best, "metadata", "name", (char *)NULL)) < 0))
            best = p;
    }
    return best;
}

/* The newest terminal Promotion of the Stage (loaded scenarios start without lastPromotion). */
static const cJSON *newest_terminal(const struct kargo_ns *n, const char *stage)
{
    const cJSON *best = NULL;
    const struct kargo_plist *l = kargo_ns_promotions(n, stage);
    for (size_t i = 0; i < l->n; i++) {
        const cJSON *p = l->items[i];
        if (!kargo_phase_terminal(json_get_string(p, "status", "phase", (char *)NULL)))
            continue;
        if (best == NULL || strcmp(json_get_string(p, "metadata", "name", (char *)NULL),
                                   json_get_string(best, "metadata", "name", (char *)NULL)) > 0)
            best = p;
    }
    return best;
}

static void derive(struct kargo *k, const struct kargo_ns *n, const cJSON *stage, cJSON *st)
{
    const char *sname = json_get_string(stage, "metadata", "name", (char *)NULL);
    double gen = 1;
    json_get_number(stage, &gen, "metadata", "generation", (char *)NULL);
    cJSON *conds = cJSON_GetObjectItemCaseSensitive(st, "conditions");
    if (!cJSON_IsArray(conds)) {
        conds = cJSON_CreateArray();
        kargo_json_put(st, "conditions", conds);
    }
    const char *refresh =
        json_get_string(stage, "metadata", "annotations", "kargo.akuity.io/refresh", (char *)NULL);
    if (refresh != NULL)
        kargo_json_put(st, "lastHandledRefresh", cJSON_CreateString(refresh));
    bool auto_on = kargo_auto_promotion_enabled(n->projectconfig, stage);
    kargo_json_put(st, "autoPromotionEnabled", cJSON_CreateBool(auto_on));
    if (!auto_on)
        cJSON_DeleteItemFromObjectCaseSensitive(st, "autoPromotionHolds");

    if (kargo_stage_is_control_flow(stage)) {
        kargo_json_put(st, "freightSummary", cJSON_CreateString("N/A"));
        static const char *const gone[] = {"health", "freightHistory", "currentPromotion",
                                           "lastPromotion"};
        for (size_t i = 0; i < 4; i++)
            cJSON_DeleteItemFromObjectCaseSensitive(st, gone[i]);
        kargo_condition_set(k, conds, "Ready", "True", "Ready", "", gen);
        static const char *const other[] = {"Promoting", "Healthy", "Verified", "Reconciling"};
        for (size_t i = 0; i < 4; i++)
            drop_condition(conds, other[i]);
        kargo_json_put(st, "observedGeneration", cJSON_CreateNumber(gen));
        return;
    }

    const cJSON *cur_items = json_get(
        cJSON_GetArrayItem(json_get(st, "freightHistory", (char *)NULL), 0), "items", (char *)NULL);
    int requested = cJSON_GetArraySize(json_get(stage, "spec", "requestedFreight", (char *)NULL));
    int fulfilled = 0;
    const cJSON *r;
    const char *only = NULL;
    cJSON_ArrayForEach(r, json_get(stage, "spec", "requestedFreight", (char *)NULL))
    {
        char key[300];
        snprintf(key, sizeof(key), "Warehouse/%s",
                 or_empty(json_get_string(r, "origin", "name", (char *)NULL)));
        const char *fname = json_get_string(cur_items, key, "name", (char *)NULL);
        if (fname != NULL) {
            fulfilled++;
            only = fname;
        }
    }
    if (requested == 1 && fulfilled == 1) {
        kargo_json_put(st, "freightSummary", cJSON_CreateString(only));
    } else {
        char *s = xasprintf("%d/%d Fulfilled", fulfilled, requested);
        kargo_json_put(st, "freightSummary", cJSON_CreateString(s));
        free(s);
    }

    /* currentPromotion and Promoting. */
    const cJSON *cp = current_promotion(n, sname);
    char *promoting_msg = NULL;
    if (cp != NULL) {
        const char *pname = json_get_string(cp, "metadata", "name", (char *)NULL);
        const char *ph = json_get_string(cp, "status", "phase", (char *)NULL);
        cJSON *ref = cJSON_CreateObject();
        cJSON_AddStringToObject(ref, "name", pname);
        const cJSON *f = kargo_ns_freight(n, json_get_string(cp, "spec", "freight", (char *)NULL));
        if (f != NULL)
            cJSON_AddItemToObject(ref, "freight", kargo_freight_ref(f));
        kargo_json_put(st, "currentPromotion", ref);
        promoting_msg =
            xasprintf("Promotion \"%s\" is currently %s", pname, ph && *ph ? ph : "Pending");
        kargo_condition_set(k, conds, "Promoting", "True", "ActivePromotion", promoting_msg, gen);
    } else {
        cJSON_DeleteItemFromObjectCaseSensitive(st, "currentPromotion");
        drop_condition(conds, "Promoting");
    }
    if (json_get(st, "lastPromotion", (char *)NULL) == NULL) {
        const cJSON *lp = newest_terminal(n, sname);
        const cJSON *f =
            lp ? kargo_ns_freight(n, json_get_string(lp, "spec", "freight", (char *)NULL)) : NULL;
        if (lp != NULL && f != NULL) {
            cJSON *last = cJSON_CreateObject();
            cJSON_AddStringToObject(last, "name",
                                    json_get_string(lp, "metadata", "name", (char *)NULL));
            cJSON_AddItemToObject(last, "freight", kargo_freight_ref(f));
            cJSON_AddItemToObject(last, "status",
                                  cJSON_Duplicate(json_get(lp, "status", (char *)NULL), true));
            const char *fin = json_get_string(lp, "status", "finishedAt", (char *)NULL);
            if (fin != NULL)
                cJSON_AddStringToObject(last, "finishedAt", fin);
            kargo_json_put(st, "lastPromotion", last);
        }
    }
    const char *last_phase = json_get_string(st, "lastPromotion", "status", "phase", (char *)NULL);
    bool last_bad = last_phase != NULL && kargo_phase_terminal(last_phase) &&
                    strcmp(last_phase, "Succeeded") != 0;

    /* Healthy and health. */
    const char *h_status, *h_reason;
    char *h_msg;
    if (cp != NULL) {
        h_status = "Unknown";
        h_reason = "ActivePromotion";
        h_msg = xstrdup("Stage has a Promotion in progress");
        cJSON *health = cJSON_CreateObject();
        cJSON_AddStringToObject(health, "status", "Unknown");
        cJSON *issues = cJSON_AddArrayToObject(health, "issues");
        cJSON_AddItemToArray(issues, cJSON_CreateString("Cannot assess health because a "
                                                        "Promotion is currently in progress"));
        kargo_json_put(st, "health", health);
    } else if (fulfilled == 0) {
        h_status = "Unknown";
        h_reason = "NoFreight";
        h_msg = xstrdup("Stage has no current Freight");
        cJSON_DeleteItemFromObjectCaseSensitive(st, "health");
    } else if (last_bad) {
        h_status = "Unknown";
        h_reason = strcmp(last_phase, "Failed") == 0    ? "LastPromotionFailed"
                   : strcmp(last_phase, "Errored") == 0 ? "LastPromotionErrored"
                                                        : "LastPromotionAborted";
        h_msg = xasprintf("Last Promotion %s", last_phase);
        cJSON *health = cJSON_CreateObject();
        cJSON_AddStringToObject(health, "status", "Unknown");
        kargo_json_put(st, "health", health);
    } else {
        h_status = "True";
        h_reason = "Healthy";
        h_msg = xstrdup("Stage is healthy (performed 1 health checks)");
        /* The output of one argocd-update health check, as Kargo stores it. */
        cJSON *health = cJSON_CreateObject();
        cJSON_AddStringToObject(health, "status", "Healthy");
        cJSON *out = cJSON_AddArrayToObject(health, "output");
        cJSON *check = cJSON_CreateObject();
        cJSON *apps = cJSON_AddArrayToObject(check, "applicationStatuses");
        cJSON *app = cJSON_CreateObject();
        char *appname = xasprintf("%s-%s", n->ns, sname);
        cJSON_AddStringToObject(app, "Namespace", "argocd");
        cJSON_AddStringToObject(app, "Name", appname);
        free(appname);
        cJSON_AddStringToObject(cJSON_AddObjectToObject(app, "health"), "status", "Healthy");
        cJSON *sync = cJSON_AddObjectToObject(app, "sync");
        cJSON_AddStringToObject(sync, "status", "Synced");
        const char *id =
            json_get_string(cJSON_GetArrayItem(json_get(st, "freightHistory", (char *)NULL), 0),
                            "id", (char *)NULL);
        cJSON_AddStringToObject(sync, "revision", id ? id : "");
        cJSON_AddItemToArray(apps, app);
        cJSON_AddItemToArray(out, check);
        kargo_json_put(st, "health", health);
    }
    kargo_condition_set(k, conds, "Healthy", h_status, h_reason, h_msg, gen);

    /* Verified, from the current Freight's newest verification. */
    const cJSON *v = cJSON_GetArrayItem(
        json_get(cJSON_GetArrayItem(json_get(st, "freightHistory", (char *)NULL), 0),
                 "verificationHistory", (char *)NULL),
        0);
    const char *vph = json_get_string(v, "phase", (char *)NULL);
    const char *v_status = "Unknown", *v_reason;
    char *v_msg;
    if (fulfilled == 0) {
        v_reason = "NoFreight";
        v_msg = xstrdup("Stage has no current Freight");
    } else if (vph == NULL) {
        v_reason = "WaitingForVerification";
        v_msg = xstrdup("Waiting for verification to start");
    } else if (phase_is(vph, "Pending")) {
        v_reason = "VerificationPending";
        v_msg = xstrdup("Verification is pending");
    } else if (phase_is(vph, "Running")) {
        v_reason = "VerificationRunning";
        v_msg = xstrdup("Verification is running");
    } else if (phase_is(vph, "Successful")) {
        v_status = "True";
        v_reason = "Verified";
        v_msg = xstrdup("Freight has been verified");
    } else if (phase_is(vph, "Inconclusive")) {
        v_reason = "VerificationInconclusive";
        v_msg = xstrdup(or_default(json_get_string(v, "message", (char *)NULL),
                                   "Verification is inconclusive"));
    } else {
        v_status = "False";
        v_reason = phase_is(vph, "Failed")    ? "VerificationFailed"
                   : phase_is(vph, "Aborted") ? "VerificationAborted"
                                              : "VerificationError";
        v_msg =
            xstrdup(or_default(json_get_string(v, "message", (char *)NULL), "Verification failed"));
    }
    kargo_condition_set(k, conds, "Verified", v_status, v_reason, v_msg, gen);

    /* Ready summarises, first match wins. */
    if (cp != NULL) {
        kargo_condition_set(k, conds, "Ready", "False", "ActivePromotion", promoting_msg, gen);
    } else if (last_bad) {
        const char *m = json_get_string(st, "lastPromotion", "status", "message", (char *)NULL);
        kargo_condition_set(k, conds, "Ready", "False",
                            strcmp(last_phase, "Failed") == 0    ? "LastPromotionFailed"
                            : strcmp(last_phase, "Errored") == 0 ? "LastPromotionErrored"
                                                                 : "LastPromotionAborted",
                            m ? m : "", gen);
    } else if (strcmp(h_status, "True") != 0) {
        kargo_condition_set(k, conds, "Ready", "False", h_reason, h_msg, gen);
    } else if (strcmp(v_status, "True") != 0) {
        kargo_condition_set(k, conds, "Ready", "False", v_reason, v_msg, gen);
    } else {
        kargo_condition_set(k, conds, "Ready", "True", v_reason, v_msg, gen);
        kargo_json_put(st, "observedGeneration", cJSON_CreateNumber(gen));
    }
    drop_condition(conds, "Reconciling");
    free(promoting_msg);
    free(h_msg);
    free(v_msg);

    /* Effective holds: the durable ones plus those in-flight Promotions will set. */
    cJSON *eff = cJSON_Duplicate(json_get(st, "autoPromotionHolds", (char *)NULL), true);
    if (eff == NULL)
        eff = cJSON_CreateObject();
    const struct kargo_plist *l = kargo_ns_promotions(n, sname);
    for (size_t i = 0; i < l->n; i++) {
        const cJSON *p = l->items[i];
        const char *hold = json_get_string(p, "metadata", "annotations",
                                           "kargo.akuity.io/auto-promotion-hold", (char *)NULL);
        if (hold == NULL || !auto_on ||
            kargo_phase_terminal(json_get_string(p, "status", "phase", (char *)NULL)))
            continue;
        cJSON *h = cJSON_CreateObject();
        cJSON_AddStringToObject(h, "freightName",
                                json_get_string(p, "spec", "freight", (char *)NULL));
        const cJSON *f = kargo_ns_freight(n, json_get_string(p, "spec", "freight", (char *)NULL));
        if (f != NULL)
            cJSON_AddItemToObject(h, "origin",
                                  cJSON_Duplicate(json_get(f, "origin", (char *)NULL), true));
        cJSON_AddStringToObject(h, "promotionName",
                                json_get_string(p, "metadata", "name", (char *)NULL));
        const char *actor = json_get_string(p, "metadata", "annotations",
                                            "kargo.akuity.io/create-actor", (char *)NULL);
        if (actor != NULL)
            cJSON_AddStringToObject(h, "actor", actor);
        const char *ct = json_get_string(p, "metadata", "creationTimestamp", (char *)NULL);
        if (ct != NULL)
            cJSON_AddStringToObject(h, "createdAt", ct);
        kargo_json_put(eff, hold, h);
    }
    if (cJSON_GetArraySize(eff) > 0)
        kargo_json_put(st, "effectiveAutoPromotionHolds", eff);
    else {
        cJSON_Delete(eff);
        cJSON_DeleteItemFromObjectCaseSensitive(st, "effectiveAutoPromotionHolds");
    }
}

void kargo_stages_pass(struct kargo *k, struct kargo_ns *n)
{
    int64_t now = kargo_now(k);
    cJSON *stage;
    cJSON_ArrayForEach(stage, n->stages)
    {
        cJSON *st = cJSON_Duplicate(json_get(stage, "status", (char *)NULL), true);
        if (st == NULL)
            st = cJSON_CreateObject();
        int clear = verify_step(k, n, stage, st, now);
        derive(k, n, stage, st);
        stage = kargo_set_status(k, "stages", n->ns, n->stages, stage, st);
        if (clear != 0) {
            /* Handled requests are removed, as Kargo clears them after acting. */
            cJSON *obj = cJSON_Duplicate(stage, true);
            cJSON *ann = (cJSON *)json_get(obj, "metadata", "annotations", (char *)NULL);
            if (clear & 1)
                cJSON_DeleteItemFromObjectCaseSensitive(ann, ANN_ABORT);
            if (clear & 2)
                cJSON_DeleteItemFromObjectCaseSensitive(ann, ANN_REVERIFY);
            kargo_set_object(k, "stages", n->ns, n->stages, stage, obj);
        }
    }
}
