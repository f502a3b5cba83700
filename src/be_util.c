/* be_util.c: see be.h. */
#include "be.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static void oom(size_t n)
{
    fprintf(stderr, "backend: out of memory (%zu bytes)\n", n);
    abort();
}

void *be_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *be_calloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom(n * size);
    return p;
}

void *be_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

char *be_strdup(const char *s)
{
    return be_strndup(s, strlen(s));
}

char *be_strndup(const char *s, size_t n)
{
    char *p = be_malloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *be_asprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return be_strdup("");
    if ((size_t)n < sizeof small)
        return be_strdup(small);
    char *p = be_malloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

static void buf_reserve(be_buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    b->data = be_realloc(b->data, cap);
    b->cap = cap;
}

void be_buf_add(be_buf *b, const void *p, size_t n)
{
    buf_reserve(b, n);
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void be_buf_adds(be_buf *b, const char *s)
{
    be_buf_add(b, s, strlen(s));
}

void be_buf_addf(be_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n <= 0)
        return;
    buf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void be_buf_free(be_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

double be_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double be_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void be_utc_time(char out[32])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    unsigned ms = (unsigned)(ts.tv_nsec / 1000000L) % 1000u;
    snprintf(out + n, 32 - n, ".%03uZ", ms);
}

int be_parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
    if (!s || !*s || strlen(s) > 18)
        return BE_EINVAL;
    int64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return BE_EINVAL;
        v = v * 10 + (*p - '0');
    }
    if (v < min || v > max)
        return BE_EINVAL;
    *out = v;
    return BE_OK;
}
