/* The main loop: waits on the keyboard and signals (never busy), draws the frame and help. */
#include "ui/dashboard.h"

#include <curses.h>
#include <errno.h>
#include <langinfo.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ui/draw.h"
#include "ui/keymap.h"
#include "ui/term.h"
#include "ui/theme.h"
#include "util/strbuf.h"

/* Below this the frame cannot be drawn legibly; say so instead of drawing garbage. */
#define DASHBOARD_MIN_COLS 80
#define DASHBOARD_MIN_ROWS 24

struct dashboard {
    const struct options *opts;
    struct theme theme;
    bool utf8; /* the locale's charset: box glyphs and placeholders follow it */
    bool help;
    bool quit;
};

/* Writes s at (y, x), clipped to the screen; safe at any size down to 1x1. */
static void dashboard_put(int y, int x, const char *s, attr_t attr)
{
    if (y < 0 || y >= LINES || x < 0 || x >= COLS)
        return;
    attron(attr);
    mvaddnstr(y, x, s, COLS - x);
    attroff(attr);
}

static void dashboard_draw_too_small(void)
{
    char msg[96];
    snprintf(msg, sizeof msg, "kargotop needs %dx%d; this terminal is %dx%d", DASHBOARD_MIN_COLS,
             DASHBOARD_MIN_ROWS, COLS, LINES);
    int len = (int)strlen(msg);
    dashboard_put(LINES / 2, len < COLS ? (COLS - len) / 2 : 0, msg, A_BOLD);
}

static void dashboard_draw_help(void)
{
    int w = 56, h = 4;
    for (size_t i = 0; keymap_at(i) != NULL; i++)
        h++;
    if (w > COLS)
        w = COLS;
    if (h > LINES)
        h = LINES;
    WINDOW *win = newwin(h, w, (LINES - h) / 2, (COLS - w) / 2);
    if (win == NULL)
        return;
    werase(win);
    box(win, 0, 0);
    wattron(win, A_BOLD);
    mvwaddstr(win, 0, 2, " Keys ");
    wattroff(win, A_BOLD);
    for (size_t i = 0; keymap_at(i) != NULL && (int)i + 2 < h - 1; i++) {
        const struct keymap_entry *k = keymap_at(i);
        char line[80];
        snprintf(line, sizeof line, "%-8s %s", k->keyname, k->help);
        mvwaddnstr(win, 2 + (int)i, 2, line, w - 4);
    }
    /* drawn after stdscr so the overlay lands on top in the same update */
    wnoutrefresh(stdscr);
    wnoutrefresh(win);
    delwin(win);
}

static void dashboard_draw(struct dashboard *d)
{
    erase();
    if (COLS < DASHBOARD_MIN_COLS || LINES < DASHBOARD_MIN_ROWS) {
        dashboard_draw_too_small();
        refresh();
        return;
    }
    struct strbuf top;
    strbuf_init(&top);
    strbuf_appendf(&top, " kargotop %s", KARGOTOP_VERSION);
    if (d->opts->project)
        strbuf_appendf(&top, "  project: %s", d->opts->project);
    if (d->opts->readonly)
        strbuf_append(&top, "  [read-only]");
    draw_text_fill(stdscr, 0, 0, COLS, top.buf, theme_attr(&d->theme, THEME_TOPBAR), d->utf8);
    strbuf_free(&top);

    int y = LINES / 2 - 2;
    dashboard_put(y++, 4, "Not connected to a cluster.", A_BOLD);
    dashboard_put(y++, 4, "This build draws the frame only: reading the kubeconfig and watching",
                  0);
    dashboard_put(y++, 4, "Kargo resources come with the Kubernetes client.", 0);
    if (d->opts->demo)
        dashboard_put(++y, 4, "--demo: the simulated Kargo cluster is not part of this build yet.",
                      A_BOLD);

    int x = 1;
    const struct keymap_entry *k;
    for (size_t i = 0; (k = keymap_at(i)) != NULL; i++) {
        if (k->hint == NULL)
            continue;
        x += draw_text(stdscr, LINES - 1, x, COLS - x, k->keyname,
                       theme_attr(&d->theme, THEME_KEY_HINT), d->utf8);
        x += 1 + draw_text(stdscr, LINES - 1, x + 1, COLS - x - 1, k->hint,
                           theme_attr(&d->theme, THEME_DIM), d->utf8);
        x += 2;
    }
    if (d->help) {
        dashboard_draw_help();
        doupdate();
        return;
    }
    refresh();
}

static void dashboard_key(struct dashboard *d, int key)
{
    if (key == KEY_RESIZE)
        return; /* ncurses already knows the new size; the redraw follows */
    const struct keymap_entry *k = keymap_lookup(key);
    switch (k ? k->action : UI_ACTION_NONE) {
    case UI_ACTION_QUIT:
        d->quit = true;
        break;
    case UI_ACTION_HELP:
        d->help = !d->help;
        break;
    case UI_ACTION_BACK:
        d->help = false;
        break;
    case UI_ACTION_REDRAW:
        clearok(curscr, TRUE);
        break;
    case UI_ACTION_NONE:
        break;
    }
}

int dashboard_run(const struct options *o, char **cause)
{
    struct dashboard d = {.opts = o};

    if (term_init(cause) != 0)
        return -1;
    d.utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
    /* NO_COLOR (no-color.org): any non-empty value turns colour off; attributes stay */
    const char *no_colour = getenv("NO_COLOR");
    bool colour = has_colors() && (no_colour == NULL || no_colour[0] == '\0');
    if (colour)
        theme_default(&d.theme);
    else
        theme_mono(&d.theme);
    theme_apply(&d.theme, colour);
    dashboard_draw(&d);
    while (!d.quit) {
        struct pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {term_signal_fd(), POLLIN, 0}};
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) {
                /* SIGWINCH: ncurses queues KEY_RESIZE, read below */
                fds[0].revents = POLLIN;
            } else {
                break;
            }
        }
        bool redraw = false;
        if (fds[1].revents & POLLIN) {
            int sig = term_take_signal();
            if (sig != SIGWINCH && sig != 0)
                break; /* SIGHUP, SIGTERM, SIGINT: leave cleanly */
            redraw = true;
        }
        if (fds[0].revents & (POLLHUP | POLLERR | POLLNVAL))
            break; /* the terminal went away: never keep running without one */
        for (;;) {
            errno = 0;
            int key = getch();
            if (key == ERR) {
                if (errno == EIO || errno == EPIPE || errno == EBADF)
                    d.quit = true;
                break;
            }
            dashboard_key(&d, key);
            redraw = true;
        }
        if (redraw && !d.quit)
            dashboard_draw(&d);
    }
    term_end();
    return 0;
}
