/* cJSON -> libyaml emitter events. */
#include "util/yamlout.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "util/strbuf.h"
#include "util/termsafe.h"
#include "util/xalloc.h"

static int yamlout_sink(void *data, unsigned char *buffer, size_t size)
{
    strbuf_append_len(data, (const char *)buffer, size);
    return 1;
}

static bool yamlout_all(const char *s, const char *set)
{
    return *s != '\0' && s[strspn(s, set)] == '\0';
}

/* Would a plain scalar with this text be read back as something other than a string? Covers the
 * YAML 1.1 words kubectl's parser still honours (yes/no/on/off), integers (with _ separators,
 * 0x, 0o), floats (what strtod takes whole, .inf, .nan), sexagesimal numbers and timestamps. */
static bool yamlout_needs_quotes(const char *s)
{
    static const char *const words[] = {"true", "false", "yes", "no",   "on",    "off",   "y",
                                        "n",    "null",  "~",   ".inf", "-.inf", "+.inf", ".nan"};
    if (*s == '\0')
        return true;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcasecmp(s, words[i]) == 0)
            return true;
    const char *p = (*s == '+' || *s == '-') ? s + 1 : s;
    if (yamlout_all(p, "0123456789_") || yamlout_all(p, "0123456789_:"))
        return true;
    if ((strncmp(p, "0x", 2) == 0 && yamlout_all(p + 2, "0123456789abcdefABCDEF_")) ||
        (strncmp(p, "0o", 2) == 0 && yamlout_all(p + 2, "01234567_")))
        return true;
    char *end;
    if (strspn(s, "0123456789.+-eE") == strlen(s)) {
        (void)strtod(s, &end);
        if (*end == '\0')
            return true;
    }
    /* 2026-08-20, 2026-08-20T16:00:40Z: YAML 1.1 timestamps */
    if (strlen(s) >= 8 && yamlout_all((char[]){s[0], s[1], s[2], s[3], 0}, "0123456789") &&
        s[4] == '-' && isdigit((unsigned char)s[5]))
        return true;
    return false;
}

static int yamlout_scalar(yaml_emitter_t *e, const char *text, yaml_scalar_style_t style)
{
    yaml_event_t ev;
    /* Invalid UTF-8 (the API passes any bytes through) becomes U+FFFD, as Go's encoders write
     * it; the emitter would refuse the whole document otherwise. */
    size_t len = strlen(text);
    struct strbuf fixed;
    strbuf_init(&fixed);
    for (size_t i = 0; i < len;) {
        size_t n = termsafe_utf8_seq(text + i, len - i);
        if (n == 0 && fixed.len == 0 && i > 0)
            strbuf_append_len(&fixed, text, i);
        if (n == 0)
            strbuf_append(&fixed, "\xEF\xBF\xBD");
        else if (fixed.len > 0)
            strbuf_append_len(&fixed, text + i, n);
        i += n ? n : 1;
    }
    if (fixed.len > 0) {
        text = fixed.buf;
        len = fixed.len;
    }
    /* both implicit flags: whatever style the emitter settles on, no "!" tag is written */
    yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)text, (int)len, 1, 1, style);
    int ok = yaml_emitter_emit(e, &ev);
    strbuf_free(&fixed);
    return ok;
}

/* The length of the bidirectional formatting character (U+061C, U+200E/F, U+202A..202E,
 * U+2066..2069) UTF-8 encoded at s, else 0. YAML counts them printable and would write them
 * raw; a bidi terminal would then reorder the text around them (issue 12). */
static size_t yamlout_bidi_at(const unsigned char *s)
{
    if (s[0] == 0xd8 && s[1] == 0x9c)
        return 2;
    if (s[0] == 0xe2 && s[1] == 0x80 &&
        (s[2] == 0x8e || s[2] == 0x8f || (s[2] >= 0xaa && s[2] <= 0xae)))
        return 3;
    if (s[0] == 0xe2 && s[1] == 0x81 && s[2] >= 0xa6 && s[2] <= 0xa9)
        return 3;
    return 0;
}

