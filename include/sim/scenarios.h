/* The built-in scenarios: YAML compiled into the binary, the generated `large` one, and the time
 * shift that makes a scenario's history end at the simulator's start. */
#ifndef KT_SIM_SCENARIOS_H
#define KT_SIM_SCENARIOS_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

struct scenario_builtin {
    const char *name;
    const char *description;
    const char *yaml; /* multi-document YAML of Kargo objects */
    size_t len;
};

/* The YAML scenarios, ended by an entry whose name is NULL (generated at build time). */
extern const struct scenario_builtin scenarios_builtin[];

/* Built-in scenario times are written relative to this instant (2026-01-01T00:00:00Z). */
#define SCENARIO_EPOCH 1767225600

/* The built-in YAML scenario called name, or NULL. */
const struct scenario_builtin *scenarios_find(const char *name);
/* Whether name is a built-in scenario (YAML, "large", or "demo": the four YAML ones). */
int scenarios_is_builtin(const char *name);
/* Adds delta_s seconds to every RFC 3339 UTC timestamp string ("...Z") in the tree, and to the
 * time inside ULID-based names ("<stage>.<ulid>.<hash7>"). */
void scenarios_shift_times(cJSON *obj, int64_t delta_s);

/* The earliest RFC 3339 UTC timestamp anywhere in the tree, in Unix seconds, or 0. */
int64_t scenarios_earliest(const cJSON *obj);
/* Gives an object of a built-in history the creationTimestamp it would have on a cluster, unless
 * it has one: a Promotion's is the time in its ULID name, a Freight's its discoveredAt, anything
 * else fallback_s (0: none, the server then stamps the load time). */
void scenarios_set_created(cJSON *obj, int64_t fallback_s);

/* Shape of the generated `large` scenario. */
struct scenario_large_shape {
    int pipelines;  /* projects are not multiplied: one project, this many warehouses */
    int stages_per; /* stages per pipeline, in a chain */
    int freight;    /* total Freight, spread over the warehouses */
    int promotions; /* total terminal Promotions, spread over the stages */
};

/* The shape: 60 pipelines x 5 stages = 300 stages, 10,000 freight, 30,000 promotions. */
void scenarios_large_default(struct scenario_large_shape *shape);
/* Builds the large scenario in project namespace ns, ending its history at now_s, and hands each
 * object to emit (which takes ownership), Project first, then ProjectConfig, Warehouses, Stages,
 * Freight and Promotions. Returns the number of objects. */
size_t scenarios_large_build(const struct scenario_large_shape *shape, const char *ns,
                             int64_t now_s, void (*emit)(void *ctx, cJSON *obj), void *ctx);

#endif
