/* JSON trees written out as YAML, the way `kubectl get -o yaml` shows objects: used by the YAML
 * view of the dashboard and by the commands' `-o yaml`. */
#ifndef KT_UTIL_YAMLOUT_H
#define KT_UTIL_YAMLOUT_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "util/strbuf.h"

/* Appends root as a YAML document (no leading "---") to out. Strings that YAML would read back
 * as another type ("true", "123", "null", "") are quoted, so the output round-trips. Returns 0,
 * or -1 with *cause set. */
int yamlout_write(const cJSON *root, struct strbuf *out, char **cause);

/* Appends node as one element of a block sequence held by a key of the root mapping ("- "
 * and the node, indented as there), the way yamlout_write writes each of a List's items: a
 * List written key by key and item by item is byte for byte the List written whole, once
 * "...\n" follows it when any item set *open_ended (libyaml closes a document that way after
 * a block scalar that keeps its trailing line breaks; *open_ended is never cleared). Returns
 * 0, or -1 with *cause set. */
int yamlout_write_item(const cJSON *node, struct strbuf *out, bool *open_ended, char **cause);

#endif
