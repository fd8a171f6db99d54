/* What the commands share inside src/cli: the run context, one-line errors with exit codes, and
 * the commands themselves. */
#ifndef KT_CLI_INTERNAL_H
#define KT_CLI_INTERNAL_H

#include <stdbool.h>
#include <stdio.h>

#include "cli/cli.h"
#include "kube/api.h"
#include "kube/http.h"
#include "util/termsafe.h"

#define KARGO_GV "kargo.akuity.io/v1alpha1"

struct cli_ctx {
    const struct cli_args *a;
    const struct kube_config *cfg;
    struct kube_client *client;
    const char *ns; /* the project */
    FILE *out;
    FILE *err;
    bool colour;              /* stdout is a terminal and NO_COLOR is not set */
    enum termsafe_charset cs; /* how control characters from the cluster are shown */
};

/* Prints "kargotop: <message>" on one line (control characters made visible) and returns code. */
int cli_fail(struct cli_ctx *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The exit code for a failed API call: 3 when the server was not reached or refused the
 * credentials (401), else 1. Prints the error (prefixed by what, if not NULL). */
int cli_kube_fail(struct cli_ctx *c, const struct kube_error *e, const char *what);
int cli_kube_exit(const struct kube_error *e);

int cli_get(struct cli_ctx *c);
int cli_act(struct cli_ctx *c);
/* Usage checks of each command, before connecting. */
int cli_get_validate(const struct cli_args *a, char **cause);
int cli_act_validate(const struct cli_args *a, char **cause);

#endif
