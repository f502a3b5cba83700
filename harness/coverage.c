/* coverage.c: the coverage model, its sums and its coverage.json form (coverage.h). */
#include "coverage.h"
#include "tg.h"

#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Bounds a coverage.json may not exceed: a line number past this is corrupt
 * data, not source code. */
#define MAX_LINE 1000000

void tg_cov_init(tg_cov *c)
{
    memset(c, 0, sizeof *c);
}

static void file_free(tg_cov_file *f)
{
    for (int i = 0; i < f->nlines; i++)
        free(f->br[i]);
    for (int i = 0; i < f->nfuncs; i++)
        free(f->funcs[i].name);
    free(f->br);
    free(f->nbr);
    free(f->lines);
    free(f->funcs);
    free(f->path);
    free(f);
}

void tg_cov_free(tg_cov *c)
{
    for (size_t i = 0; i < c->nfiles; i++)
        file_free(c->files[i]);
    free(c->files);
    free(c->slots);
    free(c->identity);
    free(c->gcov_version);
    tg_cov_init(c);
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* Rebuilds the index at a size that keeps it at most half full. */
static void rehash(tg_cov *c)
{
    free(c->slots);
    c->nslots = 64;
    while (c->nslots < c->nfiles * 2 + 2)
        c->nslots *= 2;
    c->slots = tg_calloc(c->nslots, sizeof *c->slots);
    for (size_t i = 0; i < c->nfiles; i++) {
        size_t s = fnv1a(c->files[i]->path) & (c->nslots - 1);
        while (c->slots[s])
            s = (s + 1) & (c->nslots - 1);
        c->slots[s] = i + 1;
    }
}

tg_cov_file *tg_cov_file_find(const tg_cov *c, const char *path)
{
    if (!c->nslots)
        return NULL;
    size_t s = fnv1a(path) & (c->nslots - 1);
    while (c->slots[s]) {
        tg_cov_file *f = c->files[c->slots[s] - 1];
        if (strcmp(f->path, path) == 0)
            return f;
        s = (s + 1) & (c->nslots - 1);
    }
    return NULL;
}

tg_cov_file *tg_cov_file_get(tg_cov *c, const char *path)
{
    tg_cov_file *f = tg_cov_file_find(c, path);
    if (f)
        return f;
    if (c->nfiles == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 32;
        c->files = tg_realloc(c->files, c->cap * sizeof *c->files);
    }
    f = tg_calloc(1, sizeof *f);
    f->path = tg_strdup(path);
    c->files[c->nfiles++] = f;
    if (c->nfiles * 2 + 2 > c->nslots) {
        rehash(c);
    } else {
        size_t s = fnv1a(path) & (c->nslots - 1);
        while (c->slots[s])
            s = (s + 1) & (c->nslots - 1);
        c->slots[s] = c->nfiles;
    }
    return f;
}

static void grow_lines(tg_cov_file *f, int line)
{
    if (line < f->nlines)
        return;
    int n = f->nlines ? f->nlines : 64;
    while (n <= line)
        n *= 2;
    f->lines = tg_realloc(f->lines, (size_t)n * sizeof *f->lines);
    f->br = tg_realloc(f->br, (size_t)n * sizeof *f->br);
    f->nbr = tg_realloc(f->nbr, (size_t)n * sizeof *f->nbr);
    for (int i = f->nlines; i < n; i++) {
        f->lines[i] = TG_COV_NOLINE;
        f->br[i] = NULL;
        f->nbr[i] = 0;
    }
    f->nlines = n;
}

void tg_cov_add_line(tg_cov_file *f, int line, long long count)
{
    if (line < 0)
        return;
    grow_lines(f, line);
    if (count < 0)
        count = 0;
    f->lines[line] = f->lines[line] == TG_COV_NOLINE ? count : f->lines[line] + count;
}

void tg_cov_add_func(tg_cov_file *f, const char *name, int line, int end_line, long long count)
{
    /* Most lookups repeat the last function added (gcov lists a file's
     * functions in the same order every time), so start there. */
    for (int k = 0; k < f->nfuncs; k++) {
        tg_cov_func *fn = &f->funcs[(f->nfuncs - 1 - k)];
        if (strcmp(fn->name, name) == 0) {
            fn->count += count > 0 ? count : 0;
            return;
        }
    }
    if (f->nfuncs == f->capfuncs) {
        f->capfuncs = f->capfuncs ? f->capfuncs * 2 : 8;
        f->funcs = tg_realloc(f->funcs, (size_t)f->capfuncs * sizeof *f->funcs);
    }
    tg_cov_func *fn = &f->funcs[f->nfuncs++];
    fn->name = tg_strdup(name);
    fn->line = line;
    fn->end_line = end_line;
    fn->count = count > 0 ? count : 0;
}

void tg_cov_add_branch(tg_cov_file *f, int line, int idx, long long count)
{
    if (line < 0 || idx < 0)
        return;
    grow_lines(f, line);
    if (idx >= f->nbr[line]) {
        f->br[line] = tg_realloc(f->br[line], (size_t)(idx + 1) * sizeof **f->br);
        for (int i = f->nbr[line]; i <= idx; i++)
            f->br[line][i] = -1;
        f->nbr[line] = idx + 1;
    }
    long long *b = &f->br[line][idx];
    if (count >= 0)
        *b = *b < 0 ? count : *b + count;
}

void tg_cov_merge(tg_cov *c, const tg_cov *from)
{
    for (size_t i = 0; i < from->nfiles; i++) {
        const tg_cov_file *s = from->files[i];
        tg_cov_file *d = tg_cov_file_get(c, s->path);
        for (int l = 0; l < s->nlines; l++) {
            if (s->lines[l] != TG_COV_NOLINE)
                tg_cov_add_line(d, l, s->lines[l]);
            for (int b = 0; b < s->nbr[l]; b++)
                tg_cov_add_branch(d, l, b, s->br[l][b]);
        }
        for (int k = 0; k < s->nfuncs; k++)
            tg_cov_add_func(d, s->funcs[k].name, s->funcs[k].line, s->funcs[k].end_line,
                            s->funcs[k].count);
    }
    c->ngcda += from->ngcda;
}

void tg_cov_exclude(tg_cov *c, char *const *patterns, int npatterns)
{
    if (npatterns <= 0)
        return;
    size_t kept = 0;
    for (size_t i = 0; i < c->nfiles; i++) {
        int drop = 0;
        for (int p = 0; p < npatterns && !drop; p++)
            drop = fnmatch(patterns[p], c->files[i]->path, 0) == 0;
        if (drop)
            file_free(c->files[i]);
        else
            c->files[kept++] = c->files[i];
    }
    c->nfiles = kept;
    rehash(c);
}

static int file_cmp(const void *a, const void *b)
{
    return strcmp((*(tg_cov_file *const *)a)->path, (*(tg_cov_file *const *)b)->path);
}

static int func_cmp(const void *a, const void *b)
{
    const tg_cov_func *x = a, *y = b;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return strcmp(x->name, y->name);
}

void tg_cov_sort(tg_cov *c)
{
    if (c->nfiles > 1)
        qsort(c->files, c->nfiles, sizeof *c->files, file_cmp);
    for (size_t i = 0; i < c->nfiles; i++)
        if (c->files[i]->nfuncs > 1)
            qsort(c->files[i]->funcs, (size_t)c->files[i]->nfuncs, sizeof(tg_cov_func), func_cmp);
    rehash(c);
}

void tg_cov_file_totals(const tg_cov_file *f, tg_cov_totals *t)
{
    memset(t, 0, sizeof *t);
    for (int l = 0; l < f->nlines; l++) {
        if (f->lines[l] != TG_COV_NOLINE) {
            t->lines.found++;
            t->lines.hit += f->lines[l] > 0;
        }
        for (int b = 0; b < f->nbr[l]; b++) {
            t->branches.found++;
            t->branches.hit += f->br[l][b] > 0;
        }
    }
    for (int k = 0; k < f->nfuncs; k++) {
        t->functions.found++;
        t->functions.hit += f->funcs[k].count > 0;
    }
}

void tg_cov_totals_of(const tg_cov *c, tg_cov_totals *t)
{
    memset(t, 0, sizeof *t);
    for (size_t i = 0; i < c->nfiles; i++) {
        tg_cov_totals ft;
        tg_cov_file_totals(c->files[i], &ft);
        t->lines.found += ft.lines.found;
        t->lines.hit += ft.lines.hit;
        t->functions.found += ft.functions.found;
        t->functions.hit += ft.functions.hit;
        t->branches.found += ft.branches.found;
        t->branches.hit += ft.branches.hit;
    }
}

double tg_cov_pct(tg_cov_count n)
{
    return n.found ? 100.0 * (double)n.hit / (double)n.found : 100.0;
}

/* ---- coverage.json ---------------------------------------------------- */

static void json_str(tg_buf *b, const char *s)
{
    tg_buf_add(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            tg_buf_addf(b, "\\%c", *p);
        else if (*p < 0x20)
            tg_buf_addf(b, "\\u%04x", *p);
        else
            tg_buf_add(b, p, 1);
    }
    tg_buf_add(b, "\"", 1);
}

static void json_count(tg_buf *b, const char *name, tg_cov_count n, int last)
{
    tg_buf_addf(b, "\"%s\": {\"found\": %lld, \"hit\": %lld}%s", name, n.found, n.hit,
                last ? "" : ", ");
}

/* Written by hand rather than through a cJSON tree: a large build has
 * millions of counts, and one pass into a buffer is several times faster. */
char *tg_cov_to_json(const tg_cov *c)
{
    tg_buf b;
    tg_buf_init(&b);
    tg_cov_totals t;
    tg_cov_totals_of(c, &t);
    tg_buf_adds(&b, "{\"format\": \"" TG_COV_FORMAT "\",\n \"build\": {\"identity\": ");
    json_str(&b, c->identity ? c->identity : "");
    tg_buf_adds(&b, ", \"gcov\": ");
    json_str(&b, c->gcov_version ? c->gcov_version : "");
    tg_buf_addf(&b, ", \"gcda\": %ld},\n \"totals\": {", c->ngcda);
    json_count(&b, "lines", t.lines, 0);
    json_count(&b, "functions", t.functions, 0);
    json_count(&b, "branches", t.branches, 1);
    tg_buf_adds(&b, "},\n \"files\": [");
    for (size_t i = 0; i < c->nfiles; i++) {
        const tg_cov_file *f = c->files[i];
        tg_buf_adds(&b, i ? ",\n  {\"path\": " : "\n  {\"path\": ");
        json_str(&b, f->path);
        tg_buf_adds(&b, ",\n   \"lines\": [");
        int first = 1;
        for (int l = 0; l < f->nlines; l++)
            if (f->lines[l] != TG_COV_NOLINE) {
                tg_buf_addf(&b, "%s[%d,%lld]", first ? "" : ",", l, f->lines[l]);
                first = 0;
            }
        tg_buf_adds(&b, "],\n   \"functions\": [");
        for (int k = 0; k < f->nfuncs; k++) {
            tg_buf_adds(&b, k ? ",[" : "[");
            json_str(&b, f->funcs[k].name);
            tg_buf_addf(&b, ",%d,%d,%lld]", f->funcs[k].line, f->funcs[k].end_line,
                        f->funcs[k].count);
        }
        tg_buf_adds(&b, "],\n   \"branches\": [");
        first = 1;
        for (int l = 0; l < f->nlines; l++) {
            if (!f->nbr[l])
                continue;
            tg_buf_addf(&b, "%s[%d,[", first ? "" : ",", l);
            for (int k = 0; k < f->nbr[l]; k++)
                tg_buf_addf(&b, "%s%lld", k ? "," : "", f->br[l][k]);
            tg_buf_adds(&b, "]]");
            first = 0;
        }
        tg_buf_adds(&b, "]}");
    }
    tg_buf_adds(&b, "\n ]}\n");
    return tg_buf_steal(&b);
}

int tg_cov_write(const tg_cov *c, const char *path)
{
    char *s = tg_cov_to_json(c);
    int rc = tg_write_file_atomic(path, s, strlen(s));
    free(s);
    return rc;
}

static int bad(const char *name, const char *what)
{
    tg_error(name, 0, "%s; the coverage data is damaged: collect it again "
                      "(tollgate coverage collect)", what);
    return TG_EFORMAT;
}

static int get_int(const cJSON *a, int i, double lo, double hi, long long *out)
{
    const cJSON *v = cJSON_GetArrayItem(a, i);
    if (!cJSON_IsNumber(v) || v->valuedouble < lo || v->valuedouble > hi ||
        v->valuedouble != floor(v->valuedouble))
        return -1;
    *out = (long long)v->valuedouble;
    return 0;
}

static int parse_file(const cJSON *jf, tg_cov *c, const char *name)
{
    const cJSON *path = cJSON_GetObjectItemCaseSensitive(jf, "path");
    const cJSON *lines = cJSON_GetObjectItemCaseSensitive(jf, "lines");
    const cJSON *funcs = cJSON_GetObjectItemCaseSensitive(jf, "functions");
    const cJSON *brs = cJSON_GetObjectItemCaseSensitive(jf, "branches");
    if (!cJSON_IsString(path) || !*path->valuestring || !cJSON_IsArray(lines) ||
        !cJSON_IsArray(funcs) || !cJSON_IsArray(brs))
        return bad(name, "a file entry lacks path, lines, functions or branches");
    tg_cov_file *f = tg_cov_file_get(c, path->valuestring);
    const double big = 9007199254740992.0;
    const cJSON *e;
    cJSON_ArrayForEach(e, lines)
    {
        long long l, n;
        if (cJSON_GetArraySize(e) != 2 || get_int(e, 0, 0, MAX_LINE, &l) ||
            get_int(e, 1, 0, big, &n))
            return bad(name, "a line entry is not [line, count]");
        tg_cov_add_line(f, (int)l, n);
    }
    cJSON_ArrayForEach(e, funcs)
    {
        long long l, el, n;
        const cJSON *fn = cJSON_GetArrayItem(e, 0);
        if (cJSON_GetArraySize(e) != 4 || !cJSON_IsString(fn) ||
            get_int(e, 1, 0, MAX_LINE, &l) || get_int(e, 2, 0, MAX_LINE, &el) ||
            get_int(e, 3, 0, big, &n))
            return bad(name, "a function entry is not [name, line, end_line, count]");
        tg_cov_add_func(f, fn->valuestring, (int)l, (int)el, n);
    }
    cJSON_ArrayForEach(e, brs)
    {
        long long l;
        const cJSON *counts = cJSON_GetArrayItem(e, 1);
        if (cJSON_GetArraySize(e) != 2 || get_int(e, 0, 0, MAX_LINE, &l) ||
            !cJSON_IsArray(counts))
            return bad(name, "a branch entry is not [line, [counts]]");
        int k = 0;
        const cJSON *bc;
        cJSON_ArrayForEach(bc, counts)
        {
            if (!cJSON_IsNumber(bc) || bc->valuedouble < -1 || bc->valuedouble > big)
                return bad(name, "a branch count is not a number of at least -1");
            tg_cov_add_branch(f, (int)l, k++, (long long)bc->valuedouble);
        }
    }
    return TG_OK;
}

static int check_count(const cJSON *totals, const char *key, tg_cov_count n, const char *name)
{
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(totals, key);
    const cJSON *found = cJSON_GetObjectItemCaseSensitive(o, "found");
    const cJSON *hit = cJSON_GetObjectItemCaseSensitive(o, "hit");
    /* compared as doubles: a hostile file may hold numbers no integer can */
    if (!cJSON_IsNumber(found) || !cJSON_IsNumber(hit) ||
        found->valuedouble != (double)n.found || hit->valuedouble != (double)n.hit) {
        char *msg = tg_asprintf("the recorded %s totals disagree with the data (%lld of %lld "
                                "recomputed)",
                                key, n.hit, n.found);
        int rc = bad(name, msg);
        free(msg);
        return rc;
    }
    return TG_OK;
}

int tg_cov_parse(const char *text, size_t len, const char *name, tg_cov *c)
{
    tg_cov_init(c);
    if (len == 0)
        return bad(name, "the file is empty");
    const char *end = NULL;
    cJSON *doc = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!doc) {
        size_t at = end && end >= text ? (size_t)(end - text) : 0;
        char *msg = tg_asprintf("not valid JSON at byte %zu of %zu (truncated?)", at, len);
        int rc = bad(name, msg);
        free(msg);
        return rc;
    }
    int rc = TG_OK;
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(doc, "format");
    const cJSON *build = cJSON_GetObjectItemCaseSensitive(doc, "build");
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(doc, "files");
    const cJSON *totals = cJSON_GetObjectItemCaseSensitive(doc, "totals");
    if (!cJSON_IsString(fmt)) {
        rc = bad(name, "no \"format\" member: not a tollgate coverage file");
    } else if (strcmp(fmt->valuestring, TG_COV_FORMAT) != 0) {
        tg_error(name, 0, "format \"%s\" is not one this tollgate reads (%s); use the "
                          "tollgate that wrote it, or collect again",
                 fmt->valuestring, TG_COV_FORMAT);
        rc = TG_EFORMAT;
    } else if (!cJSON_IsObject(build) || !cJSON_IsArray(files) || !cJSON_IsObject(totals)) {
        rc = bad(name, "\"build\", \"files\" or \"totals\" is missing");
    }
    if (rc == TG_OK) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(build, "identity");
        const cJSON *gv = cJSON_GetObjectItemCaseSensitive(build, "gcov");
        const cJSON *ng = cJSON_GetObjectItemCaseSensitive(build, "gcda");
        if (cJSON_IsString(id) && *id->valuestring)
            c->identity = tg_strdup(id->valuestring);
        if (cJSON_IsString(gv) && *gv->valuestring)
            c->gcov_version = tg_strdup(gv->valuestring);
        if (cJSON_IsNumber(ng) && ng->valuedouble >= 0 && ng->valuedouble < 1e15)
            c->ngcda = (long)ng->valuedouble;
        const cJSON *jf;
        cJSON_ArrayForEach(jf, files)
        {
            rc = parse_file(jf, c, name);
            if (rc)
                break;
        }
    }
    if (rc == TG_OK) {
        tg_cov_totals t;
        tg_cov_totals_of(c, &t);
        rc = check_count(totals, "lines", t.lines, name);
        if (!rc)
            rc = check_count(totals, "functions", t.functions, name);
        if (!rc)
            rc = check_count(totals, "branches", t.branches, name);
    }
    cJSON_Delete(doc);
    if (rc)
        tg_cov_free(c);
    return rc;
}

