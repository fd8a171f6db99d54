/* kubeconfig files found, parsed (libyaml), merged and resolved the way kubectl does it. */
#include "kube/kubeconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include <cjson/cJSON.h>

#include "util/base64.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define INCLUSTER_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

/* One named cluster, user or context, remembering which file defined it: relative paths in it are
 * relative to that file, and messages name it. */
struct entry {
    const char *name;
    const cJSON *body;
    const char *file;
};

struct entries {
    struct entry *v;
    size_t n, cap;
};

struct merged {
    char **files; /* the files actually read, in order */
    cJSON **roots;
    size_t nfiles;
    char *listed; /* "a:b" for messages */
    const char *current_context;
    struct entries clusters, users, contexts;
};

static unsigned char *read_all(const char *path, size_t *len, char **cause)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        cause_set(cause, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    struct strbuf sb;
    strbuf_init(&sb);
    char buf[8192];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0)
        strbuf_append_len(&sb, buf, got);
    int err = ferror(f);
    fclose(f);
    if (err) {
        strbuf_free(&sb);
        cause_set(cause, "cannot read %s", path);
        return NULL;
    }
    *len = sb.len;
    return (unsigned char *)strbuf_detach(&sb);
}

/* Builds a cJSON tree from YAML events: mappings become objects, sequences arrays and every
 * scalar a string (kubeconfig has no numbers worth keeping, and booleans are read by field). */
static cJSON *yaml_node(yaml_parser_t *p, yaml_event_t *ev, const char *path, int depth,
                        char **cause);

/* Each nesting level costs a stack frame: a hostile file of 100,000 '[' overflowed the stack
 * (found by fuzzing). No kubeconfig nests beyond a handful; cJSON stops at 1000 too. */
#define KUBECONFIG_DEPTH_MAX 1000

static cJSON *yaml_next(yaml_parser_t *p, const char *path, int depth, char **cause)
{
    yaml_event_t ev;
    if (!yaml_parser_parse(p, &ev)) {
        cause_set(cause, "%s is not valid YAML: %s at line %zu", path,
                  p->problem ? p->problem : "syntax error", p->problem_mark.line + 1);
        return NULL;
    }
    cJSON *n = yaml_node(p, &ev, path, depth, cause);
    yaml_event_delete(&ev);
    return n;
}

static cJSON *yaml_node(yaml_parser_t *p, yaml_event_t *ev, const char *path, int depth,
                        char **cause)
{
    if ((ev->type == YAML_SEQUENCE_START_EVENT || ev->type == YAML_MAPPING_START_EVENT) &&
        depth >= KUBECONFIG_DEPTH_MAX) {
        cause_set(cause, "%s is nested more than %d levels deep at line %zu", path,
                  KUBECONFIG_DEPTH_MAX, ev->start_mark.line + 1);
        return NULL;
    }
    switch (ev->type) {
    case YAML_SCALAR_EVENT: {
        const char *v = (const char *)ev->data.scalar.value;
        if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
            (strcmp(v, "null") == 0 || strcmp(v, "~") == 0 || v[0] == '\0'))
            return cJSON_CreateNull();
        return cJSON_CreateString(v);
    }
    case YAML_ALIAS_EVENT:
        return cJSON_CreateNull();
    case YAML_SEQUENCE_START_EVENT: {
        cJSON *arr = cJSON_CreateArray();
        for (;;) {
            yaml_event_t e;
            if (!yaml_parser_parse(p, &e)) {
                cause_set(cause, "%s is not valid YAML: %s at line %zu", path,
                          p->problem ? p->problem : "syntax error", p->problem_mark.line + 1);
                cJSON_Delete(arr);
                return NULL;
            }
            if (e.type == YAML_SEQUENCE_END_EVENT) {
                yaml_event_delete(&e);
                return arr;
            }
            cJSON *item = yaml_node(p, &e, path, depth + 1, cause);
            yaml_event_delete(&e);
            if (item == NULL) {
                cJSON_Delete(arr);
                return NULL;
            }
            cJSON_AddItemToArray(arr, item);
        }
    }
    case YAML_MAPPING_START_EVENT: {
        cJSON *obj = cJSON_CreateObject();
        for (;;) {
            yaml_event_t e;
            if (!yaml_parser_parse(p, &e)) {
                cause_set(cause, "%s is not valid YAML: %s at line %zu", path,
                          p->problem ? p->problem : "syntax error", p->problem_mark.line + 1);
                cJSON_Delete(obj);
                return NULL;
            }
            if (e.type == YAML_MAPPING_END_EVENT) {
                yaml_event_delete(&e);
                return obj;
            }
            if (e.type != YAML_SCALAR_EVENT) {
                cause_set(cause, "%s: only string keys are supported (line %zu)", path,
                          e.start_mark.line + 1);
                yaml_event_delete(&e);
                cJSON_Delete(obj);
                return NULL;
            }
            char *key = xstrdup((const char *)e.data.scalar.value);
            yaml_event_delete(&e);
            cJSON *val = yaml_next(p, path, depth + 1, cause);
            if (val == NULL) {
                free(key);
                cJSON_Delete(obj);
                return NULL;
            }
            /* YAML forbids duplicate keys; the Go decoder keeps the last, and so do we. */
            cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
            cJSON_AddItemToObject(obj, key, val);
            free(key);
        }
    }
    default:
        cause_set(cause, "%s: unexpected YAML structure at line %zu", path,
                  ev->start_mark.line + 1);
        return NULL;
    }
}

