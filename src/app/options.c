/* Command-line options: one table drives both the parser and --help. */
#include "app/options.h"

#include <getopt.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"
#include "util/xalloc.h"

enum option_id {
    OPT_KUBECONFIG = 256,
    OPT_CONTEXT,
    OPT_CLUSTER,
    OPT_USER,
    OPT_PROJECT,
    OPT_READONLY,
    OPT_WRITE,
    OPT_CONFIG,
    OPT_THEME,
    OPT_COLOR,
    OPT_ASCII,
    OPT_MOUSE,
    OPT_DEMO,
    OPT_SCENARIO,
    OPT_HELP,
    OPT_VERSION,
};

static const struct option_spec {
    enum option_id id;
    const char *name;  /* long name */
    char shortname;    /* 0 for none */
    const char *alias; /* a second long name, or NULL */
    char shortalias;   /* a second short name, or 0 */
    const char *arg;   /* argument placeholder, NULL for a flag */
    const char *help;
} option_table[] = {
    {OPT_KUBECONFIG, "kubeconfig", 0, NULL, 0, "FILE",
     "kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)"},
    {OPT_CONTEXT, "context", 0, NULL, 0, "NAME", "kubeconfig context to use"},
    {OPT_CLUSTER, "cluster", 0, NULL, 0, "NAME", "kubeconfig cluster to use"},
    {OPT_USER, "user", 0, NULL, 0, "NAME", "kubeconfig user to use"},
    {OPT_PROJECT, "project", 'n', "namespace", 'p', "NAME",
     "Kargo project to open (a project is a namespace)"},
    {OPT_READONLY, "readonly", 0, NULL, 0, NULL, "never write to the cluster"},
    {OPT_WRITE, "write", 0, NULL, 0, NULL, "allow writes even if the configuration says readonly"},
    {OPT_CONFIG, "config", 0, NULL, 0, "FILE",
     "configuration file (default: $XDG_CONFIG_HOME/kargotop/config.yaml)"},
    {OPT_THEME, "theme", 0, NULL, 0, "NAME|FILE",
     "colour theme: default, light, high-contrast, mono, or a theme file"},
    {OPT_COLOR, "color", 0, "colour", 0, "WHEN",
     "colour: auto (default; off with NO_COLOR), always, never"},
    {OPT_ASCII, "ascii", 0, NULL, 0, NULL, "ASCII lines and glyphs even in a UTF-8 locale"},
    {OPT_MOUSE, "mouse", 0, NULL, 0, NULL, "mouse: click to select, wheel to scroll"},
    {OPT_DEMO, "demo", 0, NULL, 0, NULL, "run against the built-in simulated Kargo cluster"},
    {OPT_SCENARIO, "scenario", 0, NULL, 0, "NAME|FILE",
     "with --demo: load this scenario (repeatable; backstage, flask-app, microsvcs, myapp, "
     "large, demo, or a YAML file)"},
    {OPT_HELP, "help", 'h', NULL, 0, NULL, "show this help and exit"},
    {OPT_VERSION, "version", 'V', NULL, 0, NULL, "show versions of kargotop and its libraries"},
};
#define OPTION_COUNT (sizeof option_table / sizeof option_table[0])

static const struct option_spec *options_find(int id)
{
    for (size_t i = 0; i < OPTION_COUNT; i++) {
        if ((int)option_table[i].id == id || option_table[i].shortname == id ||
            (option_table[i].shortalias != 0 && option_table[i].shortalias == id))
            return &option_table[i];
    }
    return NULL;
}

static void options_set(char **slot, const char *value)
{
    free(*slot);
    *slot = xstrdup(value);
}

int options_colour_parse(const char *text, enum options_colour *out)
{
    static const char *const names[] = {"auto", "always", "never"};
    for (int i = 0; i < 3; i++)
        if (strcmp(text, names[i]) == 0) {
            *out = (enum options_colour)(OPTIONS_COLOUR_AUTO + i);
            return 0;
        }
    return -1;
}

