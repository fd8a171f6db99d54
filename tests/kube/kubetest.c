/* Helpers of the kube tests. */
/* nftw() is an XSI function. */
#define _XOPEN_SOURCE 700
#include "kubetest.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/strbuf.h"
#include "util/xalloc.h"

char *kt_mkdtemp(void)
{
    const char *tmp = getenv("TMPDIR");
    char *dir = xasprintf("%s/kt-kube-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        abort();
    }
    return dir;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

void kt_rmtree(const char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *kt_write(const char *dir, const char *name, const char *text, bool exec)
{
    char *path = xasprintf("%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, exec ? 0700 : 0600);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
        perror(path);
        abort();
    }
    close(fd);
    return path;
}

char *kt_slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    struct strbuf sb;
    strbuf_init(&sb);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        strbuf_append_len(&sb, buf, n);
    fclose(f);
    return strbuf_detach(&sb);
}

long long kt_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool kt_wait_until(bool (*cond)(void *ctx), void *ctx, long timeout_ms)
{
    long long deadline = kt_now_ms() + timeout_ms;
    for (;;) {
        if (cond(ctx))
            return true;
        if (kt_now_ms() >= deadline)
            return false;
        struct timespec ts = {0, 5 * 1000000L};
        nanosleep(&ts, NULL);
    }
}
