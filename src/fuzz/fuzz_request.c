/* libFuzzer target for the request-handling layer: path decoding
 * (be_http_unescape), routing, CORS, rate limiting, body validation and
 * storage, everything be_api_handle() does with what a client sends.
 *
 * Input: "METHOD PATH[?QUERY]\n", then "Name: value\n" header lines, an
 * empty line, then the body. Built and run by `make fuzz-backend`
 * (mk/backend.mk) with clang -fsanitize=fuzzer,address. */
#include "be.h"
#include "be_api.h"
#include "be_http.h"
#include "be_log.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static be_config cfg;
static be_app app;

static const char *fuzz_env(const char *name)
{
    if (strcmp(name, "CORS_ORIGINS") == 0)
        return "https://app.example.com";
    if (strcmp(name, "RATE_LIMIT_PER_MINUTE") == 0)
        return "1000000";
    if (strcmp(name, "MAX_BODY_BYTES") == 0)
        return "65536";
    if (strcmp(name, "TRUST_PROXY_HOPS") == 0)
        return "2";
    return NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char err[256];
    be_log_set_level(BE_LOG_OFF);
    if (be_config_load(&cfg, 0, NULL, fuzz_env, err, sizeof err) != BE_OK ||
        be_store_open("sqlite::memory:", &app.store, err, sizeof err) != BE_OK)
        abort();
    app.cfg = &cfg;
    app.rl = be_ratelimit_new(cfg.rate_limit, 60, 1024);
    app.started = be_mono();
    return 0;
}

typedef struct {
    char *headers; /* "Name: value\n" lines */
    char *query;   /* k=v&k=v, or NULL */
} parsed;

static const char *find_header(void *ctx, const char *name)
{
    static _Thread_local char value[512];
    const parsed *p = ctx;
    size_t n = strlen(name);
    for (const char *line = p->headers; line && *line;) {
        const char *eol = strchr(line, '\n');
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        if (len > n + 1 && strncasecmp(line, name, n) == 0 && line[n] == ':') {
            const char *v = line + n + 1;
            while (*v == ' ' && v < line + len)
                v++;
            size_t vlen = (size_t)(line + len - v);
            if (vlen >= sizeof value)
                vlen = sizeof value - 1;
            memcpy(value, v, vlen);
            value[vlen] = '\0';
            return value;
        }
        line = eol ? eol + 1 : line + len;
    }
    return NULL;
}

static const char *find_arg(void *ctx, const char *name)
{
    static _Thread_local char value[256];
    const parsed *p = ctx;
    size_t n = strlen(name);
    for (const char *a = p->query; a && *a;) {
        const char *end = strchr(a, '&');
        size_t len = end ? (size_t)(end - a) : strlen(a);
        if (len > n && strncmp(a, name, n) == 0 && a[n] == '=') {
            size_t vlen = len - n - 1 < sizeof value - 1 ? len - n - 1 : sizeof value - 1;
            memcpy(value, a + n + 1, vlen);
            value[vlen] = '\0';
            be_http_unescape(value);
            return value;
        }
        a = end ? end + 1 : a + len;
    }
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = be_malloc(size + 1);
    memcpy(in, data, size);
    in[size] = '\0';
    /* request line */
    char *eol = memchr(in, '\n', size);
    size_t line_len = eol ? (size_t)(eol - in) : size;
    char *line = be_strndup(in, strnlen(in, line_len));
    char *sp = strchr(line, ' ');
    const char *method = line, *target = "/";
    if (sp) {
        *sp = '\0';
        target = sp + 1;
    }
    char *path = be_strdup(target);
    parsed p = {0};
    char *q = strchr(path, '?');
    if (q) {
        *q = '\0';
        p.query = q + 1;
    }
    be_http_unescape(path);
    /* headers up to an empty line, then the body (which may hold NULs) */
    const char *rest = eol ? eol + 1 : in + size;
    size_t rest_len = (size_t)(in + size - rest);
    const char *blank = NULL;
    for (size_t i = 0; i + 1 < rest_len; i++)
        if (rest[i] == '\n' && rest[i + 1] == '\n') {
            blank = rest + i;
            break;
        }
    p.headers = be_strndup(rest, blank ? (size_t)(blank - rest) : strnlen(rest, rest_len));
    const char *body = blank ? blank + 2 : "";
    size_t body_len = blank ? (size_t)(in + size - body) : 0;
    be_request req = {.method = method,
                      .path = path,
                      .client = "127.0.0.1",
                      .header = find_header,
                      .query = find_arg,
                      .ctx = &p,
                      .body = body,
                      .body_len = body_len,
                      .body_too_large = body_len > (size_t)cfg.max_body};
    be_response res;
    be_api_handle(&app, &req, &res);
    if (res.status < 100 || res.status > 599 || !res.trace_id[0])
        abort();
    be_response_free(&res);
    free(p.headers);
    free(path);
    free(line);
    free(in);
    return 0;
}
