/*
 * report_markdown.h: the Markdown health report (summary.md) of a shard or
 * of the gate, from a tg_results and the verdict. It stays under GitHub's
 * 1 MiB job-summary limit: long sections are cut with a note.
 *
 * Reads its inputs only; the rendered string is the caller's to free.
 */
#ifndef TG_REPORT_MARKDOWN_H
#define TG_REPORT_MARKDOWN_H

#include "results.h"

#define TG_MARKDOWN_MAX (1000 * 1024)

typedef struct tg_md_shard {
    int index;
    int present;
    int tests;
    double planned, actual; /* seconds */
} tg_md_shard;

typedef struct tg_md_verdict {
    const char *title;    /* "Gate", "Shard 2/4", ... */
    int deploy;           /* 1 allowed, 0 blocked */
    char *const *reasons; /* why it is blocked */
    int nreasons;
    const tg_md_shard *shards; /* gate: per-shard times; may be NULL */
    int nshards;
    const char *sections; /* extra Markdown (coverage, lint, smoke), may be NULL */
} tg_md_verdict;

char *tg_markdown_render(const tg_results *r, const tg_md_verdict *v);
/* Appends the report to $GITHUB_STEP_SUMMARY when it is set. */
void tg_markdown_step_summary(const char *md);

#endif
