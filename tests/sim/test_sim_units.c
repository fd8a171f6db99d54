/* The simulated cluster's parsers and converters, without a server: YAML as Kubernetes reads it,
 * label selectors, merge and JSON patches, kubectl JSONPaths and ages, Status wording, the
 * SelfSubjectAccessReview protobuf, scenario errors with file:line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sim/authz.h"
#include "sim/patch.h"
#include "sim/printer.h"
#include "util/timefmt.h"
#include "sim/protobuf.h"
#include "sim/resource.h"
#include "sim/selector.h"
#include "sim/sim.h"
#include "sim/status.h"
#include "sim/yaml.h"
#include "util/json.h"

static cJSON *yaml1(const char *text)
{
    char *cause = NULL;
    cJSON *docs = sim_yaml_parse(text, strlen(text), "t.yaml", NULL, &cause);
    if (docs == NULL)
        fail_msg("%s", cause);
    assert_int_equal(cJSON_GetArraySize(docs), 1);
    cJSON *d = cJSON_DetachItemFromArray(docs, 0);
    cJSON_Delete(docs);
    return d;
}

static void assert_json(const cJSON *j, const char *want)
{
    char *got = cJSON_PrintUnformatted(j);
    assert_string_equal(got, want);
    free(got);
}

static void test_yaml_scalars(void **state)
{
    cJSON *d = yaml1("a: true\nb: \"true\"\nc: 42\nd: '42'\ne: 1.5\nf: null\ng: ~\nh:\n"
                     "i: yes\nj: off\nk: 0x1f\nl: 1e3\nm: v1.2\nn: -7\no: !!str 12\np: .inf\n"
                     "q: 012\nr: \"\"\n");
    assert_json(d,
                "{\"a\":true,\"b\":\"true\",\"c\":42,\"d\":\"42\",\"e\":1.5,\"f\":null,\"g\":null,"
                "\"h\":null,\"i\":true,\"j\":false,\"k\":31,\"l\":1000,\"m\":\"v1.2\",\"n\":-7,"
                "\"o\":\"12\",\"p\":\".inf\",\"q\":10,\"r\":\"\"}");
    cJSON_Delete(d);
}

static void test_yaml_structure(void **state)
{
    cJSON *d =
        yaml1("base: &b {x: 1, y: [a, 'b']}\nother:\n  <<: *b\n  y: []\nlist:\n- one\n- k: v\n"
              "block: |\n  line1\n  line2\nflow: {a: [1, {b: c}]}\n");
    assert_json(d, "{\"base\":{\"x\":1,\"y\":[\"a\",\"b\"]},\"other\":{\"y\":[],\"x\":1},"
                   "\"list\":[\"one\",{\"k\":\"v\"}],\"block\":\"line1\\nline2\\n\","
                   "\"flow\":{\"a\":[1,{\"b\":\"c\"}]}}");
    cJSON_Delete(d);
    char *cause = NULL;
    int *lines = NULL;
    const char *multi = "# comment\n---\na: 1\n---\n---\n# empty\n---\nb: 2\n...\n";
    cJSON *docs = sim_yaml_parse(multi, strlen(multi), "m.yaml", &lines, &cause);
    assert_non_null(docs);
    assert_int_equal(cJSON_GetArraySize(docs), 2);
    assert_int_equal(lines[0], 3);
    assert_int_equal(lines[1], 8);
    free(lines);
    cJSON_Delete(docs);
}

static void test_yaml_errors(void **state)
{
    char *cause = NULL;
    const char *bad = "a: 1\nb: [1, 2\nc: 3\n";
    assert_null(sim_yaml_parse(bad, strlen(bad), "bad.yaml", NULL, &cause));
    assert_memory_equal(cause, "bad.yaml:", 9);
    free(cause);
    cause = NULL;
    const char *dup = "a: 1\nb: 2\na: 3\n";
    assert_null(sim_yaml_parse(dup, strlen(dup), "dup.yaml", NULL, &cause));
    assert_string_equal(cause, "dup.yaml:3: mapping key \"a\" already defined");
    free(cause);
    cause = NULL;
    assert_null(sim_yaml_load_file("/nonexistent/x.yaml", NULL, &cause));
    assert_non_null(strstr(cause, "/nonexistent/x.yaml"));
    free(cause);
}

static void test_scenario_errors(void **state)
{
    char path[] = "/tmp/kt-sim-scenario-XXXXXX";
    int fd = mkstemp(path);
    const char *text = "apiVersion: kargo.akuity.io/v1alpha1\nkind: Project\nmetadata:\n  name: p\n"
                       "---\napiVersion: kargo.akuity.io/v1alpha1\nkind: Gadget\nmetadata:\n"
                       "  name: g\n  namespace: p\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    const char *scen[] = {path, NULL};
    struct sim_config cfg = {.scenarios = scen};
    char *cause = NULL;
    assert_null(sim_start(&cfg, &cause));
    char want[256];
    snprintf(want, sizeof want,
             "%s:6: no resource for kind \"Gadget\" in apiVersion \"kargo.akuity.io/v1alpha1\"",
             path);
    assert_string_equal(cause, want);
    free(cause);
    unlink(path);
}

static bool sel(const char *s, const char *labels)
{
    char *cause = NULL;
    struct sim_selector *x = sim_selector_parse(s, &cause);
    if (x == NULL)
        fail_msg("%s: %s", s, cause);
    cJSON *l = cJSON_Parse(labels);
    bool m = sim_selector_match(x, l);
    cJSON_Delete(l);
    sim_selector_free(x);
    return m;
}

static void test_selectors(void **state)
{
    const char *l = "{\"app\":\"web\",\"tier\":\"front\",\"kargo.akuity.io/stage\":\"dev\"}";
    assert_true(sel("", l));
    assert_true(sel("app=web", l));
    assert_true(sel("app==web", l));
    assert_false(sel("app=db", l));
    assert_true(sel("app!=db", l));
    assert_true(sel("missing!=x", l));
    assert_true(sel("tier in (front, back)", l));
    assert_false(sel("tier notin (front,back)", l));
    assert_true(sel("kargo.akuity.io/stage", l));
    assert_false(sel("!kargo.akuity.io/stage", l));
    assert_true(sel("!missing", l));
    assert_true(sel(" app = web , tier in (front) ", l));
    assert_false(sel("app=web,tier=back", l));
    assert_false(sel("app", "null"));
    char *cause = NULL;
    assert_null(sim_selector_parse("app in web", &cause));
    free(cause);
    cause = NULL;
    assert_null(sim_selector_parse("a=b c=d", &cause));
    free(cause);
    cause = NULL;
    assert_null(sim_selector_parse("=x", &cause));
    free(cause);
}

static void test_merge_patch(void **state)
{
    cJSON *t = cJSON_Parse("{\"a\":\"b\",\"c\":{\"d\":\"e\",\"f\":\"g\"},\"l\":[1,2]}");
    cJSON *p = cJSON_Parse("{\"a\":\"z\",\"c\":{\"f\":null,\"n\":{\"x\":1}},\"l\":[3]}");
    t = sim_patch_merge(t, p);
    assert_json(t, "{\"a\":\"z\",\"c\":{\"d\":\"e\",\"n\":{\"x\":1}},\"l\":[3]}");
    cJSON_Delete(p);
    cJSON_Delete(t);
}

static void test_json_patch(void **state)
{
    cJSON *t = cJSON_Parse("{\"a\":{\"b\":[1,2,3]},\"k~/\":1}");
    cJSON *ops = cJSON_Parse("[{\"op\":\"add\",\"path\":\"/a/b/1\",\"value\":9},"
                             "{\"op\":\"remove\",\"path\":\"/a/b/0\"},"
                             "{\"op\":\"replace\",\"path\":\"/k~0~1\",\"value\":2},"
                             "{\"op\":\"copy\",\"from\":\"/a/b\",\"path\":\"/c\"},"
                             "{\"op\":\"move\",\"from\":\"/c/0\",\"path\":\"/a/first\"},"
                             "{\"op\":\"test\",\"path\":\"/a/first\",\"value\":9}]");
    char *cause = NULL;
    if (sim_patch_json(&t, ops, &cause) != 0)
        fail_msg("%s", cause);
    assert_json(t, "{\"a\":{\"b\":[9,2,3],\"first\":9},\"k~/\":2,\"c\":[2,3]}");
    cJSON_Delete(ops);
    ops = cJSON_Parse("[{\"op\":\"replace\",\"path\":\"/nope\",\"value\":1}]");
    assert_int_equal(sim_patch_json(&t, ops, &cause), -1);
    assert_non_null(strstr(cause, "/nope"));
    free(cause);
    cJSON_Delete(ops);
    ops = cJSON_Parse("[{\"op\":\"remove\",\"path\":\"/a/b/7\"}]");
    cause = NULL;
    assert_int_equal(sim_patch_json(&t, ops, &cause), -1);
    free(cause);
    cJSON_Delete(ops);
    cJSON_Delete(t);
}

static void test_jsonpath_and_age(void **state)
{
    cJSON *o =
        cJSON_Parse("{\"metadata\":{\"labels\":{\"kargo.akuity.io/alias\":\"a1\"}},"
                    "\"status\":{\"conditions\":[{\"type\":\"Healthy\",\"status\":\"False\"},"
                    "{\"type\":\"Ready\",\"status\":\"True\",\"message\":\"ok\"}],"
                    "\"n\":[5,6]}}");
    const cJSON *v = sim_printer_jsonpath(o, ".metadata.labels.kargo\\.akuity\\.io/alias");
    assert_string_equal(v->valuestring, "a1");
    v = sim_printer_jsonpath(o, ".status.conditions[?(@.type==\"Ready\")].status");
    assert_string_equal(v->valuestring, "True");
    v = sim_printer_jsonpath(o, ".status.conditions[?(@.type==\"Ready\")].message");
    assert_string_equal(v->valuestring, "ok");
    assert_null(sim_printer_jsonpath(o, ".status.conditions[?(@.type==\"Gone\")].status"));
    v = sim_printer_jsonpath(o, ".status.n[1]");
    assert_int_equal(v->valueint, 6);
    assert_null(sim_printer_jsonpath(o, ".spec.shard"));
    cJSON_Delete(o);
    struct {
        long long s;
        const char *want;
    } ages[] = {{0, "0s"},
                {59, "59s"},
                {119, "119s"},
                {120, "2m"},
                {150, "2m30s"},
                {600, "10m"},
                {3 * 3600, "3h"},
                {11000, "3h3m"},
                {30 * 3600, "30h"},
                {3 * 86400, "3d"},
                {3 * 86400 + 7200, "3d2h"},
                {30 * 86400, "30d"},
                {3 * 365 * 86400LL, "3y"},
                {-5, "<invalid>"}};
    for (size_t i = 0; i < sizeof ages / sizeof ages[0]; i++) {
        char buf[32];
        timefmt_kube_age(ages[i].s, buf, sizeof buf);
        assert_string_equal(buf, ages[i].want);
    }
}

static void test_status_wording(void **state)
{
    const struct sim_resource *stages = sim_resource_find("kargo.akuity.io", "stages");
    assert_non_null(stages);
    assert_ptr_equal(sim_resource_find("kargo.akuity.io", "promo"),
                     sim_resource_find("kargo.akuity.io", "promotions"));
    assert_ptr_equal(sim_resource_by_kind("kargo.akuity.io/v1alpha1", "Stage"), stages);
    struct sim_status *st = sim_status_invalid(stages, "s");
    sim_status_add_cause(st, "FieldValueRequired", "Required value", "spec");
    sim_status_invalid_finish(st);
    cJSON *j = sim_status_to_json(st);
    assert_json(j, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":"
                   "\"Failure\",\"message\":\"Stage.kargo.akuity.io \\\"s\\\" is invalid: spec: "
                   "Required value\",\"reason\":\"Invalid\",\"details\":{\"name\":\"s\",\"group\":"
                   "\"kargo.akuity.io\",\"kind\":\"Stage\",\"causes\":[{\"reason\":"
                   "\"FieldValueRequired\",\"message\":\"Required value\",\"field\":\"spec\"}]},"
                   "\"code\":422}");
    cJSON_Delete(j);
    sim_status_free(st);
    struct sim_authz_request rq = {
        .user = "viewer", .verb = "list", .group = "kargo.akuity.io", .resource = "projects"};
    assert_true(sim_authz_allowed(&rq));
    rq.verb = "delete";
    rq.name = "p";
    assert_false(sim_authz_allowed(&rq));
    st = sim_authz_forbidden(&rq);
    assert_string_equal(st->message, "projects.kargo.akuity.io \"p\" is forbidden: User "
                                     "\"viewer\" cannot delete resource \"projects\" in API "
                                     "group \"kargo.akuity.io\" at the cluster scope");
    sim_status_free(st);
    rq.user = "mallory";
    rq.verb = "get";
    assert_false(sim_authz_allowed(&rq));
}

static void test_protobuf_ssar(void **state)
{
    /* What kubectl 1.32 sends for "auth can-i promote stages/uat -n kargo-demo". */
    static const unsigned char buf[] = {
        'k', '8', 's', 0,
        /* Unknown.typeMeta {apiVersion, kind} */
        0x0a, 0x32, 0x0a, 0x17, 'a', 'u', 't', 'h', 'o', 'r', 'i', 'z', 'a', 't', 'i', 'o', 'n',
        '.', 'k', '8', 's', '.', 'i', 'o', '/', 'v', '1', 0x12, 0x17, 'S', 'e', 'l', 'f', 'S', 'u',
        'b', 'j', 'e', 'c', 't', 'A', 'c', 'c', 'e', 's', 's', 'R', 'e', 'v', 'i', 'e', 'w',
        /* Unknown.raw: SelfSubjectAccessReview{metadata{}, spec{resourceAttributes{...}}} */
        0x12, 0x2e, 0x0a, 0x00, 0x12, 0x2a, 0x0a, 0x28, 0x0a, 0x0a, 'k', 'a', 'r', 'g', 'o', '-',
        'd', 'e', 'm', 'o', 0x12, 0x07, 'p', 'r', 'o', 'm', 'o', 't', 'e', 0x1a, 0x00, 0x22, 0x00,
        0x2a, 0x06, 's', 't', 'a', 'g', 'e', 's', 0x32, 0x00, 0x3a, 0x03, 'u', 'a', 't',
        /* Unknown.contentEncoding, contentType */
        0x1a, 0x00, 0x22, 0x00};
    size_t n = sizeof buf;
    char *cause = NULL;
    cJSON *o = sim_protobuf_ssar(buf, n, &cause);
    if (o == NULL)
        fail_msg("%s", cause);
    const cJSON *ra = json_get(o, "spec", "resourceAttributes", NULL);
    assert_string_equal(json_get_string(ra, "namespace", NULL), "kargo-demo");
    assert_string_equal(json_get_string(ra, "verb", NULL), "promote");
    assert_string_equal(json_get_string(ra, "resource", NULL), "stages");
    assert_string_equal(json_get_string(ra, "name", NULL), "uat");
    assert_string_equal(json_get_string(ra, "group", NULL), "");
    cJSON_Delete(o);
    assert_null(sim_protobuf_ssar((const unsigned char *)"{}", 2, &cause));
    free(cause);
    cause = NULL;
    assert_null(sim_protobuf_ssar(buf, 20, &cause)); /* truncated */
    free(cause);
}

