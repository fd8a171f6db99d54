/* libyaml events into a line-numbered tree. */
#include "util/yamldoc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "util/xalloc.h"

/* Deeper than any sane settings file; a bound keeps hostile input off the stack. */
#define YAMLDOC_MAX_DEPTH 32

struct yamldoc_parser {
    yaml_parser_t p;
    const char *name;
};

static int yamldoc_next(struct yamldoc_parser *yp, yaml_event_t *ev, char **cause)
{
    if (!yaml_parser_parse(&yp->p, ev)) {
        cause_set(cause, "%s:%zu: not valid YAML: %s", yp->name, yp->p.problem_mark.line + 1,
                  yp->p.problem != NULL ? yp->p.problem : "syntax error");
        return -1;
    }
    return 0;
}

static struct yamldoc_node *yamldoc_node_new(enum yamldoc_type type, int line)
{
    struct yamldoc_node *n = xcalloc(1, sizeof *n);
    n->type = type;
    n->line = line;
    return n;
}

static void yamldoc_push(struct yamldoc_node *n, size_t *cap, char *key, int key_line,
                         struct yamldoc_node *item)
{
    if (n->n == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        n->items = xrealloc(n->items, *cap * sizeof *n->items);
        if (n->type == YAMLDOC_MAP) {
            n->keys = xrealloc(n->keys, *cap * sizeof *n->keys);
            n->key_lines = xrealloc(n->key_lines, *cap * sizeof *n->key_lines);
        }
    }
    if (n->type == YAMLDOC_MAP) {
        n->keys[n->n] = key;
        n->key_lines[n->n] = key_line;
    }
    n->items[n->n++] = item;
}

/* Builds the node that starts with ev (which this call consumes). */
static struct yamldoc_node *yamldoc_build(struct yamldoc_parser *yp, yaml_event_t *ev, int depth,
                                          char **cause)
{
    int line = (int)ev->start_mark.line + 1;
    if (depth > YAMLDOC_MAX_DEPTH) {
        cause_set(cause, "%s:%d: nested too deeply", yp->name, line);
        yaml_event_delete(ev);
        return NULL;
    }
    switch (ev->type) {
    case YAML_SCALAR_EVENT: {
        struct yamldoc_node *n = yamldoc_node_new(YAMLDOC_SCALAR, line);
        n->value = xstrndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
        n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
        yaml_event_delete(ev);
        return n;
    }
    case YAML_ALIAS_EVENT:
        cause_set(cause, "%s:%d: aliases (*name) are not supported here", yp->name, line);
        yaml_event_delete(ev);
        return NULL;
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        bool map = ev->type == YAML_MAPPING_START_EVENT;
        yaml_event_type_t end = map ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT;
        yaml_event_delete(ev);
        struct yamldoc_node *n = yamldoc_node_new(map ? YAMLDOC_MAP : YAMLDOC_SEQ, line);
        size_t cap = 0;
        for (;;) {
            yaml_event_t e;
            if (yamldoc_next(yp, &e, cause) != 0)
                goto fail;
            if (e.type == end) {
                yaml_event_delete(&e);
                return n;
            }
            char *key = NULL;
            int key_line = (int)e.start_mark.line + 1;
            if (map) {
                if (e.type != YAML_SCALAR_EVENT) {
                    cause_set(cause, "%s:%d: a key must be a plain word", yp->name, key_line);
                    yaml_event_delete(&e);
                    goto fail;
                }
                key = xstrndup((const char *)e.data.scalar.value, e.data.scalar.length);
                yaml_event_delete(&e);
                for (size_t i = 0; i < n->n; i++)
                    if (strcmp(n->keys[i], key) == 0) {
                        cause_set(cause, "%s:%d: '%s' is given twice (first on line %d)", yp->name,
                                  key_line, key, n->key_lines[i]);
                        free(key);
                        goto fail;
                    }
                if (yamldoc_next(yp, &e, cause) != 0) {
                    free(key);
                    goto fail;
                }
            }
            struct yamldoc_node *item = yamldoc_build(yp, &e, depth + 1, cause);
            if (item == NULL) {
                free(key);
                goto fail;
            }
            yamldoc_push(n, &cap, key, key_line, item);
        }
    fail:
        yamldoc_free(n);
        return NULL;
    }
    default:
        cause_set(cause, "%s:%d: unexpected YAML structure", yp->name, line);
        yaml_event_delete(ev);
        return NULL;
    }
}

int yamldoc_parse(const char *buf, size_t len, const char *name, struct yamldoc_node **root,
                  char **cause)
{
    struct yamldoc_parser yp = {.name = name != NULL ? name : "(input)"};
    *root = NULL;
    if (memchr(buf, '\0', len) != NULL) {
        cause_set(cause, "%s: not a text file (it holds a NUL byte)", yp.name);
        return -1;
    }
    yaml_parser_initialize(&yp.p);
    yaml_parser_set_input_string(&yp.p, (const unsigned char *)buf, len);
    int rc = -1;
    yaml_event_t ev;
    bool in_doc = false;
    for (;;) {
        if (yamldoc_next(&yp, &ev, cause) != 0)
            break;
        yaml_event_type_t t = ev.type;
        if (t == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&ev);
            rc = 0;
            break;
        }
        if (t == YAML_STREAM_START_EVENT || t == YAML_DOCUMENT_END_EVENT) {
            yaml_event_delete(&ev);
            continue;
        }
        if (t == YAML_DOCUMENT_START_EVENT) {
            if (in_doc) {
                cause_set(cause, "%s:%zu: only one YAML document is allowed", yp.name,
                          ev.start_mark.line + 1);
                yaml_event_delete(&ev);
                break;
            }
            in_doc = true;
            yaml_event_delete(&ev);
            continue;
        }
        *root = yamldoc_build(&yp, &ev, 0, cause);
        if (*root == NULL)
            break;
    }
    yaml_parser_delete(&yp.p);
    if (rc != 0) {
        yamldoc_free(*root);
        *root = NULL;
    }
    return rc;
}

void yamldoc_free(struct yamldoc_node *n)
{
    if (n == NULL)
        return;
    for (size_t i = 0; i < n->n; i++) {
        yamldoc_free(n->items[i]);
        if (n->keys != NULL)
            free(n->keys[i]);
    }
    free(n->items);
    free(n->keys);
    free(n->key_lines);
    free(n->value);
    free(n);
}

const struct yamldoc_node *yamldoc_get(const struct yamldoc_node *map, const char *key)
{
    if (map == NULL || map->type != YAMLDOC_MAP)
        return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->keys[i], key) == 0)
            return map->items[i];
    return NULL;
}

bool yamldoc_is_null(const struct yamldoc_node *n)
{
    return n == NULL || (n->type == YAMLDOC_SCALAR && !n->quoted &&
                         (n->value[0] == '\0' || strcmp(n->value, "~") == 0 ||
                          strcasecmp(n->value, "null") == 0));
}

int yamldoc_bool(const struct yamldoc_node *n, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on"}, *const no[] = {"false", "no", "off"};
    if (n == NULL || n->type != YAMLDOC_SCALAR || n->quoted)
        return -1;
    for (size_t i = 0; i < 3; i++) {
        if (strcasecmp(n->value, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(n->value, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -1;
}
