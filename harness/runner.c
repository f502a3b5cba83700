/* runner.c: process supervision for a shard (runner.h). */
#include "runner.h"
#include "services.h"
#include "suite_foreign.h"
#include "tg.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* The Check helper's exit code for an id it does not know (tgtest.h). */
#define UNKNOWN_ID_EXIT 97

static int wake_w = -1;
static volatile sig_atomic_t interrupted;

static void on_child(int sig)
{
    (void)sig;
    int e = errno;
    if (wake_w >= 0 && write(wake_w, "c", 1) < 0) {
        /* the pipe is full: the loop is awake anyway */
    }
    errno = e;
}

static void on_stop(int sig)
{
    interrupted = sig;
    on_child(sig);
}

/* One unit's life across its attempts. */
typedef struct task {
    tg_unit *unit;
    const tg_suite *suite;
    int attempts;
    tg_test acc;          /* failed tries gathered so far */
    char **earlier_bad;   /* multi-result units: ids that blocked before */
    int nearlier;
    const char *blocked;  /* a reason it cannot run (service down), or NULL */
} task;

/* A Check binary started once with --tg-serve; it forks one child per test
 * (see serve() in tgtest.c). One test at a time per worker. */
typedef struct worker {
    char *path;
    const tg_suite *suite;
    pid_t pid;
    int sock; /* -1 once gone */
    int busy;
} worker;

typedef struct job {
    task *t;
    worker *w;  /* NULL: the test was exec'd by tollgate itself */
    pid_t pid;  /* the test's process (group); 0 until a worker says */
    int out_fd, res_fd;
    tg_buf out;
    size_t out_total;
    tg_buf res;
    double start, deadline, kill_at;
    int timed_out, exited, status;
    int stopped; /* killed because the run was interrupted, not for its time */
    int worker_died;
    char *tmpdir;
} job;

typedef struct run {
    const tg_run_opts *o;
    tg_results *res;
    task **queue; /* pending, used as a stack from the end after reversal */
    size_t nqueue, capqueue;
    job *jobs;
    size_t done, total, blocking;
    worker **workers;
    int nworkers;
    char **no_serve; /* binaries whose worker did not start: exec each test */
    int nno_serve;
    int exec_each;   /* TOLLGATE_EXEC_EACH=1: never use workers */
} run;

static void queue_push(run *r, task *t)
{
    if (r->nqueue == r->capqueue) {
        r->capqueue = r->capqueue ? r->capqueue * 2 : 64;
        r->queue = tg_realloc(r->queue, r->capqueue * sizeof *r->queue);
    }
    r->queue[r->nqueue++] = t;
}

static void set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static const char *service_url_for(const tg_suite *s)
{
    if (s->nservices == 0)
        return getenv("TARGET_URL");
    char *var = tg_service_env_name(s->services[0]);
    const char *v = getenv(var);
    free(var);
    return v;
}

static void apply_suite_env(const task *t, const tg_run_opts *o)
{
    char idx[16], tot[16];
    snprintf(idx, sizeof idx, "%d", o->shard_index);
    snprintf(tot, sizeof tot, "%d", o->shard_total);
    setenv("TOLLGATE_SHARD_INDEX", idx, 1);
    setenv("TOLLGATE_SHARD_TOTAL", tot, 1);
    for (int i = 0; i < t->suite->nenv; i++) {
        char *kv = tg_expand(t->suite->env[i], NULL, 0);
        char *eq = strchr(kv, '=');
        *eq = '\0';
        setenv(kv, eq + 1, 1);
    }
}

