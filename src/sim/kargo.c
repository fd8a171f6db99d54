/* Kargo in the simulated cluster: installs the webhooks, runs the controller passes on the
 * simulated clock in a background thread (and synchronously for tests), and loads scenarios. */
#include "sim/kargo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kargo_internal.h"
#include "sim/scenarios.h"
#include "sim/sim.h"
#include "sim/store.h"
#include "sim/yaml.h"
#include "util/json.h"
#include "util/xalloc.h"

/* A pass is repeated while it still writes; this bounds a pathological ping-pong. */
#define SETTLE_MAX_PASSES 64
/* The controller thread passes when the store changes or the clock reaches what the last pass
 * said was due; it looks at both at least this often (real ms), so a --speed change or a stop is
 * noticed soon. Looking costs two reads, a pass over the large scenario most of a second. */
#define RUN_LOOK_MS 250
/* And it passes at least this often (real ms) whatever happens, as a safety net. */
#define RUN_PASS_MAX_MS 30000

static time_t store_now(void *ctx)
{
    struct kargo *k = ctx;
    return (time_t)simclock_now(&k->clock);
}

static cJSON *list(struct kargo *k, const char *plural, const char *ns, struct json_bulk *bulk)
{
    struct sim_status *err = NULL;
    cJSON *l = sim_store_list_in(k->store, plural, ns, NULL, bulk, &err);
    sim_status_free(err);
    return l != NULL ? l : cJSON_CreateArray();
}

/* Project status as Kargo's management controller keeps it: Ready, and counts for a project list.
 */
static void project_status(struct kargo *k, cJSON *projects, cJSON *project, struct kargo_ns *n)
{
    cJSON *st = cJSON_Duplicate(json_get(project, "status", (char *)NULL), true);
    if (st == NULL)
        st = cJSON_CreateObject();
    cJSON *conds = cJSON_GetObjectItemCaseSensitive(st, "conditions");
    if (!cJSON_IsArray(conds)) {
        conds = cJSON_CreateArray();
        kargo_json_put(st, "conditions", conds);
    }
    double gen = 1;
    json_get_number(project, &gen, "metadata", "generation", (char *)NULL);
    kargo_condition_set(k, conds, "Ready", "True", "Synced", "", gen);
    int healthy = 0;
    const cJSON *s;
    cJSON_ArrayForEach(s, n->stages)
    {
        const char *h = json_get_string(s, "status", "health", "status", (char *)NULL);
        healthy += h != NULL && strcmp(h, "Healthy") == 0;
    }
    cJSON *stats = cJSON_CreateObject();
    cJSON *w = cJSON_AddObjectToObject(stats, "warehouses");
    cJSON_AddNumberToObject(w, "count", cJSON_GetArraySize(n->warehouses));
    cJSON_AddNumberToObject(cJSON_AddObjectToObject(w, "health"), "healthy",
                            cJSON_GetArraySize(n->warehouses));
    cJSON *sg = cJSON_AddObjectToObject(stats, "stages");
    cJSON_AddNumberToObject(sg, "count", cJSON_GetArraySize(n->stages));
    cJSON_AddNumberToObject(cJSON_AddObjectToObject(sg, "health"), "healthy", healthy);
    kargo_json_put(st, "stats", stats);
    kargo_set_status(k, "projects", NULL, projects, project, st);
}

/* ProjectConfig status as Kargo keeps it: Ready, observedGeneration, the refresh echo. */
static void projectconfig_status(struct kargo *k, struct kargo_ns *n)
{
    if (n->projectconfig == NULL)
        return;
    cJSON *st = cJSON_Duplicate(json_get(n->projectconfig, "status", (char *)NULL), true);
    if (st == NULL)
        st = cJSON_CreateObject();
    cJSON *conds = cJSON_GetObjectItemCaseSensitive(st, "conditions");
    if (!cJSON_IsArray(conds)) {
        conds = cJSON_CreateArray();
        kargo_json_put(st, "conditions", conds);
    }
    double gen = 1;
    json_get_number(n->projectconfig, &gen, "metadata", "generation", (char *)NULL);
    kargo_condition_set(k, conds, "Ready", "True", "Synced", "", gen);
    kargo_json_put(st, "observedGeneration", cJSON_CreateNumber(gen));
    const char *refresh = json_get_string(n->projectconfig, "metadata", "annotations",
                                          "kargo.akuity.io/refresh", (char *)NULL);
    if (refresh != NULL)
        kargo_json_put(st, "lastHandledRefresh", cJSON_CreateString(refresh));
    kargo_set_status(k, "projectconfigs", n->ns, NULL, n->projectconfig, st);
}

