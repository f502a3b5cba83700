/* Integration tests over HTTP against the backend service: every endpoint
 * and status, CORS, trace ids, bad input. Tests share one backend and run
 * in any order or in parallel: each makes its own projects. */
#include "support.h"

#include <cjson/cJSON.h>

static const char *const json[] = {"Content-Type: application/json", NULL};

/* Creates a project with a unique name; returns its id. */
static long new_project(void)
{
    char body[160];
    snprintf(body, sizeof body, "{\"name\":\"%s\",\"description\":\"it\"}", it_unique("p"));
    it_resp r;
    ck_assert_int_eq(it_request("POST", it_url("/api/v1/projects"), body, json, &r), 201);
    cJSON *j = cJSON_Parse(r.body.data);
    long id = (long)cJSON_GetNumberValue(cJSON_GetObjectItem(j, "id"));
    cJSON_Delete(j);
    it_resp_free(&r);
    return id;
}

static void assert_error(const it_resp *r, long status, const char *code)
{
    ck_assert_msg(r->status == status, "status %ld, want %ld: %s", r->status, status, r->body.data);
    cJSON *j = cJSON_Parse(r->body.data);
    ck_assert_msg(j != NULL, "error body is not JSON: %s", r->body.data);
    cJSON *e = cJSON_GetObjectItem(j, "error");
    ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(e, "code")), code);
    char trace[80];
    it_header(r, "X-Trace-ID", trace, sizeof trace);
    ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(e, "trace_id")), trace);
    cJSON_Delete(j);
}

static void expect_error(const char *method, const char *url, const char *body, long status,
                         const char *code)
{
    it_resp r;
    it_request(method, url, body, json, &r);
    assert_error(&r, status, code);
    it_resp_free(&r);
}

START_TEST(health_endpoints_answer)
{
    const char *paths[] = {"/health", "/api/v1/health", "/api/v1/health/liveness",
                           "/api/v1/health/readiness", "/api/v1/health/detailed"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        it_resp r;
        ck_assert_int_eq(it_request("GET", it_url("%s", paths[i]), NULL, NULL, &r), 200);
        cJSON *j = cJSON_Parse(r.body.data);
        ck_assert_ptr_nonnull(cJSON_GetStringValue(cJSON_GetObjectItem(j, "status")));
        cJSON_Delete(j);
        it_resp_free(&r);
    }
    it_resp r;
    it_request("GET", it_url("/health"), NULL, NULL, &r);
    ck_assert_ptr_nonnull(strstr(r.body.data, "\"status\":\"healthy\""));
    ck_assert_ptr_nonnull(strstr(r.body.data, "\"version\""));
    it_resp_free(&r);
    it_request("GET", it_url("/api/v1/health/detailed"), NULL, NULL, &r);
    cJSON *j = cJSON_Parse(r.body.data);
    cJSON *db = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "dependencies"), "database");
    ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(db, "status")), "up");
    ck_assert(cJSON_IsNumber(cJSON_GetObjectItem(db, "latency_ms")));
    ck_assert(cJSON_IsNumber(cJSON_GetObjectItem(j, "uptime_seconds")));
    ck_assert_ptr_nonnull(cJSON_GetStringValue(cJSON_GetObjectItem(j, "commit")));
    cJSON_Delete(j);
    it_resp_free(&r);
}
END_TEST

START_TEST(project_create_read_update_delete)
{
    long id = new_project();
    it_resp r;
    ck_assert_int_eq(it_request("GET", it_url("/api/v1/projects/%ld", id), NULL, NULL, &r), 200);
    ck_assert_ptr_nonnull(strstr(r.body.data, "\"description\":\"it\""));
    it_resp_free(&r);
    ck_assert_int_eq(it_request("PATCH", it_url("/api/v1/projects/%ld", id),
                                "{\"description\":\"patched\"}", json, &r),
                     200);
    ck_assert_ptr_nonnull(strstr(r.body.data, "\"description\":\"patched\""));
    it_resp_free(&r);
    char body[160];
    snprintf(body, sizeof body, "{\"name\":\"%s\"}", it_unique("renamed"));
    ck_assert_int_eq(it_request("PUT", it_url("/api/v1/projects/%ld", id), body, json, &r), 200);
    ck_assert_ptr_nonnull(strstr(r.body.data, "\"description\":\"\""));
    it_resp_free(&r);
    ck_assert_int_eq(it_request("DELETE", it_url("/api/v1/projects/%ld", id), NULL, NULL, &r), 204);
    ck_assert_uint_eq(r.body.len, 0);
    it_resp_free(&r);
    expect_error("GET", it_url("/api/v1/projects/%ld", id), NULL, 404, "not_found");
    expect_error("DELETE", it_url("/api/v1/projects/%ld", id), NULL, 404, "not_found");
}
END_TEST

