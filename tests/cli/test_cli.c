/* The scriptable commands end to end: the real kargotop binary against the simulated Kargo cluster
 * running in this process (microsvcs, the seed with four services x three stages), with the
 * kubeconfig the sim writes. Each test asserts what a script sees (stdout, one-line stderr, exit
 * code) and reads the cluster back over HTTP to check what the command did. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kube/api.h"
#include "kube/kubeconfig.h"
#include "kubetest.h"
#include "output.h"
#include "proc.h"
#include "ptyterm.h"
#include "sim/kargo.h"
#include "sim/sim.h"
#include "sim/yaml.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "util/yamlout.h"

#define NS        "microsvcs"
#define GV        "kargo.akuity.io/v1alpha1"
#define RUN_MS    60000 /* generous: the machine is shared */
#define WAIT_MS   60000
#define MAX_ARGS  40
#define FAST_STEP 50
#define SLOW_STEP 600000

struct env {
    const char *project; /* -p of every command */
    struct sim *sim;
    struct kargo_options opt;
    struct kargo *k;
    char dir[64];
    char *kubeconfig;
    struct kube_config *cfg;
    struct kube_client *admin;
};

static struct env *env_start(int step_ms, bool large)
{
    struct env *e = xcalloc(1, sizeof *e);
    /* myapp for its Stages with verification (slow runs only: a verification to abort) */
    static const char *const fast[] = {"microsvcs", NULL};
    static const char *const slow[] = {"microsvcs", "myapp", NULL};
    /* 1/20 of the large scenario: 1,500 Promotions, three pages of the client's 500 */
    static const char *const pages[] = {"large", NULL};
    e->project = large ? "large" : NS;
    e->opt.speed = 1; /* the simulated clock is the real one: ages agree with the binary's */
    e->opt.step_ms = step_ms;
    e->opt.verify_ms = step_ms == SLOW_STEP ? SLOW_STEP : 100;
    e->opt.seed = 9;
    e->opt.scenarios = large ? pages : step_ms == SLOW_STEP ? slow : fast;
    e->opt.large_scale = large ? 0.05 : 0;
    struct sim_config cfg = {
        .tls = true, .seed = 9, .install = kargo_install, .install_ctx = &e->opt};
    char *cause = NULL;
    e->sim = sim_start(&cfg, &cause);
    if (e->sim == NULL)
        fail_msg("sim_start: %s", cause);
    e->k = e->opt.out;
    kargo_settle(e->k);
    snprintf(e->dir, sizeof e->dir, "/tmp/kt-cli-XXXXXX");
    assert_non_null(mkdtemp(e->dir));
    e->kubeconfig = xasprintf("%s/kubeconfig", e->dir);
    assert_int_equal(sim_write_kubeconfig(e->sim, e->kubeconfig, &cause), 0);
    struct kubeconfig_opts ko = {.kubeconfig = e->kubeconfig, .context = "admin"};
    e->cfg = kubeconfig_load(&ko, &cause);
    assert_non_null(e->cfg);
    e->admin = kube_client_new(e->cfg, &cause);
    assert_non_null(e->admin);
    return e;
}

static int setup_fast(void **state)
{
    *state = env_start(FAST_STEP, false);
    return 0;
}

static int setup_slow(void **state)
{
    *state = env_start(SLOW_STEP, false);
    return 0;
}

/* Many objects, none of them changing while the test runs. */
static int setup_large(void **state)
{
    *state = env_start(SLOW_STEP, true);
    return 0;
}

static int teardown(void **state)
{
    struct env *e = *state;
    kube_client_free(e->admin);
    kubeconfig_free(e->cfg);
    sim_stop(e->sim);
    char *cmd = xasprintf("rm -rf '%s'", e->dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(e->kubeconfig);
    free(e);
    return 0;
}

/* argv: kargotop --kubeconfig K --context CTX -p PROJECT <args...> */
static void run_as(struct env *e, const char *ctx, struct proc_result *r, char *const *args,
                   char *const *envv)
{
    char *argv[MAX_ARGS] = {KARGOTOP_BIN, "--kubeconfig", e->kubeconfig,     "--context",
                            (char *)ctx,  "-p",           (char *)e->project};
    size_t n = 7;
    for (size_t i = 0; args[i] != NULL; i++) {
        assert_true(n + 1 < MAX_ARGS);
        argv[n++] = args[i];
    }
    argv[n] = NULL;
    assert_int_equal(proc_run(argv, envv, RUN_MS, r), 0);
}
#define RUN(e, r, ...)         run_as(e, "admin", r, (char *[]){__VA_ARGS__, NULL}, NULL)
#define RUN_AS(e, ctx, r, ...) run_as(e, ctx, r, (char *[]){__VA_ARGS__, NULL}, NULL)

static void expect_status(const struct proc_result *r, int status)
{
    if (r->status != status)
        fail_msg("exit %d, expected %d\nstdout:\n%s\nstderr:\n%s", r->status, status, r->out,
                 r->err);
}

/* Errors are one line on stderr, starting "kargotop: ". */
static void expect_one_line_error(const struct proc_result *r, const char *needle)
{
    if (strncmp(r->err, "kargotop: ", 10) != 0 ||
        strchr(r->err, '\n') != r->err + strlen(r->err) - 1 || strstr(r->err, needle) == NULL)
        fail_msg("stderr is not one line mentioning \"%s\":\n%s", needle, r->err);
}

static cJSON *api_obj_in(struct env *e, const char *ns, const char *plural, const char *name)
{
    struct api_ref ref = {GV, plural, ns, name};
    struct kube_error err = {0};
    cJSON *o = api_get(e->admin, &ref, &err);
    if (o == NULL)
        fail_msg("GET %s/%s: %s", plural, name, err.message);
    return o;
}

static cJSON *api_obj(struct env *e, const char *plural, const char *name)
{
    return api_obj_in(e, NS, plural, name);
}

static cJSON *api_items(struct env *e, const char *plural)
{
    struct api_ref ref = {GV, plural, e->project, NULL};
    struct kube_error err = {0};
    cJSON *l = api_list(e->admin, &ref, NULL, NULL, &err);
    if (l == NULL)
        fail_msg("LIST %s: %s", plural, err.message);
    return l;
}

static int count_items(struct env *e, const char *plural)
{
    cJSON *l = api_items(e, plural);
    int n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(l, "items"));
    cJSON_Delete(l);
    return n;
}

