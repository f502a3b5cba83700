/*
 * Balance benchmark: 2,000 tests with log-normal durations and a timing
 * history, split 4 ways by tollgate's plan (LPT over the history), by
 * round-robin, and by contiguous chunks in id order (pytest-split's default
 * "duration_based_chunks"). Prints max shard time / (total / 4) for each,
 * first with the history exact, then with each test's real time drifting
 * from its history (log-normal noise, sigma 0.3), as real runs do.
 */
#include "plan.h"
#include "tg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long long seed = 20261123;

static double uniform(void)
{
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return ((double)(seed >> 11) + 1) / 9007199254740993.0;
}

static double gauss(void)
{
    return sqrt(-2 * log(uniform())) * cos(2 * M_PI * uniform());
}

static double ratio(const double *load, int shards, double total)
{
    double max = 0;
    for (int s = 0; s < shards; s++)
        max = load[s] > max ? load[s] : max;
    return max / (total / shards);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 2000, shards = 4;
    tg_inventory inv = {0};
    for (int i = 0; i < n; i++) {
        char id[64];
        snprintf(id, sizeof id, "unit/test_mod%03d/case/t%04d", i % 97, i);
        tg_inventory_add(&inv, id, "unit", TG_KIND_CHECK, "");
    }
    tg_inventory_sort(&inv);
    /* History: log-normal, median ~55 ms, a long tail of slow tests. */
    tg_history h = {tg_calloc((size_t)n, sizeof(char *)), tg_calloc((size_t)n, sizeof(long)),
                    (size_t)n};
    double *real = tg_calloc((size_t)n, sizeof *real);
    for (int i = 0; i < n; i++) {
        h.ids[i] = tg_strdup(inv.units[i].id);
        h.ms[i] = lround(exp(4.0 + 1.2 * gauss())) + 1;
        real[i] = (double)h.ms[i] * exp(0.3 * gauss());
    }
    tg_plan plan;
    tg_plan_make(&inv, &h, shards, &plan);

    printf("| split (%d tests, %d shards) | max/mean, history exact | max/mean, real times drift |\n",
           n, shards);
    printf("|---|---:|---:|\n");
    for (int method = 0; method < 3; method++) {
        double exact[4] = {0}, drift[4] = {0}, total_e = 0, total_d = 0, acc = 0;
        for (int i = 0; i < n; i++)
            total_e += (double)h.ms[i];
        int chunk = 0;
        for (int i = 0; i < n; i++) {
            int s;
            if (method == 0)
                s = inv.units[i].shard - 1;
            else if (method == 1)
                s = i % shards;
            else {
                /* Contiguous in id order; a new chunk once the running sum
                 * passes the next quarter of the total. */
                if (chunk < shards - 1 && acc >= total_e * (chunk + 1) / shards)
                    chunk++;
                s = chunk;
                acc += (double)h.ms[i];
            }
            exact[s] += (double)h.ms[i];
            drift[s] += real[i];
            total_d += real[i];
        }
        const char *name[] = {"tollgate (LPT on history)", "round-robin by id",
                              "contiguous chunks (pytest-split default)"};
        printf("| %s | %.4f | %.4f |\n", name[method], ratio(exact, shards, total_e),
               ratio(drift, shards, total_d));
    }
    tg_plan_free(&plan);
    tg_history_free(&h);
    tg_inventory_free(&inv);
    free(real);
    return 0;
}
