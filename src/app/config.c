/* config.yaml: parse every key with its line, collect every problem, warn about unknown keys. */
#include "app/config.h"

#include <errno.h>
#include <stdarg.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strbuf.h"
#include "util/timefmt.h"
#include "util/xalloc.h"
#include "util/yamldoc.h"

/* A settings file is a few hundred bytes; the bound keeps a wrong path from being read whole. */
#define CONFIG_FILE_MAX (256 * 1024)

struct config_ctx {
    const char *file;
    struct config *c;
    struct strbuf errors, warnings;
};

static void config_error(struct config_ctx *x, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void config_error(struct config_ctx *x, int line, const char *fmt, ...)
{
    va_list ap;
    strbuf_appendf(&x->errors, "%s%s:%d: ", x->errors.len ? "\n" : "", x->file, line);
    va_start(ap, fmt);
    strbuf_vappendf(&x->errors, fmt, ap);
    va_end(ap);
}

static const char *config_string(struct config_ctx *x, const char *key,
                                 const struct yamldoc_node *v)
{
    if (v->type != YAMLDOC_SCALAR || yamldoc_is_null(v) || v->value[0] == '\0') {
        config_error(x, v->line, "%s: a non-empty string", key);
        return NULL;
    }
    return v->value;
}

static void config_set_string(struct config_ctx *x, const char *key, const struct yamldoc_node *v,
                              char **slot)
{
    const char *s = config_string(x, key, v);
    if (s != NULL) {
        free(*slot);
        *slot = xstrdup(s);
    }
}

static void config_set_bool(struct config_ctx *x, const char *key, const struct yamldoc_node *v,
                            int *slot)
{
    bool b;
    if (yamldoc_bool(v, &b) != 0)
        config_error(x, v->line, "%s: true or false, not '%s'", key,
                     v->type == YAMLDOC_SCALAR ? v->value : "a list or map");
    else
        *slot = b;
}

static void config_age_refresh(struct config_ctx *x, const struct yamldoc_node *v)
{
    if (v->type == YAMLDOC_SCALAR && !v->quoted &&
        (strcmp(v->value, "off") == 0 || strcmp(v->value, "false") == 0)) {
        x->c->age_refresh = -1;
        return;
    }
    long long ms;
    char *why = NULL;
    if (v->type != YAMLDOC_SCALAR || timefmt_parse_duration(v->value, &ms, &why) != 0) {
        config_error(x, v->line, "age-refresh: a duration from 1s to 1h (30s, 1m) or off%s%s",
                     why ? ": " : "", why ? why : "");
        free(why);
        return;
    }
    if (ms < 1000 || ms > 3600 * 1000 || ms % 1000 != 0) {
        config_error(x, v->line, "age-refresh: whole seconds from 1s to 1h, not '%s'", v->value);
        return;
    }
    x->c->age_refresh = (int)(ms / 1000);
}

static void config_unknown(struct config_ctx *x, int line, const char *where, const char *key)
{
    strbuf_appendf(&x->warnings, "%s%s:%d: unknown key '%s%s' (ignored)",
                   x->warnings.len ? "\n" : "", x->file, line, where, key);
}

static void config_timeouts(struct config_ctx *x, const struct yamldoc_node *v)
{
    if (v->type != YAMLDOC_MAP) {
        config_error(x, v->line, "timeouts: a map with connect: and idle: durations (5s, 1m)");
        return;
    }
    for (size_t i = 0; i < v->n; i++) {
        const struct yamldoc_node *p = v->items[i];
        long *slot = strcmp(v->keys[i], "connect") == 0 ? &x->c->connect_timeout_ms
                     : strcmp(v->keys[i], "idle") == 0  ? &x->c->idle_timeout_ms
                                                        : NULL;
        if (slot == NULL) {
            config_unknown(x, v->key_lines[i], "timeouts.", v->keys[i]);
            continue;
        }
        char *why = NULL;
        if (p->type != YAMLDOC_SCALAR)
            config_error(x, p->line, "timeouts.%s: a duration (5s, 1m), not a list or map",
                         v->keys[i]);
        else if (options_timeout_parse(p->value, slot, &why) != 0)
            config_error(x, p->line, "timeouts.%s: %s", v->keys[i], why);
        free(why);
    }
}

static void config_confirm(struct config_ctx *x, const struct yamldoc_node *v)
{
    if (v->type != YAMLDOC_MAP) {
        config_error(x, v->line, "confirm: a map with typed-name: [stage patterns]");
        return;
    }
    for (size_t i = 0; i < v->n; i++) {
        const struct yamldoc_node *p = v->items[i];
        if (strcmp(v->keys[i], "typed-manual") == 0) {
            config_set_bool(x, "confirm.typed-manual", p, &x->c->typed_manual);
            continue;
        }
        if (strcmp(v->keys[i], "typed-batch") == 0) {
            if (p->type == YAMLDOC_SCALAR && strcmp(p->value, "names") == 0)
                x->c->typed_batch = 0;
            else if (p->type == YAMLDOC_SCALAR && strcmp(p->value, "count") == 0)
                x->c->typed_batch = 1;
            else
                config_error(x, p->line,
                             "confirm.typed-batch: names (type every protected Stage's name) or "
                             "count (type the number of Stages)");
            continue;
        }
        if (strcmp(v->keys[i], "typed-name") != 0) {
            config_unknown(x, v->key_lines[i], "confirm.", v->keys[i]);
            continue;
        }
        x->c->typed_name_set = true;
        if (yamldoc_is_null(p))
            continue;
        if (p->type == YAMLDOC_SCALAR) {
            x->c->typed_name = xrealloc(x->c->typed_name, sizeof *x->c->typed_name);
            x->c->typed_name[0] = xstrdup(p->value);
            x->c->n_typed_name = 1;
            continue;
        }
        if (p->type != YAMLDOC_SEQ) {
            config_error(x, p->line, "confirm.typed-name: a list of Stage name patterns");
            continue;
        }
        for (size_t k = 0; k < p->n; k++) {
            if (p->items[k]->type != YAMLDOC_SCALAR || p->items[k]->value[0] == '\0') {
                config_error(x, p->items[k]->line,
                             "confirm.typed-name: a Stage name or pattern (prod*, *-production)");
                continue;
            }
            x->c->typed_name =
                xrealloc(x->c->typed_name, (x->c->n_typed_name + 1) * sizeof *x->c->typed_name);
            x->c->typed_name[x->c->n_typed_name++] = xstrdup(p->items[k]->value);
        }
    }
}

static void config_keys(struct config_ctx *x, const struct yamldoc_node *v)
{
    if (v->type != YAMLDOC_MAP) {
        config_error(x, v->line, "keys: a map of action: key (or [keys])");
        return;
    }
    /* tried on a scratch key table, so a bad remap is reported here with its line */
    struct keymap km;
    keymap_init(&km);
    for (size_t i = 0; i < v->n; i++) {
        const struct yamldoc_node *k = v->items[i];
        struct config_keys ck = {xstrdup(v->keys[i]), NULL, 0};
        bool bad = false;
        if (k->type == YAMLDOC_SCALAR) {
            ck.keys = xcalloc(1, sizeof *ck.keys);
            ck.keys[ck.n++] = xstrdup(k->value);
        } else if (k->type == YAMLDOC_SEQ && k->n > 0) {
            ck.keys = xcalloc(k->n, sizeof *ck.keys);
            for (size_t j = 0; j < k->n; j++) {
                if (k->items[j]->type != YAMLDOC_SCALAR)
                    bad = true;
                else
                    ck.keys[ck.n++] = xstrdup(k->items[j]->value);
            }
        } else {
            bad = true;
        }
        char *why = NULL;
        if (bad)
            config_error(x, k->line, "keys.%s: a key or a list of keys", ck.action);
        else if (keymap_bind(&km, ck.action, (const char *const *)ck.keys, ck.n, &why) != 0)
            config_error(x, v->key_lines[i], "keys: %s", why);
        free(why);
        x->c->keys = xrealloc(x->c->keys, (x->c->n_keys + 1) * sizeof *x->c->keys);
        x->c->keys[x->c->n_keys++] = ck;
    }
    keymap_free(&km);
}

int config_parse(const char *buf, size_t len, const char *name, struct config *c, char **cause)
{
    memset(c, 0, sizeof *c);
    c->readonly = c->ascii = c->mouse = c->typed_manual = c->typed_batch = c->relative_ages = -1;
    struct config_ctx x = {.file = name != NULL ? name : "(config)", .c = c};
    struct yamldoc_node *root;
    if (yamldoc_parse(buf, len, x.file, &root, cause) != 0)
        return -1;
    if (root == NULL || yamldoc_is_null(root)) {
        yamldoc_free(root);
        return 0; /* an empty file: every default */
    }
    strbuf_init(&x.errors);
    strbuf_init(&x.warnings);
    if (root->type != YAMLDOC_MAP)
        config_error(&x, root->line, "the configuration is a map of key: value");
    for (size_t i = 0; root->type == YAMLDOC_MAP && i < root->n; i++) {
        const char *k = root->keys[i];
        const struct yamldoc_node *v = root->items[i];
        if (strcmp(k, "context") == 0)
            config_set_string(&x, k, v, &c->context);
        else if (strcmp(k, "project") == 0)
            config_set_string(&x, k, v, &c->project);
        else if (strcmp(k, "theme") == 0)
            config_set_string(&x, k, v, &c->theme);
        else if (strcmp(k, "color") == 0 || strcmp(k, "colour") == 0) {
            if (v->type != YAMLDOC_SCALAR || options_colour_parse(v->value, &c->colour) != 0)
                config_error(&x, v->line, "%s: auto, always or never", k);
        } else if (strcmp(k, "readonly") == 0)
            config_set_bool(&x, k, v, &c->readonly);
        else if (strcmp(k, "ascii") == 0)
            config_set_bool(&x, k, v, &c->ascii);
        else if (strcmp(k, "mouse") == 0)
            config_set_bool(&x, k, v, &c->mouse);
        else if (strcmp(k, "age-refresh") == 0)
            config_age_refresh(&x, v);
        else if (strcmp(k, "ages") == 0) {
            if (v->type == YAMLDOC_SCALAR && strcmp(v->value, "absolute") == 0)
                c->relative_ages = 0;
            else if (v->type == YAMLDOC_SCALAR && strcmp(v->value, "relative") == 0)
                c->relative_ages = 1;
            else
                config_error(&x, v->line, "ages: absolute or relative");
        } else if (strcmp(k, "confirm") == 0)
            config_confirm(&x, v);
        else if (strcmp(k, "keys") == 0)
            config_keys(&x, v);
        else if (strcmp(k, "timeouts") == 0)
            config_timeouts(&x, v);
        else
            config_unknown(&x, root->key_lines[i], "", k);
    }
    yamldoc_free(root);
    if (x.warnings.len > 0)
        c->warnings = strbuf_detach(&x.warnings);
    else
        strbuf_free(&x.warnings);
    if (x.errors.len > 0) {
        cause_set(cause, "%s", x.errors.buf);
        strbuf_free(&x.errors);
        return -1;
    }
    strbuf_free(&x.errors);
    return 0;
}

char *config_dir(void)
{
    const char *xdg = getenv("XDG_CONFIG_HOME");
    /* the XDG spec: a relative value is invalid and is to be ignored */
    if (xdg != NULL && xdg[0] == '/')
        return xasprintf("%s/kargotop", xdg);
    const char *home = getenv("HOME");
    if (home != NULL && home[0] != '\0')
        return xasprintf("%s/.config/kargotop", home);
    return NULL;
}

int config_load(const char *path, struct config *c, char **cause)
{
    memset(c, 0, sizeof *c);
    c->readonly = c->ascii = c->mouse = c->typed_manual = c->typed_batch = c->relative_ages = -1;
    char *file = NULL;
    if (path != NULL) {
        file = xstrdup(path);
    } else {
        char *dir = config_dir();
        if (dir == NULL)
            return 0;
        file = xasprintf("%s/config.yaml", dir);
        free(dir);
    }
    FILE *f = fopen(file, "rb");
    if (f == NULL) {
        int err = errno;
        if (path == NULL && err == ENOENT) {
            free(file);
            return 0; /* no configuration is a fine configuration */
        }
        cause_set(cause, "cannot read %s: %s", file, strerror(err));
        free(file);
        return -1;
    }
    struct strbuf sb;
    strbuf_init(&sb);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && sb.len <= CONFIG_FILE_MAX)
        strbuf_append_len(&sb, chunk, n);
    bool err = ferror(f) != 0;
    fclose(f);
    int rc = -1;
    if (err)
        cause_set(cause, "cannot read %s", file);
    else if (sb.len > CONFIG_FILE_MAX)
        cause_set(cause, "%s: too large for a configuration (over %d KiB)", file,
                  CONFIG_FILE_MAX / 1024);
    else
        rc = config_parse(sb.buf, sb.len, file, c, cause);
    strbuf_free(&sb);
    if (rc == 0)
        c->path = file;
    else
        free(file);
    return rc;
}

