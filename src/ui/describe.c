/* Roles, icons and short forms of Kargo state. */
#include "ui/describe.h"

#include <stdio.h>
#include <string.h>

enum theme_role describe_phase_role(enum stage_phase ph)
{
    switch (ph) {
    case PHASE_READY:
        return THEME_PHASE_READY;
    case PHASE_FAILED:
        return THEME_PHASE_FAILED;
    case PHASE_RECONCILING:
        return THEME_PHASE_RECONCILING;
    case PHASE_VERIFYING:
        return THEME_PHASE_VERIFYING;
    case PHASE_PROMOTING:
        return THEME_PHASE_PROMOTING;
    case PHASE_UNKNOWN:
        break;
    }
    return THEME_PHASE_UNKNOWN;
}

const char *describe_phase_icon(const struct paint *p, enum stage_phase ph)
{
    switch (ph) {
    case PHASE_READY:
        return paint_glyph(p, "\u2713", "+");
    case PHASE_FAILED:
        return paint_glyph(p, "\u2717", "x");
    case PHASE_RECONCILING:
        return paint_glyph(p, "\u21bb", "~");
    case PHASE_VERIFYING:
        return paint_glyph(p, "\u25d4", "v");
    case PHASE_PROMOTING:
        return paint_glyph(p, "\u00bb", ">");
    case PHASE_UNKNOWN:
        break;
    }
    return "?";
}

enum theme_role describe_health_role(enum stage_health h)
{
    switch (h) {
    case HEALTH_HEALTHY:
        return THEME_HEALTH_HEALTHY;
    case HEALTH_PROGRESSING:
        return THEME_HEALTH_PROGRESSING;
    case HEALTH_UNHEALTHY:
        return THEME_HEALTH_UNHEALTHY;
    case HEALTH_UNKNOWN:
    case HEALTH_NONE:
    case HEALTH_NOT_APPLICABLE:
        break;
    }
    return THEME_HEALTH_UNKNOWN;
}

const char *describe_health_icon(const struct paint *p, enum stage_health h)
{
    switch (h) {
    case HEALTH_HEALTHY:
        return paint_glyph(p, "\u2665", "+");
    case HEALTH_PROGRESSING:
        return paint_glyph(p, "\u25cc", "~");
    case HEALTH_UNHEALTHY:
        return paint_glyph(p, "\u2715", "x");
    case HEALTH_UNKNOWN:
        return "?";
    case HEALTH_NONE:
    case HEALTH_NOT_APPLICABLE:
        break;
    }
    return "-";
}

enum theme_role describe_promotion_role(const char *phase)
{
    if (phase == NULL || phase[0] == '\0' || strcmp(phase, "Pending") == 0)
        return THEME_PHASE_UNKNOWN;
    if (strcmp(phase, "Running") == 0)
        return THEME_PHASE_PROMOTING;
    if (strcmp(phase, "Succeeded") == 0)
        return THEME_PHASE_READY;
    if (strcmp(phase, "Aborted") == 0)
        return THEME_WARNING;
    return THEME_PHASE_FAILED; /* Failed, Errored */
}

static const char *short_commit(const char *id, char *buf, size_t len)
{
    snprintf(buf, len, "%.7s", id != NULL ? id : "");
    return buf;
}

void describe_artifact(const struct kargo_artifacts *a, char *buf, size_t len)
{
    char sha[8];
    buf[0] = '\0';
    if (a->n_images > 0 && a->images[0].tag != NULL)
        snprintf(buf, len, "%s", a->images[0].tag);
    else if (a->n_charts > 0 && a->charts[0].version != NULL)
        snprintf(buf, len, "%s", a->charts[0].version);
    else if (a->n_commits > 0)
        snprintf(buf, len, "%s",
                 a->commits[0].tag != NULL && a->commits[0].tag[0] != '\0'
                     ? a->commits[0].tag
                     : short_commit(a->commits[0].id, sha, sizeof sha));
    else if (a->n_generic > 0 && a->generic[0].version != NULL)
        snprintf(buf, len, "%s", a->generic[0].version);
}

/* The last path element of a repository URL: "ghcr.io/acme/api" reads "api". */
static const char *repo_short(const char *url)
{
    if (url == NULL)
        return "";
    size_t n = strlen(url);
    while (n > 0 && url[n - 1] == '/')
        n--;
    const char *slash = NULL;
    for (size_t i = 0; i < n; i++)
        if (url[i] == '/')
            slash = url + i;
    return slash != NULL ? slash + 1 : url;
}

static void append(char *buf, size_t len, const char *a, const char *b)
{
    size_t used = strlen(buf);
    if (used + 1 >= len)
        return;
    snprintf(buf + used, len - used, "%s%.*s:%s", used > 0 ? ", " : "", (int)strcspn(a, "/ "), a,
             b != NULL ? b : "");
}

void describe_artifacts(const struct kargo_artifacts *a, char *buf, size_t len)
{
    char sha[8];
    buf[0] = '\0';
    for (size_t i = 0; i < a->n_images; i++)
        append(buf, len, repo_short(a->images[i].repo_url), a->images[i].tag);
    for (size_t i = 0; i < a->n_charts; i++)
        append(buf, len,
               a->charts[i].name != NULL && a->charts[i].name[0] != '\0'
                   ? a->charts[i].name
                   : repo_short(a->charts[i].repo_url),
               a->charts[i].version);
    for (size_t i = 0; i < a->n_commits; i++)
        append(buf, len, repo_short(a->commits[i].repo_url),
               short_commit(a->commits[i].id, sha, sizeof sha));
    for (size_t i = 0; i < a->n_generic; i++)
        append(buf, len, a->generic[i].subscription != NULL ? a->generic[i].subscription : "",
               a->generic[i].version);
}

void describe_step(const struct kargo_promotion *pr, char *buf, size_t len)
{
    buf[0] = '\0';
    if (pr == NULL || pr->n_steps == 0 || pr->current_step < 0 ||
        kargo_promotion_terminal(pr->phase))
        return;
    long k = pr->current_step + 1;
    if ((size_t)k > pr->n_steps)
        k = (long)pr->n_steps;
    snprintf(buf, len, "%ld/%zu", k, pr->n_steps);
}
