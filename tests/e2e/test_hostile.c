/* Hostile cluster data (issue 12): a project whose annotations, messages, commit subjects and
 * event texts carry escape sequences (OSC 52 clipboard write, OSC 0 title, screen clear, cursor
 * position report, DCS), C1 controls, bidi overrides, invalid UTF-8, a 1 MB string, a deeply
 * nested spec and a hostile colour. The real binary shows every view of it in a pseudo-terminal;
 * the test reads both the screen (placeholders shown, frame intact) and the raw bytes the
 * program wrote (no escape sequence from the data, valid UTF-8, no C1 or bidi controls). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "expect.h"
#include "kube/api.h"
#include "proc.h"
#include "ptyterm.h"
#include "uienv.h"
#include "util/xalloc.h"

#define WAIT_MS 20000
#define GV      "kargo.akuity.io/v1alpha1"
#define NS      "hostile"

/* Every kind of terminal control a cluster object could carry. */
#define HOSTILE                                                                                    \
    "evil\033]52;c;SE9TVElMRQ==\007 clear\033[2J dsr\033[6n c1\xc2\x9b"                            \
    "31m bidi\xe2\x80\xaeLIVE dcs\033Pq#0\033\\ title\033]0;PWNED\007 nl\nnext\ttab end"

static char scenario_path[64];

static cJSON *meta(cJSON *obj, const char *kind, const char *name)
{
    cJSON_AddStringToObject(obj, "apiVersion", strcmp(kind, "Event") == 0 ? "v1" : GV);
    cJSON_AddStringToObject(obj, "kind", kind);
    cJSON *m = cJSON_AddObjectToObject(obj, "metadata");
    cJSON_AddStringToObject(m, "name", name);
    if (strcmp(kind, "Project") != 0)
        cJSON_AddStringToObject(m, "namespace", NS);
    return m;
}

static cJSON *origin(void)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "kind", "Warehouse");
    cJSON_AddStringToObject(o, "name", "wh");
    return o;
}

static cJSON *commits(void)
{
    cJSON *arr = cJSON_CreateArray(), *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "repoURL", "https://github.com/evil/repo.git");
    cJSON_AddStringToObject(c, "id", "0123456789abcdef0123456789abcdef01234567");
    cJSON_AddStringToObject(c, "branch", "main\033[2J");
    cJSON_AddStringToObject(c, "message", "subject " HOSTILE "\nbody line");
    cJSON_AddStringToObject(c, "author", "mallory \033]0;PWNED\007");
    cJSON_AddItemToArray(arr, c);
    return arr;
}

/* A config nested depth levels deep, objects and arrays mixed: {"a":[{"a":...}]}. */
static cJSON *nested(int depth)
{
    cJSON *leaf = cJSON_CreateString("bottom " HOSTILE);
    for (int i = 0; i < depth; i++) {
        cJSON *c = i % 5 == 0 ? cJSON_CreateArray() : cJSON_CreateObject();
        if (i % 5 == 0)
            cJSON_AddItemToArray(c, leaf);
        else
            cJSON_AddItemToObject(c, "a", leaf);
        leaf = c;
    }
    return leaf;
}

static cJSON *stage(const char *name, const char *description, const char *upstream)
{
    cJSON *s = cJSON_CreateObject();
    cJSON *m = meta(s, "Stage", name);
    cJSON *ann = cJSON_AddObjectToObject(m, "annotations");
    cJSON_AddStringToObject(ann, "kargo.akuity.io/description", description);
    cJSON_AddStringToObject(ann, "kargo.akuity.io/color", "\033[31m");
    cJSON *spec = cJSON_AddObjectToObject(s, "spec");
    cJSON *rf = cJSON_AddArrayToObject(spec, "requestedFreight"), *r = cJSON_CreateObject();
    cJSON_AddItemToObject(r, "origin", origin());
    cJSON *src = cJSON_AddObjectToObject(r, "sources");
    if (upstream == NULL) {
        cJSON_AddBoolToObject(src, "direct", true);
    } else {
        cJSON *ups = cJSON_AddArrayToObject(src, "stages");
        cJSON_AddItemToArray(ups, cJSON_CreateString(upstream));
    }
    cJSON_AddItemToArray(rf, r);
    cJSON *steps = cJSON_AddArrayToObject(
        cJSON_AddObjectToObject(cJSON_AddObjectToObject(spec, "promotionTemplate"), "spec"),
        "steps");
    cJSON *step = cJSON_CreateObject();
    cJSON_AddStringToObject(step, "uses", "git-clone");
    cJSON_AddItemToObject(step, "config", nested(upstream == NULL ? 200 : 3));
    cJSON_AddItemToArray(steps, step);
    return s;
}

