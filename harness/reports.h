/*
 * reports.h: writes a verb's report folder: results.json, junit.xml and
 * summary.md, each atomically, then (in GitHub Actions) the annotations and
 * the job summary.
 */
#ifndef TG_REPORTS_H
#define TG_REPORTS_H

#include "report_markdown.h"
#include "results.h"

/* step_summary: also append summary.md to $GITHUB_STEP_SUMMARY. */
int tg_reports_write(const tg_results *r, const char *dir, const tg_md_verdict *v, int jenkins,
                     int step_summary);
/* Prints the count line CI systems read: "tollgate: N passed, N failed, N skipped". */
void tg_print_count(const tg_results *r);

#endif
