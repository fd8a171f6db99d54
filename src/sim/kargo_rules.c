/* Kargo's rules, from Stage.IsFreightAvailable, SelectAutoPromotionCandidates and
 * pkg/api/auto_promotion.go (see KARGO-API.md §4.1 and §7). */
#include "sim/kargo_rules.h"

#include <fnmatch.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "util/json.h"
#include "util/timefmt.h"

const cJSON *kargo_stage_request(const cJSON *stage, const char *warehouse)
{
    const cJSON *r;
    cJSON_ArrayForEach(r, json_get(stage, "spec", "requestedFreight", (char *)NULL))
    {
        const char *kind = json_get_string(r, "origin", "kind", (char *)NULL);
        const char *name = json_get_string(r, "origin", "name", (char *)NULL);
        if (name != NULL && strcmp(name, warehouse) == 0 &&
            (kind == NULL || strcmp(kind, "Warehouse") == 0))
            return r;
    }
    return NULL;
}

bool kargo_stage_is_control_flow(const cJSON *stage)
{
    return cJSON_GetArraySize(
               json_get(stage, "spec", "promotionTemplate", "spec", "steps", (char *)NULL)) == 0;
}

static int64_t time_at(const cJSON *obj, const char *a, const char *b, const char *c, const char *d)
{
    const char *s = json_get_string(obj, a, b, c, d, (char *)NULL);
    time_t t;
    if (s == NULL || timefmt_parse_rfc3339(s, &t, NULL) != 0)
        return 0;
    return (int64_t)t;
}

/* When freight is verified in up and has soaked there for soak_ms: now_s if it already has, the
 * second it will if it stays, KARGO_NEVER when time alone cannot do it (not verified there, or
 * gone from it too soon). */
static int64_t soaked_at(const cJSON *freight, const char *up, long long soak_ms, int64_t now_s)
{
    const cJSON *vi = json_get(freight, "status", "verifiedIn", up, (char *)NULL);
    if (vi == NULL)
        return KARGO_NEVER;
    if (soak_ms <= 0)
        return now_s;
    long long longest = 0;
    const char *ls = json_get_string(vi, "longestSoak", (char *)NULL);
    if (ls != NULL)
        timefmt_parse_duration(ls, &longest, NULL);
    if (longest >= soak_ms)
        return now_s;
    int64_t since = time_at(freight, "status", "currentlyIn", up, "since");
    if (since <= 0)
        return KARGO_NEVER;
    /* (now - since) * 1000 >= soak_ms, in whole seconds as the clock counts them. */
    int64_t at = since + (int64_t)((soak_ms + 999) / 1000);
    return at > now_s ? at : now_s;
}

int64_t kargo_freight_available_at(const cJSON *stage, const cJSON *freight, int64_t now_s)
{
    const char *sns = json_get_string(stage, "metadata", "namespace", (char *)NULL);
    const char *fns = json_get_string(freight, "metadata", "namespace", (char *)NULL);
    const char *sname = json_get_string(stage, "metadata", "name", (char *)NULL);
    const char *wh = json_get_string(freight, "origin", "name", (char *)NULL);
    if (sns == NULL || fns == NULL || sname == NULL || wh == NULL || strcmp(sns, fns) != 0)
        return KARGO_NEVER;
    const cJSON *req = kargo_stage_request(stage, wh);
    if (req == NULL)
        return KARGO_NEVER;
    if (json_get(freight, "status", "approvedFor", sname, (char *)NULL) != NULL)
        return now_s;
    bool direct = false;
    if (json_get_bool(req, &direct, "sources", "direct", (char *)NULL) && direct)
        return now_s;
    long long soak_ms = 0;
    const char *soak = json_get_string(req, "sources", "requiredSoakTime", (char *)NULL);
    if (soak != NULL)
        timefmt_parse_duration(soak, &soak_ms, NULL);
    const char *strategy = json_get_string(req, "sources", "availabilityStrategy", (char *)NULL);
    bool all = strategy != NULL && strcmp(strategy, "All") == 0;
    const cJSON *ups = json_get(req, "sources", "stages", (char *)NULL);
    if (cJSON_GetArraySize(ups) == 0)
        return KARGO_NEVER;
    /* All: when the last upstream is soaked; one of them: when the first is. */
    int64_t at = all ? now_s : KARGO_NEVER;
    const cJSON *up;
    cJSON_ArrayForEach(up, ups)
    {
        if (!cJSON_IsString(up))
            continue;
        int64_t t = soaked_at(freight, up->valuestring, soak_ms, now_s);
        if (all && t > at)
            at = t;
        if (!all && t < at)
            at = t;
    }
    return at;
}

bool kargo_freight_available(const cJSON *stage, const cJSON *freight, int64_t now_s)
{
    return kargo_freight_available_at(stage, freight, now_s) <= now_s;
}

int64_t kargo_freight_time(const cJSON *freight)
{
    int64_t t = time_at(freight, "discoveredAt", NULL, NULL, NULL);
    return t != 0 ? t : time_at(freight, "metadata", "creationTimestamp", NULL, NULL);
}

bool kargo_freight_newer(const cJSON *a, const cJSON *b)
{
    int64_t ta = kargo_freight_time(a), tb = kargo_freight_time(b);
    if (ta != tb)
        return ta > tb;
    const char *na = json_get_string(a, "metadata", "name", (char *)NULL);
    const char *nb = json_get_string(b, "metadata", "name", (char *)NULL);
    return strcmp(na ? na : "", nb ? nb : "") > 0;
}

