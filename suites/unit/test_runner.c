/* Unit tests for runner.c: supervision of real processes (fixtures/runner/). */
#include "runner.h"
#include "tg.h"
#include "tgtest.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char state[64];

static void make_state(void)
{
    tgt_scratch(state, "tg-runner");
    setenv("FIXTURE_STATE", state, 1);
}

static void drop_state(void)
{
    tgt_rmtree(state);
}

static char *build_path(const char *rel)
{
    const char *b = getenv("TOLLGATE_BUILD");
    return tg_asprintf("%s/%s", b && *b ? b : "build", rel);
}

static tg_service *test_service; /* set by a test that needs one */

/* Runs the given ids of one suite through the real runner. */
static void run_suite(tg_suite_kind kind, const char *path, const char *format,
                      const char *const *ids, int n, double timeout, int retries, tg_results *res)
{
    char *svc_names[] = {"fx"};
    tg_suite s = {.name = "fixture", .kind = kind, .timeout = timeout, .retries = retries,
                  .format = (char *)format};
    tg_config cfg = {.suites = &s, .nsuites = 1, .output_cap = 64 * 1024};
    if (test_service) {
        s.services = svc_names;
        s.nservices = 1;
        cfg.services = test_service;
        cfg.nservices = 1;
    }
    tg_inventory inv = {0};
    for (int i = 0; i < n; i++)
        tg_inventory_add(&inv, ids[i], "fixture", kind, path);
    tg_unit **units = tg_calloc((size_t)n + 1, sizeof *units);
    for (int i = 0; i < n; i++)
        units[i] = &inv.units[i];
    tg_run_opts o = {.cfg = &cfg, .shard_index = 1, .shard_total = 1, .jobs = 2,
                     .out_dir = state, .self_exe = "/bin/false", .progress_fd = -1, .quiet = 1,
                     .grace = 0.5};
    tg_results_init(res, "shard");
    ck_assert_int_eq(tg_run_units(&o, units, (size_t)n, res), 0);
    tg_results_sort(res);
    tg_results_count(res);
    free(units);
    tg_inventory_free(&inv);
}

static void run_fixture(const char *const *ids, int n, double timeout, int retries, tg_results *res)
{
    char *bin = build_path("fixtures/fixture_suite");
    run_suite(TG_KIND_CHECK, bin, "exit", ids, n, timeout, retries, res);
    free(bin);
}

static const tg_test *find(const tg_results *r, const char *id)
{
    for (size_t i = 0; i < r->ntests; i++)
        if (strcmp(r->tests[i].id, id) == 0)
            return &r->tests[i];
    ck_abort_msg("no result for %s", id);
    return NULL;
}

START_TEST(pass_and_failure_are_recorded_with_file_and_line)
{
    const char *ids[] = {"fixture/fixture_suite/ok/passes", "fixture/fixture_suite/bad/fails"};
    tg_results r;
    run_fixture(ids, 2, 10, 0, &r);
    ck_assert_uint_eq(r.ntests, 2);
    const tg_test *f = find(&r, ids[1]);
    ck_assert_str_eq(tg_status_name(f->status), "failed");
    ck_assert_str_eq(f->file, "fixtures/runner/fixture_suite.c");
    ck_assert_int_gt(f->line, 20);
    ck_assert_ptr_nonnull(strstr(f->message, "expected <42> & got \"41\""));
    ck_assert_int_eq(find(&r, ids[0])->status, TG_ST_PASSED);
    ck_assert_int_eq(find(&r, ids[0])->attempts, 1);
    tg_results_free(&r);
}
END_TEST

START_TEST(crash_is_an_error_with_its_signal)
{
    const char *ids[] = {"fixture/fixture_suite/bad/aborts"};
    tg_results r;
    run_fixture(ids, 1, 10, 0, &r);
    ck_assert_int_eq(r.tests[0].status, TG_ST_ERROR);
    ck_assert_int_eq(r.tests[0].signal, SIGABRT);
    ck_assert_ptr_nonnull(strstr(r.tests[0].message, "signal 6"));
    ck_assert_ptr_nonnull(strstr(r.tests[0].output, "about to abort"));
    tg_results_free(&r);
}
END_TEST

START_TEST(timeout_kills_the_test)
{
    const char *ids[] = {"fixture/fixture_suite/bad/hangs"};
    tg_results r;
    run_fixture(ids, 1, 0.3, 0, &r);
    ck_assert_int_eq(r.tests[0].status, TG_ST_TIMEOUT);
    ck_assert_ptr_nonnull(strstr(r.tests[0].message, "timed out after 0.3s"));
    ck_assert_ptr_nonnull(strstr(r.tests[0].output, "hanging"));
    tg_results_free(&r);
}
END_TEST

