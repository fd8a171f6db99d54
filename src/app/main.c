/* kargotop: parse the command line, then run the dashboard. */
#include <stdio.h>
#include <stdlib.h>

#include "app/options.h"
#include "app/version.h"
#include "ui/dashboard.h"

int main(int argc, char *argv[])
{
    struct options opts = {0};
    char *cause = NULL;
    int status = 0;

    if (options_parse(&opts, argc, argv, &cause) != 0) {
        fprintf(stderr, "kargotop: %s\nTry 'kargotop --help' for the options.\n", cause);
        status = 2;
    } else if (opts.help) {
        options_usage(stdout, "kargotop");
    } else if (opts.version) {
        version_print(stdout);
    } else if (dashboard_run(&opts, NULL, "Not connected to a cluster.", &cause) != 0) {
        fprintf(stderr, "kargotop: %s\n", cause);
        status = 1;
    }
    free(cause);
    options_free(&opts);
    return status;
}
