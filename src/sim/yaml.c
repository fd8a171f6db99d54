/* YAML documents to cJSON with libyaml's event parser, resolving plain scalars the way go-yaml v2
 * (behind sigs.k8s.io/yaml, hence kubectl and the API server) does. */
#include "sim/yaml.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "util/xalloc.h"

struct anchor {
    char *name;
    cJSON *node;
    size_t nodes; /* in node, counted once */
};

struct parser {
    yaml_parser_t p;
    const char *name;
    char **cause;
    struct anchor *anchors;
    size_t nanchors;
    int depth;       /* sequences and mappings open */
    size_t expanded; /* nodes copied by aliases so far */
};

/* Aliases copy what they name, so nested ones multiply: seven lines of "a6: &a6 [*a5, *a5, ...]"
 * made ten million nodes (22 s, 2.6 GB). Past a million copied nodes the file is refused, as
 * go-yaml refuses "excessive aliasing". */
#define SIM_YAML_ALIAS_NODES_MAX 1000000

/* Each nesting level costs a stack frame: a hostile file of 100,000 '[' overflowed the stack
 * (found by fuzzing). cJSON stops at 1000 too. */
#define SIM_YAML_DEPTH_MAX 1000

static bool one_of(const char *s, const char *const *list)
{
    for (size_t i = 0; list[i] != NULL; i++)
        if (strcmp(s, list[i]) == 0)
            return true;
    return false;
}

static bool parse_int(const char *s, double *out)
{
    char clean[64];
    size_t k = 0;
    for (const char *p = s; *p != '\0' && k < sizeof clean - 1; p++)
        if (*p != '_')
            clean[k++] = *p;
    clean[k] = '\0';
    const char *d = clean;
    bool neg = false;
    if (*d == '+' || *d == '-')
        neg = *d++ == '-';
    if (*d == '\0')
        return false;
    int base = 10;
    if (d[0] == '0' && (d[1] == 'x' || d[1] == 'X')) {
        base = 16;
        d += 2;
    } else if (d[0] == '0' && (d[1] == 'b' || d[1] == 'B')) {
        base = 2;
        d += 2;
    } else if (d[0] == '0' && (d[1] == 'o' || d[1] == 'O')) {
        base = 8;
        d += 2;
    } else if (d[0] == '0' && d[1] != '\0') {
        base = 8;
    }
    if (*d == '\0')
        return false;
    char *end;
    errno = 0;
    long long v = strtoll(d, &end, base);
    if (*end != '\0' || errno != 0)
        return false;
    *out = neg ? -(double)v : (double)v;
    return true;
}

static bool parse_float(const char *s, double *out)
{
    static const char *const inf[] = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", NULL};
    static const char *const ninf[] = {"-.inf", "-.Inf", "-.INF", NULL};
    static const char *const nan_[] = {".nan", ".NaN", ".NAN", NULL};
    /* JSON has no infinities or NaN: Kubernetes would fail to convert them; keep them strings. */
    if (one_of(s, inf) || one_of(s, ninf) || one_of(s, nan_))
        return false;
    bool digit = false;
    for (const char *p = s; *p != '\0'; p++) {
        if (*p >= '0' && *p <= '9')
            digit = true;
        else if (!strchr("+-.eE_", *p))
            return false;
    }
    if (!digit)
        return false;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end != '\0' || errno != 0 || !isfinite(v))
        return false;
    *out = v;
    return true;
}

/* A plain scalar as go-yaml v2 resolves it. */
static cJSON *resolve_plain(const char *s)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
    static const char *const trues[] = {"y",    "Y",    "yes", "Yes", "YES", "true",
                                        "True", "TRUE", "on",  "On",  "ON",  NULL};
    static const char *const falses[] = {"n",     "N",     "no",  "No",  "NO",  "false",
                                         "False", "FALSE", "off", "Off", "OFF", NULL};
    if (one_of(s, nulls))
        return cJSON_CreateNull();
    if (one_of(s, trues))
        return cJSON_CreateTrue();
    if (one_of(s, falses))
        return cJSON_CreateFalse();
    double v;
    if (parse_int(s, &v) || parse_float(s, &v))
        return cJSON_CreateNumber(v);
    return cJSON_CreateString(s);
}

static cJSON *scalar(const yaml_event_t *ev)
{
    const char *v = (const char *)ev->data.scalar.value;
    const char *tag = (const char *)ev->data.scalar.tag;
    if (tag != NULL && strcmp(tag, YAML_STR_TAG) == 0)
        return cJSON_CreateString(v);
    if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return cJSON_CreateString(v);
    return resolve_plain(v);
}

