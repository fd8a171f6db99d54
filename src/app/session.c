/* Informers to store, watch states to the top bar, the UI woken through the client's pipe. */
#include "app/session.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "action/queue.h"
#include "kube/api.h"
#include "kube/http.h"
#include "kube/informer.h"
#include "kube/status.h"
#include "model/store.h"
#include "util/hmap.h"
#include "util/json.h"
#include "util/xalloc.h"

/* The resources watched per project, and where they go in the store. */
static const struct {
    enum kargo_kind kind;
    const char *group_version;
    const char *plural;
} session_watches[] = {
    {KARGO_STAGE, "kargo.akuity.io/v1alpha1", "stages"},
    {KARGO_WAREHOUSE, "kargo.akuity.io/v1alpha1", "warehouses"},
    {KARGO_FREIGHT, "kargo.akuity.io/v1alpha1", "freights"},
    {KARGO_PROMOTION, "kargo.akuity.io/v1alpha1", "promotions"},
    {KARGO_PROJECT_CONFIG, "kargo.akuity.io/v1alpha1", "projectconfigs"},
    {KARGO_EVENT, "v1", "events"},
};
#define N_WATCHES (sizeof session_watches / sizeof session_watches[0])

struct session;

/* One informer's owner: which kind it feeds. */
struct session_watch {
    struct session *s;
    enum kargo_kind kind;
    struct informer *inf;
    struct store_relist *relist; /* a relist arriving page by page (I/O thread) */
};

/* The one object fetched for the YAML view. Objects are not kept as the API sent them (40,000 of
 * them were 180 MB as cJSON): the view asks, the GET runs on the I/O thread, the UI is woken. */
struct session_fetch {
    struct session *s;
    unsigned long seq;
    struct session_fetch *next;
};

struct session {
    /* how the kubeconfig was loaded (strings owned), for :ctx; has_ko false in --demo */
    bool has_ko;
    struct kubeconfig_opts ko;
    char *project_opt; /* -n, kept across :ctx */
    struct kube_config *cfg;
    struct session_timeouts timeouts; /* for every client the session makes */
    struct kube_client *client;
    struct action_queue *actions; /* on client; replaced with it */
    struct action_policy policy;
    struct ui_source source;

    /* guards everything below that informer callbacks touch; the store has its own lock */
    pthread_mutex_t mu;
    struct source_status status;
    /* the YAML view's object: which, the answer (or why not), and the transfer under way */
    unsigned long fetch_seq;
    enum kargo_kind fetch_kind;
    char *fetch_name;
    bool fetch_pending;
    cJSON *fetch_obj;
    char *fetch_error;
    /* every GET under way, the superseded ones too: a client stopped before they finish never
     * calls their on_done, so they are freed with it */
    struct session_fetch *fetches;
    char **projects;
    size_t n_projects;
    bool projects_listed;   /* the projects watch has listed at least once */
    bool projects_denied;   /* RBAC forbids listing projects */
    bool want_context_open; /* open the context's namespace once projects are known */

    /* owned by the UI thread */
    struct store *store;
    struct session_watch watches[N_WATCHES];
    struct session_watch projects_watch;
};

static enum source_conn session_conn(enum informer_phase p)
{
    switch (p) {
    case INFORMER_CONNECTING:
        return SOURCE_CONNECTING;
    case INFORMER_CONNECTED:
        return SOURCE_LIVE;
    case INFORMER_RETRYING:
        return SOURCE_RETRYING;
    case INFORMER_FORBIDDEN:
        return SOURCE_FORBIDDEN;
    case INFORMER_POLLING:
        return SOURCE_POLLING;
    }
    return SOURCE_RETRYING;
}

/* ---- callbacks, on the client's I/O thread --------------------------------------------- */

static void session_on_event(void *ctx, enum informer_event type, const cJSON *obj)
{
    struct session_watch *w = ctx;
    struct session *s = w->s;
    enum store_event ev = type == INFORMER_ADDED     ? STORE_ADDED
                          : type == INFORMER_DELETED ? STORE_DELETED
                                                     : STORE_MODIFIED;
    /* a malformed object is left out; the rest of the project still shows */
    char *cause = NULL;
    store_apply(s->store, w->kind, ev, obj, &cause);
    free(cause);
}

