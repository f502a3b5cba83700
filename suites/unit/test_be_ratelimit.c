/* Unit tests for be_ratelimit.c: counting, windows, headers, the memory bound. */
#include "be_ratelimit.h"
#include "tgtest.h"

#include <stdio.h>

#define T0 1800000000.0

START_TEST(limit_allows_n_then_refuses)
{
    be_ratelimit *rl = be_ratelimit_new(3, 60, 64);
    be_rl_result r;
    for (int i = 0; i < 3; i++) {
        be_ratelimit_hit(rl, "10.0.0.1", T0 + i, &r);
        ck_assert(r.allowed);
        ck_assert_int_eq(r.limit, 3);
        ck_assert_int_eq(r.remaining, 2 - i);
        ck_assert_int_eq(r.reset, (int64_t)T0 + 60);
    }
    be_ratelimit_hit(rl, "10.0.0.1", T0 + 10, &r);
    ck_assert(!r.allowed);
    ck_assert_int_eq(r.remaining, 0);
    ck_assert_int_eq(r.retry_after, 50);
    be_ratelimit_free(rl);
}
END_TEST

START_TEST(clients_are_counted_separately)
{
    be_ratelimit *rl = be_ratelimit_new(1, 60, 64);
    be_rl_result r;
    be_ratelimit_hit(rl, "10.0.0.1", T0, &r);
    ck_assert(r.allowed);
    be_ratelimit_hit(rl, "10.0.0.2", T0, &r);
    ck_assert(r.allowed);
    be_ratelimit_hit(rl, "10.0.0.1", T0, &r);
    ck_assert(!r.allowed);
    be_ratelimit_free(rl);
}
END_TEST

START_TEST(window_end_resets_the_count)
{
    be_ratelimit *rl = be_ratelimit_new(1, 60, 64);
    be_rl_result r;
    be_ratelimit_hit(rl, "::1", T0, &r);
    be_ratelimit_hit(rl, "::1", T0 + 59.9, &r);
    ck_assert(!r.allowed);
    ck_assert_int_eq(r.retry_after, 1);
    be_ratelimit_hit(rl, "::1", T0 + 60, &r);
    ck_assert(r.allowed);
    ck_assert_int_eq(r.reset, (int64_t)T0 + 120);
    be_ratelimit_free(rl);
}
END_TEST

START_TEST(memory_stays_bounded_under_a_flood_of_clients)
{
    be_ratelimit *rl = be_ratelimit_new(5, 60, 1000);
    size_t cap = be_ratelimit_capacity(rl);
    ck_assert_uint_ge(cap, 1000);
    ck_assert_uint_lt(cap, 1000 + 8);
    be_rl_result r;
    char key[32];
    int refused_new = 0;
    for (int i = 0; i < 100000; i++) {
        snprintf(key, sizeof key, "10.%d.%d.%d", (i >> 16) & 255, (i >> 8) & 255, i & 255);
        be_ratelimit_hit(rl, key, T0 + i * 0.0001, &r);
        refused_new += !r.allowed;
    }
    ck_assert_int_eq(refused_new, 0);
    ck_assert_uint_le(be_ratelimit_used(rl), cap);
    /* A client hammering during the flood is still limited. */
    be_ratelimit *rl2 = be_ratelimit_new(3, 60, 64);
    int refused = 0;
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof key, "192.0.2.%d", i % 200);
        be_ratelimit_hit(rl2, key, T0, &r);
        be_ratelimit_hit(rl2, "203.0.113.9", T0, &r);
        refused += !r.allowed;
    }
    ck_assert_int_gt(refused, 900);
    be_ratelimit_free(rl2);
    be_ratelimit_free(rl);
}
END_TEST

START_TEST(expired_slots_are_reused_before_live_ones)
{
    be_ratelimit *rl = be_ratelimit_new(1, 60, 8); /* one set of 8 slots */
    be_rl_result r;
    be_ratelimit_hit(rl, "victim", T0 + 100, &r);
    char key[16];
    for (int i = 0; i < 7; i++) {
        snprintf(key, sizeof key, "old%d", i);
        be_ratelimit_hit(rl, key, T0, &r);
    }
    /* All of old* have expired by T0+100.5: a newcomer takes one of them,
     * the victim keeps its count. */
    be_ratelimit_hit(rl, "newcomer", T0 + 100.5, &r);
    be_ratelimit_hit(rl, "victim", T0 + 101, &r);
    ck_assert(!r.allowed);
    be_ratelimit_free(rl);
}
END_TEST

static void tests(tgt_registry *r)
{
    tgt_tcase(r, "count");
    tgt_add(r, limit_allows_n_then_refuses);
    tgt_add(r, clients_are_counted_separately);
    tgt_add(r, window_end_resets_the_count);
    tgt_tcase(r, "memory");
    tgt_add(r, memory_stays_bounded_under_a_flood_of_clients);
    tgt_add(r, expired_slots_are_reused_before_live_ones);
}

TGT_MAIN("unit", tests)
