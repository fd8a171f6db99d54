/* Conformance of kargo-sim's API over real HTTPS (and HTTP): every verb and every error of issue
 * #3, asserted on status codes, Status bodies and the store's state afterwards. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "sim/admission.h"
#include "sim/sim.h"
#include "sim/store.h"
#include "simhttp.h"
#include "util/json.h"
#include "util/xalloc.h"

#define NS        "/apis/kargo.akuity.io/v1alpha1/namespaces/kargo-demo"
#define SCENARIO  KT_SOURCE_DIR "/tests/sim/data/demo.yaml"
#define FREIGHT_A "666209fd9755a1e48bec6b27f5f447747410dd9e"

static struct sim *start(bool tls)
{
    static const char *const scen[] = {SCENARIO, NULL};
    struct sim_config cfg = {.tls = tls, .seed = 7, .scenarios = scen, .bookmark_ms = 200};
    char *cause = NULL;
    struct sim *s = sim_start(&cfg, &cause);
    if (s == NULL)
        fail_msg("sim_start: %s", cause);
    return s;
}

static int setup(void **state)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    *state = start(true);
    return 0;
}

static int teardown(void **state)
{
    sim_stop(*state);
    curl_global_cleanup();
    return 0;
}

/* The request's JSON answer with the expected code (the caller deletes it). */
static cJSON *req(struct sim *s, const char *user, const char *method, const char *path,
                  const char *ctype, const char *body, long want)
{
    struct simhttp_resp r;
    simhttp_do(s, user, method, path, ctype, body, &r);
    if (r.code != want)
        fail_msg("%s %s: want %ld, got %ld: %s", method, path, want, r.code, r.body);
    assert_string_equal(r.content_type, "application/json");
    cJSON *j = r.json;
    r.json = NULL;
    simhttp_free(&r);
    assert_non_null(j);
    return j;
}

static cJSON *get(struct sim *s, const char *path, long want)
{
    return req(s, "admin", "GET", path, NULL, NULL, want);
}

static void assert_status(const cJSON *st, long code, const char *reason, const char *message)
{
    assert_string_equal(json_get_string(st, "kind", NULL), "Status");
    assert_string_equal(json_get_string(st, "apiVersion", NULL), "v1");
    assert_string_equal(json_get_string(st, "status", NULL), "Failure");
    assert_non_null(json_get(st, "metadata", NULL));
    double c = 0;
    assert_true(json_get_number(st, &c, "code", NULL));
    assert_int_equal((long)c, code);
    assert_string_equal(json_get_string(st, "reason", NULL), reason);
    if (message != NULL)
        assert_string_equal(json_get_string(st, "message", NULL), message);
}

static const char *rv_of(const cJSON *o)
{
    const char *rv = json_get_string(o, "metadata", "resourceVersion", NULL);
    assert_non_null(rv);
    return rv;
}

static double num(const cJSON *o, ...)
{
    va_list ap;
    va_start(ap, o);
    const cJSON *n = o;
    const char *k;
    while (n != NULL && (k = va_arg(ap, const char *)) != NULL)
        n = cJSON_GetObjectItemCaseSensitive(n, k);
    va_end(ap);
    assert_true(cJSON_IsNumber(n));
    return n->valuedouble;
}

/* ---- discovery ----------------------------------------------------------------------------- */

static const cJSON *find_named(const cJSON *arr, const char *name)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        const char *n = json_get_string(it, "name", NULL);
        if (n != NULL && strcmp(n, name) == 0)
            return it;
    }
    return NULL;
}

static void test_discovery(void **state)
{
    struct sim *s = *state;
    cJSON *v = req(s, NULL, "GET", "/version", NULL, NULL, 200);
    assert_string_equal(json_get_string(v, "major", NULL), "1");
    cJSON_Delete(v);

    cJSON *apis = get(s, "/apis", 200);
    assert_string_equal(json_get_string(apis, "kind", NULL), "APIGroupList");
    const cJSON *g = find_named(json_get(apis, "groups", NULL), "kargo.akuity.io");
    assert_non_null(g);
    assert_string_equal(json_get_string(g, "preferredVersion", "groupVersion", NULL),
                        "kargo.akuity.io/v1alpha1");
    assert_non_null(find_named(json_get(apis, "groups", NULL), "authorization.k8s.io"));
    cJSON_Delete(apis);

    cJSON *rl = get(s, "/apis/kargo.akuity.io/v1alpha1", 200);
    assert_string_equal(json_get_string(rl, "kind", NULL), "APIResourceList");
    const cJSON *res = json_get(rl, "resources", NULL);
    const cJSON *stages = find_named(res, "stages");
    assert_non_null(stages);
    assert_true(cJSON_IsTrue(json_get(stages, "namespaced", NULL)));
    assert_string_equal(json_get_string(stages, "kind", NULL), "Stage");
    assert_string_equal(json_get_string(stages, "singularName", NULL), "stage");
    assert_non_null(find_named(res, "stages/status"));
    assert_null(find_named(res, "promotiontasks/status")); /* the CRD has no status */
    const cJSON *promos = find_named(res, "promotions");
    const cJSON *sn = json_get(promos, "shortNames", NULL);
    assert_int_equal(cJSON_GetArraySize(sn), 2);
    assert_string_equal(cJSON_GetArrayItem(sn, 0)->valuestring, "promo");
    assert_false(cJSON_IsTrue(json_get(find_named(res, "projects"), "namespaced", NULL)));
    cJSON_Delete(rl);

    cJSON *core = get(s, "/api/v1", 200);
    assert_non_null(find_named(json_get(core, "resources", NULL), "namespaces"));
    assert_non_null(find_named(json_get(core, "resources", NULL), "events"));
    cJSON_Delete(core);
    cJSON *api = get(s, "/api", 200);
    assert_string_equal(json_get_string(api, "kind", NULL), "APIVersions");
    cJSON_Delete(api);

    cJSON *nf = get(s, "/apis/nothing.example.com/v1", 404);
    assert_status(nf, 404, "NotFound", "the server could not find the requested resource");
    cJSON_Delete(nf);

    cJSON *oa = get(s, "/openapi/v3", 200);
    const char *url =
        json_get_string(oa, "paths", "apis/kargo.akuity.io/v1alpha1", "serverRelativeURL", NULL);
    assert_non_null(url);
    cJSON *gv = get(s, url, 200);
    const cJSON *patch = json_get(gv, "paths",
                                  "/apis/kargo.akuity.io/v1alpha1/namespaces/{namespace}/"
                                  "stages/{name}",
                                  "patch", NULL);
    assert_string_equal(json_get_string(patch, "x-kubernetes-group-version-kind", "kind", NULL),
                        "Stage");
    assert_non_null(find_named(json_get(patch, "parameters", NULL), "fieldValidation"));
    cJSON_Delete(gv);
    cJSON_Delete(oa);
}

/* ---- authentication and authorization ------------------------------------------------------ */

static void test_unauthorized(void **state)
{
    struct sim *s = *state;
    struct simhttp_resp r;
    simhttp_do(s, NULL, "GET", NS "/stages", NULL, NULL, &r);
    assert_int_equal(r.code, 401);
    assert_string_equal(r.body, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
                                "\"status\":\"Failure\",\"message\":\"Unauthorized\",\"reason\":"
                                "\"Unauthorized\",\"code\":401}");
    simhttp_free(&r);
}

static void test_forbidden(void **state)
{
    struct sim *s = *state;
    cJSON *st = req(s, "viewer", "PATCH", NS "/stages/dev", "application/merge-patch+json",
                    "{\"metadata\":{\"labels\":{\"x\":\"y\"}}}", 403);
    assert_status(st, 403, "Forbidden",
                  "stages.kargo.akuity.io \"dev\" is forbidden: User \"viewer\" cannot patch "
                  "resource \"stages\" in API group \"kargo.akuity.io\" in the namespace "
                  "\"kargo-demo\"");
    assert_string_equal(json_get_string(st, "details", "name", NULL), "dev");
    assert_string_equal(json_get_string(st, "details", "group", NULL), "kargo.akuity.io");
    assert_string_equal(json_get_string(st, "details", "kind", NULL), "stages");
    cJSON_Delete(st);

    /* The viewer reads everything, writes nothing. */
    cJSON_Delete(req(s, "viewer", "GET", NS "/stages", NULL, NULL, 200));
    cJSON_Delete(
        req(s, "viewer", "GET", "/apis/kargo.akuity.io/v1alpha1/projects", NULL, NULL, 200));
    st = req(s, "viewer", "POST", NS "/promotions", "application/json",
             "{\"metadata\":{\"name\":\"v\"},\"spec\":{\"stage\":\"dev\",\"steps\":[{}]}}", 403);
    assert_status(st, 403, "Forbidden",
                  "promotions.kargo.akuity.io is forbidden: User \"viewer\" cannot create "
                  "resource \"promotions\" in API group \"kargo.akuity.io\" in the namespace "
                  "\"kargo-demo\"");
    cJSON_Delete(st);

    /* The promoter: create promotions, patch freights/status; not patch stages/promotions. */
    cJSON *p = req(s, "promoter", "POST", NS "/promotions", "application/json",
                   "{\"metadata\":{\"name\":\"by-promoter\"},\"spec\":{\"stage\":\"dev\","
                   "\"freight\":\"" FREIGHT_A "\",\"steps\":[{\"uses\":\"git-clone\"}]}}",
                   201);
    cJSON_Delete(p);
    cJSON *f = req(s, "promoter", "PATCH", NS "/freights/" FREIGHT_A "/status",
                   "application/merge-patch+json",
                   "{\"status\":{\"approvedFor\":{\"prod\":{\"approvedAt\":"
                   "\"2026-08-21T09:00:00Z\"}}}}",
                   200);
    assert_string_equal(json_get_string(f, "status", "approvedFor", "prod", "approvedAt", NULL),
                        "2026-08-21T09:00:00Z");
    cJSON_Delete(f);
    st = req(s, "promoter", "PATCH", NS "/freights/" FREIGHT_A, "application/merge-patch+json",
             "{\"alias\":\"x\"}", 403);
    assert_status(st, 403, "Forbidden", NULL);
    cJSON_Delete(st);
    st = req(s, "promoter", "PATCH", NS "/promotions/by-promoter", "application/merge-patch+json",
             "{\"metadata\":{\"annotations\":{\"kargo.akuity.io/abort\":\"terminate\"}}}", 403);
    assert_status(st, 403, "Forbidden",
                  "promotions.kargo.akuity.io \"by-promoter\" is forbidden: User \"promoter\" "
                  "cannot patch resource \"promotions\" in API group \"kargo.akuity.io\" in the "
                  "namespace \"kargo-demo\"");
    cJSON_Delete(st);
    st = req(s, "viewer", "PATCH", NS "/freights/" FREIGHT_A "/status",
             "application/merge-patch+json", "{\"status\":{}}", 403);
    assert_status(st, 403, "Forbidden",
                  "freights.kargo.akuity.io \"" FREIGHT_A "\" is forbidden: User \"viewer\" "
                  "cannot patch resource \"freights/status\" in API group \"kargo.akuity.io\" in "
                  "the namespace \"kargo-demo\"");
    cJSON_Delete(st);
    st = req(s, "viewer", "DELETE", "/api/v1/namespaces/kargo-demo", NULL, NULL, 403);
    assert_status(st, 403, "Forbidden",
                  "namespaces \"kargo-demo\" is forbidden: User \"viewer\" cannot delete resource "
                  "\"namespaces\" in API group \"\" at the cluster scope");
    cJSON_Delete(st);
}