static void session_on_relist(void *ctx, const cJSON *items)
{
    struct session_watch *w = ctx;
    char *cause = NULL;
    store_replace(w->s->store, w->kind, items, &cause);
    free(cause);
}

/* Pages are decoded as they come and freed by the informer: a 30,000-Promotion list is never
 * held whole as cJSON (it was 250 MB at the peak). */
static void session_on_relist_page(void *ctx, const cJSON *items, bool first, bool last)
{
    struct session_watch *w = ctx;
    if (first) {
        store_relist_abort(w->relist);
        w->relist = store_relist_begin(w->s->store, w->kind);
    }
    store_relist_add(w->relist, items);
    if (last) {
        char *cause = NULL;
        store_relist_commit(w->relist, &cause);
        w->relist = NULL;
        free(cause);
    }
}

static void session_on_state(void *ctx, const struct informer_state *st)
{
    struct session_watch *w = ctx;
    struct session *s = w->s;
    pthread_mutex_lock(&s->mu);
    struct source_watch *sw = &s->status.watch[w->kind];
    enum source_conn was = sw->conn;
    sw->conn = session_conn(st->phase);
    sw->retry_in_s = st->retry_in_s;
    snprintf(sw->message, sizeof sw->message, "%s", st->message != NULL ? st->message : "");
    /* the data stops being current when a live watch goes down, and is current again once the
     * watch lists (polling lists every few seconds: current enough to say so) */
    if (sw->conn == SOURCE_LIVE || sw->conn == SOURCE_POLLING)
        sw->stale_since = 0;
    else if ((was == SOURCE_LIVE || was == SOURCE_POLLING) && sw->stale_since == 0)
        sw->stale_since = time(NULL);
    pthread_mutex_unlock(&s->mu);
}

static int session_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The projects watch keeps a sorted list of names (the store is per project). */
static void session_projects_set(struct session *s, char **names, size_t n)
{
    qsort(names, n, sizeof *names, session_cmp_str);
    pthread_mutex_lock(&s->mu);
    char **old = s->projects;
    size_t n_old = s->n_projects;
    s->projects = names;
    s->n_projects = n;
    s->projects_listed = true;
    pthread_mutex_unlock(&s->mu);
    for (size_t i = 0; i < n_old; i++)
        free(old[i]);
    free(old);
}

static void session_projects_event(void *ctx, enum informer_event type, const cJSON *obj)
{
    struct session *s = ((struct session_watch *)ctx)->s;
    const char *name = json_get_string(obj, "metadata", "name", (char *)NULL);
    if (name == NULL)
        return;
    pthread_mutex_lock(&s->mu);
    size_t n = 0;
    char **v = xcalloc(s->n_projects + 2, sizeof *v);
    for (size_t i = 0; i < s->n_projects; i++)
        if (strcmp(s->projects[i], name) != 0)
            v[n++] = xstrdup(s->projects[i]);
    pthread_mutex_unlock(&s->mu);
    if (type != INFORMER_DELETED)
        v[n++] = xstrdup(name);
    session_projects_set(s, v, n);
}

static void session_projects_relist(void *ctx, const cJSON *items)
{
    struct session *s = ((struct session_watch *)ctx)->s;
    size_t n = 0;
    char **v = xcalloc((size_t)cJSON_GetArraySize(items) + 1, sizeof *v);
    const cJSON *item;
    cJSON_ArrayForEach(item, items)
    {
        const char *name = json_get_string(item, "metadata", "name", (char *)NULL);
        if (name != NULL)
            v[n++] = xstrdup(name);
    }
    session_projects_set(s, v, n);
}

static void session_projects_state(void *ctx, const struct informer_state *st)
{
    struct session *s = ((struct session_watch *)ctx)->s;
    session_on_state(ctx, st);
    pthread_mutex_lock(&s->mu);
    s->projects_denied = st->phase == INFORMER_FORBIDDEN;
    pthread_mutex_unlock(&s->mu);
}

/* ---- the UI thread's calls ------------------------------------------------------------- */

static void session_fetch_forget(struct session *s);

