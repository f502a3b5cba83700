/* Unit tests for be_api.c: the request-handling layer without a socket:
 * status codes, the error shape, CORS, limits and trace ids. */
#include "be.h"
#include "be_api.h"
#include "be_log.h"
#include "tgtest.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static be_config cfg;
static be_app app;

static const char *test_env(const char *name)
{
    if (strcmp(name, "CORS_ORIGINS") == 0)
        return "https://app.example.com";
    if (strcmp(name, "RATE_LIMIT_PER_MINUTE") == 0)
        return "1000";
    if (strcmp(name, "MAX_BODY_BYTES") == 0)
        return "1000";
    return NULL;
}

static void setup(void)
{
    char err[256];
    be_log_set_level(BE_LOG_OFF);
    ck_assert_int_eq(be_config_load(&cfg, 0, NULL, test_env, err, sizeof err), BE_OK);
    app.cfg = &cfg;
    ck_assert_int_eq(be_store_open("sqlite::memory:", &app.store, err, sizeof err), BE_OK);
    app.rl = be_ratelimit_new(cfg.rate_limit, 60, 64);
    app.started = be_mono();
}

static void teardown(void)
{
    be_ratelimit_free(app.rl);
    be_store_close(app.store);
    be_config_free(&cfg);
}

/* Headers of a fake request: "Name: value" strings, NULL-terminated. */
typedef struct {
    const char *const *headers;
    const char *query;
} fake;

static const char *fake_header(void *ctx, const char *name)
{
    const fake *f = ctx;
    size_t n = strlen(name);
    for (const char *const *h = f->headers; h && *h; h++)
        if (strncasecmp(*h, name, n) == 0 && (*h)[n] == ':')
            return *h + n + 2;
    return NULL;
}

static const char *fake_query(void *ctx, const char *name)
{
    static char value[64];
    const fake *f = ctx;
    size_t n = strlen(name);
    if (f->query && strncmp(f->query, name, n) == 0 && f->query[n] == '=') {
        snprintf(value, sizeof value, "%s", f->query + n + 1);
        return value;
    }
    return NULL;
}

static const char *json_headers[] = {"Content-Type: application/json", NULL};

static int call(const char *method, const char *path, const char *body, const char *const *headers,
                const char *client, be_response *res)
{
    fake f = {headers, NULL};
    char p[256];
    snprintf(p, sizeof p, "%s", path);
    char *q = strchr(p, '?');
    if (q) {
        *q = '\0';
        f.query = q + 1;
    }
    be_request req = {.method = method,
                      .path = p,
                      .client = client ? client : "127.0.0.1",
                      .header = fake_header,
                      .query = fake_query,
                      .ctx = &f,
                      .body = body ? body : "",
                      .body_len = body ? strlen(body) : 0};
    be_api_handle(&app, &req, res);
    return res->status;
}

/* The status of one request; the response is freed. */
static int status_of(const char *method, const char *path, const char *body)
{
    be_response res;
    int s = call(method, path, body, json_headers, NULL, &res);
    be_response_free(&res);
    return s;
}

static void assert_error_shape(const be_response *res, const char *code)
{
    cJSON *j = cJSON_Parse(res->body);
    ck_assert_ptr_nonnull(j);
    cJSON *e = cJSON_GetObjectItem(j, "error");
    ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(e, "code")), code);
    ck_assert_ptr_nonnull(cJSON_GetStringValue(cJSON_GetObjectItem(e, "message")));
    ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(e, "trace_id")), res->trace_id);
    cJSON_Delete(j);
}

