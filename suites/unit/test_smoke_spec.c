/* Unit tests for smoke_spec.c and smoke_secret.c: specs from fixtures
 * (fixtures/smoke/good parse, fixtures/smoke/bad are refused at the line
 * their first comment names), variables, masking, percentiles. */
#include "smoke.h"
#include "tg.h"
#include "tgtest.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Runs fn with stderr sent to a file; returns what it printed. */
static char *stderr_of(int (*fn)(const char *, tg_smoke_spec **), const char *path,
                       tg_smoke_spec **out, int *rc)
{
    char tmpl[] = "/tmp/tg-smoke-err-XXXXXX";
    int fd = mkstemp(tmpl);
    ck_assert_int_ge(fd, 0);
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    *rc = fn(path, out);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    close(fd);
    char *text = tg_read_file(tmpl, NULL);
    unlink(tmpl);
    return text;
}

static char **list_yaml(const char *dir, size_t *n)
{
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "cannot open %s (tests run from the repository root)", dir);
    char **names = NULL;
    *n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".yaml"))
            continue;
        names = tg_realloc(names, sizeof *names * (*n + 1));
        names[(*n)++] = tg_asprintf("%s/%s", dir, e->d_name);
    }
    closedir(d);
    if (names)
        qsort(names, *n, sizeof *names, tg_strcmp_ptr);
    return names;
}

START_TEST(good_specs_parse)
{
    size_t n;
    char **files = list_yaml("fixtures/smoke/good", &n);
    ck_assert_uint_ge(n, 3);
    for (size_t i = 0; i < n; i++) {
        tg_smoke_spec *s = NULL;
        int rc;
        char *err = stderr_of(tg_smoke_spec_load, files[i], &s, &rc);
        ck_assert_msg(rc == 0, "%s was refused: %s", files[i], err);
        ck_assert_uint_ge(s->nchecks, 1);
        tg_smoke_spec_free(s);
        free(err);
        free(files[i]);
    }
    free(files);
}
END_TEST

START_TEST(bad_specs_name_file_and_line)
{
    size_t n;
    char **files = list_yaml("fixtures/smoke/bad", &n);
    ck_assert_uint_ge(n, 20);
    for (size_t i = 0; i < n; i++) {
        char *text = tg_read_file(files[i], NULL);
        int line;
        char want[256];
        ck_assert_msg(text && sscanf(text, "# expect: %d: %255[^\n]", &line, want) == 2,
                      "%s must start with '# expect: LINE: MESSAGE'", files[i]);
        tg_smoke_spec *s = NULL;
        int rc;
        char *err = stderr_of(tg_smoke_spec_load, files[i], &s, &rc);
        ck_assert_msg(rc == TG_ECONFIG, "%s was accepted", files[i]);
        ck_assert_ptr_null(s);
        char *where = line ? tg_asprintf("%s:%d: ", files[i], line) : tg_asprintf("%s: ", files[i]);
        ck_assert_msg(strstr(err, where), "%s: expected position %s in: %s", files[i], where, err);
        ck_assert_msg(strstr(err, want), "%s: expected \"%s\" in: %s", files[i], want, err);
        free(where);
        free(err);
        free(text);
        free(files[i]);
    }
    free(files);
}
END_TEST

START_TEST(full_example_reads_every_feature)
{
    setenv("TARGET_URL", "http://127.0.0.1:1", 1);
    tg_smoke_spec *s = NULL;
    ck_assert_int_eq(tg_smoke_spec_load("fixtures/smoke/good/full_example.yaml", &s), 0);
    ck_assert_str_eq(s->name, "full_example");
    ck_assert_int_eq(s->tries, 12);
    ck_assert_double_eq_tol(s->interval, 10, 1e-9);
    ck_assert_int_eq(s->redirects, TG_REDIR_SAME_HOST);
    ck_assert_uint_eq(s->nchecks, 8);
    const tg_smoke_check *h = &s->checks[0];
    ck_assert_str_eq(h->method, "GET");
    ck_assert_int_eq(h->statuses[0], 200);
    ck_assert_int_eq(h->hexpects[0].kind, TG_HX_PATTERN);
    ck_assert_int_eq(h->hexpects[1].kind, TG_HX_PRESENT);
    ck_assert_int_eq(h->hexpects[2].kind, TG_HX_ABSENT);
    ck_assert_str_eq(h->jexpects[0].equals, "healthy");
    ck_assert_double_eq_tol(h->max_ms, 500, 1e-9);
    const tg_smoke_check *create = &s->checks[2];
    ck_assert(create->body_is_json);
    ck_assert_ptr_nonnull(strstr(create->body, "\"name\":\"smoke-${TRACE:-run}\""));
    ck_assert(create->headers[0].secret); /* Authorization, always */
    ck_assert_uint_eq(create->ncaptures, 2);
    ck_assert_int_eq(create->captures[1].kind, TG_CAP_HEADER);
    ck_assert(s->headers[1].secret); /* X-Internal-Token, named in secrets: */
    ck_assert_int_eq(s->checks[6].load.requests, 200);
    ck_assert_double_eq_tol(s->checks[6].load.max_error_rate, 0.01, 1e-12);
    ck_assert_int_eq(s->checks[7].statuses[0], 2); /* 2xx */
    ck_assert_int_eq(s->checks[7].tls_days_min, 14);
    tg_smoke_spec_free(s);
}
END_TEST

