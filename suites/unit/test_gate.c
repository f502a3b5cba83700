/*
 * Unit tests for gate.c: each way a run can be broken or incomplete is built
 * as shard folders on disk, then the real `tollgate gate` judges them; the
 * test asserts its exit code and the reason in verdict.json.
 */
#include "gate.h"
#include "tg.h"
#include "tgtest.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[64];

static void make_dir(void)
{
    tgt_scratch(dir, "tg-gate");
}

static void drop_dir(void)
{
    tgt_rmtree(dir);
}

/* A shard folder: `units` planned here; `ids` ran with `st`. */
static char *shard(const char *name, int index, int total, const char *fp, int planned,
                   const char *units, const char *ids, tg_status st)
{
    char *path = tg_asprintf("%s/%s", dir, name);
    ck_assert_int_eq(tg_mkdirs(path), 0);
    tg_results r;
    tg_results_init(&r, "shard");
    r.shard_index = index;
    r.shard_total = total;
    r.fingerprint = tg_strdup(fp);
    r.planned = planned;
    r.started = tg_strdup("2026-11-23T10:00:00Z");
    cJSON *u = cJSON_AddArrayToObject(r.extra, "units");
    char *copy = tg_strdup(units), *save = NULL;
    for (char *p = strtok_r(copy, " ", &save); p; p = strtok_r(NULL, " ", &save))
        cJSON_AddItemToArray(u, cJSON_CreateString(p));
    free(copy);
    copy = tg_strdup(ids);
    for (char *p = strtok_r(copy, " ", &save); p; p = strtok_r(NULL, " ", &save)) {
        tg_test *t = tg_results_add(&r);
        t->id = tg_strdup(p);
        t->suite = tg_strdup("unit");
        t->status = st;
        t->time = 0.01;
        t->message = tg_strdup(st == TG_ST_PASSED ? "" : "it broke");
    }
    free(copy);
    tg_results_count(&r);
    char *file = tg_asprintf("%s/results.json", path);
    ck_assert_int_eq(tg_results_write(&r, file), 0);
    free(file);
    tg_results_free(&r);
    return path;
}

typedef struct {
    int code;
    char *verdict; /* verdict.json text */
} outcome;

/* Runs the real gate binary over the folders (NULL-terminated). */
static outcome gate(const char *extra_flag, char **dirs)
{
    const char *b = getenv("TOLLGATE_BUILD");
    char *bin = tg_asprintf("%s/tollgate", b && *b ? b : "build");
    char *out = tg_asprintf("%s/gate", dir);
    char *argv[32];
    int n = 0, first_extra;
    argv[n++] = bin;
    argv[n++] = "gate";
    argv[n++] = "--no-history";
    argv[n++] = "--out";
    argv[n++] = out;
    first_extra = n;
    if (extra_flag) {
        char *copy = tg_strdup(extra_flag), *save = NULL;
        for (char *p = strtok_r(copy, " ", &save); p; p = strtok_r(NULL, " ", &save))
            argv[n++] = tg_strdup(p);
        free(copy);
    }
    int last_extra = n;
    for (int i = 0; dirs[i]; i++)
        argv[n++] = dirs[i];
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout))
            _exit(99);
        execv(bin, argv);
        _exit(98);
    }
    int status;
    waitpid(pid, &status, 0);
    outcome o = {WIFEXITED(status) ? WEXITSTATUS(status) : -1, NULL};
    char *vpath = tg_asprintf("%s/verdict.json", out);
    o.verdict = tg_read_file(vpath, NULL);
    free(vpath);
    for (int i = first_extra; i < last_extra; i++)
        free(argv[i]);
    free(out);
    free(bin);
    return o;
}

static void expect_block(outcome o, const char *reason)
{
    ck_assert_int_eq(o.code, 1);
    ck_assert_ptr_nonnull(o.verdict);
    ck_assert_ptr_nonnull(strstr(o.verdict, "\"deploy\":\tfalse"));
    ck_assert_msg(strstr(o.verdict, reason), "verdict lacks '%s':\n%s", reason, o.verdict);
    free(o.verdict);
}

#define FP "0123456789abcdef"

