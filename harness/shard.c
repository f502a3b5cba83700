/* shard.c: shard selection (shard.h). */
#include "shard.h"
#include "tg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_SHARDS 10000

static int parse_int(const char *s, long lo, long hi, int *out)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

int tg_shard_parse(const char *s, int *index, int *total)
{
    const char *slash = s ? strchr(s, '/') : NULL;
    if (!slash)
        return TG_EUSAGE;
    char *i = tg_strndup(s, (size_t)(slash - s));
    int rc = parse_int(i, 1, MAX_SHARDS, index) == 0 &&
                     parse_int(slash + 1, 1, MAX_SHARDS, total) == 0 && *index <= *total
                 ? TG_OK
                 : TG_EUSAGE;
    free(i);
    return rc;
}

static int zero_based(const char *idx_var, const char *tot_var, tg_shard *out)
{
    const char *iv = getenv(idx_var), *tv = getenv(tot_var);
    int i, t;
    if (parse_int(tv, 1, MAX_SHARDS, &t) != 0 || parse_int(iv, 0, t - 1, &i) != 0) {
        tg_error(NULL, 0, "%s=%s and %s=%s do not name a shard (0 <= index < total)", idx_var,
                 iv ? iv : "(unset)", tot_var, tv ? tv : "(unset)");
        return TG_EUSAGE;
    }
    out->index = i + 1;
    out->total = t;
    out->source = tot_var;
    return TG_OK;
}

int tg_shard_select(const char *flag, const char *shards_flag, tg_shard *out)
{
    out->index = out->total = 1;
    out->source = "default";
    if (flag) {
        if (tg_shard_parse(flag, &out->index, &out->total) != TG_OK) {
            tg_error(NULL, 0, "--shard %s: expected I/N with 1 <= I <= N, as in --shard 2/4", flag);
            return TG_EUSAGE;
        }
        out->source = "--shard";
        return TG_OK;
    }
    const char *v = getenv("TOLLGATE_SHARD");
    if (v && *v) {
        if (tg_shard_parse(v, &out->index, &out->total) != TG_OK) {
            tg_error(NULL, 0, "TOLLGATE_SHARD=%s: expected I/N with 1 <= I <= N", v);
            return TG_EUSAGE;
        }
        out->source = "TOLLGATE_SHARD";
        return TG_OK;
    }
    if (getenv("TEST_TOTAL_SHARDS")) {
        int rc = zero_based("TEST_SHARD_INDEX", "TEST_TOTAL_SHARDS", out);
        const char *status = getenv("TEST_SHARD_STATUS_FILE");
        if (rc == TG_OK && status && *status) {
            int fd = open(status, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
            if (fd >= 0)
                close(fd);
            else
                tg_warn(status, 0, "cannot touch TEST_SHARD_STATUS_FILE: %s", strerror(errno));
        }
        return rc;
    }
    if (getenv("GTEST_TOTAL_SHARDS"))
        return zero_based("GTEST_SHARD_INDEX", "GTEST_TOTAL_SHARDS", out);
    v = getenv("JOB_COMPLETION_INDEX");
    if (v && *v) {
        const char *tv = shards_flag ? shards_flag : getenv("TOLLGATE_SHARDS");
        int i, t;
        if (parse_int(tv, 1, MAX_SHARDS, &t) != 0 || parse_int(v, 0, t - 1, &i) != 0) {
            tg_error(NULL, 0, "JOB_COMPLETION_INDEX=%s needs the shard total from --shards N or "
                     "TOLLGATE_SHARDS (got %s), with 0 <= index < total", v, tv ? tv : "none");
            return TG_EUSAGE;
        }
        out->index = i + 1;
        out->total = t;
        out->source = "JOB_COMPLETION_INDEX";
        return TG_OK;
    }
    if (shards_flag) {
        tg_error(NULL, 0, "--shards %s says how many shards there are, not which one this is: "
                 "use --shard I/N", shards_flag);
        return TG_EUSAGE;
    }
    return TG_OK;
}
