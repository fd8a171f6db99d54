/* The performance suite of issue #11: the real kargotop binary in a pseudo-terminal and kubectl,
 * side by side against the same kargo-sim (`--scenario large`) in the same run. It measures first
 * frame, peak RSS, the headless `get`, idle cost, event to screen, key to screen and scaling,
 * prints a table with the targets and writes bench-results.json. Figures are medians over runs
 * (percentiles over the samples of every run); the machine's load is recorded beside them.
 * It asserts nothing about time: it fails only when a measurement could not be taken (the screen
 * never showed what it should, a process failed), so `make test` can run it small to prove it
 * works. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "kube/api.h"
#include "kube/http.h"
#include "kube/informer.h"
#include "kube/kubeconfig.h"
#include "ptyterm.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define GV        "kargo.akuity.io/v1alpha1"
#define NS        "large"
#define ROWS      50
#define COLS      200
#define WAIT_MS   120000 /* a loaded 2-core machine: generous, never a bare sleep */
#define QUIET_MS  60     /* a redraw is complete when the terminal stays quiet this long */
#define MAX_SCALE 4

struct opts {
    int runs;
    double scale; /* of the main measurements */
    double scales[MAX_SCALE];
    int nscales;
    int idle_s;
    int events; /* phase changes in all, over every run */
    int keys;   /* per kind (pipeline moves, list scrolling), over every run */
    const char *json;
    const char *sim_bin;
    const char *kt_bin;
    bool quick;
};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "bench_kargotop: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

static void note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "  ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

/* ---- samples -------------------------------------------------------------------------------- */

struct samples {
    double *v;
    size_t n, cap;
};

static void samples_add(struct samples *s, double v)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->v = xrealloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n++] = v;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile; NAN when there is no sample. */
static double samples_pct(const struct samples *s, double p)
{
    if (s->n == 0)
        return NAN;
    double *c = xmalloc(s->n * sizeof *c);
    memcpy(c, s->v, s->n * sizeof *c);
    qsort(c, s->n, sizeof *c, cmp_double);
    size_t rank = (size_t)ceil(p / 100.0 * (double)s->n);
    double v = c[rank == 0 ? 0 : rank - 1];
    free(c);
    return v;
}

static double samples_median(const struct samples *s)
{
    if (s->n == 0)
        return NAN;
    double *c = xmalloc(s->n * sizeof *c);
    memcpy(c, s->v, s->n * sizeof *c);
    qsort(c, s->n, sizeof *c, cmp_double);
    double v = s->n % 2 ? c[s->n / 2] : (c[s->n / 2 - 1] + c[s->n / 2]) / 2;
    free(c);
    return v;
}

/* ---- the machine -------------------------------------------------------------------------- */

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    struct strbuf sb;
    strbuf_init(&sb);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        strbuf_append_len(&sb, buf, n);
    fclose(f);
    return strbuf_detach(&sb);
}

static double loadavg1(void)
{
    char *s = read_text("/proc/loadavg");
    double v = s ? strtod(s, NULL) : NAN;
    free(s);
    return v;
}

/* A field of /proc/PID/status in kB ("VmHWM", "VmRSS"), or -1. */
static long proc_status_kb(pid_t pid, const char *field)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    char *s = read_text(path);
    long v = -1;
    size_t fl = strlen(field);
    for (char *line = s; line != NULL && *line;) {
        if (strncmp(line, field, fl) == 0 && line[fl] == ':') {
            v = strtol(line + fl + 1, NULL, 10);
            break;
        }
        char *nl = strchr(line, '\n');
        line = nl ? nl + 1 : NULL;
    }
    free(s);
    return v;
}

