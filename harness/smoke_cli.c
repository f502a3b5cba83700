/* smoke_cli.c: the `smoke` and `monitor` verbs (smoke.h): flags, specs,
 * exit codes. */
#include "smoke.h"
#include "tg.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *url;
    const char **specs;
    size_t nspecs;
    tg_smoke_opts run;
    const char *out;
    int jenkins;
    /* monitor only */
    double every;
    int rounds, fail_after;
} cli;

static const char smoke_usage[] =
    "usage: tollgate smoke [URL] [--spec FILE...] [--retries N] [--interval D] [--timeout D]\n"
    "                      [--out DIR] [--junit-style default|jenkins] [--quiet]\n"
    "\n"
    "Verifies a live deployment. URL is the base URL relative check paths are joined to\n"
    "(default: the spec's base_url, then $TARGET_URL). With no spec, checks that\n"
    "GET URL/health answers 200.\n"
    "  --spec FILE      a smoke spec (YAML); repeat, or list several after one --spec\n"
    "  --retries N      try each check at most N times (default 12)\n"
    "  --interval D     wait between tries, like 10s or 250ms (default 10s)\n"
    "  --timeout D      per-request timeout (default 10s)\n"
    "  --out DIR        where results.json, junit.xml and summary.md go (default reports/smoke)\n"
    "  --junit-style S  default, or jenkins for the Jenkins JUnit schema\n"
    "  --quiet          no line per check\n"
    "A spec's or a check's own retries/interval/timeout win over these flags.\n"
    "Exit: 0 all passed (flaky counts as passed), 1 a check failed, 2 bad spec, URL or flag,\n"
    "3 internal error.\n";

static const char monitor_usage[] =
    "usage: tollgate monitor URL --every D [--rounds N] [--fail-after K] [--spec FILE...]\n"
    "                        [--retries N] [--interval D] [--timeout D] [--out DIR]\n"
    "\n"
    "Runs a smoke round every D (like 15m) and writes DIR/health.md (the health report),\n"
    "DIR/history.json (rolling history: availability, latency per round, last failure) and the\n"
    "last round's results.json, junit.xml and summary.md (default DIR reports/monitor).\n"
    "  --rounds N       stop after N rounds (default: until SIGINT or SIGTERM)\n"
    "  --fail-after K   exit 1 after K unhealthy rounds in a row (default 1)\n"
    "SIGINT and SIGTERM stop it after writing the report.\n";

/* "--flag value" or "--flag=value". Returns the value or NULL (and says so). */
static const char *flag_value(int argc, char **argv, int *i, const char *flag)
{
    size_t n = strlen(flag);
    if (!strncmp(argv[*i], flag, n) && argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (*i + 1 >= argc) {
        tg_error(NULL, 0, "%s needs a value", flag);
        return NULL;
    }
    return argv[++*i];
}

static int is_flag(const char *arg, const char *flag)
{
    size_t n = strlen(flag);
    return !strncmp(arg, flag, n) && (arg[n] == '\0' || arg[n] == '=');
}

static int parse_count(const char *flag, const char *v, int lo, int *out)
{
    char *end;
    long n = v ? strtol(v, &end, 10) : 0;
    if (!v || end == v || *end || n < lo || n > 1000000) {
        tg_error(NULL, 0, "%s takes a whole number of at least %d, not '%s'", flag, lo,
                 v ? v : "");
        return TG_EUSAGE;
    }
    *out = (int)n;
    return 0;
}

static int parse_dur(const char *flag, const char *v, int positive, double *out)
{
    if (!v || tg_parse_duration(v, out) != 0 || (positive && *out <= 0)) {
        tg_error(NULL, 0, "%s takes a duration like 10s, 250ms or 15m, not '%s'", flag,
                 v ? v : "");
        return TG_EUSAGE;
    }
    return 0;
}

/* Returns 0, 1 for --help (printed), or TG_EUSAGE. */
static int parse_cli(int argc, char **argv, cli *c, int monitor)
{
    memset(c, 0, sizeof *c);
    c->specs = tg_calloc((size_t)argc + 1, sizeof *c->specs);
    c->run.interval = -1;
    c->out = monitor ? "reports/monitor" : "reports/smoke";
    c->fail_after = 1;
    int in_specs = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        int rc = 0;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(monitor ? monitor_usage : smoke_usage, stdout);
            return 1;
        } else if (is_flag(a, "--spec")) {
            if (!(v = flag_value(argc, argv, &i, "--spec")))
                return TG_EUSAGE;
            c->specs[c->nspecs++] = v;
            in_specs = 1;
            continue;
        } else if (is_flag(a, "--retries")) {
            rc = parse_count("--retries", flag_value(argc, argv, &i, a), 1, &c->run.tries);
        } else if (is_flag(a, "--interval")) {
            rc = parse_dur("--interval", flag_value(argc, argv, &i, a), 0, &c->run.interval);
        } else if (is_flag(a, "--timeout")) {
            rc = parse_dur("--timeout", flag_value(argc, argv, &i, a), 1, &c->run.timeout);
        } else if (is_flag(a, "--out")) {
            if (!(c->out = flag_value(argc, argv, &i, "--out")) || !*c->out)
                return TG_EUSAGE;
        } else if (is_flag(a, "--junit-style") && !monitor) {
            v = flag_value(argc, argv, &i, "--junit-style");
            if (!v || (strcmp(v, "default") && strcmp(v, "jenkins"))) {
                tg_error(NULL, 0, "--junit-style is default or jenkins");
                return TG_EUSAGE;
            }
            c->jenkins = !strcmp(v, "jenkins");
        } else if (is_flag(a, "--quiet")) {
            c->run.quiet = 1;
        } else if (monitor && is_flag(a, "--every")) {
            rc = parse_dur("--every", flag_value(argc, argv, &i, a), 1, &c->every);
        } else if (monitor && is_flag(a, "--rounds")) {
            rc = parse_count("--rounds", flag_value(argc, argv, &i, a), 1, &c->rounds);
        } else if (monitor && is_flag(a, "--fail-after")) {
            rc = parse_count("--fail-after", flag_value(argc, argv, &i, a), 1, &c->fail_after);
        } else if (a[0] == '-' && a[1]) {
            tg_error(NULL, 0, "unknown flag '%s' (tollgate %s --help lists them)", a, argv[0]);
            return TG_EUSAGE;
        } else if (in_specs && !strstr(a, "://")) {
            c->specs[c->nspecs++] = a; /* --spec a.yaml b.yaml */
            continue;
        } else if (!c->url) {
            c->url = a;
        } else {
            tg_error(NULL, 0, "one URL only; '%s' is a second one", a);
            return TG_EUSAGE;
        }
        if (rc != 0)
            return TG_EUSAGE;
        in_specs = 0;
    }
    c->run.base_url = c->url;
    if (monitor && !c->url) {
        tg_error(NULL, 0, "monitor needs the URL to watch (tollgate monitor URL --every 15m)");
        return TG_EUSAGE;
    }
    if (monitor && c->every <= 0) {
        tg_error(NULL, 0, "monitor needs --every D, like --every 15m");
        return TG_EUSAGE;
    }
    if (!c->url && c->nspecs == 0 && !getenv("TARGET_URL")) {
        tg_error(NULL, 0, "give the URL to check (tollgate smoke https://app.example.com) or a "
                          "--spec");
        return TG_EUSAGE;
    }
    return 0;
}

