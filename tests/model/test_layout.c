/* model/layout: the microsvcs and myapp graphs (ranks, lanes, rows asserted), no crossings on a
 * linear pipeline, layout unchanged by new Freight, the compact form, and odd graphs (missing
 * upstreams, cycles, fan-in). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/layout.h"
#include "model/store.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "yaml_json.h"

static struct layout *layout_of(struct store *st, int box_w, int box_h, int width)
{
    struct layout_params p = {box_w, box_h, width, 0};
    store_read_lock(st);
    const struct kargo_warehouse *const *wh;
    const struct kargo_stage *const *stages;
    size_t n_wh = store_warehouses(st, &wh);
    size_t n_st = store_stages(st, &stages);
    struct layout *l = layout_compute(wh, n_wh, stages, n_st, &p);
    store_read_unlock(st);
    return l;
}

/* The layout drawn in ASCII: boxes with their names, edges with - | + and > at the target. */
static char *render(const struct layout *l)
{
    int w = l->width + 1, h = l->height;
    char *grid = xmalloc((size_t)w * (size_t)h);
    memset(grid, ' ', (size_t)w * (size_t)h);
    for (size_t e = 0; e < l->n_edges; e++) {
        const struct layout_edge *ed = &l->edges[e];
        for (size_t i = 0; i + 1 < ed->n_points; i++) {
            struct layout_point a = ed->points[i], b = ed->points[i + 1];
            int dx = (b.x > a.x) - (b.x < a.x), dy = (b.y > a.y) - (b.y < a.y);
            for (int x = a.x, y = a.y;; x += dx, y += dy) {
                char *c = &grid[y * w + x];
                char want = dy ? '|' : '-';
                *c = (*c == ' ' || *c == want) ? want : '+';
                if (x == b.x && y == b.y)
                    break;
            }
        }
        for (size_t i = 1; i + 1 < ed->n_points; i++)
            grid[ed->points[i].y * w + ed->points[i].x] = '+';
        grid[ed->points[ed->n_points - 1].y * w + ed->points[ed->n_points - 1].x] = '>';
    }
    for (size_t n = 0; n < l->n_nodes; n++) {
        const struct layout_node *b = &l->nodes[n];
        for (int y = b->y; y < b->y + b->h; y++)
            for (int x = b->x; x < b->x + b->w; x++) {
                bool edge_y = y == b->y || y == b->y + b->h - 1;
                bool edge_x = x == b->x || x == b->x + b->w - 1;
                grid[y * w + x] = edge_y && edge_x ? '+' : edge_y ? '-' : edge_x ? '|' : ' ';
            }
        int len = (int)strlen(b->name);
        if (len > b->w - 2)
            len = b->w - 2;
        memcpy(&grid[(b->y + b->h / 2) * w + b->x + 1], b->name, (size_t)len);
    }
    struct strbuf sb;
    strbuf_init(&sb);
    for (int y = 0; y < h; y++) {
        int end = w;
        while (end > 0 && grid[y * w + end - 1] == ' ')
            end--;
        strbuf_append_len(&sb, &grid[y * w], (size_t)end);
        strbuf_append_char(&sb, '\n');
    }
    free(grid);
    return strbuf_detach(&sb);
}

static const struct layout_node *node(const struct layout *l, enum layout_kind k, const char *name)
{
    long i = layout_find(l, k, name);
    if (i < 0)
        fail_msg("no node %s", name);
    return &l->nodes[i];
}