const cJSON *kargo_auto_candidate_at(const cJSON *stage, const char *warehouse,
                                     const cJSON *const *freights, size_t n, int64_t now_s,
                                     int64_t *changes_s)
{
    const cJSON *req = kargo_stage_request(stage, warehouse);
    if (req == NULL)
        return NULL;
    const char *policy =
        json_get_string(req, "sources", "autoPromotionOptions", "selectionPolicy", (char *)NULL);
    const char *upstream = NULL;
    if (policy != NULL && strcmp(policy, "MatchUpstream") == 0) {
        const cJSON *ups = json_get(req, "sources", "stages", (char *)NULL);
        if (cJSON_GetArraySize(ups) != 1)
            return NULL;
        upstream = cJSON_GetStringValue(cJSON_GetArrayItem(ups, 0));
    }
    const cJSON *best = NULL;
    size_t matches = 0;
    for (size_t i = 0; i < n; i++) {
        const char *wh = json_get_string(freights[i], "origin", "name", (char *)NULL);
        if (wh == NULL || strcmp(wh, warehouse) != 0)
            continue;
        int64_t at = kargo_freight_available_at(stage, freights[i], now_s);
        if (at > now_s) {
            /* Not yet: when it soaks, it may become the candidate. */
            if (changes_s != NULL && at < *changes_s)
                *changes_s = at;
            continue;
        }
        if (upstream != NULL &&
            json_get(freights[i], "status", "currentlyIn", upstream, (char *)NULL) == NULL)
            continue;
        matches++;
        if (best == NULL || kargo_freight_newer(freights[i], best))
            best = freights[i];
    }
    if (upstream != NULL && matches > 1)
        return NULL;
    return best;
}

const cJSON *kargo_auto_candidate(const cJSON *stage, const char *warehouse,
                                  const cJSON *const *freights, size_t n, int64_t now_s)
{
    return kargo_auto_candidate_at(stage, warehouse, freights, n, now_s, NULL);
}

static bool name_matches(const char *pattern, const char *name)
{
    if (strncmp(pattern, "glob:", 5) == 0)
        return fnmatch(pattern + 5, name, 0) == 0;
    const char *re = NULL;
    if (strncmp(pattern, "regex:", 6) == 0)
        re = pattern + 6;
    else if (strncmp(pattern, "regexp:", 7) == 0)
        re = pattern + 7;
    if (re == NULL)
        return strcmp(pattern, name) == 0;
    regex_t rx;
    if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) != 0)
        return false;
    bool ok = regexec(&rx, name, 0, NULL, 0) == 0;
    regfree(&rx);
    return ok;
}

static bool value_in(const cJSON *values, const char *v)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, values)
    {
        if (cJSON_IsString(it) && strcmp(it->valuestring, v) == 0)
            return true;
    }
    return false;
}

bool kargo_stage_selector_matches(const cJSON *selector, const cJSON *stage)
{
    const char *name = json_get_string(stage, "metadata", "name", (char *)NULL);
    const char *pattern = json_get_string(selector, "name", (char *)NULL);
    if (name == NULL)
        return false;
    if (pattern != NULL && *pattern && !name_matches(pattern, name))
        return false;
    const cJSON *labels = json_get(stage, "metadata", "labels", (char *)NULL);
    const cJSON *l;
    cJSON_ArrayForEach(l, json_get(selector, "matchLabels", (char *)NULL))
    {
        const char *have = json_get_string(labels, l->string, (char *)NULL);
        if (have == NULL || !cJSON_IsString(l) || strcmp(have, l->valuestring) != 0)
            return false;
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, json_get(selector, "matchExpressions", (char *)NULL))
    {
        const char *key = json_get_string(e, "key", (char *)NULL);
        const char *op = json_get_string(e, "operator", (char *)NULL);
        if (key == NULL || op == NULL)
            return false;
        const char *have = json_get_string(labels, key, (char *)NULL);
        const cJSON *values = json_get(e, "values", (char *)NULL);
        bool ok = strcmp(op, "In") == 0             ? have != NULL && value_in(values, have)
                  : strcmp(op, "NotIn") == 0        ? have == NULL || !value_in(values, have)
                  : strcmp(op, "Exists") == 0       ? have != NULL
                  : strcmp(op, "DoesNotExist") == 0 ? have == NULL
                                                    : false;
        if (!ok)
            return false;
    }
    return true;
}

bool kargo_auto_promotion_enabled(const cJSON *projectconfig, const cJSON *stage)
{
    const char *name = json_get_string(stage, "metadata", "name", (char *)NULL);
    const cJSON *p;
    cJSON_ArrayForEach(p, json_get(projectconfig, "spec", "promotionPolicies", (char *)NULL))
    {
        const char *exact = json_get_string(p, "stage", (char *)NULL);
        const cJSON *sel = json_get(p, "stageSelector", (char *)NULL);
        bool match = exact != NULL ? name != NULL && strcmp(exact, name) == 0
                     : sel != NULL ? kargo_stage_selector_matches(sel, stage)
                                   : false;
        if (match) {
            bool enabled = false;
            json_get_bool(p, &enabled, "autoPromotionEnabled", (char *)NULL);
            return enabled;
        }
    }
    return false;
}
