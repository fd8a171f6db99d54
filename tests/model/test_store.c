/* model/store: informer events and relists into the per-namespace store, its indexes, the two
 * generation counters, and readers beside a writer thread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "model/store.h"
#include "util/xalloc.h"
#include "yaml_json.h"

static cJSON *freight_json(const char *name, const char *alias, const char *origin,
                           const char *discovered)
{
    char *s = xasprintf("{\"metadata\":{\"name\":\"%s\",\"namespace\":\"myapp\"},"
                        "\"alias\":\"%s\",\"origin\":{\"kind\":\"Warehouse\",\"name\":\"%s\"},"
                        "\"discoveredAt\":\"%s\",\"images\":[{\"repoURL\":\"r\",\"tag\":\"%s\"}]}",
                        name, alias, origin, discovered, name);
    cJSON *j = cJSON_Parse(s);
    free(s);
    assert_non_null(j);
    return j;
}

static void apply(struct store *st, enum kargo_kind kind, enum store_event ev, cJSON *j)
{
    char *cause = NULL;
    if (store_apply(st, kind, ev, j, &cause) != 0)
        fail_msg("apply: %s", cause);
    cJSON_Delete(j);
}

static void apply_text(struct store *st, enum kargo_kind kind, enum store_event ev,
                       const char *json)
{
    cJSON *j = cJSON_Parse(json);
    assert_non_null(j);
    apply(st, kind, ev, j);
}

static void test_fixture_fills_sorted_lists(void **state)
{
    struct store *st = store_new("myapp");
    unsigned long g0 = store_generation(st), t0 = store_topology_generation(st);
    assert_int_equal(fixture_load(st, "myapp.json"), 8);
    assert_int_equal(store_generation(st), g0 + 8);
    assert_int_equal(store_topology_generation(st), t0 + 7); /* 2 warehouses, 5 stages */

    store_read_lock(st);
    const struct kargo_stage *const *stages;
    assert_int_equal(store_stages(st, &stages), 5);
    const char *want[] = {"dev", "preprod", "production", "staging", "uat"};
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(stages[i]->name, want[i]);
    const struct kargo_warehouse *const *wh;
    assert_int_equal(store_warehouses(st, &wh), 2);
    assert_string_equal(wh[0]->name, "packages-warehouse");
    assert_string_equal(wh[1]->name, "services-warehouse");
    assert_non_null(store_project(st));
    assert_string_equal(store_project(st)->name, "myapp");
    assert_null(store_project_config(st));
    assert_string_equal(store_namespace(st), "myapp");
    assert_string_equal(store_kind_name(KARGO_PROJECT_CONFIG), "ProjectConfig");
    assert_string_equal(store_kind_name(KARGO_FREIGHT), "Freight");
    assert_string_equal(store_kind_name(KARGO_KIND_COUNT), "object");
    assert_ptr_equal(store_stage(st, "uat"), stages[4]);
    store_read_unlock(st);
    store_free(st);
}

