/* Unit tests for plan.c: LPT balance, determinism, fallbacks, fingerprint. */
#include "plan.h"
#include "tg.h"
#include "tgtest.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void inventory(tg_inventory *inv, int n)
{
    memset(inv, 0, sizeof *inv);
    for (int i = 0; i < n; i++) {
        char id[64];
        snprintf(id, sizeof id, "unit/test_x/c/t%04d", i);
        tg_inventory_add(inv, id, "unit", TG_KIND_CHECK, "/bin/true");
    }
    tg_inventory_sort(inv);
}

static void history(tg_history *h, const tg_inventory *inv, const long *ms, size_t n)
{
    h->ids = tg_calloc(n + 1, sizeof *h->ids);
    h->ms = tg_calloc(n + 1, sizeof *h->ms);
    h->n = n;
    for (size_t i = 0; i < n; i++) {
        h->ids[i] = tg_strdup(inv->units[i].id);
        h->ms[i] = ms[i];
    }
}

START_TEST(no_history_spreads_round_robin_by_id)
{
    tg_inventory inv;
    inventory(&inv, 10);
    tg_plan p;
    tg_plan_make(&inv, NULL, 4, &p);
    ck_assert_int_eq(p.lpt, 0);
    for (size_t i = 0; i < inv.n; i++)
        ck_assert_int_eq(inv.units[i].shard, (int)(i % 4) + 1);
    ck_assert_int_eq(p.count[0], 3);
    ck_assert_int_eq(p.count[3], 2);
    tg_plan_free(&p);
    tg_inventory_free(&inv);
}
END_TEST

START_TEST(lpt_puts_the_longest_test_first_into_the_lightest_shard)
{
    tg_inventory inv;
    inventory(&inv, 5);
    long ms[] = {1000, 7000, 3000, 3000, 4000};
    tg_history h;
    history(&h, &inv, ms, 5);
    tg_plan p;
    tg_plan_make(&inv, &h, 2, &p);
    ck_assert_int_eq(p.lpt, 1);
    /* 7 -> s1; 4 -> s2; 3 -> s2 (7); 3 -> s1 on the 7:7 tie (lower shard); 1 -> s2 */
    ck_assert_int_eq(inv.units[1].shard, 1);
    ck_assert_int_eq(inv.units[4].shard, 2);
    ck_assert_int_eq(inv.units[2].shard, 2);
    ck_assert_int_eq(inv.units[3].shard, 1);
    ck_assert_int_eq(inv.units[0].shard, 2);
    ck_assert_int_eq(p.predicted_ms[0], 10000);
    ck_assert_int_eq(p.predicted_ms[1], 8000);
    tg_plan_free(&p);
    tg_history_free(&h);
    tg_inventory_free(&inv);
}
END_TEST

START_TEST(a_test_without_history_counts_as_the_median)
{
    tg_inventory inv;
    inventory(&inv, 4);
    long ms[] = {100, 300, 900};
    tg_history h;
    history(&h, &inv, ms, 3);
    tg_plan p;
    tg_plan_make(&inv, &h, 2, &p);
    ck_assert_int_eq(inv.units[3].predicted_ms, 300);
    tg_plan_free(&p);
    tg_history_free(&h);
    tg_inventory_free(&inv);
}
END_TEST

/* Log-normal durations: LPT is within a few percent of perfect balance. */
START_TEST(lpt_balances_lognormal_durations)
{
    tg_inventory inv;
    int n = 2000;
    inventory(&inv, n);
    long *ms = tg_calloc((size_t)n, sizeof *ms);
    unsigned long long seed = 42;
    long total = 0;
    for (int i = 0; i < n; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        double u1 = ((double)(seed >> 11) + 1) / 9007199254740993.0;
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        double u2 = ((double)(seed >> 11) + 1) / 9007199254740993.0;
        double z = sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
        ms[i] = lround(exp(4.0 + 1.2 * z)) + 1;
        total += ms[i];
    }
    tg_history h;
    history(&h, &inv, ms, (size_t)n);
    tg_plan p;
    tg_plan_make(&inv, &h, 4, &p);
    long max = 0;
    for (int s = 0; s < 4; s++)
        max = p.predicted_ms[s] > max ? p.predicted_ms[s] : max;
    double ratio = (double)max / ((double)total / 4.0);
    ck_assert_msg(ratio <= 1.02, "max shard / mean = %.4f", ratio);
    tg_plan_free(&p);
    tg_history_free(&h);
    tg_inventory_free(&inv);
    free(ms);
}
END_TEST

