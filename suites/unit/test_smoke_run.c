/* Tests of `tollgate smoke` and `tollgate monitor` against servers that
 * misbehave on purpose: libmicrohttpd inside this process, on 127.0.0.1 and a
 * port the kernel picks. Each test starts its own server (checked fixture)
 * and runs the verb in-process, with short intervals. */
#include "results.h"
#include "smoke.h"
#include "tg.h"
#include "tgtest.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <dirent.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- the misbehaving server --------------------------------------------- */

typedef struct {
    struct MHD_Daemon *d;
    int port;
    char base[64];
    atomic_int flap, retry_after, half, inflight, max_inflight, deletes;
    double ra_times[8];
    atomic_int ra_n;
    char last_body[256];
    pthread_mutex_t mu;
} server;

static server S;

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *ctype,
                             const char *body, const char *h1, const char *v1)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body,
                                                             MHD_RESPMEM_MUST_COPY);
    if (ctype)
        MHD_add_response_header(r, "Content-Type", ctype);
    if (h1)
        MHD_add_response_header(r, h1, v1);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

#define JSON "application/json"
#define HEALTHY "{\"status\":\"healthy\",\"version\":\"1.2.3\"}"
#define ONE_GIB (1024.0 * 1024 * 1024)

static ssize_t stream_big(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)cls;
    if ((double)pos >= ONE_GIB)
        return MHD_CONTENT_READER_END_OF_STREAM;
    memset(buf, 'x', max);
    return (ssize_t)max;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **state)
{
    (void)cls;
    (void)version;
    if (!*state) { /* first call: headers only */
        *state = (void *)1;
        return MHD_YES;
    }
    if (*upload_size) {
        pthread_mutex_lock(&S.mu);
        size_t n = *upload_size < sizeof S.last_body - 1 ? *upload_size : sizeof S.last_body - 1;
        memcpy(S.last_body, upload, n);
        S.last_body[n] = '\0';
        pthread_mutex_unlock(&S.mu);
        *upload_size = 0;
        return MHD_YES;
    }
    if (!strcmp(url, "/health"))
        return reply(c, 200, JSON, HEALTHY, "X-Trace-ID", "t-1");
    if (!strcmp(url, "/flap"))
        return ++S.flap <= 3 ? reply(c, 500, JSON, "{\"status\":\"down\"}", NULL, NULL)
                             : reply(c, 200, JSON, HEALTHY, NULL, NULL);
    if (!strcmp(url, "/always500"))
        return reply(c, 500, "text/plain", "boom", NULL, NULL);
    if (!strcmp(url, "/html"))
        return reply(c, 200, "text/html", "<html>maintenance</html>", NULL, NULL);
    if (!strcmp(url, "/badjson"))
        return reply(c, 200, JSON, "{\"status\": ", NULL, NULL);
    if (!strcmp(url, "/slow")) {
        sleep_ms(1000);
        return reply(c, 200, JSON, HEALTHY, NULL, NULL);
    }
    if (!strcmp(url, "/hold")) {
        int now = ++S.inflight, seen = S.max_inflight;
        while (now > seen && !atomic_compare_exchange_weak(&S.max_inflight, &seen, now))
            ;
        sleep_ms(150);
        S.inflight--;
        return reply(c, 200, JSON, HEALTHY, NULL, NULL);
    }
    if (!strcmp(url, "/redirect-other")) {
        char loc[96];
        snprintf(loc, sizeof loc, "http://localhost:%d/health", S.port);
        return reply(c, 302, "text/plain", "moved", "Location", loc);
    }
    if (!strcmp(url, "/redirect-same"))
        return reply(c, 302, "text/plain", "moved", "Location", "/health");
    if (!strcmp(url, "/retry-after")) {
        int n = S.ra_n++;
        if (n < 8)
            S.ra_times[n] = tg_now();
        return n == 0 ? reply(c, 503, JSON, "{\"status\":\"starting\"}", "Retry-After", "1")
                      : reply(c, 200, JSON, HEALTHY, NULL, NULL);
    }
    if (!strcmp(url, "/too-many")) { /* 429 with Retry-After as an HTTP date */
        int n = S.ra_n++;
        if (n < 8)
            S.ra_times[n] = tg_now();
        if (n > 0)
            return reply(c, 200, JSON, HEALTHY, NULL, NULL);
        char date[64];
        time_t later = time(NULL) + 2; /* at least 1 s away, whatever the sub-second */
        struct tm tm;
        gmtime_r(&later, &tm);
        strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        return reply(c, 429, JSON, "{\"error\":{\"code\":\"rate_limited\"}}", "Retry-After", date);
    }
    if (!strcmp(url, "/big")) {
        struct MHD_Response *r =
            MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 65536, stream_big, NULL, NULL);
        MHD_add_response_header(r, "Content-Type", JSON);
        enum MHD_Result ret = MHD_queue_response(c, 200, r);
        MHD_destroy_response(r);
        return ret;
    }
    if (!strcmp(url, "/echo")) {
        const char *a = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
        const char *k = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Api-Key");
        const char *t = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Internal-Token");
        char body[512];
        snprintf(body, sizeof body, "{\"auth\":\"%s\",\"key\":\"%s\",\"token\":\"%s\"}",
                 a ? a : "", k ? k : "", t ? t : "");
        return reply(c, 200, JSON, body, "Set-Cookie", "session=C00KIE-SECRET-77; HttpOnly");
    }
    if (!strcmp(url, "/half"))
        return S.half++ % 2 ? reply(c, 500, JSON, "{}", NULL, NULL)
                            : reply(c, 200, JSON, HEALTHY, NULL, NULL);
    if (!strcmp(url, "/hdrs"))
        return reply(c, 200, JSON,
                     "{\"n\":5,\"ratio\":0.5,\"items\":[{\"id\":\"a\"}],\"ok\":true,\"none\":null,"
                     "\"name\":\"alpha\"}",
                     "X-RateLimit-Limit", "60");
    if (!strcmp(url, "/projects") && !strcmp(method, "POST"))
        return reply(c, 201, JSON, "{\"id\":\"p-42\"}", NULL, NULL);
    if (!strcmp(url, "/projects/p-42")) {
        if (!strcmp(method, "DELETE")) {
            S.deletes++;
            return reply(c, 204, NULL, "", NULL, NULL);
        }
        return reply(c, 200, JSON, "{\"id\":\"p-42\"}", NULL, NULL);
    }
    return reply(c, 404, JSON,
                 "{\"error\":{\"code\":\"not_found\",\"message\":\"no such thing\",\"trace_id\":"
                 "\"t\"}}",
                 NULL, NULL);
}