static bool ssar(struct sim *s, const char *user, const char *verb, const char *resource,
                 const char *sub, const char *name)
{
    char body[512];
    snprintf(body, sizeof body,
             "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SelfSubjectAccessReview\","
             "\"spec\":{\"resourceAttributes\":{\"namespace\":\"kargo-demo\",\"verb\":\"%s\","
             "\"group\":\"kargo.akuity.io\",\"resource\":\"%s\",\"subresource\":\"%s\","
             "\"name\":\"%s\"}}}",
             verb, resource, sub, name);
    cJSON *r = req(s, user, "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                   "application/json", body, 201);
    assert_string_equal(json_get_string(r, "kind", NULL), "SelfSubjectAccessReview");
    assert_string_equal(json_get_string(r, "spec", "resourceAttributes", "verb", NULL), verb);
    bool allowed = cJSON_IsTrue(json_get(r, "status", "allowed", NULL));
    assert_true(cJSON_IsBool(json_get(r, "status", "allowed", NULL)));
    cJSON_Delete(r);
    return allowed;
}

static void test_ssar(void **state)
{
    struct sim *s = *state;
    assert_true(ssar(s, "promoter", "promote", "stages", "", "uat"));
    assert_false(ssar(s, "viewer", "promote", "stages", "", "uat"));
    assert_true(ssar(s, "admin", "promote", "stages", "", "uat"));
    assert_true(ssar(s, "promoter", "patch", "freights", "status", FREIGHT_A));
    assert_false(ssar(s, "promoter", "patch", "stages", "", "uat"));
    assert_false(ssar(s, "promoter", "patch", "warehouses", "", "kargo-demo"));
    assert_true(ssar(s, "promoter", "create", "promotions", "", ""));
    assert_false(ssar(s, "viewer", "create", "promotions", "", ""));
    assert_true(ssar(s, "viewer", "watch", "stages", "", ""));
    assert_false(ssar(s, "viewer", "patch", "freights", "status", FREIGHT_A));
}

/* ---- RBAC: Roles, RoleBindings, the token file ---------------------------------------------- */

#define RBAC "/apis/rbac.authorization.k8s.io/v1/namespaces/kargo-demo"

static bool ssar_reason(struct sim *s, const char *user, const char *verb, const char *name,
                        char **reason)
{
    char body[512];
    snprintf(body, sizeof body,
             "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SelfSubjectAccessReview\","
             "\"spec\":{\"resourceAttributes\":{\"namespace\":\"kargo-demo\",\"verb\":\"%s\","
             "\"group\":\"kargo.akuity.io\",\"resource\":\"stages\"%s%s%s}}}",
             verb, name ? ",\"name\":\"" : "", name ? name : "", name ? "\"" : "");
    cJSON *r = req(s, user, "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                   "application/json", body, 201);
    bool allowed = cJSON_IsTrue(json_get(r, "status", "allowed", NULL));
    const char *why = json_get_string(r, "status", "reason", NULL);
    if (reason != NULL)
        *reason = why != NULL ? xstrdup(why) : NULL;
    cJSON_Delete(r);
    return allowed;
}

static void test_rbac_roles_bindings_and_token_file_users(void **state)
{
    (void)state;
    char dir[] = "/tmp/kt-rbac-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *tokens = xasprintf("%s/tokens.csv", dir);
    FILE *f = fopen(tokens, "w");
    assert_non_null(f);
    fputs("tok-alice-0123456789,alice,1001\n"
          "\n"
          "tok-bob-0123456789,bob,1002,\"release,qa\"\n"
          "tok-ci-0123456789,system:serviceaccount:kargo-demo:ci,1003\n",
          f);
    fclose(f);
    static const char *const scen[] = {SCENARIO, NULL};
    struct sim_config cfg = {.tls = true, .seed = 7, .scenarios = scen, .token_auth_file = tokens};
    char *cause = NULL;
    struct sim *s = sim_start(&cfg, &cause);
    if (s == NULL)
        fail_msg("sim_start: %s", cause);

    /* discovery */
    cJSON *d = get(s, "/apis/rbac.authorization.k8s.io/v1", 200);
    const cJSON *roles = find_named(json_get(d, "resources", NULL), "roles");
    assert_non_null(roles);
    assert_true(cJSON_IsTrue(json_get(roles, "namespaced", NULL)));
    assert_string_equal(json_get_string(roles, "kind", NULL), "Role");
    assert_non_null(find_named(json_get(d, "resources", NULL), "rolebindings"));
    cJSON_Delete(d);

    /* a user of the file authenticates, and may do nothing yet */
    cJSON_Delete(req(s, "alice", "GET", NS "/stages/uat", NULL, NULL, 403));
    assert_false(ssar_reason(s, "alice", "promote", "uat", NULL));

    /* promote (and get) on uat only, as a Kargo custom role */
    cJSON_Delete(req(s, "admin", "POST", RBAC "/roles", "application/json",
                     "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"Role\","
                     "\"metadata\":{\"name\":\"uat-promoter\"},\"rules\":["
                     "{\"apiGroups\":[\"kargo.akuity.io\"],\"resources\":[\"stages\"],"
                     "\"verbs\":[\"promote\",\"get\"],\"resourceNames\":[\"uat\"]},"
                     "{\"apiGroups\":[\"kargo.akuity.io\"],\"resources\":[\"promotions\"],"
                     "\"verbs\":[\"create\"]}]}",
                     201));
    cJSON *st = req(s, "admin", "POST", RBAC "/rolebindings", "application/json",
                    "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"RoleBinding\","
                    "\"metadata\":{\"name\":\"alice-uat\"},\"subjects\":[{\"kind\":\"User\","
                    "\"name\":\"bob-is-not-here\"}]}",
                    422);
    assert_status(st, 422, "Invalid", NULL);
    cJSON_Delete(st);
    cJSON_Delete(req(s, "admin", "POST", RBAC "/rolebindings", "application/json",
                     "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"RoleBinding\","
                     "\"metadata\":{\"name\":\"alice-uat\"},\"subjects\":[{\"kind\":\"User\","
                     "\"apiGroup\":\"rbac.authorization.k8s.io\",\"name\":\"alice\"}],"
                     "\"roleRef\":{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"Role\","
                     "\"name\":\"uat-promoter\"}}",
                     201));
    cJSON *r = get(s, RBAC "/roles/uat-promoter", 200);
    assert_string_equal(json_get_string(r, "kind", NULL), "Role");
    cJSON_Delete(r);
    cJSON *l = get(s, RBAC "/rolebindings", 200);
    assert_string_equal(json_get_string(l, "kind", NULL), "RoleBindingList");
    assert_int_equal(cJSON_GetArraySize(json_get(l, "items", NULL)), 1);
    cJSON_Delete(l);

    /* name-scoped: uat yes, prod no, and no name (a list) no */
    char *why = NULL;
    assert_true(ssar_reason(s, "alice", "promote", "uat", &why));
    assert_non_null(why);
    assert_string_equal(why, "RBAC: allowed by RoleBinding \"alice-uat/kargo-demo\" of Role "
                             "\"uat-promoter\" to User \"alice\"");
    free(why);
    assert_false(ssar_reason(s, "alice", "promote", "prod", NULL));
    assert_false(ssar_reason(s, "alice", "promote", NULL, NULL));
    assert_false(ssar_reason(s, "alice", "patch", "uat", NULL));
    cJSON_Delete(req(s, "alice", "GET", NS "/stages/uat", NULL, NULL, 200));
    st = req(s, "alice", "GET", NS "/stages/prod", NULL, NULL, 403);
    assert_status(st, 403, "Forbidden",
                  "stages.kargo.akuity.io \"prod\" is forbidden: User \"alice\" cannot get "
                  "resource \"stages\" in API group \"kargo.akuity.io\" in the namespace "
                  "\"kargo-demo\"");
    cJSON_Delete(st);
    cJSON_Delete(req(s, "alice", "GET", NS "/stages", NULL, NULL, 403));
    assert_false(ssar_reason(s, "bob", "promote", "uat", NULL));
    /* kubectl auth can-i --list: the Role's rules, resourceNames included */
    cJSON *rr = req(s, "alice", "POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
                    "application/json",
                    "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":"
                    "\"SelfSubjectRulesReview\",\"spec\":{\"namespace\":\"kargo-demo\"}}",
                    201);
    bool named = false;
    const cJSON *rule;
    cJSON_ArrayForEach(rule, json_get(rr, "status", "resourceRules", NULL))
    {
        const cJSON *rn = json_get(rule, "resourceNames", NULL);
        named = named || (cJSON_GetArraySize(rn) == 1 &&
                          strcmp(cJSON_GetArrayItem(rn, 0)->valuestring, "uat") == 0);
    }
    assert_true(named);
    cJSON_Delete(rr);

    /* a Group subject (bob is in release) and a ServiceAccount (namespace of the binding) */
    cJSON_Delete(req(s, "admin", "POST", RBAC "/rolebindings", "application/json",
                     "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"RoleBinding\","
                     "\"metadata\":{\"name\":\"release-uat\"},\"subjects\":["
                     "{\"kind\":\"Group\",\"name\":\"release\"},"
                     "{\"kind\":\"ServiceAccount\",\"name\":\"ci\"}],"
                     "\"roleRef\":{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"Role\","
                     "\"name\":\"uat-promoter\"}}",
                     201));
    assert_true(ssar_reason(s, "bob", "promote", "uat", NULL));
    assert_false(ssar_reason(s, "bob", "promote", "prod", NULL));
    assert_true(ssar_reason(s, "system:serviceaccount:kargo-demo:ci", "promote", "uat", NULL));

    /* deleting the binding takes the permission away */
    cJSON_Delete(req(s, "admin", "DELETE", RBAC "/rolebindings/alice-uat", NULL, NULL, 200));
    assert_false(ssar_reason(s, "alice", "promote", "uat", NULL));
    cJSON_Delete(req(s, "alice", "GET", NS "/stages/uat", NULL, NULL, 403));
    /* only admin writes RBAC objects */
    cJSON_Delete(req(s, "alice", "DELETE", RBAC "/roles/uat-promoter", NULL, NULL, 403));

    /* Roles and RoleBindings load from a scenario like any object */
    char *scen_file = xasprintf("%s/rbac.yaml", dir);
    f = fopen(scen_file, "w");
    assert_non_null(f);
    fputs("apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n"
          "  name: alice-again\n  namespace: kargo-demo\nsubjects:\n- kind: User\n"
          "  name: alice\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n"
          "  name: uat-promoter\n",
          f);
    fclose(f);
    assert_int_equal(sim_load_file(s, scen_file, &cause), 1);
    assert_true(ssar_reason(s, "alice", "promote", "uat", NULL));
    unlink(scen_file);
    free(scen_file);

    /* the file's users are in the kubeconfig, as contexts of their own */
    char *kc = xasprintf("%s/kubeconfig", dir);
    assert_int_equal(sim_write_kubeconfig(s, kc, &cause), 0);
    f = fopen(kc, "r");
    assert_non_null(f);
    char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    assert_non_null(strstr(buf, "- name: \"alice\"\n  context:\n    cluster: kargo-sim\n"
                                "    user: \"alice\"\n"));
    assert_non_null(strstr(buf, "token: \"tok-bob-0123456789\""));
    sim_stop(s);

    /* a broken line is refused with its line number */
    f = fopen(tokens, "w");
    fputs("tok-a,alice,1\nonly-a-token\n", f);
    fclose(f);
    assert_null(sim_start(&cfg, &cause));
    assert_non_null(strstr(cause, "tokens.csv:2: want token,user,uid"));
    free(cause);
    unlink(kc);
    unlink(tokens);
    rmdir(dir);
    free(kc);
    free(tokens);
}

/* ---- get, list ----------------------------------------------------------------------------- */

static bool listed(const cJSON *arr, const char *want)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        if (strcmp(it->valuestring, "*") == 0 || strcmp(it->valuestring, want) == 0)
            return true;
    }
    return false;
}

/* Whether the PolicyRules of a SelfSubjectRulesReview grant verb on resource[/sub] in Kargo's
 * group, evaluated as RBAC does. */
static bool rules_grant(const cJSON *rules, const char *verb, const char *resource, const char *sub)
{
    char res[64];
    snprintf(res, sizeof res, "%s%s%s", resource, sub[0] ? "/" : "", sub);
    const cJSON *r;
    cJSON_ArrayForEach(r, rules)
    {
        if (listed(json_get(r, "verbs", NULL), verb) &&
            listed(json_get(r, "apiGroups", NULL), "kargo.akuity.io") &&
            listed(json_get(r, "resources", NULL), res))
            return true;
    }
    return false;
}

/* kubectl auth can-i --list: SelfSubjectRulesReview answers the rules of the caller's roles, and
 * they grant exactly what SelfSubjectAccessReview (and the server itself) allows. */
static void test_ssrr_agrees_with_ssar(void **state)
{
    struct sim *s = *state;
    static const char *const users[] = {"admin", "promoter", "viewer"};
    static const struct {
        const char *verb, *resource, *sub;
    } asks[] = {{"get", "stages", ""},        {"watch", "freights", ""},
                {"promote", "stages", ""},    {"patch", "stages", ""},
                {"create", "promotions", ""}, {"patch", "promotions", ""},
                {"delete", "promotions", ""}, {"patch", "freights", "status"},
                {"patch", "freights", ""},    {"update", "warehouses", ""},
                {"create", "stages", ""},     {"patch", "stages", "status"}};
    for (size_t u = 0; u < 3; u++) {
        cJSON *r = req(s, users[u], "POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
                       "application/json",
                       "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":"
                       "\"SelfSubjectRulesReview\",\"spec\":{\"namespace\":\"kargo-demo\"}}",
                       201);
        assert_string_equal(json_get_string(r, "kind", NULL), "SelfSubjectRulesReview");
        assert_false(cJSON_IsTrue(json_get(r, "status", "incomplete", NULL)));
        const cJSON *rules = json_get(r, "status", "resourceRules", NULL);
        assert_true(cJSON_GetArraySize(rules) > 0);
        for (size_t i = 0; i < sizeof asks / sizeof asks[0]; i++) {
            bool by_rules = rules_grant(rules, asks[i].verb, asks[i].resource, asks[i].sub);
            bool by_ssar = ssar(s, users[u], asks[i].verb, asks[i].resource, asks[i].sub, "x");
            if (by_rules != by_ssar)
                fail_msg("%s %s %s/%s: rules say %d, SSAR says %d", users[u], asks[i].verb,
                         asks[i].resource, asks[i].sub, by_rules, by_ssar);
        }
        cJSON_Delete(r);
    }
    /* A review without a namespace is invalid, as kube-apiserver says. */
    cJSON *st = req(s, "viewer", "POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
                    "application/json", "{\"spec\":{}}", 422);
    assert_status(st, 422, "Invalid", NULL);
    cJSON_Delete(st);
}

