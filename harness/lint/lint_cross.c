/* lint_cross.c: rules across the files of one folder (X1-X3). */
#include "lint_int.h"
#include "tg.h"

#include <ctype.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>

/* The command a start command runs: without a `sh -c "..."` wrapper (Docker
 * platforms need one to expand $PORT) and a leading `exec`. New string. */
static char *core_command(const char *cmd)
{
    static const char *const shells[] = {"/bin/sh -c ", "sh -c ", "/bin/bash -c ", "bash -c ",
                                         NULL};
    while (*cmd == ' ')
        cmd++;
    for (int i = 0; shells[i]; i++) {
        size_t n = strlen(shells[i]);
        if (strncmp(cmd, shells[i], n) == 0) {
            const char *q = cmd + n;
            while (*q == ' ')
                q++;
            size_t len = strlen(q);
            if (len >= 2 && (*q == '"' || *q == '\'') && q[len - 1] == *q) {
                cmd = q + 1;
                char *inner = tg_strndup(cmd, len - 2);
                char *core = core_command(inner);
                free(inner);
                return core;
            }
        }
    }
    if (strncmp(cmd, "exec ", 5) == 0)
        cmd += 5;
    return tg_strdup(cmd);
}

/* Whitespace-insensitive comparison of what two start commands run. */
static int same_command(const char *a_in, const char *b_in)
{
    char *ca = core_command(a_in), *cb = core_command(b_in);
    const char *a = ca, *b = cb;
    int same;
    for (;;) {
        while (*a == ' ' || *a == '\t')
            a++;
        while (*b == ' ' || *b == '\t')
            b++;
        if (!*a || !*b) {
            same = !*a && !*b;
            break;
        }
        if (*a != *b) {
            same = 0;
            break;
        }
        a++;
        b++;
    }
    free(ca);
    free(cb);
    return same;
}

static const char *platform(const char *file)
{
    if (strstr(file, "Procfile"))
        return "Procfile";
    if (strstr(file, "railway"))
        return "railway";
    if (strstr(file, "render"))
        return "render.yaml";
    return file;
}

static void cross_starts(tg_lint *L, const tg_lint_facts *f)
{
    for (size_t i = 1; i < f->starts.n; i++) {
        const lint_ref *r = &f->starts.v[i];
        for (size_t j = 0; j < i; j++) {
            const lint_ref *q = &f->starts.v[j];
            if (strcmp(platform(q->file), platform(r->file)) == 0 || same_command(q->name, r->name))
                continue;
            lint_ctx c = {.L = L, .file = r->file};
            lint_add(&c, "X1", TG_LINT_WARNING, r->line, r->col,
                     "the start command differs from %s's (%s:%d): \"%s\" vs \"%s\"; make the "
                     "platforms run the same command",
                     platform(q->file), q->file, q->line, r->name, q->name);
            break;
        }
    }
}

static int mentions_path(const char *text, const char *path)
{
    size_t pl = strlen(path);
    for (const char *p = text; (p = strstr(p, path)) != NULL; p++) {
        char after = p[pl];
        if (!(isalnum((unsigned char)after) || after == '_' || after == '-' || after == '/'))
            return 1;
    }
    return 0;
}

static void cross_health(tg_lint *L, const tg_lint_facts *f)
{
    if (!f->health.n)
        return;
    tg_buf specs;
    tg_buf_init(&specs);
    int found = 0;
    for (size_t g = 0; g < L->nsmoke; g++) {
        char *pat = f->dir[0] && L->smoke_globs[g][0] != '/'
                        ? tg_asprintf("%s/%s", f->dir, L->smoke_globs[g])
                        : tg_strdup(L->smoke_globs[g]);
        glob_t gl;
        if (glob(pat, 0, NULL, &gl) == 0) {
            for (size_t i = 0; i < gl.gl_pathc && i < 256; i++) {
                size_t len;
                char *t = tg_read_file(gl.gl_pathv[i], &len);
                if (t && specs.len + len <= TG_LINT_MAX_FILE) { /* bounded like one file */
                    tg_buf_add(&specs, t, len);
                    tg_buf_adds(&specs, "\n");
                    found++;
                }
                free(t);
            }
            globfree(&gl);
        }
        free(pat);
    }
    for (size_t i = 0; found && i < f->health.n; i++) {
        const lint_ref *r = &f->health.v[i];
        if (mentions_path(specs.data, r->name))
            continue;
        lint_ctx c = {.L = L, .file = r->file};
        lint_add(&c, "X2", TG_LINT_WARNING, r->line, r->col,
                 "the platform probes %s, but no smoke spec checks it; add a check for %s to a "
                 "smoke spec",
                 r->name, r->name);
    }
    tg_buf_free(&specs);
}

static int platform_var(const char *v)
{
    return !strcmp(v, "PORT") || !strcmp(v, "HOSTNAME") || !strncmp(v, "RENDER", 6) ||
           !strncmp(v, "RAILWAY_", 8) || !strcmp(v, "PWD") || !strcmp(v, "HOME");
}

static void cross_env(tg_lint *L, const tg_lint_facts *f)
{
    if (!f->have_template)
        return;
    for (size_t i = 0; i < f->expects.n; i++) {
        const lint_ref *r = &f->expects.v[i];
        int declared = platform_var(r->name);
        for (size_t j = 0; !declared && j < f->declared.n; j++)
            declared = strcmp(f->declared.v[j].name, r->name) == 0;
        for (size_t j = 0; !declared && j < i; j++) /* once per file */
            declared = !strcmp(f->expects.v[j].name, r->name) && !strcmp(f->expects.v[j].file, r->file);
        if (declared)
            continue;
        lint_ctx c = {.L = L, .file = r->file};
        lint_add(&c, "X3", TG_LINT_WARNING, r->line, r->col,
                 "%s is expected here but the env template does not declare it; add %s= to "
                 "the template",
                 r->name, r->name);
    }
}

void lint_cross(tg_lint *L)
{
    if (!L->nsmoke) {
        L->smoke_globs = tg_malloc(sizeof *L->smoke_globs);
        L->smoke_globs[L->nsmoke++] = tg_strdup("suites/smoke/*.yaml");
    }
    for (size_t i = 0; i < L->nfacts; i++) {
        cross_starts(L, &L->facts[i]);
        cross_health(L, &L->facts[i]);
        cross_env(L, &L->facts[i]);
    }
}
