/*
 * results.h: the one data structure at the centre (results.json of SPEC.md).
 *
 * Every verb produces or consumes a tg_results: `run` fills one per shard,
 * `lint` and `smoke` fill one of their own kind, `gate` merges many. The
 * reporters (report_junit.c, report_markdown.c) only read it.
 *
 * Ownership: a tg_results owns every string and array in it, and the `extra`
 * cJSON object; tg_results_free() releases all of it. tg_results_add()
 * returns a zeroed test owned by the results (valid until the next add).
 */
#ifndef TG_RESULTS_H
#define TG_RESULTS_H

#include <cjson/cJSON.h>
#include <stddef.h>

#define TG_RESULTS_FORMAT "tollgate-results/1"

typedef enum {
    TG_ST_PASSED,
    TG_ST_FAILED,
    TG_ST_ERROR,
    TG_ST_TIMEOUT,
    TG_ST_SKIPPED,
    TG_ST_FLAKY,
    TG_ST__COUNT
} tg_status;

/* One failed attempt of a test that was retried. */
typedef struct tg_attempt {
    tg_status status; /* failed, error or timeout */
    double time;
    char *message;
} tg_attempt;

typedef struct tg_test {
    char *id;      /* SUITE/FILE/TCASE/TEST, or smoke/SPEC/CHECK */
    char *suite;   /* the suite name of tollgate.yaml */
    char *file;    /* source position, may be NULL */
    int line;      /* 0 when unknown */
    tg_status status;
    double time;   /* seconds of the final attempt, never negative */
    int attempts;  /* at least 1 */
    char *message; /* why it failed, "" when it passed */
    char *output;  /* captured output, cleaned and capped; may be NULL */
    int signal;    /* the signal that ended it, 0 if none */
    tg_attempt *tries; /* the failed attempts before the last one */
    int ntries;
    int shard;     /* set by the gate: the shard it came from */
    char *unit;    /* the plan unit that produced it, when not the test itself
                      (a whole executable, a smoke spec); NULL otherwise */
} tg_test;

typedef struct tg_totals {
    int passed, failed, error, timeout, skipped, flaky;
} tg_totals;

typedef struct tg_results {
    char *kind;          /* "shard", "gate", "lint", "smoke" */
    int shard_index;     /* 1-based; 0 when not a shard */
    int shard_total;
    char *fingerprint;   /* the plan's; may be NULL */
    int planned;         /* tests in the whole plan */
    double planned_time; /* predicted seconds for this shard */
    char *started;       /* RFC 3339 UTC */
    double duration;
    tg_totals totals;
    tg_test *tests;
    size_t ntests, cap;
    cJSON *extra; /* other top-level sections ("lint", "smoke", "coverage", ...) */
} tg_results;

const char *tg_status_name(tg_status s);
/* Returns 0 and sets *s, or TG_EFORMAT for an unknown name. */
int tg_status_parse(const char *name, tg_status *s);
/* failed, error, timeout: the statuses that block a deploy. */
int tg_status_blocks(tg_status s);

void tg_results_init(tg_results *r, const char *kind);
void tg_results_free(tg_results *r);
tg_test *tg_results_add(tg_results *r);
/* Takes over a finished test (its strings) and appends it. */
void tg_results_push(tg_results *r, tg_test *t);
void tg_test_free(tg_test *t);
void tg_test_add_try(tg_test *t, tg_status st, double time, const char *message);
/* Recomputes r->totals from the tests. */
void tg_results_count(tg_results *r);
/* Sorts tests by id, byte-wise. */
void tg_results_sort(tg_results *r);

/* Serialises to results.json's form; the caller frees the string. */
char *tg_results_to_json(const tg_results *r);
/* Writes path atomically. */
int tg_results_write(const tg_results *r, const char *path);
/* Reads and checks a results.json. On failure returns TG_EIO or TG_EFORMAT and
 * puts a one-line reason in why (caller frees); r is then empty but valid. */
int tg_results_read(const char *path, tg_results *r, char **why);
int tg_results_parse(const char *text, size_t len, tg_results *r, char **why);

#endif