static void test_get(void **state)
{
    struct sim *s = *state;
    cJSON *o = get(s, NS "/stages/prod", 200);
    assert_string_equal(json_get_string(o, "apiVersion", NULL), "kargo.akuity.io/v1alpha1");
    assert_string_equal(json_get_string(o, "kind", NULL), "Stage");
    assert_string_equal(json_get_string(o, "metadata", "namespace", NULL), "kargo-demo");
    assert_non_null(json_get_string(o, "metadata", "uid", NULL));
    assert_non_null(json_get_string(o, "metadata", "creationTimestamp", NULL));
    assert_int_equal((int)num(o, "metadata", "generation", NULL), 1);
    assert_string_equal(json_get_string(o, "spec", "shard", NULL), "east");
    cJSON_Delete(o);

    cJSON *st = get(s, NS "/stages/nope", 404);
    assert_status(st, 404, "NotFound", "stages.kargo.akuity.io \"nope\" not found");
    assert_string_equal(json_get_string(st, "details", "name", NULL), "nope");
    assert_string_equal(json_get_string(st, "details", "kind", NULL), "stages");
    cJSON_Delete(st);

    /* A scenario's status and creationTimestamp are kept. */
    o = get(s, NS "/freights/" FREIGHT_A, 200);
    assert_string_equal(json_get_string(o, "metadata", "creationTimestamp", NULL),
                        "2026-08-20T08:12:31Z");
    assert_non_null(json_get(o, "status", "verifiedIn", "dev", NULL));
    cJSON_Delete(o);

    /* The project's namespace exists with Kargo's label. */
    o = get(s, "/api/v1/namespaces/kargo-demo", 200);
    assert_string_equal(json_get_string(o, "metadata", "labels", "kargo.akuity.io/project", NULL),
                        "true");
    assert_string_equal(json_get_string(o, "status", "phase", NULL), "Active");
    cJSON_Delete(o);
    o = get(s, "/apis/kargo.akuity.io/v1alpha1/projects/kargo-demo", 200);
    assert_null(json_get(o, "metadata", "namespace", NULL));
    cJSON_Delete(o);
}

static int names_of(const cJSON *list, char out[][64], int max)
{
    int n = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, json_get(list, "items", NULL))
    {
        if (n < max)
            snprintf(out[n], 64, "%s", json_get_string(it, "metadata", "name", NULL));
        n++;
    }
    return n;
}

static void assert_names(struct sim *s, const char *path, const char *expect)
{
    cJSON *l = get(s, path, 200);
    char names[16][64];
    int n = names_of(l, names, 16);
    char joined[512] = "";
    for (int i = 0; i < n && i < 16; i++) {
        if (i > 0)
            strcat(joined, ",");
        strcat(joined, names[i]);
    }
    if (strcmp(joined, expect) != 0)
        fail_msg("%s: want [%s], got [%s]", path, expect, joined);
    cJSON_Delete(l);
}

static void test_list(void **state)
{
    struct sim *s = *state;
    cJSON *l = get(s, NS "/stages", 200);
    assert_string_equal(json_get_string(l, "kind", NULL), "StageList");
    assert_string_equal(json_get_string(l, "apiVersion", NULL), "kargo.akuity.io/v1alpha1");
    const char *rv = json_get_string(l, "metadata", "resourceVersion", NULL);
    assert_non_null(rv);
    assert_true(strtoull(rv, NULL, 10) >= sim_store_rv(sim_store(s)) - 100);
    const cJSON *it;
    cJSON_ArrayForEach(it, json_get(l, "items", NULL))
    {
        assert_string_equal(json_get_string(it, "kind", NULL), "Stage");
        assert_string_equal(json_get_string(it, "apiVersion", NULL), "kargo.akuity.io/v1alpha1");
    }
    cJSON_Delete(l);
    assert_names(s, NS "/stages", "dev,prod,uat");
    assert_names(s, NS "/stages?labelSelector=tier%3Dlow", "dev");
    assert_names(s, NS "/stages?labelSelector=tier%3D%3Dlow", "dev");
    assert_names(s, NS "/stages?labelSelector=tier%21%3Dlow", "prod,uat");
    assert_names(s, NS "/stages?labelSelector=tier%20in%20(low,high)", "dev,prod");
    assert_names(s, NS "/stages?labelSelector=tier%20notin%20(low,high)", "uat");
    assert_names(s, NS "/stages?labelSelector=team", "dev,uat");
    assert_names(s, NS "/stages?labelSelector=%21team", "prod");
    assert_names(s, NS "/stages?labelSelector=team%3Dweb,tier%3Dmid", "uat");
    assert_names(s, NS "/stages?fieldSelector=metadata.name%3Dprod", "prod");
    assert_names(s, "/apis/kargo.akuity.io/v1alpha1/stages", "dev,prod,uat");
    assert_names(s, "/apis/kargo.akuity.io/v1alpha1/namespaces/default/stages", "");
    cJSON *bad = get(s, NS "/stages?labelSelector=tier%20in%20low", 400);
    assert_status(bad, 400, "BadRequest", NULL);
    cJSON_Delete(bad);
    bad = get(s, NS "/stages?fieldSelector=spec.shard%3Deast", 400);
    assert_status(bad, 400, "BadRequest", "field label not supported: spec.shard");
    cJSON_Delete(bad);
}

static void test_list_pages(void **state)
{
    struct sim *s = *state;
    /* 7 warehouses in a namespace of their own, read 3 at a time. */
    cJSON_Delete(req(s, "admin", "POST", "/api/v1/namespaces", "application/json",
                     "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":"
                     "\"paging\"}}",
                     201));
    for (int i = 0; i < 7; i++) {
        char body[256];
        snprintf(body, sizeof body,
                 "{\"metadata\":{\"name\":\"w%d\"},\"spec\":{\"subscriptions\":[]}}", i);
        cJSON_Delete(req(s, "admin", "POST",
                         "/apis/kargo.akuity.io/v1alpha1/namespaces/paging/warehouses",
                         "application/json", body, 201));
    }
    char path[1024] = "/apis/kargo.akuity.io/v1alpha1/namespaces/paging/warehouses?limit=3";
    char seen[16][64];
    int total = 0, pages = 0;
    const char *first_rv = NULL;
    char rv0[32] = "";
    for (;;) {
        cJSON *l = get(s, path, 200);
        pages++;
        int n = names_of(l, &seen[total], 16 - total);
        total += n;
        const char *cont = json_get_string(l, "metadata", "continue", NULL);
        first_rv = json_get_string(l, "metadata", "resourceVersion", NULL);
        if (pages == 1) {
            snprintf(rv0, sizeof rv0, "%s", first_rv);
            assert_int_equal((int)num(l, "metadata", "remainingItemCount", NULL), 4);
        } else {
            assert_string_equal(first_rv, rv0); /* continued pages keep the list's rv */
        }
        if (cont == NULL || cont[0] == '\0') {
            assert_int_equal(n, 1);
            cJSON_Delete(l);
            break;
        }
        assert_int_equal(n, 3);
        char *esc = curl_easy_escape(NULL, cont, 0);
        snprintf(path, sizeof path,
                 "/apis/kargo.akuity.io/v1alpha1/namespaces/paging/warehouses?limit=3&continue=%s",
                 esc);
        curl_free(esc);
        cJSON_Delete(l);
    }
    assert_int_equal(pages, 3);
    assert_int_equal(total, 7);
    for (int i = 0; i < 7; i++) {
        char want[8];
        snprintf(want, sizeof want, "w%d", i);
        assert_string_equal(seen[i], want);
    }
    /* Defaults from the CRD schema were applied. */
    cJSON *w = get(s, "/apis/kargo.akuity.io/v1alpha1/namespaces/paging/warehouses/w0", 200);
    assert_string_equal(json_get_string(w, "spec", "interval", NULL), "5m0s");
    cJSON_Delete(w);
    cJSON *bad = get(s, NS "/stages?limit=1&continue=bm90LWEtdG9rZW4", 400);
    assert_status(bad, 400, "BadRequest", NULL);
    cJSON_Delete(bad);

    /* A continue token from before the history was compacted is 410 Expired, as after an etcd
     * compaction; a new list works. */
    cJSON *l = get(s, "/apis/kargo.akuity.io/v1alpha1/namespaces/paging/warehouses?limit=3", 200);
    char *esc = curl_easy_escape(NULL, json_get_string(l, "metadata", "continue", NULL), 0);
    snprintf(path, sizeof path,
             "/apis/kargo.akuity.io/v1alpha1/namespaces/paging/warehouses?limit=3&continue=%s",
             esc);
    curl_free(esc);
    cJSON_Delete(l);
    cJSON_Delete(get(s, path, 200)); /* still fine */
    cJSON_Delete(req(s, "admin", "PATCH", NS "/stages/dev", "application/merge-patch+json",
                     "{\"metadata\":{\"labels\":{\"compact\":\"1\"}}}", 200));
    cJSON_Delete(req(s, "admin", "DELETE", "/sim/v1/history", NULL, NULL, 200));
    bad = get(s, path, 410);
    assert_status(bad, 410, "Expired", NULL);
    assert_non_null(strstr(json_get_string(bad, "message", NULL),
                           "The provided continue parameter is too old"));
    cJSON_Delete(bad);
    cJSON_Delete(
        get(s, "/apis/kargo.akuity.io/v1alpha1/namespaces/paging/warehouses?limit=3", 200));
}

static void test_table(void **state)
{
    struct sim *s = *state;
    /* simhttp_do sends Accept: application/json; the streaming reader sends any Accept, and a
     * list's body is a single line. */
    struct simhttp_watch w;
    simhttp_watch_start(&w, s, "admin", NS "/stages",
                        "application/json;as=Table;v=v1;g=meta.k8s.io,"
                        "application/json");
    cJSON *ev = simhttp_watch_finish(&w, 5000);
    assert_int_equal(w.code, 200);
    /* The body is one JSON document: a Table. */
    cJSON *t = cJSON_GetArrayItem(ev, 0);
    assert_string_equal(json_get_string(t, "kind", NULL), "Table");
    assert_string_equal(json_get_string(t, "apiVersion", NULL), "meta.k8s.io/v1");
    const cJSON *cols = json_get(t, "columnDefinitions", NULL);
    const char *want[] = {"Name", "Shard", "Current Freight", "Health", "Ready", "Status", "Age"};
    assert_int_equal(cJSON_GetArraySize(cols), 7);
    for (int i = 0; i < 7; i++)
        assert_string_equal(json_get_string(cJSON_GetArrayItem(cols, i), "name", NULL), want[i]);
    const cJSON *rows = json_get(t, "rows", NULL);
    assert_int_equal(cJSON_GetArraySize(rows), 3);
    const cJSON *dev = json_get(cJSON_GetArrayItem(rows, 0), "cells", NULL);
    assert_string_equal(cJSON_GetArrayItem(dev, 0)->valuestring, "dev");
    assert_true(cJSON_IsNull(cJSON_GetArrayItem(dev, 1)));
    assert_string_equal(cJSON_GetArrayItem(dev, 2)->valuestring, FREIGHT_A);
    assert_string_equal(cJSON_GetArrayItem(dev, 3)->valuestring, "Healthy");
    assert_string_equal(cJSON_GetArrayItem(dev, 4)->valuestring, "True");
    assert_string_equal(cJSON_GetArrayItem(dev, 5)->valuestring, "Stage is ready");
    assert_true(cJSON_IsString(cJSON_GetArrayItem(dev, 6)));
    assert_string_equal(json_get_string(cJSON_GetArrayItem(rows, 0), "object", "kind", NULL),
                        "PartialObjectMetadata");
    cJSON_Delete(ev);
}

/* ---- create, update, patch, delete --------------------------------------------------------- */

static void test_create(void **state)
{
    struct sim *s = *state;
    unsigned long long before = sim_store_rv(sim_store(s));
    cJSON *o = req(s, "admin", "POST", NS "/promotions", "application/json",
                   "{\"apiVersion\":\"kargo.akuity.io/v1alpha1\",\"kind\":\"Promotion\","
                   "\"metadata\":{\"generateName\":\"promo-\"},\"spec\":{\"stage\":\"uat\","
                   "\"freight\":\"" FREIGHT_A "\",\"steps\":[{\"uses\":\"git-clone\"}]},"
                   "\"status\":{\"phase\":\"Succeeded\"}}",
                   201);
    const char *name = json_get_string(o, "metadata", "name", NULL);
    assert_int_equal(strlen(name), strlen("promo-") + 5);
    assert_memory_equal(name, "promo-", 6);
    assert_true(strtoull(rv_of(o), NULL, 10) > before);
    assert_non_null(json_get_string(o, "metadata", "uid", NULL));
    assert_non_null(json_get_string(o, "metadata", "creationTimestamp", NULL));
    assert_int_equal((int)num(o, "metadata", "generation", NULL), 1);
    assert_null(json_get(o, "status", NULL)); /* status only through /status */
    char path[256];
    snprintf(path, sizeof path, NS "/promotions/%s", name);
    cJSON *g = get(s, path, 200);
    assert_string_equal(rv_of(g), rv_of(o));
    cJSON_Delete(g);
    cJSON_Delete(o);

    cJSON *body = cJSON_Parse("{\"metadata\":{\"name\":\"twice\"},\"spec\":{\"stage\":\"uat\","
                              "\"steps\":[{\"uses\":\"x\"}]}}");
    char *text = cJSON_PrintUnformatted(body);
    cJSON_Delete(req(s, "admin", "POST", NS "/promotions", "application/json", text, 201));
    cJSON *st = req(s, "admin", "POST", NS "/promotions", "application/json", text, 409);
    assert_status(st, 409, "AlreadyExists", "promotions.kargo.akuity.io \"twice\" already exists");
    assert_string_equal(json_get_string(st, "details", "name", NULL), "twice");
    cJSON_Delete(st);
    st = req(s, "admin", "POST", "/apis/kargo.akuity.io/v1alpha1/namespaces/ghost/promotions",
             "application/json", text, 404);
    assert_status(st, 404, "NotFound", "namespaces \"ghost\" not found");
    cJSON_Delete(st);
    free(text);
    cJSON_Delete(body);
    st = req(s, "admin", "POST", NS "/promotions", "application/json", "{not json", 400);
    assert_status(st, 400, "BadRequest", NULL);
    cJSON_Delete(st);

    /* YAML bodies are accepted, as by kube-apiserver; the answer is JSON, type first. */
    struct simhttp_resp r;
    simhttp_do(
        s, "admin", "POST", NS "/warehouses", "application/yaml",
        "metadata:\n  name: from-yaml\n  labels: {tier: \"1\"}\nspec:\n  subscriptions: []\n", &r);
    assert_int_equal(r.code, 201);
    assert_memory_equal(
        r.body, "{\"apiVersion\":\"kargo.akuity.io/v1alpha1\",\"kind\":\"Warehouse\",",
        strlen("{\"apiVersion\":\"kargo.akuity.io/v1alpha1\",\"kind\":\"Warehouse\","));
    simhttp_free(&r);
    simhttp_do(s, "admin", "POST", NS "/warehouses", "text/plain", "x", &r);
    assert_int_equal(r.code, 415);
    assert_status(r.json, 415, "UnsupportedMediaType", NULL);
    simhttp_free(&r);
}

