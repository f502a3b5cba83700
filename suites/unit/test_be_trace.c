/* Unit tests for be_trace.c: which incoming ids are kept, what new ids look like. */
#include "be_fixtures.h"
#include "be_trace.h"
#include "tgtest.h"

#include <string.h>

static void check_trace(const fix_case *c)
{
    char out[BE_TRACE_MAX + 1];
    be_trace_pick(c->field[1], out);
    if (strcmp(c->field[0], "keep") == 0) {
        ck_assert_msg(strcmp(out, c->field[1]) == 0, "trace_ids.tsv:%d: not kept", c->line);
    } else {
        ck_assert_msg(strcmp(out, c->field[1]) != 0, "trace_ids.tsv:%d: kept", c->line);
        ck_assert_msg(be_trace_valid(out), "trace_ids.tsv:%d: replacement invalid", c->line);
    }
}

START_TEST(incoming_ids_match_the_fixture_table)
{
    fix_walk("fixtures/backend/trace_ids.tsv", check_trace);
}
END_TEST

START_TEST(missing_or_empty_id_gets_a_new_one)
{
    char out[BE_TRACE_MAX + 1];
    be_trace_pick(NULL, out);
    ck_assert_uint_eq(strlen(out), 32);
    be_trace_pick("", out);
    ck_assert_uint_eq(strlen(out), 32);
}
END_TEST

START_TEST(new_ids_are_hex_and_distinct)
{
    char seen[200][BE_TRACE_MAX + 1];
    for (int i = 0; i < 200; i++) {
        be_trace_new(seen[i]);
        ck_assert_uint_eq(strlen(seen[i]), 32);
        ck_assert_uint_eq(strspn(seen[i], "0123456789abcdef"), 32);
        for (int j = 0; j < i; j++)
            ck_assert_str_ne(seen[i], seen[j]);
    }
}
END_TEST

static void tests(tgt_registry *r)
{
    tgt_tcase(r, "trace");
    tgt_add(r, incoming_ids_match_the_fixture_table);
    tgt_add(r, missing_or_empty_id_gets_a_new_one);
    tgt_add(r, new_ids_are_hex_and_distinct);
}

TGT_MAIN("unit", tests)
