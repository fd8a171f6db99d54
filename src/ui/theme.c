/* Theme files, built-in themes and colour pair allocation. */
#include "ui/theme.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "util/strbuf.h"
#include "util/xalloc.h"
#include "util/yamldoc.h"

/* themes_builtin.c, generated from the YAML files in themes/ */
extern const struct theme_builtin {
    const char *name, *text;
    size_t len;
} themes_builtin[];

/* Theme files are a few kilobytes; a bound keeps a wrong path (a log, a device) from being read
 * whole. */
#define THEME_FILE_MAX (256 * 1024)

static const char *const theme_names[] = {
#define THEME_NAME(id, name) name,
    THEME_ROLES(THEME_NAME)
#undef THEME_NAME
};

static const struct {
    const char *name;
    attr_t attr;
} theme_attrs[] = {
    {"bold", A_BOLD},   {"dim", A_DIM},       {"underline", A_UNDERLINE}, {"reverse", A_REVERSE},
    {"blink", A_BLINK}, {"italic", A_ITALIC}, {"standout", A_STANDOUT},   {"normal", A_NORMAL},
};

static const char *const theme_ansi[8] = {"black", "red",     "green", "yellow",
                                          "blue",  "magenta", "cyan",  "white"};

const char *theme_role_name(enum theme_role r)
{
    return (unsigned)r < THEME_ROLE_COUNT ? theme_names[r] : NULL;
}

static int theme_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int theme_colour_parse(const char *text, struct theme_colour *out, char **cause)
{
    if (strcasecmp(text, "default") == 0 || strcasecmp(text, "none") == 0) {
        *out = (struct theme_colour){THEME_COLOUR_DEFAULT, 0};
        return 0;
    }
    if (text[0] == '#') {
        size_t n = strlen(text + 1);
        uint32_t v = 0;
        bool ok = n == 6 || n == 3;
        for (size_t i = 1; ok && i <= n; i++) {
            int h = theme_hexval(text[i]);
            if (h < 0)
                ok = false;
            else if (n == 6)
                v = (v << 4) | (uint32_t)h;
            else
                v = (v << 8) | (uint32_t)(h * 17);
        }
        if (ok) {
            *out = (struct theme_colour){THEME_COLOUR_RGB, v};
            return 0;
        }
        cause_set(cause, "'%s' is not a colour: write #rrggbb or #rgb", text);
        return -1;
    }
    if (text[0] >= '0' && text[0] <= '9') {
        char *end;
        errno = 0;
        unsigned long v = strtoul(text, &end, 10);
        if (*end == '\0' && errno == 0 && v <= 255) {
            *out = (struct theme_colour){THEME_COLOUR_INDEX, (uint32_t)v};
            return 0;
        }
        cause_set(cause, "'%s' is not a colour number: use 0 to 255", text);
        return -1;
    }
    const char *base = text;
    uint32_t bright = 0;
    if (strncasecmp(text, "bright-", 7) == 0) {
        base = text + 7;
        bright = 8;
    } else if (strncasecmp(text, "bright", 6) == 0) {
        base = text + 6;
        bright = 8;
    }
    if (strcasecmp(text, "grey") == 0 || strcasecmp(text, "gray") == 0) {
        *out = (struct theme_colour){THEME_COLOUR_INDEX, 8};
        return 0;
    }
    for (uint32_t i = 0; i < 8; i++)
        if (strcasecmp(base, theme_ansi[i]) == 0) {
            *out = (struct theme_colour){THEME_COLOUR_INDEX, i + bright};
            return 0;
        }
    cause_set(cause,
              "'%s' is not a colour (black red green yellow blue magenta cyan white, "
              "bright-<name>, grey, default, 0-255, #rrggbb)",
              text);
    return -1;
}

