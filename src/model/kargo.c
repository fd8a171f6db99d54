/* Decoders from the API's JSON to the model's structs. Every helper takes the decoding context
 * so the first type error is remembered with the field's name and decoding carries on safely;
 * the object is discarded at the end if anything was wrong. Each object is built in the
 * context's arena and handed out as one block (model/arena.h): the kargo_free_*() functions are
 * one free(). Words that recur in every object (phases, step names, "Warehouse") point at
 * constants instead of copies. */
#include "model/kargo.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/arena.h"
#include "util/strbuf.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

struct dec {
    char *err;
    const char *kind;
    struct arena ar;
};

static void dec_fail(struct dec *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void dec_fail(struct dec *d, const char *fmt, ...)
{
    if (d->err != NULL)
        return;
    va_list ap;
    va_start(ap, fmt);
    d->err = xvasprintf(fmt, ap);
    va_end(ap);
}

static const char *json_type_name(const cJSON *n)
{
    if (cJSON_IsString(n))
        return "a string";
    if (cJSON_IsNumber(n))
        return "a number";
    if (cJSON_IsBool(n))
        return "a boolean";
    if (cJSON_IsArray(n))
        return "a list";
    if (cJSON_IsObject(n))
        return "an object";
    return "null";
}

/* Values that recur across thousands of objects (sorted for bsearch): phases and statuses,
 * condition words, origin kinds, subscription types and Kargo's built-in step names. */
static const char *const vocabulary[] = {
    "Aborted",
    "Degraded",
    "Error",
    "Errored",
    "Failed",
    "Failure",
    "False",
    "Freight",
    "Healthy",
    "Inconclusive",
    "Missing",
    "NotApplicable",
    "Pending",
    "Progressing",
    "Promoting",
    "Promotion",
    "Ready",
    "Reconciling",
    "Running",
    "Skipped",
    "Stage",
    "Steady",
    "Succeeded",
    "Successful",
    "Suspended",
    "True",
    "Unhealthy",
    "Unknown",
    "Verified",
    "Verifying",
    "Warehouse",
    "argocd-update",
    "chart",
    "compose-output",
    "copy",
    "delete",
    "git",
    "git-clear",
    "git-clone",
    "git-commit",
    "git-merge-pr",
    "git-open-pr",
    "git-push",
    "git-wait-for-pr",
    "helm-template",
    "helm-update-chart",
    "helm-update-image",
    "http",
    "image",
    "json-parse",
    "json-update",
    "kustomize-build",
    "kustomize-set-image",
    "oci-download",
    "send-message",
    "set-metadata",
    "untar",
    "yaml-parse",
    "yaml-update",
};

/* The aliases Kargo gives steps without `as` ("step-<i+1>"), as constants. */
static const char *const step_aliases[] = {
    "step-1",  "step-2",  "step-3",  "step-4",  "step-5",  "step-6",  "step-7",  "step-8",
    "step-9",  "step-10", "step-11", "step-12", "step-13", "step-14", "step-15", "step-16",
    "step-17", "step-18", "step-19", "step-20", "step-21", "step-22", "step-23", "step-24",
};
#define N_STEP_ALIASES (sizeof step_aliases / sizeof step_aliases[0])

static int vocab_cmp(const void *key, const void *elem)
{
    return strcmp(key, *(const char *const *)elem);
}

/* The constant equal to s, or NULL. */
static const char *vocab_word(const char *s)
{
    if (strncmp(s, "step-", 5) == 0) {
        const char *num = s + 5;
        size_t i = 0;
        if (*num >= '1' && *num <= '9') {
            while (*num >= '0' && *num <= '9' && i <= N_STEP_ALIASES)
                i = i * 10 + (size_t)(*num++ - '0');
            if (*num == '\0' && i >= 1 && i <= N_STEP_ALIASES)
                return step_aliases[i - 1];
        }
        return NULL;
    }
    const char *const *w = bsearch(s, vocabulary, sizeof vocabulary / sizeof vocabulary[0],
                                   sizeof vocabulary[0], vocab_cmp);
    return w ? *w : NULL;
}

/* s into *slot: the shared constant when s is a common word, else a copy in the arena. */
static void dec_keep_word(struct dec *d, char **slot, const char *s)
{
    const char *w = s ? vocab_word(s) : NULL;
    if (w != NULL)
        arena_set(&d->ar, slot, w);
    else
        arena_strdup(&d->ar, slot, s);
}

/* The member key of obj; NULL when obj is not an object, the key is absent or null. */
static const cJSON *dec_member(const cJSON *obj, const char *key)
{
    if (!cJSON_IsObject(obj))
        return NULL;
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNull(n) ? NULL : n;
}

static const cJSON *dec_obj(struct dec *d, const cJSON *obj, const char *key)
{
    const cJSON *n = dec_member(obj, key);
    if (n != NULL && !cJSON_IsObject(n)) {
        dec_fail(d, "field \"%s\" should be an object, not %s", key, json_type_name(n));
        return NULL;
    }
    return n;
}

static const cJSON *dec_arr(struct dec *d, const cJSON *obj, const char *key)
{
    const cJSON *n = dec_member(obj, key);
    if (n != NULL && !cJSON_IsArray(n)) {
        dec_fail(d, "field \"%s\" should be a list, not %s", key, json_type_name(n));
        return NULL;
    }
    return n;
}

static const char *dec_cstr(struct dec *d, const cJSON *obj, const char *key)
{
    const cJSON *n = dec_member(obj, key);
    if (n == NULL)
        return NULL;
    if (!cJSON_IsString(n)) {
        dec_fail(d, "field \"%s\" should be a string, not %s", key, json_type_name(n));
        return NULL;
    }
    return n->valuestring;
}

/* The string at key copied into *slot (NULL when absent); returns it. */
static char *dec_str(struct dec *d, const cJSON *obj, const char *key, char **slot)
{
    return arena_strdup(&d->ar, slot, dec_cstr(d, obj, key));
}

/* The same for a field whose values mostly come from the vocabulary. */
static void dec_word(struct dec *d, const cJSON *obj, const char *key, char **slot)
{
    dec_keep_word(d, slot, dec_cstr(d, obj, key));
}

static bool dec_bool(struct dec *d, const cJSON *obj, const char *key)
{
    const cJSON *n = dec_member(obj, key);
    if (n == NULL)
        return false;
    if (!cJSON_IsBool(n)) {
        dec_fail(d, "field \"%s\" should be a boolean, not %s", key, json_type_name(n));
        return false;
    }
    return cJSON_IsTrue(n);
}

static long dec_long(struct dec *d, const cJSON *obj, const char *key, long dflt)
{
    const cJSON *n = dec_member(obj, key);
    if (n == NULL)
        return dflt;
    if (!cJSON_IsNumber(n)) {
        dec_fail(d, "field \"%s\" should be a number, not %s", key, json_type_name(n));
        return dflt;
    }
    /* Converting a double outside long's range is undefined behaviour (found by fuzzing). */
    if (!(n->valuedouble >= -2147483648.0 && n->valuedouble <= 2147483647.0)) {
        dec_fail(d, "field \"%s\" is out of range", key);
        return dflt;
    }
    return (long)n->valuedouble;
}

static time_t dec_time(struct dec *d, const cJSON *obj, const char *key)
{
    const char *s = dec_cstr(d, obj, key);
    time_t t = 0;
    char *why = NULL;
    if (s == NULL || *s == '\0')
        return 0;
    if (timefmt_parse_rfc3339(s, &t, &why) != 0) {
        dec_fail(d, "field \"%s\": %s", key, why);
        free(why);
        return 0;
    }
    return t;
}

static long long dec_duration(struct dec *d, const cJSON *obj, const char *key)
{
    const char *s = dec_cstr(d, obj, key);
    long long ms = 0;
    char *why = NULL;
    if (s == NULL || *s == '\0')
        return 0;
    if (timefmt_parse_duration(s, &ms, &why) != 0) {
        dec_fail(d, "field \"%s\": %s", key, why);
        free(why);
        return 0;
    }
    return ms;
}

/* Number of children of a list (0 for NULL). */
static size_t dec_len(const cJSON *arr)
{
    return arr ? (size_t)cJSON_GetArraySize(arr) : 0;
}

static void origin_set(struct dec *d, struct kargo_origin *o, const char *kind, const char *name)
{
    dec_keep_word(d, &o->kind, kind && *kind ? kind : "Warehouse");
    arena_strdup(&d->ar, &o->name, name ? name : "");
    arena_concat(&d->ar, &o->key, o->kind, "/", o->name);
}

static void dec_origin(struct dec *d, const cJSON *obj, const char *key, struct kargo_origin *o)
{
    const cJSON *n = dec_obj(d, obj, key);
    if (n == NULL)
        return;
    origin_set(d, o, dec_cstr(d, n, "kind"), dec_cstr(d, n, "name"));
}

static void dec_conditions(struct dec *d, const cJSON *status, struct kargo_condition **out,
                           size_t *n)
{
    const cJSON *arr = dec_arr(d, status, "conditions");
    *n = 0;
    if (arena_array(&d->ar, out, dec_len(arr), sizeof **out) == NULL)
        return;
    const cJSON *c;
    cJSON_ArrayForEach(c, arr)
    {
        if (!cJSON_IsObject(c)) {
            dec_fail(d, "a condition should be an object, not %s", json_type_name(c));
            continue;
        }
        struct kargo_condition *k = &(*out)[(*n)++];
        dec_word(d, c, "type", &k->type);
        dec_word(d, c, "status", &k->status);
        dec_word(d, c, "reason", &k->reason);
        dec_str(d, c, "message", &k->message);
        k->since = dec_time(d, c, "lastTransitionTime");
    }
}

/* Calls each(d, element, slot) for every object in the list at key, into a new array stored in
 * *out. */
static void dec_list(struct dec *d, const cJSON *obj, const char *key, void *out, size_t elem,
                     size_t *n, void (*each)(struct dec *, const cJSON *, void *))
{
    const cJSON *arr = dec_arr(d, obj, key);
    *n = 0;
    char *a = arena_array(&d->ar, out, dec_len(arr), elem);
    if (a == NULL)
        return;
    const cJSON *e;
    cJSON_ArrayForEach(e, arr)
    {
        if (!cJSON_IsObject(e)) {
            dec_fail(d, "an element of \"%s\" should be an object, not %s", key, json_type_name(e));
            continue;
        }
        each(d, e, a + elem * (*n)++);
    }
}

static void dec_image(struct dec *d, const cJSON *o, void *slot)
{
    struct kargo_image *i = slot;
    dec_str(d, o, "repoURL", &i->repo_url);
    dec_str(d, o, "tag", &i->tag);
    dec_str(d, o, "digest", &i->digest);
}

static void dec_chart(struct dec *d, const cJSON *o, void *slot)
{
    struct kargo_chart *c = slot;
    dec_str(d, o, "repoURL", &c->repo_url);
    dec_str(d, o, "name", &c->name);
    dec_str(d, o, "version", &c->version);
}

static void dec_commit(struct dec *d, const cJSON *o, void *slot)
{
    struct kargo_commit *c = slot;
    dec_str(d, o, "repoURL", &c->repo_url);
    dec_str(d, o, "id", &c->id);
    dec_str(d, o, "branch", &c->branch);
    dec_str(d, o, "tag", &c->tag);
    dec_str(d, o, "message", &c->message);
    dec_str(d, o, "author", &c->author);
}

static void dec_generic(struct dec *d, const cJSON *o, void *slot)
{
    struct kargo_generic_artifact *g = slot;
    dec_str(d, o, "artifactType", &g->type);
    dec_str(d, o, "subscriptionName", &g->subscription);
    dec_str(d, o, "version", &g->version);
}

static void dec_artifacts(struct dec *d, const cJSON *o, struct kargo_artifacts *a)
{
    dec_list(d, o, "images", &a->images, sizeof *a->images, &a->n_images, dec_image);
    dec_list(d, o, "charts", &a->charts, sizeof *a->charts, &a->n_charts, dec_chart);
    dec_list(d, o, "commits", &a->commits, sizeof *a->commits, &a->n_commits, dec_commit);
    dec_list(d, o, "artifacts", &a->generic, sizeof *a->generic, &a->n_generic, dec_generic);
}

/* A FreightReference object; origin_key supplies the origin when the reference omits it (the
 * key of the items map it came from). Without artifacts, only the name and origin are kept. */
static void dec_freight_ref(struct dec *d, const cJSON *o, const char *origin_key, bool artifacts,
                            struct kargo_freight_ref *r)
{
    dec_str(d, o, "name", &r->name);
    dec_origin(d, o, "origin", &r->origin);
    if (r->origin.key == NULL && origin_key != NULL) {
        const char *slash = strchr(origin_key, '/');
        char *kind = slash ? xstrndup(origin_key, (size_t)(slash - origin_key)) : NULL;
        origin_set(d, &r->origin, kind, slash ? slash + 1 : origin_key);
        free(kind);
    }
    if (r->origin.key == NULL)
        origin_set(d, &r->origin, NULL, NULL);
    if (artifacts)
        dec_artifacts(d, o, &r->artifacts);
}

static int ref_cmp_origin(const void *a, const void *b)
{
    const struct kargo_freight_ref *x = a, *y = b;
    return strcmp(x->origin.key, y->origin.key);
}

static void dec_verification(struct dec *d, const cJSON *o, void *slot)
{
    struct kargo_verification *v = slot;
    dec_str(d, o, "id", &v->id);
    dec_str(d, o, "actor", &v->actor);
    dec_word(d, o, "phase", &v->phase);
    dec_str(d, o, "message", &v->message);
    v->started = dec_time(d, o, "startTime");
    v->finished = dec_time(d, o, "finishTime");
    dec_str(d, dec_obj(d, o, "analysisRun"), "name", &v->analysis_run);
}

static void dec_collection(struct dec *d, const cJSON *o, void *slot)
{
    struct kargo_freight_collection *c = slot;
    dec_str(d, o, "id", &c->id);
    const cJSON *items = dec_obj(d, o, "items");
    size_t n = items ? (size_t)cJSON_GetArraySize(items) : 0;
    if (arena_array(&d->ar, &c->items, n, sizeof *c->items) != NULL) {
        const cJSON *it;
        cJSON_ArrayForEach(it, items)
        {
            if (!cJSON_IsObject(it)) {
                dec_fail(d, "freight history item \"%s\" should be an object", it->string);
                continue;
            }
            dec_freight_ref(d, it, it->string, true, &c->items[c->n_items++]);
        }
        /* the API's map order is arbitrary (kargo#7137): sort for stable output */
        qsort(c->items, c->n_items, sizeof *c->items, ref_cmp_origin);
    }
    dec_list(d, o, "verificationHistory", &c->verifications, sizeof *c->verifications,
             &c->n_verifications, dec_verification);
}

static void dec_promotion_ref(struct dec *d, const cJSON *o, struct kargo_promotion_ref *r)
{
    if (o == NULL)
        return;
    dec_str(d, o, "name", &r->name);
    const cJSON *f = dec_obj(d, o, "freight");
    if (f != NULL)
        dec_freight_ref(d, f, NULL, true, &r->freight);
    dec_word(d, dec_obj(d, o, "status"), "phase", &r->phase);
    r->finished = dec_time(d, o, "finishedAt");
}

static void dec_request(struct dec *d, const cJSON *o, void *slot)
{
    struct kargo_freight_request *r = slot;
    dec_origin(d, o, "origin", &r->origin);
    if (r->origin.key == NULL) {
        dec_fail(d, "a requestedFreight entry has no origin");
        origin_set(d, &r->origin, NULL, NULL);
    }
    const cJSON *src = dec_obj(d, o, "sources");
    r->direct = dec_bool(d, src, "direct");
    const cJSON *stages = dec_arr(d, src, "stages");
    if (arena_array(&d->ar, &r->stages, dec_len(stages), sizeof *r->stages) != NULL) {
        const cJSON *s;
        cJSON_ArrayForEach(s, stages)
        {
            if (!cJSON_IsString(s)) {
                dec_fail(d, "sources.stages should list names, not %s", json_type_name(s));
                continue;
            }
            arena_strdup(&d->ar, &r->stages[r->n_stages++], s->valuestring);
        }
    }
    r->soak_ms = dec_duration(d, src, "requiredSoakTime");
    const char *strategy = dec_cstr(d, src, "availabilityStrategy");
    r->all = strategy != NULL && strcmp(strategy, "All") == 0;
    const char *policy = dec_cstr(d, dec_obj(d, src, "autoPromotionOptions"), "selectionPolicy");
    r->match_upstream = policy != NULL && strcmp(policy, "MatchUpstream") == 0;
}

static int hold_cmp(const void *a, const void *b)
{
    const struct kargo_hold *x = a, *y = b;
    return strcmp(x->origin_key, y->origin_key);
}

static void dec_holds(struct dec *d, const cJSON *o, struct kargo_hold **out, size_t *n)
{
    *n = 0;
    if (arena_array(&d->ar, out, dec_len(o), sizeof **out) == NULL)
        return;
    const cJSON *h;
    cJSON_ArrayForEach(h, o)
    {
        if (!cJSON_IsObject(h)) {
            dec_fail(d, "auto-promotion hold \"%s\" should be an object", h->string);
            continue;
        }
        struct kargo_hold *k = &(*out)[(*n)++];
        arena_strdup(&d->ar, &k->origin_key, h->string);
        dec_str(d, h, "freightName", &k->freight);
        dec_str(d, h, "promotionName", &k->promotion);
        dec_str(d, h, "actor", &k->actor);
        k->created = dec_time(d, h, "createdAt");
    }
    qsort(*out, *n, sizeof **out, hold_cmp);
}

/* Starts an object of size bytes in a fresh arena: the struct the decoder fills. */
static void *dec_begin(struct dec *d, const char *kind, size_t size)
{
    d->err = NULL;
    d->kind = kind;
    arena_init(&d->ar);
    return arena_root(&d->ar, size);
}

/* metadata.name is the one field every object must have: the store keys on it. */
static const cJSON *dec_metadata(struct dec *d, const cJSON *obj, char **name, char **ns,
                                 time_t *created)
{
    if (!cJSON_IsObject(obj)) {
        dec_fail(d, "a %s should be a JSON object, not %s", d->kind, json_type_name(obj));
        return NULL;
    }
    const cJSON *md = dec_obj(d, obj, "metadata");
    const char *n = dec_cstr(d, md, "name");
    if (d->err != NULL)
        return NULL;
    if (n == NULL || *n == '\0') {
        dec_fail(d, "a %s has no metadata.name", d->kind);
        return NULL;
    }
    arena_strdup(&d->ar, name, n);
    if (ns != NULL)
        dec_str(d, md, "namespace", ns);
    *created = dec_time(d, md, "creationTimestamp");
    return md;
}

static char *dec_annotation(struct dec *d, const cJSON *md, const char *key, char **slot)
{
    return dec_str(d, dec_obj(d, md, "annotations"), key, slot);
}

static const char *dec_annotation_cstr(struct dec *d, const cJSON *md, const char *key)
{
    return dec_cstr(d, dec_obj(d, md, "annotations"), key);
}

/* Hands the object back as one block, or discards it and reports the first error with the
 * object's name. */
static void *dec_finish(struct dec *d, const char *name, char **cause)
{
    if (d->err == NULL)
        return arena_finish(&d->ar);
    if (name != NULL)
        cause_set(cause, "%s \"%s\": %s", d->kind, name, d->err);
    else
        cause_set(cause, "%s", d->err);
    free(d->err);
    d->err = NULL;
    arena_discard(&d->ar);
    return NULL;
}

static void topology_key(struct dec *d, struct kargo_stage *s)
{
    struct strbuf sb;
    strbuf_init(&sb);
    for (size_t i = 0; i < s->n_requests; i++) {
        const struct kargo_freight_request *r = &s->requests[i];
        strbuf_append(&sb, r->origin.key);
        if (r->direct)
            strbuf_append(&sb, "+direct");
        for (size_t j = 0; j < r->n_stages; j++)
            strbuf_appendf(&sb, "<%s", r->stages[j]);
        strbuf_append_char(&sb, ';');
    }
    char *key = strbuf_detach(&sb);
    arena_strdup(&d->ar, &s->topology_key, key);
    free(key);
}

struct kargo_stage *kargo_decode_stage(const cJSON *obj, char **cause)
{
    struct dec d;
    struct kargo_stage *s = dec_begin(&d, "Stage", sizeof *s);
    const cJSON *md = dec_metadata(&d, obj, &s->name, &s->namespace, &s->created);
    if (md == NULL)
        return dec_finish(&d, NULL, cause);

    dec_annotation(&d, md, "kargo.akuity.io/color", &s->color);
    dec_annotation(&d, md, "kargo.akuity.io/description", &s->description);
    dec_annotation(&d, md, "kargo.akuity.io/refresh", &s->refresh);

    const cJSON *spec = dec_obj(&d, obj, "spec");
    dec_str(&d, spec, "shard", &s->shard);
    dec_list(&d, spec, "requestedFreight", &s->requests, sizeof *s->requests, &s->n_requests,
             dec_request);
    const cJSON *tmpl = dec_obj(&d, dec_obj(&d, spec, "promotionTemplate"), "spec");
    s->n_steps = dec_len(dec_arr(&d, tmpl, "steps"));
    s->control_flow = s->n_steps == 0;
    s->has_verification =
        dec_len(dec_arr(&d, dec_obj(&d, spec, "verification"), "analysisTemplates")) > 0;

    const cJSON *st = dec_obj(&d, obj, "status");
    dec_conditions(&d, st, &s->conditions, &s->n_conditions);
    dec_str(&d, st, "lastHandledRefresh", &s->last_handled_refresh);
    dec_word(&d, dec_obj(&d, st, "health"), "status", &s->health);
    dec_str(&d, st, "freightSummary", &s->freight_summary);
    dec_list(&d, st, "freightHistory", &s->history, sizeof *s->history, &s->n_history,
             dec_collection);
    dec_promotion_ref(&d, dec_obj(&d, st, "currentPromotion"), &s->current_promotion);
    dec_promotion_ref(&d, dec_obj(&d, st, "lastPromotion"), &s->last_promotion);
    s->auto_promotion_enabled = dec_bool(&d, st, "autoPromotionEnabled");
    dec_holds(&d, dec_obj(&d, st, "effectiveAutoPromotionHolds"), &s->holds, &s->n_holds);
    topology_key(&d, s);
    return dec_finish(&d, s->name, cause);
}

void kargo_free_stage(struct kargo_stage *s)
{
    free(s);
}

static int mark_cmp(const void *a, const void *b)
{
    const struct kargo_stage_mark *x = a, *y = b;
    return strcmp(x->stage, y->stage);
}

/* A status map stage -> {<time_key>, longestSoak}; entries may be empty objects (pre-v1.2). */
static void dec_marks(struct dec *d, const cJSON *status, const char *key, const char *time_key,
                      struct kargo_stage_mark **out, size_t *n)
{
    const cJSON *m = dec_obj(d, status, key);
    *n = 0;
    if (arena_array(&d->ar, out, dec_len(m), sizeof **out) == NULL)
        return;
    const cJSON *e;
    cJSON_ArrayForEach(e, m)
    {
        if (!cJSON_IsObject(e) && !cJSON_IsNull(e)) {
            dec_fail(d, "%s.%s should be an object, not %s", key, e->string, json_type_name(e));
            continue;
        }
        struct kargo_stage_mark *k = &(*out)[(*n)++];
        arena_strdup(&d->ar, &k->stage, e->string);
        k->at = dec_time(d, e, time_key);
        k->soak_ms = dec_duration(d, e, "longestSoak");
    }
    qsort(*out, *n, sizeof **out, mark_cmp);
}

struct kargo_freight *kargo_decode_freight(const cJSON *obj, char **cause)
{
    struct dec d;
    struct kargo_freight *f = dec_begin(&d, "Freight", sizeof *f);
    const cJSON *md = dec_metadata(&d, obj, &f->ref.name, &f->namespace, &f->created);
    if (md == NULL)
        return dec_finish(&d, NULL, cause);
    const char *alias = dec_cstr(&d, obj, "alias");
    if (alias == NULL)
        alias = dec_cstr(&d, dec_obj(&d, md, "labels"), "kargo.akuity.io/alias");
    arena_strdup(&d.ar, &f->alias, alias);
    f->discovered = dec_time(&d, obj, "discoveredAt");
    if (f->discovered == 0)
        f->discovered = f->created;
    dec_origin(&d, obj, "origin", &f->ref.origin);
    if (f->ref.origin.key == NULL)
        origin_set(&d, &f->ref.origin, NULL, NULL);
    dec_artifacts(&d, obj, &f->ref.artifacts);
    const cJSON *st = dec_obj(&d, obj, "status");
    dec_marks(&d, st, "currentlyIn", "since", &f->current_in, &f->n_current_in);
    dec_marks(&d, st, "verifiedIn", "verifiedAt", &f->verified_in, &f->n_verified_in);
    dec_marks(&d, st, "approvedFor", "approvedAt", &f->approved_for, &f->n_approved_for);
    return dec_finish(&d, f->ref.name, cause);
}

void kargo_free_freight(struct kargo_freight *f)
{
    free(f);
}

static void dec_step_run(struct dec *d, const cJSON *o, void *slot)
{
    struct kargo_step_run *r = slot;
    dec_word(d, o, "alias", &r->alias);
    dec_word(d, o, "status", &r->status);
    dec_str(d, o, "message", &r->message);
    r->started = dec_time(d, o, "startedAt");
    r->finished = dec_time(d, o, "finishedAt");
    r->error_count = dec_long(d, o, "errorCount", 0);
}

struct kargo_promotion *kargo_decode_promotion(const cJSON *obj, char **cause)
{
    struct dec d;
    struct kargo_promotion *p = dec_begin(&d, "Promotion", sizeof *p);
    p->current_step = -1;
    const cJSON *md = dec_metadata(&d, obj, &p->name, &p->namespace, &p->created);
    if (md == NULL)
        return dec_finish(&d, NULL, cause);
    dec_annotation(&d, md, "kargo.akuity.io/create-actor", &p->create_actor);
    dec_annotation(&d, md, "kargo.akuity.io/auto-promotion-hold", &p->hold_origin);
    dec_annotation(&d, md, "kargo.akuity.io/auto-promotion-resume", &p->resume_origin);
    p->abort_requested = dec_annotation_cstr(&d, md, "kargo.akuity.io/abort") != NULL;
    const char *rollback = dec_annotation_cstr(&d, md, "kargo.akuity.io/rollback");
    p->rollback = rollback != NULL && strcmp(rollback, "true") == 0;

    const cJSON *spec = dec_obj(&d, obj, "spec");
    dec_str(&d, spec, "stage", &p->stage);
    dec_str(&d, spec, "freight", &p->freight);
    dec_origin(&d, spec, "origin", &p->origin);
    const cJSON *steps = dec_arr(&d, spec, "steps");
    if (arena_array(&d.ar, &p->steps, dec_len(steps), sizeof *p->steps) != NULL) {
        const cJSON *s;
        cJSON_ArrayForEach(s, steps)
        {
            if (!cJSON_IsObject(s)) {
                dec_fail(&d, "a promotion step should be an object, not %s", json_type_name(s));
                continue;
            }
            struct kargo_step *k = &p->steps[p->n_steps];
            dec_word(&d, s, "uses", &k->uses);
            dec_word(&d, s, "as", &k->alias);
            if (k->alias == NULL) {
                char alias[32];
                snprintf(alias, sizeof alias, "%s-%zu", dec_member(s, "task") ? "task" : "step",
                         p->n_steps + 1);
                dec_keep_word(&d, &k->alias, alias);
            }
            p->n_steps++;
        }
    }

    const cJSON *st = dec_obj(&d, obj, "status");
    dec_word(&d, st, "phase", &p->phase);
    if (p->phase == NULL)
        arena_set(&d.ar, &p->phase, "");
    dec_str(&d, st, "message", &p->message);
    p->current_step = dec_long(&d, st, "currentStep", -1);
    p->started = dec_time(&d, st, "startedAt");
    p->finished = dec_time(&d, st, "finishedAt");
    const cJSON *sf = dec_obj(&d, st, "freight");
    if (sf != NULL) {
        /* the views read only its name (the Freight itself holds the artifacts) */
        dec_freight_ref(&d, sf, NULL, false, &p->status_freight);
        if (p->status_freight.name != NULL && p->freight != NULL &&
            strcmp(p->status_freight.name, p->freight) == 0)
            arena_set(&d.ar, &p->status_freight.name, p->freight);
    }
    dec_list(&d, st, "stepExecutionMetadata", &p->runs, sizeof *p->runs, &p->n_runs, dec_step_run);
    return dec_finish(&d, p->name, cause);
}

void kargo_free_promotion(struct kargo_promotion *p)
{
    free(p);
}

struct kargo_warehouse *kargo_decode_warehouse(const cJSON *obj, char **cause)
{
    struct dec d;
    struct kargo_warehouse *w = dec_begin(&d, "Warehouse", sizeof *w);
    const cJSON *md = dec_metadata(&d, obj, &w->name, &w->namespace, &w->created);
    if (md == NULL)
        return dec_finish(&d, NULL, cause);
    dec_annotation(&d, md, "kargo.akuity.io/color", &w->color);
    dec_annotation(&d, md, "kargo.akuity.io/description", &w->description);
    dec_annotation(&d, md, "kargo.akuity.io/refresh", &w->refresh);
    const cJSON *spec = dec_obj(&d, obj, "spec");
    dec_str(&d, spec, "interval", &w->interval);
    dec_str(&d, spec, "freightCreationPolicy", &w->creation_policy);
    const cJSON *subs = dec_arr(&d, spec, "subscriptions");
    if (arena_array(&d.ar, &w->subscriptions, dec_len(subs), sizeof *w->subscriptions) != NULL) {
        const cJSON *s;
        cJSON_ArrayForEach(s, subs)
        {
            if (!cJSON_IsObject(s)) {
                dec_fail(&d, "a subscription should be an object, not %s", json_type_name(s));
                continue;
            }
            /* exactly one type key beside an optional name (generic subscriptions) */
            const cJSON *body = NULL;
            const cJSON *m;
            cJSON_ArrayForEach(m, s)
            {
                if (strcmp(m->string, "name") != 0 && cJSON_IsObject(m)) {
                    body = m;
                    break;
                }
            }
            struct kargo_subscription *k = &w->subscriptions[w->n_subscriptions++];
            dec_keep_word(&d, &k->type, body ? body->string : "unknown");
            dec_str(&d, body, "repoURL", &k->repo_url);
            dec_str(&d, body, "name", &k->name);
            if (k->name == NULL)
                dec_str(&d, s, "name", &k->name);
        }
    }
    const cJSON *st = dec_obj(&d, obj, "status");
    dec_conditions(&d, st, &w->conditions, &w->n_conditions);
    dec_str(&d, st, "lastFreightID", &w->last_freight);
    dec_str(&d, st, "lastHandledRefresh", &w->last_handled_refresh);
    return dec_finish(&d, w->name, cause);
}

void kargo_free_warehouse(struct kargo_warehouse *w)
{
    free(w);
}

struct kargo_project *kargo_decode_project(const cJSON *obj, char **cause)
{
    struct dec d;
    struct kargo_project *p = dec_begin(&d, "Project", sizeof *p);
    if (dec_metadata(&d, obj, &p->name, NULL, &p->created) == NULL)
        return dec_finish(&d, NULL, cause);
    dec_conditions(&d, dec_obj(&d, obj, "status"), &p->conditions, &p->n_conditions);
    return dec_finish(&d, p->name, cause);
}

void kargo_free_project(struct kargo_project *p)
{
    free(p);
}

static void dec_policy(struct dec *d, const cJSON *o, void *slot)
{
    struct kargo_policy *p = slot;
    const cJSON *sel = dec_obj(d, o, "stageSelector");
    dec_str(d, o, "stage", &p->stage);
    if (p->stage == NULL)
        dec_str(d, sel, "name", &p->stage);
    p->by_labels =
        dec_member(sel, "matchLabels") != NULL || dec_member(sel, "matchExpressions") != NULL;
    p->auto_promotion = dec_bool(d, o, "autoPromotionEnabled");
}

struct kargo_project_config *kargo_decode_project_config(const cJSON *obj, char **cause)
{
    struct dec d;
    struct kargo_project_config *c = dec_begin(&d, "ProjectConfig", sizeof *c);
    time_t created;
    if (dec_metadata(&d, obj, &c->name, &c->namespace, &created) == NULL)
        return dec_finish(&d, NULL, cause);
    dec_list(&d, dec_obj(&d, obj, "spec"), "promotionPolicies", &c->policies, sizeof *c->policies,
             &c->n_policies, dec_policy);
    return dec_finish(&d, c->name, cause);
}

void kargo_free_project_config(struct kargo_project_config *c)
{
    free(c);
}

struct kargo_event *kargo_decode_event(const cJSON *obj, char **cause)
{
    struct dec d;
    struct kargo_event *e = dec_begin(&d, "Event", sizeof *e);
    time_t created;
    const cJSON *md = dec_metadata(&d, obj, &e->name, &e->namespace, &created);
    if (md == NULL)
        return dec_finish(&d, NULL, cause);
    dec_word(&d, obj, "type", &e->type);
    dec_str(&d, obj, "reason", &e->reason);
    dec_str(&d, obj, "message", &e->message);
    const cJSON *inv = dec_obj(&d, obj, "involvedObject");
    dec_word(&d, inv, "kind", &e->object_kind);
    dec_str(&d, inv, "name", &e->object_name);
    e->count = dec_long(&d, obj, "count", 1);
    e->at = dec_time(&d, obj, "lastTimestamp");
    if (e->at == 0)
        e->at = dec_time(&d, obj, "eventTime");
    if (e->at == 0)
        e->at = dec_time(&d, obj, "firstTimestamp");
    if (e->at == 0)
        e->at = created;
    dec_annotation(&d, md, "event.kargo.akuity.io/actor", &e->actor);
    dec_annotation(&d, md, "event.kargo.akuity.io/stage-name", &e->stage);
    dec_annotation(&d, md, "event.kargo.akuity.io/freight-name", &e->freight);
    dec_annotation(&d, md, "event.kargo.akuity.io/freight-alias", &e->freight_alias);
    dec_annotation(&d, md, "event.kargo.akuity.io/promotion-name", &e->promotion);
    return dec_finish(&d, e->name, cause);
}

void kargo_free_event(struct kargo_event *e)
{
    free(e);
}

const struct kargo_condition *kargo_condition(const struct kargo_condition *conds, size_t n,
                                              const char *type)
{
    for (size_t i = 0; i < n; i++)
        if (conds[i].type != NULL && strcmp(conds[i].type, type) == 0)
            return &conds[i];
    return NULL;
}

const struct kargo_stage_mark *kargo_stage_mark(const struct kargo_stage_mark *marks, size_t n,
                                                const char *stage)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(marks[i].stage, stage) == 0)
            return &marks[i];
    return NULL;
}

bool kargo_promotion_terminal(const char *phase)
{
    static const char *const terminal[] = {"Succeeded", "Failed", "Errored", "Aborted"};
    if (phase == NULL)
        return false;
    for (size_t i = 0; i < sizeof terminal / sizeof terminal[0]; i++)
        if (strcmp(phase, terminal[i]) == 0)
            return true;
    return false;
}
