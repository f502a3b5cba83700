/* coverage_cli.c: `tollgate coverage collect|merge|report` (coverage.h). */
#include "coverage.h"
#include "tg.h"
#include "yamltree.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char usage_text[] =
    "usage: tollgate coverage collect [--build DIR] [--gcda DIR] [--root DIR] [--gcov PATH]\n"
    "                                 [--jobs N] [--exclude PATTERN]... [--out DIR]\n"
    "       tollgate coverage merge [--out DIR] [--config FILE] [--history FILE] INPUT...\n"
    "       tollgate coverage report [--out DIR] [--config FILE] [--history FILE] [INPUT]\n"
    "\n"
    "collect  runs gcov over the build's .gcda files (one process per core) and writes\n"
    "         OUT/coverage.json (default OUT: reports/coverage). --build is the folder with\n"
    "         the .gcno files (default $TOLLGATE_BUILD, else build/cov); --gcda the folder\n"
    "         the tests wrote .gcda files to through GCOV_PREFIX (default: --build); files\n"
    "         outside --root (default: the current folder) are left out.\n"
    "merge    sums shards' coverage (each INPUT a coverage.json or a folder holding one),\n"
    "         refusing data of different builds, and writes OUT/coverage.{json,info,xml}\n"
    "         and OUT/summary.md.\n"
    "report   writes the same reports from one coverage.json (default\n"
    "         reports/coverage/coverage.json), into its folder unless --out is given.\n"
    "\n"
    "merge and report apply the minimums of tollgate.yaml's coverage: section (or of\n"
    "--config FILE) and exit 1 when one is missed; --history FILE compares the total with\n"
    "the last one recorded there and records the new one.\n"
    "Exit codes: 0 ok, 1 a minimum missed, 2 bad input or usage, 3 internal error.\n";

typedef struct {
    const char *out, *config, *history;
    tg_cov_collect_opts col;
    char **excludes;
    int nexcludes;
    char **inputs;
    int ninputs;
} cov_args;

static int usage_error(const char *fmt, const char *arg)
{
    tg_error(NULL, 0, fmt, arg);
    fputs(usage_text, stderr);
    return TG_EXIT_USAGE;
}

/* Returns -1 when parsed, else an exit code to return. */
static int parse_args(int argc, char **argv, int collect, cov_args *a)
{
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            fputs(usage_text, stdout);
            return TG_EXIT_OK;
        }
        int takes = strcmp(arg, "--out") == 0 || strcmp(arg, "--config") == 0 ||
                    strcmp(arg, "--history") == 0 ||
                    (collect && (strcmp(arg, "--build") == 0 || strcmp(arg, "--gcda") == 0 ||
                                 strcmp(arg, "--root") == 0 || strcmp(arg, "--gcov") == 0 ||
                                 strcmp(arg, "--jobs") == 0 || strcmp(arg, "--exclude") == 0));
        if (takes && (!val || !*val))
            return usage_error("%s needs a value", arg);
        if (strcmp(arg, "--out") == 0)
            a->out = val;
        else if (strcmp(arg, "--config") == 0)
            a->config = val;
        else if (strcmp(arg, "--history") == 0)
            a->history = val;
        else if (collect && strcmp(arg, "--build") == 0)
            a->col.build = val;
        else if (collect && strcmp(arg, "--gcda") == 0)
            a->col.gcda = val;
        else if (collect && strcmp(arg, "--root") == 0)
            a->col.root = val;
        else if (collect && strcmp(arg, "--gcov") == 0)
            a->col.gcov = val;
        else if (collect && strcmp(arg, "--jobs") == 0) {
            char *end;
            long n = strtol(val, &end, 10);
            if (*end || n < 1 || n > 256)
                return usage_error("--jobs takes a number from 1 to 256, not '%s'", val);
            a->col.jobs = (int)n;
        } else if (collect && strcmp(arg, "--exclude") == 0) {
            a->excludes = tg_realloc(a->excludes, sizeof(char *) * (size_t)(a->nexcludes + 1));
            a->excludes[a->nexcludes++] = (char *)val;
        } else if (arg[0] == '-' && arg[1]) {
            return usage_error("unknown option '%s'", arg);
        } else if (collect) {
            return usage_error("collect takes no file arguments ('%s'); use --build", arg);
        } else {
            a->inputs = tg_realloc(a->inputs, sizeof(char *) * (size_t)(a->ninputs + 1));
            a->inputs[a->ninputs++] = argv[i];
            continue;
        }
        i++;
    }
    return -1;
}

static void print_totals(const char *what, const tg_cov *c, double secs)
{
    tg_cov_totals t;
    tg_cov_totals_of(c, &t);
    printf("tollgate: coverage %s: lines %.1f%% (%lld of %lld), functions %.1f%% (%lld of %lld), "
           "branches %.1f%% (%lld of %lld), %zu files",
           what, tg_cov_pct_cut(tg_cov_pct(t.lines)), t.lines.hit, t.lines.found,
           tg_cov_pct_cut(tg_cov_pct(t.functions)), t.functions.hit, t.functions.found,
           tg_cov_pct_cut(tg_cov_pct(t.branches)), t.branches.hit,
           t.branches.found, c->nfiles);
    if (secs >= 0)
        printf(", %ld .gcda in %.2f s", c->ngcda, secs);
    printf("\n");
}

