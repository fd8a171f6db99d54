/* The Warehouse controller (pkg/controller/warehouses): in demo mode each Warehouse "discovers" a
 * new artifact version every interval of simulated time (a new semver or sha tag, chart version
 * or commit, per subscription) and creates Freight from it; a refresh request discovers at once
 * and is echoed to status.lastHandledRefresh. */
#include "kargo_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/kargo_rules.h"
#include "sim/store.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

/* The next version after v: the last number in it goes up by one ("v1.3.0-alpha.2" ->
 * "v1.3.0-alpha.3", "0.6.1" -> "0.6.2"); no number appends ".1". */
static char *next_version(const char *v)
{
    if (*v == '\0')
        return xstrdup("1.0.0");
    size_t len = strlen(v), end = len;
    while (end > 0 && !isdigit((unsigned char)v[end - 1]))
        end--;
    if (end == 0)
        return xasprintf("%s.1", v);
    size_t start = end;
    while (start > 0 && isdigit((unsigned char)v[start - 1]))
        start--;
    long long num = strtoll(v + start, NULL, 10) + 1;
    return xasprintf("%.*s%lld%s", (int)start, v, num, v + end);
}

/* The first version a subscription can see: the one its constraint names ("^1.29.0" ->
 * "1.29.0", ">=1.0.0-alpha" -> "1.0.0-alpha"), else 1.0.0. */
static char *first_version(const cJSON *sub)
{
    const char *c = json_get_string(sub, "constraint", (char *)NULL);
    if (c == NULL)
        c = json_get_string(sub, "semverConstraint", (char *)NULL);
    const char *p = c;
    while (p != NULL && *p != '\0' && !isdigit((unsigned char)*p))
        p++;
    if (p == NULL || *p == '\0')
        return xstrdup("1.0.0");
    size_t n = strcspn(p, " ,|<>=~^");
    return xstrndup(p, n);
}

static void random_hex(struct kargo *k, char *out, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    pthread_mutex_lock(&k->lock);
    for (size_t i = 0; i < n; i++)
        out[i] = hex[kargo_rng_next(&k->rng) & 15];
    pthread_mutex_unlock(&k->lock);
    out[n] = '\0';
}

static const cJSON *find_by(const cJSON *arr, const char *key, const char *value, const char *key2,
                            const char *value2)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        const char *a = json_get_string(it, key, (char *)NULL);
        const char *b = key2 ? json_get_string(it, key2, (char *)NULL) : NULL;
        if (a != NULL && strcmp(a, value) == 0 &&
            (key2 == NULL || (b != NULL && value2 != NULL && strcmp(b, value2) == 0)))
            return it;
    }
    return NULL;
}

static bool wants_sha_tags(const cJSON *img, const char *base_tag)
{
    const char *strategy = json_get_string(img, "imageSelectionStrategy", (char *)NULL);
    if (base_tag != NULL)
        return strncmp(base_tag, "sha-", 4) == 0;
    const cJSON *re;
    cJSON_ArrayForEach(re, json_get(img, "allowTagsRegexes", (char *)NULL))
    {
        if (cJSON_IsString(re) && strstr(re->valuestring, "sha") != NULL)
            return true;
    }
    return strategy != NULL && strcmp(strategy, "NewestBuild") == 0;
}

