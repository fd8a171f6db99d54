/* Curses set-up and teardown; signal handling through a self-pipe so no work runs in a handler. */
#include "ui/term.h"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "util/xalloc.h"

static int term_pipe[2] = {-1, -1};
static bool term_active;
static SCREEN *term_screen;
static struct sigaction term_old_winch;

static void term_on_signal(int sig)
{
    int saved = errno;
    /* ncurses' own handler records the new size so getch reports KEY_RESIZE; the pipe byte
     * wakes the loop even when the signal arrived outside poll(). */
    if (sig == SIGWINCH && term_old_winch.sa_handler != SIG_DFL &&
        term_old_winch.sa_handler != SIG_IGN && !(term_old_winch.sa_flags & SA_SIGINFO))
        term_old_winch.sa_handler(sig);
    unsigned char b = (unsigned char)sig;
    if (write(term_pipe[1], &b, 1) < 0) {
        /* the pipe is full: a signal is already pending, which is all the loop needs */
    }
    errno = saved;
}

static void term_set_nonblock(int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
}

int term_init(char **cause)
{
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        cause_set(cause, "the dashboard needs a terminal (use 'kargotop --help' for options)");
        return -1;
    }
    if (term_pipe[0] == -1) {
        if (pipe(term_pipe) != 0) {
            cause_set(cause, "pipe: %s", strerror(errno));
            return -1;
        }
        term_set_nonblock(term_pipe[0]);
        term_set_nonblock(term_pipe[1]);
    }
    setlocale(LC_ALL, "");
    term_screen = newterm(NULL, stdout, stdin);
    if (term_screen == NULL) {
        const char *t = getenv("TERM");
        cause_set(cause, "cannot use terminal type '%s' (is TERM right?)", t ? t : "(unset)");
        return -1;
    }
    term_active = true;
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    leaveok(stdscr, TRUE);
    curs_set(0);
    set_escdelay(25);
    /* arrows in both cursor-key modes: some terminals (and multiplexers in between) send the
     * normal-mode sequences although keypad mode asked for the application ones */
    static const struct {
        const char *seq;
        int key;
    } csi_keys[] = {{"\033[A", KEY_UP},   {"\033[B", KEY_DOWN}, {"\033[C", KEY_RIGHT},
                    {"\033[D", KEY_LEFT}, {"\033[H", KEY_HOME}, {"\033[F", KEY_END}};
    for (size_t i = 0; i < sizeof csi_keys / sizeof csi_keys[0]; i++)
        define_key(csi_keys[i].seq, csi_keys[i].key);
    if (has_colors()) {
        start_color();
        use_default_colors();
    }

    /* After newterm, which installs its own: ours only queue the signal for the main loop,
     * which then restores the terminal and exits (SIGHUP is a dropped SSH session). */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = term_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGWINCH, &sa, &term_old_winch);
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

void term_end(void)
{
    if (!term_active)
        return;
    term_active = false;
    sigaction(SIGWINCH, &term_old_winch, NULL);
    curs_set(1);
    endwin();
    delscreen(term_screen);
    term_screen = NULL;
}

int term_signal_fd(void)
{
    return term_pipe[0];
}

int term_take_signal(void)
{
    unsigned char b;
    if (term_pipe[0] >= 0 && read(term_pipe[0], &b, 1) == 1)
        return b;
    return 0;
}

void term_resize(void)
{
    if (!term_active)
        return;
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0 &&
        (ws.ws_row != LINES || ws.ws_col != COLS))
        resizeterm(ws.ws_row, ws.ws_col);
    /* the terminal may have cut or reflowed what it showed, even when the size ends up as it
     * was (shrunk and grown back before we looked): the next frame repaints every cell */
    clearok(curscr, TRUE);
}
