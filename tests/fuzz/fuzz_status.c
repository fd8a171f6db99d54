/* Fuzzes the `Status` error decoder and the message built from it for every HTTP code a server
 * may send: a message for a person comes out whatever the body. The first two bytes choose the
 * code. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "kube/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    long code = (long)((data[0] << 8 | data[1]) % 600);
    const char *body = (const char *)data + 2;
    size -= 2;
    struct kube_status st;
    if (kube_status_decode(body, size, &st) == 0)
        kube_status_clear(&st);
    else if (st.reason != NULL || st.message != NULL || st.code != 0)
        abort(); /* "then *st is zeroed" */
    char *msg = kube_status_message(code, body, size, "GET /apis/kargo.akuity.io/v1alpha1/stages");
    if (msg == NULL || msg[0] == '\0')
        abort();
    free(msg);
    (void)kube_status_text(code);
    return 0;
}
