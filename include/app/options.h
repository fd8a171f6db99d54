/* The command line of the dashboard and the commands: which options exist, which command each
 * applies to, what they mean, and --help. */
#ifndef KT_APP_OPTIONS_H
#define KT_APP_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>

#include "cli/cli.h"

enum options_colour {
    OPTIONS_COLOUR_UNSET = 0, /* neither flag nor configuration: auto */
    OPTIONS_COLOUR_AUTO,      /* when the terminal has colours and NO_COLOR is unset */
    OPTIONS_COLOUR_ALWAYS,    /* whenever the terminal has colours, NO_COLOR or not */
    OPTIONS_COLOUR_NEVER,
};

struct options {
    char *kubeconfig; /* --kubeconfig FILE */
    char *context;    /* --context NAME */
    char *cluster;    /* --cluster NAME */
    char *user;       /* --user NAME */
    char *project;    /* -n/--namespace/-p/--project NAME: a Kargo project is a namespace */
    bool readonly;    /* --readonly: no writes to the cluster */
    bool write;       /* --write: writes allowed even when the configuration says readonly */
    char *config;     /* --config FILE (default $XDG_CONFIG_HOME/kargotop/config.yaml) */
    char *theme;      /* --theme NAME|FILE */
    enum options_colour colour; /* --color auto|always|never */
    bool ascii;                 /* --ascii: ASCII lines and glyphs whatever the locale */
    bool mouse;                 /* --mouse: clicks select, the wheel scrolls */
    int age_refresh;    /* configuration only: seconds between age redraws; 0: 1 s; -1: never */
    bool relative_ages; /* configuration only: "3m ago" in lists and boxes, not "14:02" */
    bool demo;          /* --demo: run against the built-in simulated cluster */
    char **scenarios;   /* --scenario NAME|FILE (repeatable, with --demo): NULL-terminated */
    size_t n_scenarios;
    long connect_timeout_ms; /* --connect-timeout: opening a connection; 0: not set (10 s) */
    long idle_timeout_ms;    /* --idle-timeout: an answer silent this long is abandoned; 0: 30 s */
    bool help;               /* --help was asked for */
    bool version;            /* --version was asked for */
    struct cli_args cmd;     /* the command (cmd.command CLI_NONE: the dashboard) and its flags */
};

/* Parses argv into o (which the caller zeroes): options anywhere, the first word a command
 * (`get`, `promote`...) and the rest its words. An option given to a command it does not apply
 * to is an error. Returns 0, or -1 with *cause set to a message naming the offending argument: a
 * usage error, exit status 2. */
int options_parse(struct options *o, int argc, char *const argv[], char **cause);
void options_free(struct options *o);
/* "auto", "always" or "never". Returns 0, or -1 for anything else. */
int options_colour_parse(const char *text, enum options_colour *out);
/* The longest connect or idle timeout accepted: past it a typo (1000h) is likelier than intent. */
#define OPTIONS_TIMEOUT_MAX_MS (3600L * 1000L)
/* A timeout: a Go duration above zero and at most 1 h ("5s", "1m", "500ms") into *ms. Returns 0,
 * or -1 with *cause saying what it takes ("a duration above zero ..., not '0s'"). */
int options_timeout_parse(const char *text, long *ms, char **cause);
/* Writes --help: the commands, then one line per option (with the commands it applies to),
 * generated from the same tables the parser reads. */
void options_usage(FILE *f, const char *progname);

#endif
