/* A program running in a pseudo-terminal of a given size, with a libvterm screen the test reads:
 * text, colours, attributes, and terminal modes. Waits have deadlines; nothing sleeps blindly. */
#ifndef KT_TEST_PTYTERM_H
#define KT_TEST_PTYTERM_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <vterm.h>

struct ptyterm;

/* Starts argv[0] (found on PATH unless it has a '/') in a rows x cols pseudo-terminal with
 * TERM=xterm-256color and LANG=C.UTF-8; env holds further NAME=VALUE strings (NULL-terminated,
 * may be NULL) that are set after those, so they can override them. Returns NULL on failure. */
struct ptyterm *ptyterm_spawn(char *const argv[], char *const env[], int rows, int cols);
/* Kills the program if it still runs and frees everything. */
void ptyterm_free(struct ptyterm *t);

/* Writes bytes as typed keys. Returns 0 or -1. */
int ptyterm_send(struct ptyterm *t, const char *keys);
/* Reads what the program wrote for up to ms milliseconds (returns earlier once it is quiet after
 * output has arrived only if quiet is true). */
void ptyterm_pump(struct ptyterm *t, int ms);

/* Reads what is available, waiting up to ms for the first byte (and no longer once some came).
 * Returns the bytes read, 0 if none came, -1 once the program closed the terminal. For
 * benchmarks timing when output arrives. */
long ptyterm_read(struct ptyterm *t, int ms);

/* Waits until the screen shows text somewhere, up to timeout_ms. Returns true if it did. */
bool ptyterm_wait_text(struct ptyterm *t, const char *text, int timeout_ms);
/* Waits until text is no longer anywhere on the screen. */
bool ptyterm_wait_gone(struct ptyterm *t, const char *text, int timeout_ms);
/* Finds text on the screen: row and column of its first cell. */
bool ptyterm_find(struct ptyterm *t, const char *text, int *row, int *col);
/* The screen as UTF-8, rows separated by '\n', trailing blanks trimmed. Caller frees. */
char *ptyterm_screen(struct ptyterm *t);
/* One row as UTF-8, trailing blanks trimmed. Caller frees. */
char *ptyterm_row(struct ptyterm *t, int row);
/* The text of ncols cells of a row from col, leading and trailing blanks trimmed. Caller frees. */
char *ptyterm_text(struct ptyterm *t, int row, int col, int ncols);
/* The cell at (row, col): its glyph, colours and attributes. */
bool ptyterm_cell(struct ptyterm *t, int row, int col, VTermScreenCell *cell);

/* Resizes the terminal (the program gets SIGWINCH). */
void ptyterm_resize(struct ptyterm *t, int rows, int cols);
/* Waits for the program to exit. Returns true and its wait status if it did in time. */
bool ptyterm_wait_exit(struct ptyterm *t, int timeout_ms, int *status);
/* Closes our side of the terminal, as a dropped SSH connection does. */
void ptyterm_hangup(struct ptyterm *t);

pid_t ptyterm_pid(struct ptyterm *t);
bool ptyterm_altscreen(struct ptyterm *t);      /* is the alternate screen active? */
bool ptyterm_cursor_visible(struct ptyterm *t); /* is the cursor shown? */
bool ptyterm_mouse(struct ptyterm *t);          /* did the program turn mouse reports on? */
size_t ptyterm_bytes(struct ptyterm *t);        /* bytes the program has written in all */
/* The raw bytes the program wrote (escape sequences included) since it started or since the last
 * ptyterm_raw_reset(), NUL-terminated for convenience (the bytes may hold NULs too). */
const char *ptyterm_raw(struct ptyterm *t, size_t *len);
void ptyterm_raw_reset(struct ptyterm *t);
/* Writes the screen to stderr: call on failure so the log shows what the user would have seen. */
void ptyterm_dump(struct ptyterm *t, const char *why);

#endif