static void fail_at(struct parser *ps, size_t line, const char *what)
{
    cause_set(ps->cause, "%s:%zu: %s", ps->name, line + 1, what);
}

static bool next_event(struct parser *ps, yaml_event_t *ev)
{
    if (yaml_parser_parse(&ps->p, ev))
        return true;
    cause_set(ps->cause, "%s:%zu: %s", ps->name, ps->p.problem_mark.line + 1,
              ps->p.problem != NULL ? ps->p.problem : "invalid YAML");
    return false;
}

static size_t count_nodes(const cJSON *n)
{
    size_t c = 1;
    for (const cJSON *k = n->child; k != NULL; k = k->next)
        c += count_nodes(k);
    return c;
}

static void remember(struct parser *ps, const yaml_char_t *anchor, const cJSON *node)
{
    if (anchor == NULL)
        return;
    ps->anchors = xrealloc(ps->anchors, (ps->nanchors + 1) * sizeof *ps->anchors);
    ps->anchors[ps->nanchors].name = xstrdup((const char *)anchor);
    ps->anchors[ps->nanchors].node = cJSON_Duplicate(node, true);
    ps->anchors[ps->nanchors].nodes = count_nodes(node);
    ps->nanchors++;
}

static cJSON *parse_node(struct parser *ps, yaml_event_t *ev);

/* Parses the node that starts with ev (consumed). */
static cJSON *parse_node(struct parser *ps, yaml_event_t *ev)
{
    cJSON *node = NULL;
    int nested = ev->type == YAML_SEQUENCE_START_EVENT || ev->type == YAML_MAPPING_START_EVENT;
    if (nested && ps->depth >= SIM_YAML_DEPTH_MAX) {
        fail_at(ps, ev->start_mark.line, "nested more than 1000 levels deep");
        yaml_event_delete(ev);
        return NULL;
    }
    ps->depth += nested;
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        node = scalar(ev);
        remember(ps, ev->data.scalar.anchor, node);
        break;
    case YAML_ALIAS_EVENT:
        for (size_t i = ps->nanchors; i-- > 0;)
            if (strcmp(ps->anchors[i].name, (const char *)ev->data.alias.anchor) == 0) {
                ps->expanded += ps->anchors[i].nodes;
                if (ps->expanded <= SIM_YAML_ALIAS_NODES_MAX)
                    node = cJSON_Duplicate(ps->anchors[i].node, true);
                else
                    fail_at(ps, ev->start_mark.line,
                            "aliases expand to more than 1000000 nodes (excessive aliasing)");
                break;
            }
        if (node == NULL && ps->expanded <= SIM_YAML_ALIAS_NODES_MAX)
            fail_at(ps, ev->start_mark.line, "unknown anchor");
        break;
    case YAML_SEQUENCE_START_EVENT: {
        yaml_char_t *anchor = ev->data.sequence_start.anchor != NULL
                                  ? (yaml_char_t *)xstrdup((char *)ev->data.sequence_start.anchor)
                                  : NULL;
        node = cJSON_CreateArray();
        for (;;) {
            yaml_event_t e;
            if (!next_event(ps, &e)) {
                cJSON_Delete(node);
                node = NULL;
                break;
            }
            if (e.type == YAML_SEQUENCE_END_EVENT) {
                yaml_event_delete(&e);
                break;
            }
            cJSON *child = parse_node(ps, &e);
            if (child == NULL) {
                cJSON_Delete(node);
                node = NULL;
                break;
            }
            cJSON_AddItemToArray(node, child);
        }
        if (node != NULL)
            remember(ps, anchor, node);
        free(anchor);
        break;
    }
    case YAML_MAPPING_START_EVENT: {
        yaml_char_t *anchor = ev->data.mapping_start.anchor != NULL
                                  ? (yaml_char_t *)xstrdup((char *)ev->data.mapping_start.anchor)
                                  : NULL;
        node = cJSON_CreateObject();
        cJSON *merged = NULL;
        for (;;) {
            yaml_event_t k;
            if (!next_event(ps, &k)) {
                cJSON_Delete(node);
                node = NULL;
                break;
            }
            if (k.type == YAML_MAPPING_END_EVENT) {
                yaml_event_delete(&k);
                break;
            }
            if (k.type != YAML_SCALAR_EVENT) {
                fail_at(ps, k.start_mark.line, "mapping keys must be scalars");
                yaml_event_delete(&k);
                cJSON_Delete(node);
                node = NULL;
                break;
            }
            char *key = xstrdup((const char *)k.data.scalar.value);
            size_t kline = k.start_mark.line;
            yaml_event_delete(&k);
            yaml_event_t v;
            if (!next_event(ps, &v)) {
                free(key);
                cJSON_Delete(node);
                node = NULL;
                break;
            }
            cJSON *child = parse_node(ps, &v);
            if (child == NULL) {
                free(key);
                cJSON_Delete(node);
                node = NULL;
                break;
            }
            if (strcmp(key, "<<") == 0 && cJSON_IsObject(child)) {
                /* Merge key: the aliased mapping's entries count where not set explicitly,
                 * before or after; applied when the mapping ends. */
                if (merged == NULL)
                    merged = child;
                else
                    cJSON_Delete(child);
            } else if (cJSON_GetObjectItemCaseSensitive(node, key) != NULL) {
                char *msg = xasprintf("mapping key \"%s\" already defined", key);
                fail_at(ps, kline, msg);
                free(msg);
                cJSON_Delete(child);
                free(key);
                cJSON_Delete(node);
                node = NULL;
                break;
            } else {
                cJSON_AddItemToObject(node, key, child);
            }
            free(key);
        }
        if (node != NULL && merged != NULL) {
            cJSON *it;
            cJSON_ArrayForEach(it, merged)
            {
                if (cJSON_GetObjectItemCaseSensitive(node, it->string) == NULL)
                    cJSON_AddItemToObject(node, it->string, cJSON_Duplicate(it, true));
            }
        }
        cJSON_Delete(merged);
        if (node != NULL)
            remember(ps, anchor, node);
        free(anchor);
        break;
    }
    default:
        fail_at(ps, ev->start_mark.line, "unexpected YAML event");
        break;
    }
    ps->depth -= nested;
    yaml_event_delete(ev);
    return node;
}

