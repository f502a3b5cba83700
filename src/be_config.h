/*
 * be_config.h: the backend's configuration, read from flags and the
 * environment and checked once at start.
 *
 * be_config_load() fills a be_config from argv and a getenv-like function (so
 * tests can pass their own environment). On a bad value it returns BE_EINVAL
 * and writes a message that names the variable and says what is accepted;
 * main() prints it and exits 2. The config owns its strings; be_config_free()
 * releases them.
 */
#ifndef BE_CONFIG_H
#define BE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

enum { BE_LOG_DEBUG, BE_LOG_INFO, BE_LOG_WARN, BE_LOG_ERROR, BE_LOG_OFF };

typedef struct be_config {
    char *host;          /* --host or HOST, default 0.0.0.0 */
    int port;            /* --port or PORT, default 8080; 0 = any free port */
    char *database_url;  /* DATABASE_URL, default sqlite://backend.db */
    int64_t rate_limit;  /* RATE_LIMIT_PER_MINUTE, default 60 */
    int64_t max_body;    /* MAX_BODY_BYTES, default 1 MiB */
    char **cors_origins; /* CORS_ORIGINS, comma-separated; "*" allows any */
    size_t ncors;
    int log_level;         /* LOG_LEVEL: debug, info (default), warn, error */
    int workers;           /* WORKERS: threads in the pool, default: online cores */
    int conn_timeout;      /* CONNECTION_TIMEOUT seconds, default 30 */
    int shutdown_timeout;  /* SHUTDOWN_TIMEOUT seconds, default 10 */
    int64_t debug_slow_ms; /* BE_DEBUG_SLOW_MS: enables /api/v1/debug/slow up to this; 0 = off */
    size_t rl_capacity;    /* RATE_LIMIT_CLIENTS: clients tracked at most, default 65536 */
    int trust_proxy_hops;  /* TRUST_PROXY_HOPS: proxies whose X-Forwarded-For is believed, default 0
                            */
    char *commit;          /* COMMIT_SHA, RAILWAY_GIT_COMMIT_SHA or RENDER_GIT_COMMIT */
} be_config;

typedef const char *(*be_getenv_fn)(const char *name);

/* argv may be NULL (argc 0). getenv_fn NULL means the process environment. */
int be_config_load(be_config *c, int argc, char **argv, be_getenv_fn getenv_fn, char *err,
                   size_t errlen);
void be_config_free(be_config *c);

/* 1 if origin is on the allow-list (exact match, or "*" listed). */
int be_config_cors_allowed(const be_config *c, const char *origin);

/* The flags and variables, for --help. */
extern const char be_config_usage[];

#endif
