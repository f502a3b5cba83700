/* smoke_monitor.c: `tollgate monitor`, smoke rounds on a schedule with a
 * rolling history (smoke.h).
 *
 * history.json is read back when the monitor starts again, so availability
 * spans restarts; it keeps the last TG_MONITOR_KEEP rounds. */
#include "smoke.h"
#include "tg.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TG_MONITOR_KEEP 1000
#define TG_MONITOR_FORMAT "tollgate-monitor/1"

typedef struct {
    cJSON *root;   /* the history document */
    cJSON *rounds; /* its "rounds" array */
    int streak;    /* unhealthy rounds in a row */
} history;

static void history_load(history *h, const char *path)
{
    size_t len;
    char *text = tg_read_file(path, &len);
    cJSON *root = text ? cJSON_ParseWithLength(text, len) : NULL;
    free(text);
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(root, "format");
    cJSON *rounds = cJSON_GetObjectItemCaseSensitive(root, "rounds");
    if (root && (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, TG_MONITOR_FORMAT) ||
                 !cJSON_IsArray(rounds))) {
        tg_warn(path, 0, "not a monitor history this version can read; starting a new one");
        cJSON_Delete(root);
        root = NULL;
    }
    if (!root) {
        root = cJSON_CreateObject();
        cJSON_AddStringToObject(root, "format", TG_MONITOR_FORMAT);
        rounds = cJSON_AddArrayToObject(root, "rounds");
    }
    h->root = root;
    h->rounds = rounds;
    h->streak = 0;
}

static int next_round_number(const history *h)
{
    int n = cJSON_GetArraySize(h->rounds);
    const cJSON *last = n ? cJSON_GetArrayItem(h->rounds, n - 1) : NULL;
    const cJSON *num = cJSON_GetObjectItemCaseSensitive(last, "round");
    return cJSON_IsNumber(num) ? (int)num->valuedouble + 1 : 1;
}

static double r3(double v)
{
    return isfinite(v) ? round(v * 1000) / 1000 : 0;
}

/* One round's record; latency percentiles are over the checks' latencies. */
static cJSON *round_record(const tg_smoke_run_result *res, int number, int *healthy)
{
    int passed = 0, failed = 0;
    double *ms = tg_calloc(res->n ? res->n : 1, sizeof *ms);
    int nms = 0;
    for (size_t i = 0; i < res->n; i++) {
        const tg_smoke_outcome *o = &res->outcomes[i];
        passed += o->status == TG_ST_PASSED || o->status == TG_ST_FLAKY;
        failed += o->status != TG_ST_PASSED && o->status != TG_ST_FLAKY;
        if (o->latency.n > 0)
            ms[nms++] = o->latency.p50;
    }
    tg_smoke_latency lat;
    tg_smoke_latency_of(ms, nms, &lat);
    free(ms);
    *healthy = failed == 0 && res->n > 0;
    cJSON *r = cJSON_CreateObject();
    cJSON_AddNumberToObject(r, "round", number);
    cJSON_AddStringToObject(r, "started", res->started);
    cJSON_AddBoolToObject(r, "healthy", *healthy);
    cJSON_AddNumberToObject(r, "passed", passed);
    cJSON_AddNumberToObject(r, "failed", failed);
    cJSON_AddNumberToObject(r, "duration", r3(res->duration));
    cJSON *l = cJSON_AddObjectToObject(r, "latency_ms");
    if (lat.n) {
        cJSON_AddNumberToObject(l, "p50", r3(lat.p50));
        cJSON_AddNumberToObject(l, "p95", r3(lat.p95));
        cJSON_AddNumberToObject(l, "p99", r3(lat.p99));
        cJSON_AddNumberToObject(l, "max", r3(lat.max));
    }
    return r;
}

static void note_failure(history *h, const tg_smoke_run_result *res, int number)
{
    cJSON *f = cJSON_CreateObject();
    cJSON_AddNumberToObject(f, "round", number);
    cJSON_AddStringToObject(f, "at", res->started);
    cJSON *checks = cJSON_AddArrayToObject(f, "checks");
    for (size_t i = 0; i < res->n; i++) {
        const tg_smoke_outcome *o = &res->outcomes[i];
        if (o->status == TG_ST_PASSED || o->status == TG_ST_FLAKY)
            continue;
        cJSON *c = cJSON_CreateObject();
        char *msg = tg_smoke_mask(&res->secrets, o->message);
        cJSON_AddStringToObject(c, "id", o->id);
        cJSON_AddStringToObject(c, "status", tg_status_name(o->status));
        cJSON_AddStringToObject(c, "message", msg);
        free(msg);
        cJSON_AddItemToArray(checks, c);
    }
    cJSON_DeleteItemFromObjectCaseSensitive(h->root, "last_failure");
    cJSON_AddItemToObject(h->root, "last_failure", f);
}