cJSON *sim_yaml_parse(const char *text, size_t len, const char *name, int **lines, char **cause)
{
    struct parser ps = {.name = name, .cause = cause};
    if (!yaml_parser_initialize(&ps.p)) {
        cause_set(cause, "%s: cannot initialise the YAML parser", name);
        return NULL;
    }
    yaml_parser_set_input_string(&ps.p, (const unsigned char *)text, len);
    cJSON *docs = cJSON_CreateArray();
    int *ln = NULL;
    size_t nln = 0;
    bool ok = true;
    for (;;) {
        yaml_event_t ev;
        if (!next_event(&ps, &ev)) {
            ok = false;
            break;
        }
        if (ev.type == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        if (ev.type != YAML_DOCUMENT_START_EVENT) {
            yaml_event_delete(&ev);
            continue;
        }
        size_t line = ev.start_mark.line;
        yaml_event_delete(&ev);
        yaml_event_t root;
        if (!next_event(&ps, &root)) {
            ok = false;
            break;
        }
        size_t root_line = root.start_mark.line;
        cJSON *doc = parse_node(&ps, &root);
        if (doc == NULL) {
            ok = false;
            break;
        }
        yaml_event_t end;
        if (!next_event(&ps, &end)) {
            cJSON_Delete(doc);
            ok = false;
            break;
        }
        yaml_event_delete(&end);
        if (cJSON_IsNull(doc)) {
            cJSON_Delete(doc);
            continue;
        }
        (void)line;
        cJSON_AddItemToArray(docs, doc);
        ln = xrealloc(ln, (nln + 1) * sizeof *ln);
        ln[nln++] = (int)root_line + 1;
    }
    for (size_t i = 0; i < ps.nanchors; i++) {
        free(ps.anchors[i].name);
        cJSON_Delete(ps.anchors[i].node);
    }
    free(ps.anchors);
    yaml_parser_delete(&ps.p);
    if (!ok) {
        cJSON_Delete(docs);
        free(ln);
        return NULL;
    }
    if (lines != NULL)
        *lines = ln;
    else
        free(ln);
    return docs;
}

cJSON *sim_yaml_load_file(const char *path, int **lines, char **cause)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        cause_set(cause, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        buf = xreallocarray_grow(buf, &cap, len + 65536, 1);
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    bool err = ferror(f) != 0;
    fclose(f);
    if (err) {
        free(buf);
        cause_set(cause, "cannot read %s", path);
        return NULL;
    }
    cJSON *docs = sim_yaml_parse(buf, len, path, lines, cause);
    free(buf);
    return docs;
}
