/* Tests of coverage collection against real gcov data: each builds a small
 * program with --coverage into a temporary folder, runs it, and collects.
 * Covers agreement with lcov, the failed/crashed/timed-out tests whose
 * coverage must not be lost, GCOV_PREFIX shards, and bad input. */
#include "coverage.h"
#include "test_coverage_util.h"
#include "tgtest.h"

#include <signal.h>
#include <time.h>

#define FIX "fixtures/coverage"
/* Programs the tests start must write their .gcda where the test looks, and
 * must not answer to the runner that started this test. */
#define CLEAN_ENV "env -u GCOV_PREFIX -u GCOV_PREFIX_STRIP -u TOLLGATE_RESULT_FD "
#define CC "cc --coverage -O0 -std=gnu11 "

/* Builds fixtures/coverage/prog as dir/calc, its notes in dir/obj, in one
 * compiler call (-dumpdir names them obj/calc.gcno and obj/main.gcno). */
static void build_calc(const char *dir, const char *extra)
{
    ck_assert_int_eq(cov_sh(CLEAN_ENV "sh -c 'mkdir -p %s/obj && " CC "%s -dumpdir %s/obj/ " FIX
                                      "/prog/calc.c " FIX "/prog/main.c -o %s/calc'",
                            dir, extra, dir, dir),
                     0);
}

static void run_calc(const char *dir, const char *args)
{
    ck_assert_int_eq(cov_sh(CLEAN_ENV "%s/calc %s > /dev/null", dir, args), 0);
}

static void collect(const char *build, const char *gcda, tg_cov *c)
{
    tg_cov_collect_opts o = {.build = build, .gcda = gcda};
    ck_assert_int_eq(tg_cov_collect(&o, c), 0);
}

/* Totals of `lcov --summary FILE` (lines, functions, branches). */
static void lcov_summary(const char *info, tg_cov_totals *t)
{
    char *cmd = tg_asprintf("lcov --summary '%s' --rc lcov_branch_coverage=1 2>&1", info);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    memset(t, 0, sizeof *t);
    char line[512];
    int seen = 0;
    while (fgets(line, sizeof line, p)) {
        double pct;
        long long hit, found;
        char what[32];
        if (sscanf(line, " %31[a-z].%*[.]: %lf%% (%lld of %lld", what, &pct, &hit, &found) != 4)
            continue;
        tg_cov_count *n = strcmp(what, "lines") == 0       ? &t->lines
                          : strcmp(what, "functions") == 0 ? &t->functions
                                                           : &t->branches;
        n->hit = hit;
        n->found = found;
        seen++;
    }
    ck_assert_int_eq(pclose(p), 0);
    ck_assert_int_ge(seen, 2);
    free(cmd);
}

/* The 1-based line of the first occurrence of text in a file. */
static int line_of(const char *path, const char *text)
{
    char *src = tg_read_file(path, NULL);
    ck_assert_ptr_nonnull(src);
    const char *at = strstr(src, text);
    ck_assert_ptr_nonnull(at);
    int line = 1;
    for (const char *p = src; p < at; p++)
        line += *p == '\n';
    free(src);
    return line;
}

