/* Decoders from the API's JSON to the model's structs. Every helper takes the decoding context
 * so the first type error is remembered with the field's name and decoding carries on safely;
 * the object is discarded at the end if anything was wrong. */
#include "model/kargo.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

struct dec {
    char *err;
    const char *kind;
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

static char *dec_str(struct dec *d, const cJSON *obj, const char *key)
{
    const char *s = dec_cstr(d, obj, key);
    return s ? xstrdup(s) : NULL;
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

static void origin_set(struct kargo_origin *o, const char *kind, const char *name)
{
    o->kind = xstrdup(kind && *kind ? kind : "Warehouse");
    o->name = xstrdup(name ? name : "");
    o->key = xasprintf("%s/%s", o->kind, o->name);
}

static void dec_origin(struct dec *d, const cJSON *obj, const char *key, struct kargo_origin *o)
{
    const cJSON *n = dec_obj(d, obj, key);
    if (n == NULL)
        return;
    origin_set(o, dec_cstr(d, n, "kind"), dec_cstr(d, n, "name"));
}

static void origin_free(struct kargo_origin *o)
{
    free(o->kind);
    free(o->name);
    free(o->key);
}

static void dec_conditions(struct dec *d, const cJSON *status, struct kargo_condition **out,
                           size_t *n)
{
    const cJSON *arr = dec_arr(d, status, "conditions");
    *out = NULL;
    *n = 0;
    if (dec_len(arr) == 0)
        return;
    *out = xcalloc(dec_len(arr), sizeof **out);
    const cJSON *c;
    cJSON_ArrayForEach(c, arr)
    {
        if (!cJSON_IsObject(c)) {
            dec_fail(d, "a condition should be an object, not %s", json_type_name(c));
            continue;
        }
        struct kargo_condition *k = &(*out)[(*n)++];
        k->type = dec_str(d, c, "type");
        k->status = dec_str(d, c, "status");
        k->reason = dec_str(d, c, "reason");
        k->message = dec_str(d, c, "message");
        k->since = dec_time(d, c, "lastTransitionTime");
    }
}

static void conditions_free(struct kargo_condition *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(c[i].type);
        free(c[i].status);
        free(c[i].reason);
        free(c[i].message);
    }
    free(c);
}

/* Calls each(d, element, slot) for every object in the list at key, into a new array. */
static void *dec_list(struct dec *d, const cJSON *obj, const char *key, size_t elem, size_t *n,
                      void (*each)(struct dec *, const cJSON *, void *))
{
    const cJSON *arr = dec_arr(d, obj, key);
    *n = 0;
    if (dec_len(arr) == 0)
        return NULL;
    char *out = xcalloc(dec_len(arr), elem);
    const cJSON *e;
    cJSON_ArrayForEach(e, arr)
    {
        if (!cJSON_IsObject(e)) {
            dec_fail(d, "an element of \"%s\" should be an object, not %s", key, json_type_name(e));
            continue;
        }
        each(d, e, out + elem * (*n)++);
    }
    return out;
}

static void dec_image(struct dec *d, const cJSON *o, void *slot)
{
    struct kargo_image *i = slot;
    i->repo_url = dec_str(d, o, "repoURL");
    i->tag = dec_str(d, o, "tag");
    i->digest = dec_str(d, o, "digest");
}

static void dec_chart(struct dec *d, const cJSON *o, void *slot)
{
    struct kargo_chart *c = slot;
    c->repo_url = dec_str(d, o, "repoURL");
    c->name = dec_str(d, o, "name");
    c->version = dec_str(d, o, "version");
}

static void dec_commit(struct dec *d, const cJSON *o, void *slot)
{
    struct kargo_commit *c = slot;
    c->repo_url = dec_str(d, o, "repoURL");
    c->id = dec_str(d, o, "id");
    c->branch = dec_str(d, o, "branch");
    c->tag = dec_str(d, o, "tag");
    c->message = dec_str(d, o, "message");
    c->author = dec_str(d, o, "author");
}

static void dec_generic(struct dec *d, const cJSON *o, void *slot)
{
    struct kargo_generic_artifact *g = slot;
    g->type = dec_str(d, o, "artifactType");
    g->subscription = dec_str(d, o, "subscriptionName");
    g->version = dec_str(d, o, "version");
}

static void dec_artifacts(struct dec *d, const cJSON *o, struct kargo_artifacts *a)
{
    a->images = dec_list(d, o, "images", sizeof *a->images, &a->n_images, dec_image);
    a->charts = dec_list(d, o, "charts", sizeof *a->charts, &a->n_charts, dec_chart);
    a->commits = dec_list(d, o, "commits", sizeof *a->commits, &a->n_commits, dec_commit);
    a->generic = dec_list(d, o, "artifacts", sizeof *a->generic, &a->n_generic, dec_generic);
}

static void artifacts_free(struct kargo_artifacts *a)
{
    for (size_t i = 0; i < a->n_images; i++) {
        free(a->images[i].repo_url);
        free(a->images[i].tag);
        free(a->images[i].digest);
    }
    free(a->images);
    for (size_t i = 0; i < a->n_charts; i++) {
        free(a->charts[i].repo_url);
        free(a->charts[i].name);
        free(a->charts[i].version);
    }
    free(a->charts);
    for (size_t i = 0; i < a->n_commits; i++) {
        struct kargo_commit *c = &a->commits[i];
        free(c->repo_url);
        free(c->id);
        free(c->branch);
        free(c->tag);
        free(c->message);
        free(c->author);
    }
    free(a->commits);
    for (size_t i = 0; i < a->n_generic; i++) {
        free(a->generic[i].type);
        free(a->generic[i].subscription);
        free(a->generic[i].version);
    }
    free(a->generic);
}

/* A FreightReference object; origin_key supplies the origin when the reference omits it (the
 * key of the items map it came from). */
static void dec_freight_ref(struct dec *d, const cJSON *o, const char *origin_key,
                            struct kargo_freight_ref *r)
{
    r->name = dec_str(d, o, "name");
    dec_origin(d, o, "origin", &r->origin);
    if (r->origin.key == NULL && origin_key != NULL) {
        const char *slash = strchr(origin_key, '/');
        char *kind = slash ? xstrndup(origin_key, (size_t)(slash - origin_key)) : NULL;
        origin_set(&r->origin, kind, slash ? slash + 1 : origin_key);
        free(kind);
    }
    if (r->origin.key == NULL)
        origin_set(&r->origin, NULL, NULL);
    dec_artifacts(d, o, &r->artifacts);
}

static void freight_ref_free(struct kargo_freight_ref *r)
{
    free(r->name);
    origin_free(&r->origin);
    artifacts_free(&r->artifacts);
}

static int ref_cmp_origin(const void *a, const void *b)
{
    const struct kargo_freight_ref *x = a, *y = b;
    return strcmp(x->origin.key, y->origin.key);
}

static void dec_verification(struct dec *d, const cJSON *o, void *slot)
{
    struct kargo_verification *v = slot;
    v->id = dec_str(d, o, "id");
    v->actor = dec_str(d, o, "actor");
    v->phase = dec_str(d, o, "phase");
    v->message = dec_str(d, o, "message");
    v->started = dec_time(d, o, "startTime");
    v->finished = dec_time(d, o, "finishTime");
    v->analysis_run = dec_str(d, dec_obj(d, o, "analysisRun"), "name");
}

static void dec_collection(struct dec *d, const cJSON *o, void *slot)
{
    struct kargo_freight_collection *c = slot;
    c->id = dec_str(d, o, "id");
    const cJSON *items = dec_obj(d, o, "items");
    size_t n = items ? (size_t)cJSON_GetArraySize(items) : 0;
    if (n > 0) {
        c->items = xcalloc(n, sizeof *c->items);
        const cJSON *it;
        cJSON_ArrayForEach(it, items)
        {
            if (!cJSON_IsObject(it)) {
                dec_fail(d, "freight history item \"%s\" should be an object", it->string);
                continue;
            }
            dec_freight_ref(d, it, it->string, &c->items[c->n_items++]);
        }
        /* the API's map order is arbitrary (kargo#7137): sort for stable output */
        qsort(c->items, c->n_items, sizeof *c->items, ref_cmp_origin);
    }
    c->verifications = dec_list(d, o, "verificationHistory", sizeof *c->verifications,
                                &c->n_verifications, dec_verification);
}

static void collection_free(struct kargo_freight_collection *c)
{
    free(c->id);
    for (size_t i = 0; i < c->n_items; i++)
        freight_ref_free(&c->items[i]);
    free(c->items);
    for (size_t i = 0; i < c->n_verifications; i++) {
        struct kargo_verification *v = &c->verifications[i];
        free(v->id);
        free(v->actor);
        free(v->phase);
        free(v->message);
        free(v->analysis_run);
    }
    free(c->verifications);
}

static void dec_promotion_ref(struct dec *d, const cJSON *o, struct kargo_promotion_ref *r)
{
    if (o == NULL)
        return;
    r->name = dec_str(d, o, "name");
    const cJSON *f = dec_obj(d, o, "freight");
    if (f != NULL)
        dec_freight_ref(d, f, NULL, &r->freight);
    r->phase = dec_str(d, dec_obj(d, o, "status"), "phase");
    r->finished = dec_time(d, o, "finishedAt");
}

static void promotion_ref_free(struct kargo_promotion_ref *r)
{
    free(r->name);
    freight_ref_free(&r->freight);
    free(r->phase);
}

static void dec_request(struct dec *d, const cJSON *o, void *slot)
{
    struct kargo_freight_request *r = slot;
    dec_origin(d, o, "origin", &r->origin);
    if (r->origin.key == NULL) {
        dec_fail(d, "a requestedFreight entry has no origin");
        origin_set(&r->origin, NULL, NULL);
    }
    const cJSON *src = dec_obj(d, o, "sources");
    r->direct = dec_bool(d, src, "direct");
    const cJSON *stages = dec_arr(d, src, "stages");
    if (dec_len(stages) > 0) {
        r->stages = xcalloc(dec_len(stages), sizeof *r->stages);
        const cJSON *s;
        cJSON_ArrayForEach(s, stages)
        {
            if (!cJSON_IsString(s)) {
                dec_fail(d, "sources.stages should list names, not %s", json_type_name(s));
                continue;
            }
            r->stages[r->n_stages++] = xstrdup(s->valuestring);
        }
    }
    r->soak_ms = dec_duration(d, src, "requiredSoakTime");
    const char *strategy = dec_cstr(d, src, "availabilityStrategy");
    r->all = strategy != NULL && strcmp(strategy, "All") == 0;
    const char *policy = dec_cstr(d, dec_obj(d, src, "autoPromotionOptions"), "selectionPolicy");
    r->match_upstream = policy != NULL && strcmp(policy, "MatchUpstream") == 0;
}

static void request_free(struct kargo_freight_request *r)
{
    origin_free(&r->origin);
    for (size_t i = 0; i < r->n_stages; i++)
        free(r->stages[i]);
    free(r->stages);
}

static int hold_cmp(const void *a, const void *b)
{
    const struct kargo_hold *x = a, *y = b;
    return strcmp(x->origin_key, y->origin_key);
}

static void dec_holds(struct dec *d, const cJSON *o, struct kargo_hold **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (o == NULL || cJSON_GetArraySize(o) == 0)
        return;
    *out = xcalloc((size_t)cJSON_GetArraySize(o), sizeof **out);
    const cJSON *h;
    cJSON_ArrayForEach(h, o)
    {
        if (!cJSON_IsObject(h)) {
            dec_fail(d, "auto-promotion hold \"%s\" should be an object", h->string);
            continue;
        }
        struct kargo_hold *k = &(*out)[(*n)++];
        k->origin_key = xstrdup(h->string);
        k->freight = dec_str(d, h, "freightName");
        k->promotion = dec_str(d, h, "promotionName");
        k->actor = dec_str(d, h, "actor");
        k->created = dec_time(d, h, "createdAt");
    }
    qsort(*out, *n, sizeof **out, hold_cmp);
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
    *name = xstrdup(n);
    if (ns != NULL)
        *ns = dec_str(d, md, "namespace");
    *created = dec_time(d, md, "creationTimestamp");
    return md;
}

static char *dec_annotation(struct dec *d, const cJSON *md, const char *key)
{
    return dec_str(d, dec_obj(d, md, "annotations"), key);
}

/* Hands the object back, or frees it and reports the first error with the object's name. */
static void *dec_finish(struct dec *d, void *obj, const char *name, void (*free_fn)(void *),
                        char **cause)
{
    if (d->err == NULL)
        return obj;
    if (name != NULL)
        cause_set(cause, "%s \"%s\": %s", d->kind, name, d->err);
    else
        cause_set(cause, "%s", d->err);
    free(d->err);
    free_fn(obj);
    return NULL;
}

static char *topology_key(const struct kargo_stage *s)
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
    return strbuf_detach(&sb);
}

