/* Fault soak (issue 12): the real binary in a pseudo-terminal against the simulated cluster while
 * every fault the simulator has is switched on and off at random (watches dropped, 500s, 429 and
 * 503 with Retry-After, latency, cut bodies, bodies that stall halfway, forgotten history so
 * resumes get 410, token expiry with an exec plugin, watch denied), Kargo's controller promoting
 * and warehouses discovering, and
 * the script pressing keys. Asserts: the process never dies; every probe key is answered within 200
 * ms of the time the program could run (see probe()); within 5 s after the faults stop every watch
 * is back and each field of each view agrees with the simulator (agree.c); no Promotion was
 * created twice. Prints the counts.
 *
 *   soak [--seconds N] [--seed S]    (KT_SOAK_SECONDS overrides the default of 32)
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agree.h"
#include "kube/api.h"
#include "kube/http.h"
#include "kube/kubeconfig.h"
#include "ptyterm.h"
#include "sim/kargo.h"
#include "sim/sim.h"
#include "sim/simclock.h"
#include "sim/status.h"
#include "sim/store.h"
#include "util/json.h"
#include "util/xalloc.h"

#define GV            "kargo.akuity.io/v1alpha1"
#define PROJECT       "flask-app"
#define KEY_BUDGET_MS 200
#define SETTLE_MS     5000
#define HELP_TEXT     "show or hide this help"
/* The program's and the test's own idle timeout: a stalled answer is abandoned and retried within
 * a fault phase (2 to 5 s) and within the 5 s the screen has to agree after the faults stop. */
#define IDLE_TIMEOUT    "2s"
#define IDLE_TIMEOUT_MS 2000

struct soak {
    struct kargo_options kargo;
    struct sim *sim;
    char dir[64];
    char *kubeconfig;
    struct kube_config *cfg;
    struct kube_client *client; /* the promoter: churn */
    struct kube_config *reader_cfg;
    struct kube_client *reader; /* admin, for reading the simulator's state */
    struct ptyterm *t;
    unsigned seed;

    unsigned long phases, keys, probes, probes_over_wall;
    unsigned long kinds[10]; /* phases with each fault on, in the order of fault_names */
    unsigned long churn_ok, churn_failed; /* Promotions the test made through the API */
    unsigned long actions, created, refused, dup_actions; /* promotions confirmed with keys */
    unsigned long fields, mismatches; /* compared with the simulator after the faults */
    double reconnect_ms;              /* from the faults stopping to every watch back */
    double worst_wall_ms, worst_fair_ms, sum_fair_ms;
    unsigned long faults_before;
    int failures;
};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static unsigned rnd(struct soak *s, unsigned n)
{
    s->seed = s->seed * 1103515245u + 12345u;
    return (s->seed >> 8) % n;
}

static void failf(struct soak *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "soak: FAIL: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    if (s->t != NULL)
        ptyterm_dump(s->t, "at the failure");
    s->failures++;
}

/* Nanoseconds a thread has waited on a run queue (runnable, no CPU): the second field of
 * /proc/<pid>/task/<tid>/schedstat. 0 when the kernel does not say. */
static double run_delay_ms(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    unsigned long long on_cpu = 0, waiting = 0;
    int n = fscanf(f, "%llu %llu", &on_cpu, &waiting);
    fclose(f);
    return n == 2 ? (double)waiting / 1e6 : 0;
}

/* The run-queue wait of the program's UI thread (its main thread) and of this thread. */
static double contention_ms(struct soak *s)
{
    char p[64];
    snprintf(p, sizeof p, "/proc/%d/task/%d/schedstat", (int)ptyterm_pid(s->t),
             (int)ptyterm_pid(s->t));
    return run_delay_ms(p) + run_delay_ms("/proc/thread-self/schedstat");
}

