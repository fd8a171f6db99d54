/* Tables, JSON, YAML and names for the commands' stdout. */
#include "output.h"

#include <stdlib.h>
#include <string.h>

#include "util/termsafe.h"
#include "util/xalloc.h"

int output_parse(const char *s, enum out_format *f, char **cause)
{
    static const struct {
        const char *name;
        enum out_format f;
    } formats[] = {{"table", OUT_TABLE},
                   {"wide", OUT_WIDE},
                   {"json", OUT_JSON},
                   {"yaml", OUT_YAML},
                   {"name", OUT_NAME}};
    if (s == NULL) {
        *f = OUT_TABLE;
        return 0;
    }
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        if (strcmp(s, formats[i].name) == 0) {
            *f = formats[i].f;
            return 0;
        }
    }
    cause_set(cause, "unknown output format '%s' (table, wide, json, yaml or name)", s);
    return -1;
}

size_t out_width(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
        if ((*p & 0xc0) != 0x80)
            n++;
    return n;
}

void out_table_init(struct out_table *t, const char *const *headers, size_t ncols,
                    enum termsafe_charset cs)
{
    memset(t, 0, sizeof *t);
    t->ncols = ncols;
    t->cs = cs;
    t->headers = xcalloc(ncols, sizeof(char *));
    t->status_col = xcalloc(ncols, sizeof(bool));
    t->width = xcalloc(ncols, sizeof(size_t));
    for (size_t i = 0; i < ncols; i++) {
        t->status_col[i] = headers[i][0] == '*';
        t->headers[i] = xstrdup(headers[i] + (t->status_col[i] ? 1 : 0));
        t->width[i] = out_width(t->headers[i]);
    }
}

static void out_table_clear_rows(struct out_table *t)
{
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t i = 0; i < t->ncols; i++)
            free(t->rows[r][i]);
        free(t->rows[r]);
    }
    free(t->rows);
    t->rows = NULL;
    t->nrows = 0;
}

void out_table_free(struct out_table *t)
{
    out_table_clear_rows(t);
    for (size_t i = 0; i < t->ncols; i++)
        free(t->headers[i]);
    free(t->headers);
    free(t->status_col);
    free(t->width);
    memset(t, 0, sizeof *t);
}

void out_table_add(struct out_table *t, const char *const *cells)
{
    char **row = xcalloc(t->ncols, sizeof(char *));
    for (size_t i = 0; i < t->ncols; i++) {
        row[i] = termsafe_dup(cells[i] ? cells[i] : "", t->cs);
        size_t w = out_width(row[i]);
        if (w > t->width[i])
            t->width[i] = w;
    }
    t->rows = xrealloc(t->rows, (t->nrows + 1) * sizeof(char **));
    t->rows[t->nrows++] = row;
}

