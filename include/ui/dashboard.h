/* The interactive dashboard: the main loop that owns the terminal until the user quits. */
#ifndef KT_UI_DASHBOARD_H
#define KT_UI_DASHBOARD_H

#include "app/options.h"
#include "ui/keymap.h"
#include "ui/source.h"
#include "ui/theme.h"

/* What the configuration gives the dashboard beyond the options. */
struct dashboard_look {
    const struct theme *theme; /* NULL: the default theme */
    const struct keymap *keys; /* NULL: the default keys */
    const char *notice;        /* a message for the footer at start (configuration warnings, a
                                * theme that did not load), or NULL */
};

/* Runs until q, a terminating signal, or loss of the terminal, showing what src holds (src may
 * be NULL: then not_connected says why). Returns 0, or -1 with *cause set (the terminal could
 * not be used). The terminal is restored on every path. */
int dashboard_run(const struct options *o, const struct dashboard_look *look,
                  const struct ui_source *src, const char *not_connected, char **cause);

#endif
