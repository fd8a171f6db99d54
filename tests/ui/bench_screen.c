/* Screen benchmark: the generated `large` scenario (60 pipelines x 5 stages = 300 Stages, 10,000
 * Freight, 30,000 Promotions) in a store, and the time one frame takes on a headless 50x200
 * screen: the pipeline, the list form, a move, the project's freight and promotions lists, a
 * detail. It prints figures and checks the frames show what they should; it asserts nothing about
 * time. */
#include <curses.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/store.h"
#include "sim/scenarios.h"
#include "ui/screen.h"
#include "ui/source.h"
#include "util/json.h"

static struct store *bench_store;
static size_t bench_loaded;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void emit(void *ctx, cJSON *obj)
{
    (void)ctx;
    static const struct {
        const char *kind;
        enum kargo_kind k;
    } kinds[] = {{"Stage", KARGO_STAGE},
                 {"Warehouse", KARGO_WAREHOUSE},
                 {"Freight", KARGO_FREIGHT},
                 {"Promotion", KARGO_PROMOTION},
                 {"ProjectConfig", KARGO_PROJECT_CONFIG}};
    const char *kind = json_get_string(obj, "kind", (char *)NULL);
    for (size_t i = 0; kind != NULL && i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kind, kinds[i].kind) == 0 &&
            store_apply(bench_store, kinds[i].k, STORE_ADDED, obj, NULL) == 0)
            bench_loaded++;
    cJSON_Delete(obj);
}

static struct store *src_store(void *ctx)
{
    (void)ctx;
    return bench_store;
}

static void src_status(void *ctx, struct source_status *out)
{
    (void)ctx;
    memset(out, 0, sizeof *out);
    snprintf(out->project, sizeof out->project, "large");
    for (int k = 0; k < KARGO_KIND_COUNT; k++)
        out->watch[k].conn = SOURCE_LIVE;
}

static bool screen_has(const char *text)
{
    for (int y = 0; y < LINES; y++) {
        char row[1024];
        mvinnstr(y, 0, row, COLS < 1000 ? COLS : 1000);
        if (strstr(row, text) != NULL)
            return true;
    }
    return false;
}

static double frame(struct screen *s, const char *keys, time_t now)
{
    double t0 = now_ms();
    for (const char *k = keys; *k; k++)
        screen_key(s, (unsigned char)*k, false);
    screen_draw(s, now);
    return now_ms() - t0;
}

/* A scripted key sequence, as the suite's key->screen figure drives the real binary: each key
 * a frame, the clock a second on every fourth key (ages tick while the user scrolls). Run under
 * `valgrind --tool=callgrind --toggle-collect=screen_key --toggle-collect=screen_draw` for the
 * instructions a key costs. */
struct keys_result {
    double sum, worst;
    int n;
};

/* Kept out of line so callgrind's --toggle-collect=keys_run counts the keys and not the set-up. */
__attribute__((noinline)) static void keys_run(struct screen *s, const char *const *keys,
                                               size_t nkeys, int rounds, time_t *now,
                                               struct keys_result *r)
{
    for (int round = 0; round < rounds; round++)
        for (size_t k = 0; k < nkeys; k++, r->n++) {
            if (r->n % 4 == 3)
                (*now)++;
            double ms = frame(s, keys[k], *now);
            r->sum += ms;
            r->worst = ms > r->worst ? ms : r->worst;
        }
}

static void keys_bench(struct screen *s, const char *setup, const char *const *keys, size_t nkeys,
                       int rounds, time_t *now, const char *what)
{
    frame(s, setup, *now);
    struct keys_result r = {0};
    keys_run(s, keys, nkeys, rounds, now, &r);
    printf("%-37s %6.2f ms mean, %6.1f ms worst (%d keys)\n", what, r.sum / r.n, r.worst, r.n);
}

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "C.UTF-8");
    FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
    SCREEN *term = newterm("xterm-256color", out, in);
    if (term == NULL)
        return 1;
    start_color();
    use_default_colors();
    resize_term(50, 200);

    struct scenario_large_shape shape;
    scenarios_large_default(&shape);
    bench_store = store_new("large");
    time_t now = 1767225600;
    double t0 = now_ms();
    scenarios_large_build(&shape, "large", (int64_t)now, emit, NULL);
    printf("store: %zu objects loaded in %.0f ms\n", bench_loaded, now_ms() - t0);

    struct ui_source src = {.store = src_store, .status = src_status};
    struct screen_opts o = {.colour = true, .utf8 = true};
    struct screen *s = screen_new(&src, &o, NULL);
    int bad = 0;
    if (argc > 1 && strcmp(argv[1], "--keys") == 0) {
        /* only the key sequences (for callgrind): pipeline moves, then :freight scrolling */
        static const char *const moves[] = {"l", "l", "j", "l", "k", "h", "j", "j", "h", "k"};
        static const char *const scroll[] = {"j", "j", "j", "\006", "j", "k", "\002", "k"};
        keys_bench(s, "", moves, 10, 10, &now, "pipeline moves:");
        bad += !screen_has("Freight for");
        keys_bench(s, ":freight\r", scroll, 8, 12, &now, "scrolling :freight:");
        bad += !screen_has("Freight of large");
        keys_bench(s, "\033\033:promotions\r", scroll, 8, 12, &now, "scrolling :promotions:");
        bad += !screen_has("Promotions of large");
        screen_free(s);
        store_free(bench_store);
        endwin();
        delscreen(term);
        fclose(out);
        fclose(in);
        return bad != 0;
    }
    printf("first frame (layout of 300 stages):  %6.1f ms\n", frame(s, "", now));
    printf("next frame (same generation):        %6.1f ms\n", frame(s, "", now));
    printf("move right:                          %6.1f ms\n", frame(s, "l", now));
    bad += !screen_has("Freight for");
    printf("list form:                           %6.1f ms\n", frame(s, "L", now));
    bad += !screen_has("Stages (list)");
    printf(":freight (10,000 rows):              %6.1f ms\n", frame(s, ":freight\r", now));
    bad += !screen_has("Freight of large");
    printf("move down in :freight:               %6.1f ms\n", frame(s, "j", now));
    printf("filter keystroke in :freight:        %6.1f ms\n", frame(s, "/1", now));
    printf("next second in :freight (ages):      %6.1f ms\n", frame(s, "", now + 1));
    printf(":promotions (30,000 rows):           %6.1f ms\n",
           frame(s, "\033\033:promotions\r", now));
    bad += !screen_has("Promotions of large");
    printf("detail of a promotion:               %6.1f ms\n", frame(s, "\r", now));
    bad += !screen_has("Steps");
    screen_free(s);
    store_free(bench_store);
    endwin();
    delscreen(term);
    fclose(out);
    fclose(in);
    if (bad)
        fprintf(stderr, "bench_ui_screen: %d frames did not show what they should\n", bad);
    return bad != 0;
}