static void test_invalid(void **state)
{
    struct sim *s = *state;
    cJSON *st = req(s, "admin", "POST", NS "/promotions", "application/json",
                    "{\"metadata\":{\"name\":\"p1\"},\"spec\":{\"freight\":\"" FREIGHT_A "\","
                    "\"steps\":[{\"uses\":\"git-clone\"}]}}",
                    422);
    assert_status(st, 422, "Invalid",
                  "Promotion.kargo.akuity.io \"p1\" is invalid: spec.stage: Required value");
    assert_string_equal(json_get_string(st, "details", "kind", NULL), "Promotion");
    assert_string_equal(json_get_string(st, "details", "group", NULL), "kargo.akuity.io");
    const cJSON *c = cJSON_GetArrayItem(json_get(st, "details", "causes", NULL), 0);
    assert_string_equal(json_get_string(c, "reason", NULL), "FieldValueRequired");
    assert_string_equal(json_get_string(c, "message", NULL), "Required value");
    assert_string_equal(json_get_string(c, "field", NULL), "spec.stage");
    cJSON_Delete(st);

    st = req(s, "admin", "POST", NS "/stages", "application/json",
             "{\"metadata\":{\"name\":\"s1\"},\"spec\":{\"requestedFreight\":[{\"origin\":"
             "{\"kind\":\"Warehouse\"}}]}}",
             422);
    assert_status(st, 422, "Invalid",
                  "Stage.kargo.akuity.io \"s1\" is invalid: [spec.requestedFreight[0].sources: "
                  "Required value, spec.requestedFreight[0].origin.name: Required value]");
    cJSON_Delete(st);
    st = req(s, "admin", "POST", NS "/stages", "application/json",
             "{\"metadata\":{\"name\":\"Bad_Name\"},\"spec\":{\"requestedFreight\":[]}}", 422);
    assert_status(st, 422, "Invalid", NULL);
    assert_string_equal(
        json_get_string(cJSON_GetArrayItem(json_get(st, "details", "causes", NULL), 0), "field",
                        NULL),
        "metadata.name");
    cJSON_Delete(st);
    /* Nothing was stored. */
    cJSON_Delete(get(s, NS "/promotions/p1", 404));
    cJSON_Delete(get(s, NS "/stages/s1", 404));
}

static void test_update(void **state)
{
    struct sim *s = *state;
    cJSON *o = get(s, NS "/stages/uat", 200);
    char *old_rv = strdup(rv_of(o));
    double gen = num(o, "metadata", "generation", NULL);
    json_set_string(json_ensure_object(o, "spec", NULL), "shard", "west");
    /* Status in a PUT to the main resource is ignored. */
    json_set_string(json_ensure_object(o, "status", NULL), "freightSummary", "forged");
    char *text = cJSON_PrintUnformatted(o);
    cJSON *u = req(s, "admin", "PUT", NS "/stages/uat", "application/json", text, 200);
    assert_string_equal(json_get_string(u, "spec", "shard", NULL), "west");
    assert_null(json_get_string(u, "status", "freightSummary", NULL));
    assert_int_equal((int)num(u, "metadata", "generation", NULL), (int)gen + 1);
    assert_true(strtoull(rv_of(u), NULL, 10) > strtoull(old_rv, NULL, 10));
    cJSON_Delete(u);
    /* The same body again carries the old resourceVersion: Conflict. */
    cJSON *st = req(s, "admin", "PUT", NS "/stages/uat", "application/json", text, 409);
    assert_status(st, 409, "Conflict",
                  "Operation cannot be fulfilled on stages.kargo.akuity.io \"uat\": the object "
                  "has been modified; please apply your changes to the latest version and try "
                  "again");
    cJSON_Delete(st);
    free(text);
    /* A metadata-only change keeps the generation. */
    cJSON *cur = get(s, NS "/stages/uat", 200);
    json_set_string(json_ensure_object(cur, "metadata", "annotations", NULL), "note", "x");
    text = cJSON_PrintUnformatted(cur);
    u = req(s, "admin", "PUT", NS "/stages/uat", "application/json", text, 200);
    assert_int_equal((int)num(u, "metadata", "generation", NULL), (int)gen + 1);
    cJSON_Delete(u);
    free(text);
    st = req(s, "admin", "PUT", NS "/stages/ghost", "application/json",
             "{\"metadata\":{\"name\":\"ghost\"},\"spec\":{\"requestedFreight\":[]}}", 404);
    assert_status(st, 404, "NotFound", "stages.kargo.akuity.io \"ghost\" not found");
    cJSON_Delete(st);
    st = req(s, "admin", "PUT", NS "/stages/uat", "application/json",
             "{\"metadata\":{\"name\":\"other\"}}", 400);
    assert_status(st, 400, "BadRequest", NULL);
    cJSON_Delete(st);
    cJSON_Delete(cur);
    cJSON_Delete(o);
    free(old_rv);
}

static void test_status_subresource(void **state)
{
    struct sim *s = *state;
    cJSON *before = get(s, NS "/stages/prod", 200);
    double gen = num(before, "metadata", "generation", NULL);
    cJSON *u = req(s, "admin", "PATCH", NS "/stages/prod/status", "application/merge-patch+json",
                   "{\"spec\":{\"shard\":\"ignored\"},\"status\":{\"freightSummary\":\"1/1 "
                   "Fulfilled\",\"health\":{\"status\":\"Progressing\"}}}",
                   200);
    assert_string_equal(json_get_string(u, "status", "freightSummary", NULL), "1/1 Fulfilled");
    assert_string_equal(json_get_string(u, "spec", "shard", NULL), "east");
    assert_int_equal((int)num(u, "metadata", "generation", NULL), (int)gen);
    cJSON_Delete(u);
    /* PUT /status replaces the status. */
    cJSON *cur = get(s, NS "/stages/prod", 200);
    cJSON_ReplaceItemInObjectCaseSensitive(cur, "status",
                                           cJSON_Parse("{\"freightSummary\":\"N/A\"}"));
    char *text = cJSON_PrintUnformatted(cur);
    u = req(s, "admin", "PUT", NS "/stages/prod/status", "application/json", text, 200);
    assert_string_equal(json_get_string(u, "status", "freightSummary", NULL), "N/A");
    assert_null(json_get(u, "status", "health", NULL));
    cJSON_Delete(u);
    free(text);
    cJSON *g = get(s, NS "/stages/prod/status", 200);
    assert_string_equal(json_get_string(g, "status", "freightSummary", NULL), "N/A");
    cJSON_Delete(g);
    /* PromotionTasks have no /status. */
    cJSON *st = get(s, NS "/promotiontasks/x/status", 404);
    assert_status(st, 404, "NotFound", NULL);
    cJSON_Delete(st);
    cJSON_Delete(cur);
    cJSON_Delete(before);
}

static void test_patch(void **state)
{
    struct sim *s = *state;
    cJSON *p = req(s, "admin", "PATCH", NS "/warehouses/kargo-demo", "application/merge-patch+json",
                   "{\"metadata\":{\"annotations\":{\"kargo.akuity.io/refresh\":\"now\"}},"
                   "\"spec\":{\"shard\":\"s1\"}}",
                   200);
    assert_string_equal(
        json_get_string(p, "metadata", "annotations", "kargo.akuity.io/refresh", NULL), "now");
    assert_string_equal(json_get_string(p, "spec", "shard", NULL), "s1");
    assert_int_equal((int)num(p, "metadata", "generation", NULL), 2);
    cJSON_Delete(p);
    /* null removes in a merge patch */
    p = req(s, "admin", "PATCH", NS "/warehouses/kargo-demo", "application/merge-patch+json",
            "{\"spec\":{\"shard\":null}}", 200);
    assert_null(json_get(p, "spec", "shard", NULL));
    cJSON_Delete(p);
    p = req(s, "admin", "PATCH", NS "/warehouses/kargo-demo", "application/json-patch+json",
            "[{\"op\":\"add\",\"path\":\"/metadata/labels\",\"value\":{\"a/b\":\"1\"}},"
            "{\"op\":\"replace\",\"path\":\"/metadata/labels/a~1b\",\"value\":\"2\"},"
            "{\"op\":\"add\",\"path\":\"/spec/subscriptions/-\",\"value\":{\"git\":{}}},"
            "{\"op\":\"test\",\"path\":\"/spec/interval\",\"value\":\"5m0s\"}]",
            200);
    assert_string_equal(json_get_string(p, "metadata", "labels", "a/b", NULL), "2");
    assert_int_equal(cJSON_GetArraySize(json_get(p, "spec", "subscriptions", NULL)), 2);
    cJSON_Delete(p);
    cJSON *st = req(s, "admin", "PATCH", NS "/warehouses/kargo-demo", "application/json-patch+json",
                    "[{\"op\":\"test\",\"path\":\"/spec/interval\",\"value\":\"1h\"}]", 422);
    assert_status(st, 422, "Invalid", NULL);
    cJSON_Delete(st);
    st = req(s, "admin", "PATCH", NS "/warehouses/kargo-demo",
             "application/strategic-merge-patch+json", "{\"spec\":{}}", 415);
    assert_status(st, 415, "UnsupportedMediaType",
                  "the body of the request was in an unknown format - accepted media types "
                  "include: application/json-patch+json, application/merge-patch+json, "
                  "application/apply-patch+yaml");
    cJSON_Delete(st);
    st =
        req(s, "admin", "PATCH", NS "/warehouses/ghost", "application/merge-patch+json", "{}", 404);
    assert_status(st, 404, "NotFound", "warehouses.kargo.akuity.io \"ghost\" not found");
    cJSON_Delete(st);
    /* A resourceVersion in a patch is a precondition. */
    st = req(s, "admin", "PATCH", NS "/warehouses/kargo-demo", "application/merge-patch+json",
             "{\"metadata\":{\"resourceVersion\":\"1\"}}", 409);
    assert_status(st, 409, "Conflict", NULL);
    cJSON_Delete(st);
    /* Strategic merge patches are fine on core kinds. */
    p = req(s, "admin", "PATCH", "/api/v1/namespaces/kargo-demo",
            "application/strategic-merge-patch+json",
            "{\"metadata\":{\"annotations\":{\"a\":\"b\"}}}", 200);
    cJSON_Delete(p);
}

static const cJSON *manager_entry(const cJSON *obj, const char *manager)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, json_get(obj, "metadata", "managedFields", NULL))
    {
        if (strcmp(json_get_string(e, "manager", NULL), manager) == 0)
            return e;
    }
    return NULL;
}

/* Server-side apply (kubectl apply --server-side): create or merge, field ownership per manager
 * in managedFields, removal of what a manager stops applying, conflicts unless forced. */