/* One probe: '?' must bring the help overlay. The wall time from the key to the overlay on the
 * screen includes the time the two processes waited for a CPU on a loaded machine (this one has
 * two cores for up to eight sessions); the kernel counts that wait per thread, so the fair
 * latency is the wall time minus the run-queue wait of the program's UI thread and of this one.
 * The fair latency must stay within 200 ms; the wall time is reported, and a probe with no
 * answer at all within 5 s fails whatever the load. */
static void probe(struct soak *s)
{
    ptyterm_send(s->t, "\033\033\033");
    if (!ptyterm_wait_gone(s->t, HELP_TEXT, 5000)) {
        failf(s, "the help overlay did not close");
        return;
    }
    ptyterm_pump(s->t, 0);
    double c0 = contention_ms(s), t0 = now_ms();
    ptyterm_send(s->t, "?");
    bool ok = ptyterm_wait_text(s->t, HELP_TEXT, 5000);
    double wall = now_ms() - t0, fair = wall - (contention_ms(s) - c0);
    s->probes++;
    if (!ok) {
        failf(s, "key '?' unanswered after %.0f ms", wall);
        return;
    }
    if (fair < 0)
        fair = 0;
    if (wall > s->worst_wall_ms)
        s->worst_wall_ms = wall;
    if (fair > s->worst_fair_ms)
        s->worst_fair_ms = fair;
    s->sum_fair_ms += fair;
    if (wall > KEY_BUDGET_MS)
        s->probes_over_wall++;
    if (fair > KEY_BUDGET_MS)
        failf(s, "key '?' answered after %.0f ms (%.0f ms of it runnable): over %d ms", wall, fair,
              KEY_BUDGET_MS);
    ptyterm_send(s->t, "\033");
}

static const char *const fault_names[] = {
    "watch close",  "500",           "429 Retry-After", "latency",         "cut body",
    "token expiry", "410 on resume", "watch denied",    "503 Retry-After", "stalled body"};

/* Faults for the next few seconds, each on at random. Watches are closed in most phases: an open
 * stream sees no request-level fault, the reconnects do. */
static void new_phase(struct soak *s)
{
    struct sim_faults f = {0};
    if (rnd(s, 4) != 0)
        f.watch_close_s = 1 + (int)rnd(s, 3);
    if (rnd(s, 2) == 0)
        f.error500_pct = 5 + (int)rnd(s, 30);
    if (rnd(s, 2) == 0) {
        f.error429_pct = 5 + (int)rnd(s, 20);
        f.retry_after_s = 1 + (int)rnd(s, 2);
    }
    if (rnd(s, 2) == 0)
        f.latency_ms = (int)rnd(s, 3) == 0 ? 1500 : (int)rnd(s, 300);
    if (rnd(s, 3) == 0)
        f.cut_body_pct = 5 + (int)rnd(s, 20);
    if (rnd(s, 4) == 0)
        f.token_expire_s = 1 + (int)rnd(s, 3);
    if (rnd(s, 3) == 0)
        f.forget_history = true;
    if (rnd(s, 6) == 0)
        f.deny_watch = true;
    if (rnd(s, 3) == 0) {
        f.error503_pct = 5 + (int)rnd(s, 20);
        f.retry_after_s = 1 + (int)rnd(s, 2);
    }
    /* Half a body, then silence with the connection open: only the idle timeout ends it (the
     * program runs with --idle-timeout IDLE_TIMEOUT, well inside a phase). */
    if (rnd(s, 3) == 0)
        f.stall_body_pct = 5 + (int)rnd(s, 20);
    sim_faults_set(s->sim, &f);
    s->phases++;
    bool on[] = {f.watch_close_s > 0, f.error500_pct > 0,   f.error429_pct > 0, f.latency_ms > 0,
                 f.cut_body_pct > 0,  f.token_expire_s > 0, f.forget_history,   f.deny_watch,
                 f.error503_pct > 0,  f.stall_body_pct > 0};
    for (size_t i = 0; i < sizeof on / sizeof on[0]; i++)
        s->kinds[i] += on[i];
}

