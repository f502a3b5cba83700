/* Unit tests for shard.c: every source of the shard, in SPEC.md's order. */
#include "shard.h"
#include "tg.h"
#include "tgtest.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const vars[] = {"TOLLGATE_SHARD",     "TEST_TOTAL_SHARDS",  "TEST_SHARD_INDEX",
                                   "TEST_SHARD_STATUS_FILE", "GTEST_TOTAL_SHARDS",
                                   "GTEST_SHARD_INDEX",  "JOB_COMPLETION_INDEX", "TOLLGATE_SHARDS"};

static void clean_env(void)
{
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
}

START_TEST(nothing_given_is_everything_as_one_shard)
{
    tg_shard s;
    ck_assert_int_eq(tg_shard_select(NULL, NULL, &s), 0);
    ck_assert_int_eq(s.index, 1);
    ck_assert_int_eq(s.total, 1);
}
END_TEST

START_TEST(the_flag_wins_over_the_environment)
{
    setenv("TOLLGATE_SHARD", "1/2", 1);
    tg_shard s;
    ck_assert_int_eq(tg_shard_select("3/4", NULL, &s), 0);
    ck_assert_int_eq(s.index, 3);
    ck_assert_int_eq(s.total, 4);
    ck_assert_str_eq(s.source, "--shard");
}
END_TEST

START_TEST(tollgate_shard_is_one_based)
{
    setenv("TOLLGATE_SHARD", "2/4", 1);
    setenv("TEST_TOTAL_SHARDS", "8", 1);
    setenv("TEST_SHARD_INDEX", "0", 1);
    tg_shard s;
    ck_assert_int_eq(tg_shard_select(NULL, NULL, &s), 0);
    ck_assert_int_eq(s.index, 2);
    ck_assert_int_eq(s.total, 4);
}
END_TEST

START_TEST(bazel_is_zero_based_and_touches_the_status_file)
{
    char path[] = "/tmp/tg-shard-status-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    unlink(path);
    setenv("TEST_TOTAL_SHARDS", "4", 1);
    setenv("TEST_SHARD_INDEX", "3", 1);
    setenv("TEST_SHARD_STATUS_FILE", path, 1);
    tg_shard s;
    ck_assert_int_eq(tg_shard_select(NULL, NULL, &s), 0);
    ck_assert_int_eq(s.index, 4);
    ck_assert_int_eq(s.total, 4);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    unlink(path);
}
END_TEST

START_TEST(googletest_is_zero_based)
{
    setenv("GTEST_TOTAL_SHARDS", "3", 1);
    setenv("GTEST_SHARD_INDEX", "0", 1);
    tg_shard s;
    ck_assert_int_eq(tg_shard_select(NULL, NULL, &s), 0);
    ck_assert_int_eq(s.index, 1);
    ck_assert_int_eq(s.total, 3);
}
END_TEST

START_TEST(a_kubernetes_index_takes_the_total_from_shards)
{
    setenv("JOB_COMPLETION_INDEX", "1", 1);
    tg_shard s;
    ck_assert_int_ne(tg_shard_select(NULL, NULL, &s), 0);
    ck_assert_int_eq(tg_shard_select(NULL, "4", &s), 0);
    ck_assert_int_eq(s.index, 2);
    ck_assert_int_eq(s.total, 4);
    setenv("TOLLGATE_SHARDS", "2", 1);
    ck_assert_int_eq(tg_shard_select(NULL, NULL, &s), 0);
    ck_assert_int_eq(s.total, 2);
}
END_TEST

START_TEST(bad_shards_are_usage_errors)
{
    tg_shard s;
    const char *bad[] = {"0/4", "5/4", "4", "a/b", "1/0", "-1/4", "1/4x", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(tg_shard_select(bad[i], NULL, &s) != 0, "accepted %s", bad[i]);
    setenv("TEST_TOTAL_SHARDS", "4", 1);
    setenv("TEST_SHARD_INDEX", "4", 1);
    ck_assert_int_ne(tg_shard_select(NULL, NULL, &s), 0);
    ck_assert_int_ne(tg_shard_select(NULL, "4", &s), 0);
}
END_TEST

static void tests(tgt_registry *r)
{
    tgt_tcase(r, "select");
    tgt_fixture(r, clean_env, clean_env);
    tgt_add(r, nothing_given_is_everything_as_one_shard);
    tgt_add(r, the_flag_wins_over_the_environment);
    tgt_add(r, tollgate_shard_is_one_based);
    tgt_add(r, bazel_is_zero_based_and_touches_the_status_file);
    tgt_add(r, googletest_is_zero_based);
    tgt_add(r, a_kubernetes_index_takes_the_total_from_shards);
    tgt_add(r, bad_shards_are_usage_errors);
}

TGT_MAIN("unit", tests)