static void test_server_side_apply(void **state)
{
    struct sim *s = *state;
#define APPLY_CT "application/apply-patch+yaml"
#define WH       NS "/warehouses/applied"
    const char *v1 = "apiVersion: kargo.akuity.io/v1alpha1\nkind: Warehouse\n"
                     "metadata: {name: applied, labels: {team: a, tier: web}}\n"
                     "spec: {interval: 7m, subscriptions: [{image: {repoURL: ghcr.io/x/y}}]}\n";
    cJSON *st = req(s, "admin", "PATCH", WH, APPLY_CT, v1, 422); /* no fieldManager */
    assert_status(st, 422, "Invalid", NULL);
    cJSON_Delete(st);
    cJSON *o = req(s, "admin", "PATCH", WH "?fieldManager=ci", APPLY_CT, v1, 201);
    assert_string_equal(json_get_string(o, "spec", "interval", NULL), "7m");
    const cJSON *e = manager_entry(o, "ci");
    assert_non_null(e);
    assert_string_equal(json_get_string(e, "operation", NULL), "Apply");
    assert_non_null(json_get(e, "fieldsV1", "f:metadata", "f:labels", "f:tier", NULL));
    assert_non_null(json_get(e, "fieldsV1", "f:spec", "f:interval", NULL));
    cJSON_Delete(o);

    /* Another writer's merge patch keeps the field sets and is not undone by a re-apply. */
    cJSON_Delete(req(s, "admin", "PATCH", WH, "application/merge-patch+json",
                     "{\"metadata\":{\"annotations\":{\"note\":\"by hand\"}}}", 200));
    /* The manager drops tier and interval from its configuration: they go (interval back to the
     * CRD default); the annotation it never applied stays. */
    const char *v2 = "apiVersion: kargo.akuity.io/v1alpha1\nkind: Warehouse\n"
                     "metadata: {name: applied, labels: {team: a}}\n"
                     "spec: {subscriptions: [{image: {repoURL: ghcr.io/x/y}}]}\n";
    o = req(s, "admin", "PATCH", WH "?fieldManager=ci", APPLY_CT, v2, 200);
    assert_null(json_get(o, "metadata", "labels", "tier", NULL));
    assert_string_equal(json_get_string(o, "metadata", "labels", "team", NULL), "a");
    assert_string_equal(json_get_string(o, "spec", "interval", NULL), "5m0s");
    assert_string_equal(json_get_string(o, "metadata", "annotations", "note", NULL), "by hand");
    cJSON_Delete(o);

    /* A second manager applying a different value of a field ci applied: 409, naming it. */
    const char *v3 = "apiVersion: kargo.akuity.io/v1alpha1\nkind: Warehouse\n"
                     "metadata: {name: applied, labels: {team: b}}\n";
    st = req(s, "admin", "PATCH", WH "?fieldManager=ops", APPLY_CT, v3, 409);
    assert_status(st, 409, "Conflict",
                  "Apply failed with 1 conflict: conflict with \"ci\": .metadata.labels.team");
    assert_string_equal(
        json_get_string(cJSON_GetArrayItem(json_get(st, "details", "causes", NULL), 0), "field",
                        NULL),
        ".metadata.labels.team");
    cJSON_Delete(st);
    /* Forced, the field changes hands. */
    o = req(s, "admin", "PATCH", WH "?fieldManager=ops&force=true", APPLY_CT, v3, 200);
    assert_string_equal(json_get_string(o, "metadata", "labels", "team", NULL), "b");
    assert_null(
        json_get(manager_entry(o, "ci"), "fieldsV1", "f:metadata", "f:labels", "f:team", NULL));
    assert_non_null(
        json_get(manager_entry(o, "ops"), "fieldsV1", "f:metadata", "f:labels", "f:team", NULL));
    cJSON_Delete(o);
    /* RBAC as for any patch; a wrong kind is refused. */
    cJSON_Delete(req(s, "viewer", "PATCH", WH "?fieldManager=v", APPLY_CT, v3, 403));
    cJSON_Delete(req(s, "admin", "PATCH", NS "/stages/applied?fieldManager=ci", APPLY_CT, v3, 400));
    /* The /status subresource: status only, with its own field set. */
    o = req(s, "admin", "PATCH", WH "/status?fieldManager=ctl", APPLY_CT,
            "apiVersion: kargo.akuity.io/v1alpha1\nkind: Warehouse\nmetadata: {name: applied}\n"
            "status: {lastFreightID: abc}\nspec: {interval: 1h}\n",
            200);
    assert_string_equal(json_get_string(o, "status", "lastFreightID", NULL), "abc");
    assert_string_equal(json_get_string(o, "spec", "interval", NULL), "5m0s");
    assert_string_equal(json_get_string(manager_entry(o, "ctl"), "subresource", NULL), "status");
    cJSON_Delete(o);
    cJSON_Delete(req(s, "admin", "DELETE", WH, NULL, NULL, 200));
}

static void assert_starts_with(const char *s, const char *prefix)
{
    assert_non_null(s);
    if (strncmp(s, prefix, strlen(prefix)) != 0)
        fail_msg("[%s] does not start with [%s]", s, prefix);
}

/* Writers other than appliers are Update managers (structured-merge-diff): they own what they
 * change, taking it from appliers without a conflict; an applier then conflicts with them, and a
 * field it drops stays while an Update manager owns it. */
static void test_server_side_apply_update_managers(void **state)
{
    struct sim *s = *state;
#define MW NS "/warehouses/managed"
    cJSON *o = req(s, "admin", "POST", NS "/warehouses?fieldManager=creator", "application/json",
                   "{\"metadata\":{\"name\":\"managed\"},\"spec\":{\"subscriptions\":[]}}", 201);
    const cJSON *e = manager_entry(o, "creator");
    assert_non_null(e);
    assert_string_equal(json_get_string(e, "operation", NULL), "Update");
    assert_string_equal(json_get_string(e, "apiVersion", NULL), "kargo.akuity.io/v1alpha1");
    assert_non_null(json_get(e, "fieldsV1", "f:spec", "f:subscriptions", NULL));
    assert_non_null(json_get(e, "fieldsV1", "f:spec", "f:interval", NULL)); /* defaulted */
    char when[64], want[256];
    snprintf(when, sizeof when, "%s", json_get_string(e, "time", NULL));
    snprintf(want, sizeof want,
             "Apply failed with 1 conflict: conflict with \"creator\" using "
             "kargo.akuity.io/v1alpha1 at %s: .spec.interval",
             when);
    cJSON_Delete(o);

    /* The applier wants another interval: a conflict with the Update manager (the same
     * subscriptions are shared, no conflict). */
    const char *v1 = "apiVersion: kargo.akuity.io/v1alpha1\nkind: Warehouse\n"
                     "metadata: {name: managed, labels: {team: a, tier: web}}\n"
                     "spec: {interval: 7m, subscriptions: []}\n";
    /* Two fields at once: kube's grouped wording. */
    const char *v0 = "apiVersion: kargo.akuity.io/v1alpha1\nkind: Warehouse\n"
                     "metadata: {name: managed}\n"
                     "spec: {interval: 7m, freightCreationPolicy: Manual}\n";
    cJSON *st = req(s, "admin", "PATCH", MW "?fieldManager=ci", APPLY_CT, v0, 409);
    char want2[512];
    snprintf(want2, sizeof want2,
             "Apply failed with 2 conflicts: conflicts with \"creator\" using "
             "kargo.akuity.io/v1alpha1 at %s:\n- .spec.interval\n- .spec.freightCreationPolicy",
             when);
    assert_status(st, 409, "Conflict", want2);
    assert_int_equal(cJSON_GetArraySize(json_get(st, "details", "causes", NULL)), 2);
    cJSON_Delete(st);
    st = req(s, "admin", "PATCH", MW "?fieldManager=ci", APPLY_CT, v1, 409);
    assert_status(st, 409, "Conflict", want);
    const cJSON *cause = cJSON_GetArrayItem(json_get(st, "details", "causes", NULL), 0);
    assert_string_equal(json_get_string(cause, "reason", NULL), "FieldManagerConflict");
    assert_string_equal(json_get_string(cause, "field", NULL), ".spec.interval");
    assert_starts_with(json_get_string(cause, "message", NULL),
                       "conflict with \"creator\" using kargo.akuity.io/v1alpha1 at ");
    cJSON_Delete(st);
    o = req(s, "admin", "PATCH", MW "?fieldManager=ci&force=true", APPLY_CT, v1, 200);
    assert_string_equal(json_get_string(o, "spec", "interval", NULL), "7m");
    assert_null(json_get(manager_entry(o, "creator"), "fieldsV1", "f:spec", "f:interval", NULL));
    assert_non_null(json_get(manager_entry(o, "ci"), "fieldsV1", "f:spec", "f:interval", NULL));
    cJSON_Delete(o);

    /* A merge patch takes tier from ci without a conflict. */
    o = req(s, "admin", "PATCH", MW "?fieldManager=editor", "application/merge-patch+json",
            "{\"metadata\":{\"labels\":{\"tier\":\"db\"}}}", 200);
    e = manager_entry(o, "editor");
    assert_string_equal(json_get_string(e, "operation", NULL), "Update");
    assert_non_null(json_get(e, "fieldsV1", "f:metadata", "f:labels", "f:tier", NULL));
    assert_null(
        json_get(manager_entry(o, "ci"), "fieldsV1", "f:metadata", "f:labels", "f:tier", NULL));
    cJSON_Delete(o);
    /* ci drops tier and team from its configuration: tier stays (editor owns it), team goes. */
    const char *v2 = "apiVersion: kargo.akuity.io/v1alpha1\nkind: Warehouse\n"
                     "metadata: {name: managed}\nspec: {interval: 7m, subscriptions: []}\n";
    o = req(s, "admin", "PATCH", MW "?fieldManager=ci", APPLY_CT, v2, 200);
    assert_string_equal(json_get_string(o, "metadata", "labels", "tier", NULL), "db");
    assert_null(json_get(o, "metadata", "labels", "team", NULL));
    cJSON_Delete(o);
    /* Taking tier back is a conflict with editor. */
    st = req(s, "admin", "PATCH", MW "?fieldManager=ci", APPLY_CT, v1, 409);
    assert_starts_with(json_get_string(st, "message", NULL),
                       "Apply failed with 1 conflict: conflict with \"editor\" using "
                       "kargo.akuity.io/v1alpha1 at ");
    assert_non_null(strstr(json_get_string(st, "message", NULL), ": .metadata.labels.tier"));
    cJSON_Delete(st);
    /* A PUT that removes the label takes it away from everyone; editor's entry, empty, goes. */
    o = get(s, MW, 200);
    cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "metadata"),
                                            "labels");
    char *body = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    o = req(s, "admin", "PUT", MW "?fieldManager=replacer", "application/json", body, 200);
    free(body);
    assert_null(manager_entry(o, "editor"));
    assert_null(json_get(o, "metadata", "labels", NULL));
    cJSON_Delete(o);
    cJSON_Delete(req(s, "admin", "DELETE", MW, NULL, NULL, 200));
#undef MW
}

/* List types from the schemas: status.conditions is a map keyed by type (CRDs), finalizers a set
 * (ObjectMeta): two appliers own their own items, merged, not replaced. */
static void test_server_side_apply_list_types(void **state)
{
    struct sim *s = *state;
#define LW NS "/warehouses/lists"
    cJSON_Delete(req(s, "admin", "POST", NS "/warehouses", "application/json",
                     "{\"metadata\":{\"name\":\"lists\"},\"spec\":{\"subscriptions\":[]}}", 201));
    const char *head = "apiVersion: kargo.akuity.io/v1alpha1\nkind: Warehouse\n"
                       "metadata: {name: lists}\n";
    char body[1024];
    snprintf(
        body, sizeof body,
        "%sstatus:\n  conditions:\n  - {type: Ready, status: 'True', reason: Fine, message: ok,"
        " lastTransitionTime: '2026-01-01T00:00:00Z'}\n",
        head);
    cJSON_Delete(req(s, "admin", "PATCH", LW "/status?fieldManager=ctl-a", APPLY_CT, body, 200));
    snprintf(body, sizeof body,
             "%sstatus:\n  conditions:\n  - {type: Healthy, status: 'False', reason: Bad, message: "
             "no, lastTransitionTime: '2026-01-01T00:00:00Z'}\n",
             head);
    cJSON *o = req(s, "admin", "PATCH", LW "/status?fieldManager=ctl-b", APPLY_CT, body, 200);
    const cJSON *conds = json_get(o, "status", "conditions", NULL);
    assert_int_equal(cJSON_GetArraySize(conds), 2);
    assert_string_equal(json_get_string(cJSON_GetArrayItem(conds, 0), "type", NULL), "Ready");
    assert_string_equal(json_get_string(cJSON_GetArrayItem(conds, 1), "type", NULL), "Healthy");
    const cJSON *fa =
        json_get(manager_entry(o, "ctl-a"), "fieldsV1", "f:status", "f:conditions", NULL);
    assert_non_null(json_get(fa, "k:{\"type\":\"Ready\"}", ".", NULL));
    assert_non_null(json_get(fa, "k:{\"type\":\"Ready\"}", "f:reason", NULL));
    assert_null(json_get(fa, "k:{\"type\":\"Healthy\"}", NULL));
    assert_non_null(json_get(manager_entry(o, "ctl-b"), "fieldsV1", "f:status", "f:conditions",
                             "k:{\"type\":\"Healthy\"}", "f:status", NULL));
    cJSON_Delete(o);
    /* ctl-b setting ctl-a's condition to another status: a conflict on that one field. */
    snprintf(body, sizeof body,
             "%sstatus:\n  conditions:\n  - {type: Ready, status: 'False', reason: Fine, message: "
             "ok, lastTransitionTime: '2026-01-01T00:00:00Z'}\n",
             head);
    cJSON *st = req(s, "admin", "PATCH", LW "/status?fieldManager=ctl-b", APPLY_CT, body, 409);
    assert_status(st, 409, "Conflict",
                  "Apply failed with 1 conflict: conflict with \"ctl-a\" with subresource "
                  "\"status\": .status.conditions[type=\"Ready\"].status");
    cJSON_Delete(st);
    /* A third applier changing both: conflicts grouped by manager. */
    snprintf(body, sizeof body,
             "%sstatus:\n  conditions:\n  - {type: Healthy, status: 'True', reason: Bad, message: "
             "no, lastTransitionTime: '2026-01-01T00:00:00Z'}\n  - {type: Ready, status: 'False', "
             "reason: Fine, message: ok, lastTransitionTime: '2026-01-01T00:00:00Z'}\n",
             head);
    st = req(s, "admin", "PATCH", LW "/status?fieldManager=ctl-c", APPLY_CT, body, 409);
    assert_status(st, 409, "Conflict",
                  "Apply failed with 2 conflicts: conflicts with \"ctl-a\" with subresource "
                  "\"status\":\n- .status.conditions[type=\"Ready\"].status\nconflicts with "
                  "\"ctl-b\" with subresource \"status\":\n- "
                  ".status.conditions[type=\"Healthy\"].status");
    cJSON_Delete(st);
    /* ctl-a stops applying its condition: it goes, ctl-b's stays. */
    snprintf(body, sizeof body, "%sstatus: {lastFreightID: abc}\n", head);
    o = req(s, "admin", "PATCH", LW "/status?fieldManager=ctl-a", APPLY_CT, body, 200);
    conds = json_get(o, "status", "conditions", NULL);
    assert_int_equal(cJSON_GetArraySize(conds), 1);
    assert_string_equal(json_get_string(cJSON_GetArrayItem(conds, 0), "type", NULL), "Healthy");
    cJSON_Delete(o);

    /* Finalizers are a set: each applier owns its own member. */
    char *fa_body = xasprintf("apiVersion: kargo.akuity.io/v1alpha1\nkind: Warehouse\n"
                              "metadata: {name: lists, finalizers: [a.io/x]}\n");
    char *fb_body = xasprintf("apiVersion: kargo.akuity.io/v1alpha1\nkind: Warehouse\n"
                              "metadata: {name: lists, finalizers: [b.io/y]}\n");
    cJSON_Delete(req(s, "admin", "PATCH", LW "?fieldManager=fa", APPLY_CT, fa_body, 200));
    o = req(s, "admin", "PATCH", LW "?fieldManager=fb", APPLY_CT, fb_body, 200);
    const cJSON *fins = json_get(o, "metadata", "finalizers", NULL);
    assert_int_equal(cJSON_GetArraySize(fins), 2);
    assert_non_null(json_get(manager_entry(o, "fa"), "fieldsV1", "f:metadata", "f:finalizers",
                             "v:\"a.io/x\"", NULL));
    cJSON_Delete(o);
    o = req(s, "admin", "PATCH", LW "?fieldManager=fa", APPLY_CT, head, 200);
    fins = json_get(o, "metadata", "finalizers", NULL);
    assert_int_equal(cJSON_GetArraySize(fins), 1);
    assert_string_equal(cJSON_GetArrayItem(fins, 0)->valuestring, "b.io/y");
    cJSON_Delete(o);
    cJSON_Delete(req(s, "admin", "PATCH", LW "?fieldManager=fb", APPLY_CT, head, 200));
    cJSON_Delete(req(s, "admin", "DELETE", LW, NULL, NULL, 200));
    cJSON_Delete(get(s, LW, 404));
    free(fa_body);
    free(fb_body);
#undef LW
}