/* The SGR colour of a status word: green for good, red for bad, yellow for under way. */
static const char *out_status_sgr(const char *v)
{
    static const char *const good[] = {"Succeeded", "Healthy", "True", "Ready", "Successful", "on"};
    static const char *const bad[] = {"Failed",   "Errored", "Error",   "Unhealthy",
                                      "Degraded", "False",   "Aborted", "paused"};
    static const char *const busy[] = {"Running",     "Pending",     "Promoting", "Verifying",
                                       "Progressing", "Reconciling", "Unknown"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (strcmp(v, good[i]) == 0)
            return "\033[32m";
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (strcmp(v, bad[i]) == 0)
            return "\033[31m";
    for (size_t i = 0; i < sizeof busy / sizeof busy[0]; i++)
        if (strcmp(v, busy[i]) == 0)
            return "\033[33m";
    return NULL;
}

static void out_table_line(const struct out_table *t, char *const *cells, FILE *f, bool colour)
{
    struct strbuf line;
    strbuf_init(&line);
    size_t last = t->ncols;
    while (last > 0 && cells[last - 1][0] == '\0')
        last--; /* kubectl leaves no trailing blanks */
    for (size_t i = 0; i < last; i++) {
        const char *sgr = colour && t->status_col[i] ? out_status_sgr(cells[i]) : NULL;
        if (sgr != NULL)
            strbuf_append(&line, sgr);
        strbuf_append(&line, cells[i]);
        if (sgr != NULL)
            strbuf_append(&line, "\033[0m");
        if (i + 1 < last)
            for (size_t w = out_width(cells[i]); w < t->width[i] + 3; w++)
                strbuf_append_char(&line, ' ');
    }
    strbuf_append_char(&line, '\n');
    fputs(line.buf, f);
    strbuf_free(&line);
}

void out_table_print(struct out_table *t, FILE *f, bool no_headers, bool colour)
{
    if (!no_headers)
        out_table_line(t, t->headers, f, false);
    for (size_t r = 0; r < t->nrows; r++)
        out_table_line(t, t->rows[r], f, colour);
    out_table_clear_rows(t);
}

/* A cJSON-printed leaf with DEL and C1 controls (U+007F..U+009F) escaped as \uXXXX. */
static void out_json_leaf(const cJSON *leaf, struct strbuf *out)
{
    char *text = cJSON_PrintUnformatted(leaf);
    if (text == NULL)
        abort(); /* only on out-of-memory */
    const unsigned char *end = (const unsigned char *)text + strlen(text);
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
        if (*p >= 0x80 && termsafe_utf8_seq((const char *)p, (size_t)(end - p)) == 0) {
            /* JSON is UTF-8: an invalid byte becomes U+FFFD, as Go's encoder writes it */
            strbuf_append(out, "\\ufffd");
        } else if (*p == 0x7f) {
            strbuf_append(out, "\\u007f");
        } else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
            strbuf_appendf(out, "\\u%04x", p[1]);
            p++;
        } else if ((p[0] == 0xe2 && p[1] == 0x80 &&
                    (p[2] == 0x8e || p[2] == 0x8f || (p[2] >= 0xaa && p[2] <= 0xae))) ||
                   (p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9) ||
                   (p[0] == 0xd8 && p[1] == 0x9c)) {
            /* bidi controls, escaped too: a bidi terminal would reorder the text around them
             * (issue 12); only strings hold non-ASCII, so the escape is always in one */
            unsigned cp = p[0] == 0xd8 ? 0x61c : 0x2000u | (p[1] & 0x3fu) << 6 | (p[2] & 0x3fu);
            strbuf_appendf(out, "\\u%04x", cp);
            p += p[0] == 0xd8 ? 1 : 2;
        } else if (*p >= 0x80) {
            /* a whole valid sequence, so that its continuation bytes are not taken for strays */
            size_t n = termsafe_utf8_seq((const char *)p, (size_t)(end - p));
            strbuf_append_len(out, (const char *)p, n);
            p += n - 1;
        } else {
            strbuf_append_char(out, (char)*p);
        }
    }
    free(text);
}

static void out_json_node(const cJSON *n, int depth, bool pretty, struct strbuf *out)
{
    bool obj = cJSON_IsObject(n);
    if (!obj && !cJSON_IsArray(n)) {
        out_json_leaf(n, out);
        return;
    }
    if (n->child == NULL) {
        strbuf_append(out, obj ? "{}" : "[]");
        return;
    }
    strbuf_append_char(out, obj ? '{' : '[');
    for (const cJSON *c = n->child; c != NULL; c = c->next) {
        if (pretty) {
            strbuf_append_char(out, '\n');
            for (int i = 0; i <= depth; i++)
                strbuf_append(out, "    ");
        }
        if (obj) {
            cJSON *key = cJSON_CreateString(c->string ? c->string : "");
            out_json_leaf(key, out);
            cJSON_Delete(key);
            strbuf_append(out, pretty ? ": " : ":");
        }
        out_json_node(c, depth + 1, pretty, out);
        if (c->next != NULL)
            strbuf_append_char(out, ',');
    }
    if (pretty) {
        strbuf_append_char(out, '\n');
        for (int i = 0; i < depth; i++)
            strbuf_append(out, "    ");
    }
    strbuf_append_char(out, obj ? '}' : ']');
}

void out_json(const cJSON *obj, struct strbuf *out)
{
    out_json_node(obj, 0, true, out);
    strbuf_append_char(out, '\n');
}

void out_json_at(const cJSON *obj, int depth, struct strbuf *out)
{
    out_json_node(obj, depth, true, out);
}

void out_json_line(const cJSON *obj, struct strbuf *out)
{
    out_json_node(obj, 0, false, out);
    strbuf_append_char(out, '\n');
}

void out_name(struct strbuf *out, const char *kind_lower, const char *name,
              enum termsafe_charset cs)
{
    strbuf_appendf(out, "%s.kargo.akuity.io/", kind_lower);
    termsafe_append(out, name, strlen(name), cs);
    strbuf_append_char(out, '\n');
}