static void test_myapp_linear_pipeline(void **state)
{
    struct store *st = store_new("myapp");
    assert_int_equal(fixture_load(st, "myapp.json"), 8);
    struct layout *l = layout_of(st, 14, 3, 200);
    assert_int_equal(l->n_nodes, 7);
    assert_int_equal(l->n_edges, 6); /* 2 from the warehouses, one per Stage pair */
    assert_int_equal(l->n_lanes, 1);
    assert_int_equal(l->n_ranks, 6);
    assert_false(l->compact);
    static const struct {
        const char *name;
        enum layout_kind kind;
        int rank, order;
    } want[] = {
        {"packages-warehouse", LAYOUT_WAREHOUSE, 0, 0},
        {"services-warehouse", LAYOUT_WAREHOUSE, 0, 1},
        {"dev", LAYOUT_STAGE, 1, 0},
        {"staging", LAYOUT_STAGE, 2, 0},
        {"uat", LAYOUT_STAGE, 3, 0},
        {"preprod", LAYOUT_STAGE, 4, 0},
        {"production", LAYOUT_STAGE, 5, 0},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const struct layout_node *n = node(l, want[i].kind, want[i].name);
        assert_int_equal(n->rank, want[i].rank);
        assert_int_equal(n->order, want[i].order);
        assert_int_equal(n->lane, 0);
        assert_int_equal(n->x, want[i].rank * 20);
        assert_int_equal(n->y, want[i].order * 4);
    }
    assert_int_equal(layout_crossings(l), 0);
    char *pic = render(l);
    assert_string_equal(pic, "+------------+      +------------+      +------------+      "
                             "+------------+      +------------+      +------------+\n"
                             "|packages-war|--+-->|dev         |----->|staging     |----->|uat     "
                             "    |----->|preprod     |----->|production  |\n"
                             "+------------+  |   +------------+      +------------+      "
                             "+------------+      +------------+      +------------+\n"
                             "                |\n"
                             "+------------+  |\n"
                             "|services-war|--+\n"
                             "+------------+\n");
    free(pic);
    layout_free(l);
    store_free(st);
}

static void test_microsvcs_lanes(void **state)
{
    struct store *st = store_new("microsvcs");
    assert_int_equal(fixture_load(st, "microsvcs.json"), 22);
    struct layout *l = layout_of(st, 20, 5, 200);
    assert_int_equal(l->n_nodes, 20);
    assert_int_equal(l->n_edges, 12);
    assert_int_equal(l->n_ranks, 3);
    /* per service two independent pipelines, dev builds -> development and releases -> staging
     * -> production, sharing the service's lane; lanes follow the warehouses' names */
    assert_int_equal(l->n_pipelines, 8);
    assert_int_equal(l->n_lanes, 4);
    static const char *svcs[] = {"blue", "green", "red", "yellow"};
    for (int i = 0; i < 4; i++) {
        char *dev = xasprintf("%s-dev", svcs[i]), *rel = xasprintf("%s-releases", svcs[i]);
        char *d = xasprintf("%s-development", svcs[i]), *s = xasprintf("%s-staging", svcs[i]);
        char *p = xasprintf("%s-production", svcs[i]);
        const struct layout_node *nd = node(l, LAYOUT_WAREHOUSE, dev);
        const struct layout_node *nr = node(l, LAYOUT_WAREHOUSE, rel);
        const struct layout_node *sd = node(l, LAYOUT_STAGE, d);
        const struct layout_node *ss = node(l, LAYOUT_STAGE, s);
        const struct layout_node *sp = node(l, LAYOUT_STAGE, p);
        assert_int_equal(nd->pipeline, 2 * i);
        assert_int_equal(sd->pipeline, 2 * i);
        assert_int_equal(nr->pipeline, 2 * i + 1);
        assert_int_equal(sp->pipeline, 2 * i + 1);
        for (const struct layout_node *const *n =
                 (const struct layout_node *const[]){nd, nr, sd, ss, sp, NULL};
             *n; n++)
            assert_int_equal((*n)->lane, i);
        assert_int_equal(nd->rank, 0);
        assert_int_equal(nr->rank, 0);
        assert_int_equal(sd->rank, 1);
        assert_int_equal(ss->rank, 1);
        assert_int_equal(sp->rank, 2);
        /* rows inside the lane: the dev pipeline above the release pipeline */
        assert_int_equal(nd->order, 0);
        assert_int_equal(sd->order, 0);
        assert_int_equal(nr->order, 1);
        assert_int_equal(ss->order, 1);
        assert_int_equal(sp->order, 1);
        /* a lane is two rows of 5-high boxes with a gap row each, plus a lane gap */
        assert_int_equal(sd->y, i * 13);
        assert_int_equal(sp->y, i * 13 + 6);
        assert_int_equal(sp->x, 2 * 26);
        free(dev);
        free(rel);
        free(d);
        free(s);
        free(p);
    }
    assert_int_equal(l->height, 4 * 13 - 2);
    assert_int_equal(l->width, 3 * 26 - 6);
    assert_int_equal(layout_crossings(l), 0);
    layout_free(l);

    l = layout_of(st, 17, 3, 200);
    char *pic = render(l);
    const char *red_lane = strstr(pic, "+---------------+      +---------------+\n|red-dev");
    assert_non_null(red_lane);
    assert_memory_equal(red_lane,
                        "+---------------+      +---------------+\n"
                        "|red-dev        |----->|red-development|\n"
                        "+---------------+      +---------------+\n"
                        "\n"
                        "+---------------+      +---------------+      +---------------+\n"
                        "|red-releases   |----->|red-staging    |----->|red-production |\n"
                        "+---------------+      +---------------+      +---------------+\n",
                        strlen("+---------------+      +---------------+\n") * 3 + 1 + 64 * 3);
    free(pic);
    layout_free(l);
    store_free(st);
}

