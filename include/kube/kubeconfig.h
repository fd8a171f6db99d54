/* The resolved connection settings of one kubeconfig context, found and merged as kubectl does. */
#ifndef KT_KUBE_KUBECONFIG_H
#define KT_KUBE_KUBECONFIG_H

#include <stdbool.h>
#include <stddef.h>

/* What the command line says; every field may be NULL. */
struct kubeconfig_opts {
    const char *kubeconfig; /* --kubeconfig: this one file, which must exist */
    const char *context;    /* --context */
    const char *cluster;    /* --cluster: overrides the context's cluster */
    const char *user;       /* --user: overrides the context's user */
    const char *namespace;  /* -n/--namespace */
    /* Where the service-account files are for in-cluster config; NULL means
     * /var/run/secrets/kubernetes.io/serviceaccount (tests point it elsewhere). */
    const char *incluster_dir;
};

/* An exec credential plugin as the kubeconfig user declares it (paths already resolved). */
struct kube_exec {
    char *api_version; /* client.authentication.k8s.io/v1 or v1beta1 */
    char *command;
    char **args; /* nargs strings */
    size_t nargs;
    char **env; /* NAME=VALUE strings added to the plugin's environment */
    size_t nenv;
    char *install_hint;     /* may be NULL */
    char *interactive_mode; /* Never, IfAvailable, Always; may be NULL (v1beta1) */
    bool provide_cluster_info;
    char *cluster_config; /* JSON of the cluster's client.authentication.k8s.io/exec extension */
};

struct kube_config {
    char *source;  /* the file(s) it came from, or "in-cluster config", for messages */
    char *context; /* context name ("in-cluster" for in-cluster config) */
    char *cluster_name;
    char *user_name;
    char *namespace; /* never NULL: the override, the context's, or "default" */

    char *server;           /* https://host:port, no trailing slash */
    unsigned char *ca_data; /* PEM bundle, NULL to use the system store */
    size_t ca_len;
    bool insecure; /* insecure-skip-tls-verify */
    char *tls_server_name;
    char *proxy_url;

    char *token;              /* bearer token; secret */
    char *token_file;         /* re-read on every connection so rotated tokens are picked up */
    unsigned char *cert_data; /* client certificate PEM */
    size_t cert_len;
    unsigned char *key_data; /* client key PEM; secret */
    size_t key_len;
    char *username; /* basic auth */
    char *password; /* secret */
    struct kube_exec *exec;

    char *impersonate; /* as */
    char **impersonate_groups;
    size_t n_impersonate_groups;
};

/* Finds the kubeconfig files (--kubeconfig, else $KUBECONFIG merged, else ~/.kube/config, else
 * in-cluster config), merges them with kubectl's rules (the first file to set a map entry or
 * current-context wins), applies the overrides and resolves the context. Returns a config the
 * caller frees with kubeconfig_free(), or NULL with *cause naming the file, context and what is
 * missing. */
struct kube_config *kubeconfig_load(const struct kubeconfig_opts *opts, char **cause);
void kubeconfig_free(struct kube_config *cfg);

/* The context names of the merged kubeconfig, sorted, and the current context (either may be
 * empty). Returns 0, or -1 with *cause. The caller frees the array, its strings and *current. */
int kubeconfig_contexts(const struct kubeconfig_opts *opts, char ***names, size_t *n,
                        char **current, char **cause);

#endif