START_TEST(a_complete_passing_run_allows_the_deploy)
{
    char *d[] = {shard("s1", 1, 2, FP, 3, "a/x/c/one a/x/c/two", "a/x/c/one a/x/c/two",
                       TG_ST_PASSED),
                 shard("s2", 2, 2, FP, 3, "a/x/c/three", "a/x/c/three", TG_ST_PASSED), NULL};
    outcome o = gate(NULL, d);
    ck_assert_int_eq(o.code, 0);
    ck_assert_ptr_nonnull(strstr(o.verdict, "\"deploy\":\ttrue"));
    ck_assert_ptr_nonnull(strstr(o.verdict, "\"found\":\t[1, 2]"));
    free(o.verdict);
    char *junit = tg_asprintf("%s/gate/junit.xml", dir);
    char *xml = tg_read_file(junit, NULL);
    ck_assert_ptr_nonnull(xml);
    ck_assert_ptr_nonnull(strstr(xml, "tests=\"3\""));
    free(xml);
    free(junit);
    free(d[0]);
    free(d[1]);
}
END_TEST

START_TEST(a_missing_shard_blocks)
{
    char *d[] = {shard("s1", 1, 3, FP, 3, "a/x/c/one", "a/x/c/one", TG_ST_PASSED),
                 shard("s3", 3, 3, FP, 3, "a/x/c/three", "a/x/c/three", TG_ST_PASSED), NULL};
    expect_block(gate("--shards 3", d), "shard 2 of 3 is missing");
    free(d[0]);
    free(d[1]);
}
END_TEST

START_TEST(a_duplicated_shard_blocks)
{
    char *d[] = {shard("s1", 1, 2, FP, 2, "a/x/c/one", "a/x/c/one", TG_ST_PASSED),
                 shard("s1b", 1, 2, FP, 2, "a/x/c/one", "a/x/c/one", TG_ST_PASSED), NULL};
    outcome o = gate("--shards 2", d);
    ck_assert_ptr_nonnull(strstr(o.verdict, "shard 2 of 2 is missing"));
    expect_block(o, "shard 1 of 2 appears twice");
    free(d[0]);
    free(d[1]);
}
END_TEST

START_TEST(a_shard_from_another_plan_blocks)
{
    char *d[] = {shard("s1", 1, 3, FP, 3, "a/x/c/one", "a/x/c/one", TG_ST_PASSED),
                 shard("s2", 2, 3, FP, 3, "a/x/c/two", "a/x/c/two", TG_ST_PASSED),
                 shard("s3", 3, 3, "ffffffffffffffff", 3, "a/x/c/three", "a/x/c/three",
                       TG_ST_PASSED),
                 NULL};
    expect_block(gate(NULL, d), "shard 3 of 3 (");
    outcome o = gate(NULL, d);
    expect_block(o, "comes from another plan (fingerprint ffffffffffffffff");
    for (int i = 0; d[i]; i++)
        free(d[i]);
}
END_TEST

START_TEST(a_truncated_results_file_blocks)
{
    char *d[] = {shard("s1", 1, 1, FP, 2, "a/x/c/one a/x/c/two", "a/x/c/one a/x/c/two",
                       TG_ST_PASSED),
                 NULL};
    char *file = tg_asprintf("%s/results.json", d[0]);
    size_t len;
    char *text = tg_read_file(file, &len);
    ck_assert_int_eq(tg_write_file_atomic(file, text, len / 2), 0);
    expect_block(gate("--shards 1", d), "truncated or malformed");
    free(text);
    free(file);
    free(d[0]);
}
END_TEST

START_TEST(an_unreadable_shard_blocks)
{
    char *empty = tg_asprintf("%s/empty", dir);
    ck_assert_int_eq(tg_mkdirs(empty), 0);
    char *d[] = {empty, NULL};
    expect_block(gate("--shards 1", d), "cannot read");
    free(empty);
}
END_TEST

START_TEST(an_unknown_results_format_blocks)
{
    char *d[] = {shard("s1", 1, 1, FP, 1, "a/x/c/one", "a/x/c/one", TG_ST_PASSED), NULL};
    char *file = tg_asprintf("%s/results.json", d[0]);
    char *text = tg_read_file(file, NULL);
    char *at = strstr(text, "tollgate-results/1");
    at[strlen("tollgate-results/")] = '9';
    ck_assert_int_eq(tg_write_file_atomic(file, text, strlen(text)), 0);
    expect_block(gate(NULL, d), "unknown results format \\\"tollgate-results/9\\\"");
    free(text);
    free(file);
    free(d[0]);
}
END_TEST

