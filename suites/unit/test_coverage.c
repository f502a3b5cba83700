/* Unit tests for the coverage model, its file form, merge, reports, thresholds
 * and the gate hook, on the recorded shards of fixtures/coverage/. */
#include "coverage.h"
#include "results.h"
#include "test_coverage_util.h"
#include "tgtest.h"
#include "yamltree.h"

#include <dirent.h>
#include <math.h>

#define FIX "fixtures/coverage"

START_TEST(merge_sums_lines_functions_and_branches_by_file)
{
    char *dir = cov_tmpdir(), *out = NULL;
    ck_assert_int_eq(cov_verb(&out, "merge", "--out", dir, "--config", "/dev/null",
                              FIX "/shards/a", FIX "/shards/b/coverage.json", (char *)NULL),
                     0);
    ck_assert_ptr_nonnull(strstr(out, "lines 50.0% (4 of 8), functions 50.0% (2 of 4), "
                                      "branches 100.0% (2 of 2), 3 files"));
    char *info = tg_asprintf("%s/coverage.info", dir);
    char *got = tg_read_file(info, NULL), *want = tg_read_file(FIX "/merged.info", NULL);
    ck_assert_ptr_nonnull(got);
    ck_assert_str_eq(got, want);
    free(got);
    free(want);
    free(info);
    free(out);
    cov_rmrf(dir);
}
END_TEST

START_TEST(merge_is_the_same_in_any_order)
{
    tg_cov ab, ba;
    int n;
    char *fwd[] = {FIX "/shards/a", FIX "/shards/b"}, *rev[] = {FIX "/shards/b", FIX "/shards/a"};
    ck_assert_int_eq(tg_cov_merge_paths(fwd, 2, 0, &ab, &n), 0);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(tg_cov_merge_paths(rev, 2, 0, &ba, &n), 0);
    char *x = tg_cov_to_json(&ab), *y = tg_cov_to_json(&ba);
    ck_assert_str_eq(x, y);
    ck_assert_int_eq(ab.ngcda, 5);
    free(x);
    free(y);
    tg_cov_free(&ab);
    tg_cov_free(&ba);
}
END_TEST

START_TEST(coverage_json_reads_back_what_it_wrote)
{
    tg_cov c, back;
    int n;
    char *in[] = {FIX "/shards/a", FIX "/shards/b"};
    ck_assert_int_eq(tg_cov_merge_paths(in, 2, 0, &c, &n), 0);
    char *text = tg_cov_to_json(&c);
    ck_assert_int_eq(tg_cov_parse(text, strlen(text), "roundtrip", &back), 0);
    char *again = tg_cov_to_json(&back);
    ck_assert_str_eq(text, again);
    ck_assert_str_eq(back.identity, "0123456789abcdef-3");
    free(text);
    free(again);
    tg_cov_free(&c);
    tg_cov_free(&back);
}
END_TEST

START_TEST(merge_refuses_shards_of_different_builds_naming_both)
{
    char *dir = cov_tmpdir(), *out = NULL;
    ck_assert_int_eq(cov_verb(&out, "merge", "--out", dir, "--config", "/dev/null",
                              FIX "/shards/a", FIX "/shards/other-build", (char *)NULL),
                     2);
    ck_assert_ptr_nonnull(strstr(out, FIX "/shards/other-build/coverage.json"));
    ck_assert_ptr_nonnull(strstr(out, "another build"));
    ck_assert_ptr_nonnull(strstr(out, FIX "/shards/a"));
    char *written = tg_asprintf("%s/coverage.info", dir);
    ck_assert_int_ne(access(written, F_OK), 0);
    free(written);
    free(out);
    cov_rmrf(dir);
}
END_TEST

/* Every fixtures/coverage/bad/NAME.json is refused with exit 2 and a message
 * that names the file and holds NAME.err's text. */
