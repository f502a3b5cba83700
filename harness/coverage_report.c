/* coverage_report.c: lcov and Cobertura output, thresholds, the gate's
 * coverage section, its Markdown and the history of totals (coverage.h). */
#include "coverage.h"
#include "results.h"
#include "tg.h"

#include <fnmatch.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The Markdown report lists this many least-covered files. */
#define LOWEST_FILES 10
/* Reasons name at most this many files under their own minimum. */
#define FILE_REASONS 20
/* The history keeps this many totals. */
#define HISTORY_KEEP 100

/* ---- lcov .info ------------------------------------------------------ */

char *tg_cov_lcov(const tg_cov *c)
{
    tg_buf b;
    tg_buf_init(&b);
    for (size_t i = 0; i < c->nfiles; i++) {
        const tg_cov_file *f = c->files[i];
        tg_cov_totals t;
        tg_cov_file_totals(f, &t);
        tg_buf_addf(&b, "TN:\nSF:%s\n", f->path);
        for (int k = 0; k < f->nfuncs; k++)
            tg_buf_addf(&b, "FN:%d,%s\n", f->funcs[k].line, f->funcs[k].name);
        for (int k = 0; k < f->nfuncs; k++)
            tg_buf_addf(&b, "FNDA:%lld,%s\n", f->funcs[k].count, f->funcs[k].name);
        tg_buf_addf(&b, "FNF:%lld\nFNH:%lld\n", t.functions.found, t.functions.hit);
        for (int l = 0; l < f->nlines; l++)
            for (int k = 0; k < f->nbr[l]; k++) {
                if (f->br[l][k] < 0)
                    tg_buf_addf(&b, "BRDA:%d,0,%d,-\n", l, k);
                else
                    tg_buf_addf(&b, "BRDA:%d,0,%d,%lld\n", l, k, f->br[l][k]);
            }
        if (t.branches.found)
            tg_buf_addf(&b, "BRF:%lld\nBRH:%lld\n", t.branches.found, t.branches.hit);
        for (int l = 0; l < f->nlines; l++)
            if (f->lines[l] != TG_COV_NOLINE)
                tg_buf_addf(&b, "DA:%d,%lld\n", l, f->lines[l]);
        tg_buf_addf(&b, "LF:%lld\nLH:%lld\nend_of_record\n", t.lines.found, t.lines.hit);
    }
    return tg_buf_steal(&b);
}

/* ---- Cobertura XML --------------------------------------------------- */

static void xml_text(tg_buf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '<': tg_buf_adds(b, "&lt;"); break;
        case '>': tg_buf_adds(b, "&gt;"); break;
        case '&': tg_buf_adds(b, "&amp;"); break;
        case '"': tg_buf_adds(b, "&quot;"); break;
        default:
            if (*p >= 0x20 || *p == '\t')
                tg_buf_add(b, p, 1);
        }
    }
}

static double rate(tg_cov_count n)
{
    return n.found ? (double)n.hit / (double)n.found : 1.0;
}

static void cobertura_lines(tg_buf *b, const tg_cov_file *f)
{
    tg_buf_adds(b, "          <lines>\n");
    for (int l = 0; l < f->nlines; l++) {
        if (f->lines[l] == TG_COV_NOLINE)
            continue;
        tg_buf_addf(b, "            <line number=\"%d\" hits=\"%lld\"", l, f->lines[l]);
        if (f->nbr[l]) {
            int hit = 0;
            for (int k = 0; k < f->nbr[l]; k++)
                hit += f->br[l][k] > 0;
            tg_buf_addf(b, " branch=\"true\" condition-coverage=\"%d%% (%d/%d)\"",
                        100 * hit / f->nbr[l], hit, f->nbr[l]);
        } else {
            tg_buf_adds(b, " branch=\"false\"");
        }
        tg_buf_adds(b, "/>\n");
    }
    tg_buf_adds(b, "          </lines>\n");
}

/* The folder of a path is its Cobertura package; "." for the top level. */
static size_t dir_len(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? (size_t)(s - path) : 0;
}