static double availability(const history *h, int *total, int *good)
{
    *total = *good = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, h->rounds)
    {
        (*total)++;
        *good += cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "healthy"));
    }
    return *total ? 100.0 * *good / *total : 0;
}

static double num_at(const cJSON *o, const char *a, const char *b)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);
    if (b)
        v = cJSON_GetObjectItemCaseSensitive(v, b);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static void add_ms(tg_buf *b, double v)
{
    if (isnan(v))
        tg_buf_adds(b, " |");
    else
        tg_buf_addf(b, " %.1f |", v);
}

static char *health_md(const history *h, const tg_smoke_run_result *last,
                       const tg_smoke_monitor_opts *m, const char *stopped_by)
{
    tg_buf b;
    tg_buf_init(&b);
    int total, good;
    double avail = availability(h, &total, &good);
    char *url = tg_smoke_url_display(m->url ? m->url : "(from the specs)");
    tg_buf_addf(&b, "# Health report: %s\n\n", url);
    free(url);
    int n = cJSON_GetArraySize(h->rounds);
    const cJSON *lr = n ? cJSON_GetArrayItem(h->rounds, n - 1) : NULL;
    if (lr) {
        int healthy = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(lr, "healthy"));
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(lr, "started");
        tg_buf_addf(&b, "%s: round %.0f at %s, %.0f passed, %.0f failed.\n\n",
                    healthy ? "**Healthy**" : "**Unhealthy**", num_at(lr, "round", NULL),
                    cJSON_IsString(st) ? st->valuestring : "?", num_at(lr, "passed", NULL),
                    num_at(lr, "failed", NULL));
    } else {
        tg_buf_adds(&b, "**Unknown**: no round has finished yet.\n\n");
    }
    if (stopped_by)
        tg_buf_addf(&b, "Stopped by %s.\n\n", stopped_by);
    tg_buf_addf(&b, "- Availability: %.2f%% (%d of %d rounds healthy)\n", avail, good, total);
    tg_buf_addf(&b, "- Unhealthy rounds in a row: %d (the monitor fails after %d)\n", h->streak,
                m->fail_after);
    tg_buf_addf(&b, "- Every %.3g s\n", m->every);
    const cJSON *lf = cJSON_GetObjectItemCaseSensitive(h->root, "last_failure");
    if (lf) {
        const cJSON *at = cJSON_GetObjectItemCaseSensitive(lf, "at");
        tg_buf_addf(&b, "- Last failure: round %.0f at %s\n", num_at(lf, "round", NULL),
                    cJSON_IsString(at) ? at->valuestring : "?");
        const cJSON *c;
        cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(lf, "checks"))
        {
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(c, "id");
            const cJSON *msg = cJSON_GetObjectItemCaseSensitive(c, "message");
            tg_buf_addf(&b, "  - `%s`: %s\n", cJSON_IsString(id) ? id->valuestring : "?",
                        cJSON_IsString(msg) ? msg->valuestring : "");
        }
    } else {
        tg_buf_adds(&b, "- Last failure: none recorded\n");
    }
    tg_buf_adds(&b, "\n## Recent rounds\n\n| round | started | health | passed | failed | "
                    "p50 ms | p95 ms | p99 ms | max ms |\n|---:|---|---|---:|---:|---:|---:|---:"
                    "|---:|\n");
    for (int i = n > 20 ? n - 20 : 0; i < n; i++) {
        const cJSON *r = cJSON_GetArrayItem(h->rounds, i);
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(r, "started");
        tg_buf_addf(&b, "| %.0f | %s | %s | %.0f | %.0f |", num_at(r, "round", NULL),
                    cJSON_IsString(st) ? st->valuestring : "?",
                    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "healthy")) ? "healthy"
                                                                                 : "**unhealthy**",
                    num_at(r, "passed", NULL), num_at(r, "failed", NULL));
        add_ms(&b, num_at(r, "latency_ms", "p50"));
        add_ms(&b, num_at(r, "latency_ms", "p95"));
        add_ms(&b, num_at(r, "latency_ms", "p99"));
        add_ms(&b, num_at(r, "latency_ms", "max"));
        tg_buf_adds(&b, "\n");
    }
    if (last) {
        char *md = tg_smoke_summary_md(last, "Last round");
        tg_buf_addf(&b, "\n#%s", md); /* one level down */
        free(md);
    }
    char *out = tg_smoke_mask(last ? &last->secrets : NULL, b.data);
    tg_buf_free(&b);
    return out;
}

