/*
 * be_trace.h: trace ids. Every response carries X-Trace-ID; an incoming id
 * is kept only when it is safe to echo and log (1 to 64 characters of
 * [A-Za-z0-9._-]), otherwise a new one is made.
 */
#ifndef BE_TRACE_H
#define BE_TRACE_H

#define BE_TRACE_MAX 64

/* 1 if s may be kept as a trace id. */
int be_trace_valid(const char *s);
/* Writes a new id: 32 lowercase hex digits from a per-thread generator seeded
 * by getrandom(). Unique, not secret. */
void be_trace_new(char out[BE_TRACE_MAX + 1]);
/* Keeps incoming when valid, else makes one; out always holds the result. */
void be_trace_pick(const char *incoming, char out[BE_TRACE_MAX + 1]);

#endif