char *tg_cov_cobertura(const tg_cov *c)
{
    tg_buf b;
    tg_buf_init(&b);
    tg_cov_totals t;
    tg_cov_totals_of(c, &t);
    tg_buf_addf(&b,
                "<?xml version=\"1.0\" ?>\n"
                "<!DOCTYPE coverage SYSTEM "
                "\"http://cobertura.sourceforge.net/xml/coverage-04.dtd\">\n"
                "<coverage line-rate=\"%.4f\" branch-rate=\"%.4f\" lines-covered=\"%lld\" "
                "lines-valid=\"%lld\" branches-covered=\"%lld\" branches-valid=\"%lld\" "
                "complexity=\"0\" version=\"tollgate " TG_VERSION "\" timestamp=\"%lld\">\n"
                "  <sources>\n    <source>.</source>\n  </sources>\n  <packages>\n",
                rate(t.lines), rate(t.branches), t.lines.hit, t.lines.found, t.branches.hit,
                t.branches.found, (long long)time(NULL));
    /* Files are sorted by path, so a package's files are consecutive. */
    size_t i = 0;
    while (i < c->nfiles) {
        size_t dl = dir_len(c->files[i]->path), j = i;
        tg_cov_totals pt = {{0, 0}, {0, 0}, {0, 0}};
        while (j < c->nfiles && dir_len(c->files[j]->path) == dl &&
               strncmp(c->files[j]->path, c->files[i]->path, dl) == 0) {
            tg_cov_totals ft;
            tg_cov_file_totals(c->files[j], &ft);
            pt.lines.found += ft.lines.found;
            pt.lines.hit += ft.lines.hit;
            pt.branches.found += ft.branches.found;
            pt.branches.hit += ft.branches.hit;
            j++;
        }
        char *pkg = dl ? tg_strndup(c->files[i]->path, dl) : tg_strdup(".");
        for (char *p = pkg; *p; p++)
            if (*p == '/')
                *p = '.';
        tg_buf_adds(&b, "    <package name=\"");
        xml_text(&b, pkg);
        free(pkg);
        tg_buf_addf(&b, "\" line-rate=\"%.4f\" branch-rate=\"%.4f\" complexity=\"0\">\n"
                        "      <classes>\n",
                    rate(pt.lines), rate(pt.branches));
        for (size_t k = i; k < j; k++) {
            const tg_cov_file *f = c->files[k];
            tg_cov_totals ft;
            tg_cov_file_totals(f, &ft);
            tg_buf_adds(&b, "        <class name=\"");
            xml_text(&b, f->path + (dl ? dl + 1 : 0));
            tg_buf_adds(&b, "\" filename=\"");
            xml_text(&b, f->path);
            tg_buf_addf(&b, "\" line-rate=\"%.4f\" branch-rate=\"%.4f\" complexity=\"0\">\n"
                            "          <methods>\n",
                        rate(ft.lines), rate(ft.branches));
            for (int m = 0; m < f->nfuncs; m++) {
                const tg_cov_func *fn = &f->funcs[m];
                tg_buf_adds(&b, "            <method name=\"");
                xml_text(&b, fn->name);
                tg_buf_addf(&b, "\" signature=\"\" line-rate=\"%d\" branch-rate=\"0\" "
                                "complexity=\"0\">\n              <lines><line number=\"%d\" "
                                "hits=\"%lld\"/></lines>\n            </method>\n",
                            fn->count > 0, fn->line, fn->count);
            }
            tg_buf_adds(&b, "          </methods>\n");
            cobertura_lines(&b, f);
            tg_buf_adds(&b, "        </class>\n");
        }
        tg_buf_adds(&b, "      </classes>\n    </package>\n");
        i = j;
    }
    tg_buf_adds(&b, "  </packages>\n</coverage>\n");
    return tg_buf_steal(&b);
}

/* ---- thresholds ------------------------------------------------------ */