static struct MHD_Daemon *start_daemon(unsigned extra_flags, const char *key, const char *cert,
                                       int *port)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = 0;
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | extra_flags;
    struct MHD_Daemon *d;
    if (key)
        d = MHD_start_daemon(flags, 0, NULL, NULL, handle, NULL, MHD_OPTION_SOCK_ADDR, &sa,
                             MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_HTTPS_MEM_CERT, cert,
                             MHD_OPTION_END);
    else
        d = MHD_start_daemon(flags, 0, NULL, NULL, handle, NULL, MHD_OPTION_SOCK_ADDR, &sa,
                             MHD_OPTION_END);
    ck_assert_msg(d != NULL, "libmicrohttpd did not start");
    *port = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port;
    return d;
}

static void setup(void)
{
    memset(&S, 0, sizeof S);
    pthread_mutex_init(&S.mu, NULL);
    S.d = start_daemon(0, NULL, NULL, &S.port);
    snprintf(S.base, sizeof S.base, "http://127.0.0.1:%d", S.port);
}

static void teardown(void)
{
    MHD_stop_daemon(S.d);
}

/* ---- running the verb --------------------------------------------------- */

typedef struct {
    char dir[64];
    char *log;  /* stdout and stderr */
    tg_results r;
    int rc;
} run;

/* An empty run with its own temporary folder. */
static void new_run(run *x)
{
    memset(x, 0, sizeof *x);
    strcpy(x->dir, "/tmp/tg-smoke-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(x->dir));
}

static char *path_in(const run *x, const char *name)
{
    return tg_asprintf("%s/%s", x->dir, name);
}

static void write_text(const char *path, const char *text)
{
    ck_assert_int_eq(tg_write_file_atomic(path, text, strlen(text)), 0);
}

/* Calls verb(argv) with stdout and stderr in x->dir/log. */
static int call_captured(run *x, int (*verb)(int, char **), const char **argv)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    char *log = path_in(x, "log");
    fflush(stdout);
    fflush(stderr);
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    int o = dup(1), e = dup(2);
    dup2(fd, 1);
    dup2(fd, 2);
    int rc = verb(argc, (char **)argv);
    fflush(stdout);
    fflush(stderr);
    dup2(o, 1);
    dup2(e, 2);
    close(o);
    close(e);
    close(fd);
    free(x->log);
    x->log = tg_read_file(log, NULL);
    free(log);
    return rc;
}

/* Runs `tollgate smoke BASE --spec DIR/NAME.yaml --out DIR/out --interval 50ms FLAGS...`. */
static void smoke_named(run *x, const char *name, const char *yaml, const char *base,
                        const char **flags)
{
    new_run(x);
    const char *argv[32] = {"smoke"};
    int n = 1;
    char *spec = NULL, *out = path_in(x, "out");
    if (base)
        argv[n++] = base;
    if (yaml) {
        char *file = tg_asprintf("%s.yaml", name);
        spec = path_in(x, file);
        free(file);
        write_text(spec, yaml);
        argv[n++] = "--spec";
        argv[n++] = spec;
    }
    argv[n++] = "--out";
    argv[n++] = out;
    argv[n++] = "--interval";
    argv[n++] = "50ms";
    for (int i = 0; flags && flags[i] && n < 31; i++)
        argv[n++] = flags[i];
    argv[n] = NULL;
    x->rc = call_captured(x, tg_cmd_smoke, argv);
    char *results = tg_asprintf("%s/results.json", out);
    char *why = NULL;
    if (tg_results_read(results, &x->r, &why) != 0) { /* no results.json: an empty model */
        tg_results_free(&x->r);
        tg_results_init(&x->r, "missing");
    }
    free(why);
    free(results);
    free(spec);
    free(out);
}

static void smoke(run *x, const char *yaml, const char **flags)
{
    smoke_named(x, "t", yaml, S.base, flags);
}

static void rm_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char *p = tg_asprintf("%s/%s", dir, e->d_name);
        if (e->d_type == DT_DIR)
            rm_tree(p);
        else
            unlink(p);
        free(p);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

static void done(run *x)
{
    tg_results_free(&x->r);
    free(x->log);
    rm_tree(x->dir);
}

static const tg_test *test_of(const run *x, const char *id)
{
    for (size_t i = 0; i < x->r.ntests; i++)
        if (!strcmp(x->r.tests[i].id, id))
            return &x->r.tests[i];
    ck_abort_msg("no test %s in results.json; log:\n%s", id, x->log ? x->log : "");
    return NULL;
}

#define ONE_CHECK(name, rest) "checks:\n  - name: " name "\n" rest

/* ---- the misbehaving servers -------------------------------------------- */

START_TEST(default_check_passes_on_health)
{
    run x;
    smoke(&x, NULL, NULL);
    ck_assert_msg(x.rc == 0, "exit %d: %s", x.rc, x.log);
    ck_assert_int_eq(test_of(&x, "smoke/default/health")->status, TG_ST_PASSED);
    done(&x);
}
END_TEST

