/* Reading and shaping cJSON trees by key path, tolerant of missing or mistyped fields. Keys are
 * separate arguments (not dotted strings) because Kubernetes keys contain dots and slashes:
 * json_get_string(obj, "metadata", "annotations", "kargo.akuity.io/color", NULL). */
#ifndef KT_UTIL_JSON_H
#define KT_UTIL_JSON_H

#include <stdbool.h>
#include <cjson/cJSON.h>

/* The node at the path of object keys (NULL-terminated), or NULL if any step is missing or not
 * an object. With no keys, root itself. */
const cJSON *json_get(const cJSON *root, ...) __attribute__((sentinel));
/* The string at the path, or NULL if missing or not a string. */
const char *json_get_string(const cJSON *root, ...) __attribute__((sentinel));
/* True and *out set if the node at the path is a number (bool), else false and *out untouched. */
bool json_get_number(const cJSON *root, double *out, ...) __attribute__((sentinel));
bool json_get_bool(const cJSON *root, bool *out, ...) __attribute__((sentinel));

/* The object at the path, creating missing objects (and replacing non-objects) on the way. */
cJSON *json_ensure_object(cJSON *root, ...) __attribute__((sentinel));
/* Sets key in obj to a string, replacing any previous value. */
void json_set_string(cJSON *obj, const char *key, const char *value);
/* Parses text of len bytes; returns NULL with *cause naming the offset of the error. */
cJSON *json_parse(const char *text, size_t len, char **cause);

/* json_parse with every node in one arena, for a large document read once and dropped: the tree
 * is freed whole by json_bulk_free (cJSON_Delete on any part of it does nothing), on the thread
 * that parsed it, and no part of it may outlive that. cause as json_parse; *bulk is NULL when
 * the parse failed. */
struct json_bulk;
cJSON *json_parse_bulk(const char *text, size_t len, struct json_bulk **bulk, char **cause);
void json_bulk_free(struct json_bulk *bulk);
/* The same for many documents in one arena: json_parse_in as json_parse. */
struct json_bulk *json_bulk_new(void);
cJSON *json_parse_in(struct json_bulk *bulk, const char *text, size_t len, char **cause);

#endif
