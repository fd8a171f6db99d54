/* Kubernetes Status errors as values: the code, reason, message and details an API request fails
 * with, worded as kube-apiserver words them. */
#ifndef KT_SIM_STATUS_H
#define KT_SIM_STATUS_H

#include <cjson/cJSON.h>

struct sim_resource;

struct sim_status {
    int code;            /* HTTP status: 400, 401, 403, 404, 405, 409, 410, 415, 422, 429, 500 */
    char *reason;        /* "NotFound", "AlreadyExists", "Conflict", "Invalid", "Forbidden", ... */
    char *message;       /* for a person */
    char *name;          /* details.name, or NULL */
    char *group;         /* details.group, or NULL */
    char *kind;          /* details.kind, or NULL */
    cJSON *causes;       /* details.causes: [{reason, message, field}], or NULL */
    int retry_after_s;   /* details.retryAfterSeconds and the Retry-After header; 0 for none */
    char *list_continue; /* metadata.continue (a 410 on a list: the inconsistent-continue token) */
};

/* A new Status with code, reason and a formatted message; the caller frees it. */
struct sim_status *sim_status_new(int code, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Sets details.group, details.kind and details.name (each may be NULL). */
void sim_status_details(struct sim_status *st, const char *group, const char *kind,
                        const char *name);
/* Appends {reason, message, field} to details.causes. */
void sim_status_add_cause(struct sim_status *st, const char *reason, const char *message,
                          const char *field);
void sim_status_free(struct sim_status *st);

/* The kind: Status object as the API writes it; the caller owns it. */
cJSON *sim_status_to_json(const struct sim_status *st);

/* kube-apiserver's common errors for resource r ("stages.kargo.akuity.io \"dev\" not found"). */
struct sim_status *sim_status_not_found(const struct sim_resource *r, const char *name);
struct sim_status *sim_status_already_exists(const struct sim_resource *r, const char *name);
struct sim_status *sim_status_conflict(const struct sim_resource *r, const char *name);
struct sim_status *sim_status_bad_request(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
struct sim_status *sim_status_internal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* 422 Invalid for kind r named name; add causes with sim_status_add_cause (reason
 * "FieldValueRequired", "FieldValueInvalid", ...; message "Required value", ...) and then call
 * sim_status_invalid_finish, which composes the message "Kind.group \"name\" is invalid: field:
 * message" (or "[a, b]" for several causes) from them. */
struct sim_status *sim_status_invalid(const struct sim_resource *r, const char *name);
void sim_status_invalid_finish(struct sim_status *st);

#endif