static cJSON *parse_yaml(const char *path, const unsigned char *text, size_t len, char **cause)
{
    yaml_parser_t p;
    yaml_parser_initialize(&p);
    yaml_parser_set_input_string(&p, text, len);
    cJSON *root = NULL;
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            cause_set(cause, "%s is not valid YAML: %s at line %zu", path,
                      p.problem ? p.problem : "syntax error", p.problem_mark.line + 1);
            cJSON_Delete(root);
            root = NULL;
            break;
        }
        yaml_event_type_t t = ev.type;
        if (t == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        if (t == YAML_STREAM_START_EVENT || t == YAML_DOCUMENT_START_EVENT ||
            t == YAML_DOCUMENT_END_EVENT) {
            yaml_event_delete(&ev);
            continue;
        }
        if (root != NULL) {
            yaml_event_delete(&ev);
            continue;
        }
        root = yaml_node(&p, &ev, path, 0, cause);
        yaml_event_delete(&ev);
        if (root == NULL)
            break;
    }
    yaml_parser_delete(&p);
    if (root != NULL && cJSON_IsNull(root)) {
        cJSON_Delete(root);
        root = cJSON_CreateObject();
    }
    if (root != NULL && !cJSON_IsObject(root)) {
        cause_set(cause, "%s is not a kubeconfig (its top level is not a mapping)", path);
        cJSON_Delete(root);
        return NULL;
    }
    if (root == NULL && cause != NULL && *cause == NULL)
        root = cJSON_CreateObject(); /* an empty file is an empty config, as for kubectl */
    return root;
}

static void entries_add(struct entries *es, const char *name, const cJSON *body, const char *file)
{
    for (size_t i = 0; i < es->n; i++)
        if (strcmp(es->v[i].name, name) == 0)
            return; /* kubectl: the first file to define a name wins */
    es->v = xreallocarray_grow(es->v, &es->cap, es->n + 1, sizeof *es->v);
    es->v[es->n++] = (struct entry){name, body, file};
}

static const struct entry *entries_find(const struct entries *es, const char *name)
{
    for (size_t i = 0; i < es->n; i++)
        if (strcmp(es->v[i].name, name) == 0)
            return &es->v[i];
    return NULL;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "dev, staging" (sorted) or "none", for messages. */
static char *entries_names(const struct entries *es)
{
    if (es->n == 0)
        return xstrdup("none");
    const char **names = xcalloc(es->n, sizeof *names);
    for (size_t i = 0; i < es->n; i++)
        names[i] = es->v[i].name;
    qsort(names, es->n, sizeof *names, cmp_str);
    struct strbuf sb;
    strbuf_init(&sb);
    for (size_t i = 0; i < es->n; i++)
        strbuf_appendf(&sb, "%s%s", i ? ", " : "", names[i]);
    free(names);
    return strbuf_detach(&sb);
}

static void merge_list(struct entries *es, const cJSON *root, const char *key, const char *inner,
                       const char *file)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, key);
    const cJSON *item;
    cJSON_ArrayForEach(item, list)
    {
        const char *name = json_get_string(item, "name", (char *)NULL);
        const cJSON *body = cJSON_GetObjectItemCaseSensitive(item, inner);
        if (name == NULL)
            continue;
        entries_add(es, name, cJSON_IsObject(body) ? body : NULL, file);
    }
}