static int write_reports(history *h, const tg_smoke_run_result *last,
                         const tg_smoke_monitor_opts *m, const char *stopped_by)
{
    int total, good;
    cJSON_DeleteItemFromObjectCaseSensitive(h->root, "availability");
    cJSON_AddNumberToObject(h->root, "availability", r3(availability(h, &total, &good)));
    cJSON_DeleteItemFromObjectCaseSensitive(h->root, "consecutive_failures");
    cJSON_AddNumberToObject(h->root, "consecutive_failures", h->streak);
    char *json = cJSON_Print(h->root);
    char *masked = tg_smoke_mask(last ? &last->secrets : NULL, json);
    cJSON_free(json);
    char *path = tg_asprintf("%s/history.json", m->out);
    int rc = tg_write_file_atomic(path, masked, strlen(masked));
    free(path);
    free(masked);
    char *md = health_md(h, last, m, stopped_by);
    path = tg_asprintf("%s/health.md", m->out);
    if (rc == 0)
        rc = tg_write_file_atomic(path, md, strlen(md));
    free(path);
    free(md);
    if (rc == 0 && last)
        rc = tg_smoke_write_outputs(last, m->out, m->jenkins_style);
    return rc;
}

/* Sleeps until t, waking to notice a stop request. */
static void sleep_until(double t, volatile sig_atomic_t *stop)
{
    for (;;) {
        double left = t - tg_now();
        if (left <= 0 || (stop && *stop))
            return;
        if (left > 0.1)
            left = 0.1;
        struct timespec ts = {0, (long)(left * 1e9)};
        nanosleep(&ts, NULL);
    }
}

int tg_smoke_monitor(tg_smoke_spec **specs, size_t nspecs, const tg_smoke_opts *o,
                     const tg_smoke_monitor_opts *m)
{
    if (tg_mkdirs(m->out) != 0)
        return TG_EXIT_USAGE;
    char *hpath = tg_asprintf("%s/history.json", m->out);
    history h;
    history_load(&h, hpath);
    free(hpath);
    int exit_code = TG_EXIT_OK, completed = 0, last_healthy = 0;
    tg_smoke_run_result last;
    int have_last = 0;
    for (int done = 0; m->rounds == 0 || done < m->rounds; done++) {
        double t0 = tg_now();
        tg_smoke_run_result res;
        int rc = tg_smoke_run(specs, nspecs, o, &res);
        if (rc != 0) {
            tg_smoke_run_result_free(&res);
            exit_code = tg_exit_code(rc);
            break;
        }
        if (res.interrupted) { /* a partial round is not a verdict */
            tg_smoke_run_result_free(&res);
            break;
        }
        if (have_last)
            tg_smoke_run_result_free(&last);
        last = res;
        have_last = 1;
        int number = next_round_number(&h), healthy;
        cJSON_AddItemToArray(h.rounds, round_record(&last, number, &healthy));
        while (cJSON_GetArraySize(h.rounds) > TG_MONITOR_KEEP)
            cJSON_DeleteItemFromArray(h.rounds, 0);
        h.streak = healthy ? 0 : h.streak + 1;
        if (!healthy)
            note_failure(&h, &last, number);
        completed++;
        last_healthy = healthy;
        if (write_reports(&h, &last, m, NULL) != 0) {
            exit_code = TG_EXIT_INTERNAL;
            break;
        }
        int total, good;
        double avail = availability(&h, &total, &good);
        printf("monitor: round %d %s; availability %.2f%% over %d rounds\n", number,
               healthy ? "healthy" : "UNHEALTHY", avail, total);
        fflush(stdout);
        if (h.streak >= m->fail_after) {
            printf("monitor: %d unhealthy round%s in a row; stopping\n", h.streak,
                   h.streak == 1 ? "" : "s");
            exit_code = TG_EXIT_FAIL;
            break;
        }
        if (m->rounds && done + 1 >= m->rounds)
            break;
        sleep_until(t0 + m->every, o->stop);
        if (o->stop && *o->stop)
            break;
    }
    if (o->stop && *o->stop && exit_code == TG_EXIT_OK) {
        const char *by = *o->stop == SIGTERM ? "SIGTERM" : "SIGINT";
        if (write_reports(&h, have_last ? &last : NULL, m, by) != 0)
            exit_code = TG_EXIT_INTERNAL;
        else
            exit_code = completed && last_healthy ? TG_EXIT_OK : TG_EXIT_FAIL;
        printf("monitor: stopped by %s after %d round%s\n", by, completed,
               completed == 1 ? "" : "s");
        fflush(stdout);
    }
    if (have_last)
        tg_smoke_run_result_free(&last);
    cJSON_Delete(h.root);
    return exit_code;
}
