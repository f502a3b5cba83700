/* Unit tests for harness/lint: the fixtures walk (every rule, a failing and a
 * passing file with the expected findings beside them), the corpus against
 * its manifest, the bounds on hostile input, the output formats, and the
 * suppressions. */
#include "lint/lint.h"
#include "lint/lint_int.h"
#include "tg.h"
#include "tgtest.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FIXTURES "fixtures/lint"
#define CORPUS "../shared/corpus"

/* Findings as sorted "file:line:col: RULE" lines, file relative to prefix. */
static char *finding_lines(const tg_lint *L, const char *prefix)
{
    char **lines = tg_malloc((L->n + 1) * sizeof *lines);
    size_t pl = strlen(prefix);
    for (size_t i = 0; i < L->n; i++) {
        const tg_finding *f = &L->f[i];
        const char *file = strncmp(f->file, prefix, pl) == 0 ? f->file + pl : f->file;
        lines[i] = tg_asprintf("%s:%d:%d: %s", file, f->line, f->col, f->rule);
    }
    qsort(lines, L->n, sizeof *lines, tg_strcmp_ptr);
    tg_buf b;
    tg_buf_init(&b);
    for (size_t i = 0; i < L->n; i++) {
        tg_buf_addf(&b, "%s\n", lines[i]);
        free(lines[i]);
    }
    free(lines);
    return b.data ? tg_buf_steal(&b) : tg_strdup("");
}

/* expected.txt without comment lines. */
static char *expected_lines(const char *path)
{
    size_t len;
    char *text = tg_read_file(path, &len);
    if (!text)
        return NULL;
    tg_buf b;
    tg_buf_init(&b);
    for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n"))
        if (l[0] != '#' && l[0])
            tg_buf_addf(&b, "%s\n", l);
    free(text);
    return b.data ? tg_buf_steal(&b) : tg_strdup("");
}

START_TEST(every_rule_fixture_gives_exactly_its_expected_findings)
{
    DIR *d = opendir(FIXTURES);
    ck_assert_msg(d != NULL, "cannot open " FIXTURES " (tests run from the repository root)");
    struct dirent *e;
    int dirs = 0;
    tg_buf fails;
    tg_buf_init(&fails);
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char *dir = tg_asprintf(FIXTURES "/%s", e->d_name);
        struct stat st;
        if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
            free(dir);
            continue;
        }
        dirs++;
        tg_lint L;
        tg_lint_init(&L);
        ck_assert_int_eq(tg_lint_path(&L, dir, 1), 0);
        tg_lint_finish(&L);
        char *prefix = tg_asprintf("%s/", dir);
        char *got = finding_lines(&L, prefix);
        char *exp_path = tg_asprintf("%s/expected.txt", dir);
        char *want = expected_lines(exp_path);
        if (!want)
            tg_buf_addf(&fails, "%s: missing\n", exp_path);
        else if (strcmp(got, want) != 0)
            tg_buf_addf(&fails, "%s:\n--- expected\n%s--- got\n%s", dir, want, got);
        /* The rule a folder is named after fires on bad/, and good/ is clean. */
        char *own = tg_asprintf(": %s\n", e->d_name);
        int is_rule = e->d_name[0] >= 'A' && e->d_name[0] <= 'Z' && e->d_name[1] >= '0' &&
                      e->d_name[1] <= '9';
        if (is_rule &&
            (!strstr(got, own) || strstr(got, "\ngood/") || strncmp(got, "good/", 5) == 0))
            tg_buf_addf(&fails, "%s: rule %s must fire in bad/ and nothing in good/\n", dir,
                        e->d_name);
        free(own);
        free(exp_path);
        free(want);
        free(got);
        free(prefix);
        free(dir);
        tg_lint_free(&L);
    }
    closedir(d);
    ck_assert_int_ge(dirs, 50);
    ck_assert_msg(fails.len == 0, "%s", fails.data);
    tg_buf_free(&fails);
}
END_TEST

static int known_disagreement(const char *file)
{
    size_t len;
    char *text = tg_read_file(FIXTURES "/corpus-disagreements.tsv", &len);
    if (!text)
        return 0;
    int found = 0;
    for (char *l = strtok(text, "\n"); l && !found; l = strtok(NULL, "\n")) {
        char *tab = strchr(l, '\t');
        if (l[0] != '#' && tab && (size_t)(tab - l) == strlen(file) &&
            strncmp(l, file, strlen(file)) == 0)
            found = 1;
    }
    free(text);
    return found;
}