static void namespace_pass(struct kargo *k, cJSON *projects, cJSON *project)
{
    struct kargo_ns n = {0};
    n.ns = json_get_string(project, "metadata", "name", (char *)NULL);
    if (n.ns == NULL)
        return;
    /* A pass reads every object of the project and drops them: one arena for all (a large
     * project's pass was mostly malloc and free). */
    struct json_bulk *bulk = json_bulk_new();
    n.stages = list(k, "stages", n.ns, bulk);
    n.freights = list(k, "freights", n.ns, bulk);
    n.promotions = list(k, "promotions", n.ns, bulk);
    n.warehouses = list(k, "warehouses", n.ns, bulk);
    struct sim_status *err = NULL;
    n.projectconfig = sim_store_get(k->store, "projectconfigs", n.ns, n.ns, &err);
    sim_status_free(err);
    kargo_ns_index(&n);

    kargo_promotions_pass(k, &n);
    kargo_stages_pass(k, &n);
    kargo_freight_pass(k, &n);
    kargo_warehouses_pass(k, &n);
    kargo_auto_pass(k, &n);
    projectconfig_status(k, &n);
    project_status(k, projects, project, &n);
    kargo_ns_unindex(&n);

    cJSON_Delete(n.stages);
    cJSON_Delete(n.freights);
    cJSON_Delete(n.promotions);
    cJSON_Delete(n.warehouses);
    cJSON_Delete(n.projectconfig);
    json_bulk_free(bulk);
}

/* One reconcile pass over every project; returns the number of writes it made. */
static int pass(struct kargo *k)
{
    k->writes = 0;
    k->next_due = KARGO_NEVER;
    k->pass_rv = sim_store_rv(k->store);
    k->passes++;
    cJSON *projects = list(k, "projects", NULL, NULL);
    cJSON *p;
    cJSON_ArrayForEach(p, projects)
    {
        namespace_pass(k, projects, p);
    }
    cJSON_Delete(projects);
    return k->writes;
}

static void settle_locked(struct kargo *k)
{
    int i = 0;
    while (i < SETTLE_MAX_PASSES && pass(k) > 0)
        i++;
    /* Still writing after the bound (or every write refused): try again soon, as before. */
    if (i == SETTLE_MAX_PASSES)
        k->next_due = simclock_now_ms(&k->clock);
}

void kargo_settle(struct kargo *k)
{
    pthread_mutex_lock(&k->pass_lock);
    settle_locked(k);
    pthread_mutex_unlock(&k->pass_lock);
}

void kargo_advance(struct kargo *k, int64_t ms, int64_t tick_ms)
{
    if (tick_ms <= 0)
        tick_ms = 1000;
    pthread_mutex_lock(&k->pass_lock);
    settle_locked(k);
    while (ms > 0) {
        int64_t step = ms < tick_ms ? ms : tick_ms;
        simclock_advance(&k->clock, step);
        settle_locked(k);
        ms -= step;
    }
    pthread_mutex_unlock(&k->pass_lock);
}

struct simclock *kargo_clock(struct kargo *k)
{
    return &k->clock;
}

int64_t kargo_next_due(struct kargo *k)
{
    pthread_mutex_lock(&k->pass_lock);
    int64_t due = k->next_due;
    pthread_mutex_unlock(&k->pass_lock);
    return due;
}

unsigned long kargo_passes(struct kargo *k)
{
    pthread_mutex_lock(&k->pass_lock);
    unsigned long n = k->passes;
    pthread_mutex_unlock(&k->pass_lock);
    return n;
}

/* Returns when another pass is needed: the store changed since the last pass began (a write of
 * ours or anyone's, also one that landed while it ran), the clock reached what it found due, or
 * the safety net ran out; or when the server stops. The last pass may be kargo_settle's or
 * kargo_advance's: then their state counts. */
