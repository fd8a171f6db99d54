/* Freight status as Kargo's controllers keep it: currentlyIn follows every Stage's current
 * Freight, verifiedIn records successful verifications (and control-flow Stages), and a Freight
 * leaving a Stage has its time there folded into verifiedIn.longestSoak. */
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

/* Seconds as Go's time.Duration prints them: "26h5m10s", "5m0s", "45s". */
static void go_duration(long long s, char *buf, size_t n)
{
    if (s >= 3600)
        snprintf(buf, n, "%lldh%lldm%llds", s / 3600, s / 60 % 60, s % 60);
    else if (s >= 60)
        snprintf(buf, n, "%lldm%llds", s / 60, s % 60);
    else
        snprintf(buf, n, "%llds", s);
}

/* What the Stages say about one Freight: {currentlyIn: {stage: since}, verifiedIn: {stage: at}}. */
static cJSON *facts_for(struct hmap *facts, const char *name)
{
    cJSON *f = hmap_get(facts, name);
    if (f == NULL) {
        f = cJSON_CreateObject();
        cJSON_AddObjectToObject(f, "currentlyIn");
        cJSON_AddObjectToObject(f, "verifiedIn");
        hmap_put(facts, name, f);
    }
    return f;
}

static void free_facts(void *v)
{
    cJSON_Delete(v);
}

void kargo_freight_pass(struct kargo *k, struct kargo_ns *n)
{
    int64_t now = kargo_now(k);
    char now_s[32];
    kargo_now_str(k, now_s, sizeof(now_s));
    struct hmap facts;
    hmap_init(&facts);
    const cJSON *stage;
    cJSON_ArrayForEach(stage, n->stages)
    {
        const char *sname = json_get_string(stage, "metadata", "name", (char *)NULL);
        if (kargo_stage_is_control_flow(stage)) {
            const cJSON *f;
            cJSON_ArrayForEach(f, n->freights)
            {
                /* Soaking upstream makes Freight pass through a control-flow Stage later. */
                int64_t at = kargo_freight_available_at(stage, f, now);
                if (at > now) {
                    kargo_due_s(k, at);
                    continue;
                }
                json_set_string(
                    (cJSON *)json_get(
                        facts_for(&facts, json_get_string(f, "metadata", "name", (char *)NULL)),
                        "verifiedIn", (char *)NULL),
                    sname, now_s);
            }
            continue;
        }
        const cJSON *entry =
            cJSON_GetArrayItem(json_get(stage, "status", "freightHistory", (char *)NULL), 0);
        const cJSON *v =
            cJSON_GetArrayItem(json_get(entry, "verificationHistory", (char *)NULL), 0);
        const char *vph = json_get_string(v, "phase", (char *)NULL);
        const char *since =
            json_get_string(stage, "status", "lastPromotion", "finishedAt", (char *)NULL);
        const cJSON *it;
        cJSON_ArrayForEach(it, json_get(entry, "items", (char *)NULL))
        {
            const char *name = json_get_string(it, "name", (char *)NULL);
            if (name == NULL)
                continue;
            cJSON *f = facts_for(&facts, name);
            json_set_string((cJSON *)json_get(f, "currentlyIn", (char *)NULL), sname,
                            since ? since : now_s);
            if (vph != NULL && strcmp(vph, "Successful") == 0) {
                const char *at = json_get_string(v, "finishTime", (char *)NULL);
                json_set_string((cJSON *)json_get(f, "verifiedIn", (char *)NULL), sname,
                                at ? at : now_s);
            }
        }
    }

    cJSON *fr;
    cJSON_ArrayForEach(fr, n->freights)
    {
        const char *name = json_get_string(fr, "metadata", "name", (char *)NULL);
        const cJSON *f = name ? hmap_get(&facts, name) : NULL;
        cJSON *st = cJSON_Duplicate(json_get(fr, "status", (char *)NULL), true);
        if (st == NULL)
            st = cJSON_CreateObject();
        cJSON *ci = json_ensure_object(st, "currentlyIn", (char *)NULL);
        cJSON *vi = json_ensure_object(st, "verifiedIn", (char *)NULL);
        /* Leaving a Stage: keep the longest continuous stay for soak-time checks. */
        cJSON *e = ci->child;
        while (e != NULL) {
            cJSON *next = e->next;
            if (json_get(f, "currentlyIn", e->string, (char *)NULL) == NULL) {
                cJSON *ve = cJSON_GetObjectItemCaseSensitive(vi, e->string);
                int64_t stay = now - parse_time(json_get_string(e, "since", (char *)NULL));
                if (ve != NULL && stay > 0) {
                    long long old = 0;
                    const char *ls = json_get_string(ve, "longestSoak", (char *)NULL);
                    if (ls != NULL)
                        timefmt_parse_duration(ls, &old, NULL);
                    if ((long long)stay * 1000 > old) {
                        char buf[64];
                        go_duration((long long)stay, buf, sizeof(buf));
                        kargo_json_put(ve, "longestSoak", cJSON_CreateString(buf));
                    }
                }
                cJSON_Delete(cJSON_DetachItemViaPointer(ci, e));
            }
            e = next;
        }
        const cJSON *x;
        cJSON_ArrayForEach(x, json_get(f, "currentlyIn", (char *)NULL))
        {
            if (cJSON_GetObjectItemCaseSensitive(ci, x->string) == NULL) {
                cJSON *c = cJSON_AddObjectToObject(ci, x->string);
                cJSON_AddStringToObject(c, "since", x->valuestring);
            }
        }
        cJSON_ArrayForEach(x, json_get(f, "verifiedIn", (char *)NULL))
        {
            if (cJSON_GetObjectItemCaseSensitive(vi, x->string) == NULL) {
                cJSON *c = cJSON_AddObjectToObject(vi, x->string);
                cJSON_AddStringToObject(c, "verifiedAt", x->valuestring);
            }
        }
        if (cJSON_GetArraySize(ci) == 0)
            cJSON_DeleteItemFromObjectCaseSensitive(st, "currentlyIn");
        if (cJSON_GetArraySize(vi) == 0)
            cJSON_DeleteItemFromObjectCaseSensitive(st, "verifiedIn");
        kargo_set_status(k, "freights", n->ns, n->freights, fr, st);
    }
    hmap_free(&facts, free_facts);
}
