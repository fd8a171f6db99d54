/* Built-in scenario lookup, the time shift, and the generated `large` scenario (benchmarks). */
#include "sim/scenarios.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/kargo_names.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

const struct scenario_builtin *scenarios_find(const char *name)
{
    for (const struct scenario_builtin *s = scenarios_builtin; s->name != NULL; s++) {
        if (strcmp(s->name, name) == 0)
            return s;
    }
    return NULL;
}

int scenarios_is_builtin(const char *name)
{
    return strcmp(name, "large") == 0 || strcmp(name, "demo") == 0 || scenarios_find(name) != NULL;
}

/* Only the exact form Kubernetes writes (20 characters, UTC) is shifted: other strings that merely
 * start with digits (versions, tags) must stay as they are. */
static int is_k8s_time(const char *s)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
    if (strlen(s) != sizeof(shape) - 1)
        return 0;
    for (size_t i = 0; shape[i]; i++) {
        if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
            return 0;
    }
    return 1;
}

static const char crockford[] = "0123456789abcdefghjkmnpqrstvwxyz";

/* Names made with a ULID (Promotions "<stage>.<ulid>.<freight7>", AnalysisRuns) encode their
 * creation time; it moves with the rest of the history so that name order stays time order. */
static void shift_ulid(char *s, int64_t delta_ms)
{
    for (char *dot = strchr(s, '.'); dot != NULL; dot = strchr(dot + 1, '.')) {
        char *u = dot + 1;
        size_t n = strspn(u, crockford);
        if (n != 26 || u[26] != '.')
            continue;
        uint64_t t = 0;
        for (int i = 0; i < 10; i++)
            t = t * 32 + (uint64_t)(strchr(crockford, u[i]) - crockford);
        t = (uint64_t)((int64_t)t + delta_ms);
        for (int i = 9; i >= 0; i--) {
            u[i] = crockford[t & 31];
            t >>= 5;
        }
        return;
    }
}

void scenarios_shift_times(cJSON *obj, int64_t delta_s)
{
    cJSON *it;
    cJSON_ArrayForEach(it, obj)
    {
        if (cJSON_IsString(it) && strchr(it->valuestring, '.') != NULL) {
            shift_ulid(it->valuestring, delta_s * 1000);
        } else if (cJSON_IsString(it) && is_k8s_time(it->valuestring)) {
            time_t t;
            if (timefmt_parse_rfc3339(it->valuestring, &t, NULL) == 0) {
                char buf[32];
                timefmt_rfc3339((time_t)((int64_t)t + delta_s), buf, sizeof(buf));
                cJSON_SetValuestring(it, buf);
            }
        } else if (cJSON_IsObject(it) || cJSON_IsArray(it)) {
            scenarios_shift_times(it, delta_s);
        }
    }
}

static void earliest_in(const cJSON *obj, int64_t *min)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, obj)
    {
        time_t t;
        if (cJSON_IsString(it) && is_k8s_time(it->valuestring) &&
            timefmt_parse_rfc3339(it->valuestring, &t, NULL) == 0) {
            if (*min == 0 || (int64_t)t < *min)
                *min = (int64_t)t;
        } else if (cJSON_IsObject(it) || cJSON_IsArray(it)) {
            earliest_in(it, min);
        }
    }
}

int64_t scenarios_earliest(const cJSON *obj)
{
    int64_t min = 0;
    earliest_in(obj, &min);
    return min;
}

/* The creation time a ULID-named object's name encodes, in Unix seconds, or 0. */
static int64_t ulid_time(const char *s)
{
    for (const char *dot = strchr(s, '.'); dot != NULL; dot = strchr(dot + 1, '.')) {
        const char *u = dot + 1;
        if (strspn(u, crockford) != 26 || u[26] != '.')
            continue;
        uint64_t t = 0;
        for (int i = 0; i < 10; i++)
            t = t * 32 + (uint64_t)(strchr(crockford, u[i]) - crockford);
        return (int64_t)(t / 1000);
    }
    return 0;
}

void scenarios_set_created(cJSON *obj, int64_t fallback_s)
{
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
    if (!cJSON_IsObject(meta) || cJSON_GetObjectItemCaseSensitive(meta, "creationTimestamp"))
        return;
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(obj, "kind");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(meta, "name");
    const cJSON *disc = cJSON_GetObjectItemCaseSensitive(obj, "discoveredAt");
    int64_t t = 0;
    time_t parsed;
    if (cJSON_IsString(kind) && strcmp(kind->valuestring, "Promotion") == 0 && cJSON_IsString(name))
        t = ulid_time(name->valuestring); /* the webhook named it when it was created */
    else if (cJSON_IsString(disc) && timefmt_parse_rfc3339(disc->valuestring, &parsed, NULL) == 0)
        t = (int64_t)parsed; /* the webhook defaults discoveredAt to the creation time */
    if (t == 0)
        t = fallback_s;
    if (t == 0)
        return;
    char buf[32];
    timefmt_rfc3339((time_t)t, buf, sizeof(buf));
    cJSON_AddStringToObject(meta, "creationTimestamp", buf);
}

