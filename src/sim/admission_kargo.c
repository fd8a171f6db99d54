/* Kargo's admission webhooks (pkg/webhook/kubernetes/{promotion,freight,stage}): Promotions are
 * named, filled from their Stage and authorised with the `promote` verb; Freight is named by its
 * content and given an alias; user annotations that carry an actor are rewritten to JSON. */
#include "kargo_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/admission.h"
#include "sim/authz.h"
#include "sim/kargo_rules.h"
#include "sim/resource.h"
#include "sim/sim.h"
#include "sim/status.h"
#include "sim/store.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define ANN_STAGE    "kargo.akuity.io/stage"
#define ANN_ACTOR    "kargo.akuity.io/create-actor"
#define ANN_HOLD     "kargo.akuity.io/auto-promotion-hold"
#define ANN_RESUME   "kargo.akuity.io/auto-promotion-resume"
#define ANN_ABORT    "kargo.akuity.io/abort"
#define ANN_REVERIFY "kargo.akuity.io/reverify"
#define LABEL_ALIAS  "kargo.akuity.io/alias"
#define LABEL_SHARD  "kargo.akuity.io/shard"

static const struct sim_resource *res(const char *plural)
{
    return sim_resource_find(KARGO_GROUP, plural);
}

static struct sim_status *invalid(const char *plural, const char *name, const char *field,
                                  const char *message)
{
    struct sim_status *st = sim_status_invalid(res(plural), name);
    sim_status_add_cause(st, "FieldValueInvalid", message, field);
    sim_status_invalid_finish(st);
    return st;
}

