/* suite_foreign.c: JUnit and Check XML results (suite_foreign.h). */
#include "suite_foreign.h"
#include "tg.h"
#include "xml.h"

#include <stdlib.h>
#include <string.h>

/* Appends "#N" to ids that repeat among res->tests[from..]. */
static void make_ids_distinct(tg_results *res, size_t from)
{
    for (size_t i = from; i < res->ntests; i++) {
        int seen = 1;
        for (size_t k = from; k < i; k++)
            if (strcmp(res->tests[k].id, res->tests[i].id) == 0 ||
                (strncmp(res->tests[k].id, res->tests[i].id, strlen(res->tests[i].id)) == 0 &&
                 res->tests[k].id[strlen(res->tests[i].id)] == '#'))
                seen++;
        if (seen > 1) {
            char *id = tg_asprintf("%s#%d", res->tests[i].id, seen);
            free(res->tests[i].id);
            res->tests[i].id = id;
        }
    }
}

/* Slashes inside a name would fake extra id levels. */
static void add_part(tg_buf *b, const char *s)
{
    tg_buf_adds(b, "/");
    if (!s || !*s) {
        tg_buf_adds(b, "_");
        return;
    }
    for (; *s; s++)
        tg_buf_add(b, *s == '/' ? "_" : s, 1);
}

static tg_test *new_test(tg_results *res, char *id, const char *suite, const char *unit)
{
    tg_test *t = tg_results_add(res);
    t->id = id;
    t->suite = tg_strdup(suite);
    t->unit = tg_strdup(unit);
    return t;
}

static void junit_case(const tg_xml *tc, const char *suite_name, const char *prefix,
                       const char *suite, const char *unit, tg_results *res)
{
    tg_buf id;
    tg_buf_init(&id);
    tg_buf_adds(&id, prefix);
    const char *cls = tg_xml_attr(tc, "classname");
    add_part(&id, cls && *cls ? cls : suite_name);
    add_part(&id, tg_xml_attr(tc, "name"));
    tg_test *t = new_test(res, tg_buf_steal(&id), suite, unit);
    const char *time = tg_xml_attr(tc, "time");
    t->time = time ? strtod(time, NULL) : 0;
    if (!(t->time > 0))
        t->time = 0;
    const char *file = tg_xml_attr(tc, "file"), *line = tg_xml_attr(tc, "line");
    if (file && *file) {
        t->file = tg_strdup(file);
        t->line = line ? atoi(line) : 0;
    }
    const tg_xml *f = tg_xml_child(tc, "failure");
    const tg_xml *e = tg_xml_child(tc, "error");
    const tg_xml *s = tg_xml_child(tc, "skipped");
    const tg_xml *why = f ? f : e ? e : s;
    t->status = f ? TG_ST_FAILED : e ? TG_ST_ERROR : s ? TG_ST_SKIPPED : TG_ST_PASSED;
    const char *msg = why ? tg_xml_attr(why, "message") : NULL;
    if ((!msg || !*msg) && why)
        msg = why->text;
    t->message = tg_clean_text(msg ? msg : "", msg ? strlen(msg) : 0);
    const char *out = tg_xml_child_text(tc, "system-out");
    if (out && *out)
        t->output = tg_clean_text(out, strlen(out));
}

static void junit_walk(const tg_xml *x, const char *suite_name, const char *prefix,
                       const char *suite, const char *unit, tg_results *res)
{
    for (int i = 0; i < x->nkids; i++) {
        const tg_xml *k = x->kids[i];
        if (strcmp(k->name, "testcase") == 0)
            junit_case(k, suite_name, prefix, suite, unit, res);
        else if (strcmp(k->name, "testsuite") == 0 || strcmp(k->name, "testsuites") == 0) {
            const char *n = tg_xml_attr(k, "name");
            junit_walk(k, n && *n ? n : suite_name, prefix, suite, unit, res);
        }
    }
}