START_TEST(every_error_status_has_the_json_error_shape)
{
    static const struct {
        const char *method, *path, *body;
        int status;
        const char *code;
    } cases[] = {
        {"GET", "/nope", NULL, 404, "not_found"},
        {"GET", "/api/v1/projects/abc", NULL, 400, "invalid_id"},
        {"GET", "/api/v1/projects/..", NULL, 400, "invalid_path"},
        {"GET", "/api/v1/projects/999", NULL, 404, "not_found"},
        {"DELETE", "/api/v1/projects", NULL, 405, "method_not_allowed"},
        {"POST", "/api/v1/projects", "{\"name\":", 400, "invalid_body"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        be_response res;
        ck_assert_int_eq(
            call(cases[i].method, cases[i].path, cases[i].body, json_headers, NULL, &res),
            cases[i].status);
        assert_error_shape(&res, cases[i].code);
        ck_assert_ptr_nonnull(be_response_header(&res, "X-Trace-ID"));
        be_response_free(&res);
    }
}
END_TEST

START_TEST(method_not_allowed_lists_allowed_methods)
{
    be_response res;
    ck_assert_int_eq(call("POST", "/health", NULL, NULL, NULL, &res), 405);
    ck_assert_str_eq(be_response_header(&res, "Allow"), "GET, HEAD, OPTIONS");
    be_response_free(&res);
}
END_TEST

START_TEST(projects_round_trip_through_the_api)
{
    be_response res;
    ck_assert_int_eq(
        call("POST", "/api/v1/projects", "{\"name\":\"api\"}", json_headers, NULL, &res), 201);
    cJSON *j = cJSON_Parse(res.body);
    int id = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(j, "id"));
    cJSON_Delete(j);
    char loc[64], docs[96];
    snprintf(loc, sizeof loc, "/api/v1/projects/%d", id);
    ck_assert_str_eq(be_response_header(&res, "Location"), loc);
    be_response_free(&res);
    ck_assert_int_eq(status_of("POST", "/api/v1/projects", "{\"name\":\"api\"}"), 409);
    ck_assert_int_eq(status_of("GET", loc, NULL), 200);
    ck_assert_int_eq(status_of("PATCH", loc, "{\"description\":\"d\"}"), 200);
    ck_assert_int_eq(status_of("PUT", loc, "{\"description\":\"no name\"}"), 400);
    snprintf(docs, sizeof docs, "%s/documents", loc);
    ck_assert_int_eq(status_of("POST", docs, "{\"title\":\"t\"}"), 201);
    ck_assert_int_eq(status_of("GET", docs, NULL), 200);
    ck_assert_int_eq(status_of("DELETE", loc, NULL), 204);
    ck_assert_int_eq(status_of("GET", docs, NULL), 404);
}
END_TEST

START_TEST(body_without_json_content_type_is_415)
{
    be_response res;
    const char *text[] = {"Content-Type: text/plain", NULL};
    ck_assert_int_eq(call("POST", "/api/v1/projects", "{\"name\":\"x\"}", text, NULL, &res), 415);
    assert_error_shape(&res, "unsupported_media_type");
    be_response_free(&res);
    ck_assert_int_eq(call("POST", "/api/v1/projects", "{\"name\":\"x\"}", NULL, NULL, &res), 415);
    be_response_free(&res);
    const char *charset[] = {"Content-Type: application/json; charset=utf-8", NULL};
    ck_assert_int_eq(call("POST", "/api/v1/projects", "{\"name\":\"x\"}", charset, NULL, &res),
                     201);
    be_response_free(&res);
}
END_TEST

START_TEST(too_large_body_is_413)
{
    fake f = {json_headers, NULL};
    be_request req = {.method = "POST",
                      .path = "/api/v1/projects",
                      .client = "127.0.0.1",
                      .header = fake_header,
                      .ctx = &f,
                      .body = "",
                      .body_too_large = 1};
    be_response res;
    be_api_handle(&app, &req, &res);
    ck_assert_int_eq(res.status, 413);
    assert_error_shape(&res, "payload_too_large");
    be_response_free(&res);
}
END_TEST

