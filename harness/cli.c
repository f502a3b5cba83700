/* cli.c: the plan and run verbs. */
#include "cli.h"
#include "config.h"
#include "inventory.h"
#include "plan.h"
#include "reports.h"
#include "runner.h"
#include "shard.h"
#include "tg.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* "a,b,c" -> list (caller frees each and the array). */
static char **split_commas(const char *s, int *n)
{
    char *copy = tg_strdup(s), *save = NULL;
    char **out = NULL;
    *n = 0;
    for (char *p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
        out = tg_realloc(out, sizeof *out * (size_t)(*n + 1));
        out[(*n)++] = tg_strdup(p);
    }
    free(copy);
    return out;
}

static void free_list(char **v, int n)
{
    for (int i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static int parse_count(const char *opt, const char *v, int lo, int hi, int *out)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || *end || end == v || n < lo || n > hi) {
        tg_error(NULL, 0, "%s %s: expected a whole number from %d to %d", opt, v, lo, hi);
        return TG_EUSAGE;
    }
    *out = (int)n;
    return TG_OK;
}

/* Loads config, inventory, history and plan: what plan and run share. */
typedef struct {
    tg_config cfg;
    tg_inventory inv;
    tg_history hist;
    tg_plan plan;
} planned;

static int make_plan(const char *config, char **suites, int nsuites, int shards, planned *p)
{
    memset(p, 0, sizeof *p);
    int rc = tg_config_load(config, &p->cfg);
    if (rc != TG_OK)
        return rc;
    rc = tg_inventory_build(&p->cfg, suites, nsuites, &p->inv);
    if (rc != TG_OK)
        return rc;
    if (p->inv.n == 0) {
        tg_error(config, 0, "the suites hold no tests at all; a run with nothing to run fails");
        return TG_ECONFIG;
    }
    tg_history_load(p->cfg.history, &p->hist);
    tg_plan_make(&p->inv, &p->hist, shards, &p->plan);
    return TG_OK;
}

static void free_plan(planned *p)
{
    tg_plan_free(&p->plan);
    tg_history_free(&p->hist);
    tg_inventory_free(&p->inv);
    tg_config_free(&p->cfg);
}

int tg_cmd_plan(int argc, char **argv)
{
    static const struct option opts[] = {{"shards", required_argument, 0, 'n'},
                                         {"json", no_argument, 0, 'j'},
                                         {"suite", required_argument, 0, 's'},
                                         {"config", required_argument, 0, 'c'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int shards = 4, json = 0, nsuites = 0, c;
    char **suites = NULL;
    const char *config = TG_DEFAULT_CONFIG;
    optind = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            if (parse_count("--shards", optarg, 1, 10000, &shards) != TG_OK)
                return TG_EXIT_USAGE;
            break;
        case 'j': json = 1; break;
        case 's':
            free_list(suites, nsuites);
            suites = split_commas(optarg, &nsuites);
            break;
        case 'c': config = optarg; break;
        case 'h':
            printf("usage: tollgate plan [--shards N] [--json] [--suite NAME,...] [--config FILE]\n"
                   "Prints which test runs on which shard and the predicted time per shard.\n");
            return TG_EXIT_OK;
        default: return TG_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        tg_error(NULL, 0, "plan takes no arguments (got '%s')", argv[optind]);
        free_list(suites, nsuites);
        return TG_EXIT_USAGE;
    }
    planned p;
    int rc = make_plan(config, suites, nsuites, shards, &p);
    if (rc == TG_OK)
        tg_plan_print(&p.inv, &p.plan, json, stdout);
    free_plan(&p);
    free_list(suites, nsuites);
    return tg_exit_code(rc);
}

static char *self_exe(const char *argv0)
{
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n > 0) {
        buf[n] = '\0';
        return tg_strdup(buf);
    }
    return tg_strdup(argv0);
}