START_TEST(a_planned_test_without_a_result_blocks)
{
    char *d[] = {shard("s1", 1, 1, FP, 2, "a/x/c/one a/x/c/two", "a/x/c/one", TG_ST_PASSED),
                 NULL};
    outcome o = gate(NULL, d);
    ck_assert_ptr_nonnull(strstr(o.verdict, "\"missing\":\t[\"a/x/c/two\"]"));
    expect_block(o, "planned test a/x/c/two has no result in shard 1");
    free(d[0]);
}
END_TEST

START_TEST(a_test_that_ran_twice_blocks)
{
    char *d[] = {shard("s1", 1, 2, FP, 2, "a/x/c/one", "a/x/c/one", TG_ST_PASSED),
                 shard("s2", 2, 2, FP, 2, "a/x/c/two", "a/x/c/two a/x/c/one", TG_ST_PASSED), NULL};
    outcome o = gate(NULL, d);
    ck_assert_ptr_nonnull(strstr(o.verdict, "\"duplicated\":\t[\"a/x/c/one\"]"));
    expect_block(o, "test a/x/c/one has more than one result");
    free(d[0]);
    free(d[1]);
}
END_TEST

START_TEST(a_test_that_was_not_planned_blocks)
{
    char *d[] = {shard("s1", 1, 1, FP, 1, "a/x/c/one", "a/x/c/one a/x/c/extra", TG_ST_PASSED),
                 NULL};
    expect_block(gate(NULL, d), "test a/x/c/extra ran on shard 1 but is not in the plan");
    free(d[0]);
}
END_TEST

START_TEST(failed_errored_and_timed_out_tests_block)
{
    tg_status bad[] = {TG_ST_FAILED, TG_ST_ERROR, TG_ST_TIMEOUT};
    for (int i = 0; i < 3; i++) {
        char name[16];
        snprintf(name, sizeof name, "s%d", i);
        char *d[] = {shard(name, 1, 1, FP, 1, "a/x/c/one", "a/x/c/one", bad[i]), NULL};
        char want[64];
        snprintf(want, sizeof want, "a/x/c/one %s: it broke", tg_status_name(bad[i]));
        expect_block(gate(NULL, d), want);
        free(d[0]);
    }
}
END_TEST

START_TEST(a_run_in_which_no_test_ran_blocks)
{
    char *d[] = {shard("s1", 1, 2, FP, 0, "", "", TG_ST_PASSED),
                 shard("s2", 2, 2, FP, 0, "", "", TG_ST_PASSED), NULL};
    expect_block(gate(NULL, d), "no test ran at all");
    free(d[0]);
    free(d[1]);
}
END_TEST

START_TEST(a_shard_count_that_disagrees_blocks)
{
    char *d[] = {shard("s1", 1, 2, FP, 2, "a/x/c/one", "a/x/c/one", TG_ST_PASSED),
                 shard("s2", 2, 2, FP, 2, "a/x/c/two", "a/x/c/two", TG_ST_PASSED), NULL};
    expect_block(gate("--shards 4", d), "holds shard 1 of 2, but the gate expects 4 shards");
    free(d[0]);
    free(d[1]);
}
END_TEST

START_TEST(flaky_tests_pass_unless_the_policy_blocks_them)
{
    char *d[] = {shard("s1", 1, 1, FP, 1, "a/x/c/one", "a/x/c/one", TG_ST_FLAKY), NULL};
    outcome o = gate(NULL, d);
    ck_assert_int_eq(o.code, 0);
    free(o.verdict);
    char *cfg = tg_asprintf("%s/strict.yaml", dir);
    const char *text = "policy:\n  flaky_blocks: true\nsuites:\n  unit: {binaries: /bin/true}\n";
    ck_assert_int_eq(tg_write_file_atomic(cfg, text, strlen(text)), 0);
    char *flag = tg_asprintf("--config %s", cfg);
    expect_block(gate(flag, d), "1 flaky test(s), and the policy says flaky tests block");
    free(flag);
    free(cfg);
    free(d[0]);
}
END_TEST