/* The name of the Freight of origin warehouse at freightHistory[index] of stage (allocated). */
static char *freight_at(struct env *e, const char *stage, const char *warehouse, int index)
{
    cJSON *s = api_obj(e, "stages", stage);
    char *key = xasprintf("Warehouse/%s", warehouse);
    const char *f = json_get_string(
        cJSON_GetArrayItem(json_get(s, "status", "freightHistory", (char *)NULL), index), "items",
        key, "name", (char *)NULL);
    char *copy = f ? xstrdup(f) : NULL;
    free(key);
    cJSON_Delete(s);
    return copy;
}

static char *alias_of(struct env *e, const char *freight)
{
    cJSON *f = api_obj(e, "freights", freight);
    char *a = xstrdup(json_get_string(f, "alias", (char *)NULL));
    cJSON_Delete(f);
    return a;
}

/* The Promotion name at the end of "promotion.kargo.akuity.io/NAME <state>" (allocated). */
static char *promotion_in(const char *out)
{
    const char *p = strstr(out, "promotion.kargo.akuity.io/");
    if (p == NULL)
        fail_msg("no promotion named in: %s", out);
    p += strlen("promotion.kargo.akuity.io/");
    size_t n = strcspn(p, " \n");
    char *name = xmalloc(n + 1);
    memcpy(name, p, n);
    name[n] = '\0';
    return name;
}

/* Every line of text with its last blank-separated field (AGE) cut: kubectl and kargotop read
 * the clock at different instants. */
static char *without_age(const char *text)
{
    struct strbuf sb;
    strbuf_init(&sb);
    for (const char *line = text; *line != '\0';) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        size_t cut = len;
        while (cut > 0 && line[cut - 1] != ' ')
            cut--;
        while (cut > 0 && line[cut - 1] == ' ')
            cut--;
        strbuf_append_len(&sb, line, cut);
        strbuf_append_char(&sb, '\n');
        line += len + (end ? 1 : 0);
    }
    return strbuf_detach(&sb);
}

/* ---- get -------------------------------------------------------------------------------- */

/* Where kargotop and kubectl show the same printer columns, the tables are the same. */
static void test_get_tables_match_kubectl(void **state)
{
    struct env *e = *state;
    if (system("command -v kubectl >/dev/null 2>&1") != 0)
        skip();
    static const char *const kinds[] = {"stages", "warehouses", "promotions", "projects"};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        struct proc_result ours, theirs;
        RUN(e, &ours, "get", (char *)kinds[i]);
        expect_status(&ours, 0);
        char *kind =
            strcmp(kinds[i], "projects") == 0 ? "projects.kargo.akuity.io" : (char *)kinds[i];
        char *cache = xasprintf("--cache-dir=%s/kubectl-cache", e->dir);
        char *argv[] = {"kubectl", "--kubeconfig", e->kubeconfig, cache, "-n",
                        NS,        "get",          kind,          NULL};
        assert_int_equal(proc_run(argv, NULL, RUN_MS, &theirs), 0);
        if (theirs.status != 0)
            fail_msg("kubectl get %s: exit %d: %s", kind, theirs.status, theirs.err);
        char *a = without_age(ours.out), *b = without_age(theirs.out);
        /* promotions: kubectl sorts by name, kargotop newest first; compare as sets of lines */
        if (strcmp(kinds[i], "promotions") == 0) {
            for (char *line = strtok(b, "\n"); line != NULL; line = strtok(NULL, "\n"))
                if (strstr(a, line) == NULL)
                    fail_msg("kubectl's line not in ours:\n%s\nours:\n%s", line, a);
        } else if (strcmp(a, b) != 0) {
            fail_msg("get %s differs from kubectl:\nours:\n%s\nkubectl:\n%s", kinds[i], ours.out,
                     theirs.out);
        }
        assert_string_equal(ours.err, "");
        free(a);
        free(b);
        free(cache);
        proc_result_free(&ours);
        proc_result_free(&theirs);
    }
}

/* -o json is the API's objects, newest Freight first (the seed's `.items[0]`), and parses back;
 * -o yaml reads back to the same tree. */
static void test_get_freight_json_and_yaml_round_trip(void **state)
{
    struct env *e = *state;
    struct proc_result r, y;
    RUN(e, &r, "get", "freight", "-o", "json");
    expect_status(&r, 0);
    cJSON *doc = cJSON_Parse(r.out);
    assert_non_null(doc);
    /* streamed item by item, yet byte for byte the List the formatter prints whole */
    struct strbuf whole;
    strbuf_init(&whole);
    out_json(doc, &whole);
    assert_string_equal(r.out, whole.buf);
    strbuf_free(&whole);
    assert_string_equal(json_get_string(doc, "kind", (char *)NULL), "List");
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(doc, "items");
    assert_int_equal(cJSON_GetArraySize(items), count_items(e, "freights"));
    const char *prev = NULL;
    const cJSON *item;
    cJSON_ArrayForEach(item, items)
    {
        const char *name = json_get_string(item, "metadata", "name", (char *)NULL);
        cJSON *live = api_obj(e, "freights", name);
        assert_true(cJSON_Compare(item, live, 1));
        cJSON_Delete(live);
        const char *at = json_get_string(item, "discoveredAt", (char *)NULL);
        assert_non_null(at);
        if (prev != NULL && strcmp(prev, at) < 0)
            fail_msg("Freight not newest first: %s before %s", prev, at);
        prev = at;
    }

    RUN(e, &y, "get", "freight", "-o", "yaml");
    expect_status(&y, 0);
    char *cause = NULL;
    cJSON *back = sim_yaml_parse(y.out, strlen(y.out), "stdout", NULL, &cause);
    if (back == NULL)
        fail_msg("yaml does not parse: %s", cause);
    /* one document: the List; sim_yaml_parse returns an array of documents */
    const cJSON *first = cJSON_IsArray(back) ? cJSON_GetArrayItem(back, 0) : back;
    assert_true(cJSON_Compare(first, doc, 1));
    cJSON_Delete(back);
    cJSON_Delete(doc);
    proc_result_free(&r);
    proc_result_free(&y);

    /* nothing selected: an empty List */
    RUN(e, &r, "get", "promotions", "--stage", "no-such-stage", "-o", "json");
    expect_status(&r, 0);
    assert_string_equal(r.out, "{\n    \"apiVersion\": \"v1\",\n    \"items\": [],\n    \"kind\": "
                               "\"List\",\n    \"metadata\": {\n        \"resourceVersion\": "
                               "\"\"\n    }\n}\n");
    proc_result_free(&r);

    /* one name: the object itself, as kubectl */
    RUN(e, &r, "get", "stage", "red-production", "-o", "json");
    expect_status(&r, 0);
    doc = cJSON_Parse(r.out);
    cJSON *live = api_obj(e, "stages", "red-production");
    assert_true(cJSON_Compare(doc, live, 1));
    cJSON_Delete(live);
    cJSON_Delete(doc);
    proc_result_free(&r);
}

