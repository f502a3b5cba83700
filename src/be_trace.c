/* be_trace.c: see be_trace.h. */
#include "be_trace.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

int be_trace_valid(const char *s)
{
    if (!s)
        return 0;
    size_t n = 0;
    for (const char *p = s; *p; p++, n++) {
        char ch = *p;
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                 ch == '.' || ch == '_' || ch == '-';
        if (!ok || n >= BE_TRACE_MAX)
            return 0;
    }
    return n >= 1;
}

static _Thread_local uint64_t rng_state;

/* splitmix64: cheap, good enough for ids that must only be unique. */
static uint64_t next_random(void)
{
    if (rng_state == 0) {
        uint64_t seed = 0;
        if (getrandom(&seed, sizeof seed, 0) != (ssize_t)sizeof seed)
            seed = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)&seed;
        rng_state = seed | 1;
    }
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

void be_trace_new(char out[BE_TRACE_MAX + 1])
{
    snprintf(out, BE_TRACE_MAX + 1, "%016llx%016llx", (unsigned long long)next_random(),
             (unsigned long long)next_random());
}

void be_trace_pick(const char *incoming, char out[BE_TRACE_MAX + 1])
{
    if (be_trace_valid(incoming)) {
        size_t n = strlen(incoming);
        memcpy(out, incoming, n + 1);
    } else {
        be_trace_new(out);
    }
}
