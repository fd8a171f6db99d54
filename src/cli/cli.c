/* The commands' entry point: the command table, usage checks, connecting, exit codes. */
#include "cli/cli.h"

#include <langinfo.h>
#include <pthread.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_internal.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

static const struct cli_command_spec cli_table[] = {
    {CLI_GET, "get", "projects|stages|freight|promotions|warehouses [NAME]...",
     "list objects of a kind (the kargo CLI's columns; -o wide adds more; -w follows changes)"},
    {CLI_PROMOTE, "promote",
     "--stage S [--freight F | --freight-alias A | --warehouse W] [--wait] | --downstream-from S "
     "[--freight F | --freight-alias A] | --abort --name P",
     "promote Freight to a Stage (default: the newest Freight available to it), to the Stages "
     "downstream of one, or abort a Promotion"},
    {CLI_APPROVE, "approve", "(--freight F | --freight-alias A) --stage S",
     "approve Freight for a Stage, so it may be promoted there"},
    {CLI_REFRESH, "refresh", "stage|warehouse NAME [--wait]",
     "ask Kargo to reconcile a Stage, or a Warehouse to look for new artifacts now"},
    {CLI_VERIFY, "verify", "stage NAME [--abort]",
     "verify a Stage's current Freight again, or abort the running verification"},
    {CLI_ROLLBACK, "rollback", "--stage S [--to ALIAS|NAME] [--wait]",
     "promote the Freight the Stage had before (or --to an earlier one) again"},
};
#define CLI_COUNT (sizeof cli_table / sizeof cli_table[0])

const struct cli_command_spec *cli_commands(size_t *n)
{
    *n = CLI_COUNT;
    return cli_table;
}

enum cli_command cli_command_find(const char *name)
{
    for (size_t i = 0; i < CLI_COUNT; i++)
        if (strcmp(cli_table[i].name, name) == 0)
            return cli_table[i].command;
    return CLI_NONE;
}

const char *cli_command_name(enum cli_command c)
{
    for (size_t i = 0; i < CLI_COUNT; i++)
        if (cli_table[i].command == c)
            return cli_table[i].name;
    return "";
}

int cli_validate(const struct cli_args *a, char **cause)
{
    if (a->command == CLI_GET)
        return cli_get_validate(a, cause);
    if (a->command != CLI_NONE)
        return cli_act_validate(a, cause);
    return 0;
}

__attribute__((format(printf, 2, 0))) static void cli_vprint(struct cli_ctx *c, const char *fmt,
                                                             va_list ap)
{
    char *msg = xvasprintf(fmt, ap);
    char *safe = termsafe_dup(msg, c->cs);
    fprintf(c->err, "kargotop: %s\n", safe);
    fflush(c->err);
    free(safe);
    free(msg);
}

int cli_fail(struct cli_ctx *c, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cli_vprint(c, fmt, ap);
    va_end(ap);
    return code;
}

int cli_kube_exit(const struct kube_error *e)
{
    /* a 2xx that failed is an answer that broke off or stalled: the connection, not a refusal */
    bool broke = e->code >= 200 && e->code < 300;
    return e->code == 0 || e->code == 401 || broke ? CLI_UNREACHABLE : CLI_REFUSED;
}

int cli_kube_fail(struct cli_ctx *c, const struct kube_error *e, const char *what)
{
    const char *msg = e->message ? e->message : "request failed";
    if (what != NULL)
        return cli_fail(c, cli_kube_exit(e), "%s: %s", what, msg);
    return cli_fail(c, cli_kube_exit(e), "%s", msg);
}

/* Scripts want few retries against an unreachable server: kubectl does not retry at all. */
#define CLI_ATTEMPTS 3

int cli_run(const struct cli_args *a, const struct kube_config *cfg, const char *why, FILE *out,
            FILE *err)
{
    const char *no_colour = getenv("NO_COLOR");
    const char *term = getenv("TERM");
    bool tty = isatty(fileno(out)) != 0;
    struct cli_ctx c = {
        .a = a,
        .cfg = cfg,
        .out = out,
        .err = err,
        .colour = tty && (no_colour == NULL || no_colour[0] == '\0') &&
                  (term == NULL || strcmp(term, "dumb") != 0),
        .cs = TERMSAFE_UTF8,
    };
    char *cause = NULL;

    if (tty) {
        /* placeholders the terminal can show: control pictures only in a UTF-8 locale */
        setlocale(LC_CTYPE, "");
        if (strcmp(nl_langinfo(CODESET), "UTF-8") != 0)
            c.cs = TERMSAFE_ASCII;
    }
    /* a closed pipe (`| head`) ends the output with an error, not a signal */
    signal(SIGPIPE, SIG_IGN);
    if (a->watch) {
        /* blocked before the client's thread exists, so only the watching thread takes them */
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGHUP);
        pthread_sigmask(SIG_BLOCK, &set, NULL);
    }
    if (cli_validate(a, &cause) != 0) {
        int rc = cli_fail(&c, CLI_USAGE, "%s (see kargotop --help)", cause);
        free(cause);
        return rc;
    }
    if (cfg == NULL)
        return cli_fail(&c, CLI_UNREACHABLE, "%s", why ? why : "no kubeconfig");
    c.ns = a->project != NULL ? a->project : cfg->namespace;
    c.client = kube_client_new(cfg, &cause);
    if (c.client == NULL) {
        int rc = cli_fail(&c, CLI_UNREACHABLE, "%s", cause);
        free(cause);
        return rc;
    }
    kube_client_set_attempts(c.client, CLI_ATTEMPTS);
    kube_client_set_timeouts(c.client, a->connect_timeout_ms, a->idle_timeout_ms);
    int rc = a->command == CLI_GET ? cli_get(&c) : cli_act(&c);
    if (fflush(out) != 0 && rc == CLI_OK)
        rc = CLI_REFUSED; /* a full disk or closed pipe must not look like success */
    kube_client_free(c.client);
    return rc;
}
