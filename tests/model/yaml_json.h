/* Test support: YAML files (the kargo-examples) read into cJSON with YAML 1.2 core-schema scalars,
 * JSON fixture files read from disk, and fixtures loaded into a store. */
#ifndef KT_TEST_YAML_JSON_H
#define KT_TEST_YAML_JSON_H

#include <cjson/cJSON.h>

#include "model/store.h"

/* Every document of the YAML file as an element of a new array (caller deletes); NULL with
 * *cause set on a read or syntax error. */
cJSON *yaml_json_load(const char *path, char **cause);
/* The first document whose kind and metadata.name match, or NULL; borrowed from docs. */
const cJSON *yaml_json_find(const cJSON *docs, const char *kind, const char *name);
/* A JSON file parsed (caller deletes), or NULL with *cause set. */
cJSON *json_file_load(const char *path, char **cause);

/* The store kind for a Kubernetes kind ("Stage", ...), or -1 for kinds the model does not keep. */
int fixture_kind(const char *kind);
/* Applies (ADDED) every object of a kind the model keeps from a list of objects; returns how many
 * were applied, or -1 at the first that fails. */
int fixture_apply_all(struct store *st, const cJSON *objects);
/* Loads tests/model/fixtures/<name> (a v1 List) into st; returns the count applied, or -1. */
int fixture_load(struct store *st, const char *name);

#endif
