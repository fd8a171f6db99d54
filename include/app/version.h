/* What kargotop is and which library versions it runs with (for --version and bug reports). */
#ifndef KT_APP_VERSION_H
#define KT_APP_VERSION_H

#include <stdio.h>

void version_print(FILE *f);

#endif