static void merged_free(struct merged *m)
{
    for (size_t i = 0; i < m->nfiles; i++) {
        free(m->files[i]);
        cJSON_Delete(m->roots[i]);
    }
    free(m->files);
    free(m->roots);
    free(m->listed);
    free(m->clusters.v);
    free(m->users.v);
    free(m->contexts.v);
}

static int merged_add_file(struct merged *m, const char *path, bool must_exist, char **cause)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        if (!must_exist)
            return 0; /* kubectl skips missing files in $KUBECONFIG */
        cause_set(cause, "kubeconfig %s does not exist", path);
        return -1;
    }
    size_t len = 0;
    unsigned char *text = read_all(path, &len, cause);
    if (text == NULL)
        return -1;
    char *err = NULL;
    cJSON *root = parse_yaml(path, text, len, &err);
    free(text);
    if (root == NULL) {
        if (cause != NULL)
            *cause = err;
        else
            free(err);
        return -1;
    }
    m->files = xrealloc(m->files, (m->nfiles + 1) * sizeof *m->files);
    m->roots = xrealloc(m->roots, (m->nfiles + 1) * sizeof *m->roots);
    m->files[m->nfiles] = xstrdup(path);
    m->roots[m->nfiles] = root;
    m->nfiles++;
    return 0;
}

/* Reads the files in kubectl's order. Returns 1 when there is no kubeconfig at all (the caller
 * tries in-cluster config), 0 on success, -1 on error. */
static int merged_load(struct merged *m, const struct kubeconfig_opts *opts, char **cause)
{
    memset(m, 0, sizeof *m);
    struct strbuf listed;
    strbuf_init(&listed);
    int rc = 0;
    if (opts != NULL && opts->kubeconfig != NULL && opts->kubeconfig[0] != '\0') {
        rc = merged_add_file(m, opts->kubeconfig, true, cause);
        strbuf_append(&listed, opts->kubeconfig);
    } else if (getenv("KUBECONFIG") != NULL && getenv("KUBECONFIG")[0] != '\0') {
        char *list = xstrdup(getenv("KUBECONFIG"));
        char *rest = list, *path;
        while (rc == 0 && (path = strsep(&rest, ":")) != NULL) {
            if (path[0] == '\0')
                continue;
            bool dup = false;
            for (size_t i = 0; i < m->nfiles; i++)
                dup = dup || strcmp(m->files[i], path) == 0;
            if (dup)
                continue; /* kubectl deduplicates the list */
            rc = merged_add_file(m, path, false, cause);
            strbuf_appendf(&listed, "%s%s", listed.len ? ":" : "", path);
        }
        free(list);
        if (rc == 0 && m->nfiles == 0) {
            strbuf_free(&listed);
            return 1;
        }
    } else {
        const char *home = getenv("HOME");
        char *path = xasprintf("%s/.kube/config", home ? home : "");
        struct stat st;
        if (stat(path, &st) != 0) {
            free(path);
            strbuf_free(&listed);
            return 1;
        }
        rc = merged_add_file(m, path, true, cause);
        strbuf_append(&listed, path);
        free(path);
    }
    m->listed = strbuf_detach(&listed);
    if (rc != 0)
        return -1;
    for (size_t i = 0; i < m->nfiles; i++) {
        const cJSON *r = m->roots[i];
        const char *cc = json_get_string(r, "current-context", (char *)NULL);
        if (m->current_context == NULL && cc != NULL && cc[0] != '\0')
            m->current_context = cc;
        merge_list(&m->clusters, r, "clusters", "cluster", m->files[i]);
        merge_list(&m->users, r, "users", "user", m->files[i]);
        merge_list(&m->contexts, r, "contexts", "context", m->files[i]);
    }
    return 0;
}

static char *dup_or_null(const char *s)
{
    return s != NULL && s[0] != '\0' ? xstrdup(s) : NULL;
}