static void session_stop_project(struct session *s)
{
    for (size_t i = 0; i < N_WATCHES; i++) {
        if (s->watches[i].inf != NULL)
            informer_stop(s->watches[i].inf);
        s->watches[i].inf = NULL;
    }
    /* no callback runs any more: the store and unfinished relists are the UI thread's alone */
    for (size_t i = 0; i < N_WATCHES; i++) {
        store_relist_abort(s->watches[i].relist);
        s->watches[i].relist = NULL;
    }
    store_free(s->store);
    s->store = NULL;
    pthread_mutex_lock(&s->mu);
    session_fetch_forget(s);
    for (int k = 0; k < KARGO_KIND_COUNT; k++) {
        if (k != KARGO_PROJECT) /* the projects watch runs for the whole session */
            s->status.watch[k] = (struct source_watch){.conn = SOURCE_OFF};
    }
    s->status.project[0] = '\0';
    pthread_mutex_unlock(&s->mu);
}

static void session_start_project(struct session *s, const char *name)
{
    session_stop_project(s);
    s->store = store_new(name);
    pthread_mutex_lock(&s->mu);
    snprintf(s->status.project, sizeof s->status.project, "%s", name);
    for (size_t i = 0; i < N_WATCHES; i++)
        s->status.watch[session_watches[i].kind].conn = SOURCE_CONNECTING;
    pthread_mutex_unlock(&s->mu);
    for (size_t i = 0; i < N_WATCHES; i++) {
        struct session_watch *w = &s->watches[i];
        w->s = s;
        w->kind = session_watches[i].kind;
        struct informer_opts io = {.group_version = session_watches[i].group_version,
                                   .plural = session_watches[i].plural,
                                   .namespace = name};
        struct informer_callbacks cb = {session_on_event, session_on_relist, session_on_state, w};
        w->inf = informer_start_paged(s->client, &io, &cb, session_on_relist_page);
    }
}

static struct store *session_store(void *ctx)
{
    return ((struct session *)ctx)->store;
}

static void session_status(void *ctx, struct source_status *out)
{
    struct session *s = ctx;
    pthread_mutex_lock(&s->mu);
    *out = s->status;
    pthread_mutex_unlock(&s->mu);
}

static char **session_projects(void *ctx, size_t *n)
{
    struct session *s = ctx;
    pthread_mutex_lock(&s->mu);
    char **v = xcalloc(s->n_projects + 1, sizeof *v);
    for (size_t i = 0; i < s->n_projects; i++)
        v[i] = xstrdup(s->projects[i]);
    *n = s->n_projects;
    pthread_mutex_unlock(&s->mu);
    return v;
}

static bool session_is_project(struct session *s, const char *name, bool *known)
{
    bool found = false;
    pthread_mutex_lock(&s->mu);
    *known = s->projects_listed && !s->projects_denied;
    for (size_t i = 0; i < s->n_projects && !found; i++)
        found = strcmp(s->projects[i], name) == 0;
    pthread_mutex_unlock(&s->mu);
    return found;
}

static int session_open_project(void *ctx, const char *name, char **cause)
{
    struct session *s = ctx;
    bool known;
    /* without the project list (RBAC, still loading) the namespace is tried as it is */
    if (!session_is_project(s, name, &known) && known) {
        cause_set(cause, "no Kargo project '%s' (:projects lists them)", name);
        return -1;
    }
    session_start_project(s, name);
    return 0;
}

static const struct {
    enum kargo_kind kind;
    const char *group_version, *plural;
} session_kinds[] = {
    {KARGO_PROJECT, "kargo.akuity.io/v1alpha1", "projects"},
    {KARGO_PROJECT_CONFIG, "kargo.akuity.io/v1alpha1", "projectconfigs"},
    {KARGO_WAREHOUSE, "kargo.akuity.io/v1alpha1", "warehouses"},
    {KARGO_STAGE, "kargo.akuity.io/v1alpha1", "stages"},
    {KARGO_FREIGHT, "kargo.akuity.io/v1alpha1", "freights"},
    {KARGO_PROMOTION, "kargo.akuity.io/v1alpha1", "promotions"},
    {KARGO_EVENT, "v1", "events"},
};