static void stage_free_void(void *p)
{
    kargo_free_stage(p);
}

struct kargo_stage *kargo_decode_stage(const cJSON *obj, char **cause)
{
    struct dec d = {.kind = "Stage"};
    struct kargo_stage *s = xcalloc(1, sizeof *s);
    const cJSON *md = dec_metadata(&d, obj, &s->name, &s->namespace, &s->created);
    if (md == NULL)
        return dec_finish(&d, s, NULL, stage_free_void, cause);

    s->color = dec_annotation(&d, md, "kargo.akuity.io/color");
    s->description = dec_annotation(&d, md, "kargo.akuity.io/description");
    s->refresh = dec_annotation(&d, md, "kargo.akuity.io/refresh");

    const cJSON *spec = dec_obj(&d, obj, "spec");
    s->shard = dec_str(&d, spec, "shard");
    s->requests =
        dec_list(&d, spec, "requestedFreight", sizeof *s->requests, &s->n_requests, dec_request);
    const cJSON *tmpl = dec_obj(&d, dec_obj(&d, spec, "promotionTemplate"), "spec");
    s->n_steps = dec_len(dec_arr(&d, tmpl, "steps"));
    s->control_flow = s->n_steps == 0;
    s->has_verification =
        dec_len(dec_arr(&d, dec_obj(&d, spec, "verification"), "analysisTemplates")) > 0;