START_TEST(damaged_shard_files_are_refused_with_a_reason)
{
    DIR *d = opendir(FIX "/bad");
    ck_assert_ptr_nonnull(d);
    char *dir = cov_tmpdir();
    int cases = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0)
            continue;
        char *json = tg_asprintf(FIX "/bad/%s", e->d_name);
        char *errf = tg_asprintf(FIX "/bad/%.*s.err", (int)(n - 5), e->d_name);
        char *want = tg_read_file(errf, NULL);
        ck_assert_msg(want != NULL, "%s has no .err beside it", json);
        want[strcspn(want, "\n")] = '\0';
        char *out = NULL;
        int rc = cov_verb(&out, "merge", "--out", dir, "--config", "/dev/null", FIX "/shards/a",
                          json, (char *)NULL);
        ck_assert_msg(rc == 2, "%s: exit %d, want 2", json, rc);
        ck_assert_msg(strstr(out, json) && strstr(out, want), "%s: message \"%s\" lacks \"%s\"",
                      json, out, want);
        free(out);
        free(want);
        free(errf);
        free(json);
        cases++;
    }
    closedir(d);
    ck_assert_int_ge(cases, 10);
    cov_rmrf(dir);
}
END_TEST

START_TEST(merge_of_a_folder_without_coverage_is_an_error)
{
    char *dir = cov_tmpdir(), *out = NULL;
    ck_assert_int_eq(cov_verb(&out, "merge", "--out", dir, "--config", "/dev/null", dir,
                              (char *)NULL),
                     2);
    ck_assert_ptr_nonnull(strstr(out, "no coverage data here"));
    free(out);
    cov_rmrf(dir);
}
END_TEST

START_TEST(cobertura_is_well_formed_and_counts_match)
{
    tg_cov c;
    int n;
    char *in[] = {FIX "/shards/a", FIX "/shards/b"};
    ck_assert_int_eq(tg_cov_merge_paths(in, 2, 0, &c, &n), 0);
    char *xml = tg_cov_cobertura(&c);
    ck_assert_ptr_nonnull(strstr(xml, "lines-covered=\"4\" lines-valid=\"8\" "
                                      "branches-covered=\"2\" branches-valid=\"2\""));
    ck_assert_ptr_nonnull(strstr(xml, "<package name=\"harness\" line-rate=\"0.6000\""));
    ck_assert_ptr_nonnull(strstr(xml, "<class name=\"z.h\" filename=\"src/z.h\""));
    ck_assert_ptr_nonnull(
        strstr(xml, "<line number=\"2\" hits=\"3\" branch=\"true\" condition-coverage=\"100% (2/2)\"/>"));
    char *dir = cov_tmpdir();
    char *path = tg_asprintf("%s/coverage.xml", dir);
    ck_assert_int_eq(tg_write_file_atomic(path, xml, strlen(xml)), 0);
    /* xmllint (libxml2-utils, installed for the JUnit checks) checks well-formedness;
     * --nonet: the DTD is named, not fetched. */
    ck_assert_int_eq(cov_sh("xmllint --nonet --noout '%s'", path), 0);
    ck_assert_int_eq(cov_sh("test \"$(xmllint --nonet --xpath 'count(//class/lines/line)' '%s')\" = 8",
                            path),
                     0);
    free(path);
    free(xml);
    tg_cov_free(&c);
    cov_rmrf(dir);
}
END_TEST

START_TEST(names_are_escaped_in_every_format)
{
    tg_cov c;
    tg_cov_init(&c);
    tg_cov_file *f = tg_cov_file_get(&c, "src/a\"b<c>&`d.c");
    tg_cov_add_line(f, 3, 1);
    tg_cov_add_func(f, "op<int>&\"q\"", 3, 4, 1);
    char *xml = tg_cov_cobertura(&c);
    ck_assert_ptr_nonnull(strstr(xml, "filename=\"src/a&quot;b&lt;c&gt;&amp;`d.c\""));
    ck_assert_ptr_nonnull(strstr(xml, "name=\"op&lt;int&gt;&amp;&quot;q&quot;\""));
    char *json = tg_cov_to_json(&c);
    tg_cov back;
    ck_assert_int_eq(tg_cov_parse(json, strlen(json), "escaped", &back), 0);
    ck_assert_ptr_nonnull(tg_cov_file_find(&back, "src/a\"b<c>&`d.c"));
    ck_assert_ptr_nonnull(cov_func(&back, "src/a\"b<c>&`d.c", "op<int>&\"q\""));
    cJSON *section = cJSON_CreateObject();
    tg_cov_policy p;
    tg_cov_policy_read(NULL, NULL, &p);
    char **reasons = NULL;
    int nreasons = 0;
    tg_cov_section(&c, &p, NULL, section, &reasons, &nreasons);
    char *md = tg_coverage_markdown(section);
    ck_assert_ptr_nonnull(strstr(md, "`src/a\"b<c>&'d.c`"));
    free(md);
    cJSON_Delete(section);
    free(xml);
    free(json);
    tg_cov_free(&back);
    tg_cov_free(&c);
}
END_TEST

