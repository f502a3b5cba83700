/* lint.c: the lint driver: which file is what, the checks every file gets,
 * suppressions, and the folder walk (lint.h). */
#include "lint_int.h"
#include "tg.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_WALK_DEPTH 32

void tg_lint_init(tg_lint *L)
{
    memset(L, 0, sizeof *L);
}

static void refs_free(lint_refs *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->v[i].name);
        free(r->v[i].file);
    }
    free(r->v);
}

void tg_lint_free(tg_lint *L)
{
    for (size_t i = 0; i < L->n; i++) {
        free(L->f[i].file);
        free(L->f[i].message);
    }
    free(L->f);
    for (size_t i = 0; i < L->files; i++)
        free(L->checked[i]);
    free(L->checked);
    for (size_t i = 0; i < L->nignores; i++) {
        free(L->ignores[i].glob);
        for (size_t j = 0; j < L->ignores[i].nrules; j++)
            free(L->ignores[i].rules[j]);
        free(L->ignores[i].rules);
    }
    free(L->ignores);
    for (size_t i = 0; i < L->nsmoke; i++)
        free(L->smoke_globs[i]);
    free(L->smoke_globs);
    for (size_t i = 0; i < L->nfacts; i++) {
        tg_lint_facts *f = &L->facts[i];
        free(f->dir);
        refs_free(&f->starts);
        refs_free(&f->health);
        refs_free(&f->expects);
        refs_free(&f->declared);
    }
    free(L->facts);
    memset(L, 0, sizeof *L);
}

static size_t set_hash(const char *k)
{
    size_t h = 1469598103934665603u;
    for (; *k; k++)
        h = (h ^ (unsigned char)*k) * 1099511628211u;
    return h;
}

static size_t set_find(const lint_set *s, const char *key)
{
    size_t i = set_hash(key) & (s->cap - 1);
    while (s->keys[i] && strcmp(s->keys[i], key) != 0)
        i = (i + 1) & (s->cap - 1);
    return i;
}

int lint_set_get(const lint_set *s, const char *key)
{
    if (!s->cap)
        return -1;
    size_t i = set_find(s, key);
    return s->keys[i] ? s->vals[i] : -1;
}

int lint_set_put(lint_set *s, const char *key, int val)
{
    if (2 * (s->n + 1) > s->cap) {
        lint_set big = {tg_calloc(s->cap ? s->cap * 2 : 16, sizeof(char *)),
                        tg_calloc(s->cap ? s->cap * 2 : 16, sizeof(int)), s->cap ? s->cap * 2 : 16,
                        0};
        for (size_t i = 0; i < s->cap; i++)
            if (s->keys[i]) {
                size_t j = set_find(&big, s->keys[i]);
                big.keys[j] = s->keys[i];
                big.vals[j] = s->vals[i];
                big.n++;
            }
        free(s->keys);
        free(s->vals);
        *s = big;
    }
    size_t i = set_find(s, key);
    if (s->keys[i])
        return s->vals[i];
    s->keys[i] = tg_strdup(key);
    s->vals[i] = val;
    s->n++;
    return -1;
}

void lint_set_free(lint_set *s)
{
    for (size_t i = 0; i < s->cap; i++)
        free(s->keys[i]);
    free(s->keys);
    free(s->vals);
    memset(s, 0, sizeof *s);
}

void lint_ref_add(lint_refs *r, const char *name, const char *file, int line, int col)
{
    if (r->n >= LINT_MAX_REFS)
        return;
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 8;
        r->v = tg_realloc(r->v, r->cap * sizeof *r->v);
    }
    r->v[r->n++] = (lint_ref){tg_strdup(name), tg_strdup(file), line, col};
}

/* Is `rule` named in the directive text after "tollgate: ignore"? */
static int directive_names(const char *p, const char *end, const char *rule)
{
    size_t rl = strlen(rule);
    while (p < end) {
        while (p < end && (*p == ' ' || *p == ',' || *p == '\t'))
            p++;
        const char *w = p;
        while (p < end && *p != ' ' && *p != ',' && *p != '\t' && *p != '\r')
            p++;
        if ((size_t)(p - w) == rl && memcmp(w, rule, rl) == 0)
            return 1;
        if (p == w)
            break;
    }
    return 0;
}

/* Line n (1-based) of c's text as [*b, *e), or 0 when there is no such line.
 * Starts from the last line asked for when it can: findings come mostly in
 * order, so a file costs one pass, not one pass per finding. */