START_TEST(rate_limit_headers_then_429_with_retry_after)
{
    be_response res;
    be_ratelimit_free(app.rl);
    app.rl = be_ratelimit_new(5, 60, 64);
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(call("GET", "/api/v1/projects", NULL, NULL, "192.0.2.7", &res), 200);
        ck_assert_str_eq(be_response_header(&res, "X-RateLimit-Limit"), "5");
        ck_assert_int_eq(atoi(be_response_header(&res, "X-RateLimit-Remaining")), 4 - i);
        ck_assert_ptr_nonnull(be_response_header(&res, "X-RateLimit-Reset"));
        be_response_free(&res);
    }
    ck_assert_int_eq(call("GET", "/api/v1/projects", NULL, NULL, "192.0.2.7", &res), 429);
    ck_assert_int_ge(atoi(be_response_header(&res, "Retry-After")), 1);
    assert_error_shape(&res, "rate_limited");
    be_response_free(&res);
    /* health stays open and unlimited; another client is unaffected */
    for (int i = 0; i < 10; i++) {
        ck_assert_int_eq(call("GET", "/health", NULL, NULL, "192.0.2.7", &res), 200);
        ck_assert_ptr_null(be_response_header(&res, "X-RateLimit-Limit"));
        be_response_free(&res);
    }
    ck_assert_int_eq(call("GET", "/api/v1/projects", NULL, NULL, "192.0.2.8", &res), 200);
    be_response_free(&res);
}
END_TEST

START_TEST(cors_preflight_allows_listed_origin_only)
{
    be_response res;
    const char *ok[] = {"Origin: https://app.example.com", "Access-Control-Request-Method: POST",
                        "Access-Control-Request-Headers: content-type, x-trace-id", NULL};
    ck_assert_int_eq(call("OPTIONS", "/api/v1/projects", NULL, ok, NULL, &res), 204);
    ck_assert_str_eq(be_response_header(&res, "Access-Control-Allow-Origin"),
                     "https://app.example.com");
    ck_assert_ptr_nonnull(strstr(be_response_header(&res, "Access-Control-Allow-Methods"), "POST"));
    ck_assert_ptr_nonnull(be_response_header(&res, "Access-Control-Max-Age"));
    ck_assert_str_eq(be_response_header(&res, "Vary"), "Origin");
    be_response_free(&res);
    const char *evil[] = {"Origin: https://evil.example", "Access-Control-Request-Method: POST",
                          NULL};
    ck_assert_int_eq(call("OPTIONS", "/api/v1/projects", NULL, evil, NULL, &res), 403);
    ck_assert_ptr_null(be_response_header(&res, "Access-Control-Allow-Origin"));
    be_response_free(&res);
    const char *bad_method[] = {"Origin: https://app.example.com",
                                "Access-Control-Request-Method: DELETE", NULL};
    ck_assert_int_eq(call("OPTIONS", "/api/v1/projects", NULL, bad_method, NULL, &res), 403);
    be_response_free(&res);
    const char *bad_header[] = {"Origin: https://app.example.com",
                                "Access-Control-Request-Method: GET",
                                "Access-Control-Request-Headers: x-secret", NULL};
    ck_assert_int_eq(call("OPTIONS", "/api/v1/projects", NULL, bad_header, NULL, &res), 403);
    be_response_free(&res);
}
END_TEST

START_TEST(simple_cors_request_gets_allow_origin)
{
    be_response res;
    const char *ok[] = {"Origin: https://app.example.com", NULL};
    ck_assert_int_eq(call("GET", "/health", NULL, ok, NULL, &res), 200);
    ck_assert_str_eq(be_response_header(&res, "Access-Control-Allow-Origin"),
                     "https://app.example.com");
    ck_assert_ptr_nonnull(
        strstr(be_response_header(&res, "Access-Control-Expose-Headers"), "X-Trace-ID"));
    be_response_free(&res);
    const char *evil[] = {"Origin: https://evil.example", NULL};
    ck_assert_int_eq(call("GET", "/health", NULL, evil, NULL, &res), 200);
    ck_assert_ptr_null(be_response_header(&res, "Access-Control-Allow-Origin"));
    be_response_free(&res);
}
END_TEST