/* fixtures/coverage/policy/NAME.yaml applied to the merged shards gives the
 * reasons in NAME.expect (one a line), or "error: TEXT" when refused. */
START_TEST(thresholds_from_yaml_give_the_expected_reasons)
{
    DIR *d = opendir(FIX "/policy");
    ck_assert_ptr_nonnull(d);
    int cases = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".yaml") != 0)
            continue;
        char *yaml = tg_asprintf(FIX "/policy/%s", e->d_name);
        char *expf = tg_asprintf(FIX "/policy/%.*s.expect", (int)(n - 5), e->d_name);
        char *want = tg_read_file(expf, NULL), *text = tg_read_file(yaml, NULL);
        ck_assert_msg(want && text, "%s: missing .expect", yaml);
        tg_ydoc doc;
        ck_assert_int_eq(tg_yaml_load(text, strlen(text), &doc), 0);
        char *out = NULL;
        char logf[] = "/tmp/tg-cov-log-XXXXXX";
        int fd = mkstemp(logf), save = dup(2);
        dup2(fd, 2);
        tg_cov_policy p;
        int rc = tg_cov_policy_read(tg_y_get(doc.root, "coverage"), yaml, &p);
        fflush(stderr);
        dup2(save, 2);
        close(save);
        close(fd);
        out = tg_read_file(logf, NULL);
        unlink(logf);
        if (strncmp(want, "error: ", 7) == 0) {
            want[strcspn(want, "\n")] = '\0';
            ck_assert_msg(rc == TG_ECONFIG, "%s: accepted", yaml);
            ck_assert_msg(strstr(out, want + 7), "%s: \"%s\" lacks \"%s\"", yaml, out, want + 7);
        } else {
            ck_assert_msg(rc == 0, "%s: refused: %s", yaml, out);
            tg_cov c;
            int nread;
            char *in[] = {FIX "/shards/a", FIX "/shards/b"};
            ck_assert_int_eq(tg_cov_merge_paths(in, 2, 0, &c, &nread), 0);
            tg_cov_exclude(&c, p.exclude, p.nexclude);
            cJSON *section = cJSON_CreateObject();
            char **reasons = NULL;
            int nreasons = 0;
            tg_cov_section(&c, &p, NULL, section, &reasons, &nreasons);
            tg_buf got;
            tg_buf_init(&got);
            for (int i = 0; i < nreasons; i++) {
                tg_buf_addf(&got, "%s\n", reasons[i]);
                free(reasons[i]);
            }
            free(reasons);
            ck_assert_msg(strcmp(got.data ? got.data : "", want) == 0,
                          "%s: reasons\n%s\nwant\n%s", yaml, got.data ? got.data : "", want);
            tg_buf_free(&got);
            cJSON_Delete(section);
            tg_cov_free(&c);
            tg_cov_policy_free(&p);
        }
        free(out);
        tg_ydoc_free(&doc);
        free(text);
        free(want);
        free(expf);
        free(yaml);
        cases++;
    }
    closedir(d);
    ck_assert_int_ge(cases, 10);
}
END_TEST

