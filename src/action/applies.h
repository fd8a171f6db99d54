/* Private to src/action: the actions table's applies() predicates (applies.c). */
#ifndef KT_ACTION_APPLIES_H
#define KT_ACTION_APPLIES_H

#include "action/action.h"

bool applies_promote(const struct store *st, const struct action_subject *s, time_t now, char *why,
                     size_t len);
bool applies_downstream(const struct store *st, const struct action_subject *s, time_t now,
                        char *why, size_t len);
bool applies_rollback(const struct store *st, const struct action_subject *s, time_t now, char *why,
                      size_t len);
bool applies_resume(const struct store *st, const struct action_subject *s, time_t now, char *why,
                    size_t len);
bool applies_approve(const struct store *st, const struct action_subject *s, time_t now, char *why,
                     size_t len);
bool applies_abort(const struct store *st, const struct action_subject *s, time_t now, char *why,
                   size_t len);
bool applies_refresh(const struct store *st, const struct action_subject *s, time_t now, char *why,
                     size_t len);
bool applies_refresh_warehouse(const struct store *st, const struct action_subject *s, time_t now,
                               char *why, size_t len);
bool applies_reverify(const struct store *st, const struct action_subject *s, time_t now, char *why,
                      size_t len);
bool applies_abort_verification(const struct store *st, const struct action_subject *s, time_t now,
                                char *why, size_t len);

#endif