START_TEST(flapping_endpoint_passes_on_fourth_attempt_as_flaky)
{
    run x;
    smoke(&x, ONE_CHECK("flap", "    path: /flap\n"), NULL);
    ck_assert_msg(x.rc == 0, "flaky counts as passed; exit %d: %s", x.rc, x.log);
    const tg_test *t = test_of(&x, "smoke/t/flap");
    ck_assert_int_eq(t->status, TG_ST_FLAKY);
    ck_assert_int_eq(t->attempts, 4);
    ck_assert_int_eq(t->ntries, 3);
    ck_assert_ptr_nonnull(strstr(t->tries[0].message, "status 500"));
    ck_assert_int_eq(S.flap, 4);
    done(&x);
}
END_TEST

START_TEST(server_errors_fail_after_the_retries)
{
    run x;
    const char *flags[] = {"--retries", "3", NULL};
    smoke(&x, ONE_CHECK("boom", "    path: /always500\n"), flags);
    ck_assert_int_eq(x.rc, 1);
    const tg_test *t = test_of(&x, "smoke/t/boom");
    ck_assert_int_eq(t->status, TG_ST_FAILED);
    ck_assert_int_eq(t->attempts, 3);
    ck_assert_ptr_nonnull(strstr(t->message, "status 500; expected 2xx (body \"boom\")"));
    done(&x);
}
END_TEST

START_TEST(slow_answer_is_a_timeout)
{
    run x;
    const char *flags[] = {"--timeout", "200ms", "--retries", "1", NULL};
    smoke(&x, ONE_CHECK("slow", "    path: /slow\n"), flags);
    ck_assert_int_eq(x.rc, 1);
    const tg_test *t = test_of(&x, "smoke/t/slow");
    ck_assert_int_eq(t->status, TG_ST_ERROR);
    ck_assert_msg(strstr(t->message, "timeout: no complete answer within 200 ms"), "%s",
                  t->message);
    done(&x);
}
END_TEST

START_TEST(refused_connection_says_connect_failed)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    getsockname(fd, (struct sockaddr *)&sa, &len);
    close(fd); /* nothing listens there now */
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", ntohs(sa.sin_port));
    run x;
    const char *flags[] = {"--retries", "2", NULL};
    smoke_named(&x, "t", NULL, url, flags);
    ck_assert_int_eq(x.rc, 1);
    const tg_test *t = test_of(&x, "smoke/default/health");
    ck_assert_int_eq(t->status, TG_ST_ERROR);
    ck_assert_int_eq(t->attempts, 2);
    ck_assert_msg(strstr(t->message, "connect failed"), "%s", t->message);
    done(&x);
}
END_TEST

START_TEST(unknown_host_says_name_resolution)
{
    run x;
    const char *flags[] = {"--retries", "1", NULL};
    /* A label over 63 bytes cannot be put in a DNS query: the resolver refuses
     * it locally, so the test fails resolution without sending a packet. */
    char url[128] = "http://";
    memset(url + 7, 'a', 70);
    strcpy(url + 77, ".invalid");
    smoke_named(&x, "t", NULL, url, flags);
    ck_assert_int_eq(x.rc, 1);
    ck_assert_msg(strstr(test_of(&x, "smoke/default/health")->message, "name resolution failed"),
                  "%s", x.log);
    done(&x);
}
END_TEST

START_TEST(wrong_content_type_fails_json_expectations)
{
    run x;
    const char *flags[] = {"--retries", "1", NULL};
    smoke(&x, ONE_CHECK("html", "    path: /html\n    expect: {json: {status: healthy}}\n"), flags);
    ck_assert_int_eq(x.rc, 1);
    ck_assert_str_eq(test_of(&x, "smoke/t/html")->message,
                     "expected a JSON body but Content-Type is text/html");
    done(&x);
}
END_TEST

START_TEST(invalid_json_is_reported)
{
    run x;
    const char *flags[] = {"--retries", "1", NULL};
    smoke(&x, ONE_CHECK("bad", "    path: /badjson\n    expect: {json: {status: healthy}}\n"),
          flags);
    ck_assert_int_eq(x.rc, 1);
    ck_assert_str_eq(test_of(&x, "smoke/t/bad")->message,
                     "the body is not valid JSON: \"{\"status\": \"");
    done(&x);
}
END_TEST

START_TEST(redirect_to_another_host_is_not_followed)
{
    run x;
    const char *flags[] = {"--retries", "1", NULL};
    smoke(&x,
          "checks:\n"
          "  - {name: other, path: /redirect-other}\n"
          "  - {name: other-allowed, path: /redirect-other, redirects: any}\n"
          "  - {name: same, path: /redirect-same, expect: {json: {status: healthy}}}\n"
          "  - {name: not-followed, path: /redirect-same, redirects: none, expect: {status: 302}}\n",
          flags);
    ck_assert_int_eq(x.rc, 1);
    const tg_test *t = test_of(&x, "smoke/t/other");
    ck_assert_int_eq(t->status, TG_ST_FAILED);
    ck_assert_msg(strstr(t->message, "redirected (302) to another host, http://localhost:"),
                  "%s", t->message);
    ck_assert_int_eq(test_of(&x, "smoke/t/other-allowed")->status, TG_ST_PASSED);
    ck_assert_int_eq(test_of(&x, "smoke/t/same")->status, TG_ST_PASSED);
    ck_assert_int_eq(test_of(&x, "smoke/t/not-followed")->status, TG_ST_PASSED);
    done(&x);
}
END_TEST

