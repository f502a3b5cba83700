/* smoke_report.c: a smoke run as results.json, junit.xml and summary.md
 * (smoke.h). Strings are masked when they enter the results and the
 * rendered documents are masked again before they are written, so a secret
 * that reached a report through any path is still caught. */
#include "report_junit.h"
#include "smoke.h"
#include "tg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double round3(double v)
{
    return isfinite(v) ? round(v * 1000.0) / 1000.0 : 0;
}

static cJSON *latency_json(const tg_smoke_latency *l)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "n", l->n);
    if (l->n > 0) {
        cJSON_AddNumberToObject(o, "min", round3(l->min));
        cJSON_AddNumberToObject(o, "p50", round3(l->p50));
        cJSON_AddNumberToObject(o, "p95", round3(l->p95));
        cJSON_AddNumberToObject(o, "p99", round3(l->p99));
        cJSON_AddNumberToObject(o, "max", round3(l->max));
        cJSON_AddNumberToObject(o, "mean", round3(l->mean));
    }
    return o;
}

void tg_smoke_to_results(const tg_smoke_run_result *res, tg_results *r)
{
    const tg_smoke_secrets *sec = &res->secrets;
    free(r->started);
    r->started = tg_strdup(res->started);
    r->duration = res->duration;
    cJSON *smoke = cJSON_CreateObject();
    cJSON *checks = cJSON_CreateArray();
    int passed = 0, failed = 0, flaky = 0, skipped = 0;
    for (size_t i = 0; i < res->n; i++) {
        const tg_smoke_outcome *o = &res->outcomes[i];
        tg_test *t = tg_results_add(r);
        t->id = tg_smoke_mask(sec, o->id);
        t->suite = tg_strdup("smoke");
        t->file = o->file ? tg_strdup(o->file) : NULL;
        t->line = o->file ? o->line : 0;
        t->status = o->status;
        t->time = o->time;
        t->attempts = o->attempts;
        t->message = tg_smoke_mask(sec, o->message);
        for (int k = 0; k < o->ntries; k++) {
            char *m = tg_smoke_mask(sec, o->tries[k].message);
            tg_test_add_try(t, o->tries[k].status, o->tries[k].time, m);
            free(m);
        }
        if (o->status == TG_ST_PASSED || o->status == TG_ST_FLAKY)
            passed++;
        else if (o->status == TG_ST_SKIPPED)
            skipped++;
        else
            failed++;
        flaky += o->status == TG_ST_FLAKY;
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "id", t->id);
        cJSON_AddStringToObject(c, "status", tg_status_name(o->status));
        cJSON_AddNumberToObject(c, "attempts", o->attempts);
        if (o->http_status)
            cJSON_AddNumberToObject(c, "http_status", o->http_status);
        cJSON_AddItemToObject(c, "latency_ms", latency_json(&o->latency));
        if (o->load_requests) {
            cJSON_AddNumberToObject(c, "requests", o->load_requests);
            cJSON_AddNumberToObject(c, "error_rate", round3(o->error_rate));
        }
        if (o->cert_days >= 0)
            cJSON_AddNumberToObject(c, "tls_days_left", o->cert_days);
        cJSON_AddStringToObject(c, "message", t->message);
        cJSON_AddItemToArray(checks, c);
    }
    /* The gate reads passed/failed: flaky counts as passed, as SPEC.md says. */
    cJSON_AddNumberToObject(smoke, "passed", passed);
    cJSON_AddNumberToObject(smoke, "failed", failed);
    cJSON_AddNumberToObject(smoke, "flaky", flaky);
    cJSON_AddNumberToObject(smoke, "skipped", skipped);
    if (res->interrupted)
        cJSON_AddTrueToObject(smoke, "interrupted");
    cJSON_AddItemToObject(smoke, "checks", checks);
    cJSON_DeleteItemFromObjectCaseSensitive(r->extra, "smoke");
    cJSON_AddItemToObject(r->extra, "smoke", smoke);
    r->planned = (int)res->n;
    tg_results_count(r);
}

/* Markdown table cells: no pipes or line breaks. */
static void add_cell(tg_buf *b, const char *s, size_t cap)
{
    size_t n = 0;
    for (const char *p = s; *p && n < cap; p++, n++) {
        if (*p == '|')
            tg_buf_adds(b, "\\|");
        else if (*p == '\n' || *p == '\r')
            tg_buf_adds(b, " ");
        else
            tg_buf_add(b, p, 1);
    }
    if (strlen(s) > cap)
        tg_buf_adds(b, "...");
}

static const char *status_mark(tg_status s)
{
    switch (s) {
    case TG_ST_PASSED: return "passed";
    case TG_ST_FLAKY: return "flaky (passed after retries)";
    case TG_ST_SKIPPED: return "skipped";
    case TG_ST_ERROR: return "**error**";
    default: return "**failed**";
    }
}

