/* be_ratelimit.c: see be_ratelimit.h. */
#include "be_ratelimit.h"

#include "be.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX 64 /* an IPv6 address as text is at most 45 */

typedef struct {
    char key[KEY_MAX];
    double start; /* window start, Unix seconds; 0 = free slot */
    int64_t count;
} slot;

struct be_ratelimit {
    pthread_mutex_t lock;
    int64_t limit;
    double window;
    size_t nsets;
    slot *slots;
};

be_ratelimit *be_ratelimit_new(int64_t limit, double window_seconds, size_t capacity)
{
    be_ratelimit *rl = be_calloc(1, sizeof *rl);
    pthread_mutex_init(&rl->lock, NULL);
    rl->limit = limit;
    rl->window = window_seconds;
    rl->nsets = (capacity + BE_RL_WAYS - 1) / BE_RL_WAYS;
    if (rl->nsets == 0)
        rl->nsets = 1;
    rl->slots = be_calloc(rl->nsets * BE_RL_WAYS, sizeof *rl->slots);
    return rl;
}

void be_ratelimit_free(be_ratelimit *rl)
{
    if (!rl)
        return;
    pthread_mutex_destroy(&rl->lock);
    free(rl->slots);
    free(rl);
}

/* FNV-1a. */
static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* The client's slot, or the slot it takes over: a free or expired one of its
 * set first, else the live one with the fewest requests (the oldest among
 * equals), so a flood of one-off addresses evicts its own kind and a client
 * that is near its limit stays counted. */
static slot *find_slot(be_ratelimit *rl, const char *key, double now)
{
    slot *set = rl->slots + (hash(key) % rl->nsets) * BE_RL_WAYS;
    slot *victim = NULL;
    int victim_free = 0;
    for (int i = 0; i < BE_RL_WAYS; i++) {
        slot *s = &set[i];
        int is_free = s->start == 0 || now >= s->start + rl->window;
        if (s->start != 0 && strncmp(s->key, key, KEY_MAX - 1) == 0)
            return s;
        if (is_free && !victim_free) {
            victim = s;
            victim_free = 1;
        } else if (!is_free && !victim_free &&
                   (!victim || s->count < victim->count ||
                    (s->count == victim->count && s->start < victim->start))) {
            victim = s;
        }
    }
    memset(victim, 0, sizeof *victim);
    strncpy(victim->key, key, KEY_MAX - 1);
    return victim;
}

void be_ratelimit_hit(be_ratelimit *rl, const char *client, double now, be_rl_result *out)
{
    pthread_mutex_lock(&rl->lock);
    slot *s = find_slot(rl, client ? client : "", now);
    if (s->start == 0 || now >= s->start + rl->window) {
        s->start = now;
        s->count = 0;
    }
    s->count++;
    double end = s->start + rl->window;
    out->limit = rl->limit;
    out->allowed = s->count <= rl->limit;
    out->remaining = out->allowed ? rl->limit - s->count : 0;
    out->reset = (int64_t)ceil(end);
    out->retry_after = (int64_t)ceil(end - now);
    if (out->retry_after < 1)
        out->retry_after = 1;
    pthread_mutex_unlock(&rl->lock);
}

size_t be_ratelimit_capacity(const be_ratelimit *rl)
{
    return rl->nsets * BE_RL_WAYS;
}

size_t be_ratelimit_used(be_ratelimit *rl)
{
    size_t n = 0;
    pthread_mutex_lock(&rl->lock);
    for (size_t i = 0; i < rl->nsets * BE_RL_WAYS; i++)
        n += rl->slots[i].start != 0;
    pthread_mutex_unlock(&rl->lock);
    return n;
}