static void test_delete(void **state)
{
    struct sim *s = *state;
    cJSON_Delete(req(s, "admin", "POST", NS "/promotions", "application/json",
                     "{\"metadata\":{\"name\":\"doomed\"},\"spec\":{\"stage\":\"dev\","
                     "\"steps\":[{}]}}",
                     201));
    cJSON *d = req(s, "admin", "DELETE", NS "/promotions/doomed", NULL, NULL, 200);
    assert_string_equal(json_get_string(d, "metadata", "name", NULL), "doomed");
    cJSON_Delete(d);
    cJSON *st = get(s, NS "/promotions/doomed", 404);
    cJSON_Delete(st);
    st = req(s, "admin", "DELETE", NS "/promotions/doomed", NULL, NULL, 404);
    assert_status(st, 404, "NotFound", "promotions.kargo.akuity.io \"doomed\" not found");
    cJSON_Delete(st);

    /* Finalizers hold a delete until an update removes them. */
    cJSON_Delete(req(s, "admin", "POST", NS "/promotions", "application/json",
                     "{\"metadata\":{\"name\":\"held\",\"finalizers\":[\"kargo.akuity.io/"
                     "finalizer\"]},\"spec\":{\"stage\":\"dev\",\"steps\":[{}]}}",
                     201));
    d = req(s, "admin", "DELETE", NS "/promotions/held", NULL, NULL, 200);
    assert_non_null(json_get_string(d, "metadata", "deletionTimestamp", NULL));
    cJSON_Delete(d);
    cJSON_Delete(get(s, NS "/promotions/held", 200));
    cJSON_Delete(req(s, "admin", "PATCH", NS "/promotions/held", "application/merge-patch+json",
                     "{\"metadata\":{\"finalizers\":null}}", 200));
    cJSON_Delete(get(s, NS "/promotions/held", 404));

    /* Deleting a namespace takes its objects along. */
    cJSON_Delete(req(s, "admin", "POST", "/apis/kargo.akuity.io/v1alpha1/projects",
                     "application/json", "{\"metadata\":{\"name\":\"short-lived\"}}", 201));
    cJSON_Delete(get(s, "/api/v1/namespaces/short-lived", 200));
    cJSON_Delete(req(s, "admin", "POST",
                     "/apis/kargo.akuity.io/v1alpha1/namespaces/short-lived/warehouses",
                     "application/json",
                     "{\"metadata\":{\"name\":\"w\"},\"spec\":{\"subscriptions\":[]}}", 201));
    assert_int_equal(sim_store_count(sim_store(s), "warehouses", "short-lived"), 1);
    cJSON_Delete(req(s, "admin", "DELETE", "/api/v1/namespaces/short-lived", NULL, NULL, 200));
    assert_int_equal(sim_store_count(sim_store(s), "warehouses", "short-lived"), 0);
    st = req(s, "admin", "POST", NS "/stages/dev", "application/json", "{}", 405);
    assert_status(st, 405, "MethodNotAllowed", NULL);
    cJSON_Delete(st);
}

/* ---- watch --------------------------------------------------------------------------------- */

static const char *ev_type(const cJSON *events, int i)
{
    return json_get_string(cJSON_GetArrayItem(events, i), "type", NULL);
}

static const char *ev_name(const cJSON *events, int i)
{
    return json_get_string(cJSON_GetArrayItem(events, i), "object", "metadata", "name", NULL);
}

/* The garbage collector: deleting an owner deletes the objects whose ownerReferences name its
 * uid (background propagation, recursively), unless DeleteOptions say Orphan. */
static void test_owner_references_are_collected(void **state)
{
    struct sim *s = *state;
    const char *owners[] = {"gc-a", "gc-b"};
    for (int k = 0; k < 2; k++) {
        char body[512], path[256];
        snprintf(body, sizeof body,
                 "{\"metadata\":{\"name\":\"%s\"},\"spec\":{\"subscriptions\":[]}}", owners[k]);
        cJSON *w = req(s, "admin", "POST", NS "/warehouses", "application/json", body, 201);
        const char *uid = json_get_string(w, "metadata", "uid", NULL);
        /* A Promotion owned by the Warehouse, and an Event owned by the Promotion. */
        snprintf(body, sizeof body,
                 "{\"metadata\":{\"name\":\"%s-p\",\"ownerReferences\":[{\"apiVersion\":"
                 "\"kargo.akuity.io/v1alpha1\",\"kind\":\"Warehouse\",\"name\":\"%s\",\"uid\":"
                 "\"%s\"}]},\"spec\":{\"stage\":\"dev\",\"steps\":[{}]}}",
                 owners[k], owners[k], uid);
        cJSON *p = req(s, "admin", "POST", NS "/promotions", "application/json", body, 201);
        snprintf(body, sizeof body,
                 "{\"metadata\":{\"name\":\"%s-e\",\"ownerReferences\":[{\"apiVersion\":"
                 "\"kargo.akuity.io/v1alpha1\",\"kind\":\"Promotion\",\"name\":\"%s-p\",\"uid\":"
                 "\"%s\"}]},\"involvedObject\":{\"kind\":\"Promotion\"},\"reason\":\"R\"}",
                 owners[k], owners[k], json_get_string(p, "metadata", "uid", NULL));
        snprintf(path, sizeof path, "/api/v1/namespaces/kargo-demo/events");
        cJSON_Delete(req(s, "admin", "POST", path, "application/json", body, 201));
        cJSON_Delete(p);
        cJSON_Delete(w);
    }
    /* Background (kubectl's default): the dependents and theirs go too. */
    cJSON_Delete(req(s, "admin", "DELETE", NS "/warehouses/gc-a", "application/json",
                     "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\",\"propagationPolicy\":"
                     "\"Background\"}",
                     200));
    cJSON_Delete(get(s, NS "/promotions/gc-a-p", 404));
    cJSON_Delete(get(s, "/api/v1/namespaces/kargo-demo/events/gc-a-e", 404));
    /* Orphan (kubectl delete --cascade=orphan): they stay. */
    cJSON_Delete(req(s, "admin", "DELETE", NS "/warehouses/gc-b", "application/json",
                     "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\",\"propagationPolicy\":"
                     "\"Orphan\"}",
                     200));
    cJSON_Delete(get(s, NS "/promotions/gc-b-p", 200));
    cJSON_Delete(get(s, "/api/v1/namespaces/kargo-demo/events/gc-b-e", 200));
    cJSON_Delete(req(s, "admin", "DELETE", NS "/promotions/gc-b-p?propagationPolicy=Orphan", NULL,
                     NULL, 200));
    cJSON_Delete(get(s, "/api/v1/namespaces/kargo-demo/events/gc-b-e", 200));
    cJSON_Delete(
        req(s, "admin", "DELETE", "/api/v1/namespaces/kargo-demo/events/gc-b-e", NULL, NULL, 200));
}

/* Kargo's project controller: a Project owns its namespace, so deleting the Project deletes the
 * namespace and what is in it, unless the Project says keep-namespace. */
static void test_project_owns_its_namespace(void **state)
{
    struct sim *s = *state;
    cJSON *p = req(s, "admin", "POST", "/apis/kargo.akuity.io/v1alpha1/projects",
                   "application/json", "{\"metadata\":{\"name\":\"owned\"}}", 201);
    cJSON *ns = get(s, "/api/v1/namespaces/owned", 200);
    const cJSON *ref = cJSON_GetArrayItem(json_get(ns, "metadata", "ownerReferences", NULL), 0);
    assert_string_equal(json_get_string(ref, "kind", NULL), "Project");
    assert_string_equal(json_get_string(ref, "uid", NULL),
                        json_get_string(p, "metadata", "uid", NULL));
    cJSON_Delete(ns);
    cJSON_Delete(p);
    cJSON_Delete(req(s, "admin", "POST",
                     "/apis/kargo.akuity.io/v1alpha1/namespaces/owned/warehouses",
                     "application/json",
                     "{\"metadata\":{\"name\":\"w\"},\"spec\":{\"subscriptions\":[]}}", 201));
    cJSON_Delete(req(s, "admin", "DELETE", "/apis/kargo.akuity.io/v1alpha1/projects/owned", NULL,
                     NULL, 200));
    cJSON_Delete(get(s, "/api/v1/namespaces/owned", 404));
    assert_int_equal(sim_store_count(sim_store(s), "warehouses", "owned"), 0);

    cJSON_Delete(req(s, "admin", "POST", "/apis/kargo.akuity.io/v1alpha1/projects",
                     "application/json",
                     "{\"metadata\":{\"name\":\"kept\",\"annotations\":{"
                     "\"kargo.akuity.io/keep-namespace\":\"true\"}}}",
                     201));
    cJSON_Delete(
        req(s, "admin", "DELETE", "/apis/kargo.akuity.io/v1alpha1/projects/kept", NULL, NULL, 200));
    ns = get(s, "/api/v1/namespaces/kept", 200);
    assert_null(json_get(ns, "metadata", "ownerReferences", NULL));
    cJSON_Delete(ns);
    cJSON_Delete(req(s, "admin", "DELETE", "/api/v1/namespaces/kept", NULL, NULL, 200));
}