int tg_cov_read(const char *path, tg_cov *c)
{
    size_t len;
    tg_cov_init(c);
    char *text = tg_read_file(path, &len);
    if (!text) {
        tg_error(path, 0, "cannot read coverage data: %s", strerror(errno));
        return TG_EIO;
    }
    int rc = tg_cov_parse(text, len, path, c);
    free(text);
    return rc;
}

int tg_cov_merge_paths(char *const *paths, int npaths, int skip_missing, tg_cov *out, int *nread)
{
    tg_cov_init(out);
    *nread = 0;
    const char *first = NULL;
    int rc = TG_OK;
    for (int i = 0; i < npaths && !rc; i++) {
        struct stat st;
        int isdir = stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode);
        char *path = isdir ? tg_asprintf("%s/coverage.json", paths[i]) : tg_strdup(paths[i]);
        if (stat(path, &st) != 0 && errno == ENOENT) {
            if (!skip_missing) {
                tg_error(path, 0, "no coverage data here (run tollgate coverage collect "
                                  "--out %s first)",
                         isdir ? paths[i] : "DIR");
                rc = TG_EIO;
            }
            free(path);
            continue;
        }
        tg_cov one;
        rc = tg_cov_read(path, &one);
        if (!rc && *nread &&
            (!one.identity || !out->identity || strcmp(one.identity, out->identity) != 0)) {
            tg_error(path, 0, "comes from another build (identity %s) than %s (identity %s); "
                              "merge only shards of one build",
                     one.identity ? one.identity : "none", first,
                     out->identity ? out->identity : "none");
            rc = TG_ECONFIG;
        }
        if (!rc) {
            if (!*nread) {
                out->identity = one.identity ? tg_strdup(one.identity) : NULL;
                out->gcov_version = one.gcov_version ? tg_strdup(one.gcov_version) : NULL;
                first = paths[i];
            }
            tg_cov_merge(out, &one);
            ++*nread;
        }
        tg_cov_free(&one);
        free(path);
    }
    if (rc)
        tg_cov_free(out);
    else
        tg_cov_sort(out);
    return rc;
}