START_TEST(created_project_has_location)
{
    char body[160];
    snprintf(body, sizeof body, "{\"name\":\"%s\"}", it_unique("loc"));
    it_resp r;
    ck_assert_int_eq(it_request("POST", it_url("/api/v1/projects"), body, json, &r), 201);
    char loc[96];
    it_header(&r, "Location", loc, sizeof loc);
    ck_assert_int_eq(strncmp(loc, "/api/v1/projects/", 17), 0);
    it_resp_free(&r);
    ck_assert_int_eq(it_request("GET", it_url("%s", loc), NULL, NULL, &r), 200);
    it_resp_free(&r);
}
END_TEST

START_TEST(duplicate_name_is_409)
{
    char body[160];
    snprintf(body, sizeof body, "{\"name\":\"%s\"}", it_unique("dup"));
    it_resp r;
    ck_assert_int_eq(it_request("POST", it_url("/api/v1/projects"), body, json, &r), 201);
    it_resp_free(&r);
    expect_error("POST", it_url("/api/v1/projects"), body, 409, "conflict");
}
END_TEST

START_TEST(project_list_paginates)
{
    for (int i = 0; i < 3; i++)
        new_project();
    it_resp r;
    ck_assert_int_eq(it_request("GET", it_url("/api/v1/projects?limit=2&offset=1"), NULL, NULL, &r),
                     200);
    cJSON *j = cJSON_Parse(r.body.data);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "items")), 2);
    ck_assert_int_ge(cJSON_GetNumberValue(cJSON_GetObjectItem(j, "total")), 3);
    ck_assert_int_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(j, "limit")), 2);
    ck_assert_int_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(j, "offset")), 1);
    cJSON_Delete(j);
    it_resp_free(&r);
    expect_error("GET", it_url("/api/v1/projects?limit=0"), NULL, 400, "invalid_query");
    expect_error("GET", it_url("/api/v1/projects?limit=1000"), NULL, 400, "invalid_query");
    expect_error("GET", it_url("/api/v1/projects?offset=x"), NULL, 400, "invalid_query");
}
END_TEST

START_TEST(documents_create_read_update_delete_list)
{
    long p = new_project();
    it_resp r;
    ck_assert_int_eq(it_request("POST", it_url("/api/v1/projects/%ld/documents", p),
                                "{\"title\":\"spec\",\"content\":\"v1\"}", json, &r),
                     201);
    cJSON *j = cJSON_Parse(r.body.data);
    long d = (long)cJSON_GetNumberValue(cJSON_GetObjectItem(j, "id"));
    ck_assert_int_eq((long)cJSON_GetNumberValue(cJSON_GetObjectItem(j, "project_id")), p);
    cJSON_Delete(j);
    it_resp_free(&r);
    ck_assert_int_eq(it_request("POST", it_url("/api/v1/projects/%ld/documents", p),
                                "{\"title\":\"notes\"}", json, &r),
                     201);
    it_resp_free(&r);
    expect_error("POST", it_url("/api/v1/projects/%ld/documents", p), "{\"title\":\"spec\"}", 409,
                 "conflict");
    ck_assert_int_eq(
        it_request("GET", it_url("/api/v1/projects/%ld/documents/%ld", p, d), NULL, NULL, &r), 200);
    it_resp_free(&r);
    ck_assert_int_eq(it_request("PATCH", it_url("/api/v1/projects/%ld/documents/%ld", p, d),
                                "{\"content\":\"v2\"}", json, &r),
                     200);
    ck_assert_ptr_nonnull(strstr(r.body.data, "\"content\":\"v2\""));
    it_resp_free(&r);
    ck_assert_int_eq(
        it_request("GET", it_url("/api/v1/projects/%ld/documents?limit=1", p), NULL, NULL, &r),
        200);
    j = cJSON_Parse(r.body.data);
    ck_assert_int_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(j, "total")), 2);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "items")), 1);
    cJSON_Delete(j);
    it_resp_free(&r);
    ck_assert_int_eq(
        it_request("DELETE", it_url("/api/v1/projects/%ld/documents/%ld", p, d), NULL, NULL, &r),
        204);
    it_resp_free(&r);
    expect_error("GET", it_url("/api/v1/projects/%ld/documents/%ld", p, d), NULL, 404, "not_found");
}
END_TEST