START_TEST(retry_after_of_one_second_is_honoured)
{
    run x;
    smoke(&x, ONE_CHECK("starting", "    path: /retry-after\n"), NULL);
    ck_assert_msg(x.rc == 0, "%s", x.log);
    const tg_test *t = test_of(&x, "smoke/t/starting");
    ck_assert_int_eq(t->status, TG_ST_FLAKY);
    ck_assert_int_eq(t->attempts, 2);
    ck_assert_int_eq(S.ra_n, 2);
    /* --interval is 50ms: only Retry-After explains a wait of a second. */
    ck_assert_msg(S.ra_times[1] - S.ra_times[0] >= 1.0, "waited only %.3f s",
                  S.ra_times[1] - S.ra_times[0]);
    done(&x);
}
END_TEST

START_TEST(retry_after_as_a_date_is_honoured_on_429)
{
    run x;
    smoke(&x, ONE_CHECK("limited", "    path: /too-many\n"), NULL);
    ck_assert_msg(x.rc == 0, "%s", x.log);
    const tg_test *t = test_of(&x, "smoke/t/limited");
    ck_assert_int_eq(t->status, TG_ST_FLAKY);
    ck_assert_ptr_nonnull(strstr(t->tries[0].message, "status 429"));
    ck_assert_int_eq(S.ra_n, 2);
    ck_assert_msg(S.ra_times[1] - S.ra_times[0] >= 1.0, "waited only %.3f s",
                  S.ra_times[1] - S.ra_times[0]);
    done(&x);
}
END_TEST

START_TEST(huge_body_is_read_up_to_the_cap)
{
    run x;
    const char *flags[] = {"--retries", "1", NULL};
    smoke(&x, ONE_CHECK("big", "    path: /big\n"), flags);
    ck_assert_int_eq(x.rc, 1);
    const tg_test *t = test_of(&x, "smoke/t/big");
    ck_assert_int_eq(t->status, TG_ST_FAILED);
    ck_assert_msg(strstr(t->message, "larger than the 1048576-byte cap; stopped reading after "
                                     "1048576 bytes"),
                  "%s", t->message);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    ck_assert_msg(ru.ru_maxrss < 512 * 1024, "peak memory %ld KiB: the 1 GiB body was kept",
                  ru.ru_maxrss);
    done(&x);
}
END_TEST

/* Expectations as data: each row is an expect: block for GET /hdrs and the
 * failure it must produce (NULL: it must pass). */
static const struct {
    const char *expect, *fails_with;
} expectation_rows[] = {
    {"{status: 200}", NULL},
    {"{status: [201, 204]}", "status 200; expected 201 or 204"},
    {"{status: 2xx}", NULL},
    {"{headers: {X-RateLimit-Limit: \"60\"}}", NULL},
    {"{headers: {X-RateLimit-Limit: \"61\"}}", "header X-RateLimit-Limit is \"60\"; expected \"61\""},
    {"{headers: {Content-Type: {pattern: \"^application/json$\"}}}", NULL},
    {"{headers: {X-RateLimit-Limit: {pattern: \"^[a-z]+$\"}}}", "expected it to match /^[a-z]+$/"},
    {"{headers: {X-Missing: {present: true}}}", "header X-Missing is missing"},
    {"{headers: {X-RateLimit-Limit: {absent: true}}}", "header X-RateLimit-Limit is present (60)"},
    {"{json: {n: 5, ratio: 0.5, ok: true, none: null, name: alpha, \"items[0].id\": a}}", NULL},
    {"{json: {$.n: \"5\"}}", "JSON $.n is 5 (number); expected 5"},
    {"{json: {name: beta}}", "JSON name is alpha (string); expected beta"},
    {"{json: {n: {gt: 4, ge: 5, lt: 6, le: 5, type: number}}}", NULL},
    {"{json: {n: {gt: 5}}}", "JSON n is 5; expected more than 5"},
    {"{json: {n: {lt: 5}}}", "JSON n is 5; expected less than 5"},
    {"{json: {name: {type: number}}}", "JSON name is a string; expected a number"},
    {"{json: {items: {type: array}, \"items[1]\": {exists: false}}}", NULL},
    {"{json: {\"items[0].id\": {exists: false}}}", "JSON items[0].id is present; expected it absent"},
    {"{json: {missing.deep: {exists: true}}}", "JSON missing.deep is missing"},
    {"{json: {name: {pattern: \"^al\"}}}", NULL},
    {"{json: {name: {pattern: \"^be\"}}}", "JSON name is alpha; expected it to match /^be/"},
    {"{body: {pattern: \"\\\"ok\\\":true\"}}", NULL},
    {"{body: {pattern: \"nope\"}}", "body does not match /nope/"},
    {"{max_ms: 60000}", NULL},
    {"{max_ms: 0}", "the budget is 0 ms"},
    {"{tls_days_left: 1}", "no peer certificate"},
};

START_TEST(expectations_pass_and_fail_precisely)
{
    size_t n = sizeof expectation_rows / sizeof expectation_rows[0];
    tg_buf spec;
    tg_buf_init(&spec);
    tg_buf_adds(&spec, "retries: 1\nparallel: true\nchecks:\n");
    for (size_t i = 0; i < n; i++)
        tg_buf_addf(&spec, "  - {name: row%02zu, path: /hdrs, expect: %s}\n", i,
                    expectation_rows[i].expect);
    run x;
    smoke(&x, spec.data, NULL);
    tg_buf_free(&spec);
    ck_assert_msg(x.rc == 1, "exit %d: %s", x.rc, x.log);
    for (size_t i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof id, "smoke/t/row%02zu", i);
        const tg_test *t = test_of(&x, id);
        if (!expectation_rows[i].fails_with)
            ck_assert_msg(t->status == TG_ST_PASSED, "row %zu (%s) failed: %s", i,
                          expectation_rows[i].expect, t->message);
        else
            ck_assert_msg(t->status == TG_ST_FAILED &&
                              strstr(t->message, expectation_rows[i].fails_with),
                          "row %zu (%s): expected failure \"%s\", got %s \"%s\"", i,
                          expectation_rows[i].expect, expectation_rows[i].fails_with,
                          tg_status_name(t->status), t->message);
    }
    done(&x);
}
END_TEST

