/*
 * support.h: helpers for the backend's integration tests (header-only,
 * included once per test binary).
 *
 * - it_url(): the backend under test: TOLLGATE_BACKEND_URL when tollgate
 *   started the service, else a private backend that it_shared_setup()
 *   starts for this test process (so a binary also runs on its own).
 * - it_backend_start()/it_backend_stop(): a private backend on a free
 *   loopback port ($TOLLGATE_BUILD/backend, default build/backend), for tests
 *   that exhaust limits, remove the database or send SIGTERM.
 * - it_request(): one HTTP request through libcurl; the response keeps the
 *   status, body and headers until it_resp_free().
 * Every wait is bounded; a test fails with a message rather than hang.
 */
#ifndef IT_SUPPORT_H
#define IT_SUPPORT_H

#include "be.h"
#include "tgtest.h"

#include <arpa/inet.h>
#include <check.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct it_resp {
    long status;
    be_buf body, headers;
    double seconds;
    long connects; /* new connections curl opened (0 = reused) */
} it_resp;

static inline size_t it_collect(char *p, size_t size, size_t n, void *userdata)
{
    be_buf_add(userdata, p, size * n);
    return size * n;
}

static inline void it_resp_free(it_resp *r)
{
    be_buf_free(&r->body);
    be_buf_free(&r->headers);
}

/* The value of the last response header called name, copied into out ("" if none). */
static inline const char *it_header(const it_resp *r, const char *name, char *out, size_t n)
{
    out[0] = '\0';
    size_t len = strlen(name);
    for (const char *p = r->headers.data; p && *p;) {
        const char *eol = strchr(p, '\n');
        if (strncasecmp(p, name, len) == 0 && p[len] == ':') {
            const char *v = p + len + 1;
            while (*v == ' ')
                v++;
            size_t vlen = eol ? (size_t)(eol - v) : strlen(v);
            while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == ' '))
                vlen--;
            snprintf(out, n, "%.*s", (int)vlen, v);
        }
        p = eol ? eol + 1 : p + strlen(p);
    }
    return out;
}

/* Sends one request with an optional reused handle (for keep-alive checks).
 * headers: NULL-terminated "Name: value" strings. Returns the curl code. */
static inline CURLcode it_request_on(CURL *c, const char *method, const char *url, const char *body,
                                     size_t body_len, const char *const *headers, it_resp *r)
{
    memset(r, 0, sizeof *r);
    struct curl_slist *hl = NULL;
    for (const char *const *h = headers; h && *h; h++)
        hl = curl_slist_append(hl, *h);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_NOBODY, strcmp(method, "HEAD") == 0 ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, it_collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, it_collect);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r->headers);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    } else {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, NULL);
        curl_easy_setopt(c, CURLOPT_HTTPGET, strcmp(method, "GET") == 0 ? 1L : 0L);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    }
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_getinfo(c, CURLINFO_TOTAL_TIME, &r->seconds);
    curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &r->connects);
    curl_slist_free_all(hl);
    if (!r->body.data)
        be_buf_add(&r->body, "", 0);
    return rc;
}

/* One request on a fresh handle; fails the test on a transport error. */
static inline long it_request(const char *method, const char *url, const char *body,
                              const char *const *headers, it_resp *r)
{
    CURL *c = curl_easy_init();
    CURLcode rc = it_request_on(c, method, url, body, body ? strlen(body) : 0, headers, r);
    curl_easy_cleanup(c);
    ck_assert_msg(rc == CURLE_OK, "%s %s: %s", method, url, curl_easy_strerror(rc));
    return r->status;
}

/* A port that was free a moment ago (the kernel's pick for port 0). */
static inline int it_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    ck_assert(bind(fd, (struct sockaddr *)&a, sizeof a) == 0);
    ck_assert(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
    close(fd);
    return ntohs(a.sin_port);
}

