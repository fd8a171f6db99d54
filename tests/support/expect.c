/* Screen assertions of the end-to-end tests (see expect.h). */
#include "expect.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/wait.h>

void expect_text_within(struct ptyterm *t, const char *text, int ms)
{
    if (!ptyterm_wait_text(t, text, ms)) {
        ptyterm_dump(t, text);
        fail_msg("the screen never showed '%s'", text);
    }
}

void expect_text(struct ptyterm *t, const char *text)
{
    expect_text_within(t, text, EXPECT_WAIT_MS);
}

void expect_gone(struct ptyterm *t, const char *text)
{
    if (!ptyterm_wait_gone(t, text, EXPECT_WAIT_MS)) {
        ptyterm_dump(t, text);
        fail_msg("the screen kept showing '%s'", text);
    }
}

void expect_quit(struct ptyterm *t, const char *key, int ms)
{
    int status;
    ptyterm_send(t, key);
    if (!ptyterm_wait_exit(t, ms, &status)) {
        ptyterm_dump(t, "did not exit");
        fail_msg("the program did not exit within %d ms of '%s'", ms, key);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        /* what it printed on leaving the screen says why (an error, a sanitizer's report) */
        ptyterm_dump(t, "after a non-zero exit");
        fail_msg("the program exited with status 0x%x, not 0", status);
    }
    ptyterm_free(t);
}
