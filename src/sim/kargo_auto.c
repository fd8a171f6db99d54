/* Auto-promotion (pkg/controller/stages, pkg/api/auto_promotion.go): for a Stage whose first
 * matching ProjectConfig policy enables it, each requested origin's candidate is promoted unless a
 * hold pins the origin, the candidate is already current or queued, or its newest terminal
 * Promotion did not succeed (the loop guard). */
#include "kargo_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/kargo_rules.h"
#include "sim/store.h"
#include "util/json.h"
#include "util/xalloc.h"

/* Whether a Promotion for freight in stage blocks auto-promoting it again. */
static bool blocked_by_promotions(const struct kargo_ns *n, const char *stage, const char *freight)
{
    const cJSON *newest_terminal = NULL;
    const struct kargo_plist *l = kargo_ns_promotions(n, stage);
    for (size_t i = 0; i < l->n; i++) {
        const cJSON *p = l->items[i];
        const char *f = json_get_string(p, "spec", "freight", (char *)NULL);
        if (f == NULL || strcmp(f, freight) != 0)
            continue;
        const char *ph = json_get_string(p, "status", "phase", (char *)NULL);
        if (!kargo_phase_terminal(ph))
            return true;
        if (newest_terminal == NULL ||
            strcmp(json_get_string(p, "metadata", "name", (char *)NULL),
                   json_get_string(newest_terminal, "metadata", "name", (char *)NULL)) > 0)
            newest_terminal = p;
    }
    return newest_terminal != NULL &&
           strcmp(json_get_string(newest_terminal, "status", "phase", (char *)NULL), "Succeeded") !=
               0;
}

void kargo_auto_pass(struct kargo *k, struct kargo_ns *n)
{
    if (n->projectconfig == NULL)
        return;
    int64_t now = kargo_now(k);
    size_t nf = (size_t)cJSON_GetArraySize(n->freights);
    const cJSON **freights = xcalloc(nf + 1, sizeof(*freights));
    size_t i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, n->freights)
    {
        freights[i++] = it;
    }

    const cJSON *stage;
    cJSON_ArrayForEach(stage, n->stages)
    {
        if (kargo_stage_is_control_flow(stage) ||
            !kargo_auto_promotion_enabled(n->projectconfig, stage))
            continue;
        const char *sname = json_get_string(stage, "metadata", "name", (char *)NULL);
        const cJSON *cur = json_get(
            cJSON_GetArrayItem(json_get(stage, "status", "freightHistory", (char *)NULL), 0),
            "items", (char *)NULL);
        const cJSON *req;
        cJSON_ArrayForEach(req, json_get(stage, "spec", "requestedFreight", (char *)NULL))
        {
            const char *wh = json_get_string(req, "origin", "name", (char *)NULL);
            if (wh == NULL)
                continue;
            char key[300];
            snprintf(key, sizeof(key), "Warehouse/%s", wh);
            if (json_get(stage, "status", "effectiveAutoPromotionHolds", key, (char *)NULL) !=
                    NULL ||
                json_get(stage, "status", "autoPromotionHolds", key, (char *)NULL) != NULL)
                continue;
            int64_t changes = KARGO_NEVER;
            const cJSON *cand = kargo_auto_candidate_at(stage, wh, freights, nf, now, &changes);
            kargo_due_s(k, changes);
            if (cand == NULL)
                continue;
            const char *fname = json_get_string(cand, "metadata", "name", (char *)NULL);
            const char *current = json_get_string(cur, key, "name", (char *)NULL);
            if ((current != NULL && strcmp(current, fname) == 0) ||
                blocked_by_promotions(n, sname, fname))
                continue;
            cJSON *promo = cJSON_CreateObject();
            cJSON_AddStringToObject(promo, "apiVersion", KARGO_API);
            cJSON_AddStringToObject(promo, "kind", "Promotion");
            cJSON *md = cJSON_AddObjectToObject(promo, "metadata");
            cJSON_AddStringToObject(md, "generateName", "auto-");
            cJSON_AddStringToObject(md, "namespace", n->ns);
            cJSON *spec = cJSON_AddObjectToObject(promo, "spec");
            cJSON_AddStringToObject(spec, "stage", sname);
            cJSON_AddStringToObject(spec, "freight", fname);
            cJSON_AddItemToObject(spec, "steps", cJSON_CreateArray());
            struct sim_write_opts o = {0};
            struct sim_status *err = NULL;
            cJSON *stored = sim_store_create(k->store, "promotions", n->ns, promo, &o, &err);
            cJSON_Delete(promo);
            k->writes++;
            if (stored != NULL)
                kargo_ns_add_promotion(n, stored);
            sim_status_free(err);
        }
    }
    free(freights);
}
