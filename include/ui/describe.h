/* How Kargo objects read in a few cells: the role and icon of a phase or health, the main
 * artifact of a Freight, a Promotion's step. Presentation only: what the state is comes from the
 * model's derived state. */
#ifndef KT_UI_DESCRIBE_H
#define KT_UI_DESCRIBE_H

#include <stddef.h>

#include "model/derive.h"
#include "model/kargo.h"
#include "ui/paint.h"

enum theme_role describe_phase_role(enum stage_phase ph);
const char *describe_phase_icon(const struct paint *p, enum stage_phase ph);
enum theme_role describe_health_role(enum stage_health h);
const char *describe_health_icon(const struct paint *p, enum stage_health h);
/* A Promotion phase ("Running", "Succeeded", ...) as a role. */
enum theme_role describe_promotion_role(const char *phase);
/* The artifact a person recognises a Freight by: the first image's tag, else the chart version,
 * else the short commit, else the generic version; "" when it has none. Into buf. */
void describe_artifact(const struct kargo_artifacts *a, char *buf, size_t len);
/* Every artifact of a Freight, comma-separated, each as describe_artifact picks its version
 * with the repository's last path element: "backstage:0.6.1, chart:1.2.0". Into buf. */
void describe_artifacts(const struct kargo_artifacts *a, char *buf, size_t len);
/* "2/5" for a Promotion working on its second of five steps; "" when it has no step running. */
void describe_step(const struct kargo_promotion *pr, char *buf, size_t len);

#endif