static int policy_pct(const char *cfg_file, const tg_ynode *n, const char *key, double *out)
{
    const char *s = tg_y_str(n);
    char *end = NULL;
    double v = s ? strtod(s, &end) : NAN;
    if (!s || end == s || *end || !(v >= 0 && v <= 100)) {
        tg_error(cfg_file, n->line, "coverage.%s must be a percentage from 0 to 100, e.g. "
                                    "%s: 80",
                 key, key);
        return TG_ECONFIG;
    }
    *out = v;
    return TG_OK;
}

static int policy_patterns(const char *cfg_file, const tg_ynode *n, const char *key,
                           char ***out, int *nout)
{
    if (n->kind == TG_Y_SCALAR && !tg_y_is_null(n)) {
        *out = tg_realloc(*out, sizeof **out * (size_t)(*nout + 1));
        (*out)[(*nout)++] = tg_strdup(n->value);
        return TG_OK;
    }
    if (n->kind != TG_Y_SEQ) {
        tg_error(cfg_file, n->line, "coverage.%s must be a list of path patterns, e.g. "
                                    "%s: [\"suites/*\"]",
                 key, key);
        return TG_ECONFIG;
    }
    for (size_t i = 0; i < n->n; i++) {
        const char *s = tg_y_str(n->vals[i]);
        if (!s || !*s) {
            tg_error(cfg_file, n->vals[i]->line, "coverage.%s: each entry is a path pattern",
                     key);
            return TG_ECONFIG;
        }
        *out = tg_realloc(*out, sizeof **out * (size_t)(*nout + 1));
        (*out)[(*nout)++] = tg_strdup(s);
    }
    return TG_OK;
}

static int policy_files(const char *cfg_file, const tg_ynode *n, tg_cov_policy *p)
{
    if (n->kind != TG_Y_MAP) {
        tg_error(cfg_file, n->line, "coverage.files must map path patterns to minimums, e.g. "
                                    "files: {\"harness/*.c\": {min_line: 60}}");
        return TG_ECONFIG;
    }
    for (size_t i = 0; i < n->n; i++) {
        const tg_ynode *rule = n->vals[i], *min = tg_y_get(rule, "min_line");
        if (rule->kind != TG_Y_MAP || !min || rule->n != 1) {
            tg_error(cfg_file, rule->line, "coverage.files.%s: give exactly {min_line: N}",
                     n->keys[i]->value);
            return TG_ECONFIG;
        }
        double v;
        int rc = policy_pct(cfg_file, min, "files.*.min_line", &v);
        if (rc)
            return rc;
        p->file_patterns = tg_realloc(p->file_patterns, sizeof(char *) * (size_t)(p->nfile_rules + 1));
        p->file_min_line = tg_realloc(p->file_min_line, sizeof(double) * (size_t)(p->nfile_rules + 1));
        p->file_patterns[p->nfile_rules] = tg_strdup(n->keys[i]->value);
        p->file_min_line[p->nfile_rules++] = v;
    }
    return TG_OK;
}

int tg_cov_policy_read(const tg_ynode *cfg, const char *cfg_file, tg_cov_policy *p)
{
    memset(p, 0, sizeof *p);
    p->min_line = p->min_function = p->min_branch = p->min_file_line = -1;
    if (!cfg || tg_y_is_null(cfg))
        return TG_OK;
    if (cfg->kind != TG_Y_MAP) {
        tg_error(cfg_file, cfg->line, "coverage must be a map (min_line, min_function, "
                                      "min_branch, min_file_line, files, exclude, history)");
        return TG_ECONFIG;
    }
    int rc = TG_OK;
    for (size_t i = 0; i < cfg->n && !rc; i++) {
        const char *key = cfg->keys[i]->value;
        const tg_ynode *v = cfg->vals[i];
        if (strcmp(key, "min_line") == 0)
            rc = policy_pct(cfg_file, v, key, &p->min_line);
        else if (strcmp(key, "min_function") == 0)
            rc = policy_pct(cfg_file, v, key, &p->min_function);
        else if (strcmp(key, "min_branch") == 0)
            rc = policy_pct(cfg_file, v, key, &p->min_branch);
        else if (strcmp(key, "min_file_line") == 0)
            rc = policy_pct(cfg_file, v, key, &p->min_file_line);
        else if (strcmp(key, "files") == 0)
            rc = policy_files(cfg_file, v, p);
        else if (strcmp(key, "exclude") == 0)
            rc = policy_patterns(cfg_file, v, key, &p->exclude, &p->nexclude);
        else if (strcmp(key, "history") == 0 && tg_y_str(v) && *tg_y_str(v)) {
            free(p->history);
            p->history = tg_strdup(tg_y_str(v));
        } else {
            tg_error(cfg_file, cfg->keys[i]->line, "coverage.%s is not a coverage setting "
                     "(min_line, min_function, min_branch, min_file_line, files, exclude, "
                     "history)", key);
            rc = TG_ECONFIG;
        }
    }
    if (rc)
        tg_cov_policy_free(p);
    return rc;
}

