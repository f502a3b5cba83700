/* plan.c: LPT sharding (plan.h). */
#include "plan.h"
#include "tg.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define HISTORY_FORMAT "tollgate-timings/1"

typedef struct {
    char *id;
    long ms;
} entry;

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const entry *)a)->id, ((const entry *)b)->id);
}

static long to_ms(double s)
{
    if (!(s > 0) || !isfinite(s))
        return 0;
    if (s > 1e9)
        s = 1e9;
    return lround(s * 1000.0);
}

void tg_history_load(const char *path, tg_history *h)
{
    memset(h, 0, sizeof *h);
    size_t len;
    char *text = tg_read_file(path, &len);
    if (!text)
        return;
    cJSON *root = cJSON_ParseWithLength(text, len);
    free(text);
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(root, "format");
    const cJSON *tests = cJSON_GetObjectItemCaseSensitive(root, "tests");
    if (!root || !cJSON_IsString(fmt) || strcmp(fmt->valuestring, HISTORY_FORMAT) != 0 ||
        !cJSON_IsObject(tests)) {
        tg_warn(path, 0, "timing history is malformed; planning round-robin (the next gate "
                "rewrites it)");
        cJSON_Delete(root);
        return;
    }
    size_t n = (size_t)cJSON_GetArraySize(tests);
    entry *e = tg_calloc(n + 1, sizeof *e);
    size_t k = 0;
    const cJSON *t;
    cJSON_ArrayForEach(t, tests)
    {
        if (!cJSON_IsNumber(t) || !(t->valuedouble >= 0) || !isfinite(t->valuedouble)) {
            tg_warn(path, 0, "timing history has a bad time for '%s'; planning round-robin",
                    t->string ? t->string : "?");
            for (size_t i = 0; i < k; i++)
                free(e[i].id);
            free(e);
            cJSON_Delete(root);
            return;
        }
        e[k].id = tg_strdup(t->string);
        e[k].ms = to_ms(t->valuedouble);
        k++;
    }
    cJSON_Delete(root);
    qsort(e, k, sizeof *e, cmp_entry);
    h->ids = tg_calloc(k + 1, sizeof *h->ids);
    h->ms = tg_calloc(k + 1, sizeof *h->ms);
    for (size_t i = 0; i < k; i++) {
        h->ids[i] = e[i].id;
        h->ms[i] = e[i].ms;
    }
    h->n = k;
    free(e);
}

void tg_history_free(tg_history *h)
{
    for (size_t i = 0; i < h->n; i++)
        free(h->ids[i]);
    free(h->ids);
    free(h->ms);
    memset(h, 0, sizeof *h);
}

long tg_history_get(const tg_history *h, const char *id)
{
    size_t lo = 0, hi = h->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(h->ids[mid], id);
        if (c == 0)
            return h->ms[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

int tg_history_save(const char *path, const tg_history *old, char *const *ids,
                    const double *seconds, size_t n)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "format", HISTORY_FORMAT);
    cJSON *tests = cJSON_AddObjectToObject(root, "tests");
    /* Merge two sorted lists; new times win. */
    entry *fresh = tg_calloc(n + 1, sizeof *fresh);
    for (size_t i = 0; i < n; i++) {
        fresh[i].id = ids[i];
        fresh[i].ms = to_ms(seconds[i]);
    }
    qsort(fresh, n, sizeof *fresh, cmp_entry);
    size_t i = 0, j = 0;
    while (i < old->n || j < n) {
        int c = i >= old->n ? 1 : j >= n ? -1 : strcmp(old->ids[i], fresh[j].id);
        const char *id = c < 0 ? old->ids[i] : fresh[j].id;
        long ms = c < 0 ? old->ms[i] : fresh[j].ms;
        if (!cJSON_HasObjectItem(tests, id))
            cJSON_AddNumberToObject(tests, id, (double)ms / 1000.0);
        if (c <= 0)
            i++;
        if (c >= 0)
            j++;
    }
    free(fresh);
    char *s = cJSON_Print(root);
    cJSON_Delete(root);
    char *dir = tg_strdup(path);
    char *slash = strrchr(dir, '/');
    int rc = TG_OK;
    if (slash) {
        *slash = '\0';
        rc = tg_mkdirs(dir);
    }
    free(dir);
    if (rc == TG_OK) {
        char *withnl = tg_asprintf("%s\n", s);
        rc = tg_write_file_atomic(path, withnl, strlen(withnl));
        free(withnl);
    }
    cJSON_free(s);
    return rc;
}

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return x < y ? -1 : x > y;
}

static int cmp_lpt(const void *a, const void *b)
{
    const tg_unit *x = *(const tg_unit *const *)a, *y = *(const tg_unit *const *)b;
    if (x->predicted_ms != y->predicted_ms)
        return x->predicted_ms > y->predicted_ms ? -1 : 1;
    return strcmp(x->id, y->id);
}

