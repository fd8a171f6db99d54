/* A small HTTP proxy on loopback for the kube tests: CONNECT tunnels (HTTPS) and absolute-form
 * requests (plain HTTP), recording what each client sent so a test can assert on it (the request
 * line and headers of plain requests, "CONNECT host:port" of tunnels). */
#ifndef KT_TEST_PROXY_H
#define KT_TEST_PROXY_H

struct test_proxy;

/* Listens on 127.0.0.1 at an OS-chosen port. NULL on failure. */
struct test_proxy *test_proxy_start(void);
int test_proxy_port(const struct test_proxy *p);
/* Everything recorded so far, requests separated by blank lines (caller frees). */
char *test_proxy_log(struct test_proxy *p);
/* How many requests (tunnels included) it has seen. */
int test_proxy_requests(struct test_proxy *p);
void test_proxy_stop(struct test_proxy *p);

#endif