static struct sim_status *forbidden(const char *plural, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static struct sim_status *forbidden(const char *plural, const char *name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *why = xvasprintf(fmt, ap);
    va_end(ap);
    struct sim_status *st = sim_status_new(403, "Forbidden", "%s.%s \"%s\" is forbidden: %s",
                                           plural, KARGO_GROUP, name ? name : "", why);
    sim_status_details(st, KARGO_GROUP, plural, name);
    free(why);
    return st;
}

/* Kargo's own service accounts (the controller, the API server) are the control plane: their
 * requests carry no actor and skip the per-user checks. */
static bool control_plane(const char *user)
{
    /* kube's garbage collector removes a deleted Stage's Promotions (their owner reference);
     * Kargo's webhooks must not stand in its way. */
    return user == NULL || strncmp(user, "system:serviceaccount:kargo:", 28) == 0 ||
           strcmp(user, "system:serviceaccount:kube-system:generic-garbage-collector") == 0;
}

static bool may_promote(struct kargo *k, const char *user, const char *ns, const char *stage)
{
    if (control_plane(user))
        return true;
    struct sim_authz_request rq = {.user = user,
                                   .groups = sim_user_groups(k->sim, user),
                                   .store = k->store,
                                   .verb = "promote",
                                   .group = KARGO_GROUP,
                                   .resource = "stages",
                                   .ns = ns,
                                   .name = stage};
    return sim_authz_allowed(&rq);
}

static cJSON *annotations(cJSON *obj)
{
    return json_ensure_object(obj, "metadata", "annotations", (char *)NULL);
}

static void drop_key(cJSON *obj, const char *key)
{
    cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
}

/* Stage names longer than a label value may be are shortened with a hash, as Kargo does. */
static void stage_label(const char *stage, char *buf, size_t n)
{
    size_t len = strlen(stage);
    if (len <= 63) {
        snprintf(buf, n, "%s", stage);
        return;
    }
    char hex[41];
    kargo_sha1_hex(stage, len, hex);
    snprintf(buf, n, "%.52s-%.10s", stage, hex);
}

/* {"action":"terminate","actor":...,"controlPlane":false} from "terminate" or partial JSON. */
static char *abort_json(const char *value, const char *actor_user, const char *id_key)
{
    cJSON *v = cJSON_Parse(value);
    if (!cJSON_IsObject(v)) {
        cJSON_Delete(v);
        v = cJSON_CreateObject();
        if (id_key != NULL)
            cJSON_AddStringToObject(v, id_key, value);
        else
            cJSON_AddStringToObject(v, "action", value);
    }
    char *actor = xasprintf("kubernetes:%s", actor_user);
    kargo_json_put(v, "actor", cJSON_CreateString(actor));
    kargo_json_put(v, "controlPlane", cJSON_CreateBool(0));
    free(actor);
    char *s = cJSON_PrintUnformatted(v);
    cJSON_Delete(v);
    return s;
}

/* The Stage's steps with PromotionTask references replaced by the task's steps, aliased
 * "<taskAlias>::<stepAlias|step-N>" and carrying the task's vars (overridden by the reference's),
 * as the v1.11 webhook inflates them. NULL with *why when a task does not exist. */
static cJSON *inflate_steps(struct kargo *k, const cJSON *steps, const char *ns, char **why)
{
    cJSON *out = cJSON_CreateArray();
    int i = 0;
    const cJSON *step;
    cJSON_ArrayForEach(step, steps)
    {
        i++;
        const char *tname = json_get_string(step, "task", "name", (char *)NULL);
        if (tname == NULL) {
            cJSON_AddItemToArray(out, cJSON_Duplicate(step, true));
            continue;
        }
        const char *tkind = json_get_string(step, "task", "kind", (char *)NULL);
        bool cluster = tkind != NULL && strcmp(tkind, "ClusterPromotionTask") == 0;
        struct sim_status *err = NULL;
        cJSON *task = sim_store_get(k->store, cluster ? "clusterpromotiontasks" : "promotiontasks",
                                    cluster ? NULL : ns, tname, &err);
        sim_status_free(err);
        if (task == NULL) {
            *why = xasprintf("%s \"%s\" not found",
                             cluster ? "ClusterPromotionTask" : "PromotionTask", tname);
            cJSON_Delete(out);
            return NULL;
        }
        char talias[128];
        const char *as = json_get_string(step, "as", (char *)NULL);
        if (as != NULL && *as)
            snprintf(talias, sizeof(talias), "%s", as);
        else
            snprintf(talias, sizeof(talias), "task-%d", i);
        cJSON *vars = cJSON_Duplicate(json_get(task, "spec", "vars", (char *)NULL), true);
        if (vars == NULL)
            vars = cJSON_CreateArray();
        const cJSON *ov;
        cJSON_ArrayForEach(ov, json_get(step, "vars", (char *)NULL))
        {
            const char *vn = json_get_string(ov, "name", (char *)NULL);
            cJSON *have = NULL, *v;
            cJSON_ArrayForEach(v, vars)
            {
                const char *n = json_get_string(v, "name", (char *)NULL);
                if (vn != NULL && n != NULL && strcmp(n, vn) == 0)
                    have = v;
            }
            if (have != NULL)
                cJSON_ReplaceItemViaPointer(vars, have, cJSON_Duplicate(ov, true));
            else
                cJSON_AddItemToArray(vars, cJSON_Duplicate(ov, true));
        }
        int j = 0;
        const cJSON *ts;
        cJSON_ArrayForEach(ts, json_get(task, "spec", "steps", (char *)NULL))
        {
            j++;
            cJSON *c = cJSON_Duplicate(ts, true);
            const char *sas = json_get_string(ts, "as", (char *)NULL);
            char *alias = sas != NULL && *sas ? xasprintf("%s::%s", talias, sas)
                                              : xasprintf("%s::step-%d", talias, j);
            kargo_json_put(c, "as", cJSON_CreateString(alias));
            free(alias);
            if (cJSON_GetArraySize(vars) > 0)
                kargo_json_put(c, "vars", cJSON_Duplicate(vars, true));
            cJSON_AddItemToArray(out, c);
        }
        cJSON_Delete(vars);
        cJSON_Delete(task);
    }
    return out;
}

struct sim_status *kargo_promotion_build(struct kargo *k, cJSON *promo, const char *ns,
                                         const char *user)
{
    if (control_plane(user))
        user = NULL;
    const char *pname = json_get_string(promo, "metadata", "name", (char *)NULL);
    const char *stage_name = json_get_string(promo, "spec", "stage", (char *)NULL);
    if (stage_name == NULL)
        return NULL; /* the schema check answers with "spec.stage: Required value" */
    bool has_freight = json_get(promo, "spec", "freight", (char *)NULL) != NULL;
    bool has_origin = json_get(promo, "spec", "origin", (char *)NULL) != NULL;
    if (has_freight == has_origin)
        return invalid("promotions", pname, "spec",
                       "exactly one of spec.freight or spec.origin must be set");
    if (!may_promote(k, user, ns, stage_name))
        return forbidden("promotions", pname,
                         "subject \"%s\" is not permitted to create Promotions for Stage \"%s\"",
                         user, stage_name);
    struct sim_status *err = NULL;
    cJSON *stage = sim_store_get(k->store, "stages", ns, stage_name, &err);
    if (stage == NULL) {
        sim_status_free(err);
        return sim_status_new(404, "NotFound", "could not find Stage \"%s\" in namespace \"%s\"",
                              stage_name, ns);
    }
    struct sim_status *result = NULL;
    cJSON *freights = NULL, *freight = NULL, *pc = NULL;
    const cJSON *steps =
        json_get(stage, "spec", "promotionTemplate", "spec", "steps", (char *)NULL);
    if (cJSON_GetArraySize(steps) == 0) {
        result = invalid("promotions", pname, "spec.stage", "Stage defines no promotion steps");
        goto out;
    }
    freights = sim_store_list(k->store, "freights", ns, NULL, &err);
    sim_status_free(err);
    err = NULL;
    int64_t now = kargo_now(k);
    if (has_origin) {
        const char *wh = json_get_string(promo, "spec", "origin", "name", (char *)NULL);
        const cJSON **arr = xcalloc((size_t)cJSON_GetArraySize(freights) + 1, sizeof(*arr));
        size_t n = 0;
        cJSON *it;
        cJSON_ArrayForEach(it, freights)
        {
            arr[n++] = it;
        }
        const cJSON *cand = wh ? kargo_auto_candidate(stage, wh, arr, n, now) : NULL;
        free(arr);
        if (cand == NULL) {
            char *m = xasprintf("no auto-promotion candidate found for origin Warehouse/%s",
                                wh ? wh : "");
            result = invalid("promotions", pname, "spec.origin", m);
            free(m);
            goto out;
        }
        cJSON *spec = json_ensure_object(promo, "spec", (char *)NULL);
        drop_key(spec, "origin");
        json_set_string(spec, "freight", json_get_string(cand, "metadata", "name", (char *)NULL));
    }
    const char *fname = json_get_string(promo, "spec", "freight", (char *)NULL);
    freight = fname ? kargo_find(freights, fname) : NULL;
    if (freight == NULL) {
        char *m = xasprintf("Freight \"%s\" not found in namespace \"%s\"", fname ? fname : "", ns);
        result = invalid("promotions", pname, "spec.freight", m);
        free(m);
        goto out;
    }
    if (!kargo_freight_available(stage, freight, now)) {
        result =
            invalid("promotions", pname, "spec.freight", "Freight is not available to this Stage");
        goto out;
    }

    char *why = NULL;
    cJSON *inflated = inflate_steps(k, steps, ns, &why);
    if (inflated == NULL) {
        result = invalid("promotions", pname, "spec.steps", why);
        free(why);
        goto out;
    }

    /* Name, steps and vars as GeneratePromotionName and the v1.11 webhook make them. */
    char ulid[KARGO_ULID_LEN + 1];
    kargo_ulid_now(k, ulid);
    char *name = kargo_promotion_name(stage_name, ulid, fname);
    cJSON *md = json_ensure_object(promo, "metadata", (char *)NULL);
    json_set_string(md, "name", name);
    drop_key(md, "generateName");
    free(name);
    cJSON *spec = json_ensure_object(promo, "spec", (char *)NULL);
    kargo_json_put(spec, "steps", inflated);
    cJSON *vars = cJSON_CreateArray();
    const cJSON *v;
    cJSON_ArrayForEach(v, json_get(stage, "spec", "vars", (char *)NULL))
    {
        cJSON_AddItemToArray(vars, cJSON_Duplicate(v, true));
    }
    cJSON_ArrayForEach(v,
                       json_get(stage, "spec", "promotionTemplate", "spec", "vars", (char *)NULL))
    {
        cJSON_AddItemToArray(vars, cJSON_Duplicate(v, true));
    }
    if (cJSON_GetArraySize(vars) > 0)
        kargo_json_put(spec, "vars", vars);
    else {
        cJSON_Delete(vars);
        drop_key(spec, "vars");
    }

    cJSON *labels = json_ensure_object(promo, "metadata", "labels", (char *)NULL);
    char lbl[80];
    stage_label(stage_name, lbl, sizeof(lbl));
    json_set_string(labels, ANN_STAGE, lbl);
    const char *shard = json_get_string(stage, "spec", "shard", (char *)NULL);
    if (shard != NULL && *shard)
        json_set_string(labels, LABEL_SHARD, shard);
    else
        drop_key(labels, LABEL_SHARD);
    cJSON *ann = annotations(promo);
    json_set_string(ann, ANN_STAGE, stage_name);
    drop_key(ann, ANN_HOLD);
    drop_key(ann, ANN_RESUME);
    if (user != NULL) {
        char *actor = xasprintf("kubernetes:%s", user);
        json_set_string(ann, ANN_ACTOR, actor);
        free(actor);
        /* A person promoting while auto-promotion is on either pins the Stage (hold) or hands
         * it back to auto-promotion (resume), per origin. */
        pc = sim_store_get(k->store, "projectconfigs", ns, ns, &err);
        sim_status_free(err);
        err = NULL;
        if (pc != NULL && kargo_auto_promotion_enabled(pc, stage)) {
            const char *wh = json_get_string(freight, "origin", "name", (char *)NULL);
            const cJSON **arr = xcalloc((size_t)cJSON_GetArraySize(freights) + 1, sizeof(*arr));
            size_t n = 0;
            cJSON *it;
            cJSON_ArrayForEach(it, freights)
            {
                arr[n++] = it;
            }
            const cJSON *cand = kargo_auto_candidate(stage, wh, arr, n, now);
            free(arr);
            char key[300];
            kargo_origin_key(freight, key, sizeof(key));
            bool is_cand =
                cand != NULL &&
                strcmp(json_get_string(cand, "metadata", "name", (char *)NULL), fname) == 0;
            json_set_string(ann, is_cand ? ANN_RESUME : ANN_HOLD, key);
        }
    } else {
        drop_key(ann, ANN_ACTOR);
    }
    const char *abort_v = json_get_string(ann, ANN_ABORT, (char *)NULL);
    if (abort_v != NULL && user != NULL) {
        char *j = abort_json(abort_v, user, NULL);
        json_set_string(ann, ANN_ABORT, j);
        free(j);
    }

    cJSON *owners = cJSON_CreateArray();
    cJSON *owner = cJSON_CreateObject();
    cJSON_AddStringToObject(owner, "apiVersion", KARGO_API);
    cJSON_AddStringToObject(owner, "kind", "Stage");
    cJSON_AddStringToObject(owner, "name", stage_name);
    const char *uid = json_get_string(stage, "metadata", "uid", (char *)NULL);
    cJSON_AddStringToObject(owner, "uid", uid ? uid : "");
    cJSON_AddBoolToObject(owner, "controller", 1);
    cJSON_AddBoolToObject(owner, "blockOwnerDeletion", 1);
    cJSON_AddItemToArray(owners, owner);
    kargo_json_put(md, "ownerReferences", owners);
out:
    cJSON_Delete(stage);
    cJSON_Delete(freights);
    cJSON_Delete(pc);
    return result;
}

static struct sim_status *promotion_mutate(void *ctx, struct sim_admission_request *req)
{
    struct kargo *k = ctx;
    if (req->subresource != NULL && *req->subresource)
        return NULL;
    if (req->op == SIM_OP_CREATE)
        return kargo_promotion_build(k, req->object, req->ns, req->user);
    if (req->op != SIM_OP_UPDATE)
        return NULL;
    const char *user = control_plane(req->user) ? NULL : req->user;
    /* Actor annotations are fixed at creation; an abort request gets its actor. */
    cJSON *ann = annotations(req->object);
    static const char *const fixed[] = {ANN_ACTOR, ANN_HOLD, ANN_RESUME};
    for (size_t i = 0; i < sizeof(fixed) / sizeof(*fixed); i++) {
        const char *old =
            json_get_string(req->old_object, "metadata", "annotations", fixed[i], (char *)NULL);
        if (old != NULL)
            json_set_string(ann, fixed[i], old);
        else
            drop_key(ann, fixed[i]);
    }
    const char *abort_v = json_get_string(ann, ANN_ABORT, (char *)NULL);
    const char *old_abort =
        json_get_string(req->old_object, "metadata", "annotations", ANN_ABORT, (char *)NULL);
    if (abort_v != NULL && user != NULL && (old_abort == NULL || strcmp(old_abort, abort_v) != 0)) {
        char *j = abort_json(abort_v, user, NULL);
        json_set_string(ann, ANN_ABORT, j);
        free(j);
    }
    return NULL;
}

static struct sim_status *promotion_validate(void *ctx, struct sim_admission_request *req)
{
    struct kargo *k = ctx;
    if (control_plane(req->user) || (req->subresource != NULL && *req->subresource))
        return NULL;
    const cJSON *obj = req->op == SIM_OP_DELETE ? req->old_object : req->object;
    const char *stage = json_get_string(obj, "spec", "stage", (char *)NULL);
    if (req->op != SIM_OP_CREATE && stage != NULL && !may_promote(k, req->user, req->ns, stage))
        return forbidden("promotions", req->name,
                         "subject \"%s\" is not permitted to %s Promotions for Stage \"%s\"",
                         req->user, req->op == SIM_OP_DELETE ? "delete" : "update", stage);
    if (req->op == SIM_OP_UPDATE && !cJSON_Compare(json_get(req->old_object, "spec", (char *)NULL),
                                                   json_get(obj, "spec", (char *)NULL), true))
        return invalid("promotions", req->name, "spec", "spec is immutable");
    return NULL;
}

struct alias_ctx {
    const cJSON *freights;
    const char *self;
};

static bool alias_taken(void *ctx, const char *alias)
{
    const struct alias_ctx *a = ctx;
    const cJSON *it;
    cJSON_ArrayForEach(it, a->freights)
    {
        const char *n = json_get_string(it, "metadata", "name", (char *)NULL);
        const char *al = json_get_string(it, "alias", (char *)NULL);
        if (al == NULL)
            al = json_get_string(it, "metadata", "labels", LABEL_ALIAS, (char *)NULL);
        if (al != NULL && strcmp(al, alias) == 0 &&
            (a->self == NULL || n == NULL || strcmp(n, a->self) != 0))
            return true;
    }
    return false;
}

/* Equal, counting an absent list as an empty one (schema defaults may add either). */
static bool same_content(const cJSON *a, const cJSON *b)
{
    bool a_empty = a == NULL || (cJSON_IsArray(a) && cJSON_GetArraySize(a) == 0);
    bool b_empty = b == NULL || (cJSON_IsArray(b) && cJSON_GetArraySize(b) == 0);
    if (a_empty || b_empty)
        return a_empty && b_empty;
    return cJSON_Compare(a, b, true);
}

static const char *const freight_content[] = {"origin", "commits", "images", "charts", "artifacts"};

/* A new Freight's artifacts must come from its Warehouse's subscriptions; the reason when not. */
static char *unsubscribed(struct kargo *k, const cJSON *freight, const char *ns)
{
    const char *wh = json_get_string(freight, "origin", "name", (char *)NULL);
    struct sim_status *err = NULL;
    cJSON *w = wh != NULL ? sim_store_get(k->store, "warehouses", ns, wh, &err) : NULL;
    sim_status_free(err);
    if (w == NULL)
        return xasprintf("Warehouse \"%s\" not found in namespace \"%s\"", wh ? wh : "", ns);
    static const struct {
        const char *list, *sub, *what;
    } kinds[] = {{"images", "image", "image"},
                 {"charts", "chart", "chart"},
                 {"commits", "git", "git repository"}};
    char *why = NULL;
    for (size_t i = 0; i < 3 && why == NULL; i++) {
        const cJSON *a;
        cJSON_ArrayForEach(a, json_get(freight, kinds[i].list, (char *)NULL))
        {
            const char *url = json_get_string(a, "repoURL", (char *)NULL);
            bool found = false;
            const cJSON *sub;
            cJSON_ArrayForEach(sub, json_get(w, "spec", "subscriptions", (char *)NULL))
            {
                const char *su = json_get_string(sub, kinds[i].sub, "repoURL", (char *)NULL);
                found = found || (su != NULL && url != NULL && strcmp(su, url) == 0);
            }
            if (!found && why == NULL)
                why = xasprintf("no subscription found for %s \"%s\" in Warehouse \"%s\"",
                                kinds[i].what, url ? url : "", wh);
        }
    }
    cJSON_Delete(w);
    return why;
}

static struct sim_status *freight_mutate(void *ctx, struct sim_admission_request *req)
{
    struct kargo *k = ctx;
    if (req->subresource != NULL && *req->subresource)
        return NULL;
    cJSON *obj = req->object;
    if (req->op == SIM_OP_CREATE) {
        char id[41];
        char *why = NULL;
        if (kargo_freight_id(obj, id, &why) != 0) {
            struct sim_status *st = invalid("freights", req->name, "", why);
            free(why);
            return st;
        }
        char *stray = unsubscribed(k, obj, req->ns);
        if (stray != NULL) {
            struct sim_status *st = invalid("freights", req->name, "origin", stray);
            free(stray);
            return st;
        }
        json_set_string(json_ensure_object(obj, "metadata", (char *)NULL), "name", id);
        drop_key(json_ensure_object(obj, "metadata", (char *)NULL), "generateName");
        if (json_get_string(obj, "discoveredAt", (char *)NULL) == NULL) {
            char now[32];
            kargo_now_str(k, now, sizeof(now));
            json_set_string(obj, "discoveredAt", now);
        }
    }
    if (req->op != SIM_OP_CREATE && req->op != SIM_OP_UPDATE)
        return NULL;
    /* The alias lives in .alias and in the label; whichever the request changed wins. */
    cJSON *labels = json_ensure_object(obj, "metadata", "labels", (char *)NULL);
    const char *alias = json_get_string(obj, "alias", (char *)NULL);
    const char *label = json_get_string(labels, LABEL_ALIAS, (char *)NULL);
    const char *old_alias = json_get_string(req->old_object, "alias", (char *)NULL);
    char *chosen = NULL;
    if (alias != NULL && (old_alias == NULL || strcmp(alias, old_alias) != 0))
        chosen = xstrdup(alias);
    else if (label != NULL && (old_alias == NULL || strcmp(label, old_alias) != 0))
        chosen = xstrdup(label);
    else if (alias != NULL)
        chosen = xstrdup(alias);
    struct sim_status *err = NULL;
    cJSON *freights = sim_store_list(k->store, "freights", req->ns, NULL, &err);
    sim_status_free(err);
    struct alias_ctx ac = {freights, json_get_string(obj, "metadata", "name", (char *)NULL)};
    struct sim_status *result = NULL;
    if (chosen == NULL) {
        pthread_mutex_lock(&k->lock);
        chosen = kargo_alias(&k->rng, alias_taken, &ac);
        pthread_mutex_unlock(&k->lock);
    } else if (alias_taken(&ac, chosen)) {
        result = sim_status_conflict(res("freights"), req->name);
        free(result->message);
        result->message = xasprintf("alias \"%s\" already used by another piece of Freight in "
                                    "namespace \"%s\"",
                                    chosen, req->ns);
    }
    json_set_string(obj, "alias", chosen);
    json_set_string(labels, LABEL_ALIAS, chosen);
    free(chosen);
    cJSON_Delete(freights);
    return result;
}

static bool freight_in_use(struct kargo *k, const char *ns, const char *name, struct strbuf *who)
{
    struct sim_status *err = NULL;
    cJSON *stages = sim_store_list(k->store, "stages", ns, NULL, &err);
    sim_status_free(err);
    bool used = false;
    cJSON *st;
    cJSON_ArrayForEach(st, stages)
    {
        const cJSON *cur =
            json_get(cJSON_GetArrayItem(json_get(st, "status", "freightHistory", (char *)NULL), 0),
                     "items", (char *)NULL);
        const cJSON *it;
        cJSON_ArrayForEach(it, cur)
        {
            const char *n = json_get_string(it, "name", (char *)NULL);
            if (n != NULL && strcmp(n, name) == 0) {
                strbuf_append(who, used ? " " : "");
                strbuf_append(who, json_get_string(st, "metadata", "name", (char *)NULL));
                used = true;
                break;
            }
        }
    }
    cJSON_Delete(stages);
    return used;
}

static struct sim_status *freight_validate(void *ctx, struct sim_admission_request *req)
{
    struct kargo *k = ctx;
    if (req->op == SIM_OP_DELETE) {
        struct strbuf who;
        strbuf_init(&who);
        struct sim_status *st = NULL;
        if (freight_in_use(k, req->ns, req->name, &who))
            st = forbidden("freights", req->name, "freight is in-use by stages [%s]", who.buf);
        strbuf_free(&who);
        return st;
    }
    if (req->op != SIM_OP_UPDATE)
        return NULL;
    if (req->subresource != NULL && strcmp(req->subresource, "status") == 0) {
        /* Approvals are status writes; each new one is announced as Kargo's webhook does. */
        const cJSON *a;
        cJSON_ArrayForEach(a, json_get(req->object, "status", "approvedFor", (char *)NULL))
        {
            if (json_get(req->old_object, "status", "approvedFor", a->string, (char *)NULL) !=
                    NULL ||
                req->dry_run)
                continue;
            char *msg = xasprintf("Freight approved for Stage \"%s\"", a->string);
            char *actor = control_plane(req->user) ? xstrdup("controller:kargo-controller")
                                                   : xasprintf("kubernetes:%s", req->user);
            kargo_event(k, req->ns, req->object, "FreightApproved", false, msg, "actor", actor,
                        "stage-name", a->string, (char *)NULL);
            free(msg);
            free(actor);
        }
        return NULL;
    }
    for (size_t i = 0; i < sizeof(freight_content) / sizeof(*freight_content); i++) {
        if (!same_content(json_get(req->old_object, freight_content[i], (char *)NULL),
                          json_get(req->object, freight_content[i], (char *)NULL)))
            return invalid("freights", req->name, freight_content[i], "Freight is immutable");
    }
    return NULL;
}

static struct sim_status *stage_mutate(void *ctx, struct sim_admission_request *req)
{
    (void)ctx;
    if (req->op == SIM_OP_DELETE || (req->subresource != NULL && *req->subresource))
        return NULL;
    cJSON *obj = req->object;
    cJSON *labels = json_ensure_object(obj, "metadata", "labels", (char *)NULL);
    const char *shard = json_get_string(obj, "spec", "shard", (char *)NULL);
    if (shard != NULL && *shard)
        json_set_string(labels, LABEL_SHARD, shard);
    else
        drop_key(labels, LABEL_SHARD);
    if (cJSON_GetArraySize(labels) == 0)
        drop_key(json_ensure_object(obj, "metadata", (char *)NULL), "labels");
    if (control_plane(req->user))
        return NULL;
    /* Reverify and verification-abort requests carry the requesting actor. */
    static const char *const keyed[] = {ANN_REVERIFY, ANN_ABORT};
    cJSON *ann = (cJSON *)json_get(obj, "metadata", "annotations", (char *)NULL);
    for (size_t i = 0; ann != NULL && i < 2; i++) {
        const char *v = json_get_string(ann, keyed[i], (char *)NULL);
        const char *old =
            json_get_string(req->old_object, "metadata", "annotations", keyed[i], (char *)NULL);
        if (v == NULL || (old != NULL && strcmp(old, v) == 0))
            continue;
        char *j = abort_json(v, req->user, "id");
        json_set_string(ann, keyed[i], j);
        free(j);
    }
    return NULL;
}

void kargo_admission_install(struct kargo *k)
{
    sim_admission_add(k->store, "promotions", true, promotion_mutate, k);
    sim_admission_add(k->store, "promotions", false, promotion_validate, k);
    sim_admission_add(k->store, "freights", true, freight_mutate, k);
    sim_admission_add(k->store, "freights", false, freight_validate, k);
    sim_admission_add(k->store, "stages", true, stage_mutate, k);
}
