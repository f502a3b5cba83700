/* tgtest.c: see tgtest.h. Linked into every Check suite of the project. */
#include "tgtest.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Present only in a --coverage build. */
extern void __gcov_dump(void) __attribute__((weak));

typedef struct {
    char *id;
    const TTest *test;
    int tcase; /* index into tcases */
} entry;

typedef struct {
    char *name;
    SFun setup, teardown;
} tcase_def;

struct tgt_registry {
    const char *suite;
    entry *tests;
    int ntests, cap;
    int *by_rest; /* test indexes sorted by the id after its suite part */
    tcase_def *tcases;
    int ntcases;
};

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (!q) {
        fputs("tgtest: out of memory\n", stderr);
        abort();
    }
    return q;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(xrealloc(NULL, n), s, n);
}

void tgt_tcase(tgt_registry *r, const char *name)
{
    r->tcases = xrealloc(r->tcases, sizeof *r->tcases * (size_t)(r->ntcases + 1));
    r->tcases[r->ntcases].name = xstrdup(name);
    r->tcases[r->ntcases].setup = NULL;
    r->tcases[r->ntcases].teardown = NULL;
    r->ntcases++;
}

void tgt_fixture(tgt_registry *r, SFun setup, SFun teardown)
{
    if (r->ntcases == 0)
        tgt_tcase(r, "core");
    r->tcases[r->ntcases - 1].setup = setup;
    r->tcases[r->ntcases - 1].teardown = teardown;
}

/* "suites/unit/test_plan.c" -> "test_plan" */
static void file_stem(const char *path, char *out, size_t cap)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 2 && strcmp(base + n - 2, ".c") == 0)
        n -= 2;
    if (n >= cap)
        n = cap - 1;
    memcpy(out, base, n);
    out[n] = '\0';
}

void tgt_add(tgt_registry *r, const TTest *test)
{
    if (r->ntcases == 0)
        tgt_tcase(r, "core");
    char stem[256], id[1024];
    file_stem(test->file, stem, sizeof stem);
    snprintf(id, sizeof id, "%s/%s/%s/%s", r->suite, stem, r->tcases[r->ntcases - 1].name,
             test->name);
    if (r->ntests == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 32;
        r->tests = xrealloc(r->tests, sizeof *r->tests * (size_t)r->cap);
    }
    r->tests[r->ntests].id = xstrdup(id);
    r->tests[r->ntests].test = test;
    r->tests[r->ntests].tcase = r->ntcases - 1;
    r->ntests++;
}

static const entry *sort_base;

static int cmp_by_id_then_order(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    int c = strcmp(sort_base[x].id, sort_base[y].id);
    return c ? c : x - y;
}

/* A name registered twice gets "#2", "#3"... in registration order. Done
 * once after registration, by sorting: O(n log n) for suites of any size. */
static void make_ids_distinct(tgt_registry *r)
{
    int *order = xrealloc(NULL, sizeof *order * (size_t)(r->ntests + 1));
    for (int i = 0; i < r->ntests; i++)
        order[i] = i;
    sort_base = r->tests;
    qsort(order, (size_t)r->ntests, sizeof *order, cmp_by_id_then_order);
    for (int i = 1, run = 1; i < r->ntests; i++) {
        entry *prev = &r->tests[order[i - 1]], *cur = &r->tests[order[i]];
        size_t base = strcspn(prev->id, "#");
        if (strncmp(prev->id, cur->id, base) == 0 && cur->id[base] == '\0' &&
            (prev->id[base] == '\0' || prev->id[base] == '#')) {
            char buf[1100];
            snprintf(buf, sizeof buf, "%s#%d", cur->id, ++run);
            free(cur->id);
            cur->id = xstrdup(buf);
        } else {
            run = 1;
        }
    }
    free(order);
}

void tgt_scratch(char *out, const char *prefix)
{
    snprintf(out, 64, "/tmp/%.40s-XXXXXX", prefix);
    ck_assert_msg(mkdtemp(out) != NULL, "cannot make a scratch folder %s", out);
}

void tgt_rmtree(const char *path)
{
    pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/rm", "rm", "-rf", "--", path, (char *)NULL);
        _exit(127);
    }
    int status;
    if (pid > 0)
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
}

