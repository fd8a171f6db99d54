/* Fuzzes the scenario loader of the simulated cluster: the YAML reader (sigs.k8s.io/yaml rules,
 * anchors, merge keys, `kind: List`), the time shift applied to built-in scenarios, and loading
 * the objects into a fresh simulated cluster as `kargo-sim --scenario FILE` does. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sim/scenarios.h"
#include "sim/sim.h"
#include "sim/yaml.h"
#include "tmpinput.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int *lines = NULL;
    char *cause = NULL;
    cJSON *docs = sim_yaml_parse((const char *)data, size, "fuzz.yaml", &lines, &cause);
    if ((docs == NULL) == (cause == NULL))
        abort();
    free(cause);
    free(lines);
    if (docs == NULL)
        return 0;
    cJSON *doc;
    cJSON_ArrayForEach(doc, docs) scenarios_shift_times(doc, -86400);
    cJSON_Delete(docs);

    const char *path = tmpinput_write(data, size, ".yaml");
    const char *scenarios[] = {path, NULL};
    struct sim_config cfg = {.seed = 1, .scenarios = scenarios};
    cause = NULL;
    struct sim *sim = sim_start(&cfg, &cause);
    if ((sim == NULL) == (cause == NULL))
        abort();
    sim_stop(sim);
    free(cause);
    return 0;
}
