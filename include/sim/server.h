/* The HTTP(S) front of the simulated cluster (libmicrohttpd, a thread per connection): routing,
 * authentication, authorization, the REST verbs, watch streams, discovery and fault injection. */
#ifndef KT_SIM_SERVER_H
#define KT_SIM_SERVER_H

#include <stdbool.h>

#include "sim/sim.h"
#include "sim/tls.h"

struct sim_server;
struct sim_store;

struct sim_server_user {
    const char *name;
    const char *token;
    const char *groups; /* comma-separated, or NULL */
};

struct sim_server_config {
    const char *host;          /* NULL: 127.0.0.1 */
    int port;                  /* 0: chosen by the OS */
    const struct sim_tls *tls; /* NULL: plain HTTP */
    struct sim_store *store;
    const struct sim_server_user *users; /* copied */
    int nusers;
    struct sim_faults faults;
    unsigned long long seed;
    int bookmark_ms;
    bool log_requests;
};

/* Starts serving. Returns NULL with *cause set. */
struct sim_server *sim_server_start(const struct sim_server_config *cfg, char **cause);
int sim_server_port(const struct sim_server *srv);
/* Ends every watch, closes every connection, frees srv. */
void sim_server_stop(struct sim_server *srv);
void sim_server_faults_set(struct sim_server *srv, const struct sim_faults *f);
void sim_server_faults_get(struct sim_server *srv, struct sim_faults *f);
void sim_server_stats(struct sim_server *srv, struct sim_stats *st);

#endif