/* client-go resolves relative paths against the directory of the file that names them. */
static char *resolve_path(const char *p, const char *file)
{
    if (p == NULL || p[0] == '\0')
        return NULL;
    if (p[0] == '/' || file == NULL)
        return xstrdup(p);
    while (p[0] == '.' && p[1] == '/')
        p += 2; /* as filepath.Join cleans it */
    const char *slash = strrchr(file, '/');
    if (slash == NULL)
        return xstrdup(p);
    return xasprintf("%.*s/%s", (int)(slash - file), file, p);
}

static bool field_true(const cJSON *body, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, key);
    if (cJSON_IsBool(v))
        return cJSON_IsTrue(v);
    return cJSON_IsString(v) && strcmp(v->valuestring, "true") == 0;
}

/* Reads a PEM from key-data (base64) or from the file named by key. Returns 0 (with *out NULL if
 * neither is set), or -1 with *cause naming the entry and the file. */
static int load_pem(const cJSON *body, const char *data_key, const char *file_key,
                    const struct entry *e, const char *what, unsigned char **out, size_t *len,
                    char **cause)
{
    *out = NULL;
    *len = 0;
    const char *data = json_get_string(body, data_key, (char *)NULL);
    if (data != NULL && data[0] != '\0') {
        char *err = NULL;
        *out = base64_decode(data, len, &err);
        if (*out == NULL) {
            cause_set(cause, "%s '%s' in %s: %s is not valid base64 (%s)", what, e->name, e->file,
                      data_key, err);
            free(err);
            return -1;
        }
        return 0;
    }
    char *path = resolve_path(json_get_string(body, file_key, (char *)NULL), e->file);
    if (path == NULL)
        return 0;
    char *err = NULL;
    *out = read_all(path, len, &err);
    if (*out == NULL) {
        cause_set(cause, "%s '%s' in %s: %s: %s", what, e->name, e->file, file_key, err);
        free(err);
        free(path);
        return -1;
    }
    free(path);
    return 0;
}

static char **string_array(const cJSON *arr, size_t *n)
{
    *n = 0;
    int cnt = cJSON_GetArraySize(arr);
    char **v = xcalloc((size_t)cnt + 1, sizeof *v);
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        if (cJSON_IsString(it))
            v[(*n)++] = xstrdup(it->valuestring);
    }
    return v;
}

static const char *auth_provider_plugin(const char *name)
{
    if (strcmp(name, "gcp") == 0)
        return "gke-gcloud-auth-plugin";
    if (strcmp(name, "azure") == 0)
        return "kubelogin (github.com/Azure/kubelogin)";
    if (strcmp(name, "oidc") == 0)
        return "kubelogin (github.com/int128/kubelogin, 'kubectl oidc-login')";
    return "the exec credential plugin your provider documents";
}

static int load_exec(struct kube_config *cfg, const cJSON *ex, const struct entry *ue,
                     const cJSON *cluster_body, char **cause)
{
    const char *cmd = json_get_string(ex, "command", (char *)NULL);
    if (cmd == NULL || cmd[0] == '\0') {
        cause_set(cause, "user '%s' in %s: exec has no command", ue->name, ue->file);
        return -1;
    }
    const char *apiv = json_get_string(ex, "apiVersion", (char *)NULL);
    if (apiv == NULL || (strcmp(apiv, "client.authentication.k8s.io/v1") != 0 &&
                         strcmp(apiv, "client.authentication.k8s.io/v1beta1") != 0)) {
        cause_set(cause,
                  "user '%s' in %s: exec apiVersion '%s' is not supported; use "
                  "client.authentication.k8s.io/v1 or v1beta1",
                  ue->name, ue->file, apiv ? apiv : "");
        return -1;
    }
    struct kube_exec *x = xcalloc(1, sizeof *x);
    cfg->exec = x;
    x->api_version = xstrdup(apiv);
    /* Only a command with a slash is a path relative to the kubeconfig; a bare name is looked
     * up in PATH (client-go's rule). */
    if (strchr(cmd, '/') != NULL)
        x->command = resolve_path(cmd, ue->file);
    else
        x->command = xstrdup(cmd);
    x->args = string_array(cJSON_GetObjectItemCaseSensitive(ex, "args"), &x->nargs);
    const cJSON *env = cJSON_GetObjectItemCaseSensitive(ex, "env");
    x->env = xcalloc((size_t)cJSON_GetArraySize(env) + 1, sizeof *x->env);
    const cJSON *it;
    cJSON_ArrayForEach(it, env)
    {
        const char *n = json_get_string(it, "name", (char *)NULL);
        const char *v = json_get_string(it, "value", (char *)NULL);
        if (n != NULL)
            x->env[x->nenv++] = xasprintf("%s=%s", n, v ? v : "");
    }
    x->install_hint = dup_or_null(json_get_string(ex, "installHint", (char *)NULL));
    x->interactive_mode = dup_or_null(json_get_string(ex, "interactiveMode", (char *)NULL));
    if (strcmp(apiv, "client.authentication.k8s.io/v1") == 0 && x->interactive_mode == NULL) {
        cause_set(cause, "user '%s' in %s: exec interactiveMode must be set for %s", ue->name,
                  ue->file, apiv);
        return -1;
    }
    x->provide_cluster_info = field_true(ex, "provideClusterInfo");
    const cJSON *exts = cJSON_GetObjectItemCaseSensitive(cluster_body, "extensions");
    cJSON_ArrayForEach(it, exts)
    {
        const char *n = json_get_string(it, "name", (char *)NULL);
        const cJSON *ext = cJSON_GetObjectItemCaseSensitive(it, "extension");
        if (n != NULL && strcmp(n, "client.authentication.k8s.io/exec") == 0 && ext != NULL)
            x->cluster_config = cJSON_PrintUnformatted(ext);
    }
    return 0;
}

