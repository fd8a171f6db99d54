/* forkpty + libvterm: runs a program on a real pseudo-terminal and keeps a screen model of it. */
#include "ptyterm.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/strbuf.h"
#include "util/xalloc.h"

struct ptyterm {
    int fd;
    pid_t pid;
    bool exited;
    int status;
    int rows, cols;
    VTerm *vt;
    VTermScreen *screen;
    bool altscreen;
    bool cursor_visible;
    bool mouse; /* the program asked for mouse reports (DECSET 1000/1002/1003) */
    size_t bytes;
    char *raw; /* every byte the program wrote since the last ptyterm_raw_reset() */
    size_t raw_len, raw_cap;
};

static long long ptyterm_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int ptyterm_settermprop(VTermProp prop, VTermValue *val, void *user)
{
    struct ptyterm *t = user;
    if (prop == VTERM_PROP_ALTSCREEN)
        t->altscreen = val->boolean;
    else if (prop == VTERM_PROP_CURSORVISIBLE)
        t->cursor_visible = val->boolean;
    return 1;
}

/* The terminal answers queries (device attributes, cursor position) as a real one would. */
static void ptyterm_output(const char *s, size_t len, void *user)
{
    struct ptyterm *t = user;
    while (len > 0) {
        ssize_t n = write(t->fd, s, len);
        if (n <= 0)
            return;
        s += n;
        len -= (size_t)n;
    }
}

static const VTermScreenCallbacks ptyterm_callbacks = {
    .settermprop = ptyterm_settermprop,
};

