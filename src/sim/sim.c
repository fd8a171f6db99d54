/* The simulated cluster's lifecycle: store, scenarios, tokens, TLS, server, controllers. */
#include "sim/sim.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sim/resource.h"
#include "sim/server.h"
#include "sim/store.h"
#include "sim/tls.h"
#include "sim/yaml.h"
#include "util/base64.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define NUSERS 3

static const char *const user_names[NUSERS] = {"admin", "promoter", "viewer"};

/* A user of the token file (kube-apiserver's --token-auth-file). */
struct file_user {
    char *token, *name, *uid, *groups; /* groups comma-separated, or NULL */
};

struct sim_controller {
    struct sim *sim;
    char *name;
    pthread_t thread;
    bool started;
    void (*run)(struct sim_controller *c, void *ctx);
    void *ctx;
    void (*free_ctx)(void *ctx);
    struct sim_controller *next;
};

struct sim {
    struct sim_store *store;
    struct sim_server *srv;
    struct sim_tls tls;
    bool tls_on;
    char *url;
    char tokens[NUSERS][65];
    struct file_user *file_users; /* from --token-auth-file */
    size_t n_file_users;

    pthread_mutex_t mu; /* controllers, stopping */
    pthread_cond_t wake;
    bool stopping;
    bool running; /* controllers start at once from now on */
    struct sim_controller *controllers;
};

const char *sim_verb_name(enum sim_verb v)
{
    static const char *const names[SIM_VERB_COUNT] = {"get",    "list",  "watch",  "create",
                                                      "update", "patch", "delete", "other"};
    return v < SIM_VERB_COUNT ? names[v] : "?";
}

/* ---- scenarios ----------------------------------------------------------------------------- */

static int load_object(struct sim *sim, const cJSON *obj, const char *path, int line, char **cause)
{
    const char *av = json_get_string(obj, "apiVersion", (char *)NULL);
    const char *kind = json_get_string(obj, "kind", (char *)NULL);
    const struct sim_resource *r = sim_resource_by_kind(av, kind);
    if (r == NULL || !r->storable) {
        cause_set(cause, "%s:%d: no resource for kind \"%s\" in apiVersion \"%s\"", path, line,
                  kind != NULL ? kind : "", av != NULL ? av : "");
        return -1;
    }
    const char *ns = json_get_string(obj, "metadata", "namespace", (char *)NULL);
    if (r->namespaced && (ns == NULL || ns[0] == '\0'))
        ns = "default";
    struct sim_write_opts o = {.user = "admin", .skip_admission = true};
    struct sim_status *err = NULL;
    cJSON *res = sim_store_create(sim->store, r->plural, r->namespaced ? ns : NULL, obj, &o, &err);
    if (res == NULL) {
        cause_set(cause, "%s:%d: %s", path, line, err != NULL ? err->message : "not stored");
        sim_status_free(err);
        return -1;
    }
    cJSON_Delete(res);
    return 0;
}

/* Namespaces and Projects first, so that the file's order does not matter. */
static bool first_pass(const cJSON *obj)
{
    const char *kind = json_get_string(obj, "kind", (char *)NULL);
    return kind != NULL && (strcmp(kind, "Namespace") == 0 || strcmp(kind, "Project") == 0);
}

