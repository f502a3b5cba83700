/* Unit tests for be_http.c's path decoding and be_log.c's escaping: what
 * a client sends can neither split a path nor break a log line. */
#include "be.h"
#include "be_fixtures.h"
#include "be_http.h"
#include "be_log.h"
#include "tgtest.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

static void check_unescape(const fix_case *c)
{
    char *s = be_strdup(c->field[0]);
    size_t n = be_http_unescape(s);
    ck_assert_msg(n == c->len[1] && memcmp(s, c->field[1], n) == 0, "unescape.tsv:%d: %s became %s",
                  c->line, c->field[0], s);
    free(s);
}

START_TEST(unescape_matches_the_fixture_table)
{
    fix_walk("fixtures/backend/unescape.tsv", check_unescape);
}
END_TEST

/* Escapes s and parses the result back: it must be one valid JSON string. */
static char *round_trip(const char *s)
{
    be_buf b = {0};
    be_json_escape(&b, s);
    cJSON *j = cJSON_Parse(b.data);
    ck_assert_msg(j && cJSON_IsString(j), "not a JSON string: %s", b.data);
    char *out = be_strdup(cJSON_GetStringValue(j));
    cJSON_Delete(j);
    be_buf_free(&b);
    return out;
}

START_TEST(log_escaping_keeps_lines_valid_json)
{
    char *s = round_trip("a\"b\\c\nd\x01");
    ck_assert_str_eq(s, "a\"b\\c\nd\x01");
    free(s);
    s = round_trip("caf\xc3\xa9");
    ck_assert_str_eq(s, "caf\xc3\xa9");
    free(s);
    s = round_trip("bad\xff\xc3");
    ck_assert_str_eq(s, "bad\xef\xbf\xbd\xef\xbf\xbd");
    free(s);
    be_buf b = {0};
    be_json_escape(&b, "x\ny");
    ck_assert_ptr_null(strchr(b.data, '\n'));
    be_buf_free(&b);
}
END_TEST

static void tests(tgt_registry *r)
{
    tgt_tcase(r, "path");
    tgt_add(r, unescape_matches_the_fixture_table);
    tgt_tcase(r, "log");
    tgt_add(r, log_escaping_keeps_lines_valid_json);
}

TGT_MAIN("unit", tests)
