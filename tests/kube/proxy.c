/* The recording proxy: a thread accepting connections, one thread per connection relaying bytes
 * with poll() until either side closes. Plain requests are forwarded with "Connection: close", so
 * each connection carries one request and nothing has to parse a response. */
#include "proxy.h"

#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/strbuf.h"
#include "util/xalloc.h"

#define MAX_CONNS 256

struct conn {
    struct test_proxy *p;
    int client, upstream;
    pthread_t thread;
};

struct test_proxy {
    int listen_fd, port;
    pthread_t accept_thread;
    pthread_mutex_t mu;
    struct strbuf log;
    int requests;
    bool stopping;
    struct conn *conns[MAX_CONNS];
    int nconns;
};

static void record(struct test_proxy *p, const char *text, size_t len)
{
    pthread_mutex_lock(&p->mu);
    strbuf_append_len(&p->log, text, len);
    strbuf_append(&p->log, "\n\n");
    p->requests++;
    pthread_mutex_unlock(&p->mu);
}

static int dial(const char *hostport)
{
    const char *colon = strrchr(hostport, ':');
    if (colon == NULL || strncmp(hostport, "127.0.0.1:", 10) != 0)
        return -1; /* loopback only */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)atoi(colon + 1)),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static bool write_all(int fd, const char *b, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, b, n);
        if (w <= 0)
            return false;
        b += w;
        n -= (size_t)w;
    }
    return true;
}

static void relay(int a, int b)
{
    char buf[16384];
    struct pollfd pf[2] = {{.fd = a, .events = POLLIN}, {.fd = b, .events = POLLIN}};
    for (;;) {
        if (poll(pf, 2, 30000) <= 0)
            return;
        for (int i = 0; i < 2; i++) {
            if (pf[i].revents == 0)
                continue;
            ssize_t n = read(pf[i].fd, buf, sizeof buf);
            if (n <= 0 || !write_all(pf[1 - i].fd, buf, (size_t)n))
                return;
        }
    }
}

/* Rewrites "GET http://host:port/path HTTP/1.1" into origin form and sets Connection: close. */
static char *origin_form(const char *head, size_t head_len, char **hostport)
{
    const char *sp = memchr(head, ' ', head_len);
    if (sp == NULL || strncmp(sp + 1, "http://", 7) != 0)
        return NULL;
    const char *host = sp + 8;
    const char *path = strchr(host, '/');
    const char *eol = strstr(head, "\r\n");
    if (path == NULL || eol == NULL || path > eol)
        return NULL;
    *hostport = xstrndup(host, (size_t)(path - host));
    struct strbuf out;
    strbuf_init(&out);
    strbuf_append_len(&out, head, (size_t)(sp + 1 - head));
    strbuf_append_len(&out, path, (size_t)(eol - path));
    strbuf_append(&out, "\r\n");
    for (const char *line = eol + 2; line < head + head_len;) {
        const char *end = strstr(line, "\r\n");
        if (end == NULL || end == line)
            break;
        if (strncasecmp(line, "Connection:", 11) != 0 &&
            strncasecmp(line, "Proxy-Connection:", 17) != 0) {
            strbuf_append_len(&out, line, (size_t)(end - line));
            strbuf_append(&out, "\r\n");
        }
        line = end + 2;
    }
    strbuf_append(&out, "Connection: close\r\n\r\n");
    return strbuf_detach(&out);
}

