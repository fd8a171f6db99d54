/* Exec credential plugins (client.authentication.k8s.io v1 and v1beta1), run without a shell with
 * stdout read as the credential and stderr captured for a message, never left on the terminal. */
#include "kube/exec_cred.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "util/base64.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

extern char **environ;

/* A plugin that opens a browser for a login can take a while; one that hangs must not hold the
 * client forever. */
#define EXEC_TIMEOUT_MS 60000
#define STDERR_KEEP     1000

struct exec_cred_cache {
    const struct kube_config *cfg;
    struct exec_cred cred;
    bool valid;
    unsigned runs;
    char *stderr_text;
};

static void wipe_free(void *p, size_t len)
{
    if (p == NULL)
        return;
    volatile unsigned char *b = p;
    for (size_t i = 0; i < len; i++)
        b[i] = 0;
    free(p);
}

void exec_cred_clear(struct exec_cred *cred)
{
    wipe_free(cred->token, cred->token ? strlen(cred->token) : 0);
    free(cred->cert);
    wipe_free(cred->key, cred->key_len);
    memset(cred, 0, sizeof *cred);
}

static char *exec_info(const struct kube_config *cfg)
{
    const struct kube_exec *x = cfg->exec;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "kind", "ExecCredential");
    cJSON_AddStringToObject(root, "apiVersion", x->api_version);
    cJSON *spec = cJSON_AddObjectToObject(root, "spec");
    /* kargotop owns the terminal (curses), so a plugin may never prompt on it. */
    cJSON_AddBoolToObject(spec, "interactive", false);
    if (x->provide_cluster_info) {
        cJSON *c = cJSON_AddObjectToObject(spec, "cluster");
        cJSON_AddStringToObject(c, "server", cfg->server);
        if (cfg->tls_server_name)
            cJSON_AddStringToObject(c, "tls-server-name", cfg->tls_server_name);
        if (cfg->insecure)
            cJSON_AddBoolToObject(c, "insecure-skip-tls-verify", true);
        if (cfg->ca_data) {
            char *b = base64_encode(cfg->ca_data, cfg->ca_len);
            cJSON_AddStringToObject(c, "certificate-authority-data", b);
            free(b);
        }
        if (cfg->proxy_url)
            cJSON_AddStringToObject(c, "proxy-url", cfg->proxy_url);
        if (x->cluster_config) {
            cJSON *conf = cJSON_Parse(x->cluster_config);
            if (conf)
                cJSON_AddItemToObject(c, "config", conf);
        }
    }
    char *s = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return s;
}

static char *trimmed(const char *s, size_t len)
{
    while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == ' ' || s[len - 1] == '\r'))
        len--;
    /* Keep the end: that is where a plugin says what went wrong. */
    if (len > STDERR_KEEP) {
        s += len - STDERR_KEEP;
        len = STDERR_KEEP;
    }
    return xstrndup(s, len);
}

