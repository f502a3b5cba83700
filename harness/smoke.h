/*
 * smoke.h: post-deploy verification of live endpoints (`tollgate smoke`,
 * `tollgate monitor`).
 *
 * Pipeline: smoke_spec.c reads YAML specs into tg_smoke_spec (no network);
 * smoke_run.c runs them on one libcurl multi handle (specs in parallel,
 * checks of a spec in order unless the spec says `parallel: true`) and fills
 * one tg_smoke_outcome per check; smoke_report.c turns outcomes into the
 * results model, junit.xml and summary.md, masking every secret;
 * smoke_cli.c and smoke_monitor.c are the verbs.
 *
 * Ownership: a spec owns everything in it (tg_smoke_spec_free). A run's
 * outcomes and its secret list belong to the tg_smoke_run_result
 * (tg_smoke_run_result_free). Functions returning char * hand the string to
 * the caller.
 */
#ifndef TG_SMOKE_H
#define TG_SMOKE_H

#include "results.h"

#include <regex.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>

/* Defaults of the retry policy: the loop the deploy documents run by hand. */
#define TG_SMOKE_TRIES 12
#define TG_SMOKE_INTERVAL 10.0
#define TG_SMOKE_TIMEOUT 10.0
/* Bodies are read up to this many bytes (spec key max_body_bytes). */
#define TG_SMOKE_MAX_BODY (1024 * 1024)
/* A Retry-After longer than this is cut to it, so a hostile server cannot
 * park a deploy job. */
#define TG_SMOKE_MAX_RETRY_AFTER 120.0
#define TG_SMOKE_MAX_REDIRECTS 10
/* Bounds on a load probe, so a typo cannot turn a smoke test into a DoS. */
#define TG_SMOKE_MAX_LOAD_REQUESTS 100000
#define TG_SMOKE_MAX_LOAD_CONCURRENCY 256

typedef enum { TG_REDIR_UNSET, TG_REDIR_NONE, TG_REDIR_SAME_HOST, TG_REDIR_ANY } tg_redir_policy;

typedef struct tg_smoke_header {
    char *name;
    char *value; /* may hold ${VAR} */
    int secret;  /* masked in every output */
} tg_smoke_header;

typedef enum { TG_HX_EXACT, TG_HX_PATTERN, TG_HX_PRESENT, TG_HX_ABSENT } tg_hx_kind;

typedef struct tg_smoke_hexpect {
    char *name;
    tg_hx_kind kind;
    char *value; /* exact value (may hold ${VAR}) or pattern text */
    regex_t re;  /* compiled when kind is TG_HX_PATTERN */
    int line;
} tg_smoke_hexpect;

typedef struct tg_smoke_jexpect {
    char *path; /* a.b[0].c, optionally starting with $. */
    int line;
    char *equals; /* scalar text (may hold ${VAR}); NULL when not asked */
    int equals_quoted;
    char *pattern;
    regex_t re;
    char *type;  /* string number boolean object array null; NULL when not asked */
    int exists;  /* -1 not asked, 0 must be absent, 1 must be present */
    int has_gt, has_ge, has_lt, has_le;
    double gt, ge, lt, le;
} tg_smoke_jexpect;

typedef enum { TG_CAP_JSON, TG_CAP_HEADER } tg_cap_kind;

typedef struct tg_smoke_capture {
    char *var;   /* the ${var} it defines */
    tg_cap_kind kind;
    char *from;  /* JSON path or header name */
    int line;
} tg_smoke_capture;

typedef struct tg_smoke_load {
    int requests, concurrency; /* requests 0: no load probe */
    double p50_ms, p95_ms, p99_ms; /* budgets, < 0 when not set */
    double max_error_rate;         /* 0..1; default 0 */
} tg_smoke_load;

typedef struct tg_smoke_check {
    char *name;
    int line;
    char *method;
    char *target; /* a path (joined to the base URL) or an absolute URL; may hold ${VAR} */
    tg_smoke_header *headers;
    size_t nheaders;
    char *body; /* raw body, or JSON text when body_is_json */
    int body_is_json;
    /* expectations */
    int *statuses; /* empty: any 2xx */
    size_t nstatuses;
    tg_smoke_hexpect *hexpects;
    size_t nhexpects;
    tg_smoke_jexpect *jexpects;
    size_t njexpects;
    char *body_pattern;
    regex_t body_re;
    double max_ms;       /* < 0 when not set */
    int tls_days_min;    /* < 0 when not set */
    int expects_json;    /* json expectations or captures need a JSON body */
    tg_smoke_capture *captures;
    size_t ncaptures;
    /* policy, <= 0 / UNSET: inherit from the spec */
    int tries;
    double interval, timeout;
    tg_redir_policy redirects;
    tg_smoke_load load;
} tg_smoke_check;

typedef struct tg_smoke_spec {
    char *path;     /* as given */
    char *name;     /* base name without extension: the SPEC of smoke/SPEC/CHECK */
    char *base_url; /* may be NULL; may hold ${VAR} */
    int tries;      /* <= 0: from the command line or the default */
    double interval, timeout;
    int tls_verify; /* default 1 */
    char *ca_file;
    tg_redir_policy redirects;
    int parallel;
    size_t max_body;
    char **secret_names; /* extra header names to mask */
    size_t nsecret_names;
    tg_smoke_header *headers; /* sent with every check */
    size_t nheaders;
    tg_smoke_check *checks;
    size_t nchecks;
} tg_smoke_spec;