int tg_cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {{"shard", required_argument, 0, 'S'},
                                         {"shards", required_argument, 0, 'n'},
                                         {"suite", required_argument, 0, 's'},
                                         {"out", required_argument, 0, 'o'},
                                         {"jobs", required_argument, 0, 'j'},
                                         {"config", required_argument, 0, 'c'},
                                         {"junit-style", required_argument, 0, 'J'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *shard_flag = NULL, *shards_flag = NULL, *out = NULL, *style = NULL;
    const char *config = TG_DEFAULT_CONFIG;
    char **suites = NULL;
    int nsuites = 0, jobs = 0, quiet = 0, c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'S': shard_flag = optarg; break;
        case 'n': shards_flag = optarg; break;
        case 's':
            free_list(suites, nsuites);
            suites = split_commas(optarg, &nsuites);
            break;
        case 'o': out = optarg; break;
        case 'j':
            if (parse_count("--jobs", optarg, 1, 1024, &jobs) != TG_OK)
                return TG_EXIT_USAGE;
            break;
        case 'c': config = optarg; break;
        case 'J': style = optarg; break;
        case 'q': quiet = 1; break;
        case 'h':
            printf("usage: tollgate run [--shard I/N] [--suite NAME,...] [--out DIR] [--jobs N]\n"
                   "                    [--config FILE] [--junit-style default|jenkins] [--quiet]\n"
                   "Runs this shard's part of the suites and writes DIR/results.json, junit.xml\n"
                   "and summary.md (default DIR: reports/shard-I). The shard comes from --shard,\n"
                   "TOLLGATE_SHARD, TEST_TOTAL_SHARDS/TEST_SHARD_INDEX, GTEST_TOTAL_SHARDS/\n"
                   "GTEST_SHARD_INDEX or JOB_COMPLETION_INDEX (+ --shards N / TOLLGATE_SHARDS).\n");
            return TG_EXIT_OK;
        default: return TG_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        tg_error(NULL, 0, "run takes no arguments (got '%s'); did you mean --suite?", argv[optind]);
        return TG_EXIT_USAGE;
    }
    if (style && strcmp(style, "default") != 0 && strcmp(style, "jenkins") != 0) {
        tg_error(NULL, 0, "--junit-style %s: expected default or jenkins", style);
        return TG_EXIT_USAGE;
    }
    tg_shard sh;
    if (tg_shard_select(shard_flag, shards_flag, &sh) != TG_OK) {
        free_list(suites, nsuites);
        return TG_EXIT_USAGE;
    }
    char started[32];
    tg_utc_timestamp(started);
    double t0 = tg_now();
    planned p;
    int rc = make_plan(config, suites, nsuites, sh.total, &p);
    free_list(suites, nsuites);
    if (rc != TG_OK) {
        free_plan(&p);
        return tg_exit_code(rc);
    }
    char *out_dir = out ? tg_strdup(out) : tg_asprintf("reports/shard-%d", sh.index);
    if (tg_mkdirs(out_dir) != TG_OK) {
        free(out_dir);
        free_plan(&p);
        return TG_EXIT_USAGE;
    }
    tg_unit **mine = tg_calloc(p.inv.n + 1, sizeof *mine);
    size_t nmine = 0;
    for (size_t i = 0; i < p.inv.n; i++)
        if (p.inv.units[i].shard == sh.index)
            mine[nmine++] = &p.inv.units[i];
    tg_results res;
    tg_results_init(&res, "shard");
    res.shard_index = sh.index;
    res.shard_total = sh.total;
    res.fingerprint = tg_strdup(p.plan.fingerprint);
    res.planned = (int)p.inv.n;
    res.planned_time = (double)p.plan.predicted_ms[sh.index - 1] / 1000.0;
    res.started = tg_strdup(started);
    cJSON *ids = cJSON_AddArrayToObject(res.extra, "units");
    for (size_t i = 0; i < nmine; i++)
        cJSON_AddItemToArray(ids, cJSON_CreateString(mine[i]->id));

    /* The progress pipe is this run's alone: tests that run tollgate
     * themselves must not inherit it (nor the variable naming it). */
    const char *pfdv = getenv("TOLLGATE_PROGRESS_FD");
    int progress_fd = pfdv ? atoi(pfdv) : -1;
    if (progress_fd > 2)
        fcntl(progress_fd, F_SETFD, FD_CLOEXEC);
    else
        progress_fd = -1;
    unsetenv("TOLLGATE_PROGRESS_FD");
    tg_run_opts o = {.cfg = &p.cfg,
                     .shard_index = sh.index,
                     .shard_total = sh.total,
                     .jobs = jobs ? jobs : p.cfg.jobs ? p.cfg.jobs : tg_ncpu(),
                     .out_dir = out_dir,
                     .progress_fd = progress_fd,
                     .quiet = quiet};
    char *self = self_exe(argv[0]);
    o.self_exe = self;
    if (!quiet)
        printf("tollgate: shard %d/%d (from %s): %zu of %zu tests, plan %s\n", sh.index, sh.total,
               sh.source, nmine, p.inv.n, p.plan.fingerprint);
    if (nmine == 0 && !quiet)
        printf("tollgate: this shard got no tests; it passes and says so\n");
    rc = tg_run_units(&o, mine, nmine, &res);
    res.duration = tg_now() - t0;
    tg_results_sort(&res);
    tg_results_count(&res);
    int blocking = res.totals.failed + res.totals.error + res.totals.timeout +
                   (p.cfg.flaky_blocks ? res.totals.flaky : 0);
    char title[64];
    snprintf(title, sizeof title, "Shard %d/%d", sh.index, sh.total);
    char *reason = blocking ? tg_asprintf("%d test(s) failed, errored or timed out", blocking) : NULL;
    tg_md_verdict v = {.title = title, .deploy = !blocking, .reasons = &reason,
                       .nreasons = reason ? 1 : 0};
    int jenkins = style ? strcmp(style, "jenkins") == 0 : p.cfg.junit_jenkins;
    int wrc = tg_reports_write(&res, out_dir, &v, jenkins, 0);
    if (!quiet)
        printf("tollgate: reports in %s/\n", out_dir);
    tg_print_count(&res);
    free(reason);
    tg_results_free(&res);
    free(mine);
    free(self);
    free(out_dir);
    free_plan(&p);
    if (wrc != TG_OK)
        return TG_EXIT_INTERNAL;
    if (rc != TG_OK)
        return tg_exit_code(rc);
    return blocking ? TG_EXIT_FAIL : TG_EXIT_OK;
}