START_TEST(a_test_ignoring_sigterm_is_killed_after_the_grace)
{
    const char *ids[] = {"fixture/fixture_suite/bad/ignores_sigterm"};
    tg_results r;
    run_fixture(ids, 1, 0.2, 0, &r);
    ck_assert_int_eq(r.tests[0].status, TG_ST_TIMEOUT);
    tg_results_free(&r);
}
END_TEST

START_TEST(megabytes_of_output_keep_only_the_tail)
{
    const char *ids[] = {"fixture/fixture_suite/ok/prints_megabytes"};
    tg_results r;
    run_fixture(ids, 1, 10, 0, &r);
    const tg_test *t = &r.tests[0];
    ck_assert_int_eq(t->status, TG_ST_PASSED);
    ck_assert_uint_le(strlen(t->output), 64 * 1024 + 200);
    ck_assert_ptr_nonnull(strstr(t->output, "bytes cut"));
    ck_assert_ptr_nonnull(strstr(t->output, "the end\n"));
    tg_results_free(&r);
}
END_TEST

START_TEST(a_child_holding_the_output_neither_stalls_nor_survives)
{
    const char *ids[] = {"fixture/fixture_suite/ok/leaves_a_child"};
    tg_results r;
    run_fixture(ids, 1, 10, 0, &r);
    ck_assert_int_eq(r.tests[0].status, TG_ST_PASSED);
    char *pidfile = tg_asprintf("%s/child.pid", state);
    char *text = tg_read_file(pidfile, NULL);
    ck_assert_ptr_nonnull(text);
    pid_t pid = (pid_t)atol(text);
    ck_assert_int_gt(pid, 1);
    /* Killed with its group: gone, or at most a zombie awaiting its reaper. */
    int alive = 0;
    for (int i = 0; i < 200; i++) {
        char *stat = tg_asprintf("/proc/%ld/stat", (long)pid);
        char *s = tg_read_file(stat, NULL);
        char *close = s ? strrchr(s, ')') : NULL;
        alive = close && close[2] != 'Z';
        free(stat);
        free(s);
        if (!alive)
            break;
        usleep(10000);
    }
    ck_assert_msg(!alive, "the test's child %ld outlived it", (long)pid);
    free(text);
    free(pidfile);
    tg_results_free(&r);
}
END_TEST

START_TEST(fail_then_pass_is_flaky_with_its_attempts)
{
    const char *ids[] = {"fixture/fixture_suite/retry/flaky_once"};
    tg_results r;
    run_fixture(ids, 1, 10, 2, &r);
    const tg_test *t = &r.tests[0];
    ck_assert_str_eq(tg_status_name(t->status), "flaky");
    ck_assert_int_eq(t->attempts, 2);
    ck_assert_int_eq(t->ntries, 1);
    ck_assert_int_eq(t->tries[0].status, TG_ST_FAILED);
    ck_assert_str_eq(t->tries[0].message, "first attempt fails");
    ck_assert_int_eq(r.totals.flaky, 1);
    tg_results_free(&r);
}
END_TEST

START_TEST(without_retries_a_flaky_test_fails)
{
    const char *ids[] = {"fixture/fixture_suite/retry/flaky_once"};
    tg_results r;
    run_fixture(ids, 1, 10, 0, &r);
    ck_assert_int_eq(r.tests[0].status, TG_ST_FAILED);
    ck_assert_int_eq(r.tests[0].attempts, 1);
    tg_results_free(&r);
}
END_TEST

START_TEST(retries_stop_at_the_limit)
{
    const char *ids[] = {"fixture/fixture_suite/bad/fails"};
    tg_results r;
    run_fixture(ids, 1, 10, 2, &r);
    ck_assert_int_eq(r.tests[0].status, TG_ST_FAILED);
    ck_assert_int_eq(r.tests[0].attempts, 3);
    ck_assert_int_eq(r.tests[0].ntries, 2);
    tg_results_free(&r);
}
END_TEST

START_TEST(a_pass_followed_by_a_bad_exit_is_an_error)
{
    const char *ids[] = {"fixture/fixture_suite/bad/passes_then_exits_nonzero"};
    tg_results r;
    run_fixture(ids, 1, 10, 0, &r);
    ck_assert_int_eq(r.tests[0].status, TG_ST_ERROR);
    ck_assert_ptr_nonnull(strstr(r.tests[0].message, "exited with status 3"));
    tg_results_free(&r);
}
END_TEST

