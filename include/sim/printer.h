/* Server-side printing: meta.k8s.io/v1 Table rows from the CRDs' additionalPrinterColumns, as
 * kube-apiserver answers kubectl's "Accept: application/json;as=Table;v=v1;g=meta.k8s.io". */
#ifndef KT_SIM_PRINTER_H
#define KT_SIM_PRINTER_H

#include <time.h>

#include <cjson/cJSON.h>

struct sim_resource;

/* A Table with r's column definitions and no rows; the caller owns it. */
cJSON *sim_printer_table(const struct sim_resource *r, const char *resource_version);
/* Appends obj's row (cells and its PartialObjectMetadata) to the table's rows. */
void sim_printer_add_row(const struct sim_resource *r, cJSON *table, const cJSON *obj, time_t now);
/* The first value a kubectl JSONPath (".status.conditions[?(@.type==\"Ready\")].status",
 * ".metadata.labels.kargo\\.akuity\\.io/alias") selects in obj, or NULL; borrowed from obj. */
const cJSON *sim_printer_jsonpath(const cJSON *obj, const char *path);

#endif