static int line_span(lint_ctx *c, int n, const char **b, const char **e)
{
    const char *p = c->text, *end = c->text + c->len;
    int i = 1;
    if (c->cache_line > 0 && c->cache_line <= n) {
        p = c->text + c->cache_off;
        i = c->cache_line;
    }
    for (; i < n; i++) {
        p = memchr(p, '\n', (size_t)(end - p));
        if (!p)
            return 0;
        p++;
    }
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    c->cache_line = n;
    c->cache_off = (size_t)(p - c->text);
    *b = p;
    *e = nl ? nl : end;
    return 1;
}

/* `# tollgate: ignore RULE[,RULE...]` on the finding's line, or alone on the
 * line above it, silences it. */
static int suppressed_inline(lint_ctx *c, const char *rule, int line)
{
    static const char tag[] = "tollgate: ignore";
    if (!c->text || line <= 0)
        return 0;
    for (int l = line > 1 ? line - 1 : 1; l <= line; l++) {
        const char *b, *e;
        if (!line_span(c, l, &b, &e))
            continue;
        const char *hash = memchr(b, '#', (size_t)(e - b));
        if (!hash)
            continue;
        if (l != line) {
            const char *q = b;
            while (q < hash && (*q == ' ' || *q == '\t'))
                q++;
            if (q != hash)
                continue; /* a comment after code only covers its own line */
        }
        const char *t = memmem(hash, (size_t)(e - hash), tag, sizeof tag - 1);
        if (t && directive_names(t + sizeof tag - 1, e, rule))
            return 1;
    }
    return 0;
}

void lint_add(lint_ctx *c, const char *rule, tg_lint_sev sev, int line, int col,
              const char *fmt, ...)
{
    if (suppressed_inline(c, rule, line))
        return;
    if (c->found >= LINT_MAX_FINDINGS && strcmp(rule, "Y7") != 0) {
        c->dropped++;
        c->dropped_error |= sev == TG_LINT_ERROR;
        return;
    }
    c->found++;
    tg_lint *L = c->L;
    if (L->n == L->cap) {
        L->cap = L->cap ? L->cap * 2 : 32;
        L->f = tg_realloc(L->f, L->cap * sizeof *L->f);
    }
    tg_finding *f = &L->f[L->n++];
    memset(f, 0, sizeof *f);
    snprintf(f->rule, sizeof f->rule, "%s", rule);
    f->sev = sev;
    f->file = tg_strdup(c->file);
    f->line = line;
    f->col = col;
    va_list ap;
    va_start(ap, fmt);
    tg_buf b;
    tg_buf_init(&b);
    tg_buf_vaddf(&b, fmt, ap);
    va_end(ap);
    f->message = tg_clean_text(b.data, b.len);
    tg_buf_free(&b);
    for (char *p = f->message; *p; p++)
        if (*p == '\n' || *p == '\t')
            *p = ' ';
}

char *lint_next_line(const lint_ctx *c, size_t *pos, int *line)
{
    if (*pos >= c->len)
        return NULL;
    const char *p = c->text + *pos, *end = c->text + c->len;
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *le = nl ? nl : end;
    *pos = nl ? (size_t)(nl + 1 - c->text) : c->len;
    (*line)++;
    if (le > p && le[-1] == '\r')
        le--;
    return tg_strndup(p, (size_t)(le - p));
}

char *lint_next_entry(const lint_ctx *c, size_t *pos, int *line, const char **start)
{
    char *l;
    while ((l = lint_next_line(c, pos, line)) != NULL) {
        const char *s = l;
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s && *s != '#') {
            *start = s;
            return l;
        }
        free(l);
    }
    return NULL;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* The file's own name. The corpus stores files as owner__repo__path with '/'
 * written "__", so the part after the last "__" counts as the name. */
const char *lint_base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    s = s ? s + 1 : path;
    for (const char *p = s; (p = strstr(p, "__")) != NULL; p += 2)
        if (p[2])
            s = p + 2;
    return s;
}

static int is_yaml_name(const char *s)
{
    return ends_with(s, ".yml") || ends_with(s, ".yaml");
}