static void session_fetch_done(void *ctx, struct http_response *resp)
{
    struct session_fetch *f = ctx;
    struct session *s = f->s;
    cJSON *obj = NULL;
    char *why = NULL;
    if (resp->code >= 200 && resp->code < 300 && resp->error == NULL) {
        obj = cJSON_ParseWithLength(resp->body, resp->len);
        if (obj == NULL)
            why = xstrdup("the API server's answer is not JSON");
    } else {
        why = resp->code != 0
                  ? kube_status_message(resp->code, resp->body, resp->len, NULL)
                  : xstrdup(resp->error ? resp->error : "no answer from the API server");
    }
    pthread_mutex_lock(&s->mu);
    for (struct session_fetch **pp = &s->fetches; *pp != NULL; pp = &(*pp)->next)
        if (*pp == f) {
            *pp = f->next;
            break;
        }
    if (f->seq == s->fetch_seq && s->fetch_pending) {
        s->fetch_pending = false;
        s->fetch_obj = obj;
        s->fetch_error = why;
        obj = NULL;
        why = NULL;
    }
    pthread_mutex_unlock(&s->mu);
    cJSON_Delete(obj);
    free(why);
    free(f);
    kube_client_wake(s->client);
}

/* After the client that ran them has stopped: the fetches it never finished. */
static void session_fetches_free(struct session *s)
{
    while (s->fetches != NULL) {
        struct session_fetch *f = s->fetches;
        s->fetches = f->next;
        free(f);
    }
}

/* Under s->mu: drops the fetched object; an answer still on its way is ignored when it comes. */
static void session_fetch_forget(struct session *s)
{
    s->fetch_seq++;
    free(s->fetch_name);
    s->fetch_name = NULL;
    s->fetch_pending = false;
    cJSON_Delete(s->fetch_obj);
    s->fetch_obj = NULL;
    free(s->fetch_error);
    s->fetch_error = NULL;
}

/* The object as the API has it now: a GET on the I/O thread the first time it is asked for (NULL
 * meanwhile; the UI is woken when it is in), then the answer, until another object is asked for. */
static cJSON *session_object(void *ctx, enum kargo_kind kind, const char *name)
{
    struct session *s = ctx;
    pthread_mutex_lock(&s->mu);
    if (s->fetch_name != NULL && s->fetch_kind == kind && strcmp(s->fetch_name, name) == 0) {
        cJSON *copy = s->fetch_obj ? cJSON_Duplicate(s->fetch_obj, 1) : NULL;
        pthread_mutex_unlock(&s->mu);
        return copy;
    }
    session_fetch_forget(s);
    const char *gv = NULL, *plural = NULL;
    for (size_t i = 0; i < sizeof session_kinds / sizeof *session_kinds; i++) {
        if (session_kinds[i].kind == kind) {
            gv = session_kinds[i].group_version;
            plural = session_kinds[i].plural;
        }
    }
    s->fetch_kind = kind;
    s->fetch_name = xstrdup(name);
    if (plural == NULL || s->client == NULL) {
        s->fetch_error = xstrdup("no such kind of object");
        pthread_mutex_unlock(&s->mu);
        return NULL;
    }
    struct api_ref ref = {gv, plural, kind == KARGO_PROJECT ? NULL : s->status.project, name};
    char *path = api_path(&ref, NULL);
    struct session_fetch *f = xcalloc(1, sizeof *f);
    f->s = s;
    f->seq = s->fetch_seq;
    s->fetch_pending = true;
    f->next = s->fetches;
    s->fetches = f;
    struct http_request rq = {
        .method = HTTP_GET, .path = path, .on_done = session_fetch_done, .ctx = f};
    pthread_mutex_unlock(&s->mu);
    http_submit(s->client, &rq);
    free(path);
    return NULL;
}

static bool session_object_pending(void *ctx, enum kargo_kind kind, const char *name, char *why,
                                   size_t len)
{
    struct session *s = ctx;
    pthread_mutex_lock(&s->mu);
    bool mine = s->fetch_name != NULL && s->fetch_kind == kind && strcmp(s->fetch_name, name) == 0;
    /* an answer that came in after object() said NULL and before this question (a busy UI
     * thread) is still to be taken: the caller asks object() again on the wake-up it brought */
    bool pending = mine && (s->fetch_pending || s->fetch_obj != NULL);
    if (why != NULL && len > 0)
        snprintf(why, len, "%s",
                 mine && s->fetch_error ? s->fetch_error : "the object could not be fetched");
    pthread_mutex_unlock(&s->mu);
    return pending;
}

