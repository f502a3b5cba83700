/*
 * plan.h: which unit runs on which shard.
 *
 * The plan is a pure function of (inventory, timing history, N): every shard
 * computes it alone and gets the same answer, byte for byte, on any machine
 * and in any locale, because all arithmetic is on whole milliseconds and all
 * orders are byte-wise on ids.
 *
 *   - with history: longest-processing-time first into the lightest shard
 *     (LPT; ties go to the lower shard), a unit with no history counting as
 *     the median of the known times;
 *   - with no usable history: round-robin over the units sorted by id.
 *
 * The fingerprint is FNV-1a 64 over N and every (id, shard) pair.
 */
#ifndef TG_PLAN_H
#define TG_PLAN_H

#include "inventory.h"

#include <stdio.h>

typedef struct tg_history {
    char **ids;
    long *ms;
    size_t n;
} tg_history;

typedef struct tg_plan {
    int shards;
    int lpt;            /* 1: balanced by history; 0: round-robin */
    long *predicted_ms; /* per shard, index 0 is shard 1 */
    int *count;         /* units per shard */
    char fingerprint[17];
} tg_plan;

/* Reads .tollgate/timings.json. A missing file is an empty history; a
 * malformed one is a warning and an empty history (never an error). */
void tg_history_load(const char *path, tg_history *h);
void tg_history_free(tg_history *h);
/* Looks an id up; returns -1 when unknown. h must be sorted (load sorts). */
long tg_history_get(const tg_history *h, const char *id);
/* Writes the history: old entries updated with times (id -> seconds). */
int tg_history_save(const char *path, const tg_history *old, char *const *ids,
                    const double *seconds, size_t n);

/* Assigns inv->units[i].shard and .predicted_ms; inv must be sorted. */
void tg_plan_make(tg_inventory *inv, const tg_history *h, int shards, tg_plan *plan);
void tg_plan_free(tg_plan *plan);

/* Prints the plan as a table or as JSON. */
void tg_plan_print(const tg_inventory *inv, const tg_plan *plan, int json, FILE *out);

#endif