START_TEST(capture_carries_an_id_from_create_to_read_to_delete)
{
    run x;
    smoke(&x,
          "retries: 1\n"
          "checks:\n"
          "  - name: create\n"
          "    method: POST\n"
          "    path: /projects\n"
          "    json: {name: demo, tags: [a, 1, true]}\n"
          "    expect: {status: 201}\n"
          "    capture: {pid: {json: id}, trace: {header: Content-Type}}\n"
          "  - name: read\n"
          "    path: /projects/${pid}\n"
          "    expect: {json: {id: \"${pid}\"}}\n"
          "  - name: delete\n"
          "    method: DELETE\n"
          "    path: /projects/${pid}\n"
          "    expect: {status: 204}\n",
          NULL);
    ck_assert_msg(x.rc == 0, "%s", x.log);
    ck_assert_str_eq(S.last_body, "{\"name\":\"demo\",\"tags\":[\"a\",1,true]}");
    ck_assert_int_eq(S.deletes, 1);
    done(&x);
}
END_TEST

START_TEST(failed_capture_skips_the_checks_that_need_it)
{
    run x;
    smoke(&x,
          "retries: 1\n"
          "checks:\n"
          "  - {name: create, method: POST, path: /always500, capture: {pid: {json: id}}}\n"
          "  - {name: read, path: \"/projects/${pid}\"}\n"
          "  - {name: health, path: /health}\n",
          NULL);
    ck_assert_int_eq(x.rc, 1);
    ck_assert_int_eq(test_of(&x, "smoke/t/create")->status, TG_ST_FAILED);
    const tg_test *t = test_of(&x, "smoke/t/read");
    ck_assert_int_eq(t->status, TG_ST_SKIPPED);
    ck_assert_ptr_nonnull(strstr(t->message, "not run: ${pid} has no value"));
    ck_assert_int_eq(test_of(&x, "smoke/t/health")->status, TG_ST_PASSED);
    ck_assert_ptr_nonnull(strstr(x.log, "tollgate: 1 passed, 1 failed, 1 skipped\n"));
    done(&x);
}
END_TEST

static const cJSON *smoke_check(const run *x, const char *id)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(cJSON_GetObjectItem(x->r.extra, "smoke"), "checks"))
    {
        if (!strcmp(cJSON_GetObjectItem(c, "id")->valuestring, id))
            return c;
    }
    ck_abort_msg("no smoke check %s", id);
    return NULL;
}

START_TEST(load_probe_reports_percentiles_and_error_rate)
{
    run x;
    smoke(&x,
          "retries: 1\n"
          "parallel: true\n"
          "checks:\n"
          "  - {name: ok, path: /health, load: {requests: 40, concurrency: 4, p99_ms: 60000}}\n"
          "  - {name: errors, path: /half, load: {requests: 20, concurrency: 2, "
          "max_error_rate: 10%}}\n"
          "  - {name: budget, path: /health, load: {requests: 10, p50_ms: 0}}\n",
          NULL);
    ck_assert_int_eq(x.rc, 1);
    ck_assert_int_eq(test_of(&x, "smoke/t/ok")->status, TG_ST_PASSED);
    const cJSON *ok = smoke_check(&x, "smoke/t/ok");
    const cJSON *lat = cJSON_GetObjectItem(ok, "latency_ms");
    ck_assert_int_eq(cJSON_GetObjectItem(lat, "n")->valueint, 40);
    ck_assert(cJSON_GetObjectItem(lat, "p50")->valuedouble <=
              cJSON_GetObjectItem(lat, "p99")->valuedouble);
    ck_assert_int_eq(cJSON_GetObjectItem(ok, "requests")->valueint, 40);
    ck_assert_msg(strstr(test_of(&x, "smoke/t/errors")->message,
                         "error rate 50.0% (10 of 20 requests) is over 10.0%"),
                  "%s", test_of(&x, "smoke/t/errors")->message);
    ck_assert_ptr_nonnull(strstr(test_of(&x, "smoke/t/budget")->message, "over the 0 ms budget"));
    done(&x);
}
END_TEST

START_TEST(load_probe_keeps_its_concurrency)
{
    run x;
    smoke(&x, ONE_CHECK("hold", "    path: /hold\n    load: {requests: 8, concurrency: 4}\n"),
          NULL);
    ck_assert_msg(x.rc == 0, "%s", x.log);
    ck_assert_int_le(S.max_inflight, 4);
    ck_assert_int_ge(S.max_inflight, 2);
    done(&x);
}
END_TEST

START_TEST(specs_run_side_by_side_checks_in_order)
{
    run x;
    new_run(&x);
    char *a = path_in(&x, "a.yaml"), *b = path_in(&x, "b.yaml"), *out = path_in(&x, "out");
    const char *in_order = "checks:\n  - {name: one, path: /hold}\n  - {name: two, path: /hold}\n";
    write_text(a, in_order);
    write_text(b, in_order);
    const char *argv[] = {"smoke", S.base, "--spec", a, b, "--out", out, NULL};
    x.rc = call_captured(&x, tg_cmd_smoke, argv);
    ck_assert_msg(x.rc == 0, "%s", x.log);
    /* two specs at once, but never two checks of one spec: exactly two in flight */
    ck_assert_int_eq(S.max_inflight, 2);
    ck_assert_ptr_nonnull(strstr(x.log, "smoke/a/two"));
    ck_assert_ptr_nonnull(strstr(x.log, "smoke/b/two"));
    free(a);
    free(b);
    free(out);
    done(&x);
}
END_TEST

/* ---- outputs ------------------------------------------------------------ */

