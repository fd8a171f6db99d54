/* Kubernetes API operations as synchronous calls (get, paged list, create, merge patch, delete,
 * SelfSubjectAccessReview) for scripts and actions; never call them on the UI thread. */
#ifndef KT_KUBE_API_H
#define KT_KUBE_API_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "kube/http.h"

/* Which object or collection: group_version "kargo.akuity.io/v1alpha1" or "v1" (core);
 * namespace NULL for cluster-scoped resources; name NULL for the collection. */
struct api_ref {
    const char *group_version;
    const char *plural;
    const char *namespace;
    const char *name;
};

/* A failed call: the HTTP code (0 when no response), the Status reason ("NotFound",
 * "AlreadyExists", "Forbidden"...; NULL if none) and a message for a person. */
struct kube_error {
    long code;
    char *reason;
    char *message;
};
void kube_error_clear(struct kube_error *e);

/* "/apis/<gv>/namespaces/<ns>/<plural>/<name>/<sub>" (or "/api/v1/..." for the core group);
 * subresource may be NULL. Allocated. */
char *api_path(const struct api_ref *ref, const char *subresource);

/* Every call returns NULL/-1 and fills *err (which may be NULL) on failure; results are owned by
 * the caller (cJSON_Delete). */
cJSON *api_get(struct kube_client *c, const struct api_ref *ref, struct kube_error *err);
/* All pages (limit=500 with continue) of a collection as one List: "items" and
 * "metadata.resourceVersion" of the last page. label_selector may be NULL. pages, if not NULL,
 * receives the number of requests made. */
cJSON *api_list(struct kube_client *c, const struct api_ref *ref, const char *label_selector,
                int *pages, struct kube_error *err);
/* The same list page by page, so that a big one is never held whole: on_page(ctx, items, first)
 * for each page (items belong to the page, freed after the call: take what is needed, detach
 * or copy; NULL for an empty list). first is true again when the list starts over (a continue
 * token expired): drop what earlier pages gave. Returns 0 with *rv_out (may be NULL; allocated)
 * the list's resourceVersion, or -1. */
int api_list_pages(struct kube_client *c, const struct api_ref *ref, const char *label_selector,
                   void (*on_page)(void *ctx, cJSON *items, bool first), void *ctx, char **rv_out,
                   int *pages, struct kube_error *err);
/* Creates obj in the collection ref. The POST is not blindly retried: after a failure that may
 * have reached the server, the object is looked up first (by name, then by a kargotop/create-id
 * label added to obj, which also finds an object a webhook renamed) and returned if it exists. */
cJSON *api_create(struct kube_client *c, const struct api_ref *ref, const cJSON *obj,
                  struct kube_error *err);
/* JSON merge patch (application/merge-patch+json) of the object, or of its subresource
 * ("status") when subresource is not NULL. */
cJSON *api_merge_patch(struct kube_client *c, const struct api_ref *ref, const char *subresource,
                       const char *patch, struct kube_error *err);
int api_delete(struct kube_client *c, const struct api_ref *ref, struct kube_error *err);
/* SelfSubjectAccessReview: may the current user do verb on resource (group "" for core;
 * subresource, namespace and name may be NULL)? Returns 0 with *allowed set, or -1. */
int api_access_review(struct kube_client *c, const char *verb, const char *group,
                      const char *resource, const char *subresource, const char *namespace,
                      const char *name, bool *allowed, struct kube_error *err);

#endif
