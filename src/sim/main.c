/* kargo-sim: the simulated Kargo cluster as a program, for kubectl and for people. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/kargo.h"
#include "sim/sim.h"
#include "util/xalloc.h"

enum opt_id {
    OPT_PORT = 1000,
    OPT_HTTP,
    OPT_SEED,
    OPT_SCENARIO,
    OPT_KUBECONFIG,
    OPT_TOKEN_FILE,
    OPT_HISTORY,
    OPT_BOOKMARK,
    OPT_LOG,
    OPT_WATCH_CLOSE,
    OPT_500,
    OPT_429,
    OPT_503,
    OPT_RETRY_AFTER,
    OPT_LATENCY,
    OPT_CUT,
    OPT_STALL,
    OPT_TOKEN_EXPIRE,
    OPT_FORGET,
    OPT_SPEED,
    OPT_NO_DISCOVERY,
    OPT_STEP_MS,
    OPT_VERIFY_MS,
    OPT_LARGE_SCALE,
    OPT_HELP,
};

struct opt {
    const char *name;
    const char *arg; /* NULL: a flag */
    enum opt_id id;
    const char *help;
};

static const struct opt opts[] = {
    {"port", "N", OPT_PORT, "port on 127.0.0.1 (default: chosen by the OS)"},
    {"http", NULL, OPT_HTTP, "serve plain HTTP instead of HTTPS"},
    {"seed", "N", OPT_SEED, "seed for uids, generated names and fault draws (default 1)"},
    {"scenario", "NAME|FILE", OPT_SCENARIO,
     "load objects (repeatable): a YAML file, or demo, backstage, flask-app, microsvcs, myapp, "
     "large"},
    {"speed", "N", OPT_SPEED, "run the simulated Kargo clock N times faster (default 1)"},
    {"no-discovery", NULL, OPT_NO_DISCOVERY, "warehouses discover no new versions on their own"},
    {"large-scale", "F", OPT_LARGE_SCALE,
     "size of the large scenario as a fraction of 300 stages, 10,000 freight, 30,000 promotions"},
    {"step-ms", "MS", OPT_STEP_MS, "simulated duration of one promotion step (default 3000)"},
    {"verify-ms", "MS", OPT_VERIFY_MS, "simulated duration of a verification (default 20000)"},
    {"kubeconfig-out", "FILE", OPT_KUBECONFIG,
     "write a kubeconfig with contexts admin, promoter, viewer (and the token file's users)"},
    {"token-auth-file", "FILE", OPT_TOKEN_FILE,
     "more users, as kube-apiserver's: CSV lines token,user,uid[,\"group1,group2\"]"},
    {"history", "N", OPT_HISTORY, "watch events retained for resumes (default 10000)"},
    {"bookmark-ms", "MS", OPT_BOOKMARK, "period of BOOKMARK events (default 60000)"},
    {"log", NULL, OPT_LOG, "log every request on stderr"},
    {"fault-watch-close", "S", OPT_WATCH_CLOSE, "end every watch S seconds after it started"},
    {"fault-500", "PCT", OPT_500, "answer PCT% of requests with 500"},
    {"fault-429", "PCT", OPT_429, "answer PCT% of requests with 429 and Retry-After"},
    {"fault-503", "PCT", OPT_503, "answer PCT% of requests with 503 and Retry-After"},
    {"fault-retry-after", "S", OPT_RETRY_AFTER, "the Retry-After of 429 answers (default 1)"},
    {"fault-latency", "MS", OPT_LATENCY, "add MS milliseconds to every answer"},
    {"fault-cut-body", "PCT", OPT_CUT, "cut PCT% of response bodies in the middle"},
    {"fault-stall-body", "PCT", OPT_STALL,
     "send half of PCT% of response bodies, then stall until the client leaves"},
    {"fault-token-expire", "S", OPT_TOKEN_EXPIRE, "tokens answer 401 after S seconds"},
    {"fault-forget-history", NULL, OPT_FORGET, "forget watch history: resumes get 410"},
    {"help", NULL, OPT_HELP, "show this help"},
};
#define NOPTS (sizeof opts / sizeof opts[0])

static void usage(FILE *f)
{
    fprintf(f, "usage: kargo-sim [options]\n\nA Kubernetes API server with Kargo's resources, "
               "on loopback.\n\n");
    for (size_t i = 0; i < NOPTS; i++) {
        char left[48];
        snprintf(left, sizeof left, "--%s%s%s", opts[i].name, opts[i].arg ? " " : "",
                 opts[i].arg ? opts[i].arg : "");
        fprintf(f, "  %-28s %s\n", left, opts[i].help);
    }
}

static int number(const char *name, const char *v, long max, long *out)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (*v == '\0' || *end != '\0' || n < 0 || n > max) {
        fprintf(stderr, "kargo-sim: --%s: '%s' is not a number from 0 to %ld\n", name, v, max);
        return -1;
    }
    *out = n;
    return 0;
}