static int file_has(const char *path, const char *needle)
{
    char *text = tg_read_file(path, NULL);
    int found = text && strstr(text, needle);
    free(text);
    return found;
}

START_TEST(secrets_never_reach_any_output)
{
    setenv("TG_TEST_TOKEN", "T0KEN-SECRET-11", 1);
    setenv("TG_TEST_INTERNAL", "INTERNAL-SECRET-33", 1);
    char base[128];
    snprintf(base, sizeof base, "http://deploy:PASSW0RD-SECRET-55@127.0.0.1:%d", S.port);
    run x;
    const char *flags[] = {"--retries", "2", NULL};
    smoke_named(&x, "t",
                "secrets: [X-Internal-Token]\n"
                "headers:\n"
                "  X-Internal-Token: ${TG_TEST_INTERNAL}\n"
                "checks:\n"
                "  - name: echo\n"
                "    path: /echo\n"
                "    headers:\n"
                "      Authorization: Bearer ${TG_TEST_TOKEN}\n"
                "      X-Api-Key: APIKEY-SECRET-22\n"
                "    expect:\n"
                "      status: 201\n"
                "      headers: {Set-Cookie: {absent: true}}\n"
                "  - name: query\n"
                "    url: http://127.0.0.1:1/x?a=1&access_token=QUERY-SECRET-66&b=2\n",
                base, flags);
    ck_assert_int_eq(x.rc, 1);
    const char *secrets[] = {"T0KEN-SECRET-11", "APIKEY-SECRET-22", "INTERNAL-SECRET-33",
                             "C00KIE-SECRET-77", "PASSW0RD-SECRET-55", "QUERY-SECRET-66"};
    const char *files[] = {"out/results.json", "out/junit.xml", "out/summary.md", "log"};
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        char *p = path_in(&x, files[f]);
        ck_assert_msg(file_has(p, "***"), "%s shows no masked value", files[f]);
        for (size_t s = 0; s < sizeof secrets / sizeof secrets[0]; s++)
            ck_assert_msg(!file_has(p, secrets[s]), "%s leaks %s", files[f], secrets[s]);
        free(p);
    }
    done(&x);
}
END_TEST

START_TEST(outputs_are_complete_and_agree)
{
    run x;
    const char *flags[] = {"--retries", "1", NULL};
    smoke(&x, "checks:\n  - {name: up, path: /health}\n  - {name: down, path: /always500}\n",
          flags);
    ck_assert_int_eq(x.rc, 1);
    ck_assert_str_eq(x.r.kind, "smoke");
    ck_assert_int_eq(x.r.totals.passed, 1);
    ck_assert_int_eq(x.r.totals.failed, 1);
    const cJSON *sm = cJSON_GetObjectItem(x.r.extra, "smoke");
    ck_assert_int_eq(cJSON_GetObjectItem(sm, "passed")->valueint, 1);
    ck_assert_int_eq(cJSON_GetObjectItem(sm, "failed")->valueint, 1);
    const tg_test *up = test_of(&x, "smoke/t/up");
    ck_assert_int_eq(up->line, 2);
    ck_assert_ptr_nonnull(strstr(up->file, "/t.yaml"));
    char *junit = path_in(&x, "out/junit.xml"), *md = path_in(&x, "out/summary.md");
    ck_assert(file_has(junit, "classname=\"smoke.t\" name=\"down\""));
    ck_assert(file_has(junit, "<failure"));
    ck_assert(file_has(md, "| `smoke/t/up` | passed | 1 | 200 |"));
    ck_assert(file_has(md, "**Unhealthy**"));
    free(junit);
    free(md);
    /* the count is the last line, alone */
    size_t len = strlen(x.log);
    ck_assert(len > 0 && x.log[len - 1] == '\n');
    x.log[len - 1] = '\0';
    const char *last = strrchr(x.log, '\n');
    ck_assert_str_eq(last ? last + 1 : x.log, "tollgate: 1 passed, 1 failed, 0 skipped");
    done(&x);
}
END_TEST

START_TEST(jenkins_style_junit_has_no_file_attributes)
{
    run x;
    const char *flags[] = {"--junit-style", "jenkins", NULL};
    smoke(&x, ONE_CHECK("up", "    path: /health\n"), flags);
    ck_assert_int_eq(x.rc, 0);
    char *junit = path_in(&x, "out/junit.xml");
    ck_assert(file_has(junit, "<testcase"));
    ck_assert(!file_has(junit, " file=\""));
    free(junit);
    done(&x);
}
END_TEST

START_TEST(bad_spec_url_or_flag_exit_2)
{
    run x;
    smoke(&x, "checks:\n  - name: h\n    path: /health\n    colour: blue\n", NULL);
    ck_assert_int_eq(x.rc, 2);
    ck_assert_msg(strstr(x.log, "t.yaml:4: unknown key 'colour' in a check"), "%s", x.log);
    done(&x);
    smoke_named(&x, "t", NULL, "ftp://127.0.0.1/", NULL);
    ck_assert_int_eq(x.rc, 2);
    ck_assert_ptr_nonnull(strstr(x.log, "is not http:// or https://"));
    done(&x);
    const char *flags[] = {"--retries", "many", NULL};
    smoke(&x, NULL, flags);
    ck_assert_int_eq(x.rc, 2);
    done(&x);
    smoke(&x, "checks: [\n", NULL);
    ck_assert_int_eq(x.rc, 2);
    ck_assert_ptr_nonnull(strstr(x.log, "not valid YAML"));
    done(&x);
    new_run(&x);
    const char *no_every[] = {"monitor", S.base, "--rounds", "1", NULL};
    ck_assert_int_eq(call_captured(&x, tg_cmd_monitor, no_every), 2);
    ck_assert_ptr_nonnull(strstr(x.log, "monitor needs --every"));
    done(&x);
}
END_TEST