void tg_cov_policy_free(tg_cov_policy *p)
{
    for (int i = 0; i < p->nfile_rules; i++)
        free(p->file_patterns[i]);
    for (int i = 0; i < p->nexclude; i++)
        free(p->exclude[i]);
    free(p->file_patterns);
    free(p->file_min_line);
    free(p->exclude);
    free(p->history);
    memset(p, 0, sizeof *p);
    p->min_line = p->min_function = p->min_branch = p->min_file_line = -1;
}

double tg_cov_pct_cut(double pct)
{
    return floor(pct * 10.0 + 1e-9) / 10.0;
}

static void add_reason(char ***reasons, int *n, char *r)
{
    *reasons = tg_realloc(*reasons, sizeof **reasons * (size_t)(*n + 1));
    (*reasons)[(*n)++] = r;
}

static void put_count(cJSON *o, const char *key, tg_cov_count n)
{
    cJSON *c = cJSON_AddObjectToObject(o, key);
    cJSON_AddNumberToObject(c, "found", (double)n.found);
    cJSON_AddNumberToObject(c, "hit", (double)n.hit);
}

static void check_min(cJSON *section, const char *what, const char *key, double min, double pct,
                      char ***reasons, int *nreasons)
{
    if (min < 0)
        return;
    cJSON_AddNumberToObject(section, key, min);
    if (pct < min)
        add_reason(reasons, nreasons,
                   tg_asprintf("%scoverage %.1f%% is under %g%%", what, tg_cov_pct_cut(pct), min));
}

typedef struct {
    const tg_cov_file *f;
    tg_cov_totals t;
    double pct;
} file_row;

static int row_cmp(const void *a, const void *b)
{
    const file_row *x = a, *y = b;
    if (x->pct != y->pct)
        return x->pct < y->pct ? -1 : 1;
    if (x->t.lines.found != y->t.lines.found) /* bigger gaps first */
        return x->t.lines.found > y->t.lines.found ? -1 : 1;
    return strcmp(x->f->path, y->f->path);
}

static double file_min(const tg_cov_policy *p, const char *path)
{
    double m = p->min_file_line;
    for (int i = 0; i < p->nfile_rules; i++)
        if (fnmatch(p->file_patterns[i], path, 0) == 0)
            m = p->file_min_line[i]; /* the last matching rule wins, as in .gitignore */
    return m;
}

static double round2(double v)
{
    return round(v * 100.0) / 100.0;
}

/* The last recorded line total, or NAN. A damaged history is only warned
 * about: it never decides a deploy. */
static double history_last(const char *history, const char *key)
{
    size_t len;
    char *text = tg_read_file(history, &len);
    if (!text)
        return NAN;
    double v = NAN;
    cJSON *doc = cJSON_ParseWithLength(text, len);
    const cJSON *entries = cJSON_GetObjectItemCaseSensitive(doc, "entries");
    const cJSON *last = cJSON_GetArrayItem(entries, cJSON_GetArraySize(entries) - 1);
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(last, key);
    if (cJSON_IsNumber(n))
        v = n->valuedouble;
    else if (!doc || !cJSON_IsArray(entries))
        tg_warn(history, 0, "not a coverage history; it will be started again");
    cJSON_Delete(doc);
    free(text);
    return v;
}