START_TEST(the_same_inputs_give_the_same_plan_and_fingerprint)
{
    tg_inventory a, b;
    inventory(&a, 50);
    inventory(&b, 50);
    long ms[50];
    for (int i = 0; i < 50; i++)
        ms[i] = (i * 37) % 11 * 10;
    tg_history h;
    history(&h, &a, ms, 50);
    tg_plan pa, pb;
    tg_plan_make(&a, &h, 4, &pa);
    tg_plan_make(&b, &h, 4, &pb);
    ck_assert_str_eq(pa.fingerprint, pb.fingerprint);
    for (int i = 0; i < 50; i++)
        ck_assert_int_eq(a.units[i].shard, b.units[i].shard);
    tg_plan pc;
    tg_plan_make(&b, &h, 3, &pc);
    ck_assert_str_ne(pa.fingerprint, pc.fingerprint);
    tg_plan_free(&pb);
    tg_plan_make(&b, NULL, 4, &pb);
    ck_assert_str_ne(pa.fingerprint, pb.fingerprint);
    tg_plan_free(&pa);
    tg_plan_free(&pb);
    tg_plan_free(&pc);
    tg_history_free(&h);
    tg_inventory_free(&a);
    tg_inventory_free(&b);
}
END_TEST

START_TEST(ids_sort_byte_wise_whatever_the_locale)
{
    tg_inventory inv = {0};
    tg_inventory_add(&inv, "unit/b", "unit", TG_KIND_CHECK, "");
    tg_inventory_add(&inv, "unit/B", "unit", TG_KIND_CHECK, "");
    tg_inventory_add(&inv, "unit/\xC3\xA9", "unit", TG_KIND_CHECK, "");
    tg_inventory_add(&inv, "unit/a_", "unit", TG_KIND_CHECK, "");
    tg_inventory_sort(&inv);
    ck_assert_str_eq(inv.units[0].id, "unit/B");
    ck_assert_str_eq(inv.units[1].id, "unit/a_");
    ck_assert_str_eq(inv.units[2].id, "unit/b");
    ck_assert_str_eq(inv.units[3].id, "unit/\xC3\xA9");
    tg_inventory_free(&inv);
}
END_TEST

START_TEST(a_shard_can_get_no_tests)
{
    tg_inventory inv;
    inventory(&inv, 2);
    tg_plan p;
    tg_plan_make(&inv, NULL, 4, &p);
    ck_assert_int_eq(p.count[2], 0);
    ck_assert_int_eq(p.count[3], 0);
    tg_plan_free(&p);
    tg_inventory_free(&inv);
}
END_TEST

START_TEST(history_round_trips_and_merges)
{
    char path[] = "/tmp/tg-hist-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    tg_history empty = {0};
    char *ids[] = {"b", "a"};
    double secs[] = {0.25, 1.5};
    ck_assert_int_eq(tg_history_save(path, &empty, ids, secs, 2), 0);
    tg_history h;
    tg_history_load(path, &h);
    ck_assert_uint_eq(h.n, 2);
    ck_assert_int_eq(tg_history_get(&h, "a"), 1500);
    ck_assert_int_eq(tg_history_get(&h, "b"), 250);
    ck_assert_int_eq(tg_history_get(&h, "c"), -1);
    char *ids2[] = {"c", "a"};
    double secs2[] = {0.001, 2.0};
    ck_assert_int_eq(tg_history_save(path, &h, ids2, secs2, 2), 0);
    tg_history_free(&h);
    tg_history_load(path, &h);
    ck_assert_uint_eq(h.n, 3);
    ck_assert_int_eq(tg_history_get(&h, "a"), 2000);
    ck_assert_int_eq(tg_history_get(&h, "b"), 250);
    ck_assert_int_eq(tg_history_get(&h, "c"), 1);
    tg_history_free(&h);
    unlink(path);
}
END_TEST

START_TEST(a_malformed_history_means_round_robin)
{
    char path[] = "/tmp/tg-hist-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "{\"format\": \"tollgate-timings/1\", \"tests\": {\"a\": -3", 49), 49);
    close(fd);
    tg_history h;
    tg_history_load(path, &h);
    ck_assert_uint_eq(h.n, 0);
    tg_inventory inv;
    inventory(&inv, 4);
    tg_plan p;
    tg_plan_make(&inv, &h, 2, &p);
    ck_assert_int_eq(p.lpt, 0);
    tg_plan_free(&p);
    tg_inventory_free(&inv);
    unlink(path);
}
END_TEST

static void tests(tgt_registry *r)
{
    tgt_tcase(r, "lpt");
    tgt_add(r, lpt_puts_the_longest_test_first_into_the_lightest_shard);
    tgt_add(r, a_test_without_history_counts_as_the_median);
    tgt_add(r, lpt_balances_lognormal_durations);
    tgt_tcase(r, "fallback");
    tgt_add(r, no_history_spreads_round_robin_by_id);
    tgt_add(r, a_shard_can_get_no_tests);
    tgt_add(r, a_malformed_history_means_round_robin);
    tgt_tcase(r, "determinism");
    tgt_add(r, the_same_inputs_give_the_same_plan_and_fingerprint);
    tgt_add(r, ids_sort_byte_wise_whatever_the_locale);
    tgt_tcase(r, "history");
    tgt_add(r, history_round_trips_and_merges);
}

TGT_MAIN("unit", tests)