START_TEST(output_is_cleaned_of_control_characters)
{
    const char *ids[] = {"fixture/fixture_suite/bad/prints_controls"};
    tg_results r;
    run_fixture(ids, 1, 10, 0, &r);
    ck_assert_ptr_null(strchr(r.tests[0].output, 0x1b));
    ck_assert_ptr_null(strchr(r.tests[0].output, 0x07));
    ck_assert_ptr_nonnull(strstr(r.tests[0].output, "red bell nul-free  done"));
    tg_results_free(&r);
}
END_TEST

START_TEST(an_id_the_binary_does_not_know_is_an_error)
{
    const char *ids[] = {"fixture/fixture_suite/ok/no_such_test"};
    tg_results r;
    run_fixture(ids, 1, 10, 0, &r);
    ck_assert_int_eq(r.tests[0].status, TG_ST_ERROR);
    ck_assert_ptr_nonnull(strstr(r.tests[0].message, "does not know the planned test id"));
    tg_results_free(&r);
}
END_TEST

START_TEST(a_missing_binary_is_an_error_not_a_pass)
{
    const char *ids[] = {"fixture/gone/ok/passes"};
    tg_results r;
    run_suite(TG_KIND_CHECK, "/nonexistent/suite", "exit", ids, 1, 10, 0, &r);
    ck_assert_int_eq(r.tests[0].status, TG_ST_ERROR);
    ck_assert_ptr_nonnull(strstr(r.tests[0].message, "cannot run /nonexistent/suite"));
    tg_results_free(&r);
}
END_TEST

START_TEST(tap_output_becomes_one_result_per_line)
{
    const char *ids[] = {"fixture/tap_suite"};
    tg_results r;
    run_suite(TG_KIND_EXEC, "fixtures/runner/tap_suite.sh", "tap", ids, 1, 10, 0, &r);
    ck_assert_uint_eq(r.ntests, 4);
    ck_assert_int_eq(find(&r, "fixture/tap_suite/1 parses empty input")->status, TG_ST_PASSED);
    ck_assert_int_eq(find(&r, "fixture/tap_suite/2 rejects a_b paths")->status, TG_ST_FAILED);
    ck_assert_int_eq(find(&r, "fixture/tap_suite/3 slow path")->status, TG_ST_SKIPPED);
    ck_assert_int_eq(find(&r, "fixture/tap_suite/4 future work")->status, TG_ST_PASSED);
    ck_assert_str_eq(find(&r, "fixture/tap_suite/2 rejects a_b paths")->unit, "fixture/tap_suite");
    tg_results_free(&r);
}
END_TEST

START_TEST(an_executable_passes_or_fails_by_exit_code)
{
    const char *ids[] = {"fixture/true"};
    tg_results r;
    run_suite(TG_KIND_EXEC, "/bin/true", "exit", ids, 1, 10, 0, &r);
    ck_assert_int_eq(r.tests[0].status, TG_ST_PASSED);
    tg_results_free(&r);
    const char *ids2[] = {"fixture/false"};
    run_suite(TG_KIND_EXEC, "/bin/false", "exit", ids2, 1, 10, 0, &r);
    ck_assert_int_eq(r.tests[0].status, TG_ST_FAILED);
    ck_assert_ptr_nonnull(strstr(r.tests[0].message, "exited with status 1"));
    tg_results_free(&r);
}
END_TEST

START_TEST(many_tests_in_parallel_all_get_a_result)
{
    const char *ids[] = {"fixture/fixture_suite/ok/passes", "fixture/fixture_suite/bad/fails",
                         "fixture/fixture_suite/bad/aborts", "fixture/fixture_suite/bad/hangs",
                         "fixture/fixture_suite/ok/prints_megabytes"};
    tg_results r;
    run_fixture(ids, 5, 3, 0, &r);
    ck_assert_uint_eq(r.ntests, 5);
    ck_assert_int_eq(r.totals.passed, 2);
    ck_assert_int_eq(r.totals.failed, 1);
    ck_assert_int_eq(r.totals.error, 1);
    ck_assert_int_eq(r.totals.timeout, 1);
    tg_results_free(&r);
}
END_TEST