char *tg_smoke_summary_md(const tg_smoke_run_result *res, const char *title)
{
    tg_buf b;
    tg_buf_init(&b);
    int passed = 0, failed = 0, flaky = 0, skipped = 0;
    for (size_t i = 0; i < res->n; i++) {
        tg_status st = res->outcomes[i].status;
        passed += st == TG_ST_PASSED || st == TG_ST_FLAKY;
        flaky += st == TG_ST_FLAKY;
        skipped += st == TG_ST_SKIPPED;
        failed += tg_status_blocks(st);
    }
    tg_buf_addf(&b, "# %s\n\n", title ? title : "Smoke checks");
    if (res->interrupted)
        tg_buf_adds(&b, "**Interrupted**: the run was stopped before every check finished.\n\n");
    tg_buf_addf(&b, "%s: %d passed, %d failed, %d skipped (%d flaky) in %.3f s, started %s.\n\n",
                failed || res->interrupted || res->n == 0 ? "**Unhealthy**" : "**Healthy**",
                passed, failed, skipped, flaky, res->duration, res->started);
    tg_buf_adds(&b, "| check | status | attempts | HTTP | p50 ms | p95 ms | p99 ms | max ms | "
                    "note |\n|---|---|---:|---:|---:|---:|---:|---:|---|\n");
    for (size_t i = 0; i < res->n; i++) {
        const tg_smoke_outcome *o = &res->outcomes[i];
        tg_buf_adds(&b, "| `");
        add_cell(&b, o->id, 200);
        tg_buf_addf(&b, "` | %s | %d | ", status_mark(o->status), o->attempts);
        if (o->http_status)
            tg_buf_addf(&b, "%d", o->http_status);
        if (o->latency.n > 0)
            tg_buf_addf(&b, " | %.1f | %.1f | %.1f | %.1f | ", o->latency.p50, o->latency.p95,
                        o->latency.p99, o->latency.max);
        else
            tg_buf_adds(&b, " | | | | | ");
        if (o->load_requests)
            tg_buf_addf(&b, "load: %d requests, %.1f%% errors. ", o->load_requests,
                        o->error_rate * 100);
        if (o->cert_days >= 0)
            tg_buf_addf(&b, "TLS certificate: %d days left. ", o->cert_days);
        add_cell(&b, o->message, 300);
        tg_buf_adds(&b, " |\n");
    }
    int any = 0;
    for (size_t i = 0; i < res->n; i++) {
        const tg_smoke_outcome *o = &res->outcomes[i];
        if (o->ntries == 0 && !tg_status_blocks(o->status))
            continue;
        if (!any++)
            tg_buf_adds(&b, "\n## Failed attempts\n");
        if (o->file)
            tg_buf_addf(&b, "\n### `%s` (%s:%d)\n\n", o->id, o->file, o->line);
        else
            tg_buf_addf(&b, "\n### `%s` (the built-in check)\n\n", o->id);
        for (int k = 0; k < o->ntries; k++) {
            tg_buf_addf(&b, "- attempt %d (%s, %.3f s): ", k + 1,
                        tg_status_name(o->tries[k].status), o->tries[k].time);
            add_cell(&b, o->tries[k].message, 1000);
            tg_buf_adds(&b, "\n");
        }
        if (tg_status_blocks(o->status)) {
            tg_buf_addf(&b, "- attempt %d (%s, %.3f s): ", o->attempts,
                        tg_status_name(o->status), o->time);
            add_cell(&b, o->message, 1000);
            tg_buf_adds(&b, "\n");
        }
    }
    char *masked = tg_smoke_mask(&res->secrets, b.data ? b.data : "");
    tg_buf_free(&b);
    return masked;
}

static int write_masked(const tg_smoke_secrets *sec, const char *path, const char *text)
{
    char *m = tg_smoke_mask(sec, text);
    int rc = tg_write_file_atomic(path, m, strlen(m));
    free(m);
    return rc;
}

int tg_smoke_write_outputs(const tg_smoke_run_result *res, const char *dir, int jenkins_style)
{
    int rc = tg_mkdirs(dir);
    if (rc != 0)
        return rc;
    tg_results r;
    tg_results_init(&r, "smoke");
    tg_smoke_to_results(res, &r);
    char *json = tg_results_to_json(&r);
    char *xml = tg_junit_render(&r, jenkins_style);
    char *md = tg_smoke_summary_md(res, "Smoke checks");
    char *pj = tg_asprintf("%s/results.json", dir), *px = tg_asprintf("%s/junit.xml", dir),
         *pm = tg_asprintf("%s/summary.md", dir);
    rc = write_masked(&res->secrets, pj, json);
    if (rc == 0)
        rc = write_masked(&res->secrets, px, xml);
    if (rc == 0)
        rc = write_masked(&res->secrets, pm, md);
    free(pj);
    free(px);
    free(pm);
    free(json);
    free(xml);
    free(md);
    tg_results_free(&r);
    return rc;
}