/* ---- TLS ---------------------------------------------------------------- */

typedef struct {
    struct MHD_Daemon *d;
    char url[64], dir[64], ca[96];
} tls_server;

/* A self-signed certificate for 127.0.0.1, valid 30 days, made with openssl. */
static void start_tls(tls_server *t)
{
    ck_assert_msg(MHD_is_feature_supported(MHD_FEATURE_TLS) == MHD_YES,
                  "libmicrohttpd was built without TLS");
    strcpy(t->dir, "/tmp/tg-smoke-tls-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(t->dir));
    snprintf(t->ca, sizeof t->ca, "%s/cert.pem", t->dir);
    char *cmd = tg_asprintf("openssl req -x509 -newkey rsa:2048 -nodes -days 30 "
                            "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 "
                            "-keyout %s/key.pem -out %s/cert.pem >/dev/null 2>&1",
                            t->dir, t->dir);
    ck_assert_msg(system(cmd) == 0, "openssl could not make a certificate (ci/install-deps.sh)");
    free(cmd);
    char *kp = tg_asprintf("%s/key.pem", t->dir);
    char *key = tg_read_file(kp, NULL), *cert = tg_read_file(t->ca, NULL);
    int port;
    t->d = start_daemon(MHD_USE_TLS, key, cert, &port);
    snprintf(t->url, sizeof t->url, "https://127.0.0.1:%d", port);
    free(kp);
    free(key);
    free(cert);
}

static void stop_tls(tls_server *t)
{
    MHD_stop_daemon(t->d);
    rm_tree(t->dir);
}

START_TEST(tls_is_verified_against_the_ca_file)
{
    tls_server t;
    start_tls(&t);
    char *spec = tg_asprintf(
        "retries: 1\n"
        "parallel: true\n"
        "checks:\n"
        "  - {name: no-ca, path: /health}\n"
        "  - {name: days-ok, url: \"%s/health\", expect: {tls_days_left: 20}}\n"
        "  - {name: days-short, url: \"%s/health\", expect: {tls_days_left: 60}}\n",
        t.url, t.url);
    run x;
    smoke_named(&x, "t", spec, t.url, NULL);
    ck_assert_int_eq(x.rc, 1);
    const tg_test *no_ca = test_of(&x, "smoke/t/no-ca");
    ck_assert_int_eq(no_ca->status, TG_ST_ERROR);
    ck_assert_msg(strstr(no_ca->message, "TLS failed"), "%s", no_ca->message);
    done(&x);
    free(spec);

    spec = tg_asprintf("retries: 1\n"
                       "tls: {ca_file: \"%s\"}\n"
                       "checks:\n"
                       "  - {name: days-ok, path: /health, expect: {tls_days_left: 20}}\n"
                       "  - {name: days-short, path: /health, expect: {tls_days_left: 60}}\n",
                       t.ca);
    smoke_named(&x, "t", spec, t.url, NULL);
    ck_assert_int_eq(x.rc, 1);
    ck_assert_msg(test_of(&x, "smoke/t/days-ok")->status == TG_ST_PASSED, "%s", x.log);
    const cJSON *c = smoke_check(&x, "smoke/t/days-ok");
    int days = cJSON_GetObjectItem(c, "tls_days_left")->valueint;
    ck_assert_msg(days == 29 || days == 30, "days left %d", days);
    ck_assert_msg(strstr(test_of(&x, "smoke/t/days-short")->message,
                         "the TLS certificate expires in"),
                  "%s", test_of(&x, "smoke/t/days-short")->message);
    done(&x);
    free(spec);
    stop_tls(&t);
}
END_TEST

START_TEST(tls_verification_can_be_turned_off)
{
    tls_server t;
    start_tls(&t);
    run x;
    smoke_named(&x, "t", "tls: {verify: false}\nchecks:\n  - {name: h, path: /health}\n", t.url,
                NULL);
    ck_assert_msg(x.rc == 0, "%s", x.log);
    done(&x);
    stop_tls(&t);
}
END_TEST

/* ---- monitor ------------------------------------------------------------ */

static cJSON *read_json(const char *path)
{
    char *text = tg_read_file(path, NULL);
    cJSON *j = text ? cJSON_Parse(text) : NULL;
    free(text);
    return j;
}

static void monitor_in(run *x, const char *path, const char **flags)
{
    new_run(x);
    char *url = tg_asprintf("%s%s", S.base, path), *out = path_in(x, "out");
    const char *argv[24] = {"monitor", S.base, "--out", out, "--interval", "20ms"};
    int n = 6;
    char *spec = path_in(x, "m.yaml");
    char *yaml = tg_asprintf("checks:\n  - {name: probe, path: %s}\n", path);
    write_text(spec, yaml);
    argv[n++] = "--spec";
    argv[n++] = spec;
    for (int i = 0; flags[i]; i++)
        argv[n++] = flags[i];
    x->rc = call_captured(x, tg_cmd_monitor, argv);
    free(yaml);
    free(spec);
    free(url);
    free(out);
}

START_TEST(monitor_rounds_write_history_and_report)
{
    run x;
    const char *flags[] = {"--every", "100ms", "--rounds", "3", NULL};
    monitor_in(&x, "/health", flags);
    ck_assert_msg(x.rc == 0, "%s", x.log);
    char *hp = path_in(&x, "out/history.json"), *md = path_in(&x, "out/health.md");
    cJSON *h = read_json(hp);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(h, "rounds")), 3);
    ck_assert_double_eq(cJSON_GetObjectItem(h, "availability")->valuedouble, 100);
    const cJSON *r0 = cJSON_GetArrayItem(cJSON_GetObjectItem(h, "rounds"), 0);
    ck_assert(cJSON_IsNumber(cJSON_GetObjectItem(cJSON_GetObjectItem(r0, "latency_ms"), "p95")));
    ck_assert(file_has(md, "Availability: 100.00% (3 of 3 rounds healthy)"));
    ck_assert(file_has(md, "**Healthy**: round 3"));
    cJSON_Delete(h);
    free(hp);
    free(md);
    done(&x);
}
END_TEST

