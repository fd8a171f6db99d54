/* The terminal: curses set-up and restore, and the signals that end or resize a session. */
#ifndef KT_UI_TERM_H
#define KT_UI_TERM_H

/* Takes over the terminal (alternate screen, raw keys, no cursor). Returns 0, or -1 with *cause
 * set (no terminal, unknown TERM). Installs handlers for SIGHUP, SIGTERM, SIGINT and SIGWINCH
 * that only write to a pipe: see term_signal_fd. */
int term_init(char **cause);
/* Gives the terminal back as it was. Safe to call twice. */
void term_end(void);
/* Readable when a signal arrived; poll it beside stdin. */
int term_signal_fd(void);
/* The signal that arrived (consumes it), or 0. */
int term_take_signal(void);
/* After SIGWINCH: gives curses the terminal's new size at once (ncurses would learn it only at
 * the next key read, which may never come: the next frame would be drawn at the old size), and
 * has the next frame repaint the whole screen. */
void term_resize(void);

#endif