/* Churn while the faults are on: the newest Freight promoted to dev through the API (by the
 * test's own client, which suffers the same faults; a failure is counted, not fatal). */
static void churn(struct soak *s)
{
    struct api_ref ref = {GV, "freights", PROJECT, NULL};
    struct kube_error err = {0};
    cJSON *l = api_list(s->client, &ref, NULL, NULL, &err);
    const cJSON *f, *newest = NULL;
    const char *newest_at = NULL;
    cJSON_ArrayForEach(f, json_get(l, "items", (char *)NULL))
    {
        const char *at = json_get_string(f, "metadata", "creationTimestamp", (char *)NULL);
        if (at != NULL && (newest_at == NULL || strcmp(at, newest_at) > 0)) {
            newest = f;
            newest_at = at;
        }
    }
    cJSON *made = NULL;
    if (newest != NULL) {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "apiVersion", GV);
        cJSON_AddStringToObject(p, "kind", "Promotion");
        cJSON *m = cJSON_AddObjectToObject(p, "metadata");
        cJSON_AddStringToObject(m, "generateName", "dev.");
        cJSON_AddStringToObject(m, "namespace", PROJECT);
        cJSON *spec = cJSON_AddObjectToObject(p, "spec");
        cJSON_AddStringToObject(spec, "stage", "dev");
        cJSON_AddStringToObject(spec, "freight",
                                json_get_string(newest, "metadata", "name", (char *)NULL));
        struct api_ref pref = {GV, "promotions", PROJECT, NULL};
        kube_error_clear(&err);
        made = api_create(s->client, &pref, p, &err);
        cJSON_Delete(p);
    }
    if (made != NULL)
        s->churn_ok++;
    else
        s->churn_failed++;
    cJSON_Delete(made);
    cJSON_Delete(l);
    kube_error_clear(&err);
}

/* Keys a user presses while looking around; never q. */
static const char *const keys[] = {
    "j",
    "k",
    "h",
    "l",
    "\t",
    "\r",
    "\033",
    "y",
    "G",
    "g",
    "L",
    "\033[B",
    "\033[A",
    "\006",
    "\002",
    "\014",
    "/de",
    "\033",
    "\r\r",
    ":events\r",
    ":freight\r",
    ":promotions\r",
    ":warehouses\r",
    "\033\033",
};

static void press_keys(struct soak *s, int n)
{
    for (int i = 0; i < n; i++) {
        ptyterm_send(s->t, keys[rnd(s, sizeof keys / sizeof keys[0])]);
        s->keys++;
        ptyterm_pump(s->t, 10 + (int)rnd(s, 60));
    }
}

static bool alive(struct soak *s)
{
    int status;
    if (ptyterm_wait_exit(s->t, 0, &status)) {
        failf(s, "kargotop exited (status 0x%x)%s", status,
              WIFSIGNALED(status) ? ": killed by a signal" : "");
        return false;
    }
    return true;
}

/* The Promotions kargotop created (actor admin: the test's own churn is the promoter) and the
 * largest number of them sharing one create-id label, from the simulator's store (no faults). */
static long ui_promotions(struct soak *s, int *max_per_id)
{
    struct sim_status *err = NULL;
    cJSON *l = sim_store_list(sim_store(s->sim), "promotions", PROJECT, NULL, &err);
    sim_status_free(err);
    long n = 0;
    *max_per_id = 0;
    const cJSON *a, *b;
    cJSON_ArrayForEach(a, l)
    {
        const char *actor = json_get_string(a, "metadata", "annotations",
                                            "kargo.akuity.io/create-actor", (char *)NULL);
        if (actor == NULL || strcmp(actor, "kubernetes:admin") != 0)
            continue;
        n++;
        const char *id =
            json_get_string(a, "metadata", "labels", "kargotop/create-id", (char *)NULL);
        int same = 0;
        cJSON_ArrayForEach(b, l)
        {
            const char *idb =
                json_get_string(b, "metadata", "labels", "kargotop/create-id", (char *)NULL);
            same += id != NULL && idb != NULL && strcmp(id, idb) == 0;
        }
        if (same > *max_per_id)
            *max_per_id = same;
    }
    cJSON_Delete(l);
    return n;
}

