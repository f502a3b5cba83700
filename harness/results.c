/* results.c: the results model and its JSON form (results.h). */
#include "results.h"
#include "tg.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const status_names[TG_ST__COUNT] = {"passed",  "failed",  "error",
                                                       "timeout", "skipped", "flaky"};

const char *tg_status_name(tg_status s)
{
    return s < TG_ST__COUNT ? status_names[s] : "error";
}

int tg_status_parse(const char *name, tg_status *s)
{
    for (int i = 0; i < TG_ST__COUNT; i++)
        if (name && strcmp(name, status_names[i]) == 0) {
            *s = (tg_status)i;
            return TG_OK;
        }
    return TG_EFORMAT;
}

int tg_status_blocks(tg_status s)
{
    return s == TG_ST_FAILED || s == TG_ST_ERROR || s == TG_ST_TIMEOUT;
}

void tg_results_init(tg_results *r, const char *kind)
{
    memset(r, 0, sizeof *r);
    r->kind = tg_strdup(kind);
    r->extra = cJSON_CreateObject();
}

void tg_test_free(tg_test *t)
{
    free(t->id);
    free(t->suite);
    free(t->file);
    free(t->message);
    free(t->output);
    free(t->unit);
    for (int i = 0; i < t->ntries; i++)
        free(t->tries[i].message);
    free(t->tries);
    memset(t, 0, sizeof *t);
}

void tg_results_free(tg_results *r)
{
    for (size_t i = 0; i < r->ntests; i++)
        tg_test_free(&r->tests[i]);
    free(r->tests);
    free(r->kind);
    free(r->fingerprint);
    free(r->started);
    cJSON_Delete(r->extra);
    memset(r, 0, sizeof *r);
}

tg_test *tg_results_add(tg_results *r)
{
    if (r->ntests == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 64;
        r->tests = tg_realloc(r->tests, r->cap * sizeof *r->tests);
    }
    tg_test *t = &r->tests[r->ntests++];
    memset(t, 0, sizeof *t);
    t->attempts = 1;
    return t;
}

void tg_results_push(tg_results *r, tg_test *t)
{
    tg_test *slot = tg_results_add(r);
    *slot = *t;
    memset(t, 0, sizeof *t);
}

void tg_test_add_try(tg_test *t, tg_status st, double time, const char *message)
{
    t->tries = tg_realloc(t->tries, sizeof *t->tries * (size_t)(t->ntries + 1));
    t->tries[t->ntries].status = st;
    t->tries[t->ntries].time = time;
    t->tries[t->ntries].message = tg_strdup(message ? message : "");
    t->ntries++;
}

void tg_results_count(tg_results *r)
{
    memset(&r->totals, 0, sizeof r->totals);
    for (size_t i = 0; i < r->ntests; i++) {
        switch (r->tests[i].status) {
        case TG_ST_PASSED: r->totals.passed++; break;
        case TG_ST_FAILED: r->totals.failed++; break;
        case TG_ST_ERROR: r->totals.error++; break;
        case TG_ST_TIMEOUT: r->totals.timeout++; break;
        case TG_ST_SKIPPED: r->totals.skipped++; break;
        case TG_ST_FLAKY: r->totals.flaky++; break;
        default: r->totals.error++; break;
        }
    }
}

static int cmp_test(const void *a, const void *b)
{
    return strcmp(((const tg_test *)a)->id, ((const tg_test *)b)->id);
}

void tg_results_sort(tg_results *r)
{
    if (r->ntests > 1)
        qsort(r->tests, r->ntests, sizeof *r->tests, cmp_test);
}

/* Times are rounded to the millisecond so every report agrees with %.3f. */
static double ms(double t)
{
    if (!(t > 0) || !isfinite(t))
        return 0;
    return round(t * 1000.0) / 1000.0;
}

static cJSON *totals_json(const tg_totals *t)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "passed", t->passed);
    cJSON_AddNumberToObject(o, "failed", t->failed);
    cJSON_AddNumberToObject(o, "error", t->error);
    cJSON_AddNumberToObject(o, "timeout", t->timeout);
    cJSON_AddNumberToObject(o, "skipped", t->skipped);
    cJSON_AddNumberToObject(o, "flaky", t->flaky);
    return o;
}