static bool yamlout_has_bidi(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
        if (yamlout_bidi_at(p) != 0)
            return true;
    return false;
}

static int yamlout_node(yaml_emitter_t *e, const cJSON *n)
{
    yaml_event_t ev;
    char num[64];

    if (cJSON_IsObject(n)) {
        yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
        if (!yaml_emitter_emit(e, &ev))
            return 0;
        for (const cJSON *c = n->child; c != NULL; c = c->next) {
            const char *k = c->string ? c->string : "";
            if (!yamlout_scalar(e, k,
                                yamlout_has_bidi(k)       ? YAML_DOUBLE_QUOTED_SCALAR_STYLE
                                : yamlout_needs_quotes(k) ? YAML_SINGLE_QUOTED_SCALAR_STYLE
                                                          : YAML_ANY_SCALAR_STYLE) ||
                !yamlout_node(e, c))
                return 0;
        }
        yaml_mapping_end_event_initialize(&ev);
        return yaml_emitter_emit(e, &ev);
    }
    if (cJSON_IsArray(n)) {
        yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
        if (!yaml_emitter_emit(e, &ev))
            return 0;
        for (const cJSON *c = n->child; c != NULL; c = c->next)
            if (!yamlout_node(e, c))
                return 0;
        yaml_sequence_end_event_initialize(&ev);
        return yaml_emitter_emit(e, &ev);
    }
    if (cJSON_IsString(n)) {
        const char *s = n->valuestring;
        yaml_scalar_style_t style = YAML_ANY_SCALAR_STYLE;
        if (yamlout_has_bidi(s))
            style = YAML_DOUBLE_QUOTED_SCALAR_STYLE; /* so that they can be escaped below */
        else if (yamlout_needs_quotes(s))
            style = YAML_SINGLE_QUOTED_SCALAR_STYLE;
        else if (strchr(s, '\n') != NULL)
            style = YAML_LITERAL_SCALAR_STYLE;
        return yamlout_scalar(e, s, style);
    }
    if (cJSON_IsNumber(n)) {
        double d = n->valuedouble;
        if (d == (double)(long long)d && d < 9.0e15 && d > -9.0e15)
            snprintf(num, sizeof num, "%lld", (long long)d);
        else
            snprintf(num, sizeof num, "%.17g", d);
        return yamlout_scalar(e, num, YAML_PLAIN_SCALAR_STYLE);
    }
    if (cJSON_IsBool(n))
        return yamlout_scalar(e, cJSON_IsTrue(n) ? "true" : "false", YAML_PLAIN_SCALAR_STYLE);
    return yamlout_scalar(e, "null", YAML_PLAIN_SCALAR_STYLE);
}

/* Escapes the bidi controls in out from start on: every string holding one was written
 * double-quoted, where \uXXXX means it. */
static void yamlout_escape_bidi(struct strbuf *out, size_t start)
{
    if (!yamlout_has_bidi(out->buf + start))
        return;
    struct strbuf esc;
    strbuf_init(&esc);
    for (const unsigned char *p = (const unsigned char *)out->buf + start; *p != '\0';) {
        size_t n = yamlout_bidi_at(p);
        if (n == 0) {
            strbuf_append_char(&esc, (char)*p++);
            continue;
        }
        unsigned cp = n == 2 ? 0x61cu : 0x2000u | (p[1] & 0x3fu) << 6 | (p[2] & 0x3fu);
        strbuf_appendf(&esc, "\\u%04X", cp);
        p += n;
    }
    out->len = start;
    out->buf[start] = '\0';
    strbuf_append_len(out, esc.buf, esc.len);
    strbuf_free(&esc);
}

/* The key and value yamlout_write_item puts around its node, so that the node is emitted in
 * the same context (a block sequence under a key of the root mapping) as in a whole List. */
