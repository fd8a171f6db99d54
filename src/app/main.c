/* kargotop: parse the command line, connect (or start the demo cluster), run the dashboard or
 * a command. */
#include <stdio.h>
#include <stdlib.h>

#include "app/demo.h"
#include "app/options.h"
#include "app/session.h"
#include "app/version.h"
#include "cli/cli.h"
#include "kube/kubeconfig.h"
#include "ui/dashboard.h"
#include "util/xalloc.h"

/* Connects as the options say. Without a usable kubeconfig the dashboard still opens and says
 * why (*why, allocated), so a bastion user sees the reason where they look. */
static struct session *main_connect(const struct options *o, struct demo **demo, char **why)
{
    struct kube_config *cfg;
    char *cause = NULL;
    struct kubeconfig_opts ko = {.kubeconfig = o->kubeconfig,
                                 .context = o->context,
                                 .cluster = o->cluster,
                                 .user = o->user,
                                 .namespace = o->project};
    if (o->demo) {
        *demo = demo_start((const char *const *)o->scenarios, &cause);
        if (*demo == NULL) {
            *why = xasprintf("The demo cluster did not start: %s", cause);
            free(cause);
            return NULL;
        }
        cfg = demo_config(*demo);
    } else {
        cfg = kubeconfig_load(&ko, &cause);
        if (cfg == NULL) {
            *why = xasprintf("Not connected: %s", cause);
            free(cause);
            return NULL;
        }
    }
    struct session *s = session_new(cfg, o->demo ? NULL : &ko, o->project, &cause);
    if (s == NULL) {
        *why = xasprintf("Not connected: %s", cause);
        free(cause);
    }
    return s;
}

/* A command: connect as the dashboard would, run it, exit with its code (cli/cli.h). */
static int main_command(const struct options *o)
{
    struct kubeconfig_opts ko = {.kubeconfig = o->kubeconfig,
                                 .context = o->context,
                                 .cluster = o->cluster,
                                 .user = o->user,
                                 .namespace = o->project};
    struct demo *demo = NULL;
    struct kube_config *cfg = NULL;
    char *cause = NULL, *why = NULL;
    if (o->demo) {
        demo = demo_start((const char *const *)o->scenarios, &cause);
        if (demo != NULL)
            cfg = demo_config(demo);
        else
            why = xasprintf("the demo cluster did not start: %s", cause);
    } else {
        cfg = kubeconfig_load(&ko, &cause);
        if (cfg == NULL)
            why = xstrdup(cause);
    }
    int status = cli_run(&o->cmd, cfg, why, stdout, stderr);
    kubeconfig_free(cfg);
    demo_stop(demo);
    free(cause);
    free(why);
    return status;
}

int main(int argc, char *argv[])
{
    struct options opts = {0};
    char *cause = NULL;
    int status = 0;

    if (options_parse(&opts, argc, argv, &cause) != 0) {
        fprintf(stderr, "kargotop: %s (see kargotop --help)\n", cause);
        status = 2;
    } else if (opts.help) {
        options_usage(stdout, "kargotop");
    } else if (opts.version) {
        version_print(stdout);
    } else if (opts.cmd.command != CLI_NONE) {
        status = main_command(&opts);
    } else {
        struct demo *demo = NULL;
        char *why = NULL;
        struct session *s = main_connect(&opts, &demo, &why);
        if (s != NULL)
            session_policy(s)->readonly = opts.readonly;
        if (dashboard_run(&opts, s != NULL ? session_source(s) : NULL, why, &cause) != 0) {
            fprintf(stderr, "kargotop: %s\n", cause);
            status = 1;
        }
        session_free(s);
        demo_stop(demo);
        free(why);
    }
    free(cause);
    options_free(&opts);
    return status;
}