static int load_specs(const cli *c, tg_smoke_spec ***out, size_t *n)
{
    size_t count = c->nspecs ? c->nspecs : 1;
    tg_smoke_spec **specs = tg_calloc(count, sizeof *specs);
    int rc = 0;
    if (c->nspecs == 0)
        specs[0] = tg_smoke_spec_default();
    for (size_t i = 0; i < c->nspecs; i++) {
        int r = tg_smoke_spec_load(c->specs[i], &specs[i]);
        if (r != 0 && rc == 0)
            rc = r;
    }
    /* Two specs with one base name would give colliding ids. */
    for (size_t i = 0; i < count && rc == 0; i++)
        for (size_t k = 0; k < i && specs[i] && specs[k]; k++)
            if (!strcmp(specs[i]->name, specs[k]->name)) {
                tg_error(specs[i]->path, 0, "has the same name as %s; ids smoke/%s/... would "
                                            "collide, rename one", specs[k]->path, specs[i]->name);
                rc = TG_ECONFIG;
            }
    *out = specs;
    *n = count;
    return rc;
}

static void free_specs(tg_smoke_spec **specs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        tg_smoke_spec_free(specs[i]);
    free(specs);
}

/* Flags and specs, shared by both verbs. Returns -1 to go on, or the exit
 * code to stop with (everything then freed). */
static int prepare(int argc, char **argv, int monitor, cli *c, tg_smoke_spec ***specs,
                   size_t *n)
{
    int rc = parse_cli(argc, argv, c, monitor);
    if (rc != 0) {
        free(c->specs);
        return rc == 1 ? TG_EXIT_OK : TG_EXIT_USAGE;
    }
    rc = load_specs(c, specs, n);
    if (rc != 0) {
        free_specs(*specs, *n);
        free(c->specs);
        return tg_exit_code(rc);
    }
    return -1;
}

int tg_cmd_smoke(int argc, char **argv)
{
    cli c;
    tg_smoke_spec **specs;
    size_t n;
    int stop = prepare(argc, argv, 0, &c, &specs, &n);
    if (stop >= 0)
        return stop;
    tg_smoke_run_result res;
    int rc = tg_smoke_run(specs, n, &c.run, &res);
    int exit_code = tg_exit_code(rc);
    if (rc == 0) {
        int wr = tg_smoke_write_outputs(&res, c.out, c.jenkins);
        int passed = 0, failed = 0, skipped = 0;
        for (size_t i = 0; i < res.n; i++) {
            tg_status st = res.outcomes[i].status;
            passed += st == TG_ST_PASSED || st == TG_ST_FLAKY;
            skipped += st == TG_ST_SKIPPED;
            failed += tg_status_blocks(st);
        }
        exit_code = wr != 0 ? TG_EXIT_INTERNAL
                    : failed || res.interrupted ? TG_EXIT_FAIL
                                                : TG_EXIT_OK;
        if (wr == 0 && !c.run.quiet)
            printf("smoke: wrote %s/results.json, junit.xml, summary.md\n", c.out);
        printf("tollgate: %d passed, %d failed, %d skipped\n", passed, failed, skipped);
        fflush(stdout);
    }
    tg_smoke_run_result_free(&res);
    free_specs(specs, n);
    free(c.specs);
    return exit_code;
}

static volatile sig_atomic_t monitor_stop;

static void on_stop_signal(int sig)
{
    monitor_stop = sig;
}

int tg_cmd_monitor(int argc, char **argv)
{
    cli c;
    tg_smoke_spec **specs;
    size_t n;
    int stop = prepare(argc, argv, 1, &c, &specs, &n);
    if (stop >= 0)
        return stop;
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    monitor_stop = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    c.run.stop = &monitor_stop;
    tg_smoke_monitor_opts m = {.url = c.url, .every = c.every, .rounds = c.rounds,
                               .fail_after = c.fail_after, .out = c.out,
                               .jenkins_style = c.jenkins};
    int code = tg_smoke_monitor(specs, n, &c.run, &m);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    free_specs(specs, n);
    free(c.specs);
    return code;
}