#define ITEM_BEFORE "items:\n"
#define ITEM_AFTER  "kind: List\n"

static int yamlout_word(yaml_emitter_t *e, const char *word)
{
    return yamlout_scalar(e, word, YAML_ANY_SCALAR_STYLE);
}

/* Emits one document holding root, or with as_item the mapping {items: [root], kind: List}. */
static int yamlout_emit_doc(yaml_emitter_t *e, const cJSON *root, bool as_item)
{
    yaml_event_t ev;
    yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
    if (!yaml_emitter_emit(e, &ev))
        return 0;
    yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
    if (!yaml_emitter_emit(e, &ev))
        return 0;
    if (!as_item) {
        if (!yamlout_node(e, root))
            return 0;
    } else {
        yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
        if (!yaml_emitter_emit(e, &ev) || !yamlout_word(e, "items"))
            return 0;
        yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
        if (!yaml_emitter_emit(e, &ev) || !yamlout_node(e, root))
            return 0;
        yaml_sequence_end_event_initialize(&ev);
        if (!yaml_emitter_emit(e, &ev) || !yamlout_word(e, "kind") || !yamlout_word(e, "List"))
            return 0;
        yaml_mapping_end_event_initialize(&ev);
        if (!yaml_emitter_emit(e, &ev))
            return 0;
    }
    yaml_document_end_event_initialize(&ev, 1);
    if (!yaml_emitter_emit(e, &ev))
        return 0;
    yaml_stream_end_event_initialize(&ev);
    return yaml_emitter_emit(e, &ev) && yaml_emitter_flush(e);
}

static int yamlout_render(const cJSON *root, bool *open_ended, struct strbuf *out, char **cause)
{
    yaml_emitter_t e;

    if (!yaml_emitter_initialize(&e)) {
        cause_set(cause, "cannot start the YAML emitter");
        return -1;
    }
    size_t start = out->len;
    yaml_emitter_set_output(&e, yamlout_sink, out);
    yaml_emitter_set_unicode(&e, 1);
    yaml_emitter_set_width(&e, -1); /* never fold long lines: a view scrolls sideways instead */
    yaml_emitter_set_indent(&e, 2);
    int ok = yamlout_emit_doc(&e, root, open_ended != NULL);
    if (!ok)
        cause_set(cause, "cannot write YAML: %s", e.problem ? e.problem : "emitter error");
    yaml_emitter_delete(&e);
    if (!ok)
        return -1;
    if (open_ended != NULL) {
        /* keep the item alone: what sits between "items:" and the next key. libyaml ends a
         * document with "..." when a block scalar in it kept its trailing line breaks. */
        const char *text = out->buf + start;
        size_t len = out->len - start;
        size_t before = strlen(ITEM_BEFORE), after = strlen(ITEM_AFTER);
        bool open = len >= before + after + 4 && memcmp(text + len - 4, "...\n", 4) == 0;
        size_t end = len - (open ? 4 : 0);
        if (end < before + after || memcmp(text, ITEM_BEFORE, before) != 0 ||
            memcmp(text + end - after, ITEM_AFTER, after) != 0) {
            out->len = start;
            out->buf[start] = '\0';
            cause_set(cause, "cannot write YAML: unexpected emitter output around an item");
            return -1;
        }
        memmove(out->buf + start, text + before, end - before - after);
        out->len = start + end - before - after;
        out->buf[out->len] = '\0';
        if (open)
            *open_ended = true;
    }
    yamlout_escape_bidi(out, start);
    return 0;
}

int yamlout_write(const cJSON *root, struct strbuf *out, char **cause)
{
    return yamlout_render(root, NULL, out, cause);
}

int yamlout_write_item(const cJSON *node, struct strbuf *out, bool *open_ended, char **cause)
{
    return yamlout_render(node, open_ended, out, cause);
}