START_TEST(corpus_invalid_files_get_errors_and_ok_files_none)
{
    size_t len;
    char *manifest = tg_read_file(CORPUS "/MANIFEST.tsv", &len);
    ck_assert_msg(manifest != NULL, "cannot read " CORPUS "/MANIFEST.tsv");
    tg_buf fails;
    tg_buf_init(&fails);
    int files = 0, invalid = 0;
    char *save = NULL;
    for (char *l = strtok_r(manifest, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        char *cols[7] = {0};
        int n = 0;
        for (char *p = l; n < 7 && p; n++) {
            cols[n] = p;
            p = strchr(p, '\t');
            if (p)
                *p++ = 0;
        }
        if (n < 6 || strcmp(cols[0], "file") == 0)
            continue;
        files++;
        char *path = tg_asprintf(CORPUS "/%s", cols[0]);
        tg_lint L;
        tg_lint_init(&L);
        ck_assert_int_eq(tg_lint_path(&L, path, 1), 0);
        tg_lint_finish(&L);
        size_t errors = tg_lint_count(&L, TG_LINT_ERROR);
        const char *verdict = cols[5];
        int wrong = (strcmp(verdict, "invalid") == 0 && errors == 0) ||
                    (strcmp(verdict, "invalid") != 0 && errors > 0);
        invalid += strcmp(verdict, "invalid") == 0;
        if (wrong && !known_disagreement(cols[0])) {
            tg_buf_addf(&fails, "%s: manifest says %s, lint found %zu errors\n", cols[0],
                        verdict, errors);
            for (size_t i = 0; i < L.n; i++)
                if (L.f[i].sev == TG_LINT_ERROR)
                    tg_buf_addf(&fails, "    %d:%d %s %s\n", L.f[i].line, L.f[i].col,
                                L.f[i].rule, L.f[i].message);
        }
        free(path);
        tg_lint_free(&L);
    }
    free(manifest);
    ck_assert_int_ge(files, 130);
    ck_assert_int_ge(invalid, 20);
    ck_assert_msg(fails.len == 0, "%s", fails.data);
    tg_buf_free(&fails);
}
END_TEST

/* Lints text as a file of kind k; returns the lint (caller frees). */
static void lint_text(tg_lint *L, const char *name, tg_lint_kind k, const char *text, size_t len)
{
    tg_lint_init(L);
    tg_lint_buffer(L, name, k, text, len);
    tg_lint_finish(L);
}

static int has_rule(const tg_lint *L, const char *rule)
{
    for (size_t i = 0; i < L->n; i++)
        if (strcmp(L->f[i].rule, rule) == 0)
            return 1;
    return 0;
}

START_TEST(file_over_the_size_cap_is_refused_unread)
{
    char path[] = "/tmp/tg-lint-bigXXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    /* 100 MB, sparse: lint must refuse it from its size, not read it. */
    ck_assert_int_eq(ftruncate(fd, 100L * 1024 * 1024), 0);
    close(fd);
    char *named = tg_asprintf("%s.yml", path);
    ck_assert_int_eq(rename(path, named), 0);
    tg_lint L;
    tg_lint_init(&L);
    ck_assert_int_eq(tg_lint_path(&L, named, 1), 0);
    tg_lint_finish(&L);
    ck_assert(has_rule(&L, "Y4"));
    ck_assert_ptr_nonnull(strstr(L.f[0].message, "MiB limit"));
    tg_lint_free(&L);
    unlink(named);
    free(named);
}
END_TEST

START_TEST(alias_bomb_is_a_finding_not_an_explosion)
{
    tg_buf b;
    tg_buf_init(&b);
    tg_buf_adds(&b, "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    for (char c = 'b'; c <= 'k'; c++)
        tg_buf_addf(&b, "%c: &%c [*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c]\n", c, c, c - 1, c - 1,
                    c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1);
    tg_lint L;
    lint_text(&L, "docker-compose.yml", TG_LK_COMPOSE, b.data, b.len);
    ck_assert(has_rule(&L, "Y6"));
    tg_lint_free(&L);
    tg_buf_free(&b);
}
END_TEST

START_TEST(json_nested_100000_deep_is_refused_cleanly)
{
    size_t n = 100000;
    char *text = tg_malloc(2 * n + 1);
    memset(text, '[', n);
    memset(text + n, ']', n);
    text[2 * n] = 0;
    tg_lint L;
    lint_text(&L, "railway.json", TG_LK_RAILWAY_JSON, text, 2 * n);
    ck_assert(has_rule(&L, "Y6"));
    ck_assert_int_eq(L.f[0].line, 1);
    ck_assert_int_eq(L.f[0].col, TG_LINT_MAX_JSON_DEPTH + 1);
    tg_lint_free(&L);
    free(text);
}
END_TEST

START_TEST(workflow_of_50000_lines_is_checked)
{
    tg_buf b;
    tg_buf_init(&b);
    tg_buf_adds(&b, "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n");
    for (int i = 0; i < 24998; i++)
        tg_buf_addf(&b, "      - name: s%d\n        run: echo %d\n", i, i);
    tg_buf_adds(&b, "      - run: docker-compose up\n");
    tg_lint L;
    lint_text(&L, ".github/workflows/big.yml", TG_LK_WORKFLOW, b.data, b.len);
    ck_assert_int_eq(L.n, 1);
    ck_assert_str_eq(L.f[0].rule, "W9");
    ck_assert_int_eq(L.f[0].line, 50002);
    tg_lint_free(&L);
    tg_buf_free(&b);
}
END_TEST

START_TEST(findings_past_the_cap_are_summed_up_in_one)
{
    tg_buf b;
    tg_buf_init(&b);
    for (int i = 0; i < 2000; i++)
        tg_buf_adds(&b, "not a process line\n");
    tg_lint L;
    lint_text(&L, "Procfile", TG_LK_PROCFILE, b.data, b.len);
    ck_assert_int_eq(L.n, 501);
    ck_assert(has_rule(&L, "Y7"));
    ck_assert_int_eq(tg_lint_count(&L, TG_LINT_ERROR), 501);
    for (size_t i = 0; i < L.n; i++)
        if (!strcmp(L.f[i].rule, "Y7"))
            ck_assert_ptr_nonnull(strstr(L.f[i].message, "1500 more findings"));
    tg_lint_free(&L);
    tg_buf_free(&b);
}
END_TEST

START_TEST(duplicate_key_in_a_map_of_thousands_is_found)
{
    tg_buf b;
    tg_buf_init(&b);
    tg_buf_adds(&b, "services:\n");
    for (int i = 0; i < 5000; i++)
        tg_buf_addf(&b, "  s%d: {image: app}\n", i);
    tg_buf_adds(&b, "  s17: {image: other}\n");
    tg_lint L;
    lint_text(&L, "docker-compose.yml", TG_LK_COMPOSE, b.data, b.len);
    ck_assert_int_eq(L.n, 1);
    ck_assert_str_eq(L.f[0].rule, "Y2");
    ck_assert_int_eq(L.f[0].line, 5002);
    ck_assert_ptr_nonnull(strstr(L.f[0].message, "first at line 19"));
    tg_lint_free(&L);
    tg_buf_free(&b);
}
END_TEST

START_TEST(yaml_alias_refers_to_the_latest_anchor_of_its_name)
{
    const char t[] = "a: &x one\nb: *x\nc: &x two\nd: *x\n";
    tg_ydoc doc;
    ck_assert_int_eq(tg_yaml_load(t, sizeof t - 1, &doc), 0);
    ck_assert_str_eq(tg_y_str(tg_y_get(doc.root, "b")), "one");
    ck_assert_str_eq(tg_y_str(tg_y_get(doc.root, "d")), "two");
    tg_ydoc_free(&doc);
}
END_TEST

START_TEST(empty_and_binary_files_are_findings)
{
    tg_lint L;
    lint_text(&L, "render.yaml", TG_LK_RENDER, "", 0);
    ck_assert(has_rule(&L, "Y5"));
    tg_lint_free(&L);
    const char bin[] = "\x7f" "ELF\x02\x01\x01\x00\x00\x00";
    lint_text(&L, "railway.json", TG_LK_RAILWAY_JSON, bin, sizeof bin - 1);
    ck_assert(has_rule(&L, "Y4"));
    tg_lint_free(&L);
}
END_TEST

/* Syntax errors land where the reader stopped: one case per reader. */
static const struct {
    const char *name;
    tg_lint_kind kind;
    const char *text;
    int line, col;
} syntax_cases[] = {
    {"railway.toml", TG_LK_RAILWAY_TOML,
     "[deploy]\nstartCommand = \"npm start\nrestartPolicyType = \"NEVER\"\n", 2, 16},
    {"railway.toml", TG_LK_RAILWAY_TOML, "[deploy\nnumReplicas = 1\n", 1, 8},
    {"railway.json", TG_LK_RAILWAY_JSON, "{\n  \"build\": {\"builder\": \"RAILPACK\",}\n}\n", 2, 36},
    {"railway.json", TG_LK_RAILWAY_JSON, "{\"deploy\": {}} trailing\n", 1, 16},
    {"render.yaml", TG_LK_RENDER, "services:\n  - type: web\n   name: x\n", 3, 4},
};

START_TEST(syntax_errors_have_the_readers_position)
{
    tg_buf fails;
    tg_buf_init(&fails);
    for (size_t i = 0; i < sizeof syntax_cases / sizeof syntax_cases[0]; i++) {
        const char *text = syntax_cases[i].text;
        tg_lint L;
        lint_text(&L, syntax_cases[i].name, syntax_cases[i].kind, text, strlen(text));
        if (L.n != 1 || strcmp(L.f[0].rule, "Y1") != 0 || L.f[0].line != syntax_cases[i].line ||
            L.f[0].col != syntax_cases[i].col)
            tg_buf_addf(&fails, "case %zu: want Y1 at %d:%d, got %zu findings, first %s at %d:%d\n",
                        i, syntax_cases[i].line, syntax_cases[i].col, L.n, L.n ? L.f[0].rule : "-",
                        L.n ? L.f[0].line : 0, L.n ? L.f[0].col : 0);
        tg_lint_free(&L);
    }
    ck_assert_msg(fails.len == 0, "%s", fails.data);
    tg_buf_free(&fails);
}
END_TEST

START_TEST(toml_subset_reads_tables_arrays_and_inline_tables)
{
    const char t[] = "# comment\n"
                     "[build]\n"
                     "builder = \"RAILPACK\" # trailing comment\n"
                     "watchPatterns = [\n  \"src/**\", # first\n  'lit\\eral',\n]\n"
                     "[deploy]\n"
                     "numReplicas = 2\n"
                     "multiRegionConfig = { us-west2 = { numReplicas = 1 } }\n"
                     "startCommand = \"\"\"\nnpm start\"\"\"\n"
                     "[deploy.limitOverride]\ncontainers.cpu = 2\n"
                     "[[crons]]\nname = \"a\"\n[[crons]]\nname = \"b\"\n";
    lint_ctx c = {0};
    tg_lint L;
    tg_lint_init(&L);
    c.L = &L;
    c.file = "railway.toml";
    c.text = t;
    c.len = sizeof t - 1;
    tg_ydoc doc;
    memset(&doc, 0, sizeof doc);
    tg_ynode *root = lint_toml_tree(&c, &doc);
    ck_assert_ptr_nonnull(root);
    ck_assert_int_eq(L.n, 0);
    const tg_ynode *b = tg_y_get(root, "build");
    ck_assert_str_eq(tg_y_str(tg_y_get(b, "builder")), "RAILPACK");
    const tg_ynode *wp = tg_y_get(b, "watchPatterns");
    ck_assert_int_eq(wp->kind, TG_Y_SEQ);
    ck_assert_int_eq(wp->n, 2);
    ck_assert_str_eq(tg_y_str(wp->vals[1]), "lit\\eral");
    const tg_ynode *d = tg_y_get(root, "deploy");
    ck_assert(lint_is_int(tg_y_get(d, "numReplicas")));
    ck_assert_int_eq(tg_y_get(d, "numReplicas")->line, 9);
    ck_assert_int_eq(tg_y_get(d, "numReplicas")->col, 15);
    const tg_ynode *mr = tg_y_get(tg_y_get(d, "multiRegionConfig"), "us-west2");
    ck_assert_str_eq(tg_y_str(tg_y_get(mr, "numReplicas")), "1");
    ck_assert_str_eq(tg_y_str(tg_y_get(d, "startCommand")), "\nnpm start");
    ck_assert_str_eq(tg_y_str(tg_y_get(tg_y_get(tg_y_get(d, "limitOverride"), "containers"), "cpu")),
                     "2");
    const tg_ynode *crons = tg_y_get(root, "crons");
    ck_assert_int_eq(crons->kind, TG_Y_SEQ);
    ck_assert_int_eq(crons->n, 2);
    ck_assert_str_eq(tg_y_str(tg_y_get(crons->vals[1], "name")), "b");
    tg_ydoc_free(&doc);
    tg_lint_free(&L);
}
END_TEST

START_TEST(json_positions_survive_keys_quoted_inside_values)
{
    /* The value of "note" holds the text "deploy": which must not be taken
     * for the key that follows. */
    const char t[] = "{\n  \"build\": {\"note\": \"see \\\"deploy\\\": below\", \"builder\": \"X\"},\n"
                     "  \"deploy\": {\n    \"healthcheckPath\": \"health\"\n  }\n}\n";
    tg_lint L;
    lint_text(&L, "railway.json", TG_LK_RAILWAY_JSON, t, sizeof t - 1);
    int r3 = 0, r5 = 0;
    for (size_t i = 0; i < L.n; i++) {
        if (!strcmp(L.f[i].rule, "R3")) {
            r3 = 1;
            ck_assert_int_eq(L.f[i].line, 2);
            ck_assert_int_eq(L.f[i].col, 57);
        }
        if (!strcmp(L.f[i].rule, "R5")) {
            r5 = 1;
            ck_assert_int_eq(L.f[i].line, 4);
            ck_assert_int_eq(L.f[i].col, 24);
        }
    }
    ck_assert(r3 && r5);
    tg_lint_free(&L);
}
END_TEST

START_TEST(inline_ignore_silences_only_the_named_rule)
{
    const char t[] = "web: python bot.py  # tollgate: ignore P5\nweb: node --debug x.js # tollgate: ignore P5\n";
    tg_lint L;
    lint_text(&L, "Procfile", TG_LK_PROCFILE, t, sizeof t - 1);
    ck_assert(!has_rule(&L, "P5"));
    ck_assert(has_rule(&L, "P7"));
    ck_assert(has_rule(&L, "P4"));
    tg_lint_free(&L);
}
END_TEST

/* A tollgate.yaml with text in a fresh temporary file; the caller unlinks
 * and frees the returned path. */
static char *temp_config(const char *text)
{
    char *path = tg_strdup("/tmp/tg-lint-cfgXXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

START_TEST(config_ignore_silences_by_path_and_rule)
{
    char *path = temp_config("lint:\n  ignore:\n    - path: \"fixtures/lint/P5/**\"\n"
                             "      rules: [P5]\n    - path: \"fixtures/lint/P7/*\"\n"
                             "  paths: [fixtures/lint/P5]\n");
    tg_lint L;
    tg_lint_init(&L);
    char **paths = NULL;
    size_t np = 0;
    ck_assert_int_eq(tg_lint_config(&L, path, 1, &paths, &np), 0);
    ck_assert_int_eq(np, 1);
    ck_assert_str_eq(paths[0], "fixtures/lint/P5");
    ck_assert_int_eq(tg_lint_path(&L, "fixtures/lint/P5", 1), 0);
    ck_assert_int_eq(tg_lint_path(&L, "fixtures/lint/P7", 1), 0);
    tg_lint_finish(&L);
    ck_assert_int_eq(L.n, 0);
    ck_assert_int_eq(L.files, 2); /* P7's files, ignored for every rule, are not even read */
    tg_lint_free(&L);
    free(paths[0]);
    free(paths);
    unlink(path);
    free(path);
}
END_TEST

START_TEST(config_with_unknown_lint_key_is_a_config_error)
{
    char *path = temp_config("lint:\n  ignroe: []\n");
    tg_lint L;
    tg_lint_init(&L);
    char **paths = NULL;
    size_t np = 0;
    ck_assert_int_eq(tg_lint_config(&L, path, 1, &paths, &np), TG_ECONFIG);
    tg_lint_free(&L);
    unlink(path);
    free(path);
}
END_TEST

START_TEST(sarif_is_2_1_0_with_one_result_per_finding)
{
    tg_lint L;
    tg_lint_init(&L);
    ck_assert_int_eq(tg_lint_path(&L, "fixtures/lint/D2", 1), 0);
    tg_lint_finish(&L);
    char *s = tg_lint_sarif(&L);
    cJSON *j = cJSON_Parse(s);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(cJSON_GetObjectItem(j, "version")->valuestring, "2.1.0");
    cJSON *run = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "runs"), 0);
    cJSON *res = cJSON_GetObjectItem(run, "results");
    ck_assert_int_eq(cJSON_GetArraySize(res), (int)L.n);
    cJSON *first = cJSON_GetArrayItem(res, 0);
    cJSON *region = cJSON_GetObjectItem(
        cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(first, "locations"), 0),
                            "physicalLocation"),
        "region");
    ck_assert_int_eq(cJSON_GetObjectItem(region, "startLine")->valueint, L.f[0].line);
    cJSON_Delete(j);
    free(s);
    tg_lint_free(&L);
}
END_TEST