static int session_wake_fd(void *ctx)
{
    return kube_client_wake_fd(((struct session *)ctx)->client);
}

/* After a wake-up: the context's namespace opens once the project list says it is a project
 * (or cannot say: RBAC may deny listing projects to someone who may read one). */
static void session_drain(void *ctx)
{
    struct session *s = ctx;
    kube_client_wake_drain(s->client);
    pthread_mutex_lock(&s->mu);
    bool decide = s->want_context_open && (s->projects_listed || s->projects_denied);
    pthread_mutex_unlock(&s->mu);
    if (!decide)
        return;
    s->want_context_open = false;
    bool known;
    if (session_is_project(s, s->cfg->namespace, &known) || !known)
        session_start_project(s, s->cfg->namespace);
}

static char **session_contexts(void *ctx, size_t *n)
{
    struct session *s = ctx;
    char **names = NULL, *current = NULL, *cause = NULL;
    *n = 0;
    if (!s->has_ko || kubeconfig_contexts(&s->ko, &names, n, &current, &cause) != 0) {
        free(cause);
        *n = 0;
        return NULL;
    }
    free(current);
    return names;
}

/* ---- actions: queued to the worker, which wakes the UI through the client's pipe --------- */

static void session_action_wake(void *ctx)
{
    kube_client_wake(((struct session *)ctx)->client);
}

static unsigned long session_act(void *ctx, const struct action_request *req, char **cause)
{
    struct session *s = ctx;
    if (s->store == NULL) {
        cause_set(cause, "no project is open");
        return 0;
    }
    struct action_request r = *req;
    r.ns = store_namespace(s->store);
    return action_queue_submit(s->actions, &r, &s->policy, cause);
}

static struct action_result *session_act_result(void *ctx)
{
    return action_queue_take(((struct session *)ctx)->actions);
}

static enum action_access session_access(void *ctx, enum action_id id, const char *stage,
                                         char *reason, size_t len)
{
    struct session *s = ctx;
    return action_queue_access(s->actions, s->store != NULL ? store_namespace(s->store) : NULL, id,
                               stage, reason, len);
}

/* Watches projects on the current client and opens -n, or the context's namespace once the
 * project list says it is one. */
static void session_connect(struct session *s)
{
    struct kube_config *cfg = s->cfg;
    pthread_mutex_lock(&s->mu);
    snprintf(s->status.context, sizeof s->status.context, "%s", cfg->context ? cfg->context : "");
    snprintf(s->status.cluster, sizeof s->status.cluster, "%s",
             cfg->cluster_name ? cfg->cluster_name : "");
    s->status.insecure = cfg->insecure;
    s->status.watch[KARGO_PROJECT] = (struct source_watch){.conn = SOURCE_CONNECTING};
    s->projects_listed = s->projects_denied = false;
    pthread_mutex_unlock(&s->mu);
    s->projects_watch.s = s;
    s->projects_watch.kind = KARGO_PROJECT;
    struct informer_opts io = {.group_version = "kargo.akuity.io/v1alpha1", .plural = "projects"};
    struct informer_callbacks cb = {session_projects_event, session_projects_relist,
                                    session_projects_state, &s->projects_watch};
    s->projects_watch.inf = informer_start(s->client, &io, &cb);
    if (s->project_opt != NULL)
        session_start_project(s, s->project_opt);
    else
        s->want_context_open = true;
}