static void fingerprint(const tg_inventory *inv, int shards, char out[17])
{
    uint64_t h = 1469598103934665603ULL;
    char head[64];
    int n = snprintf(head, sizeof head, "tollgate-plan/1\n%d\n", shards);
    for (int i = 0; i < n; i++)
        h = (h ^ (unsigned char)head[i]) * 1099511628211ULL;
    for (size_t i = 0; i < inv->n; i++) {
        char tail[24];
        for (const char *p = inv->units[i].id; *p; p++)
            h = (h ^ (unsigned char)*p) * 1099511628211ULL;
        int m = snprintf(tail, sizeof tail, "\t%d\n", inv->units[i].shard);
        for (int k = 0; k < m; k++)
            h = (h ^ (unsigned char)tail[k]) * 1099511628211ULL;
    }
    snprintf(out, 17, "%016llx", (unsigned long long)h);
}

void tg_plan_make(tg_inventory *inv, const tg_history *h, int shards, tg_plan *plan)
{
    memset(plan, 0, sizeof *plan);
    plan->shards = shards;
    plan->predicted_ms = tg_calloc((size_t)shards, sizeof *plan->predicted_ms);
    plan->count = tg_calloc((size_t)shards, sizeof *plan->count);

    long *known = tg_calloc(inv->n + 1, sizeof *known);
    size_t nknown = 0;
    for (size_t i = 0; i < inv->n; i++) {
        long ms = h ? tg_history_get(h, inv->units[i].id) : -1;
        inv->units[i].predicted_ms = ms;
        if (ms >= 0)
            known[nknown++] = ms;
    }
    plan->lpt = nknown > 0;
    if (!plan->lpt) {
        for (size_t i = 0; i < inv->n; i++) {
            inv->units[i].shard = (int)(i % (size_t)shards) + 1;
            inv->units[i].predicted_ms = 0;
            plan->count[inv->units[i].shard - 1]++;
        }
    } else {
        qsort(known, nknown, sizeof *known, cmp_long);
        long median = known[(nknown - 1) / 2];
        tg_unit **order = tg_malloc(inv->n * sizeof *order + 1);
        for (size_t i = 0; i < inv->n; i++) {
            if (inv->units[i].predicted_ms < 0)
                inv->units[i].predicted_ms = median;
            order[i] = &inv->units[i];
        }
        qsort(order, inv->n, sizeof *order, cmp_lpt);
        for (size_t i = 0; i < inv->n; i++) {
            int best = 0;
            for (int s = 1; s < shards; s++)
                if (plan->predicted_ms[s] < plan->predicted_ms[best])
                    best = s;
            order[i]->shard = best + 1;
            plan->predicted_ms[best] += order[i]->predicted_ms;
            plan->count[best]++;
        }
        free(order);
    }
    free(known);
    fingerprint(inv, shards, plan->fingerprint);
}

void tg_plan_free(tg_plan *plan)
{
    free(plan->predicted_ms);
    free(plan->count);
    memset(plan, 0, sizeof *plan);
}

void tg_plan_print(const tg_inventory *inv, const tg_plan *plan, int json, FILE *out)
{
    if (json) {
        cJSON *root = cJSON_CreateObject();
        cJSON_AddStringToObject(root, "format", "tollgate-plan/1");
        cJSON_AddNumberToObject(root, "shards", plan->shards);
        cJSON_AddStringToObject(root, "mode", plan->lpt ? "lpt" : "round-robin");
        cJSON_AddStringToObject(root, "fingerprint", plan->fingerprint);
        cJSON_AddNumberToObject(root, "tests", (double)inv->n);
        cJSON *arr = cJSON_AddArrayToObject(root, "plan");
        for (int s = 0; s < plan->shards; s++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "shard", s + 1);
            cJSON_AddNumberToObject(o, "predicted", (double)plan->predicted_ms[s] / 1000.0);
            cJSON *tests = cJSON_AddArrayToObject(o, "tests");
            for (size_t i = 0; i < inv->n; i++)
                if (inv->units[i].shard == s + 1)
                    cJSON_AddItemToArray(tests, cJSON_CreateString(inv->units[i].id));
            cJSON_AddItemToArray(arr, o);
        }
        char *s = cJSON_Print(root);
        fprintf(out, "%s\n", s);
        cJSON_free(s);
        cJSON_Delete(root);
        return;
    }
    fprintf(out, "plan %s: %zu tests in %d shards (%s)\n", plan->fingerprint, inv->n,
            plan->shards, plan->lpt ? "balanced by timing history" : "round-robin, no history");
    fprintf(out, "%-6s %7s %12s\n", "shard", "tests", "predicted");
    for (int s = 0; s < plan->shards; s++)
        fprintf(out, "%-6d %7d %11.3fs\n", s + 1, plan->count[s],
                (double)plan->predicted_ms[s] / 1000.0);
    for (int s = 0; s < plan->shards; s++) {
        fprintf(out, "\nshard %d/%d:\n", s + 1, plan->shards);
        for (size_t i = 0; i < inv->n; i++)
            if (inv->units[i].shard == s + 1)
                fprintf(out, "  %8.3fs  %s\n", (double)inv->units[i].predicted_ms / 1000.0,
                        inv->units[i].id);
    }
}