START_TEST(documents_of_missing_project_are_404)
{
    long p = new_project();
    it_resp r;
    ck_assert_int_eq(it_request("DELETE", it_url("/api/v1/projects/%ld", p), NULL, NULL, &r), 204);
    it_resp_free(&r);
    expect_error("POST", it_url("/api/v1/projects/%ld/documents", p), "{\"title\":\"t\"}", 404,
                 "not_found");
    expect_error("GET", it_url("/api/v1/projects/%ld/documents", p), NULL, 404, "not_found");
}
END_TEST

START_TEST(wrong_method_is_405_with_allow)
{
    it_resp r;
    it_request("DELETE", it_url("/api/v1/projects"), NULL, NULL, &r);
    assert_error(&r, 405, "method_not_allowed");
    char allow[96];
    ck_assert_str_eq(it_header(&r, "Allow", allow, sizeof allow), "GET, HEAD, POST, OPTIONS");
    it_resp_free(&r);
    it_request("POST", it_url("/health"), "{}", json, &r);
    assert_error(&r, 405, "method_not_allowed");
    ck_assert_str_eq(it_header(&r, "Allow", allow, sizeof allow), "GET, HEAD, OPTIONS");
    it_resp_free(&r);
}
END_TEST

START_TEST(invalid_bodies_are_400)
{
    const char *bodies[] = {"{\"name\":",
                            "not json",
                            "[]",
                            "{\"name\":\"\"}",
                            "{\"nme\":\"typo\"}",
                            "{\"name\":\"a\\u0000b\"}",
                            "{\"name\":\"x\"} trailing"};
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++)
        expect_error("POST", it_url("/api/v1/projects"), bodies[i], 400, "invalid_body");
}
END_TEST

START_TEST(invalid_utf8_body_is_400)
{
    static const char body[] = "{\"name\":\"bad \xc0\xaf \xff\"}";
    it_resp r;
    CURL *c = curl_easy_init();
    it_request_on(c, "POST", it_url("/api/v1/projects"), body, sizeof body - 1, json, &r);
    curl_easy_cleanup(c);
    assert_error(&r, 400, "invalid_body");
    ck_assert_ptr_nonnull(strstr(r.body.data, "UTF-8"));
    it_resp_free(&r);
}
END_TEST

START_TEST(json_nested_ten_thousand_deep_is_400)
{
    be_buf b = {0};
    be_buf_adds(&b, "{\"name\":");
    for (int i = 0; i < 10000; i++)
        be_buf_add(&b, "[", 1);
    for (int i = 0; i < 10000; i++)
        be_buf_add(&b, "]", 1);
    be_buf_adds(&b, "}");
    expect_error("POST", it_url("/api/v1/projects"), b.data, 400, "invalid_body");
    be_buf_free(&b);
    /* the server is still there */
    it_resp r;
    ck_assert_int_eq(it_request("GET", it_url("/health"), NULL, NULL, &r), 200);
    it_resp_free(&r);
}
END_TEST

START_TEST(two_megabyte_body_is_413)
{
    size_t n = 2 * 1024 * 1024;
    char *big = malloc(n + 1);
    memset(big, 'a', n);
    big[n] = '\0';
    it_resp r;
    CURL *c = curl_easy_init();
    CURLcode rc = it_request_on(c, "POST", it_url("/api/v1/projects"), big, n, json, &r);
    curl_easy_cleanup(c);
    /* the server may close before reading it all; curl still saw the 413 */
    ck_assert_msg(rc == CURLE_OK || r.status == 413, "curl: %s", curl_easy_strerror(rc));
    assert_error(&r, 413, "payload_too_large");
    it_resp_free(&r);
    /* chunked: no Content-Length to refuse up front */
    const char *chunked[] = {"Content-Type: application/json", "Transfer-Encoding: chunked", NULL};
    c = curl_easy_init();
    rc = it_request_on(c, "POST", it_url("/api/v1/projects"), big, n, chunked, &r);
    curl_easy_cleanup(c);
    ck_assert_msg(r.status == 413 || rc != CURLE_OK, "chunked 2 MB body got %ld", r.status);
    it_resp_free(&r);
    free(big);
}
END_TEST

START_TEST(body_that_is_not_json_type_is_415)
{
    const char *text[] = {"Content-Type: text/plain", NULL};
    it_resp r;
    it_request("POST", it_url("/api/v1/projects"), "{\"name\":\"x\"}", text, &r);
    assert_error(&r, 415, "unsupported_media_type");
    it_resp_free(&r);
}
END_TEST