/* Parses a spec from memory. path names the file in messages; name is the
 * SPEC part of ids (NULL: derived from path). Returns 0, or TG_ECONFIG with a
 * file:line message already printed. *out is set only on success. */
int tg_smoke_spec_parse(const char *text, size_t len, const char *path, tg_smoke_spec **out);
/* Reads and parses a file; TG_EIO when it cannot be read. */
int tg_smoke_spec_load(const char *path, tg_smoke_spec **out);
/* The spec of `tollgate smoke URL` with no spec: GET /health answers 200. */
tg_smoke_spec *tg_smoke_spec_default(void);
void tg_smoke_spec_free(tg_smoke_spec *s);

/* Looks a variable up; returns NULL when it has no value. */
typedef const char *(*tg_smoke_lookup)(void *ctx, const char *name);
/* Expands ${NAME} and ${NAME:-default} in s (`$${` is a literal `${`).
 * With json_escape the values are escaped for a JSON string. Returns a new
 * string, or NULL when a variable has neither value nor default; *missing
 * (when given) then holds its name, for the caller to free. */
char *tg_smoke_expand(const char *s, tg_smoke_lookup lookup, void *ctx, int json_escape,
                      char **missing);

/* Secrets seen during a run; every output goes through tg_smoke_mask(). */
typedef struct tg_smoke_secrets {
    char **v;
    size_t n;
} tg_smoke_secrets;

void tg_smoke_secret_add(tg_smoke_secrets *s, const char *value);
/* Returns a copy of text with every secret replaced by "***". */
char *tg_smoke_mask(const tg_smoke_secrets *s, const char *text);
/* A URL fit for a report: user:password@ replaced by ***@. */
char *tg_smoke_url_display(const char *url);
/* 1 for header names masked whatever the spec says. */
int tg_smoke_header_is_secret(const char *name);

typedef struct tg_smoke_latency {
    int n;
    double min, p50, p95, p99, max, mean; /* milliseconds */
} tg_smoke_latency;

typedef struct tg_smoke_outcome {
    char *id;   /* smoke/SPEC/CHECK */
    char *spec; /* spec name */
    char *check;
    char *file; /* spec path */
    int line;
    tg_status status;
    int attempts;
    double time; /* seconds of the final attempt */
    char *message;
    tg_attempt *tries; /* failed attempts before the final one */
    int ntries;
    int http_status;   /* last status seen, 0 when none */
    tg_smoke_latency latency;
    int load_requests; /* 0 when not a load probe */
    double error_rate;
    int cert_days; /* days left on the peer certificate, -1 unknown */
} tg_smoke_outcome;

typedef struct tg_smoke_opts {
    const char *base_url; /* from the command line; NULL: spec base_url or $TARGET_URL */
    int tries;            /* <= 0: default */
    double interval;      /* < 0: default */
    double timeout;       /* <= 0: default */
    int quiet;            /* no per-check line on stdout */
    volatile sig_atomic_t *stop; /* when non-NULL and set, the run is abandoned */
} tg_smoke_opts;

typedef struct tg_smoke_run_result {
    tg_smoke_outcome *outcomes;
    size_t n;
    tg_smoke_secrets secrets;
    double duration;
    char started[32];
    int interrupted;
} tg_smoke_run_result;

/* Runs every check of every spec. Returns 0 (whatever the checks did), or
 * TG_EUSAGE/TG_ECONFIG for a bad URL (message printed), TG_EINTERNAL when
 * libcurl cannot be set up. res is filled in any case and must be freed. */
int tg_smoke_run(tg_smoke_spec **specs, size_t nspecs, const tg_smoke_opts *opts,
                 tg_smoke_run_result *res);
void tg_smoke_run_result_free(tg_smoke_run_result *res);

/* Percentiles of ms[0..n) (sorted in place), nearest-rank. */
void tg_smoke_latency_of(double *ms, int n, tg_smoke_latency *out);

/* Fills r (kind "smoke", initialised by the caller) with one test per
 * check and the "smoke" section; every string is masked. */
void tg_smoke_to_results(const tg_smoke_run_result *res, tg_results *r);
/* The Markdown report of a run; masked; the caller frees. */
char *tg_smoke_summary_md(const tg_smoke_run_result *res, const char *title);
/* Writes DIR/results.json, DIR/junit.xml, DIR/summary.md. */
int tg_smoke_write_outputs(const tg_smoke_run_result *res, const char *dir, int jenkins_style);
/* Writes text to a stream through the mask. */
void tg_smoke_print_masked(const tg_smoke_secrets *s, FILE *out, const char *text);

typedef struct tg_smoke_monitor_opts {
    const char *url;  /* for the report's title; may be NULL */
    double every;     /* seconds between round starts */
    int rounds;       /* 0: until stopped */
    int fail_after;   /* exit 1 after this many unhealthy rounds in a row */
    const char *out;  /* folder for health.md, history.json and the last round's outputs */
    int jenkins_style;
} tg_smoke_monitor_opts;

/* Runs rounds until `rounds`, `fail_after` unhealthy rounds in a row, or a
 * stop request (o->stop). Returns an exit code: 0 healthy, 1 unhealthy,
 * 2 or 3 as tg_exit_code says. */
int tg_smoke_monitor(tg_smoke_spec **specs, size_t nspecs, const tg_smoke_opts *o,
                     const tg_smoke_monitor_opts *m);

/* The verbs (argv[0] is the verb). */
int tg_cmd_smoke(int argc, char **argv);
int tg_cmd_monitor(int argc, char **argv);

#endif
