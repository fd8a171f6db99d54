/* The real binary in a pseudo-terminal against the simulated cluster: the views beyond the
 * pipeline (details, YAML, events), the pause mark of an auto-promotion hold, the read-only badge,
 * starting in the context's namespace, remembering nothing on disk, and what the screen says when
 * the cluster goes away and comes back (the freshness of every panel). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "expect.h"
#include "kube/api.h"
#include "ptyterm.h"
#include "uienv.h"
#include "util/json.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

#define WAIT_MS EXPECT_WAIT_MS
#define GV      "kargo.akuity.io/v1alpha1"
#define NS      "backstage-kargo"

static const char *const scenarios[] = {"backstage", "flask-app", NULL};

static int setup(void **state)
{
    *state = uienv_start(scenarios, 11, 500, 800);
    return *state != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    uienv_stop(*state);
    return 0;
}

static struct ptyterm *start_with(struct env *e, char *const *extra, char *const *envp)
{
    char *argv[12] = {KARGOTOP_BIN, "--kubeconfig", e->kubeconfig};
    size_t n = 3;
    for (size_t i = 0; extra != NULL && extra[i] != NULL && n < 11; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    struct ptyterm *t = ptyterm_spawn(argv, envp, 45, 160);
    assert_non_null(t);
    return t;
}

static struct ptyterm *start(struct env *e)
{
    struct ptyterm *t = start_with(e, (char *[]){"-n", NS, NULL}, NULL);
    expect_text(t, "Freight for dev");
    expect_text(t, "\u25cf live");
    return t;
}

/* Waits until one row holds both texts. */
static bool wait_row(struct ptyterm *t, const char *a, const char *b)
{
    for (int i = 0; i < WAIT_MS / 50; i++) {
        for (int r = 0; r < 45; r++) {
            char *row = ptyterm_row(t, r);
            bool hit = strstr(row, a) != NULL && strstr(row, b) != NULL;
            free(row);
            if (hit)
                return true;
        }
        ptyterm_pump(t, 50);
    }
    return false;
}

/* Name and alias of the Freight in a Stage (the backstage warehouse's); caller frees both. */
static void freight_in(struct env *e, const char *stage, char **name, char **alias)
{
    struct api_ref ref = {GV, "stages", NS, stage};
    cJSON *obj = api_get(e->client, &ref, NULL);
    assert_non_null(obj);
    *name = xstrdup(
        json_get_string(cJSON_GetArrayItem(json_get(obj, "status", "freightHistory", NULL), 0),
                        "items", "Warehouse/backstage", "name", NULL));
    cJSON_Delete(obj);
    struct api_ref fref = {GV, "freights", NS, *name};
    obj = api_get(e->client, &fref, NULL);
    assert_non_null(obj);
    *alias = xstrdup(json_get_string(obj, "alias", NULL));
    cJSON_Delete(obj);
}

static void test_details_of_stage_freight_and_promotion(void **state)
{
    struct env *e = *state;
    struct ptyterm *t = start(e);
    char *name, *alias;
    freight_in(e, "staging", &name, &alias);
    ptyterm_send(t, "l\r"); /* staging's details */
    expect_text(t, "Stage staging");
    expect_text(t, "Staging: manual promotion"); /* its kargo.akuity.io/description */
    expect_text(t, "Conditions");
    expect_text(t, "Verification history");
    /* "when did this reach prod": each Freight it ran, with the time it was promoted */
    expect_text(t, "Freight history (newest first, when it was promoted)");
    if (!wait_row(t, alias, "Warehouse/backstage")) { /* the current one, with its digest */
        ptyterm_dump(t, "current freight");
        fail();
    }
    expect_text(t, "sha256:");
    ptyterm_send(t, "\033\t"); /* back; the freight pane */
    expect_text(t, "Freight for staging");
    ptyterm_send(t, "/");
    ptyterm_send(t, alias);
    ptyterm_send(t, "\r\r");
    char *title = xasprintf("Freight %s", name);
    expect_text(t, title);
    free(title);
    expect_text(t, "Artifacts");
    expect_text(t, "Where it is");
    expect_text(t, "sha256:");
    ptyterm_send(t, "\033\033\t"); /* back, clear the filter; the promotions pane */
    expect_text(t, "Promotions of staging");
    ptyterm_send(t, "g\r");
    expect_text(t, "Promotion staging.");
    expect_text(t, "Steps");
    expect_text(t, "git-clone"); /* every step, with its status */
    if (!wait_row(t, "git-clone", "Succeeded")) {
        ptyterm_dump(t, "steps");
        fail();
    }
    free(name);
    free(alias);
    uienv_quit(t);
}

