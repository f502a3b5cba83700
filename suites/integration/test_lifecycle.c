/* Integration tests that need a backend of their own: rate-limit
 * exhaustion, the database going away, graceful shutdown, slow clients,
 * configuration errors and the request log. Each starts its backend on a
 * free loopback port and stops it. */
#include "support.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <sys/stat.h>

static void setup(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static long get_from(const char *iface, const char *url, it_resp *r)
{
    CURL *c = curl_easy_init();
    if (iface)
        curl_easy_setopt(c, CURLOPT_INTERFACE, iface);
    CURLcode rc = it_request_on(c, "GET", url, NULL, 0, NULL, r);
    curl_easy_cleanup(c);
    ck_assert_msg(rc == CURLE_OK, "GET %s: %s", url, curl_easy_strerror(rc));
    return r->status;
}

START_TEST(rate_limit_exhaustion_gives_429_per_client)
{
    static const char *const env[] = {"RATE_LIMIT_PER_MINUTE=3", NULL};
    it_backend b;
    it_backend_start(&b, env);
    char url[128], v[32];
    snprintf(url, sizeof url, "%s/api/v1/projects", b.url);
    it_resp r;
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(get_from("127.0.0.2", url, &r), 200);
        ck_assert_int_eq(atoi(it_header(&r, "X-RateLimit-Remaining", v, sizeof v)), 2 - i);
        it_resp_free(&r);
    }
    ck_assert_int_eq(get_from("127.0.0.2", url, &r), 429);
    ck_assert_int_ge(atoi(it_header(&r, "Retry-After", v, sizeof v)), 1);
    ck_assert_str_eq(it_header(&r, "X-RateLimit-Remaining", v, sizeof v), "0");
    ck_assert_ptr_nonnull(strstr(r.body.data, "\"rate_limited\""));
    it_resp_free(&r);
    /* another address has its own budget; health stays exempt */
    ck_assert_int_eq(get_from("127.0.0.3", url, &r), 200);
    it_resp_free(&r);
    snprintf(url, sizeof url, "%s/api/v1/health/readiness", b.url);
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(get_from("127.0.0.2", url, &r), 200);
        it_resp_free(&r);
    }
    ck_assert_int_eq(it_backend_stop(&b), 0);
}
END_TEST

START_TEST(readiness_turns_503_when_the_database_goes_away)
{
    char dir[] = "/tmp/it-db-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char envdb[128];
    snprintf(envdb, sizeof envdb, "DATABASE_URL=sqlite://%s/app.db", dir);
    const char *const env[] = {envdb, NULL};
    it_backend b;
    it_backend_start(&b, env);
    char url[128];
    snprintf(url, sizeof url, "%s/api/v1/health/readiness", b.url);
    it_resp r;
    ck_assert_int_eq(it_request("GET", url, NULL, NULL, &r), 200);
    it_resp_free(&r);
    const char *files[] = {"app.db", "app.db-wal", "app.db-shm"};
    for (size_t i = 0; i < 3; i++) {
        char p[160];
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        unlink(p);
    }
    ck_assert_int_eq(rmdir(dir), 0);
    ck_assert_int_eq(it_request("GET", url, NULL, NULL, &r), 503);
    ck_assert_ptr_nonnull(strstr(r.body.data, "not_ready"));
    it_resp_free(&r);
    snprintf(url, sizeof url, "%s/api/v1/health/detailed", b.url);
    ck_assert_int_eq(it_request("GET", url, NULL, NULL, &r), 503);
    ck_assert_ptr_nonnull(strstr(r.body.data, "\"down\""));
    it_resp_free(&r);
    /* liveness is about the process, not its dependencies */
    snprintf(url, sizeof url, "%s/api/v1/health/liveness", b.url);
    ck_assert_int_eq(it_request("GET", url, NULL, NULL, &r), 200);
    it_resp_free(&r);
    ck_assert_int_eq(it_backend_stop(&b), 0);
}
END_TEST

typedef struct {
    char url[160];
    it_resp r;
    CURLcode rc;
} slow_call;

static void *slow_request(void *arg)
{
    slow_call *s = arg;
    CURL *c = curl_easy_init();
    s->rc = it_request_on(c, "GET", s->url, NULL, 0, NULL, &s->r);
    curl_easy_cleanup(c);
    return NULL;
}

/* Waits (10 s at most) until the backend logged that the slow request is
 * being handled (LOG_LEVEL=debug), so SIGTERM lands while it is in flight. */
static void wait_for_log(const it_backend *b, const char *text)
{
    for (int i = 0; i < 500; i++) {
        char *log = it_backend_log(b);
        int found = strstr(log, text) != NULL;
        free(log);
        if (found)
            return;
        it_sleep_ms(20);
    }
    ck_abort_msg("the backend never logged \"%s\"", text);
}

static void wait_until_in_flight(const it_backend *b)
{
    wait_for_log(b, "debug/slow: sleeping");
}

