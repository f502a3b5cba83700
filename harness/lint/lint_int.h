/*
 * lint_int.h: what the lint validators share (not part of the harness API).
 *
 * Every format is read into the tree of yamltree.h (JSON and the TOML subset
 * of railway.toml too), so one set of helpers serves every validator and
 * every finding has a position. A validator gets a lint_ctx for one file and
 * reports through lint_add(); what cross-file rules need goes into the
 * file's folder's facts.
 */
#ifndef TG_LINT_INT_H
#define TG_LINT_INT_H

#include "lint.h"
#include "yamltree.h"

typedef struct lint_ref {
    char *name;
    char *file;
    int line, col;
} lint_ref;

/* At most this many references per list: cross-file rules stay bounded. */
#define LINT_MAX_REFS 4096
/* At most this many findings per file; the rest are summed up in one Y7. */
#define LINT_MAX_FINDINGS 500

typedef struct lint_refs {
    lint_ref *v;
    size_t n, cap;
} lint_refs;

/* Facts of one folder (a repository root, usually). */
struct tg_lint_facts {
    char *dir;
    lint_refs starts;   /* web start commands: name = command, per platform */
    lint_refs health;   /* health check paths the platforms probe */
    lint_refs expects;  /* variables render.yaml / compose expect */
    lint_refs declared; /* variables an env template declares */
    int have_template;
};

typedef struct lint_ctx {
    tg_lint *L;
    const char *file;
    const char *text;
    size_t len;
    tg_lint_facts *facts;
    int prod; /* the file name says production (compose C6) */
    /* Bounds on a file with very many findings. */
    size_t found, dropped;
    int dropped_error;
    int cache_line;   /* line_span's last answer, so findings in order cost */
    size_t cache_off; /* one pass over the text, not one pass each */
} lint_ctx;

/* A set of strings with an int each (FNV-1a, open addressing): linear-time
 * duplicate and name checks however many keys a file has. */
typedef struct lint_set {
    char **keys;
    int *vals;
    size_t cap, n;
} lint_set;

/* The value stored under key, or -1 after storing val (key copied). */
int lint_set_put(lint_set *s, const char *key, int val);
/* The value under key, or -1. */
int lint_set_get(const lint_set *s, const char *key);
void lint_set_free(lint_set *s);

void lint_add(lint_ctx *c, const char *rule, tg_lint_sev sev, int line, int col,
              const char *fmt, ...) __attribute__((format(printf, 6, 7)));
void lint_ref_add(lint_refs *r, const char *name, const char *file, int line, int col);

/* Trees. Each reports syntax findings (Y1, Y2, Y6) itself and returns the
 * root, or NULL when nothing usable was read. doc is the caller's to free. */
tg_ynode *lint_yaml_tree(lint_ctx *c, tg_ydoc *doc);
tg_ynode *lint_json_tree(lint_ctx *c, tg_ydoc *doc);
tg_ynode *lint_toml_tree(lint_ctx *c, tg_ydoc *doc);
/* The next line of c->text from *pos (advanced past it), without its "\n"
 * or a trailing "\r", as a new string the caller frees; *line counts lines
 * from 1. NULL at the end of the text. */
char *lint_next_line(const lint_ctx *c, size_t *pos, int *line);
/* A file's own name: after the last '/', and after the last "__" (the
 * corpus stores owner__repo__path with '/' written "__"). */
const char *lint_base_name(const char *path);
/* Like lint_next_line, skipping blank lines and # comments; *start points
 * at the line's first character that is not a space or a tab. */
char *lint_next_entry(const lint_ctx *c, size_t *pos, int *line, const char **start);
/* 1 when [b, e) is a non-empty run of decimal digits. */
int lint_all_digits(const char *b, const char *e);
/* 1-based line and column of a byte offset in text. */
void lint_offset_pos(const char *text, size_t off, int *line, int *col);

/* Tree helpers. */
int lint_is_int(const tg_ynode *n);
int lint_is_bool(const tg_ynode *n);
int lint_in_list(const char *s, const char *const *list);
/* Reports keys of map not in known (rule, severity) and returns how many. */
int lint_known_keys(lint_ctx *c, const tg_ynode *map, const char *const *known,
                    const char *rule, tg_lint_sev sev, const char *where);

/* Validators. */
void lint_procfile(lint_ctx *c);
void lint_env(lint_ctx *c);
void lint_secrets(lint_ctx *c);
void lint_railway(lint_ctx *c, const tg_ynode *root);
void lint_render(lint_ctx *c, const tg_ynode *root);
void lint_compose(lint_ctx *c, const tg_ynode *root);
void lint_workflow(lint_ctx *c, const tg_ynode *root);
void lint_cross(tg_lint *L);

/* Shell commands (lint_shell.c). */
/* 1 when cmd reads $PORT or runs a server known to read PORT itself. */
int lint_cmd_uses_port(const char *cmd);
/* Offset of a hard-coded listening port in cmd, or -1. */
int lint_cmd_fixed_port(const char *cmd, int *port);
/* NULL when the shell syntax looks sound, else a reason; *off is where. */
const char *lint_shell_problem(const char *cmd, size_t *off);

#endif