static void test_topology_generation_moves_only_with_shape(void **state)
{
    struct store *st = store_new("myapp");
    assert_int_equal(fixture_load(st, "myapp.json"), 8);
    unsigned long g = store_generation(st), t = store_topology_generation(st);

    apply(st, KARGO_FREIGHT, STORE_ADDED,
          freight_json("f1", "a1", "services-warehouse", "2026-01-01T00:00:00Z"));
    assert_int_equal(store_generation(st), g + 1);
    assert_int_equal(store_topology_generation(st), t);

    /* a status update of a Stage: same requestedFreight */
    apply_text(
        st, KARGO_STAGE, STORE_MODIFIED,
        "{\"metadata\":{\"name\":\"uat\"},\"spec\":{\"requestedFreight\":[{\"origin\":{"
        "\"kind\":\"Warehouse\",\"name\":\"services-warehouse\"},\"sources\":{\"stages\":["
        "\"staging\"]}},{\"origin\":{\"kind\":\"Warehouse\",\"name\":\"packages-warehouse\"},"
        "\"sources\":{\"stages\":[\"staging\"]}}]},\"status\":{\"health\":{\"status\":"
        "\"Healthy\"}}}");
    assert_int_equal(store_generation(st), g + 2);
    assert_int_equal(store_topology_generation(st), t);

    /* uat now also takes services Freight straight from the warehouse */
    apply_text(st, KARGO_STAGE, STORE_MODIFIED,
               "{\"metadata\":{\"name\":\"uat\"},\"spec\":{\"requestedFreight\":[{\"origin\":{"
               "\"kind\":\"Warehouse\",\"name\":\"services-warehouse\"},\"sources\":{\"direct\":"
               "true,\"stages\":[\"staging\"]}}]}}");
    assert_int_equal(store_topology_generation(st), t + 1);

    apply_text(st, KARGO_STAGE, STORE_DELETED, "{\"metadata\":{\"name\":\"uat\"}}");
    assert_int_equal(store_topology_generation(st), t + 2);
    assert_int_equal(store_generation(st), g + 4);
    store_read_lock(st);
    assert_null(store_stage(st, "uat"));
    const struct kargo_stage *const *stages;
    assert_int_equal(store_stages(st, &stages), 4);
    store_read_unlock(st);

    /* deleting what is not there changes nothing */
    apply_text(st, KARGO_STAGE, STORE_DELETED, "{\"metadata\":{\"name\":\"uat\"}}");
    assert_int_equal(store_generation(st), g + 4);

    /* a malformed update is refused and the old object stays */
    cJSON *bad = cJSON_Parse("{\"metadata\":{\"name\":\"dev\"},\"spec\":{\"requestedFreight\":7}}");
    char *cause = NULL;
    assert_int_equal(store_apply(st, KARGO_STAGE, STORE_MODIFIED, bad, &cause), -1);
    assert_string_equal(cause,
                        "Stage \"dev\": field \"requestedFreight\" should be a list, not a number");
    free(cause);
    cJSON_Delete(bad);
    cause = NULL;
    assert_int_equal(store_apply(st, KARGO_STAGE, STORE_DELETED, NULL, &cause), -1);
    assert_string_equal(cause, "deleted Stage has no metadata.name");
    free(cause);
    assert_int_equal(store_generation(st), g + 4);
    store_read_lock(st);
    assert_int_equal(store_stage(st, "dev")->n_requests, 2);
    store_read_unlock(st);
    store_free(st);
}

static void test_freight_by_origin_and_alias(void **state)
{
    struct store *st = store_new("myapp");
    apply(st, KARGO_FREIGHT, STORE_ADDED, freight_json("c", "gamma", "w1", "2026-01-03T00:00:00Z"));
    apply(st, KARGO_FREIGHT, STORE_ADDED, freight_json("a", "alpha", "w1", "2026-01-01T00:00:00Z"));
    apply(st, KARGO_FREIGHT, STORE_ADDED, freight_json("b", "beta", "w1", "2026-01-02T00:00:00Z"));
    apply(st, KARGO_FREIGHT, STORE_ADDED, freight_json("x", "other", "w2", "2026-01-02T00:00:00Z"));
    /* same discovery time as b: the greater name is newer */
    apply(st, KARGO_FREIGHT, STORE_ADDED,
          freight_json("bb", "beta2", "w1", "2026-01-02T00:00:00Z"));

    store_read_lock(st);
    const struct kargo_freight *const *v;
    size_t n = store_freight_of_origin(st, "Warehouse/w1", &v);
    assert_int_equal(n, 4);
    assert_string_equal(v[0]->ref.name, "a");
    assert_string_equal(v[1]->ref.name, "b");
    assert_string_equal(v[2]->ref.name, "bb");
    assert_string_equal(v[3]->ref.name, "c");
    assert_int_equal(store_freight_of_origin(st, "Warehouse/w2", &v), 1);
    assert_int_equal(store_freight_of_origin(st, "Warehouse/none", &v), 0);
    assert_int_equal(store_freight_count(st), 5);
    assert_string_equal(store_freight_by_alias(st, "beta")->ref.name, "b");
    store_read_unlock(st);

    /* renaming the alias moves the alias index, not the origin order */
    apply(st, KARGO_FREIGHT, STORE_MODIFIED,
          freight_json("b", "renamed", "w1", "2026-01-02T00:00:00Z"));
    store_read_lock(st);
    assert_null(store_freight_by_alias(st, "beta"));
    assert_string_equal(store_freight_by_alias(st, "renamed")->ref.name, "b");
    n = store_freight_of_origin(st, "Warehouse/w1", &v);
    assert_int_equal(n, 4);
    assert_string_equal(v[1]->ref.name, "b");
    assert_string_equal(v[1]->alias, "renamed");
    store_read_unlock(st);

    apply_text(st, KARGO_FREIGHT, STORE_DELETED, "{\"metadata\":{\"name\":\"a\"}}");
    apply_text(st, KARGO_FREIGHT, STORE_DELETED, "{\"metadata\":{\"name\":\"x\"}}");
    store_read_lock(st);
    n = store_freight_of_origin(st, "Warehouse/w1", &v);
    assert_int_equal(n, 3);
    assert_string_equal(v[0]->ref.name, "b");
    assert_null(store_freight_by_alias(st, "alpha"));
    assert_int_equal(store_freight_of_origin(st, "Warehouse/w2", &v), 0);
    assert_null(store_freight(st, "x"));
    store_read_unlock(st);
    store_free(st);
}