/* Listed over several pages, -o json and -o yaml are still, byte for byte, the List the
 * formatters print whole; a block scalar that keeps its trailing line breaks ends the YAML
 * document with "...", as libyaml ends the whole List. */
static void test_get_pages_stream_like_the_whole_list(void **state)
{
    struct env *e = *state;
    int n = count_items(e, "promotions");
    assert_true(n > 1000);
    cJSON *l = api_items(e, "promotions");
    char *marked = xstrdup(
        json_get_string(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(l, "items"), n / 2),
                        "metadata", "name", (char *)NULL));
    cJSON_Delete(l);
    struct api_ref ref = {GV, "promotions", e->project, marked};
    struct kube_error err = {0};
    cJSON *patched = api_merge_patch(
        e->admin, &ref, NULL,
        "{\"metadata\":{\"annotations\":{\"note\":\"kept\\n\\n\",\"rtl\":\"a\\u202eb\"}}}", &err);
    if (patched == NULL)
        fail_msg("PATCH %s: %s", marked, err.message);
    cJSON_Delete(patched);

    struct proc_result r, y;
    RUN(e, &r, "get", "promotions", "-o", "json");
    expect_status(&r, 0);
    cJSON *doc = cJSON_Parse(r.out);
    assert_non_null(doc);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "items")), n);
    struct strbuf whole;
    strbuf_init(&whole);
    out_json(doc, &whole);
    assert_string_equal(r.out, whole.buf);

    RUN(e, &y, "get", "promotions", "-o", "yaml");
    expect_status(&y, 0);
    strbuf_reset(&whole);
    assert_int_equal(yamlout_write(doc, &whole, NULL), 0);
    if (strcmp(y.out, whole.buf) != 0)
        fail_msg("-o yaml (%zu bytes) is not the List written whole (%zu bytes)", strlen(y.out),
                 whole.len);
    assert_non_null(strstr(y.out, "\n      note: |+\n        kept\n\n"));
    assert_string_equal(y.out + strlen(y.out) - 4, "...\n");
    assert_string_equal(y.err, "");
    proc_result_free(&y);

    /* one NAME: the object alone, as kubectl prints it */
    RUN(e, &y, "get", "promotion", marked, "-o", "yaml");
    expect_status(&y, 0);
    const cJSON *item;
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(doc, "items"))
    {
        if (strcmp(json_get_string(item, "metadata", "name", (char *)NULL), marked) != 0)
            continue;
        strbuf_reset(&whole);
        assert_int_equal(yamlout_write(item, &whole, NULL), 0);
        assert_string_equal(y.out, whole.buf);
    }
    assert_non_null(strstr(y.out, "rtl: \"a\\u202Eb\"\n"));
    strbuf_free(&whole);
    cJSON_Delete(doc);
    free(marked);
    proc_result_free(&r);
    proc_result_free(&y);
}

static void test_get_filters_and_names(void **state)
{
    struct env *e = *state;
    struct proc_result r;

    /* --warehouse: only that origin, every one of them */
    RUN(e, &r, "get", "freight", "--warehouse", "red-dev", "-o", "name");
    expect_status(&r, 0);
    cJSON *l = api_items(e, "freights");
    int want = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(l, "items"))
    {
        bool red = strcmp(json_get_string(item, "origin", "name", (char *)NULL), "red-dev") == 0;
        char *line = xasprintf("freight.kargo.akuity.io/%s\n",
                               json_get_string(item, "metadata", "name", (char *)NULL));
        assert_int_equal(strstr(r.out, line) != NULL, red);
        want += red;
        free(line);
    }
    cJSON_Delete(l);
    int lines = 0;
    for (const char *p = r.out; (p = strchr(p, '\n')) != NULL; p++)
        lines++;
    assert_int_equal(lines, want);
    proc_result_free(&r);

    /* --stage: current and previous Freight of the Stage (the seed's rollback listing) */
    char *cur = freight_at(e, "red-production", "red-releases", 0);
    RUN(e, &r, "get", "freight", "--stage", "red-production");
    expect_status(&r, 0);
    assert_true(strncmp(r.out, "NAME", 4) == 0);
    char *line = strstr(r.out, cur);
    assert_non_null(line);
    assert_non_null(strstr(line, "current\n"));
    assert_non_null(strstr(r.out, "previous\n"));
    assert_null(strstr(r.out, "Warehouse/red-dev ")); /* production takes only releases */
    proc_result_free(&r);

    /* --alias, and a Freight named by its alias */
    char *alias = alias_of(e, cur);
    RUN(e, &r, "get", "freight", alias, "-o", "name");
    expect_status(&r, 0);
    char *expect = xasprintf("freight.kargo.akuity.io/%s\n", cur);
    assert_string_equal(r.out, expect);
    proc_result_free(&r);
    RUN(e, &r, "get", "freight", "--alias", alias, "--no-headers");
    expect_status(&r, 0);
    assert_true(strncmp(r.out, cur, strlen(cur)) == 0);
    assert_ptr_equal(strchr(r.out, '\n'), r.out + strlen(r.out) - 1); /* one row, no header */
    proc_result_free(&r);

    /* --warehouse on stages: the Stages it feeds */
    RUN(e, &r, "get", "stages", "--warehouse", "green-releases", "-o", "name");
    expect_status(&r, 0);
    assert_string_equal(r.out, "stage.kargo.akuity.io/green-production\n"
                               "stage.kargo.akuity.io/green-staging\n");
    proc_result_free(&r);

    /* --stage on promotions; a name that is not there: exit 1, the rest still printed */
    RUN(e, &r, "get", "promotions", "--stage", "blue-staging", "-o", "name");
    expect_status(&r, 0);
    assert_non_null(strstr(r.out, "promotion.kargo.akuity.io/blue-staging."));
    assert_null(strstr(r.out, "red-"));
    proc_result_free(&r);
    RUN(e, &r, "get", "stages", "red-staging", "nope");
    expect_status(&r, 1);
    assert_non_null(strstr(r.out, "red-staging"));
    expect_one_line_error(&r, "Stage \"nope\" not found in project \"microsvcs\"");
    proc_result_free(&r);
    free(expect);
    free(alias);
    free(cur);
}

