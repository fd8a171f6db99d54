/* The scriptable commands (`kargotop get|promote|approve|refresh|verify|rollback`): what a command
 * line asks for, running it against a cluster, and the exit codes scripts rely on. */
#ifndef KT_CLI_CLI_H
#define KT_CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "kube/kubeconfig.h"

enum cli_command {
    CLI_NONE, /* no command: the dashboard */
    CLI_GET,
    CLI_PROMOTE,
    CLI_APPROVE,
    CLI_REFRESH,
    CLI_VERIFY,
    CLI_ROLLBACK,
    CLI_COMMAND_COUNT
};

/* Exit codes: what a script can branch on. */
enum cli_exit {
    CLI_OK = 0,
    CLI_REFUSED = 1,     /* the cluster refused, or the promotion failed (--wait) */
    CLI_USAGE = 2,       /* the command line is wrong */
    CLI_UNREACHABLE = 3, /* cannot reach or authenticate to the cluster */
};

/* A command and its flags as parsed from the command line; strings are owned by the parser. */
struct cli_args {
    enum cli_command command;
    char **words; /* positional words after the command (kind, names) */
    size_t n_words;
    char *output;            /* -o: table, wide, json, yaml, name; NULL = table */
    bool watch;              /* -w/--watch */
    bool no_headers;         /* --no-headers */
    char *stage;             /* --stage */
    char *freight;           /* --freight */
    char *freight_alias;     /* --freight-alias */
    char *warehouse;         /* --warehouse */
    char *alias;             /* --alias (get freight filter) */
    char *name;              /* --name (promote --abort) */
    char *downstream_from;   /* --downstream-from */
    char *to;                /* --to (rollback) */
    char *timeout;           /* --timeout (a Go duration) */
    bool wait;               /* --wait */
    bool abort;              /* --abort */
    bool readonly;           /* --readonly: refuse every write */
    char *project;           /* -p/-n; NULL = the kubeconfig context's namespace */
    long connect_timeout_ms; /* --connect-timeout; 0: the client's default (10 s) */
    long idle_timeout_ms;    /* --idle-timeout; 0: the client's default (30 s) */
};

struct cli_command_spec {
    enum cli_command command;
    const char *name;
    const char *synopsis; /* the arguments, for --help and the man page */
    const char *help;
};

/* The commands, in --help order; count in *n. */
const struct cli_command_spec *cli_commands(size_t *n);
/* The command named name, or CLI_NONE. */
enum cli_command cli_command_find(const char *name);
const char *cli_command_name(enum cli_command c);

/* Checks the words and flags of a parsed command (kind names, required flags, conflicts) before
 * any connection. Returns 0, or -1 with *cause (a usage error). */
int cli_validate(const struct cli_args *a, char **cause);

/* Runs the command against the cluster cfg describes (cfg NULL: could not be loaded, why says
 * why). Output goes to out, one-line errors to err ("kargotop: ..."). Returns an enum cli_exit. */
int cli_run(const struct cli_args *a, const struct kube_config *cfg, const char *why, FILE *out,
            FILE *err);

#endif