static void test_watch(void **state)
{
    struct sim *s = *state;
    cJSON *l = get(s, NS "/freights", 200);
    char path[256];
    snprintf(path, sizeof path, NS "/freights?watch=1&resourceVersion=%s&timeoutSeconds=2",
             json_get_string(l, "metadata", "resourceVersion", NULL));
    cJSON_Delete(l);
    struct simhttp_watch w;
    simhttp_watch_start(&w, s, "viewer", path, NULL);
    cJSON_Delete(req(s, "admin", "POST", NS "/freights", "application/json",
                     "{\"metadata\":{\"name\":\"f-watch\"},\"origin\":{\"kind\":\"Warehouse\","
                     "\"name\":\"kargo-demo\"}}",
                     201));
    cJSON_Delete(req(s, "admin", "PATCH", NS "/freights/f-watch/status",
                     "application/merge-patch+json", "{\"status\":{\"verifiedIn\":{}}}", 200));
    cJSON_Delete(req(s, "admin", "DELETE", NS "/freights/f-watch", NULL, NULL, 200));
    /* Other resources and namespaces do not show up. */
    cJSON_Delete(req(s, "admin", "PATCH", NS "/stages/dev", "application/merge-patch+json",
                     "{\"metadata\":{\"labels\":{\"w\":\"1\"}}}", 200));
    cJSON *ev = simhttp_watch_finish(&w, 6000);
    assert_int_equal(w.code, 200);
    assert_int_equal(cJSON_GetArraySize(ev), 3);
    assert_string_equal(ev_type(ev, 0), "ADDED");
    assert_string_equal(ev_type(ev, 1), "MODIFIED");
    assert_string_equal(ev_type(ev, 2), "DELETED");
    for (int i = 0; i < 3; i++) {
        assert_string_equal(ev_name(ev, i), "f-watch");
        assert_string_equal(json_get_string(cJSON_GetArrayItem(ev, i), "object", "kind", NULL),
                            "Freight");
    }
    cJSON_Delete(ev);

    /* Without a resourceVersion: the current objects first, as ADDED. */
    simhttp_watch_start(&w, s, "admin",
                        NS "/stages?watch=true&timeoutSeconds=1&labelSelector=tier%3Dhigh", NULL);
    ev = simhttp_watch_finish(&w, 5000);
    assert_int_equal(cJSON_GetArraySize(ev), 1);
    assert_string_equal(ev_type(ev, 0), "ADDED");
    assert_string_equal(ev_name(ev, 0), "prod");
    cJSON_Delete(ev);
}

/* A watch with a selector sees what kube-apiserver's watch cache sends: an object that a change
 * moves out of the selection goes DELETED (its last selected state at the new resourceVersion),
 * one that moves in comes ADDED, and changes inside the selection are MODIFIED. */
static void test_watch_selector_transitions(void **state)
{
    struct sim *s = *state;
    cJSON_Delete(req(s, "admin", "POST", NS "/freights", "application/json",
                     "{\"metadata\":{\"name\":\"f-lane\",\"labels\":{\"lane\":\"a\"}},"
                     "\"origin\":{\"kind\":\"Warehouse\",\"name\":\"kargo-demo\"}}",
                     201));
    char path[256];
    snprintf(path, sizeof path,
             NS "/freights?watch=1&resourceVersion=%llu&timeoutSeconds=3&labelSelector=lane%%3Da",
             sim_store_rv(sim_store(s)));
    struct simhttp_watch w;
    simhttp_watch_start(&w, s, "viewer", path, NULL);
    const char *lane_b = "{\"metadata\":{\"labels\":{\"lane\":\"b\"}}}";
    cJSON *out = req(s, "admin", "PATCH", NS "/freights/f-lane", "application/merge-patch+json",
                     lane_b, 200);
    char *out_rv = xstrdup(rv_of(out));
    cJSON_Delete(out);
    /* Changes outside the selection are not seen. */
    cJSON_Delete(req(s, "admin", "PATCH", NS "/freights/f-lane", "application/merge-patch+json",
                     "{\"metadata\":{\"annotations\":{\"x\":\"1\"}}}", 200));
    cJSON_Delete(req(s, "admin", "PATCH", NS "/freights/f-lane", "application/merge-patch+json",
                     "{\"metadata\":{\"labels\":{\"lane\":\"a\"}}}", 200));
    cJSON_Delete(req(s, "admin", "PATCH", NS "/freights/f-lane", "application/merge-patch+json",
                     "{\"metadata\":{\"annotations\":{\"x\":\"2\"}}}", 200));
    cJSON_Delete(req(s, "admin", "DELETE", NS "/freights/f-lane", NULL, NULL, 200));
    cJSON *ev = simhttp_watch_finish(&w, 15000);
    assert_int_equal(w.code, 200);
    assert_int_equal(cJSON_GetArraySize(ev), 4);
    assert_string_equal(ev_type(ev, 0), "DELETED");
    const cJSON *gone = json_get(cJSON_GetArrayItem(ev, 0), "object", NULL);
    assert_string_equal(json_get_string(gone, "metadata", "labels", "lane", NULL), "a");
    assert_string_equal(rv_of(gone), out_rv); /* the event's version, the last selected state */
    assert_string_equal(ev_type(ev, 1), "ADDED");
    assert_string_equal(
        json_get_string(cJSON_GetArrayItem(ev, 1), "object", "metadata", "annotations", "x", NULL),
        "1");
    assert_string_equal(ev_type(ev, 2), "MODIFIED");
    assert_string_equal(ev_type(ev, 3), "DELETED");
    for (int i = 0; i < 4; i++)
        assert_string_equal(ev_name(ev, i), "f-lane");
    cJSON_Delete(ev);
    free(out_rv);
}

static void post_event(struct sim *s, const char *name, const char *kind, const char *obj,
                       const char *type, const char *reason)
{
    char body[768];
    snprintf(body, sizeof body,
             "{\"apiVersion\":\"v1\",\"kind\":\"Event\",\"metadata\":{\"name\":\"%s\"},"
             "\"involvedObject\":{\"apiVersion\":\"kargo.akuity.io/v1alpha1\",\"kind\":\"%s\","
             "\"namespace\":\"kargo-demo\",\"name\":\"%s\",\"uid\":\"uid-%s\"},"
             "\"type\":\"%s\",\"reason\":\"%s\",\"message\":\"m\","
             "\"source\":{\"component\":\"promotion-controller\"}}",
             name, kind, obj, obj, type, reason);
    cJSON_Delete(req(s, "admin", "POST", "/api/v1/namespaces/kargo-demo/events", "application/json",
                     body, 201));
}

static int list_count(struct sim *s, const char *path)
{
    cJSON *l = get(s, path, 200);
    int n = cJSON_GetArraySize(json_get(l, "items", NULL));
    cJSON_Delete(l);
    return n;
}

/* Field selectors kube-apiserver supports on Events (what `kubectl describe` sends to find an
 * object's events, and `kubectl get events --field-selector`), in lists and watches; other fields
 * are refused as kube-apiserver refuses them. */
static void test_event_field_selectors(void **state)
{
    struct sim *s = *state;
    post_event(s, "fs-1", "Promotion", "p-one", "Normal", "PromotionSucceeded");
    post_event(s, "fs-2", "Promotion", "p-two", "Warning", "PromotionFailed");
    post_event(s, "fs-3", "Freight", "p-one", "Normal", "FreightApproved");
#define EVENTS "/api/v1/namespaces/kargo-demo/events?fieldSelector="
    assert_int_equal(
        list_count(s, EVENTS "involvedObject.name%3Dp-one,involvedObject.kind%3DPromotion"), 1);
    assert_int_equal(list_count(s, EVENTS "involvedObject.name%3Dp-one"), 2);
    assert_int_equal(list_count(s, EVENTS "involvedObject.uid%3Duid-p-two"), 1);
    assert_int_equal(list_count(s, EVENTS "type%3DWarning"), 1);
    assert_int_equal(list_count(s, EVENTS "type!%3DWarning,involvedObject.name%3Dp-one"), 2);
    assert_int_equal(list_count(s, EVENTS "reason%3DFreightApproved"), 1);
    assert_int_equal(list_count(s, EVENTS "source%3Dpromotion-controller,type%3DNormal"), 2);
    assert_int_equal(list_count(s, "/api/v1/events?fieldSelector=metadata.namespace!%3Dkargo-demo,"
                                   "reason%3DPromotionFailed"),
                     0);
    /* The same in a watch: only the matching event arrives. */
    char path[256];
    snprintf(path, sizeof path,
             "/api/v1/namespaces/kargo-demo/events?watch=1&resourceVersion=%llu&timeoutSeconds=2"
             "&fieldSelector=involvedObject.kind%%3DPromotion,type%%3DWarning",
             sim_store_rv(sim_store(s)));
    struct simhttp_watch w;
    simhttp_watch_start(&w, s, "viewer", path, NULL);
    post_event(s, "fs-4", "Promotion", "p-three", "Normal", "PromotionCreated");
    post_event(s, "fs-5", "Promotion", "p-three", "Warning", "PromotionErrored");
    cJSON *ev = simhttp_watch_finish(&w, 15000);
    assert_int_equal(cJSON_GetArraySize(ev), 1);
    assert_string_equal(ev_name(ev, 0), "fs-5");
    cJSON_Delete(ev);
    /* Kargo's CRDs have no selectable fields beyond metadata (KARGO-API.md section 0.9). */
    cJSON *st = req(s, "viewer", "GET", NS "/freights?fieldSelector=origin.name%3Dkargo-demo", NULL,
                    NULL, 400);
    assert_status(st, 400, "BadRequest", "field label not supported: origin.name");
    cJSON_Delete(st);
    st = req(s, "viewer", "GET", NS "/stages?fieldSelector=type%3DWarning", NULL, NULL, 400);
    assert_status(st, 400, "BadRequest", "field label not supported: type");
    cJSON_Delete(st);
    for (int i = 1; i <= 5; i++) {
        snprintf(path, sizeof path, "/api/v1/namespaces/kargo-demo/events/fs-%d", i);
        cJSON_Delete(req(s, "admin", "DELETE", path, NULL, NULL, 200));
    }
}

static void test_watch_bookmarks(void **state)
{
    struct sim *s = *state;
    char path[256];
    snprintf(path, sizeof path,
             NS
             "/promotions?watch=1&allowWatchBookmarks=true&timeoutSeconds=1&resourceVersion=%llu",
             sim_store_rv(sim_store(s)));
    struct simhttp_watch w;
    simhttp_watch_start(&w, s, "admin", path, NULL);
    cJSON *ev = simhttp_watch_finish(&w, 5000);
    assert_true(cJSON_GetArraySize(ev) >= 2); /* every 200 ms in this test's configuration */
    assert_string_equal(ev_type(ev, 0), "BOOKMARK");
    const cJSON *o = json_get(cJSON_GetArrayItem(ev, 0), "object", NULL);
    assert_string_equal(json_get_string(o, "kind", NULL), "Promotion");
    assert_non_null(json_get_string(o, "metadata", "resourceVersion", NULL));
    cJSON_Delete(ev);
}

static void test_watch_expired(void **state)
{
    struct sim *s = *state;
    unsigned long long rv = sim_store_rv(sim_store(s));
    cJSON_Delete(req(s, "admin", "PATCH", NS "/stages/dev", "application/merge-patch+json",
                     "{\"metadata\":{\"labels\":{\"e\":\"1\"}}}", 200));
    /* Forget through the control endpoint, as a fault test would. */
    cJSON_Delete(req(s, "viewer", "DELETE", "/sim/v1/history", NULL, NULL, 403));
    cJSON_Delete(req(s, "admin", "DELETE", "/sim/v1/history", NULL, NULL, 200));
    char path[256];
    snprintf(path, sizeof path, NS "/stages?watch=1&resourceVersion=%llu&timeoutSeconds=5", rv);
    struct simhttp_watch w;
    simhttp_watch_start(&w, s, "admin", path, NULL);
    cJSON *ev = simhttp_watch_finish(&w, 5000);
    assert_int_equal(w.code, 200);
    assert_int_equal(cJSON_GetArraySize(ev), 1);
    assert_string_equal(ev_type(ev, 0), "ERROR");
    const cJSON *st = json_get(cJSON_GetArrayItem(ev, 0), "object", NULL);
    assert_status(st, 410, "Expired", NULL);
    char want[128];
    snprintf(want, sizeof want, "too old resource version: %llu (%llu)", rv,
             sim_store_rv(sim_store(s)) + 1);
    assert_string_equal(json_get_string(st, "message", NULL), want);
    cJSON_Delete(ev);
    /* Resuming from now works. */
    snprintf(path, sizeof path, NS "/stages?watch=1&resourceVersion=%llu&timeoutSeconds=1",
             sim_store_rv(sim_store(s)));
    simhttp_watch_start(&w, s, "admin", path, NULL);
    ev = simhttp_watch_finish(&w, 5000);
    assert_int_equal(cJSON_GetArraySize(ev), 0);
    cJSON_Delete(ev);
}

static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
    return size * n;
}

static void test_watch_initial_events(void **state)
{
    struct sim *s = *state;
    struct simhttp_watch w;
    simhttp_watch_start(&w, s, "admin",
                        NS
                        "/stages?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan"
                        "&allowWatchBookmarks=true&timeoutSeconds=1",
                        NULL);
    cJSON *ev = simhttp_watch_finish(&w, 5000);
    assert_true(cJSON_GetArraySize(ev) >= 4);
    assert_string_equal(ev_type(ev, 0), "ADDED");
    assert_string_equal(ev_name(ev, 0), "dev");
    assert_string_equal(ev_type(ev, 3), "BOOKMARK");
    assert_string_equal(json_get_string(cJSON_GetArrayItem(ev, 3), "object", "metadata",
                                        "annotations", "k8s.io/initial-events-end", NULL),
                        "true");
    cJSON_Delete(ev);
}

