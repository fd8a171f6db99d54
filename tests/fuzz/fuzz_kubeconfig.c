/* Fuzzes the kubeconfig loader (YAML, kubectl's merge and resolution rules, base64 data fields,
 * exec plugin declarations): a file either loads or is refused with a cause naming it. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "kube/kubeconfig.h"
#include "tmpinput.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = tmpinput_write(data, size, ".kubeconfig");
    struct kubeconfig_opts opts = {.kubeconfig = path, .incluster_dir = "/nonexistent/kt-fuzz"};
    char *cause = NULL;
    struct kube_config *cfg = kubeconfig_load(&opts, &cause);
    if ((cfg == NULL) == (cause == NULL))
        abort();
    if (cfg != NULL && (cfg->server == NULL || cfg->namespace == NULL))
        abort();
    kubeconfig_free(cfg);
    free(cause);

    char **names = NULL, *current = NULL;
    size_t n = 0;
    cause = NULL;
    if (kubeconfig_contexts(&opts, &names, &n, &current, &cause) == 0) {
        for (size_t i = 0; i < n; i++)
            free(names[i]);
        free(names);
        free(current);
    }
    free(cause);
    return 0;
}
