/* Derived state over the store's objects; the rules follow KARGO-API.md (§4.1, §10.3, §13). */
#include "model/derive.h"

#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

static bool cond_is(const struct kargo_stage *s, const char *type, const char *status,
                    bool not_no_freight)
{
    const struct kargo_condition *c = kargo_condition(s->conditions, s->n_conditions, type);
    if (c == NULL || c->status == NULL || strcmp(c->status, status) != 0)
        return false;
    return !not_no_freight || c->reason == NULL || strcmp(c->reason, "NoFreight") != 0;
}

enum stage_phase derive_stage_phase(const struct kargo_stage *s, bool controller_alive)
{
    if (!controller_alive)
        return PHASE_FAILED;
    if (cond_is(s, "Promoting", "True", true))
        return PHASE_PROMOTING;
    if (cond_is(s, "Verified", "Unknown", true))
        return PHASE_VERIFYING;
    if (cond_is(s, "Reconciling", "True", false))
        return PHASE_RECONCILING;
    if (cond_is(s, "Ready", "False", true))
        return PHASE_FAILED;
    if (cond_is(s, "Ready", "True", false))
        return PHASE_READY;
    return PHASE_UNKNOWN;
}

const char *derive_phase_name(enum stage_phase p)
{
    switch (p) {
    case PHASE_READY:
        return "Ready";
    case PHASE_FAILED:
        return "Failed";
    case PHASE_RECONCILING:
        return "Reconciling";
    case PHASE_VERIFYING:
        return "Verifying";
    case PHASE_PROMOTING:
        return "Promoting";
    case PHASE_UNKNOWN:
        break;
    }
    return "Unknown";
}

enum stage_health derive_stage_health(const struct kargo_stage *s)
{
    static const struct {
        const char *name;
        enum stage_health health;
    } names[] = {
        {"Healthy", HEALTH_HEALTHY},    {"Progressing", HEALTH_PROGRESSING},
        {"Unknown", HEALTH_UNKNOWN},    {"Unhealthy", HEALTH_UNHEALTHY},
        {"Degraded", HEALTH_UNHEALTHY}, {"NotApplicable", HEALTH_NOT_APPLICABLE},
    };
    if (s->health == NULL || *s->health == '\0')
        return HEALTH_NONE;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s->health, names[i].name) == 0)
            return names[i].health;
    return HEALTH_UNKNOWN;
}

const char *derive_health_name(enum stage_health h)
{
    switch (h) {
    case HEALTH_HEALTHY:
        return "Healthy";
    case HEALTH_PROGRESSING:
        return "Progressing";
    case HEALTH_UNKNOWN:
        return "Unknown";
    case HEALTH_UNHEALTHY:
        return "Unhealthy";
    case HEALTH_NOT_APPLICABLE:
        return "NotApplicable";
    case HEALTH_NONE:
        break;
    }
    return "";
}

size_t derive_current_freight(const struct kargo_stage *s, const struct kargo_freight_ref ***out)
{
    *out = NULL;
    if (s->n_history == 0 || s->history[0].n_items == 0)
        return 0;
    const struct kargo_freight_collection *c = &s->history[0];
    const struct kargo_freight_ref **v = xcalloc(c->n_items, sizeof *v);
    size_t n = 0;
    const char *first =
        s->last_promotion.freight.name ? s->last_promotion.freight.origin.key : NULL;
    /* kargo#7137: the latest promotion's origin is the one the engineer just acted on */
    for (size_t i = 0; first != NULL && i < c->n_items; i++)
        if (strcmp(c->items[i].origin.key, first) == 0)
            v[n++] = &c->items[i];
    for (size_t i = 0; i < c->n_items; i++)
        if (first == NULL || strcmp(c->items[i].origin.key, first) != 0)
            v[n++] = &c->items[i];
    *out = v;
    return n;
}

static const struct kargo_freight_ref *collection_item(const struct kargo_freight_collection *c,
                                                       const char *origin_key)
{
    for (size_t i = 0; i < c->n_items; i++)
        if (strcmp(c->items[i].origin.key, origin_key) == 0)
            return &c->items[i];
    return NULL;
}

/* The newest Succeeded Promotion of freight to stage. */
static const struct kargo_promotion *promotion_of(const struct store *st, const char *stage,
                                                  const char *freight)
{
    const struct kargo_promotion *const *v;
    size_t n = store_stage_promotions(st, stage, &v);
    for (size_t i = n; i-- > 0;) {
        const struct kargo_promotion *p = v[i];
        const char *pf = p->freight ? p->freight : p->status_freight.name;
        if (pf != NULL && strcmp(pf, freight) == 0 && strcmp(p->phase, "Succeeded") == 0)
            return p;
    }
    return NULL;
}