tg_lint_kind tg_lint_kind_of(const char *path)
{
    const char *b = lint_base_name(path);
    if (strstr(path, ".github/workflows/") || strstr(path, ".github__workflows__"))
        return is_yaml_name(b) ? TG_LK_WORKFLOW : TG_LK_UNKNOWN;
    if (strcmp(b, "Procfile") == 0 || strncmp(b, "Procfile.", 9) == 0)
        return TG_LK_PROCFILE;
    if (strcmp(b, "railway.json") == 0 || ends_with(b, "railway.schema.json"))
        return TG_LK_RAILWAY_JSON;
    if (strcmp(b, "railway.toml") == 0)
        return TG_LK_RAILWAY_TOML;
    if (strcmp(b, "railway.yaml") == 0 || strcmp(b, "railway.yml") == 0)
        return TG_LK_RAILWAY_YAML;
    if (strcmp(b, "render.yaml") == 0 || strcmp(b, "render.yml") == 0)
        return TG_LK_RENDER;
    if (is_yaml_name(b) && (strncmp(b, "docker-compose", 14) == 0 || strncmp(b, "compose", 7) == 0))
        return TG_LK_COMPOSE;
    static const char *const env_names[] = {".env.example", ".env.sample", ".env.template",
                                            ".env.dist", ".env.defaults", "env.example",
                                            "example.env", NULL};
    for (int i = 0; env_names[i]; i++)
        if (ends_with(b, env_names[i]))
            return TG_LK_ENV;
    if (ends_with(b, ".json"))
        return TG_LK_JSON;
    if (is_yaml_name(b))
        return TG_LK_YAML;
    return TG_LK_UNKNOWN;
}

const char *tg_lint_kind_name(tg_lint_kind k)
{
    static const char *const names[] = {"unknown", "procfile", "railway", "railway", "railway",
                                        "render",  "compose",  "workflow", "env",    "json",
                                        "yaml"};
    return names[k];
}

static tg_lint_facts *facts_for(tg_lint *L, const char *file)
{
    const char *slash = strrchr(file, '/');
    size_t dl = slash ? (size_t)(slash - file) : 0;
    /* Workflows live two folders below the root they belong to. */
    const char *gh = strstr(file, ".github/");
    if (gh)
        dl = gh > file ? (size_t)(gh - file - 1) : 0;
    for (size_t i = 0; i < L->nfacts; i++)
        if (strlen(L->facts[i].dir) == dl && strncmp(L->facts[i].dir, file, dl) == 0)
            return &L->facts[i];
    L->facts = tg_realloc(L->facts, (L->nfacts + 1) * sizeof *L->facts);
    tg_lint_facts *f = &L->facts[L->nfacts++];
    memset(f, 0, sizeof *f);
    f->dir = tg_strndup(file, dl);
    return f;
}

/* Position of the first byte that is not valid UTF-8, or -1. */
static long bad_utf8(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        size_t n;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF)
            n = 1;
        else if (c >= 0xE0 && c <= 0xEF)
            n = 2;
        else if (c >= 0xF0 && c <= 0xF4)
            n = 3;
        else
            return (long)i;
        for (size_t k = 1; k <= n; k++)
            if (i + k >= len || (s[i + k] & 0xC0) != 0x80)
                return (long)i;
        if ((c == 0xE0 && s[i + 1] < 0xA0) || (c == 0xED && s[i + 1] > 0x9F) ||
            (c == 0xF0 && s[i + 1] < 0x90) || (c == 0xF4 && s[i + 1] > 0x8F))
            return (long)i;
        i += n + 1;
    }
    return -1;
}

static int is_blank(const char *t, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (t[i] != ' ' && t[i] != '\t' && t[i] != '\r' && t[i] != '\n')
            return 0;
    return 1;
}

static void note_checked(tg_lint *L, const char *name)
{
    L->checked = tg_realloc(L->checked, (L->files + 1) * sizeof *L->checked);
    L->checked[L->files++] = tg_strdup(name);
}