static void reset_child_signals(void)
{
    signal(SIGPIPE, SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

/* One message from a worker ("READY n", "PID n", "EXIT n"); -1 at its end. */
static int worker_message(worker *w, char *kind, long *value, double wait)
{
    struct pollfd p = {.fd = w->sock, .events = POLLIN};
    if (wait >= 0 && poll(&p, 1, (int)(wait * 1000)) <= 0)
        return -1;
    char buf[64];
    ssize_t n;
    while ((n = recv(w->sock, buf, sizeof buf - 1, MSG_DONTWAIT)) < 0 && errno == EINTR)
        ;
    if (n <= 0)
        return n < 0 && errno == EAGAIN ? 0 : -1;
    buf[n] = '\0';
    if (sscanf(buf, "%15s %ld", kind, value) != 2)
        return -1;
    return 1;
}

static void retire_worker(worker *w)
{
    if (w->sock >= 0)
        close(w->sock); /* the worker's next read is end of file: it exits */
    w->sock = -1;
    if (w->pid > 0) {
        double until = tg_now() + 2.0;
        int status;
        while (waitpid(w->pid, &status, WNOHANG) == 0) {
            if (tg_now() > until) {
                kill(w->pid, SIGKILL);
                waitpid(w->pid, &status, 0);
                break;
            }
            usleep(2000);
        }
    }
    w->pid = -1;
}

static worker *spawn_worker(run *r, task *t)
{
    /* Each worker, and the tests it forks, stays on one core: a fork and an
     * exit then touch one core's caches and TLB, not two (measured: a
     * fifth of the per-test cost on a 2-core VM). Workers are spread over
     * the cores the run may use; tollgate itself is not pinned. */
    cpu_set_t allowed, one;
    int cpu = -1;
    if (sched_getaffinity(0, sizeof allowed, &allowed) == 0 && CPU_COUNT(&allowed) > 1) {
        int want = r->nworkers % CPU_COUNT(&allowed);
        for (int c = 0; c < CPU_SETSIZE && cpu < 0; c++)
            if (CPU_ISSET(c, &allowed) && want-- == 0)
                cpu = c;
    }
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
        return NULL;
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        if (cpu >= 0) {
            CPU_ZERO(&one);
            CPU_SET(cpu, &one);
            sched_setaffinity(0, sizeof one, &one);
        }
        dup2(sv[1], 3);
        fcntl(3, F_SETFD, 0);
        int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0) {
            dup2(devnull, 0);
            dup2(devnull, 1);
            dup2(devnull, 2);
        }
        reset_child_signals();
        setenv("TOLLGATE_WORKER_FD", "3", 1);
        apply_suite_env(t, r->o);
        execl(t->unit->path, t->unit->path, "--tg-serve", (char *)NULL);
        _exit(127);
    }
    close(sv[1]);
    if (pid < 0) {
        close(sv[0]);
        return NULL;
    }
    worker *w = tg_calloc(1, sizeof *w);
    w->path = tg_strdup(t->unit->path);
    w->suite = t->suite;
    w->pid = pid;
    w->sock = sv[0];
    char kind[16];
    long v;
    if (worker_message(w, kind, &v, 10.0) != 1 || strcmp(kind, "READY") != 0) {
        retire_worker(w);
        free(w->path);
        free(w);
        return NULL;
    }
    r->workers = tg_realloc(r->workers, sizeof *r->workers * (size_t)(r->nworkers + 1));
    r->workers[r->nworkers++] = w;
    return w;
}

/* An idle worker for this binary and suite, started if need be; NULL when
 * the binary cannot serve (then each test is exec'd). */
static worker *get_worker(run *r, task *t)
{
    if (r->exec_each)
        return NULL;
    for (int i = 0; i < r->nno_serve; i++)
        if (strcmp(r->no_serve[i], t->unit->path) == 0)
            return NULL;
    int idle = 0;
    for (int i = 0; i < r->nworkers; i++) {
        worker *w = r->workers[i];
        if (w->sock < 0 || w->busy)
            continue;
        if (w->suite == t->suite && strcmp(w->path, t->unit->path) == 0)
            return w;
        idle++;
    }
    /* Keep at most two workers a job slot: retire an idle one of another binary. */
    if (r->nworkers >= 2 * (r->o->jobs > 0 ? r->o->jobs : 1) && idle > 0) {
        for (int i = 0; i < r->nworkers; i++)
            if (r->workers[i]->sock >= 0 && !r->workers[i]->busy) {
                worker *old = r->workers[i];
                retire_worker(old);
                free(old->path);
                free(old);
                r->workers[i] = r->workers[--r->nworkers];
                break;
            }
    }
    worker *w = spawn_worker(r, t);
    if (!w) {
        r->no_serve = tg_realloc(r->no_serve, sizeof *r->no_serve * (size_t)(r->nno_serve + 1));
        r->no_serve[r->nno_serve++] = tg_strdup(t->unit->path);
    }
    return w;
}

/* Sends a test to a worker with its output and result pipes. */
static int start_on_worker(run *r, job *j, task *t, worker *w)
{
    int outp[2], resp[2];
    if (pipe2(outp, O_CLOEXEC) != 0)
        return -1;
    if (pipe2(resp, O_CLOEXEC) != 0) {
        close(outp[0]);
        close(outp[1]);
        return -1;
    }
    char msg[1100];
    int n = snprintf(msg, sizeof msg, "RUN %s", t->unit->id);
    int fds[2] = {outp[1], resp[1]};
    char ctl[CMSG_SPACE(sizeof fds)];
    memset(ctl, 0, sizeof ctl);
    struct iovec iov = {msg, (size_t)n};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
                       .msg_controllen = sizeof ctl};
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof fds);
    memcpy(CMSG_DATA(c), fds, sizeof fds);
    ssize_t sent;
    while ((sent = sendmsg(w->sock, &m, MSG_NOSIGNAL)) < 0 && errno == EINTR)
        ;
    close(outp[1]);
    close(resp[1]);
    if (sent != n) {
        close(outp[0]);
        close(resp[0]);
        return -1;
    }
    (void)r;
    j->w = w;
    w->busy = 1;
    j->pid = 0;
    j->out_fd = outp[0];
    j->res_fd = resp[0];
    set_nonblock(j->out_fd);
    set_nonblock(j->res_fd);
    j->start = tg_now();
    j->deadline = j->start + t->suite->timeout;
    t->attempts++;
    return 0;
}

