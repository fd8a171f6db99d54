/* Whether the screen agrees with the simulator: the state read over the API into a model store,
 * derived with the model's functions as the dashboard derives it, and compared field by field
 * with the text of each view the soak visits (Stage boxes, the Stages list, the dashboard's
 * Freight pane, and the Promotions, Freight and Warehouses lists). Ages are not compared. */
#ifndef KT_SOAK_AGREE_H
#define KT_SOAK_AGREE_H

#include <stdbool.h>

#include "kube/http.h"
#include "ptyterm.h"

struct agree;

/* Reads the Warehouses, Stages, Freight and Promotions of namespace ns. NULL with *cause. */
struct agree *agree_load(struct kube_client *client, const char *ns, char **cause);
void agree_free(struct agree *a);

/* Opens each view with keys and compares it until it agrees or deadline_ms (CLOCK_MONOTONIC
 * milliseconds) passes; a view opened after the deadline still gets min_ms to be drawn. The
 * mismatches of a view that never agreed are printed (what the screen shows and what the
 * simulator says) and counted. Returns the number of mismatches. */
unsigned long agree_check(struct agree *a, struct ptyterm *t, double deadline_ms, int min_ms);

/* Fields compared and mismatches found so far (the last attempt of each view). */
unsigned long agree_fields(const struct agree *a);
unsigned long agree_mismatches(const struct agree *a);

#endif
