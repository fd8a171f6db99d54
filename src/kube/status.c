/* Decodes Kubernetes `Status` objects, the body of every API error, into sentences. */
#include "kube/status.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "util/json.h"
#include "util/xalloc.h"

int kube_status_decode(const char *body, size_t len, struct kube_status *st)
{
    memset(st, 0, sizeof *st);
    if (body == NULL || len == 0)
        return -1;
    cJSON *root = cJSON_ParseWithLength(body, len);
    if (root == NULL)
        return -1;
    const char *kind = json_get_string(root, "kind", (char *)NULL);
    if (kind == NULL || strcmp(kind, "Status") != 0) {
        cJSON_Delete(root);
        return -1;
    }
    double code = 0;
    /* Only a plausible HTTP code: converting a huge double to long is undefined (found by
     * fuzzing). */
    if (json_get_number(root, &code, "code", (char *)NULL) && code >= 0 && code < 1000)
        st->code = (long)code;
    const char *s = json_get_string(root, "reason", (char *)NULL);
    st->reason = s && s[0] ? xstrdup(s) : NULL;
    s = json_get_string(root, "message", (char *)NULL);
    st->message = s && s[0] ? xstrdup(s) : NULL;
    cJSON_Delete(root);
    return 0;
}

void kube_status_clear(struct kube_status *st)
{
    free(st->reason);
    free(st->message);
    memset(st, 0, sizeof *st);
}

const char *kube_status_text(long code)
{
    static const struct {
        long code;
        const char *text;
    } texts[] = {
        {400, "Bad Request"},
        {401, "Unauthorized"},
        {403, "Forbidden"},
        {404, "Not Found"},
        {405, "Method Not Allowed"},
        {406, "Not Acceptable"},
        {409, "Conflict"},
        {410, "Gone"},
        {413, "Request Entity Too Large"},
        {415, "Unsupported Media Type"},
        {422, "Unprocessable Entity"},
        {429, "Too Many Requests"},
        {500, "Internal Server Error"},
        {502, "Bad Gateway"},
        {503, "Service Unavailable"},
        {504, "Gateway Timeout"},
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        if (texts[i].code == code)
            return texts[i].text;
    return "";
}

char *kube_status_message(long code, const char *body, size_t len, const char *what)
{
    struct kube_status st;
    const char *text = kube_status_text(code);
    char *msg;
    if (kube_status_decode(body, len, &st) == 0 && st.message != NULL) {
        msg = xasprintf("%s (HTTP %ld%s%s)", st.message, code, text[0] ? " " : "", text);
    } else if (code == 401) {
        msg = xasprintf("the server did not accept the credentials of this kubeconfig user for "
                        "%s (HTTP 401 Unauthorized): the token or certificate is missing, expired "
                        "or revoked",
                        what);
    } else {
        msg = xasprintf("%s failed with HTTP %ld%s%s", what, code, text[0] ? " " : "", text);
    }
    kube_status_clear(&st);
    return msg;
}
