/* The actions table, the write policy, and each action as the kube-direct operations of
 * KARGO-API.md §9. */
#include "action/action.h"

#include <ctype.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "applies.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define GV    "kargo.akuity.io/v1alpha1"
#define GROUP "kargo.akuity.io"

#define RBAC_PROMOTE                                                                               \
    {                                                                                              \
        "promote", GROUP, "stages", NULL                                                           \
    }

/* The table's functions (below, after the actions they call). */
static void run_promote(struct kube_client *c, const struct action_args *a,
                        struct action_outcome **out, size_t *n);
static void run_downstream(struct kube_client *c, const struct action_args *a,
                           struct action_outcome **out, size_t *n);
static void run_resume(struct kube_client *c, const struct action_args *a,
                       struct action_outcome **out, size_t *n);
static void run_approve(struct kube_client *c, const struct action_args *a,
                        struct action_outcome **out, size_t *n);
static void run_abort(struct kube_client *c, const struct action_args *a,
                      struct action_outcome **out, size_t *n);
static void run_refresh(struct kube_client *c, const struct action_args *a,
                        struct action_outcome **out, size_t *n);
static void run_refresh_warehouse(struct kube_client *c, const struct action_args *a,
                                  struct action_outcome **out, size_t *n);
static void run_reverify(struct kube_client *c, const struct action_args *a,
                         struct action_outcome **out, size_t *n);
static void run_abort_verification(struct kube_client *c, const struct action_args *a,
                                   struct action_outcome **out, size_t *n);

static const struct action_def action_table[] = {
    {ACTION_PROMOTE,
     "promote",
     'p',
     "p",
     "promote",
     "promote a freight to the stage (marked stages: all of them)",
     ACTION_ON_FREIGHT,
     ACTION_CONFIRM_PROTECTED,
     {{"create", GROUP, "promotions", NULL}, RBAC_PROMOTE},
     "cannot promote",
     run_promote,
     applies_promote},
    {ACTION_PROMOTE_DOWNSTREAM,
     "promote-downstream",
     'P',
     "P",
     "downstream",
     "promote the stage's freight to every downstream stage",
     ACTION_ON_STAGE,
     ACTION_CONFIRM_PROTECTED,
     {{"create", GROUP, "promotions", NULL}, RBAC_PROMOTE},
     "cannot promote",
     run_downstream,
     applies_downstream},
    {ACTION_ROLLBACK,
     "rollback",
     'r',
     "r",
     "rollback",
     "roll the stage back to an earlier freight (holds auto-promotion)",
     ACTION_ON_STAGE,
     ACTION_CONFIRM_PROTECTED,
     {{"create", GROUP, "promotions", NULL}, RBAC_PROMOTE},
     "cannot promote",
     run_promote,
     applies_rollback},
    {ACTION_RESUME,
     "resume",
     'u',
     "u",
     "resume",
     "resume auto-promotion (promote what auto-promotion would)",
     ACTION_ON_STAGE,
     ACTION_CONFIRM_PROTECTED,
     {{"create", GROUP, "promotions", NULL}, RBAC_PROMOTE},
     "cannot promote",
     run_resume,
     applies_resume},
    {ACTION_APPROVE,
     "approve",
     'a',
     "a",
     "approve",
     "approve the freight for the stage",
     ACTION_ON_FREIGHT,
     ACTION_CONFIRM_YES,
     {{"patch", GROUP, "freights", "status"}, RBAC_PROMOTE},
     "cannot approve freight",
     run_approve,
     applies_approve},
    {ACTION_ABORT_PROMOTION,
     "abort",
     'A',
     "A",
     "abort",
     "abort the pending or running promotion",
     ACTION_ON_PROMOTION,
     ACTION_CONFIRM_YES,
     {{"patch", GROUP, "promotions", NULL}, RBAC_PROMOTE},
     "cannot abort promotions",
     run_abort,
     applies_abort},
    {ACTION_REFRESH,
     "refresh",
     'R',
     "R",
     "refresh",
     "refresh the stage or warehouse",
     ACTION_ON_STAGE,
     ACTION_CONFIRM_YES,
     {{"patch", GROUP, "stages", NULL}},
     "cannot refresh stages",
     run_refresh,
     applies_refresh},
    {ACTION_REFRESH_WAREHOUSE,
     "refresh-warehouse",
     'R',
     "R",
     "refresh",
     NULL,
     ACTION_ON_WAREHOUSE,
     ACTION_CONFIRM_YES,
     {{"patch", GROUP, "warehouses", NULL}},
     "cannot refresh warehouses",
     run_refresh_warehouse,
     applies_refresh_warehouse},
    {ACTION_REVERIFY,
     "reverify",
     'v',
     "v",
     "reverify",
     "verify the stage's freight again",
     ACTION_ON_STAGE,
     ACTION_CONFIRM_YES,
     {{"patch", GROUP, "stages", NULL}},
     "cannot reverify stages",
     run_reverify,
     applies_reverify},
    {ACTION_ABORT_VERIFICATION,
     "abort-verification",
     'V',
     "V",
     "abort-verify",
     "abort the stage's running verification",
     ACTION_ON_STAGE,
     ACTION_CONFIRM_YES,
     {{"patch", GROUP, "stages", NULL}},
     "cannot abort verifications",
     run_abort_verification,
     applies_abort_verification},
};
#define N_ACTIONS (sizeof action_table / sizeof action_table[0])