/* Reads what a busy worker said about its test. */
static void hear_worker(job *j)
{
    char kind[16];
    long v;
    int rc;
    while ((rc = worker_message(j->w, kind, &v, -1)) == 1) {
        if (strcmp(kind, "PID") == 0) {
            j->pid = (pid_t)v;
            if (j->timed_out) /* the deadline passed before the pid came */
                kill(-j->pid, SIGKILL);
        } else if (strcmp(kind, "EXIT") == 0) {
            j->status = (int)v;
            j->exited = 1;
            return;
        }
    }
    if (rc < 0) { /* the worker is gone: so is its test */
        if (j->pid > 0)
            kill(-j->pid, SIGKILL);
        close(j->w->sock);
        j->w->sock = -1;
        int st;
        waitpid(j->w->pid, &st, 0);
        j->w->pid = -1;
        j->worker_died = 1;
        j->status = 0;
        j->exited = 1;
    }
}

/* Forks the unit's process. Returns 0, or -1 with the reason in *why. */
static int start_job(run *r, job *j, task *t, char **why)
{
    const tg_run_opts *o = r->o;
    memset(j, 0, sizeof *j);
    j->t = t;
    j->out_fd = j->res_fd = -1;
    tg_buf_init(&j->out);
    tg_buf_init(&j->res);
    if (t->unit->kind == TG_KIND_CHECK) {
        worker *w = get_worker(r, t);
        if (w && start_on_worker(r, j, t, w) == 0)
            return 0;
        if (w) { /* it could not take the test: exec this one */
            retire_worker(w);
            w->busy = 0;
        }
    }
    int outp[2] = {-1, -1}, resp[2] = {-1, -1};
    if (pipe2(outp, O_CLOEXEC) != 0 ||
        (t->unit->kind == TG_KIND_CHECK && pipe2(resp, O_CLOEXEC) != 0)) {
        *why = tg_asprintf("cannot make a pipe: %s", strerror(errno));
        return -1;
    }
    const char *url = NULL;
    if (t->unit->kind == TG_KIND_SMOKE || t->unit->kind == TG_KIND_EXEC ||
        t->unit->kind == TG_KIND_CHECKXML) {
        char tmpl[] = "/tmp/tollgate-unit-XXXXXX";
        if (!mkdtemp(tmpl)) {
            *why = tg_asprintf("cannot make a temporary folder: %s", strerror(errno));
            return -1;
        }
        j->tmpdir = tg_strdup(tmpl);
    }
    if (t->unit->kind == TG_KIND_SMOKE) {
        url = service_url_for(t->suite);
        if (!url) {
            *why = tg_strdup("no URL to check: give the suite a service, or set TARGET_URL");
            return -1;
        }
    }
    j->start = tg_now();
    j->deadline = j->start + t->suite->timeout;
    pid_t pid = fork();
    if (pid < 0) {
        *why = tg_asprintf("cannot fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        setpgid(0, 0);
        dup2(outp[1], 1);
        dup2(outp[1], 2);
        if (resp[1] >= 0)
            dup2(resp[1], 3);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2(devnull, 0);
        reset_child_signals();
        setenv("TOLLGATE_TEST_ID", t->unit->id, 1);
        if (resp[1] >= 0)
            setenv("TOLLGATE_RESULT_FD", "3", 1);
        apply_suite_env(t, o);
        const char *path = t->unit->path;
        switch (t->unit->kind) {
        case TG_KIND_CHECK:
            execl(path, path, "--tg-run", t->unit->id, (char *)NULL);
            break;
        case TG_KIND_CHECKXML: {
            char *log = tg_asprintf("%s/check.xml", j->tmpdir);
            setenv("CK_XML_LOG_FILE_NAME", log, 1);
            execl(path, path, (char *)NULL);
            break;
        }
        case TG_KIND_EXEC: {
            char *junit = tg_asprintf("%s/junit.xml", j->tmpdir);
            setenv("TOLLGATE_JUNIT_OUT", junit, 1);
            execl(path, path, (char *)NULL);
            break;
        }
        case TG_KIND_SMOKE:
            execl(o->self_exe, o->self_exe, "smoke", url, "--spec", path, "--out", j->tmpdir,
                  (char *)NULL);
            path = o->self_exe;
            break;
        }
        fprintf(stderr, "tollgate: cannot run %s: %s\n", path, strerror(errno));
        _exit(127);
    }
    setpgid(pid, pid);
    close(outp[1]);
    if (resp[1] >= 0)
        close(resp[1]);
    j->pid = pid;
    j->out_fd = outp[0];
    j->res_fd = resp[0];
    set_nonblock(j->out_fd);
    if (j->res_fd >= 0)
        set_nonblock(j->res_fd);
    t->attempts++;
    return 0;
}

/* Keeps the tail of the output: never more than 2 x cap in memory. */
static void keep_output(job *j, const char *p, size_t n, size_t cap)
{
    j->out_total += n;
    tg_buf_add(&j->out, p, n);
    if (j->out.len > 2 * cap) {
        memmove(j->out.data, j->out.data + j->out.len - cap, cap);
        j->out.len = cap;
        j->out.data[cap] = '\0';
    }
}

/* Reads what is there; closes the fd at end of file. */
static void drain(run *r, job *j)
{
    char chunk[65536];
    while (j->out_fd >= 0) {
        ssize_t n = read(j->out_fd, chunk, sizeof chunk);
        if (n > 0) {
            keep_output(j, chunk, (size_t)n, r->o->cfg->output_cap);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0) {
            close(j->out_fd);
            j->out_fd = -1;
        }
        break;
    }
    while (j->res_fd >= 0) {
        ssize_t n = read(j->res_fd, chunk, sizeof chunk);
        if (n > 0) {
            if (j->res.len < 65536)
                tg_buf_add(&j->res, chunk, (size_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0) {
            close(j->res_fd);
            j->res_fd = -1;
        }
        break;
    }
}

static char *captured_output(const job *j, size_t cap)
{
    size_t len = j->out.len, off = 0;
    if (len > cap) {
        off = len - cap;
        len = cap;
    }
    char *clean = tg_clean_text(j->out.data ? j->out.data + off : "", len);
    if (j->out_total > len) {
        char *withnote =
            tg_asprintf("[... %zu bytes cut; the last %zu kept ...]\n%s", j->out_total - len,
                        len, clean);
        free(clean);
        return withnote;
    }
    return clean;
}

/* The last non-empty line of the output, for a message. */
static char *last_line(const char *text)
{
    const char *end = text + strlen(text);
    while (end > text && (end[-1] == '\n' || end[-1] == ' '))
        end--;
    const char *start = end;
    while (start > text && start[-1] != '\n')
        start--;
    size_t n = (size_t)(end - start);
    return tg_strndup(start, n > 300 ? 300 : n);
}

static char *process_end_message(const job *j, const char *output)
{
    char *tail = last_line(output);
    char *msg;
    if (j->stopped)
        msg = tg_asprintf("stopped: the run was interrupted (signal %d) while it ran", (int)interrupted);
    else if (j->timed_out)
        msg = tg_asprintf("timed out after %.1fs; its process group was killed",
                          j->t->suite->timeout);
    else if (WIFSIGNALED(j->status))
        msg = tg_asprintf("crashed with signal %d (%s)%s%s", WTERMSIG(j->status),
                          strsignal(WTERMSIG(j->status)), *tail ? ": " : "", tail);
    else
        msg = tg_asprintf("exited with status %d%s%s", WEXITSTATUS(j->status), *tail ? ": " : "",
                          tail);
    free(tail);
    return msg;
}

/* Fills t (id etc. already set) from a Check helper job. */
static void judge_check(const job *j, tg_test *t, const char *output)
{
    int sig = !j->timed_out && WIFSIGNALED(j->status) ? WTERMSIG(j->status) : 0;
    int code = WIFEXITED(j->status) ? WEXITSTATUS(j->status) : -1;
    t->signal = sig;
    if (j->worker_died) {
        t->status = TG_ST_ERROR;
        t->message = tg_asprintf("the worker process of %s died while the test ran",
                                 j->t->unit->path);
        return;
    }
    if (j->timed_out) {
        t->status = j->stopped ? TG_ST_ERROR : TG_ST_TIMEOUT;
        t->message = process_end_message(j, output);
        return;
    }
    if (sig) {
        t->status = TG_ST_ERROR;
        t->message = process_end_message(j, output);
        return;
    }
    if (code == UNKNOWN_ID_EXIT) {
        t->status = TG_ST_ERROR;
        t->message = tg_asprintf("%s does not know the planned test id: rebuild, or plan "
                                 "again from this build",
                                 j->t->unit->path);
        return;
    }
    /* STATUS \t FILE \t LINE \t MESSAGE */
    char *line = j->res.data ? tg_strdup(j->res.data) : NULL;
    char *f[4] = {0};
    int nf = 0;
    if (line) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        char *p = line;
        f[nf++] = p;
        while (nf < 4 && (p = strchr(p, '\t'))) {
            *p++ = '\0';
            f[nf++] = p;
        }
    }
    tg_status st;
    if (nf < 4 || tg_status_parse(f[0], &st) != 0 ||
        (st != TG_ST_PASSED && st != TG_ST_FAILED && st != TG_ST_ERROR)) {
        t->status = TG_ST_ERROR;
        char *why = process_end_message(j, output);
        t->message = tg_asprintf("the test reported no result (%s)", why);
        free(why);
    } else if (st == TG_ST_PASSED && code != 0) {
        t->status = TG_ST_ERROR;
        char *why = process_end_message(j, output);
        t->message = tg_asprintf("the test passed, then the process %s", why);
        free(why);
    } else {
        t->status = st;
        t->message = tg_strdup(st == TG_ST_PASSED ? "" : f[3]);
        if (*f[1]) {
            free(t->file);
            t->file = tg_strdup(f[1]);
            t->line = atoi(f[2]);
        }
    }
    free(line);
}

void tg_parse_tap(const char *text, const char *prefix, const char *suite, const char *unit,
                  tg_results *res)
{
    char *copy = tg_strdup(text);
    char *save = NULL;
    int auto_num = 0;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        while (*line == ' ')
            line++;
        int ok;
        if (strncmp(line, "ok", 2) == 0 && (line[2] == ' ' || line[2] == '\0'))
            ok = 1, line += 2;
        else if (strncmp(line, "not ok", 6) == 0 && (line[6] == ' ' || line[6] == '\0'))
            ok = 0, line += 6;
        else
            continue;
        while (*line == ' ')
            line++;
        int num = ++auto_num;
        if (*line >= '0' && *line <= '9') {
            num = (int)strtol(line, &line, 10);
            auto_num = num;
        }
        while (*line == ' ' || *line == '-')
            line++;
        char *directive = strstr(line, " # ");
        if (!directive && line[0] == '#')
            directive = line - 1;
        int skip = 0, todo = 0;
        char *reason = NULL;
        if (directive) {
            char *d = directive + 3;
            if (strncasecmp(d, "skip", 4) == 0)
                skip = 1;
            else if (strncasecmp(d, "todo", 4) == 0)
                todo = 1;
            reason = d;
            *directive = '\0';
        }
        tg_buf id;
        tg_buf_init(&id);
        tg_buf_addf(&id, "%s/%d", prefix, num);
        if (*line) {
            tg_buf_adds(&id, " ");
            for (char *p = line; *p; p++)
                tg_buf_add(&id, *p == '/' ? "_" : p, 1);
        }
        tg_test *t = tg_results_add(res);
        t->id = tg_buf_steal(&id);
        t->suite = tg_strdup(suite);
        t->unit = tg_strdup(unit);
        if (skip) {
            t->status = TG_ST_SKIPPED;
            t->message = tg_strdup(reason ? reason : "");
        } else if (ok || todo) {
            t->status = TG_ST_PASSED;
            t->message = tg_strdup("");
        } else {
            t->status = TG_ST_FAILED;
            t->message = tg_strdup("not ok");
        }
    }
    free(copy);
}

/* Moves the tests a child tollgate wrote (smoke) into res. */
static int take_results_file(const char *path, const task *t, tg_results *res, char **why)
{
    tg_results sub;
    int rc = tg_results_read(path, &sub, why);
    if (rc != TG_OK) {
        tg_results_free(&sub);
        return rc;
    }
    for (size_t i = 0; i < sub.ntests; i++) {
        tg_test *x = &sub.tests[i];
        free(x->suite);
        x->suite = tg_strdup(t->suite->name);
        free(x->unit);
        x->unit = tg_strdup(t->unit->id);
        tg_results_push(res, x);
    }
    tg_results_free(&sub);
    return TG_OK;
}

static int blocks_now(tg_status s)
{
    return tg_status_blocks(s);
}

static void report_line(run *r, const tg_test *t)
{
    if (r->o->quiet || !blocks_now(t->status))
        return;
    printf("  %-7s %s", t->status == TG_ST_FAILED ? "FAIL" : t->status == TG_ST_TIMEOUT
                                                                 ? "TIMEOUT"
                                                                 : "ERROR",
           t->id);
    if (t->file)
        printf("  (%s:%d)", t->file, t->line);
    printf("\n          %s\n", t->message ? t->message : "");
    fflush(stdout);
}

static void progress(run *r)
{
    r->done++;
    if (r->o->progress_fd >= 0) {
        char line[64];
        int n = snprintf(line, sizeof line, "%zu %zu %zu\n", r->done, r->total, r->blocking);
        if (write(r->o->progress_fd, line, (size_t)n) < 0) {
            /* the reader went away: progress is best effort */
        }
    }
}

static void finish_task(run *r, task *t, tg_results *attempt)
{
    int bad = 0;
    for (size_t i = 0; i < attempt->ntests; i++)
        bad |= blocks_now(attempt->tests[i].status);
    if (bad && t->attempts <= t->suite->retries && !interrupted) {
        /* Keep what went wrong, run again. */
        for (size_t i = 0; i < attempt->ntests; i++) {
            tg_test *x = &attempt->tests[i];
            if (!blocks_now(x->status))
                continue;
            tg_test_add_try(&t->acc, x->status, x->time, x->message);
            t->earlier_bad = tg_realloc(t->earlier_bad, sizeof(char *) * (size_t)(t->nearlier + 1));
            t->earlier_bad[t->nearlier++] = tg_strdup(x->id);
        }
        queue_push(r, t);
        return;
    }
    for (size_t i = 0; i < attempt->ntests; i++) {
        tg_test *x = &attempt->tests[i];
        x->attempts = t->attempts;
        int was_bad = 0;
        for (int k = 0; k < t->nearlier; k++)
            was_bad |= strcmp(t->earlier_bad[k], x->id) == 0;
        if (was_bad || (t->unit->kind == TG_KIND_CHECK && t->acc.ntries)) {
            for (int k = 0; k < t->acc.ntries; k++)
                tg_test_add_try(x, t->acc.tries[k].status, t->acc.tries[k].time,
                                t->acc.tries[k].message);
            if (x->status == TG_ST_PASSED)
                x->status = TG_ST_FLAKY;
        }
        if (blocks_now(x->status))
            r->blocking++;
        report_line(r, x);
        tg_results_push(r->res, x);
    }
    progress(r);
    for (int k = 0; k < t->nearlier; k++)
        free(t->earlier_bad[k]);
    free(t->earlier_bad);
    t->earlier_bad = NULL;
    t->nearlier = 0;
    tg_test_free(&t->acc);
}

static tg_test *unit_test(tg_results *attempt, const task *t)
{
    tg_test *x = tg_results_add(attempt);
    x->id = tg_strdup(t->unit->id);
    x->suite = tg_strdup(t->suite->name);
    if (t->unit->file) {
        x->file = tg_strdup(t->unit->file);
        x->line = t->unit->line;
    }
    return x;
}

/* Per-test results of a whole-unit suite: Check's XML log, JUnit or TAP.
 * Sets *why when the report the suite promised is missing or malformed. */
static void read_unit_report(const job *j, const task *t, const char *output, tg_results *res,
                             char **why)
{
    const char *id = t->unit->id, *suite = t->suite->name;
    if (t->unit->kind == TG_KIND_EXEC && strcmp(t->suite->format, "tap") == 0) {
        tg_parse_tap(output, id, suite, id, res);
        if (res->ntests == 0)
            *why = tg_strdup("it printed no TAP results");
        return;
    }
    int checkxml = t->unit->kind == TG_KIND_CHECKXML;
    if (!checkxml && strcmp(t->suite->format, "junit") != 0)
        return;
    char *path = tg_asprintf("%s/%s", j->tmpdir, checkxml ? "check.xml" : "junit.xml");
    size_t len;
    char *text = tg_read_file(path, &len);
    if (!text) {
        if (!WIFSIGNALED(j->status))
            *why = tg_strdup(checkxml ? "it wrote no Check XML log (CK_XML_LOG_FILE_NAME)"
                                      : "it wrote no JUnit XML to $TOLLGATE_JUNIT_OUT");
    } else if (checkxml) {
        tg_read_check_xml(text, len, id, suite, id, res, why);
    } else {
        tg_read_junit(text, len, id, suite, id, res, why);
    }
    free(text);
    free(path);
}

/* Turns an ended process into results, then retries or records them. */
static void finish_job(run *r, job *j)
{
    task *t = j->t;
    double elapsed = tg_now() - j->start;
    char *output = captured_output(j, r->o->cfg->output_cap);
    tg_results attempt;
    tg_results_init(&attempt, "attempt");
    switch (t->unit->kind) {
    case TG_KIND_CHECK: {
        tg_test *x = unit_test(&attempt, t);
        judge_check(j, x, output);
        x->time = elapsed;
        x->output = tg_strdup(output);
        break;
    }
    case TG_KIND_SMOKE: {
        char *path = tg_asprintf("%s/results.json", j->tmpdir);
        char *why = NULL;
        int code = WIFEXITED(j->status) ? WEXITSTATUS(j->status) : -1;
        if (j->timed_out || (code != 0 && code != 1) ||
            take_results_file(path, t, &attempt, &why) != TG_OK) {
            tg_test *x = unit_test(&attempt, t);
            x->status = j->timed_out && !j->stopped ? TG_ST_TIMEOUT : TG_ST_ERROR;
            char *end = process_end_message(j, output);
            x->message = why ? tg_asprintf("%s (%s)", end, why) : tg_strdup(end);
            free(end);
            x->time = elapsed;
            x->output = tg_strdup(output);
        }
        free(why);
        free(path);
        break;
    }
    case TG_KIND_EXEC:
    case TG_KIND_CHECKXML: {
        int code = WIFEXITED(j->status) ? WEXITSTATUS(j->status) : -1;
        size_t before = attempt.ntests;
        char *why = NULL;
        if (!j->timed_out)
            read_unit_report(j, t, output, &attempt, &why);
        int any_bad = 0;
        for (size_t i = before; i < attempt.ntests; i++)
            any_bad |= blocks_now(attempt.tests[i].status);
        if (why || attempt.ntests == before || (code != 0 && !any_bad)) {
            /* No per-test results (or they hide the failure): the process is the test. */
            tg_test *x = unit_test(&attempt, t);
            if (attempt.ntests > before + 1) {
                free(x->id);
                x->id = tg_asprintf("%s/exit", t->unit->id);
                x->unit = tg_strdup(t->unit->id);
            }
            x->time = elapsed;
            x->output = tg_strdup(output);
            if (j->timed_out)
                x->status = j->stopped ? TG_ST_ERROR : TG_ST_TIMEOUT;
            else if (WIFSIGNALED(j->status))
                x->status = TG_ST_ERROR, x->signal = WTERMSIG(j->status);
            else if (why)
                x->status = TG_ST_ERROR;
            else if (code != 0)
                x->status = TG_ST_FAILED;
            char *end = process_end_message(j, output);
            x->message = x->status == TG_ST_PASSED ? tg_strdup("")
                         : why ? tg_asprintf("%s (%s)", why, end)
                               : tg_strdup(end);
            free(end);
        } else {
            double each = elapsed / (double)(attempt.ntests - before);
            for (size_t i = before; i < attempt.ntests; i++) {
                if (!(attempt.tests[i].time > 0))
                    attempt.tests[i].time = each;
                if (blocks_now(attempt.tests[i].status) && !attempt.tests[i].output)
                    attempt.tests[i].output = tg_strdup(output);
            }
        }
        free(why);
        break;
    }
    }
    if (j->tmpdir) {
        char *cmd[] = {"/bin/rm", "-rf", j->tmpdir, NULL};
        char *ignored = NULL;
        tg_capture_output(cmd, 30, &ignored);
        free(ignored);
        free(j->tmpdir);
    }
    free(output);
    tg_buf_free(&j->out);
    tg_buf_free(&j->res);
    j->t = NULL;
    if (j->w)
        j->w->busy = 0;
    j->w = NULL;
    finish_task(r, t, &attempt);
    tg_results_free(&attempt);
}

/* Records a unit that could not run at all. */
static void fail_task(run *r, task *t, tg_status st, const char *why)
{
    tg_results attempt;
    tg_results_init(&attempt, "attempt");
    tg_test *x = unit_test(&attempt, t);
    x->status = st;
    x->message = tg_strdup(why);
    t->attempts = t->attempts ? t->attempts : 1;
    t->nearlier = 0;
    tg_test_free(&t->acc);
    x->attempts = t->attempts;
    r->blocking++;
    report_line(r, x);
    tg_results_push(r->res, x);
    tg_results_free(&attempt);
    progress(r);
}

static void install(struct sigaction *old_chld, struct sigaction *old_int,
                    struct sigaction *old_term)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_child;
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, old_chld);
    sa.sa_handler = on_stop;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, old_int);
    sigaction(SIGTERM, &sa, old_term);
}

