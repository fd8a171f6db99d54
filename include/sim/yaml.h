/* YAML to cJSON as Kubernetes reads manifests (sigs.k8s.io/yaml over YAML 1.1): plain scalars
 * become booleans, numbers and null where YAML says so, quoted scalars stay strings. */
#ifndef KT_SIM_YAML_H
#define KT_SIM_YAML_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* Parses every document of text (len bytes; name names it in errors) into a JSON array of the
 * documents that are not empty, each with its starting line in *lines (caller frees, may be NULL).
 * Returns NULL with *cause "name:line: problem" on a syntax error. */
cJSON *sim_yaml_parse(const char *text, size_t len, const char *name, int **lines, char **cause);
/* Reads and parses a file the same way. */
cJSON *sim_yaml_load_file(const char *path, int **lines, char **cause);

#endif
