/* Time as Kubernetes writes it (RFC 3339, Go durations) and as people read it ("3m ago"). */
#ifndef KT_UTIL_TIMEFMT_H
#define KT_UTIL_TIMEFMT_H

#include <stddef.h>
#include <time.h>

/* Parses "2026-08-20T16:00:40Z", with optional fraction and numeric offset, into UTC seconds.
 * Returns 0, or -1 with *cause set. */
int timefmt_parse_rfc3339(const char *s, time_t *out, char **cause);

/* Formats t as RFC 3339 UTC with a trailing Z into buf (at least 21 bytes). */
void timefmt_rfc3339(time_t t, char *buf, size_t len);

/* Parses a Go/metav1.Duration such as "26h5m10s", "5m0s", "1.5h" or "300ms" into milliseconds.
 * Returns 0, or -1 with *cause set. */
int timefmt_parse_duration(const char *s, long long *ms, char **cause);

/* The two most significant units of a span of seconds: "45s", "3m10s", "1h12m", "4d2h". */
void timefmt_span(long long seconds, char *buf, size_t len);

/* Relative age of then seen from now: "just now", "12s ago", "3m ago", "2h ago", "5d ago".
 * Times in the future (clock skew) read "just now" when within a minute, else "in 3m". */
void timefmt_ago(time_t then, time_t now, char *buf, size_t len);

/* An age as kubectl prints it (apimachinery's HumanDuration): "45s", "5m30s", "3h10m", "2d4h",
 * "90d", "2y10d"; "<invalid>" below -1 s. */
void timefmt_kube_age(long long seconds, char *buf, size_t len);

#endif
