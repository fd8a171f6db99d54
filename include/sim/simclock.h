/* The simulated clock the Kargo controller runs on: real time times a speed, or stepped by tests.
 */
#ifndef KT_SIM_SIMCLOCK_H
#define KT_SIM_SIMCLOCK_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct simclock {
    pthread_mutex_t lock;
    bool manual;       /* true: time moves only through simclock_advance */
    double speed;      /* simulated seconds per real second when not manual */
    int64_t base_sim;  /* simulated ms at base_real */
    int64_t base_real; /* CLOCK_MONOTONIC ms when base_sim was taken */
};

/* Starts the clock at start_ms (Unix ms; 0 = the real time now). speed <= 0 makes it manual. */
void simclock_init(struct simclock *c, int64_t start_ms, double speed);
void simclock_destroy(struct simclock *c);
/* Simulated Unix time in milliseconds. */
int64_t simclock_now_ms(struct simclock *c);
/* Simulated Unix time in whole seconds. */
int64_t simclock_now(struct simclock *c);
/* Moves simulated time forward by ms (any mode). */
void simclock_advance(struct simclock *c, int64_t ms);
/* Changes the speed from now on; <= 0 stops the clock (manual stepping). */
void simclock_set_speed(struct simclock *c, double speed);
/* Real milliseconds until simulated time reaches sim_ms (0 if passed, -1 when manual). */
int64_t simclock_real_ms_until(struct simclock *c, int64_t sim_ms);
/* The monotonic real clock in milliseconds (for measuring real durations). */
int64_t simclock_real_ms(void);
/* The simulated now as RFC 3339 ("2026-01-01T00:00:00Z") into buf of at least 21 bytes. */
void simclock_rfc3339(struct simclock *c, char *buf, size_t len);

#endif