/* The word after prefix on the screen, or NULL. */
static char *word_after(struct ptyterm *t, const char *prefix)
{
    char *screen = ptyterm_screen(t), *at = strstr(screen, prefix), *w = NULL;
    if (at != NULL) {
        at += strlen(prefix);
        w = xstrndup(at, strcspn(at, " ,)\n"));
    }
    free(screen);
    return w;
}

/* A promotion to dev with keys: select dev, p, the newest Freight, y. The answer (created or
 * refused) must come, however long the faults make it take; a "created" must be exactly one
 * more Promotion in the cluster, a "refused" at most one (the request may have reached the
 * server before the failure), never two for one confirmation. */
static void promote_with_keys(struct soak *s)
{
    ptyterm_send(s->t, "\033\033\033");
    if (!ptyterm_wait_gone(s->t, HELP_TEXT, 5000))
        return;
    ptyterm_send(s->t, "/dev\r");
    if (!ptyterm_wait_text(s->t, "Freight for dev", 5000))
        return; /* some view where "/" filters a list: try again next phase */
    ptyterm_send(s->t, "p");
    if (!ptyterm_wait_text(s->t, "which freight?", 5000)) {
        ptyterm_send(s->t, "\033");
        return; /* not offered (access still being checked): no confirmation, nothing to check */
    }
    ptyterm_send(s->t, "\r");
    if (!ptyterm_wait_text(s->t, "y: confirm", 5000)) {
        ptyterm_send(s->t, "\033\033");
        return;
    }
    int max_before, max_after;
    long before = ui_promotions(s, &max_before);
    ptyterm_send(s->t, "y");
    s->actions++;
    double deadline = now_ms() + 120000;
    bool created = false, refused = false;
    while (now_ms() < deadline && !created && !refused) {
        ptyterm_pump(s->t, 50);
        char *screen = ptyterm_screen(s->t);
        created = strstr(screen, "promotion created: dev.") != NULL;
        refused = strstr(screen, "promote dev refused:") != NULL;
        free(screen);
        if (!alive(s))
            return;
    }
    long after = ui_promotions(s, &max_after);
    if (created) {
        s->created++;
        char *name = word_after(s->t, "promotion created: ");
        struct sim_status *err = NULL;
        cJSON *p = name != NULL
                       ? sim_store_get(sim_store(s->sim), "promotions", PROJECT, name, &err)
                       : NULL;
        if (p == NULL)
            failf(s, "the screen says promotion %s was created; the cluster has no such thing",
                  name != NULL ? name : "?");
        cJSON_Delete(p);
        sim_status_free(err);
        free(name);
        if (after - before != 1)
            failf(s, "one confirmed promotion made %ld Promotions", after - before);
    } else if (refused) {
        s->refused++;
        if (after - before > 1)
            failf(s, "a refused promotion made %ld Promotions", after - before);
    } else {
        failf(s, "a confirmed promotion got no answer in 120 s");
    }
    if (after - before > 1 || max_after > 1)
        s->dup_actions++;
    ptyterm_send(s->t, "\033");
}

static cJSON *list(struct soak *s, const char *resource)
{
    struct api_ref ref = {GV, resource, PROJECT, NULL};
    struct kube_error err = {0};
    cJSON *l = api_list(s->client, &ref, NULL, NULL, &err);
    if (l == NULL)
        failf(s, "listing %s: %s", resource, err.message);
    kube_error_clear(&err);
    return l;
}

/* No two Promotions of one confirmation: the simulator's Promotions, grouped by the create-id
 * label kargotop puts on each one it creates, hold one Promotion per id. */