/* Freight, Promotions and status updates never move a box. */
static void test_layout_stable_after_adding_freight(void **state)
{
    struct store *st = store_new("myapp");
    assert_int_equal(fixture_load(st, "myapp.json"), 8);
    unsigned long topo = store_topology_generation(st);
    struct layout *before = layout_of(st, 16, 4, 120);
    for (int i = 0; i < 50; i++) {
        char *json = xasprintf(
            "{\"metadata\":{\"name\":\"f%02d\"},\"origin\":{\"name\":\"services-warehouse\"},"
            "\"discoveredAt\":\"2026-01-01T00:%02d:00Z\",\"status\":{\"currentlyIn\":{"
            "\"dev\":{}}}}",
            i, i);
        cJSON *j = cJSON_Parse(json);
        assert_int_equal(store_apply(st, KARGO_FREIGHT, STORE_ADDED, j, NULL), 0);
        cJSON_Delete(j);
        free(json);
    }
    cJSON *j = cJSON_Parse(
        "{\"metadata\":{\"name\":\"uat\"},\"spec\":{\"requestedFreight\":[{\"origin\":{\"kind\":"
        "\"Warehouse\",\"name\":\"services-warehouse\"},\"sources\":{\"stages\":[\"staging\"]}},"
        "{\"origin\":{\"kind\":\"Warehouse\",\"name\":\"packages-warehouse\"},\"sources\":{"
        "\"stages\":[\"staging\"]}}]},\"status\":{\"freightHistory\":[{\"items\":{"
        "\"Warehouse/services-warehouse\":{\"name\":\"f01\"}}}]}}");
    assert_int_equal(store_apply(st, KARGO_STAGE, STORE_MODIFIED, j, NULL), 0);
    cJSON_Delete(j);
    assert_int_equal(store_topology_generation(st), topo);
    struct layout *after = layout_of(st, 16, 4, 120);
    assert_int_equal(after->n_nodes, before->n_nodes);
    for (size_t i = 0; i < before->n_nodes; i++) {
        assert_string_equal(after->nodes[i].name, before->nodes[i].name);
        assert_int_equal(after->nodes[i].x, before->nodes[i].x);
        assert_int_equal(after->nodes[i].y, before->nodes[i].y);
    }
    char *a = render(before), *b = render(after);
    assert_string_equal(a, b);
    free(a);
    free(b);
    layout_free(before);
    layout_free(after);
    store_free(st);
}

static void test_compact_form_for_narrow_terminals(void **state)
{
    struct store *st = store_new("myapp");
    assert_int_equal(fixture_load(st, "myapp.json"), 8);
    struct layout *l = layout_of(st, 24, 5, 80);
    assert_true(l->compact);
    assert_int_equal(l->box_w, 10); /* (80 - 5*3) / 6 = 10 */
    assert_int_equal(l->box_h, 3);
    assert_int_equal(node(l, LAYOUT_STAGE, "production")->x, 5 * 13);
    assert_int_equal(l->width, 6 * 13 - 3);
    assert_true(l->width <= 80);
    assert_int_equal(layout_crossings(l), 0);
    char *pic = render(l);
    assert_string_equal(
        pic, "+--------+   +--------+   +--------+   +--------+   +--------+   +--------+\n"
             "|packages|-+>|dev     |-->|staging |-->|uat     |-->|preprod |-->|producti|\n"
             "+--------+ | +--------+   +--------+   +--------+   +--------+   +--------+\n"
             "           |\n"
             "+--------+ |\n"
             "|services|-+\n"
             "+--------+\n");
    free(pic);
    layout_free(l);

    /* too narrow even for the smallest boxes: the layout is wider and the view scrolls */
    l = layout_of(st, 24, 5, 40);
    assert_true(l->compact);
    assert_int_equal(l->box_w, 10);
    assert_int_equal(l->width, 75);
    layout_free(l);

    /* narrowed, but with the rows to spare boxes keep their height (two rows of boxes of 5 and
     * the free row between them: 11 rows); one row fewer and they are flattened */
    struct layout_params p = {24, 5, 158, 11};
    store_read_lock(st);
    const struct kargo_warehouse *const *wh;
    const struct kargo_stage *const *stages;
    size_t n_wh = store_warehouses(st, &wh);
    size_t n_st = store_stages(st, &stages);
    l = layout_compute(wh, n_wh, stages, n_st, &p);
    assert_true(l->compact);
    assert_int_equal(l->box_w, 23); /* (158 - 5*3) / 6 */
    assert_int_equal(l->box_h, 5);
    assert_int_equal(l->height, 11);
    assert_int_equal(layout_crossings(l), 0);
    layout_free(l);
    p.height = 10;
    l = layout_compute(wh, n_wh, stages, n_st, &p);
    assert_int_equal(l->box_h, 3);
    layout_free(l);
    store_read_unlock(st);
    store_free(st);
}