char *tg_results_to_json(const tg_results *r)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "format", TG_RESULTS_FORMAT);
    cJSON_AddStringToObject(root, "kind", r->kind ? r->kind : "shard");
    if (r->shard_total > 0) {
        cJSON *sh = cJSON_AddObjectToObject(root, "shard");
        cJSON_AddNumberToObject(sh, "index", r->shard_index);
        cJSON_AddNumberToObject(sh, "total", r->shard_total);
    }
    cJSON *plan = cJSON_AddObjectToObject(root, "plan");
    cJSON_AddStringToObject(plan, "fingerprint", r->fingerprint ? r->fingerprint : "");
    cJSON_AddNumberToObject(plan, "tests", r->planned);
    cJSON_AddNumberToObject(plan, "predicted", ms(r->planned_time));
    cJSON_AddStringToObject(root, "started", r->started ? r->started : "");
    cJSON_AddNumberToObject(root, "duration", ms(r->duration));
    cJSON_AddItemToObject(root, "totals", totals_json(&r->totals));
    cJSON *tests = cJSON_AddArrayToObject(root, "tests");
    for (size_t i = 0; i < r->ntests; i++) {
        const tg_test *t = &r->tests[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", t->id ? t->id : "");
        cJSON_AddStringToObject(o, "suite", t->suite ? t->suite : "");
        cJSON_AddStringToObject(o, "status", tg_status_name(t->status));
        cJSON_AddNumberToObject(o, "time", ms(t->time));
        cJSON_AddNumberToObject(o, "attempts", t->attempts > 0 ? t->attempts : 1);
        if (t->file)
            cJSON_AddStringToObject(o, "file", t->file);
        if (t->line > 0)
            cJSON_AddNumberToObject(o, "line", t->line);
        cJSON_AddStringToObject(o, "message", t->message ? t->message : "");
        if (t->signal)
            cJSON_AddNumberToObject(o, "signal", t->signal);
        if (t->unit)
            cJSON_AddStringToObject(o, "unit", t->unit);
        if (t->output && *t->output)
            cJSON_AddStringToObject(o, "output", t->output);
        if (t->ntries) {
            cJSON *tries = cJSON_AddArrayToObject(o, "tries");
            for (int k = 0; k < t->ntries; k++) {
                cJSON *a = cJSON_CreateObject();
                cJSON_AddStringToObject(a, "status", tg_status_name(t->tries[k].status));
                cJSON_AddNumberToObject(a, "time", ms(t->tries[k].time));
                cJSON_AddStringToObject(a, "message", t->tries[k].message);
                cJSON_AddItemToArray(tries, a);
            }
        }
        cJSON_AddItemToArray(tests, o);
    }
    for (cJSON *e = r->extra ? r->extra->child : NULL; e; e = e->next)
        if (!cJSON_HasObjectItem(root, e->string))
            cJSON_AddItemToObject(root, e->string, cJSON_Duplicate(e, 1));
    char *s = cJSON_Print(root);
    cJSON_Delete(root);
    if (!s) {
        fprintf(stderr, "tollgate: out of memory serialising results\n");
        abort();
    }
    size_t n = strlen(s);
    char *out = tg_malloc(n + 2);
    memcpy(out, s, n);
    out[n] = '\n';
    out[n + 1] = '\0';
    cJSON_free(s);
    return out;
}

int tg_results_write(const tg_results *r, const char *path)
{
    char *s = tg_results_to_json(r);
    int rc = tg_write_file_atomic(path, s, strlen(s));
    free(s);
    return rc;
}