START_TEST(totals_agree_with_lcov_capture)
{
    char *dir = cov_tmpdir();
    build_calc(dir, "");
    run_calc(dir, "+ 2 3");
    run_calc(dir, "/ 7 0");
    run_calc(dir, "zz 1 1");
    char *obj = tg_asprintf("%s/obj", dir);
    tg_cov c;
    collect(obj, NULL, &c);
    tg_cov_totals ours, theirs, ours_via_lcov;
    tg_cov_totals_of(&c, &ours);
    ck_assert_int_eq(cov_sh(CLEAN_ENV "lcov --quiet --capture --rc lcov_branch_coverage=1 "
                                      "--no-external -b . -d %s/obj -o %s/lcov.info 2>/dev/null",
                            dir, dir),
                     0);
    char *info = tg_asprintf("%s/lcov.info", dir);
    lcov_summary(info, &theirs);
    ck_assert_int_gt(ours.lines.found, 20);
    ck_assert_int_gt(ours.lines.found, ours.lines.hit);
    ck_assert_int_eq(ours.lines.found, theirs.lines.found);
    ck_assert_int_eq(ours.lines.hit, theirs.lines.hit);
    ck_assert_int_eq(ours.functions.found, theirs.functions.found);
    ck_assert_int_eq(ours.functions.hit, theirs.functions.hit);
    ck_assert_int_eq(ours.branches.found, theirs.branches.found);
    ck_assert_int_eq(ours.branches.hit, theirs.branches.hit);
    /* and lcov reads our .info to the same totals */
    char *mine = tg_asprintf("%s/ours.info", dir), *text = tg_cov_lcov(&c);
    ck_assert_int_eq(tg_write_file_atomic(mine, text, strlen(text)), 0);
    lcov_summary(mine, &ours_via_lcov);
    ck_assert_int_eq(ours_via_lcov.lines.hit, theirs.lines.hit);
    ck_assert_int_eq(ours_via_lcov.functions.hit, theirs.functions.hit);
    ck_assert_int_eq(ours_via_lcov.branches.found, theirs.branches.found);
    /* the inline function of the header counts once, summed over both objects */
    ck_assert_ptr_nonnull(cov_func(&c, FIX "/prog/calc.h", "calc_clamp"));
    ck_assert_int_eq(cov_func(&c, FIX "/prog/calc.c", "calc_never_called")->count, 0);
    /* lcov's exclusion markers in calc.c took effect, as they do for lcov */
    const tg_cov_file *cf = tg_cov_file_find(&c, FIX "/prog/calc.c");
    int br = line_of(FIX "/prog/calc.c", "LCOV_EXCL_BR_LINE"),
        ln = line_of(FIX "/prog/calc.c", "LCOV_EXCL_LINE:");
    ck_assert_ptr_null(cov_func(&c, FIX "/prog/calc.c", "calc_excluded"));
    ck_assert(cf->lines[br] != TG_COV_NOLINE && cf->nbr[br] == 0);
    ck_assert(cf->lines[ln] == TG_COV_NOLINE && cf->nbr[ln] == 0);
    free(text);
    free(mine);
    free(info);
    free(obj);
    tg_cov_free(&c);
    cov_rmrf(dir);
}
END_TEST

START_TEST(collect_verb_writes_the_shard_file_and_applies_excludes)
{
    char *dir = cov_tmpdir();
    build_calc(dir, "");
    run_calc(dir, "x 6 7");
    char *obj = tg_asprintf("%s/obj", dir), *out = tg_asprintf("%s/shard-1", dir), *msg = NULL;
    ck_assert_int_eq(cov_verb(&msg, "collect", "--build", obj, "--jobs", "2", "--exclude",
                              "*.h", "--out", out, (char *)NULL),
                     0);
    ck_assert_ptr_nonnull(strstr(msg, "tollgate: coverage collected: lines "));
    ck_assert_ptr_nonnull(strstr(msg, "2 files, 2 .gcda in"));
    char *json = tg_asprintf("%s/coverage.json", out);
    tg_cov c;
    ck_assert_int_eq(tg_cov_read(json, &c), 0);
    ck_assert_ptr_null(tg_cov_file_find(&c, FIX "/prog/calc.h"));
    ck_assert_ptr_nonnull(tg_cov_file_find(&c, FIX "/prog/main.c"));
    ck_assert_int_eq(c.ngcda, 2);
    ck_assert_ptr_nonnull(c.identity);
    tg_cov_free(&c);
    free(json);
    free(msg);
    free(out);
    free(obj);
    cov_rmrf(dir);
}
END_TEST