static cJSON *promotion_json(const char *name, const char *stage, const char *phase)
{
    char *s = xasprintf("{\"metadata\":{\"name\":\"%s\"},\"spec\":{\"stage\":\"%s\","
                        "\"freight\":\"f\"},\"status\":{\"phase\":\"%s\"}}",
                        name, stage, phase);
    cJSON *j = cJSON_Parse(s);
    free(s);
    return j;
}

static void test_promotions_per_stage_in_ulid_order(void **state)
{
    struct store *st = store_new("myapp");
    apply(st, KARGO_PROMOTION, STORE_ADDED, promotion_json("uat.01k2.aaaaaaa", "uat", "Succeeded"));
    apply(st, KARGO_PROMOTION, STORE_ADDED, promotion_json("uat.01k1.aaaaaaa", "uat", "Failed"));
    apply(st, KARGO_PROMOTION, STORE_ADDED, promotion_json("uat.01k3.bbbbbbb", "uat", "Running"));
    apply(st, KARGO_PROMOTION, STORE_ADDED, promotion_json("dev.01k1.aaaaaaa", "dev", "Succeeded"));
    apply(st, KARGO_PROMOTION, STORE_MODIFIED,
          promotion_json("uat.01k3.bbbbbbb", "uat", "Succeeded"));
    store_read_lock(st);
    const struct kargo_promotion *const *v;
    assert_int_equal(store_stage_promotions(st, "uat", &v), 3);
    assert_string_equal(v[0]->name, "uat.01k1.aaaaaaa");
    assert_string_equal(v[2]->name, "uat.01k3.bbbbbbb");
    assert_string_equal(v[2]->phase, "Succeeded");
    assert_int_equal(store_stage_promotions(st, "dev", &v), 1);
    assert_int_equal(store_promotion_count(st), 4);
    store_read_unlock(st);
    apply_text(st, KARGO_PROMOTION, STORE_DELETED,
               "{\"metadata\":{\"name\":\"dev.01k1.aaaaaaa\"}}");
    store_read_lock(st);
    assert_int_equal(store_stage_promotions(st, "dev", &v), 0);
    assert_null(v);
    store_read_unlock(st);
    store_free(st);
}

