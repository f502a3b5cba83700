/*
 * gate.h: merges shard outputs and decides whether the deploy may go.
 *
 * The gate fails closed (SPEC.md): it blocks, naming each reason, when a
 * shard is missing, duplicated, from another plan or unreadable; a results
 * file is truncated, malformed or of an unknown format; a planned test is
 * missing, ran twice or ran without being planned; a test failed, errored or
 * timed out (or was flaky, when the policy says so); lint found errors; a
 * smoke check failed; coverage is under its minimum; no test ran at all.
 */
#ifndef TG_GATE_H
#define TG_GATE_H

#include "config.h"
#include "results.h"

typedef struct tg_gate_input {
    char *const *dirs; /* folders holding a results.json */
    int ndirs;
    int shards;        /* expected shard count; 0: take it from the shards */
    const tg_config *cfg; /* policy; may be NULL (defaults) */
    const char *out_dir;  /* where merged coverage goes; may be NULL: no coverage */
} tg_gate_input;

typedef struct tg_gate_verdict {
    int deploy;
    char **reasons;
    int nreasons;
    int expected;
    int *found;        /* shard indexes found, sorted */
    int nfound;
    char **missing;    /* planned tests with no result */
    int nmissing;
    char **duplicated; /* tests with more than one result */
    int nduplicated;
    int lint_errors, lint_warnings, have_lint;
    int smoke_passed, smoke_failed, have_smoke;
    double *planned, *actual; /* per expected shard, seconds */
    int *shard_tests;
    tg_results merged; /* every test, kind "gate" */
} tg_gate_verdict;

/* Decides. Never fails: what cannot be read becomes a reason to block. */
void tg_gate_decide(const tg_gate_input *in, tg_gate_verdict *v);
void tg_gate_verdict_free(tg_gate_verdict *v);
/* verdict.json's text; the caller frees. */
char *tg_gate_verdict_json(const tg_gate_verdict *v);

#endif
