/* The write commands: promote (and --downstream-from, --abort), approve, refresh, verify and
 * rollback. What each sends is the action layer's (action/action.h); here are only the choices a
 * command line leaves open (which Freight), the waiting, and what a script reads back. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "action/action.h"
#include "action/wait.h"
#include "cli_internal.h"
#include "model/derive.h"
#include "model/store.h"
#include "output.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "util/timefmt.h"
#include "util/xalloc.h"
#include "util/yamlout.h"

#define DEFAULT_TIMEOUT_MS (10L * 60 * 1000)

/* ---- usage ------------------------------------------------------------------------------ */

static int act_words(const struct cli_args *a, size_t want, const char *usage, char **cause)
{
    if (a->n_words != want) {
        cause_set(cause, "usage: kargotop %s %s", cli_command_name(a->command), usage);
        return -1;
    }
    return 0;
}

static int act_one_freight(const struct cli_args *a, bool warehouse_too, bool required,
                           char **cause)
{
    int n =
        (a->freight != NULL) + (a->freight_alias != NULL) + (warehouse_too && a->warehouse != NULL);
    if (n > 1) {
        cause_set(cause, "give only one of --freight, --freight-alias%s",
                  warehouse_too ? " and --warehouse" : "");
        return -1;
    }
    if (n == 0 && required) {
        cause_set(cause, "%s needs --freight or --freight-alias", cli_command_name(a->command));
        return -1;
    }
    return 0;
}

int cli_act_validate(const struct cli_args *a, char **cause)
{
    long long ms;
    enum out_format fmt;
    if (output_parse(a->output, &fmt, cause) != 0)
        return -1;
    if (a->timeout != NULL) {
        if (!a->wait) {
            cause_set(cause, "--timeout needs --wait");
            return -1;
        }
        if (timefmt_parse_duration(a->timeout, &ms, cause) != 0 || ms <= 0) {
            if (cause != NULL && *cause == NULL)
                cause_set(cause, "--timeout must be positive: '%s'", a->timeout);
            return -1;
        }
    }
    switch (a->command) {
    case CLI_PROMOTE:
        if (act_words(a, 0, "--stage S [--freight F | --freight-alias A | --warehouse W]", cause) !=
            0)
            return -1;
        if (a->abort) {
            if (a->name == NULL || a->stage != NULL || a->freight != NULL ||
                a->freight_alias != NULL || a->warehouse != NULL || a->downstream_from != NULL ||
                a->wait) {
                cause_set(cause, "promote --abort takes only --name PROMOTION");
                return -1;
            }
            return 0;
        }
        if (a->name != NULL) {
            cause_set(cause, "--name goes with --abort");
            return -1;
        }
        if (a->downstream_from != NULL) {
            if (a->stage != NULL || a->warehouse != NULL) {
                cause_set(cause, "--downstream-from replaces --stage (and takes no --warehouse)");
                return -1;
            }
            return act_one_freight(a, false, false, cause);
        }
        if (a->stage == NULL) {
            cause_set(cause, "promote needs --stage (or --downstream-from, or --abort --name)");
            return -1;
        }
        return act_one_freight(a, true, false, cause);
    case CLI_APPROVE:
        if (act_words(a, 0, "(--freight F | --freight-alias A) --stage S", cause) != 0)
            return -1;
        if (a->stage == NULL) {
            cause_set(cause, "approve needs --stage");
            return -1;
        }
        return act_one_freight(a, false, true, cause);
    case CLI_REFRESH:
        if (act_words(a, 2, "stage|warehouse NAME [--wait]", cause) != 0)
            return -1;
        if (strcmp(a->words[0], "stage") != 0 && strcmp(a->words[0], "warehouse") != 0) {
            cause_set(cause, "refresh takes 'stage' or 'warehouse', not '%s'", a->words[0]);
            return -1;
        }
        return 0;
    case CLI_VERIFY:
        if (act_words(a, 2, "stage NAME [--abort]", cause) != 0)
            return -1;
        if (strcmp(a->words[0], "stage") != 0) {
            cause_set(cause, "verify takes 'stage', not '%s'", a->words[0]);
            return -1;
        }
        return 0;
    case CLI_ROLLBACK:
        if (act_words(a, 0, "--stage S [--to ALIAS|NAME] [--wait]", cause) != 0)
            return -1;
        if (a->stage == NULL) {
            cause_set(cause, "rollback needs --stage");
            return -1;
        }
        return 0;
    default:
        return 0;
    }
}

/* ---- errors ----------------------------------------------------------------------------- */

/* An action failed with e. A client-side refusal and a lost connection both come back with code
 * 0, so one cheap read tells them apart: if the project cannot be read either, the cluster is not
 * reachable (or the credentials are refused) and the exit code says so. */