static const char *vars_lookup(void *ctx, const char *name)
{
    (void)ctx;
    if (!strcmp(name, "ID"))
        return "p-42";
    if (!strcmp(name, "QUOTE"))
        return "say \"hi\"";
    if (!strcmp(name, "EMPTY"))
        return "";
    return NULL;
}

START_TEST(expand_substitutes_defaults_and_escapes)
{
    char *missing = NULL;
    char *s = tg_smoke_expand("/p/${ID}/x", vars_lookup, NULL, 0, NULL);
    ck_assert_str_eq(s, "/p/p-42/x");
    free(s);
    s = tg_smoke_expand("${NOPE:-fallback}-${EMPTY:-was-empty}", vars_lookup, NULL, 0, NULL);
    ck_assert_str_eq(s, "fallback-was-empty");
    free(s);
    s = tg_smoke_expand("{\"q\":\"${QUOTE}\"}", vars_lookup, NULL, 1, NULL);
    ck_assert_str_eq(s, "{\"q\":\"say \\\"hi\\\"\"}");
    free(s);
    s = tg_smoke_expand("$${ID} stays", vars_lookup, NULL, 0, NULL);
    ck_assert_str_eq(s, "${ID} stays");
    free(s);
    ck_assert_ptr_null(tg_smoke_expand("/p/${NOPE}", vars_lookup, NULL, 0, &missing));
    ck_assert_str_eq(missing, "NOPE");
    free(missing);
}
END_TEST

START_TEST(mask_hides_every_spelling_of_a_secret)
{
    tg_smoke_secrets sec = {0};
    tg_smoke_secret_add(&sec, "Bearer s3cr\"et/tok");
    char *m = tg_smoke_mask(&sec, "auth Bearer s3cr\"et/tok; token s3cr\"et/tok; "
                                  "json s3cr\\\"et\\/tok; xml s3cr&quot;et/tok");
    ck_assert_ptr_null(strstr(m, "s3cr"));
    ck_assert_str_eq(m, "auth ***; token ***; json ***; xml ***");
    free(m);
    for (size_t i = 0; i < sec.n; i++)
        free(sec.v[i]);
    free(sec.v);
}
END_TEST

START_TEST(url_display_drops_credentials)
{
    char *u = tg_smoke_url_display("https://user:pa55@app.example.com/health?x=1");
    ck_assert_str_eq(u, "https://***@app.example.com/health?x=1");
    free(u);
    u = tg_smoke_url_display("http://127.0.0.1:8080/a@b");
    ck_assert_str_eq(u, "http://127.0.0.1:8080/a@b");
    free(u);
    ck_assert(tg_smoke_header_is_secret("set-cookie"));
    ck_assert(tg_smoke_header_is_secret("X-API-KEY"));
    ck_assert(!tg_smoke_header_is_secret("X-Trace-ID"));
}
END_TEST

START_TEST(latency_uses_nearest_rank)
{
    double ms[100];
    for (int i = 0; i < 100; i++)
        ms[i] = 100 - i; /* 100..1, unsorted */
    tg_smoke_latency l;
    tg_smoke_latency_of(ms, 100, &l);
    ck_assert_double_eq(l.min, 1);
    ck_assert_double_eq(l.p50, 50);
    ck_assert_double_eq(l.p95, 95);
    ck_assert_double_eq(l.p99, 99);
    ck_assert_double_eq(l.max, 100);
    double one = 7;
    tg_smoke_latency_of(&one, 1, &l);
    ck_assert_double_eq(l.p99, 7);
}
END_TEST

START_TEST(default_spec_checks_health)
{
    tg_smoke_spec *s = tg_smoke_spec_default();
    ck_assert_uint_eq(s->nchecks, 1);
    ck_assert_str_eq(s->checks[0].target, "/health");
    ck_assert_int_eq(s->checks[0].statuses[0], 200);
    ck_assert_int_le(s->tries, 0); /* the retry policy comes from the flags or the default */
    tg_smoke_spec_free(s);
}
END_TEST

static void tests(tgt_registry *r)
{
    tgt_tcase(r, "fixtures");
    tgt_add(r, good_specs_parse);
    tgt_add(r, bad_specs_name_file_and_line);
    tgt_add(r, full_example_reads_every_feature);
    tgt_add(r, default_spec_checks_health);
    tgt_tcase(r, "vars");
    tgt_add(r, expand_substitutes_defaults_and_escapes);
    tgt_tcase(r, "secrets");
    tgt_add(r, mask_hides_every_spelling_of_a_secret);
    tgt_add(r, url_display_drops_credentials);
    tgt_tcase(r, "latency");
    tgt_add(r, latency_uses_nearest_rank);
}

TGT_MAIN("unit", tests)
