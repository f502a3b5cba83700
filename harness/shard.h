/*
 * shard.h: which shard this process is, from the flag or the environment.
 *
 * In this order (SPEC.md): --shard I/N (1-based); TOLLGATE_SHARD=I/N;
 * Bazel's TEST_TOTAL_SHARDS/TEST_SHARD_INDEX (0-based; TEST_SHARD_STATUS_FILE
 * is touched to say sharding is supported); GoogleTest's
 * GTEST_TOTAL_SHARDS/GTEST_SHARD_INDEX (0-based); a Kubernetes Indexed Job's
 * JOB_COMPLETION_INDEX (0-based) with the total from --shards or
 * TOLLGATE_SHARDS. Nothing given: everything, as shard 1 of 1.
 */
#ifndef TG_SHARD_H
#define TG_SHARD_H

typedef struct tg_shard {
    int index; /* 1-based */
    int total;
    const char *source; /* where it came from, for messages */
} tg_shard;

/* flag: the --shard value or NULL; shards_flag: --shards or NULL. Returns 0,
 * or TG_EUSAGE after a message naming the bad source. */
int tg_shard_select(const char *flag, const char *shards_flag, tg_shard *out);
/* Parses "I/N" (1-based), 1 <= I <= N <= 10000. */
int tg_shard_parse(const char *s, int *index, int *total);

#endif
