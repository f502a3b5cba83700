/* report_markdown.c: see report_markdown.h. */
#include "report_markdown.h"
#include "inventory.h"
#include "tg.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_FAILURES 50
#define MAX_FLAKY 50
#define SLOWEST 10

/* Markdown table cells: no pipes or newlines, bounded length. */
static void cell(tg_buf *b, const char *s, size_t max)
{
    if (!s)
        return;
    char *clean = tg_clean_text(s, strlen(s));
    size_t n = 0;
    for (const char *p = clean; *p && n < max; p++, n++) {
        if (*p == '|')
            tg_buf_adds(b, "\\|");
        else if (*p == '\n' || *p == '\t')
            tg_buf_adds(b, " ");
        else if (*p == '<')
            tg_buf_adds(b, "&lt;");
        else if (*p == '`')
            tg_buf_adds(b, "'");
        else
            tg_buf_add(b, p, 1);
    }
    if (strlen(clean) > max)
        tg_buf_adds(b, "…");
    free(clean);
}

typedef struct {
    const char *suite;
    tg_totals t;
    double time;
} suite_row;

static int cmp_time_desc(const void *a, const void *b)
{
    const tg_test *x = *(const tg_test *const *)a, *y = *(const tg_test *const *)b;
    if (x->time != y->time)
        return x->time > y->time ? -1 : 1;
    return strcmp(x->id, y->id);
}

static void add_totals_row(tg_buf *b, const char *name, const tg_totals *t, double time)
{
    tg_buf_adds(b, "| ");
    cell(b, name, 80);
    tg_buf_addf(b, " | %d | %d | %d | %d | %d | %d | %.3fs |\n", t->passed, t->failed, t->error,
                t->timeout, t->skipped, t->flaky, time);
}

static void count_into(tg_totals *t, tg_status s)
{
    switch (s) {
    case TG_ST_PASSED: t->passed++; break;
    case TG_ST_FAILED: t->failed++; break;
    case TG_ST_ERROR: t->error++; break;
    case TG_ST_TIMEOUT: t->timeout++; break;
    case TG_ST_SKIPPED: t->skipped++; break;
    case TG_ST_FLAKY: t->flaky++; break;
    default: t->error++;
    }
}

static void provenance(tg_buf *b)
{
    const char *sha = getenv("GITHUB_SHA"), *server = getenv("GITHUB_SERVER_URL"),
               *repo = getenv("GITHUB_REPOSITORY"), *run = getenv("GITHUB_RUN_ID"),
               *ref = getenv("GITHUB_REF_NAME");
    tg_buf_adds(b, "\n### Where this run came from\n\n");
    if (sha && *sha)
        tg_buf_addf(b, "- commit `%.40s`%s%s\n", sha, ref ? " on " : "", ref ? ref : "");
    if (server && repo && run)
        tg_buf_addf(b, "- run: %s/%s/actions/runs/%s\n", server, repo, run);
    if (!(sha && *sha)) {
        char *argv[] = {"/usr/bin/git", "rev-parse", "--short=12", "HEAD", NULL};
        struct stat st;
        if (stat(argv[0], &st) == 0) {
            char *out = NULL;
            if (tg_capture_output(argv, 5, &out) == 0 && out && *out) {
                out[strcspn(out, "\n")] = '\0';
                tg_buf_addf(b, "- local run at commit `%s`\n", out);
            } else {
                tg_buf_adds(b, "- local run (not a git checkout)\n");
            }
            free(out);
        }
    }
}

