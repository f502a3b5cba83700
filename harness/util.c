/* util.c: the shared helpers of tg.h. */
#include "tg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int tg_exit_code(int err)
{
    switch (err) {
    case TG_OK: return TG_EXIT_OK;
    case TG_EUSAGE:
    case TG_ECONFIG:
    case TG_EIO:
    case TG_EFORMAT: return TG_EXIT_USAGE;
    default: return TG_EXIT_INTERNAL;
    }
}

static void vreport(const char *kind, const char *file, int line, const char *fmt, va_list ap)
{
    char msg[4096];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (file && line > 0)
        fprintf(stderr, "tollgate: %s:%d: %s%s\n", file, line, kind, msg);
    else if (file)
        fprintf(stderr, "tollgate: %s: %s%s\n", file, kind, msg);
    else
        fprintf(stderr, "tollgate: %s%s\n", kind, msg);
}

void tg_error(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport("", file, line, fmt, ap);
    va_end(ap);
}

void tg_warn(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport("warning: ", file, line, fmt, ap);
    va_end(ap);
}

static void oom(size_t n)
{
    fprintf(stderr, "tollgate: out of memory allocating %zu bytes\n", n);
    abort();
}

void *tg_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *tg_calloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom(n * size);
    return p;
}

void *tg_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

char *tg_strdup(const char *s)
{
    return tg_strndup(s, strlen(s));
}

char *tg_strndup(const char *s, size_t n)
{
    char *p = tg_malloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *tg_asprintf(const char *fmt, ...)
{
    tg_buf b;
    va_list ap;
    tg_buf_init(&b);
    va_start(ap, fmt);
    tg_buf_vaddf(&b, fmt, ap);
    va_end(ap);
    return tg_buf_steal(&b);
}

void tg_buf_init(tg_buf *b)
{
    b->data = NULL;
    b->len = b->cap = 0;
}

void tg_buf_free(tg_buf *b)
{
    free(b->data);
    tg_buf_init(b);
}

static void reserve(tg_buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1)
        cap *= 2;
    b->data = tg_realloc(b->data, cap);
    b->cap = cap;
}

void tg_buf_add(tg_buf *b, const void *p, size_t n)
{
    reserve(b, n);
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void tg_buf_adds(tg_buf *b, const char *s)
{
    tg_buf_add(b, s, strlen(s));
}

void tg_buf_vaddf(tg_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return;
    reserve(b, (size_t)n);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void tg_buf_addf(tg_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tg_buf_vaddf(b, fmt, ap);
    va_end(ap);
}

char *tg_buf_steal(tg_buf *b)
{
    char *p = b->data ? b->data : tg_strdup("");
    tg_buf_init(b);
    return p;
}

char *tg_read_file(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    tg_buf b;
    tg_buf_init(&b);
    char chunk[65536];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            tg_buf_free(&b);
            errno = e;
            return NULL;
        }
        if (n == 0)
            break;
        tg_buf_add(&b, chunk, (size_t)n);
    }
    close(fd);
    if (len)
        *len = b.len;
    return tg_buf_steal(&b);
}

int tg_write_file_atomic(const char *path, const char *data, size_t len)
{
    char *tmp = tg_asprintf("%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        tg_error(path, 0, "cannot write: %s", strerror(errno));
        free(tmp);
        return TG_EIO;
    }
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(fd, data + off, len - off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            tg_error(path, 0, "cannot write: %s", strerror(errno));
            close(fd);
            unlink(tmp);
            free(tmp);
            return TG_EIO;
        }
        off += (size_t)n;
    }
    if (fsync(fd) != 0 && errno != EINVAL) {
        tg_error(path, 0, "cannot sync: %s", strerror(errno));
        close(fd);
        unlink(tmp);
        free(tmp);
        return TG_EIO;
    }
    close(fd);
    if (rename(tmp, path) != 0) {
        tg_error(path, 0, "cannot rename into place: %s", strerror(errno));
        unlink(tmp);
        free(tmp);
        return TG_EIO;
    }
    free(tmp);
    return TG_OK;
}

int tg_mkdirs(const char *path)
{
    char *p = tg_strdup(path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST) {
            tg_error(p, 0, "cannot create folder: %s", strerror(errno));
            free(p);
            return TG_EIO;
        }
        *s = '/';
    }
    if (mkdir(p, 0755) != 0 && errno != EEXIST) {
        tg_error(p, 0, "cannot create folder: %s", strerror(errno));
        free(p);
        return TG_EIO;
    }
    free(p);
    return TG_OK;
}

double tg_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void tg_utc_timestamp(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int tg_parse_duration(const char *s, double *seconds)
{
    if (!s || !*s)
        return TG_EUSAGE;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || v < 0 || v != v)
        return TG_EUSAGE;
    double mult = 1;
    if (*end == '\0' || strcmp(end, "s") == 0)
        mult = 1;
    else if (strcmp(end, "ms") == 0)
        mult = 0.001;
    else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
        mult = 60;
    else if (strcmp(end, "h") == 0)
        mult = 3600;
    else
        return TG_EUSAGE;
    *seconds = v * mult;
    return TG_OK;
}

int tg_ncpu(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

/* Length of a valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07;
    } else
        return 0;
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF)
        return 0;
    return len;
}

char *tg_clean_text(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    tg_buf b;
    tg_buf_init(&b);
    tg_buf_add(&b, "", 0);
    size_t i = 0;
    while (i < len) {
        unsigned c = p[i];
        if (c == 0x1B) { /* ANSI escape: ESC [ params final, or ESC + one char */
            i++;
            if (i < len && p[i] == '[') {
                i++;
                while (i < len && !(p[i] >= 0x40 && p[i] <= 0x7E))
                    i++;
                if (i < len)
                    i++;
            } else if (i < len && p[i] == ']') { /* OSC ... BEL or ST */
                while (i < len && p[i] != 0x07 && p[i] != 0x1B)
                    i++;
                if (i < len && p[i] == 0x07)
                    i++;
            } else if (i < len) {
                i++;
            }
            continue;
        }
        if (c == '\r') {
            if (!(i + 1 < len && p[i + 1] == '\n'))
                tg_buf_add(&b, "\n", 1);
            i++;
            continue;
        }
        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7F) {
            i++;
            continue;
        }
        size_t n = utf8_len(p + i, len - i);
        if (n == 0) {
            tg_buf_adds(&b, "\xEF\xBF\xBD"); /* U+FFFD */
            i++;
            continue;
        }
        if (n == 2 && p[i] == 0xC2 && p[i + 1] >= 0x80 && p[i + 1] <= 0x9F) {
            i += 2; /* C1 controls */
            continue;
        }
        tg_buf_add(&b, p + i, n);
        i += n;
    }
    return tg_buf_steal(&b);
}

int tg_strcmp_ptr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}
