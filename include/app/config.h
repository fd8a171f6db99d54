/* The configuration file: where it lives ($XDG_CONFIG_HOME/kargotop/config.yaml), what it may
 * say (docs/CONFIG.md), and how it meets the command line (flags win). */
#ifndef KT_APP_CONFIG_H
#define KT_APP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "app/options.h"
#include "ui/keymap.h"

struct config_keys {
    char *action;
    char **keys;
    size_t n;
};

struct config {
    char *path; /* the file read, or NULL when there was none */
    char *context, *project, *theme;
    enum options_colour colour;
    int readonly, ascii, mouse; /* -1: not set */
    int age_refresh;            /* seconds between redraws of relative ages; 0: not set; -1: off */
    int relative_ages;          /* ages: relative (1), absolute (0); -1: not set */
    long connect_timeout_ms;    /* timeouts.connect; 0: not set */
    long idle_timeout_ms;       /* timeouts.idle; 0: not set */
    char **typed_name; /* Stage name patterns (fnmatch) whose promotions need the name typed */
    size_t n_typed_name;
    bool typed_name_set; /* confirm.typed-name was given (an empty list: no Stage by name) */
    int typed_manual;    /* confirm.typed-manual: -1 not set */
    int typed_batch;     /* confirm.typed-batch: -1 not set, 0 names, 1 count */
    struct config_keys *keys;
    size_t n_keys;
    char *warnings; /* one "file:line: ..." per line (unknown keys), or NULL */
};

/* Parses a configuration of len bytes (name is used in messages: "name:12: ..."). Every problem
 * is reported, not just the first: *cause holds one "name:line: problem" per line. Unknown keys
 * are not errors: they are listed in c->warnings and ignored. Returns 0, or -1 with *cause.
 * Pure: reads no files and no environment. The caller frees c with config_free either way. */
int config_parse(const char *buf, size_t len, const char *name, struct config *c, char **cause);
/* $XDG_CONFIG_HOME/kargotop, else $HOME/.config/kargotop, else NULL. The caller frees. */
char *config_dir(void);
/* Reads path, or when path is NULL the default file if it exists (no file: defaults, 0).
 * Returns 0, or -1 with *cause. */
int config_load(const char *path, struct config *c, char **cause);
void config_free(struct config *c);
/* Fills what the command line left open from the configuration (flags win), and applies the
 * key remaps to km (initialised by the caller). Returns 0, or -1 with *cause. */
int config_apply(const struct config *c, struct options *o, struct keymap *km, char **cause);
/* Does promoting to this Stage need its name typed? */
bool config_typed_name(const struct config *c, const char *stage);

#endif
