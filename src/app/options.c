/* Command-line options: one table drives the parser, the per-command checks and --help. */
#include "app/options.h"

#include <getopt.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"
#include "util/timefmt.h"
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
    OPT_OUTPUT,
    OPT_WATCH,
    OPT_NO_HEADERS,
    OPT_STAGE,
    OPT_FREIGHT,
    OPT_FREIGHT_ALIAS,
    OPT_WAREHOUSE,
    OPT_ALIAS,
    OPT_NAME,
    OPT_DOWNSTREAM_FROM,
    OPT_TO,
    OPT_WAIT,
    OPT_TIMEOUT,
    OPT_ABORT,
    OPT_CONNECT_TIMEOUT,
    OPT_IDLE_TIMEOUT,
    OPT_LAST /* one past the last id */
};

/* Which commands an option applies to: a mask of (1 << enum cli_command); 0 = everywhere. */
#define ON(c)    (1u << (c))
#define ALL      0u
#define COMMANDS (~ON(CLI_NONE))

static const struct option_spec {
    enum option_id id;
    const char *name;  /* long name */
    char shortname;    /* 0 for none */
    const char *alias; /* a second long name, or NULL */
    char shortalias;   /* a second short name, or 0 */
    const char *arg;   /* argument placeholder, NULL for a flag */
    unsigned commands; /* where it applies */
    const char *help;
} option_table[] = {
    {OPT_KUBECONFIG, "kubeconfig", 0, NULL, 0, "FILE", ALL,
     "kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)"},
    {OPT_CONTEXT, "context", 0, NULL, 0, "NAME", ALL, "kubeconfig context to use"},
    {OPT_CLUSTER, "cluster", 0, NULL, 0, "NAME", ALL, "kubeconfig cluster to use"},
    {OPT_USER, "user", 0, NULL, 0, "NAME", ALL, "kubeconfig user to use"},
    {OPT_PROJECT, "project", 'n', "namespace", 'p', "NAME", ALL,
     "Kargo project to open (a project is a namespace)"},
    {OPT_READONLY, "readonly", 0, NULL, 0, NULL, ALL, "never write to the cluster"},
    {OPT_WRITE, "write", 0, NULL, 0, NULL, ON(CLI_NONE),
     "allow writes even if the configuration says readonly"},
    {OPT_CONFIG, "config", 0, NULL, 0, "FILE", ON(CLI_NONE),
     "configuration file (default: $XDG_CONFIG_HOME/kargotop/config.yaml)"},
    {OPT_THEME, "theme", 0, NULL, 0, "NAME|FILE", ON(CLI_NONE),
     "colour theme: default, light, high-contrast, mono, or a theme file"},
    {OPT_COLOR, "color", 0, "colour", 0, "WHEN", ON(CLI_NONE),
     "colour: auto (default; off with NO_COLOR), always, never"},
    {OPT_ASCII, "ascii", 0, NULL, 0, NULL, ON(CLI_NONE),
     "ASCII lines and glyphs even in a UTF-8 locale"},
    {OPT_MOUSE, "mouse", 0, NULL, 0, NULL, ON(CLI_NONE), "mouse: click to select, wheel to scroll"},
    {OPT_DEMO, "demo", 0, NULL, 0, NULL, ALL, "run against the built-in simulated Kargo cluster"},
    {OPT_SCENARIO, "scenario", 0, NULL, 0, "NAME|FILE", ALL,
     "with --demo: load this scenario (repeatable; backstage, flask-app, microsvcs, myapp, "
     "large, demo, or a YAML file)"},
    {OPT_HELP, "help", 'h', NULL, 0, NULL, ALL, "show this help and exit"},
    {OPT_VERSION, "version", 'V', NULL, 0, NULL, ALL,
     "show versions of kargotop and its libraries"},
    {OPT_OUTPUT, "output", 'o', NULL, 0, "FORMAT", ON(CLI_GET) | ON(CLI_PROMOTE) | ON(CLI_ROLLBACK),
     "table (default), wide, json, yaml or name"},
    {OPT_WATCH, "watch", 'w', NULL, 0, NULL, ON(CLI_GET),
     "after the list, print each change as it happens"},
    {OPT_NO_HEADERS, "no-headers", 0, NULL, 0, NULL, ON(CLI_GET), "tables without the header line"},
    {OPT_STAGE, "stage", 0, NULL, 0, "STAGE",
     ON(CLI_GET) | ON(CLI_PROMOTE) | ON(CLI_APPROVE) | ON(CLI_ROLLBACK),
     "the Stage to act on; with get: only what concerns it"},
    {OPT_FREIGHT, "freight", 0, NULL, 0, "NAME", ON(CLI_PROMOTE) | ON(CLI_APPROVE),
     "the Freight, by name"},
    {OPT_FREIGHT_ALIAS, "freight-alias", 0, NULL, 0, "ALIAS", ON(CLI_PROMOTE) | ON(CLI_APPROVE),
     "the Freight, by alias"},
    {OPT_WAREHOUSE, "warehouse", 0, NULL, 0, "NAME", ON(CLI_GET) | ON(CLI_PROMOTE),
     "get: only Freight from (Stages fed by) it; promote: its newest available Freight"},
    {OPT_ALIAS, "alias", 0, NULL, 0, "ALIAS", ON(CLI_GET),
     "get freight: only the Freight so aliased"},
    {OPT_NAME, "name", 0, NULL, 0, "PROMOTION", ON(CLI_PROMOTE), "the Promotion to --abort"},
    {OPT_DOWNSTREAM_FROM, "downstream-from", 0, NULL, 0, "STAGE", ON(CLI_PROMOTE),
     "promote the Freight to every Stage that takes it from STAGE"},
    {OPT_TO, "to", 0, NULL, 0, "FREIGHT", ON(CLI_ROLLBACK),
     "rollback: the Freight (alias or name) to go back to (default: the previous one)"},
    {OPT_WAIT, "wait", 0, NULL, 0, NULL, ON(CLI_PROMOTE) | ON(CLI_ROLLBACK) | ON(CLI_REFRESH),
     "wait until the Promotion finished (exit 1 unless it Succeeded) or the refresh was handled"},
    {OPT_TIMEOUT, "timeout", 0, NULL, 0, "DURATION",
     ON(CLI_PROMOTE) | ON(CLI_ROLLBACK) | ON(CLI_REFRESH),
     "give up waiting after it (default 10m)"},
    {OPT_ABORT, "abort", 0, NULL, 0, NULL, ON(CLI_PROMOTE) | ON(CLI_VERIFY),
     "promote: abort the Promotion --name; verify: abort the running verification"},
    {OPT_CONNECT_TIMEOUT, "connect-timeout", 0, NULL, 0, "DURATION", ALL,
     "give up opening a connection to the API server after it (default 10s)"},
    {OPT_IDLE_TIMEOUT, "idle-timeout", 0, NULL, 0, "DURATION", ALL,
     "abandon an answer that sends nothing for it, then retry (default 30s)"},
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

int options_timeout_parse(const char *text, long *ms, char **cause)
{
    long long v = 0;
    bool negative = text[0] == '-'; /* Go's "-5s" parses; it is out of range, not unreadable */
    if (timefmt_parse_duration(text + negative, &v, NULL) != 0) {
        cause_set(cause, "a duration (5s, 1m, 500ms), not '%s'", text);
        return -1;
    }
    if (negative || v <= 0 || v > OPTIONS_TIMEOUT_MAX_MS) {
        cause_set(cause, "a duration above zero and at most 1h, not '%s'", text);
        return -1;
    }
    *ms = (long)v;
    return 0;
}

/* Returns 0, or -1 with *cause for an argument the option does not take. */
static int options_store(struct options *o, const struct option_spec *s, const char *arg,
                         char **cause)
{
    struct cli_args *a = &o->cmd;
    switch (s->id) {
    case OPT_KUBECONFIG:
        options_set(&o->kubeconfig, arg);
        break;
    case OPT_CONTEXT:
        options_set(&o->context, arg);
        break;
    case OPT_CLUSTER:
        options_set(&o->cluster, arg);
        break;
    case OPT_USER:
        options_set(&o->user, arg);
        break;
    case OPT_PROJECT:
        options_set(&o->project, arg);
        break;
    case OPT_READONLY:
        o->readonly = true;
        break;
    case OPT_WRITE:
        o->write = true;
        break;
    case OPT_CONFIG:
        options_set(&o->config, arg);
        break;
    case OPT_THEME:
        options_set(&o->theme, arg);
        break;
    case OPT_COLOR:
        if (options_colour_parse(arg, &o->colour) != 0) {
            cause_set(cause, "--color takes auto, always or never, not '%s'", arg);
            return -1;
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
        o->scenarios[o->n_scenarios++] = xstrdup(arg);
        o->scenarios[o->n_scenarios] = NULL;
        break;
    case OPT_HELP:
        o->help = true;
        break;
    case OPT_VERSION:
        o->version = true;
        break;
    case OPT_OUTPUT:
        options_set(&a->output, arg);
        break;
    case OPT_WATCH:
        a->watch = true;
        break;
    case OPT_NO_HEADERS:
        a->no_headers = true;
        break;
    case OPT_STAGE:
        options_set(&a->stage, arg);
        break;
    case OPT_FREIGHT:
        options_set(&a->freight, arg);
        break;
    case OPT_FREIGHT_ALIAS:
        options_set(&a->freight_alias, arg);
        break;
    case OPT_WAREHOUSE:
        options_set(&a->warehouse, arg);
        break;
    case OPT_ALIAS:
        options_set(&a->alias, arg);
        break;
    case OPT_NAME:
        options_set(&a->name, arg);
        break;
    case OPT_DOWNSTREAM_FROM:
        options_set(&a->downstream_from, arg);
        break;
    case OPT_TO:
        options_set(&a->to, arg);
        break;
    case OPT_WAIT:
        a->wait = true;
        break;
    case OPT_TIMEOUT:
        options_set(&a->timeout, arg);
        break;
    case OPT_ABORT:
        a->abort = true;
        break;
    case OPT_CONNECT_TIMEOUT:
    case OPT_IDLE_TIMEOUT: {
        char *why = NULL;
        long *slot = s->id == OPT_CONNECT_TIMEOUT ? &o->connect_timeout_ms : &o->idle_timeout_ms;
        if (options_timeout_parse(arg, slot, &why) != 0) {
            cause_set(cause, "--%s takes %s", s->name, why);
            free(why);
            return -1;
        }
        break;
    }
    case OPT_LAST:
        break;
    }
    return 0;
}

int options_parse(struct options *o, int argc, char *const argv[], char **cause)
{
    struct option longopts[2 * OPTION_COUNT + 1];
    struct strbuf shortopts;
    size_t n = 0;
    bool seen[OPT_LAST - OPT_KUBECONFIG] = {false};

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
        seen[s->id - OPT_KUBECONFIG] = true;
        if (options_store(o, s, optarg, cause) != 0) {
            rc = -1;
            break;
        }
    }
    /* getopt_long moved every word after the options: the first is the command */
    if (rc == 0 && optind < argc) {
        o->cmd.command = cli_command_find(argv[optind]);
        if (o->cmd.command == CLI_NONE) {
            cause_set(cause,
                      "unexpected argument '%s' (commands: get, promote, approve, refresh, "
                      "verify, rollback)",
                      argv[optind]);
            rc = -1;
        } else {
            for (int i = optind + 1; i < argc; i++) {
                o->cmd.words = xrealloc(o->cmd.words, (o->cmd.n_words + 1) * sizeof(char *));
                o->cmd.words[o->cmd.n_words++] = xstrdup(argv[i]);
            }
        }
    }
    for (size_t i = 0; rc == 0 && i < OPTION_COUNT; i++) {
        const struct option_spec *s = &option_table[i];
        if (!seen[s->id - OPT_KUBECONFIG] || s->commands == ALL ||
            (s->commands & ON(o->cmd.command)) != 0)
            continue;
        if (o->cmd.command == CLI_NONE)
            cause_set(cause, "option '--%s' needs a command", s->name);
        else
            cause_set(cause, "option '--%s' does not apply to '%s'", s->name,
                      cli_command_name(o->cmd.command));
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
    o->cmd.readonly = o->readonly;
    o->cmd.project = o->project;
    o->cmd.connect_timeout_ms = o->connect_timeout_ms;
    o->cmd.idle_timeout_ms = o->idle_timeout_ms;
    strbuf_free(&shortopts);
    return rc;
}

void options_free(struct options *o)
{
    struct cli_args *a = &o->cmd;
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
    for (size_t i = 0; i < a->n_words; i++)
        free(a->words[i]);
    free(a->words);
    char *strings[] = {a->output,    a->stage,  a->freight, a->freight_alias,
                       a->warehouse, a->alias,  a->name,    a->downstream_from,
                       a->to,        a->timeout};
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
        free(strings[i]);
    memset(o, 0, sizeof *o);
}

void options_usage(FILE *f, const char *progname)
{
    size_t n_commands;
    const struct cli_command_spec *commands = cli_commands(&n_commands);

    fprintf(f, "Usage: %s [OPTION]...\n       %s COMMAND [ARG]... [OPTION]...\n", progname,
            progname);
    fprintf(f, "A live terminal console for Kargo: see and act on every stage, freight and\n"
               "promotion of a project, straight from your kubeconfig. Without a command it\n"
               "opens the dashboard.\n\nCommands:\n");
    for (size_t i = 0; i < n_commands; i++) {
        struct strbuf left;
        strbuf_init(&left);
        strbuf_appendf(&left, "%s %s", commands[i].name, commands[i].synopsis);
        fprintf(f, "  %s\n      %s\n", left.buf, commands[i].help);
        strbuf_free(&left);
    }
    fprintf(f, "\nOptions:\n");
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
        fprintf(f, "  %-38s %s", left.buf, s->help);
        if (s->commands != ALL) {
            const char *sep = " [";
            for (size_t k = 0; k < n_commands; k++) {
                if ((s->commands & ON(commands[k].command)) != 0) {
                    fprintf(f, "%s%s", sep, commands[k].name);
                    sep = ", ";
                }
            }
            fputs("]", f);
        }
        fputs("\n", f);
        strbuf_free(&left);
    }
    fprintf(f, "\nExit status: 0 success, 1 the cluster refused or the promotion failed,\n"
               "2 usage error, 3 cannot reach or authenticate to the cluster.\n"
               "In the dashboard, press ? for the keys. See kargotop(1).\n");
}
