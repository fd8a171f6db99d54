/* The main loop: sleeps in poll() on the keyboard, the signal pipe and the session's wake-up fd
 * (never busy), and draws a frame only after a key, a resize, a model change or, while ages are
 * on screen, the clock's next second. */
#include "ui/dashboard.h"

#include <curses.h>
#include <errno.h>
#include <langinfo.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ui/screen.h"
#include "ui/term.h"

int dashboard_run(const struct options *o, const struct ui_source *src, const char *not_connected,
                  char **cause)
{
    if (term_init(cause) != 0)
        return -1;
    /* NO_COLOR (no-color.org): any non-empty value turns colour off; attributes stay */
    const char *no_colour = getenv("NO_COLOR");
    struct screen_opts so = {
        .readonly = o->readonly,
        .colour = has_colors() && (no_colour == NULL || no_colour[0] == '\0'),
        .utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0,
    };
    struct screen *scr = screen_new(src, &so, not_connected);
    time_t drawn = time(NULL);
    screen_draw(scr, drawn);
    bool quit = false;
    while (!quit && !screen_quit(scr)) {
        /* asked every time: :ctx replaces the connection and its fd */
        int wake = src != NULL && src->wake_fd != NULL ? src->wake_fd(src->ctx) : -1;
        struct pollfd fds[3] = {
            {STDIN_FILENO, POLLIN, 0}, {term_signal_fd(), POLLIN, 0}, {wake, POLLIN, 0}};
        /* ages on screen tick at the next second boundary, never more often */
        int timeout = -1;
        if (screen_ticks(scr)) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            timeout = 1000 - (int)(ts.tv_nsec / 1000000) + 5;
        }
        int n = poll(fds, wake >= 0 ? 3 : 2, timeout);
        if (n < 0) {
            if (errno != EINTR)
                break;
            fds[0].revents = POLLIN; /* SIGWINCH: ncurses queues KEY_RESIZE, read below */
        }
        bool redraw = n == 0 && time(NULL) != drawn;
        if (fds[1].revents & POLLIN) {
            int sig = term_take_signal();
            if (sig != SIGWINCH && sig != 0)
                break; /* SIGHUP, SIGTERM, SIGINT: leave cleanly */
            if (sig == SIGWINCH)
                term_resize();
            redraw = true;
        }
        if (wake >= 0 && (fds[2].revents & POLLIN)) {
            if (src->drain != NULL)
                src->drain(src->ctx);
            redraw = true;
        }
        if (fds[0].revents & (POLLHUP | POLLERR | POLLNVAL))
            break; /* the terminal went away: never keep running without one */
        if (fds[0].revents & POLLIN) {
            for (;;) {
                errno = 0;
                wint_t wc;
                int r = get_wch(&wc);
                if (r == ERR) {
                    if (errno == EIO || errno == EPIPE || errno == EBADF)
                        quit = true;
                    break;
                }
                screen_key(scr, (int)wc, r == KEY_CODE_YES);
                redraw = true;
            }
        }
        if (redraw && !quit && !screen_quit(scr)) {
            drawn = time(NULL);
            screen_draw(scr, drawn);
        }
    }
    screen_free(scr);
    term_end();
    return 0;
}