static void test_yaml_view_scrolls_and_searches(void **state)
{
    struct env *e = *state;
    struct ptyterm *t = start(e);
    ptyterm_send(t, "y");
    expect_text(t, "stages/dev");
    expect_text(t, "apiVersion: kargo.akuity.io/v1alpha1");
    expect_text(t, "kind: Stage");
    /* far down the object: search brings it into view */
    assert_false(ptyterm_find(t, "freightHistory:", NULL, NULL));
    ptyterm_send(t, "/freightHistory\r");
    expect_text(t, "freightHistory:");
    expect_gone(t, "apiVersion: kargo.akuity.io/v1alpha1");
    ptyterm_send(t, "g");
    expect_text(t, "apiVersion: kargo.akuity.io/v1alpha1");
    ptyterm_send(t, "q"); /* q leaves the YAML, not the program */
    expect_gone(t, "stages/dev");
    expect_text(t, "Freight for dev");
    uienv_quit(t);
}

/* The names of the project's oldest and newest Freight (by discovery); caller frees both. */
static void freight_ends(struct env *e, char **oldest, char **newest)
{
    struct api_ref ref = {GV, "freights", NS, NULL};
    cJSON *list = api_list(e->client, &ref, NULL, NULL, NULL);
    assert_non_null(list);
    const char *lo = NULL, *hi = NULL, *lo_name = NULL, *hi_name = NULL;
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(list, "items"))
    {
        const char *at = json_get_string(it, "discoveredAt", NULL);
        const char *name = json_get_string(it, "metadata", "name", NULL);
        assert_non_null(at);
        if (lo == NULL || strcmp(at, lo) < 0) {
            lo = at;
            lo_name = name;
        }
        if (hi == NULL || strcmp(at, hi) > 0) {
            hi = at;
            hi_name = name;
        }
    }
    *oldest = xstrdup(lo_name);
    *newest = xstrdup(hi_name);
    cJSON_Delete(list);
}

static void test_events_feed_and_pane_keys(void **state)
{
    struct env *e = *state;
    struct ptyterm *t = start(e);
    ptyterm_send(t, ":ev\t");
    expect_text(t, ":events");
    ptyterm_send(t, "\r");
    expect_text(t, "Events of " NS);
    expect_text(t, "PromotionSucceeded");
    expect_text(t, "Promotion succeeded for Stage");
    ptyterm_send(t, "\033");
    expect_gone(t, "Events of " NS);
    /* Tab and Shift-Tab cycle the panes: pipeline, freight, promotions */
    ptyterm_send(t, "\t\t");
    expect_text(t, "Promotions of dev");
    expect_text(t, "Tab: Freight");
    ptyterm_send(t, "\033[Z");
    expect_text(t, "Tab: Promotions");
    /* the whole project's Freight, newest first: PgDn reaches the oldest, PgUp the newest */
    char *oldest = NULL, *newest = NULL;
    freight_ends(e, &oldest, &newest);
    ptyterm_send(t, ":freight\r");
    expect_text(t, "Freight of " NS);
    ptyterm_send(t, "\033[6~\r");
    char *title = xasprintf("Freight %s", oldest);
    expect_text(t, title);
    free(title);
    ptyterm_send(t, "\033\033[5~\r");
    title = xasprintf("Freight %s", newest);
    expect_text(t, title);
    free(title);
    free(oldest);
    free(newest);
    uienv_quit(t);
}

static void test_hold_shows_paused(void **state)
{
    struct env *e = *state;
    struct ptyterm *t = start(e);
    /* dev promotes automatically; promoting older Freight there holds it (Kargo v1.11) */
    int row, col;
    assert_true(ptyterm_find(t, "\u250c dev ", &row, &col));
    assert_true(wait_row(t, "dev ", "auto"));
    char *name, *alias;
    freight_in(e, "production", &name, &alias);
    uienv_promote(e, NS, "dev", name);
    if (!wait_row(t, "dev ", "paused")) {
        ptyterm_dump(t, "no pause mark");
        fail();
    }
    free(name);
    free(alias);
    uienv_quit(t);
}

/* Whether text holds an absolute age as the lists and boxes show it: "14:02" (today), "Nov 21"
 * (this year) or "Nov 2024", followed by a space, a border or the end. */