void tg_lint_buffer(tg_lint *L, const char *name, tg_lint_kind k, const char *text, size_t len)
{
    lint_ctx c = {.L = L, .file = name, .text = text, .len = len};
    note_checked(L, name);
    if (len > TG_LINT_MAX_FILE) {
        lint_add(&c, "Y4", TG_LINT_ERROR, 0, 0,
                 "file is %zu bytes, over lint's %u MiB limit; a config this large is a "
                 "mistake: split it, or exclude it in tollgate.yaml lint.ignore",
                 len, TG_LINT_MAX_FILE >> 20);
        return;
    }
    const char *nul = memchr(text, '\0', len);
    if (nul) {
        int line, col;
        lint_offset_pos(text, (size_t)(nul - text), &line, &col);
        lint_add(&c, "Y4", TG_LINT_ERROR, line, col,
                 "binary content (a NUL byte) in a text config; restore the text file");
        return;
    }
    if (is_blank(text, len)) {
        lint_add(&c, "Y5", TG_LINT_WARNING, 1, 1,
                 "empty file: the platform reads no configuration from it; fill it in or "
                 "delete it");
        return;
    }
    long bad = bad_utf8((const unsigned char *)text, len);
    if (bad >= 0) {
        int line, col;
        lint_offset_pos(text, (size_t)bad, &line, &col);
        lint_add(&c, "Y3", TG_LINT_ERROR, line, col,
                 "invalid UTF-8 (byte 0x%02X); save the file as UTF-8",
                 (unsigned char)text[bad]);
        if (k != TG_LK_PROCFILE && k != TG_LK_ENV)
            return; /* the YAML and JSON readers refuse it as well */
    }
    c.facts = facts_for(L, name);
    const char *b = lint_base_name(name);
    c.prod = strstr(b, "prod") != NULL;
    lint_secrets(&c);
    tg_ydoc doc;
    memset(&doc, 0, sizeof doc);
    const tg_ynode *root = NULL;
    switch (k) {
    case TG_LK_PROCFILE: lint_procfile(&c); break;
    case TG_LK_ENV: lint_env(&c); break;
    case TG_LK_RAILWAY_JSON:
        if ((root = lint_json_tree(&c, &doc)) != NULL)
            lint_railway(&c, root);
        break;
    case TG_LK_RAILWAY_TOML:
        if ((root = lint_toml_tree(&c, &doc)) != NULL)
            lint_railway(&c, root);
        break;
    case TG_LK_RAILWAY_YAML:
        if ((root = lint_yaml_tree(&c, &doc)) != NULL)
            lint_railway(&c, root);
        break;
    case TG_LK_RENDER:
        if ((root = lint_yaml_tree(&c, &doc)) != NULL)
            lint_render(&c, root);
        break;
    case TG_LK_COMPOSE:
        if ((root = lint_yaml_tree(&c, &doc)) != NULL)
            lint_compose(&c, root);
        break;
    case TG_LK_WORKFLOW:
        if ((root = lint_yaml_tree(&c, &doc)) != NULL)
            lint_workflow(&c, root);
        break;
    case TG_LK_JSON: (void)lint_json_tree(&c, &doc); break;
    case TG_LK_YAML: (void)lint_yaml_tree(&c, &doc); break;
    case TG_LK_UNKNOWN: break;
    }
    tg_ydoc_free(&doc);
    if (c.dropped)
        lint_add(&c, "Y7", c.dropped_error ? TG_LINT_ERROR : TG_LINT_WARNING, 0, 0,
                 "%zu more findings in this file are not listed (lint lists %d per file); "
                 "fix the ones above and lint again",
                 c.dropped, LINT_MAX_FINDINGS);
}

static int lint_file(tg_lint *L, const char *path, tg_lint_kind k)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        tg_error(path, 0, "cannot read: %s", strerror(errno));
        return TG_EIO;
    }
    if ((size_t)st.st_size > TG_LINT_MAX_FILE) {
        /* Not read at all: bounded memory whatever the size. */
        lint_ctx c = {.L = L, .file = path};
        note_checked(L, path);
        lint_add(&c, "Y4", TG_LINT_ERROR, 0, 0,
                 "file is %lld bytes, over lint's %u MiB limit; a config this large is a "
                 "mistake: split it, or exclude it in tollgate.yaml lint.ignore",
                 (long long)st.st_size, TG_LINT_MAX_FILE >> 20);
        return 0;
    }
    size_t len;
    char *text = tg_read_file(path, &len);
    if (!text) {
        tg_error(path, 0, "cannot read: %s", strerror(errno));
        return TG_EIO;
    }
    tg_lint_buffer(L, path, k, text, len);
    free(text);
    return 0;
}

static int lint_path(tg_lint *L, const char *path, int explicit);

/* A path that tollgate.yaml ignores for every rule is not read at all. */
static int ignored_whole(const tg_lint *L, const char *path)
{
    const char *p = strncmp(path, "./", 2) == 0 ? path + 2 : path;
    for (size_t i = 0; i < L->nignores; i++)
        if (!L->ignores[i].rules && fnmatch(L->ignores[i].glob, p, 0) == 0)
            return 1;
    return 0;
}

