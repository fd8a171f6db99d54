/* The interactive dashboard: the main loop that owns the screen until the user quits. */
#ifndef KT_UI_DASHBOARD_H
#define KT_UI_DASHBOARD_H

#include "app/options.h"

/* Runs until q, a terminating signal, or loss of the terminal. Returns 0, or -1 with *cause set
 * (the terminal could not be used). The terminal is restored on every path. */
int dashboard_run(const struct options *o, char **cause);

#endif