int tg_read_junit(const char *text, size_t len, const char *prefix, const char *suite,
                  const char *unit, tg_results *res, char **why)
{
    char *err = NULL;
    tg_xml *root = tg_xml_parse(text, len, &err);
    if (!root) {
        *why = tg_asprintf("its JUnit XML is not well-formed: %s", err);
        free(err);
        return TG_EFORMAT;
    }
    if (strcmp(root->name, "testsuites") != 0 && strcmp(root->name, "testsuite") != 0) {
        *why = tg_asprintf("its JUnit XML has <%s> at the root, not <testsuites> or <testsuite>",
                           root->name);
        tg_xml_free(root);
        return TG_EFORMAT;
    }
    size_t from = res->ntests;
    if (strcmp(root->name, "testsuite") == 0) {
        const char *n = tg_xml_attr(root, "name");
        junit_walk(root, n ? n : "tests", prefix, suite, unit, res);
    } else {
        junit_walk(root, "tests", prefix, suite, unit, res);
    }
    make_ids_distinct(res, from);
    tg_xml_free(root);
    return TG_OK;
}

int tg_read_check_xml(const char *text, size_t len, const char *prefix, const char *suite,
                      const char *unit, tg_results *res, char **why)
{
    char *err = NULL;
    tg_xml *root = tg_xml_parse(text, len, &err);
    if (!root) {
        *why = tg_asprintf("its Check XML log is not well-formed: %s", err);
        free(err);
        return TG_EFORMAT;
    }
    if (strcmp(root->name, "testsuites") != 0) {
        *why = tg_asprintf("its Check XML log has <%s> at the root, not <testsuites>", root->name);
        tg_xml_free(root);
        return TG_EFORMAT;
    }
    size_t from = res->ntests;
    for (int i = 0; i < root->nkids; i++) {
        const tg_xml *s = root->kids[i];
        if (strcmp(s->name, "suite") != 0)
            continue;
        const char *title = tg_xml_child_text(s, "title");
        for (int k = 0; k < s->nkids; k++) {
            const tg_xml *t = s->kids[k];
            if (strcmp(t->name, "test") != 0)
                continue;
            const char *name = tg_xml_child_text(t, "id");
            const char *tcase = tg_xml_child_text(t, "description");
            const char *iter = tg_xml_child_text(t, "iteration");
            tg_buf id;
            tg_buf_init(&id);
            tg_buf_adds(&id, prefix);
            add_part(&id, title);
            add_part(&id, tcase);
            add_part(&id, name);
            /* A loop test repeats its name; its iterations tell them apart. */
            int loop = iter && atoi(iter) > 0;
            for (int m = 0; !loop && m < s->nkids; m++) {
                const tg_xml *o = s->kids[m];
                const char *oi = tg_xml_child_text(o, "iteration");
                const char *on = tg_xml_child_text(o, "id");
                const char *oc = tg_xml_child_text(o, "description");
                loop = o != t && oi && atoi(oi) > 0 && on && name && strcmp(on, name) == 0 &&
                       oc && tcase && strcmp(oc, tcase) == 0;
            }
            if (loop)
                tg_buf_addf(&id, "@%d", iter ? atoi(iter) : 0);
            tg_test *x = new_test(res, tg_buf_steal(&id), suite, unit);
            const char *result = tg_xml_attr(t, "result");
            x->status = result && strcmp(result, "success") == 0   ? TG_ST_PASSED
                        : result && strcmp(result, "failure") == 0 ? TG_ST_FAILED
                                                                   : TG_ST_ERROR;
            const char *dur = tg_xml_child_text(t, "duration");
            x->time = dur ? strtod(dur, NULL) : 0; /* failed tests say -1 */
            if (!(x->time > 0))
                x->time = 0;
            const char *msg = tg_xml_child_text(t, "message");
            x->message = x->status == TG_ST_PASSED || !msg ? tg_strdup("")
                                                           : tg_clean_text(msg, strlen(msg));
            const char *path = tg_xml_child_text(t, "path"), *fn = tg_xml_child_text(t, "fn");
            if (fn && *fn) {
                const char *colon = strrchr(fn, ':');
                size_t flen = colon ? (size_t)(colon - fn) : strlen(fn);
                x->file = path && *path && strcmp(path, ".") != 0
                              ? tg_asprintf("%s/%.*s", path, (int)flen, fn)
                              : tg_strndup(fn, flen);
                x->line = colon ? atoi(colon + 1) : 0;
            }
        }
    }
    make_ids_distinct(res, from);
    tg_xml_free(root);
    if (res->ntests == from) {
        *why = tg_strdup("its Check XML log holds no tests");
        return TG_EFORMAT;
    }
    return TG_OK;
}
