/*
 * check.c: the `check` verb, the whole pipeline on one machine: every shard
 * as its own `tollgate run` process in parallel, one progress line per shard
 * (redrawn in place on a terminal, plain lines otherwise), then the gate,
 * whose exit code it returns.
 */
#include "cli.h"
#include "config.h"
#include "tg.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
    pid_t pid;
    int fd; /* progress pipe, -1 at end of file */
    size_t done, total, bad;
    int status, exited;
    char line[128];
    size_t len;
    int last_quarter; /* plain mode: last 25% step printed */
    char *log;
} shard_proc;

static void show(shard_proc *sp, int n, int tty, int first)
{
    if (tty) {
        if (!first)
            printf("\x1b[%dA", n);
        for (int i = 0; i < n; i++) {
            shard_proc *s = &sp[i];
            const char *state = s->exited ? (WIFEXITED(s->status) && WEXITSTATUS(s->status) == 0
                                                 ? "done"
                                                 : "FAILED")
                                          : "running";
            printf("\x1b[2K  shard %d/%d  %5zu/%-5zu tests  %3zu failing  %s\n", i + 1, n,
                   s->done, s->total, s->bad, state);
        }
        fflush(stdout);
        return;
    }
    for (int i = 0; i < n; i++) {
        shard_proc *s = &sp[i];
        int quarter = s->total ? (int)(s->done * 4 / s->total) : 0;
        if (s->exited && s->last_quarter < 5) {
            printf("  shard %d/%d: finished, %zu/%zu tests, %zu failing (exit %d)\n", i + 1, n,
                   s->done, s->total, s->bad, WIFEXITED(s->status) ? WEXITSTATUS(s->status) : -1);
            s->last_quarter = 5;
        } else if (!s->exited && quarter > s->last_quarter && quarter < 4) {
            printf("  shard %d/%d: %zu/%zu tests, %zu failing\n", i + 1, n, s->done, s->total,
                   s->bad);
            s->last_quarter = quarter;
        }
    }
    fflush(stdout);
}

static void read_progress(shard_proc *s)
{
    char buf[512];
    ssize_t n = read(s->fd, buf, sizeof buf);
    if (n <= 0) {
        if (n == 0 || errno != EINTR) {
            close(s->fd);
            s->fd = -1;
        }
        return;
    }
    for (ssize_t i = 0; i < n; i++) {
        if (buf[i] != '\n') {
            if (s->len < sizeof s->line - 1)
                s->line[s->len++] = buf[i];
            continue;
        }
        s->line[s->len] = '\0';
        s->len = 0;
        sscanf(s->line, "%zu %zu %zu", &s->done, &s->total, &s->bad);
    }
}

