/* Unit tests for be_route.c: path -> resource, ids, path tricks, Allow lists. */
#include "be.h"
#include "be_fixtures.h"
#include "be_route.h"
#include "tgtest.h"

#include <stdlib.h>
#include <string.h>

static void check_route(const fix_case *c)
{
    ck_assert_msg(c->nfields >= 2, "routes.tsv:%d: needs a path and an expectation", c->line);
    be_route rt;
    int rc = be_route_match(c->field[0], &rt);
    const char *want = c->field[1];
    if (strcmp(want, "404") == 0) {
        ck_assert_msg(rc == BE_ENOTFOUND, "routes.tsv:%d: %s: want 404, got rc %d route %s",
                      c->line, c->field[0], rc, be_route_name(rt.id));
    } else if (strcmp(want, "400") == 0) {
        ck_assert_msg(rc == BE_EINVAL, "routes.tsv:%d: %s: want 400, got rc %d route %s", c->line,
                      c->field[0], rc, be_route_name(rt.id));
        ck_assert_msg(c->nfields > 2 && strcmp(rt.error, c->field[2]) == 0,
                      "routes.tsv:%d: %s: want error %s, got %s", c->line, c->field[0],
                      c->nfields > 2 ? c->field[2] : "?", rt.error);
    } else {
        ck_assert_msg(rc == BE_OK, "routes.tsv:%d: %s: want %s, got rc %d", c->line, c->field[0],
                      want, rc);
        ck_assert_str_eq(be_route_name(rt.id), want);
        ck_assert_int_eq(rt.project_id, c->nfields > 2 ? strtoll(c->field[2], NULL, 10) : 0);
        ck_assert_int_eq(rt.document_id, c->nfields > 3 ? strtoll(c->field[3], NULL, 10) : 0);
    }
}

START_TEST(routes_match_the_fixture_table)
{
    fix_walk("fixtures/backend/routes.tsv", check_route);
}
END_TEST

START_TEST(allow_lists_match_methods)
{
    ck_assert(be_route_allows(BE_R_PROJECTS, "GET"));
    ck_assert(be_route_allows(BE_R_PROJECTS, "POST"));
    ck_assert(!be_route_allows(BE_R_PROJECTS, "DELETE"));
    ck_assert(be_route_allows(BE_R_PROJECT, "PATCH"));
    ck_assert(be_route_allows(BE_R_DOCUMENT, "DELETE"));
    ck_assert(!be_route_allows(BE_R_HEALTH, "POST"));
    ck_assert(be_route_allows(BE_R_HEALTH, "HEAD"));
    ck_assert(!be_route_allows(BE_R_PROJECT, "PUT, PATCH"));
    ck_assert(!be_route_allows(BE_R_PROJECT, ""));
    ck_assert(!be_route_allows(BE_R_PROJECT, "GE"));
    ck_assert(!be_route_allows(BE_R_PROJECT, "get"));
    ck_assert_str_eq(be_route_allow(BE_R_PROJECTS), "GET, HEAD, POST, OPTIONS");
}
END_TEST

START_TEST(health_routes_are_exempt_from_limits)
{
    ck_assert(be_route_is_health(BE_R_HEALTH));
    ck_assert(be_route_is_health(BE_R_READINESS));
    ck_assert(!be_route_is_health(BE_R_PROJECTS));
    ck_assert(!be_route_is_health(BE_R_DEBUG_SLOW));
}
END_TEST

static void tests(tgt_registry *r)
{
    tgt_tcase(r, "match");
    tgt_add(r, routes_match_the_fixture_table);
    tgt_tcase(r, "methods");
    tgt_add(r, allow_lists_match_methods);
    tgt_add(r, health_routes_are_exempt_from_limits);
}

TGT_MAIN("unit", tests)
