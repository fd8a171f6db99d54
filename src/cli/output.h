/* What the commands print: aligned tables (kubectl's layout), JSON with 4-space indentation,
 * YAML, and kind/name lines. Text from the cluster never reaches the terminal raw. */
#ifndef KT_CLI_OUTPUT_H
#define KT_CLI_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "util/strbuf.h"
#include "util/termsafe.h"

enum out_format { OUT_TABLE, OUT_WIDE, OUT_JSON, OUT_YAML, OUT_NAME };

/* Parses -o's value (NULL: table). Returns 0, or -1 with *cause. */
int output_parse(const char *s, enum out_format *f, char **cause);

/* A table: rows of cells kept until printed, so columns align over every row. */
struct out_table {
    size_t ncols;
    char **headers;
    bool *status_col; /* the column holds a phase/health/condition: coloured on a terminal */
    char ***rows;     /* sanitised cells */
    size_t nrows;
    size_t *width;
    enum termsafe_charset cs;
};

/* headers: ncols strings; a header starting with '*' marks a status column (the '*' is not
 * printed). */
void out_table_init(struct out_table *t, const char *const *headers, size_t ncols,
                    enum termsafe_charset cs);
void out_table_free(struct out_table *t);
/* Adds a row of ncols cells (NULL reads ""); each is made safe for the terminal. */
void out_table_add(struct out_table *t, const char *const *cells);
/* Prints the header (unless no_headers) and every row added since the last print, then forgets
 * them. Column widths grow to fit what was printed and never shrink, so a watch's later rows
 * line up with the first table. */
void out_table_print(struct out_table *t, FILE *f, bool no_headers, bool colour);

/* Appends obj as JSON with kubectl's 4-space indentation and a final newline. DEL and C1
 * controls, which cJSON leaves raw, are escaped too, so no string can drive a terminal. */
void out_json(const cJSON *obj, struct strbuf *out);
/* obj as it reads nested depth levels deep in a document out_json() prints (no newline after):
 * the items of a List streamed one by one. */
void out_json_at(const cJSON *obj, int depth, struct strbuf *out);
/* One line of compact JSON (a watch's events), same escaping. */
void out_json_line(const cJSON *obj, struct strbuf *out);

/* "stage.kargo.akuity.io/dev" as kubectl -o name prints it; kind in lower case. */
void out_name(struct strbuf *out, const char *kind_lower, const char *name,
              enum termsafe_charset cs);

/* Number of terminal cells of a UTF-8 string (one per code point: the names of Kargo objects
 * and placeholders are single-width). */
size_t out_width(const char *s);

#endif