START_TEST(percentages_are_cut_never_rounded_up_to_the_minimum)
{
    tg_cov c;
    tg_cov_init(&c);
    tg_cov_file *f = tg_cov_file_get(&c, "a.c");
    for (int l = 1; l <= 10000; l++)
        tg_cov_add_line(f, l, l <= 7999); /* 79.99% */
    tg_cov_policy p;
    tg_cov_policy_read(NULL, NULL, &p);
    p.min_line = 80;
    cJSON *section = cJSON_CreateObject();
    char **reasons = NULL;
    int nreasons = 0;
    tg_cov_section(&c, &p, NULL, section, &reasons, &nreasons);
    ck_assert_int_eq(nreasons, 1);
    ck_assert_str_eq(reasons[0], "coverage 79.9% is under 80%");
    free(reasons[0]);
    free(reasons);
    cJSON_Delete(section);
    tg_cov_free(&c);
}
END_TEST

START_TEST(gate_merges_shards_fills_the_section_and_records_history)
{
    char *dir = cov_tmpdir();
    char *yaml_text = tg_asprintf("coverage:\n  min_line: 80\n  history: %s/history.json\n", dir);
    tg_ydoc doc;
    ck_assert_int_eq(tg_yaml_load(yaml_text, strlen(yaml_text), &doc), 0);
    /* The third folder is a shard that ran without coverage: skipped. */
    char *dirs[] = {FIX "/shards/a", FIX "/shards/b", dir};
    char *out = tg_asprintf("%s/gate", dir);
    cJSON *section = cJSON_CreateObject();
    char **reasons = NULL;
    int nreasons = 0;
    ck_assert_int_eq(tg_coverage_gate(dirs, 3, out, tg_y_get(doc.root, "coverage"), section,
                                      &reasons, &nreasons),
                     0);
    ck_assert_int_eq(nreasons, 1);
    ck_assert_str_eq(reasons[0], "coverage 50.0% is under 80%");
    ck_assert_double_eq_tol(cJSON_GetObjectItem(section, "line")->valuedouble, 50.0, 1e-9);
    ck_assert_double_eq_tol(cJSON_GetObjectItem(section, "min_line")->valuedouble, 80, 1e-9);
    ck_assert_ptr_null(cJSON_GetObjectItem(section, "previous_line"));
    const char *files[] = {"coverage.json", "coverage.info", "coverage.xml"};
    for (int i = 0; i < 3; i++) {
        char *p = tg_asprintf("%s/%s", out, files[i]);
        ck_assert_msg(access(p, R_OK) == 0, "%s not written", p);
        free(p);
    }
    char *md = tg_coverage_markdown(section);
    ck_assert_ptr_nonnull(strstr(md, "**50.0%** of lines (no earlier run recorded)"));
    ck_assert_ptr_nonnull(strstr(md, "| lines | 4 | 8 | 50.0% | 80% **missed** |"));
    ck_assert_ptr_nonnull(strstr(md, "| `src/y.c` | 0/2 | 0.0% |"));
    free(md);
    /* A second gate run sees the first one's total. */
    cJSON *again = cJSON_CreateObject();
    ck_assert_int_eq(tg_coverage_gate(dirs, 2, out, tg_y_get(doc.root, "coverage"), again,
                                      &reasons, &nreasons),
                     0);
    ck_assert_double_eq_tol(cJSON_GetObjectItem(again, "previous_line")->valuedouble, 50.0, 1e-9);
    md = tg_coverage_markdown(again);
    ck_assert_ptr_nonnull(strstr(md, "unchanged since the last recorded run (50.0%)"));
    free(md);
    for (int i = 0; i < nreasons; i++)
        free(reasons[i]);
    free(reasons);
    cJSON_Delete(again);
    cJSON_Delete(section);
    tg_ydoc_free(&doc);
    free(yaml_text);
    free(out);
    cov_rmrf(dir);
}
END_TEST

START_TEST(gate_without_any_coverage_leaves_the_section_empty)
{
    char *dir = cov_tmpdir();
    char *dirs[] = {dir};
    char *out = tg_asprintf("%s/gate", dir);
    cJSON *section = cJSON_CreateObject();
    char **reasons = NULL;
    int nreasons = 0;
    ck_assert_int_eq(tg_coverage_gate(dirs, 1, out, NULL, section, &reasons, &nreasons), 0);
    ck_assert_int_eq(cJSON_GetArraySize(section), 0);
    ck_assert_int_eq(nreasons, 0);
    char *md = tg_coverage_markdown(section);
    ck_assert_str_eq(md, "");
    free(md);
    cJSON_Delete(section);
    free(out);
    cov_rmrf(dir);
}
END_TEST