    const cJSON *st = dec_obj(&d, obj, "status");
    dec_conditions(&d, st, &s->conditions, &s->n_conditions);
    s->last_handled_refresh = dec_str(&d, st, "lastHandledRefresh");
    s->health = dec_str(&d, dec_obj(&d, st, "health"), "status");
    s->freight_summary = dec_str(&d, st, "freightSummary");
    s->history =
        dec_list(&d, st, "freightHistory", sizeof *s->history, &s->n_history, dec_collection);
    dec_promotion_ref(&d, dec_obj(&d, st, "currentPromotion"), &s->current_promotion);
    dec_promotion_ref(&d, dec_obj(&d, st, "lastPromotion"), &s->last_promotion);
    s->auto_promotion_enabled = dec_bool(&d, st, "autoPromotionEnabled");
    dec_holds(&d, dec_obj(&d, st, "effectiveAutoPromotionHolds"), &s->holds, &s->n_holds);
    s->topology_key = topology_key(s);
    return dec_finish(&d, s, s->name, stage_free_void, cause);
}

void kargo_free_stage(struct kargo_stage *s)
{
    if (s == NULL)
        return;
    free(s->name);
    free(s->namespace);
    free(s->color);
    free(s->description);
    free(s->shard);
    free(s->refresh);
    free(s->last_handled_refresh);
    for (size_t i = 0; i < s->n_requests; i++)
        request_free(&s->requests[i]);
    free(s->requests);
    conditions_free(s->conditions, s->n_conditions);
    free(s->health);
    free(s->freight_summary);
    for (size_t i = 0; i < s->n_history; i++)
        collection_free(&s->history[i]);
    free(s->history);
    promotion_ref_free(&s->current_promotion);
    promotion_ref_free(&s->last_promotion);
    for (size_t i = 0; i < s->n_holds; i++) {
        free(s->holds[i].origin_key);
        free(s->holds[i].freight);
        free(s->holds[i].promotion);
        free(s->holds[i].actor);
    }
    free(s->holds);
    free(s->topology_key);
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
    *out = NULL;
    *n = 0;
    if (m == NULL || cJSON_GetArraySize(m) == 0)
        return;
    *out = xcalloc((size_t)cJSON_GetArraySize(m), sizeof **out);
    const cJSON *e;
    cJSON_ArrayForEach(e, m)
    {
        if (!cJSON_IsObject(e) && !cJSON_IsNull(e)) {
            dec_fail(d, "%s.%s should be an object, not %s", key, e->string, json_type_name(e));
            continue;
        }
        struct kargo_stage_mark *k = &(*out)[(*n)++];
        k->stage = xstrdup(e->string);
        k->at = dec_time(d, e, time_key);
        k->soak_ms = dec_duration(d, e, "longestSoak");
    }
    qsort(*out, *n, sizeof **out, mark_cmp);
}