const struct action_def *action_def(enum action_id id)
{
    for (size_t i = 0; i < N_ACTIONS; i++)
        if (action_table[i].id == id)
            return &action_table[i];
    return NULL;
}

const struct action_def *action_at(size_t i)
{
    return i < N_ACTIONS ? &action_table[i] : NULL;
}

const struct action_def *action_by_name(const char *name)
{
    for (size_t i = 0; i < N_ACTIONS; i++)
        if (strcmp(action_table[i].name, name) == 0)
            return &action_table[i];
    return NULL;
}

bool action_applies(enum action_id id, const struct store *st, const struct action_subject *s,
                    time_t now, char *why, size_t len)
{
    const struct action_def *d = action_def(id);
    if (why != NULL && len > 0)
        why[0] = '\0';
    return d == NULL || d->applies == NULL || st == NULL || d->applies(st, s, now, why, len);
}

/* ---- policy ----------------------------------------------------------------------------- */

void action_policy_init(struct action_policy *p)
{
    static const char *const defaults[] = {"prod*", "*-prod*", "*production*"};
    memset(p, 0, sizeof *p);
    p->typed_manual = true;
    action_policy_set_patterns(p, defaults, sizeof defaults / sizeof defaults[0]);
}

void action_policy_set_patterns(struct action_policy *p, const char *const *patterns, size_t n)
{
    for (size_t i = 0; i < p->n_typed_patterns; i++)
        free(p->typed_patterns[i]);
    free(p->typed_patterns);
    p->typed_patterns = n > 0 ? xcalloc(n, sizeof *p->typed_patterns) : NULL;
    for (size_t i = 0; i < n; i++)
        p->typed_patterns[i] = xstrdup(patterns[i]);
    p->n_typed_patterns = n;
}

void action_policy_free(struct action_policy *p)
{
    action_policy_set_patterns(p, NULL, 0);
}

bool action_policy_protects(const struct action_policy *p, const char *stage, bool manual)
{
    if (manual && p->typed_manual)
        return true;
    for (size_t i = 0; i < p->n_typed_patterns; i++)
        if (fnmatch(p->typed_patterns[i], stage, 0) == 0)
            return true;
    return false;
}

static int cmp_str(const void *a, const void *b);

/* The words of text (split at spaces and commas), sorted; *n of them. */
static char **typed_words(const char *text, size_t *n)
{
    char **w = NULL;
    *n = 0;
    for (const char *p = text; *p != '\0';) {
        p += strspn(p, " ,\t");
        size_t len = strcspn(p, " ,\t");
        if (len == 0)
            break;
        w = xrealloc(w, (*n + 1) * sizeof *w);
        w[(*n)++] = xstrndup(p, len);
        p += len;
    }
    if (*n > 1)
        qsort(w, *n, sizeof *w, cmp_str);
    return w;
}

bool action_typed_matches(const char *want, const char *typed)
{
    if (strchr(want, ' ') == NULL)
        return strcmp(want, typed) == 0;
    size_t nw, nt;
    char **w = typed_words(want, &nw), **t = typed_words(typed, &nt);
    bool ok = nw == nt;
    for (size_t i = 0; ok && i < nw; i++)
        ok = strcmp(w[i], t[i]) == 0;
    for (size_t i = 0; i < nw; i++)
        free(w[i]);
    for (size_t i = 0; i < nt; i++)
        free(t[i]);
    free(w);
    free(t);
    return ok;
}

