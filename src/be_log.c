/* be_log.c: see be_log.h. */
#include "be_log.h"

#include "be_validate.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static atomic_int log_level = BE_LOG_INFO;

static const char *level_names[] = {"debug", "info", "warn", "error"};

void be_log_set_level(int level)
{
    atomic_store(&log_level, level);
}

int be_log_enabled(int level)
{
    return level >= atomic_load(&log_level) && level < BE_LOG_OFF;
}

void be_json_escape(be_buf *b, const char *s)
{
    be_buf_add(b, "\"", 1);
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        if (*p >= 0x80) {
            size_t len = (*p & 0xE0) == 0xC0   ? 2
                         : (*p & 0xF0) == 0xE0 ? 3
                         : (*p & 0xF8) == 0xF0 ? 4
                                               : 1;
            if (len > 1 && strnlen((const char *)p, len) == len &&
                be_utf8_valid((const char *)p, len)) {
                be_buf_add(b, p, len);
                p += len;
            } else {
                be_buf_adds(b, "\\ufffd");
                p++;
            }
            continue;
        }
        if (*p == '"' || *p == '\\')
            be_buf_addf(b, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            be_buf_addf(b, "\\u%04x", *p);
        else
            be_buf_add(b, p, 1);
        p++;
    }
    be_buf_add(b, "\"", 1);
}

static void line_start(be_buf *b, int level, const char *trace)
{
    char now[32];
    be_utc_time(now);
    be_buf_addf(b, "{\"time\":\"%s\",\"level\":\"%s\"", now, level_names[level]);
    if (trace) {
        be_buf_adds(b, ",\"trace_id\":");
        be_json_escape(b, trace);
    }
}

static void line_end(be_buf *b)
{
    be_buf_add(b, "}\n", 2);
    size_t off = 0;
    while (off < b->len) {
        ssize_t n = write(STDOUT_FILENO, b->data + off, b->len - off);
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    be_buf_free(b);
}

void be_log_request(const char *trace, const char *method, const char *path, int status, double ms,
                    const char *client)
{
    int level = status >= 500 ? BE_LOG_ERROR : status >= 400 ? BE_LOG_WARN : BE_LOG_INFO;
    if (!be_log_enabled(level))
        return;
    be_buf b = {0};
    line_start(&b, level, trace);
    be_buf_adds(&b, ",\"msg\":\"request\",\"method\":");
    be_json_escape(&b, method ? method : "");
    be_buf_adds(&b, ",\"path\":");
    be_json_escape(&b, path ? path : "");
    be_buf_addf(&b, ",\"status\":%d,\"duration_ms\":%.3f,\"client\":", status, ms);
    be_json_escape(&b, client ? client : "");
    line_end(&b);
}

void be_log_event(int level, const char *trace, const char *fmt, ...)
{
    if (!be_log_enabled(level))
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    be_buf b = {0};
    line_start(&b, level, trace);
    be_buf_adds(&b, ",\"msg\":");
    be_json_escape(&b, msg);
    line_end(&b);
}
