/* be_config.c: see be_config.h. */
#include "be_config.h"

#include "be.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

const char be_config_usage[] =
    "usage: backend [--host HOST] [--port PORT]\n"
    "\n"
    "Environment (checked at start; a bad value exits 2 naming the variable):\n"
    "  PORT                   port to bind (default 8080; --port wins)\n"
    "  HOST                   address to bind (default 0.0.0.0; --host wins)\n"
    "  DATABASE_URL           sqlite:///abs/path.db, sqlite://rel.db, sqlite::memory:,\n"
    "                         postgres://user@host:port/db (default sqlite://backend.db)\n"
    "  RATE_LIMIT_PER_MINUTE  requests per client address per minute (default 60)\n"
    "  RATE_LIMIT_CLIENTS     client addresses tracked at most (default 65536)\n"
    "  TRUST_PROXY_HOPS       proxies in front whose X-Forwarded-For is believed (default 0)\n"
    "  MAX_BODY_BYTES         largest request body accepted (default 1048576)\n"
    "  CORS_ORIGINS           comma-separated allowed origins, or * (default none)\n"
    "  LOG_LEVEL              debug, info, warn or error (default info)\n"
    "  WORKERS                worker threads (default: online cores)\n"
    "  CONNECTION_TIMEOUT     seconds an idle or slow connection is kept (default 30)\n"
    "  SHUTDOWN_TIMEOUT       seconds in-flight requests get on SIGTERM (default 10)\n"
    "  COMMIT_SHA             commit reported by /api/v1/health/detailed\n"
    "  BE_DEBUG_SLOW_MS       tests only: enables GET /api/v1/debug/slow?ms=N up to N ms\n";

static void fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static const char *process_getenv(const char *name)
{
    return getenv(name);
}

/* An integer variable: unset or empty keeps the default. */
static int env_int(be_getenv_fn env, const char *name, int64_t min, int64_t max, int64_t *out,
                   char *err, size_t errlen)
{
    const char *v = env(name);
    if (!v || !*v)
        return BE_OK;
    if (be_parse_int(v, min, max, out) != BE_OK) {
        fail(err, errlen,
             "%s: \"%.40s\" is not a whole number from %lld to %lld; set a plain number in "
             "that range or unset it",
             name, v, (long long)min, (long long)max);
        return BE_EINVAL;
    }
    return BE_OK;
}

static int has_prefix(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

static int check_database_url(const char *u, char *err, size_t errlen)
{
    if (strcmp(u, "sqlite::memory:") == 0)
        return BE_OK;
    if (has_prefix(u, "sqlite://")) {
        if (u[strlen("sqlite://")] == '\0') {
            fail(err, errlen,
                 "DATABASE_URL: \"%s\" names no file; use sqlite:///abs/path.db, "
                 "sqlite://relative.db or sqlite::memory:",
                 u);
            return BE_EINVAL;
        }
        return BE_OK;
    }
    if (has_prefix(u, "postgres://") || has_prefix(u, "postgresql://")) {
#ifdef BE_HAVE_PQ
        return BE_OK;
#else
        fail(err, errlen,
             "DATABASE_URL: this backend was built without libpq; install libpq-dev "
             "and rebuild, or use a sqlite:// URL");
        return BE_EINVAL;
#endif
    }
    fail(err, errlen,
         "DATABASE_URL: \"%.60s\" is not supported; use sqlite:///abs/path.db, "
         "sqlite::memory: or postgres://user@host:port/db",
         u);
    return BE_EINVAL;
}

/* An origin is scheme://host[:port], nothing after it (browsers send exactly that). */
static int origin_ok(const char *o)
{
    const char *rest;
    if (has_prefix(o, "http://"))
        rest = o + 7;
    else if (has_prefix(o, "https://"))
        rest = o + 8;
    else
        return 0;
    if (!*rest)
        return 0;
    for (const char *p = rest; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '.' || *p == '-' || *p == ':' || *p == '[' ||
              *p == ']'))
            return 0;
    return 1;
}

static int parse_cors(be_config *c, const char *v, char *err, size_t errlen)
{
    if (!v || !*v)
        return BE_OK;
    const char *p = v;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        const char *end = p;
        while (*end && *end != ',')
            end++;
        size_t n = (size_t)(end - p);
        while (n && p[n - 1] == ' ')
            n--;
        char *o = be_strndup(p, n);
        if (strcmp(o, "*") != 0 && !origin_ok(o)) {
            fail(err, errlen,
                 "CORS_ORIGINS: \"%.60s\" is not an origin; write scheme://host[:port] with no "
                 "path or trailing slash (e.g. https://app.example.com), or *",
                 o);
            free(o);
            return BE_EINVAL;
        }
        c->cors_origins = be_realloc(c->cors_origins, sizeof *c->cors_origins * (c->ncors + 1));
        c->cors_origins[c->ncors++] = o;
        p = end;
    }
    return BE_OK;
}

static int parse_log_level(const char *v, int *out)
{
    static const struct {
        const char *name;
        int level;
    } levels[] = {{"debug", BE_LOG_DEBUG},
                  {"info", BE_LOG_INFO},
                  {"warn", BE_LOG_WARN},
                  {"warning", BE_LOG_WARN},
                  {"error", BE_LOG_ERROR}};
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++)
        if (strcasecmp(v, levels[i].name) == 0) {
            *out = levels[i].level;
            return BE_OK;
        }
    return BE_EINVAL;
}

