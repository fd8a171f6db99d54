/* Kubernetes label selectors ("app=x,tier!=db,env in (a,b),!legacy") parsed once, matched often. */
#ifndef KT_SIM_SELECTOR_H
#define KT_SIM_SELECTOR_H

#include <stdbool.h>

#include <cjson/cJSON.h>

struct sim_selector;

/* Parses text (NULL or empty selects everything). Returns NULL with *cause on a syntax error. */
struct sim_selector *sim_selector_parse(const char *text, char **cause);
/* Whether labels (a JSON object of strings, or NULL for none) satisfy the selector. */
bool sim_selector_match(const struct sim_selector *sel, const cJSON *labels);
void sim_selector_free(struct sim_selector *sel);

#endif
