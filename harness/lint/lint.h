/*
 * lint.h: `tollgate lint`, validators for deploy and CI configuration.
 *
 * A tg_lint gathers findings over many files: tg_lint_path() walks a file or
 * a folder, tg_lint_buffer() checks text already in memory (the fuzz targets
 * and tests use it), tg_lint_finish() runs the cross-file rules and applies
 * the suppressions of tollgate.yaml. Findings are sorted by file, line,
 * column and rule once finished.
 *
 * Ownership: the tg_lint owns every finding and string in it;
 * tg_lint_free() releases all. Returned strings are the caller's to free.
 */
#ifndef TG_LINT_H
#define TG_LINT_H

#include "results.h"

#include <stddef.h>

/* Files larger than this are refused with a Y4 finding, unread. */
#define TG_LINT_MAX_FILE (10u * 1024 * 1024)
/* JSON nesting deeper than this is refused (cJSON's own limit is 1000). */
#define TG_LINT_MAX_JSON_DEPTH 1000

typedef enum { TG_LINT_WARNING = 1, TG_LINT_ERROR = 2 } tg_lint_sev;

typedef enum {
    TG_LK_UNKNOWN,
    TG_LK_PROCFILE,
    TG_LK_RAILWAY_JSON,
    TG_LK_RAILWAY_TOML,
    TG_LK_RAILWAY_YAML, /* railway.yaml: a name Railway does not read (R7) */
    TG_LK_RENDER,
    TG_LK_COMPOSE,
    TG_LK_WORKFLOW,
    TG_LK_ENV,
    TG_LK_JSON,
    TG_LK_YAML
} tg_lint_kind;

typedef struct tg_finding {
    char rule[8];  /* "P5", "W10" */
    tg_lint_sev sev;
    char *file;
    int line, col; /* 1-based; 0 when the finding is about the whole file */
    char *message; /* one line that says how to fix it */
} tg_finding;

typedef struct tg_lint_facts tg_lint_facts; /* what cross-file rules compare */

typedef struct tg_lint_ignore {
    char *glob;   /* path pattern, '*' crosses '/' */
    char **rules; /* NULL: every rule */
    size_t nrules;
} tg_lint_ignore;

typedef struct tg_lint {
    tg_finding *f;
    size_t n, cap;
    size_t files;          /* files checked */
    char **checked;        /* their paths, in order */
    tg_lint_ignore *ignores;
    size_t nignores;
    char **smoke_globs;    /* where smoke specs are, for X2 */
    size_t nsmoke;
    tg_lint_facts *facts;
    size_t nfacts;
    int strict;            /* warnings count as failures */
    int junit_jenkins;     /* junit_style: jenkins in tollgate.yaml */
} tg_lint;

void tg_lint_init(tg_lint *L);
void tg_lint_free(tg_lint *L);

/* The kind lint gives a file by its name (and, for YAML, nothing else). */
tg_lint_kind tg_lint_kind_of(const char *path);
const char *tg_lint_kind_name(tg_lint_kind k);

/* Lints a file or searches a folder. explicit=1 when the user named it, so
 * any JSON or YAML is checked for syntax. Returns 0, or TG_EIO when the path
 * cannot be read (a message has been printed). */
int tg_lint_path(tg_lint *L, const char *path, int explicit);
/* Lints text already read, as the file `name` of kind k. */
void tg_lint_buffer(tg_lint *L, const char *name, tg_lint_kind k, const char *text, size_t len);
/* Cross-file rules, suppressions from tollgate.yaml, sorting. */
void tg_lint_finish(tg_lint *L);
/* Reads the lint: section of a tollgate.yaml; a missing file is fine when
 * required is 0. Returns 0 or TG_ECONFIG / TG_EIO (message printed). */
int tg_lint_config(tg_lint *L, const char *path, int required, char ***paths, size_t *npaths);

size_t tg_lint_count(const tg_lint *L, tg_lint_sev sev);

/* Renderers; the caller frees the string. */
char *tg_lint_text(const tg_lint *L, int colour);
char *tg_lint_github(const tg_lint *L);
char *tg_lint_sarif(const tg_lint *L);
/* Fills r (initialised by the caller with kind "lint"). */
void tg_lint_results(const tg_lint *L, tg_results *r);

int tg_cmd_lint(int argc, char **argv);

#endif
