/* Unit tests for util.c: buffers, durations, text cleaning, atomic writes. */
#include "tg.h"
#include "tgtest.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

START_TEST(duration_accepts_units)
{
    double s;
    ck_assert_int_eq(tg_parse_duration("10s", &s), 0);
    ck_assert_double_eq_tol(s, 10, 1e-9);
    ck_assert_int_eq(tg_parse_duration("250ms", &s), 0);
    ck_assert_double_eq_tol(s, 0.25, 1e-9);
    ck_assert_int_eq(tg_parse_duration("15m", &s), 0);
    ck_assert_double_eq_tol(s, 900, 1e-9);
    ck_assert_int_eq(tg_parse_duration("2", &s), 0);
    ck_assert_double_eq_tol(s, 2, 1e-9);
}
END_TEST

START_TEST(duration_rejects_garbage)
{
    double s;
    ck_assert_int_ne(tg_parse_duration("", &s), 0);
    ck_assert_int_ne(tg_parse_duration("ten", &s), 0);
    ck_assert_int_ne(tg_parse_duration("5 parsecs", &s), 0);
    ck_assert_int_ne(tg_parse_duration("-1s", &s), 0);
}
END_TEST

START_TEST(clean_text_strips_ansi_and_controls)
{
    const char in[] = "\x1b[31mred\x1b[0m a\x01" "b\x00" "c\tok\r\n\xff!";
    char *out = tg_clean_text(in, sizeof in - 1);
    ck_assert_str_eq(out, "red abc\tok\n\xEF\xBF\xBD!");
    free(out);
}
END_TEST

START_TEST(clean_text_keeps_valid_utf8)
{
    const char in[] = "caf\xC3\xA9 \xE2\x9C\x93";
    char *out = tg_clean_text(in, sizeof in - 1);
    ck_assert_str_eq(out, in);
    free(out);
}
END_TEST

START_TEST(buf_grows_and_formats)
{
    tg_buf b;
    tg_buf_init(&b);
    for (int i = 0; i < 1000; i++)
        tg_buf_addf(&b, "%d,", i);
    ck_assert_uint_eq(b.len, strlen(b.data));
    ck_assert(strncmp(b.data, "0,1,2,", 6) == 0);
    char *s = tg_buf_steal(&b);
    ck_assert_ptr_null(b.data);
    free(s);
}
END_TEST

START_TEST(atomic_write_replaces_whole_file)
{
    char dir[] = "/tmp/tg-util-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char *path = tg_asprintf("%s/a/b/out.txt", dir);
    char *sub = tg_asprintf("%s/a/b", dir);
    ck_assert_int_eq(tg_mkdirs(sub), 0);
    ck_assert_int_eq(tg_write_file_atomic(path, "first", 5), 0);
    ck_assert_int_eq(tg_write_file_atomic(path, "second", 6), 0);
    size_t n;
    char *got = tg_read_file(path, &n);
    ck_assert_str_eq(got, "second");
    ck_assert_uint_eq(n, 6);
    free(got);
    unlink(path);
    rmdir(sub);
    char *a = tg_asprintf("%s/a", dir);
    rmdir(a);
    rmdir(dir);
    free(a);
    free(sub);
    free(path);
}
END_TEST

static void tests(tgt_registry *r)
{
    tgt_tcase(r, "duration");
    tgt_add(r, duration_accepts_units);
    tgt_add(r, duration_rejects_garbage);
    tgt_tcase(r, "text");
    tgt_add(r, clean_text_strips_ansi_and_controls);
    tgt_add(r, clean_text_keeps_valid_utf8);
    tgt_tcase(r, "buf");
    tgt_add(r, buf_grows_and_formats);
    tgt_add(r, atomic_write_replaces_whole_file);
}

TGT_MAIN("unit", tests)
