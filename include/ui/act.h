/* The dashboard's side of actions: a key of the action table opens a picker and then a
 * confirmation built from the model (action/plan.h), the confirmed request goes to the source's
 * worker (never the network on this thread), and the answer comes back as the message line.
 * Also what a key may do now (read-only, RBAC) and the Stages marked for a batch. */
#ifndef KT_UI_ACT_H
#define KT_UI_ACT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "action/action.h"
#include "action/queue.h"
#include "model/store.h"
#include "ui/dialog.h"
#include "ui/paint.h"
#include "ui/source.h"

struct act {
    const struct ui_source *src;
    bool readonly; /* --readonly, also when the source has no policy */
    struct action_policy default_policy;

    bool open; /* a dialog is up */
    struct dialog dialog;
    enum action_id id;
    int step; /* 0: picking a Freight, 1: confirming, 2: picking a Stage */
    char *stage, *freight, *promotion, *warehouse;
    char **targets, **target_freights; /* what the confirmation promotes */
    size_t n_targets;
    /* a batch: per target, what confirming does (enum act_target in act.c), and the marked
     * Stages left out before the confirmation ("dev: no Freight to promote") */
    unsigned char *target_state;
    char **left_out;
    size_t n_left_out;
    /* a single promotion's confirmation: the cluster had not said whether the user may approve,
     * so approving first is not offered yet */
    bool approve_waiting;

    char **marked; /* Stages marked for a batch, in marking order */
    size_t n_marked;
};

/* What is selected when a key is pressed. */
struct act_selection {
    const char *stage;    /* the pipeline's selected Stage, or NULL */
    enum kargo_kind kind; /* the focused selection's kind */
    const char *name;     /* and name, or NULL */
};

void act_init(struct act *a, const struct ui_source *src, bool readonly);
void act_free(struct act *a);
/* Another project opened: what was open or marked belonged to the old one. */
void act_reset(struct act *a);

/* May the key's action be used now, on Stage stage (NULL: anywhere in the project)? DENIED with
 * the reason for a person (read-only session, or the cluster's RBAC answer); UNKNOWN until the
 * cluster answered (the key then says it is checking). */
enum action_access act_access(struct act *a, enum action_id id, const char *stage, char *reason,
                              size_t len);

/* Can the key's action apply to the selection (a running promotion to abort, a hold to
 * resume...)? False sets why[len]. Takes the store's read lock: call it outside a frame's lock. */
bool act_applies(struct act *a, enum action_id id, const struct act_selection *sel, time_t now,
                 char *why, size_t len);

/* Asks (in the background) about every action, so keys are ready when pressed. */
void act_prefetch(struct act *a);

/* A key of action id: opens its picker or confirmation, or sets *msg (allocated; *error when it
 * is a refusal) and opens nothing. */
void act_start(struct act *a, enum action_id id, const struct act_selection *sel, time_t now,
               char **msg, bool *error);
/* A key while a dialog is open; may close it, queue the action and set *msg. */
void act_key(struct act *a, int key, bool is_keycode, time_t now, char **msg, bool *error);
void act_draw(struct act *a, const struct paint *p);
/* The open confirmation built again when an access answer it was waiting for has come in (a
 * batch target shown as "has not said yet", approving first not offered yet): the targets, the
 * lines and the keys offered follow the answers; what was typed and the scroll stay. Called
 * before drawing, so a key always acts on the confirmation on screen. Takes the store's read
 * lock: call it outside a frame's lock. True when it was rebuilt. */
bool act_update(struct act *a, time_t now);

/* Marks or unmarks a Stage; returns whether it is marked now. */
bool act_toggle_mark(struct act *a, const char *stage);
bool act_marked(const struct act *a, const char *stage);
void act_clear_marks(struct act *a);

/* The results that arrived since the last call: the newest's summary into *msg (allocated) and
 * whether it failed. False when none arrived. */
bool act_poll(struct act *a, char **msg, bool *error);

#endif