int tg_run_units(const tg_run_opts *o, tg_unit *const *units, size_t n, tg_results *res)
{
    const char *each = getenv("TOLLGATE_EXEC_EACH");
    run r = {.o = o, .res = res, .total = n, .exec_each = each && strcmp(each, "1") == 0};
    int wake[2];
    if (pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0) {
        tg_error(NULL, 0, "cannot make a pipe: %s", strerror(errno));
        return TG_EINTERNAL;
    }
    wake_w = wake[1];
    interrupted = 0;
    struct sigaction old_chld, old_int, old_term;
    install(&old_chld, &old_int, &old_term);

    /* Services the units need, each started once. */
    const tg_config *cfg = o->cfg;
    tg_svc *svcs = tg_calloc((size_t)cfg->nservices + 1, sizeof *svcs);
    int *started = tg_calloc((size_t)cfg->nservices + 1, sizeof *started);
    char *log_dir = tg_asprintf("%s/services", o->out_dir);
    task *tasks = tg_calloc(n + 1, sizeof *tasks);
    for (size_t i = 0; i < n; i++) {
        tasks[i].unit = units[i];
        tasks[i].suite = tg_config_suite(cfg, units[i]->suite);
        tasks[i].acc.attempts = 1;
        for (int k = 0; k < tasks[i].suite->nservices && !tasks[i].blocked; k++) {
            for (int s = 0; s < cfg->nservices; s++) {
                if (strcmp(cfg->services[s].name, tasks[i].suite->services[k]) != 0)
                    continue;
                if (!started[s]) {
                    started[s] = 1;
                    if (!o->quiet)
                        printf("tollgate: starting service %s\n", cfg->services[s].name);
                    if (tg_service_start(&cfg->services[s], log_dir, &svcs[s]) == TG_OK) {
                        char *var = tg_service_env_name(cfg->services[s].name);
                        setenv(var, svcs[s].url, 1);
                        free(var);
                    } else {
                        tg_error(NULL, 0, "%s", svcs[s].error);
                    }
                }
                if (svcs[s].error)
                    tasks[i].blocked = svcs[s].error;
            }
        }
    }
    for (size_t i = n; i-- > 0;)
        queue_push(&r, &tasks[i]);

    int jobs = o->jobs > 0 ? o->jobs : 1;
    r.jobs = tg_calloc((size_t)jobs, sizeof *r.jobs);
    struct pollfd *pfd = tg_calloc((size_t)jobs * 3 + 1, sizeof *pfd);
    job **pjob = tg_calloc((size_t)jobs * 3 + 1, sizeof *pjob);
    int running = 0;
    double grace = o->grace > 0 ? o->grace : 1.0;

    while (r.nqueue > 0 || running > 0) {
        if (interrupted) {
            for (int k = 0; k < jobs; k++)
                if (r.jobs[k].t && !r.jobs[k].exited && !r.jobs[k].timed_out) {
                    if (r.jobs[k].pid > 0)
                        kill(-r.jobs[k].pid, SIGTERM);
                    r.jobs[k].timed_out = 1;
                    r.jobs[k].stopped = 1;
                    r.jobs[k].kill_at = tg_now() + grace;
                }
            while (r.nqueue > 0)
                fail_task(&r, r.queue[--r.nqueue], TG_ST_ERROR, "not run: the run was interrupted");
        }
        while (running < jobs && r.nqueue > 0) {
            task *t = r.queue[--r.nqueue];
            if (t->blocked) {
                fail_task(&r, t, TG_ST_ERROR, t->blocked);
                continue;
            }
            int slot = 0;
            while (r.jobs[slot].t)
                slot++;
            char *why = NULL;
            if (start_job(&r, &r.jobs[slot], t, &why) != 0) {
                if (r.jobs[slot].tmpdir)
                    rmdir(r.jobs[slot].tmpdir);
                free(r.jobs[slot].tmpdir);
                r.jobs[slot].t = NULL;
                fail_task(&r, t, TG_ST_ERROR, why);
                free(why);
                continue;
            }
            running++;
        }
        if (running == 0)
            continue;
        double now = tg_now(), next = now + 1.0;
        int np = 0;
        pfd[np].fd = wake[0];
        pfd[np].events = POLLIN;
        pjob[np++] = NULL;
        for (int k = 0; k < jobs; k++) {
            job *j = &r.jobs[k];
            if (!j->t)
                continue;
            double when = j->timed_out ? j->kill_at : j->deadline;
            if (when < next)
                next = when;
            if (j->out_fd >= 0) {
                pfd[np].fd = j->out_fd;
                pfd[np].events = POLLIN;
                pjob[np++] = j;
            }
            /* The result pipe is not watched: it carries one short line
             * (tgtest caps it), read once the test has ended. One wakeup
             * fewer per test. */
            if (j->w && !j->exited && j->w->sock >= 0) {
                pfd[np].fd = j->w->sock;
                pfd[np].events = POLLIN;
                pjob[np++] = j;
            }
        }
        int wait_ms = next > now ? (int)((next - now) * 1000.0) + 1 : 0;
        if (poll(pfd, (nfds_t)np, wait_ms) > 0) {
            char sink[256];
            if (pfd[0].revents)
                while (read(wake[0], sink, sizeof sink) > 0)
                    ;
            for (int k = 1; k < np; k++) {
                if (!pfd[k].revents)
                    continue;
                if (pjob[k]->w && pfd[k].fd == pjob[k]->w->sock)
                    hear_worker(pjob[k]);
                else
                    drain(&r, pjob[k]);
            }
        }
        now = tg_now();
        for (int k = 0; k < jobs; k++) {
            job *j = &r.jobs[k];
            if (!j->t)
                continue;
            if (!j->exited && !j->w && waitpid(j->pid, &j->status, WNOHANG) == j->pid)
                j->exited = 1;
            if (j->exited) {
                drain(&r, j);
                /* Whatever it left behind (a child holding the pipe) goes too. */
                if (j->pid > 0)
                    kill(-j->pid, SIGKILL);
                if (j->out_fd >= 0)
                    close(j->out_fd);
                if (j->res_fd >= 0)
                    close(j->res_fd);
                j->out_fd = j->res_fd = -1;
                running--;
                finish_job(&r, j);
            } else if (!j->timed_out && now >= j->deadline) {
                if (j->pid > 0)
                    kill(-j->pid, SIGTERM);
                j->timed_out = 1;
                j->kill_at = now + grace;
            } else if (j->timed_out && now >= j->kill_at) {
                if (j->pid > 0)
                    kill(-j->pid, SIGKILL);
                j->kill_at = now + 60;
            }
        }
    }

    for (int i = 0; i < r.nworkers; i++) {
        retire_worker(r.workers[i]);
        free(r.workers[i]->path);
        free(r.workers[i]);
    }
    free(r.workers);
    for (int i = 0; i < r.nno_serve; i++)
        free(r.no_serve[i]);
    free(r.no_serve);
    for (int s = 0; s < cfg->nservices; s++)
        if (started[s]) {
            char *var = tg_service_env_name(cfg->services[s].name);
            unsetenv(var);
            free(var);
            tg_service_stop(&svcs[s], 10.0);
        }
    sigaction(SIGCHLD, &old_chld, NULL);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    close(wake[0]);
    close(wake[1]);
    wake_w = -1;
    free(svcs);
    free(started);
    free(log_dir);
    free(tasks);
    free(r.queue);
    free(r.jobs);
    free(pfd);
    free(pjob);
    return TG_OK;
}