START_TEST(a_foreign_check_binary_reports_each_test_with_a_distinct_id)
{
    char *bin = build_path("fixtures/foreign_check");
    const char *ids[] = {"fixture/foreign_check"};
    tg_results r;
    run_suite(TG_KIND_CHECKXML, bin, "exit", ids, 1, 10, 0, &r);
    ck_assert_uint_eq(r.ntests, 7);
    const char *p = "fixture/foreign_check/Math/Core/";
    char id[128];
    snprintf(id, sizeof id, "%sadds", p);
    ck_assert_int_eq(find(&r, id)->status, TG_ST_PASSED);
    snprintf(id, sizeof id, "%sadds#2", p);
    ck_assert_int_eq(find(&r, id)->status, TG_ST_PASSED);
    for (int i = 0; i < 3; i++) {
        snprintf(id, sizeof id, "%sloops@%d", p, i);
        ck_assert_int_eq(find(&r, id)->status, TG_ST_PASSED);
    }
    snprintf(id, sizeof id, "%sfails", p);
    const tg_test *f = find(&r, id);
    ck_assert_int_eq(f->status, TG_ST_FAILED);
    ck_assert_str_eq(f->message, "wrong answer");
    ck_assert_str_eq(f->file, "fixtures/runner/foreign_check.c");
    ck_assert_int_gt(f->line, 0);
    ck_assert(f->time >= 0);
    ck_assert_str_eq(f->unit, "fixture/foreign_check");
    snprintf(id, sizeof id, "%scrashes", p);
    ck_assert_int_eq(find(&r, id)->status, TG_ST_ERROR);
    tg_results_free(&r);
    free(bin);
}
END_TEST

START_TEST(a_malformed_check_log_makes_the_unit_an_error)
{
    const char *ids[] = {"fixture/bad_check_xml"};
    tg_results r;
    run_suite(TG_KIND_CHECKXML, "fixtures/runner/bad_check_xml.sh", "exit", ids, 1, 10, 0, &r);
    ck_assert_uint_eq(r.ntests, 1);
    ck_assert_int_eq(r.tests[0].status, TG_ST_ERROR);
    ck_assert_ptr_nonnull(strstr(r.tests[0].message, "not well-formed"));
    tg_results_free(&r);
}
END_TEST

START_TEST(junit_from_an_executable_becomes_its_results)
{
    const char *ids[] = {"fixture/junit_suite"};
    tg_results r;
    run_suite(TG_KIND_EXEC, "fixtures/runner/junit_suite.sh", "junit", ids, 1, 10, 0, &r);
    ck_assert_uint_eq(r.ntests, 4);
    const tg_test *a = find(&r, "fixture/junit_suite/api.users/lists users");
    ck_assert_int_eq(a->status, TG_ST_PASSED);
    ck_assert_str_eq(a->file, "test/users.js");
    ck_assert_int_eq(a->line, 12);
    ck_assert_double_eq_tol(a->time, 0.125, 1e-9);
    ck_assert_int_eq(find(&r, "fixture/junit_suite/api.users/lists users#2")->status,
                     TG_ST_PASSED);
    const tg_test *b = find(&r, "fixture/junit_suite/api.users/rejects a_b");
    ck_assert_int_eq(b->status, TG_ST_FAILED);
    ck_assert_str_eq(b->message, "expected 400, got 500");
    ck_assert_int_eq(find(&r, "fixture/junit_suite/api.admin/later")->status, TG_ST_SKIPPED);
    tg_results_free(&r);
}
END_TEST

START_TEST(an_executable_that_promised_junit_and_wrote_none_is_an_error)
{
    const char *ids[] = {"fixture/true"};
    tg_results r;
    run_suite(TG_KIND_EXEC, "/bin/true", "junit", ids, 1, 10, 0, &r);
    ck_assert_int_eq(r.tests[0].status, TG_ST_ERROR);
    ck_assert_ptr_nonnull(strstr(r.tests[0].message, "wrote no JUnit XML"));
    tg_results_free(&r);
}
END_TEST

START_TEST(a_test_registered_twice_gets_two_distinct_ids_under_any_suite)
{
    char *bin = build_path("fixtures/fixture_suite");
    char *argv[] = {bin, "--tg-list", NULL};
    char *out = NULL;
    ck_assert_int_eq(tg_capture_output(argv, 30, &out), 0);
    ck_assert_ptr_nonnull(strstr(out, "fixture/fixture_suite/ok/passes\t"));
    ck_assert_ptr_nonnull(strstr(out, "fixture/fixture_suite/ok/passes#2\t"));
    free(out);
    const char *ids[] = {"fixture/fixture_suite/ok/passes#2",
                         "another-suite/fixture_suite/ok/passes#2"};
    tg_results r;
    run_fixture(ids, 2, 10, 0, &r);
    ck_assert_int_eq(r.tests[0].status, TG_ST_PASSED);
    ck_assert_int_eq(r.tests[1].status, TG_ST_PASSED);
    tg_results_free(&r);
    free(bin);
}
END_TEST