const char *tgt_service_url(const char *name)
{
    char var[128] = "TOLLGATE_";
    size_t n = strlen(var);
    for (const char *p = name; *p && n < sizeof var - 5; p++)
        var[n++] = isalnum((unsigned char)*p) ? (char)toupper((unsigned char)*p) : '_';
    memcpy(var + n, "_URL", 5);
    const char *v = getenv(var);
    return v && *v ? v : NULL;
}

static void flush_coverage_and_die(int sig)
{
    __gcov_dump();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void guard_coverage(void)
{
    if (!__gcov_dump)
        return;
    int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTERM};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        signal(sigs[i], flush_coverage_and_die);
}

/* Writes the result line with tabs and newlines in the message folded to spaces. */
static void report(const char *status, const char *file, int line, const char *msg)
{
    const char *fdv = getenv("TOLLGATE_RESULT_FD");
    int fd = fdv ? atoi(fdv) : -1;
    FILE *out = fd > 2 ? fdopen(fd, "w") : NULL;
    if (!out) {
        fprintf(stderr, "%s: %s:%d: %s\n", status, file ? file : "", line, msg ? msg : "");
        return;
    }
    fprintf(out, "%s\t%s\t%d\t", status, file ? file : "", line);
    /* Capped, so the line always fits the pipe and tollgate can read it
     * after the test has ended. */
    int n = 0;
    for (const char *p = msg ? msg : ""; *p && n < 4000; p++, n++)
        fputc(*p == '\t' || *p == '\n' || *p == '\r' ? ' ' : *p, out);
    fputc('\n', out);
    fclose(out);
}

static int run_one(tgt_registry *r, const char *id)
{
    /* The first part of an id is the suite tollgate.yaml runs this binary
     * as, which may not be the name the binary gives itself. */
    const char *want = strchr(id, '/');
    const entry *e = NULL;
    for (int lo = 0, hi = r->ntests; want && lo < hi && !e;) {
        int mid = lo + (hi - lo) / 2;
        const entry *m = &r->tests[r->by_rest[mid]];
        int c = strcmp(strchr(m->id, '/'), want);
        if (c == 0)
            e = m;
        else if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (!e) {
        fprintf(stderr, "tgtest: unknown test id '%s' (list them with --tg-list)\n", id);
        return TGT_EXIT_UNKNOWN;
    }
    guard_coverage();
    const tcase_def *td = &r->tcases[e->tcase];
    Suite *s = suite_create(r->suite);
    TCase *tc = tcase_create(td->name);
    if (td->setup || td->teardown)
        tcase_add_checked_fixture(tc, td->setup, td->teardown);
    tcase_add_test(tc, e->test);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_SILENT);
    int rc = 0;
    TestResult **res = srunner_results(sr);
    int n = srunner_ntests_run(sr);
    if (n < 1) {
        report("error", e->test->file, e->test->line, "the test did not run");
        rc = 1;
    } else {
        TestResult *tr = res[0];
        int type = tr_rtype(tr);
        const char *status = type == CK_PASS ? "passed" : type == CK_FAILURE ? "failed" : "error";
        report(status, tr_lfile(tr) ? tr_lfile(tr) : e->test->file,
               tr_lno(tr) > 0 ? tr_lno(tr) : e->test->line, type == CK_PASS ? "" : tr_msg(tr));
        rc = type == CK_PASS ? 0 : 1;
    }
    free(res);
    srunner_free(sr);
    return rc;
}

static int run_all(tgt_registry *r)
{
    Suite *s = suite_create(r->suite);
    TCase **tcs = calloc((size_t)r->ntcases + 1, sizeof *tcs);
    for (int i = 0; i < r->ntcases; i++) {
        tcs[i] = tcase_create(r->tcases[i].name);
        if (r->tcases[i].setup || r->tcases[i].teardown)
            tcase_add_checked_fixture(tcs[i], r->tcases[i].setup, r->tcases[i].teardown);
        suite_add_tcase(s, tcs[i]);
    }
    for (int i = 0; i < r->ntests; i++)
        tcase_add_test(tcs[r->tests[i].tcase], r->tests[i].test);
    free(tcs);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}

/* Receives one "RUN id" request with its two descriptors (output, result).
 * Returns the id length, 0 at end of file, -1 on error. */
