/*
 * config.h: tollgate.yaml, read and checked.
 *
 * tg_config_load() reads the file with yamltree, checks every key it knows
 * (an unknown key, a wrong type or a bad value is an error with file:line),
 * and keeps the whole tree so that other modules can read their own sections
 * (cfg->lint, cfg->coverage). Strings keep their ${VAR} references: they are
 * expanded where they are used, with tg_expand().
 *
 * Ownership: the config owns everything in it; tg_config_free() releases it.
 */
#ifndef TG_CONFIG_H
#define TG_CONFIG_H

#include "yamltree.h"

#define TG_DEFAULT_CONFIG "tollgate.yaml"
#define TG_DEFAULT_TIMEOUT 10.0
#define TG_DEFAULT_OUTPUT_CAP (64 * 1024)
#define TG_DEFAULT_HISTORY ".tollgate/timings.json"

typedef enum {
    TG_KIND_CHECK,    /* a Check binary with tollgate's helper: sharded per test */
    TG_KIND_CHECKXML, /* a foreign Check binary: one unit, results from its XML log */
    TG_KIND_EXEC,     /* any executable: one unit, exit code, TAP or JUnit */
    TG_KIND_SMOKE     /* smoke specs: one unit per spec, run by `tollgate smoke` */
} tg_suite_kind;

typedef struct tg_service {
    char *name;
    char *command;   /* run by /bin/sh -c, after ${PORT} and ${VAR} expansion */
    char *ready;     /* path probed until it answers 2xx, e.g. /health */
    double start_timeout;
    char **env;      /* KEY=VALUE, values expanded at start */
    int nenv;
    int line;
} tg_service;

typedef struct tg_suite {
    char *name;
    tg_suite_kind kind;
    char **patterns;  /* binaries (check, checkxml, exec) or specs (smoke): globs */
    int npatterns;
    char *format;     /* exec: "exit", "tap" or "junit" */
    double timeout;   /* per test, seconds */
    int retries;
    char **services;
    int nservices;
    char **env;       /* KEY=VALUE for every test of the suite */
    int nenv;
    int line;
} tg_suite;

typedef struct tg_config {
    char *path;
    int junit_jenkins; /* junit_style: jenkins */
    int jobs;          /* 0: the number of cores */
    size_t output_cap;
    char *history;
    int flaky_blocks;  /* policy.flaky_blocks */
    tg_suite *suites;
    int nsuites;
    tg_service *services;
    int nservices;
    tg_ydoc doc;
    const tg_ynode *lint, *coverage; /* sections read by their modules; may be NULL */
} tg_config;

/* Returns 0, or TG_ECONFIG/TG_EIO after printing file:line and the problem. */
int tg_config_load(const char *path, tg_config *cfg);
void tg_config_free(tg_config *cfg);
const tg_suite *tg_config_suite(const tg_config *cfg, const char *name);
const tg_service *tg_config_service(const tg_config *cfg, const char *name);
const char *tg_suite_kind_name(tg_suite_kind k);

/* Expands ${VAR} and ${VAR:-default}: first from extra (KEY=VALUE, may be
 * NULL), then the environment; an unset variable without a default expands
 * to "". Returns a new string. */
char *tg_expand(const char *s, char *const *extra, int nextra);

#endif