/* A watcher that hangs up frees its server thread without waiting for timeoutSeconds. */
static void test_watch_client_gone(void **state)
{
    struct sim *s = *state;
    struct sim_stats st0, st;
    sim_stats_get(s, &st0);
    CURL *c = curl_easy_init();
    char *url = xasprintf("%s" NS "/stages?watch=1&timeoutSeconds=60", sim_url(s));
    char *auth = xasprintf("Authorization: Bearer %s", sim_token(s, "admin"));
    struct curl_slist *h = curl_slist_append(NULL, auth);
    const char *ca = sim_ca_pem(s);
    struct curl_blob blob = {(void *)ca, strlen(ca), CURL_BLOB_COPY};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 500L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    assert_int_equal(curl_easy_perform(c), CURLE_OPERATION_TIMEDOUT);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    free(url);
    free(auth);
    for (int i = 0; i < 300; i++) {
        sim_stats_get(s, &st);
        if (st.watches_open == st0.watches_open)
            break;
        struct timespec ts = {0, 10000000L};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(st.watches_open, st0.watches_open);
}

/* ---- faults -------------------------------------------------------------------------------- */

static void set_faults(struct sim *s, const char *json)
{
    cJSON_Delete(req(s, "admin", "PUT", "/sim/v1/faults", "application/json", json, 200));
}

static size_t keep_body(char *p, size_t size, size_t n, void *ctx)
{
    strbuf_append_len(ctx, p, size * n);
    return size * n;
}

/* A GET of path as admin that gives up once no byte came for 1 s; fills body, *code and *secs
 * and returns curl's result. */
static CURLcode get_until_stalled(struct sim *s, const char *path, struct strbuf *body, long *code,
                                  double *secs)
{
    CURL *c = curl_easy_init();
    char *url = xasprintf("%s%s", sim_url(s), path);
    char *auth = xasprintf("Authorization: Bearer %s", sim_token(s, "admin"));
    struct curl_slist *h = curl_slist_append(NULL, auth);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (sim_ca_pem(s) != NULL) {
        struct curl_blob blob = {(void *)sim_ca_pem(s), strlen(sim_ca_pem(s)), CURL_BLOB_COPY};
        curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob);
    }
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, code);
    curl_easy_getinfo(c, CURLINFO_TOTAL_TIME, secs);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    free(auth);
    free(url);
    return rc;
}

static void test_faults(void **state)
{
    struct sim *s = *state;
    cJSON_Delete(req(s, "viewer", "PUT", "/sim/v1/faults", "application/json", "{}", 403));
    set_faults(s, "{\"error500Percent\":100}");
    cJSON *st = get(s, NS "/stages", 500);
    assert_status(st, 500, "InternalError", "Internal error occurred: injected fault");
    cJSON_Delete(st);
    set_faults(s, "{\"error429Percent\":100,\"retryAfterSeconds\":3}");
    struct simhttp_resp r;
    simhttp_do(s, "admin", "GET", NS "/stages", NULL, NULL, &r);
    assert_int_equal(r.code, 429);
    assert_string_equal(r.retry_after, "3");
    assert_status(r.json, 429, "TooManyRequests", NULL);
    assert_int_equal((int)num(r.json, "details", "retryAfterSeconds", NULL), 3);
    simhttp_free(&r);
    /* The control endpoint itself is never faulted. */
    set_faults(s, "{\"latencyMs\":150}");
    simhttp_do(s, "admin", "GET", NS "/stages/dev", NULL, NULL, &r);
    assert_int_equal(r.code, 200);
    assert_true(r.seconds >= 0.15);
    simhttp_free(&r);
    set_faults(s, "{\"cutBodyPercent\":100}");
    simhttp_do(s, "admin", "GET", NS "/stages", NULL, NULL, &r);
    assert_int_equal(r.curl_error, CURLE_PARTIAL_FILE);
    assert_null(r.json);
    simhttp_free(&r);
    /* A stalled answer: the status line, headers and the first half of the body, then silence
     * on an open connection until the client gives up. */
    set_faults(s, "{\"stallBodyPercent\":100}");
    struct strbuf half;
    strbuf_init(&half);
    long code = 0;
    double secs = 0;
    assert_int_equal(get_until_stalled(s, NS "/stages", &half, &code, &secs),
                     CURLE_OPERATION_TIMEDOUT);
    assert_int_equal(code, 200);
    assert_true(half.len > 0);
    assert_non_null(strstr(half.buf, "StageList"));
    assert_null(cJSON_Parse(half.buf));
    assert_true(secs >= 1.0);
    strbuf_free(&half);
    cJSON *fj = req(s, "admin", "GET", "/sim/v1/faults", NULL, NULL, 200);
    assert_int_equal((int)num(fj, "stallBodyPercent", NULL), 100);
    cJSON_Delete(fj);
    set_faults(s, "{\"cutBodyPercent\":100}");
    /* A watch stream breaks halfway through its initial events: the last line is not JSON. */
    struct simhttp_watch cw;
    simhttp_watch_start(&cw, s, "admin", NS "/stages?watch=1&timeoutSeconds=5", NULL);
    cJSON *cev = simhttp_watch_finish(&cw, 5000);
    int ncut = cJSON_GetArraySize(cev);
    assert_true(ncut >= 1 && ncut < 4);
    assert_true(cJSON_IsString(cJSON_GetArrayItem(cev, ncut - 1)));
    cJSON_Delete(cev);
    set_faults(s, "{\"tokenExpireSeconds\":1}");
    simhttp_do(s, "admin", "GET", NS "/stages/dev", NULL, NULL, &r);
    assert_int_equal(r.code, 200);
    simhttp_free(&r);
    struct timespec ts = {1, 100000000L};
    nanosleep(&ts, NULL);
    simhttp_do(s, "admin", "GET", NS "/stages/dev", NULL, NULL, &r);
    assert_int_equal(r.code, 401);
    simhttp_free(&r);
    /* Still the admin may lift the faults. */
    set_faults(s, "{\"watchCloseSeconds\":1}");
    struct simhttp_watch w;
    simhttp_watch_start(&w, s, "admin", NS "/stages?watch=1&timeoutSeconds=30", NULL);
    cJSON *ev = simhttp_watch_finish(&w, 4000);
    assert_int_equal(w.code, 200);
    assert_int_equal(cJSON_GetArraySize(ev), 3); /* the initial ADDED, then closed */
    cJSON_Delete(ev);
    set_faults(s, "{}");
    struct sim_stats stats;
    sim_stats_get(s, &stats);
    assert_true(stats.faults_injected >= 3);
}

/* The same seed draws the same faults for the same sequence of requests. */
static void test_faults_deterministic(void **state)
{
    char seq[2][41];
    for (int run = 0; run < 2; run++) {
        struct sim_config cfg = {.tls = false, .seed = 42, .faults = {.error500_pct = 50}};
        char *cause = NULL;
        struct sim *s = sim_start(&cfg, &cause);
        assert_non_null(s);
        for (int i = 0; i < 40; i++) {
            struct simhttp_resp r;
            simhttp_do(s, "admin", "GET", "/api/v1/namespaces/default", NULL, NULL, &r);
            assert_true(r.code == 200 || r.code == 500);
            seq[run][i] = r.code == 200 ? '.' : 'X';
            simhttp_free(&r);
        }
        seq[run][40] = '\0';
        sim_stop(s);
    }
    assert_string_equal(seq[0], seq[1]);
    assert_non_null(strchr(seq[0], 'X'));
    assert_non_null(strchr(seq[0], '.'));
    (void)state;
}

/* ---- plain HTTP, kubeconfig, internal store ------------------------------------------------ */

static void test_plain_http(void **state)
{
    struct sim *s = start(false);
    assert_memory_equal(sim_url(s), "http://127.0.0.1:", 17);
    assert_null(sim_ca_pem(s));
    cJSON *l = get(s, NS "/stages", 200);
    assert_int_equal(cJSON_GetArraySize(json_get(l, "items", NULL)), 3);
    cJSON_Delete(l);
    sim_stop(s);
    (void)state;
}

static void test_kubeconfig(void **state)
{
    struct sim *s = *state;
    char path[] = "/tmp/kt-sim-kubeconfig-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char *cause = NULL;
    assert_int_equal(sim_write_kubeconfig(s, path, &cause), 0);
    FILE *f = fopen(path, "r");
    char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    unlink(path);
    assert_non_null(strstr(buf, "current-context: admin\n"));
    assert_non_null(strstr(buf, "certificate-authority-data: "));
    assert_non_null(strstr(buf, sim_url(s)));
    for (const char *u = "admin"; u != NULL; u = strcmp(u, "admin") == 0      ? "promoter"
                                                 : strcmp(u, "promoter") == 0 ? "viewer"
                                                                              : NULL) {
        char ctx[64];
        snprintf(ctx, sizeof ctx, "- name: %s\n  context:\n", u);
        assert_non_null(strstr(buf, ctx));
        assert_non_null(strstr(buf, sim_token(s, u)));
    }
    assert_int_equal(sim_write_kubeconfig(s, "/nonexistent-dir/k", &cause), -1);
    assert_non_null(strstr(cause, "/nonexistent-dir/k"));
    free(cause);
}

static struct sim_status *deny_prod(void *ctx, struct sim_admission_request *rq)
{
    int *calls = ctx;
    (*calls)++;
    if (rq->op == SIM_OP_CREATE &&
        strcmp(json_get_string(rq->object, "spec", "stage", NULL), "prod") == 0) {
        struct sim_status *st =
            sim_status_new(403, "Forbidden",
                           "admission webhook \"promotion.kargo.akuity.io\" denied the request: "
                           "subject \"%s\" is not permitted to create Promotions for Stage "
                           "\"prod\"",
                           rq->user);
        return st;
    }
    return NULL;
}

static struct sim_status *label_it(void *ctx, struct sim_admission_request *rq)
{
    if (rq->object != NULL)
        json_set_string(json_ensure_object(rq->object, "metadata", "labels", NULL),
                        "kargo.akuity.io/stage",
                        json_get_string(rq->object, "spec", "stage", NULL));
    return NULL;
}

static void test_admission_and_store(void **state)
{
    struct sim *s = *state;
    struct sim_store *st = sim_store(s);
    int calls = 0;
    sim_admission_add(st, "promotions", true, label_it, NULL);
    sim_admission_add(st, "promotions", false, deny_prod, &calls);
    cJSON *o = req(s, "admin", "POST", NS "/promotions", "application/json",
                   "{\"metadata\":{\"name\":\"hooked\"},\"spec\":{\"stage\":\"uat\","
                   "\"steps\":[{}]}}",
                   201);
    assert_string_equal(json_get_string(o, "metadata", "labels", "kargo.akuity.io/stage", NULL),
                        "uat");
    cJSON_Delete(o);
    cJSON *e = req(s, "promoter", "POST", NS "/promotions", "application/json",
                   "{\"metadata\":{\"name\":\"denied\"},\"spec\":{\"stage\":\"prod\","
                   "\"steps\":[{}]}}",
                   403);
    assert_string_equal(json_get_string(e, "message", NULL),
                        "admission webhook \"promotion.kargo.akuity.io\" denied the request: "
                        "subject \"promoter\" is not permitted to create Promotions for Stage "
                        "\"prod\"");
    cJSON_Delete(e);
    assert_int_equal(calls, 2);

    /* The internal API: the same pipeline, the same resourceVersion and watch events. */
    unsigned long long rv = sim_store_rv(st);
    struct sim_status *err = NULL;
    cJSON *stage = sim_store_get(st, "stages", "kargo-demo", "dev", &err);
    assert_non_null(stage);
    cJSON *u = sim_store_patch(st, "stages", "kargo-demo", "dev", true, SIM_PATCH_MERGE,
                               "{\"status\":{\"lastHandledRefresh\":\"r1\"}}",
                               strlen("{\"status\":{\"lastHandledRefresh\":\"r1\"}}"), NULL, &err);
    assert_non_null(u);
    assert_true(strtoull(rv_of(u), NULL, 10) == rv + 1);
    cJSON_Delete(u);
    cJSON_Delete(stage);
    assert_null(sim_store_get(st, "stages", "kargo-demo", "none", &err));
    assert_int_equal(err->code, 404);
    sim_status_free(err);
    err = NULL;
    cJSON *list = sim_store_list(st, "stages", "kargo-demo", "tier in (low,mid)", &err);
    assert_int_equal(cJSON_GetArraySize(list), 2);
    cJSON_Delete(list);
    assert_true(sim_store_wait(st, rv, 10) == rv + 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_discovery),
        cmocka_unit_test(test_unauthorized),
        cmocka_unit_test(test_forbidden),
        cmocka_unit_test(test_ssar),
        cmocka_unit_test(test_rbac_roles_bindings_and_token_file_users),
        cmocka_unit_test(test_ssrr_agrees_with_ssar),
        cmocka_unit_test(test_get),
        cmocka_unit_test(test_list),
        cmocka_unit_test(test_list_pages),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_create),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_update),
        cmocka_unit_test(test_status_subresource),
        cmocka_unit_test(test_patch),
        cmocka_unit_test(test_server_side_apply),
        cmocka_unit_test(test_server_side_apply_update_managers),
        cmocka_unit_test(test_server_side_apply_list_types),
        cmocka_unit_test(test_delete),
        cmocka_unit_test(test_owner_references_are_collected),
        cmocka_unit_test(test_project_owns_its_namespace),
        cmocka_unit_test(test_watch),
        cmocka_unit_test(test_watch_selector_transitions),
        cmocka_unit_test(test_event_field_selectors),
        cmocka_unit_test(test_watch_bookmarks),
        cmocka_unit_test(test_watch_expired),
        cmocka_unit_test(test_watch_initial_events),
        cmocka_unit_test(test_watch_client_gone),
        cmocka_unit_test(test_faults),
        cmocka_unit_test(test_faults_deterministic),
        cmocka_unit_test(test_plain_http),
        cmocka_unit_test(test_kubeconfig),
        cmocka_unit_test(test_admission_and_store),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
