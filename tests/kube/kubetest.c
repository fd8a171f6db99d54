/* Helpers of the kube tests. */
/* nftw() is an XSI function. */
#define _XOPEN_SOURCE 700
#include "kubetest.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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

int kt_blackhole_open(struct kt_blackhole *b)
{
    memset(b, 0, sizeof *b);
    b->listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    if (b->listener < 0 || bind(b->listener, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        listen(b->listener, 0) != 0 ||
        getsockname(b->listener, (struct sockaddr *)&sa, &len) != 0) {
        perror("blackhole listener");
        return -1;
    }
    b->port = ntohs(sa.sin_port);
    /* Connect until one connection stays pending: the queue is then full. */
    while (b->nfillers < 8) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        if (s < 0) {
            perror("blackhole socket");
            return -1;
        }
        fcntl(s, F_SETFL, O_NONBLOCK);
        b->fillers[b->nfillers++] = s;
        if (connect(s, (struct sockaddr *)&sa, sizeof sa) == 0)
            continue;
        if (errno != EINPROGRESS) {
            perror("blackhole connect");
            return -1;
        }
        struct pollfd pfd = {.fd = s, .events = POLLOUT};
        if (poll(&pfd, 1, 300) == 0)
            return 0;
    }
    fprintf(stderr, "blackhole: the listener's queue never filled\n");
    return -1;
}

void kt_blackhole_close(struct kt_blackhole *b)
{
    for (int i = 0; i < b->nfillers; i++)
        close(b->fillers[i]);
    if (b->listener >= 0)
        close(b->listener);
}