/* Freight with the next version of every subscription of the Warehouse after base (may be NULL). */
static cJSON *next_freight(struct kargo *k, const cJSON *wh, const cJSON *base, const char *ns)
{
    const char *whname = json_get_string(wh, "metadata", "name", (char *)NULL);
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "apiVersion", KARGO_API);
    cJSON_AddStringToObject(f, "kind", "Freight");
    cJSON *md = cJSON_AddObjectToObject(f, "metadata");
    cJSON_AddStringToObject(md, "generateName", "freight-");
    cJSON_AddStringToObject(md, "namespace", ns);
    cJSON *origin = cJSON_AddObjectToObject(f, "origin");
    cJSON_AddStringToObject(origin, "kind", "Warehouse");
    cJSON_AddStringToObject(origin, "name", whname);
    char now[32];
    kargo_now_str(k, now, sizeof(now));
    cJSON_AddStringToObject(f, "discoveredAt", now);
    const cJSON *sub;
    cJSON_ArrayForEach(sub, json_get(wh, "spec", "subscriptions", (char *)NULL))
    {
        const cJSON *img = json_get(sub, "image", (char *)NULL);
        const cJSON *chart = json_get(sub, "chart", (char *)NULL);
        const cJSON *git = json_get(sub, "git", (char *)NULL);
        if (img != NULL) {
            const char *repo = json_get_string(img, "repoURL", (char *)NULL);
            const cJSON *prev =
                find_by(json_get(base, "images", (char *)NULL), "repoURL", repo, NULL, NULL);
            const char *ptag = json_get_string(prev, "tag", (char *)NULL);
            char *tag;
            if (wants_sha_tags(img, ptag)) {
                char hex[8];
                random_hex(k, hex, 7);
                tag = xasprintf("sha-%s", hex);
            } else {
                tag = ptag != NULL ? next_version(ptag) : first_version(img);
            }
            char *seed = xasprintf("%s:%s", repo ? repo : "", tag);
            char d1[41], d2[41];
            kargo_sha1_hex(seed, strlen(seed), d1);
            kargo_sha1_hex(d1, 40, d2);
            char *digest = xasprintf("sha256:%s%.24s", d1, d2);
            cJSON *arr = cJSON_GetObjectItemCaseSensitive(f, "images");
            if (arr == NULL)
                arr = cJSON_AddArrayToObject(f, "images");
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "repoURL", repo ? repo : "");
            cJSON_AddStringToObject(e, "tag", tag);
            cJSON_AddStringToObject(e, "digest", digest);
            cJSON_AddItemToArray(arr, e);
            free(tag);
            free(seed);
            free(digest);
        } else if (chart != NULL) {
            const char *repo = json_get_string(chart, "repoURL", (char *)NULL);
            const char *name = json_get_string(chart, "name", (char *)NULL);
            const cJSON *prev = find_by(json_get(base, "charts", (char *)NULL), "repoURL", repo,
                                        name ? "name" : NULL, name);
            const char *pv = json_get_string(prev, "version", (char *)NULL);
            char *version = pv != NULL ? next_version(pv) : first_version(chart);
            cJSON *arr = cJSON_GetObjectItemCaseSensitive(f, "charts");
            if (arr == NULL)
                arr = cJSON_AddArrayToObject(f, "charts");
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "repoURL", repo ? repo : "");
            if (name != NULL)
                cJSON_AddStringToObject(e, "name", name);
            cJSON_AddStringToObject(e, "version", version);
            cJSON_AddItemToArray(arr, e);
            free(version);
        } else if (git != NULL) {
            const char *repo = json_get_string(git, "repoURL", (char *)NULL);
            const char *branch = json_get_string(git, "branch", (char *)NULL);
            char id[41];
            random_hex(k, id, 40);
            cJSON *arr = cJSON_GetObjectItemCaseSensitive(f, "commits");
            if (arr == NULL)
                arr = cJSON_AddArrayToObject(f, "commits");
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "repoURL", repo ? repo : "");
            cJSON_AddStringToObject(e, "id", id);
            cJSON_AddStringToObject(e, "branch", branch ? branch : "main");
            cJSON_AddStringToObject(e, "message", "chore: update dependencies");
            cJSON_AddStringToObject(e, "author", "Kargo Simulator <sim@kargotop.invalid>");
            cJSON_AddItemToArray(arr, e);
        }
    }
    return f;
}

static int64_t interval_s(const cJSON *wh)
{
    const char *s = json_get_string(wh, "metadata", "annotations", SIMK_DISCOVERY, (char *)NULL);
    if (s == NULL)
        s = json_get_string(wh, "spec", "interval", (char *)NULL);
    long long ms = 0;
    if (s == NULL || timefmt_parse_duration(s, &ms, NULL) != 0 || ms < 1000)
        ms = 300000;
    return ms / 1000;
}

static bool due(struct kargo *k, const char *ns, const cJSON *wh, int64_t now)
{
    char *key = xasprintf("%s/%s", ns, json_get_string(wh, "metadata", "name", (char *)NULL));
    int64_t *next = hmap_get(&k->next_discovery, key);
    bool result = false;
    if (next == NULL) {
        next = xmalloc(sizeof(*next));
        *next = now + interval_s(wh);
        hmap_put(&k->next_discovery, key, next);
    } else if (now >= *next) {
        *next = now + interval_s(wh);
        result = true;
    }
    kargo_due_s(k, *next);
    free(key);
    return result;
}

