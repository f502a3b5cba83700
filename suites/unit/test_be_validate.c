/* Unit tests for be_validate.c: UTF-8, JSON bodies, nesting, fields, pagination. */
#include "be.h"
#include "be_fixtures.h"
#include "be_validate.h"
#include "tgtest.h"

#include <stdlib.h>
#include <string.h>

static void check_utf8(const fix_case *c)
{
    int want = strcmp(c->field[0], "valid") == 0;
    ck_assert_msg(be_utf8_valid(c->field[1], c->len[1]) == want, "utf8.tsv:%d: want %s", c->line,
                  c->field[0]);
}

START_TEST(utf8_matches_the_fixture_table)
{
    fix_walk("fixtures/backend/utf8.tsv", check_utf8);
}
END_TEST

static void check_body(const fix_case *c)
{
    ck_assert_msg(c->nfields >= 2, "json_bodies.tsv:%d: needs kind and expectation", c->line);
    const char *body = c->nfields > 2 ? c->field[2] : "";
    size_t len = c->nfields > 2 ? c->len[2] : 0;
    int partial = strstr(c->field[0], "+patch") != NULL;
    int want_ok = strcmp(c->field[1], "ok") == 0;
    char msg[256] = "";
    cJSON *obj = NULL;
    int rc = be_json_object(body, len, &obj, msg, sizeof msg);
    if (rc == BE_OK) {
        if (strncmp(c->field[0], "project", 7) == 0) {
            be_project_in in;
            rc = be_project_from_json(obj, partial, &in, msg, sizeof msg);
        } else {
            be_document_in in;
            rc = be_document_from_json(obj, partial, &in, msg, sizeof msg);
        }
    }
    cJSON_Delete(obj);
    ck_assert_msg((rc == BE_OK) == want_ok, "json_bodies.tsv:%d: want %s, got rc %d (%s)", c->line,
                  c->field[1], rc, msg);
    if (!want_ok && c->nfields > 3)
        ck_assert_msg(strstr(msg, c->field[3]) != NULL,
                      "json_bodies.tsv:%d: message \"%s\" does not say \"%s\"", c->line, msg,
                      c->field[3]);
}

START_TEST(bodies_match_the_fixture_table)
{
    fix_walk("fixtures/backend/json_bodies.tsv", check_body);
}
END_TEST

static char *nested(int depth, char open, char close)
{
    char *s = malloc((size_t)depth * 2 + 1);
    memset(s, open, (size_t)depth);
    memset(s + depth, close, (size_t)depth);
    s[depth * 2] = '\0';
    return s;
}

START_TEST(json_nested_ten_thousand_deep_is_rejected_before_parsing)
{
    char msg[256];
    cJSON *obj = NULL;
    char *deep = nested(10000, '[', ']');
    ck_assert_int_eq(be_json_object(deep, strlen(deep), &obj, msg, sizeof msg), BE_EINVAL);
    ck_assert_ptr_null(obj);
    ck_assert_ptr_nonnull(strstr(msg, "nested deeper"));
    free(deep);
    deep = nested(10000, '{', '}');
    ck_assert_int_eq(be_json_object(deep, strlen(deep), &obj, msg, sizeof msg), BE_EINVAL);
    free(deep);
}
END_TEST

START_TEST(json_nesting_at_the_limit_is_accepted)
{
    /* {"name":"x","description":...} cannot nest, so test the parser
     * gate alone: BE_JSON_MAX_DEPTH levels of objects pass it. */
    be_buf b = {0};
    for (int i = 0; i < BE_JSON_MAX_DEPTH; i++)
        be_buf_adds(&b, i ? "{\"a\":" : "{\"name\":\"x\",\"a\":");
    be_buf_adds(&b, "1");
    for (int i = 0; i < BE_JSON_MAX_DEPTH; i++)
        be_buf_adds(&b, "}");
    char msg[256];
    cJSON *obj = NULL;
    ck_assert_int_eq(be_json_object(b.data, b.len, &obj, msg, sizeof msg), BE_OK);
    cJSON_Delete(obj);
    be_buf_free(&b);
}
END_TEST

START_TEST(brackets_inside_strings_do_not_count_as_nesting)
{
    char body[300];
    char brackets[200];
    memset(brackets, '[', sizeof brackets - 1);
    brackets[sizeof brackets - 1] = '\0';
    snprintf(body, sizeof body, "{\"name\":\"%s\"}", brackets + 50);
    char msg[256];
    cJSON *obj = NULL;
    ck_assert_int_eq(be_json_object(body, strlen(body), &obj, msg, sizeof msg), BE_OK);
    cJSON_Delete(obj);
}
END_TEST

START_TEST(pagination_defaults_and_bounds)
{
    int64_t l, o;
    char msg[128];
    ck_assert_int_eq(be_pagination(NULL, NULL, &l, &o, msg, sizeof msg), BE_OK);
    ck_assert_int_eq(l, BE_PAGE_DEFAULT);
    ck_assert_int_eq(o, 0);
    ck_assert_int_eq(be_pagination("100", "5", &l, &o, msg, sizeof msg), BE_OK);
    ck_assert_int_eq(l, 100);
    ck_assert_int_eq(o, 5);
    const char *bad_limits[] = {"0", "101", "-1", "ten", "", "1.5", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad_limits / sizeof bad_limits[0]; i++)
        ck_assert_msg(be_pagination(bad_limits[i], NULL, &l, &o, msg, sizeof msg) == BE_EINVAL,
                      "limit=%s accepted", bad_limits[i]);
    ck_assert_int_eq(be_pagination(NULL, "-3", &l, &o, msg, sizeof msg), BE_EINVAL);
    ck_assert_ptr_nonnull(strstr(msg, "offset"));
}
END_TEST

static void tests(tgt_registry *r)
{
    tgt_tcase(r, "utf8");
    tgt_add(r, utf8_matches_the_fixture_table);
    tgt_tcase(r, "json");
    tgt_add(r, bodies_match_the_fixture_table);
    tgt_add(r, json_nested_ten_thousand_deep_is_rejected_before_parsing);
    tgt_add(r, json_nesting_at_the_limit_is_accepted);
    tgt_add(r, brackets_inside_strings_do_not_count_as_nesting);
    tgt_tcase(r, "query");
    tgt_add(r, pagination_defaults_and_bounds);
}

TGT_MAIN("unit", tests)