static void put_stage(struct store *st, const char *name, const char *requests)
{
    char *json = xasprintf("{\"metadata\":{\"name\":\"%s\"},\"spec\":{\"requestedFreight\":%s}}",
                           name, requests);
    cJSON *j = cJSON_Parse(json);
    assert_non_null(j);
    char *cause = NULL;
    if (store_apply(st, KARGO_STAGE, STORE_ADDED, j, &cause) != 0)
        fail_msg("%s", cause);
    cJSON_Delete(j);
    free(json);
}

#define FROM_W  "[{\"origin\":{\"name\":\"w\"},\"sources\":{\"direct\":true}}]"
#define FROM(s) "[{\"origin\":{\"name\":\"w\"},\"sources\":{\"stages\":[" s "]}}]"

/* A fan-out and fan-in (test -> uat-a, uat-b -> prod) plus an edge that skips a rank: rows follow
 * the upstreams' barycenter and the long edge goes round the box in its way. */
static void test_fan_out_fan_in_and_long_edges(void **state)
{
    struct store *st = store_new("p");
    cJSON *w = cJSON_Parse("{\"metadata\":{\"name\":\"w\"}}");
    assert_int_equal(store_apply(st, KARGO_WAREHOUSE, STORE_ADDED, w, NULL), 0);
    cJSON_Delete(w);
    put_stage(st, "test", FROM_W);
    put_stage(st, "uat-a", FROM("\"test\""));
    put_stage(st, "uat-b", FROM("\"test\""));
    put_stage(st, "prod", FROM("\"uat-a\",\"uat-b\",\"test\""));
    struct layout *l = layout_of(st, 9, 3, 200);
    assert_int_equal(l->n_lanes, 1);
    assert_int_equal(node(l, LAYOUT_STAGE, "test")->rank, 1);
    assert_int_equal(node(l, LAYOUT_STAGE, "uat-a")->rank, 2);
    assert_int_equal(node(l, LAYOUT_STAGE, "uat-a")->order, 0);
    assert_int_equal(node(l, LAYOUT_STAGE, "uat-b")->order, 1);
    assert_int_equal(node(l, LAYOUT_STAGE, "prod")->rank, 3);
    assert_int_equal(node(l, LAYOUT_STAGE, "prod")->order, 0);
    assert_int_equal(layout_crossings(l), 0);
    char *pic = render(l);
    assert_string_equal(pic, "+-------+      +-------+      +-------+      +-------+\n"
                             "|w      |----->|test   |--+-->|uat-a  |--+-->|prod   |\n"
                             "+-------+      +-------+  |   +-------+  |   +-------+\n"
                             "                          +--------------+\n"
                             "                          |   +-------+  |\n"
                             "                          +-->|uat-b  |--+\n"
                             "                              +-------+\n");
    free(pic);
    layout_free(l);
    store_free(st);
}