/* User + system CPU seconds of every thread of pid so far, or NAN. */
static double proc_cpu_s(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    char *s = read_text(path);
    if (s == NULL)
        return NAN;
    /* fields after the command name (which may hold spaces, in parentheses) */
    char *p = strrchr(s, ')');
    double v = NAN;
    if (p != NULL) {
        unsigned long utime = 0, stime = 0;
        /* state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
        if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) ==
            2)
            v = (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
    }
    free(s);
    return v;
}

/* ---- a program run to completion, timed ----------------------------------------------------- */

struct run_result {
    double wall_ms;
    long maxrss_kb;
    int status; /* exit code, 128 + signal */
};

/* The measuring launcher (`bench_kargotop --measured-exec FILE CMD...`): runs CMD and writes its
 * peak RSS to FILE, exiting with its status. A process forked from the suite and then exec'd
 * keeps the suite's own peak in its ru_maxrss (the kernel records the old memory's high-water
 * mark at exec): every headless figure read ~80 MB too high. This launcher is a fresh, small
 * process, so its child's ru_maxrss is the command's own. */
static int measured_exec(int argc, char **argv)
{
    if (argc < 4)
        return 126;
    pid_t pid = fork();
    if (pid < 0)
        return 126;
    if (pid == 0) {
        execvp(argv[3], argv + 3);
        _exit(127);
    }
    int st;
    struct rusage ru;
    if (wait4(pid, &st, 0, &ru) != pid)
        return 126;
    FILE *f = fopen(argv[2], "w");
    if (f != NULL) {
        fprintf(f, "%ld\n", ru.ru_maxrss);
        fclose(f);
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Runs argv with stdout into out_path (or /dev/null) and stderr into err_path (or /dev/null);
 * wall time from fork to exit, peak RSS the command's own (through measured_exec). */
static int run_timed(char *const argv[], const char *out_path, const char *err_path,
                     struct run_result *r)
{
    char rss_path[] = "/tmp/kt-bench-rss-XXXXXX";
    int rfd = mkstemp(rss_path);
    if (rfd < 0)
        return -1;
    close(rfd);
    size_t argc = 0;
    while (argv[argc] != NULL)
        argc++;
    char **largv = xcalloc(argc + 4, sizeof *largv);
    largv[0] = "bench_kargotop";
    largv[1] = "--measured-exec";
    largv[2] = rss_path;
    for (size_t i = 0; i < argc; i++)
        largv[3 + i] = argv[i];
    double t0 = now_ms();
    pid_t pid = fork();
    if (pid < 0) {
        free(largv);
        unlink(rss_path);
        return -1;
    }
    if (pid == 0) {
        int in = open("/dev/null", O_RDONLY);
        int out = open(out_path ? out_path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int err = open(err_path ? err_path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (in < 0 || out < 0 || err < 0)
            _exit(126);
        dup2(in, 0);
        dup2(out, 1);
        dup2(err, 2);
        execv("/proc/self/exe", largv);
        _exit(127);
    }
    free(largv);
    int st;
    if (waitpid(pid, &st, 0) != pid) {
        unlink(rss_path);
        return -1;
    }
    r->wall_ms = now_ms() - t0;
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    r->maxrss_kb = 0;
    FILE *f = fopen(rss_path, "r");
    if (f != NULL) {
        if (fscanf(f, "%ld", &r->maxrss_kb) != 1)
            r->maxrss_kb = 0;
        fclose(f);
    }
    unlink(rss_path);
    return 0;
}

/* ---- the simulated cluster ------------------------------------------------------------------ */

struct cluster {
    pid_t pid;
    double scale;
    char dir[64];
    char kubeconfig[96];
    char kubecache[96];
    struct kube_config *cfg;
    struct kube_client *client;
    long objects; /* stages + freight + promotions of the project */
};

static cJSON *cluster_get(struct cluster *c, const char *path)
{
    struct http_request rq = {.method = HTTP_GET, .path = path};
    struct http_response resp = {0};
    char *cause = NULL;
    cJSON *j = NULL;
    if (http_request_sync(c->client, &rq, 3, &resp, &cause) == 0 && resp.code == 200)
        j = cJSON_Parse(resp.body);
    free(cause);
    http_response_clear(&resp);
    return j;
}

struct sim_counts {
    double requests; /* every verb */
    double watches_open;
    double rv;
};

static int cluster_stats(struct cluster *c, struct sim_counts *out)
{
    cJSON *j = cluster_get(c, "/sim/v1/stats");
    if (j == NULL)
        return -1;
    out->requests = 0;
    cJSON *rq = cJSON_GetObjectItem(j, "requests"), *v;
    cJSON_ArrayForEach(v, rq)
    {
        out->requests += v->valuedouble;
    }
    out->watches_open = out->rv = 0;
    json_get_number(j, &out->watches_open, "watchesOpen", (char *)NULL);
    json_get_number(j, &out->rv, "resourceVersion", (char *)NULL);
    cJSON_Delete(j);
    return 0;
}

static long cluster_count(struct cluster *c, const char *plural)
{
    struct api_ref ref = {GV, plural, NS, NULL};
    cJSON *l = api_list(c->client, &ref, NULL, NULL, NULL);
    long n = l ? cJSON_GetArraySize(cJSON_GetObjectItem(l, "items")) : -1;
    cJSON_Delete(l);
    return n;
}

/* Starts kargo-sim with the large scenario at scale (a separate process, as a user runs it for
 * kubectl), waits until its controller has settled (no write for 2 s), and connects to it. */
static void cluster_start(struct cluster *c, const struct opts *o, double scale)
{
    memset(c, 0, sizeof *c);
    c->scale = scale;
    snprintf(c->dir, sizeof c->dir, "/tmp/kt-bench-XXXXXX");
    if (mkdtemp(c->dir) == NULL)
        die("mkdtemp: %s", strerror(errno));
    snprintf(c->kubeconfig, sizeof c->kubeconfig, "%s/kubeconfig", c->dir);
    snprintf(c->kubecache, sizeof c->kubecache, "%s/kube-cache", c->dir);
    char scale_arg[32];
    snprintf(scale_arg, sizeof scale_arg, "%.6f", scale);
    char *log = xasprintf("%s/sim.log", c->dir);
    int fds[2];
    if (pipe(fds) < 0)
        die("pipe: %s", strerror(errno));
    c->pid = fork();
    if (c->pid == 0) {
        dup2(fds[1], 1);
        int err = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (err >= 0)
            dup2(err, 2);
        close(fds[0]);
        /* No discovery and promotion steps that never end: the only changes are the bench's. */
        execl(o->sim_bin, o->sim_bin, "--scenario", "large", "--large-scale", scale_arg,
              "--no-discovery", "--step-ms", "3600000", "--seed", "11", "--kubeconfig-out",
              c->kubeconfig, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    FILE *f = fdopen(fds[0], "r");
    char line[512];
    bool ready = false;
    while (!ready && fgets(line, sizeof line, f) != NULL)
        ready = strstr(line, "kubeconfig written") != NULL;
    fclose(f);
    if (!ready) {
        char *l = read_text(log);
        die("kargo-sim did not start: %s", l ? l : "(no log)");
    }
    free(log);
    char *cause = NULL;
    struct kubeconfig_opts ko = {.kubeconfig = c->kubeconfig};
    c->cfg = kubeconfig_load(&ko, &cause);
    if (c->cfg == NULL || (c->client = kube_client_new(c->cfg, &cause)) == NULL)
        die("kubeconfig: %s", cause);
    struct sim_counts a, b;
    double deadline = now_ms() + WAIT_MS;
    if (cluster_stats(c, &a) < 0)
        die("kargo-sim: no stats");
    for (;;) {
        struct timespec ts = {2, 0};
        nanosleep(&ts, NULL); /* the settle window itself: nothing to wait for but time */
        if (cluster_stats(c, &b) < 0)
            die("kargo-sim: no stats");
        if (b.rv == a.rv)
            break;
        if (now_ms() > deadline)
            die("kargo-sim's controller never settled");
        a = b;
    }
    c->objects =
        cluster_count(c, "stages") + cluster_count(c, "freights") + cluster_count(c, "promotions");
}

static void cluster_stop(struct cluster *c)
{
    kube_client_free(c->client);
    kubeconfig_free(c->cfg);
    kill(c->pid, SIGTERM);
    waitpid(c->pid, NULL, 0);
    char *cmd = xasprintf("rm -rf '%s'", c->dir);
    if (system(cmd) != 0)
        note("could not remove %s", c->dir);
    free(cmd);
}

/* The alias of the current freight of stage (for the first frame: the pipeline shows it). */
static char *cluster_current_alias(struct cluster *c, const char *stage, char **freight_name)
{
    struct api_ref ref = {GV, "stages", NS, stage};
    cJSON *st = api_get(c->client, &ref, NULL);
    const cJSON *fh = st ? json_get(st, "status", "freightHistory", (char *)NULL) : NULL;
    const cJSON *items = fh ? json_get(cJSON_GetArrayItem(fh, 0), "items", (char *)NULL) : NULL;
    const char *name =
        items && items->child ? json_get_string(items->child, "name", (char *)NULL) : NULL;
    char *alias = NULL;
    if (name != NULL) {
        struct api_ref fr = {GV, "freights", NS, name};
        cJSON *f = api_get(c->client, &fr, NULL);
        const char *a = f ? json_get_string(f, "alias", (char *)NULL) : NULL;
        if (a != NULL)
            alias = xstrdup(a);
        if (freight_name)
            *freight_name = xstrdup(name);
        cJSON_Delete(f);
    }
    cJSON_Delete(st);
    return alias;
}

/* ---- kubectl -------------------------------------------------------------------------------- */

static bool have_kubectl(void)
{
    return system("command -v kubectl >/dev/null 2>&1") == 0;
}

static int kubectl_get(struct cluster *c, const char *what, const char *out_path,
                       struct run_result *r)
{
    char *argv[] = {"kubectl",    "--kubeconfig", c->kubeconfig, "--cache-dir",
                    c->kubecache, "get",          (char *)what,  "-n",
                    NS,           "-o",           "json",        NULL};
    if (run_timed(argv, out_path, NULL, r) < 0 || r->status != 0)
        return -1;
    return 0;
}

/* ---- the dashboard in a pseudo-terminal ----------------------------------------------------- */

struct dash {
    struct ptyterm *t;
    pid_t pid;
};

/* Whether every text is on the screen (the top bar's state is matched on row 0 only). */
static bool dash_shows(struct dash *d, const char *const *texts)
{
    for (size_t i = 0; texts[i] != NULL; i++) {
        if (!ptyterm_find(d->t, texts[i], NULL, NULL))
            return false;
    }
    char *top = ptyterm_row(d->t, 0);
    bool live = top != NULL && strstr(top, "\u25cf live") != NULL;
    free(top);
    return live;
}

/* Starts kargotop on the project and waits for the pipeline with the first stages' current
 * freight and every watch live. Returns ms from the spawn to that screen. */
static double dash_start(struct dash *d, const struct opts *o, struct cluster *c,
                         const char *const *expect)
{
    char *argv[] = {(char *)o->kt_bin, "--kubeconfig", c->kubeconfig, "-n", NS, NULL};
    double t0 = now_ms();
    d->t = ptyterm_spawn(argv, NULL, ROWS, COLS);
    if (d->t == NULL)
        die("cannot start %s", o->kt_bin);
    d->pid = ptyterm_pid(d->t);
    double deadline = t0 + WAIT_MS;
    for (;;) {
        if (dash_shows(d, expect))
            return now_ms() - t0;
        if (now_ms() > deadline) {
            ptyterm_dump(d->t, "first frame never complete");
            die("the dashboard never showed the pipeline with its freight, live");
        }
        if (ptyterm_read(d->t, 20) < 0) {
            ptyterm_dump(d->t, "exited");
            die("kargotop exited before its first frame");
        }
    }
}

static void dash_quit(struct dash *d)
{
    int status;
    ptyterm_send(d->t, "q");
    if (!ptyterm_wait_exit(d->t, 10000, &status))
        note("kargotop did not exit on q; killed");
    ptyterm_free(d->t);
    d->t = NULL;
}

/* Sends keys and times the redraw they cause: until the last byte before the terminal stayed
 * quiet for QUIET_MS. Returns ms, or -1 when nothing was drawn within 2 s. */
static double dash_key(struct dash *d, const char *keys)
{
    while (ptyterm_read(d->t, 0) > 0)
        ; /* anything pending belongs to an earlier frame */
    double t0 = now_ms();
    if (ptyterm_send(d->t, keys) < 0)
        return -1;
    double last = -1;
    for (;;) {
        double now = now_ms();
        int wait = last < 0 ? (int)(t0 + 2000 - now) : (int)(last + QUIET_MS - now);
        if (wait <= 0)
            break;
        long n = ptyterm_read(d->t, wait);
        if (n < 0)
            return -1;
        if (n > 0)
            last = now_ms();
    }
    return last < 0 ? -1 : last - t0;
}

/* ---- event to screen ------------------------------------------------------------------------ */

/* The bench's own watch on the project's Stages: when the watched stage's Promoting condition
 * changed, as a client next to kargotop saw it arrive from the server. */
struct stage_watch {
    pthread_mutex_t mu;
    const char *stage;
    bool promoting;
    double changed_at;
    bool synced;
};

static bool stage_promoting(const cJSON *obj)
{
    const cJSON *conds = json_get(obj, "status", "conditions", (char *)NULL), *cnd;
    cJSON_ArrayForEach(cnd, conds)
    {
        const char *type = json_get_string((cJSON *)cnd, "type", (char *)NULL);
        const char *status = json_get_string((cJSON *)cnd, "status", (char *)NULL);
        if (type && status && strcmp(type, "Promoting") == 0 && strcmp(status, "True") == 0)
            return true;
    }
    return false;
}

static void sw_seen(struct stage_watch *w, const cJSON *obj)
{
    const char *name = json_get_string((cJSON *)obj, "metadata", "name", (char *)NULL);
    if (name == NULL || strcmp(name, w->stage) != 0)
        return;
    bool p = stage_promoting(obj);
    pthread_mutex_lock(&w->mu);
    if (p != w->promoting || !w->synced) {
        w->promoting = p;
        w->changed_at = now_ms();
        w->synced = true;
    }
    pthread_mutex_unlock(&w->mu);
}

static void sw_event(void *ctx, enum informer_event type, const cJSON *obj)
{
    if (type != INFORMER_DELETED)
        sw_seen(ctx, obj);
}

static void sw_relist(void *ctx, const cJSON *items)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, items)
    {
        sw_seen(ctx, it);
    }
}

static void sw_state(void *ctx, const struct informer_state *st)
{
    (void)ctx;
    (void)st;
}

static bool sw_get(struct stage_watch *w, double *at)
{
    pthread_mutex_lock(&w->mu);
    bool p = w->promoting;
    *at = w->synced ? w->changed_at : -1;
    pthread_mutex_unlock(&w->mu);
    return p;
}

/* Waits until the bench's watch saw the stage's Promoting condition become want and the screen
 * agrees (the phase shown or gone); the sample is the time between the two. */
static int wait_phase(struct dash *d, struct stage_watch *w, bool want, double *sample)
{
    double deadline = now_ms() + WAIT_MS, shown = -1;
    for (;;) {
        bool on = ptyterm_find(d->t, "Promoting", NULL, NULL);
        if (on == want && shown < 0)
            shown = now_ms();
        else if (on != want)
            shown = -1;
        double at;
        if (sw_get(w, &at) == want && at >= 0 && shown >= 0) {
            *sample = shown - at;
            return 0;
        }
        if (now_ms() > deadline)
            return -1;
        if (ptyterm_read(d->t, 2) < 0)
            return -1;
    }
}

/* Promotes the upstream's current freight to stage (it stays at its first step: steps last an
 * hour) and aborts it: two phase changes, Promoting and back. */
static int event_cycle(struct dash *d, struct cluster *c, struct stage_watch *w, const char *stage,
                       const char *freight, int seq, struct samples *out)
{
    char name[64];
    snprintf(name, sizeof name, "bench-%d", seq);
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "apiVersion", GV);
    cJSON_AddStringToObject(p, "kind", "Promotion");
    cJSON *md = cJSON_AddObjectToObject(p, "metadata");
    cJSON_AddStringToObject(md, "name", name);
    cJSON_AddStringToObject(md, "namespace", NS);
    cJSON *spec = cJSON_AddObjectToObject(p, "spec");
    cJSON_AddStringToObject(spec, "stage", stage);
    cJSON_AddStringToObject(spec, "freight", freight);
    struct api_ref ref = {GV, "promotions", NS, NULL};
    struct kube_error err = {0};
    cJSON *made = api_create(c->client, &ref, p, &err);
    cJSON_Delete(p);
    if (made == NULL) {
        note("promotion not created: %s", err.message ? err.message : "?");
        kube_error_clear(&err);
        return -1;
    }
    char *pname = xstrdup(json_get_string(made, "metadata", "name", (char *)NULL));
    cJSON_Delete(made);
    double s;
    int rc = -1;
    if (wait_phase(d, w, true, &s) < 0) {
        ptyterm_dump(d->t, "Promoting never shown");
        goto out;
    }
    samples_add(out, s);
    struct api_ref pr = {GV, "promotions", NS, pname};
    cJSON *patched = api_merge_patch(c->client, &pr, NULL,
                                     "{\"metadata\":{\"annotations\":{\"kargo.akuity.io/abort\":"
                                     "\"terminate\"}}}",
                                     &err);
    if (patched == NULL) {
        note("abort failed: %s", err.message ? err.message : "?");
        kube_error_clear(&err);
        goto out;
    }
    cJSON_Delete(patched);
    if (wait_phase(d, w, false, &s) < 0) {
        ptyterm_dump(d->t, "Promoting never went away");
        goto out;
    }
    samples_add(out, s);
    rc = 0;
out:
    free(pname);
    return rc;
}

/* ---- one run: kubectl, then the dashboard ---------------------------------------------------- */

struct figures {
    struct samples kubectl_ms, kubectl_rss_kb; /* get stages,freight,promotions */
    struct samples first_ms, rss_kb;           /* the dashboard */
    struct samples idle_requests, idle_cpu_s, idle_bytes, idle_watches, idle_redraws;
    struct samples event_ms, key_pipe_ms, key_list_ms;
    int key_pipe_misses, key_list_misses;
    struct samples head_kt_ms, head_kt_kb, head_kc_ms, head_kc_kb;
    char *headless_missing; /* why the headless figure is not measured */
    struct samples load;
};

static void measure_idle(struct dash *d, struct cluster *c, int secs, struct figures *f)
{
    /* Two stats calls back to back: the bench's own requests during the window. */
    struct sim_counts a, b, z;
    if (cluster_stats(c, &z) < 0 || cluster_stats(c, &a) < 0)
        die("kargo-sim: no stats");
    double own = a.requests - z.requests;
    while (ptyterm_read(d->t, 0) > 0)
        ;
    size_t bytes0 = ptyterm_bytes(d->t);
    double cpu0 = proc_cpu_s(d->pid);
    double end = now_ms() + secs * 1000.0;
    /* Each redraw (output after 200 ms of quiet) and what it changed, to say why bytes came. */
    char *before = ptyterm_screen(d->t);
    int redraws = 0;
    double last = 0;
    while (now_ms() < end) {
        long n = ptyterm_read(d->t, (int)(end - now_ms()));
        if (n < 0)
            die("kargotop exited while idle");
        if (n > 0) {
            if (now_ms() - last > 200)
                redraws++;
            last = now_ms();
        }
    }
    char *after = ptyterm_screen(d->t);
    int changed = 0;
    for (const char *x = before, *y = after; *x && *y;) {
        const char *xe = strchr(x, '\n'), *ye = strchr(y, '\n');
        if (xe == NULL || ye == NULL)
            break;
        if (xe - x != ye - y || memcmp(x, y, (size_t)(xe - x)) != 0) {
            if (changed++ < 3)
                note("idle redraw changed: %.*s", (int)(ye - y), y);
        }
        x = xe + 1;
        y = ye + 1;
    }
    note("idle: %d redraws, %d rows changed", redraws, changed);
    samples_add(&f->idle_redraws, redraws * 60.0 / secs);
    free(before);
    free(after);
    double cpu1 = proc_cpu_s(d->pid);
    size_t bytes1 = ptyterm_bytes(d->t);
    if (cluster_stats(c, &b) < 0)
        die("kargo-sim: no stats");
    /* per minute, whatever the window */
    double scale = 60.0 / secs;
    samples_add(&f->idle_requests, (b.requests - a.requests - own) * scale);
    samples_add(&f->idle_cpu_s, (cpu1 - cpu0) * scale);
    samples_add(&f->idle_bytes, (double)(bytes1 - bytes0) * scale);
    samples_add(&f->idle_watches, b.watches_open);
    if (b.rv != a.rv)
        note("warning: the cluster changed during the idle window (rv %.0f -> %.0f)", a.rv, b.rv);
}

static void measure_keys(struct dash *d, int n, const char *const *cycle, struct samples *out,
                         int *misses)
{
    size_t len = 0;
    while (cycle[len] != NULL)
        len++;
    for (int i = 0; i < n; i++) {
        double ms = dash_key(d, cycle[(size_t)i % len]);
        if (ms < 0)
            (*misses)++;
        else
            samples_add(out, ms);
    }
}

static void run_dashboard(const struct opts *o, struct cluster *c, int run, struct figures *f)
{
    char *freight = NULL;
    char *alias = cluster_current_alias(c, "team-00-dev", &freight);
    if (alias == NULL)
        die("team-00-dev has no current freight");
    const char *expect[] = {"team-00-dev", alias, NULL};
    struct dash d;
    double ff = dash_start(&d, o, c, expect);
    ptyterm_read(d.t, 300);
    if (getenv("BENCH_DUMP") != NULL)
        ptyterm_dump(d.t, "first frame");
    samples_add(&f->first_ms, ff);
    samples_add(&f->rss_kb, (double)proc_status_kb(d.pid, "VmHWM"));
    note("run %d: first frame %.0f ms, peak RSS %ld kB", run + 1, ff,
         proc_status_kb(d.pid, "VmHWM"));

    measure_idle(&d, c, o->idle_s, f);
    note("run %d: idle %.0f requests/min, %.3f CPU-s/min, %.0f bytes/min", run + 1,
         f->idle_requests.v[f->idle_requests.n - 1], f->idle_cpu_s.v[f->idle_cpu_s.n - 1],
         f->idle_bytes.v[f->idle_bytes.n - 1]);

    /* Event to screen on team-00-qa, on screen next to the selected team-00-dev. */
    struct stage_watch w = {.stage = "team-00-qa"};
    pthread_mutex_init(&w.mu, NULL);
    struct informer_opts io = {.group_version = GV, .plural = "stages", .namespace = NS};
    struct informer_callbacks cb = {sw_event, sw_relist, sw_state, &w};
    struct informer *inf = informer_start(c->client, &io, &cb);
    double at, deadline = now_ms() + WAIT_MS;
    while (sw_get(&w, &at), at < 0) {
        if (now_ms() > deadline)
            die("the bench's own watch never listed the stages");
        ptyterm_read(d.t, 20);
    }
    int cycles = (o->events / o->runs + 1) / 2;
    for (int i = 0; i < cycles; i++) {
        if (event_cycle(&d, c, &w, "team-00-qa", freight, run * 1000 + i, &f->event_ms) < 0)
            die("event to screen: the phase change never reached the screen");
    }
    informer_stop(inf);
    pthread_mutex_destroy(&w.mu);
    note("run %d: %d phase changes seen", run + 1, cycles * 2);

    /* Key to screen: pipeline moves along a lane and across lanes (which scrolls), then the
     * 10,000-row freight list by lines and pages. */
    static const char *const moves[] = {"l", "l", "l", "l", "j", "j", "j", "j", "h",
                                        "h", "h", "h", "k", "k", "k", "k", NULL};
    int nkeys = o->keys / o->runs;
    measure_keys(&d, nkeys, moves, &f->key_pipe_ms, &f->key_pipe_misses);
    ptyterm_send(d.t, ":freight\r");
    if (!ptyterm_wait_text(d.t, "Freight of large", WAIT_MS)) {
        ptyterm_dump(d.t, ":freight");
        die("the freight list never opened");
    }
    ptyterm_read(d.t, 200);
    static const char *const scroll[] = {"j", "j", "j", "j",       "\033[6~", "\033[6~", "k",
                                         "k", "k", "k", "\033[5~", "\033[5~", NULL};
    measure_keys(&d, nkeys, scroll, &f->key_list_ms, &f->key_list_misses);
    note("run %d: %d pipeline moves, %d list keys", run + 1, nkeys, nkeys);
    dash_quit(&d);
    free(alias);
    free(freight);
}

/* `kargotop get freight -o json` against `kubectl get freight -o json`, the output checked to hold
 * the same Freight. */
static void run_headless(const struct opts *o, struct cluster *c, bool kubectl, struct figures *f)
{
    char *kt_out = xasprintf("%s/kt.json", c->dir), *kc_out = xasprintf("%s/kc.json", c->dir);
    char *kt_err = xasprintf("%s/kt.err", c->dir);
    char *argv[] = {(char *)o->kt_bin,
                    "--kubeconfig",
                    c->kubeconfig,
                    "get",
                    "freight",
                    "-n",
                    NS,
                    "-o",
                    "json",
                    NULL};
    struct run_result r;
    if (f->headless_missing == NULL && (run_timed(argv, kt_out, kt_err, &r) < 0 || r.status != 0)) {
        char *e = read_text(kt_err);
        char *nl = e ? strchr(e, '\n') : NULL;
        if (nl)
            *nl = '\0';
        f->headless_missing = xasprintf("`kargotop get freight -o json` failed (exit %d: %s)",
                                        r.status, e && *e ? e : "no message");
        free(e);
    }
    if (f->headless_missing == NULL) {
        samples_add(&f->head_kt_ms, r.wall_ms);
        samples_add(&f->head_kt_kb, (double)r.maxrss_kb);
    }
    struct run_result k;
    if (kubectl && kubectl_get(c, "freight", kc_out, &k) == 0) {
        samples_add(&f->head_kc_ms, k.wall_ms);
        samples_add(&f->head_kc_kb, (double)k.maxrss_kb);
        if (f->headless_missing == NULL && f->head_kt_ms.n == 1) {
            /* once: the same Freight in both answers */
            char *a = read_text(kt_out), *b = read_text(kc_out);
            cJSON *ja = a ? cJSON_Parse(a) : NULL, *jb = b ? cJSON_Parse(b) : NULL;
            int na = ja ? cJSON_GetArraySize(cJSON_GetObjectItem(ja, "items")) : -1;
            int nb = jb ? cJSON_GetArraySize(cJSON_GetObjectItem(jb, "items")) : -2;
            if (na != nb)
                f->headless_missing = xasprintf(
                    "`kargotop get freight -o json` printed %d items where kubectl printed %d", na,
                    nb);
            cJSON_Delete(ja);
            cJSON_Delete(jb);
            free(a);
            free(b);
        }
    }
    free(kt_out);
    free(kc_out);
    free(kt_err);
}

static void figures_free(struct figures *f)
{
    struct samples *all[] = {&f->kubectl_ms,  &f->kubectl_rss_kb, &f->idle_requests, &f->idle_cpu_s,
                             &f->idle_bytes,  &f->idle_watches,   &f->idle_redraws,  &f->event_ms,
                             &f->key_pipe_ms, &f->key_list_ms,    &f->head_kt_ms,    &f->head_kt_kb,
                             &f->head_kc_ms,  &f->head_kc_kb,     &f->load};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        free(all[i]->v);
    /* first_ms and rss_kb may be shared with a scaling point: main frees them */
}

/* ---- report --------------------------------------------------------------------------------- */

struct row {
    const char *metric;
    double kt, kc; /* kc NAN: no kubectl figure */
    const char *unit;
    const char *target;
    int met; /* 1, 0, -1 not measured */
    const char *why;
};

static void print_row(const struct row *r)
{
    char kt[32], kc[32], ratio[32];
    if (isnan(r->kt))
        snprintf(kt, sizeof kt, "-");
    else
        snprintf(kt, sizeof kt, "%.*f %s", fabs(r->kt) < 10 && r->kt != 0 ? 2 : 0, r->kt, r->unit);
    if (isnan(r->kc))
        snprintf(kc, sizeof kc, "-");
    else
        snprintf(kc, sizeof kc, "%.*f %s", fabs(r->kc) < 10 && r->kc != 0 ? 2 : 0, r->kc, r->unit);
    if (isnan(r->kc) || isnan(r->kt) || r->kt == 0)
        snprintf(ratio, sizeof ratio, "-");
    else
        snprintf(ratio, sizeof ratio, "%.3f", r->kt / r->kc);
    printf("%-34s %14s %14s %8s  %-26s %s\n", r->metric, kt, kc, ratio, r->target,
           r->met == 1   ? "met"
           : r->met == 0 ? "MISSED"
                         : "NOT MEASURED");
    if (r->why)
        printf("    %s\n", r->why);
}

static cJSON *row_json(const struct row *r)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "metric", r->metric);
    cJSON_AddStringToObject(j, "unit", r->unit);
    if (isnan(r->kt))
        cJSON_AddNullToObject(j, "kargotop");
    else
        cJSON_AddNumberToObject(j, "kargotop", r->kt);
    if (isnan(r->kc)) {
        cJSON_AddNullToObject(j, "kubectl");
        cJSON_AddNullToObject(j, "ratio");
    } else {
        cJSON_AddNumberToObject(j, "kubectl", r->kc);
        if (isnan(r->kt) || r->kc == 0)
            cJSON_AddNullToObject(j, "ratio");
        else
            cJSON_AddNumberToObject(j, "ratio", r->kt / r->kc);
    }
    cJSON_AddStringToObject(j, "target", r->target);
    if (r->met < 0)
        cJSON_AddStringToObject(j, "status", "not measured");
    else
        cJSON_AddStringToObject(j, "status", r->met ? "met" : "missed");
    if (r->why)
        cJSON_AddStringToObject(j, "note", r->why);
    return j;
}

struct scale_point {
    double scale;
    long objects;
    struct samples first_ms, rss_kb;
};

/* The least-squares slope of log(median) over log(objects) across the sizes: 1 is linear, below
 * is better. A fit over every size, not the worst neighbouring pair, so that one run slowed by
 * the machine's other work does not decide. */
static double slope(const struct scale_point *p, int n, bool rss)
{
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (int i = 0; i < n; i++) {
        double x = log((double)p[i].objects);
        double y = log(rss ? samples_median(&p[i].rss_kb) : samples_median(&p[i].first_ms));
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
    }
    double d = n * sxx - sx * sx;
    return n > 1 && d != 0 ? (n * sxy - sx * sy) / d : NAN;
}

static double parse_scale(const char *s)
{
    const char *slash = strchr(s, '/');
    char *end;
    double v = strtod(s, &end);
    if (slash != NULL && end == slash)
        v = v / strtod(slash + 1, &end);
    if (*end != '\0' || !(v > 0 && v <= 1))
        die("'%s' is not a fraction in (0, 1]", s);
    return v;
}

static void usage(void)
{
    printf("usage: bench_kargotop [--quick] [--runs N] [--scale F] [--scales F,F,...]\n"
           "                      [--idle-s S] [--events N] [--keys N] [--json FILE]\n"
           "                      [--kargo-sim PATH] [--kargotop PATH]\n");
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
    *o = (struct opts){.runs = 5,
                       .scale = 1,
                       .scales = {0.1, 1.0 / 3, 1},
                       .nscales = 3,
                       .idle_s = 60,
                       .events = 100,
                       .keys = 200,
                       .json = "bench-results.json",
                       .sim_bin = KARGO_SIM_BIN,
                       .kt_bin = KARGOTOP_BIN};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--quick") == 0) {
            /* `make test`: everything once on a small scenario, to prove the suite works */
            o->quick = true;
            o->runs = 1;
            o->scale = 0.1; /* six pipelines: room for moves across lanes */
            o->scales[0] = 0.05;
            o->scales[1] = 0.1;
            o->nscales = 2;
            o->idle_s = 3;
            o->events = 4;
            o->keys = 16;
            o->json = NULL;
            continue;
        }
        if (strcmp(a, "--help") == 0) {
            usage();
            exit(0);
        }
        if (v == NULL)
            die("%s needs a value", a);
        i++;
        if (strcmp(a, "--runs") == 0)
            o->runs = atoi(v);
        else if (strcmp(a, "--scale") == 0)
            o->scale = parse_scale(v);
        else if (strcmp(a, "--scales") == 0) {
            char *copy = xstrdup(v), *save = NULL;
            o->nscales = 0;
            for (char *t = strtok_r(copy, ",", &save); t && o->nscales < MAX_SCALE;
                 t = strtok_r(NULL, ",", &save))
                o->scales[o->nscales++] = parse_scale(t);
            free(copy);
        } else if (strcmp(a, "--idle-s") == 0)
            o->idle_s = atoi(v);
        else if (strcmp(a, "--events") == 0)
            o->events = atoi(v);
        else if (strcmp(a, "--keys") == 0)
            o->keys = atoi(v);
        else if (strcmp(a, "--json") == 0)
            o->json = v;
        else if (strcmp(a, "--kargo-sim") == 0)
            o->sim_bin = v;
        else if (strcmp(a, "--kargotop") == 0)
            o->kt_bin = v;
        else
            die("unknown option %s", a);
    }
    if (o->runs < 1 || o->idle_s < 1 || o->events < 2 || o->keys < 1)
        die("--runs, --idle-s, --events and --keys must be positive");
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--measured-exec") == 0)
        return measured_exec(argc, argv);
    struct opts o;
    parse_opts(argc, argv, &o);
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);
    bool kubectl = have_kubectl();
    if (!kubectl)
        fprintf(stderr, "bench_kargotop: kubectl is not on PATH: its figures are not measured\n");
    double load_start = loadavg1();
    time_t started = time(NULL);

    /* The main measurements, all against one cluster. */
    struct figures f = {0};
    struct cluster c;
    fprintf(stderr, "bench_kargotop: kargo-sim --scenario large --large-scale %.3f\n", o.scale);
    cluster_start(&c, &o, o.scale);
    note("%ld stages + freight + promotions", c.objects);
    if (kubectl) {
        /* warm kubectl's discovery cache so that every timed run uses it, as a user's would */
        struct run_result r;
        char *argv_w[] = {"kubectl",   "--kubeconfig",  c.kubeconfig, "--cache-dir",
                          c.kubecache, "api-resources", NULL};
        run_timed(argv_w, NULL, NULL, &r);
    }
    for (int run = 0; run < o.runs; run++) {
        samples_add(&f.load, loadavg1());
        struct run_result r;
        if (kubectl) {
            if (kubectl_get(&c, "stages,freight,promotions", NULL, &r) < 0)
                die("kubectl get stages,freight,promotions failed");
            samples_add(&f.kubectl_ms, r.wall_ms);
            samples_add(&f.kubectl_rss_kb, (double)r.maxrss_kb);
            note("run %d: kubectl get %.0f ms, peak RSS %ld kB", run + 1, r.wall_ms, r.maxrss_kb);
        }
        run_dashboard(&o, &c, run, &f);
        run_headless(&o, &c, kubectl, &f);
    }
    long main_objects = c.objects;
    cluster_stop(&c);

    /* Scaling: first frame and RSS at each size. */
    struct scale_point pts[MAX_SCALE] = {0};
    for (int i = 0; i < o.nscales; i++) {
        pts[i].scale = o.scales[i];
        if (o.scales[i] == o.scale) {
            pts[i].objects = main_objects;
            pts[i].first_ms = f.first_ms;
            pts[i].rss_kb = f.rss_kb;
            continue;
        }
        fprintf(stderr, "bench_kargotop: scaling point %.3f\n", o.scales[i]);
        cluster_start(&c, &o, o.scales[i]);
        pts[i].objects = c.objects;
        char *alias = cluster_current_alias(&c, "team-00-dev", NULL);
        const char *expect[] = {"team-00-dev", alias, NULL};
        for (int run = 0; run < o.runs; run++) {
            struct dash d;
            samples_add(&pts[i].first_ms, dash_start(&d, &o, &c, expect));
            ptyterm_read(d.t, 300);
            samples_add(&pts[i].rss_kb, (double)proc_status_kb(d.pid, "VmHWM"));
            dash_quit(&d);
        }
        free(alias);
        cluster_stop(&c);
    }
    double load_end = loadavg1();

    /* The table. */
    char *event_why =
        xasprintf("%zu phase changes (Promoting and back) on team-00-qa", f.event_ms.n);
    char *kp_why =
        f.key_pipe_misses ? xasprintf("%d keys drew nothing within 2 s", f.key_pipe_misses) : NULL;
    char *kl_why =
        f.key_list_misses ? xasprintf("%d keys drew nothing within 2 s", f.key_list_misses) : NULL;
    double kt_first = samples_median(&f.first_ms), kc_first = samples_median(&f.kubectl_ms);
    double kt_rss = samples_median(&f.rss_kb) / 1024,
           kc_rss = samples_median(&f.kubectl_rss_kb) / 1024;
    double hkt = samples_median(&f.head_kt_ms), hkc = samples_median(&f.head_kc_ms);
    double hktm = samples_median(&f.head_kt_kb) / 1024, hkcm = samples_median(&f.head_kc_kb) / 1024;
    bool head = f.headless_missing == NULL && kubectl;
    struct row rows[32];
    size_t nr = 0;
    rows[nr++] = (struct row){"first frame (vs kubectl get)",
                              kt_first,
                              kubectl ? kc_first : NAN,
                              "ms",
                              "<= 1500 ms, <= 1/3 kubectl",
                              kt_first <= 1500 && (!kubectl || kt_first * 3 <= kc_first),
                              NULL};
    rows[nr++] = (struct row){"peak RSS after sync",
                              kt_rss,
                              kubectl ? kc_rss : NAN,
                              "MB",
                              "<= 64 MB, <= 1/4 kubectl",
                              kt_rss <= 64 && (!kubectl || kt_rss * 4 <= kc_rss),
                              NULL};
    rows[nr++] = (struct row){"headless get freight -o json: time",
                              head ? hkt : NAN,
                              kubectl ? hkc : NAN,
                              "ms",
                              ">= 3x faster than kubectl",
                              head ? hkt * 3 <= hkc : -1,
                              head                 ? NULL
                              : f.headless_missing ? f.headless_missing
                                                   : "kubectl not on PATH"};
    rows[nr++] = (struct row){"headless get freight -o json: RSS",
                              head ? hktm : NAN,
                              kubectl ? hkcm : NAN,
                              "MB",
                              "(reported)",
                              head ? 1 : -1,
                              NULL};
    double ireq = samples_median(&f.idle_requests), icpu = samples_median(&f.idle_cpu_s);
    double ibytes = samples_median(&f.idle_bytes);
    char *watches =
        xasprintf("%.0f watches open during the window", samples_median(&f.idle_watches));
    rows[nr++] = (struct row){"idle: requests per minute", ireq,      NAN,    "",
                              "0 beyond the open watches", ireq == 0, watches};
    rows[nr++] =
        (struct row){"idle: CPU per minute", icpu, NAN, "s", "<= 0.5 CPU-s/min", icpu <= 0.5, NULL};
    char *redraw_why = xasprintf("%.0f redraws a minute (the log says what they changed)",
                                 samples_median(&f.idle_redraws));
    rows[nr++] =
        (struct row){"idle: bytes to terminal per minute", ibytes, NAN, "B", "0", ibytes == 0,
                     ibytes == 0 ? NULL : redraw_why};
    double ep50 = samples_pct(&f.event_ms, 50), ep99 = samples_pct(&f.event_ms, 99);
    rows[nr++] = (struct row){"event to screen p50", ep50, NAN, "ms", "(reported)", 1, event_why};
    rows[nr++] =
        (struct row){"event to screen p99", ep99, NAN, "ms", "<= 200 ms", ep99 <= 200, NULL};
    double kp50 = samples_pct(&f.key_pipe_ms, 50), kp99 = samples_pct(&f.key_pipe_ms, 99);
    double kl50 = samples_pct(&f.key_list_ms, 50), kl99 = samples_pct(&f.key_list_ms, 99);
    rows[nr++] =
        (struct row){"key to screen, pipeline p50", kp50, NAN, "ms", "(reported)", 1, NULL};
    rows[nr++] = (struct row){"key to screen, pipeline p99",        kp99,  NAN, "ms", "<= 20 ms",
                              kp99 <= 20 && f.key_pipe_misses == 0, kp_why};
    rows[nr++] =
        (struct row){"key to screen, list scroll p50", kl50, NAN, "ms", "(reported)", 1, NULL};
    rows[nr++] = (struct row){"key to screen, list scroll p99",     kl99,  NAN, "ms", "<= 20 ms",
                              kl99 <= 20 && f.key_list_misses == 0, kl_why};
    char *scale_notes[MAX_SCALE * 2] = {0};
    for (int i = 0; i < o.nscales; i++) {
        char *name = xasprintf("scaling %.3f (%ld objects): first", pts[i].scale, pts[i].objects);
        rows[nr++] =
            (struct row){name, samples_median(&pts[i].first_ms), NAN, "ms", "(curve)", 1, NULL};
        char *rn = xasprintf("scaling %.3f: peak RSS", pts[i].scale);
        rows[nr++] =
            (struct row){rn, samples_median(&pts[i].rss_kb) / 1024, NAN, "MB", "(curve)", 1, NULL};
        scale_notes[i * 2] = name;
        scale_notes[i * 2 + 1] = rn;
    }
    double worst_t = slope(pts, o.nscales, false), worst_m = slope(pts, o.nscales, true);
    /* 1 is linear; 0.15 of slack for a noisy machine */
    rows[nr++] = (struct row){
        "scaling exponent, first frame",      worst_t, NAN, "", "<= 1 (linear or better)",
        o.nscales > 1 ? worst_t <= 1.15 : -1, NULL};
    rows[nr++] = (struct row){
        "scaling exponent, peak RSS",         worst_m, NAN, "", "<= 1 (linear or better)",
        o.nscales > 1 ? worst_m <= 1.15 : -1, NULL};

    struct utsname un;
    uname(&un);
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    printf("\nkargotop benchmark: %ld objects (scale %.3f), %d runs (medians; percentiles over all "
           "samples)\n",
           main_objects, o.scale, o.runs);
    printf("machine: %s %s, %ld CPUs, load average %.2f at start, %.2f at end, %.2f median over "
           "runs\n\n",
           un.sysname, un.machine, ncpu, load_start, load_end, samples_median(&f.load));
    printf("%-34s %14s %14s %8s  %-26s %s\n", "metric", "kargotop", "kubectl", "ratio", "target",
           "status");
    for (size_t i = 0; i < nr; i++)
        print_row(&rows[i]);

    if (o.json != NULL) {
        cJSON *j = cJSON_CreateObject();
        char when[32];
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&started));
        cJSON_AddStringToObject(j, "started", when);
        cJSON_AddNumberToObject(j, "objects", (double)main_objects);
        cJSON_AddNumberToObject(j, "scale", o.scale);
        cJSON_AddNumberToObject(j, "runs", o.runs);
        cJSON *m = cJSON_AddObjectToObject(j, "machine");
        cJSON_AddStringToObject(m, "system", un.sysname);
        cJSON_AddStringToObject(m, "arch", un.machine);
        cJSON_AddNumberToObject(m, "cpus", (double)ncpu);
        cJSON_AddNumberToObject(m, "loadavg_start", load_start);
        cJSON_AddNumberToObject(m, "loadavg_end", load_end);
        cJSON_AddNumberToObject(m, "loadavg_median", samples_median(&f.load));
        cJSON *arr = cJSON_AddArrayToObject(j, "results");
        for (size_t i = 0; i < nr; i++)
            cJSON_AddItemToArray(arr, row_json(&rows[i]));
        char *text = cJSON_Print(j);
        FILE *fp = fopen(o.json, "w");
        if (fp == NULL || fputs(text, fp) < 0 || fclose(fp) != 0)
            die("cannot write %s", o.json);
        printf("\nwritten to %s\n", o.json);
        free(text);
        cJSON_Delete(j);
    }
    /* A suite that ran completely exits 0 whatever the figures: the table says what was missed. */
    bool complete = f.first_ms.n == (size_t)o.runs && f.event_ms.n > 0 && f.key_pipe_ms.n > 0 &&
                    f.key_list_ms.n > 0;
    for (int i = 0; i < MAX_SCALE * 2; i++)
        free(scale_notes[i]);
    free(event_why);
    free(kp_why);
    free(kl_why);
    figures_free(&f);
    for (int i = 0; i < o.nscales; i++) {
        if (pts[i].first_ms.v != f.first_ms.v) {
            free(pts[i].first_ms.v);
            free(pts[i].rss_kb.v);
        }
    }
    free(f.first_ms.v);
    free(f.rss_kb.v);
    free(watches);
    free(redraw_why);
    free(f.headless_missing);
    return complete ? 0 : 1;
}