static void *conn_run(void *arg)
{
    struct conn *c = arg;
    struct strbuf in;
    strbuf_init(&in);
    char buf[4096];
    char *end = NULL;
    while ((end = strstr(in.buf ? in.buf : "", "\r\n\r\n")) == NULL) {
        ssize_t n = read(c->client, buf, sizeof buf);
        if (n <= 0)
            goto out;
        strbuf_append_len(&in, buf, (size_t)n);
    }
    size_t head_len = (size_t)(end - in.buf) + 4;
    record(c->p, in.buf, head_len - 4);
    if (strncmp(in.buf, "CONNECT ", 8) == 0) {
        const char *hp = in.buf + 8;
        char *hostport = xstrndup(hp, strcspn(hp, " \r\n"));
        c->upstream = dial(hostport);
        free(hostport);
        const char *reply = c->upstream >= 0 ? "HTTP/1.1 200 Connection established\r\n\r\n"
                                             : "HTTP/1.1 502 Bad Gateway\r\n\r\n";
        if (!write_all(c->client, reply, strlen(reply)) || c->upstream < 0)
            goto out;
        if (in.len > head_len && !write_all(c->upstream, in.buf + head_len, in.len - head_len))
            goto out;
    } else {
        char *hostport = NULL;
        char *head = origin_form(in.buf, head_len, &hostport);
        c->upstream = head != NULL ? dial(hostport) : -1;
        free(hostport);
        bool ok = c->upstream >= 0 && write_all(c->upstream, head, strlen(head)) &&
                  write_all(c->upstream, in.buf + head_len, in.len - head_len);
        free(head);
        if (!ok) {
            const char *bad = "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n"
                              "Connection: close\r\n\r\n";
            write_all(c->client, bad, strlen(bad));
            goto out;
        }
    }
    relay(c->client, c->upstream);
out:
    strbuf_free(&in);
    shutdown(c->client, SHUT_RDWR);
    if (c->upstream >= 0)
        shutdown(c->upstream, SHUT_RDWR);
    return NULL;
}

static void *accept_run(void *arg)
{
    struct test_proxy *p = arg;
    for (;;) {
        int fd = accept(p->listen_fd, NULL, NULL);
        pthread_mutex_lock(&p->mu);
        bool stop = p->stopping || p->nconns == MAX_CONNS;
        pthread_mutex_unlock(&p->mu);
        if (fd < 0 || stop) {
            if (fd >= 0)
                close(fd);
            if (fd < 0 || p->stopping)
                return NULL;
            continue;
        }
        struct conn *c = xcalloc(1, sizeof *c);
        c->p = p;
        c->client = fd;
        c->upstream = -1;
        pthread_mutex_lock(&p->mu);
        p->conns[p->nconns++] = c;
        pthread_mutex_unlock(&p->mu);
        pthread_create(&c->thread, NULL, conn_run, c);
    }
}

struct test_proxy *test_proxy_start(void)
{
    struct test_proxy *p = xcalloc(1, sizeof *p);
    pthread_mutex_init(&p->mu, NULL);
    strbuf_init(&p->log);
    p->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (p->listen_fd < 0 || bind(p->listen_fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(p->listen_fd, 64) != 0 || getsockname(p->listen_fd, (struct sockaddr *)&a, &al)) {
        if (p->listen_fd >= 0)
            close(p->listen_fd);
        strbuf_free(&p->log);
        free(p);
        return NULL;
    }
    p->port = ntohs(a.sin_port);
    pthread_create(&p->accept_thread, NULL, accept_run, p);
    return p;
}

int test_proxy_port(const struct test_proxy *p)
{
    return p->port;
}

char *test_proxy_log(struct test_proxy *p)
{
    pthread_mutex_lock(&p->mu);
    char *s = xstrdup(p->log.buf ? p->log.buf : "");
    pthread_mutex_unlock(&p->mu);
    return s;
}

int test_proxy_requests(struct test_proxy *p)
{
    pthread_mutex_lock(&p->mu);
    int n = p->requests;
    pthread_mutex_unlock(&p->mu);
    return n;
}

void test_proxy_stop(struct test_proxy *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->mu);
    p->stopping = true;
    pthread_mutex_unlock(&p->mu);
    shutdown(p->listen_fd, SHUT_RDWR);
    pthread_join(p->accept_thread, NULL);
    close(p->listen_fd);
    for (int i = 0; i < p->nconns; i++) {
        struct conn *c = p->conns[i];
        shutdown(c->client, SHUT_RDWR); /* ends its relay; then c->upstream is settled */
        pthread_join(c->thread, NULL);
        close(c->client);
        if (c->upstream >= 0)
            close(c->upstream);
        free(c);
    }
    strbuf_free(&p->log);
    pthread_mutex_destroy(&p->mu);
    free(p);
}