START_TEST(text_is_grouped_by_file_and_coloured_only_when_asked)
{
    tg_lint L;
    tg_lint_init(&L);
    ck_assert_int_eq(tg_lint_path(&L, "fixtures/lint/X1", 1), 0);
    tg_lint_finish(&L);
    char *plain = tg_lint_text(&L, 0), *colour = tg_lint_text(&L, 1);
    ck_assert_ptr_null(strchr(plain, '\033'));
    ck_assert_ptr_nonnull(strstr(colour, "\033[33mwarning\033[0m"));
    ck_assert_ptr_nonnull(strstr(plain, "fixtures/lint/X1/bad/railway.json\n  fixtures/lint/X1/bad/"
                                        "railway.json:2:30: warning: the start command differs"));
    ck_assert_ptr_nonnull(strstr(plain, "(rule X1)\n"));
    ck_assert_ptr_nonnull(strstr(plain, "tollgate lint: 5 files, 0 errors, 1 warnings\n"));
    free(plain);
    free(colour);
    tg_lint_free(&L);
}
END_TEST

START_TEST(github_annotations_escape_and_carry_positions)
{
    tg_lint L;
    tg_lint_init(&L);
    ck_assert_int_eq(tg_lint_path(&L, "fixtures/lint/R3", 1), 0);
    tg_lint_finish(&L);
    char *s = tg_lint_github(&L);
    ck_assert_ptr_nonnull(strstr(s, "::error file=fixtures/lint/R3/bad/railway.json,line=2,col=24,"
                                    "title=tollgate lint R3::"));
    ck_assert_ptr_nonnull(strstr(s, "::warning file="));
    free(s);
    tg_lint_free(&L);
}
END_TEST