static int duplicates(struct soak *s, unsigned long *promotions)
{
    cJSON *l = list(s, "promotions");
    int dup = 0;
    const cJSON *items = json_get(l, "items", (char *)NULL), *a, *b;
    *promotions = (unsigned long)cJSON_GetArraySize(items);
    cJSON_ArrayForEach(a, items)
    {
        const char *ida =
            json_get_string(a, "metadata", "labels", "kargotop/create-id", (char *)NULL);
        for (b = a->next; ida != NULL && b != NULL; b = b->next) {
            const char *idb =
                json_get_string(b, "metadata", "labels", "kargotop/create-id", (char *)NULL);
            if (idb != NULL && strcmp(ida, idb) == 0)
                dup++;
        }
    }
    cJSON_Delete(l);
    return dup;
}

/* After the faults stop (and the simulated clock with them, so the state holds still): within
 * 5 s every view the soak visits shows what the simulator's state says, field by field (see
 * agree.h); each view opened after those 5 s still gets 2 s to be drawn. */
static void expect_agreement(struct soak *s)
{
    struct sim_faults none = {0};
    sim_faults_set(s->sim, &none);
    simclock_set_speed(kargo_clock(s->kargo.out), 0);
    kargo_settle(s->kargo.out);
    double start = now_ms();
    /* A watch that failed under the faults is in a backoff of up to 30 s; the client's probe
     * (every 2 s while anything waits) ends it as soon as the server answers, so every watch is
     * back, and the screen right, within the same 5 s. */
    bool back = false;
    while (!back && now_ms() < start + SETTLE_MS) {
        char *top = ptyterm_row(s->t, 0);
        back = strstr(top, "connecting") == NULL;
        free(top);
        if (!back)
            ptyterm_pump(s->t, 100);
    }
    s->reconnect_ms = now_ms() - start;
    if (!back) {
        failf(s, "%.0f s after the faults stopped a watch is still reconnecting",
              SETTLE_MS / 1000.0);
        return;
    }
    char *cause = NULL;
    struct agree *a = agree_load(s->reader, PROJECT, &cause);
    if (a == NULL) {
        failf(s, "reading the simulator's state: %s", cause);
        free(cause);
        return;
    }
    unsigned long bad = agree_check(a, s->t, start + SETTLE_MS, 2000);
    s->fields = agree_fields(a);
    s->mismatches = bad;
    printf("soak: every watch back %.1f s after the faults stopped; screen compared with the "
           "simulator by %.1f s: %lu fields, %lu mismatches\n",
           s->reconnect_ms / 1000.0, (now_ms() - start) / 1000.0, s->fields, bad);
    if (bad > 0)
        failf(s, "%lu fields on screen disagree with the simulator 5 s after the faults stopped",
              bad);
    agree_free(a);
}

/* An exec plugin that hands out the admin token for 20 s at a time and counts its runs. */
static const char plugin[] =
    "#!/bin/sh\n"
    "n=$(cat \"$SOAK_DIR/runs\" 2>/dev/null || echo 0); echo $((n + 1)) > \"$SOAK_DIR/runs\"\n"
    "exp=$(date -u -d '+20 seconds' +%Y-%m-%dT%H:%M:%SZ)\n"
    "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
    "\"status\":{\"token\":\"%s\",\"expirationTimestamp\":\"%s\"}}\\n' \"$SOAK_TOKEN\" \"$exp\"\n";

static int write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    fputs(text, f);
    fclose(f);
    return chmod(path, mode);
}

