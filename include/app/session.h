/* The session: one cluster connection and the open project's watches, feeding the model's store
 * and telling the dashboard how fresh each watch is. It implements the dashboard's source
 * (ui/source.h): informer callbacks on the client's I/O thread write the store and wake the UI;
 * everything the UI calls returns at once. */
#ifndef KT_APP_SESSION_H
#define KT_APP_SESSION_H

#include "action/action.h"
#include "kube/kubeconfig.h"
#include "ui/source.h"

struct session;

/* The client's limits (kube_client_set_timeouts), for this connection and any :ctx opens; 0: the
 * default (10 s to connect, 30 s idle). */
struct session_timeouts {
    long connect_ms;
    long idle_ms;
};

/* Connects with cfg (the session takes it) and starts watching projects. project (may be NULL)
 * opens at once; without it the kubeconfig context's namespace opens if it is a Kargo project,
 * else the dashboard shows the project list. ko (copied; NULL when cfg came from elsewhere, as in
 * --demo) is how cfg was loaded, for :ctx to load another context the same way. tmo (may be
 * NULL: defaults) holds before the first request. Returns NULL with *cause set. */
struct session *session_new(struct kube_config *cfg, const struct kubeconfig_opts *ko,
                            const char *project, const struct session_timeouts *tmo, char **cause);
/* Stops every watch and the client, and frees the store. */
void session_free(struct session *s);
/* The dashboard's view of the session; valid until session_free. */
const struct ui_source *session_source(struct session *s);
/* The write policy its actions obey (defaults until set: options and the config file fill it
 * before the dashboard starts). */
struct action_policy *session_policy(struct session *s);

#endif
