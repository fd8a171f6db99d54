/* The interactive dashboard: the main loop that owns the terminal until the user quits. */
#ifndef KT_UI_DASHBOARD_H
#define KT_UI_DASHBOARD_H

#include "app/options.h"
#include "ui/source.h"

/* Runs until q, a terminating signal, or loss of the terminal, showing what src holds (src may
 * be NULL: then not_connected says why). Returns 0, or -1 with *cause set (the terminal could
 * not be used). The terminal is restored on every path. */
int dashboard_run(const struct options *o, const struct ui_source *src, const char *not_connected,
                  char **cause);

#endif