START_TEST(results_have_a_test_per_file_and_family_and_the_lint_section)
{
    tg_lint L;
    tg_lint_init(&L);
    ck_assert_int_eq(tg_lint_path(&L, "fixtures/lint/S1", 1), 0);
    tg_lint_finish(&L);
    tg_results r;
    tg_results_init(&r, "lint");
    tg_lint_results(&L, &r);
    /* bad: env (passed) + secrets (failed); good: env (passed). */
    ck_assert_int_eq(r.ntests, 3);
    ck_assert_int_eq(r.totals.failed, 1);
    ck_assert_str_eq(r.tests[0].id, "lint/fixtures/lint/S1/bad/.env.example/env");
    ck_assert_str_eq(r.tests[1].id, "lint/fixtures/lint/S1/bad/.env.example/secrets");
    ck_assert_int_eq(r.tests[1].status, TG_ST_FAILED);
    cJSON *lint = cJSON_GetObjectItem(r.extra, "lint");
    ck_assert_int_eq(cJSON_GetObjectItem(lint, "errors")->valueint, 2);
    ck_assert_int_eq(cJSON_GetObjectItem(lint, "warnings")->valueint, 0);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(lint, "findings")), 2);
    tg_results_free(&r);
    tg_lint_free(&L);
}
END_TEST