/* "bold underline", or a sequence of words. */
static int theme_attrs_parse(const struct yamldoc_node *n, const char *file, attr_t *out,
                             char **cause)
{
    struct strbuf words;
    strbuf_init(&words);
    if (n->type == YAMLDOC_SCALAR) {
        strbuf_append(&words, n->value);
    } else if (n->type == YAMLDOC_SEQ) {
        for (size_t i = 0; i < n->n; i++) {
            if (n->items[i]->type != YAMLDOC_SCALAR) {
                cause_set(cause, "%s:%d: attrs: a list of words", file, n->items[i]->line);
                strbuf_free(&words);
                return -1;
            }
            strbuf_appendf(&words, " %s", n->items[i]->value);
        }
    } else {
        cause_set(cause, "%s:%d: attrs: a word or a list of words", file, n->line);
        strbuf_free(&words);
        return -1;
    }
    *out = A_NORMAL;
    int rc = 0;
    char *save = NULL;
    for (char *w = strtok_r(words.buf, " ,\t", &save); w != NULL && rc == 0;
         w = strtok_r(NULL, " ,\t", &save)) {
        size_t i;
        for (i = 0; i < sizeof theme_attrs / sizeof theme_attrs[0]; i++)
            if (strcasecmp(w, theme_attrs[i].name) == 0)
                break;
        if (i == sizeof theme_attrs / sizeof theme_attrs[0]) {
            cause_set(cause,
                      "%s:%d: unknown attribute '%s' (bold, dim, underline, reverse, blink, "
                      "italic, standout)",
                      file, n->line, w);
            rc = -1;
        } else {
            *out |= theme_attrs[i].attr;
        }
    }
    strbuf_free(&words);
    return rc;
}

static int theme_colour_node(const struct yamldoc_node *n, const char *file, const char *what,
                             struct theme_colour *out, char **cause)
{
    if (n->type != YAMLDOC_SCALAR) {
        cause_set(cause, "%s:%d: %s: a colour", file, n->line, what);
        return -1;
    }
    char *why = NULL;
    if (theme_colour_parse(n->value, out, &why) != 0) {
        cause_set(cause, "%s:%d: %s: %s", file, n->line, what, why);
        free(why);
        return -1;
    }
    return 0;
}

static int theme_style_parse(const struct yamldoc_node *n, const char *file, const char *role,
                             struct theme_style *s, char **cause)
{
    *s = (struct theme_style){{THEME_COLOUR_DEFAULT, 0}, {THEME_COLOUR_DEFAULT, 0}, A_NORMAL};
    if (n->type == YAMLDOC_SCALAR)
        return theme_colour_node(n, file, role, &s->fg, cause);
    if (n->type != YAMLDOC_MAP) {
        cause_set(cause, "%s:%d: %s: a colour or {fg, bg, attrs}", file, n->line, role);
        return -1;
    }
    for (size_t i = 0; i < n->n; i++) {
        const char *k = n->keys[i];
        const struct yamldoc_node *v = n->items[i];
        int rc;
        if (strcmp(k, "fg") == 0)
            rc = theme_colour_node(v, file, role, &s->fg, cause);
        else if (strcmp(k, "bg") == 0)
            rc = theme_colour_node(v, file, role, &s->bg, cause);
        else if (strcmp(k, "attrs") == 0)
            rc = theme_attrs_parse(v, file, &s->attrs, cause);
        else {
            cause_set(cause, "%s:%d: %s: unknown key '%s' (fg, bg, attrs)", file, n->key_lines[i],
                      role, k);
            rc = -1;
        }
        if (rc != 0)
            return -1;
    }
    return 0;
}

static int theme_palette_parse(const struct yamldoc_node *n, const char *file, struct theme *t,
                               char **cause)
{
    if (yamldoc_is_null(n))
        return 0;
    if (n->type != YAMLDOC_SEQ) {
        cause_set(cause, "%s:%d: stage-colors: a list of colours", file, n->line);
        return -1;
    }
    if (n->n > THEME_PALETTE_MAX) {
        cause_set(cause, "%s:%d: stage-colors: at most %d colours", file, n->line,
                  THEME_PALETTE_MAX);
        return -1;
    }
    for (size_t i = 0; i < n->n; i++) {
        struct theme_colour c;
        if (theme_colour_node(n->items[i], file, "stage-colors", &c, cause) != 0)
            return -1;
        if (c.kind == THEME_COLOUR_DEFAULT) {
            cause_set(cause, "%s:%d: stage-colors: 'default' is not a Stage colour", file,
                      n->items[i]->line);
            return -1;
        }
        uint32_t hex = c.value;
        if (c.kind == THEME_COLOUR_INDEX) {
            struct colour_rgb rgb = colour_number_rgb((int)c.value, COLOUR_DEPTH_256);
            hex = ((uint32_t)rgb.r << 16) | ((uint32_t)rgb.g << 8) | rgb.b;
        }
        t->palette[t->n_palette++] =
            (struct colour_rgb){(uint8_t)(hex >> 16), (uint8_t)(hex >> 8), (uint8_t)hex};
    }
    return 0;
}