void tg_cov_section(const tg_cov *c, const tg_cov_policy *p, const char *history,
                    cJSON *section, char ***reasons, int *nreasons)
{
    tg_cov_totals t;
    tg_cov_totals_of(c, &t);
    double line = tg_cov_pct(t.lines), func = tg_cov_pct(t.functions),
           branch = tg_cov_pct(t.branches);
    cJSON_AddNumberToObject(section, "line", round2(line));
    cJSON_AddNumberToObject(section, "function", round2(func));
    cJSON_AddNumberToObject(section, "branch", round2(branch));
    put_count(section, "lines", t.lines);
    put_count(section, "functions", t.functions);
    put_count(section, "branches", t.branches);
    cJSON_AddNumberToObject(section, "files", (double)c->nfiles);
    if (c->identity)
        cJSON_AddStringToObject(section, "build", c->identity);
    check_min(section, "", "min_line", p->min_line, line, reasons, nreasons);
    check_min(section, "function ", "min_function", p->min_function, func, reasons, nreasons);
    check_min(section, "branch ", "min_branch", p->min_branch, branch, reasons, nreasons);
    if (p->min_file_line >= 0)
        cJSON_AddNumberToObject(section, "min_file_line", p->min_file_line);
    if (history) {
        double prev = history_last(history, "line");
        if (!isnan(prev))
            cJSON_AddNumberToObject(section, "previous_line", prev);
    }

    file_row *rows = tg_calloc(c->nfiles ? c->nfiles : 1, sizeof *rows);
    size_t nrows = 0;
    for (size_t i = 0; i < c->nfiles; i++) {
        file_row *r = &rows[nrows];
        r->f = c->files[i];
        tg_cov_file_totals(r->f, &r->t);
        if (!r->t.lines.found)
            continue;
        r->pct = tg_cov_pct(r->t.lines);
        nrows++;
    }
    qsort(rows, nrows, sizeof *rows, row_cmp);
    cJSON *lowest = cJSON_AddArrayToObject(section, "lowest");
    cJSON *under = cJSON_AddArrayToObject(section, "files_under_minimum");
    int nunder = 0;
    for (size_t i = 0; i < nrows; i++) {
        if (i < LOWEST_FILES) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "path", rows[i].f->path);
            cJSON_AddNumberToObject(o, "line", round2(rows[i].pct));
            cJSON_AddNumberToObject(o, "found", (double)rows[i].t.lines.found);
            cJSON_AddNumberToObject(o, "hit", (double)rows[i].t.lines.hit);
            cJSON_AddItemToArray(lowest, o);
        }
        double min = file_min(p, rows[i].f->path);
        if (min >= 0 && rows[i].pct < min) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "path", rows[i].f->path);
            cJSON_AddNumberToObject(o, "line", round2(rows[i].pct));
            cJSON_AddNumberToObject(o, "min_line", min);
            cJSON_AddItemToArray(under, o);
            if (nunder++ < FILE_REASONS)
                add_reason(reasons, nreasons,
                           tg_asprintf("%s: line coverage %.1f%% is under %g%%",
                                       rows[i].f->path, tg_cov_pct_cut(rows[i].pct), min));
        }
    }
    if (nunder > FILE_REASONS)
        add_reason(reasons, nreasons,
                   tg_asprintf("... and %d more files under their coverage minimum",
                               nunder - FILE_REASONS));
    free(rows);
}

