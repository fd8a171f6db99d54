/* A slow link as the program sees it: a pseudo-terminal (what ssh and tmux give it) whose reader
 * has stopped. term_output_busy must say so, so that frames wait instead of blocking the loop in
 * write(), and must say the terminal is free again once the reader has caught up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ui/term.h"

static void test_busy_while_the_reader_stalls(void **state)
{
    (void)state;
    int master, slave;
    assert_int_equal(openpty(&master, &slave, NULL, NULL, NULL), 0);
    struct termios raw;
    tcgetattr(slave, &raw);
    cfmakeraw(&raw);
    tcsetattr(slave, TCSANOW, &raw);
    int saved = dup(STDOUT_FILENO);
    assert_true(saved >= 0);
    fflush(stdout);
    assert_int_equal(dup2(slave, STDOUT_FILENO), STDOUT_FILENO);

    int idle = term_output_busy();
    /* fill the terminal as a stalled ssh connection would: write until it takes no more */
    fcntl(slave, F_SETFL, fcntl(slave, F_GETFL) | O_NONBLOCK);
    char chunk[4096];
    memset(chunk, 'x', sizeof chunk);
    size_t written = 0;
    for (int i = 0; i < 4096; i++) {
        ssize_t n = write(slave, chunk, sizeof chunk);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        assert_true(n > 0);
        written += (size_t)n;
    }
    int stalled = term_output_busy();
    /* the reader catches up */
    fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
    size_t drained = 0;
    for (;;) {
        struct pollfd p = {master, POLLIN, 0};
        if (poll(&p, 1, 200) <= 0)
            break;
        ssize_t n = read(master, chunk, sizeof chunk);
        if (n <= 0)
            break;
        drained += (size_t)n;
    }
    int caught_up = term_output_busy();

    dup2(saved, STDOUT_FILENO);
    close(saved);
    close(slave);
    close(master);
    fprintf(stderr, "# the stalled terminal took %zu bytes\n", written);
    assert_false(idle);
    assert_true(written > 0);
    assert_true(stalled);
    assert_int_equal(drained, written);
    assert_false(caught_up);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_busy_while_the_reader_stalls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