static char *huge_string(size_t n)
{
    char *s = xmalloc(n + 1);
    for (size_t i = 0; i < n; i++)
        s[i] = i % 997 == 996 ? '\033' : (char)('A' + (int)(i % 26));
    memcpy(s, "HUGE-START ", 11);
    s[n] = '\0';
    return s;
}

static void write_scenario(const char *path)
{
    cJSON *list = cJSON_CreateObject();
    cJSON_AddStringToObject(list, "apiVersion", "v1");
    cJSON_AddStringToObject(list, "kind", "List");
    cJSON *items = cJSON_AddArrayToObject(list, "items");

    cJSON *p = cJSON_CreateObject();
    meta(p, "Project", NS);
    cJSON_AddItemToArray(items, p);

    cJSON *w = cJSON_CreateObject();
    cJSON *wm = meta(w, "Warehouse", "wh");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(wm, "annotations"),
                            "kargo.akuity.io/description", HOSTILE);
    cJSON *ws = cJSON_AddObjectToObject(w, "spec");
    cJSON_AddStringToObject(ws, "interval", "5m0s");
    cJSON *sub = cJSON_CreateObject();
    cJSON_AddStringToObject(cJSON_AddObjectToObject(sub, "git"), "repoURL",
                            "https://github.com/evil/repo.git");
    cJSON_AddItemToArray(cJSON_AddArrayToObject(ws, "subscriptions"), sub);
    cJSON_AddItemToArray(items, w);

    cJSON *dev = stage("dev", "desc " HOSTILE, NULL);
    cJSON *fh = cJSON_CreateObject();
    cJSON_AddStringToObject(fh, "id", "hist1");
    cJSON *fref = cJSON_CreateObject();
    cJSON_AddStringToObject(fref, "name", "f0000001");
    cJSON_AddItemToObject(fref, "origin", origin());
    cJSON_AddItemToObject(fref, "commits", commits());
    cJSON_AddItemToObject(cJSON_AddObjectToObject(fh, "items"), "Warehouse/wh", fref);
    cJSON_AddItemToArray(
        cJSON_AddArrayToObject(cJSON_AddObjectToObject(dev, "status"), "freightHistory"), fh);
    cJSON_AddItemToArray(items, dev);
    char *huge = huge_string(1024 * 1024);
    cJSON_AddItemToArray(items, stage("prod", huge, "dev"));
    free(huge);

    cJSON *f = cJSON_CreateObject();
    cJSON *fm = meta(f, "Freight", "f0000001");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(fm, "labels"), "kargo.akuity.io/alias",
                            "evil-alias");
    cJSON_AddStringToObject(f, "alias", "evil-alias");
    cJSON_AddItemToObject(f, "origin", origin());
    cJSON_AddItemToObject(f, "commits", commits());
    cJSON_AddItemToArray(items, f);

    cJSON *pr = cJSON_CreateObject();
    cJSON *pm = meta(pr, "Promotion", "dev.01j00000000000000000000000.f000000");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(pm, "labels"), "kargo.akuity.io/stage", "dev");
    cJSON *ps = cJSON_AddObjectToObject(pr, "spec");
    cJSON_AddStringToObject(ps, "stage", "dev");
    cJSON_AddStringToObject(ps, "freight", "f0000001");
    cJSON *step = cJSON_CreateObject();
    cJSON_AddStringToObject(step, "uses", "git-clone");
    cJSON_AddStringToObject(step, "as", "clone\033[2J");
    cJSON_AddItemToArray(cJSON_AddArrayToObject(ps, "steps"), step);
    cJSON *pst = cJSON_AddObjectToObject(pr, "status");
    cJSON_AddStringToObject(pst, "phase", "Failed");
    cJSON_AddStringToObject(pst, "message", "failed: " HOSTILE);
    cJSON_AddItemToArray(items, pr);

    cJSON *ev = cJSON_CreateObject();
    meta(ev, "Event", "ev-hostile");
    cJSON *io = cJSON_AddObjectToObject(ev, "involvedObject");
    cJSON_AddStringToObject(io, "kind", "Stage");
    cJSON_AddStringToObject(io, "name", "dev");
    cJSON_AddStringToObject(io, "namespace", NS);
    cJSON_AddStringToObject(ev, "reason", "PromotionFailed\033[2J");
    cJSON_AddStringToObject(ev, "message", "event " HOSTILE);
    cJSON_AddStringToObject(ev, "type", "Warning");
    cJSON_AddStringToObject(ev, "lastTimestamp", "2026-01-01T00:00:00Z");
    cJSON_AddItemToArray(items, ev);

    char *text = cJSON_PrintUnformatted(list);
    FILE *out = fopen(path, "w");
    assert_non_null(out);
    /* YAML refuses C1 characters written as such: escape U+009B as \u009b. */
    for (const char *c = text; *c != '\0'; c++) {
        if (c[0] == '\xc2' && c[1] == '\x9b') {
            fputs("\\u009b", out);
            c++;
        } else {
            fputc(*c, out);
        }
    }
    fclose(out);
    free(text);
    cJSON_Delete(list);
}

