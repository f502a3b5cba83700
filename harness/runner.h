/*
 * runner.h: runs a shard's units, each in its own process group.
 *
 * Up to `jobs` processes at once. Each gets a timeout (its suite's), after
 * which its whole process group gets SIGTERM (so a coverage build can flush
 * its counters) and, a grace period later, SIGKILL. Output (stdout and
 * stderr together) is captured, capped to the last `output_cap` bytes and
 * cleaned of control characters. A crash is recorded with its signal, a
 * timeout as a timeout; neither stops the run. A test that blocks and has
 * retries left runs again; one that then passes is flaky.
 *
 * Services that the suites need are started first (services.h) and stopped
 * however the run ends. SIGINT and SIGTERM stop the run: what finished is
 * kept, the rest is recorded as errors ("not run: interrupted").
 *
 * The results are appended to `res` (which the caller owns).
 */
#ifndef TG_RUNNER_H
#define TG_RUNNER_H

#include "config.h"
#include "inventory.h"
#include "results.h"

typedef struct tg_run_opts {
    const tg_config *cfg;
    int shard_index, shard_total;
    int jobs;             /* >= 1 */
    const char *out_dir;  /* service logs go under out_dir/services */
    const char *self_exe; /* this tollgate, for smoke units */
    int progress_fd;      /* "done total blocking\n" lines after each unit; -1: none */
    int quiet;            /* no per-failure lines on stdout */
    double grace;         /* seconds between SIGTERM and SIGKILL; default 1 */
} tg_run_opts;

/* Runs units (they may come from any suites of cfg). Returns 0 when every unit
 * was run (whatever its result), or a negative TG_E* when the run could not
 * happen at all. */
int tg_run_units(const tg_run_opts *o, tg_unit *const *units, size_t n, tg_results *res);

/* Reads TAP from text into tests of res named PREFIX/N-description. */
void tg_parse_tap(const char *text, const char *prefix, const char *suite, const char *unit,
                  tg_results *res);

#endif