/* Runs the service test with the fixture service started as `args`. */
static void run_with_service(const char *args, double start_timeout, tg_results *r)
{
    char *svc = build_path("fixtures/fixture_service");
    char *cmd = tg_asprintf("%s %s", svc, args);
    tg_service def = {.name = "fx", .command = cmd, .ready = "/health",
                      .start_timeout = start_timeout};
    test_service = &def;
    const char *ids[] = {"fixture/fixture_suite/service/sees_its_service"};
    run_fixture(ids, 1, 10, 0, r);
    test_service = NULL;
    free(cmd);
    free(svc);
}

START_TEST(a_service_is_started_waited_for_and_stopped)
{
    tg_results r;
    run_with_service("--port ${PORT} --slow-ready 1", 10, &r);
    ck_assert_msg(r.tests[0].status == TG_ST_PASSED, "%s", r.tests[0].message);
    char *logp = tg_asprintf("%s/services/fx.log", state);
    char *log = tg_read_file(logp, NULL);
    ck_assert_ptr_nonnull(log);
    ck_assert_ptr_nonnull(strstr(log, "listening on 127.0.0.1:"));
    ck_assert_ptr_nonnull(strstr(log, "stopped"));
    ck_assert_ptr_null(getenv("TOLLGATE_FX_URL"));
    free(log);
    free(logp);
    tg_results_free(&r);
}
END_TEST

START_TEST(a_service_that_dies_makes_its_tests_errors)
{
    tg_results r;
    run_with_service("--die", 10, &r);
    ck_assert_int_eq(r.tests[0].status, TG_ST_ERROR);
    ck_assert_ptr_nonnull(strstr(r.tests[0].message, "exited with status 3 before it was ready"));
    ck_assert_ptr_nonnull(strstr(r.tests[0].message, "/services/fx.log"));
    tg_results_free(&r);
}
END_TEST

START_TEST(a_service_never_ready_makes_its_tests_errors)
{
    tg_results r;
    run_with_service("--port ${PORT} --slow-ready 60", 0.5, &r);
    ck_assert_int_eq(r.tests[0].status, TG_ST_ERROR);
    ck_assert_ptr_nonnull(strstr(r.tests[0].message, "was not ready at http://127.0.0.1:"));
    tg_results_free(&r);
}
END_TEST

static void tests(tgt_registry *r)
{
    tgt_tcase(r, "supervise");
    tgt_fixture(r, make_state, drop_state);
    tgt_add(r, pass_and_failure_are_recorded_with_file_and_line);
    tgt_add(r, crash_is_an_error_with_its_signal);
    tgt_add(r, timeout_kills_the_test);
    tgt_add(r, a_test_ignoring_sigterm_is_killed_after_the_grace);
    tgt_add(r, megabytes_of_output_keep_only_the_tail);
    tgt_add(r, a_child_holding_the_output_neither_stalls_nor_survives);
    tgt_add(r, a_pass_followed_by_a_bad_exit_is_an_error);
    tgt_add(r, output_is_cleaned_of_control_characters);
    tgt_add(r, an_id_the_binary_does_not_know_is_an_error);
    tgt_add(r, a_missing_binary_is_an_error_not_a_pass);
    tgt_add(r, many_tests_in_parallel_all_get_a_result);
    tgt_add(r, a_test_registered_twice_gets_two_distinct_ids_under_any_suite);
    tgt_tcase(r, "retry");
    tgt_fixture(r, make_state, drop_state);
    tgt_add(r, fail_then_pass_is_flaky_with_its_attempts);
    tgt_add(r, without_retries_a_flaky_test_fails);
    tgt_add(r, retries_stop_at_the_limit);
    tgt_tcase(r, "services");
    tgt_fixture(r, make_state, drop_state);
    tgt_add(r, a_service_is_started_waited_for_and_stopped);
    tgt_add(r, a_service_that_dies_makes_its_tests_errors);
    tgt_add(r, a_service_never_ready_makes_its_tests_errors);
    tgt_tcase(r, "kinds");
    tgt_fixture(r, make_state, drop_state);
    tgt_add(r, tap_output_becomes_one_result_per_line);
    tgt_add(r, an_executable_passes_or_fails_by_exit_code);
    tgt_add(r, a_foreign_check_binary_reports_each_test_with_a_distinct_id);
    tgt_add(r, a_malformed_check_log_makes_the_unit_an_error);
    tgt_add(r, junit_from_an_executable_becomes_its_results);
    tgt_add(r, an_executable_that_promised_junit_and_wrote_none_is_an_error);
}

TGT_MAIN("unit", tests)