static void marks_free(struct kargo_stage_mark *m, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(m[i].stage);
    free(m);
}

static void freight_free_void(void *p)
{
    kargo_free_freight(p);
}

struct kargo_freight *kargo_decode_freight(const cJSON *obj, char **cause)
{
    struct dec d = {.kind = "Freight"};
    struct kargo_freight *f = xcalloc(1, sizeof *f);
    const cJSON *md = dec_metadata(&d, obj, &f->ref.name, &f->namespace, &f->created);
    if (md == NULL) {
        origin_set(&f->ref.origin, NULL, NULL);
        return dec_finish(&d, f, NULL, freight_free_void, cause);
    }
    f->alias = dec_str(&d, obj, "alias");
    if (f->alias == NULL)
        f->alias = dec_str(&d, dec_obj(&d, md, "labels"), "kargo.akuity.io/alias");
    f->discovered = dec_time(&d, obj, "discoveredAt");
    if (f->discovered == 0)
        f->discovered = f->created;
    dec_origin(&d, obj, "origin", &f->ref.origin);
    if (f->ref.origin.key == NULL)
        origin_set(&f->ref.origin, NULL, NULL);
    dec_artifacts(&d, obj, &f->ref.artifacts);
    const cJSON *st = dec_obj(&d, obj, "status");
    dec_marks(&d, st, "currentlyIn", "since", &f->current_in, &f->n_current_in);
    dec_marks(&d, st, "verifiedIn", "verifiedAt", &f->verified_in, &f->n_verified_in);
    dec_marks(&d, st, "approvedFor", "approvedAt", &f->approved_for, &f->n_approved_for);
    return dec_finish(&d, f, f->ref.name, freight_free_void, cause);
}