int sim_load_file(struct sim *sim, const char *path, char **cause)
{
    int *lines = NULL;
    cJSON *docs = sim_yaml_load_file(path, &lines, cause);
    if (docs == NULL)
        return -1;
    /* Flatten kind: List documents, as kubectl does. */
    cJSON *objs = cJSON_CreateArray();
    int *olines = NULL;
    size_t n = 0;
    int i = 0;
    const cJSON *doc;
    cJSON_ArrayForEach(doc, docs)
    {
        const cJSON *items = cJSON_GetObjectItemCaseSensitive(doc, "items");
        const char *kind = json_get_string(doc, "kind", (char *)NULL);
        bool list = kind != NULL && strlen(kind) >= 4 &&
                    strcmp(kind + strlen(kind) - 4, "List") == 0 && cJSON_IsArray(items);
        const cJSON *it, *arr = list ? items : NULL;
        cJSON_ArrayForEach(it, arr)
        {
            cJSON_AddItemToArray(objs, cJSON_Duplicate(it, true));
            olines = xrealloc(olines, (n + 1) * sizeof *olines);
            olines[n++] = lines[i];
        }
        if (!list) {
            cJSON_AddItemToArray(objs, cJSON_Duplicate(doc, true));
            olines = xrealloc(olines, (n + 1) * sizeof *olines);
            olines[n++] = lines[i];
        }
        i++;
    }
    cJSON_Delete(docs);
    free(lines);
    int loaded = 0;
    for (int pass = 0; pass < 2 && loaded >= 0; pass++) {
        int k = 0;
        const cJSON *obj;
        cJSON_ArrayForEach(obj, objs)
        {
            if (first_pass(obj) == (pass == 0)) {
                if (!cJSON_IsObject(obj)) {
                    cause_set(cause, "%s:%d: a document is not a mapping", path, olines[k]);
                    loaded = -1;
                    break;
                }
                if (load_object(sim, obj, path, olines[k], cause) < 0) {
                    loaded = -1;
                    break;
                }
                loaded++;
            }
            k++;
        }
    }
    cJSON_Delete(objs);
    free(olines);
    return loaded;
}

/* ---- controllers --------------------------------------------------------------------------- */

static void *controller_main(void *arg)
{
    struct sim_controller *c = arg;
    c->run(c, c->ctx);
    return NULL;
}

static int controller_launch(struct sim_controller *c, char **cause)
{
    int rc = pthread_create(&c->thread, NULL, controller_main, c);
    if (rc != 0) {
        cause_set(cause, "cannot start controller %s: %s", c->name, strerror(rc));
        return -1;
    }
    c->started = true;
    return 0;
}

int sim_controller_add(struct sim *sim, const char *name,
                       void (*run)(struct sim_controller *c, void *ctx), void *ctx,
                       void (*free_ctx)(void *ctx), char **cause)
{
    struct sim_controller *c = xcalloc(1, sizeof *c);
    c->sim = sim;
    c->name = xstrdup(name);
    c->run = run;
    c->ctx = ctx;
    c->free_ctx = free_ctx;
    pthread_mutex_lock(&sim->mu);
    int rc = 0;
    if (sim->stopping) {
        cause_set(cause, "cannot start controller %s: the simulator is stopping", name);
        rc = -1;
    } else if (sim->running) {
        rc = controller_launch(c, cause);
    }
    if (rc == 0) {
        c->next = sim->controllers;
        sim->controllers = c;
    }
    pthread_mutex_unlock(&sim->mu);
    if (rc < 0) {
        free(c->name);
        free(c);
    }
    return rc;
}

bool sim_controller_stopping(struct sim_controller *c)
{
    pthread_mutex_lock(&c->sim->mu);
    bool s = c->sim->stopping;
    pthread_mutex_unlock(&c->sim->mu);
    return s;
}

bool sim_controller_sleep(struct sim_controller *c, long ms)
{
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    dl.tv_sec += ms / 1000;
    dl.tv_nsec += (ms % 1000) * 1000000L;
    if (dl.tv_nsec >= 1000000000L) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000L;
    }
    struct sim *sim = c->sim;
    pthread_mutex_lock(&sim->mu);
    while (!sim->stopping)
        if (pthread_cond_timedwait(&sim->wake, &sim->mu, &dl) == ETIMEDOUT)
            break;
    bool ok = !sim->stopping;
    pthread_mutex_unlock(&sim->mu);
    return ok;
}

struct sim *sim_controller_sim(struct sim_controller *c)
{
    return c->sim;
}

/* ---- lifecycle ----------------------------------------------------------------------------- */