START_TEST(system_headers_and_files_outside_the_root_are_left_out)
{
    char *dir = cov_tmpdir();
    /* A source outside the repository, including a system header. */
    ck_assert_int_eq(cov_sh("printf '#include <stdio.h>\\nint main(void){puts(\"x\");return 0;}\\n' "
                            "> %s/outside.c && " CLEAN_ENV "sh -c 'cd %s && " CC
                            "outside.c -o outside && ./outside >/dev/null'",
                            dir, dir),
                     0);
    build_calc(dir, "");
    run_calc(dir, "+ 1 1");
    tg_cov c;
    tg_cov_collect_opts o = {.build = dir};
    ck_assert_int_eq(tg_cov_collect(&o, &c), 0);
    for (size_t i = 0; i < c.nfiles; i++)
        ck_assert_msg(strncmp(c.files[i]->path, FIX "/prog/", strlen(FIX "/prog/")) == 0,
                      "%s is outside the repository", c.files[i]->path);
    ck_assert_uint_eq(c.nfiles, 3);
    tg_cov_free(&c);
    cov_rmrf(dir);
}
END_TEST

START_TEST(parallel_collection_equals_one_gcov_per_file)
{
    char *dir = cov_tmpdir();
    build_calc(dir, "");
    run_calc(dir, "- 5 9");
    char *obj = tg_asprintf("%s/obj", dir);
    tg_cov a, b;
    tg_cov_collect_opts serial = {.build = obj, .jobs = 1, .batch = 1};
    tg_cov_collect_opts wide = {.build = obj, .jobs = 4, .batch = 64};
    ck_assert_int_eq(tg_cov_collect(&serial, &a), 0);
    ck_assert_int_eq(tg_cov_collect(&wide, &b), 0);
    char *x = tg_cov_to_json(&a), *y = tg_cov_to_json(&b);
    ck_assert_str_eq(x, y);
    free(x);
    free(y);
    tg_cov_free(&a);
    tg_cov_free(&b);
    free(obj);
    cov_rmrf(dir);
}
END_TEST

/* Two shards write their .gcda under their own GCOV_PREFIX, from one build:
 * merged, they equal both runs counted in one place. */
START_TEST(gcov_prefix_shards_merge_to_the_sum_of_their_runs)
{
    char *dir = cov_tmpdir();
    build_calc(dir, "");
    ck_assert_int_eq(cov_sh(CLEAN_ENV "GCOV_PREFIX=%s/s1 %s/calc + 2 3 >/dev/null && " CLEAN_ENV
                                      "GCOV_PREFIX=%s/s2 GCOV_PREFIX_STRIP=1 %s/calc / 4 0 >/dev/null",
                            dir, dir, dir, dir),
                     0);
    run_calc(dir, "+ 2 3");
    run_calc(dir, "/ 4 0");
    char *obj = tg_asprintf("%s/obj", dir), *s1 = tg_asprintf("%s/s1", dir),
         *s2 = tg_asprintf("%s/s2", dir);
    tg_cov one, two, both, merged;
    collect(obj, s1, &one);
    collect(obj, s2, &two);
    collect(obj, NULL, &both);
    ck_assert_str_eq(one.identity, two.identity);
    tg_cov_init(&merged);
    tg_cov_merge(&merged, &one);
    tg_cov_merge(&merged, &two);
    tg_cov_sort(&merged);
    merged.identity = tg_strdup(both.identity);
    merged.gcov_version = tg_strdup(both.gcov_version);
    char *x = tg_cov_to_json(&merged), *y = tg_cov_to_json(&both);
    /* ngcda differs (4 against 2); compare from the totals on */
    ck_assert_str_eq(strstr(x, "\"totals\""), strstr(y, "\"totals\""));
    ck_assert_ptr_ne(strstr(x, "\"totals\""), NULL);
    free(x);
    free(y);
    tg_cov_free(&one);
    tg_cov_free(&two);
    tg_cov_free(&both);
    tg_cov_free(&merged);
    free(obj);
    free(s1);
    free(s2);
    cov_rmrf(dir);
}
END_TEST

START_TEST(identity_ignores_stamps_and_folders_but_not_the_code)
{
    char *dir = cov_tmpdir();
    char *d1 = tg_asprintf("%s/one", dir), *d2 = tg_asprintf("%s/two", dir),
         *d3 = tg_asprintf("%s/three", dir);
    build_calc(d1, "");
    build_calc(d2, "");
    build_calc(d3, "-Dcalc_never_called=calc_renamed");
    char *o1 = tg_asprintf("%s/obj", d1), *o2 = tg_asprintf("%s/obj", d2),
         *o3 = tg_asprintf("%s/obj", d3);
    char *i1, *i2, *i3;
    long n;
    ck_assert_int_eq(tg_cov_build_identity(o1, &i1, &n), 0);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(tg_cov_build_identity(o2, &i2, &n), 0);
    ck_assert_int_eq(tg_cov_build_identity(o3, &i3, &n), 0);
    ck_assert_str_eq(i1, i2);
    ck_assert_str_ne(i1, i3);
    free(i1);
    free(i2);
    free(i3);
    free(o1);
    free(o2);
    free(o3);
    free(d1);
    free(d2);
    free(d3);
    cov_rmrf(dir);
}
END_TEST