void kargo_free_freight(struct kargo_freight *f)
{
    if (f == NULL)
        return;
    freight_ref_free(&f->ref);
    free(f->namespace);
    free(f->alias);
    marks_free(f->current_in, f->n_current_in);
    marks_free(f->verified_in, f->n_verified_in);
    marks_free(f->approved_for, f->n_approved_for);
    free(f);
}

static void dec_step_run(struct dec *d, const cJSON *o, void *slot)
{
    struct kargo_step_run *r = slot;
    r->alias = dec_str(d, o, "alias");
    r->status = dec_str(d, o, "status");
    r->message = dec_str(d, o, "message");
    r->started = dec_time(d, o, "startedAt");
    r->finished = dec_time(d, o, "finishedAt");
    r->error_count = dec_long(d, o, "errorCount", 0);
}

static void promotion_free_void(void *p)
{
    kargo_free_promotion(p);
}

struct kargo_promotion *kargo_decode_promotion(const cJSON *obj, char **cause)
{
    struct dec d = {.kind = "Promotion"};
    struct kargo_promotion *p = xcalloc(1, sizeof *p);
    p->current_step = -1;
    const cJSON *md = dec_metadata(&d, obj, &p->name, &p->namespace, &p->created);
    if (md == NULL)
        return dec_finish(&d, p, NULL, promotion_free_void, cause);
    p->create_actor = dec_annotation(&d, md, "kargo.akuity.io/create-actor");
    p->hold_origin = dec_annotation(&d, md, "kargo.akuity.io/auto-promotion-hold");
    p->resume_origin = dec_annotation(&d, md, "kargo.akuity.io/auto-promotion-resume");
    char *abort = dec_annotation(&d, md, "kargo.akuity.io/abort");
    p->abort_requested = abort != NULL;
    free(abort);
    char *rollback = dec_annotation(&d, md, "kargo.akuity.io/rollback");
    p->rollback = rollback != NULL && strcmp(rollback, "true") == 0;
    free(rollback);

    const cJSON *spec = dec_obj(&d, obj, "spec");
    p->stage = dec_str(&d, spec, "stage");
    p->freight = dec_str(&d, spec, "freight");
    dec_origin(&d, spec, "origin", &p->origin);
    const cJSON *steps = dec_arr(&d, spec, "steps");
    if (dec_len(steps) > 0) {
        p->steps = xcalloc(dec_len(steps), sizeof *p->steps);
        const cJSON *s;
        cJSON_ArrayForEach(s, steps)
        {
            if (!cJSON_IsObject(s)) {
                dec_fail(&d, "a promotion step should be an object, not %s", json_type_name(s));
                continue;
            }
            struct kargo_step *k = &p->steps[p->n_steps];
            k->uses = dec_str(&d, s, "uses");
            k->alias = dec_str(&d, s, "as");
            if (k->alias == NULL)
                k->alias =
                    xasprintf("%s-%zu", dec_member(s, "task") ? "task" : "step", p->n_steps + 1);
            p->n_steps++;
        }
    }