void scenarios_large_default(struct scenario_large_shape *shape)
{
    shape->pipelines = 60;
    shape->stages_per = 5;
    shape->freight = 10000;
    shape->promotions = 30000;
}

static const char *const large_stage_names[] = {"dev", "qa",   "staging", "canary", "prod",
                                                "dr",  "edge", "eu",      "us",     "apac"};

static cJSON *kobj(const char *kind, const char *ns, const char *name)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "apiVersion", "kargo.akuity.io/v1alpha1");
    cJSON_AddStringToObject(o, "kind", kind);
    cJSON *md = cJSON_AddObjectToObject(o, "metadata");
    cJSON_AddStringToObject(md, "name", name);
    if (ns != NULL)
        cJSON_AddStringToObject(md, "namespace", ns);
    return o;
}

static cJSON *origin(const char *wh)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "kind", "Warehouse");
    cJSON_AddStringToObject(o, "name", wh);
    return o;
}

static void add_time(cJSON *obj, const char *key, int64_t t)
{
    char buf[32];
    timefmt_rfc3339((time_t)t, buf, sizeof(buf));
    cJSON_AddStringToObject(obj, key, buf);
}

static cJSON *steps_for(int pipeline)
{
    cJSON *steps = cJSON_CreateArray();
    static const char *const uses[] = {"git-clone", "kustomize-set-image", "git-commit", "git-push",
                                       "argocd-update"};
    for (size_t i = 0; i < sizeof(uses) / sizeof(*uses); i++) {
        cJSON *s = cJSON_CreateObject();
        cJSON_AddStringToObject(s, "uses", uses[i]);
        cJSON *cfg = cJSON_AddObjectToObject(s, "config");
        if (i == 4) {
            char app[64];
            snprintf(app, sizeof(app), "team-%02d-${{ ctx.stage }}", pipeline);
            cJSON *apps = cJSON_AddArrayToObject(cfg, "apps");
            cJSON *a = cJSON_CreateObject();
            cJSON_AddStringToObject(a, "name", app);
            cJSON_AddItemToArray(apps, a);
        } else {
            cJSON_AddStringToObject(cfg, "path", "./src");
        }
        cJSON_AddItemToArray(steps, s);
    }
    return steps;
}

struct large_freight {
    char name[41];
    char tag[32];
    char digest[80];
    int64_t at;
};

static cJSON *freight_ref(const struct large_freight *f, const char *wh, const char *repo,
                          int with_images)
{
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "name", f->name);
    cJSON_AddItemToObject(r, "origin", origin(wh));
    if (with_images) {
        cJSON *imgs = cJSON_AddArrayToObject(r, "images");
        cJSON *im = cJSON_CreateObject();
        cJSON_AddStringToObject(im, "repoURL", repo);
        cJSON_AddStringToObject(im, "tag", f->tag);
        cJSON_AddStringToObject(im, "digest", f->digest);
        cJSON_AddItemToArray(imgs, im);
    }
    return r;
}

