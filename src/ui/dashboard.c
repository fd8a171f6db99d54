/* The main loop: sleeps in poll() on the keyboard, the signal pipe and the session's wake-up fd
 * (never busy), and draws a frame only after a key, a resize, a model change or when what is on
 * screen changes with the clock (relative ages, a soak counting down, midnight for absolute
 * ages), at the age refresh period at most. A frame waits while the terminal has
 * not taken the last one (a slow link), so frames never queue: the next one draws the latest. */
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

/* How often a waiting frame looks again whether the terminal has caught up. */
#define DASHBOARD_BUSY_RECHECK_MS 50

static bool dashboard_colour(enum options_colour mode)
{
    if (mode == OPTIONS_COLOUR_NEVER)
        return false;
    if (mode == OPTIONS_COLOUR_ALWAYS)
        return true;
    /* NO_COLOR (no-color.org): any non-empty value turns colour off; attributes stay */
    const char *no_colour = getenv("NO_COLOR");
    return no_colour == NULL || no_colour[0] == '\0';
}

/* Milliseconds until the screen's next change by itself (at), but not before the next multiple
 * of period seconds of the wall clock (so relative ages change in step with it), a few ms late
 * rather than early. */
static int dashboard_tick_ms(time_t at, int period)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    long long now_ms = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    long long p = (long long)period * 1000;
    long long due = now_ms - now_ms % p + p;
    if ((long long)at * 1000 > due)
        due = (long long)at * 1000;
    long long ms = due - now_ms + 5;
    return ms > 24LL * 3600 * 1000 ? 24 * 3600 * 1000 : (int)ms;
}

int dashboard_run(const struct options *o, const struct dashboard_look *look,
                  const struct ui_source *src, const char *not_connected, char **cause)
{
    if (term_init(cause) != 0)
        return -1;
    bool utf8 = !o->ascii && strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
    if (!utf8)
        term_ascii_lines();
    if (o->mouse) {
        mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
        mouseinterval(0);
    }
    struct screen_opts so = {
        .readonly = o->readonly,
        .colour = dashboard_colour(o->colour),
        .utf8 = utf8,
        .theme = look != NULL ? look->theme : NULL,
        .notice = look != NULL ? look->notice : NULL,
        .mouse = o->mouse,
        .keys = look != NULL ? look->keys : NULL,
        .relative_ages = o->relative_ages,
    };
    int period = o->age_refresh == 0 ? 1 : o->age_refresh;
    struct screen *scr = screen_new(src, &so, not_connected);
    time_t drawn = time(NULL);
    screen_draw(scr, drawn);
    bool quit = false, pending = false;
    while (!quit && !screen_quit(scr)) {
        /* asked every time: :ctx replaces the connection and its fd */
        int wake = src != NULL && src->wake_fd != NULL ? src->wake_fd(src->ctx) : -1;
        struct pollfd fds[3] = {
            {STDIN_FILENO, POLLIN, 0}, {term_signal_fd(), POLLIN, 0}, {wake, POLLIN, 0}};
        int timeout = -1;
        if (pending)
            timeout = DASHBOARD_BUSY_RECHECK_MS;
        else if (screen_tick_at(scr) != 0 && period > 0)
            timeout = dashboard_tick_ms(screen_tick_at(scr), period);
        int n = poll(fds, wake >= 0 ? 3 : 2, timeout);
        if (n < 0) {
            if (errno != EINTR)
                break;
            fds[0].revents = POLLIN; /* SIGWINCH: ncurses queues KEY_RESIZE, read below */
        }
        bool redraw = pending || (n == 0 && time(NULL) != drawn);
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
                /* after a resize the terminal may have clipped or reflowed what it showed, so
                 * what curses believes is there cannot be trusted: repaint it all, once */
                if (r == KEY_CODE_YES && wc == KEY_RESIZE)
                    clearok(curscr, TRUE);
                screen_key(scr, (int)wc, r == KEY_CODE_YES);
                redraw = true;
            }
        }
        if (redraw && !quit && !screen_quit(scr)) {
            /* a slow link: keep the frame for when the terminal has taken the last one */
            pending = term_output_busy();
            if (!pending) {
                drawn = time(NULL);
                screen_draw(scr, drawn);
            }
        }
    }
    screen_free(scr);
    term_end();
    return 0;
}