/* ---- helpers ---------------------------------------------------------------------------- */

void action_outcome_clear(struct action_outcome *o)
{
    free(o->target);
    free(o->created);
    kube_error_clear(&o->err);
    memset(o, 0, sizeof *o);
}

void action_outcomes_free(struct action_outcome *o, size_t n)
{
    for (size_t i = 0; i < n; i++)
        action_outcome_clear(&o[i]);
    free(o);
}

/* A refusal decided here, before anything is sent (code 0). */
static int refuse(struct kube_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int refuse(struct kube_error *err, const char *fmt, ...)
{
    if (err == NULL)
        return -1;
    kube_error_clear(err);
    va_list ap;
    va_start(ap, fmt);
    err->message = xvasprintf(fmt, ap);
    va_end(ap);
    err->code = 0;
    return -1;
}

static cJSON *get_object(struct kube_client *c, const char *ns, const char *plural,
                         const char *name, struct kube_error *err)
{
    struct api_ref ref = {GV, plural, ns, name};
    return api_get(c, &ref, err);
}

/* A Freight by name, else by alias (the kargo.akuity.io/alias label). */
static cJSON *get_freight(struct kube_client *c, const char *ns, const char *name_or_alias,
                          struct kube_error *err)
{
    cJSON *f = get_object(c, ns, "freights", name_or_alias, err);
    if (f != NULL || err == NULL || err->code != 404)
        return f;
    struct api_ref ref = {GV, "freights", ns, NULL};
    char *sel = xasprintf("kargo.akuity.io/alias=%s", name_or_alias);
    struct kube_error e = {0};
    cJSON *list = api_list(c, &ref, sel, NULL, &e);
    free(sel);
    kube_error_clear(&e);
    cJSON *items = cJSON_GetObjectItemCaseSensitive(list, "items");
    if (cJSON_GetArraySize(items) == 1) {
        f = cJSON_DetachItemFromArray(items, 0);
        kube_error_clear(err);
    }
    cJSON_Delete(list);
    return f;
}

static const char *obj_name(const cJSON *o)
{
    return json_get_string(o, "metadata", "name", (char *)NULL);
}

static cJSON *merge_patch(struct kube_client *c, const char *ns, const char *plural,
                          const char *name, const char *sub, cJSON *patch, struct kube_error *err)
{
    struct api_ref ref = {GV, plural, ns, name};
    char *body = cJSON_PrintUnformatted(patch);
    cJSON_Delete(patch);
    cJSON *o = api_merge_patch(c, &ref, sub, body, err);
    free(body);
    return o;
}

/* {"metadata":{"annotations":{key:value}}} */
static cJSON *annotation_patch(const char *key, const char *value)
{
    cJSON *p = cJSON_CreateObject();
    cJSON *ann = json_ensure_object(p, "metadata", "annotations", (char *)NULL);
    json_set_string(ann, key, value);
    return p;
}

/* RFC 3339 with nanoseconds: two refreshes in one second are still two tokens. */
static char *now_token(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char buf[64];
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    return xasprintf("%s.%09ldZ", buf, ts.tv_nsec);
}

static char *now_rfc3339(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char buf[64];
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return xstrdup(buf);
}

/* ---- ULID ------------------------------------------------------------------------------- */

static pthread_mutex_t ulid_mu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t ulid_last_ms;
static unsigned char ulid_last_rand[10];

static void ulid_random(unsigned char out[10])
{
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    ssize_t got = fd >= 0 ? read(fd, out, 10) : -1;
    if (fd >= 0)
        close(fd);
    if (got != 10) {
        /* uniqueness matters here, not secrecy */
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t v = (uint64_t)ts.tv_nsec * 6364136223846793005ULL ^ (uint64_t)getpid();
        for (int i = 0; i < 10; i++)
            out[i] = (unsigned char)(v >> ((i % 8) * 8)) ^ (unsigned char)(i * 97);
    }
}

void action_ulid(char out[27])
{
    static const char alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
    unsigned char r[10];
    pthread_mutex_lock(&ulid_mu);
    if (ms <= ulid_last_ms) {
        /* same millisecond (or a clock step back): increment, so names keep creation order */
        ms = ulid_last_ms;
        memcpy(r, ulid_last_rand, 10);
        for (int i = 9; i >= 0 && ++r[i] == 0; i--)
            ;
    } else {
        ulid_random(r);
    }
    ulid_last_ms = ms;
    memcpy(ulid_last_rand, r, 10);
    pthread_mutex_unlock(&ulid_mu);
    /* 128 bits = 48-bit time + 80 random, as 26 base32 digits (the first holds 3 bits) */
    unsigned char b[16];
    for (int i = 0; i < 6; i++)
        b[i] = (unsigned char)(ms >> (40 - 8 * i));
    memcpy(b + 6, r, 10);
    for (int d = 0; d < 26; d++) {
        int bit = 128 - 5 * (26 - d); /* first bit of digit d, may be negative for d = 0 */
        unsigned v = 0;
        for (int k = 0; k < 5; k++) {
            int pos = bit + k;
            v <<= 1;
            if (pos >= 0)
                v |= (b[pos / 8] >> (7 - pos % 8)) & 1u;
        }
        out[d] = alphabet[v];
    }
    out[26] = '\0';
}

/* ---- promote ---------------------------------------------------------------------------- */

/* lower("<stage>.<ulid>.<freight[0:7]>"), the stage part cut to 218 characters without a
 * trailing '.' or '-' (pkg/api/promotion.go). */
static char *promotion_name(const char *stage, const char *freight)
{
    char ulid[27];
    action_ulid(ulid);
    size_t n = strlen(stage);
    if (n > 218)
        n = 218;
    while (n > 0 && (stage[n - 1] == '.' || stage[n - 1] == '-'))
        n--;
    char *name = xasprintf("%.*s.%s.%.7s", (int)n, stage, ulid, freight);
    for (char *p = name; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return name;
}

/* The Promotion as ≤ v1.10's API server built it: steps from the template, vars from the Stage
 * then the template. freight or origin_warehouse is set. */
static cJSON *promotion_object(const cJSON *stage, const char *ns, const char *freight,
                               const char *origin_warehouse, struct kube_error *err)
{
    const char *sname = obj_name(stage);
    const cJSON *tspec = json_get(stage, "spec", "promotionTemplate", "spec", (char *)NULL);
    const cJSON *steps = cJSON_GetObjectItemCaseSensitive(tspec, "steps");
    if (!cJSON_IsArray(steps) || cJSON_GetArraySize(steps) == 0) {
        refuse(err, "Stage \"%s\" defines no promotion steps", sname);
        return NULL;
    }
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "apiVersion", GV);
    cJSON_AddStringToObject(p, "kind", "Promotion");
    cJSON *md = cJSON_AddObjectToObject(p, "metadata");
    if (freight != NULL) {
        char *name = promotion_name(sname, freight);
        cJSON_AddStringToObject(md, "name", name);
        free(name);
    } else {
        char *gen = xasprintf("%.200s.", sname);
        cJSON_AddStringToObject(md, "generateName", gen);
        free(gen);
    }
    cJSON_AddStringToObject(md, "namespace", ns);
    cJSON *spec = cJSON_AddObjectToObject(p, "spec");
    cJSON_AddStringToObject(spec, "stage", sname);
    if (freight != NULL) {
        cJSON_AddStringToObject(spec, "freight", freight);
    } else {
        cJSON *o = cJSON_AddObjectToObject(spec, "origin");
        cJSON_AddStringToObject(o, "kind", "Warehouse");
        cJSON_AddStringToObject(o, "name", origin_warehouse);
    }
    cJSON *vars = cJSON_CreateArray();
    const cJSON *lists[] = {json_get(stage, "spec", "vars", (char *)NULL),
                            cJSON_GetObjectItemCaseSensitive(tspec, "vars")};
    for (size_t i = 0; i < 2; i++) {
        const cJSON *v;
        cJSON_ArrayForEach(v, lists[i])
        {
            cJSON_AddItemToArray(vars, cJSON_Duplicate(v, true));
        }
    }
    if (cJSON_GetArraySize(vars) > 0)
        cJSON_AddItemToObject(spec, "vars", vars);
    else
        cJSON_Delete(vars);
    cJSON_AddItemToObject(spec, "steps", cJSON_Duplicate(steps, true));
    return p;
}

static int create_promotion(struct kube_client *c, const char *ns, const cJSON *stage,
                            const char *freight, const char *warehouse, char **created,
                            struct kube_error *err)
{
    cJSON *p = promotion_object(stage, ns, freight, warehouse, err);
    if (p == NULL)
        return -1;
    struct api_ref ref = {GV, "promotions", ns, NULL};
    cJSON *made = api_create(c, &ref, p, err);
    cJSON_Delete(p);
    if (made == NULL)
        return -1;
    if (created != NULL)
        *created = xstrdup(obj_name(made) != NULL ? obj_name(made) : "");
    cJSON_Delete(made);
    return 0;
}

int action_promote(struct kube_client *c, const char *ns, const char *stage, const char *freight,
                   char **created, struct kube_error *err)
{
    cJSON *s = get_object(c, ns, "stages", stage, err);
    if (s == NULL)
        return -1;
    cJSON *f = get_freight(c, ns, freight, err);
    if (f == NULL) {
        cJSON_Delete(s);
        return -1;
    }
    int rc = create_promotion(c, ns, s, obj_name(f), NULL, created, err);
    cJSON_Delete(f);
    cJSON_Delete(s);
    return rc;
}

int action_resume(struct kube_client *c, const char *ns, const char *stage, const char *warehouse,
                  char **created, struct kube_error *err)
{
    cJSON *s = get_object(c, ns, "stages", stage, err);
    if (s == NULL)
        return -1;
    int rc = create_promotion(c, ns, s, NULL, warehouse, created, err);
    cJSON_Delete(s);
    return rc;
}

/* origin {kind, name} of a Freight or a request, as "Kind/name" (kind defaults to Warehouse). */
static char *origin_key(const cJSON *origin)
{
    const char *kind = json_get_string(origin, "kind", (char *)NULL);
    const char *name = json_get_string(origin, "name", (char *)NULL);
    if (name == NULL)
        return NULL;
    return xasprintf("%s/%s", kind != NULL && kind[0] ? kind : "Warehouse", name);
}

/* Does the Stage request Freight of origin key (and, when from is not NULL, from Stage from)? */
static bool stage_requests(const cJSON *stage, const char *key, const char *from)
{
    const cJSON *r;
    cJSON_ArrayForEach(r, json_get(stage, "spec", "requestedFreight", (char *)NULL))
    {
        char *k = origin_key(cJSON_GetObjectItemCaseSensitive(r, "origin"));
        bool same = k != NULL && strcmp(k, key) == 0;
        free(k);
        if (!same)
            continue;
        if (from == NULL)
            return true;
        const cJSON *up;
        cJSON_ArrayForEach(up, json_get(r, "sources", "stages", (char *)NULL))
        {
            if (cJSON_IsString(up) && strcmp(up->valuestring, from) == 0)
                return true;
        }
    }
    return false;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int action_downstream_targets(struct kube_client *c, const char *ns, const char *stage,
                              const char *freight, char ***stages, size_t *n, char **freight_name,
                              struct kube_error *err)
{
    *stages = NULL;
    *n = 0;
    *freight_name = NULL;
    cJSON *s = get_object(c, ns, "stages", stage, err);
    if (s == NULL)
        return -1;
    cJSON *f = NULL;
    if (freight != NULL) {
        f = get_freight(c, ns, freight, err);
    } else {
        /* the current Freight of the first requested origin */
        const cJSON *req =
            cJSON_GetArrayItem(json_get(s, "spec", "requestedFreight", (char *)NULL), 0);
        char *key = origin_key(cJSON_GetObjectItemCaseSensitive(req, "origin"));
        const cJSON *items =
            json_get(cJSON_GetArrayItem(json_get(s, "status", "freightHistory", (char *)NULL), 0),
                     "items", (char *)NULL);
        const char *name = key != NULL ? json_get_string(items, key, "name", (char *)NULL) : NULL;
        free(key);
        if (name != NULL)
            f = get_freight(c, ns, name, err);
        else
            refuse(err, "Stage \"%s\" has no current Freight to promote", stage);
    }
    if (f == NULL) {
        cJSON_Delete(s);
        return -1;
    }
    char *key = origin_key(cJSON_GetObjectItemCaseSensitive(f, "origin"));
    struct api_ref ref = {GV, "stages", ns, NULL};
    cJSON *list = key != NULL ? api_list(c, &ref, NULL, NULL, err) : NULL;
    int rc = -1;
    if (key == NULL) {
        refuse(err, "Freight \"%s\" has no origin", obj_name(f));
    } else if (list != NULL) {
        const cJSON *d;
        size_t cap = 0;
        cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(list, "items"))
        {
            const cJSON *steps =
                json_get(d, "spec", "promotionTemplate", "spec", "steps", (char *)NULL);
            if (cJSON_GetArraySize(steps) == 0 || !stage_requests(d, key, stage))
                continue; /* control-flow Stages are skipped, as the API server does */
            *stages = xreallocarray_grow(*stages, &cap, *n + 1, sizeof **stages);
            (*stages)[(*n)++] = xstrdup(obj_name(d));
        }
        if (*n > 1)
            qsort(*stages, *n, sizeof **stages, cmp_str);
        if (*n == 0)
            refuse(err, "no Stage downstream of \"%s\" takes %s Freight", stage, key);
        else
            rc = 0;
    }
    if (rc == 0)
        *freight_name = xstrdup(obj_name(f));
    free(key);
    cJSON_Delete(list);
    cJSON_Delete(f);
    cJSON_Delete(s);
    return rc;
}

int action_promote_downstream(struct kube_client *c, const char *ns, const char *stage,
                              const char *freight, struct action_outcome **out, size_t *n,
                              struct kube_error *err)
{
    char **targets, *fname;
    *out = NULL;
    *n = 0;
    if (action_downstream_targets(c, ns, stage, freight, &targets, n, &fname, err) != 0)
        return -1;
    *out = xcalloc(*n, sizeof **out);
    int rc = 0;
    for (size_t i = 0; i < *n; i++) {
        struct action_outcome *o = &(*out)[i];
        o->target = targets[i];
        o->ok = action_promote(c, ns, targets[i], fname, &o->created, &o->err) == 0;
        if (!o->ok)
            rc = -1;
    }
    free(targets);
    free(fname);
    if (rc != 0)
        refuse(err, "not every downstream Promotion was created");
    return rc;
}

/* ---- approve, abort, refresh, verification ---------------------------------------------- */

int action_approve(struct kube_client *c, const char *ns, const char *freight, const char *stage,
                   struct kube_error *err)
{
    cJSON *f = get_freight(c, ns, freight, err);
    if (f == NULL)
        return -1;
    cJSON *s = get_object(c, ns, "stages", stage, err);
    int rc = -1;
    char *key = origin_key(cJSON_GetObjectItemCaseSensitive(f, "origin"));
    if (s == NULL) {
        /* err says why */
    } else if (key == NULL || !stage_requests(s, key, NULL)) {
        refuse(err, "Stage \"%s\" does not request Freight from origin \"%s\"", stage,
               key != NULL ? key : "(none)");
    } else {
        char *now = now_rfc3339();
        cJSON *p = cJSON_CreateObject();
        cJSON *entry = json_ensure_object(p, "status", "approvedFor", stage, (char *)NULL);
        cJSON_AddStringToObject(entry, "approvedAt", now);
        free(now);
        cJSON *o = merge_patch(c, ns, "freights", obj_name(f), "status", p, err);
        rc = o != NULL ? 0 : -1;
        cJSON_Delete(o);
    }
    free(key);
    cJSON_Delete(s);
    cJSON_Delete(f);
    return rc;
}

int action_abort_promotion(struct kube_client *c, const char *ns, const char *promotion,
                           struct kube_error *err)
{
    cJSON *p = get_object(c, ns, "promotions", promotion, err);
    if (p == NULL)
        return -1;
    const char *phase = json_get_string(p, "status", "phase", (char *)NULL);
    int rc = -1;
    if (phase != NULL && (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0 ||
                          strcmp(phase, "Errored") == 0 || strcmp(phase, "Aborted") == 0)) {
        refuse(err, "Promotion \"%s\" has already finished (%s)", promotion, phase);
    } else {
        cJSON *o = merge_patch(
            c, ns, "promotions", promotion, NULL,
            annotation_patch("kargo.akuity.io/abort", "{\"action\":\"terminate\"}"), err);
        rc = o != NULL ? 0 : -1;
        cJSON_Delete(o);
    }
    cJSON_Delete(p);
    return rc;
}

int action_refresh(struct kube_client *c, const char *ns, enum action_target kind, const char *name,
                   char **token, struct kube_error *err)
{
    const char *plural = kind == ACTION_ON_WAREHOUSE ? "warehouses" : "stages";
    char *t = now_token();
    cJSON *o =
        merge_patch(c, ns, plural, name, NULL, annotation_patch("kargo.akuity.io/refresh", t), err);
    if (o == NULL) {
        free(t);
        return -1;
    }
    /* as the Kargo API server does, a Stage's running Promotion is refreshed with it; that needs
     * patch on promotions, which a promoter lacks: best effort, the Stage's refresh stands */
    const char *running = kind == ACTION_ON_STAGE ? json_get_string(o, "status", "currentPromotion",
                                                                    "name", (char *)NULL)
                                                  : NULL;
    if (running != NULL) {
        struct kube_error ignored = {0};
        cJSON_Delete(merge_patch(c, ns, "promotions", running, NULL,
                                 annotation_patch("kargo.akuity.io/refresh", t), &ignored));
        kube_error_clear(&ignored);
    }
    cJSON_Delete(o);
    if (token != NULL)
        *token = t;
    else
        free(t);
    return 0;
}

/* The newest verification of the Stage's current Freight, or NULL. */
static const cJSON *current_verification(const cJSON *stage)
{
    const cJSON *h =
        cJSON_GetArrayItem(json_get(stage, "status", "freightHistory", (char *)NULL), 0);
    return cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(h, "verificationHistory"), 0);
}

