/* Fuzzes the configuration loader (config.yaml: context, project, theme, colour, readonly, key
 * remaps, typed names) and applying it over empty command-line options and the default keymap:
 * every problem is reported with its line, nothing crashes. */
#include <stdlib.h>
#include <string.h>

#include "app/config.h"
#include "app/options.h"
#include "fuzz.h"
#include "ui/keymap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct config c;
    char *cause = NULL;
    int rc = config_parse((const char *)data, size, "fuzz.yaml", &c, &cause);
    if ((rc == 0) != (cause == NULL))
        abort();
    free(cause);
    if (rc == 0) {
        struct options o;
        memset(&o, 0, sizeof o);
        struct keymap km;
        keymap_init(&km);
        cause = NULL;
        (void)config_apply(&c, &o, &km, &cause);
        free(cause);
        keymap_free(&km);
        options_free(&o);
    }
    config_free(&c);
    return 0;
}