static int cmd_collect(cov_args *a)
{
    if (!a->col.build) {
        const char *b = getenv("TOLLGATE_BUILD");
        a->col.build = b && *b ? b : "build/cov";
    }
    const char *out = a->out ? a->out : "reports/coverage";
    double t0 = tg_now();
    tg_cov c;
    int rc = tg_cov_collect(&a->col, &c);
    if (rc)
        return tg_exit_code(rc);
    tg_cov_exclude(&c, a->excludes, a->nexcludes);
    if (c.nfiles == 0) {
        tg_error(a->col.build, 0, "gcov found no source file inside %s; is --root the "
                                  "repository the build compiled?",
                 a->col.root ? a->col.root : "the current folder");
        tg_cov_free(&c);
        return TG_EXIT_USAGE;
    }
    char *path = tg_asprintf("%s/coverage.json", out);
    rc = tg_mkdirs(out);
    if (!rc)
        rc = tg_cov_write(&c, path);
    if (!rc)
        print_totals("collected", &c, tg_now() - t0);
    free(path);
    tg_cov_free(&c);
    return tg_exit_code(rc);
}

/* tollgate.yaml's coverage: node. An absent default tollgate.yaml means no
 * minimums; a named --config must exist. */
static int load_policy(const char *config, tg_cov_policy *p)
{
    const char *path = config ? config : "tollgate.yaml";
    tg_cov_policy_read(NULL, path, p);
    size_t len;
    char *text = tg_read_file(path, &len);
    if (!text) {
        if (!config && errno == ENOENT)
            return TG_OK;
        tg_error(path, 0, "cannot read the configuration: %s", strerror(errno));
        return TG_EIO;
    }
    tg_ydoc doc;
    int rc = TG_OK;
    if (tg_yaml_load(text, len, &doc) != 0) {
        tg_error(path, doc.err_line, "not valid YAML: %s", doc.error ? doc.error : "?");
        rc = TG_ECONFIG;
    } else if (doc.root && doc.root->kind == TG_Y_MAP) {
        rc = tg_cov_policy_read(tg_y_get(doc.root, "coverage"), path, p);
    }
    tg_ydoc_free(&doc);
    free(text);
    return rc;
}

/* Where report writes without --out: the input's own folder. */
static char *folder_of(const char *input)
{
    struct stat st;
    if (stat(input, &st) == 0 && S_ISDIR(st.st_mode))
        return tg_strdup(input);
    const char *s = strrchr(input, '/');
    return s ? tg_strndup(input, (size_t)(s - input)) : tg_strdup(".");
}

static int cmd_report(cov_args *a, int merge)
{
    char *dflt[] = {"reports/coverage/coverage.json"};
    if (merge && a->ninputs == 0)
        return usage_error("%s", "merge needs at least one shard folder or coverage.json");
    if (!merge && a->ninputs > 1)
        return usage_error("report takes one coverage.json ('%s' is one too many); merge "
                           "several first",
                           a->inputs[1]);
    char **inputs = a->ninputs ? a->inputs : dflt;
    int ninputs = a->ninputs ? a->ninputs : 1;
    tg_cov_policy p;
    int rc = load_policy(a->config, &p);
    if (rc)
        return tg_exit_code(rc);
    tg_cov c;
    int nread;
    rc = tg_cov_merge_paths(inputs, ninputs, 0, &c, &nread);
    if (rc) {
        tg_cov_policy_free(&p);
        return tg_exit_code(rc);
    }
    tg_cov_exclude(&c, p.exclude, p.nexclude);
    char *out = a->out ? tg_strdup(a->out) : merge ? tg_strdup("reports/coverage")
                                                   : folder_of(inputs[0]);
    const char *history = a->history ? a->history : p.history;
    cJSON *section = cJSON_CreateObject();
    char **reasons = NULL;
    int nreasons = 0;
    tg_cov_section(&c, &p, history, section, &reasons, &nreasons);
    rc = tg_cov_write_reports(&c, section, out);
    if (!rc && history)
        rc = tg_cov_history_record(history, section);
    if (!rc) {
        print_totals(merge ? "merged" : "reported", &c, -1);
        for (int i = 0; i < nreasons; i++)
            printf("tollgate: %s\n", reasons[i]);
    }
    int code = rc ? tg_exit_code(rc) : nreasons ? TG_EXIT_FAIL : TG_EXIT_OK;
    for (int i = 0; i < nreasons; i++)
        free(reasons[i]);
    free(reasons);
    cJSON_Delete(section);
    free(out);
    tg_cov_free(&c);
    tg_cov_policy_free(&p);
    return code;
}

int tg_cmd_coverage(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_text, stderr);
        return TG_EXIT_USAGE;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0) {
        fputs(usage_text, stdout);
        return TG_EXIT_OK;
    }
    int collect = strcmp(sub, "collect") == 0, merge = strcmp(sub, "merge") == 0;
    if (!collect && !merge && strcmp(sub, "report") != 0)
        return usage_error("unknown coverage command '%s' (collect, merge or report)", sub);
    cov_args a;
    memset(&a, 0, sizeof a);
    int code = parse_args(argc - 2, argv + 2, collect, &a);
    if (code < 0)
        code = collect ? cmd_collect(&a) : cmd_report(&a, merge);
    free(a.excludes);
    free(a.inputs);
    return code;
}