int tg_cov_history_record(const char *history, const cJSON *section)
{
    const cJSON *line = cJSON_GetObjectItemCaseSensitive(section, "line");
    if (!history || !cJSON_IsNumber(line))
        return TG_OK;
    size_t len;
    char *text = tg_read_file(history, &len);
    cJSON *doc = text ? cJSON_ParseWithLength(text, len) : NULL;
    free(text);
    cJSON *entries = cJSON_GetObjectItemCaseSensitive(doc, "entries");
    if (!cJSON_IsArray(entries)) {
        cJSON_Delete(doc);
        doc = cJSON_CreateObject();
        cJSON_AddStringToObject(doc, "format", "tollgate-coverage-history/1");
        entries = cJSON_AddArrayToObject(doc, "entries");
    }
    while (cJSON_GetArraySize(entries) >= HISTORY_KEEP)
        cJSON_DeleteItemFromArray(entries, 0);
    cJSON *e = cJSON_CreateObject();
    char ts[32];
    tg_utc_timestamp(ts);
    cJSON_AddStringToObject(e, "time", ts);
    static const char *const keys[] = {"line", "function", "branch"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(section, keys[i]);
        if (cJSON_IsNumber(v))
            cJSON_AddNumberToObject(e, keys[i], v->valuedouble);
    }
    cJSON_AddItemToArray(entries, e);
    char *out = cJSON_Print(doc);
    cJSON_Delete(doc);
    int rc = TG_OK;
    char *dir = tg_strdup(history);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        rc = tg_mkdirs(dir);
    }
    free(dir);
    if (!rc)
        rc = tg_write_file_atomic(history, out, strlen(out));
    free(out);
    return rc;
}

/* ---- Markdown -------------------------------------------------------- */

static double numof(const cJSON *o, const char *key, double dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

static void md_row(tg_buf *b, const cJSON *section, const char *label, const char *count_key,
                   const char *pct_key, const char *min_key)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(section, count_key);
    double min = numof(section, min_key, -1), pct = numof(section, pct_key, 0);
    tg_buf_addf(b, "| %s | %.0f | %.0f | %.1f%% |", label, numof(n, "hit", 0),
                numof(n, "found", 0), tg_cov_pct_cut(pct));
    if (min >= 0)
        tg_buf_addf(b, " %g%% %s |\n", min, pct < min ? "**missed**" : "met");
    else
        tg_buf_adds(b, " — |\n");
}

/* File paths go into Markdown inside code spans; a backtick in a name would
 * end the span early, so it is replaced. */
static void md_code(tg_buf *b, const char *s)
{
    tg_buf_adds(b, "`");
    for (; *s; s++)
        tg_buf_add(b, *s == '`' ? "'" : s, 1);
    tg_buf_adds(b, "`");
}

char *tg_coverage_markdown(const cJSON *section)
{
    tg_buf b;
    tg_buf_init(&b);
    if (!section || !cJSON_GetObjectItemCaseSensitive(section, "line"))
        return tg_buf_steal(&b);
    double line = numof(section, "line", 0), prev = numof(section, "previous_line", NAN);
    tg_buf_addf(&b, "### Coverage\n\n**%.1f%%** of lines", tg_cov_pct_cut(line));
    if (!isnan(prev)) {
        double d = round((line - prev) * 10.0) / 10.0;
        if (d == 0)
            tg_buf_addf(&b, ", unchanged since the last recorded run (%.1f%%).\n\n", prev);
        else
            tg_buf_addf(&b, ", %+.1f points since the last recorded run (%.1f%%).\n\n", d, prev);
    } else {
        tg_buf_adds(&b, " (no earlier run recorded).\n\n");
    }
    tg_buf_adds(&b, "| | covered | total | % | minimum |\n|---|---:|---:|---:|---|\n");
    md_row(&b, section, "lines", "lines", "line", "min_line");
    md_row(&b, section, "functions", "functions", "function", "min_function");
    md_row(&b, section, "branches", "branches", "branch", "min_branch");
    const cJSON *under = cJSON_GetObjectItemCaseSensitive(section, "files_under_minimum");
    if (cJSON_GetArraySize(under) > 0) {
        tg_buf_addf(&b, "\n%d files are under their minimum:\n\n", cJSON_GetArraySize(under));
        const cJSON *o;
        int shown_n = 0;
        cJSON_ArrayForEach(o, under)
        {
            if (shown_n++ == FILE_REASONS)
                break;
            tg_buf_adds(&b, "- ");
            md_code(&b, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "path")));
            tg_buf_addf(&b, ": %.1f%% (minimum %g%%)\n", tg_cov_pct_cut(numof(o, "line", 0)),
                        numof(o, "min_line", 0));
        }
    }
    const cJSON *lowest = cJSON_GetObjectItemCaseSensitive(section, "lowest");
    if (cJSON_GetArraySize(lowest) > 0) {
        tg_buf_adds(&b, "\n**Least-covered files**\n\n| file | lines | % |\n|---|---:|---:|\n");
        const cJSON *o;
        cJSON_ArrayForEach(o, lowest)
        {
            tg_buf_adds(&b, "| ");
            md_code(&b, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "path")));
            tg_buf_addf(&b, " | %.0f/%.0f | %.1f%% |\n", numof(o, "hit", 0), numof(o, "found", 0),
                        tg_cov_pct_cut(numof(o, "line", 0)));
        }
    }
    return tg_buf_steal(&b);
}

