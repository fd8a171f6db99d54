/* The details (Enter) of a Stage (conditions, health, verification history, Freight history with
 * promotion times), a Freight (every artifact with digests and commit messages, where it is), a
 * Promotion (every step with status, duration, message) or a Warehouse, as lines in a scrolling
 * table. */
#ifndef KT_UI_DETAIL_VIEW_H
#define KT_UI_DETAIL_VIEW_H

#include <stdbool.h>

#include "model/store.h"
#include "ui/paint.h"
#include "ui/table.h"

void detail_view_init(struct table *t);
/* Fills t with the details of the object of kind (KARGO_STAGE, KARGO_FREIGHT, KARGO_PROMOTION,
 * KARGO_WAREHOUSE) called name. Returns false (and one line saying so) when it is gone. */
bool detail_view_fill(struct table *t, const struct store *st, enum kargo_kind kind,
                      const char *name, const struct paint *p);

#endif
