/* Exec credential plugins: running one (no shell, stderr captured) and caching what it returns. */
#ifndef KT_KUBE_EXEC_CRED_H
#define KT_KUBE_EXEC_CRED_H

#include <stddef.h>
#include <time.h>

#include "kube/kubeconfig.h"

/* A credential as the plugin printed it. Secrets: never print token or key. */
struct exec_cred {
    char *token;         /* may be NULL when a client certificate is returned */
    unsigned char *cert; /* client certificate PEM, may be NULL */
    size_t cert_len;
    unsigned char *key; /* client key PEM, may be NULL */
    size_t key_len;
    time_t expiry; /* 0 when the plugin gave no expirationTimestamp */
};

struct exec_cred_cache;

/* A cache for the exec plugin of cfg (cfg->exec must be set); cfg must outlive the cache. */
struct exec_cred_cache *exec_cred_new(const struct kube_config *cfg);
void exec_cred_free(struct exec_cred_cache *c);

/* The cached credential while it has not expired at now, else the plugin's fresh answer. The
 * result is owned by the cache and valid until the next call. NULL with *cause (the plugin's
 * stderr, its exit status and the install hint) when the plugin fails. */
const struct exec_cred *exec_cred_get(struct exec_cred_cache *c, time_t now, char **cause);
/* Forgets the cached credential (after a 401), so the next get runs the plugin again. */
void exec_cred_invalidate(struct exec_cred_cache *c);
/* How many times the plugin has been run. */
unsigned exec_cred_runs(const struct exec_cred_cache *c);
/* What the plugin last wrote on stderr (trimmed; "" if nothing), to show as a message. */
const char *exec_cred_stderr(const struct exec_cred_cache *c);

/* Runs the plugin once; fills *out (freed with exec_cred_clear). Returns 0 or -1 with *cause.
 * stderr_out, if not NULL, receives what the plugin wrote on stderr. */
int exec_cred_run(const struct kube_config *cfg, struct exec_cred *out, char **stderr_out,
                  char **cause);
void exec_cred_clear(struct exec_cred *cred);

#endif