static bool verification_terminal(const char *phase)
{
    static const char *const done[] = {"Successful", "Failed", "Error", "Aborted", "Inconclusive"};
    for (size_t i = 0; phase != NULL && i < sizeof done / sizeof done[0]; i++)
        if (strcmp(phase, done[i]) == 0)
            return true;
    return false;
}

static int verification_request(struct kube_client *c, const char *ns, const char *stage,
                                bool abort, struct kube_error *err)
{
    cJSON *s = get_object(c, ns, "stages", stage, err);
    if (s == NULL)
        return -1;
    const cJSON *v = current_verification(s);
    const char *id = json_get_string(v, "id", (char *)NULL);
    const char *phase = json_get_string(v, "phase", (char *)NULL);
    int rc = -1;
    if (id == NULL) {
        refuse(err, "Stage \"%s\" has no verification of its current Freight", stage);
    } else if (abort && verification_terminal(phase)) {
        refuse(err, "Stage \"%s\" has no running verification (the last one is %s)", stage, phase);
    } else if (!abort && !verification_terminal(phase)) {
        refuse(err, "Stage \"%s\" is still verifying; abort that first or wait", stage);
    } else {
        cJSON *val = cJSON_CreateObject();
        cJSON_AddStringToObject(val, "id", id);
        char *text = cJSON_PrintUnformatted(val);
        cJSON_Delete(val);
        cJSON *o = merge_patch(
            c, ns, "stages", stage, NULL,
            annotation_patch(abort ? "kargo.akuity.io/abort" : "kargo.akuity.io/reverify", text),
            err);
        free(text);
        rc = o != NULL ? 0 : -1;
        cJSON_Delete(o);
    }
    cJSON_Delete(s);
    return rc;
}