static int make_tokens(struct sim *sim, char **cause)
{
    for (int i = 0; i < NUSERS; i++) {
        unsigned char raw[32];
        if (sim_tls_random(raw, sizeof raw) < 0) {
            cause_set(cause, "cannot generate bearer tokens");
            return -1;
        }
        for (size_t k = 0; k < sizeof raw; k++)
            snprintf(&sim->tokens[i][2 * k], 3, "%02x", raw[k]);
    }
    return 0;
}

/* One CSV record of line (RFC 4180 as Go's encoding/csv reads it: fields separated by commas,
 * double-quoted fields may hold commas and "" for a quote) into fields[max]; the count, or -1
 * for an unterminated quote. */
static int csv_fields(const char *line, char **fields, int max)
{
    int n = 0;
    const char *p = line;
    for (;;) {
        struct strbuf f;
        strbuf_init(&f);
        if (*p == '"') {
            p++;
            for (;;) {
                if (*p == '\0') {
                    strbuf_free(&f);
                    for (int i = 0; i < n; i++)
                        free(fields[i]);
                    return -1;
                }
                if (*p == '"' && p[1] == '"') {
                    strbuf_append_char(&f, '"');
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    strbuf_append_char(&f, *p++);
                }
            }
            while (*p != '\0' && *p != ',')
                p++;
        } else {
            size_t len = strcspn(p, ",");
            strbuf_append_len(&f, p, len);
            p += len;
        }
        if (n < max)
            fields[n++] = strbuf_detach(&f);
        else
            strbuf_free(&f);
        if (*p != ',')
            return n;
        p++;
    }
}