/* Upstreams that do not exist and cycles still give a layout (nothing is lost or looping). */
static void test_missing_nodes_and_cycles(void **state)
{
    struct store *st = store_new("p");
    put_stage(st, "a", FROM("\"b\""));
    put_stage(st, "b", FROM("\"a\""));
    put_stage(st, "c", "[{\"origin\":{\"name\":\"gone\"},\"sources\":{\"direct\":true}}]");
    put_stage(st, "d", FROM("\"ghost\""));
    struct layout *l = layout_of(st, 10, 3, 100);
    assert_int_equal(l->n_nodes, 6);
    const struct layout_node *gone = node(l, LAYOUT_WAREHOUSE, "gone");
    assert_true(gone->missing);
    assert_int_equal(gone->rank, 0);
    assert_true(node(l, LAYOUT_STAGE, "ghost")->missing);
    assert_false(node(l, LAYOUT_STAGE, "c")->missing);
    assert_int_equal(node(l, LAYOUT_STAGE, "c")->rank, 1);
    assert_int_equal(node(l, LAYOUT_STAGE, "d")->rank, 2);
    /* the cycle a <-> b: one edge is treated as going back */
    int ra = node(l, LAYOUT_STAGE, "a")->rank, rb = node(l, LAYOUT_STAGE, "b")->rank;
    assert_true((ra == 1 && rb == 2) || (ra == 2 && rb == 1));
    assert_int_equal(l->n_lanes, 3);
    layout_free(l);

    struct layout_params p = {10, 3, 80, 0};
    l = layout_compute(NULL, 0, NULL, 0, &p);
    assert_int_equal(l->n_nodes, 0);
    assert_int_equal(l->width, 0);
    assert_int_equal(l->height, 0);
    layout_free(l);
    store_free(st);
}

/* The quickstart (test -> uat -> prod) from the kargo-examples: one straight row. */
static void test_quickstart_has_no_crossings(void **state)
{
    char *path =
        xasprintf("%s/reference/kargo-examples/01-quickstart-pipeline.yaml", KT_SHARED_DIR);
    cJSON *docs = yaml_json_load(path, NULL);
    free(path);
    assert_non_null(docs);
    struct store *st = store_new("kargo-demo");
    assert_int_equal(fixture_apply_all(st, docs), 5);
    cJSON_Delete(docs);
    struct layout *l = layout_of(st, 12, 3, 100);
    assert_int_equal(l->n_ranks, 4);
    assert_int_equal(l->n_edges, 3);
    for (size_t e = 0; e < l->n_edges; e++) {
        assert_int_equal(l->edges[e].n_points, 2);
        assert_int_equal(l->edges[e].points[0].y, 1);
        assert_int_equal(l->edges[e].points[1].y, 1);
    }
    assert_int_equal(layout_crossings(l), 0);
    char *pic = render(l);
    assert_string_equal(pic,
                        "+----------+      +----------+      +----------+      +----------+\n"
                        "|kargo-demo|----->|test      |----->|uat       |----->|prod      |\n"
                        "+----------+      +----------+      +----------+      +----------+\n");
    free(pic);
    layout_free(l);
    store_free(st);
}

/* layout_crossings itself: two edges that cross, and an edge through a box. */
static void test_crossing_counter(void **state)
{
    struct layout_node nodes[3] = {
        {.name = "a", .x = 0, .y = 0, .w = 4, .h = 3},
        {.name = "b", .x = 20, .y = 0, .w = 4, .h = 3},
        {.name = "c", .x = 10, .y = 10, .w = 4, .h = 3},
    };
    struct layout_point p1[] = {{4, 1}, {8, 1}, {8, 20}};
    struct layout_point p2[] = {{4, 5}, {19, 5}};
    struct layout_point p3[] = {{4, 11}, {19, 11}};
    struct layout_edge edges[3] = {
        {.from = 0, .to = 1, .points = p1, .n_points = 3},
        {.from = 0, .to = 1, .points = p2, .n_points = 2},
        {.from = 0, .to = 1, .points = p3, .n_points = 2},
    };
    struct layout l = {.nodes = nodes, .n_nodes = 3, .edges = edges, .n_edges = 2};
    assert_int_equal(layout_crossings(&l), 1);
    l.n_edges = 3; /* the third also crosses the first and runs through box c */
    assert_int_equal(layout_crossings(&l), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_myapp_linear_pipeline),
        cmocka_unit_test(test_microsvcs_lanes),
        cmocka_unit_test(test_layout_stable_after_adding_freight),
        cmocka_unit_test(test_compact_form_for_narrow_terminals),
        cmocka_unit_test(test_fan_out_fan_in_and_long_edges),
        cmocka_unit_test(test_missing_nodes_and_cycles),
        cmocka_unit_test(test_quickstart_has_no_crossings),
        cmocka_unit_test(test_crossing_counter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