void kargo_warehouses_pass(struct kargo *k, struct kargo_ns *n)
{
    int64_t now = kargo_now(k);
    /* The newest Freight of each Warehouse, in one scan. */
    struct hmap newest_of;
    hmap_init(&newest_of);
    cJSON *f;
    cJSON_ArrayForEach(f, n->freights)
    {
        const char *o = json_get_string(f, "origin", "name", (char *)NULL);
        const cJSON *have = o ? hmap_get(&newest_of, o) : NULL;
        if (o != NULL && (have == NULL || kargo_freight_newer(f, have)))
            hmap_put(&newest_of, o, f);
    }
    cJSON *wh;
    cJSON_ArrayForEach(wh, n->warehouses)
    {
        const char *whname = json_get_string(wh, "metadata", "name", (char *)NULL);
        cJSON *st = cJSON_Duplicate(json_get(wh, "status", (char *)NULL), true);
        if (st == NULL)
            st = cJSON_CreateObject();
        const char *refresh =
            json_get_string(wh, "metadata", "annotations", "kargo.akuity.io/refresh", (char *)NULL);
        const char *handled = json_get_string(st, "lastHandledRefresh", (char *)NULL);
        bool discover = refresh != NULL && (handled == NULL || strcmp(refresh, handled) != 0);
        /* Kargo discovers as soon as a Warehouse exists; after that, every interval. */
        if (k->discover && (due(k, n->ns, wh, now) || hmap_get(&newest_of, whname) == NULL))
            discover = true;
        if (refresh != NULL)
            kargo_json_put(st, "lastHandledRefresh", cJSON_CreateString(refresh));
        double gen = 1;
        json_get_number(wh, &gen, "metadata", "generation", (char *)NULL);

        const cJSON *newest = hmap_get(&newest_of, whname);
        cJSON *conds = cJSON_GetObjectItemCaseSensitive(st, "conditions");
        if (!cJSON_IsArray(conds)) {
            conds = cJSON_CreateArray();
            kargo_json_put(st, "conditions", conds);
        }
        if (discover) {
            cJSON *nf = next_freight(k, wh, newest, n->ns);
            struct sim_write_opts o = {0};
            struct sim_status *err = NULL;
            cJSON *stored = sim_store_create(k->store, "freights", n->ns, nf, &o, &err);
            cJSON_Delete(nf);
            k->writes++;
            if (stored != NULL) {
                kargo_event(k, n->ns, stored, "FreightCreated", false,
                            "Freight created by Warehouse discovery", (char *)NULL);
                kargo_ns_add_freight(n, stored);
                newest = stored;
                kargo_condition_set(k, conds, "FreightCreated", "True", "NewFreight",
                                    "New Freight created from the newest artifacts", gen);
            } else {
                kargo_condition_set(k, conds, "FreightCreated", "False", "AlreadyExists",
                                    "Freight composed of the newest artifacts already exists", gen);
                sim_status_free(err);
            }
            char now_s[32];
            kargo_now_str(k, now_s, sizeof(now_s));
            kargo_json_put(json_ensure_object(st, "discoveredArtifacts", (char *)NULL),
                           "discoveredAt", cJSON_CreateString(now_s));
        }
        int subs = cJSON_GetArraySize(json_get(wh, "spec", "subscriptions", (char *)NULL));
        char *msg = xasprintf("Successfully discovered artifacts from %d subscriptions", subs);
        kargo_condition_set(k, conds, "Ready", "True", "ArtifactsDiscovered", msg, gen);
        kargo_condition_set(k, conds, "Healthy", "True", "ReconciliationSucceeded", "", gen);
        free(msg);
        kargo_json_put(st, "observedGeneration", cJSON_CreateNumber(gen));
        if (newest != NULL)
            kargo_json_put(
                st, "lastFreightID",
                cJSON_CreateString(json_get_string(newest, "metadata", "name", (char *)NULL)));
        kargo_set_status(k, "warehouses", n->ns, n->warehouses, wh, st);
    }
    hmap_free(&newest_of, NULL);
}