START_TEST(lint_errors_and_failed_smoke_checks_block)
{
    char *d[] = {shard("s1", 1, 1, FP, 1, "a/x/c/one", "a/x/c/one", TG_ST_PASSED), NULL, NULL};
    char *lint = tg_asprintf("%s/lint", dir);
    ck_assert_int_eq(tg_mkdirs(lint), 0);
    char *lf = tg_asprintf("%s/results.json", lint);
    const char *lj = "{\"format\":\"tollgate-results/1\",\"kind\":\"lint\",\"tests\":[],"
                     "\"lint\":{\"errors\":2,\"warnings\":1}}";
    ck_assert_int_eq(tg_write_file_atomic(lf, lj, strlen(lj)), 0);
    d[1] = lint;
    outcome o = gate(NULL, d);
    ck_assert_ptr_nonnull(strstr(o.verdict, "\"errors\":\t2"));
    expect_block(o, "lint found 2 error(s)");
    const char *sj = "{\"format\":\"tollgate-results/1\",\"kind\":\"smoke\",\"tests\":[{\"id\":"
                     "\"smoke/backend/health\",\"status\":\"failed\",\"message\":\"503\"}],"
                     "\"smoke\":{\"passed\":0,\"failed\":1}}";
    ck_assert_int_eq(tg_write_file_atomic(lf, sj, strlen(sj)), 0);
    expect_block(gate(NULL, d), "1 smoke check(s) failed");
    free(lf);
    free(lint);
    free(d[0]);
}
END_TEST

/* Recorded coverage of two shards of one build (fixtures/coverage/shards). */
static void add_coverage(const char *shard_dir, const char *recorded)
{
    char *src = tg_asprintf("fixtures/coverage/shards/%s/coverage.json", recorded);
    size_t len;
    char *text = tg_read_file(src, &len);
    ck_assert_msg(text != NULL, "missing %s", src);
    char *dst = tg_asprintf("%s/coverage.json", shard_dir);
    ck_assert_int_eq(tg_write_file_atomic(dst, text, len), 0);
    free(dst);
    free(text);
    free(src);
}

START_TEST(coverage_under_the_minimum_blocks)
{
    char *d[] = {shard("s1", 1, 2, FP, 2, "a/x/c/one", "a/x/c/one", TG_ST_PASSED),
                 shard("s2", 2, 2, FP, 2, "a/x/c/two", "a/x/c/two", TG_ST_PASSED), NULL};
    add_coverage(d[0], "a");
    add_coverage(d[1], "b");
    char *cfg = tg_asprintf("%s/cov.yaml", dir);
    const char *text = "coverage:\n  min_line: 100\nsuites:\n  unit: {binaries: /bin/true}\n";
    ck_assert_int_eq(tg_write_file_atomic(cfg, text, strlen(text)), 0);
    char *flag = tg_asprintf("--config %s", cfg);
    outcome o = gate(flag, d);
    ck_assert_ptr_nonnull(strstr(o.verdict, "\"min_line\":\t100"));
    expect_block(o, "% is under 100%");
    char *info = tg_asprintf("%s/gate/coverage.info", dir);
    ck_assert_int_eq(access(info, R_OK), 0);
    free(info);
    free(flag);
    free(cfg);
    free(d[0]);
    free(d[1]);
}
END_TEST

START_TEST(a_gate_without_folders_is_a_usage_error)
{
    char *d[] = {NULL};
    outcome o = gate(NULL, d);
    ck_assert_int_eq(o.code, 2);
    free(o.verdict);
}
END_TEST

static void tests(tgt_registry *r)
{
    tgt_tcase(r, "complete");
    tgt_fixture(r, make_dir, drop_dir);
    tgt_add(r, a_complete_passing_run_allows_the_deploy);
    tgt_add(r, a_missing_shard_blocks);
    tgt_add(r, a_duplicated_shard_blocks);
    tgt_add(r, a_shard_from_another_plan_blocks);
    tgt_add(r, a_shard_count_that_disagrees_blocks);
    tgt_add(r, a_planned_test_without_a_result_blocks);
    tgt_add(r, a_test_that_ran_twice_blocks);
    tgt_add(r, a_test_that_was_not_planned_blocks);
    tgt_add(r, a_run_in_which_no_test_ran_blocks);
    tgt_tcase(r, "files");
    tgt_fixture(r, make_dir, drop_dir);
    tgt_add(r, a_truncated_results_file_blocks);
    tgt_add(r, an_unreadable_shard_blocks);
    tgt_add(r, an_unknown_results_format_blocks);
    tgt_add(r, a_gate_without_folders_is_a_usage_error);
    tgt_tcase(r, "policy");
    tgt_fixture(r, make_dir, drop_dir);
    tgt_add(r, failed_errored_and_timed_out_tests_block);
    tgt_add(r, flaky_tests_pass_unless_the_policy_blocks_them);
    tgt_add(r, lint_errors_and_failed_smoke_checks_block);
    tgt_add(r, coverage_under_the_minimum_blocks);
}

TGT_MAIN("unit", tests)