static int setup(void **state)
{
    snprintf(scenario_path, sizeof scenario_path, "/tmp/kt-hostile-XXXXXX");
    int fd = mkstemp(scenario_path);
    if (fd < 0)
        return -1;
    close(fd);
    write_scenario(scenario_path);
    struct uienv_opts o = uienv_defaults();
    o.scenario_file = scenario_path;
    struct env *e = uienv_start_opts(&o);
    if (e == NULL)
        return -1;
    /* Invalid UTF-8 cannot be written in YAML: it goes through the API as raw bytes. */
    const char *patch = "{\"metadata\":{\"annotations\":{\"kargo.akuity.io/description\":"
                        "\"bad \xff\xfe utf8 \xc3 \xed\xa0\x80 end\"}}}";
    struct api_ref ref = {GV, "warehouses", NS, "wh"};
    struct kube_error err = {0};
    cJSON *r = api_merge_patch(e->client, &ref, NULL, patch, &err);
    if (r == NULL) {
        fprintf(stderr, "patch: %s\n", err.message);
        return -1;
    }
    cJSON_Delete(r);
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    uienv_stop(*state);
    unlink(scenario_path);
    return 0;
}

/* The frame is still where the program drew it: nothing from the data cleared or moved it. */
static void expect_frame(struct ptyterm *t)
{
    int row;
    if (!ptyterm_find(t, "kargotop", &row, NULL) || row != 0) {
        ptyterm_dump(t, "the top bar moved");
        fail_msg("the top bar is not on row 0");
    }
}

static bool contains(const unsigned char *hay, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(hay + i, needle, n) == 0)
            return true;
    return false;
}

/* Decodes one UTF-8 sequence; 0 when invalid. */
static size_t utf8_next(const unsigned char *s, size_t len, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t n = (s[0] & 0xE0) == 0xC0   ? 2
               : (s[0] & 0xF0) == 0xE0 ? 3
               : (s[0] & 0xF8) == 0xF0 ? 4
                                       : 0;
    if (n == 0 || n > len)
        return 0;
    *cp = s[0] & (0x7F >> n);
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        *cp = *cp << 6 | (s[i] & 0x3F);
    }
    static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (*cp < min[n] || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF))
        return 0;
    return n;
}