static int skip_dir(const char *name)
{
    return strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || strcmp(name, ".git") == 0 ||
           strcmp(name, "build") == 0 || strcmp(name, "node_modules") == 0;
}

static int walk(tg_lint *L, const char *dir, int depth)
{
    if (depth > MAX_WALK_DEPTH)
        return 0;
    DIR *d = opendir(dir);
    if (!d) {
        tg_error(dir, 0, "cannot read folder: %s", strerror(errno));
        return TG_EIO;
    }
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (skip_dir(e->d_name))
            continue;
        names = tg_realloc(names, (n + 1) * sizeof *names);
        names[n++] = tg_strdup(e->d_name);
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, tg_strcmp_ptr);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        char *p = strcmp(dir, ".") == 0 ? tg_strdup(names[i]) : tg_asprintf("%s/%s", dir, names[i]);
        struct stat st;
        /* A symlinked file is followed; a symlinked folder is not (no loops). */
        int ok = lstat(p, &st) == 0;
        if (ok && S_ISLNK(st.st_mode))
            ok = stat(p, &st) == 0 && S_ISREG(st.st_mode);
        if (ok) {
            if (S_ISDIR(st.st_mode)) {
                int r = walk(L, p, depth + 1);
                if (r && !rc)
                    rc = r;
            } else if (S_ISREG(st.st_mode)) {
                tg_lint_kind k = tg_lint_kind_of(p);
                /* A folder search takes only the files lint knows by name. */
                if (k != TG_LK_UNKNOWN && k != TG_LK_JSON && k != TG_LK_YAML &&
                    !ignored_whole(L, p)) {
                    int r = lint_file(L, p, k);
                    if (r && !rc)
                        rc = r;
                }
            }
        }
        free(p);
        free(names[i]);
    }
    free(names);
    return rc;
}

int tg_lint_path(tg_lint *L, const char *path_in, int explicit)
{
    /* "dir/" and "dir" name the same files: drop trailing slashes. */
    char *path = tg_strdup(path_in);
    for (size_t n = strlen(path); n > 1 && path[n - 1] == '/'; n--)
        path[n - 1] = 0;
    int rc = lint_path(L, path, explicit);
    free(path);
    return rc;
}

static int lint_path(tg_lint *L, const char *path, int explicit)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        tg_error(path, 0, "cannot read: %s", strerror(errno));
        return TG_EIO;
    }
    if (S_ISDIR(st.st_mode))
        return walk(L, path, 0);
    tg_lint_kind k = tg_lint_kind_of(path);
    if (k == TG_LK_UNKNOWN && explicit) {
        tg_error(path, 0, "lint does not know this kind of file (Procfile, railway.json, "
                          "railway.toml, render.yaml, compose, workflow, env template, JSON, YAML)");
        return TG_EUSAGE;
    }
    return lint_file(L, path, k);
}

size_t tg_lint_count(const tg_lint *L, tg_lint_sev sev)
{
    size_t n = 0;
    for (size_t i = 0; i < L->n; i++)
        n += L->f[i].sev == sev;
    return n;
}

static int ignored_by_config(const tg_lint *L, const tg_finding *f)
{
    for (size_t i = 0; i < L->nignores; i++) {
        const tg_lint_ignore *ig = &L->ignores[i];
        const char *file = strncmp(f->file, "./", 2) == 0 ? f->file + 2 : f->file;
        if (fnmatch(ig->glob, file, 0) != 0)
            continue;
        if (!ig->rules)
            return 1;
        for (size_t j = 0; j < ig->nrules; j++)
            if (strcmp(ig->rules[j], f->rule) == 0)
                return 1;
    }
    return 0;
}

static int finding_cmp(const void *a, const void *b)
{
    const tg_finding *x = a, *y = b;
    int c = strcmp(x->file, y->file);
    if (c)
        return c;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    if (x->col != y->col)
        return x->col < y->col ? -1 : 1;
    return strcmp(x->rule, y->rule);
}

void tg_lint_finish(tg_lint *L)
{
    lint_cross(L);
    size_t keep = 0;
    for (size_t i = 0; i < L->n; i++) {
        if (ignored_by_config(L, &L->f[i])) {
            free(L->f[i].file);
            free(L->f[i].message);
            continue;
        }
        L->f[keep++] = L->f[i];
    }
    L->n = keep;
    if (L->n)
        qsort(L->f, L->n, sizeof *L->f, finding_cmp);
}
