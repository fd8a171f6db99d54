/* The dashboard's lists filled from the store (under its read lock): Stages as a list (the
 * pipeline's list form), Freight for a Stage or a Warehouse, Promotions, Warehouses, Events and
 * Projects. Each list knows its columns; table.c draws, filters and selects. Row keys are object
 * names. */
#ifndef KT_UI_LISTS_H
#define KT_UI_LISTS_H

#include <stddef.h>

#include "model/layout.h"
#include "model/store.h"
#include "ui/paint.h"
#include "ui/table.h"

enum list_kind {
    LIST_STAGES,
    LIST_FREIGHT,
    LIST_PROMOTIONS,
    LIST_WAREHOUSES,
    LIST_EVENTS,
    LIST_PROJECTS,
    LIST_KIND_COUNT
};

/* Sets up t with the columns of kind. */
void lists_init(struct table *t, enum list_kind kind);
/* A title for the list's pane: "Stages", "Freight", ... */
const char *lists_title(enum list_kind kind);

/* One row per Stage in graph order (the layout's lanes, ranks, rows; name order without one):
 * stage, phase, health, freight alias, version, last promotion. */
void lists_fill_stages(struct table *t, const struct store *st, const struct layout *l,
                       const struct paint *p);
/* The Stages marked for a batch (the caller's array, valid until the next call; set before each
 * draw of a Stages list): their rows are drawn marked as on the pipeline's boxes. */
void lists_set_marks(struct table *t, char *const *marked, size_t n);
/* Freight newest first: of the origins the Stage requests (stage), of the Warehouse
 * (warehouse), or every Freight of the project (both NULL). For a Stage, each row says whether
 * the Freight is available to it and, when not, why. */
void lists_fill_freight(struct table *t, const struct store *st, const char *stage,
                        const char *warehouse, const struct paint *p);
/* Promotions newest first, of one Stage or (stage NULL) of the project. */
void lists_fill_promotions(struct table *t, const struct store *st, const char *stage,
                           const struct paint *p);
void lists_fill_warehouses(struct table *t, const struct store *st, const struct paint *p);
/* Events newest first (an activity feed). */
void lists_fill_events(struct table *t, const struct store *st, const struct paint *p);
void lists_fill_projects(struct table *t, char *const *names, size_t n, const char *current,
                         const struct paint *p);

#endif