static inline const char *it_build_dir(void)
{
    const char *b = getenv("TOLLGATE_BUILD");
    return b && *b ? b : "build";
}

typedef struct it_backend {
    pid_t pid;
    int port;
    char url[64];
    char log[64]; /* its stdout and stderr */
} it_backend;

static inline void it_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Runs the backend binary with env (NULL-terminated "K=V", added to a
 * minimal environment) and extra args; does not wait for readiness. */
static inline void it_backend_spawn(it_backend *b, const char *const *env, int port)
{
    memset(b, 0, sizeof *b);
    b->port = port;
    snprintf(b->url, sizeof b->url, "http://127.0.0.1:%d", port);
    snprintf(b->log, sizeof b->log, "/tmp/it-backend-XXXXXX");
    int logfd = mkstemp(b->log);
    ck_assert_msg(logfd >= 0, "mkstemp: %s", strerror(errno));
    char *bin = be_asprintf("%s/backend", it_build_dir());
    char portarg[16];
    snprintf(portarg, sizeof portarg, "%d", port);
    b->pid = fork();
    ck_assert(b->pid >= 0);
    if (b->pid == 0) {
        dup2(logfd, 1);
        dup2(logfd, 2);
        /* A test killed by its timeout must not leave its backend behind. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        setenv("DATABASE_URL", "sqlite::memory:", 1);
        setenv("RATE_LIMIT_PER_MINUTE", "100000", 1);
        setenv("WORKERS", "2", 1);
        unsetenv("PORT");
        for (const char *const *e = env; e && *e; e++)
            putenv((char *)*e);
        execl(bin, bin, "--host", "127.0.0.1", "--port", portarg, (char *)NULL);
        fprintf(stderr, "exec %s: %s\n", bin, strerror(errno));
        _exit(127);
    }
    close(logfd);
    free(bin);
}

/* The backend's log so far, for failure messages (caller frees). */
static inline char *it_backend_log(const it_backend *b)
{
    FILE *f = fopen(b->log, "r");
    be_buf out = {0};
    char chunk[4096];
    size_t n;
    while (f && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        be_buf_add(&out, chunk, n);
    if (f)
        fclose(f);
    be_buf_add(&out, "", 0);
    return out.data;
}

/* Waits (10 s at most) until GET /health answers 200; fails with the log otherwise. */
static inline void it_backend_wait_ready(it_backend *b)
{
    char url[96];
    snprintf(url, sizeof url, "%s/health", b->url);
    for (int i = 0; i < 200; i++) {
        int st;
        if (waitpid(b->pid, &st, WNOHANG) == b->pid) {
            char *log = it_backend_log(b);
            b->pid = 0;
            ck_abort_msg("backend exited at start (status %d): %s", st, log);
        }
        CURL *c = curl_easy_init();
        it_resp r;
        CURLcode rc = it_request_on(c, "GET", url, NULL, 0, NULL, &r);
        curl_easy_cleanup(c);
        it_resp_free(&r);
        if (rc == CURLE_OK && r.status == 200)
            return;
        it_sleep_ms(50);
    }
    char *log = it_backend_log(b);
    ck_abort_msg("backend on %s not ready within 10 s: %s", b->url, log);
}

/* Starts a private backend and waits for it; retries once on a port race. */
static inline void it_backend_start(it_backend *b, const char *const *env)
{
    for (int attempt = 0;; attempt++) {
        it_backend_spawn(b, env, it_free_port());
        it_sleep_ms(20);
        int st;
        if (attempt < 2 && waitpid(b->pid, &st, WNOHANG) == b->pid) {
            unlink(b->log);
            continue;
        }
        break;
    }
    it_backend_wait_ready(b);
}

/* Waits up to ms for the process to exit; returns its wait status or -1. */
static inline int it_wait_exit(pid_t pid, long ms)
{
    for (long waited = 0; waited <= ms; waited += 20) {
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid)
            return st;
        it_sleep_ms(20);
    }
    return -1;
}

/* In the sanitizer build the backend reports to its log: any report fails the test. */
static inline void it_assert_clean_log(const it_backend *b)
{
    char *log = it_backend_log(b);
    int dirty = strstr(log, "AddressSanitizer") || strstr(log, "LeakSanitizer") ||
                strstr(log, "runtime error:");
    if (dirty)
        unlink(b->log);
    ck_assert_msg(!dirty, "the backend's sanitizer reported: %s", log);
    free(log);
}

/* SIGTERM, then SIGKILL after 15 s. Returns the wait status (-1 if killed). */
static inline int it_backend_stop(it_backend *b)
{
    if (b->pid <= 0)
        return -1;
    kill(b->pid, SIGTERM);
    int st = it_wait_exit(b->pid, 15000);
    if (st == -1) {
        kill(b->pid, SIGKILL);
        waitpid(b->pid, NULL, 0);
    }
    b->pid = 0;
    it_assert_clean_log(b);
    unlink(b->log);
    return st;
}

static it_backend it_private;
static const char *it_base;

/* Fixture: the shared backend tollgate started, or a private one. */
static inline void it_shared_setup(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    it_base = tgt_service_url("backend");
    if (!it_base) {
        static const char *const env[] = {"CORS_ORIGINS=https://app.example.com", NULL};
        it_backend_start(&it_private, env);
        it_base = it_private.url;
    }
}

static inline void it_shared_teardown(void)
{
    it_backend_stop(&it_private);
}

/* base URL + path (static buffer per call site is enough for tests). */
static inline char *it_url(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline char *it_url(const char *fmt, ...)
{
    static _Thread_local char url[8][512];
    static _Thread_local int next;
    char path[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(path, sizeof path, fmt, ap);
    va_end(ap);
    char *u = url[next++ % 8];
    snprintf(u, sizeof url[0], "%s%s", it_base, path);
    return u;
}

/* A name no other test (or earlier run on a shared database) has used. */
static inline const char *it_unique(const char *prefix)
{
    static _Thread_local char name[96];
    static int counter;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(name, sizeof name, "%s-%d-%d-%ld%09ld", prefix, (int)getpid(), ++counter,
             (long)ts.tv_sec, ts.tv_nsec);
    return name;
}

/* Connects a raw TCP socket to the backend at base (http://127.0.0.1:PORT). */
static inline int it_raw_connect(const char *base)
{
    const char *colon = strrchr(base, ':');
    ck_assert_ptr_nonnull(colon);
    int port = atoi(colon + 1);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_msg(connect(fd, (struct sockaddr *)&a, sizeof a) == 0, "connect %s: %s", base,
                  strerror(errno));
    struct timeval tv = {15, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

/* Sends raw bytes and reads what comes back until the server closes or
 * 15 s pass. Returns the bytes read (caller frees); *closed is 1 if the
 * server closed the connection. */
static inline char *it_raw_exchange(const char *base, const char *req, size_t len, int *closed)
{
    int fd = it_raw_connect(base);
    size_t off = 0;
    while (off < len) {
        ssize_t n = send(fd, req + off, len - off, MSG_NOSIGNAL);
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    be_buf out = {0};
    char chunk[4096];
    *closed = 0;
    for (;;) {
        ssize_t n = recv(fd, chunk, sizeof chunk, 0);
        if (n == 0 || (n < 0 && errno == ECONNRESET)) {
            *closed = 1;
            break;
        }
        if (n < 0)
            break;
        be_buf_add(&out, chunk, (size_t)n);
        /* one full response with Connection: keep-alive is enough */
        if (strstr(out.data, "\r\n\r\n") && !strstr(out.data, "Connection: close") &&
            !strstr(out.data, "connection: close"))
            break;
    }
    close(fd);
    be_buf_add(&out, "", 0);
    return out.data;
}

#endif