/* kube-apiserver's --token-auth-file: "token,user,uid[,\"group1,group2\"]" per line. */
static int load_token_file(struct sim *sim, const char *path, char **cause)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        cause_set(cause, "cannot read token file %s: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int lineno = 0, rc = 0;
    while (rc == 0 && (len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (strspn(line, " \t") == (size_t)len)
            continue;
        char *fl[4] = {NULL};
        int n = csv_fields(line, fl, 4);
        if (n < 3 || fl[0][0] == '\0' || fl[1][0] == '\0') {
            cause_set(cause, "%s:%d: want token,user,uid[,\"group1,group2\"]", path, lineno);
            rc = -1;
        } else {
            for (int i = 0; i < NUSERS; i++)
                if (strcmp(fl[1], user_names[i]) == 0) {
                    cause_set(cause, "%s:%d: user %s is built in", path, lineno, fl[1]);
                    rc = -1;
                }
        }
        if (rc == 0) {
            sim->file_users =
                xrealloc(sim->file_users, (sim->n_file_users + 1) * sizeof *sim->file_users);
            struct file_user *u = &sim->file_users[sim->n_file_users++];
            u->token = fl[0];
            u->name = fl[1];
            u->uid = fl[2];
            u->groups = n > 3 && fl[3][0] != '\0' ? fl[3] : NULL;
            if (u->groups == NULL)
                free(n > 3 ? fl[3] : NULL);
        } else {
            for (int i = 0; i < (n > 0 ? n : 0); i++)
                free(fl[i]);
        }
    }
    free(line);
    fclose(f);
    return rc;
}

struct sim *sim_start(const struct sim_config *cfg, char **cause)
{
    struct sim *sim = xcalloc(1, sizeof *sim);
    pthread_mutex_init(&sim->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&sim->wake, &ca);
    pthread_condattr_destroy(&ca);
    sim->store = sim_store_new(cfg->history, cfg->seed);

    /* Every cluster has a default namespace; kubectl without -n works in it. */
    cJSON *def = cJSON_Parse("{\"metadata\":{\"name\":\"default\"}}");
    struct sim_write_opts o = {.user = "admin", .skip_admission = true};
    struct sim_status *err = NULL;
    cJSON_Delete(sim_store_create(sim->store, "namespaces", NULL, def, &o, &err));
    sim_status_free(err);
    cJSON_Delete(def);

    for (size_t i = 0; cfg->scenarios != NULL && cfg->scenarios[i] != NULL; i++)
        if (sim_load_file(sim, cfg->scenarios[i], cause) < 0)
            goto fail;
    if (make_tokens(sim, cause) < 0)
        goto fail;
    if (cfg->token_auth_file != NULL && load_token_file(sim, cfg->token_auth_file, cause) < 0)
        goto fail;
    if (cfg->tls) {
        if ((cfg->tls_expired ? sim_tls_generate_expired(&sim->tls, cause)
                              : sim_tls_generate(&sim->tls, cause)) < 0)
            goto fail;
        sim->tls_on = true;
    }
    if (cfg->install != NULL && cfg->install(sim, cfg->install_ctx, cause) < 0)
        goto fail;

    size_t nusers = NUSERS + sim->n_file_users;
    struct sim_server_user *users = xcalloc(nusers, sizeof *users);
    for (int i = 0; i < NUSERS; i++)
        users[i] = (struct sim_server_user){user_names[i], sim->tokens[i], NULL};
    for (size_t i = 0; i < sim->n_file_users; i++)
        users[NUSERS + i] = (struct sim_server_user){
            sim->file_users[i].name, sim->file_users[i].token, sim->file_users[i].groups};
    struct sim_server_config sc = {
        .host = cfg->host,
        .port = cfg->port,
        .tls = sim->tls_on ? &sim->tls : NULL,
        .store = sim->store,
        .users = users,
        .nusers = (int)nusers,
        .faults = cfg->faults,
        .seed = cfg->seed,
        .bookmark_ms = cfg->bookmark_ms,
        .log_requests = cfg->log_requests,
    };
    sim->srv = sim_server_start(&sc, cause);
    free(users);
    if (sim->srv == NULL)
        goto fail;
    if (cfg->faults.forget_history)
        sim_store_forget_history(sim->store);
    sim->url = xasprintf("%s://%s:%d", sim->tls_on ? "https" : "http",
                         cfg->host != NULL ? cfg->host : "127.0.0.1", sim_server_port(sim->srv));

    pthread_mutex_lock(&sim->mu);
    sim->running = true;
    int rc = 0;
    for (struct sim_controller *c = sim->controllers; c != NULL && rc == 0; c = c->next)
        rc = controller_launch(c, cause);
    pthread_mutex_unlock(&sim->mu);
    if (rc < 0)
        goto fail;
    return sim;
fail:
    sim_stop(sim);
    return NULL;
}

void sim_stop(struct sim *sim)
{
    if (sim == NULL)
        return;
    pthread_mutex_lock(&sim->mu);
    sim->stopping = true;
    pthread_cond_broadcast(&sim->wake);
    pthread_mutex_unlock(&sim->mu);
    sim_store_shutdown(sim->store);
    /* The server goes first: a request in flight may run admission hooks and the store clock,
     * which belong to a controller's context freed below. */
    sim_server_stop(sim->srv);
    sim->srv = NULL;
    struct sim_controller *c = sim->controllers;
    while (c != NULL) {
        struct sim_controller *next = c->next;
        if (c->started)
            pthread_join(c->thread, NULL);
        if (c->free_ctx != NULL)
            c->free_ctx(c->ctx);
        free(c->name);
        free(c);
        c = next;
    }
    sim_store_free(sim->store);
    sim_tls_free(&sim->tls);
    memset(sim->tokens, 0, sizeof sim->tokens);
    for (size_t i = 0; i < sim->n_file_users; i++) {
        free(sim->file_users[i].token);
        free(sim->file_users[i].name);
        free(sim->file_users[i].uid);
        free(sim->file_users[i].groups);
    }
    free(sim->file_users);
    free(sim->url);
    pthread_cond_destroy(&sim->wake);
    pthread_mutex_destroy(&sim->mu);
    free(sim);
}

const char *sim_url(const struct sim *sim)
{
    return sim->url;
}

int sim_port(const struct sim *sim)
{
    return sim_server_port(sim->srv);
}

const char *sim_ca_pem(const struct sim *sim)
{
    return sim->tls_on ? sim->tls.ca_pem : NULL;
}

const char *sim_client_cert_pem(const struct sim *sim)
{
    return sim->tls_on ? sim->tls.client_cert_pem : NULL;
}

const char *sim_client_key_pem(const struct sim *sim)
{
    return sim->tls_on ? sim->tls.client_key_pem : NULL;
}

const char *sim_token(const struct sim *sim, const char *user)
{
    for (int i = 0; i < NUSERS; i++)
        if (user != NULL && strcmp(user, user_names[i]) == 0)
            return sim->tokens[i];
    for (size_t i = 0; user != NULL && i < sim->n_file_users; i++)
        if (strcmp(user, sim->file_users[i].name) == 0)
            return sim->file_users[i].token;
    return NULL;
}

const char *sim_user_groups(const struct sim *sim, const char *user)
{
    for (size_t i = 0; user != NULL && i < sim->n_file_users; i++)
        if (strcmp(user, sim->file_users[i].name) == 0)
            return sim->file_users[i].groups;
    return NULL;
}

struct sim_store *sim_store(struct sim *sim)
{
    return sim->store;
}

void sim_faults_set(struct sim *sim, const struct sim_faults *f)
{
    sim_server_faults_set(sim->srv, f);
}

void sim_faults_get(struct sim *sim, struct sim_faults *f)
{
    sim_server_faults_get(sim->srv, f);
}

void sim_stats_get(struct sim *sim, struct sim_stats *st)
{
    sim_server_stats(sim->srv, st);
}

int sim_write_kubeconfig(struct sim *sim, const char *path, char **cause)
{
    struct strbuf sb;
    strbuf_init(&sb);
    strbuf_append(&sb, "apiVersion: v1\nkind: Config\nclusters:\n- name: kargo-sim\n  cluster:\n");
    strbuf_appendf(&sb, "    server: %s\n", sim->url);
    if (sim->tls_on) {
        char *ca = base64_encode(sim->tls.ca_pem, strlen(sim->tls.ca_pem));
        strbuf_appendf(&sb, "    certificate-authority-data: %s\n", ca);
        free(ca);
    }
    strbuf_append(&sb, "contexts:\n");
    for (int i = 0; i < NUSERS; i++)
        strbuf_appendf(&sb, "- name: %s\n  context:\n    cluster: kargo-sim\n    user: %s\n",
                       user_names[i], user_names[i]);
    for (size_t i = 0; i < sim->n_file_users; i++)
        strbuf_appendf(&sb,
                       "- name: \"%s\"\n  context:\n    cluster: kargo-sim\n    user: \"%s\"\n",
                       sim->file_users[i].name, sim->file_users[i].name);
    strbuf_append(&sb, "current-context: admin\npreferences: {}\nusers:\n");
    for (int i = 0; i < NUSERS; i++)
        strbuf_appendf(&sb, "- name: %s\n  user:\n    token: %s\n", user_names[i], sim->tokens[i]);
    for (size_t i = 0; i < sim->n_file_users; i++)
        strbuf_appendf(&sb, "- name: \"%s\"\n  user:\n    token: \"%s\"\n", sim->file_users[i].name,
                       sim->file_users[i].token);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int rc = -1;
    if (fd < 0) {
        cause_set(cause, "cannot write kubeconfig %s: %s", path, strerror(errno));
    } else {
        size_t off = 0;
        while (off < sb.len) {
            ssize_t n = write(fd, sb.buf + off, sb.len - off);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            off += (size_t)n;
        }
        if (off == sb.len && close(fd) == 0) {
            rc = 0;
        } else {
            cause_set(cause, "cannot write kubeconfig %s: %s", path, strerror(errno));
            if (off != sb.len)
                close(fd);
        }
    }
    memset(sb.buf, 0, sb.len);
    strbuf_free(&sb);
    return rc;
}