static void test_protobuf_namespace(void **state)
{
    /* "kubectl create namespace kt" with a label, as the typed client encodes it. */
    static const unsigned char buf[] = {
        'k',  '8',  's',  0,   0x0a, 0x0f, 0x0a, 0x02, 'v',  '1',  0x12, 0x09, 'N',  'a',  'm',
        'e',  's',  'p',  'a', 'c',  'e',  0x12, 0x12, 0x0a, 0x0c, 0x0a, 0x02, 'k',  't',  0x5a,
        0x06, 0x0a, 0x01, 'a', 0x12, 0x01, 'b',  0x12, 0x00, 0x1a, 0x00, 0x1a, 0x00, 0x22, 0x00};
    char *cause = NULL;
    cJSON *o = sim_protobuf_namespace(buf, sizeof buf, &cause);
    if (o == NULL)
        fail_msg("%s", cause);
    assert_json(o, "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"kt\","
                   "\"labels\":{\"a\":\"b\"}}}");
    cJSON_Delete(o);
    assert_null(sim_protobuf_namespace(buf, sizeof buf - 20, &cause));
    free(cause);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_yaml_scalars),       cmocka_unit_test(test_yaml_structure),
        cmocka_unit_test(test_yaml_errors),        cmocka_unit_test(test_scenario_errors),
        cmocka_unit_test(test_selectors),          cmocka_unit_test(test_merge_patch),
        cmocka_unit_test(test_json_patch),         cmocka_unit_test(test_jsonpath_and_age),
        cmocka_unit_test(test_status_wording),     cmocka_unit_test(test_protobuf_ssar),
        cmocka_unit_test(test_protobuf_namespace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