    const cJSON *st = dec_obj(&d, obj, "status");
    p->phase = dec_str(&d, st, "phase");
    if (p->phase == NULL)
        p->phase = xstrdup("");
    p->message = dec_str(&d, st, "message");
    p->current_step = dec_long(&d, st, "currentStep", -1);
    p->started = dec_time(&d, st, "startedAt");
    p->finished = dec_time(&d, st, "finishedAt");
    const cJSON *sf = dec_obj(&d, st, "freight");
    if (sf != NULL)
        dec_freight_ref(&d, sf, NULL, &p->status_freight);
    p->runs = dec_list(&d, st, "stepExecutionMetadata", sizeof *p->runs, &p->n_runs, dec_step_run);
    return dec_finish(&d, p, p->name, promotion_free_void, cause);
}

void kargo_free_promotion(struct kargo_promotion *p)
{
    if (p == NULL)
        return;
    free(p->name);
    free(p->namespace);
    free(p->stage);
    free(p->freight);
    origin_free(&p->origin);
    free(p->create_actor);
    free(p->hold_origin);
    free(p->resume_origin);
    for (size_t i = 0; i < p->n_steps; i++) {
        free(p->steps[i].alias);
        free(p->steps[i].uses);
    }
    free(p->steps);
    free(p->phase);
    free(p->message);
    freight_ref_free(&p->status_freight);
    for (size_t i = 0; i < p->n_runs; i++) {
        free(p->runs[i].alias);
        free(p->runs[i].status);
        free(p->runs[i].message);
    }
    free(p->runs);
    free(p);
}

static void warehouse_free_void(void *p)
{
    kargo_free_warehouse(p);
}

struct kargo_warehouse *kargo_decode_warehouse(const cJSON *obj, char **cause)
{
    struct dec d = {.kind = "Warehouse"};
    struct kargo_warehouse *w = xcalloc(1, sizeof *w);
    const cJSON *md = dec_metadata(&d, obj, &w->name, &w->namespace, &w->created);
    if (md == NULL)
        return dec_finish(&d, w, NULL, warehouse_free_void, cause);
    w->color = dec_annotation(&d, md, "kargo.akuity.io/color");
    w->description = dec_annotation(&d, md, "kargo.akuity.io/description");
    w->refresh = dec_annotation(&d, md, "kargo.akuity.io/refresh");
    const cJSON *spec = dec_obj(&d, obj, "spec");
    w->interval = dec_str(&d, spec, "interval");
    w->creation_policy = dec_str(&d, spec, "freightCreationPolicy");
    const cJSON *subs = dec_arr(&d, spec, "subscriptions");
    if (dec_len(subs) > 0) {
        w->subscriptions = xcalloc(dec_len(subs), sizeof *w->subscriptions);
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
            k->type = xstrdup(body ? body->string : "unknown");
            k->repo_url = dec_str(&d, body, "repoURL");
            k->name = dec_str(&d, body, "name");
            if (k->name == NULL)
                k->name = dec_str(&d, s, "name");
        }
    }
    const cJSON *st = dec_obj(&d, obj, "status");
    dec_conditions(&d, st, &w->conditions, &w->n_conditions);
    w->last_freight = dec_str(&d, st, "lastFreightID");
    w->last_handled_refresh = dec_str(&d, st, "lastHandledRefresh");
    return dec_finish(&d, w, w->name, warehouse_free_void, cause);
}

void kargo_free_warehouse(struct kargo_warehouse *w)
{
    if (w == NULL)
        return;
    free(w->name);
    free(w->namespace);
    free(w->color);
    free(w->description);
    free(w->refresh);
    free(w->last_handled_refresh);
    free(w->interval);
    free(w->creation_policy);
    for (size_t i = 0; i < w->n_subscriptions; i++) {
        free(w->subscriptions[i].type);
        free(w->subscriptions[i].repo_url);
        free(w->subscriptions[i].name);
    }
    free(w->subscriptions);
    conditions_free(w->conditions, w->n_conditions);
    free(w->last_freight);
    free(w);
}

static void project_free_void(void *p)
{
    kargo_free_project(p);
}