START_TEST(sigterm_lets_an_in_flight_request_finish)
{
    static const char *const env[] = {"BE_DEBUG_SLOW_MS=10000", "LOG_LEVEL=debug", NULL};
    it_backend b;
    it_backend_start(&b, env);
    slow_call s = {0};
    snprintf(s.url, sizeof s.url, "%s/api/v1/debug/slow?ms=1500", b.url);
    pthread_t t;
    pthread_create(&t, NULL, slow_request, &s);
    wait_until_in_flight(&b);
    pid_t pid = b.pid;
    kill(pid, SIGTERM);
    wait_for_log(&b, "stopped accepting");
    /* no new connections once shutdown began */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)b.port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int refused = connect(fd, (struct sockaddr *)&a, sizeof a) != 0;
    close(fd);
    pthread_join(t, NULL);
    ck_assert_msg(s.rc == CURLE_OK, "slow request failed: %s", curl_easy_strerror(s.rc));
    ck_assert_int_eq(s.r.status, 200);
    ck_assert_ptr_nonnull(strstr(s.r.body.data, "\"slept_ms\":1500"));
    it_resp_free(&s.r);
    ck_assert_msg(refused, "a new connection was accepted after SIGTERM");
    int st = it_wait_exit(pid, 15000);
    b.pid = 0;
    it_assert_clean_log(&b);
    char *log = it_backend_log(&b);
    unlink(b.log);
    ck_assert_msg(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
                  "backend did not exit 0 after SIGTERM (status %d): %s", st, log);
    ck_assert_ptr_nonnull(strstr(log, "SIGTERM"));
    free(log);
}
END_TEST

START_TEST(sigterm_bound_stops_a_request_that_outlasts_it)
{
    static const char *const env[] = {"BE_DEBUG_SLOW_MS=60000", "SHUTDOWN_TIMEOUT=1",
                                      "LOG_LEVEL=debug", NULL};
    it_backend b;
    it_backend_start(&b, env);
    slow_call s = {0};
    snprintf(s.url, sizeof s.url, "%s/api/v1/debug/slow?ms=30000", b.url);
    pthread_t t;
    pthread_create(&t, NULL, slow_request, &s);
    wait_until_in_flight(&b);
    pid_t pid = b.pid;
    kill(pid, SIGTERM);
    /* the slow request would take 30 s; the bound is 1 s */
    int st = it_wait_exit(pid, 10000);
    b.pid = 0;
    it_assert_clean_log(&b);
    char *log = it_backend_log(&b);
    unlink(b.log);
    ck_assert_msg(st != -1, "backend still running 10 s after SIGTERM with SHUTDOWN_TIMEOUT=1");
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit status %d: %s", st, log);
    ck_assert_ptr_nonnull(strstr(log, "shutdown timeout"));
    free(log);
    pthread_join(t, NULL);
    it_resp_free(&s.r);
}
END_TEST

START_TEST(slow_client_is_disconnected_after_the_timeout)
{
    static const char *const env[] = {"CONNECTION_TIMEOUT=1", NULL};
    it_backend b;
    it_backend_start(&b, env);
    int fd = it_raw_connect(b.url);
    const char partial[] = "GET /health HTTP/1.1\r\nHo";
    ck_assert_int_eq(send(fd, partial, sizeof partial - 1, MSG_NOSIGNAL), sizeof partial - 1);
    char buf[256];
    ssize_t n = recv(fd, buf, sizeof buf, 0); /* SO_RCVTIMEO 15 s */
    close(fd);
    ck_assert_msg(n == 0 || (n < 0 && errno == ECONNRESET),
                  "a half-sent request was not closed by the server (recv %zd, errno %d)", n,
                  errno);
    it_resp r;
    char url[96];
    snprintf(url, sizeof url, "%s/health", b.url);
    ck_assert_int_eq(it_request("GET", url, NULL, NULL, &r), 200);
    it_resp_free(&r);
    ck_assert_int_eq(it_backend_stop(&b), 0);
}
END_TEST

/* Runs the backend with env and args; returns its exit status and stderr. */
static int run_backend(const char *const *env, const char *arg, char *err, size_t errlen)
{
    int pipefd[2];
    ck_assert_int_eq(pipe(pipefd), 0);
    char *bin = be_asprintf("%s/backend", it_build_dir());
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pipefd[1], 2);
        dup2(pipefd[1], 1);
        close(pipefd[0]);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        setenv("DATABASE_URL", "sqlite::memory:", 1);
        setenv("HOST", "127.0.0.1", 1);
        setenv("PORT", "1", 1); /* never reached: every case fails first */
        for (const char *const *e = env; e && *e; e++)
            putenv((char *)*e);
        execl(bin, bin, arg, (char *)NULL);
        _exit(127);
    }
    close(pipefd[1]);
    free(bin);
    size_t off = 0;
    ssize_t n;
    while (off + 1 < errlen && (n = read(pipefd[0], err + off, errlen - 1 - off)) > 0)
        off += (size_t)n;
    err[off] = '\0';
    close(pipefd[0]);
    int st = it_wait_exit(pid, 10000);
    if (st == -1) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    return st;
}