static void wait_for_work(struct sim_controller *c, struct kargo *k)
{
    int64_t until = simclock_real_ms() + RUN_PASS_MAX_MS;
    while (!sim_controller_stopping(c)) {
        pthread_mutex_lock(&k->pass_lock);
        int64_t due = k->next_due;
        unsigned long long rv = k->pass_rv;
        pthread_mutex_unlock(&k->pass_lock);
        if (sim_store_rv(k->store) != rv || simclock_now_ms(&k->clock) >= due)
            return;
        int64_t wait = until - simclock_real_ms();
        if (wait <= 0)
            return;
        if (wait > RUN_LOOK_MS)
            wait = RUN_LOOK_MS;
        /* Stepped clock (-1): only kargo_advance moves it, and it passes itself. */
        int64_t to_due = due != KARGO_NEVER ? simclock_real_ms_until(&k->clock, due) : -1;
        if (to_due >= 0 && to_due + 1 < wait)
            wait = to_due + 1; /* rounded up: waking early would only look again */
        sim_store_wait(k->store, rv, (long)wait);
    }
}

static void run(struct sim_controller *c, void *ctx)
{
    struct kargo *k = ctx;
    while (!sim_controller_stopping(c)) {
        int64_t started = simclock_real_ms();
        pthread_mutex_lock(&k->pass_lock);
        settle_locked(k);
        pthread_mutex_unlock(&k->pass_lock);
        int64_t took = simclock_real_ms() - started;
        /* A big project (the large scenario) takes a while per pass: leave the CPU at least half
         * of the time to the API server. */
        if (took > 0 && !sim_controller_sleep(c, (long)took))
            break;
        wait_for_work(c, k);
    }
}

static void free_value(void *v)
{
    free(v);
}

static void kargo_free(void *ctx)
{
    struct kargo *k = ctx;
    hmap_free(&k->next_discovery, free_value);
    pthread_mutex_destroy(&k->pass_lock);
    pthread_mutex_destroy(&k->lock);
    simclock_destroy(&k->clock);
    free(k);
}

struct loader {
    struct kargo *k;
    int64_t shift;
    int count;
    int failed;
    char *cause;
    int64_t earliest; /* the history's first instant (shifted): when its Stages were made */
    char *stage_key;  /* "<ns>/<stage>" of stage_uid: Promotions come in runs per Stage */
    char *stage_uid;
};

/* A built-in history's Promotions get the owner reference Kargo's webhook gives every Promotion,
 * so deleting a Stage takes its Promotions with it, as on a cluster. */
static void own_promotion(struct loader *l, cJSON *obj, const char *ns)
{
    const char *stage = json_get_string(obj, "spec", "stage", (char *)NULL);
    if (stage == NULL || json_get(obj, "metadata", "ownerReferences", (char *)NULL) != NULL)
        return;
    char *key = xasprintf("%s/%s", ns ? ns : "default", stage);
    if (l->stage_key == NULL || strcmp(key, l->stage_key) != 0) {
        free(l->stage_key);
        free(l->stage_uid);
        l->stage_key = key;
        l->stage_uid = NULL;
        struct sim_status *err = NULL;
        cJSON *st = sim_store_get(l->k->store, "stages", ns ? ns : "default", stage, &err);
        sim_status_free(err);
        const char *uid = json_get_string(st, "metadata", "uid", (char *)NULL);
        if (uid != NULL)
            l->stage_uid = xstrdup(uid);
        cJSON_Delete(st);
    } else {
        free(key);
    }
    if (l->stage_uid == NULL)
        return;
    cJSON *owner = cJSON_CreateObject();
    cJSON_AddStringToObject(owner, "apiVersion", "kargo.akuity.io/v1alpha1");
    cJSON_AddStringToObject(owner, "kind", "Stage");
    cJSON_AddStringToObject(owner, "name", stage);
    cJSON_AddStringToObject(owner, "uid", l->stage_uid);
    cJSON_AddBoolToObject(owner, "controller", 1);
    cJSON_AddBoolToObject(owner, "blockOwnerDeletion", 1);
    cJSON *owners = cJSON_CreateArray();
    cJSON_AddItemToArray(owners, owner);
    cJSON_AddItemToObject(json_ensure_object(obj, "metadata", (char *)NULL), "ownerReferences",
                          owners);
}

