/* Small YAML documents (configuration and theme files) as a tree of scalars, maps and sequences,
 * each node knowing its line, so a loader can say "file:12: ..." about any value it rejects. */
#ifndef KT_UTIL_YAMLDOC_H
#define KT_UTIL_YAMLDOC_H

#include <stdbool.h>
#include <stddef.h>

enum yamldoc_type { YAMLDOC_SCALAR, YAMLDOC_MAP, YAMLDOC_SEQ };

struct yamldoc_node {
    enum yamldoc_type type;
    int line;    /* 1-based */
    char *value; /* scalars: the text */
    bool quoted; /* scalars: written in quotes (so never null, a number or a boolean) */
    size_t n;    /* maps: pairs; sequences: items */
    char **keys; /* maps: key texts */
    int *key_lines;
    struct yamldoc_node **items; /* map values or sequence items */
};

/* Parses one YAML document of len bytes; name is used in messages ("name:3: ..."). An empty
 * document gives *root = NULL. Anchors and aliases, tags on collections, complex keys and more
 * than one document are refused. Returns 0, or -1 with *cause. The caller frees with
 * yamldoc_free. */
int yamldoc_parse(const char *buf, size_t len, const char *name, struct yamldoc_node **root,
                  char **cause);
void yamldoc_free(struct yamldoc_node *n);
/* The value of key in a map, or NULL. */
const struct yamldoc_node *yamldoc_get(const struct yamldoc_node *map, const char *key);
/* A plain scalar of YAML's null forms ("", "~", "null")? */
bool yamldoc_is_null(const struct yamldoc_node *n);
/* A scalar as a boolean (true/false/yes/no/on/off): 0, or -1 when it is not one. */
int yamldoc_bool(const struct yamldoc_node *n, bool *out);

#endif