/* geninfo's markers, read the way it reads them: a START or STOP anywhere on
 * a line switches the section, and the line of a STOP is outside it. */
void tg_cov_apply_markers(tg_cov_file *f, const char *text, size_t len)
{
    int excl = 0, brexcl = 0, line = 0;
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        line++;
        int marked_line = 0, marked_br = 0;
        if (memmem(p, (size_t)(eol - p), "LCOV_EXCL", 9)) {
            char *s = tg_strndup(p, (size_t)(eol - p));
            if (strstr(s, "LCOV_EXCL_STOP"))
                excl = 0;
            else if (strstr(s, "LCOV_EXCL_START"))
                excl = 1;
            if (strstr(s, "LCOV_EXCL_BR_STOP"))
                brexcl = 0;
            else if (strstr(s, "LCOV_EXCL_BR_START"))
                brexcl = 1;
            marked_line = strstr(s, "LCOV_EXCL_LINE") != NULL;
            marked_br = strstr(s, "LCOV_EXCL_BR_LINE") != NULL;
            free(s);
        }
        int drop_line = excl || marked_line;
        int drop_br = drop_line || brexcl || marked_br;
        if (line < f->nlines && drop_br) {
            free(f->br[line]);
            f->br[line] = NULL;
            f->nbr[line] = 0;
        }
        if (line < f->nlines && drop_line)
            f->lines[line] = TG_COV_NOLINE;
        if (drop_line) {
            int kept = 0;
            for (int k = 0; k < f->nfuncs; k++) {
                if (f->funcs[k].line == line)
                    free(f->funcs[k].name);
                else
                    f->funcs[kept++] = f->funcs[k];
            }
            f->nfuncs = kept;
        }
        p = eol + 1;
    }
}
