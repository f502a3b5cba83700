/* main.c: the reference backend's process: configuration, storage, server,
 * and the graceful shutdown on SIGTERM (stop accepting, let in-flight
 * requests finish within SHUTDOWN_TIMEOUT, exit 0). */
#include "be.h"
#include "be_api.h"
#include "be_config.h"
#include "be_http.h"
#include "be_log.h"
#include "be_ratelimit.h"
#include "be_store.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(be_config_usage, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("backend %s\n", BE_VERSION);
            return 0;
        }
    }
    be_config cfg;
    char err[512];
    if (be_config_load(&cfg, argc, argv, NULL, err, sizeof err) != BE_OK) {
        fprintf(stderr, "backend: %s\n", err);
        return 2;
    }
    be_log_set_level(cfg.log_level);

    /* Block the stop signals before any thread exists, so that only
     * sigwait() below ever sees them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    be_store *store;
    if (be_store_open(cfg.database_url, &store, err, sizeof err) != BE_OK) {
        fprintf(stderr, "backend: %s\n", err);
        be_config_free(&cfg);
        return 2;
    }
    if (be_store_ping(store) != BE_OK)
        be_log_event(BE_LOG_WARN, NULL, "database not reachable yet (%s); readiness says 503",
                     be_store_last_error());
    be_app app = {.cfg = &cfg,
                  .store = store,
                  .rl = be_ratelimit_new(cfg.rate_limit, 60.0, cfg.rl_capacity),
                  .started = be_mono()};
    be_server *srv;
    if (be_server_start(&app, &srv, err, sizeof err) != BE_OK) {
        fprintf(stderr, "backend: %s\n", err);
        be_ratelimit_free(app.rl);
        be_store_close(store);
        be_config_free(&cfg);
        return 2;
    }
    be_log_event(BE_LOG_INFO, NULL,
                 "listening on %s:%d (version %s, %d workers, database %s, rate limit %lld/min)",
                 cfg.host, be_server_port(srv), BE_VERSION, cfg.workers, be_store_engine(store),
                 (long long)cfg.rate_limit);

    int sig = 0;
    sigwait(&stop, &sig);
    be_server_quiesce(srv);
    be_log_event(BE_LOG_INFO, NULL, "%s: stopped accepting; %d request(s) in flight",
                 sig == SIGTERM ? "SIGTERM" : "SIGINT", be_server_inflight(srv));
    double deadline = be_mono() + cfg.shutdown_timeout;
    while (be_server_inflight(srv) > 0 && be_mono() < deadline) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    int left = be_server_inflight(srv);
    if (left > 0) {
        /* Stopping the daemon would wait for the handlers still running:
         * the bound wins, and the process leaves without them. */
        be_log_event(BE_LOG_WARN, NULL, "shutdown timeout: %d request(s) cut off", left);
        _exit(0);
    }
    be_server_stop(srv);
    be_ratelimit_free(app.rl);
    be_store_close(store);
    be_log_event(BE_LOG_INFO, NULL, "stopped");
    be_config_free(&cfg);
    return 0;
}