static int setup(struct soak *s)
{
    static const char *const scenarios[] = {PROJECT, NULL};
    s->kargo.speed = 20.0; /* 3 s steps of the simulated clock pass in 0.15 s */
    s->kargo.step_ms = 3000;
    s->kargo.verify_ms = 10000;
    s->kargo.discover = true;
    s->kargo.seed = s->seed;
    s->kargo.scenarios = scenarios;
    struct sim_config cfg = {.seed = s->seed, .install = kargo_install, .install_ctx = &s->kargo};
    char *cause = NULL;
    s->sim = sim_start(&cfg, &cause);
    if (s->sim == NULL) {
        fprintf(stderr, "soak: sim_start: %s\n", cause);
        return -1;
    }
    snprintf(s->dir, sizeof s->dir, "/tmp/kt-soak-XXXXXX");
    if (mkdtemp(s->dir) == NULL)
        return -1;
    char *plugin_path = xasprintf("%s/plugin.sh", s->dir);
    s->kubeconfig = xasprintf("%s/kubeconfig", s->dir);
    char *kc = xasprintf("apiVersion: v1\nkind: Config\ncurrent-context: soak\n"
                         "clusters:\n- name: sim\n  cluster: {server: \"%s\"}\n"
                         "users:\n- name: plugin\n  user:\n    exec:\n"
                         "      apiVersion: client.authentication.k8s.io/v1\n"
                         "      command: %s\n"
                         "      interactiveMode: Never\n"
                         "      env: [{name: SOAK_DIR, value: \"%s\"}, {name: SOAK_TOKEN, value: "
                         "\"%s\"}]\n"
                         "contexts:\n- name: soak\n  context: {cluster: sim, user: plugin}\n",
                         sim_url(s->sim), plugin_path, s->dir, sim_token(s->sim, "admin"));
    int rc = write_file(plugin_path, plugin, 0700) | write_file(s->kubeconfig, kc, 0600);
    free(kc);
    free(plugin_path);
    if (rc != 0)
        return -1;
    /* The test's own client (churn and reads) is the promoter, so the Promotions kargotop makes
     * (as admin) can be told apart. */
    char *admin = xasprintf("%s/admin", s->dir);
    if (sim_write_kubeconfig(s->sim, admin, &cause) != 0)
        return -1;
    struct kubeconfig_opts ko = {.kubeconfig = admin, .context = "promoter"};
    struct kubeconfig_opts ao = {.kubeconfig = admin, .context = "admin"};
    s->cfg = kubeconfig_load(&ko, &cause);
    if (s->cfg != NULL)
        s->reader_cfg = kubeconfig_load(&ao, &cause);
    unlink(admin);
    free(admin);
    if (s->cfg == NULL || s->reader_cfg == NULL ||
        (s->client = kube_client_new(s->cfg, &cause)) == NULL ||
        (s->reader = kube_client_new(s->reader_cfg, &cause)) == NULL) {
        fprintf(stderr, "soak: client: %s\n", cause);
        return -1;
    }
    kube_client_set_timeouts(s->client, 0, IDLE_TIMEOUT_MS);
    kube_client_set_timeouts(s->reader, 0, IDLE_TIMEOUT_MS);
    return 0;
}

static void teardown(struct soak *s)
{
    ptyterm_free(s->t);
    kube_client_free(s->client);
    kubeconfig_free(s->cfg);
    kube_client_free(s->reader);
    kubeconfig_free(s->reader_cfg);
    sim_stop(s->sim);
    char *p = xasprintf("rm -rf '%s'", s->dir);
    if (s->dir[0] != '\0' && system(p) != 0)
        fprintf(stderr, "soak: cannot remove %s\n", s->dir);
    free(p);
    free(s->kubeconfig);
}