void config_free(struct config *c)
{
    free(c->path);
    free(c->context);
    free(c->project);
    free(c->theme);
    for (size_t i = 0; i < c->n_typed_name; i++)
        free(c->typed_name[i]);
    free(c->typed_name);
    for (size_t i = 0; i < c->n_keys; i++) {
        for (size_t k = 0; k < c->keys[i].n; k++)
            free(c->keys[i].keys[k]);
        free(c->keys[i].keys);
        free(c->keys[i].action);
    }
    free(c->keys);
    free(c->warnings);
    memset(c, 0, sizeof *c);
}

int config_apply(const struct config *c, struct options *o, struct keymap *km, char **cause)
{
    if (o->context == NULL && c->context != NULL)
        o->context = xstrdup(c->context);
    if (o->project == NULL && c->project != NULL)
        o->project = xstrdup(c->project);
    if (o->theme == NULL && c->theme != NULL)
        o->theme = xstrdup(c->theme);
    if (o->colour == OPTIONS_COLOUR_UNSET)
        o->colour = c->colour;
    if (!o->readonly && !o->write && c->readonly == 1)
        o->readonly = true;
    if (!o->ascii && c->ascii == 1)
        o->ascii = true;
    if (!o->mouse && c->mouse == 1)
        o->mouse = true;
    if (o->age_refresh == 0)
        o->age_refresh = c->age_refresh;
    if (c->relative_ages == 1)
        o->relative_ages = true;
    if (o->connect_timeout_ms == 0)
        o->connect_timeout_ms = c->connect_timeout_ms;
    if (o->idle_timeout_ms == 0)
        o->idle_timeout_ms = c->idle_timeout_ms;
    for (size_t i = 0; km != NULL && i < c->n_keys; i++) {
        char *why = NULL;
        if (keymap_bind(km, c->keys[i].action, (const char *const *)c->keys[i].keys, c->keys[i].n,
                        &why) != 0) {
            cause_set(cause, "%s: keys: %s", c->path ? c->path : "configuration", why);
            free(why);
            return -1;
        }
    }
    return 0;
}

bool config_typed_name(const struct config *c, const char *stage)
{
    for (size_t i = 0; i < c->n_typed_name; i++)
        if (fnmatch(c->typed_name[i], stage, 0) == 0)
            return true;
    return false;
}