START_TEST(gate_blocks_on_a_truncated_shard)
{
    char *dir = cov_tmpdir();
    char *shard = tg_asprintf("%s/shard-2", dir);
    ck_assert_int_eq(cov_sh("mkdir -p '%s' && head -c 200 " FIX "/shards/b/coverage.json > "
                            "'%s/coverage.json'",
                            shard, shard),
                     0);
    char *dirs[] = {FIX "/shards/a", shard};
    char *out = tg_asprintf("%s/gate", dir);
    cJSON *section = cJSON_CreateObject();
    char **reasons = NULL;
    int nreasons = 0;
    ck_assert_int_eq(tg_coverage_gate(dirs, 2, out, NULL, section, &reasons, &nreasons),
                     TG_EFORMAT);
    cJSON_Delete(section);
    free(out);
    free(shard);
    cov_rmrf(dir);
}
END_TEST

START_TEST(report_rewrites_reports_and_fails_under_the_minimum)
{
    char *dir = cov_tmpdir(), *out = NULL;
    char *cfg = tg_asprintf("%s/tollgate.yaml", dir);
    ck_assert_int_eq(cov_sh("printf 'coverage:\\n  min_function: 75\\n' > '%s'", cfg), 0);
    char *json = tg_asprintf("%s/coverage.json", dir);
    ck_assert_int_eq(cov_sh("cp " FIX "/shards/b/coverage.json '%s'", json), 0);
    ck_assert_int_eq(cov_verb(&out, "report", "--config", cfg, json, (char *)NULL), 1);
    ck_assert_ptr_nonnull(strstr(out, "function coverage 66.6% is under 75%"));
    char *md = tg_asprintf("%s/summary.md", dir);
    char *text = tg_read_file(md, NULL);
    ck_assert_ptr_nonnull(text);
    ck_assert_ptr_nonnull(strstr(text, "| functions | 2 | 3 | 66.6% | 75% **missed** |"));
    free(text);
    free(md);
    free(out);
    free(json);
    free(cfg);
    cov_rmrf(dir);
}
END_TEST

START_TEST(verb_rejects_bad_usage)
{
    char *out = NULL;
    ck_assert_int_eq(cov_verb(&out, "scatter", (char *)NULL), 2);
    ck_assert_ptr_nonnull(strstr(out, "unknown coverage command 'scatter'"));
    free(out);
    ck_assert_int_eq(cov_verb(&out, "collect", "--jobs", "zero", (char *)NULL), 2);
    ck_assert_ptr_nonnull(strstr(out, "--jobs takes a number"));
    free(out);
    ck_assert_int_eq(cov_verb(&out, "merge", (char *)NULL), 2);
    ck_assert_ptr_nonnull(strstr(out, "merge needs at least one"));
    free(out);
    ck_assert_int_eq(cov_verb(&out, "report", "--config", "/nonexistent/tollgate.yaml",
                              FIX "/shards/a", (char *)NULL),
                     2);
    ck_assert_ptr_nonnull(strstr(out, "/nonexistent/tollgate.yaml: cannot read"));
    free(out);
    ck_assert_int_eq(cov_verb(&out, "collect", "--help", (char *)NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, "usage: tollgate coverage collect"));
    free(out);
}
END_TEST