static bool shows_when(const char *text)
{
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    for (const char *p = text; *p != '\0'; p++) {
        bool d = p[0] >= '0' && p[0] <= '9';
        if (d && p[1] >= '0' && p[1] <= '9' && p[2] == ':' && p[3] >= '0' && p[3] <= '5' &&
            p[4] >= '0' && p[4] <= '9' && (p[5] == ' ' || p[5] == '\0' || (p[5] & 0x80)))
            return true;
        for (size_t m = 0; m < 12; m++)
            if (strncmp(p, months[m], 3) == 0 && p[3] == ' ' && p[4] >= '0' && p[4] <= '9' &&
                p[5] >= '0' && p[5] <= '9')
                return true;
    }
    return false;
}

/* At 80x24 the boxes are narrow: the step of a running promotion, the auto mark and the age
 * still show whole. */
static void test_minimum_size_boxes_keep_step_and_age(void **state)
{
    struct env *e = *state;
    char *argv[] = {KARGOTOP_BIN, "--kubeconfig", e->kubeconfig, "-n", NS, NULL};
    struct ptyterm *t = ptyterm_spawn(argv, NULL, 24, 80);
    assert_non_null(t);
    expect_text(t, "Freight for dev");
    int r, c;
    assert_true(ptyterm_find(t, "\u250c dev ", &r, &c));
    char *top = ptyterm_row(t, r);
    bool marked = strstr(top, "auto") != NULL || strstr(top, "paused") != NULL;
    free(top);
    assert_true(marked);
    /* since when production runs what it runs ("Nov 21", "14:02"), never cut to "Nov 2…" */
    assert_true(ptyterm_find(t, "\u250c production ", &r, &c));
    char *age = ptyterm_row(t, r + 4);
    if (!shows_when(age))
        fail_msg("no whole time on the production box's line: '%s'", age);
    assert_null(strstr(age, "\u2026"));
    free(age);
    char *name, *alias;
    freight_in(e, "staging", &name, &alias);
    uienv_promote(e, NS, "production", name);
    bool step = false;
    for (int i = 0; i < WAIT_MS / 50 && !step; i++) {
        char *line = ptyterm_row(t, r + 1);
        const char *slash = strstr(line, "/5 ");
        int col = 0; /* in cells: inside the production box? */
        for (const char *p = line; slash != NULL && p < slash; p++)
            col += ((unsigned char)*p & 0xC0) != 0x80;
        step = slash != NULL && slash > line && slash[-1] >= '1' && slash[-1] <= '5' && col > c &&
               col < c + 17;
        free(line);
        if (!step)
            ptyterm_pump(t, 50);
    }
    if (!step) {
        ptyterm_dump(t, "no step k/5 in the narrow box");
        fail();
    }
    free(name);
    free(alias);
    uienv_quit(t);
}

/* Every `:` command of the issue, typed in full or completed with Tab. */
static void test_every_command(void **state)
{
    struct env *e = *state;
    struct ptyterm *t = start(e);
    ptyterm_send(t, ":wa\t\r");
    expect_text(t, "Warehouses of " NS);
    expect_text(t, "ghcr.io/craigedmunds/backstage"); /* its subscription */
    ptyterm_send(t, ":promotions\r");
    expect_text(t, "Promotions of " NS);
    expect_text(t, "Succeeded");
    ptyterm_send(t, ":stages\r");
    expect_text(t, "Stages (list)");
    ptyterm_send(t, ":projects\r");
    expect_text(t, "Projects (Enter opens)");
    expect_text(t, "flask-app");
    ptyterm_send(t, ":project flask-app\r");
    expect_text(t, "project: flask-app");
    ptyterm_send(t, ":ctx viewer\r");
    expect_text(t, "ctx: viewer");
    expect_quit(t, ":q\r", WAIT_MS);
}

/* A dropped SSH session while the watches run: the program ends, it does not keep watching. */
static void test_exits_when_the_terminal_goes_away_while_watching(void **state)
{
    struct env *e = *state;
    struct ptyterm *t = start(e);
    ptyterm_hangup(t);
    int status;
    if (!ptyterm_wait_exit(t, WAIT_MS, &status))
        fail_msg("still running after the terminal went away");
    assert_true(WIFEXITED(status));
    ptyterm_free(t);
    t = start(e);
    kill(ptyterm_pid(t), SIGHUP);
    if (!ptyterm_wait_exit(t, WAIT_MS, &status))
        fail_msg("still running after SIGHUP");
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_false(ptyterm_altscreen(t)); /* the terminal restored */
    ptyterm_free(t);
}

