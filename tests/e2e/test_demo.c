/* `kargotop --demo [--scenario NAME|FILE]...` in a pseudo-terminal: the built-in simulated cluster
 * starts inside the process, the dashboard opens in the first scenario's project, a user's own
 * YAML file is all a scenario needs (the controller takes it from there), and a scenario that does
 * not exist is reported on the screen. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "expect.h"
#include "ptyterm.h"

#define WAIT_MS 30000 /* a loaded machine: the demo loads four projects before it answers */

static struct ptyterm *spawn(char *const argv[])
{
    struct ptyterm *t = ptyterm_spawn(argv, NULL, 40, 160);
    assert_non_null(t);
    return t;
}

/* Plain --demo: the four seed setups as separate projects; it opens in backstage-kargo. */
static void test_demo_opens_backstage_with_every_project(void **state)
{
    struct ptyterm *t = spawn((char *[]){KARGOTOP_BIN, "--demo", NULL});
    expect_text_within(t, "backstage-kargo", WAIT_MS);
    expect_text_within(t, "production", WAIT_MS);
    expect_text_within(t, "live", WAIT_MS);
    /* The other setups are there too: the project switcher lists them. */
    ptyterm_send(t, ":project flask-app\r");
    expect_text_within(t, "prod", WAIT_MS);
    expect_text_within(t, "flask-app", WAIT_MS);
    expect_quit(t, "q", WAIT_MS);
}

/* --scenario NAME picks the built-in setup, and the dashboard opens in its project. */
static void test_demo_scenario_by_name(void **state)
{
    struct ptyterm *t = spawn((char *[]){KARGOTOP_BIN, "--demo", "--scenario", "myapp", NULL});
    expect_text_within(t, "myapp", WAIT_MS);
    expect_text_within(t, "preprod", WAIT_MS);
    expect_text_within(t, "uat", WAIT_MS);
    char *screen = ptyterm_screen(t);
    bool other = strstr(screen, "backstage-kargo") != NULL;
    free(screen);
    assert_false(other); /* only what was asked for */
    expect_quit(t, "q", WAIT_MS);
}

static const char user_file[] =
    "apiVersion: kargo.akuity.io/v1alpha1\n"
    "kind: Project\n"
    "metadata: {name: mine}\n"
    "---\n"
    "apiVersion: kargo.akuity.io/v1alpha1\n"
    "kind: ProjectConfig\n"
    "metadata: {name: mine, namespace: mine}\n"
    "spec:\n"
    "  promotionPolicies:\n"
    "  - stageSelector: {name: qa-lane}\n"
    "    autoPromotionEnabled: true\n"
    "---\n"
    "apiVersion: kargo.akuity.io/v1alpha1\n"
    "kind: Warehouse\n"
    "metadata: {name: web, namespace: mine}\n"
    "spec:\n"
    "  subscriptions:\n"
    "  - image: {repoURL: ghcr.io/example/web}\n"
    "---\n"
    "apiVersion: kargo.akuity.io/v1alpha1\n"
    "kind: Freight\n"
    "metadata: {name: placeholder, namespace: mine}\n"
    "alias: first-light\n"
    "origin: {kind: Warehouse, name: web}\n"
    "images:\n"
    "- {repoURL: ghcr.io/example/web, tag: 4.2.0, digest: 'sha256:0123'}\n"
    "---\n"
    "apiVersion: kargo.akuity.io/v1alpha1\n"
    "kind: Stage\n"
    "metadata: {name: qa-lane, namespace: mine}\n"
    "spec:\n"
    "  requestedFreight:\n"
    "  - origin: {kind: Warehouse, name: web}\n"
    "    sources: {direct: true}\n"
    "  promotionTemplate:\n"
    "    spec:\n"
    "      steps:\n"
    "      - uses: git-clone\n"
    "      - uses: argocd-update\n";

/* A file written as for `kubectl apply -f`, without any status: the demo opens in its project and
 * the controller auto-promotes the freight into the stage whose policy says so. */
static void test_demo_scenario_from_a_users_file(void **state)
{
    char dir[] = "/tmp/kt-demo-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/mine.yaml", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(user_file, f);
    fclose(f);

    struct ptyterm *t = spawn((char *[]){KARGOTOP_BIN, "--demo", "--scenario", path, NULL});
    expect_text_within(t, "mine", WAIT_MS);
    expect_text_within(t, "qa-lane", WAIT_MS);
    expect_text_within(t, "first-light", WAIT_MS);
    /* The controller promoted it: the freight is in the stage (the WHERE column). */
    expect_text_within(t, "\u25cfqa-lane", WAIT_MS);
    expect_quit(t, "q", WAIT_MS);
    unlink(path);
    rmdir(dir);
}

/* Several --scenario options add their projects side by side. */
static void test_demo_several_scenarios(void **state)
{
    struct ptyterm *t = spawn((char *[]){KARGOTOP_BIN, "--demo", "--scenario", "flask-app",
                                         "--scenario", "backstage", NULL});
    expect_text_within(t, "flask-app", WAIT_MS); /* the first one's project opens */
    expect_text_within(t, "staging", WAIT_MS);
    ptyterm_send(t, ":project backstage-kargo\r");
    expect_text_within(t, "production", WAIT_MS);
    expect_quit(t, "q", WAIT_MS);
}

/* A scenario that is neither built in nor a file: the reason is on the screen, nothing crashes. */
static void test_demo_unknown_scenario_says_why(void **state)
{
    struct ptyterm *t =
        spawn((char *[]){KARGOTOP_BIN, "--demo", "--scenario", "no-such-setup", NULL});
    expect_text_within(t, "The demo cluster did not start", WAIT_MS);
    expect_text_within(t, "no-such-setup", WAIT_MS);
    expect_quit(t, "q", WAIT_MS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_demo_opens_backstage_with_every_project),
        cmocka_unit_test(test_demo_scenario_by_name),
        cmocka_unit_test(test_demo_scenario_from_a_users_file),
        cmocka_unit_test(test_demo_several_scenarios),
        cmocka_unit_test(test_demo_unknown_scenario_says_why),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
