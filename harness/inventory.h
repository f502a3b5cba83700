/*
 * inventory.h: every unit of work the suites of tollgate.yaml hold.
 *
 * A unit is what the plan places on a shard: one test of a Check suite built
 * with tgtest (listed by running the binary with --tg-list), or one whole
 * executable (exec, checkxml) or smoke spec, which yields several results.
 * Units come out sorted by id, byte-wise, so every machine sees one order.
 *
 * Ownership: the inventory owns its units; tg_inventory_free() frees them.
 */
#ifndef TG_INVENTORY_H
#define TG_INVENTORY_H

#include "config.h"

typedef struct tg_unit {
    char *id;      /* SUITE/FILE/TCASE/TEST, or SUITE/NAME for a whole unit */
    char *suite;
    tg_suite_kind kind;
    char *path;    /* the binary or spec that runs it */
    char *file;    /* source position, may be NULL */
    int line;
    long predicted_ms; /* filled by the plan */
    int shard;         /* 1-based, filled by the plan */
} tg_unit;

typedef struct tg_inventory {
    tg_unit *units;
    size_t n, cap;
} tg_inventory;

/* Builds the inventory of the named suites (all when nonly is 0). A pattern
 * matching no file, a binary that cannot list, lists nothing or repeats an
 * id, is an error: TG_ECONFIG with a message naming it. */
int tg_inventory_build(const tg_config *cfg, char *const *only, int nonly, tg_inventory *inv);
void tg_inventory_free(tg_inventory *inv);
/* Adds a unit (strings are copied); for tests and the planner's own use. */
tg_unit *tg_inventory_add(tg_inventory *inv, const char *id, const char *suite,
                          tg_suite_kind kind, const char *path);
void tg_inventory_sort(tg_inventory *inv);
/* Runs argv with stdout captured (stderr passed through), up to a bound of
 * time; returns the exit status or -1. *out is the caller's to free. */
int tg_capture_output(char *const argv[], double timeout, char **out);

#endif
