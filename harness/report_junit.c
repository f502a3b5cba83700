/* report_junit.c: see report_junit.h. */
#include "report_junit.h"
#include "tg.h"

#include <stdlib.h>
#include <string.h>

/* Appends s cleaned of forbidden characters and escaped for XML text or
 * attribute values (attr also escapes quotes and whitespace controls). */
static void xml_add(tg_buf *b, const char *s, int attr)
{
    if (!s)
        return;
    char *clean = tg_clean_text(s, strlen(s));
    for (const char *p = clean; *p; p++) {
        switch (*p) {
        case '&': tg_buf_adds(b, "&amp;"); break;
        case '<': tg_buf_adds(b, "&lt;"); break;
        case '>': tg_buf_adds(b, "&gt;"); break;
        case '"': tg_buf_adds(b, attr ? "&quot;" : "\""); break;
        case '\n': tg_buf_adds(b, attr ? "&#10;" : "\n"); break;
        case '\t': tg_buf_adds(b, attr ? "&#9;" : "\t"); break;
        default: tg_buf_add(b, p, 1);
        }
    }
    free(clean);
}

/* "unit/test_plan/lpt/balances" -> classname "unit.test_plan.lpt", name "balances". */
static void split_id(const char *id, char **classname, char **name)
{
    const char *slash = strrchr(id, '/');
    if (!slash) {
        *classname = tg_strdup(id);
        *name = tg_strdup(id);
        return;
    }
    *name = tg_strdup(slash + 1);
    *classname = tg_strndup(id, (size_t)(slash - id));
    for (char *p = *classname; *p; p++)
        if (*p == '/')
            *p = '.';
}

static double nonneg(double t)
{
    return t > 0 ? t : 0;
}

static const char *suite_of(const tg_test *t)
{
    return t->suite && *t->suite ? t->suite : "tests";
}

static int cmp_suite_then_id(const void *a, const void *b)
{
    const tg_test *x = *(const tg_test *const *)a, *y = *(const tg_test *const *)b;
    int c = strcmp(suite_of(x), suite_of(y));
    return c ? c : strcmp(x->id ? x->id : "", y->id ? y->id : "");
}

typedef struct {
    int tests, failures, errors, skipped;
    double time;
} counts;

static void count_test(counts *c, const tg_test *t)
{
    c->tests++;
    c->time += nonneg(t->time);
    if (t->status == TG_ST_FAILED)
        c->failures++;
    else if (t->status == TG_ST_ERROR || t->status == TG_ST_TIMEOUT)
        c->errors++;
    else if (t->status == TG_ST_SKIPPED)
        c->skipped++;
}

static void failure_text(tg_buf *b, const tg_test *t, int jenkins)
{
    if (jenkins && t->file)
        tg_buf_addf(b, "%s:%d: ", t->file, t->line);
    xml_add(b, t->message, 0);
    if (t->signal)
        tg_buf_addf(b, " (signal %d)", t->signal);
}