int action_reverify(struct kube_client *c, const char *ns, const char *stage,
                    struct kube_error *err)
{
    return verification_request(c, ns, stage, false, err);
}

int action_abort_verification(struct kube_client *c, const char *ns, const char *stage,
                              struct kube_error *err)
{
    return verification_request(c, ns, stage, true, err);
}

/* ---- the table's functions ------------------------------------------------------------- */

static struct action_outcome *outcome_push(struct action_outcome **out, size_t *n,
                                           const char *target)
{
    *out = xrealloc(*out, (*n + 1) * sizeof **out);
    struct action_outcome *o = &(*out)[(*n)++];
    memset(o, 0, sizeof *o);
    o->target = xstrdup(target != NULL ? target : "");
    return o;
}

static void run_promote(struct kube_client *c, const struct action_args *a,
                        struct action_outcome **out, size_t *n)
{
    struct action_outcome *o = outcome_push(out, n, a->stage);
    o->ok = action_promote(c, a->ns, a->stage, a->freight, &o->created, &o->err) == 0;
}

static void run_downstream(struct kube_client *c, const struct action_args *a,
                           struct action_outcome **out, size_t *n)
{
    struct action_outcome *got = NULL;
    size_t k = 0;
    struct kube_error err = {0};
    if (action_promote_downstream(c, a->ns, a->stage, a->freight, &got, &k, &err) != 0 && k == 0) {
        /* nothing was tried: the reason is the outcome */
        struct action_outcome *o = outcome_push(out, n, a->stage);
        o->err = err;
        return;
    }
    kube_error_clear(&err);
    for (size_t i = 0; i < k; i++) {
        *out = xrealloc(*out, (*n + 1) * sizeof **out);
        (*out)[(*n)++] = got[i]; /* moved: its strings go with it */
    }
    free(got);
}

