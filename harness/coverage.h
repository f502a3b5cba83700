/*
 * coverage.h: gcov coverage, from the .gcda files of a build to the gate.
 *
 * The pipeline, one file per step:
 *   coverage_gcov.c    collect: find the .gcno/.gcda of a build, check their
 *                      structure, run `gcov --json-format --stdout` over them
 *                      in batches (one worker thread and gcov process per
 *                      core, each parsing its own batch), apply lcov's
 *                      exclusion markers, and compute the build identity (a
 *                      hash of the .gcno records, the compile stamp, folder
 *                      and function ids left out) that merge checks.
 *   coverage.c         the model: per source file, counts per line, per
 *                      function and per branch; sums (merge), totals, and the
 *                      coverage.json form ("format": "tollgate-coverage/1").
 *   coverage_report.c  lcov .info, Cobertura XML, thresholds, the gate's
 *                      "coverage" section, its Markdown and the history file.
 *   coverage_cli.c     the `tollgate coverage collect|merge|report` verb.
 *
 * Counting follows lcov (geninfo's JSON reader), so totals agree with
 * `lcov --capture`: a line is found when gcov reports it, hit when its count
 * is above 0; a function is keyed by name within its file; branch i of a line
 * is summed with branch i of the same line from other objects.
 *
 * Ownership: a tg_cov owns its files and everything in them; tg_cov_free()
 * releases all. Strings returned by the writers are the caller's to free.
 * Errors follow tg.h: 0 or a negative TG_E*, the message through tg_error().
 */
#ifndef TG_COVERAGE_H
#define TG_COVERAGE_H

#include "yamltree.h"

#include <cjson/cJSON.h>
#include <stddef.h>

#define TG_COV_FORMAT "tollgate-coverage/1"

/* A count of -1 means "instrumented, never reached" for a branch (lcov's
 * "-"); lines not instrumented are TG_COV_NOLINE. */
#define TG_COV_NOLINE (-1LL)

typedef struct tg_cov_func {
    char *name;
    int line, end_line;
    long long count;
} tg_cov_func;

typedef struct tg_cov_file {
    char *path;         /* relative to the repository root */
    long long *lines;   /* count per line number (index), TG_COV_NOLINE if none */
    long long **br;     /* per line number: branch counts, or NULL */
    int *nbr;           /* per line number: how many branches */
    int nlines;         /* size of lines/br/nbr: highest line + 1 */
    tg_cov_func *funcs;
    int nfuncs, capfuncs;
} tg_cov_file;

typedef struct tg_cov {
    tg_cov_file **files; /* in insertion order; tg_cov_sort() orders by path */
    size_t nfiles, cap;
    size_t *slots;       /* open-addressing index into files (+1), 0 = empty */
    size_t nslots;
    char *identity;      /* build identity, hex; NULL when unknown */
    char *gcov_version;  /* "12.2.0"; NULL when unknown */
    long ngcda;          /* data files collected (summed by merge) */
} tg_cov;

typedef struct tg_cov_count {
    long long found, hit;
} tg_cov_count;

typedef struct tg_cov_totals {
    tg_cov_count lines, functions, branches;
} tg_cov_totals;

void tg_cov_init(tg_cov *c);
void tg_cov_free(tg_cov *c);
/* The file with that path, created empty when absent. */
tg_cov_file *tg_cov_file_get(tg_cov *c, const char *path);
tg_cov_file *tg_cov_file_find(const tg_cov *c, const char *path);
void tg_cov_add_line(tg_cov_file *f, int line, long long count);
void tg_cov_add_func(tg_cov_file *f, const char *name, int line, int end_line, long long count);
/* Adds count (-1: not reached) to branch idx of line. */
void tg_cov_add_branch(tg_cov_file *f, int line, int idx, long long count);
/* Sums from into c (counts, functions, branches); identities must be checked
 * by the caller. */
void tg_cov_merge(tg_cov *c, const tg_cov *from);
/* Drops files whose path matches one of the fnmatch patterns. */
void tg_cov_exclude(tg_cov *c, char *const *patterns, int npatterns);
void tg_cov_sort(tg_cov *c);
/* Applies lcov's exclusion markers found in the file's source text, as
 * geninfo does: LCOV_EXCL_LINE and LCOV_EXCL_START..STOP drop the lines, their
 * branches and the functions that start on them; LCOV_EXCL_BR_LINE and
 * LCOV_EXCL_BR_START..STOP drop only branches. */
void tg_cov_apply_markers(tg_cov_file *f, const char *text, size_t len);
void tg_cov_file_totals(const tg_cov_file *f, tg_cov_totals *t);
void tg_cov_totals_of(const tg_cov *c, tg_cov_totals *t);
/* Percent of found that is hit; 100 when nothing was found. */
double tg_cov_pct(tg_cov_count n);
/* A percentage cut (never rounded) to one decimal, for display: 79.96% must
 * not read as "80.0% is under 80%". */
