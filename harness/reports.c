/* reports.c: see reports.h. */
#include "reports.h"
#include "report_github.h"
#include "report_junit.h"
#include "tg.h"

#include <stdlib.h>
#include <string.h>

int tg_reports_write(const tg_results *r, const char *dir, const tg_md_verdict *v, int jenkins,
                     int step_summary)
{
    int rc = tg_mkdirs(dir);
    if (rc != TG_OK)
        return rc;
    char *path = tg_asprintf("%s/results.json", dir);
    rc = tg_results_write(r, path);
    free(path);
    if (rc == TG_OK) {
        path = tg_asprintf("%s/junit.xml", dir);
        rc = tg_junit_write(r, path, jenkins);
        free(path);
    }
    if (rc == TG_OK) {
        char *md = tg_markdown_render(r, v);
        path = tg_asprintf("%s/summary.md", dir);
        rc = tg_write_file_atomic(path, md, strlen(md));
        free(path);
        if (step_summary)
            tg_markdown_step_summary(md);
        free(md);
    }
    if (tg_github_active())
        tg_github_annotate(r, stdout);
    return rc;
}

void tg_print_count(const tg_results *r)
{
    const tg_totals *t = &r->totals;
    /* Errors and timeouts are failures to a CI reader; flaky tests passed. */
    printf("tollgate: %d passed, %d failed, %d skipped\n", t->passed + t->flaky,
           t->failed + t->error + t->timeout, t->skipped);
    fflush(stdout);
}
