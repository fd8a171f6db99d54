/* Fuzzes the theme loader (YAML theme files: roles, colours, attributes, palette): a file is
 * either a theme or refused with a cause naming its line. */
#include <stdlib.h>

#include "fuzz.h"
#include "ui/theme.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct theme t;
    char *cause = NULL;
    int rc = theme_parse((const char *)data, size, "fuzz.yaml", &t, &cause);
    if ((rc == 0) != (cause == NULL) || (rc == 0 && t.n_palette > THEME_PALETTE_MAX))
        abort();
    free(cause);
    return 0;
}
