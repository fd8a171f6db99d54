/* The command line of the dashboard: which options exist, what they mean, and --help. */
#ifndef KT_APP_OPTIONS_H
#define KT_APP_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>

struct options {
    char *kubeconfig; /* --kubeconfig FILE */
    char *context;    /* --context NAME */
    char *cluster;    /* --cluster NAME */
    char *user;       /* --user NAME */
    char *project;    /* -n/--namespace/-p/--project NAME: a Kargo project is a namespace */
    bool readonly;    /* --readonly: no writes to the cluster */
    bool demo;        /* --demo: run against the built-in simulated cluster */
    char **scenarios; /* --scenario NAME|FILE (repeatable, with --demo): NULL-terminated */
    size_t n_scenarios;
    bool help;    /* --help was asked for */
    bool version; /* --version was asked for */
};

/* Parses argv into o (which the caller zeroes). Returns 0, or -1 with *cause set to a message
 * naming the offending argument: a usage error, exit status 2. */
int options_parse(struct options *o, int argc, char *const argv[], char **cause);
void options_free(struct options *o);
/* Writes --help: one line per option, generated from the same table the parser reads. */
void options_usage(FILE *f, const char *progname);

#endif