static void run_resume(struct kube_client *c, const struct action_args *a,
                       struct action_outcome **out, size_t *n)
{
    struct action_outcome *o = outcome_push(out, n, a->stage);
    o->ok = action_resume(c, a->ns, a->stage, a->warehouse, &o->created, &o->err) == 0;
}

static void run_approve(struct kube_client *c, const struct action_args *a,
                        struct action_outcome **out, size_t *n)
{
    struct action_outcome *o = outcome_push(out, n, a->stage);
    o->ok = action_approve(c, a->ns, a->freight, a->stage, &o->err) == 0;
}

static void run_abort(struct kube_client *c, const struct action_args *a,
                      struct action_outcome **out, size_t *n)
{
    struct action_outcome *o = outcome_push(out, n, a->promotion);
    o->ok = action_abort_promotion(c, a->ns, a->promotion, &o->err) == 0;
}

static void run_refresh(struct kube_client *c, const struct action_args *a,
                        struct action_outcome **out, size_t *n)
{
    struct action_outcome *o = outcome_push(out, n, a->stage);
    o->ok = action_refresh(c, a->ns, ACTION_ON_STAGE, a->stage, &o->created, &o->err) == 0;
}

static void run_refresh_warehouse(struct kube_client *c, const struct action_args *a,
                                  struct action_outcome **out, size_t *n)
{
    struct action_outcome *o = outcome_push(out, n, a->warehouse);
    o->ok = action_refresh(c, a->ns, ACTION_ON_WAREHOUSE, a->warehouse, &o->created, &o->err) == 0;
}