/* -o wide adds what the model derives: phase, current alias, auto-promotion; artifacts and
 * where a Freight is. */
static void test_get_wide(void **state)
{
    struct env *e = *state;
    struct proc_result r;
    RUN(e, &r, "get", "stages", "-o", "wide");
    expect_status(&r, 0);
    assert_non_null(strstr(r.out, "PHASE"));
    assert_non_null(strstr(r.out, "AUTO-PROMOTION"));
    char *cur = freight_at(e, "red-production", "red-releases", 0);
    char *alias = alias_of(e, cur);
    const char *row = strstr(r.out, "\nred-production ");
    assert_non_null(row);
    const char *end = strchr(row + 1, '\n');
    char *line = xasprintf("%.*s", (int)(end - row), row);
    assert_non_null(strstr(line, alias));
    assert_non_null(strstr(line, "Ready"));
    assert_non_null(strstr(line, " off")); /* production is promoted by hand */
    free(line);
    proc_result_free(&r);

    RUN(e, &r, "get", "freight", cur, "-o", "wide");
    expect_status(&r, 0);
    assert_non_null(strstr(r.out, "quay.io/davidaparicio/red:"));
    assert_non_null(strstr(r.out, "red-production"));
    proc_result_free(&r);
    free(alias);
    free(cur);
}