static void test_relist_replaces_the_set(void **state)
{
    struct store *st = store_new("myapp");
    apply(st, KARGO_FREIGHT, STORE_ADDED,
          freight_json("old", "gone", "w1", "2026-01-01T00:00:00Z"));
    cJSON *items = cJSON_CreateArray();
    cJSON_AddItemToArray(items, freight_json("n2", "two", "w1", "2026-01-05T00:00:00Z"));
    cJSON_AddItemToArray(items, cJSON_Parse("{\"metadata\":{\"name\":\"bad\"},\"origin\":[]}"));
    cJSON_AddItemToArray(items, freight_json("n1", "one", "w1", "2026-01-04T00:00:00Z"));
    cJSON_AddItemToArray(items, cJSON_Parse("{\"metadata\":{}}"));
    unsigned long g = store_generation(st), t = store_topology_generation(st);
    char *cause = NULL;
    assert_int_equal(store_replace(st, KARGO_FREIGHT, items, &cause), -1);
    assert_string_equal(cause, "2 malformed Freight skipped; first: Freight \"bad\": field "
                               "\"origin\" should be an object, not a list");
    free(cause);
    cJSON_Delete(items);
    assert_int_equal(store_generation(st), g + 1);
    assert_int_equal(store_topology_generation(st), t);
    store_read_lock(st);
    assert_int_equal(store_freight_count(st), 2);
    assert_null(store_freight(st, "old"));
    assert_null(store_freight_by_alias(st, "gone"));
    assert_string_equal(store_freight_by_alias(st, "one")->ref.name, "n1");
    const struct kargo_freight *const *v;
    assert_int_equal(store_freight_of_origin(st, "Warehouse/w1", &v), 2);
    assert_string_equal(v[0]->ref.name, "n1");
    assert_string_equal(v[1]->ref.name, "n2");
    store_read_unlock(st);

    /* relisting the same Stages keeps the topology; dropping one changes it */
    assert_int_equal(fixture_load(st, "myapp.json"), 8);
    char *path = xasprintf("%s/tests/model/fixtures/myapp.json", KT_SOURCE_DIR);
    cJSON *list = json_file_load(path, NULL);
    free(path);
    cJSON *stages = cJSON_CreateArray();
    cJSON *o;
    cJSON_ArrayForEach(o, cJSON_GetObjectItem(list, "items"))
    {
        if (strcmp(cJSON_GetObjectItem(o, "kind")->valuestring, "Stage") == 0)
            cJSON_AddItemToArray(stages, cJSON_Duplicate(o, 1));
    }
    t = store_topology_generation(st);
    assert_int_equal(store_replace(st, KARGO_STAGE, stages, NULL), 0);
    assert_int_equal(store_topology_generation(st), t);
    cJSON_DeleteItemFromArray(stages, 0);
    assert_int_equal(store_replace(st, KARGO_STAGE, stages, NULL), 0);
    assert_int_equal(store_topology_generation(st), t + 1);
    store_read_lock(st);
    const struct kargo_stage *const *sv;
    assert_int_equal(store_stages(st, &sv), 4);
    assert_string_equal(sv[0]->name, "preprod");
    store_read_unlock(st);
    cause = NULL;
    assert_int_equal(store_replace(st, KARGO_STAGE, cJSON_GetObjectItem(list, "kind"), &cause), -1);
    assert_string_equal(cause, "a Stage list should be a JSON array");
    free(cause);
    cJSON_Delete(stages);
    cJSON_Delete(list);
    store_free(st);
}

/* A relist fed page by page ends as store_replace would; until the commit readers see the old set,
 * and an aborted one leaves the store as it was. */
static void test_relist_by_pages(void **state)
{
    struct store *st = store_new("myapp");
    apply(st, KARGO_FREIGHT, STORE_ADDED,
          freight_json("old", "gone", "w1", "2026-01-01T00:00:00Z"));
    cJSON *p1 = cJSON_CreateArray(), *p2 = cJSON_CreateArray();
    cJSON_AddItemToArray(p1, freight_json("n2", "two", "w1", "2026-01-05T00:00:00Z"));
    cJSON_AddItemToArray(p2, cJSON_Parse("{\"metadata\":{\"name\":\"bad\"},\"origin\":[]}"));
    cJSON_AddItemToArray(p2, freight_json("n1", "one", "w1", "2026-01-04T00:00:00Z"));

    struct store_relist *r = store_relist_begin(st, KARGO_FREIGHT);
    store_relist_add(r, p1);
    store_relist_abort(r);
    store_read_lock(st);
    assert_int_equal(store_freight_count(st), 1);
    assert_non_null(store_freight(st, "old"));
    store_read_unlock(st);

    unsigned long g = store_generation(st);
    r = store_relist_begin(st, KARGO_FREIGHT);
    store_relist_add(r, p1);
    store_relist_add(r, p2);
    assert_int_equal(store_generation(st), g);
    store_read_lock(st);
    assert_non_null(store_freight(st, "old"));
    store_read_unlock(st);
    char *cause = NULL;
    assert_int_equal(store_relist_commit(r, &cause), -1);
    assert_string_equal(cause, "1 malformed Freight skipped; first: Freight \"bad\": field "
                               "\"origin\" should be an object, not a list");
    free(cause);
    assert_int_equal(store_generation(st), g + 1);
    store_read_lock(st);
    assert_int_equal(store_freight_count(st), 2);
    assert_null(store_freight(st, "old"));
    const struct kargo_freight *const *v;
    assert_int_equal(store_freight_of_origin(st, "Warehouse/w1", &v), 2);
    assert_string_equal(v[0]->ref.name, "n1");
    assert_string_equal(v[1]->ref.name, "n2");
    store_read_unlock(st);
    cJSON_Delete(p1);
    cJSON_Delete(p2);
    store_free(st);
}