static int theme_roles_parse(const struct yamldoc_node *n, const char *file, struct theme *t,
                             char **cause)
{
    if (n->type != YAMLDOC_MAP) {
        cause_set(cause, "%s:%d: roles: a map of role: colour", file, n->line);
        return -1;
    }
    for (size_t i = 0; i < n->n; i++) {
        int r;
        for (r = 0; r < THEME_ROLE_COUNT; r++)
            if (strcmp(n->keys[i], theme_names[r]) == 0)
                break;
        if (r == THEME_ROLE_COUNT) {
            struct strbuf known;
            strbuf_init(&known);
            for (int k = 0; k < THEME_ROLE_COUNT; k++)
                strbuf_appendf(&known, "%s%s", k ? ", " : "", theme_names[k]);
            cause_set(cause, "%s:%d: unknown role '%s' (roles: %s)", file, n->key_lines[i],
                      n->keys[i], known.buf);
            strbuf_free(&known);
            return -1;
        }
        if (theme_style_parse(n->items[i], file, theme_names[r], &t->style[r], cause) != 0)
            return -1;
    }
    return 0;
}

int theme_parse(const char *buf, size_t len, const char *name, struct theme *t, char **cause)
{
    const char *file = name != NULL ? name : "(theme)";
    memset(t, 0, sizeof *t);
    for (int r = 0; r < THEME_ROLE_COUNT; r++)
        t->style[r] =
            (struct theme_style){{THEME_COLOUR_DEFAULT, 0}, {THEME_COLOUR_DEFAULT, 0}, A_NORMAL};
    struct yamldoc_node *root;
    if (yamldoc_parse(buf, len, file, &root, cause) != 0)
        return -1;
    int rc = 0;
    if (root == NULL || root->type != YAMLDOC_MAP) {
        cause_set(cause, "%s:%d: a theme is a map with 'roles:' (and 'name:', 'stage-colors:')",
                  file, root != NULL ? root->line : 1);
        rc = -1;
    }
    bool have_roles = false;
    for (size_t i = 0; rc == 0 && i < root->n; i++) {
        const char *k = root->keys[i];
        const struct yamldoc_node *v = root->items[i];
        if (strcmp(k, "name") == 0 || strcmp(k, "description") == 0) {
            if (v->type != YAMLDOC_SCALAR) {
                cause_set(cause, "%s:%d: %s: a string", file, v->line, k);
                rc = -1;
            } else if (strcmp(k, "name") == 0) {
                snprintf(t->name, sizeof t->name, "%s", v->value);
            }
        } else if (strcmp(k, "roles") == 0) {
            have_roles = true;
            rc = theme_roles_parse(v, file, t, cause);
        } else if (strcmp(k, "stage-colors") == 0) {
            rc = theme_palette_parse(v, file, t, cause);
        } else if (strcmp(k, "monochrome") == 0) {
            if (yamldoc_bool(v, &t->monochrome) != 0) {
                cause_set(cause, "%s:%d: monochrome: true or false", file, v->line);
                rc = -1;
            }
        } else {
            cause_set(
                cause,
                "%s:%d: unknown key '%s' (name, description, monochrome, roles, stage-colors)",
                file, root->key_lines[i], k);
            rc = -1;
        }
    }
    if (rc == 0 && !have_roles) {
        cause_set(cause, "%s:%d: the theme has no 'roles:'", file, root->line);
        rc = -1;
    }
    yamldoc_free(root);
    return rc;
}

const char *theme_builtin_name(size_t i)
{
    for (size_t k = 0; themes_builtin[k].name != NULL; k++)
        if (k == i)
            return themes_builtin[k].name;
    return NULL;
}

static const struct theme_builtin *theme_builtin_find(const char *name)
{
    for (size_t k = 0; themes_builtin[k].name != NULL; k++)
        if (strcmp(themes_builtin[k].name, name) == 0)
            return &themes_builtin[k];
    return NULL;
}

static int theme_load_file(const char *path, struct theme *t, char **cause)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        cause_set(cause, "cannot read theme %s: %s", path, strerror(errno));
        return -1;
    }
    struct strbuf sb;
    strbuf_init(&sb);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && sb.len <= THEME_FILE_MAX)
        strbuf_append_len(&sb, chunk, n);
    bool err = ferror(f) != 0;
    fclose(f);
    int rc = -1;
    if (err)
        cause_set(cause, "cannot read theme %s", path);
    else if (sb.len > THEME_FILE_MAX)
        cause_set(cause, "%s: too large for a theme (over %d KiB)", path, THEME_FILE_MAX / 1024);
    else
        rc = theme_parse(sb.buf, sb.len, path, t, cause);
    strbuf_free(&sb);
    return rc;
}