static int act_fail(struct cli_ctx *c, const struct kube_error *e)
{
    int code = cli_kube_exit(e);
    if (e->code == 0) {
        struct api_ref ref = {KARGO_GV, "stages", c->ns, NULL};
        char *path = api_path(&ref, NULL);
        char *probe = xasprintf("%s?limit=1", path);
        struct http_request req = {.method = HTTP_GET, .path = probe};
        struct http_response resp;
        code = http_request_sync(c->client, &req, 1, &resp, NULL) == 0 ||
                       (resp.code != 0 && resp.code != 401)
                   ? CLI_REFUSED
                   : CLI_UNREACHABLE;
        http_response_clear(&resp);
        free(probe);
        free(path);
    }
    return cli_fail(c, code, "%s", e->message ? e->message : "request failed");
}

static int act_readonly(struct cli_ctx *c)
{
    return cli_fail(c, CLI_REFUSED, "--readonly: not sending the %s",
                    cli_command_name(c->a->command));
}

static long act_timeout_ms(const struct cli_args *a)
{
    long long ms = DEFAULT_TIMEOUT_MS;
    if (a->timeout != NULL)
        timefmt_parse_duration(a->timeout, &ms, NULL);
    return (long)ms;
}

/* ---- output ----------------------------------------------------------------------------- */

/* What promote and rollback print for a created Promotion: "-o name" the name alone, json/yaml
 * the object as it is now, else "promotion.kargo.akuity.io/NAME <verb>". */
static void act_print_promotion(struct cli_ctx *c, const char *name, const char *verb)
{
    enum out_format fmt;
    output_parse(c->a->output, &fmt, NULL);
    struct strbuf out;
    strbuf_init(&out);
    if (fmt == OUT_JSON || fmt == OUT_YAML) {
        struct api_ref ref = {KARGO_GV, "promotions", c->ns, name};
        struct kube_error e = {0};
        cJSON *p = api_get(c->client, &ref, &e);
        if (p != NULL && fmt == OUT_JSON)
            out_json(p, &out);
        else if (p != NULL)
            yamlout_write(p, &out, NULL);
        else
            cli_kube_fail(c, &e, "reading the Promotion back");
        cJSON_Delete(p);
        kube_error_clear(&e);
    } else {
        out_name(&out, "promotion", name, c->cs);
        if (fmt != OUT_NAME) {
            out.len--; /* the newline */
            strbuf_appendf(&out, " %s\n", verb);
        }
    }
    fputs(out.buf, c->out);
    fflush(c->out);
    strbuf_free(&out);
}

/* After a Promotion was created: --wait for it, and say how it ended. */
static int act_promoted(struct cli_ctx *c, const char *name)
{
    if (!c->a->wait) {
        act_print_promotion(c, name, "created");
        return CLI_OK;
    }
    char *phase = NULL, *message = NULL;
    struct kube_error e = {0};
    int rc;
    if (action_wait_promotion(c->client, c->ns, name, act_timeout_ms(c->a), &phase, &message, &e) !=
        0) {
        rc = e.code == 0 && e.message && strncmp(e.message, "timed out", 9) == 0
                 ? cli_fail(c, CLI_REFUSED, "%s", e.message)
                 : act_fail(c, &e);
    } else {
        act_print_promotion(c, name, phase);
        rc = strcmp(phase, "Succeeded") == 0
                 ? CLI_OK
                 : cli_fail(c, CLI_REFUSED, "Promotion \"%s\" %s%s%s", name, phase,
                            message ? ": " : "", message ? message : "");
    }
    free(phase);
    free(message);
    kube_error_clear(&e);
    return rc;
}

/* ---- the project as the model sees it (for the choices of Freight) ----------------------- */

static struct store *act_store(struct cli_ctx *c, int *rc)
{
    static const struct {
        enum kargo_kind kind;
        const char *plural;
    } kinds[] = {{KARGO_STAGE, "stages"}, {KARGO_FREIGHT, "freights"}};
    struct store *st = store_new(c->ns);
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        struct api_ref ref = {KARGO_GV, kinds[i].plural, c->ns, NULL};
        struct kube_error e = {0};
        cJSON *list = api_list(c->client, &ref, NULL, NULL, &e);
        if (list == NULL) {
            *rc = cli_kube_fail(c, &e, NULL);
            kube_error_clear(&e);
            store_free(st);
            return NULL;
        }
        store_replace(st, kinds[i].kind, cJSON_GetObjectItemCaseSensitive(list, "items"), NULL);
        cJSON_Delete(list);
    }
    return st;
}

/* The Freight `promote --stage S` picks without --freight: what auto-promotion would pick for
 * the Stage's origin (the newest available Freight), chosen here so no hold is released. */