START_TEST(ids_that_are_not_numbers_are_400)
{
    const char *paths[] = {"/api/v1/projects/abc",
                           "/api/v1/projects/-1",
                           "/api/v1/projects/0",
                           "/api/v1/projects/1.5",
                           "/api/v1/projects/99999999999999999999",
                           "/api/v1/projects/1/documents/x",
                           "/api/v1/projects/%31%00"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        expect_error("GET", it_url("%s", paths[i]), NULL, 400, "invalid_id");
}
END_TEST

START_TEST(path_tricks_are_refused)
{
    expect_error("GET", it_url("/api/v1/projects/../health"), NULL, 400, "invalid_path");
    expect_error("GET", it_url("/api/v1/projects/%%2e%%2e/health"), NULL, 400, "invalid_path");
    expect_error("GET", it_url("/api/v1/projects%%2F1"), NULL, 404, "not_found");
    expect_error("GET", it_url("/api/v1/projects/1%%2Fdocuments"), NULL, 400, "invalid_id");
    expect_error("GET", it_url("/api/v1/health%%00"), NULL, 404, "not_found");
    expect_error("GET", it_url("/api/v1//projects"), NULL, 404, "not_found");
    expect_error("GET", it_url("/etc/passwd"), NULL, 404, "not_found");
}
END_TEST

START_TEST(trace_id_is_kept_when_safe_and_replaced_otherwise)
{
    const char *safe[] = {"X-Trace-ID: it-trace.1_A", NULL};
    it_resp r;
    it_request("GET", it_url("/health"), NULL, safe, &r);
    char t[80];
    ck_assert_str_eq(it_header(&r, "X-Trace-ID", t, sizeof t), "it-trace.1_A");
    it_resp_free(&r);
    const char *unsafe[] = {"X-Trace-ID: bad id;drop", NULL};
    it_request("GET", it_url("/api/v1/projects/0"), NULL, unsafe, &r);
    it_header(&r, "X-Trace-ID", t, sizeof t);
    ck_assert_str_ne(t, "bad id;drop");
    ck_assert_uint_eq(strlen(t), 32);
    ck_assert_ptr_nonnull(strstr(r.body.data, t));
    it_resp_free(&r);
    /* every response has one, even a 404 */
    it_request("GET", it_url("/nowhere"), NULL, NULL, &r);
    ck_assert_uint_gt(strlen(it_header(&r, "X-Trace-ID", t, sizeof t)), 0);
    it_resp_free(&r);
}
END_TEST

START_TEST(limited_responses_carry_rate_limit_headers)
{
    it_resp r;
    it_request("GET", it_url("/api/v1/projects?limit=1"), NULL, NULL, &r);
    char v[32];
    ck_assert_int_gt(atol(it_header(&r, "X-RateLimit-Limit", v, sizeof v)), 0);
    ck_assert_int_ge(atol(it_header(&r, "X-RateLimit-Remaining", v, sizeof v)), 0);
    ck_assert_int_gt(atol(it_header(&r, "X-RateLimit-Reset", v, sizeof v)), 1700000000);
    it_resp_free(&r);
    it_request("GET", it_url("/health"), NULL, NULL, &r);
    ck_assert_str_eq(it_header(&r, "X-RateLimit-Limit", v, sizeof v), "");
    it_resp_free(&r);
}
END_TEST

START_TEST(cors_preflight_answers_allowed_origin)
{
    const char *ok[] = {"Origin: https://app.example.com", "Access-Control-Request-Method: POST",
                        "Access-Control-Request-Headers: Content-Type", NULL};
    it_resp r;
    ck_assert_int_eq(it_request("OPTIONS", it_url("/api/v1/projects"), NULL, ok, &r), 204);
    char v[128];
    ck_assert_str_eq(it_header(&r, "Access-Control-Allow-Origin", v, sizeof v),
                     "https://app.example.com");
    ck_assert_ptr_nonnull(
        strstr(it_header(&r, "Access-Control-Allow-Methods", v, sizeof v), "POST"));
    ck_assert_ptr_nonnull(
        strstr(it_header(&r, "Access-Control-Allow-Headers", v, sizeof v), "Content-Type"));
    it_resp_free(&r);
    const char *evil[] = {"Origin: https://evil.example", "Access-Control-Request-Method: POST",
                          NULL};
    ck_assert_int_eq(it_request("OPTIONS", it_url("/api/v1/projects"), NULL, evil, &r), 403);
    ck_assert_str_eq(it_header(&r, "Access-Control-Allow-Origin", v, sizeof v), "");
    it_resp_free(&r);
}
END_TEST

START_TEST(keep_alive_reuses_the_connection)
{
    CURL *c = curl_easy_init();
    it_resp r;
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(it_request_on(c, "GET", it_url("/health"), NULL, 0, NULL, &r), CURLE_OK);
        ck_assert_int_eq(r.status, 200);
        if (i > 0)
            ck_assert_msg(r.connects == 0, "request %d opened a new connection", i);
        it_resp_free(&r);
    }
    curl_easy_cleanup(c);
}
END_TEST