struct kargo_project *kargo_decode_project(const cJSON *obj, char **cause)
{
    struct dec d = {.kind = "Project"};
    struct kargo_project *p = xcalloc(1, sizeof *p);
    if (dec_metadata(&d, obj, &p->name, NULL, &p->created) == NULL)
        return dec_finish(&d, p, NULL, project_free_void, cause);
    dec_conditions(&d, dec_obj(&d, obj, "status"), &p->conditions, &p->n_conditions);
    return dec_finish(&d, p, p->name, project_free_void, cause);
}

void kargo_free_project(struct kargo_project *p)
{
    if (p == NULL)
        return;
    free(p->name);
    conditions_free(p->conditions, p->n_conditions);
    free(p);
}

static void dec_policy(struct dec *d, const cJSON *o, void *slot)
{
    struct kargo_policy *p = slot;
    const cJSON *sel = dec_obj(d, o, "stageSelector");
    p->stage = dec_str(d, o, "stage");
    if (p->stage == NULL)
        p->stage = dec_str(d, sel, "name");
    p->by_labels =
        dec_member(sel, "matchLabels") != NULL || dec_member(sel, "matchExpressions") != NULL;
    p->auto_promotion = dec_bool(d, o, "autoPromotionEnabled");
}

static void project_config_free_void(void *p)
{
    kargo_free_project_config(p);
}

struct kargo_project_config *kargo_decode_project_config(const cJSON *obj, char **cause)
{
    struct dec d = {.kind = "ProjectConfig"};
    struct kargo_project_config *c = xcalloc(1, sizeof *c);
    time_t created;
    if (dec_metadata(&d, obj, &c->name, &c->namespace, &created) == NULL)
        return dec_finish(&d, c, NULL, project_config_free_void, cause);
    c->policies = dec_list(&d, dec_obj(&d, obj, "spec"), "promotionPolicies", sizeof *c->policies,
                           &c->n_policies, dec_policy);
    return dec_finish(&d, c, c->name, project_config_free_void, cause);
}

void kargo_free_project_config(struct kargo_project_config *c)
{
    if (c == NULL)
        return;
    free(c->name);
    free(c->namespace);
    for (size_t i = 0; i < c->n_policies; i++)
        free(c->policies[i].stage);
    free(c->policies);
    free(c);
}

static void event_free_void(void *p)
{
    kargo_free_event(p);
}

struct kargo_event *kargo_decode_event(const cJSON *obj, char **cause)
{
    struct dec d = {.kind = "Event"};
    struct kargo_event *e = xcalloc(1, sizeof *e);
    time_t created;
    const cJSON *md = dec_metadata(&d, obj, &e->name, &e->namespace, &created);
    if (md == NULL)
        return dec_finish(&d, e, NULL, event_free_void, cause);
    e->type = dec_str(&d, obj, "type");
    e->reason = dec_str(&d, obj, "reason");
    e->message = dec_str(&d, obj, "message");
    const cJSON *inv = dec_obj(&d, obj, "involvedObject");
    e->object_kind = dec_str(&d, inv, "kind");
    e->object_name = dec_str(&d, inv, "name");
    e->count = dec_long(&d, obj, "count", 1);
    e->at = dec_time(&d, obj, "lastTimestamp");
    if (e->at == 0)
        e->at = dec_time(&d, obj, "eventTime");
    if (e->at == 0)
        e->at = dec_time(&d, obj, "firstTimestamp");
    if (e->at == 0)
        e->at = created;
    e->actor = dec_annotation(&d, md, "event.kargo.akuity.io/actor");
    e->stage = dec_annotation(&d, md, "event.kargo.akuity.io/stage-name");
    e->freight = dec_annotation(&d, md, "event.kargo.akuity.io/freight-name");
    e->freight_alias = dec_annotation(&d, md, "event.kargo.akuity.io/freight-alias");
    e->promotion = dec_annotation(&d, md, "event.kargo.akuity.io/promotion-name");
    return dec_finish(&d, e, e->name, event_free_void, cause);
}

void kargo_free_event(struct kargo_event *e)
{
    if (e == NULL)
        return;
    free(e->name);
    free(e->namespace);
    free(e->type);
    free(e->reason);
    free(e->message);
    free(e->object_kind);
    free(e->object_name);
    free(e->actor);
    free(e->stage);
    free(e->freight);
    free(e->freight_alias);
    free(e->promotion);
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
