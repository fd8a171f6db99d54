/* Kubernetes Events as Kargo records them (api/v1alpha1/event.go): core v1 Events in the project
 * namespace whose event.kargo.akuity.io/...  annotations carry what the Kargo UI's activity list
 * shows. */
#include "kargo_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/store.h"
#include "util/json.h"
#include "util/xalloc.h"

#define EVENT_PREFIX "event.kargo.akuity.io/"

static void put(cJSON *ann, const char *suffix, const char *value)
{
    if (value == NULL)
        return;
    char key[128];
    snprintf(key, sizeof(key), EVENT_PREFIX "%s", suffix);
    json_set_string(ann, key, value);
}

void kargo_event(struct kargo *k, const char *ns, const cJSON *obj, const char *reason,
                 bool warning, const char *message, ...)
{
    const char *kind = json_get_string(obj, "kind", (char *)NULL);
    const char *name = json_get_string(obj, "metadata", "name", (char *)NULL);
    if (kind == NULL || name == NULL)
        return;
    char now[32];
    kargo_now_str(k, now, sizeof(now));
    pthread_mutex_lock(&k->lock);
    uint64_t r = kargo_rng_next(&k->rng);
    pthread_mutex_unlock(&k->lock);

    cJSON *ev = cJSON_CreateObject();
    cJSON_AddStringToObject(ev, "apiVersion", "v1");
    cJSON_AddStringToObject(ev, "kind", "Event");
    cJSON *md = cJSON_AddObjectToObject(ev, "metadata");
    char *evname = xasprintf("%s.%016llx", name, (unsigned long long)r);
    cJSON_AddStringToObject(md, "name", evname);
    free(evname);
    cJSON_AddStringToObject(md, "namespace", ns);
    cJSON *ann = cJSON_AddObjectToObject(md, "annotations");
    put(ann, "project", ns);
    if (strcmp(kind, "Promotion") == 0) {
        put(ann, "promotion-name", name);
        put(ann, "promotion-create-time",
            json_get_string(obj, "metadata", "creationTimestamp", (char *)NULL));
        put(ann, "stage-name", json_get_string(obj, "spec", "stage", (char *)NULL));
        put(ann, "freight-name", json_get_string(obj, "spec", "freight", (char *)NULL));
        put(ann, "actor",
            json_get_string(obj, "metadata", "annotations", "kargo.akuity.io/create-actor",
                            (char *)NULL));
    } else if (strcmp(kind, "Freight") == 0) {
        put(ann, "freight-name", name);
        put(ann, "freight-alias", json_get_string(obj, "alias", (char *)NULL));
        put(ann, "freight-warehouse-name", json_get_string(obj, "origin", "name", (char *)NULL));
        put(ann, "freight-create-time",
            json_get_string(obj, "metadata", "creationTimestamp", (char *)NULL));
    } else if (strcmp(kind, "Stage") == 0) {
        put(ann, "stage-name", name);
    }
    va_list ap;
    va_start(ap, message);
    const char *key;
    while ((key = va_arg(ap, const char *)) != NULL) {
        const char *value = va_arg(ap, const char *);
        put(ann, key, value);
    }
    va_end(ap);

    cJSON *io = cJSON_AddObjectToObject(ev, "involvedObject");
    cJSON_AddStringToObject(io, "apiVersion", KARGO_API);
    cJSON_AddStringToObject(io, "kind", kind);
    cJSON_AddStringToObject(io, "name", name);
    cJSON_AddStringToObject(io, "namespace", ns);
    const char *uid = json_get_string(obj, "metadata", "uid", (char *)NULL);
    if (uid != NULL)
        cJSON_AddStringToObject(io, "uid", uid);
    cJSON_AddStringToObject(ev, "reason", reason);
    cJSON_AddStringToObject(ev, "message", message);
    cJSON_AddStringToObject(ev, "type", warning ? "Warning" : "Normal");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(ev, "source"), "component", "kargo-controller");
    cJSON_AddStringToObject(ev, "reportingComponent", "kargo-controller");
    cJSON_AddStringToObject(ev, "firstTimestamp", now);
    cJSON_AddStringToObject(ev, "lastTimestamp", now);
    cJSON_AddNumberToObject(ev, "count", 1);

    struct sim_write_opts o = {0};
    struct sim_status *err = NULL;
    cJSON *stored = sim_store_create(k->store, "events", ns, ev, &o, &err);
    cJSON_Delete(ev);
    cJSON_Delete(stored);
    sim_status_free(err);
}
