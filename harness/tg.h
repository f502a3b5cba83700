/*
 * tg.h: what every part of the harness shares.
 *
 * Error convention (one for the whole harness): functions return int, 0 on
 * success and a negative TG_E* code on failure; the human message goes
 * through tg_error(), which prefixes "tollgate: " and, when given, the file
 * and line the problem is in. Verbs map codes to the exit codes of SPEC.md
 * with tg_exit_code().
 *
 * Memory: tg_malloc() and friends abort with a message on out-of-memory
 * (decided once, as Redis does); callers never check for NULL.
 */
#ifndef TG_H
#define TG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#define TG_VERSION "0.1.0"

/* Exit codes of the command-line contract (SPEC.md). */
enum { TG_EXIT_OK = 0, TG_EXIT_FAIL = 1, TG_EXIT_USAGE = 2, TG_EXIT_INTERNAL = 3 };

/* Error codes: negative, returned by functions. */
enum {
    TG_OK = 0,
    TG_EUSAGE = -1,   /* bad flag or argument */
    TG_ECONFIG = -2,  /* invalid configuration or input file */
    TG_EIO = -3,      /* a file could not be read or written */
    TG_EFORMAT = -4,  /* malformed or unknown results format */
    TG_EINTERNAL = -5 /* a bug or a system call that should not fail */
};

int tg_exit_code(int err);

/* Messages go to stderr. file may be NULL; line 0 means "no line". */
void tg_error(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void tg_warn(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

void *tg_malloc(size_t n);
void *tg_calloc(size_t n, size_t size);
void *tg_realloc(void *p, size_t n);
char *tg_strdup(const char *s);
char *tg_strndup(const char *s, size_t n);
char *tg_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable byte buffer, always NUL-terminated. */
typedef struct tg_buf {
    char *data;
    size_t len, cap;
} tg_buf;

void tg_buf_init(tg_buf *b);
void tg_buf_free(tg_buf *b);
void tg_buf_add(tg_buf *b, const void *p, size_t n);
void tg_buf_adds(tg_buf *b, const char *s);
void tg_buf_addf(tg_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tg_buf_vaddf(tg_buf *b, const char *fmt, va_list ap);
/* Hands the data over to the caller (who frees it) and resets b. */
char *tg_buf_steal(tg_buf *b);

/* Reads a whole file; returns NULL (errno set) on failure. *len may be NULL. */
char *tg_read_file(const char *path, size_t *len);
/* Writes atomically: a temporary file beside path, fsync, then rename. */
int tg_write_file_atomic(const char *path, const char *data, size_t len);
/* mkdir -p. */
int tg_mkdirs(const char *path);

/* Monotonic seconds, and the wall clock as RFC 3339 UTC. */
double tg_now(void);
void tg_utc_timestamp(char out[32]);

/* Parses "10s", "250ms", "2m", "1h", or a plain number of seconds. */
int tg_parse_duration(const char *s, double *seconds);

/* Number of online cores, at least 1. */
int tg_ncpu(void);

/* Replaces control characters (except \n and \t), ANSI escape sequences and
 * invalid UTF-8 in s so it can go into any report. Returns a new string. */
char *tg_clean_text(const char *s, size_t len);

/* Compare for qsort over char* arrays, byte-wise (locale-independent). */
int tg_strcmp_ptr(const void *a, const void *b);

#endif