size_t derive_stage_history(const struct store *st, const struct kargo_stage *s,
                            const char *origin_key, struct history_entry **out)
{
    *out = NULL;
    size_t n = 0;
    const struct kargo_freight_ref *newer =
        s->n_history > 0 ? collection_item(&s->history[0], origin_key) : NULL;
    for (size_t i = 1; i < s->n_history; i++) {
        const struct kargo_freight_collection *c = &s->history[i];
        const struct kargo_freight_ref *r = collection_item(c, origin_key);
        if (r == NULL || r->name == NULL)
            continue;
        if (newer != NULL && newer->name != NULL && strcmp(newer->name, r->name) == 0)
            continue;
        newer = r;
        if (*out == NULL)
            *out = xcalloc(s->n_history, sizeof **out);
        struct history_entry *e = &(*out)[n++];
        e->freight = r;
        e->index = i;
        e->verification = c->n_verifications > 0 ? c->verifications[0].phase : NULL;
        const struct kargo_promotion *p = promotion_of(st, s->name, r->name);
        e->promotion = p ? p->name : NULL;
        e->promoted = p ? p->finished : 0;
    }
    return n;
}

static bool stage_uses(const struct kargo_stage *s, const char *freight)
{
    if (s->n_history == 0)
        return false;
    const struct kargo_freight_collection *c = &s->history[0];
    for (size_t i = 0; i < c->n_items; i++)
        if (c->items[i].name != NULL && strcmp(c->items[i].name, freight) == 0)
            return true;
    return false;
}