static void test_readonly_badge(void **state)
{
    struct env *e = *state;
    struct ptyterm *t = start_with(e, (char *[]){"-n", NS, "--readonly", NULL}, NULL);
    expect_text(t, "Freight for dev");
    expect_text(t, "[read-only]");
    int row;
    assert_true(ptyterm_find(t, "[read-only]", &row, NULL));
    assert_int_equal(row, 0);
    uienv_quit(t);
}

static void test_starts_in_the_context_namespace_and_writes_no_files(void **state)
{
    struct env *e = *state;
    /* a context whose namespace is a Kargo project opens that project */
    FILE *in = fopen(e->kubeconfig, "r");
    assert_non_null(in);
    char *path = xasprintf("%s/with-namespace", e->dir);
    FILE *out = fopen(path, "w");
    assert_non_null(out);
    char line[4096];
    bool done = false;
    while (fgets(line, sizeof line, in) != NULL) {
        fputs(line, out);
        if (!done && strcmp(line, "    user: admin\n") == 0) {
            fputs("    namespace: flask-app\n", out);
            done = true;
        }
    }
    fclose(in);
    fclose(out);
    assert_true(done);
    char *home = xasprintf("%s/home", e->dir);
    assert_int_equal(mkdir(home, 0700), 0);
    char *home_env = xasprintf("HOME=%s", home);
    char *argv[] = {KARGOTOP_BIN, "--kubeconfig", path, "--context", "admin", NULL};
    struct ptyterm *t = ptyterm_spawn(argv, (char *[]){home_env, NULL}, 45, 160);
    assert_non_null(t);
    expect_text(t, "project: flask-app");
    expect_text(t, "Freight for dev");
    ptyterm_send(t, ":project " NS "\r");
    expect_text(t, "project: " NS);
    uienv_quit(t);
    /* nothing remembered: the home directory is as empty as it was */
    DIR *d = opendir(home);
    assert_non_null(d);
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            fail_msg("kargotop wrote %s/%s", home, de->d_name);
    closedir(d);
    rmdir(home);
    unlink(path);
    free(home);
    free(home_env);
    free(path);
}

/* CPU seconds the process has used (user + system), from /proc. */
static double cpu_seconds(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* after the command name in parentheses: state is field 3, utime 14, stime 15 */
    const char *p = strrchr(buf, ')');
    assert_non_null(p);
    unsigned long utime = 0, stime = 0;
    assert_int_equal(
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime), 2);
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

/* Waits until the row holding text shows an age of at least min seconds ("12s ago"); returns it. */
static int wait_age(struct ptyterm *t, const char *text, int min)
{
    for (int i = 0; i < WAIT_MS / 50; i++) {
        for (int r = 0; r < 45; r++) {
            char *row = ptyterm_row(t, r);
            const char *ago = strstr(row, text) != NULL ? strstr(row, "s ago") : NULL;
            const char *d = ago;
            while (d != NULL && d > row && d[-1] >= '0' && d[-1] <= '9')
                d--;
            int age = d != NULL && d < ago ? atoi(d) : -1;
            free(row);
            if (age >= min && age >= 0)
                return age;
        }
        ptyterm_pump(t, 50);
    }
    ptyterm_dump(t, text);
    fail_msg("no age of %ds or more on the row of %s", min, text);
    return -1;
}