static void test_events_by_time_and_config(void **state)
{
    struct store *st = store_new("myapp");
    apply_text(st, KARGO_EVENT, STORE_ADDED,
               "{\"metadata\":{\"name\":\"e2\"},\"reason\":\"PromotionSucceeded\","
               "\"lastTimestamp\":\"2026-01-02T00:00:00Z\"}");
    apply_text(st, KARGO_EVENT, STORE_ADDED,
               "{\"metadata\":{\"name\":\"e1\"},\"reason\":\"PromotionCreated\","
               "\"lastTimestamp\":\"2026-01-01T00:00:00Z\"}");
    apply_text(st, KARGO_EVENT, STORE_MODIFIED,
               "{\"metadata\":{\"name\":\"e1\"},\"reason\":\"PromotionCreated\",\"count\":2,"
               "\"lastTimestamp\":\"2026-01-03T00:00:00Z\"}");
    apply_text(st, KARGO_PROJECT_CONFIG, STORE_ADDED,
               "{\"metadata\":{\"name\":\"myapp\",\"namespace\":\"myapp\"},\"spec\":{"
               "\"promotionPolicies\":[{\"stage\":\"dev\",\"autoPromotionEnabled\":true}]}}");
    store_read_lock(st);
    const struct kargo_event *const *ev;
    assert_int_equal(store_events(st, &ev), 2);
    assert_string_equal(ev[0]->name, "e2");
    assert_string_equal(ev[1]->name, "e1");
    assert_int_equal(ev[1]->count, 2);
    assert_int_equal(store_project_config(st)->n_policies, 1);
    store_read_unlock(st);
    store_free(st);
}

static void count_notify(void *ctx)
{
    (*(int *)ctx)++;
}

struct writer {
    struct store *st;
    int rounds;
};

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    for (int i = 0; i < w->rounds; i++) {
        char *name = xasprintf("s%03d", i % 50);
        char *json = xasprintf("{\"metadata\":{\"name\":\"%s\"},\"spec\":{\"requestedFreight\":"
                               "[{\"origin\":{\"name\":\"w\"},\"sources\":{\"direct\":true}}]},"
                               "\"status\":{\"freightSummary\":\"round %d\"}}",
                               name, i);
        cJSON *j = cJSON_Parse(json);
        store_apply(w->st, KARGO_STAGE, (i / 50) % 3 == 2 ? STORE_DELETED : STORE_MODIFIED, j,
                    NULL);
        cJSON_Delete(j);
        free(json);
        free(name);
    }
    return NULL;
}

/* A reader under the lock sees a whole, sorted list while a writer replaces objects. */
static void test_reader_beside_writer(void **state)
{
    struct store *st = store_new("myapp");
    int notified = 0;
    store_set_notify(st, count_notify, &notified);
    struct writer w = {st, 3000};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, writer_main, &w), 0);
    for (int k = 0; k < 2000; k++) {
        store_read_lock(st);
        const struct kargo_stage *const *v;
        size_t n = store_stages(st, &v);
        for (size_t i = 0; i + 1 < n; i++)
            assert_true(strcmp(v[i]->name, v[i + 1]->name) < 0);
        for (size_t i = 0; i < n; i++)
            assert_memory_equal(v[i]->freight_summary, "round ", 6);
        store_read_unlock(st);
    }
    pthread_join(th, NULL);
    assert_true(notified > 2000);
    assert_int_equal((unsigned long)notified + 1, store_generation(st));
    store_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixture_fills_sorted_lists),
        cmocka_unit_test(test_topology_generation_moves_only_with_shape),
        cmocka_unit_test(test_freight_by_origin_and_alias),
        cmocka_unit_test(test_promotions_per_stage_in_ulid_order),
        cmocka_unit_test(test_relist_replaces_the_set),
        cmocka_unit_test(test_relist_by_pages),
        cmocka_unit_test(test_events_by_time_and_config),
        cmocka_unit_test(test_reader_beside_writer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