double tg_cov_pct_cut(double pct);

/* coverage.json: serialise (caller frees), write atomically, read back.
 * tg_cov_parse names the source `name` in its messages and refuses a
 * document that is truncated, of another format, or whose totals disagree
 * with its data. */
char *tg_cov_to_json(const tg_cov *c);
int tg_cov_write(const tg_cov *c, const char *path);
int tg_cov_parse(const char *text, size_t len, const char *name, tg_cov *c);
int tg_cov_read(const char *path, tg_cov *c);
/* Reads and sums coverage files; each path is a coverage.json or a folder
 * holding one (a folder without one is skipped when skip_missing, an error
 * otherwise). Refuses, naming both files, data of two different builds.
 * *nread tells how many were read; out is sorted. */
int tg_cov_merge_paths(char *const *paths, int npaths, int skip_missing, tg_cov *out, int *nread);

/* Collection (coverage_gcov.c). */
typedef struct tg_cov_collect_opts {
    const char *build;  /* folder searched for .gcno files */
    const char *gcda;   /* folder searched for .gcda files (GCOV_PREFIX); NULL: build */
    const char *root;   /* repository root; files outside it are left out; NULL: "." */
    const char *gcov;   /* the gcov program; NULL: $GCOV or "gcov" */
    int jobs;           /* gcov processes; 0: tg_ncpu() */
    int batch;          /* .gcda files per gcov call; 0: automatic */
    int limit_s;        /* seconds one gcov call may take; 0: 300 */
} tg_cov_collect_opts;

/* Fills out (sorted by path) or returns TG_EIO/TG_ECONFIG with every problem
 * said: no build folder, no .gcno or no .gcda, a .gcda without its .gcno or
 * damaged, gcov missing, of another version or failing. Never a silent 0%. */
int tg_cov_collect(const tg_cov_collect_opts *o, tg_cov *out);
/* The identity of the build under dir (hex, caller frees) and how many .gcno
 * files went into it. */
int tg_cov_build_identity(const char *dir, char **hex, long *ngcno);

/* Reports (coverage_report.c); each returns a string the caller frees. */
char *tg_cov_lcov(const tg_cov *c);
char *tg_cov_cobertura(const tg_cov *c);

/* Thresholds, from tollgate.yaml's `coverage:` map:
 *   min_line, min_function, min_branch   totals, percent (0-100)
 *   min_file_line                        every file's line coverage
 *   files: {PATTERN: {min_line: N}}      per-file minimums (fnmatch)
 *   exclude: [PATTERN, ...]              files left out of every figure
 *   history: PATH                        default .tollgate/coverage-history.json
 * A value below 0 means "no minimum". */
typedef struct tg_cov_policy {
    double min_line, min_function, min_branch, min_file_line;
    char **file_patterns;
    double *file_min_line;
    int nfile_rules;
    char **exclude;
    int nexclude;
    char *history;
} tg_cov_policy;

/* cfg may be NULL (no thresholds). cfg_file names the YAML in messages. */
int tg_cov_policy_read(const tg_ynode *cfg, const char *cfg_file, tg_cov_policy *p);
void tg_cov_policy_free(tg_cov_policy *p);

/* Fills section with the totals, the minimums, the least-covered files and,
 * when history is non-NULL, the previous total from it; appends one
 * tg_malloc'ed reason per threshold missed. */
void tg_cov_section(const tg_cov *c, const tg_cov_policy *p, const char *history,
                    cJSON *section, char ***reasons, int *nreasons);
/* Appends the section's totals to the history file (keeps the last 100). */
int tg_cov_history_record(const char *history, const cJSON *section);

/* Writes out_dir/{coverage.json,coverage.info,coverage.xml,summary.md}. */
int tg_cov_write_reports(const tg_cov *c, const cJSON *section, const char *out_dir);

/* For the gate: reads dirs[i]/coverage.json where present (none: returns 0
 * and leaves section empty), refuses shards of different builds, merges,
 * writes out_dir/coverage.{json,info,xml}, applies cfg's thresholds (cfg may
 * be NULL), fills section (verdict.json's "coverage") and appends a reason
 * for every threshold missed; records the total in the history file. */
int tg_coverage_gate(char *const *dirs, int ndirs, const char *out_dir, const tg_ynode *cfg,
                     cJSON *section, char ***reasons, int *nreasons);
/* The coverage part of the Markdown health report, from a filled section:
 * total, change against the last recorded total, the 10 least-covered files.
 * Returns a string the caller frees ("" for an empty section). */
char *tg_coverage_markdown(const cJSON *section);

/* The verb. */
int tg_cmd_coverage(int argc, char **argv);

#endif