START_TEST(files_stay_findable_after_sort_and_exclude_in_a_large_build)
{
    tg_cov c;
    tg_cov_init(&c);
    char path[64];
    for (int i = 0; i < 1500; i++) {
        snprintf(path, sizeof path, "%s/m%04d.c", i % 3 ? "src" : "gen", 1499 - i);
        tg_cov_add_line(tg_cov_file_get(&c, path), 1, i);
    }
    tg_cov_sort(&c);
    ck_assert_str_eq(c.files[0]->path, "gen/m0002.c");
    char *gen[] = {"gen/*"};
    tg_cov_exclude(&c, gen, 1);
    ck_assert_uint_eq(c.nfiles, 1000);
    for (int i = 0; i < 1500; i++) {
        snprintf(path, sizeof path, "%s/m%04d.c", i % 3 ? "src" : "gen", 1499 - i);
        const tg_cov_file *f = tg_cov_file_find(&c, path);
        ck_assert_msg((f != NULL) == (i % 3 != 0), "%s", path);
        if (f)
            ck_assert_int_eq(f->lines[1], i);
    }
    ck_assert_ptr_eq(tg_cov_file_get(&c, "src/m0001.c"), tg_cov_file_find(&c, "src/m0001.c"));
    ck_assert_uint_eq(c.nfiles, 1000);
    tg_cov_free(&c);
}
END_TEST

START_TEST(gate_names_a_test_shard_whose_coverage_is_missing)
{
    char *dir = cov_tmpdir();
    char *shard = tg_asprintf("%s/shard-2", dir), *lint = tg_asprintf("%s/lint", dir);
    ck_assert_int_eq(tg_mkdirs(shard), 0);
    ck_assert_int_eq(tg_mkdirs(lint), 0);
    const char *kinds[] = {"shard", "lint"};
    char *folders[] = {shard, lint};
    for (int i = 0; i < 2; i++) {
        tg_results res;
        tg_results_init(&res, kinds[i]);
        char *path = tg_asprintf("%s/results.json", folders[i]);
        ck_assert_int_eq(tg_results_write(&res, path), 0);
        free(path);
        tg_results_free(&res);
    }
    char *dirs[] = {FIX "/shards/a", shard, lint};
    char *out = tg_asprintf("%s/gate", dir), *history = tg_asprintf("history: %s/h.json", dir);
    tg_ydoc doc;
    ck_assert_int_eq(tg_yaml_load(history, strlen(history), &doc), 0);
    cJSON *section = cJSON_CreateObject();
    char **reasons = NULL;
    int nreasons = 0;
    ck_assert_int_eq(tg_coverage_gate(dirs, 3, out, doc.root, section, &reasons, &nreasons), 0);
    ck_assert_int_eq(nreasons, 1);
    ck_assert_ptr_nonnull(strstr(reasons[0], "shard-2 has no coverage.json while other shards do"));
    free(reasons[0]);
    free(reasons);
    tg_ydoc_free(&doc);
    cJSON_Delete(section);
    free(history);
    free(out);
    free(lint);
    free(shard);
    cov_rmrf(dir);
}
END_TEST

static void tests(tgt_registry *r)
{
    tgt_tcase(r, "merge");
    tgt_add(r, merge_sums_lines_functions_and_branches_by_file);
    tgt_add(r, merge_is_the_same_in_any_order);
    tgt_add(r, coverage_json_reads_back_what_it_wrote);
    tgt_add(r, merge_refuses_shards_of_different_builds_naming_both);
    tgt_add(r, damaged_shard_files_are_refused_with_a_reason);
    tgt_add(r, merge_of_a_folder_without_coverage_is_an_error);
    tgt_add(r, files_stay_findable_after_sort_and_exclude_in_a_large_build);
    tgt_tcase(r, "report");
    tgt_add(r, cobertura_is_well_formed_and_counts_match);
    tgt_add(r, names_are_escaped_in_every_format);
    tgt_add(r, report_rewrites_reports_and_fails_under_the_minimum);
    tgt_add(r, verb_rejects_bad_usage);
    tgt_tcase(r, "policy");
    tgt_add(r, thresholds_from_yaml_give_the_expected_reasons);
    tgt_add(r, percentages_are_cut_never_rounded_up_to_the_minimum);
    tgt_tcase(r, "gate");
    tgt_add(r, gate_merges_shards_fills_the_section_and_records_history);
    tgt_add(r, gate_without_any_coverage_leaves_the_section_empty);
    tgt_add(r, gate_blocks_on_a_truncated_shard);
    tgt_add(r, gate_names_a_test_shard_whose_coverage_is_missing);
}

TGT_MAIN("unit", tests)