START_TEST(safe_trace_id_is_echoed_unsafe_one_replaced)
{
    be_response res;
    const char *safe[] = {"X-Trace-ID: abc-123.def_4", NULL};
    call("GET", "/health", NULL, safe, NULL, &res);
    ck_assert_str_eq(be_response_header(&res, "X-Trace-ID"), "abc-123.def_4");
    be_response_free(&res);
    const char *unsafe[] = {"X-Trace-ID: <script>alert(1)</script>", NULL};
    call("GET", "/api/v1/projects/abc", NULL, unsafe, NULL, &res);
    const char *t = be_response_header(&res, "X-Trace-ID");
    ck_assert_str_ne(t, "<script>alert(1)</script>");
    ck_assert_ptr_nonnull(strstr(res.body, t));
    be_response_free(&res);
}
END_TEST

START_TEST(health_endpoints_report_dependencies)
{
    be_response res;
    ck_assert_int_eq(call("GET", "/api/v1/health/detailed", NULL, NULL, NULL, &res), 200);
    cJSON *j = cJSON_Parse(res.body);
    cJSON *db = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "dependencies"), "database");
    ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(db, "status")), "up");
    ck_assert(cJSON_IsNumber(cJSON_GetObjectItem(db, "latency_ms")));
    ck_assert(cJSON_IsNumber(cJSON_GetObjectItem(j, "uptime_seconds")));
    ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(j, "version")), BE_VERSION);
    ck_assert_ptr_nonnull(cJSON_GetStringValue(cJSON_GetObjectItem(j, "commit")));
    cJSON_Delete(j);
    be_response_free(&res);
    ck_assert_int_eq(status_of("GET", "/api/v1/health/readiness", NULL), 200);
    ck_assert_int_eq(status_of("GET", "/api/v1/health/liveness", NULL), 200);
    ck_assert_int_eq(status_of("HEAD", "/api/v1/health", NULL), 200);
}
END_TEST

START_TEST(debug_slow_endpoint_is_off_by_default)
{
    ck_assert_int_eq(cfg.debug_slow_ms, 0);
    ck_assert_int_eq(status_of("GET", "/api/v1/debug/slow?ms=1", NULL), 404);
    cfg.debug_slow_ms = 50;
    ck_assert_int_eq(status_of("GET", "/api/v1/debug/slow?ms=1", NULL), 200);
    ck_assert_int_eq(status_of("GET", "/api/v1/debug/slow?ms=51", NULL), 400);
}
END_TEST

START_TEST(pagination_query_is_validated)
{
    ck_assert_int_eq(status_of("GET", "/api/v1/projects?limit=0", NULL), 400);
    ck_assert_int_eq(status_of("GET", "/api/v1/projects?limit=abc", NULL), 400);
    ck_assert_int_eq(status_of("GET", "/api/v1/projects?offset=-1", NULL), 400);
    ck_assert_int_eq(status_of("GET", "/api/v1/projects?limit=100", NULL), 200);
}
END_TEST

/* An engine whose every statement fails the way a bug would: the API must
 * answer 500 with a generic message and keep the details for the log. */
static int failing_query(be_store *s, const char *sql, const be_param *p, int np, be_rows *rows)
{
    (void)s, (void)sql, (void)p, (void)np;
    if (rows)
        memset(rows, 0, sizeof *rows);
    be_store_set_error("secret-table-name: syntax error at /var/lib/db");
    return BE_EINTERNAL;
}

static void failing_close(be_store *s)
{
    free(s);
}

START_TEST(storage_failure_is_500_without_internals)
{
    static const be_store_ops failing = {"failing", failing_query, NULL, failing_close};
    be_store *bad = be_calloc(1, sizeof *bad);
    be_store_init(bad, &failing);
    be_store *good = app.store;
    app.store = bad;
    be_response res;
    ck_assert_int_eq(call("GET", "/api/v1/projects/1", NULL, NULL, NULL, &res), 500);
    assert_error_shape(&res, "internal_error");
    ck_assert_ptr_null(strstr(res.body, "secret"));
    ck_assert_ptr_null(strstr(res.body, "/var/lib"));
    be_response_free(&res);
    ck_assert_int_eq(call("GET", "/api/v1/health/readiness", NULL, NULL, NULL, &res), 503);
    be_response_free(&res);
    app.store = good;
    be_store_close(bad);
}
END_TEST