static const char *str_item(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int num_item(const cJSON *o, const char *key, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
        return -1;
    *out = v->valuedouble;
    return 0;
}

static int fail(char **why, const char *fmt, const char *arg)
{
    if (why)
        *why = tg_asprintf(fmt, arg ? arg : "");
    return TG_EFORMAT;
}

int tg_results_parse(const char *text, size_t len, tg_results *r, char **why)
{
    tg_results_init(r, "shard");
    if (why)
        *why = NULL;
    cJSON *root = cJSON_ParseWithLength(text, len);
    if (!root)
        return fail(why, "not valid JSON (truncated or malformed)%s", "");
    int rc = TG_EFORMAT;
    const char *format = str_item(root, "format");
    if (!cJSON_IsObject(root)) {
        fail(why, "not a JSON object%s", "");
        goto out;
    }
    if (!format) {
        fail(why, "no \"format\" field%s", "");
        goto out;
    }
    if (strcmp(format, TG_RESULTS_FORMAT) != 0) {
        fail(why, "unknown results format \"%s\"", format);
        goto out;
    }
    const char *kind = str_item(root, "kind");
    if (kind) {
        free(r->kind);
        r->kind = tg_strdup(kind);
    }
    const cJSON *sh = cJSON_GetObjectItemCaseSensitive(root, "shard");
    double d;
    if (cJSON_IsObject(sh)) {
        if (num_item(sh, "index", &d) == 0)
            r->shard_index = (int)d;
        if (num_item(sh, "total", &d) == 0)
            r->shard_total = (int)d;
    }
    const cJSON *plan = cJSON_GetObjectItemCaseSensitive(root, "plan");
    if (cJSON_IsObject(plan)) {
        const char *fp = str_item(plan, "fingerprint");
        if (fp)
            r->fingerprint = tg_strdup(fp);
        if (num_item(plan, "tests", &d) == 0)
            r->planned = (int)d;
        if (num_item(plan, "predicted", &d) == 0)
            r->planned_time = d;
    }
    const char *started = str_item(root, "started");
    r->started = tg_strdup(started ? started : "");
    if (num_item(root, "duration", &d) == 0)
        r->duration = d;
    const cJSON *tests = cJSON_GetObjectItemCaseSensitive(root, "tests");
    if (!cJSON_IsArray(tests)) {
        fail(why, "no \"tests\" array%s", "");
        goto out;
    }
    const cJSON *o;
    cJSON_ArrayForEach(o, tests)
    {
        const char *id = str_item(o, "id"), *status = str_item(o, "status");
        tg_status st;
        if (!cJSON_IsObject(o) || !id || !*id) {
            fail(why, "a test without an id%s", "");
            goto out;
        }
        if (tg_status_parse(status, &st) != 0) {
            if (why)
                *why = tg_asprintf("test %s has an unknown status \"%s\"", id,
                                   status ? status : "(none)");
            goto out;
        }
        tg_test *t = tg_results_add(r);
        t->id = tg_strdup(id);
        t->status = st;
        const char *v;
        t->suite = tg_strdup((v = str_item(o, "suite")) ? v : "");
        if ((v = str_item(o, "file")))
            t->file = tg_strdup(v);
        t->message = tg_strdup((v = str_item(o, "message")) ? v : "");
        if ((v = str_item(o, "output")))
            t->output = tg_strdup(v);
        if ((v = str_item(o, "unit")))
            t->unit = tg_strdup(v);
        if (num_item(o, "time", &d) == 0 && d > 0)
            t->time = d;
        if (num_item(o, "line", &d) == 0 && d > 0)
            t->line = (int)d;
        if (num_item(o, "attempts", &d) == 0 && d >= 1)
            t->attempts = (int)d;
        if (num_item(o, "signal", &d) == 0)
            t->signal = (int)d;
        const cJSON *tries = cJSON_GetObjectItemCaseSensitive(o, "tries");
        const cJSON *a;
        cJSON_ArrayForEach(a, tries)
        {
            tg_status ast = TG_ST_FAILED;
            double at = 0;
            tg_status_parse(str_item(a, "status"), &ast);
            num_item(a, "time", &at);
            tg_test_add_try(t, ast, at, str_item(a, "message"));
        }
    }
    const cJSON *tot = cJSON_GetObjectItemCaseSensitive(root, "totals");
    tg_results_count(r);
    if (cJSON_IsObject(tot)) {
        double p = -1, f = -1;
        num_item(tot, "passed", &p);
        num_item(tot, "failed", &f);
        if ((int)p != r->totals.passed || (int)f != r->totals.failed) {
            fail(why, "totals do not match the tests listed (truncated or edited)%s", "");
            goto out;
        }
    }
    /* Keep the sections other verbs add, for the gate and the reports. */
    for (cJSON *e = root->child; e; e = e->next) {
        static const char *const known[] = {"format", "kind",     "shard",  "plan",
                                            "started", "duration", "totals", "tests"};
        int is_known = 0;
        for (size_t k = 0; k < sizeof known / sizeof known[0]; k++)
            if (e->string && strcmp(e->string, known[k]) == 0)
                is_known = 1;
        if (!is_known && e->string)
            cJSON_AddItemToObject(r->extra, e->string, cJSON_Duplicate(e, 1));
    }
    rc = TG_OK;
out:
    cJSON_Delete(root);
    if (rc != TG_OK) {
        char *keep_kind = tg_strdup(r->kind);
        tg_results_free(r);
        tg_results_init(r, keep_kind);
        free(keep_kind);
    }
    return rc;
}

int tg_results_read(const char *path, tg_results *r, char **why)
{
    size_t len;
    char *text = tg_read_file(path, &len);
    if (!text) {
        tg_results_init(r, "shard");
        if (why)
            *why = tg_asprintf("cannot read %s: %s", path, strerror(errno));
        return TG_EIO;
    }
    int rc = tg_results_parse(text, len, r, why);
    free(text);
    return rc;
}
