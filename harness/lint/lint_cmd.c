/* lint_cmd.c: the `tollgate lint` verb and the lint: section of tollgate.yaml. */
#include "lint_int.h"
#include "report_github.h"
#include "report_junit.h"
#include "tg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: tollgate lint [PATH...] [--format text|junit|sarif|github] [--strict]\n"
    "                     [--out DIR] [--config FILE] [--junit-style default|jenkins]\n"
    "\n"
    "Validates Procfile, railway.json/.toml, render.yaml, compose files, GitHub workflows,\n"
    "env templates (and any JSON or YAML named by path); a folder is searched for the files\n"
    "lint knows. No PATH: lint.paths of tollgate.yaml, or the current directory.\n"
    "Exit 1 when there are errors (warnings too with --strict), 0 otherwise, 2 on usage\n"
    "or unreadable paths. --out DIR also writes DIR/results.json and DIR/junit.xml.\n";

static void strv_push(char ***v, size_t *n, const char *s)
{
    *v = tg_realloc(*v, (*n + 1) * sizeof **v);
    (*v)[(*n)++] = tg_strdup(s);
}

static int config_error(const char *path, const tg_ynode *n, const char *what)
{
    tg_error(path, n ? n->line : 0, "lint: %s", what);
    return TG_ECONFIG;
}

/* A string, or a list of strings, into v. */
static int strings(const char *path, const tg_ynode *n, const char *what, char ***v, size_t *nv)
{
    if (tg_y_str(n)) {
        strv_push(v, nv, n->value);
        return 0;
    }
    if (!n || n->kind != TG_Y_SEQ)
        return config_error(path, n, what);
    for (size_t i = 0; i < n->n; i++) {
        if (!tg_y_str(n->vals[i]))
            return config_error(path, n->vals[i], what);
        strv_push(v, nv, n->vals[i]->value);
    }
    return 0;
}

int tg_lint_config(tg_lint *L, const char *path, int required, char ***paths, size_t *npaths)
{
    size_t len;
    char *text = tg_read_file(path, &len);
    if (!text) {
        if (!required && errno == ENOENT)
            return 0;
        tg_error(path, 0, "cannot read: %s", strerror(errno));
        return TG_EIO;
    }
    tg_ydoc doc;
    int rc = 0;
    if (tg_yaml_load(text, len, &doc) != 0) {
        tg_error(path, doc.err_line, "invalid YAML: %s", doc.error);
        rc = TG_ECONFIG;
        goto out;
    }
    const char *style = tg_y_str(tg_y_get(doc.root, "junit_style"));
    L->junit_jenkins = style && strcmp(style, "jenkins") == 0;
    const tg_ynode *lint = tg_y_get(doc.root, "lint");
    if (!lint || tg_y_is_null(lint))
        goto out;
    if (lint->kind != TG_Y_MAP) {
        rc = config_error(path, lint, "lint: must be a map (paths, ignore, smoke_specs)");
        goto out;
    }
    static const char *const keys[] = {"paths", "ignore", "smoke_specs", NULL};
    for (size_t i = 0; i < lint->n; i++)
        if (!lint_in_list(tg_y_str(lint->keys[i]), keys)) {
            rc = config_error(path, lint->keys[i],
                              "unknown key in lint:; expected paths, ignore or smoke_specs");
            goto out;
        }
    const tg_ynode *p = tg_y_get(lint, "paths");
    if (p && (rc = strings(path, p, "lint.paths must be a path or a list of paths", paths,
                           npaths)) != 0)
        goto out;
    const tg_ynode *s = tg_y_get(lint, "smoke_specs");
    if (s && (rc = strings(path, s, "lint.smoke_specs must be a glob or a list of globs",
                           &L->smoke_globs, &L->nsmoke)) != 0)
        goto out;
    const tg_ynode *ig = tg_y_get(lint, "ignore");
    if (ig && ig->kind != TG_Y_SEQ) {
        rc = config_error(path, ig, "lint.ignore must be a list of {path, rules}");
        goto out;
    }
    for (size_t i = 0; ig && i < ig->n; i++) {
        const tg_ynode *e = ig->vals[i];
        const char *glob = tg_y_str(tg_y_get(e, "path"));
        if (!glob) {
            rc = config_error(path, e, "each lint.ignore entry needs path: GLOB");
            goto out;
        }
        for (size_t k = 0; k < e->n; k++)
            if (!lint_in_list(tg_y_str(e->keys[k]), (const char *const[]){"path", "rules", NULL})) {
                rc = config_error(path, e->keys[k], "lint.ignore entries take path and rules");
                goto out;
            }
        L->ignores = tg_realloc(L->ignores, (L->nignores + 1) * sizeof *L->ignores);
        tg_lint_ignore *x = &L->ignores[L->nignores++];
        memset(x, 0, sizeof *x);
        x->glob = tg_strdup(glob);
        const tg_ynode *rules = tg_y_get(e, "rules");
        if (rules && (rc = strings(path, rules, "lint.ignore rules must be a list of rule ids",
                                   &x->rules, &x->nrules)) != 0)
            goto out;
    }
out:
    tg_ydoc_free(&doc);
    free(text);
    return rc;
}