/* ---- nothing lost ---------------------------------------------------- */

#define LOST_ID "fixture/lost_test/lost/"

/* Builds fixtures/coverage/lost (a Check suite on the project's tgtest.c),
 * linked as mk/coverage.mk links the project's tests in a COV=1 build. */
static void build_lost(const char *dir)
{
    ck_assert_int_eq(cov_sh(CLEAN_ENV "sh -c 'mkdir -p %s/obj && " CC "-Iharness -I" FIX
                                      "/lost $(pkg-config --cflags check) -dumpdir %s/obj/ " FIX
                                      "/lost/lost_test.c " FIX "/lost/markers.c harness/tgtest.c "
                                      "-Wl,-u,__gcov_dump $(pkg-config --libs check) -o %s/lost'",
                            dir, dir, dir),
                     0);
}

/* Starts dir/lost --tg-run ID in its own process group, as tollgate's
 * runner does; *out reads its stdout. */
static pid_t start_lost(const char *dir, const char *id, int *out)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    char *prog = tg_asprintf("%s/lost", dir);
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        setpgid(0, 0);
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        unsetenv("GCOV_PREFIX");
        unsetenv("GCOV_PREFIX_STRIP");
        unsetenv("TOLLGATE_RESULT_FD");
        execl(prog, prog, "--tg-run", id, (char *)NULL);
        _exit(127);
    }
    setpgid(pid, pid);
    close(p[1]);
    free(prog);
    *out = p[0];
    return pid;
}

/* Waits up to ms for pid; returns 1 and its status when it ended. */
static int wait_for(pid_t pid, int ms, int *status)
{
    for (int waited = 0; waited <= ms; waited += 10) {
        if (waitpid(pid, status, WNOHANG) == pid)
            return 1;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return 0;
}

static long long marker_count(const char *dir, const char *marker)
{
    char *obj = tg_asprintf("%s/obj", dir);
    tg_cov c;
    collect(obj, NULL, &c);
    const tg_cov_func *f = cov_func(&c, FIX "/lost/markers.c", marker);
    ck_assert_msg(f != NULL, "%s is not in the coverage data", marker);
    long long n = f->count;
    tg_cov_free(&c);
    free(obj);
    return n;
}

START_TEST(coverage_of_a_test_that_fails_an_assertion_is_kept)
{
    char *dir = cov_tmpdir();
    build_lost(dir);
    int out, st;
    pid_t pid = start_lost(dir, LOST_ID "fails_an_assertion", &out);
    ck_assert(wait_for(pid, 20000, &st));
    close(out);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1);
    ck_assert_int_eq(marker_count(dir, "marker_before_failure"), 1);
    ck_assert_int_eq(marker_count(dir, "marker_before_crash"), 0);
    cov_rmrf(dir);
}
END_TEST

START_TEST(coverage_of_a_test_that_crashes_is_kept)
{
    char *dir = cov_tmpdir();
    build_lost(dir);
    int out, st;
    pid_t pid = start_lost(dir, LOST_ID "crashes", &out);
    ck_assert(wait_for(pid, 20000, &st));
    close(out);
    ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "status %d", st);
    ck_assert_int_eq(marker_count(dir, "marker_before_crash"), 1);
    cov_rmrf(dir);
}
END_TEST

/* Kills a hanging test the way the runner does on a timeout (SIGTERM to the
 * group, a 1 s grace, then SIGKILL) or, with hard set, with SIGKILL alone. */
