/* Waiting for what an action started: a Promotion to reach a terminal phase, a refresh to be
 * handled by the controller (`--wait` of the commands). Synchronous; never on the UI thread. */
#ifndef KT_ACTION_WAIT_H
#define KT_ACTION_WAIT_H

#include "action/action.h"
#include "kube/api.h"
#include "kube/http.h"

/* Reads the Promotion until its phase is terminal (Succeeded, Failed, Errored, Aborted) or
 * timeout_ms passed. Returns 0 with *phase and *message (allocated; message may be NULL) when it
 * finished, or -1 with *err: the API's error, or (code 0) "timed out ... (phase Running)". */
int action_wait_promotion(struct kube_client *c, const char *ns, const char *name, long timeout_ms,
                          char **phase, char **message, struct kube_error *err);
/* Reads the Stage (kind ACTION_ON_STAGE) or Warehouse until status.lastHandledRefresh equals
 * token or timeout_ms passed. Returns 0, or -1 with *err as above. */
int action_wait_refresh(struct kube_client *c, const char *ns, enum action_target kind,
                        const char *name, const char *token, long timeout_ms,
                        struct kube_error *err);

#endif
