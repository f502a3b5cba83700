/*
 * be_log.h: structured logs. One JSON object per line on stdout (what
 * Railway, Render and docker collect): a line per request with time, level,
 * trace id, method, path, status, duration in ms and client; errors and
 * lifecycle events on the same stream, with the trace id when there is one.
 * A line is written with one write(2) so lines from worker threads never
 * interleave.
 */
#ifndef BE_LOG_H
#define BE_LOG_H

#include "be.h"
#include "be_config.h"

void be_log_set_level(int level); /* BE_LOG_* of be_config.h */
int be_log_enabled(int level);
/* Level follows the status: info below 400, warn for 4xx, error for 5xx. */
void be_log_request(const char *trace, const char *method, const char *path, int status, double ms,
                    const char *client);
/* trace may be NULL. */
void be_log_event(int level, const char *trace, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Appends s as a JSON string (with quotes); control bytes escaped and
 * invalid UTF-8 replaced by U+FFFD, so any client input is safe to log. */
void be_json_escape(be_buf *b, const char *s);

#endif