static int emit(const char *text)
{
    fputs(text, stdout);
    return fflush(stdout) == 0 ? 0 : TG_EIO;
}

int tg_cmd_lint(int argc, char **argv)
{
    const char *format = "text", *out = NULL, *config = NULL;
    int strict = 0, jenkins = -1;
    char **paths = NULL;
    size_t npaths = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage_text, stdout);
            return TG_EXIT_OK;
        } else if (!strcmp(a, "--strict"))
            strict = 1;
        else if ((!strcmp(a, "--format") || !strcmp(a, "--out") || !strcmp(a, "--config") ||
                  !strcmp(a, "--junit-style")) && i + 1 < argc) {
            const char *v = argv[++i];
            if (!strcmp(a, "--format"))
                format = v;
            else if (!strcmp(a, "--out"))
                out = v;
            else if (!strcmp(a, "--config"))
                config = v;
            else if (!strcmp(v, "jenkins") || !strcmp(v, "default"))
                jenkins = !strcmp(v, "jenkins");
            else {
                tg_error(NULL, 0, "lint: --junit-style takes default or jenkins");
                return TG_EXIT_USAGE;
            }
        } else if (a[0] == '-' && a[1]) {
            tg_error(NULL, 0, "lint: unknown or incomplete option '%s'", a);
            fputs(usage_text, stderr);
            return TG_EXIT_USAGE;
        } else
            strv_push(&paths, &npaths, a);
    }
    if (strcmp(format, "text") && strcmp(format, "junit") && strcmp(format, "sarif") &&
        strcmp(format, "github")) {
        tg_error(NULL, 0, "lint: --format takes text, junit, sarif or github, not '%s'", format);
        return TG_EXIT_USAGE;
    }
    tg_lint L;
    tg_lint_init(&L);
    L.strict = strict;
    char **cfg_paths = NULL;
    size_t ncfg = 0;
    int rc = tg_lint_config(&L, config ? config : "tollgate.yaml", config != NULL, &cfg_paths,
                            &ncfg);
    int code = TG_EXIT_OK;
    if (rc != 0) {
        code = TG_EXIT_USAGE;
        goto done;
    }
    if (jenkins < 0)
        jenkins = L.junit_jenkins;
    double t0 = tg_now();
    char started[32];
    tg_utc_timestamp(started);
    if (!npaths && !ncfg)
        rc = tg_lint_path(&L, ".", 1);
    for (size_t i = 0; i < npaths; i++) {
        int r = tg_lint_path(&L, paths[i], 1);
        rc = rc ? rc : r;
    }
    for (size_t i = 0; !npaths && i < ncfg; i++) {
        int r = tg_lint_path(&L, cfg_paths[i], 1);
        rc = rc ? rc : r;
    }
    tg_lint_finish(&L);
    size_t errors = tg_lint_count(&L, TG_LINT_ERROR), warnings = tg_lint_count(&L, TG_LINT_WARNING);
    tg_results res;
    tg_results_init(&res, "lint");
    free(res.started);
    res.started = tg_strdup(started);
    tg_lint_results(&L, &res);
    res.duration = tg_now() - t0;
    char *text = NULL;
    if (!strcmp(format, "text")) {
        const char *nc = getenv("NO_COLOR");
        text = tg_lint_text(&L, isatty(STDOUT_FILENO) && !(nc && *nc));
        if (tg_github_active()) { /* in Actions, findings also become annotations */
            char *ann = tg_lint_github(&L);
            char *both = tg_asprintf("%s%s", text, ann);
            free(text);
            free(ann);
            text = both;
        }
    } else if (!strcmp(format, "github"))
        text = tg_lint_github(&L);
    else if (!strcmp(format, "sarif"))
        text = tg_lint_sarif(&L);
    else
        text = tg_junit_render(&res, jenkins);
    int wr = emit(text);
    free(text);
    if (!wr && out) {
        char *rj = tg_asprintf("%s/results.json", out), *jx = tg_asprintf("%s/junit.xml", out);
        if (tg_mkdirs(out) != 0 || tg_results_write(&res, rj) != 0 ||
            tg_junit_write(&res, jx, jenkins) != 0) {
            tg_error(out, 0, "lint: cannot write the reports: %s", strerror(errno));
            wr = TG_EIO;
        }
        free(rj);
        free(jx);
    }
    tg_results_free(&res);
    if (rc)
        code = TG_EXIT_USAGE;
    else if (wr)
        code = TG_EXIT_INTERNAL;
    else if (errors || (strict && warnings))
        code = TG_EXIT_FAIL;
done:
    for (size_t i = 0; i < npaths; i++)
        free(paths[i]);
    free(paths);
    for (size_t i = 0; i < ncfg; i++)
        free(cfg_paths[i]);
    free(cfg_paths);
    tg_lint_free(&L);
    return code;
}