START_TEST(monitor_exits_1_after_k_unhealthy_rounds)
{
    run x;
    const char *flags[] = {"--every", "50ms", "--rounds", "10", "--fail-after", "2",
                           "--retries", "1", NULL};
    monitor_in(&x, "/always500", flags);
    ck_assert_int_eq(x.rc, 1);
    char *hp = path_in(&x, "out/history.json"), *md = path_in(&x, "out/health.md");
    cJSON *h = read_json(hp);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(h, "rounds")), 2);
    ck_assert_int_eq(cJSON_GetObjectItem(h, "consecutive_failures")->valueint, 2);
    const cJSON *lf = cJSON_GetObjectItem(h, "last_failure");
    ck_assert_int_eq(cJSON_GetObjectItem(lf, "round")->valueint, 2);
    ck_assert(file_has(md, "status 500"));
    ck_assert(file_has(md, "Availability: 0.00%"));
    cJSON_Delete(h);
    free(hp);
    free(md);
    done(&x);
}
END_TEST

/* Waits (bounded) for pid to exit; kills it if it does not. Returns the
 * wait status, or -1 when it had to be killed. */
static int reap(pid_t pid, int tenths)
{
    int status = 0;
    for (int i = 0; i < tenths; i++) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            return status;
        sleep_ms(100);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
}

/* The monitor runs in a child forked before any thread exists (a fork of a
 * threaded process can inherit a held lock); the server starts afterwards
 * in the parent and the child learns its URL through a pipe. */
START_TEST(monitor_stops_cleanly_on_sigterm)
{
    run x;
    new_run(&x);
    char *out = path_in(&x, "out"), *hist = path_in(&x, "out/history.json");
    char *log = path_in(&x, "log"), *md = path_in(&x, "out/health.md");
    int go[2];
    ck_assert_int_eq(pipe(go), 0);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        char base[64] = "";
        close(go[1]);
        ssize_t n = read(go[0], base, sizeof base - 1);
        if (n <= 0)
            _exit(99);
        base[n] = '\0';
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        const char *argv[] = {"monitor", base, "--every", "50ms", "--out", out, NULL};
        _exit(tg_cmd_monitor(6, (char **)argv));
    }
    close(go[0]);
    setup();
    ck_assert_int_eq(write(go[1], S.base, strlen(S.base)), (ssize_t)strlen(S.base));
    close(go[1]);
    for (int i = 0; i < 200 && access(hist, F_OK) != 0; i++) /* bounded: 20 s */
        sleep_ms(100);
    int wrote = access(hist, F_OK) == 0;
    kill(pid, SIGTERM);
    int status = reap(pid, 100);
    teardown();
    ck_assert_msg(wrote, "the monitor wrote no history");
    ck_assert_msg(status != -1, "the monitor did not stop on SIGTERM");
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    ck_assert(file_has(md, "Stopped by SIGTERM"));
    ck_assert(file_has(log, "monitor: stopped by SIGTERM"));
    free(out);
    free(hist);
    free(log);
    free(md);
    done(&x);
}
END_TEST

static void tests(tgt_registry *r)
{
    tgt_tcase(r, "misbehaving");
    tgt_fixture(r, setup, teardown);
    tgt_add(r, default_check_passes_on_health);
    tgt_add(r, flapping_endpoint_passes_on_fourth_attempt_as_flaky);
    tgt_add(r, server_errors_fail_after_the_retries);
    tgt_add(r, slow_answer_is_a_timeout);
    tgt_add(r, refused_connection_says_connect_failed);
    tgt_add(r, unknown_host_says_name_resolution);
    tgt_add(r, wrong_content_type_fails_json_expectations);
    tgt_add(r, invalid_json_is_reported);
    tgt_add(r, redirect_to_another_host_is_not_followed);
    tgt_add(r, retry_after_of_one_second_is_honoured);
    tgt_add(r, retry_after_as_a_date_is_honoured_on_429);
    tgt_add(r, huge_body_is_read_up_to_the_cap);
    tgt_tcase(r, "checks");
    tgt_fixture(r, setup, teardown);
    tgt_add(r, expectations_pass_and_fail_precisely);
    tgt_add(r, capture_carries_an_id_from_create_to_read_to_delete);
    tgt_add(r, failed_capture_skips_the_checks_that_need_it);
    tgt_add(r, load_probe_reports_percentiles_and_error_rate);
    tgt_add(r, load_probe_keeps_its_concurrency);
    tgt_add(r, specs_run_side_by_side_checks_in_order);
    tgt_tcase(r, "outputs");
    tgt_fixture(r, setup, teardown);
    tgt_add(r, secrets_never_reach_any_output);
    tgt_add(r, outputs_are_complete_and_agree);
    tgt_add(r, jenkins_style_junit_has_no_file_attributes);
    tgt_add(r, bad_spec_url_or_flag_exit_2);
    tgt_tcase(r, "tls");
    tgt_fixture(r, setup, teardown);
    tgt_add(r, tls_is_verified_against_the_ca_file);
    tgt_add(r, tls_verification_can_be_turned_off);
    tgt_tcase(r, "monitor");
    tgt_fixture(r, setup, teardown);
    tgt_add(r, monitor_rounds_write_history_and_report);
    tgt_add(r, monitor_exits_1_after_k_unhealthy_rounds);
    tgt_tcase(r, "signals");
    tgt_add(r, monitor_stops_cleanly_on_sigterm);
}

TGT_MAIN("unit", tests)