static int load_user(struct kube_config *cfg, const struct entry *ue, const cJSON *cluster_body,
                     char **cause)
{
    const cJSON *u = ue->body;
    const cJSON *ap = cJSON_GetObjectItemCaseSensitive(u, "auth-provider");
    if (ap != NULL) {
        const char *name = json_get_string(ap, "name", (char *)NULL);
        name = name ? name : "";
        cause_set(cause,
                  "user '%s' in %s uses auth-provider '%s', which kargotop does not support "
                  "(kubectl removed it in v1.26); configure the exec plugin %s instead",
                  ue->name, ue->file, name, auth_provider_plugin(name));
        return -1;
    }
    cfg->token = dup_or_null(json_get_string(u, "token", (char *)NULL));
    cfg->token_file = resolve_path(json_get_string(u, "tokenFile", (char *)NULL), ue->file);
    if (load_pem(u, "client-certificate-data", "client-certificate", ue, "user", &cfg->cert_data,
                 &cfg->cert_len, cause) != 0 ||
        load_pem(u, "client-key-data", "client-key", ue, "user", &cfg->key_data, &cfg->key_len,
                 cause) != 0)
        return -1;
    if ((cfg->cert_data == NULL) != (cfg->key_data == NULL)) {
        cause_set(cause, "user '%s' in %s has a client %s but no client %s", ue->name, ue->file,
                  cfg->cert_data ? "certificate" : "key", cfg->cert_data ? "key" : "certificate");
        return -1;
    }
    cfg->username = dup_or_null(json_get_string(u, "username", (char *)NULL));
    cfg->password = dup_or_null(json_get_string(u, "password", (char *)NULL));
    cfg->impersonate = dup_or_null(json_get_string(u, "as", (char *)NULL));
    cfg->impersonate_groups =
        string_array(cJSON_GetObjectItemCaseSensitive(u, "as-groups"), &cfg->n_impersonate_groups);
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(u, "exec");
    if (cJSON_IsObject(ex) && load_exec(cfg, ex, ue, cluster_body, cause) != 0)
        return -1;
    return 0;
}

static int load_cluster(struct kube_config *cfg, const struct entry *ce, char **cause)
{
    const cJSON *c = ce->body;
    const char *server = json_get_string(c, "server", (char *)NULL);
    if (server == NULL || server[0] == '\0') {
        cause_set(cause, "cluster '%s' in %s has no server", ce->name, ce->file);
        return -1;
    }
    size_t sl = strlen(server);
    while (sl > 0 && server[sl - 1] == '/')
        sl--;
    cfg->server = xstrndup(server, sl);
    cfg->insecure = field_true(c, "insecure-skip-tls-verify");
    cfg->tls_server_name = dup_or_null(json_get_string(c, "tls-server-name", (char *)NULL));
    cfg->proxy_url = dup_or_null(json_get_string(c, "proxy-url", (char *)NULL));
    return load_pem(c, "certificate-authority-data", "certificate-authority", ce, "cluster",
                    &cfg->ca_data, &cfg->ca_len, cause);
}