static int plugin_runs(struct soak *s)
{
    char *p = xasprintf("%s/runs", s->dir);
    FILE *f = fopen(p, "r");
    free(p);
    int n = 0;
    if (f != NULL) {
        if (fscanf(f, "%d", &n) != 1)
            n = 0;
        fclose(f);
    }
    return n;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    struct soak s = {.seed = (unsigned)time(NULL)};
    double seconds = 32;
    if (getenv("KT_SOAK_SECONDS") != NULL)
        seconds = atof(getenv("KT_SOAK_SECONDS"));
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--seconds") == 0)
            seconds = atof(argv[i + 1]);
        else if (strcmp(argv[i], "--seed") == 0)
            s.seed = (unsigned)strtoul(argv[i + 1], NULL, 0);
    }
    printf("soak: %.0f s, seed %u\n", seconds, s.seed);
    fflush(stdout);
    if (setup(&s) != 0) {
        teardown(&s);
        return 1;
    }
    char *args[] = {KARGOTOP_BIN, "--kubeconfig",   s.kubeconfig, "-n",
                    PROJECT,      "--idle-timeout", IDLE_TIMEOUT, NULL};
    s.t = ptyterm_spawn(args, NULL, 50, 160);
    if (s.t == NULL || !ptyterm_wait_text(s.t, "live", 20000)) {
        failf(&s, "no live dashboard");
        teardown(&s);
        return 1;
    }
    struct sim_stats st0;
    sim_stats_get(s.sim, &st0);

    double end = now_ms() + seconds * 1000.0, phase_end = 0;
    while (now_ms() < end && s.failures == 0 && alive(&s)) {
        if (now_ms() >= phase_end) {
            new_phase(&s);
            phase_end = now_ms() + 2000 + rnd(&s, 3000);
            if (rnd(&s, 2) == 0)
                churn(&s);
            if (rnd(&s, 2) == 0)
                promote_with_keys(&s);
        }
        press_keys(&s, 3 + (int)rnd(&s, 6));
        if (alive(&s))
            probe(&s);
    }
    if (s.failures == 0)
        churn(&s); /* a last change under the faults, for the screen to catch up with */
    struct sim_stats st1;
    sim_stats_get(s.sim, &st1);
    if (s.failures == 0 && alive(&s))
        expect_agreement(&s);
    unsigned long promotions = 0;
    int dup = duplicates(&s, &promotions);
    if (dup != 0)
        failf(&s, "%d Promotions share a create-id with another", dup);
    dup += (int)s.dup_actions;
    if (s.failures == 0 && alive(&s)) {
        ptyterm_send(s.t, "\033\033q");
        int status;
        if (!ptyterm_wait_exit(s.t, 10000, &status) || !WIFEXITED(status) ||
            WEXITSTATUS(status) != 0)
            failf(&s, "kargotop did not quit cleanly");
    }
    printf("soak: requests:");
    for (int v = 0; v < SIM_VERB_COUNT; v++)
        printf(" %s %lu", sim_verb_name((enum sim_verb)v), st1.requests[v] - st0.requests[v]);
    printf("\nsoak: fault phases with");
    for (size_t i = 0; i < sizeof fault_names / sizeof fault_names[0]; i++)
        printf("%s %s: %lu", i ? "," : "", fault_names[i], s.kinds[i]);
    printf("\nsoak: promotions made through the API meanwhile: %lu (%lu failed under faults)\n",
           s.churn_ok, s.churn_failed);
    printf("soak: %.0f s, %lu fault phases, %lu faults injected, %lu keys, %lu probes; "
           "key latency: worst %.0f ms wall, worst %.0f ms runnable (mean %.1f ms), %lu probes "
           "over %d ms of wall time; exec plugin runs %d; promotions in the project %lu; "
           "actions %lu (%lu created, %lu refused with an error), duplicates %d; fields "
           "compared with the simulator %lu, mismatches %lu; %s\n",
           seconds, s.phases, st1.faults_injected - st0.faults_injected, s.keys, s.probes,
           s.worst_wall_ms, s.worst_fair_ms, s.probes ? s.sum_fair_ms / (double)s.probes : 0,
           s.probes_over_wall, KEY_BUDGET_MS, plugin_runs(&s), promotions, s.actions, s.created,
           s.refused, dup, s.fields, s.mismatches, s.failures ? "FAILED" : "ok");
    teardown(&s);
    return s.failures ? 1 : 0;
}