static int session_open_context(void *ctx, const char *name, char **cause)
{
    struct session *s = ctx;
    if (!s->has_ko) {
        cause_set(cause, "this session has no kubeconfig to take context '%s' from", name);
        return -1;
    }
    struct kubeconfig_opts ko = s->ko;
    ko.context = name;
    /* --cluster and --user named parts of the old context; the new one brings its own */
    ko.cluster = ko.user = NULL;
    struct kube_config *cfg = kubeconfig_load(&ko, cause);
    if (cfg == NULL)
        return -1;
    struct kube_client *client = kube_client_new(cfg, cause);
    if (client == NULL) {
        kubeconfig_free(cfg);
        return -1;
    }
    kube_client_set_timeouts(client, s->timeouts.connect_ms, s->timeouts.idle_ms);
    /* the old connection goes only once the new one could be made */
    session_stop_project(s);
    if (s->projects_watch.inf != NULL)
        informer_stop(s->projects_watch.inf);
    s->projects_watch.inf = NULL;
    /* an action under way finishes against the cluster it was meant for */
    action_queue_free(s->actions);
    kube_client_free(s->client);
    session_fetches_free(s);
    kubeconfig_free(s->cfg);
    s->client = client;
    s->cfg = cfg;
    s->actions = action_queue_new(client, session_action_wake, s);
    pthread_mutex_lock(&s->mu);
    /* an object fetched (or being fetched) from the old cluster is not the new one's */
    session_fetch_forget(s);
    for (size_t i = 0; i < s->n_projects; i++)
        free(s->projects[i]);
    free(s->projects);
    s->projects = NULL;
    s->n_projects = 0;
    pthread_mutex_unlock(&s->mu);
    session_connect(s);
    return 0;
}

static char *dup_or_null(const char *v)
{
    return v != NULL ? xstrdup(v) : NULL;
}

struct session *session_new(struct kube_config *cfg, const struct kubeconfig_opts *ko,
                            const char *project, const struct session_timeouts *tmo, char **cause)
{
    struct kube_client *client = kube_client_new(cfg, cause);
    if (client == NULL) {
        kubeconfig_free(cfg);
        return NULL;
    }
    struct session *s = xcalloc(1, sizeof *s);
    if (tmo != NULL)
        s->timeouts = *tmo;
    /* before session_connect: the first list must run under these limits */
    kube_client_set_timeouts(client, s->timeouts.connect_ms, s->timeouts.idle_ms);
    s->cfg = cfg;
    s->client = client;
    if (ko != NULL) {
        s->has_ko = true;
        s->ko.kubeconfig = dup_or_null(ko->kubeconfig);
        s->ko.context = dup_or_null(ko->context);
        s->ko.cluster = dup_or_null(ko->cluster);
        s->ko.user = dup_or_null(ko->user);
        s->ko.namespace = dup_or_null(ko->namespace);
        s->ko.incluster_dir = dup_or_null(ko->incluster_dir);
    }
    s->project_opt = dup_or_null(project);
    action_policy_init(&s->policy);
    s->actions = action_queue_new(client, session_action_wake, s);
    pthread_mutex_init(&s->mu, NULL);
    for (int k = 0; k < KARGO_KIND_COUNT; k++)
        s->status.watch[k].conn = SOURCE_OFF;
    s->source = (struct ui_source){
        .ctx = s,
        .store = session_store,
        .status = session_status,
        .projects = session_projects,
        .open_project = session_open_project,
        .contexts = session_contexts,
        .open_context = session_open_context,
        .object = session_object,
        .object_pending = session_object_pending,
        .wake_fd = session_wake_fd,
        .drain = session_drain,
        .policy = &s->policy,
        .act = session_act,
        .act_result = session_act_result,
        .access = session_access,
    };
    session_connect(s);
    return s;
}

void session_free(struct session *s)
{
    if (s == NULL)
        return;
    session_stop_project(s);
    if (s->projects_watch.inf != NULL)
        informer_stop(s->projects_watch.inf);
    action_queue_free(s->actions);
    action_policy_free(&s->policy);
    kube_client_free(s->client);
    session_fetches_free(s);
    session_fetch_forget(s);
    for (size_t i = 0; i < s->n_projects; i++)
        free(s->projects[i]);
    free(s->projects);
    pthread_mutex_destroy(&s->mu);
    kubeconfig_free(s->cfg);
    free((char *)s->ko.kubeconfig);
    free((char *)s->ko.context);
    free((char *)s->ko.cluster);
    free((char *)s->ko.user);
    free((char *)s->ko.namespace);
    free((char *)s->ko.incluster_dir);
    free(s->project_opt);
    free(s);
}

const struct ui_source *session_source(struct session *s)
{
    return &s->source;
}

struct action_policy *session_policy(struct session *s)
{
    return &s->policy;
}