static char *act_default_freight(struct cli_ctx *c, const char *stage, int *rc)
{
    struct store *st = act_store(c, rc);
    if (st == NULL)
        return NULL;
    char *pick = NULL;
    store_read_lock(st);
    const struct kargo_stage *s = store_stage(st, stage);
    if (s == NULL) {
        *rc = cli_fail(c, CLI_REFUSED, "Stage \"%s\" not found in project \"%s\"", stage, c->ns);
    } else if (s->n_requests == 0) {
        *rc = cli_fail(c, CLI_REFUSED, "Stage \"%s\" requests no Freight", stage);
    } else {
        const char *origin = s->requests[0].origin.key;
        for (size_t i = 1; i < s->n_requests; i++) {
            if (strcmp(s->requests[i].origin.key, origin) != 0) {
                *rc = cli_fail(c, CLI_USAGE,
                               "Stage \"%s\" takes Freight from several warehouses: name one with "
                               "--freight, --freight-alias or --warehouse",
                               stage);
                origin = NULL;
                break;
            }
        }
        const struct kargo_freight *f =
            origin ? derive_auto_candidate(st, s, origin, time(NULL)) : NULL;
        if (f != NULL)
            pick = xstrdup(f->ref.name);
        else if (origin != NULL)
            *rc = cli_fail(c, CLI_REFUSED, "no Freight from %s is available to Stage \"%s\"",
                           origin, stage);
    }
    store_read_unlock(st);
    store_free(st);
    return pick;
}

/* The Freight `rollback` goes back to: --to, else the one before the current in the Stage's
 * history for the origin of its last promotion. */
static char *act_rollback_freight(struct cli_ctx *c, const char *stage, int *rc)
{
    struct store *st = act_store(c, rc);
    if (st == NULL)
        return NULL;
    char *pick = NULL;
    store_read_lock(st);
    const struct kargo_stage *s = store_stage(st, stage);
    const struct kargo_freight_ref **cur = NULL;
    size_t n_cur = s ? derive_current_freight(s, &cur) : 0;
    if (s == NULL) {
        *rc = cli_fail(c, CLI_REFUSED, "Stage \"%s\" not found in project \"%s\"", stage, c->ns);
    } else if (c->a->to != NULL) {
        const struct kargo_freight *f = store_freight(st, c->a->to);
        if (f == NULL)
            f = store_freight_by_alias(st, c->a->to);
        if (f == NULL)
            *rc = cli_fail(c, CLI_REFUSED, "Freight \"%s\" not found in project \"%s\"", c->a->to,
                           c->ns);
        else if (n_cur > 0 && strcmp(cur[0]->name, f->ref.name) == 0)
            *rc = cli_fail(c, CLI_REFUSED, "Freight \"%s\" is already current in Stage \"%s\"",
                           c->a->to, stage);
        else
            pick = xstrdup(f->ref.name);
    } else if (n_cur == 0) {
        *rc = cli_fail(c, CLI_REFUSED, "Stage \"%s\" has no Freight to roll back from", stage);
    } else {
        struct history_entry *h = NULL;
        size_t nh = derive_stage_history(st, s, cur[0]->origin.key, &h);
        if (nh == 0)
            *rc = cli_fail(c, CLI_REFUSED,
                           "Stage \"%s\" has no earlier Freight from %s in its history", stage,
                           cur[0]->origin.key);
        else
            pick = xstrdup(h[0].freight->name);
        free(h);
    }
    free(cur);
    store_read_unlock(st);
    store_free(st);
    return pick;
}

/* ---- the commands ----------------------------------------------------------------------- */

static int act_promote(struct cli_ctx *c)
{
    const struct cli_args *a = c->a;
    struct kube_error e = {0};
    char *created = NULL;
    int rc = CLI_OK;

    if (a->abort) {
        if (action_abort_promotion(c->client, c->ns, a->name, &e) != 0)
            rc = act_fail(c, &e);
        else
            act_print_promotion(c, a->name, "abort requested");
    } else if (a->downstream_from != NULL) {
        struct action_outcome *o = NULL;
        size_t n = 0;
        const char *freight = a->freight ? a->freight : a->freight_alias;
        int ok =
            action_promote_downstream(c->client, c->ns, a->downstream_from, freight, &o, &n, &e);
        if (ok != 0 && n == 0)
            rc = act_fail(c, &e);
        for (size_t i = 0; i < n; i++) {
            if (o[i].ok) {
                int r = act_promoted(c, o[i].created);
                if (r != CLI_OK)
                    rc = r;
            } else {
                int r = cli_fail(c, cli_kube_exit(&o[i].err), "Stage \"%s\": %s", o[i].target,
                                 o[i].err.message ? o[i].err.message : "refused");
                if (rc == CLI_OK)
                    rc = r;
            }
        }
        if (ok == 0 && n == 0)
            rc = cli_fail(c, CLI_REFUSED, "no Stage takes that Freight from Stage \"%s\"",
                          a->downstream_from);
        action_outcomes_free(o, n);
    } else if (a->warehouse != NULL) {
        if (action_resume(c->client, c->ns, a->stage, a->warehouse, &created, &e) != 0)
            rc = act_fail(c, &e);
    } else {
        char *pick = NULL;
        const char *freight = a->freight ? a->freight : a->freight_alias;
        if (freight == NULL)
            freight = pick = act_default_freight(c, a->stage, &rc);
        if (freight != NULL &&
            action_promote(c->client, c->ns, a->stage, freight, &created, &e) != 0)
            rc = act_fail(c, &e);
        free(pick);
    }
    if (created != NULL)
        rc = act_promoted(c, created);
    free(created);
    kube_error_clear(&e);
    return rc;
}