static bool theme_is_path(const char *s)
{
    size_t n = strlen(s);
    return strchr(s, '/') != NULL || (n > 5 && strcmp(s + n - 5, ".yaml") == 0) ||
           (n > 4 && strcmp(s + n - 4, ".yml") == 0);
}

int theme_load(const char *name_or_path, const char *user_dir, struct theme *t, char **cause)
{
    if (name_or_path == NULL || name_or_path[0] == '\0') {
        cause_set(cause, "the theme name is empty");
        return -1;
    }
    if (theme_is_path(name_or_path))
        return theme_load_file(name_or_path, t, cause);
    if (user_dir != NULL) {
        char *path = xasprintf("%s/%s.yaml", user_dir, name_or_path);
        struct stat st;
        if (stat(path, &st) == 0) {
            int rc = theme_load_file(path, t, cause);
            free(path);
            return rc;
        }
        free(path);
    }
    const struct theme_builtin *b = theme_builtin_find(name_or_path);
    if (b != NULL)
        return theme_parse(b->text, b->len, name_or_path, t, cause);
    struct strbuf known;
    strbuf_init(&known);
    for (size_t k = 0; themes_builtin[k].name != NULL; k++)
        strbuf_appendf(&known, "%s%s", k ? ", " : "", themes_builtin[k].name);
    if (user_dir != NULL)
        cause_set(cause, "no theme '%s' (built in: %s; or add %s/%s.yaml)", name_or_path, known.buf,
                  user_dir, name_or_path);
    else
        cause_set(cause, "no theme '%s' (built in: %s)", name_or_path, known.buf);
    strbuf_free(&known);
    return -1;
}

static void theme_builtin_or_die(const char *name, struct theme *t)
{
    char *cause = NULL;
    const struct theme_builtin *b = theme_builtin_find(name);
    if (b == NULL || theme_parse(b->text, b->len, name, t, &cause) != 0) {
        /* the shipped files are tested to load: this is a broken build */
        fprintf(stderr, "kargotop: built-in theme %s: %s\n", name, cause ? cause : "missing");
        abort();
    }
}

void theme_default(struct theme *t)
{
    theme_builtin_or_die("default", t);
}

void theme_mono(struct theme *t)
{
    theme_builtin_or_die("mono", t);
}

int theme_colour_number(struct theme_colour c, enum colour_depth depth)
{
    if (c.kind == THEME_COLOUR_DEFAULT || depth == COLOUR_DEPTH_NONE)
        return COLOUR_DEFAULT;
    int limit = depth == COLOUR_DEPTH_8 ? 8 : depth == COLOUR_DEPTH_16 ? 16 : 256;
    /* direct-colour terminals take 0-7 as the ANSI colours and everything else as 0xrrggbb */
    if (depth == COLOUR_DEPTH_TRUE && c.kind == THEME_COLOUR_INDEX && c.value >= 8)
        return colour_nearest(colour_number_rgb((int)c.value, COLOUR_DEPTH_256), depth);
    if (c.kind == THEME_COLOUR_INDEX) {
        if ((int)c.value < limit)
            return (int)c.value;
        /* a bright or 256-colour number on a smaller palette: nearest by what it shows */
        return colour_nearest(colour_number_rgb((int)c.value, COLOUR_DEPTH_256), depth);
    }
    struct colour_rgb rgb = {(uint8_t)(c.value >> 16), (uint8_t)(c.value >> 8), (uint8_t)c.value};
    return colour_nearest(rgb, depth);
}

int theme_colour_curses(int number)
{
    if (number == COLOUR_DEFAULT)
        return -1;
    if (!(number & COLOUR_RGB_FLAG))
        return number;
    int rgb = number & 0xffffff;
    return rgb < 8 ? 8 : rgb; /* below 8 would be read as an ANSI colour: 8 is still black */
}

void theme_apply(struct theme *t, enum colour_depth depth)
{
    for (int r = 0; r < THEME_ROLE_COUNT; r++) {
        const struct theme_style *s = &t->style[r];
        t->attr[r] = s->attrs;
        if (depth == COLOUR_DEPTH_NONE)
            continue;
        int fg = theme_colour_curses(theme_colour_number(s->fg, depth));
        int bg = theme_colour_curses(theme_colour_number(s->bg, depth));
        if (fg == -1 && bg == -1)
            continue;
        if (init_extended_pair(r + 1, fg, bg) == OK)
            t->attr[r] |= COLOR_PAIR(r + 1);
    }
}