size_t scenarios_large_build(const struct scenario_large_shape *shape, const char *ns,
                             int64_t now_s, void (*emit)(void *ctx, cJSON *obj), void *ctx)
{
    const int64_t freight_gap = 600, stage_gap = 90, step_s = 6;
    struct kargo_rng rng;
    kargo_rng_seed(&rng, 42);
    size_t count = 0;
    int nstages = shape->stages_per > 10 ? 10 : shape->stages_per < 1 ? 1 : shape->stages_per;
    int total_stages = shape->pipelines * nstages;

    cJSON *p = kobj("Project", NULL, ns);
    emit(ctx, p);
    cJSON *pc = kobj("ProjectConfig", ns, ns);
    cJSON *pols = cJSON_AddArrayToObject(cJSON_AddObjectToObject(pc, "spec"), "promotionPolicies");
    cJSON *pol = cJSON_CreateObject();
    cJSON_AddStringToObject(cJSON_AddObjectToObject(pol, "stageSelector"), "name", "glob:*-dev");
    cJSON_AddBoolToObject(pol, "autoPromotionEnabled", 1);
    cJSON_AddItemToArray(pols, pol);
    emit(ctx, pc);
    count += 2;

    for (int pi = 0; pi < shape->pipelines; pi++) {
        char wh[32], repo[96];
        snprintf(wh, sizeof(wh), "team-%02d", pi);
        snprintf(repo, sizeof(repo), "registry.example.com/team-%02d/app", pi);
        cJSON *w = kobj("Warehouse", ns, wh);
        cJSON *wspec = cJSON_AddObjectToObject(w, "spec");
        cJSON_AddStringToObject(wspec, "interval", "5m0s");
        cJSON *subs = cJSON_AddArrayToObject(wspec, "subscriptions");
        cJSON *sub = cJSON_CreateObject();
        cJSON *img = cJSON_AddObjectToObject(sub, "image");
        cJSON_AddStringToObject(img, "repoURL", repo);
        cJSON_AddStringToObject(img, "imageSelectionStrategy", "SemVer");
        cJSON_AddItemToArray(subs, sub);
        emit(ctx, w);
        count++;

        int nf = shape->freight / shape->pipelines + (pi < shape->freight % shape->pipelines);
        struct large_freight *fr = xcalloc((size_t)(nf ? nf : 1), sizeof(*fr));
        for (int i = 0; i < nf; i++) {
            fr[i].at = now_s - (int64_t)(nf - i) * freight_gap;
            snprintf(fr[i].tag, sizeof(fr[i].tag), "1.%d.%d", i / 100, i % 100);
            char seed[128];
            snprintf(seed, sizeof(seed), "%s:%s", repo, fr[i].tag);
            char hex[41];
            kargo_sha1_hex(seed, strlen(seed), hex);
            snprintf(fr[i].digest, sizeof(fr[i].digest), "sha256:%s%.24s", hex, hex);
            cJSON *tmp = cJSON_CreateObject();
            cJSON_AddItemToObject(tmp, "origin", origin(wh));
            cJSON *imgs = cJSON_AddArrayToObject(tmp, "images");
            cJSON *im = cJSON_CreateObject();
            cJSON_AddStringToObject(im, "repoURL", repo);
            cJSON_AddStringToObject(im, "tag", fr[i].tag);
            cJSON_AddStringToObject(im, "digest", fr[i].digest);
            cJSON_AddItemToArray(imgs, im);
            kargo_freight_id(tmp, fr[i].name, NULL);
            cJSON_Delete(tmp);
        }

        /* Stage k holds promotions of the freight window [lo_k, hi_k): each stage promoted a
         * run of consecutive freight, the downstream ones lagging one freight per hop. */
        int per_stage = shape->promotions / total_stages;
        cJSON **freight_status = xcalloc((size_t)(nf ? nf : 1), sizeof(*freight_status));
        for (int i = 0; i < nf; i++)
            freight_status[i] = cJSON_CreateObject();
        for (int k = 0; k < nstages; k++) {
            char sname[64];
            snprintf(sname, sizeof(sname), "%s-%s", wh, large_stage_names[k]);
            int sidx = pi * nstages + k;
            int np = per_stage + (sidx < shape->promotions % total_stages);
            int hi = nf - k, lo = hi - np;
            if (lo < 0)
                lo = 0;
            cJSON *st = kobj("Stage", ns, sname);
            cJSON *labels = cJSON_AddObjectToObject(cJSON_GetObjectItem(st, "metadata"), "labels");
            cJSON_AddStringToObject(labels, "pipeline", wh);
            cJSON *spec = cJSON_AddObjectToObject(st, "spec");
            cJSON *rf = cJSON_AddArrayToObject(spec, "requestedFreight");
            cJSON *r = cJSON_CreateObject();
            cJSON_AddItemToObject(r, "origin", origin(wh));
            cJSON *src = cJSON_AddObjectToObject(r, "sources");
            if (k == 0) {
                cJSON_AddBoolToObject(src, "direct", 1);
            } else {
                char up[64];
                snprintf(up, sizeof(up), "%s-%s", wh, large_stage_names[k - 1]);
                cJSON *ups = cJSON_AddArrayToObject(src, "stages");
                cJSON_AddItemToArray(ups, cJSON_CreateString(up));
            }
            cJSON_AddItemToArray(rf, r);
            cJSON_AddItemToObject(cJSON_AddObjectToObject(spec, "promotionTemplate"), "spec",
                                  cJSON_CreateObject());
            cJSON_AddItemToObject(cJSON_GetObjectItem(spec, "promotionTemplate")->child, "steps",
                                  steps_for(pi));
            cJSON *status = cJSON_AddObjectToObject(st, "status");
            cJSON *fh = cJSON_AddArrayToObject(status, "freightHistory");
            for (int i = hi - 1; i >= lo && i >= hi - 10; i--) {
                cJSON *e = cJSON_CreateObject();
                const char *names[1] = {fr[i].name};
                char id[41];
                kargo_collection_id(names, 1, id);
                cJSON_AddStringToObject(e, "id", id);
                cJSON *items = cJSON_AddObjectToObject(e, "items");
                char key[64];
                snprintf(key, sizeof(key), "Warehouse/%s", wh);
                cJSON_AddItemToObject(items, key, freight_ref(&fr[i], wh, repo, 1));
                cJSON *vh = cJSON_AddArrayToObject(e, "verificationHistory");
                cJSON *v = cJSON_CreateObject();
                char uuid[40];
                kargo_uuid(&rng, uuid);
                int64_t done = fr[i].at + (k + 1) * stage_gap + 5 * step_s;
                cJSON_AddStringToObject(v, "id", uuid);
                cJSON_AddStringToObject(v, "phase", "Successful");
                add_time(v, "startTime", done);
                add_time(v, "finishTime", done);
                cJSON_AddItemToArray(vh, v);
                cJSON_AddItemToArray(fh, e);
            }
            emit(ctx, st);
            count++;

            for (int i = lo; i < hi; i++) {
                int64_t start = fr[i].at + (k + 1) * stage_gap;
                int64_t done = start + 5 * step_s;
                cJSON *fs = freight_status[i];
                cJSON *vi = cJSON_GetObjectItem(fs, "verifiedIn");
                if (vi == NULL)
                    vi = cJSON_AddObjectToObject(fs, "verifiedIn");
                cJSON *ve = cJSON_AddObjectToObject(vi, sname);
                add_time(ve, "verifiedAt", done);
                if (i == hi - 1) {
                    cJSON *ci = cJSON_AddObjectToObject(fs, "currentlyIn");
                    add_time(cJSON_AddObjectToObject(ci, sname), "since", done);
                } else {
                    char soak[32];
                    snprintf(soak, sizeof(soak), "%dm0s", (int)(freight_gap / 60));
                    cJSON_AddStringToObject(ve, "longestSoak", soak);
                }

                char ulid[KARGO_ULID_LEN + 1];
                kargo_ulid(start * 1000, &rng, ulid);
                char *pname = kargo_promotion_name(sname, ulid, fr[i].name);
                cJSON *pr = kobj("Promotion", ns, pname);
                free(pname);
                cJSON *md = cJSON_GetObjectItem(pr, "metadata");
                cJSON_AddStringToObject(cJSON_AddObjectToObject(md, "labels"),
                                        "kargo.akuity.io/stage", sname);
                cJSON_AddStringToObject(cJSON_AddObjectToObject(md, "annotations"),
                                        "kargo.akuity.io/stage", sname);
                cJSON *ps = cJSON_AddObjectToObject(pr, "spec");
                cJSON_AddStringToObject(ps, "stage", sname);
                cJSON_AddStringToObject(ps, "freight", fr[i].name);
                cJSON_AddItemToObject(ps, "steps", steps_for(pi));
                cJSON *pst = cJSON_AddObjectToObject(pr, "status");
                cJSON_AddStringToObject(pst, "phase", "Succeeded");
                add_time(pst, "startedAt", start);
                add_time(pst, "finishedAt", done);
                cJSON_AddNumberToObject(pst, "currentStep", 4);
                cJSON_AddItemToObject(pst, "freight", freight_ref(&fr[i], wh, repo, 1));
                cJSON *sem = cJSON_AddArrayToObject(pst, "stepExecutionMetadata");
                for (int s = 0; s < 5; s++) {
                    cJSON *e = cJSON_CreateObject();
                    char alias[16];
                    snprintf(alias, sizeof(alias), "step-%d", s + 1);
                    cJSON_AddStringToObject(e, "alias", alias);
                    add_time(e, "startedAt", start + s * step_s);
                    add_time(e, "finishedAt", start + (s + 1) * step_s);
                    cJSON_AddStringToObject(e, "status", "Succeeded");
                    cJSON_AddItemToArray(sem, e);
                }
                emit(ctx, pr);
                count++;
            }
        }
        for (int i = 0; i < nf; i++) {
            cJSON *f = kobj("Freight", ns, fr[i].name);
            char *alias = xasprintf("%s-build-%d", wh, i);
            cJSON_AddStringToObject(
                cJSON_AddObjectToObject(cJSON_GetObjectItem(f, "metadata"), "labels"),
                "kargo.akuity.io/alias", alias);
            cJSON_AddStringToObject(f, "alias", alias);
            free(alias);
            add_time(f, "discoveredAt", fr[i].at);
            cJSON_AddItemToObject(f, "origin", origin(wh));
            cJSON *ref = freight_ref(&fr[i], wh, repo, 1);
            cJSON_AddItemToObject(f, "images", cJSON_DetachItemFromObject(ref, "images"));
            cJSON_Delete(ref);
            if (freight_status[i]->child != NULL)
                cJSON_AddItemToObject(f, "status", freight_status[i]);
            else
                cJSON_Delete(freight_status[i]);
            emit(ctx, f);
            count++;
        }
        free(freight_status);
        free(fr);
    }
    return count;
}