static void run_reverify(struct kube_client *c, const struct action_args *a,
                         struct action_outcome **out, size_t *n)
{
    struct action_outcome *o = outcome_push(out, n, a->stage);
    o->ok = action_reverify(c, a->ns, a->stage, &o->err) == 0;
}

static void run_abort_verification(struct kube_client *c, const struct action_args *a,
                                   struct action_outcome **out, size_t *n)
{
    struct action_outcome *o = outcome_push(out, n, a->stage);
    o->ok = action_abort_verification(c, a->ns, a->stage, &o->err) == 0;
}

/* ---- access ----------------------------------------------------------------------------- */

int action_access_rule(struct kube_client *c, const char *ns, const struct action_rbac *r,
                       const char *name, bool *allowed, struct kube_error *err)
{
    return api_access_review(c, r->verb, r->group, r->resource, r->subresource, ns, name, allowed,
                             err);
}

bool action_rule_per_stage(const struct action_rbac *r)
{
    return r->verb != NULL && strcmp(r->resource, "stages") == 0 && r->subresource == NULL;
}

char *action_denied_reason(const struct action_def *d, const struct action_rbac *r)
{
    return xasprintf("your role %s (%s %s%s%s)", d->denied, r->verb, r->resource,
                     r->subresource ? "/" : "", r->subresource ? r->subresource : "");
}

int action_access(struct kube_client *c, const char *ns, enum action_id id, bool *allowed,
                  char **reason, struct kube_error *err)
{
    const struct action_def *d = action_def(id);
    *allowed = true;
    for (size_t i = 0; d != NULL && i < 2 && d->rbac[i].verb != NULL; i++) {
        bool ok = false;
        if (action_access_rule(c, ns, &d->rbac[i], NULL, &ok, err) != 0)
            return -1;
        if (!ok) {
            *allowed = false;
            if (reason != NULL) {
                free(*reason);
                *reason = action_denied_reason(d, &d->rbac[i]);
            }
            return 0;
        }
    }
    return 0;
}
