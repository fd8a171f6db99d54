/* The pipeline graph laid out for a terminal: boxes and orthogonal edge routes in cell
 * coordinates, warehouses on the left, Stages by longest path from a warehouse, a lane per
 * independent pipeline (or per family of them, such as one service's). Data only: drawing it is
 * the view's job. */
#ifndef KT_MODEL_LAYOUT_H
#define KT_MODEL_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>

#include "model/kargo.h"

enum layout_kind { LAYOUT_WAREHOUSE, LAYOUT_STAGE };

struct layout_node {
    enum layout_kind kind;
    char *name;
    bool missing; /* referenced by a Stage but not in the store */
    int pipeline; /* connected component, numbered in order of its first warehouse's name */
    int lane;     /* band of rows: one pipeline, or those whose names share a first token */
    int rank;     /* 0 for warehouses; a Stage's longest path from a warehouse */
    int order;    /* row inside the lane (barycenter of its upstreams, then name) */
    int x, y, w, h;
};

struct layout_point {
    int x, y;
};

/* An edge from the cell right of the source box to the cell left of the target box (where the
 * arrowhead goes), as axis-aligned segments between consecutive points. */
struct layout_edge {
    size_t from, to; /* node indexes */
    char *origin;    /* the warehouse whose Freight flows along it */
    struct layout_point *points;
    size_t n_points;
};

struct layout_params {
    int box_w; /* preferred box size in cells */
    int box_h;
    int width; /* terminal columns available */
    /* Rows available (0: unknown). Boxes narrowed to fit the width keep their preferred height
     * when the drawing still fits in these rows; otherwise they are flattened too. */
    int height;
};

struct layout {
    struct layout_node *nodes; /* warehouses by name, then Stages by name, then missing ones */
    size_t n_nodes;
    struct layout_edge *edges;
    size_t n_edges;
    int n_pipelines;
    int n_lanes;
    int n_ranks;
    bool compact;      /* boxes were narrowed (and flattened unless height allowed) to fit */
    int box_w, box_h;  /* the box size used */
    int width, height; /* extent of the drawing; may exceed the terminal (the view scrolls) */
};

/* Lays out the graph of warehouses and Stages (each array sorted by name, as the store keeps
 * them). The result depends only on names and requestedFreight, so Freight or status changes
 * never move a box. Returns a new layout (free with layout_free). */
struct layout *layout_compute(const struct kargo_warehouse *const *warehouses, size_t n_wh,
                              const struct kargo_stage *const *stages, size_t n_st,
                              const struct layout_params *params);
void layout_free(struct layout *l);

/* Index of the node of that kind and name, or -1. */
long layout_find(const struct layout *l, enum layout_kind kind, const char *name);

/* Edge segments crossing each other, plus segments running through a box they do not start or
 * end at: 0 for a clean drawing. */
size_t layout_crossings(const struct layout *l);

#endif