/* With `ages: relative` in the configuration, lists show "12s ago" and it counts up by itself. */
static void test_ages_tick_without_keys_and_idle_costs_nothing(void **state)
{
    struct env *e = *state;
    char *conf = xasprintf("%s/relative.yaml", e->dir);
    FILE *cf = fopen(conf, "w");
    assert_non_null(cf);
    fputs("ages: relative\n", cf);
    fclose(cf);
    struct ptyterm *t = start_with(e, (char *[]){"--config", conf, "-n", NS, NULL}, NULL);
    expect_text(t, "Freight for dev");
    expect_text(t, "\u25cf live");
    /* new Freight, as `kargo create freight` makes it: "just now", then its age counts up */
    const char *body = "{\"apiVersion\":\"" GV "\",\"kind\":\"Freight\","
                       "\"metadata\":{\"generateName\":\"e2e-\"},\"alias\":\"e2e-ticks\","
                       "\"origin\":{\"kind\":\"Warehouse\",\"name\":\"backstage\"},"
                       "\"images\":[{\"repoURL\":\"ghcr.io/craigedmunds/backstage\","
                       "\"tag\":\"9.9.9\",\"digest\":\"sha256:"
                       "00000000000000000000000000000000000000000000000000000000000000aa\"}]}";
    cJSON *fobj = cJSON_Parse(body);
    struct api_ref ref = {GV, "freights", NS, NULL};
    struct kube_error err = {0};
    cJSON *created = api_create(e->client, &ref, fobj, &err);
    if (created == NULL)
        fail_msg("create freight: %s", err.message);
    if (!wait_row(t, "e2e-ticks", "just now")) {
        ptyterm_dump(t, "new freight");
        fail();
    }
    int first = wait_age(t, "e2e-ticks", 0);
    /* and on, no key pressed (a loaded machine may skip a second, never stop) */
    int later = wait_age(t, "e2e-ticks", first + 3);
    assert_true(later >= first + 3);
    /* idle with ages on screen: a frame a second at most, never a busy loop */
    double before = cpu_seconds(ptyterm_pid(t));
    size_t bytes = ptyterm_bytes(t);
    ptyterm_pump(t, 3000); /* the observation window: a measurement, not a wait for a state */
    double used = cpu_seconds(ptyterm_pid(t)) - before;
    if (used > 0.6)
        fail_msg("%.2f s of CPU in 3 s idle", used);
    assert_true(ptyterm_bytes(t) > bytes); /* the ages did tick */
    cJSON_Delete(created);
    cJSON_Delete(fobj);
    kube_error_clear(&err);
    uienv_quit(t);
    unlink(conf);
    free(conf);
}

/* By default a list shows when a thing happened ("14:02" today), which reads the same all day:
 * an idle dashboard writes nothing and uses next to no CPU, and never shows an age gone stale. */
static void test_absolute_ages_idle_writes_nothing(void **state)
{
    struct env *e = *state;
    struct ptyterm *t = start(e);
    const char *body = "{\"apiVersion\":\"" GV "\",\"kind\":\"Freight\","
                       "\"metadata\":{\"generateName\":\"e2e-\"},\"alias\":\"e2e-clock\","
                       "\"origin\":{\"kind\":\"Warehouse\",\"name\":\"backstage\"},"
                       "\"images\":[{\"repoURL\":\"ghcr.io/craigedmunds/backstage\","
                       "\"tag\":\"9.9.8\",\"digest\":\"sha256:"
                       "00000000000000000000000000000000000000000000000000000000000000ab\"}]}";
    cJSON *fobj = cJSON_Parse(body);
    struct api_ref ref = {GV, "freights", NS, NULL};
    struct kube_error err = {0};
    cJSON *created = api_create(e->client, &ref, fobj, &err);
    if (created == NULL)
        fail_msg("create freight: %s", err.message);
    /* the local time the cluster created it, as a user's clock reads it */
    time_t at = 0;
    const char *stamp = json_get_string(created, "metadata", "creationTimestamp", NULL);
    assert_non_null(stamp);
    assert_int_equal(timefmt_parse_rfc3339(stamp, &at, NULL), 0);
    struct tm tm;
    char clock[16];
    strftime(clock, sizeof clock, "%H:%M", localtime_r(&at, &tm));
    if (!wait_row(t, "e2e-clock", clock)) {
        ptyterm_dump(t, clock);
        fail_msg("the new freight's row does not say %s", clock);
    }
    /* settled: from here nothing changes in the cluster, so nothing may reach the terminal */
    size_t bytes = ptyterm_bytes(t);
    for (;;) {
        ptyterm_pump(t, 500);
        if (ptyterm_bytes(t) == bytes)
            break;
        bytes = ptyterm_bytes(t);
    }
    double before = cpu_seconds(ptyterm_pid(t));
    ptyterm_pump(t, 3000); /* the observation window: a measurement, not a wait for a state */
    double used = cpu_seconds(ptyterm_pid(t)) - before;
    if (ptyterm_bytes(t) != bytes) {
        ptyterm_dump(t, "idle");
        fail_msg("%zu bytes written in 3 s idle", ptyterm_bytes(t) - bytes);
    }
    if (used > 0.3)
        fail_msg("%.2f s of CPU in 3 s idle", used);
    cJSON_Delete(created);
    cJSON_Delete(fobj);
    kube_error_clear(&err);
    uienv_quit(t);
}