static int parse_cred(const struct kube_config *cfg, const char *out, size_t len,
                      struct exec_cred *cred, char **cause)
{
    const struct kube_exec *x = cfg->exec;
    char *err = NULL;
    cJSON *root = json_parse(out, len, &err);
    if (root == NULL) {
        cause_set(cause, "exec plugin '%s' for user '%s' printed no ExecCredential (%s)",
                  x->command, cfg->user_name, err);
        free(err);
        return -1;
    }
    int rc = -1;
    const char *kind = json_get_string(root, "kind", (char *)NULL);
    const char *apiv = json_get_string(root, "apiVersion", (char *)NULL);
    if (kind == NULL || strcmp(kind, "ExecCredential") != 0) {
        cause_set(cause, "exec plugin '%s' for user '%s' printed kind '%s', not ExecCredential",
                  x->command, cfg->user_name, kind ? kind : "");
        goto out;
    }
    if (apiv == NULL || strcmp(apiv, x->api_version) != 0) {
        cause_set(cause,
                  "exec plugin '%s' for user '%s' answered with apiVersion '%s'; the kubeconfig "
                  "asked for '%s'",
                  x->command, cfg->user_name, apiv ? apiv : "", x->api_version);
        goto out;
    }
    const char *token = json_get_string(root, "status", "token", (char *)NULL);
    const char *cert = json_get_string(root, "status", "clientCertificateData", (char *)NULL);
    const char *key = json_get_string(root, "status", "clientKeyData", (char *)NULL);
    const char *exp = json_get_string(root, "status", "expirationTimestamp", (char *)NULL);
    if ((token == NULL || token[0] == '\0') && (cert == NULL || key == NULL)) {
        cause_set(cause,
                  "exec plugin '%s' for user '%s' returned neither a token nor a client "
                  "certificate and key",
                  x->command, cfg->user_name);
        goto out;
    }
    memset(cred, 0, sizeof *cred);
    if (token && token[0])
        cred->token = xstrdup(token);
    if (cert && key) {
        cred->cert = (unsigned char *)xstrdup(cert);
        cred->cert_len = strlen(cert);
        cred->key = (unsigned char *)xstrdup(key);
        cred->key_len = strlen(key);
    }
    if (exp != NULL && exp[0] != '\0' && timefmt_parse_rfc3339(exp, &cred->expiry, &err) != 0) {
        cause_set(cause, "exec plugin '%s' for user '%s': bad expirationTimestamp: %s", x->command,
                  cfg->user_name, err);
        free(err);
        exec_cred_clear(cred);
        goto out;
    }
    rc = 0;
out:
    cJSON_Delete(root);
    return rc;
}