/* What the program wrote holds no control sequence but the ones curses makes for drawing: no
 * OSC/DCS/APC/PM/SOS string, no status or cursor report request, nothing that is not UTF-8, no
 * C1 control, no bidi control. */
static void expect_raw_safe(struct ptyterm *t)
{
    size_t len;
    const unsigned char *raw = (const unsigned char *)ptyterm_raw(t, &len);
    assert_true(len > 0);
    for (size_t i = 0; i < len;) {
        uint32_t cp = 0;
        size_t n = utf8_next(raw + i, len - i, &cp);
        if (n == 0)
            fail_msg("invalid UTF-8 byte 0x%02x at offset %zu of the terminal output", raw[i], i);
        if ((cp >= 0x80 && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) ||
            (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E || cp == 0x200F)
            fail_msg("control U+%04X at offset %zu of the terminal output", (unsigned)cp, i);
        if (cp == 0x1B && i + 1 < len && strchr("]P_^X", raw[i + 1]) != NULL)
            fail_msg("a string sequence ESC %c at offset %zu: %.40s", raw[i + 1], i,
                     (const char *)raw + i);
        i += n;
    }
    if (contains(raw, len, "\033[6n") || contains(raw, len, "PWNED\007"))
        fail_msg("a request from the cluster data reached the terminal");
    /* the payloads did arrive, as text */
    assert_true(contains(raw, len, "SE9TVElMRQ=="));
}

static struct ptyterm *start(struct env *e, int rows, int cols)
{
    char *argv[] = {KARGOTOP_BIN, "--kubeconfig", e->kubeconfig, "-n", NS, NULL};
    struct ptyterm *t = ptyterm_spawn(argv, NULL, rows, cols);
    assert_non_null(t);
    expect_text(t, "Freight for");
    expect_text(t, "live");
    return t;
}

static void test_every_view_shows_hostile_text_safely(void **state)
{
    struct env *e = *state;
    struct ptyterm *t = start(e, 40, 160);
    expect_text(t, "evil-alias");
    expect_frame(t);

    /* dev's details: the description with its sequences as visible placeholders */
    ptyterm_send(t, "/dev\r\r");
    expect_text(t, "evil\u241b]52;c;SE9TVElMRQ==\u2407 clear\u241b[2J");
    expect_text(t, "\uFFFDLIVE");
    expect_frame(t);
    ptyterm_send(t, "\033");

    /* dev as YAML: the 200-deep config and every string quoted or escaped */
    ptyterm_send(t, "y");
    expect_text(t, "kargo.akuity.io/description");
    ptyterm_send(t, "G");
    expect_text(t, "freightSummary");
    ptyterm_send(t, "g");
    expect_text(t, "uses: git-clone");
    expect_frame(t);
    ptyterm_send(t, "\033\033");

    /* prod's details: the 1 MB description, clipped, and the program still answers */
    ptyterm_send(t, "/prod\r\r");
    expect_text(t, "HUGE-START");
    ptyterm_send(t, "G");
    ptyterm_send(t, "g");
    expect_text(t, "HUGE-START");
    expect_frame(t);
    ptyterm_send(t, "y");
    expect_text(t, "HUGE-START");
    ptyterm_send(t, "\033\033");

    /* the lists: events, freight (commit subjects), promotions (messages), warehouses */
    ptyterm_send(t, ":events\r");
    expect_text(t, "event evil\u241b]52");
    ptyterm_send(t, "\r");
    expect_frame(t);
    ptyterm_send(t, "\033");
    ptyterm_send(t, ":freight\r");
    expect_text(t, "evil-alias");
    ptyterm_send(t, "\r");
    expect_text(t, "subject evil\u241b]52");
    expect_frame(t);
    ptyterm_send(t, "y");
    expect_text(t, "mallory");
    ptyterm_send(t, "\033\033");
    ptyterm_send(t, ":promotions\r");
    expect_text(t, "Failed");
    ptyterm_send(t, "\r");
    expect_text(t, "failed: evil\u241b]52");
    ptyterm_send(t, "\033");
    ptyterm_send(t, ":warehouses\r");
    expect_text(t, "wh");
    ptyterm_send(t, "\r");
    expect_text(t, "bad \uFFFD\uFFFD utf8 \uFFFD");
    expect_frame(t);
    ptyterm_send(t, "\033");

    /* still alive and answering */
    ptyterm_send(t, "?");
    expect_text(t, "show or hide this help");
    ptyterm_send(t, "\033");
    expect_raw_safe(t);
    expect_quit(t, "q", WAIT_MS);
}

static void test_narrow_terminal_and_ascii_locale(void **state)
{
    struct env *e = *state;
    char *argv[] = {KARGOTOP_BIN, "--kubeconfig", e->kubeconfig, "-n", NS, NULL};
    char *env[] = {"LANG=C", "LC_ALL=C", NULL};
    struct ptyterm *t = ptyterm_spawn(argv, env, 24, 80);
    assert_non_null(t);
    expect_text(t, "live");
    ptyterm_send(t, "/dev\r\r");
    expect_text(t, "evil^[]52;c;SE9TVElMRQ==^G clear^[[2J");
    expect_frame(t);
    ptyterm_send(t, "\033:events\r");
    expect_text(t, "event evil^[]");
    ptyterm_resize(t, 12, 40);
    expect_text(t, "80x24");
    ptyterm_resize(t, 24, 80);
    expect_text(t, "event evil^[]");
    size_t len;
    const char *raw = ptyterm_raw(t, &len);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)raw[i] >= 0x80)
            fail_msg("a non-ASCII byte 0x%02x at %zu in the C locale", (unsigned char)raw[i], i);
    expect_raw_safe(t);
    expect_quit(t, "q", WAIT_MS);
}