static void ensure_namespace(struct kargo *k, const char *ns, const char *created)
{
    struct sim_status *err = NULL;
    cJSON *have = sim_store_get(k->store, "namespaces", NULL, ns, &err);
    sim_status_free(err);
    err = NULL;
    if (have != NULL) {
        cJSON_Delete(have);
        return;
    }
    cJSON *obj = cJSON_CreateObject();
    cJSON_AddStringToObject(obj, "apiVersion", "v1");
    cJSON_AddStringToObject(obj, "kind", "Namespace");
    cJSON *md = cJSON_AddObjectToObject(obj, "metadata");
    cJSON_AddStringToObject(md, "name", ns);
    if (created != NULL) /* as old as its Project */
        cJSON_AddStringToObject(md, "creationTimestamp", created);
    cJSON_AddStringToObject(cJSON_AddObjectToObject(md, "labels"), "kargo.akuity.io/project",
                            "true");
    struct sim_write_opts o = {.skip_admission = true};
    cJSON_Delete(sim_store_create(k->store, "namespaces", NULL, obj, &o, &err));
    sim_status_free(err);
    cJSON_Delete(obj);
}

static const char *plural_of(const char *kind)
{
    static const char *const map[][2] = {
        {"Project", "projects"},     {"ProjectConfig", "projectconfigs"},
        {"Warehouse", "warehouses"}, {"Stage", "stages"},
        {"Freight", "freights"},     {"Promotion", "promotions"},
        {"Namespace", "namespaces"}, {"Event", "events"},
    };
    for (size_t i = 0; kind != NULL && i < sizeof(map) / sizeof(*map); i++) {
        if (strcmp(map[i][0], kind) == 0)
            return map[i][1];
    }
    return NULL;
}

static void load_one(void *ctx, cJSON *obj)
{
    struct loader *l = ctx;
    if (l->failed) {
        cJSON_Delete(obj);
        return;
    }
    if (l->shift != 0)
        scenarios_shift_times(obj, l->shift);
    scenarios_set_created(obj, l->earliest);
    const char *kind = json_get_string(obj, "kind", (char *)NULL);
    const char *plural = plural_of(kind);
    const char *name = json_get_string(obj, "metadata", "name", (char *)NULL);
    const char *ns = json_get_string(obj, "metadata", "namespace", (char *)NULL);
    if (plural == NULL || name == NULL) {
        cause_set(&l->cause, "unsupported object kind %s", kind ? kind : "(none)");
        l->failed = 1;
        cJSON_Delete(obj);
        return;
    }
    if (strcmp(kind, "Project") == 0)
        ensure_namespace(l->k, name,
                         json_get_string(obj, "metadata", "creationTimestamp", (char *)NULL));
    if (strcmp(kind, "Promotion") == 0)
        own_promotion(l, obj, ns);
    struct sim_write_opts o = {.skip_admission = true};
    struct sim_status *err = NULL;
    cJSON *stored = sim_store_create(l->k->store, plural, ns, obj, &o, &err);
    if (stored == NULL) {
        cause_set(&l->cause, "%s \"%s\": %s", kind, name, err ? err->message : "not stored");
        l->failed = 1;
    } else {
        l->count++;
    }
    sim_status_free(err);
    cJSON_Delete(stored);
    cJSON_Delete(obj);
}

/* Pre-pass over a built-in history: its first instant, so that its Stages, Warehouses and
 * Projects are older than anything they hold. */
static void note_earliest(void *ctx, cJSON *obj)
{
    int64_t *first = ctx;
    int64_t t = scenarios_earliest(obj);
    if (t != 0 && (*first == 0 || t < *first))
        *first = t;
    cJSON_Delete(obj);
}

