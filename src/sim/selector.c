/* Label selectors: the equality- and set-based requirements of the Kubernetes API. */
#include "sim/selector.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

enum op { OP_EQ, OP_NE, OP_IN, OP_NOTIN, OP_EXISTS, OP_NOT_EXISTS };

struct req {
    enum op op;
    char *key;
    char **values;
    size_t nvalues;
};

struct sim_selector {
    struct req *reqs;
    size_t n, cap;
};

static void skip_ws(const char **p)
{
    while (**p == ' ' || **p == '\t')
        (*p)++;
}

static bool word_char(char c)
{
    return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '.' || c == '/';
}

static char *read_word(const char **p)
{
    skip_ws(p);
    const char *start = *p;
    while (word_char(**p))
        (*p)++;
    return xstrndup(start, (size_t)(*p - start));
}

static void add_value(struct req *r, char *v)
{
    r->values = xrealloc(r->values, (r->nvalues + 1) * sizeof *r->values);
    r->values[r->nvalues++] = v;
}

static void req_free(struct req *r)
{
    free(r->key);
    for (size_t i = 0; i < r->nvalues; i++)
        free(r->values[i]);
    free(r->values);
}

void sim_selector_free(struct sim_selector *sel)
{
    if (sel == NULL)
        return;
    for (size_t i = 0; i < sel->n; i++)
        req_free(&sel->reqs[i]);
    free(sel->reqs);
    free(sel);
}

static int parse_set(const char **p, struct req *r, char **cause)
{
    skip_ws(p);
    if (**p != '(') {
        cause_set(cause, "expected '(' after '%s'", r->op == OP_IN ? "in" : "notin");
        return -1;
    }
    (*p)++;
    for (;;) {
        char *v = read_word(p);
        add_value(r, v);
        skip_ws(p);
        if (**p == ',') {
            (*p)++;
            continue;
        }
        if (**p == ')') {
            (*p)++;
            return 0;
        }
        cause_set(cause, "expected ',' or ')' in the value set of '%s'", r->key);
        return -1;
    }
}

struct sim_selector *sim_selector_parse(const char *text, char **cause)
{
    struct sim_selector *sel = xcalloc(1, sizeof *sel);
    const char *p = text != NULL ? text : "";
    skip_ws(&p);
    while (*p != '\0') {
        struct req r = {0};
        skip_ws(&p);
        if (*p == '!') {
            p++;
            r.op = OP_NOT_EXISTS;
            r.key = read_word(&p);
        } else {
            r.key = read_word(&p);
            skip_ws(&p);
            if (p[0] == '=' && p[1] == '=') {
                p += 2;
                r.op = OP_EQ;
                add_value(&r, read_word(&p));
            } else if (p[0] == '=') {
                p++;
                r.op = OP_EQ;
                add_value(&r, read_word(&p));
            } else if (p[0] == '!' && p[1] == '=') {
                p += 2;
                r.op = OP_NE;
                add_value(&r, read_word(&p));
            } else if (strncmp(p, "notin", 5) == 0 && !word_char(p[5])) {
                p += 5;
                r.op = OP_NOTIN;
                if (parse_set(&p, &r, cause) < 0)
                    goto fail;
            } else if (strncmp(p, "in", 2) == 0 && !word_char(p[2])) {
                p += 2;
                r.op = OP_IN;
                if (parse_set(&p, &r, cause) < 0)
                    goto fail;
            } else {
                r.op = OP_EXISTS;
            }
        }
        if (r.key[0] == '\0') {
            cause_set(cause, "found '%c', expected: identifier", *p != '\0' ? *p : ' ');
            goto fail;
        }
        skip_ws(&p);
        if (*p == ',')
            p++;
        else if (*p != '\0') {
            cause_set(cause, "found '%c', expected: ',' or 'end of string'", *p);
            goto fail;
        }
        sel->reqs = xreallocarray_grow(sel->reqs, &sel->cap, sel->n + 1, sizeof *sel->reqs);
        sel->reqs[sel->n++] = r;
        continue;
    fail:
        req_free(&r);
        sim_selector_free(sel);
        return NULL;
    }
    return sel;
}

static bool in_values(const struct req *r, const char *v)
{
    for (size_t i = 0; i < r->nvalues; i++)
        if (strcmp(r->values[i], v) == 0)
            return true;
    return false;
}

bool sim_selector_match(const struct sim_selector *sel, const cJSON *labels)
{
    if (sel == NULL)
        return true;
    for (size_t i = 0; i < sel->n; i++) {
        const struct req *r = &sel->reqs[i];
        const cJSON *l = labels != NULL ? cJSON_GetObjectItemCaseSensitive(labels, r->key) : NULL;
        const char *v = cJSON_IsString(l) ? l->valuestring : NULL;
        bool ok = false;
        switch (r->op) {
        case OP_EQ:
        case OP_IN:
            ok = v != NULL && in_values(r, v);
            break;
        case OP_NE:
        case OP_NOTIN:
            ok = v == NULL || !in_values(r, v);
            break;
        case OP_EXISTS:
            ok = v != NULL;
            break;
        case OP_NOT_EXISTS:
            ok = v == NULL;
            break;
        }
        if (!ok)
            return false;
    }
    return true;
}
