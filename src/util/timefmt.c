/* RFC 3339 and Go durations in; short human spans out. */
#include "util/timefmt.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

static int timefmt_digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's days_from_civil): what
 * timegm() computes, without its time-zone machinery (a third of decoding a Promotion, which
 * holds a dozen times). Out-of-range days roll over as timegm's do. */
static long long timefmt_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int timefmt_parse_rfc3339(const char *s, time_t *out, char **cause)
{
    int year, mon, day, hour, min, sec;

    if (s == NULL || strlen(s) < 20 || timefmt_digits(s, 4, &year) != 0 || s[4] != '-' ||
        timefmt_digits(s + 5, 2, &mon) != 0 || s[7] != '-' || timefmt_digits(s + 8, 2, &day) != 0 ||
        (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || timefmt_digits(s + 11, 2, &hour) != 0 ||
        s[13] != ':' || timefmt_digits(s + 14, 2, &min) != 0 || s[16] != ':' ||
        timefmt_digits(s + 17, 2, &sec) != 0) {
        cause_set(cause, "not an RFC 3339 time: \"%.40s\"", s ? s : "(null)");
        return -1;
    }
    if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60) {
        cause_set(cause, "time out of range: \"%.40s\"", s);
        return -1;
    }
    const char *p = s + 19;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p)) {
            cause_set(cause, "bad fraction of a second in \"%.40s\"", s);
            return -1;
        }
        while (isdigit((unsigned char)*p))
            p++;
    }
    long offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (timefmt_digits(p + 1, 2, &oh) != 0 || p[3] != ':' ||
            timefmt_digits(p + 4, 2, &om) != 0 || oh > 23 || om > 59) {
            cause_set(cause, "bad UTC offset in \"%.40s\"", s);
            return -1;
        }
        offset = (oh * 3600L + om * 60L) * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        cause_set(cause, "time has no UTC offset: \"%.40s\"", s);
        return -1;
    }
    if (*p != '\0') {
        cause_set(cause, "trailing text after time: \"%.40s\"", s);
        return -1;
    }
    *out = (time_t)(timefmt_days_from_civil(year, mon, day) * 86400LL + hour * 3600LL + min * 60LL +
                    sec - offset);
    return 0;
}

void timefmt_rfc3339(time_t t, char *buf, size_t len)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int timefmt_parse_duration(const char *s, long long *ms, char **cause)
{
    const char *p = s;
    double total = 0;

    if (s == NULL || *s == '\0') {
        cause_set(cause, "empty duration");
        return -1;
    }
    if (strcmp(s, "0") == 0) {
        *ms = 0;
        return 0;
    }
    while (*p != '\0') {
        char *end;
        if (!isdigit((unsigned char)*p) && *p != '.')
            goto bad;
        double v = strtod(p, &end);
        if (end == p)
            goto bad;
        p = end;
        double unit;
        if (strncmp(p, "ms", 2) == 0) {
            unit = 1;
            p += 2;
        } else if (*p == 's') {
            unit = 1000;
            p++;
        } else if (*p == 'm') {
            unit = 60 * 1000;
            p++;
        } else if (*p == 'h') {
            unit = 3600 * 1000;
            p++;
        } else {
            goto bad;
        }
        total += v * unit;
    }
    if (total > 9.2e18)
        goto bad;
    *ms = (long long)total;
    return 0;
bad:
    cause_set(cause, "not a duration (like 1h30m or 45s): \"%.40s\"", s);
    return -1;
}

void timefmt_span(long long seconds, char *buf, size_t len)
{
    static const struct {
        long long secs;
        char unit;
    } units[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};

    if (seconds < 0)
        seconds = 0;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (seconds < units[i].secs && units[i].secs != 1)
            continue;
        long long major = seconds / units[i].secs;
        long long rest = seconds % units[i].secs;
        if (i + 1 < sizeof units / sizeof units[0] && rest / units[i + 1].secs > 0)
            snprintf(buf, len, "%lld%c%lld%c", major, units[i].unit, rest / units[i + 1].secs,
                     units[i + 1].unit);
        else
            snprintf(buf, len, "%lld%c", major, units[i].unit);
        return;
    }
}

void timefmt_ago(time_t then, time_t now, char *buf, size_t len)
{
    long long d = (long long)now - (long long)then;
    char span[32];

    if (d < 0) {
        if (-d < 60) {
            snprintf(buf, len, "just now");
            return;
        }
        timefmt_span(-d, span, sizeof span);
        /* one unit is enough for an age: "in 3m", not "in 3m10s" */
        span[strspn(span, "0123456789") + 1] = '\0';
        snprintf(buf, len, "in %s", span);
        return;
    }
    if (d < 5) {
        snprintf(buf, len, "just now");
        return;
    }
    timefmt_span(d, span, sizeof span);
    span[strspn(span, "0123456789") + 1] = '\0';
    snprintf(buf, len, "%s ago", span);
}

void timefmt_kube_age(long long d, char *buf, size_t len)
{
    if (d < -1) {
        snprintf(buf, len, "<invalid>");
        return;
    }
    if (d < 0)
        d = 0;
    long long m = d / 60, h = d / 3600, days = d / 86400, y = days / 365;
    if (d < 120)
        snprintf(buf, len, "%llds", d);
    else if (m < 10)
        d % 60 == 0 ? snprintf(buf, len, "%lldm", m) : snprintf(buf, len, "%lldm%llds", m, d % 60);
    else if (h < 3)
        snprintf(buf, len, "%lldm", m);
    else if (h < 8)
        m % 60 == 0 ? snprintf(buf, len, "%lldh", h) : snprintf(buf, len, "%lldh%lldm", h, m % 60);
    else if (h < 48)
        snprintf(buf, len, "%lldh", h);
    else if (h < 192)
        h % 24 == 0 ? snprintf(buf, len, "%lldd", days)
                    : snprintf(buf, len, "%lldd%lldh", days, h % 24);
    else if (y < 2)
        snprintf(buf, len, "%lldd", days);
    else if (y < 8)
        days % 365 == 0 ? snprintf(buf, len, "%lldy", y)
                        : snprintf(buf, len, "%lldy%lldd", y, days % 365);
    else
        snprintf(buf, len, "%lldy", y);
}
