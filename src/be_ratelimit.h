/*
 * be_ratelimit.h: requests per client address per window (a fixed window
 * that starts at a client's first request in it).
 *
 * Memory is bounded by the capacity given at creation, however many clients
 * come: the table is a set-associative cache (each address may live in one of
 * BE_RL_WAYS slots). A new client takes a free or expired slot of its set;
 * when all are live, the one with the fewest requests is evicted, so a flood
 * of new addresses never grows memory and mostly evicts its own kind rather
 * than a client close to its limit. Thread-safe (one mutex; the critical section is a few
 * comparisons).
 */
#ifndef BE_RATELIMIT_H
#define BE_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#define BE_RL_WAYS 8

typedef struct be_ratelimit be_ratelimit;

typedef struct be_rl_result {
    int allowed;         /* 0: answer 429 */
    int64_t limit;       /* X-RateLimit-Limit */
    int64_t remaining;   /* X-RateLimit-Remaining (after this request) */
    int64_t reset;       /* X-RateLimit-Reset: Unix time the window ends */
    int64_t retry_after; /* Retry-After seconds (meaningful when !allowed), at least 1 */
} be_rl_result;

/* capacity is rounded up to a multiple of BE_RL_WAYS. Free with be_ratelimit_free(). */
be_ratelimit *be_ratelimit_new(int64_t limit, double window_seconds, size_t capacity);
void be_ratelimit_free(be_ratelimit *rl);
/* Counts one request of client at wall-clock time now (Unix seconds). */
void be_ratelimit_hit(be_ratelimit *rl, const char *client, double now, be_rl_result *out);
/* Slots in the table (the memory bound) and slots in use. */
size_t be_ratelimit_capacity(const be_ratelimit *rl);
size_t be_ratelimit_used(be_ratelimit *rl);

#endif