/* Close-on-exec so that a plugin started by another thread does not inherit these pipes. */
static int pipe_cloexec(int fds[2])
{
    if (pipe(fds) != 0)
        return -1;
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    return 0;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int exec_cred_run(const struct kube_config *cfg, struct exec_cred *out, char **stderr_out,
                  char **cause)
{
    const struct kube_exec *x = cfg->exec;
    if (x->interactive_mode && strcmp(x->interactive_mode, "Always") == 0) {
        cause_set(cause,
                  "exec plugin '%s' for user '%s' needs an interactive terminal "
                  "(interactiveMode: Always), which kargotop cannot give it; log in once with "
                  "kubectl, or set interactiveMode: IfAvailable",
                  x->command, cfg->user_name);
        return -1;
    }
    size_t nenv = 0;
    while (environ[nenv])
        nenv++;
    char **envp = xcalloc(nenv + x->nenv + 2, sizeof *envp);
    size_t k = 0;
    for (size_t i = 0; i < nenv; i++)
        if (strncmp(environ[i], "KUBERNETES_EXEC_INFO=", 21) != 0)
            envp[k++] = environ[i];
    for (size_t i = 0; i < x->nenv; i++)
        envp[k++] = x->env[i];
    char *info = exec_info(cfg);
    char *infoenv = xasprintf("KUBERNETES_EXEC_INFO=%s", info);
    free(info);
    envp[k++] = infoenv;

    char **argv = xcalloc(x->nargs + 2, sizeof *argv);
    argv[0] = x->command;
    for (size_t i = 0; i < x->nargs; i++)
        argv[i + 1] = x->args[i];

    int op[2] = {-1, -1}, ep[2] = {-1, -1};
    int rc = -1;
    pid_t pid = -1;
    struct strbuf so, se;
    strbuf_init(&so);
    strbuf_init(&se);
    if (pipe_cloexec(op) != 0 || pipe_cloexec(ep) != 0) {
        cause_set(cause, "cannot run exec plugin '%s': %s", x->command, strerror(errno));
        goto done;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, op[1], 1);
    posix_spawn_file_actions_adddup2(&fa, ep[1], 2);
    int serr = posix_spawnp(&pid, x->command, &fa, NULL, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    close(op[1]);
    close(ep[1]);
    op[1] = ep[1] = -1;
    if (serr != 0) {
        pid = -1;
        if (serr == ENOENT)
            cause_set(cause, "exec plugin '%s' for user '%s' was not found%s%s", x->command,
                      cfg->user_name, x->install_hint ? ": " : " in PATH",
                      x->install_hint ? x->install_hint : "");
        else
            cause_set(cause, "cannot run exec plugin '%s' for user '%s': %s", x->command,
                      cfg->user_name, strerror(serr));
        goto done;
    }
    long long deadline = now_ms() + EXEC_TIMEOUT_MS;
    struct pollfd pf[2] = {{.fd = op[0], .events = POLLIN}, {.fd = ep[0], .events = POLLIN}};
    bool timed_out = false;
    while (pf[0].fd >= 0 || pf[1].fd >= 0) {
        long long left = deadline - now_ms();
        if (left <= 0) {
            timed_out = true;
            break;
        }
        int n = poll(pf, 2, (int)left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        for (int i = 0; i < 2; i++) {
            if (pf[i].fd < 0 || pf[i].revents == 0)
                continue;
            char buf[4096];
            ssize_t got = read(pf[i].fd, buf, sizeof buf);
            if (got > 0) {
                strbuf_append_len(i == 0 ? &so : &se, buf, (size_t)got);
            } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
                pf[i].fd = -1;
            }
        }
    }
    if (timed_out)
        kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    char *errtext = trimmed(se.buf, se.len);
    if (timed_out) {
        cause_set(cause, "exec plugin '%s' for user '%s' did not finish within %d s%s%s",
                  x->command, cfg->user_name, EXEC_TIMEOUT_MS / 1000, errtext[0] ? ": " : "",
                  errtext);
    } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        cause_set(cause, "exec plugin '%s' for user '%s' failed (exit status %d)%s%s%s%s",
                  x->command, cfg->user_name, code, errtext[0] ? ": " : "", errtext,
                  code == 127 && x->install_hint ? "; " : "",
                  code == 127 && x->install_hint ? x->install_hint : "");
    } else {
        rc = parse_cred(cfg, so.buf, so.len, out, cause);
    }
    if (stderr_out != NULL)
        *stderr_out = errtext;
    else
        free(errtext);
done:
    for (int i = 0; i < 2; i++) {
        if (op[i] >= 0)
            close(op[i]);
        if (ep[i] >= 0)
            close(ep[i]);
    }
    wipe_free(so.buf, so.len);
    strbuf_free(&se);
    free(infoenv);
    free(envp);
    free(argv);
    return rc;
}

struct exec_cred_cache *exec_cred_new(const struct kube_config *cfg)
{
    struct exec_cred_cache *c = xcalloc(1, sizeof *c);
    c->cfg = cfg;
    c->stderr_text = xstrdup("");
    return c;
}

void exec_cred_free(struct exec_cred_cache *c)
{
    if (c == NULL)
        return;
    exec_cred_clear(&c->cred);
    free(c->stderr_text);
    free(c);
}

const struct exec_cred *exec_cred_get(struct exec_cred_cache *c, time_t now, char **cause)
{
    if (c->valid && (c->cred.expiry == 0 || now < c->cred.expiry))
        return &c->cred;
    exec_cred_clear(&c->cred);
    c->valid = false;
    c->runs++;
    char *errtext = NULL;
    struct exec_cred fresh;
    memset(&fresh, 0, sizeof fresh);
    int rc = exec_cred_run(c->cfg, &fresh, &errtext, cause);
    if (errtext != NULL) {
        free(c->stderr_text);
        c->stderr_text = errtext;
    }
    if (rc != 0)
        return NULL;
    c->cred = fresh;
    c->valid = true;
    return &c->cred;
}

void exec_cred_invalidate(struct exec_cred_cache *c)
{
    c->valid = false;
}

unsigned exec_cred_runs(const struct exec_cred_cache *c)
{
    return c->runs;
}

const char *exec_cred_stderr(const struct exec_cred_cache *c)
{
    return c->stderr_text;
}
