/*
 * Unit tests for config.c and the command line's bad-input contract. Tests
 * are data: every YAML file in fixtures/config/ starts with "# expect: TEXT"; the
 * real `tollgate plan --config FILE` must exit 2 and say TEXT on stderr.
 */
#include "config.h"
#include "tg.h"
#include "tgtest.h"

#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char *tollgate(void)
{
    const char *b = getenv("TOLLGATE_BUILD");
    return tg_asprintf("%s/tollgate", b && *b ? b : "build");
}

/* Runs tollgate with args; returns the exit code, stderr in *err. */
static int run_tollgate(char *const *args, char **err)
{
    char path[] = "/tmp/tg-config-err-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    char *bin = tollgate();
    char *argv[16] = {bin};
    int n = 1;
    for (; args[n - 1] && n < 15; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd, 2);
        if (!freopen("/dev/null", "w", stdout))
            _exit(99);
        execv(bin, argv);
        _exit(98);
    }
    int status;
    waitpid(pid, &status, 0);
    close(fd);
    *err = tg_read_file(path, NULL);
    unlink(path);
    free(bin);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

START_TEST(every_bad_config_fixture_exits_2_with_its_message)
{
    glob_t g;
    ck_assert_int_eq(glob("fixtures/config/*.yaml", 0, NULL, &g), 0);
    ck_assert_uint_ge(g.gl_pathc, 10);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        char *text = tg_read_file(g.gl_pathv[i], NULL);
        ck_assert_ptr_nonnull(text);
        ck_assert_msg(strncmp(text, "# expect: ", 10) == 0, "%s has no '# expect:' line",
                      g.gl_pathv[i]);
        char *want = text + 10;
        want[strcspn(want, "\n")] = '\0';
        char *args[] = {"plan", "--config", g.gl_pathv[i], NULL};
        char *err = NULL;
        int code = run_tollgate(args, &err);
        ck_assert_msg(code == 2, "%s: exit %d, not 2; stderr: %s", g.gl_pathv[i], code, err);
        ck_assert_msg(strstr(err, want), "%s: stderr lacks\n  %s\ngot:\n  %s", g.gl_pathv[i],
                      want, err);
        free(err);
        free(text);
    }
    globfree(&g);
}
END_TEST

START_TEST(a_missing_config_exits_2_naming_it)
{
    char *args[] = {"run", "--config", "fixtures/config/absent.yaml", NULL};
    char *err = NULL;
    ck_assert_int_eq(run_tollgate(args, &err), 2);
    ck_assert_ptr_nonnull(strstr(err, "fixtures/config/absent.yaml: cannot read the configuration"));
    free(err);
}
END_TEST

START_TEST(bad_flags_exit_2)
{
    char *cases[][4] = {{"run", "--shard", "5/4", NULL},
                        {"run", "--jobs", "0", NULL},
                        {"plan", "--shards", "zero", NULL},
                        {"frobnicate", NULL, NULL, NULL},
                        {"run", "--junit-style", "xunit", NULL},
                        {"run", "stray", NULL, NULL}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *err = NULL;
        ck_assert_msg(run_tollgate(cases[i], &err) == 2, "case %zu: %s", i, err);
        free(err);
    }
}
END_TEST

START_TEST(a_good_config_loads_with_defaults)
{
    const char *text = "suites:\n  unit:\n    binaries: \"${NOPE:-build}/x\"\n"
                       "  smoke:\n    kind: smoke\n    specs: [a.yaml, b.yaml]\n    services: [api]\n"
                       "    retries: 2\n    timeout: 250ms\nservices:\n  api:\n    command: run\n"
                       "    env: {A: b}\n";
    char path[] = "/tmp/tg-config-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    ck_assert_int_eq(tg_write_file_atomic(path, text, strlen(text)), 0);
    tg_config cfg;
    ck_assert_int_eq(tg_config_load(path, &cfg), 0);
    ck_assert_int_eq(cfg.nsuites, 2);
    const tg_suite *u = tg_config_suite(&cfg, "unit");
    ck_assert_int_eq(u->kind, TG_KIND_CHECK);
    ck_assert_double_eq_tol(u->timeout, 10.0, 1e-9);
    ck_assert_int_eq(u->retries, 0);
    char *exp = tg_expand(u->patterns[0], NULL, 0);
    ck_assert_str_eq(exp, "build/x");
    free(exp);
    const tg_suite *s = tg_config_suite(&cfg, "smoke");
    ck_assert_int_eq(s->npatterns, 2);
    ck_assert_double_eq_tol(s->timeout, 0.25, 1e-9);
    ck_assert_str_eq(tg_config_service(&cfg, "api")->env[0], "A=b");
    ck_assert_str_eq(tg_config_service(&cfg, "api")->ready, "/");
    ck_assert_uint_eq(cfg.output_cap, 64 * 1024);
    tg_config_free(&cfg);
    unlink(path);
}
END_TEST

START_TEST(expand_prefers_extra_then_environment_then_default)
{
    char *extra[] = {"PORT=8123"};
    setenv("TG_TEST_VAR", "env", 1);
    char *s = tg_expand("p=${PORT} v=${TG_TEST_VAR} d=${TG_UNSET:-dflt} e=${TG_UNSET}$", extra, 1);
    ck_assert_str_eq(s, "p=8123 v=env d=dflt e=$");
    free(s);
}
END_TEST

static void tests(tgt_registry *r)
{
    tgt_tcase(r, "bad");
    tgt_add(r, every_bad_config_fixture_exits_2_with_its_message);
    tgt_add(r, a_missing_config_exits_2_naming_it);
    tgt_add(r, bad_flags_exit_2);
    tgt_tcase(r, "good");
    tgt_add(r, a_good_config_loads_with_defaults);
    tgt_add(r, expand_prefers_extra_then_environment_then_default);
}

TGT_MAIN("unit", tests)
