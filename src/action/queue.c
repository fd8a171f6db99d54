/* One worker thread per connection runs actions and access reviews in submission order; the UI
 * thread only queues and takes, under a mutex held for pointer moves. */
#include "action/queue.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/hmap.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* How long an access review answer is trusted. */
#define ACCESS_TTL_MS 60000

struct job {
    struct job *next;
    bool is_access;
    struct action_request req; /* strings owned */
    unsigned long seq;
};

struct access_entry {
    enum action_access state;
    bool pending;
    long long at_ms;
    char reason[200];
};

struct action_queue {
    struct kube_client *client;
    void (*notify)(void *ctx);
    void *ctx;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    bool stop;
    struct job *head, *tail;
    struct action_result **done;
    size_t n_done, cap_done;
    unsigned long seq;
    unsigned running;   /* jobs taken, not finished (actions only) */
    unsigned queued;    /* actions queued */
    struct hmap access; /* "<ns>\n<id>" -> struct access_entry */
    struct hmap rules;  /* worker only: "<ns>\n<verb>\n<resource>..." -> struct rule_entry */
};

/* One SelfSubjectAccessReview's answer, shared by the actions that need the same rule. */
struct rule_entry {
    bool allowed;
    long long at_ms;
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *dup_or_null(const char *s)
{
    return s != NULL ? xstrdup(s) : NULL;
}

static void request_copy(struct action_request *dst, const struct action_request *src)
{
    *dst = *src;
    dst->ns = dup_or_null(src->ns);
    dst->stage = dup_or_null(src->stage);
    dst->freight = dup_or_null(src->freight);
    dst->promotion = dup_or_null(src->promotion);
    dst->warehouse = dup_or_null(src->warehouse);
    char **st = src->n_targets ? xcalloc(src->n_targets, sizeof *st) : NULL;
    char **fr = src->n_targets ? xcalloc(src->n_targets, sizeof *fr) : NULL;
    for (size_t i = 0; i < src->n_targets; i++) {
        st[i] = xstrdup(src->stages[i]);
        fr[i] = xstrdup(src->freights[i]);
    }
    dst->stages = (const char *const *)st;
    dst->freights = (const char *const *)fr;
    if (src->approve != NULL && src->n_targets > 0) {
        bool *ap = xcalloc(src->n_targets, sizeof *ap);
        memcpy(ap, src->approve, src->n_targets * sizeof *ap);
        dst->approve = ap;
    } else {
        dst->approve = NULL;
    }
}

static void request_free(struct action_request *r)
{
    free((char *)r->ns);
    free((char *)r->stage);
    free((char *)r->freight);
    free((char *)r->promotion);
    free((char *)r->warehouse);
    for (size_t i = 0; i < r->n_targets; i++) {
        free((char *)r->stages[i]);
        free((char *)r->freights[i]);
    }
    free((void *)r->stages);
    free((void *)r->freights);
    free((void *)r->approve);
}

void action_result_free(struct action_result *r)
{
    if (r == NULL)
        return;
    action_outcomes_free(r->outcomes, r->n_outcomes);
    free(r->summary);
    free(r);
}

/* ---- running one request ---------------------------------------------------------------- */

static struct action_outcome *outcome_add(struct action_result *r, const char *target)
{
    r->outcomes = xrealloc(r->outcomes, (r->n_outcomes + 1) * sizeof *r->outcomes);
    struct action_outcome *o = &r->outcomes[r->n_outcomes++];
    memset(o, 0, sizeof *o);
    o->target = xstrdup(target != NULL ? target : "");
    return o;
}

/* "promotion X created", "approved Y for Z": the one-line story of a result. */
static void summarise(struct action_result *r, const struct action_request *req)
{
    struct strbuf sb;
    strbuf_init(&sb);
    size_t failed = 0;
    for (size_t i = 0; i < r->n_outcomes; i++)
        failed += !r->outcomes[i].ok;
    r->ok = r->n_outcomes > 0 && failed == 0;
    const struct action_def *d = action_def(req->id);
    if (r->n_outcomes == 0) {
        strbuf_appendf(&sb, "%s: nothing was done", d->name);
    } else if (failed > 0) {
        /* the API's words first: that is what the user must read */
        for (size_t i = 0, shown = 0; i < r->n_outcomes; i++) {
            const struct action_outcome *o = &r->outcomes[i];
            if (o->ok)
                continue;
            strbuf_appendf(&sb, "%s%s %s refused: %s", shown++ ? "; " : "", d->name, o->target,
                           o->err.message != NULL ? o->err.message : "failed");
        }
        if (failed < r->n_outcomes)
            strbuf_appendf(&sb, " (%zu of %zu done)", r->n_outcomes - failed, r->n_outcomes);
    } else if (req->id == ACTION_PROMOTE || req->id == ACTION_ROLLBACK ||
               req->id == ACTION_RESUME || req->id == ACTION_PROMOTE_DOWNSTREAM) {
        strbuf_append(&sb, r->n_outcomes > 1 ? "promotions created: " : "promotion created: ");
        for (size_t i = 0; i < r->n_outcomes; i++)
            strbuf_appendf(&sb, "%s%s", i ? ", " : "", r->outcomes[i].created);
    } else if (req->id == ACTION_APPROVE) {
        strbuf_appendf(&sb, "approved %s for %s", req->freight, req->stage);
    } else if (req->id == ACTION_ABORT_PROMOTION) {
        strbuf_appendf(&sb, "abort requested for promotion %s", req->promotion);
    } else if (req->id == ACTION_REFRESH || req->id == ACTION_REFRESH_WAREHOUSE) {
        strbuf_appendf(&sb, "refresh requested for %s (token %s)", r->outcomes[0].target,
                       r->outcomes[0].created);
    } else if (req->id == ACTION_REVERIFY) {
        strbuf_appendf(&sb, "verification requested again for %s", req->stage);
    } else {
        strbuf_appendf(&sb, "verification abort requested for %s", req->stage);
    }
    r->summary = strbuf_detach(&sb);
}

struct action_result *action_run(struct kube_client *c, const struct action_request *req)
{
    struct action_result *r = xcalloc(1, sizeof *r);
    r->id = req->id;
    struct strbuf approved;
    strbuf_init(&approved);
    const struct action_def *d = action_def(req->id);
    struct action_args args = {.ns = req->ns,
                               .stage = req->stage,
                               .freight = req->freight,
                               .promotion = req->promotion,
                               .warehouse = req->warehouse};
    if (d == NULL) {
        /* nothing to run: summarised as nothing done */
    } else if (req->id == ACTION_PROMOTE || req->id == ACTION_ROLLBACK) {
        /* the table's function once per target, each approved first when asked; a target whose
         * approval was refused is not promoted (its outcome is the refusal) */
        for (size_t i = 0; i < req->n_targets; i++) {
            args.stage = req->stages[i];
            args.freight = req->freights[i];
            struct kube_error err = {0};
            bool approve = req->approve != NULL ? req->approve[i] : req->approve_first;
            if (approve &&
                action_approve(c, req->ns, req->freights[i], req->stages[i], &err) != 0) {
                outcome_add(r, req->stages[i])->err = err;
                continue;
            }
            if (approve)
                strbuf_appendf(&approved, "%s%s", approved.len ? ", " : "", req->stages[i]);
            d->run(c, &args, &r->outcomes, &r->n_outcomes);
        }
    } else {
        d->run(c, &args, &r->outcomes, &r->n_outcomes);
    }
    summarise(r, req);
    if (approved.len > 0) {
        /* what was approved is a change too: said before the promotions */
        char *s = xasprintf("approved for %s; %s", approved.buf, r->summary);
        free(r->summary);
        r->summary = s;
    }
    strbuf_free(&approved);
    return r;
}

/* ---- the worker ------------------------------------------------------------------------- */

/* name: a Stage the review is for (its per-Stage rules), or NULL: namespace-wide. */
static char *access_key(const char *ns, enum action_id id, const char *name)
{
    return name != NULL ? xasprintf("%s\n%d\n%s", ns, (int)id, name)
                        : xasprintf("%s\n%d", ns, (int)id);
}

/* The action's rules, each asked at most once per minute and namespace whichever action needs
 * it. Returns -1 when a review failed. */
static int access_of(struct action_queue *q, const char *ns, enum action_id id, const char *stage,
                     bool *allowed, char **reason)
{
    const struct action_def *d = action_def(id);
    *allowed = true;
    for (size_t i = 0; d != NULL && i < 2 && d->rbac[i].verb != NULL; i++) {
        const struct action_rbac *r = &d->rbac[i];
        /* a Stage's name scopes only the rules about Stages; the others stay namespace-wide */
        const char *name = stage != NULL && action_rule_per_stage(r) ? stage : NULL;
        char *key = xasprintf("%s\n%s\n%s\n%s\n%s\n%s", ns, r->verb, r->group, r->resource,
                              r->subresource ? r->subresource : "", name ? name : "");
        struct rule_entry *e = hmap_get(&q->rules, key);
        /* a little under the action's period, so a re-asked action re-asks its rules */
        if (e == NULL || now_ms() - e->at_ms >= ACCESS_TTL_MS - 1000) {
            bool ok = false;
            struct kube_error err = {0};
            int rc = action_access_rule(q->client, ns, r, name, &ok, &err);
            kube_error_clear(&err);
            if (rc != 0) {
                free(key);
                return -1;
            }
            if (e == NULL) {
                e = xcalloc(1, sizeof *e);
                hmap_put(&q->rules, key, e);
            }
            e->allowed = ok;
            e->at_ms = now_ms();
        }
        free(key);
        if (!e->allowed) {
            *allowed = false;
            *reason = action_denied_reason(d, r);
            return 0;
        }
    }
    return 0;
}

static void run_access(struct action_queue *q, const struct job *j)
{
    bool allowed = false;
    char *reason = NULL;
    int rc = access_of(q, j->req.ns, j->req.id, j->req.stage, &allowed, &reason);
    char *key = access_key(j->req.ns, j->req.id, j->req.stage);
    pthread_mutex_lock(&q->mu);
    struct access_entry *a = hmap_get(&q->access, key);
    if (a != NULL) {
        a->pending = false;
        a->at_ms = now_ms();
        if (rc != 0) {
            /* the review itself failed: the key works and the API has the last word */
            a->state = ACTION_ACCESS_ALLOWED;
            a->reason[0] = '\0';
        } else {
            a->state = allowed ? ACTION_ACCESS_ALLOWED : ACTION_ACCESS_DENIED;
            snprintf(a->reason, sizeof a->reason, "%s", reason != NULL ? reason : "");
        }
    }
    pthread_mutex_unlock(&q->mu);
    free(key);
    free(reason);
}

static void *worker(void *arg)
{
    struct action_queue *q = arg;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        while (!q->stop && q->head == NULL)
            pthread_cond_wait(&q->cond, &q->mu);
        if (q->stop)
            break;
        struct job *j = q->head;
        q->head = j->next;
        if (q->head == NULL)
            q->tail = NULL;
        if (!j->is_access) {
            q->queued--;
            q->running++;
        }
        pthread_mutex_unlock(&q->mu);
        struct action_result *r = NULL;
        if (j->is_access) {
            run_access(q, j);
        } else {
            r = action_run(q->client, &j->req);
            r->seq = j->seq;
        }
        pthread_mutex_lock(&q->mu);
        if (r != NULL) {
            q->done = xreallocarray_grow(q->done, &q->cap_done, q->n_done + 1, sizeof *q->done);
            q->done[q->n_done++] = r;
            q->running--;
        }
        pthread_mutex_unlock(&q->mu);
        request_free(&j->req);
        free(j);
        if (q->notify != NULL)
            q->notify(q->ctx);
        pthread_mutex_lock(&q->mu);
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

struct action_queue *action_queue_new(struct kube_client *c, void (*notify)(void *ctx), void *ctx)
{
    struct action_queue *q = xcalloc(1, sizeof *q);
    q->client = c;
    q->notify = notify;
    q->ctx = ctx;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cond, NULL);
    hmap_init(&q->access);
    hmap_init(&q->rules);
    if (pthread_create(&q->thread, NULL, worker, q) != 0)
        xalloc_fail(0); /* no thread: as fatal as no memory */
    return q;
}

void action_queue_free(struct action_queue *q)
{
    if (q == NULL)
        return;
    pthread_mutex_lock(&q->mu);
    q->stop = true;
    pthread_cond_broadcast(&q->cond);
    pthread_mutex_unlock(&q->mu);
    pthread_join(q->thread, NULL);
    for (struct job *j = q->head, *next; j != NULL; j = next) {
        next = j->next;
        request_free(&j->req);
        free(j);
    }
    for (size_t i = 0; i < q->n_done; i++)
        action_result_free(q->done[i]);
    free(q->done);
    hmap_free(&q->access, free);
    hmap_free(&q->rules, free);
    pthread_cond_destroy(&q->cond);
    pthread_mutex_destroy(&q->mu);
    free(q);
}

static void enqueue(struct action_queue *q, struct job *j)
{
    if (q->tail != NULL)
        q->tail->next = j;
    else
        q->head = j;
    q->tail = j;
    pthread_cond_signal(&q->cond);
}

unsigned long action_queue_submit(struct action_queue *q, const struct action_request *req,
                                  const struct action_policy *policy, char **cause)
{
    if (policy != NULL && policy->readonly) {
        cause_set(cause, "read-only session: nothing is written (started with --readonly)");
        return 0;
    }
    if (req->ns == NULL || req->id >= ACTION_COUNT) {
        cause_set(cause, "no project is open");
        return 0;
    }
    if ((req->id == ACTION_PROMOTE || req->id == ACTION_ROLLBACK) && req->n_targets == 0) {
        cause_set(cause, "nothing to promote: no stage and freight given");
        return 0;
    }
    struct job *j = xcalloc(1, sizeof *j);
    request_copy(&j->req, req);
    pthread_mutex_lock(&q->mu);
    j->seq = ++q->seq;
    q->queued++;
    enqueue(q, j);
    unsigned long seq = j->seq;
    pthread_mutex_unlock(&q->mu);
    return seq;
}

struct action_result *action_queue_take(struct action_queue *q)
{
    pthread_mutex_lock(&q->mu);
    struct action_result *r = NULL;
    if (q->n_done > 0) {
        r = q->done[0];
        memmove(q->done, q->done + 1, (q->n_done - 1) * sizeof *q->done);
        q->n_done--;
    }
    pthread_mutex_unlock(&q->mu);
    return r;
}

bool action_queue_busy(struct action_queue *q)
{
    pthread_mutex_lock(&q->mu);
    bool busy = q->queued > 0 || q->running > 0;
    pthread_mutex_unlock(&q->mu);
    return busy;
}

/* The cached answer for (ns, id, stage), a review queued when there is none or it is a minute
 * old; the reason of a denial into reason[len]. Under q->mu. */
static enum action_access access_lookup(struct action_queue *q, const char *ns, enum action_id id,
                                        const char *stage, char *reason, size_t len)
{
    char *key = access_key(ns, id, stage);
    struct access_entry *a = hmap_get(&q->access, key);
    if (a == NULL) {
        a = xcalloc(1, sizeof *a);
        hmap_put(&q->access, key, a);
    }
    free(key);
    enum action_access state = a->state;
    long long now = now_ms();
    if (!a->pending && (a->at_ms == 0 || now - a->at_ms >= ACCESS_TTL_MS)) {
        a->pending = true;
        struct job *j = xcalloc(1, sizeof *j);
        j->is_access = true;
        j->req.id = id;
        j->req.ns = xstrdup(ns);
        j->req.stage = dup_or_null(stage);
        enqueue(q, j);
    }
    if (state == ACTION_ACCESS_DENIED && len > 0)
        snprintf(reason, len, "%s", a->reason);
    return state;
}

enum action_access action_queue_access(struct action_queue *q, const char *ns, enum action_id id,
                                       const char *stage, char *reason, size_t len)
{
    if (len > 0)
        reason[0] = '\0';
    if (ns == NULL || ns[0] == '\0')
        return ACTION_ACCESS_UNKNOWN;
    pthread_mutex_lock(&q->mu);
    enum action_access state = access_lookup(q, ns, id, NULL, reason, len);
    /* denied in the namespace: a role may still grant it on this Stage (resourceNames) */
    const struct action_def *d = action_def(id);
    bool per_stage = false;
    for (size_t i = 0; d != NULL && i < 2 && d->rbac[i].verb != NULL; i++)
        per_stage = per_stage || action_rule_per_stage(&d->rbac[i]);
    if (state == ACTION_ACCESS_DENIED && stage != NULL && per_stage)
        state = access_lookup(q, ns, id, stage, reason, len);
    pthread_mutex_unlock(&q->mu);
    return state;
}
