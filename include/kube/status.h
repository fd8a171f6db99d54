/* Kubernetes `Status` bodies (and bare HTTP failures) turned into a message for a person. */
#ifndef KT_KUBE_STATUS_H
#define KT_KUBE_STATUS_H

#include <stddef.h>

/* What a `kind: Status` body says; strings are NULL when absent. */
struct kube_status {
    long code;     /* the HTTP code it carries, or 0 */
    char *reason;  /* Forbidden, NotFound, AlreadyExists, Expired, Gone, TooManyRequests... */
    char *message; /* the server's sentence */
};

/* Decodes body (len bytes) when it is a `kind: Status` object. Returns 0, or -1 when it is not
 * (then *st is zeroed). Free with kube_status_clear(). */
int kube_status_decode(const char *body, size_t len, struct kube_status *st);
void kube_status_clear(struct kube_status *st);

/* "stages.kargo.akuity.io is forbidden: User \"x\" cannot list ... (HTTP 403 Forbidden)", built
 * from the Status body when there is one and from the code otherwise; what names the request
 * ("GET /apis/...") and is used only when the body says nothing. Returns an allocated string. */
char *kube_status_message(long http_code, const char *body, size_t len, const char *what);

/* The standard reason phrase of an HTTP code ("Forbidden"), or "" when unknown. */
const char *kube_status_text(long http_code);

#endif