/* Control characters in cluster data never reach stdout; no colour without a terminal. */
static void test_get_output_is_safe_and_plain(void **state)
{
    struct env *e = *state;
    char *path = xasprintf("%s/evil.yaml", e->dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("apiVersion: kargo.akuity.io/v1alpha1\nkind: Warehouse\nmetadata:\n  name: evil\n"
          "  namespace: microsvcs\nspec:\n  shard: \"a\\e]52;c;aGk=\\ab\\e[2J\"\n"
          "  subscriptions:\n  - image:\n      repoURL: quay.io/x/evil\n",
          f);
    fclose(f);
    char *cause = NULL;
    if (sim_load_file(e->sim, path, &cause) < 0)
        fail_msg("load: %s", cause);
    struct proc_result r;
    RUN(e, &r, "get", "warehouses");
    expect_status(&r, 0);
    assert_null(strchr(r.out, '\033'));
    assert_null(strchr(r.out, '\a'));
    assert_non_null(strstr(r.out, "evil"));
    assert_non_null(strstr(r.out, "\xe2\x90\x9b]52;c;aGk=")); /* U+241B ESC picture */
    proc_result_free(&r);
    RUN(e, &r, "get", "warehouses", "evil", "-o", "json");
    expect_status(&r, 0);
    assert_null(strchr(r.out, '\033'));
    cJSON *doc = cJSON_Parse(r.out);
    assert_string_equal(json_get_string(doc, "spec", "shard", (char *)NULL),
                        "a\033]52;c;aGk=\ab\033[2J");
    cJSON_Delete(doc);
    proc_result_free(&r);
    RUN(e, &r, "get", "stages");
    assert_null(strchr(r.out, '\033')); /* not a terminal: no colour */
    proc_result_free(&r);
    free(path);
}

/* On a terminal the status words are coloured, unless NO_COLOR says otherwise. */
static void test_get_colour_on_a_terminal_only_without_no_color(void **state)
{
    struct env *e = *state;
    for (int no_colour = 0; no_colour <= 1; no_colour++) {
        char *argv[] = {KARGOTOP_BIN, "--kubeconfig", e->kubeconfig, "-p",
                        NS,           "get",          "stages",      NULL};
        char *env[] = {no_colour ? "NO_COLOR=1" : "KT_UNUSED=1", NULL};
        struct ptyterm *t = ptyterm_spawn(argv, env, 30, 200);
        assert_non_null(t);
        if (!ptyterm_wait_text(t, "yellow-staging", WAIT_MS)) {
            ptyterm_dump(t, "no table");
            fail();
        }
        int row, col;
        assert_true(ptyterm_find(t, "Healthy", &row, &col));
        VTermScreenCell cell;
        assert_true(ptyterm_cell(t, row, col, &cell));
        if (no_colour)
            assert_true(VTERM_COLOR_IS_DEFAULT_FG(&cell.fg));
        else
            assert_false(VTERM_COLOR_IS_DEFAULT_FG(&cell.fg));
        int status;
        assert_true(ptyterm_wait_exit(t, WAIT_MS, &status));
        assert_int_equal(status, 0);
        ptyterm_free(t);
    }
}

/* ---- watch ------------------------------------------------------------------------------ */

struct child {
    pid_t pid;
    int fd;
    struct strbuf out;
};

static void child_start(struct child *ch, char *const argv[])
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    strbuf_init(&ch->out);
    ch->pid = fork();
    assert_true(ch->pid >= 0);
    if (ch->pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        execv(argv[0], argv);
        _exit(127);
    }
    close(p[1]);
    ch->fd = p[0];
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* True when a line of buf from offset from on contains both a and b. */
static bool line_with(const char *buf, size_t from, const char *a, const char *b)
{
    for (const char *line = buf + from; *line != '\0';) {
        const char *end = strchr(line, '\n');
        if (end == NULL)
            return false; /* an incomplete line: wait for the rest */
        const char *pa = strstr(line, a), *pb = strstr(line, b);
        if (pa != NULL && pa < end && pb != NULL && pb < end)
            return true;
        line = end + 1;
    }
    return false;
}

/* Reads until a complete line after offset from contains a and b (true), or the deadline. */
static bool child_wait_line(struct child *ch, size_t from, const char *a, const char *b, int ms)
{
    long long deadline = now_ms() + ms;
    while (!line_with(ch->out.buf, from, a, b)) {
        long long left = deadline - now_ms();
        if (left <= 0)
            return false;
        struct pollfd pfd = {ch->fd, POLLIN, 0};
        if (poll(&pfd, 1, (int)left) <= 0)
            continue;
        char buf[4096];
        ssize_t n = read(ch->fd, buf, sizeof buf);
        if (n <= 0)
            return line_with(ch->out.buf, from, a, b);
        strbuf_append_len(&ch->out, buf, (size_t)n);
    }
    return true;
}

static bool child_wait_for(struct child *ch, const char *needle, int ms)
{
    return child_wait_line(ch, 0, needle, "", ms);
}

static int child_stop(struct child *ch)
{
    kill(ch->pid, SIGTERM);
    int status = -1;
    long long deadline = now_ms() + WAIT_MS;
    while (waitpid(ch->pid, &status, WNOHANG) == 0) {
        if (now_ms() > deadline) {
            kill(ch->pid, SIGKILL);
            waitpid(ch->pid, &status, 0);
            break;
        }
        struct pollfd pfd = {ch->fd, POLLIN, 0};
        if (poll(&pfd, 1, 100) > 0) {
            char buf[4096];
            ssize_t n = read(ch->fd, buf, sizeof buf);
            if (n > 0)
                strbuf_append_len(&ch->out, buf, (size_t)n);
        }
    }
    close(ch->fd);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* `get promotions -w` prints the table, then a row for each change, until told to stop. */
static void test_get_watch_streams_changes(void **state)
{
    struct env *e = *state;
    char *argv[] = {KARGOTOP_BIN, "--kubeconfig", e->kubeconfig,     "-p", NS,  "get",
                    "promotions", "--stage",      "blue-production", "-w", NULL};
    struct child ch;
    child_start(&ch, argv);
    assert_true(child_wait_for(&ch, "NAME ", WAIT_MS));
    assert_true(child_wait_for(&ch, "blue-production.", WAIT_MS));
    size_t before = ch.out.len;

    struct proc_result r;
    RUN(e, &r, "promote", "--stage", "blue-production");
    expect_status(&r, 0);
    char *name = promotion_in(r.out);
    proc_result_free(&r);
    /* the new Promotion's rows follow, without a second header, until it Succeeded */
    if (!child_wait_line(&ch, before, name, " Succeeded ", WAIT_MS)) {
        child_stop(&ch);
        fail_msg("the watch did not show %s Succeeded:\n%s", name, ch.out.buf);
    }
    assert_null(strstr(ch.out.buf + before, "NAME "));
    assert_int_equal(child_stop(&ch), 0);
    strbuf_free(&ch.out);
    free(name);
}

/* ---- promote, rollback, approve, refresh, verify, abort ---------------------------------- */

/* The seed's batch: `for service in red blue green yellow; do promote --stage $s-production`. */
static void test_promote_all_services_to_production(void **state)
{
    struct env *e = *state;
    static const char *const services[] = {"red", "blue", "green", "yellow"};
    for (size_t i = 0; i < 4; i++) {
        char *stage = xasprintf("%s-production", services[i]);
        char *from = xasprintf("%s-staging", services[i]);
        char *wh = xasprintf("%s-releases", services[i]);
        /* what auto-promotion would pick is what staging has verified; wait for staging to
         * settle first (green's staging is mid-promotion in the scenario) */
        struct proc_result r;
        RUN(e, &r, "promote", "--stage", stage, "--wait", "--timeout", "1m");
        expect_status(&r, 0);
        char *name = promotion_in(r.out);
        assert_non_null(strstr(r.out, " Succeeded\n"));
        cJSON *p = api_obj(e, "promotions", name);
        assert_string_equal(json_get_string(p, "spec", "stage", (char *)NULL), stage);
        assert_string_equal(json_get_string(p, "status", "phase", (char *)NULL), "Succeeded");
        char *now_in = freight_at(e, stage, wh, 0);
        assert_string_equal(json_get_string(p, "spec", "freight", (char *)NULL), now_in);
        cJSON_Delete(p);
        free(now_in);
        free(name);
        free(stage);
        free(from);
        free(wh);
        proc_result_free(&r);
    }
}

static void test_promote_named_freight_and_roll_back(void **state)
{
    struct env *e = *state;
    char *cur = freight_at(e, "red-production", "red-releases", 0);
    char *staging = freight_at(e, "red-staging", "red-releases", 0);
    assert_string_not_equal(cur, staging);
    char *alias = alias_of(e, staging);

    struct proc_result r;
    RUN(e, &r, "promote", "--stage", "red-production", "--freight-alias", alias, "--wait", "-o",
        "name");
    expect_status(&r, 0);
    assert_true(strncmp(r.out, "promotion.kargo.akuity.io/red-production.", 41) == 0);
    assert_null(strchr(r.out, ' '));
    char *now_in = freight_at(e, "red-production", "red-releases", 0);
    assert_string_equal(now_in, staging);
    free(now_in);
    proc_result_free(&r);

    /* roll back production: the previous Freight (what was current before) */
    RUN(e, &r, "rollback", "--stage", "red-production", "--wait");
    expect_status(&r, 0);
    assert_non_null(strstr(r.out, " Succeeded\n"));
    now_in = freight_at(e, "red-production", "red-releases", 0);
    assert_string_equal(now_in, cur);
    free(now_in);
    proc_result_free(&r);

    /* --to by alias */
    RUN(e, &r, "rollback", "--stage", "red-production", "--to", alias, "--wait");
    expect_status(&r, 0);
    now_in = freight_at(e, "red-production", "red-releases", 0);
    assert_string_equal(now_in, staging);
    free(now_in);
    proc_result_free(&r);
    free(alias);
    free(staging);
    free(cur);
}

/* --wait exits 1 when the Promotion fails (the scenario's failure annotation on the Freight). */
static void test_promote_wait_fails_with_exit_1(void **state)
{
    struct env *e = *state;
    char *staging = freight_at(e, "blue-staging", "blue-releases", 0);
    struct api_ref ref = {GV, "freights", NS, staging};
    struct kube_error err = {0};
    cJSON *o = api_merge_patch(e->admin, &ref, NULL,
                               "{\"metadata\":{\"annotations\":{\"sim.kargotop.io/"
                               "promotion-fails\":\"blue-production@2\"}}}",
                               &err);
    assert_non_null(o);
    cJSON_Delete(o);
    struct proc_result r;
    RUN(e, &r, "promote", "--stage", "blue-production", "--freight", staging, "--wait");
    expect_status(&r, 1);
    assert_non_null(strstr(r.out, " Failed\n"));
    expect_one_line_error(&r, "Failed");
    char *name = promotion_in(r.out);
    cJSON *p = api_obj(e, "promotions", name);
    assert_string_equal(json_get_string(p, "status", "phase", (char *)NULL), "Failed");
    cJSON_Delete(p);
    free(name);
    proc_result_free(&r);
    free(staging);
}

static void test_promote_downstream_and_warehouse(void **state)
{
    struct env *e = *state;
    int before = count_items(e, "promotions");
    char *staging = freight_at(e, "yellow-staging", "yellow-releases", 0);
    struct proc_result r;
    RUN(e, &r, "promote", "--downstream-from", "yellow-staging", "--freight", staging, "--wait");
    expect_status(&r, 0);
    assert_non_null(strstr(r.out, "promotion.kargo.akuity.io/yellow-production."));
    char *now_in = freight_at(e, "yellow-production", "yellow-releases", 0);
    assert_string_equal(now_in, staging);
    free(now_in);
    proc_result_free(&r);
    assert_int_equal(count_items(e, "promotions"), before + 1);

    RUN(e, &r, "promote", "--stage", "yellow-development", "--warehouse", "yellow-dev", "-o",
        "json");
    expect_status(&r, 0);
    cJSON *p = cJSON_Parse(r.out);
    assert_non_null(p);
    assert_string_equal(json_get_string(p, "kind", (char *)NULL), "Promotion");
    assert_string_equal(json_get_string(p, "spec", "stage", (char *)NULL), "yellow-development");
    assert_non_null(json_get_string(p, "spec", "freight", (char *)NULL));
    cJSON_Delete(p);
    proc_result_free(&r);
    free(staging);
}

/* A Freight the Warehouse just found (created here as the Warehouse would) is not available to
 * production until someone approves it there; the promoter role may approve and promote. */
static void test_approve_then_promote_as_promoter(void **state)
{
    struct env *e = *state;
    struct api_ref ref = {GV, "freights", NS, NULL};
    struct kube_error err = {0};
    cJSON *body = cJSON_Parse(
        "{\"apiVersion\":\"kargo.akuity.io/v1alpha1\",\"kind\":\"Freight\",\"metadata\":"
        "{\"name\":\"pending\",\"namespace\":\"" NS "\"},\"origin\":{\"kind\":\"Warehouse\","
        "\"name\":\"red-releases\"},\"images\":[{\"repoURL\":\"quay.io/davidaparicio/red\","
        "\"tag\":\"9.9.9\",\"digest\":\"sha256:"
        "9999999999999999999999999999999999999999999999999999999999999999\"}]}");
    cJSON *created = api_create(e->admin, &ref, body, &err);
    if (created == NULL)
        fail_msg("create Freight: %s", err.message);
    char *fresh = xstrdup(json_get_string(created, "metadata", "name", (char *)NULL));
    cJSON_Delete(created);
    cJSON_Delete(body);

    struct proc_result r;
    RUN_AS(e, "promoter", &r, "promote", "--stage", "red-production", "--freight", fresh);
    expect_status(&r, 1);
    expect_one_line_error(&r, "not available");
    assert_string_equal(r.out, "");
    proc_result_free(&r);
    RUN_AS(e, "promoter", &r, "approve", "--freight", fresh, "--stage", "red-production");
    expect_status(&r, 0);
    char *expect = xasprintf("freight.kargo.akuity.io/%s approved for red-production\n", fresh);
    assert_string_equal(r.out, expect);
    proc_result_free(&r);
    cJSON *f = api_obj(e, "freights", fresh);
    assert_non_null(json_get(f, "status", "approvedFor", "red-production", (char *)NULL));
    cJSON_Delete(f);
    RUN_AS(e, "promoter", &r, "promote", "--stage", "red-production", "--freight", fresh, "--wait");
    expect_status(&r, 0);
    assert_non_null(strstr(r.out, " Succeeded\n"));
    proc_result_free(&r);
    char *now_in = freight_at(e, "red-production", "red-releases", 0);
    assert_string_equal(now_in, fresh);
    free(now_in);
    free(expect);
    free(fresh);
}

/* The id of the newest verification of the Stage's current Freight (allocated), or NULL. */
static char *verification_id(struct env *e, const char *stage)
{
    cJSON *s = api_obj(e, "stages", stage);
    const cJSON *h = cJSON_GetArrayItem(json_get(s, "status", "freightHistory", (char *)NULL), 0);
    const char *id = json_get_string(
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(h, "verificationHistory"), 0), "id",
        (char *)NULL);
    char *copy = id ? xstrdup(id) : NULL;
    cJSON_Delete(s);
    return copy;
}

static void test_refresh_and_verify(void **state)
{
    struct env *e = *state;
    struct proc_result r;
    RUN(e, &r, "refresh", "stage", "green-staging", "--wait");
    expect_status(&r, 0);
    assert_string_equal(r.out, "stage.kargo.akuity.io/green-staging refreshed\n");
    proc_result_free(&r);
    cJSON *s = api_obj(e, "stages", "green-staging");
    const char *token =
        json_get_string(s, "metadata", "annotations", "kargo.akuity.io/refresh", (char *)NULL);
    assert_non_null(token);
    assert_string_equal(token, json_get_string(s, "status", "lastHandledRefresh", (char *)NULL));
    cJSON_Delete(s);

    RUN(e, &r, "refresh", "warehouse", "green-dev");
    expect_status(&r, 0);
    assert_string_equal(r.out, "warehouse.kargo.akuity.io/green-dev refresh requested\n");
    proc_result_free(&r);
    cJSON *w = api_obj(e, "warehouses", "green-dev");
    assert_non_null(
        json_get_string(w, "metadata", "annotations", "kargo.akuity.io/refresh", (char *)NULL));
    cJSON_Delete(w);

    char *before = verification_id(e, "blue-development");
    assert_non_null(before);
    RUN(e, &r, "verify", "stage", "blue-development");
    expect_status(&r, 0);
    assert_string_equal(r.out, "stage.kargo.akuity.io/blue-development verification requested\n");
    proc_result_free(&r);
    /* the controller runs a new verification of the same Freight */
    long long deadline = now_ms() + WAIT_MS;
    char *after = verification_id(e, "blue-development");
    while (after != NULL && strcmp(after, before) == 0 && now_ms() < deadline) {
        free(after);
        struct timespec pause = {0, 50 * 1000000L};
        nanosleep(&pause, NULL);
        after = verification_id(e, "blue-development");
    }
    assert_non_null(after);
    assert_string_not_equal(after, before);
    free(after);
    free(before);

    RUN(e, &r, "refresh", "stage", "no-such-stage");
    expect_status(&r, 1);
    expect_one_line_error(&r, "no-such-stage");
    proc_result_free(&r);
}

/* A Promotion that stays Running (slow steps) is aborted by name. */
static void test_abort_promotion(void **state)
{
    struct env *e = *state;
    struct proc_result r;
    RUN(e, &r, "promote", "--stage", "blue-production");
    expect_status(&r, 0);
    char *name = promotion_in(r.out);
    proc_result_free(&r);
    RUN(e, &r, "promote", "--abort", "--name", name);
    expect_status(&r, 0);
    char *expect = xasprintf("promotion.kargo.akuity.io/%s abort requested\n", name);
    assert_string_equal(r.out, expect);
    proc_result_free(&r);
    cJSON *p = api_obj(e, "promotions", name);
    assert_non_null(
        json_get_string(p, "metadata", "annotations", "kargo.akuity.io/abort", (char *)NULL));
    cJSON_Delete(p);
    kargo_settle(e->k);
    p = api_obj(e, "promotions", name);
    assert_string_equal(json_get_string(p, "status", "phase", (char *)NULL), "Aborted");
    cJSON_Delete(p);
    free(expect);
    free(name);

    /* --wait gives up at --timeout with exit 1, saying where the Promotion was */
    RUN(e, &r, "promote", "--stage", "green-production", "--wait", "--timeout", "1s");
    expect_status(&r, 1);
    expect_one_line_error(&r, "timed out after 1s waiting for Promotion");
    proc_result_free(&r);

    /* a verification that runs (slowly) is aborted: myapp's dev verifies */
    RUN(e, &r, "-p", "myapp", "verify", "stage", "dev");
    expect_status(&r, 0);
    proc_result_free(&r);
    kargo_settle(e->k);
    cJSON *s = api_obj_in(e, "myapp", "stages", "dev");
    const cJSON *v = cJSON_GetArrayItem(
        json_get(cJSON_GetArrayItem(json_get(s, "status", "freightHistory", (char *)NULL), 0),
                 "verificationHistory", (char *)NULL),
        0);
    char *id = xstrdup(json_get_string(v, "id", (char *)NULL));
    assert_string_not_equal(json_get_string(v, "phase", (char *)NULL), "Successful");
    cJSON_Delete(s);
    RUN(e, &r, "-p", "myapp", "verify", "stage", "dev", "--abort");
    expect_status(&r, 0);
    assert_string_equal(r.out, "stage.kargo.akuity.io/dev verification abort requested\n");
    proc_result_free(&r);
    kargo_settle(e->k);
    s = api_obj_in(e, "myapp", "stages", "dev");
    v = cJSON_GetArrayItem(
        json_get(cJSON_GetArrayItem(json_get(s, "status", "freightHistory", (char *)NULL), 0),
                 "verificationHistory", (char *)NULL),
        0);
    assert_string_equal(json_get_string(v, "id", (char *)NULL), id);
    assert_string_equal(json_get_string(v, "phase", (char *)NULL), "Aborted");
    cJSON_Delete(s);
    free(id);
}

/* ---- refusals and exit codes ------------------------------------------------------------ */

static void test_viewer_and_readonly_are_refused_and_nothing_is_created(void **state)
{
    struct env *e = *state;
    int before = count_items(e, "promotions");
    struct proc_result r;
    RUN_AS(e, "viewer", &r, "promote", "--stage", "red-production");
    expect_status(&r, 1);
    expect_one_line_error(&r, "forbidden");
    assert_string_equal(r.out, "");
    proc_result_free(&r);
    RUN(e, &r, "--readonly", "promote", "--stage", "red-production");
    expect_status(&r, 1);
    expect_one_line_error(&r, "--readonly");
    proc_result_free(&r);
    assert_int_equal(count_items(e, "promotions"), before);
}

static void test_usage_errors_exit_2(void **state)
{
    struct env *e = *state;
    static char *const cases[][8] = {
        {"get", NULL},
        {"get", "stagez", NULL},
        {"get", "stages", "-o", "xml", NULL},
        {"get", "stages", "--alias", "x", NULL},
        {"promote", "--freight", "abc", NULL},
        {"promote", "--stage", "a", "--freight", "b", "--freight-alias", "c"},
        {"approve", "--stage", "a", NULL},
        {"refresh", "project", "x", NULL},
        {"verify", "stage", NULL},
        {"promote", "--abort", NULL},
        {"get", "stages", "--wait", NULL},
        {"promote", "--stage", "a", "--timeout", "5m", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *args[8] = {NULL};
        for (size_t k = 0; k < 8 && cases[i][k] != NULL; k++)
            args[k] = cases[i][k];
        struct proc_result r;
        run_as(e, "admin", &r, args, NULL);
        if (r.status != 2)
            fail_msg("case %zu (%s %s): exit %d, stderr %s", i, args[0], args[1] ? args[1] : "",
                     r.status, r.err);
        expect_one_line_error(&r, "");
        assert_string_equal(r.out, "");
        proc_result_free(&r);
    }
}

/* Exit 3 when the cluster cannot be reached or refuses the credentials. */
static void test_unreachable_and_bad_token_exit_3(void **state)
{
    struct env *e = *state;
    char *path = xasprintf("%s/bad", e->dir);
    static const char *const servers[] = {"http://127.0.0.1:1", NULL};
    for (int i = 0; i < 2; i++) {
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fprintf(f,
                "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: k\n"
                "  cluster:\n    insecure-skip-tls-verify: true\n    server: %s\ncontexts:\n- "
                "name: c\n  context:\n    cluster: k\n"
                "    user: u\n    namespace: " NS "\nusers:\n- name: u\n  user:\n    token: "
                "not-a-token\n",
                servers[i] ? servers[i] : sim_url(e->sim));
        fclose(f);
        const char *const *cmds[] = {
            (const char *[]){"get", "stages", NULL},
            (const char *[]){"promote", "--stage", "red-production", NULL}};
        for (size_t k = 0; k < 2; k++) {
            char *argv[8] = {KARGOTOP_BIN, "--kubeconfig", path};
            size_t n = 3;
            for (const char *const *w = cmds[k]; *w != NULL; w++)
                argv[n++] = (char *)*w;
            argv[n] = NULL;
            struct proc_result r;
            assert_int_equal(proc_run(argv, NULL, RUN_MS, &r), 0);
            if (r.status != 3)
                fail_msg("%s against %s: exit %d: %s", cmds[k][0],
                         servers[i] ? "no server" : "bad token", r.status, r.err);
            expect_one_line_error(&r, servers[i] ? "127.0.0.1" : "401");
            assert_null(strstr(r.err, "not-a-token"));
            proc_result_free(&r);
        }
    }
    /* and without any kubeconfig at all */
    struct proc_result r;
    char *argv[] = {KARGOTOP_BIN, "--kubeconfig", "/nonexistent/kubeconfig", "get", "stages", NULL};
    assert_int_equal(proc_run(argv, NULL, RUN_MS, &r), 0);
    expect_status(&r, 3);
    expect_one_line_error(&r, "/nonexistent/kubeconfig");
    proc_result_free(&r);
    free(path);
}

/* --connect-timeout and --idle-timeout reach the command's client: against a server whose accept
 * queue is full (connects hang), `get stages --connect-timeout 1s` gives up after its three
 * attempts in seconds (the default would take over 30 s) and says why; against the cluster with
 * every answer stalled, `--idle-timeout 1s` abandons each one after a second. */
static void test_timeouts_reach_the_client(void **state)
{
    struct env *e = *state;
    struct kt_blackhole b;
    assert_int_equal(kt_blackhole_open(&b), 0);
    char *path = xasprintf("%s/blackhole", e->dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f,
            "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: k\n"
            "  cluster:\n    server: http://127.0.0.1:%d\ncontexts:\n- name: c\n  context:\n"
            "    cluster: k\n    user: u\n    namespace: " NS "\nusers:\n- name: u\n  user:\n"
            "    token: not-a-token\n",
            b.port);
    fclose(f);
    char *argv[] = {KARGOTOP_BIN, "--kubeconfig",      path, "get",
                    "stages",     "--connect-timeout", "1s", NULL};
    struct proc_result r;
    long long t0 = now_ms();
    assert_int_equal(proc_run(argv, NULL, RUN_MS, &r), 0);
    long long took = now_ms() - t0;
    expect_status(&r, 3);
    char *want = xasprintf("cannot connect to http://127.0.0.1:%d: timed out after 1 s", b.port);
    expect_one_line_error(&r, want);
    print_message("get stages --connect-timeout 1s: exit 3 after %lld ms: %s", took, r.err);
    /* three attempts of 1 s with backoff between: seconds, where 10 s each would be 30 s */
    assert_true(took >= 2900 && took < 20000);
    proc_result_free(&r);
    free(want);
    kt_blackhole_close(&b);
    free(path);

    struct sim_faults stall = {.stall_body_pct = 100};
    sim_faults_set(e->sim, &stall);
    char *argv2[] = {KARGOTOP_BIN, "--kubeconfig",   e->kubeconfig, "--context", "admin",  "-n",
                     NS,           "--idle-timeout", "1s",          "get",       "stages", NULL};
    t0 = now_ms();
    assert_int_equal(proc_run(argv2, NULL, RUN_MS, &r), 0);
    took = now_ms() - t0;
    struct sim_faults none = {0};
    sim_faults_set(e->sim, &none);
    expect_one_line_error(&r, "stalled: the server sent nothing for 1 s");
    expect_status(&r, 3); /* the connection failed; the cluster refused nothing */
    print_message("get stages --idle-timeout 1s, every answer stalled: exit %d after %lld ms: %s",
                  r.status, took, r.err);
    assert_true(took >= 2900 && took < 20000);
    proc_result_free(&r);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        cmocka_set_test_filter(argv[1]); /* one test while debugging: cli_commands test_get_wide */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_get_tables_match_kubectl, setup_fast, teardown),
        cmocka_unit_test_setup_teardown(test_get_freight_json_and_yaml_round_trip, setup_fast,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_get_pages_stream_like_the_whole_list, setup_large,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_get_filters_and_names, setup_fast, teardown),
        cmocka_unit_test_setup_teardown(test_get_wide, setup_fast, teardown),
        cmocka_unit_test_setup_teardown(test_get_output_is_safe_and_plain, setup_fast, teardown),
        cmocka_unit_test_setup_teardown(test_get_colour_on_a_terminal_only_without_no_color,
                                        setup_fast, teardown),
        cmocka_unit_test_setup_teardown(test_get_watch_streams_changes, setup_fast, teardown),
        cmocka_unit_test_setup_teardown(test_promote_all_services_to_production, setup_fast,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_promote_named_freight_and_roll_back, setup_fast,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_promote_wait_fails_with_exit_1, setup_fast, teardown),
        cmocka_unit_test_setup_teardown(test_promote_downstream_and_warehouse, setup_fast,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_approve_then_promote_as_promoter, setup_fast,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_refresh_and_verify, setup_fast, teardown),
        cmocka_unit_test_setup_teardown(test_abort_promotion, setup_slow, teardown),
        cmocka_unit_test_setup_teardown(test_viewer_and_readonly_are_refused_and_nothing_is_created,
                                        setup_fast, teardown),
        cmocka_unit_test_setup_teardown(test_usage_errors_exit_2, setup_fast, teardown),
        cmocka_unit_test_setup_teardown(test_unreachable_and_bad_token_exit_3, setup_fast,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_timeouts_reach_the_client, setup_fast, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
