/* kargotop: parse the command line, connect (or start the demo cluster), run the dashboard or
 * a command. */
#include <stdio.h>
#include <stdlib.h>

#include "action/action.h"
#include "app/config.h"
#include "app/demo.h"
#include "app/options.h"
#include "app/session.h"
#include "app/version.h"
#include "cli/cli.h"
#include "kube/kubeconfig.h"
#include "ui/dashboard.h"
#include "ui/theme.h"
#include "util/strbuf.h"
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
    struct session_timeouts tmo = {o->connect_timeout_ms, o->idle_timeout_ms};
    struct session *s = session_new(cfg, o->demo ? NULL : &ko, o->project, &tmo, &cause);
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

/* The theme the options name (default: "default"). One that does not load leaves the default
 * and a message for the footer: never a broken screen. */
static void main_theme(const struct options *o, struct theme *t, struct strbuf *notice)
{
    char *cause = NULL;
    char *dir = config_dir();
    char *themes = dir != NULL ? xasprintf("%s/themes", dir) : NULL;
    if (theme_load(o->theme != NULL ? o->theme : "default", themes, t, &cause) != 0) {
        strbuf_appendf(notice, "%stheme not loaded, using the default: %s", notice->len ? "; " : "",
                       cause);
        fprintf(stderr, "kargotop: theme not loaded, using the default: %s\n", cause);
        theme_default(t);
    }
    free(cause);
    free(themes);
    free(dir);
}

/* The configuration under the command line. Returns 0, or -1 with *cause (exit status 2: a
 * broken configuration is reported whole, never half applied). */
static int main_configure(struct options *o, struct config *c, struct keymap *km,
                          struct strbuf *notice, char **cause)
{
    if (config_load(o->config, c, cause) != 0)
        return -1;
    int rc = config_apply(c, o, km, cause);
    if (c->warnings != NULL) {
        fprintf(stderr, "kargotop: %s\n", c->warnings);
        strbuf_append(notice, c->warnings);
        for (size_t i = 0; i < notice->len; i++)
            if (notice->buf[i] == '\n')
                notice->buf[i] = ' ';
    }
    return rc;
}

/* The write policy the actions obey: --readonly (or the configuration's readonly), and which
 * Stages need their name typed (the configuration's confirm:, else the actions' defaults). */
static void main_policy(struct action_policy *p, const struct options *o, const struct config *c)
{
    p->readonly = o->readonly;
    if (c->typed_name_set)
        action_policy_set_patterns(p, (const char *const *)c->typed_name, c->n_typed_name);
    if (c->typed_manual >= 0)
        p->typed_manual = c->typed_manual == 1;
    if (c->typed_batch >= 0)
        p->typed_batch_count = c->typed_batch == 1;
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
        struct keymap keys;
        struct strbuf notice;
        struct config conf;
        keymap_init(&keys);
        strbuf_init(&notice);
        if (main_configure(&opts, &conf, &keys, &notice, &cause) != 0) {
            fprintf(stderr, "kargotop: %s\n", cause);
            status = 2;
        } else {
            struct theme theme;
            main_theme(&opts, &theme, &notice);
            struct dashboard_look look = {&theme, &keys, notice.len ? notice.buf : NULL};
            struct demo *demo = NULL;
            char *why = NULL;
            struct session *s = main_connect(&opts, &demo, &why);
            if (s != NULL)
                main_policy(session_policy(s), &opts, &conf);
            if (dashboard_run(&opts, &look, s != NULL ? session_source(s) : NULL, why, &cause) !=
                0) {
                fprintf(stderr, "kargotop: %s\n", cause);
                status = 1;
            }
            session_free(s);
            demo_stop(demo);
            free(why);
        }
        config_free(&conf);
        strbuf_free(&notice);
        keymap_free(&keys);
    }
    free(cause);
    options_free(&opts);
    return status;
}
