/* Unit tests for be_config.c: defaults, flags over variables, and a message
 * naming the variable for every bad value. */
#include "be.h"
#include "be_config.h"
#include "be_fixtures.h"
#include "tgtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The environment of the case being checked: VAR=VALUE;VAR=VALUE. */
static const char *case_env;

static const char *fake_getenv(const char *name)
{
    static char value[512];
    size_t n = strlen(name);
    for (const char *p = case_env; p && *p;) {
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > n && strncmp(p, name, n) == 0 && p[n] == '=') {
            snprintf(value, sizeof value, "%.*s", (int)(len - n - 1), p + n + 1);
            return value;
        }
        p = end ? end + 1 : p + len;
    }
    return NULL;
}

static void field_text(const be_config *c, const char *field, char *out, size_t n)
{
    if (strcmp(field, "port") == 0)
        snprintf(out, n, "%d", c->port);
    else if (strcmp(field, "host") == 0)
        snprintf(out, n, "%s", c->host);
    else if (strcmp(field, "rate_limit") == 0)
        snprintf(out, n, "%lld", (long long)c->rate_limit);
    else if (strcmp(field, "max_body") == 0)
        snprintf(out, n, "%lld", (long long)c->max_body);
    else if (strcmp(field, "database_url") == 0)
        snprintf(out, n, "%s", c->database_url);
    else if (strcmp(field, "ncors") == 0)
        snprintf(out, n, "%zu", c->ncors);
    else if (strcmp(field, "log_level") == 0)
        snprintf(out, n, "%d", c->log_level);
    else if (strcmp(field, "workers") == 0)
        snprintf(out, n, "%d", c->workers);
    else if (strcmp(field, "trust_proxy_hops") == 0)
        snprintf(out, n, "%d", c->trust_proxy_hops);
    else if (strcmp(field, "commit") == 0)
        snprintf(out, n, "%s", c->commit);
    else
        ck_abort_msg("config.tsv: unknown field %s", field);
}

static void check_config(const fix_case *fc)
{
    ck_assert_msg(fc->nfields == 4, "config.tsv:%d: needs 4 fields", fc->line);
    case_env = strcmp(fc->field[1], "-") == 0 ? "" : fc->field[1];
    char flags[512], *argv[8] = {"backend"};
    int argc = 1;
    snprintf(flags, sizeof flags, "%s", strcmp(fc->field[2], "-") == 0 ? "" : fc->field[2]);
    for (char *save = NULL, *t = strtok_r(flags, " ", &save); t && argc < 8;
         t = strtok_r(NULL, " ", &save))
        argv[argc++] = t;
    be_config c;
    char err[512] = "";
    int rc = be_config_load(&c, argc, argv, fake_getenv, err, sizeof err);
    if (strcmp(fc->field[0], "ok") == 0) {
        ck_assert_msg(rc == BE_OK, "config.tsv:%d: rejected: %s", fc->line, err);
        char want[256], got[256];
        snprintf(want, sizeof want, "%s", fc->field[3]);
        char *eq = strchr(want, '=');
        ck_assert_ptr_nonnull(eq);
        *eq = '\0';
        field_text(&c, want, got, sizeof got);
        ck_assert_msg(strcmp(got, eq + 1) == 0, "config.tsv:%d: %s is %s, want %s", fc->line, want,
                      got, eq + 1);
        be_config_free(&c);
    } else {
        ck_assert_msg(rc == BE_EINVAL, "config.tsv:%d: accepted", fc->line);
        ck_assert_msg(strstr(err, fc->field[3]) != NULL,
                      "config.tsv:%d: message \"%s\" does not say \"%s\"", fc->line, err,
                      fc->field[3]);
    }
}

START_TEST(config_matches_the_fixture_table)
{
    fix_walk("fixtures/backend/config.tsv", check_config);
}
END_TEST

START_TEST(cors_allow_list_is_exact)
{
    case_env = "CORS_ORIGINS=https://a.example.com,http://localhost:3000";
    be_config c;
    char err[256];
    ck_assert_int_eq(be_config_load(&c, 0, NULL, fake_getenv, err, sizeof err), BE_OK);
    ck_assert(be_config_cors_allowed(&c, "https://a.example.com"));
    ck_assert(be_config_cors_allowed(&c, "http://localhost:3000"));
    ck_assert(!be_config_cors_allowed(&c, "https://a.example.com.evil.net"));
    ck_assert(!be_config_cors_allowed(&c, "http://a.example.com"));
    ck_assert(!be_config_cors_allowed(&c, NULL));
    ck_assert(!be_config_cors_allowed(&c, ""));
    be_config_free(&c);
    case_env = "CORS_ORIGINS=*";
    ck_assert_int_eq(be_config_load(&c, 0, NULL, fake_getenv, err, sizeof err), BE_OK);
    ck_assert(be_config_cors_allowed(&c, "https://anything.example"));
    be_config_free(&c);
}
END_TEST

START_TEST(no_cors_origins_allows_none)
{
    case_env = "";
    be_config c;
    char err[256];
    ck_assert_int_eq(be_config_load(&c, 0, NULL, fake_getenv, err, sizeof err), BE_OK);
    ck_assert(!be_config_cors_allowed(&c, "https://a.example.com"));
    be_config_free(&c);
}
END_TEST

static void tests(tgt_registry *r)
{
    tgt_tcase(r, "env");
    tgt_add(r, config_matches_the_fixture_table);
    tgt_tcase(r, "cors");
    tgt_add(r, cors_allow_list_is_exact);
    tgt_add(r, no_cors_origins_allows_none);
}

TGT_MAIN("unit", tests)
