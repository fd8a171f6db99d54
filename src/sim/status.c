/* Kubernetes Status errors, worded as kube-apiserver words them. */
#include "sim/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "sim/resource.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

static struct sim_status *status_vnew(int code, const char *reason, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static struct sim_status *status_vnew(int code, const char *reason, const char *fmt, va_list ap)
{
    struct sim_status *st = xcalloc(1, sizeof *st);
    st->code = code;
    st->reason = xstrdup(reason);
    st->message = xvasprintf(fmt, ap);
    return st;
}

struct sim_status *sim_status_new(int code, const char *reason, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    struct sim_status *st = status_vnew(code, reason, fmt, ap);
    va_end(ap);
    return st;
}

void sim_status_details(struct sim_status *st, const char *group, const char *kind,
                        const char *name)
{
    free(st->group);
    free(st->kind);
    free(st->name);
    st->group = group != NULL ? xstrdup(group) : NULL;
    st->kind = kind != NULL ? xstrdup(kind) : NULL;
    st->name = name != NULL ? xstrdup(name) : NULL;
}

void sim_status_add_cause(struct sim_status *st, const char *reason, const char *message,
                          const char *field)
{
    if (st->causes == NULL)
        st->causes = cJSON_CreateArray();
    cJSON *c = cJSON_CreateObject();
    if (reason != NULL)
        cJSON_AddStringToObject(c, "reason", reason);
    if (message != NULL)
        cJSON_AddStringToObject(c, "message", message);
    if (field != NULL)
        cJSON_AddStringToObject(c, "field", field);
    cJSON_AddItemToArray(st->causes, c);
}

void sim_status_free(struct sim_status *st)
{
    if (st == NULL)
        return;
    free(st->reason);
    free(st->message);
    free(st->name);
    free(st->group);
    free(st->kind);
    free(st->list_continue);
    cJSON_Delete(st->causes);
    free(st);
}

cJSON *sim_status_to_json(const struct sim_status *st)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "kind", "Status");
    cJSON_AddStringToObject(o, "apiVersion", "v1");
    cJSON *meta = cJSON_AddObjectToObject(o, "metadata");
    if (st->list_continue != NULL)
        cJSON_AddStringToObject(meta, "continue", st->list_continue);
    cJSON_AddStringToObject(o, "status", "Failure");
    cJSON_AddStringToObject(o, "message", st->message != NULL ? st->message : "");
    if (st->reason != NULL && st->reason[0] != '\0')
        cJSON_AddStringToObject(o, "reason", st->reason);
    bool any = st->name != NULL || st->group != NULL || st->kind != NULL || st->causes != NULL ||
               st->retry_after_s > 0;
    if (any) {
        cJSON *d = cJSON_AddObjectToObject(o, "details");
        if (st->name != NULL && st->name[0] != '\0')
            cJSON_AddStringToObject(d, "name", st->name);
        if (st->group != NULL && st->group[0] != '\0')
            cJSON_AddStringToObject(d, "group", st->group);
        if (st->kind != NULL && st->kind[0] != '\0')
            cJSON_AddStringToObject(d, "kind", st->kind);
        if (st->causes != NULL)
            cJSON_AddItemToObject(d, "causes", cJSON_Duplicate(st->causes, true));
        if (st->retry_after_s > 0)
            cJSON_AddNumberToObject(d, "retryAfterSeconds", st->retry_after_s);
    }
    cJSON_AddNumberToObject(o, "code", st->code);
    return o;
}

static struct sim_status *status_for(const struct sim_resource *r, const char *name, int code,
                                     const char *reason, const char *fmt)
{
    char q[128];
    sim_resource_qualified(r, q, sizeof q);
    struct sim_status *st = xcalloc(1, sizeof *st);
    st->code = code;
    st->reason = xstrdup(reason);
    /* fmt is one of the fixed patterns below, with %s for the resource and %s for the name. */
    struct strbuf sb;
    strbuf_init(&sb);
    for (const char *p = fmt; *p != '\0'; p++) {
        if (p[0] == '%' && p[1] == 'R') {
            strbuf_append(&sb, q);
            p++;
        } else if (p[0] == '%' && p[1] == 'N') {
            strbuf_append(&sb, name != NULL ? name : "");
            p++;
        } else {
            strbuf_append_char(&sb, *p);
        }
    }
    st->message = strbuf_detach(&sb);
    sim_status_details(st, r->group, r->plural, name);
    return st;
}

struct sim_status *sim_status_not_found(const struct sim_resource *r, const char *name)
{
    return status_for(r, name, 404, "NotFound", "%R \"%N\" not found");
}

struct sim_status *sim_status_already_exists(const struct sim_resource *r, const char *name)
{
    return status_for(r, name, 409, "AlreadyExists", "%R \"%N\" already exists");
}

struct sim_status *sim_status_conflict(const struct sim_resource *r, const char *name)
{
    return status_for(r, name, 409, "Conflict",
                      "Operation cannot be fulfilled on %R \"%N\": the object has been modified; "
                      "please apply your changes to the latest version and try again");
}

struct sim_status *sim_status_bad_request(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    struct sim_status *st = status_vnew(400, "BadRequest", fmt, ap);
    va_end(ap);
    return st;
}

struct sim_status *sim_status_internal(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    struct sim_status *st = status_vnew(500, "InternalError", fmt, ap);
    va_end(ap);
    return st;
}

struct sim_status *sim_status_invalid(const struct sim_resource *r, const char *name)
{
    struct sim_status *st = xcalloc(1, sizeof *st);
    st->code = 422;
    st->reason = xstrdup("Invalid");
    st->message = xstrdup("");
    /* Invalid names the kind, not the resource: "Promotion.kargo.akuity.io". */
    char *gk = r->group[0] != '\0' ? xasprintf("%s.%s", r->kind, r->group) : xstrdup(r->kind);
    st->group = xstrdup(r->group);
    st->kind = xstrdup(r->kind);
    st->name = xstrdup(name != NULL ? name : "");
    free(st->message);
    st->message = gk; /* prefix until finish composes the whole message */
    return st;
}

void sim_status_invalid_finish(struct sim_status *st)
{
    struct strbuf sb;
    strbuf_init(&sb);
    strbuf_appendf(&sb, "%s \"%s\" is invalid: ", st->message, st->name != NULL ? st->name : "");
    int n = cJSON_GetArraySize(st->causes);
    if (n > 1)
        strbuf_append_char(&sb, '[');
    for (int i = 0; i < n; i++) {
        const cJSON *c = cJSON_GetArrayItem(st->causes, i);
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(c, "field");
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(c, "message");
        if (i > 0)
            strbuf_append(&sb, ", ");
        if (cJSON_IsString(f) && f->valuestring[0] != '\0')
            strbuf_appendf(&sb, "%s: ", f->valuestring);
        strbuf_append(&sb, cJSON_IsString(m) ? m->valuestring : "");
    }
    if (n > 1)
        strbuf_append_char(&sb, ']');
    free(st->message);
    st->message = strbuf_detach(&sb);
}