struct ptyterm *ptyterm_spawn(char *const argv[], char *const env[], int rows, int cols)
{
    struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
    int fd;
    pid_t pid = forkpty(&fd, NULL, NULL, &ws);
    if (pid < 0)
        return NULL;
    if (pid == 0) {
        setenv("TERM", "xterm-256color", 1);
        setenv("LANG", "C.UTF-8", 1);
        unsetenv("LC_ALL");
        unsetenv("COLORTERM");
        unsetenv("NO_COLOR");
        for (size_t i = 0; env != NULL && env[i] != NULL; i++)
            putenv(env[i]);
        execvp(argv[0], argv);
        fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    struct ptyterm *t = xcalloc(1, sizeof *t);
    t->fd = fd;
    t->pid = pid;
    t->rows = rows;
    t->cols = cols;
    t->cursor_visible = true;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    t->vt = vterm_new(rows, cols);
    vterm_set_utf8(t->vt, 1);
    vterm_output_set_callback(t->vt, ptyterm_output, t);
    t->screen = vterm_obtain_screen(t->vt);
    vterm_screen_set_callbacks(t->screen, &ptyterm_callbacks, t);
    vterm_screen_enable_altscreen(t->screen, 1);
    vterm_screen_reset(t->screen, 1);
    return t;
}

static void ptyterm_reap(struct ptyterm *t)
{
    if (!t->exited && waitpid(t->pid, &t->status, WNOHANG) == t->pid)
        t->exited = true;
}

void ptyterm_free(struct ptyterm *t)
{
    if (t == NULL)
        return;
    ptyterm_reap(t);
    if (!t->exited) {
        kill(t->pid, SIGKILL);
        waitpid(t->pid, &t->status, 0);
    }
    if (t->fd >= 0)
        close(t->fd);
    vterm_free(t->vt);
    free(t->raw);
    free(t);
}

int ptyterm_send(struct ptyterm *t, const char *keys)
{
    size_t len = strlen(keys);
    while (len > 0) {
        ssize_t n = write(t->fd, keys, len);
        if (n < 0 && errno == EAGAIN) {
            ptyterm_pump(t, 10);
            continue;
        }
        if (n <= 0)
            return -1;
        keys += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Mouse modes from the raw output: libvterm 0.1.4 applies only the first mode of a DECSET with
 * several ("\033[?1006;1000h", which ncurses sends), so it cannot be asked. */
static void ptyterm_scan_modes(struct ptyterm *t, const char *buf, size_t n)
{
    for (size_t i = 0; i + 3 < n; i++) {
        if (buf[i] != '\033' || buf[i + 1] != '[' || buf[i + 2] != '?')
            continue;
        size_t j = i + 3;
        bool mouse = false;
        while (j < n && ((buf[j] >= '0' && buf[j] <= '9') || buf[j] == ';')) {
            if (j + 4 <= n && strncmp(buf + j, "100", 3) == 0 && buf[j + 3] >= '0' &&
                buf[j + 3] <= '3' && (j == i + 3 || buf[j - 1] == ';') &&
                (j + 4 == n || buf[j + 4] == ';' || buf[j + 4] == 'h' || buf[j + 4] == 'l'))
                mouse = true;
            j++;
        }
        if (mouse && j < n && (buf[j] == 'h' || buf[j] == 'l'))
            t->mouse = buf[j] == 'h';
    }
}

/* Reads what is available, waiting up to ms for the first byte. Returns bytes read, -1 at EOF. */
static ssize_t ptyterm_read_some(struct ptyterm *t, int ms)
{
    if (t->fd < 0)
        return -1;
    struct pollfd p = {t->fd, POLLIN, 0};
    if (poll(&p, 1, ms) <= 0)
        return 0;
    char buf[65536];
    ssize_t n = read(t->fd, buf, sizeof buf);
    if (n > 0) {
        t->bytes += (size_t)n;
        ptyterm_scan_modes(t, buf, (size_t)n);
        if (t->raw_len + (size_t)n + 1 > t->raw_cap) {
            size_t cap = t->raw_cap ? t->raw_cap : 65536;
            while (cap < t->raw_len + (size_t)n + 1)
                cap *= 2;
            char *nr = realloc(t->raw, cap);
            if (nr == NULL)
                abort();
            t->raw = nr;
            t->raw_cap = cap;
        }
        memcpy(t->raw + t->raw_len, buf, (size_t)n);
        t->raw_len += (size_t)n;
        t->raw[t->raw_len] = '\0';
        vterm_input_write(t->vt, buf, (size_t)n);
        return n;
    }
    if (n < 0 && errno == EAGAIN)
        return 0;
    return -1; /* EIO: the program closed the terminal */
}

long ptyterm_read(struct ptyterm *t, int ms)
{
    return (long)ptyterm_read_some(t, ms);
}

void ptyterm_pump(struct ptyterm *t, int ms)
{
    long long deadline = ptyterm_now_ms() + ms;
    for (;;) {
        long long left = deadline - ptyterm_now_ms();
        if (left <= 0 || ptyterm_read_some(t, (int)left) < 0)
            return;
    }
}

static void ptyterm_append_cell(struct strbuf *sb, const VTermScreenCell *c)
{
    if (c->chars[0] == 0) {
        strbuf_append_char(sb, ' ');
        return;
    }
    for (int i = 0; i < VTERM_MAX_CHARS_PER_CELL && c->chars[i] != 0; i++) {
        uint32_t u = c->chars[i];
        char out[4];
        size_t n;
        if (u < 0x80) {
            out[0] = (char)u;
            n = 1;
        } else if (u < 0x800) {
            out[0] = (char)(0xC0 | (u >> 6));
            out[1] = (char)(0x80 | (u & 0x3F));
            n = 2;
        } else if (u < 0x10000) {
            out[0] = (char)(0xE0 | (u >> 12));
            out[1] = (char)(0x80 | ((u >> 6) & 0x3F));
            out[2] = (char)(0x80 | (u & 0x3F));
            n = 3;
        } else {
            out[0] = (char)(0xF0 | (u >> 18));
            out[1] = (char)(0x80 | ((u >> 12) & 0x3F));
            out[2] = (char)(0x80 | ((u >> 6) & 0x3F));
            out[3] = (char)(0x80 | (u & 0x3F));
            n = 4;
        }
        strbuf_append_len(sb, out, n);
    }
}

char *ptyterm_row(struct ptyterm *t, int row)
{
    struct strbuf sb;
    strbuf_init(&sb);
    for (int col = 0; col < t->cols; col++) {
        VTermScreenCell c;
        vterm_screen_get_cell(t->screen, (VTermPos){row, col}, &c);
        ptyterm_append_cell(&sb, &c);
        if (c.width > 1)
            col += c.width - 1;
    }
    while (sb.len > 0 && sb.buf[sb.len - 1] == ' ')
        sb.buf[--sb.len] = '\0';
    return strbuf_detach(&sb);
}

char *ptyterm_text(struct ptyterm *t, int row, int col, int ncols)
{
    struct strbuf sb;
    strbuf_init(&sb);
    int end = col + ncols < t->cols ? col + ncols : t->cols;
    for (int c = col < 0 ? 0 : col; row >= 0 && row < t->rows && c < end; c++) {
        VTermScreenCell cell;
        vterm_screen_get_cell(t->screen, (VTermPos){row, c}, &cell);
        ptyterm_append_cell(&sb, &cell);
        if (cell.width > 1)
            c += cell.width - 1;
    }
    size_t lead = strspn(sb.buf, " ");
    while (sb.len > lead && sb.buf[sb.len - 1] == ' ')
        sb.buf[--sb.len] = '\0';
    char *s = xstrdup(sb.buf + lead);
    strbuf_free(&sb);
    return s;
}

char *ptyterm_screen(struct ptyterm *t)
{
    struct strbuf sb;
    strbuf_init(&sb);
    for (int row = 0; row < t->rows; row++) {
        char *r = ptyterm_row(t, row);
        strbuf_append(&sb, r);
        strbuf_append_char(&sb, '\n');
        free(r);
    }
    return strbuf_detach(&sb);
}

/* Column of a byte offset in a row's UTF-8 text, counting each code point as one cell (the
 * screens we test use single-width glyphs). */
static int ptyterm_byte_to_col(const char *row, size_t off)
{
    int col = 0;
    for (size_t i = 0; i < off; i++)
        if (((unsigned char)row[i] & 0xC0) != 0x80)
            col++;
    return col;
}

bool ptyterm_find(struct ptyterm *t, const char *text, int *row, int *col)
{
    for (int r = 0; r < t->rows; r++) {
        char *line = ptyterm_row(t, r);
        char *hit = strstr(line, text);
        if (hit != NULL) {
            if (row)
                *row = r;
            if (col)
                *col = ptyterm_byte_to_col(line, (size_t)(hit - line));
            free(line);
            return true;
        }
        free(line);
    }
    return false;
}

static bool ptyterm_wait(struct ptyterm *t, const char *text, bool present, int timeout_ms)
{
    long long deadline = ptyterm_now_ms() + timeout_ms;
    for (;;) {
        if (ptyterm_find(t, text, NULL, NULL) == present)
            return true;
        long long left = deadline - ptyterm_now_ms();
        if (left <= 0)
            return false;
        if (ptyterm_read_some(t, (int)(left < 50 ? left : 50)) < 0) {
            /* the program is gone: the screen will not change any more */
            return ptyterm_find(t, text, NULL, NULL) == present;
        }
    }
}

bool ptyterm_wait_text(struct ptyterm *t, const char *text, int timeout_ms)
{
    return ptyterm_wait(t, text, true, timeout_ms);
}

bool ptyterm_wait_gone(struct ptyterm *t, const char *text, int timeout_ms)
{
    return ptyterm_wait(t, text, false, timeout_ms);
}

bool ptyterm_cell(struct ptyterm *t, int row, int col, VTermScreenCell *cell)
{
    if (row < 0 || row >= t->rows || col < 0 || col >= t->cols)
        return false;
    return vterm_screen_get_cell(t->screen, (VTermPos){row, col}, cell) != 0;
}

void ptyterm_resize(struct ptyterm *t, int rows, int cols)
{
    struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
    t->rows = rows;
    t->cols = cols;
    vterm_set_size(t->vt, rows, cols);
    ioctl(t->fd, TIOCSWINSZ, &ws);
    kill(t->pid, SIGWINCH);
}

bool ptyterm_wait_exit(struct ptyterm *t, int timeout_ms, int *status)
{
    long long deadline = ptyterm_now_ms() + timeout_ms;
    for (;;) {
        ptyterm_reap(t);
        if (t->exited) {
            ptyterm_pump(t, 0); /* the last bytes: terminal restore sequences */
            while (ptyterm_read_some(t, 0) > 0)
                ;
            if (status)
                *status = t->status;
            return true;
        }
        long long left = deadline - ptyterm_now_ms();
        if (left <= 0)
            return false;
        if (ptyterm_read_some(t, (int)(left < 20 ? left : 20)) < 0) {
            /* EOF on the terminal: the program is exiting; give waitpid a moment */
            struct timespec ts = {0, 5 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
}

void ptyterm_hangup(struct ptyterm *t)
{
    if (t->fd >= 0) {
        close(t->fd);
        t->fd = -1;
    }
}

pid_t ptyterm_pid(struct ptyterm *t)
{
    return t->pid;
}

bool ptyterm_altscreen(struct ptyterm *t)
{
    return t->altscreen;
}

bool ptyterm_cursor_visible(struct ptyterm *t)
{
    return t->cursor_visible;
}

bool ptyterm_mouse(struct ptyterm *t)
{
    return t->mouse;
}

const char *ptyterm_raw(struct ptyterm *t, size_t *len)
{
    *len = t->raw_len;
    return t->raw != NULL ? t->raw : "";
}

void ptyterm_raw_reset(struct ptyterm *t)
{
    t->raw_len = 0;
    if (t->raw != NULL)
        t->raw[0] = '\0';
}

size_t ptyterm_bytes(struct ptyterm *t)
{
    return t->bytes;
}

void ptyterm_dump(struct ptyterm *t, const char *why)
{
    char *s = ptyterm_screen(t);
    fprintf(stderr, "--- screen (%dx%d) %s ---\n%s--- end of screen ---\n", t->cols, t->rows,
            why ? why : "", s);
    free(s);
}