static void kill_hanging_test(const char *dir, int hard, int *status)
{
    int out;
    pid_t pid = start_lost(dir, LOST_ID "hangs", &out);
    char buf[16] = "";
    ck_assert_int_gt(read(out, buf, sizeof buf - 1), 0);
    ck_assert_ptr_nonnull(strstr(buf, "ready"));
    kill(-pid, hard ? SIGKILL : SIGTERM);
    if (!wait_for(pid, 1000, status)) {
        kill(-pid, SIGKILL);
        ck_assert(wait_for(pid, 5000, status));
    }
    close(out);
}

START_TEST(coverage_of_a_test_that_times_out_is_kept)
{
    char *dir = cov_tmpdir();
    build_lost(dir);
    int st;
    kill_hanging_test(dir, 0, &st);
    ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM,
                  "the test did not end by SIGTERM within the grace period");
    ck_assert_int_eq(marker_count(dir, "marker_before_hang"), 1);
    cov_rmrf(dir);
}
END_TEST

/* The control for the test above: with no chance to dump, the counters are
 * gone and collect says so instead of reporting 0%. */
START_TEST(a_hard_kill_loses_coverage_and_collect_says_so)
{
    char *dir = cov_tmpdir();
    build_lost(dir);
    int st;
    kill_hanging_test(dir, 1, &st);
    ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    char *obj = tg_asprintf("%s/obj", dir), *outdir = tg_asprintf("%s/out", dir), *msg = NULL;
    ck_assert_int_eq(cov_verb(&msg, "collect", "--build", obj, "--out", outdir, (char *)NULL), 2);
    ck_assert_ptr_nonnull(strstr(msg, "no .gcda files"));
    free(msg);
    free(obj);
    free(outdir);
    cov_rmrf(dir);
}
END_TEST

/* ---- bad input -------------------------------------------------------- */

/* Each case starts from a built and run calc in BASE (copied to CASE), runs
 * its setup (%1$s is CASE) and expects collect to exit 2 with the message. */
typedef struct {
    const char *name, *setup, *build, *gcov, *message;
} bad_case;

static const bad_case bad_cases[] = {
    {"missing build folder", "true", "%s/nope", NULL, "the build folder does not exist"},
    {"empty build folder", "mkdir %1$s/empty", "%s/empty", NULL, "no .gcno files"},
    {"built but never run", "rm %1$s/obj/*.gcda", "%s/obj", NULL, "no .gcda files"},
    {"data without notes", "rm %1$s/obj/calc.gcno", "%s/obj", NULL,
     "obj/calc.gcda has no .gcno under"},
    {"corrupt data", "printf 'garbage, not counters' > %1$s/obj/calc.gcda", "%s/obj", NULL,
     "obj/calc.gcda: not a gcov data file"},
    {"truncated data", "head -c 40 %1$s/obj/main.gcda > %1$s/t && mv %1$s/t %1$s/obj/main.gcda",
     "%s/obj", NULL, "obj/main.gcda: "},
    {"data of another build",
     CLEAN_ENV CC "-c " FIX "/prog/calc.c -o %1$s/obj/calc.o", "%s/obj", NULL,
     "obj/calc.gcda: stamp mismatch with notes file"},
    {"corrupt notes", "printf 'junk' > %1$s/obj/main.gcno", "%s/obj", NULL,
     "obj/main.gcno: not a gcov notes file"},
    {"gcov missing", "true", "%s/obj", "%s/no-such-gcov", "cannot run"},
    {"gcov not gcov", "true", "%s/obj", "/bin/true", "did not answer as gcov does"},
    {"gcov of another version",
     "printf '#!/bin/sh\\necho \"gcov (GCC) 9.4.0\"\\n' > %1$s/gcov9 && chmod +x %1$s/gcov9",
     "%s/obj", "%s/gcov9", "is gcov 9.4; use the gcov"},
    {"gcov output not JSON",
     "printf '#!/bin/sh\\ncase $1 in --version) gcov --version;; *) echo \"{oops\";; esac\\n' > "
     "%1$s/gcovx && chmod +x %1$s/gcovx",
     "%s/obj", "%s/gcovx", "is not JSON it can read"},
};