static int run_cli(const char *a1, const char *a2, const char *a3)
{
    /* An empty configuration: the repository's tollgate.yaml ignores fixtures/lint. */
    char *argv[] = {"lint", "--config", "/dev/null", (char *)a1, (char *)a2, (char *)a3, NULL};
    int argc = 3 + (a1 != NULL) + (a2 != NULL) + (a3 != NULL);
    /* The verb prints its report: keep it out of the test's output. */
    fflush(stdout);
    int saved = dup(STDOUT_FILENO), null = open("/dev/null", O_WRONLY);
    dup2(null, STDOUT_FILENO);
    int rc = tg_cmd_lint(argc, argv);
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    close(null);
    return rc;
}

START_TEST(exit_codes_follow_the_contract)
{
    ck_assert_int_eq(run_cli("fixtures/lint/P1/good", NULL, NULL), 0);
    ck_assert_int_eq(run_cli("fixtures/lint/P1/bad", NULL, NULL), 1);
    ck_assert_int_eq(run_cli("fixtures/lint/P5/bad", NULL, NULL), 0);
    ck_assert_int_eq(run_cli("fixtures/lint/P5/bad", "--strict", NULL), 1);
    ck_assert_int_eq(run_cli("fixtures/lint/no-such-dir", NULL, NULL), 2);
    ck_assert_int_eq(run_cli("--format", "xml", NULL), 2);
    ck_assert_int_eq(run_cli("--bogus", NULL, NULL), 2);
}
END_TEST