static int receive_request(int sock, char *id, size_t cap, int fds[2])
{
    char buf[1100];
    char ctl[CMSG_SPACE(2 * sizeof(int))];
    struct iovec iov = {buf, sizeof buf - 1};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
                       .msg_controllen = sizeof ctl};
    ssize_t n;
    while ((n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
        ;
    if (n <= 0)
        return n == 0 ? 0 : -1;
    buf[n] = '\0';
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    if (!c || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(2 * sizeof(int)) ||
        strncmp(buf, "RUN ", 4) != 0)
        return -1;
    memcpy(fds, CMSG_DATA(c), 2 * sizeof(int));
    size_t len = strlen(buf + 4);
    if (len >= cap) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    memcpy(id, buf + 4, len + 1);
    return (int)len;
}

static void send_line(int sock, const char *fmt, long v)
{
    char line[64];
    int n = snprintf(line, sizeof line, fmt, v);
    while (send(sock, line, (size_t)n, MSG_NOSIGNAL) < 0 && errno == EINTR)
        ;
}

/* --tg-serve: tollgate's worker. The binary starts once; for each test
 * tollgate sends "RUN id" with the test's output and result pipes over the
 * socket on $TOLLGATE_WORKER_FD, and the worker forks a child that becomes
 * the test's own process (its own process group, the pipes on 1, 2 and 3).
 * The worker answers "PID n" at once, so tollgate can time the test out and
 * kill its group, then "EXIT status" when the child ends. Each test still
 * runs alone in a fresh process; only the exec per test is saved. */
static int serve(tgt_registry *r)
{
    const char *fdv = getenv("TOLLGATE_WORKER_FD");
    int sock = fdv ? atoi(fdv) : -1;
    if (sock < 3) {
        fputs("tgtest: --tg-serve needs TOLLGATE_WORKER_FD (tollgate sets it)\n", stderr);
        return 2;
    }
    send_line(sock, "READY %ld", (long)getpid());
    char id[1024];
    int fds[2];
    for (;;) {
        int n = receive_request(sock, id, sizeof id, fds);
        if (n <= 0)
            return n == 0 ? 0 : 2;
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
            setpgid(0, 0);
            dup2(fds[0], 1);
            dup2(fds[0], 2);
            dup2(fds[1], 3); /* replaces the socket in the child */
            if (fds[0] > 3)
                close(fds[0]);
            if (fds[1] > 3)
                close(fds[1]);
            setenv("TOLLGATE_RESULT_FD", "3", 1);
            setenv("TOLLGATE_TEST_ID", id, 1);
            signal(SIGPIPE, SIG_DFL);
            exit(run_one(r, id)); /* exit, not _exit: gcov and sanitizers flush */
        }
        close(fds[0]);
        close(fds[1]);
        if (pid < 0) {
            send_line(sock, "EXIT %ld", (long)(127 << 8));
            continue;
        }
        setpgid(pid, pid);
        send_line(sock, "PID %ld", (long)pid);
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        send_line(sock, "EXIT %ld", (long)status);
    }
}

int tgt_main(int argc, char **argv, const char *suite, void (*reg)(tgt_registry *))
{
    tgt_registry r = {.suite = suite};
    reg(&r);
    make_ids_distinct(&r);
    /* Every id starts with this binary's suite name, so id order is the
     * order of the rest; run_one finds a test by binary search. */
    r.by_rest = xrealloc(NULL, sizeof *r.by_rest * (size_t)(r.ntests + 1));
    for (int i = 0; i < r.ntests; i++)
        r.by_rest[i] = i;
    sort_base = r.tests;
    qsort(r.by_rest, (size_t)r.ntests, sizeof *r.by_rest, cmp_by_id_then_order);
    int rc;
    if (argc == 2 && strcmp(argv[1], "--tg-list") == 0) {
        for (int i = 0; i < r.ntests; i++)
            printf("%s\t%s\t%d\n", r.tests[i].id, r.tests[i].test->file, r.tests[i].test->line);
        rc = fflush(stdout) == 0 ? 0 : 1;
    } else if (argc == 3 && strcmp(argv[1], "--tg-run") == 0) {
        rc = run_one(&r, argv[2]);
    } else if (argc == 2 && strcmp(argv[1], "--tg-serve") == 0) {
        rc = serve(&r);
    } else if (argc == 1) {
        rc = run_all(&r);
    } else {
        fprintf(stderr, "usage: %s [--tg-list | --tg-run ID | --tg-serve]\n", argv[0]);
        rc = 2;
    }
    for (int i = 0; i < r.ntests; i++)
        free(r.tests[i].id);
    for (int i = 0; i < r.ntcases; i++)
        free(r.tcases[i].name);
    free(r.tests);
    free(r.tcases);
    free(r.by_rest);
    return rc;
}