START_TEST(bad_input_is_an_error_never_zero_percent)
{
    char *base = cov_tmpdir();
    build_calc(base, "");
    run_calc(base, "+ 1 2");
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const bad_case *bc = &bad_cases[i];
        char *dir = tg_asprintf("%s/case%zu", base, i);
        ck_assert_int_eq(cov_sh("mkdir -p %s && cp -a %s/obj %s/", dir, base, dir), 0);
        char *setup = tg_asprintf(bc->setup, dir);
        ck_assert_msg(cov_sh("%s", setup) == 0, "%s: setup failed", bc->name);
        char *build = tg_asprintf(bc->build, dir);
        char *gcov = bc->gcov ? tg_asprintf(bc->gcov, dir) : NULL;
        char *out = tg_asprintf("%s/out", dir), *msg = NULL;
        int rc = gcov ? cov_verb(&msg, "collect", "--build", build, "--gcov", gcov, "--out", out,
                                 (char *)NULL)
                      : cov_verb(&msg, "collect", "--build", build, "--out", out, (char *)NULL);
        ck_assert_msg(rc == 2, "%s: exit %d, want 2 (%s)", bc->name, rc, msg);
        ck_assert_msg(strstr(msg, bc->message), "%s: \"%s\" lacks \"%s\"", bc->name, msg,
                      bc->message);
        char *written = tg_asprintf("%s/coverage.json", out);
        ck_assert_msg(access(written, F_OK) != 0, "%s: wrote coverage anyway", bc->name);
        free(written);
        free(msg);
        free(out);
        free(gcov);
        free(build);
        free(setup);
        free(dir);
    }
    cov_rmrf(base);
}
END_TEST

START_TEST(a_gcov_that_hangs_is_stopped_and_reported)
{
    char *dir = cov_tmpdir();
    build_calc(dir, "");
    run_calc(dir, "+ 1 2");
    char *fake = tg_asprintf("%s/gcov-hangs", dir);
    ck_assert_int_eq(cov_sh("printf '#!/bin/sh\\ncase $1 in --version) exec gcov --version;; esac\\n"
                            "exec sleep 30\\n' > %s && chmod +x %s",
                            fake, fake),
                     0);
    char *obj = tg_asprintf("%s/obj", dir);
    tg_cov_collect_opts o = {.build = obj, .gcov = fake, .limit_s = 1};
    tg_cov c;
    char logf[] = "/tmp/tg-cov-log-XXXXXX";
    int fd = mkstemp(logf), save = dup(2);
    dup2(fd, 2);
    int rc = tg_cov_collect(&o, &c);
    fflush(stderr);
    dup2(save, 2);
    close(save);
    close(fd);
    char *msg = tg_read_file(logf, NULL);
    unlink(logf);
    ck_assert_int_eq(rc, TG_ECONFIG);
    ck_assert_msg(strstr(msg, "did not finish within 1 s"), "%s", msg);
    free(msg);
    free(obj);
    free(fake);
    cov_rmrf(dir);
}
END_TEST

static void tests(tgt_registry *r)
{
    tgt_tcase(r, "collect");
    tgt_add(r, totals_agree_with_lcov_capture);
    tgt_add(r, collect_verb_writes_the_shard_file_and_applies_excludes);
    tgt_add(r, system_headers_and_files_outside_the_root_are_left_out);
    tgt_add(r, parallel_collection_equals_one_gcov_per_file);
    tgt_add(r, gcov_prefix_shards_merge_to_the_sum_of_their_runs);
    tgt_add(r, identity_ignores_stamps_and_folders_but_not_the_code);
    tgt_tcase(r, "nothing_lost");
    tgt_add(r, coverage_of_a_test_that_fails_an_assertion_is_kept);
    tgt_add(r, coverage_of_a_test_that_crashes_is_kept);
    tgt_add(r, coverage_of_a_test_that_times_out_is_kept);
    tgt_add(r, a_hard_kill_loses_coverage_and_collect_says_so);
    tgt_tcase(r, "bad_input");
    tgt_add(r, bad_input_is_an_error_never_zero_percent);
    tgt_add(r, a_gcov_that_hangs_is_stopped_and_reported);
}

TGT_MAIN("unit", tests)
