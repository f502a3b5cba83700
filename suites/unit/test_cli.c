/*
 * End-to-end tests of the command line: the real tollgate binary on small
 * configurations of /bin/true, /bin/false and sleeping scripts.
 */
#include "tg.h"
#include "tgtest.h"

#include <signal.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[64];

static void make_dir(void)
{
    tgt_scratch(dir, "tg-cli");
    unsetenv("GITHUB_ACTIONS");
    unsetenv("GITHUB_STEP_SUMMARY");
}

static void drop_dir(void)
{
    tgt_rmtree(dir);
}

static char *write_config(const char *text)
{
    char *path = tg_asprintf("%s/tollgate.yaml", dir);
    char *full = tg_asprintf("history: %s/timings.json\n%s", dir, text);
    ck_assert_int_eq(tg_write_file_atomic(path, full, strlen(full)), 0);
    free(full);
    return path;
}

/* Runs tollgate with a command line (split on spaces); stdout in *out. */
static int tollgate(const char *args, char **out)
{
    const char *b = getenv("TOLLGATE_BUILD");
    char *cmd = tg_asprintf("%s/tollgate %s > %s/stdout 2>&1", b && *b ? b : "build", args, dir);
    int status = system(cmd);
    free(cmd);
    char *path = tg_asprintf("%s/stdout", dir);
    *out = tg_read_file(path, NULL);
    free(path);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static const char *last_line(const char *s)
{
    const char *end = s + strlen(s);
    if (end > s && end[-1] == '\n')
        end--;
    while (end > s && end[-1] != '\n')
        end--;
    return end;
}

static int exists(const char *rel)
{
    char *p = tg_asprintf("%s/%s", dir, rel);
    int ok = access(p, R_OK) == 0;
    free(p);
    return ok;
}

#define GOOD_AND_BAD "suites:\n  ok: {kind: exec, binaries: /bin/true}\n  bad: {kind: exec, binaries: /bin/false}\n"

START_TEST(run_writes_three_reports_and_ends_with_the_count)
{
    char *cfg = write_config(GOOD_AND_BAD);
    char *args = tg_asprintf("run --config %s --out %s/shard", cfg, dir);
    char *out;
    ck_assert_int_eq(tollgate(args, &out), 1);
    ck_assert_str_eq(last_line(out), "tollgate: 1 passed, 1 failed, 0 skipped\n");
    ck_assert(exists("shard/results.json"));
    ck_assert(exists("shard/junit.xml"));
    ck_assert(exists("shard/summary.md"));
    ck_assert_ptr_nonnull(strstr(out, "FAIL    bad/false"));
    free(out);
    free(args);
    free(cfg);
}
END_TEST

START_TEST(github_actions_gets_annotations_and_the_job_summary)
{
    char *cfg = write_config(GOOD_AND_BAD);
    char *summary = tg_asprintf("%s/step-summary.md", dir);
    setenv("GITHUB_ACTIONS", "true", 1);
    setenv("GITHUB_STEP_SUMMARY", summary, 1);
    char *args = tg_asprintf("run --config %s --out %s/shard", cfg, dir);
    char *out;
    ck_assert_int_eq(tollgate(args, &out), 1);
    ck_assert_ptr_nonnull(strstr(out, "::error title=bad/false::exited with status 1"));
    free(out);
    free(args);
    args = tg_asprintf("gate --config %s --out %s/gate %s/shard", cfg, dir, dir);
    ck_assert_int_eq(tollgate(args, &out), 1);
    char *md = tg_read_file(summary, NULL);
    ck_assert_ptr_nonnull(md);
    ck_assert(strncmp(md, "## ⛔ Gate: deploy blocked", 27) == 0);
    free(md);
    free(out);
    free(args);
    free(summary);
    free(cfg);
}
END_TEST

START_TEST(check_runs_every_shard_then_the_gate)
{
    char *cfg = write_config("suites:\n  ok: {kind: exec, binaries: [/bin/true, /bin/echo]}\n");
    char *args = tg_asprintf("check --shards 3 --config %s --out %s/r", cfg, dir);
    char *out;
    ck_assert_int_eq(tollgate(args, &out), 0);
    ck_assert_ptr_nonnull(strstr(out, "shard 3/3: finished"));
    ck_assert_ptr_nonnull(strstr(out, "gate passed: deploy allowed"));
    ck_assert_str_eq(last_line(out), "tollgate: 2 passed, 0 failed, 0 skipped\n");
    ck_assert(exists("r/shard-3/results.json"));
    ck_assert(exists("r/gate/verdict.json"));
    /* The gate wrote the history: the next plan is balanced by it. */
    ck_assert(exists("timings.json"));
    free(out);
    free(args);
    args = tg_asprintf("plan --shards 3 --config %s", cfg);
    ck_assert_int_eq(tollgate(args, &out), 0);
    ck_assert_ptr_nonnull(strstr(out, "balanced by timing history"));
    free(out);
    free(args);
    free(cfg);
}
END_TEST

START_TEST(a_shard_without_tests_passes_and_says_so)
{
    char *cfg = write_config("suites:\n  ok: {kind: exec, binaries: /bin/true}\n");
    char *args = tg_asprintf("run --shard 2/2 --config %s --out %s/s2", cfg, dir);
    char *out;
    ck_assert_int_eq(tollgate(args, &out), 0);
    ck_assert_ptr_nonnull(strstr(out, "this shard got no tests"));
    free(out);
    free(args);
    free(cfg);
}
END_TEST

START_TEST(an_interrupted_run_still_writes_what_it_has)
{
    char *script = tg_asprintf("%s/sleeper.sh", dir);
    char *body = tg_asprintf("#!/bin/sh\ntouch '%s/started'\nexec sleep 30\n", dir);
    ck_assert_int_eq(tg_write_file_atomic(script, body, strlen(body)), 0);
    free(body);
    chmod(script, 0755);
    char *text = tg_asprintf("suites:\n  ok: {kind: exec, binaries: /bin/true}\n"
                             "  slow: {kind: exec, binaries: %s, timeout: 60s}\n", script);
    char *cfg = write_config(text);
    const char *b = getenv("TOLLGATE_BUILD");
    char *bin = tg_asprintf("%s/tollgate", b && *b ? b : "build");
    char *outdir = tg_asprintf("%s/int", dir);
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout))
            _exit(99);
        execl(bin, bin, "run", "--config", cfg, "--out", outdir, "--jobs", "2", (char *)NULL);
        _exit(98);
    }
    /* Wait until the sleeper runs, then stop tollgate as CI would. */
    int seen = 0;
    for (int i = 0; i < 1000 && !seen; i++) {
        seen = exists("started");
        if (!seen)
            usleep(10000);
    }
    ck_assert(seen);
    kill(pid, SIGTERM);
    int status;
    waitpid(pid, &status, 0);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 1);
    char *res = tg_asprintf("%s/results.json", outdir);
    char *json = tg_read_file(res, NULL);
    ck_assert_ptr_nonnull(json);
    ck_assert_ptr_nonnull(strstr(json, "\"id\":\t\"ok/true\""));
    ck_assert_ptr_nonnull(strstr(json, "the run was interrupted"));
    free(json);
    free(res);
    free(outdir);
    free(bin);
    free(cfg);
    free(text);
    free(script);
}
END_TEST

static void tests(tgt_registry *r)
{
    tgt_tcase(r, "run");
    tgt_fixture(r, make_dir, drop_dir);
    tgt_add(r, run_writes_three_reports_and_ends_with_the_count);
    tgt_add(r, github_actions_gets_annotations_and_the_job_summary);
    tgt_add(r, a_shard_without_tests_passes_and_says_so);
    tgt_add(r, an_interrupted_run_still_writes_what_it_has);
    tgt_tcase(r, "check");
    tgt_fixture(r, make_dir, drop_dir);
    tgt_add(r, check_runs_every_shard_then_the_gate);
}

TGT_MAIN("unit", tests)