/* The commands print the same data: tables sanitised like the screen, JSON and YAML escaped; no
 * raw control byte but newlines (and tabs in YAML block text), nothing but UTF-8. */
static void test_commands_print_hostile_text_safely(void **state)
{
    struct env *e = *state;
    const char *kinds[] = {"stages", "freight", "promotions", "warehouses"};
    const char *formats[] = {"table", "wide", "json", "yaml"};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        for (size_t f = 0; f < sizeof formats / sizeof formats[0]; f++) {
            char *argv[] = {KARGOTOP_BIN,     "--kubeconfig", e->kubeconfig,      "-n", NS, "get",
                            (char *)kinds[k], "-o",           (char *)formats[f], NULL};
            struct proc_result r;
            assert_int_equal(proc_run(argv, NULL, WAIT_MS, &r), 0);
            if (r.status != 0)
                fail_msg("get %s -o %s: exit %d: %s", kinds[k], formats[f], r.status, r.err);
            const unsigned char *out = (const unsigned char *)r.out;
            size_t len = strlen(r.out);
            assert_true(len > 0);
            for (size_t i = 0; i < len;) {
                uint32_t cp = 0;
                size_t n = utf8_next(out + i, len - i, &cp);
                if (n == 0)
                    fail_msg("get %s -o %s: invalid UTF-8 at %zu", kinds[k], formats[f], i);
                if ((cp < 0x20 && cp != '\n' && cp != '\t') || (cp >= 0x7F && cp <= 0x9F) ||
                    (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069))
                    fail_msg("get %s -o %s: control U+%04X at %zu: %.60s", kinds[k], formats[f],
                             (unsigned)cp, i, r.out + (i > 20 ? i - 20 : 0));
                i += n;
            }
            proc_result_free(&r);
        }
    }
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_view_shows_hostile_text_safely),
        cmocka_unit_test(test_narrow_terminal_and_ascii_locale),
        cmocka_unit_test(test_commands_print_hostile_text_safely),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