START_TEST(out_dir_gets_results_json_and_junit_xml)
{
    char dir[] = "/tmp/tg-lint-outXXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_eq(run_cli("fixtures/lint/C3", "--out", dir), 1);
    char *rj = tg_asprintf("%s/results.json", dir), *jx = tg_asprintf("%s/junit.xml", dir);
    tg_results r;
    char *why = NULL;
    ck_assert_int_eq(tg_results_read(rj, &r, &why), 0);
    ck_assert_str_eq(r.kind, "lint");
    ck_assert_int_eq(r.totals.failed, 1);
    cJSON *lint = cJSON_GetObjectItem(r.extra, "lint");
    ck_assert_int_eq(cJSON_GetObjectItem(lint, "errors")->valueint, 1);
    tg_results_free(&r);
    size_t len;
    char *xml = tg_read_file(jx, &len);
    ck_assert_ptr_nonnull(xml);
    ck_assert_ptr_nonnull(strstr(xml, "<testsuite"));
    ck_assert_ptr_nonnull(strstr(xml, "rule C3"));
    free(xml);
    unlink(rj);
    unlink(jx);
    rmdir(dir);
    free(rj);
    free(jx);
}
END_TEST

START_TEST(placeholders_are_not_secrets)
{
    const char t[] = "ANTHROPIC_API_KEY=sk-ant-...\nOPENAI_API_KEY=your-key-here\n"
                     "JWT_SECRET=change-me\nTOKEN=xxx\nGITHUB_TOKEN=<your token>\n"
                     "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n";
    tg_lint L;
    lint_text(&L, ".env.example", TG_LK_ENV, t, sizeof t - 1);
    ck_assert_int_eq(L.n, 0);
    tg_lint_free(&L);
}
END_TEST