int main(int argc, char **argv)
{
    struct option lo[NOPTS + 1];
    for (size_t i = 0; i < NOPTS; i++)
        lo[i] = (struct option){opts[i].name, opts[i].arg ? required_argument : no_argument, NULL,
                                (int)opts[i].id};
    lo[NOPTS] = (struct option){0};

    struct sim_config cfg = {.tls = true, .seed = 1};
    struct kargo_options kopt = {.speed = 1, .discover = true};
    const char **scenarios = xcalloc((size_t)argc + 1, sizeof *scenarios);
    size_t nscen = 0;
    const char *kubeconfig = NULL;
    int c, rc = 1;
    long v;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        const char *name = NULL;
        for (size_t i = 0; i < NOPTS; i++)
            if ((int)opts[i].id == c)
                name = opts[i].name;
        switch (c) {
        case OPT_PORT:
            if (number(name, optarg, 65535, &v) < 0)
                goto out;
            cfg.port = (int)v;
            break;
        case OPT_HTTP:
            cfg.tls = false;
            break;
        case OPT_SEED:
            if (number(name, optarg, 0x7fffffffL, &v) < 0)
                goto out;
            cfg.seed = (unsigned long long)v;
            break;
        case OPT_SCENARIO:
            scenarios[nscen++] = optarg;
            break;
        case OPT_KUBECONFIG:
            kubeconfig = optarg;
            break;
        case OPT_TOKEN_FILE:
            cfg.token_auth_file = optarg;
            break;
        case OPT_HISTORY:
            if (number(name, optarg, 10000000, &v) < 0)
                goto out;
            cfg.history = (size_t)v;
            break;
        case OPT_BOOKMARK:
            if (number(name, optarg, 86400000, &v) < 0)
                goto out;
            cfg.bookmark_ms = (int)v;
            break;
        case OPT_LOG:
            cfg.log_requests = true;
            break;
        case OPT_WATCH_CLOSE:
        case OPT_RETRY_AFTER:
        case OPT_LATENCY:
        case OPT_TOKEN_EXPIRE:
            if (number(name, optarg, 86400000, &v) < 0)
                goto out;
            if (c == OPT_WATCH_CLOSE)
                cfg.faults.watch_close_s = (int)v;
            else if (c == OPT_RETRY_AFTER)
                cfg.faults.retry_after_s = (int)v;
            else if (c == OPT_LATENCY)
                cfg.faults.latency_ms = (int)v;
            else
                cfg.faults.token_expire_s = (int)v;
            break;
        case OPT_500:
        case OPT_429:
        case OPT_503:
        case OPT_CUT:
        case OPT_STALL:
            if (number(name, optarg, 100, &v) < 0)
                goto out;
            if (c == OPT_500)
                cfg.faults.error500_pct = (int)v;
            else if (c == OPT_429)
                cfg.faults.error429_pct = (int)v;
            else if (c == OPT_503)
                cfg.faults.error503_pct = (int)v;
            else if (c == OPT_CUT)
                cfg.faults.cut_body_pct = (int)v;
            else
                cfg.faults.stall_body_pct = (int)v;
            break;
        case OPT_FORGET:
            cfg.faults.forget_history = true;
            break;
        case OPT_SPEED: {
            char *end;
            double sp = strtod(optarg, &end);
            if (*optarg == '\0' || *end != '\0' || !(sp > 0 && sp <= 100000)) {
                fprintf(stderr, "kargo-sim: --speed: '%s' is not a number above 0\n", optarg);
                rc = 2;
                goto out;
            }
            kopt.speed = sp;
            break;
        }
        case OPT_LARGE_SCALE: {
            char *end;
            double f = strtod(optarg, &end);
            if (*optarg == '\0' || *end != '\0' || !(f > 0 && f <= 1)) {
                fprintf(stderr, "kargo-sim: --large-scale: '%s' is not a fraction in (0, 1]\n",
                        optarg);
                rc = 2;
                goto out;
            }
            kopt.large_scale = f;
            break;
        }
        case OPT_NO_DISCOVERY:
            kopt.discover = false;
            break;
        case OPT_STEP_MS:
        case OPT_VERIFY_MS:
            if (number(name, optarg, 86400000, &v) < 0)
                goto out;
            if (c == OPT_STEP_MS)
                kopt.step_ms = (int)v;
            else
                kopt.verify_ms = (int)v;
            break;
        case OPT_HELP:
            usage(stdout);
            rc = 0;
            goto out;
        default:
            usage(stderr);
            rc = 2;
            goto out;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "kargo-sim: unexpected argument '%s'\n", argv[optind]);
        rc = 2;
        goto out;
    }
    /* Scenarios load through Kargo's part, which knows the built-in names and shifts their
     * histories to end now; files go on to the server's loader. */
    kopt.scenarios = scenarios;
    kopt.seed = cfg.seed;
    cfg.install = kargo_install;
    cfg.install_ctx = &kopt;

    /* Signals are taken with sigwait: block them before any thread starts. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    char *cause = NULL;
    struct sim *sim = sim_start(&cfg, &cause);
    if (sim == NULL) {
        fprintf(stderr, "kargo-sim: %s\n", cause);
        free(cause);
        goto out;
    }
    if (kubeconfig != NULL && sim_write_kubeconfig(sim, kubeconfig, &cause) < 0) {
        fprintf(stderr, "kargo-sim: %s\n", cause);
        free(cause);
        sim_stop(sim);
        goto out;
    }
    printf("kargo-sim: serving %s\n", sim_url(sim));
    if (kubeconfig != NULL)
        printf("kargo-sim: kubeconfig written to %s (contexts admin, promoter, viewer)\n",
               kubeconfig);
    fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
    sim_stop(sim);
    rc = 0;
out:
    free(scenarios);
    return rc;
}