static struct kube_config *load_incluster(const struct kubeconfig_opts *opts, char **cause)
{
    const char *host = getenv("KUBERNETES_SERVICE_HOST");
    const char *port = getenv("KUBERNETES_SERVICE_PORT");
    const char *dir = opts && opts->incluster_dir ? opts->incluster_dir : INCLUSTER_DIR;
    if (host == NULL || host[0] == '\0' || port == NULL || port[0] == '\0') {
        const char *home = getenv("HOME");
        if (getenv("KUBECONFIG") != NULL && getenv("KUBECONFIG")[0] != '\0')
            cause_set(cause,
                      "no kubeconfig found: none of the files in KUBECONFIG (%s) exists, and "
                      "this is not a pod (KUBERNETES_SERVICE_HOST is not set)",
                      getenv("KUBECONFIG"));
        else
            cause_set(cause,
                      "no kubeconfig found: %s/.kube/config does not exist, KUBECONFIG is not "
                      "set, and this is not a pod (KUBERNETES_SERVICE_HOST is not set); pass "
                      "--kubeconfig",
                      home ? home : "");
        return NULL;
    }
    struct kube_config *cfg = xcalloc(1, sizeof *cfg);
    cfg->source = xstrdup("in-cluster config");
    cfg->context = xstrdup("in-cluster");
    cfg->cluster_name = xstrdup("in-cluster");
    cfg->user_name = xstrdup("service-account");
    /* An IPv6 service address needs brackets in a URL. */
    if (strchr(host, ':') != NULL)
        cfg->server = xasprintf("https://[%s]:%s", host, port);
    else
        cfg->server = xasprintf("https://%s:%s", host, port);
    cfg->token_file = xasprintf("%s/token", dir);
    char *ca = xasprintf("%s/ca.crt", dir);
    char *err = NULL;
    cfg->ca_data = read_all(ca, &cfg->ca_len, &err);
    free(ca);
    free(err); /* client-go too only logs a missing CA and uses the system store */
    err = NULL;
    if (access(cfg->token_file, R_OK) != 0) {
        cause_set(cause, "in-cluster config: cannot read the service-account token %s: %s",
                  cfg->token_file, strerror(errno));
        kubeconfig_free(cfg);
        return NULL;
    }
    if (opts && opts->namespace && opts->namespace[0]) {
        cfg->namespace = xstrdup(opts->namespace);
    } else {
        char *nsf = xasprintf("%s/namespace", dir);
        size_t len = 0;
        unsigned char *ns = read_all(nsf, &len, &err);
        free(nsf);
        free(err);
        if (ns != NULL) {
            while (len > 0 && (ns[len - 1] == '\n' || ns[len - 1] == ' '))
                ns[--len] = '\0';
        }
        cfg->namespace = ns != NULL && len > 0 ? (char *)ns : xstrdup("default");
        if (ns != NULL && len == 0)
            free(ns);
    }
    return cfg;
}

struct kube_config *kubeconfig_load(const struct kubeconfig_opts *opts, char **cause)
{
    struct merged m;
    int rc = merged_load(&m, opts, cause);
    if (rc == 1) {
        merged_free(&m);
        return load_incluster(opts, cause);
    }
    if (rc < 0) {
        merged_free(&m);
        return NULL;
    }
    struct kube_config *cfg = xcalloc(1, sizeof *cfg);
    cfg->source = xstrdup(m.listed);
    const char *ctxname =
        opts && opts->context && opts->context[0] ? opts->context : m.current_context;
    const struct entry *ctx = NULL;
    if (ctxname == NULL) {
        char *names = entries_names(&m.contexts);
        cause_set(cause,
                  "no current-context is set in %s and no --context was given; contexts "
                  "are: %s",
                  m.listed, names);
        free(names);
        goto fail;
    }
    ctx = entries_find(&m.contexts, ctxname);
    if (ctx == NULL) {
        char *names = entries_names(&m.contexts);
        cause_set(cause, "context '%s' not found in %s; contexts are: %s", ctxname, m.listed,
                  names);
        free(names);
        goto fail;
    }
    cfg->context = xstrdup(ctxname);