int options_parse(struct options *o, int argc, char *const argv[], char **cause)
{
    struct option longopts[2 * OPTION_COUNT + 1];
    struct strbuf shortopts;
    size_t n = 0;

    strbuf_init(&shortopts);
    strbuf_append_char(&shortopts, ':'); /* report a missing argument as ':' */
    for (size_t i = 0; i < OPTION_COUNT; i++) {
        const struct option_spec *s = &option_table[i];
        int has_arg = s->arg ? required_argument : no_argument;
        longopts[n++] = (struct option){s->name, has_arg, NULL, (int)s->id};
        if (s->alias)
            longopts[n++] = (struct option){s->alias, has_arg, NULL, (int)s->id};
        for (char c = s->shortname; c != 0; c = (c == s->shortname ? s->shortalias : 0)) {
            strbuf_append_char(&shortopts, c);
            if (s->arg)
                strbuf_append_char(&shortopts, ':');
        }
    }
    longopts[n] = (struct option){NULL, 0, NULL, 0};

    int rc = 0;
    int c;
    optind = 0; /* glibc: a full reset, so the parser may run more than once (tests) */
    opterr = 0;
    while ((c = getopt_long(argc, argv, shortopts.buf, longopts, NULL)) != -1) {
        const char *bad = argv[optind - 1];
        if (c == '?') {
            if (optopt != 0 && strncmp(bad, "--", 2) != 0)
                cause_set(cause, "unknown option '-%c'", optopt);
            else
                cause_set(cause, "unknown option '%s'", bad);
            rc = -1;
            break;
        }
        if (c == ':') {
            cause_set(cause, "option '%s' needs an argument", bad);
            rc = -1;
            break;
        }
        const struct option_spec *s = options_find(c);
        switch (s->id) {
        case OPT_KUBECONFIG:
            options_set(&o->kubeconfig, optarg);
            break;
        case OPT_CONTEXT:
            options_set(&o->context, optarg);
            break;
        case OPT_CLUSTER:
            options_set(&o->cluster, optarg);
            break;
        case OPT_USER:
            options_set(&o->user, optarg);
            break;
        case OPT_PROJECT:
            options_set(&o->project, optarg);
            break;
        case OPT_READONLY:
            o->readonly = true;
            break;
        case OPT_WRITE:
            o->write = true;
            break;
        case OPT_CONFIG:
            options_set(&o->config, optarg);
            break;
        case OPT_THEME:
            options_set(&o->theme, optarg);
            break;
        case OPT_COLOR:
            if (options_colour_parse(optarg, &o->colour) != 0) {
                cause_set(cause, "--color takes auto, always or never, not '%s'", optarg);
                rc = -1;
            }
            break;
        case OPT_ASCII:
            o->ascii = true;
            break;
        case OPT_MOUSE:
            o->mouse = true;
            break;
        case OPT_DEMO:
            o->demo = true;
            break;
        case OPT_SCENARIO:
            o->scenarios = xrealloc(o->scenarios, (o->n_scenarios + 2) * sizeof *o->scenarios);
            o->scenarios[o->n_scenarios++] = xstrdup(optarg);
            o->scenarios[o->n_scenarios] = NULL;
            break;
        case OPT_HELP:
            o->help = true;
            break;
        case OPT_VERSION:
            o->version = true;
            break;
        }
        if (rc != 0)
            break;
    }
    if (rc == 0 && optind < argc) {
        cause_set(cause, "unexpected argument '%s'", argv[optind]);
        rc = -1;
    }
    if (rc == 0 && o->readonly && o->write) {
        cause_set(cause, "--readonly and --write contradict each other");
        rc = -1;
    }
    if (rc == 0 && o->n_scenarios > 0 && !o->demo) {
        cause_set(cause, "--scenario needs --demo (it chooses what the simulated cluster holds)");
        rc = -1;
    }
    if (rc == 0 && o->project != NULL && o->project[0] == '\0') {
        cause_set(cause, "the project name is empty");
        rc = -1;
    }
    strbuf_free(&shortopts);
    return rc;
}

void options_free(struct options *o)
{
    free(o->kubeconfig);
    free(o->context);
    free(o->cluster);
    free(o->user);
    free(o->project);
    free(o->config);
    free(o->theme);
    for (size_t i = 0; i < o->n_scenarios; i++)
        free(o->scenarios[i]);
    free(o->scenarios);
    memset(o, 0, sizeof *o);
}

void options_usage(FILE *f, const char *progname)
{
    fprintf(f, "Usage: %s [OPTION]...\n", progname);
    fprintf(f, "A live terminal console for Kargo: see and act on every stage, freight and\n"
               "promotion of a project, straight from your kubeconfig.\n\nOptions:\n");
    for (size_t i = 0; i < OPTION_COUNT; i++) {
        const struct option_spec *s = &option_table[i];
        struct strbuf left;
        strbuf_init(&left);
        if (s->shortname)
            strbuf_appendf(&left, "-%c, ", s->shortname);
        if (s->shortalias)
            strbuf_appendf(&left, "-%c, ", s->shortalias);
        strbuf_appendf(&left, "--%s", s->name);
        if (s->alias)
            strbuf_appendf(&left, ", --%s", s->alias);
        if (s->arg)
            strbuf_appendf(&left, " %s", s->arg);
        fprintf(f, "  %-38s %s\n", left.buf, s->help);
        strbuf_free(&left);
    }
    fprintf(f, "\nIn the dashboard, press ? for the keys.\n");
}