START_TEST(bad_configuration_exits_2_naming_the_variable)
{
    static const struct {
        const char *env, *arg, *says;
    } cases[] = {
        {"PORT=eighty", NULL, "PORT"},
        {"RATE_LIMIT_PER_MINUTE=lots", NULL, "RATE_LIMIT_PER_MINUTE"},
        {"MAX_BODY_BYTES=1MB", NULL, "MAX_BODY_BYTES"},
        {"DATABASE_URL=mysql://db/app", NULL, "DATABASE_URL"},
        {"DATABASE_URL=sqlite:///no/such/folder/app.db", NULL, "DATABASE_URL"},
        {"CORS_ORIGINS=example.com", NULL, "CORS_ORIGINS"},
        {"LOG_LEVEL=chatty", NULL, "LOG_LEVEL"},
        {NULL, "--port=http", "--port"},
        {NULL, "--frobnicate", "unknown argument"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *env[] = {cases[i].env, NULL};
        char err[1024];
        int st = run_backend(env, cases[i].arg, err, sizeof err);
        ck_assert_msg(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 2,
                      "case %zu (%s %s): status %d, output %s", i, cases[i].env ? cases[i].env : "",
                      cases[i].arg ? cases[i].arg : "", st, err);
        ck_assert_msg(strstr(err, cases[i].says) != NULL, "case %zu: message \"%s\" lacks %s", i,
                      err, cases[i].says);
    }
}
END_TEST

START_TEST(port_in_use_exits_2_with_a_message)
{
    it_backend a;
    it_backend_start(&a, NULL);
    it_backend b;
    it_backend_spawn(&b, NULL, a.port);
    int st = it_wait_exit(b.pid, 10000);
    char *log = it_backend_log(&b);
    b.pid = 0;
    unlink(b.log);
    ck_assert_msg(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 2, "status %d: %s", st, log);
    ck_assert_ptr_nonnull(strstr(log, "PORT"));
    free(log);
    ck_assert_int_eq(it_backend_stop(&a), 0);
}
END_TEST

START_TEST(each_request_logs_one_json_line_with_its_trace_id)
{
    it_backend b;
    it_backend_start(&b, NULL);
    char url[128];
    snprintf(url, sizeof url, "%s/api/v1/projects/77?x=1", b.url);
    const char *h[] = {"X-Trace-ID: log-line-check-1", NULL};
    it_resp r;
    ck_assert_int_eq(it_request("GET", url, NULL, h, &r), 404);
    it_resp_free(&r);
    char *log = it_backend_log(&b);
    ck_assert_int_eq(it_backend_stop(&b), 0);
    int found = 0;
    for (char *save = NULL, *line = strtok_r(log, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        cJSON *j = cJSON_Parse(line);
        ck_assert_msg(j != NULL, "log line is not JSON: %s", line);
        ck_assert_ptr_nonnull(cJSON_GetStringValue(cJSON_GetObjectItem(j, "time")));
        ck_assert_ptr_nonnull(cJSON_GetStringValue(cJSON_GetObjectItem(j, "level")));
        const char *t = cJSON_GetStringValue(cJSON_GetObjectItem(j, "trace_id"));
        if (t && strcmp(t, "log-line-check-1") == 0) {
            found++;
            ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(j, "method")), "GET");
            ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(j, "path")),
                             "/api/v1/projects/77");
            ck_assert_int_eq(cJSON_GetNumberValue(cJSON_GetObjectItem(j, "status")), 404);
            ck_assert(cJSON_IsNumber(cJSON_GetObjectItem(j, "duration_ms")));
            ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(j, "client")), "127.0.0.1");
        }
        cJSON_Delete(j);
    }
    ck_assert_int_eq(found, 1);
    free(log);
}
END_TEST

static void tests(tgt_registry *r)
{
    tgt_tcase(r, "limits");
    tgt_fixture(r, setup, NULL);
    tgt_add(r, rate_limit_exhaustion_gives_429_per_client);
    tgt_add(r, slow_client_is_disconnected_after_the_timeout);
    tgt_tcase(r, "database");
    tgt_fixture(r, setup, NULL);
    tgt_add(r, readiness_turns_503_when_the_database_goes_away);
    tgt_tcase(r, "shutdown");
    tgt_fixture(r, setup, NULL);
    tgt_add(r, sigterm_lets_an_in_flight_request_finish);
    tgt_add(r, sigterm_bound_stops_a_request_that_outlasts_it);
    tgt_tcase(r, "startup");
    tgt_fixture(r, setup, NULL);
    tgt_add(r, bad_configuration_exits_2_naming_the_variable);
    tgt_add(r, port_in_use_exits_2_with_a_message);
    tgt_add(r, each_request_logs_one_json_line_with_its_trace_id);
}

TGT_MAIN("integration", tests)