static const char **mark_names(const struct kargo_stage_mark *m, size_t n)
{
    if (n == 0)
        return NULL;
    const char **v = xcalloc(n, sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = m[i].stage;
    return v;
}

void derive_freight_usage(const struct store *st, const struct kargo_freight *f,
                          struct freight_usage *out)
{
    memset(out, 0, sizeof *out);
    const struct kargo_stage *const *stages;
    size_t n = store_stages(st, &stages);
    for (size_t i = 0; i < n; i++) {
        if (!stage_uses(stages[i], f->ref.name))
            continue;
        if (out->in == NULL)
            out->in = xcalloc(n, sizeof *out->in);
        out->in[out->n_in++] = stages[i]->name;
    }
    out->verified = mark_names(f->verified_in, f->n_verified_in);
    out->n_verified = f->n_verified_in;
    out->approved = mark_names(f->approved_for, f->n_approved_for);
    out->n_approved = f->n_approved_for;
}

void derive_freight_usage_free(struct freight_usage *u)
{
    free(u->in);
    free(u->verified);
    free(u->approved);
    memset(u, 0, sizeof *u);
}

bool derive_freight_unused(const struct store *st, const struct kargo_freight *f)
{
    const struct kargo_stage *const *stages;
    size_t n = store_stages(st, &stages);
    for (size_t i = 0; i < n; i++)
        if (stage_uses(stages[i], f->ref.name))
            return false;
    return true;
}

struct cursor {
    const struct kargo_freight *const *v;
    size_t left; /* entries not taken yet: the next is v[left - 1] */
};

static bool newer(const struct kargo_freight *a, const struct kargo_freight *b)
{
    if (a->discovered != b->discovered)
        return a->discovered > b->discovered;
    return strcmp(a->ref.name, b->ref.name) > 0;
}

size_t derive_freight_page(const struct store *st, const char *const *origins, size_t n_origins,
                           bool hide_unused, size_t offset, size_t limit,
                           const struct kargo_freight **out)
{
    const char **all = NULL;
    if (n_origins == 0) {
        n_origins = store_freight_origins(st, &all);
        origins = all;
    }
    struct cursor *cur = xcalloc(n_origins ? n_origins : 1, sizeof *cur);
    for (size_t i = 0; i < n_origins; i++)
        cur[i].left = store_freight_of_origin(st, origins[i], &cur[i].v);
    size_t n = 0;
    while (n < limit) {
        size_t best = n_origins;
        for (size_t i = 0; i < n_origins; i++)
            if (cur[i].left > 0 && (best == n_origins || newer(cur[i].v[cur[i].left - 1],
                                                               cur[best].v[cur[best].left - 1])))
                best = i;
        if (best == n_origins)
            break;
        const struct kargo_freight *f = cur[best].v[--cur[best].left];
        if (hide_unused && derive_freight_unused(st, f))
            continue;
        if (offset > 0) {
            offset--;
            continue;
        }
        out[n++] = f;
    }
    free(cur);
    free(all);
    return n;
}

/* Milliseconds of soak still needed in upstream stage up; 0 when soaked, -1 when not verified
 * there. */
static long long soak_needed(const struct kargo_freight *f, const char *up, long long soak_ms,
                             time_t now)
{
    const struct kargo_stage_mark *v = kargo_stage_mark(f->verified_in, f->n_verified_in, up);
    if (v == NULL)
        return -1;
    if (soak_ms <= 0)
        return 0;
    long long soaked = v->soak_ms;
    const struct kargo_stage_mark *c = kargo_stage_mark(f->current_in, f->n_current_in, up);
    if (c != NULL && c->at != 0 && ((long long)now - (long long)c->at) * 1000 > soaked)
        soaked = ((long long)now - (long long)c->at) * 1000;
    return soaked >= soak_ms ? 0 : soak_ms - soaked;
}

static void append_soak(struct strbuf *sb, long long ms, const char *up)
{
    char span[32];
    timefmt_span((ms + 999) / 1000, span, sizeof span);
    strbuf_appendf(sb, "needs %s more soak in %s", span, up);
}

/* Availability through one request; on false appends the reason to sb. */
static bool request_allows(const struct kargo_stage *s, const struct kargo_freight_request *r,
                           const struct kargo_freight *f, time_t now, struct strbuf *sb)
{
    if (r->direct)
        return true;
    if (r->n_stages == 0) {
        strbuf_appendf(sb, "not approved for %s", s->name);
        return false;
    }
    if (r->all) {
        bool ok = true;
        for (size_t i = 0; i < r->n_stages; i++) {
            long long need = soak_needed(f, r->stages[i], r->soak_ms, now);
            if (need == 0)
                continue;
            if (!ok)
                strbuf_append(sb, "; ");
            ok = false;
            if (need < 0)
                strbuf_appendf(sb, "not verified in %s", r->stages[i]);
            else
                append_soak(sb, need, r->stages[i]);
        }
        return ok;
    }
    long long best = -1;
    const char *best_up = NULL;
    for (size_t i = 0; i < r->n_stages; i++) {
        long long need = soak_needed(f, r->stages[i], r->soak_ms, now);
        if (need == 0)
            return true;
        if (need > 0 && (best < 0 || need < best)) {
            best = need;
            best_up = r->stages[i];
        }
    }
    if (best_up != NULL) {
        append_soak(sb, best, best_up);
    } else if (r->n_stages == 1) {
        strbuf_appendf(sb, "not verified in %s", r->stages[0]);
    } else {
        strbuf_append(sb, "not verified in any of ");
        for (size_t i = 0; i < r->n_stages; i++)
            strbuf_appendf(sb, "%s%s", i ? ", " : "", r->stages[i]);
    }
    return false;
}

bool derive_freight_available(const struct kargo_stage *s, const struct kargo_freight *f,
                              time_t now, char **reason)
{
    struct strbuf sb;
    strbuf_init(&sb);
    bool requested = false;
    bool ok = false;
    for (size_t i = 0; i < s->n_requests && !ok; i++) {
        const struct kargo_freight_request *r = &s->requests[i];
        if (strcmp(r->origin.key, f->ref.origin.key) != 0)
            continue;
        requested = true;
        if (kargo_stage_mark(f->approved_for, f->n_approved_for, s->name) != NULL) {
            ok = true;
            break;
        }
        strbuf_reset(&sb);
        ok = request_allows(s, r, f, now, &sb);
    }
    if (!requested)
        strbuf_appendf(&sb, "%s does not request Freight from %s", s->name, f->ref.origin.key);
    if (!ok && reason != NULL) {
        free(*reason);
        *reason = strbuf_detach(&sb);
    }
    strbuf_free(&sb);
    return ok;
}

static const struct kargo_freight_request *request_for(const struct kargo_stage *s,
                                                       const char *origin_key)
{
    for (size_t i = 0; i < s->n_requests; i++)
        if (strcmp(s->requests[i].origin.key, origin_key) == 0)
            return &s->requests[i];
    return NULL;
}

const struct kargo_freight *derive_auto_candidate(const struct store *st,
                                                  const struct kargo_stage *s,
                                                  const char *origin_key, time_t now)
{
    const struct kargo_freight_request *r = request_for(s, origin_key);
    if (r == NULL)
        return NULL;
    const struct kargo_freight *const *v;
    size_t n = store_freight_of_origin(st, origin_key, &v);
    bool match = r->match_upstream && r->n_stages == 1;
    const struct kargo_freight *found = NULL;
    for (size_t i = n; i-- > 0;) {
        const struct kargo_freight *f = v[i];
        if (match && kargo_stage_mark(f->current_in, f->n_current_in, r->stages[0]) == NULL)
            continue;
        if (!derive_freight_available(s, f, now, NULL))
            continue;
        if (!match)
            return f;
        if (found != NULL)
            return NULL; /* ambiguous upstream: Kargo skips the origin this pass */
        found = f;
    }
    return found;
}

size_t derive_auto_promotion(const struct store *st, const struct kargo_stage *s, time_t now,
                             struct auto_promotion **out)
{
    *out = NULL;
    size_t n = 0;
    for (size_t i = 0; i < s->n_requests; i++) {
        const char *key = s->requests[i].origin.key;
        bool seen = false;
        for (size_t j = 0; j < n; j++)
            seen = seen || strcmp((*out)[j].origin_key, key) == 0;
        if (seen)
            continue;
        if (*out == NULL)
            *out = xcalloc(s->n_requests, sizeof **out);
        struct auto_promotion *a = &(*out)[n++];
        a->origin_key = key;
        for (size_t h = 0; h < s->n_holds; h++)
            if (strcmp(s->holds[h].origin_key, key) == 0)
                a->hold = &s->holds[h];
        a->candidate = derive_auto_candidate(st, s, key, now);
        const struct kargo_freight_ref *cur =
            s->n_history > 0 ? collection_item(&s->history[0], key) : NULL;
        a->candidate_current = a->candidate != NULL && cur != NULL && cur->name != NULL &&
                               strcmp(cur->name, a->candidate->ref.name) == 0;
    }
    return n;
}

const struct kargo_promotion *derive_promotion_newest(const struct store *st, const char *stage,
                                                      size_t i)
{
    const struct kargo_promotion *const *v;
    size_t n = store_stage_promotions(st, stage, &v);
    return i < n ? v[n - 1 - i] : NULL;
}

const struct kargo_promotion *derive_active_promotion(const struct store *st,
                                                      const struct kargo_stage *s)
{
    const struct kargo_promotion *const *v;
    size_t n = store_stage_promotions(st, s->name, &v);
    const struct kargo_promotion *oldest_open = NULL;
    /* non-terminal Promotions are the newest ones almost always: walk back from the end */
    for (size_t i = n; i-- > 0;) {
        if (strcmp(v[i]->phase, "Running") == 0)
            return v[i];
        if (!kargo_promotion_terminal(v[i]->phase))
            oldest_open = v[i];
    }
    if (s->current_promotion.name != NULL) {
        const struct kargo_promotion *p = store_promotion(st, s->current_promotion.name);
        if (p != NULL && !kargo_promotion_terminal(p->phase))
            return p;
    }
    return oldest_open;
}

bool derive_promotion_step(const struct kargo_promotion *p, struct promotion_step *out)
{
    memset(out, 0, sizeof *out);
    size_t total = p->n_steps > p->n_runs ? p->n_steps : p->n_runs;
    long idx = -1;
    if (strcmp(p->phase, "Failed") == 0 || strcmp(p->phase, "Errored") == 0 ||
        strcmp(p->phase, "Aborted") == 0) {
        for (size_t i = p->n_runs; i-- > 0 && idx < 0;) {
            const char *st = p->runs[i].status;
            if (st != NULL && (strcmp(st, "Failed") == 0 || strcmp(st, "Errored") == 0 ||
                               strcmp(st, "Aborted") == 0))
                idx = (long)i;
        }
    }
    if (idx < 0 && p->current_step >= 0 && (size_t)p->current_step < total)
        idx = p->current_step;
    if (idx < 0 && p->n_runs > 0)
        idx = (long)p->n_runs - 1;
    if (idx < 0)
        return false;
    out->index = (size_t)idx;
    out->total = total;
    if ((size_t)idx < p->n_steps) {
        out->alias = p->steps[idx].alias;
        out->uses = p->steps[idx].uses;
    }
    if ((size_t)idx < p->n_runs) {
        if (out->alias == NULL)
            out->alias = p->runs[idx].alias;
        out->status = p->runs[idx].status;
        out->message = p->runs[idx].message;
    }
    return true;
}

const struct kargo_verification *derive_current_verification(const struct kargo_stage *s)
{
    if (s->n_history == 0 || s->history[0].n_verifications == 0)
        return NULL;
    return &s->history[0].verifications[0];
}

bool derive_refresh_pending(const char *refresh, const char *last_handled)
{
    if (refresh == NULL || *refresh == '\0')
        return false;
    return last_handled == NULL || strcmp(refresh, last_handled) != 0;
}

size_t derive_downstream(const struct store *st, const char *stage, const char *origin_key,
                         const struct kargo_stage ***out)
{
    const struct kargo_stage *const *stages;
    size_t n = store_stages(st, &stages);
    size_t k = 0;
    *out = NULL;
    for (size_t i = 0; i < n; i++) {
        const struct kargo_stage *d = stages[i];
        bool takes = false;
        for (size_t r = 0; r < d->n_requests && !takes; r++) {
            const struct kargo_freight_request *req = &d->requests[r];
            if (strcmp(req->origin.key, origin_key) != 0)
                continue;
            for (size_t u = 0; u < req->n_stages && !takes; u++)
                takes = strcmp(req->stages[u], stage) == 0;
        }
        if (!takes)
            continue;
        if (*out == NULL)
            *out = xcalloc(n, sizeof **out);
        (*out)[k++] = d;
    }
    return k;
}

static const char *nz(const char *s)
{
    return s ? s : "";
}

static bool same(const char *a, const char *b)
{
    return strcmp(nz(a), nz(b)) == 0;
}

static char *short_digest(const char *digest)
{
    const char *colon = digest ? strchr(digest, ':') : NULL;
    const char *hex = colon ? colon + 1 : nz(digest);
    return xstrndup(hex, 12);
}

static char *image_value(const struct kargo_image *i, bool with_digest)
{
    if (i->tag == NULL || *i->tag == '\0')
        return short_digest(i->digest);
    if (!with_digest || i->digest == NULL)
        return xstrdup(i->tag);
    char *d = short_digest(i->digest);
    char *v = xasprintf("%s@%s", i->tag, d);
    free(d);
    return v;
}

struct change_list {
    struct artifact_change *v;
    size_t n;
    size_t cap;
};

static void change_add(struct change_list *l, enum artifact_type type, char *subject, char *from,
                       char *to)
{
    l->v = xreallocarray_grow(l->v, &l->cap, l->n + 1, sizeof *l->v);
    l->v[l->n++] = (struct artifact_change){type, subject, from, to};
}

static void diff_images(const struct kargo_artifacts *a, const struct kargo_artifacts *b,
                        struct change_list *l)
{
    for (size_t i = 0; i < b->n_images; i++) {
        const struct kargo_image *t = &b->images[i], *f = NULL;
        for (size_t j = 0; j < a->n_images && f == NULL; j++)
            if (same(a->images[j].repo_url, t->repo_url))
                f = &a->images[j];
        if (f != NULL && same(f->tag, t->tag) && same(f->digest, t->digest))
            continue;
        bool digest_only = f != NULL && same(f->tag, t->tag);
        change_add(l, ARTIFACT_IMAGE, xstrdup(nz(t->repo_url)),
                   f ? image_value(f, digest_only) : NULL, image_value(t, digest_only));
    }
    for (size_t j = 0; j < a->n_images; j++) {
        bool kept = false;
        for (size_t i = 0; i < b->n_images && !kept; i++)
            kept = same(a->images[j].repo_url, b->images[i].repo_url);
        if (!kept)
            change_add(l, ARTIFACT_IMAGE, xstrdup(nz(a->images[j].repo_url)),
                       image_value(&a->images[j], false), NULL);
    }
}

static char *chart_subject(const struct kargo_chart *c)
{
    if (c->name == NULL || *c->name == '\0')
        return xstrdup(nz(c->repo_url));
    return xasprintf("%s/%s", nz(c->repo_url), c->name);
}

static void diff_charts(const struct kargo_artifacts *a, const struct kargo_artifacts *b,
                        struct change_list *l)
{
    for (size_t i = 0; i < b->n_charts; i++) {
        const struct kargo_chart *t = &b->charts[i], *f = NULL;
        for (size_t j = 0; j < a->n_charts && f == NULL; j++)
            if (same(a->charts[j].repo_url, t->repo_url) && same(a->charts[j].name, t->name))
                f = &a->charts[j];
        if (f != NULL && same(f->version, t->version))
            continue;
        change_add(l, ARTIFACT_CHART, chart_subject(t), f ? xstrdup(nz(f->version)) : NULL,
                   xstrdup(nz(t->version)));
    }
    for (size_t j = 0; j < a->n_charts; j++) {
        bool kept = false;
        for (size_t i = 0; i < b->n_charts && !kept; i++)
            kept = same(a->charts[j].repo_url, b->charts[i].repo_url) &&
                   same(a->charts[j].name, b->charts[i].name);
        if (!kept)
            change_add(l, ARTIFACT_CHART, chart_subject(&a->charts[j]),
                       xstrdup(nz(a->charts[j].version)), NULL);
    }
}

static char *commit_value(const struct kargo_commit *c)
{
    if (c->tag != NULL && *c->tag != '\0')
        return xstrdup(c->tag);
    return xstrndup(nz(c->id), 7);
}

static void diff_commits(const struct kargo_artifacts *a, const struct kargo_artifacts *b,
                         struct change_list *l)
{
    for (size_t i = 0; i < b->n_commits; i++) {
        const struct kargo_commit *t = &b->commits[i], *f = NULL;
        for (size_t j = 0; j < a->n_commits && f == NULL; j++)
            if (same(a->commits[j].repo_url, t->repo_url))
                f = &a->commits[j];
        if (f != NULL && same(f->id, t->id) && same(f->tag, t->tag))
            continue;
        change_add(l, ARTIFACT_COMMIT, xstrdup(nz(t->repo_url)), f ? commit_value(f) : NULL,
                   commit_value(t));
    }
    for (size_t j = 0; j < a->n_commits; j++) {
        bool kept = false;
        for (size_t i = 0; i < b->n_commits && !kept; i++)
            kept = same(a->commits[j].repo_url, b->commits[i].repo_url);
        if (!kept)
            change_add(l, ARTIFACT_COMMIT, xstrdup(nz(a->commits[j].repo_url)),
                       commit_value(&a->commits[j]), NULL);
    }
}

static char *generic_subject(const struct kargo_generic_artifact *g)
{
    return xasprintf("%s:%s", nz(g->type), nz(g->subscription));
}

static void diff_generic(const struct kargo_artifacts *a, const struct kargo_artifacts *b,
                         struct change_list *l)
{
    for (size_t i = 0; i < b->n_generic; i++) {
        const struct kargo_generic_artifact *t = &b->generic[i], *f = NULL;
        for (size_t j = 0; j < a->n_generic && f == NULL; j++)
            if (same(a->generic[j].type, t->type) &&
                same(a->generic[j].subscription, t->subscription))
                f = &a->generic[j];
        if (f != NULL && same(f->version, t->version))
            continue;
        change_add(l, ARTIFACT_GENERIC, generic_subject(t), f ? xstrdup(nz(f->version)) : NULL,
                   xstrdup(nz(t->version)));
    }
    for (size_t j = 0; j < a->n_generic; j++) {
        bool kept = false;
        for (size_t i = 0; i < b->n_generic && !kept; i++)
            kept = same(a->generic[j].type, b->generic[i].type) &&
                   same(a->generic[j].subscription, b->generic[i].subscription);
        if (!kept)
            change_add(l, ARTIFACT_GENERIC, generic_subject(&a->generic[j]),
                       xstrdup(nz(a->generic[j].version)), NULL);
    }
}

int derive_artifact_diff(const struct kargo_freight_ref *from, const struct kargo_freight_ref *to,
                         struct artifact_change **out, size_t *n, char **cause)
{
    *out = NULL;
    *n = 0;
    if (strcmp(from->origin.key, to->origin.key) != 0) {
        cause_set(cause,
                  "Freight %.7s is from %s and %.7s from %s: only Freight of one origin compare",
                  nz(from->name), from->origin.key, nz(to->name), to->origin.key);
        return -1;
    }
    struct change_list l = {0};
    diff_images(&from->artifacts, &to->artifacts, &l);
    diff_charts(&from->artifacts, &to->artifacts, &l);
    diff_commits(&from->artifacts, &to->artifacts, &l);
    diff_generic(&from->artifacts, &to->artifacts, &l);
    *out = l.v;
    *n = l.n;
    return 0;
}

void derive_artifact_diff_free(struct artifact_change *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(c[i].subject);
        free(c[i].from);
        free(c[i].to);
    }
    free(c);
}