int tg_cmd_check(int argc, char **argv)
{
    static const struct option opts[] = {{"shards", required_argument, 0, 'n'},
                                         {"out", required_argument, 0, 'o'},
                                         {"config", required_argument, 0, 'c'},
                                         {"jobs", required_argument, 0, 'j'},
                                         {"no-lint", no_argument, 0, 'L'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int shards = 4, jobs = 0, no_lint = 0, c;
    const char *out = "reports", *config = TG_DEFAULT_CONFIG;
    optind = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            shards = atoi(optarg);
            if (shards < 1 || shards > 64) {
                tg_error(NULL, 0, "--shards %s: expected 1 to 64 for a local run", optarg);
                return TG_EXIT_USAGE;
            }
            break;
        case 'o': out = optarg; break;
        case 'c': config = optarg; break;
        case 'j':
            jobs = atoi(optarg);
            if (jobs < 1) {
                tg_error(NULL, 0, "--jobs %s: expected a whole number of at least 1", optarg);
                return TG_EXIT_USAGE;
            }
            break;
        case 'L': no_lint = 1; break;
        case 'h':
            printf("usage: tollgate check [--shards N] [--out DIR] [--config FILE] [--jobs N]\n"
                   "                      [--no-lint]\n"
                   "Runs every shard here, in parallel, then the gate: the local form of the CI\n"
                   "pipeline. Reports go to DIR/shard-I and DIR/gate (default DIR: reports).\n"
                   "--jobs is per shard (default: cores / shards, at least 1). When tollgate.yaml\n"
                   "has a lint: section, `tollgate lint` runs alongside into DIR/lint and its\n"
                   "findings go to the gate.\n");
            return TG_EXIT_OK;
        default: return TG_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        tg_error(NULL, 0, "check takes no arguments (got '%s')", argv[optind]);
        return TG_EXIT_USAGE;
    }
    /* Fail fast on a bad configuration, before starting N processes. */
    tg_config cfg;
    int rc = tg_config_load(config, &cfg);
    int with_lint = rc == TG_OK && cfg.lint != NULL && !no_lint;
    tg_config_free(&cfg);
    if (rc != TG_OK)
        return tg_exit_code(rc);
    if (tg_mkdirs(out) != TG_OK)
        return TG_EXIT_USAGE;
    if (!jobs)
        jobs = tg_ncpu() / shards > 1 ? tg_ncpu() / shards : 1;

    char self[PATH_MAX];
    ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
    if (sl <= 0) {
        tg_error(NULL, 0, "cannot find my own executable: %s", strerror(errno));
        return TG_EXIT_INTERNAL;
    }
    self[sl] = '\0';
    int tty = isatty(1) && !getenv("NO_COLOR") && getenv("TERM") && strcmp(getenv("TERM"), "dumb");
    printf("tollgate: %d shards in parallel, %d job(s) each; logs in %s/shard-N.log\n", shards,
           jobs, out);
    shard_proc *sp = tg_calloc((size_t)shards, sizeof *sp);
    signal(SIGPIPE, SIG_IGN);
    for (int i = 0; i < shards; i++) {
        int p[2];
        if (pipe2(p, O_CLOEXEC) != 0) {
            tg_error(NULL, 0, "cannot make a pipe: %s", strerror(errno));
            return TG_EXIT_INTERNAL;
        }
        sp[i].log = tg_asprintf("%s/shard-%d.log", out, i + 1);
        char shard[32], dir[PATH_MAX], jobsv[16], fdv[16];
        snprintf(shard, sizeof shard, "%d/%d", i + 1, shards);
        snprintf(dir, sizeof dir, "%s/shard-%d", out, i + 1);
        snprintf(jobsv, sizeof jobsv, "%d", jobs);
        pid_t pid = fork();
        if (pid == 0) {
            int logfd = open(sp[i].log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (logfd >= 0) {
                dup2(logfd, 1);
                dup2(logfd, 2);
            }
            int wfd = dup(p[1]); /* without O_CLOEXEC, so the run inherits it */
            snprintf(fdv, sizeof fdv, "%d", wfd);
            setenv("TOLLGATE_PROGRESS_FD", fdv, 1);
            execl(self, self, "run", "--shard", shard, "--out", dir, "--jobs", jobsv, "--config",
                  config, (char *)NULL);
            _exit(127);
        }
        close(p[1]);
        if (pid < 0) {
            tg_error(NULL, 0, "cannot fork: %s", strerror(errno));
            return TG_EXIT_INTERNAL;
        }
        sp[i].pid = pid;
        sp[i].fd = p[0];
    }
    pid_t lint_pid = -1;
    char *lint_dir = tg_asprintf("%s/lint", out), *lint_log = tg_asprintf("%s/lint.log", out);
    if (with_lint) {
        lint_pid = fork();
        if (lint_pid == 0) {
            int logfd = open(lint_log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (logfd >= 0) {
                dup2(logfd, 1);
                dup2(logfd, 2);
            }
            execl(self, self, "lint", "--config", config, "--out", lint_dir, (char *)NULL);
            _exit(127);
        }
    }
    show(sp, shards, tty, 1);
    int left = shards;
    while (left > 0) {
        struct pollfd pfd[64];
        int map[64], np = 0;
        for (int i = 0; i < shards; i++)
            if (sp[i].fd >= 0) {
                pfd[np].fd = sp[i].fd;
                pfd[np].events = POLLIN;
                map[np++] = i;
            }
        if (np > 0 && poll(pfd, (nfds_t)np, 200) > 0)
            for (int k = 0; k < np; k++)
                if (pfd[k].revents)
                    read_progress(&sp[map[k]]);
        if (np == 0)
            usleep(20000);
        for (int i = 0; i < shards; i++)
            if (!sp[i].exited && waitpid(sp[i].pid, &sp[i].status, WNOHANG) == sp[i].pid) {
                sp[i].exited = 1;
                left--;
            }
        show(sp, shards, tty, 0);
    }
    for (int i = 0; i < shards; i++) {
        if (sp[i].fd >= 0)
            close(sp[i].fd);
        int code = WIFEXITED(sp[i].status) ? WEXITSTATUS(sp[i].status) : -1;
        if (code >= 2 || code < 0)
            printf("tollgate: shard %d/%d could not run (exit %d); see %s\n", i + 1, shards, code,
                   sp[i].log);
    }
    if (lint_pid > 0) {
        int st;
        while (waitpid(lint_pid, &st, 0) < 0 && errno == EINTR)
            ;
        int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        printf("tollgate: lint %s; see %s\n",
               code == 0 ? "passed" : code == 1 ? "found errors" : "could not run", lint_log);
    }
    /* The gate decides; the shards' own exit codes only explain. */
    char **gargv = tg_calloc((size_t)shards + 9, sizeof *gargv);
    int g = 0;
    char nbuf[16], gate_dir[PATH_MAX];
    snprintf(nbuf, sizeof nbuf, "%d", shards);
    snprintf(gate_dir, sizeof gate_dir, "%s/gate", out);
    gargv[g++] = "gate";
    gargv[g++] = "--shards";
    gargv[g++] = nbuf;
    gargv[g++] = "--out";
    gargv[g++] = gate_dir;
    gargv[g++] = "--config";
    gargv[g++] = (char *)config;
    for (int i = 0; i < shards; i++)
        gargv[g++] = tg_asprintf("%s/shard-%d", out, i + 1);
    if (with_lint)
        gargv[g++] = tg_strdup(lint_dir);
    int gate_rc = tg_cmd_gate(g, gargv);
    for (int i = 7; i < g; i++)
        free(gargv[i]);
    free(lint_dir);
    free(lint_log);
    free(gargv);
    for (int i = 0; i < shards; i++)
        free(sp[i].log);
    free(sp);
    return gate_rc;
}
