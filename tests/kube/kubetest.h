/* Helpers of the kube tests: scratch directories, files, deadline-based waiting, a sim to talk to.
 */
#ifndef KT_TEST_KUBETEST_H
#define KT_TEST_KUBETEST_H

#include <stdbool.h>

/* A fresh directory under $TMPDIR (or /tmp); the caller frees the path after kt_rmtree. */
char *kt_mkdtemp(void);
void kt_rmtree(const char *dir);
/* Writes text to dir/name (mode 0600, or 0700 when exec is true); returns the path (allocated). */
char *kt_write(const char *dir, const char *name, const char *text, bool exec);
/* The whole file as a string, or NULL. */
char *kt_slurp(const char *path);
long long kt_now_ms(void);
/* Polls cond(ctx) every few milliseconds until it is true or timeout_ms passed; returns cond. */
bool kt_wait_until(bool (*cond)(void *ctx), void *ctx, long timeout_ms);

/* A listening socket on 127.0.0.1 whose accept queue is full: the kernel drops further SYNs, so
 * a client's connect neither succeeds nor fails until its own timeout. */
struct kt_blackhole {
    int listener;
    int port;
    int fillers[8];
    int nfillers;
};
/* Returns 0, or -1 (with a message on stderr) when the queue cannot be filled. */
int kt_blackhole_open(struct kt_blackhole *b);
void kt_blackhole_close(struct kt_blackhole *b);

#endif
