/* What the user must see, as cmocka assertions on a pseudo-terminal: each waits for the screen
 * up to a deadline and, when the state never comes, dumps the screen and fails the test. */
#ifndef KT_TEST_EXPECT_H
#define KT_TEST_EXPECT_H

#include "ptyterm.h"

/* Generous for a loaded machine (two cores shared by several sessions, or CI under ASan). */
#define EXPECT_WAIT_MS 20000

/* The screen shows text somewhere within ms milliseconds. */
void expect_text_within(struct ptyterm *t, const char *text, int ms);
/* The same within EXPECT_WAIT_MS. */
void expect_text(struct ptyterm *t, const char *text);
/* text leaves the screen within EXPECT_WAIT_MS. */
void expect_gone(struct ptyterm *t, const char *text);
/* Sends key and expects the program to exit with status 0 within ms; frees t. */
void expect_quit(struct ptyterm *t, const char *key, int ms);

#endif
