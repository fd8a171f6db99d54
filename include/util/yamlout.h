/* JSON trees written out as YAML, the way `kubectl get -o yaml` shows objects: used by the YAML
 * view of the dashboard and by the commands' `-o yaml`. */
#ifndef KT_UTIL_YAMLOUT_H
#define KT_UTIL_YAMLOUT_H

#include <cjson/cJSON.h>

#include "util/strbuf.h"

/* Appends root as a YAML document (no leading "---") to out. Strings that YAML would read back
 * as another type ("true", "123", "null", "") are quoted, so the output round-trips. Returns 0,
 * or -1 with *cause set. */
int yamlout_write(const cJSON *root, struct strbuf *out, char **cause);

#endif
