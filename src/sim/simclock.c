/* Simulated time: a linear map from the monotonic clock, so --speed N and stepped tests share one
 * code path and a wall-clock jump never moves simulated time backwards. */
#include "sim/simclock.h"

#include <time.h>

#include "util/timefmt.h"

int64_t simclock_real_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t now_locked(const struct simclock *c)
{
    if (c->manual)
        return c->base_sim;
    return c->base_sim + (int64_t)((double)(simclock_real_ms() - c->base_real) * c->speed);
}

void simclock_init(struct simclock *c, int64_t start_ms, double speed)
{
    pthread_mutex_init(&c->lock, NULL);
    if (start_ms == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        start_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    }
    c->base_sim = start_ms;
    c->base_real = simclock_real_ms();
    c->manual = speed <= 0;
    c->speed = speed <= 0 ? 0 : speed;
}

void simclock_destroy(struct simclock *c)
{
    pthread_mutex_destroy(&c->lock);
}

int64_t simclock_now_ms(struct simclock *c)
{
    pthread_mutex_lock(&c->lock);
    int64_t t = now_locked(c);
    pthread_mutex_unlock(&c->lock);
    return t;
}

int64_t simclock_now(struct simclock *c)
{
    return simclock_now_ms(c) / 1000;
}

void simclock_advance(struct simclock *c, int64_t ms)
{
    pthread_mutex_lock(&c->lock);
    c->base_sim = now_locked(c) + ms;
    c->base_real = simclock_real_ms();
    pthread_mutex_unlock(&c->lock);
}

void simclock_set_speed(struct simclock *c, double speed)
{
    pthread_mutex_lock(&c->lock);
    c->base_sim = now_locked(c);
    c->base_real = simclock_real_ms();
    c->manual = speed <= 0;
    c->speed = speed <= 0 ? 0 : speed;
    pthread_mutex_unlock(&c->lock);
}

int64_t simclock_real_ms_until(struct simclock *c, int64_t sim_ms)
{
    pthread_mutex_lock(&c->lock);
    int64_t now = now_locked(c);
    int64_t r = c->manual ? -1 : sim_ms <= now ? 0 : (int64_t)((double)(sim_ms - now) / c->speed);
    pthread_mutex_unlock(&c->lock);
    return r;
}

void simclock_rfc3339(struct simclock *c, char *buf, size_t len)
{
    timefmt_rfc3339((time_t)(simclock_now_ms(c) / 1000), buf, len);
}