/* The client a request was counted for, with these X-Forwarded-For and hops. */
static const char *client_for(const char *xff, int hops)
{
    static char out[64];
    char h[160];
    snprintf(h, sizeof h, "X-Forwarded-For: %s", xff);
    const char *headers[] = {h, NULL};
    cfg.trust_proxy_hops = hops;
    be_response res;
    call("GET", "/health", NULL, headers, "10.0.0.1", &res);
    snprintf(out, sizeof out, "%s", res.client);
    be_response_free(&res);
    cfg.trust_proxy_hops = 0;
    return out;
}

START_TEST(forwarded_client_is_believed_only_for_trusted_hops)
{
    ck_assert_str_eq(client_for("203.0.113.5", 0), "10.0.0.1");
    ck_assert_str_eq(client_for("203.0.113.5", 1), "203.0.113.5");
    ck_assert_str_eq(client_for("6.6.6.6, 203.0.113.5", 1), "203.0.113.5");
    ck_assert_str_eq(client_for("6.6.6.6, 203.0.113.5 , 192.0.2.1", 2), "203.0.113.5");
    ck_assert_str_eq(client_for("2001:db8::7", 1), "2001:db8::7");
    ck_assert_str_eq(client_for("203.0.113.5", 2), "10.0.0.1");
    ck_assert_str_eq(client_for("not-an-ip", 1), "10.0.0.1");
    ck_assert_str_eq(client_for("1.2.3.4, ", 1), "10.0.0.1");
    ck_assert_str_eq(client_for("", 1), "10.0.0.1");
}
END_TEST

START_TEST(spoofed_forwarded_entries_do_not_reset_the_limit)
{
    be_ratelimit_free(app.rl);
    app.rl = be_ratelimit_new(1, 60, 64);
    cfg.trust_proxy_hops = 1;
    const char *first[] = {"X-Forwarded-For: 1.1.1.1, 203.0.113.9", NULL};
    const char *spoofed[] = {"X-Forwarded-For: 2.2.2.2, 203.0.113.9", NULL};
    const char *other[] = {"X-Forwarded-For: 203.0.113.10", NULL};
    be_response res;
    ck_assert_int_eq(call("GET", "/api/v1/projects", NULL, first, "10.0.0.1", &res), 200);
    be_response_free(&res);
    ck_assert_int_eq(call("GET", "/api/v1/projects", NULL, spoofed, "10.0.0.1", &res), 429);
    be_response_free(&res);
    ck_assert_int_eq(call("GET", "/api/v1/projects", NULL, other, "10.0.0.1", &res), 200);
    be_response_free(&res);
    cfg.trust_proxy_hops = 0;
}
END_TEST

static void tests(tgt_registry *r)
{
    tgt_tcase(r, "errors");
    tgt_fixture(r, setup, teardown);
    tgt_add(r, every_error_status_has_the_json_error_shape);
    tgt_add(r, method_not_allowed_lists_allowed_methods);
    tgt_add(r, body_without_json_content_type_is_415);
    tgt_add(r, too_large_body_is_413);
    tgt_add(r, pagination_query_is_validated);
    tgt_add(r, storage_failure_is_500_without_internals);
    tgt_tcase(r, "resources");
    tgt_fixture(r, setup, teardown);
    tgt_add(r, projects_round_trip_through_the_api);
    tgt_add(r, health_endpoints_report_dependencies);
    tgt_add(r, debug_slow_endpoint_is_off_by_default);
    tgt_tcase(r, "policy");
    tgt_fixture(r, setup, teardown);
    tgt_add(r, rate_limit_headers_then_429_with_retry_after);
    tgt_add(r, cors_preflight_allows_listed_origin_only);
    tgt_add(r, simple_cors_request_gets_allow_origin);
    tgt_add(r, safe_trace_id_is_echoed_unsafe_one_replaced);
    tgt_add(r, forwarded_client_is_believed_only_for_trusted_hops);
    tgt_add(r, spoofed_forwarded_entries_do_not_reset_the_limit);
}

TGT_MAIN("unit", tests)