START_TEST(malformed_http_gets_4xx_or_close)
{
    static const char *const reqs[] = {
        "GARBAGE\r\n\r\n",
        "GET /health HTTP/9.9\r\nHost: x\r\n\r\n",
        "GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
        "GET /health HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n",
        "POST /api/v1/projects HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        "Content-Type: application/json\r\n\r\nZZZ\r\n",
        "GET /health HTTP/1.1\r\n\r\n",                         /* HTTP/1.1 without Host */
        "\x16\x03\x01\x02\x05\x01\x05\x01\xfc\x03\x03\r\n\r\n", /* a TLS hello */
    };
    for (size_t i = 0; i < sizeof reqs / sizeof reqs[0]; i++) {
        int closed;
        char *got = it_raw_exchange(it_base, reqs[i], strlen(reqs[i]), &closed);
        int status = strncmp(got, "HTTP/1.", 7) == 0 ? atoi(got + 9) : 0;
        ck_assert_msg((status >= 400 && status < 500) || (status == 0 && closed) || status == 505,
                      "request %zu: got status %d (closed %d): %.80s", i, status, closed, got);
        free(got);
    }
    it_resp r;
    ck_assert_int_eq(it_request("GET", it_url("/health"), NULL, NULL, &r), 200);
    it_resp_free(&r);
}
END_TEST

START_TEST(header_flood_gets_431_or_close)
{
    be_buf b = {0};
    be_buf_adds(&b, "GET /health HTTP/1.1\r\nHost: x\r\n");
    for (int i = 0; i < 4000; i++)
        be_buf_addf(&b, "X-Flood-%d: %064d\r\n", i, i);
    be_buf_adds(&b, "\r\n");
    int closed;
    char *got = it_raw_exchange(it_base, b.data, b.len, &closed);
    int status = strncmp(got, "HTTP/1.", 7) == 0 ? atoi(got + 9) : 0;
    ck_assert_msg(status == 431 || status == 413 || (status == 0 && closed), "got %d: %.80s",
                  status, got);
    free(got);
    be_buf_free(&b);
    it_resp r;
    ck_assert_int_eq(it_request("GET", it_url("/health"), NULL, NULL, &r), 200);
    it_resp_free(&r);
}
END_TEST

static void tests(tgt_registry *r)
{
    tgt_tcase(r, "health");
    tgt_fixture(r, it_shared_setup, it_shared_teardown);
    tgt_add(r, health_endpoints_answer);
    tgt_tcase(r, "projects");
    tgt_fixture(r, it_shared_setup, it_shared_teardown);
    tgt_add(r, project_create_read_update_delete);
    tgt_add(r, created_project_has_location);
    tgt_add(r, duplicate_name_is_409);
    tgt_add(r, project_list_paginates);
    tgt_tcase(r, "documents");
    tgt_fixture(r, it_shared_setup, it_shared_teardown);
    tgt_add(r, documents_create_read_update_delete_list);
    tgt_add(r, documents_of_missing_project_are_404);
    tgt_tcase(r, "errors");
    tgt_fixture(r, it_shared_setup, it_shared_teardown);
    tgt_add(r, wrong_method_is_405_with_allow);
    tgt_add(r, invalid_bodies_are_400);
    tgt_add(r, body_that_is_not_json_type_is_415);
    tgt_add(r, two_megabyte_body_is_413);
    tgt_tcase(r, "bad_input");
    tgt_fixture(r, it_shared_setup, it_shared_teardown);
    tgt_add(r, invalid_utf8_body_is_400);
    tgt_add(r, json_nested_ten_thousand_deep_is_400);
    tgt_add(r, ids_that_are_not_numbers_are_400);
    tgt_add(r, path_tricks_are_refused);
    tgt_add(r, malformed_http_gets_4xx_or_close);
    tgt_add(r, header_flood_gets_431_or_close);
    tgt_tcase(r, "headers");
    tgt_fixture(r, it_shared_setup, it_shared_teardown);
    tgt_add(r, trace_id_is_kept_when_safe_and_replaced_otherwise);
    tgt_add(r, limited_responses_carry_rate_limit_headers);
    tgt_add(r, cors_preflight_answers_allowed_origin);
    tgt_add(r, keep_alive_reuses_the_connection);
}

TGT_MAIN("integration", tests)