/* ---- files and the gate ---------------------------------------------- */

static int write_text(const char *dir, const char *name, char *text)
{
    char *path = tg_asprintf("%s/%s", dir, name);
    int rc = tg_write_file_atomic(path, text, strlen(text));
    free(path);
    free(text);
    return rc;
}

static int write_data_files(const tg_cov *c, const char *out_dir)
{
    int rc = tg_mkdirs(out_dir);
    if (!rc)
        rc = write_text(out_dir, "coverage.json", tg_cov_to_json(c));
    if (!rc)
        rc = write_text(out_dir, "coverage.info", tg_cov_lcov(c));
    if (!rc)
        rc = write_text(out_dir, "coverage.xml", tg_cov_cobertura(c));
    return rc;
}

int tg_cov_write_reports(const tg_cov *c, const cJSON *section, const char *out_dir)
{
    int rc = write_data_files(c, out_dir);
    if (!rc)
        rc = write_text(out_dir, "summary.md", tg_coverage_markdown(section));
    return rc;
}

/* Once one shard has coverage, every test shard must: a shard whose
 * coverage is missing would make the total quietly smaller. Lint and smoke
 * result folders have none, and need none. */
static void check_every_shard_has_coverage(char *const *dirs, int ndirs, char ***reasons,
                                           int *nreasons)
{
    for (int i = 0; i < ndirs; i++) {
        char *cov = tg_asprintf("%s/coverage.json", dirs[i]);
        char *res = tg_asprintf("%s/results.json", dirs[i]);
        if (access(cov, F_OK) != 0) {
            tg_results r;
            char *why = NULL;
            if (tg_results_read(res, &r, &why) == 0 && strcmp(r.kind, "shard") == 0)
                add_reason(reasons, nreasons,
                           tg_asprintf("%s has no coverage.json while other shards do: its "
                                       "coverage is missing from the total",
                                       dirs[i]));
            tg_results_free(&r);
            free(why);
        }
        free(res);
        free(cov);
    }
}

int tg_coverage_gate(char *const *dirs, int ndirs, const char *out_dir, const tg_ynode *cfg,
                     cJSON *section, char ***reasons, int *nreasons)
{
    tg_cov_policy p;
    int rc = tg_cov_policy_read(cfg, "tollgate.yaml", &p);
    if (rc)
        return rc;
    tg_cov all;
    int found = 0;
    rc = tg_cov_merge_paths(dirs, ndirs, 1, &all, &found);
    if (!rc && found)
        check_every_shard_has_coverage(dirs, ndirs, reasons, nreasons);
    if (!rc && found) {
        tg_cov_exclude(&all, p.exclude, p.nexclude);
        const char *history = p.history ? p.history : ".tollgate/coverage-history.json";
        tg_cov_section(&all, &p, history, section, reasons, nreasons);
        rc = write_data_files(&all, out_dir);
        if (!rc)
            rc = tg_cov_history_record(history, section);
    }
    tg_cov_free(&all);
    tg_cov_policy_free(&p);
    return rc;
}