static void write_testcase(tg_buf *b, const tg_test *t, int jenkins)
{
    char *classname, *name;
    split_id(t->id ? t->id : "", &classname, &name);
    tg_buf_adds(b, "    <testcase classname=\"");
    xml_add(b, classname, 1);
    tg_buf_adds(b, "\" name=\"");
    xml_add(b, name, 1);
    tg_buf_addf(b, "\" time=\"%.3f\"", nonneg(t->time));
    if (!jenkins && t->file) {
        tg_buf_adds(b, " file=\"");
        xml_add(b, t->file, 1);
        tg_buf_adds(b, "\"");
        if (t->line > 0)
            tg_buf_addf(b, " line=\"%d\"", t->line);
    }
    free(classname);
    free(name);

    tg_buf body;
    tg_buf_init(&body);
    const char *elem = NULL, *type = NULL;
    switch (t->status) {
    case TG_ST_FAILED: elem = "failure", type = "failed"; break;
    case TG_ST_ERROR: elem = "error", type = t->signal ? "crash" : "error"; break;
    case TG_ST_TIMEOUT: elem = "error", type = "timeout"; break;
    default: break;
    }
    if (t->status == TG_ST_SKIPPED) {
        tg_buf_adds(&body, "      <skipped");
        if (t->message && *t->message) {
            tg_buf_adds(&body, ">");
            xml_add(&body, t->message, 0);
            tg_buf_adds(&body, "</skipped>\n");
        } else {
            tg_buf_adds(&body, "/>\n");
        }
    }
    if (elem) {
        tg_buf_addf(&body, "      <%s type=\"%s\" message=\"", elem, type);
        xml_add(&body, t->message, 1);
        tg_buf_adds(&body, "\">");
        failure_text(&body, t, jenkins);
        tg_buf_addf(&body, "</%s>\n", elem);
    }
    if (!jenkins) {
        for (int i = 0; i < t->ntries; i++) {
            const tg_attempt *a = &t->tries[i];
            const char *fe = a->status == TG_ST_FAILED ? "flakyFailure" : "flakyError";
            if (t->status != TG_ST_FLAKY && t->status != TG_ST_PASSED)
                fe = a->status == TG_ST_FAILED ? "rerunFailure" : "rerunError";
            tg_buf_addf(&body, "      <%s type=\"%s\" message=\"", fe, tg_status_name(a->status));
            xml_add(&body, a->message, 1);
            tg_buf_adds(&body, "\"/>\n");
        }
    }
    tg_buf out;
    tg_buf_init(&out);
    if (jenkins && t->ntries) {
        tg_buf_addf(&out, "%d earlier attempt(s) failed:\n", t->ntries);
        for (int i = 0; i < t->ntries; i++) {
            tg_buf_addf(&out, "attempt %d: %s after %.3fs: ", i + 1,
                        tg_status_name(t->tries[i].status), nonneg(t->tries[i].time));
            tg_buf_adds(&out, t->tries[i].message);
            tg_buf_adds(&out, "\n");
        }
    }
    if (t->output && *t->output)
        tg_buf_adds(&out, t->output);
    if (out.len) {
        tg_buf_adds(&body, "      <system-out>");
        xml_add(&body, out.data, 0);
        tg_buf_adds(&body, "</system-out>\n");
    }
    tg_buf_free(&out);
    if (body.len) {
        tg_buf_adds(b, ">\n");
        tg_buf_add(b, body.data, body.len);
        tg_buf_adds(b, "    </testcase>\n");
    } else {
        tg_buf_adds(b, "/>\n");
    }
    tg_buf_free(&body);
}

char *tg_junit_render(const tg_results *r, int jenkins)
{
    const tg_test **order = tg_malloc((r->ntests + 1) * sizeof *order);
    for (size_t i = 0; i < r->ntests; i++)
        order[i] = &r->tests[i];
    qsort(order, r->ntests, sizeof *order, cmp_suite_then_id);

    counts all = {0};
    for (size_t i = 0; i < r->ntests; i++)
        count_test(&all, order[i]);

    tg_buf b;
    tg_buf_init(&b);
    tg_buf_adds(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    tg_buf_addf(&b, "<testsuites name=\"tollgate\" tests=\"%d\" failures=\"%d\" errors=\"%d\"",
                all.tests, all.failures, all.errors);
    if (!jenkins)
        tg_buf_addf(&b, " skipped=\"%d\"", all.skipped);
    tg_buf_addf(&b, " time=\"%.3f\">\n", nonneg(r->duration > 0 ? r->duration : all.time));

    size_t i = 0;
    while (i < r->ntests) {
        const char *suite = suite_of(order[i]);
        size_t j = i;
        counts c = {0};
        while (j < r->ntests && strcmp(suite_of(order[j]), suite) == 0)
            count_test(&c, order[j++]);
        tg_buf_adds(&b, "  <testsuite name=\"");
        xml_add(&b, suite, 1);
        tg_buf_addf(&b,
                    "\" tests=\"%d\" failures=\"%d\" errors=\"%d\" skipped=\"%d\" "
                    "time=\"%.3f\"",
                    c.tests, c.failures, c.errors, c.skipped, c.time);
        if (r->started && *r->started) {
            tg_buf_adds(&b, " timestamp=\"");
            xml_add(&b, r->started, 1);
            tg_buf_adds(&b, "\"");
        }
        tg_buf_adds(&b, ">\n");
        for (; i < j; i++)
            write_testcase(&b, order[i], jenkins);
        tg_buf_adds(&b, "  </testsuite>\n");
    }
    tg_buf_adds(&b, "</testsuites>\n");
    free(order);
    return tg_buf_steal(&b);
}

int tg_junit_write(const tg_results *r, const char *path, int jenkins_style)
{
    char *xml = tg_junit_render(r, jenkins_style);
    int rc = tg_write_file_atomic(path, xml, strlen(xml));
    free(xml);
    return rc;
}