char *tg_markdown_render(const tg_results *r, const tg_md_verdict *v)
{
    tg_buf b;
    tg_buf_init(&b);
    tg_buf_addf(&b, "## %s %s: %s\n\n", v->deploy ? "✅" : "⛔", v->title ? v->title : "tollgate",
                v->deploy ? "deploy allowed" : "deploy blocked");
    for (int i = 0; i < v->nreasons; i++) {
        tg_buf_adds(&b, "- ");
        cell(&b, v->reasons[i], 400);
        tg_buf_adds(&b, "\n");
    }
    if (v->nreasons)
        tg_buf_adds(&b, "\n");
    tg_buf_addf(&b,
                "**%d passed, %d failed, %d errors, %d timed out, %d skipped, %d flaky** in "
                "%.3fs\n\n",
                r->totals.passed, r->totals.failed, r->totals.error, r->totals.timeout,
                r->totals.skipped, r->totals.flaky, r->duration);

    /* Totals per suite. */
    suite_row *rows = tg_calloc(r->ntests + 1, sizeof *rows);
    int nrows = 0;
    for (size_t i = 0; i < r->ntests; i++) {
        const tg_test *t = &r->tests[i];
        const char *s = t->suite && *t->suite ? t->suite : "tests";
        int k = 0;
        while (k < nrows && strcmp(rows[k].suite, s) != 0)
            k++;
        if (k == nrows)
            rows[nrows++].suite = s;
        count_into(&rows[k].t, t->status);
        rows[k].time += t->time;
    }
    tg_buf_adds(&b, "### Suites\n\n| suite | passed | failed | error | timeout | skipped | flaky "
                    "| time |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (int k = 0; k < nrows; k++)
        add_totals_row(&b, rows[k].suite, &rows[k].t, rows[k].time);
    free(rows);

    if (v->shards && v->nshards > 0) {
        tg_buf_adds(&b, "\n### Shards\n\n| shard | tests | planned | actual |\n|---:|---:|---:|---:|\n");
        double maxv = 1;
        for (int s = 0; s < v->nshards; s++) {
            const tg_md_shard *sh = &v->shards[s];
            if (sh->present)
                tg_buf_addf(&b, "| %d | %d | %.3fs | %.3fs |\n", sh->index, sh->tests,
                            sh->planned, sh->actual);
            else
                tg_buf_addf(&b, "| %d | — | — | missing |\n", sh->index);
            if (sh->planned > maxv)
                maxv = sh->planned;
            if (sh->actual > maxv)
                maxv = sh->actual;
        }
        tg_buf_adds(&b, "\n```mermaid\nxychart-beta\n    title \"Shard time (s): planned vs "
                        "actual\"\n    x-axis [");
        for (int s = 0; s < v->nshards; s++)
            tg_buf_addf(&b, "%s\"%d\"", s ? ", " : "", v->shards[s].index);
        tg_buf_addf(&b, "]\n    y-axis \"seconds\" 0 --> %.3f\n    bar [", maxv * 1.1);
        for (int s = 0; s < v->nshards; s++)
            tg_buf_addf(&b, "%s%.3f", s ? ", " : "", v->shards[s].planned);
        tg_buf_adds(&b, "]\n    line [");
        for (int s = 0; s < v->nshards; s++)
            tg_buf_addf(&b, "%s%.3f", s ? ", " : "", v->shards[s].actual);
        tg_buf_adds(&b, "]\n```\n\nBars: planned; line: actual.\n");
    }

    int nfail = 0;
    for (size_t i = 0; i < r->ntests; i++)
        nfail += tg_status_blocks(r->tests[i].status);
    if (nfail) {
        tg_buf_addf(&b, "\n### Failures (%d)\n\n| test | where | status | message |\n|---|---|---|---|\n",
                    nfail);
        int shown = 0;
        for (size_t i = 0; i < r->ntests && shown < MAX_FAILURES; i++) {
            const tg_test *t = &r->tests[i];
            if (!tg_status_blocks(t->status))
                continue;
            shown++;
            tg_buf_adds(&b, "| `");
            cell(&b, t->id, 200);
            tg_buf_adds(&b, "` | ");
            if (t->file) {
                cell(&b, t->file, 200);
                tg_buf_addf(&b, ":%d", t->line);
            }
            tg_buf_addf(&b, " | %s | ", tg_status_name(t->status));
            cell(&b, t->message, 300);
            tg_buf_adds(&b, " |\n");
        }
        if (nfail > shown)
            tg_buf_addf(&b, "\n…and %d more in results.json.\n", nfail - shown);
    }

    if (r->totals.flaky) {
        tg_buf_addf(&b, "\n### Flaky (%d): failed, then passed on a retry\n\n| test | attempts | "
                        "first failure |\n|---|---:|---|\n",
                    r->totals.flaky);
        int shown = 0;
        for (size_t i = 0; i < r->ntests && shown < MAX_FLAKY; i++) {
            const tg_test *t = &r->tests[i];
            if (t->status != TG_ST_FLAKY)
                continue;
            shown++;
            tg_buf_adds(&b, "| `");
            cell(&b, t->id, 200);
            tg_buf_addf(&b, "` | %d | ", t->attempts);
            cell(&b, t->ntries ? t->tries[0].message : "", 300);
            tg_buf_adds(&b, " |\n");
        }
    }

    if (r->ntests) {
        const tg_test **order = tg_malloc(r->ntests * sizeof *order);
        for (size_t i = 0; i < r->ntests; i++)
            order[i] = &r->tests[i];
        qsort(order, r->ntests, sizeof *order, cmp_time_desc);
        size_t n = r->ntests < SLOWEST ? r->ntests : SLOWEST;
        tg_buf_addf(&b, "\n### Slowest %zu\n\n| test | time |\n|---|---:|\n", n);
        for (size_t i = 0; i < n; i++) {
            tg_buf_adds(&b, "| `");
            cell(&b, order[i]->id, 200);
            tg_buf_addf(&b, "` | %.3fs |\n", order[i]->time);
        }
        free(order);
    }
    if (v->sections && *v->sections) {
        tg_buf_adds(&b, "\n");
        tg_buf_adds(&b, v->sections);
    }
    provenance(&b);
    if (b.len > TG_MARKDOWN_MAX) {
        const char *note = "\n\n…report cut to stay under GitHub's 1 MiB summary limit; "
                           "results.json has everything.\n";
        size_t keep = TG_MARKDOWN_MAX - strlen(note);
        while (keep > 0 && ((unsigned char)b.data[keep] & 0xC0) == 0x80)
            keep--; /* never split a UTF-8 character */
        b.len = keep;
        b.data[keep] = '\0';
        tg_buf_adds(&b, note);
    }
    return tg_buf_steal(&b);
}

void tg_markdown_step_summary(const char *md)
{
    const char *path = getenv("GITHUB_STEP_SUMMARY");
    if (!path || !*path)
        return;
    FILE *f = fopen(path, "a");
    if (!f) {
        tg_warn(path, 0, "cannot append the job summary");
        return;
    }
    fputs(md, f);
    fputs("\n", f);
    fclose(f);
}