static int parse_port(const char *what, const char *v, int *port, char *err, size_t errlen)
{
    int64_t p;
    if (be_parse_int(v, 0, 65535, &p) != BE_OK) {
        fail(err, errlen, "%s: \"%.40s\" is not a port; use a number from 1 to 65535", what, v);
        return BE_EINVAL;
    }
    *port = (int)p;
    return BE_OK;
}

static int parse_flags(be_config *c, int argc, char **argv, char *err, size_t errlen)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = NULL;
        int is_host = has_prefix(a, "--host"), is_port = has_prefix(a, "--port");
        if (is_host || is_port) {
            const char *eq = a + 6;
            if (*eq == '=')
                val = eq + 1;
            else if (*eq == '\0' && i + 1 < argc)
                val = argv[++i];
            else if (*eq != '\0')
                is_host = is_port = 0;
        }
        if (!is_host && !is_port) {
            fail(err, errlen, "unknown argument \"%.40s\"; see backend --help", a);
            return BE_EINVAL;
        }
        if (!val) {
            fail(err, errlen, "%s needs a value", a);
            return BE_EINVAL;
        }
        if (is_port && parse_port("--port", val, &c->port, err, errlen) != BE_OK)
            return BE_EINVAL;
        if (is_host) {
            if (!*val) {
                fail(err, errlen, "--host needs an address such as 127.0.0.1 or 0.0.0.0");
                return BE_EINVAL;
            }
            free(c->host);
            c->host = be_strdup(val);
        }
    }
    return BE_OK;
}

int be_config_load(be_config *c, int argc, char **argv, be_getenv_fn env, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    if (!env)
        env = process_getenv;
    /* The CPUs this process may run on (a container's CPU set, taskset),
     * not the machine's: more threads than CPUs only adds tail latency. */
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed) == 0 && CPU_COUNT(&allowed) > 0)
        ncpu = CPU_COUNT(&allowed);
    c->port = 8080;
    c->rate_limit = 60;
    c->max_body = 1048576;
    c->log_level = BE_LOG_INFO;
    c->workers = ncpu > 0 ? (int)(ncpu > 64 ? 64 : ncpu) : 2;
    c->conn_timeout = 30;
    c->shutdown_timeout = 10;
    c->rl_capacity = 65536;

    const char *v = env("HOST");
    c->host = be_strdup(v && *v ? v : "0.0.0.0");
    v = env("PORT");
    if (v && *v && parse_port("PORT", v, &c->port, err, errlen) != BE_OK)
        goto bad;
    v = env("DATABASE_URL");
    c->database_url = be_strdup(v && *v ? v : "sqlite://backend.db");
    if (check_database_url(c->database_url, err, errlen) != BE_OK)
        goto bad;
    if (env_int(env, "RATE_LIMIT_PER_MINUTE", 1, 1000000000, &c->rate_limit, err, errlen) ||
        env_int(env, "MAX_BODY_BYTES", 1, 1073741824, &c->max_body, err, errlen))
        goto bad;
    int64_t n = c->workers;
    if (env_int(env, "WORKERS", 1, 256, &n, err, errlen))
        goto bad;
    c->workers = (int)n;
    n = c->conn_timeout;
    if (env_int(env, "CONNECTION_TIMEOUT", 1, 3600, &n, err, errlen))
        goto bad;
    c->conn_timeout = (int)n;
    n = c->shutdown_timeout;
    if (env_int(env, "SHUTDOWN_TIMEOUT", 0, 3600, &n, err, errlen))
        goto bad;
    c->shutdown_timeout = (int)n;
    n = (int64_t)c->rl_capacity;
    if (env_int(env, "RATE_LIMIT_CLIENTS", 16, 16777216, &n, err, errlen))
        goto bad;
    c->rl_capacity = (size_t)n;
    n = 0;
    if (env_int(env, "TRUST_PROXY_HOPS", 0, 16, &n, err, errlen))
        goto bad;
    c->trust_proxy_hops = (int)n;
    if (env_int(env, "BE_DEBUG_SLOW_MS", 0, 600000, &c->debug_slow_ms, err, errlen))
        goto bad;
    v = env("LOG_LEVEL");
    if (v && *v && parse_log_level(v, &c->log_level) != BE_OK) {
        fail(err, errlen, "LOG_LEVEL: \"%.40s\" is not a level; use debug, info, warn or error", v);
        goto bad;
    }
    if (parse_cors(c, env("CORS_ORIGINS"), err, errlen) != BE_OK)
        goto bad;
    const char *commit_vars[] = {"COMMIT_SHA", "RAILWAY_GIT_COMMIT_SHA", "RENDER_GIT_COMMIT",
                                 "SOURCE_COMMIT"};
    for (size_t i = 0; i < sizeof commit_vars / sizeof commit_vars[0] && !c->commit; i++) {
        v = env(commit_vars[i]);
        if (v && *v)
            c->commit = be_strndup(v, strnlen(v, 64));
    }
    if (!c->commit)
        c->commit = be_strdup("unknown");
    if (parse_flags(c, argc, argv, err, errlen) != BE_OK)
        goto bad;
    return BE_OK;
bad:
    be_config_free(c);
    return BE_EINVAL;
}

void be_config_free(be_config *c)
{
    free(c->host);
    free(c->database_url);
    for (size_t i = 0; i < c->ncors; i++)
        free(c->cors_origins[i]);
    free(c->cors_origins);
    free(c->commit);
    memset(c, 0, sizeof *c);
}

int be_config_cors_allowed(const be_config *c, const char *origin)
{
    if (!origin || !*origin)
        return 0;
    for (size_t i = 0; i < c->ncors; i++)
        if (strcmp(c->cors_origins[i], "*") == 0 || strcmp(c->cors_origins[i], origin) == 0)
            return 1;
    return 0;
}