int kargo_load_scenario(struct kargo *k, const char *name_or_path, char **cause)
{
    struct loader l = {.k = k};
    int64_t now = simclock_now(&k->clock);
    if (strcmp(name_or_path, "demo") == 0) {
        /* The demo: the four teams' setups side by side, as separate projects. */
        static const char *const demo[] = {"backstage", "flask-app", "microsvcs", "myapp"};
        int total = 0;
        for (size_t i = 0; i < sizeof(demo) / sizeof(*demo); i++) {
            int n = kargo_load_scenario(k, demo[i], cause);
            if (n < 0)
                return -1;
            total += n;
        }
        return total;
    }
    if (strcmp(name_or_path, "large") == 0) {
        struct scenario_large_shape shape;
        scenarios_large_default(&shape);
        scenarios_large_scale(&shape, k->large_scale);
        scenarios_large_build(&shape, "large", now, load_one, &l);
    } else {
        const struct scenario_builtin *b = scenarios_find(name_or_path);
        if (b == NULL) {
            int n = sim_load_file(k->sim, name_or_path, cause);
            return n;
        }
        l.shift = now - SCENARIO_EPOCH;
        int64_t first = 0;
        if (kargo_yaml_each(b->name, b->yaml, b->len, note_earliest, &first, cause) < 0)
            return -1;
        l.earliest = first != 0 ? first + l.shift - 3600 : 0;
        if (kargo_yaml_each(b->name, b->yaml, b->len, load_one, &l, cause) < 0) {
            free(l.stage_key);
            free(l.stage_uid);
            free(l.cause);
            return -1;
        }
    }
    free(l.stage_key);
    free(l.stage_uid);
    if (l.failed) {
        cause_set(cause, "scenario %s: %s", name_or_path, l.cause ? l.cause : "load failed");
        free(l.cause);
        return -1;
    }
    return l.count;
}

static const char *project_of(const cJSON *obj)
{
    const char *kind = json_get_string(obj, "kind", (char *)NULL);
    if (kind != NULL && (strcmp(kind, "Project") == 0 || strcmp(kind, "Namespace") == 0))
        return json_get_string(obj, "metadata", "name", (char *)NULL);
    return NULL;
}

static void first_project(void *ctx, cJSON *obj)
{
    char **out = ctx;
    const char *p = project_of(obj);
    if (*out == NULL && p != NULL)
        *out = xstrdup(p);
    cJSON_Delete(obj);
}

char *kargo_scenario_project(const char *name_or_path, char **cause)
{
    if (strcmp(name_or_path, "demo") == 0)
        return kargo_scenario_project("backstage", cause);
    if (strcmp(name_or_path, "large") == 0)
        return xstrdup("large");
    char *out = NULL;
    const struct scenario_builtin *b = scenarios_find(name_or_path);
    if (b != NULL) {
        if (kargo_yaml_each(b->name, b->yaml, b->len, first_project, &out, cause) < 0)
            return NULL;
    } else {
        cJSON *docs = sim_yaml_load_file(name_or_path, NULL, cause);
        if (docs == NULL)
            return NULL;
        const cJSON *d;
        cJSON_ArrayForEach(d, docs)
        {
            const char *p = project_of(d);
            if (out == NULL && p != NULL)
                out = xstrdup(p);
        }
        cJSON_Delete(docs);
    }
    if (out == NULL)
        cause_set(cause, "scenario %s defines no Project", name_or_path);
    return out;
}

int kargo_install(struct sim *sim, void *ctx, char **cause)
{
    struct kargo_options *opt = ctx;
    struct kargo *k = xcalloc(1, sizeof(*k));
    k->sim = sim;
    k->store = sim_store(sim);
    simclock_init(&k->clock, opt->start_ms, opt->speed);
    pthread_mutex_init(&k->pass_lock, NULL);
    pthread_mutex_init(&k->lock, NULL);
    kargo_rng_seed(&k->rng, opt->seed ? opt->seed : 1);
    k->step_ms = opt->step_ms > 0 ? opt->step_ms : 3000;
    k->verify_ms = opt->verify_ms > 0 ? opt->verify_ms : 20000;
    k->discover = opt->discover;
    k->large_scale = opt->large_scale;
    hmap_init(&k->next_discovery);
    sim_store_set_clock(k->store, store_now, k);
    kargo_admission_install(k);
    for (const char *const *s = opt->scenarios; s != NULL && *s != NULL; s++) {
        if (kargo_load_scenario(k, *s, cause) < 0) {
            kargo_free(k);
            return -1;
        }
    }
    if (sim_controller_add(sim, "kargo-controller", run, k, kargo_free, cause) != 0)
        return -1;
    opt->out = k;
    return 0;
}
