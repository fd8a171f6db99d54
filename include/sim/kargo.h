/* Kargo's behaviour inside the simulated cluster: its admission webhooks, its controllers running
 * on a simulated clock, and the scenarios they start from. Installed into a part-1 server through
 * sim_config.install; tests step the clock and settle the controller for deterministic checks. */
#ifndef KT_SIM_KARGO_H
#define KT_SIM_KARGO_H

#include <stdbool.h>
#include <stdint.h>

struct sim;
struct kargo;
struct simclock;

struct kargo_options {
    double speed;     /* simulated seconds per real second; <= 0: moved only by kargo_advance */
    int64_t start_ms; /* simulated start, Unix ms (0: the real time now) */
    int step_ms;      /* duration of one promotion step (0: 3000) */
    int verify_ms;    /* duration of one verification (0: 20000) */
    bool discover;    /* warehouses discover new versions on their own (demo mode) */
    unsigned long long seed;
    double large_scale; /* size of the `large` scenario as a fraction of the full one (0: 1) */
    const char *const *scenarios; /* built-in names or YAML paths, NULL-terminated; may be NULL */
    struct kargo *out;            /* set by kargo_install: the handle for the calls below */
};

/* The sim_config.install callback; ctx is a struct kargo_options that outlives the sim. Registers
 * the webhooks and the controller and loads the scenarios. Returns 0, or -1 with *cause. */
int kargo_install(struct sim *sim, void *ctx, char **cause);

/* Loads a built-in scenario by name ("backstage", "flask-app", "microsvcs", "myapp", "large", or
 * "demo" for the first four), or a YAML file by path. Built-in histories are moved to end at the
 * clock's now. Returns the number of objects, or -1 with *cause. */
int kargo_load_scenario(struct kargo *k, const char *name_or_path, char **cause);
/* The first Project (or Namespace) a scenario defines, without loading it (allocated), or NULL
 * with *cause (an unknown name, an unreadable file, no Project). */
char *kargo_scenario_project(const char *name_or_path, char **cause);
/* Runs reconcile passes until one changes nothing; what happens "immediately" has then happened. */
void kargo_settle(struct kargo *k);
/* Moves simulated time forward by ms in ticks of at most tick_ms (0: 1000), settling after each. */
void kargo_advance(struct kargo *k, int64_t ms, int64_t tick_ms);
/* What the last settle found: the simulated time (Unix ms) at which time alone makes the
 * controller write again (a step or a verification ends, a soak or a discovery is due), INT64_MAX
 * when nothing waits on the clock. The controller thread sleeps until then or a store change. */
int64_t kargo_next_due(struct kargo *k);
/* Reconcile passes run so far (by the controller thread, kargo_settle and kargo_advance). */
unsigned long kargo_passes(struct kargo *k);
/* The simulated clock (for --speed changes and for tests reading "now"). */
struct simclock *kargo_clock(struct kargo *k);

#endif