static void test_watch_denied_polls_and_says_so(void **state)
{
    /* RBAC that grants list but not watch: the data comes by polling, and the top bar says so */
    struct env *e = *state;
    struct sim_faults f = {.deny_watch = true};
    sim_faults_set(e->sim, &f);
    struct ptyterm *t = start_with(e, (char *[]){"-n", NS, NULL}, NULL);
    expect_text(t, "Freight for dev");
    /* a pane's border may say it before the top bar does (the worst watch of all kinds) */
    bool top = false;
    for (int i = 0; i < WAIT_MS / 50 && !top; i++) {
        char *row = ptyterm_row(t, 0);
        top = row != NULL && strstr(row, "polling") != NULL;
        free(row);
        if (!top)
            ptyterm_pump(t, 50);
    }
    if (!top) {
        ptyterm_dump(t, "polling");
        fail_msg("the top bar never said polling");
    }
    assert_false(ptyterm_find(t, "\u25cf live", NULL, NULL));
    memset(&f, 0, sizeof f);
    sim_faults_set(e->sim, &f);
    uienv_quit(t);
}

static void expect_stale(struct ptyterm *t)
{
    /* the top bar says the watches are down (a pane's border may say it first: wait for the
     * bar itself); each pane says since when its data is old */
    bool top = false;
    for (int i = 0; i < WAIT_MS / 50 && !top; i++) {
        char *row = ptyterm_row(t, 0);
        top = row != NULL && strstr(row, "reconnecting in") != NULL;
        free(row);
        if (!top)
            ptyterm_pump(t, 50);
    }
    if (!top) {
        ptyterm_dump(t, "reconnecting in");
        fail_msg("the top bar never said reconnecting");
    }
    expect_text(t, "stale since");
    bool both = false;
    for (int i = 0; i < WAIT_MS / 50 && !both; i++) {
        char *screen = ptyterm_screen(t);
        size_t n = 0;
        for (const char *p = screen; (p = strstr(p, "stale since")) != NULL; p++)
            n++;
        free(screen);
        both = n >= 2; /* the pipeline and the freight pane */
        if (!both)
            ptyterm_pump(t, 50);
    }
    if (!both) {
        ptyterm_dump(t, "stale panes");
        fail();
    }
    assert_false(ptyterm_find(t, "\u25cf live", NULL, NULL));
    expect_text(t, "Freight for dev"); /* the data stays on screen, marked */
}

/* Last: it ends with the cluster stopped. */
static void test_outage_marks_stale_data_and_recovers(void **state)
{
    struct env *e = *state;
    /* watches end after a second, as API servers end them (after minutes), so that a failure
     * of the server shows at once */
    struct sim_faults f = {.watch_close_s = 1};
    sim_faults_set(e->sim, &f);
    struct ptyterm *t = start(e);
    assert_false(ptyterm_find(t, "stale since", NULL, NULL));
    /* the API server now fails every request */
    f.error500_pct = 100;
    sim_faults_set(e->sim, &f);
    expect_stale(t);
    /* it recovers: current again, the marks go (the next attempt may be a full backoff away,
     * at most 37.5 s) */
    f.error500_pct = 0;
    sim_faults_set(e->sim, &f);
    if (!ptyterm_wait_text(t, "\u25cf live", 3 * WAIT_MS)) {
        ptyterm_dump(t, "never live again");
        fail();
    }
    expect_gone(t, "stale since");
    expect_gone(t, "reconnecting in");
    /* the cluster goes away for good: stale again, and q still quits at once */
    sim_stop(e->sim);
    e->sim = NULL;
    expect_stale(t);
    uienv_quit(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_details_of_stage_freight_and_promotion),
        cmocka_unit_test(test_yaml_view_scrolls_and_searches),
        cmocka_unit_test(test_hold_shows_paused),
        /* after the hold test: the events report its promotion */
        cmocka_unit_test(test_events_feed_and_pane_keys),
        cmocka_unit_test(test_minimum_size_boxes_keep_step_and_age),
        cmocka_unit_test(test_every_command),
        cmocka_unit_test(test_exits_when_the_terminal_goes_away_while_watching),
        cmocka_unit_test(test_readonly_badge),
        cmocka_unit_test(test_starts_in_the_context_namespace_and_writes_no_files),
        cmocka_unit_test(test_ages_tick_without_keys_and_idle_costs_nothing),
        cmocka_unit_test(test_absolute_ages_idle_writes_nothing),
        cmocka_unit_test(test_watch_denied_polls_and_says_so),
        cmocka_unit_test(test_outage_marks_stale_data_and_recovers),
    };
    if (getenv("KT_TEST_FILTER") != NULL)
        cmocka_set_test_filter(getenv("KT_TEST_FILTER"));
    return cmocka_run_group_tests(tests, setup, teardown);
}