static int act_rollback(struct cli_ctx *c)
{
    int rc = CLI_OK;
    char *pick = act_rollback_freight(c, c->a->stage, &rc);
    if (pick == NULL)
        return rc;
    struct kube_error e = {0};
    char *created = NULL;
    if (action_promote(c->client, c->ns, c->a->stage, pick, &created, &e) != 0)
        rc = act_fail(c, &e);
    else
        rc = act_promoted(c, created);
    free(created);
    free(pick);
    kube_error_clear(&e);
    return rc;
}

static int act_approve(struct cli_ctx *c)
{
    const struct cli_args *a = c->a;
    const char *freight = a->freight ? a->freight : a->freight_alias;
    struct kube_error e = {0};
    int rc = CLI_OK;
    if (action_approve(c->client, c->ns, freight, a->stage, &e) != 0) {
        rc = act_fail(c, &e);
    } else {
        struct strbuf out;
        strbuf_init(&out);
        out_name(&out, "freight", freight, c->cs);
        out.len--;
        strbuf_append(&out, " approved for ");
        termsafe_append(&out, a->stage, strlen(a->stage), c->cs);
        strbuf_append_char(&out, '\n');
        fputs(out.buf, c->out);
        strbuf_free(&out);
    }
    kube_error_clear(&e);
    return rc;
}

static void act_say(struct cli_ctx *c, const char *kind, const char *name, const char *what)
{
    struct strbuf out;
    strbuf_init(&out);
    out_name(&out, kind, name, c->cs);
    out.len--;
    strbuf_appendf(&out, " %s\n", what);
    fputs(out.buf, c->out);
    fflush(c->out);
    strbuf_free(&out);
}

static int act_refresh(struct cli_ctx *c)
{
    const struct cli_args *a = c->a;
    bool stage = strcmp(a->words[0], "stage") == 0;
    enum action_target kind = stage ? ACTION_ON_STAGE : ACTION_ON_WAREHOUSE;
    struct kube_error e = {0};
    char *token = NULL;
    int rc = CLI_OK;
    if (action_refresh(c->client, c->ns, kind, a->words[1], &token, &e) != 0) {
        rc = act_fail(c, &e);
    } else if (!a->wait) {
        act_say(c, a->words[0], a->words[1], "refresh requested");
    } else if (action_wait_refresh(c->client, c->ns, kind, a->words[1], token, act_timeout_ms(a),
                                   &e) != 0) {
        rc = e.code == 0 && e.message && strncmp(e.message, "timed out", 9) == 0
                 ? cli_fail(c, CLI_REFUSED, "%s", e.message)
                 : act_fail(c, &e);
    } else {
        act_say(c, a->words[0], a->words[1], "refreshed");
    }
    free(token);
    kube_error_clear(&e);
    return rc;
}

static int act_verify(struct cli_ctx *c)
{
    const struct cli_args *a = c->a;
    struct kube_error e = {0};
    int r = a->abort ? action_abort_verification(c->client, c->ns, a->words[1], &e)
                     : action_reverify(c->client, c->ns, a->words[1], &e);
    int rc = CLI_OK;
    if (r != 0)
        rc = act_fail(c, &e);
    else
        act_say(c, "stage", a->words[1],
                a->abort ? "verification abort requested" : "verification requested");
    kube_error_clear(&e);
    return rc;
}

int cli_act(struct cli_ctx *c)
{
    if (c->a->readonly)
        return act_readonly(c);
    switch (c->a->command) {
    case CLI_PROMOTE:
        return act_promote(c);
    case CLI_ROLLBACK:
        return act_rollback(c);
    case CLI_APPROVE:
        return act_approve(c);
    case CLI_REFRESH:
        return act_refresh(c);
    case CLI_VERIFY:
        return act_verify(c);
    default:
        return cli_fail(c, CLI_USAGE, "no such command");
    }
}