    const char *cname = opts && opts->cluster && opts->cluster[0]
                            ? opts->cluster
                            : json_get_string(ctx->body, "cluster", (char *)NULL);
    const char *uname = opts && opts->user && opts->user[0]
                            ? opts->user
                            : json_get_string(ctx->body, "user", (char *)NULL);
    if (cname == NULL || cname[0] == '\0') {
        cause_set(cause, "context '%s' in %s names no cluster", ctxname, ctx->file);
        goto fail;
    }
    const struct entry *ce = entries_find(&m.clusters, cname);
    if (ce == NULL) {
        char *names = entries_names(&m.clusters);
        cause_set(cause, "cluster '%s' (of context '%s') not found in %s; clusters are: %s", cname,
                  ctxname, m.listed, names);
        free(names);
        goto fail;
    }
    cfg->cluster_name = xstrdup(cname);
    if (load_cluster(cfg, ce, cause) != 0)
        goto fail;
    if (uname != NULL && uname[0] != '\0') {
        const struct entry *ue = entries_find(&m.users, uname);
        if (ue == NULL) {
            char *names = entries_names(&m.users);
            cause_set(cause, "user '%s' (of context '%s') not found in %s; users are: %s", uname,
                      ctxname, m.listed, names);
            free(names);
            goto fail;
        }
        cfg->user_name = xstrdup(uname);
        if (load_user(cfg, ue, ce->body, cause) != 0)
            goto fail;
    }
    const char *ns = opts && opts->namespace && opts->namespace[0]
                         ? opts->namespace
                         : json_get_string(ctx->body, "namespace", (char *)NULL);
    cfg->namespace = xstrdup(ns && ns[0] ? ns : "default");
    merged_free(&m);
    return cfg;
fail:
    merged_free(&m);
    kubeconfig_free(cfg);
    return NULL;
}

int kubeconfig_contexts(const struct kubeconfig_opts *opts, char ***names, size_t *n,
                        char **current, char **cause)
{
    struct merged m;
    *names = NULL;
    *n = 0;
    *current = NULL;
    int rc = merged_load(&m, opts, cause);
    if (rc < 0) {
        merged_free(&m);
        return -1;
    }
    *names = xcalloc(m.contexts.n + 1, sizeof **names);
    for (size_t i = 0; i < m.contexts.n; i++)
        (*names)[i] = xstrdup(m.contexts.v[i].name);
    *n = m.contexts.n;
    qsort(*names, *n, sizeof **names, cmp_str);
    *current = xstrdup(m.current_context ? m.current_context : "");
    merged_free(&m);
    return 0;
}

static void free_strv(char **v, size_t n)
{
    if (v == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* Secrets are wiped before they go back to the allocator. */
static void free_secret(void *p, size_t len)
{
    if (p == NULL)
        return;
    volatile unsigned char *b = p;
    for (size_t i = 0; i < len; i++)
        b[i] = 0;
    free(p);
}

void kubeconfig_free(struct kube_config *cfg)
{
    if (cfg == NULL)
        return;
    free(cfg->source);
    free(cfg->context);
    free(cfg->cluster_name);
    free(cfg->user_name);
    free(cfg->namespace);
    free(cfg->server);
    free(cfg->ca_data);
    free(cfg->tls_server_name);
    free(cfg->proxy_url);
    free_secret(cfg->token, cfg->token ? strlen(cfg->token) : 0);
    free(cfg->token_file);
    free(cfg->cert_data);
    free_secret(cfg->key_data, cfg->key_len);
    free(cfg->username);
    free_secret(cfg->password, cfg->password ? strlen(cfg->password) : 0);
    if (cfg->exec != NULL) {
        struct kube_exec *x = cfg->exec;
        free(x->api_version);
        free(x->command);
        free_strv(x->args, x->nargs);
        free_strv(x->env, x->nenv);
        free(x->install_hint);
        free(x->interactive_mode);
        free(x->cluster_config);
        free(x);
    }
    free(cfg->impersonate);
    free_strv(cfg->impersonate_groups, cfg->n_impersonate_groups);
    free(cfg);
}
