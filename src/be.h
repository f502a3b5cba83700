/*
 * be.h: what every module of the reference backend shares.
 *
 * Error convention (one for the whole backend): functions return int, 0 on
 * success and a negative BE_E* code on failure. Modules that can say more
 * write a one-line message into a caller's buffer (char *err, size_t errlen).
 *
 * Memory: be_malloc() and friends abort with a message on out-of-memory
 * (decided once, as Redis and h2o do); callers never check for NULL.
 */
#ifndef BE_H
#define BE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define BE_VERSION "0.1.0"

enum {
    BE_OK = 0,
    BE_EINVAL = -1,    /* bad input: a 400, or a bad configuration value */
    BE_ENOTFOUND = -2, /* no such row: a 404 */
    BE_ECONFLICT = -3, /* unique constraint: a 409 */
    BE_EUNAVAIL = -4,  /* the database cannot be reached: a 503 (500 on the API) */
    BE_EINTERNAL = -5  /* anything else: a 500 */
};

void *be_malloc(size_t n);
void *be_calloc(size_t n, size_t size);
void *be_realloc(void *p, size_t n);
char *be_strdup(const char *s);
char *be_strndup(const char *s, size_t n);
char *be_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable byte buffer, always NUL-terminated once anything was added. */
typedef struct be_buf {
    char *data;
    size_t len, cap;
} be_buf;
void be_buf_add(be_buf *b, const void *p, size_t n);
void be_buf_adds(be_buf *b, const char *s);
void be_buf_addf(be_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void be_buf_free(be_buf *b);

/* Seconds: monotonic clock, and the wall clock (Unix epoch). */
double be_mono(void);
double be_wall(void);
/* The wall clock as RFC 3339 UTC with milliseconds: 2026-11-23T18:43:05.123Z */
void be_utc_time(char out[32]);

/* Strict decimal: digits only, no sign, no spaces, within [min, max]. */
int be_parse_int(const char *s, int64_t min, int64_t max, int64_t *out);

#endif