static void tests(tgt_registry *r)
{
    tgt_tcase(r, "fixtures");
    tgt_add(r, every_rule_fixture_gives_exactly_its_expected_findings);
    tgt_add(r, corpus_invalid_files_get_errors_and_ok_files_none);
    tgt_tcase(r, "bounds");
    tgt_add(r, file_over_the_size_cap_is_refused_unread);
    tgt_add(r, alias_bomb_is_a_finding_not_an_explosion);
    tgt_add(r, json_nested_100000_deep_is_refused_cleanly);
    tgt_add(r, workflow_of_50000_lines_is_checked);
    tgt_add(r, empty_and_binary_files_are_findings);
    tgt_add(r, findings_past_the_cap_are_summed_up_in_one);
    tgt_add(r, duplicate_key_in_a_map_of_thousands_is_found);
    tgt_add(r, yaml_alias_refers_to_the_latest_anchor_of_its_name);
    tgt_tcase(r, "syntax");
    tgt_add(r, syntax_errors_have_the_readers_position);
    tgt_add(r, toml_subset_reads_tables_arrays_and_inline_tables);
    tgt_add(r, json_positions_survive_keys_quoted_inside_values);
    tgt_add(r, placeholders_are_not_secrets);
    tgt_tcase(r, "suppress");
    tgt_add(r, inline_ignore_silences_only_the_named_rule);
    tgt_add(r, config_ignore_silences_by_path_and_rule);
    tgt_add(r, config_with_unknown_lint_key_is_a_config_error);
    tgt_tcase(r, "output");
    tgt_add(r, sarif_is_2_1_0_with_one_result_per_finding);
    tgt_add(r, text_is_grouped_by_file_and_coloured_only_when_asked);
    tgt_add(r, github_annotations_escape_and_carry_positions);
    tgt_add(r, results_have_a_test_per_file_and_family_and_the_lint_section);
    tgt_add(r, exit_codes_follow_the_contract);
    tgt_add(r, out_dir_gets_results_json_and_junit_xml);
}

TGT_MAIN("unit", tests)
