/* Fuzzes one Kargo object decoder (chosen at build time by KT_FUZZ_KIND, a `enum kargo_kind`),
 * then the store that indexes what it decoded and the derived state the views read from it:
 * whatever the API server sends, decoding either yields an object or an error value. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "fuzz.h"
#include "model/derive.h"
#include "model/kargo.h"
#include "model/store.h"

static void decode_and_free(const cJSON *obj)
{
    char *cause = NULL;
    void *o = NULL;
    switch ((enum kargo_kind)KT_FUZZ_KIND) {
    case KARGO_PROJECT:
        o = kargo_decode_project(obj, &cause);
        kargo_free_project(o);
        break;
    case KARGO_PROJECT_CONFIG:
        o = kargo_decode_project_config(obj, &cause);
        kargo_free_project_config(o);
        break;
    case KARGO_WAREHOUSE:
        o = kargo_decode_warehouse(obj, &cause);
        kargo_free_warehouse(o);
        break;
    case KARGO_STAGE: {
        struct kargo_stage *s = kargo_decode_stage(obj, &cause);
        if (s != NULL) {
            (void)derive_phase_name(derive_stage_phase(s, true));
            (void)derive_health_name(derive_stage_health(s));
            const struct kargo_freight_ref **cur = NULL;
            (void)derive_current_freight(s, &cur);
            free(cur);
            (void)derive_current_verification(s);
        }
        o = s;
        kargo_free_stage(s);
        break;
    }
    case KARGO_FREIGHT:
        o = kargo_decode_freight(obj, &cause);
        kargo_free_freight(o);
        break;
    case KARGO_PROMOTION: {
        struct kargo_promotion *p = kargo_decode_promotion(obj, &cause);
        if (p != NULL) {
            struct promotion_step step;
            (void)derive_promotion_step(p, &step);
        }
        o = p;
        kargo_free_promotion(p);
        break;
    }
    case KARGO_EVENT:
        o = kargo_decode_event(obj, &cause);
        kargo_free_event(o);
        break;
    case KARGO_KIND_COUNT:
        abort();
    }
    /* Exactly one of the two: an object, or an error value with a message for a person. */
    if ((o == NULL) == (cause == NULL) || (cause != NULL && cause[0] == '\0'))
        abort();
    free(cause);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON *obj = cJSON_ParseWithLength((const char *)data, size);
    if (obj == NULL)
        return 0;
    decode_and_free(obj);

    /* The store decodes it again and indexes it; an update and a delete follow as a watch would
     * send them, then a relist of it alone. */
    struct store *st = store_new("fuzz");
    char *cause = NULL;
    enum kargo_kind kind = (enum kargo_kind)KT_FUZZ_KIND;
    if (store_apply(st, kind, STORE_ADDED, obj, &cause) == 0) {
        (void)store_apply(st, kind, STORE_MODIFIED, obj, NULL);
        (void)store_apply(st, kind, STORE_DELETED, obj, NULL);
    }
    free(cause);
    cause = NULL;
    cJSON *items = cJSON_CreateArray();
    cJSON_AddItemReferenceToArray(items, obj);
    (void)store_replace(st, kind, items, &cause);
    free(cause);
    cJSON_Delete(items);
    store_free(st);
    cJSON_Delete(obj);
    return 0;
}
