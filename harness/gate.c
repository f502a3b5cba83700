/* gate.c: the gate verb and its rules (gate.h). */
#include "gate.h"
#include "cli.h"
#include "plan.h"
#include "reports.h"
#include "tg.h"

#include <getopt.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LISTED 20 /* names listed in one reason before "and N more" */

static void reason(tg_gate_verdict *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reason(tg_gate_verdict *v, const char *fmt, ...)
{
    tg_buf b;
    tg_buf_init(&b);
    va_list ap;
    va_start(ap, fmt);
    tg_buf_vaddf(&b, fmt, ap);
    va_end(ap);
    v->reasons = tg_realloc(v->reasons, sizeof *v->reasons * (size_t)(v->nreasons + 1));
    v->reasons[v->nreasons++] = tg_buf_steal(&b);
}

static void push_str(char ***list, int *n, const char *s)
{
    *list = tg_realloc(*list, sizeof **list * (size_t)(*n + 1));
    (*list)[(*n)++] = tg_strdup(s);
}

typedef struct {
    char *dir;
    tg_results r;
} loaded;

typedef struct {
    const char *id;
    int shard;
    int is_unit_key; /* 1: entry comes from a plan's unit list */
} idref;

static int cmp_idref(const void *a, const void *b)
{
    const idref *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    return c ? c : x->shard - y->shard;
}

static int cmp_int(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

/* The key a test counts for in the plan: its unit, or itself. */
static const char *unit_key(const tg_test *t)
{
    return t->unit ? t->unit : t->id;
}

static void check_shards(const tg_gate_input *in, loaded *ld, int nld, tg_gate_verdict *v)
{
    /* The expected count: the flag, else what the shards say. */
    int expected = in->shards;
    const char *fingerprint = NULL;
    for (int i = 0; i < nld && !expected; i++)
        if (strcmp(ld[i].r.kind, "shard") == 0 && ld[i].r.shard_total > 0)
            expected = ld[i].r.shard_total;
    v->expected = expected;
    /* The plan every shard must share: the most common fingerprint, so one
     * stray shard is named rather than all the good ones. */
    int best = 0;
    for (int i = 0; i < nld; i++) {
        if (strcmp(ld[i].r.kind, "shard") != 0 || !ld[i].r.fingerprint)
            continue;
        int count = 0;
        for (int k = 0; k < nld; k++)
            if (strcmp(ld[k].r.kind, "shard") == 0 && ld[k].r.fingerprint &&
                strcmp(ld[k].r.fingerprint, ld[i].r.fingerprint) == 0)
                count++;
        if (count > best) {
            best = count;
            fingerprint = ld[i].r.fingerprint;
        }
    }
    int *seen = tg_calloc((size_t)expected + 1, sizeof *seen);
    v->planned = tg_calloc((size_t)expected + 1, sizeof *v->planned);
    v->actual = tg_calloc((size_t)expected + 1, sizeof *v->actual);
    v->shard_tests = tg_calloc((size_t)expected + 1, sizeof *v->shard_tests);
    v->found = tg_calloc((size_t)nld + 1, sizeof *v->found);
    int planned_total = -1;
    for (int i = 0; i < nld; i++) {
        tg_results *r = &ld[i].r;
        if (strcmp(r->kind, "shard") != 0)
            continue;
        if (r->shard_total != expected || r->shard_index < 1 || r->shard_index > r->shard_total) {
            reason(v, "%s holds shard %d of %d, but the gate expects %d shards", ld[i].dir,
                   r->shard_index, r->shard_total, expected);
            continue;
        }
        if (fingerprint && (!r->fingerprint || strcmp(r->fingerprint, fingerprint) != 0)) {
            reason(v, "shard %d of %d (%s) comes from another plan (fingerprint %s, the others "
                      "have %s)",
                   r->shard_index, expected, ld[i].dir, r->fingerprint ? r->fingerprint : "none",
                   fingerprint);
            continue;
        }
        if (seen[r->shard_index]) {
            reason(v, "shard %d of %d appears twice (%s and another folder)", r->shard_index,
                   expected, ld[i].dir);
            continue;
        }
        seen[r->shard_index] = 1;
        v->found[v->nfound++] = r->shard_index;
        v->planned[r->shard_index - 1] = r->planned_time;
        v->actual[r->shard_index - 1] = r->duration;
        v->shard_tests[r->shard_index - 1] = (int)r->ntests;
        if (planned_total < 0)
            planned_total = r->planned;
    }
    qsort(v->found, (size_t)v->nfound, sizeof *v->found, cmp_int);
    for (int s = 1; s <= expected; s++)
        if (!seen[s])
            reason(v, "shard %d of %d is missing", s, expected);
    free(seen);
    if (expected == 0 && nld > 0) {
        int any_other = 0;
        for (int i = 0; i < nld; i++)
            any_other |= strcmp(ld[i].r.kind, "shard") != 0;
        if (!any_other)
            reason(v, "no shard results were found");
    }

    /* Completeness: every planned unit has a result, none twice, none unplanned. */
    size_t nrefs = 0, cap = 64;
    idref *refs = tg_malloc(cap * sizeof *refs);
    int planned_units = 0;
    for (int i = 0; i < nld; i++) {
        tg_results *r = &ld[i].r;
        if (strcmp(r->kind, "shard") != 0 || r->shard_total != expected)
            continue;
        if (fingerprint && (!r->fingerprint || strcmp(r->fingerprint, fingerprint) != 0))
            continue;
        const cJSON *units = cJSON_GetObjectItemCaseSensitive(r->extra, "units");
        if (!cJSON_IsArray(units)) {
            reason(v, "%s/results.json does not list its planned tests (\"units\"); was it "
                      "written by tollgate run?",
                   ld[i].dir);
            continue;
        }
        const cJSON *u;
        cJSON_ArrayForEach(u, units)
        {
            if (!cJSON_IsString(u))
                continue;
            if (nrefs == cap)
                refs = tg_realloc(refs, (cap *= 2) * sizeof *refs);
            refs[nrefs++] = (idref){u->valuestring, r->shard_index, 1};
            planned_units++;
        }
    }
    if (planned_total >= 0 && v->nfound == expected && planned_units != planned_total)
        reason(v, "the plan has %d tests but the shards planned %d between them", planned_total,
               planned_units);
    qsort(refs, nrefs, sizeof *refs, cmp_idref);
    for (size_t i = 1; i < nrefs; i++)
        if (strcmp(refs[i].id, refs[i - 1].id) == 0)
            reason(v, "test %s is planned on both shard %d and shard %d", refs[i].id,
                   refs[i - 1].shard, refs[i].shard);

    /* Which planned units produced results. */
    char *have = tg_calloc(nrefs + 1, 1);
    tg_results *m = &v->merged;
    int unplanned = 0;
    for (size_t t = 0; t < m->ntests; t++) {
        if (m->tests[t].shard <= 0)
            continue; /* smoke and lint results are not planned units */
        idref key = {unit_key(&m->tests[t]), 0, 0};
        size_t lo = 0, hi = nrefs;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (strcmp(refs[mid].id, key.id) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < nrefs && strcmp(refs[lo].id, key.id) == 0)
            have[lo] = 1;
        else if (unplanned++ < MAX_LISTED)
            reason(v, "test %s ran on shard %d but is not in the plan", m->tests[t].id,
                   m->tests[t].shard);
    }
    if (unplanned > MAX_LISTED)
        reason(v, "…and %d more tests that are not in the plan", unplanned - MAX_LISTED);
    for (size_t i = 0; i < nrefs; i++)
        if (!have[i]) {
            if (v->nmissing < MAX_LISTED)
                reason(v, "planned test %s has no result in shard %d", refs[i].id, refs[i].shard);
            push_str(&v->missing, &v->nmissing, refs[i].id);
        }
    if (v->nmissing > MAX_LISTED)
        reason(v, "…and %d more planned tests without a result", v->nmissing - MAX_LISTED);
    free(have);
    free(refs);
}

static void check_duplicates(tg_gate_verdict *v)
{
    tg_results *m = &v->merged;
    tg_results_sort(m);
    for (size_t i = 1; i < m->ntests; i++) {
        /* Name each repeated id once, at its second occurrence. */
        int second = strcmp(m->tests[i].id, m->tests[i - 1].id) == 0;
        if (second && i >= 2 && strcmp(m->tests[i - 1].id, m->tests[i - 2].id) == 0)
            second = 0;
        if (second) {
            if (v->nduplicated < MAX_LISTED)
                reason(v, "test %s has more than one result (shards %d and %d)", m->tests[i].id,
                       m->tests[i - 1].shard, m->tests[i].shard);
            push_str(&v->duplicated, &v->nduplicated, m->tests[i].id);
        }
    }
}

static void check_sections(loaded *ld, int nld, tg_gate_verdict *v)
{
    for (int i = 0; i < nld; i++) {
        const cJSON *lint = cJSON_GetObjectItemCaseSensitive(ld[i].r.extra, "lint");
        const cJSON *smoke = cJSON_GetObjectItemCaseSensitive(ld[i].r.extra, "smoke");
        if (strcmp(ld[i].r.kind, "lint") == 0) {
            const cJSON *e = cJSON_GetObjectItemCaseSensitive(lint, "errors");
            const cJSON *w = cJSON_GetObjectItemCaseSensitive(lint, "warnings");
            if (!cJSON_IsNumber(e) || !cJSON_IsNumber(w)) {
                reason(v, "%s/results.json is a lint result without error and warning counts",
                       ld[i].dir);
                continue;
            }
            v->have_lint = 1;
            v->lint_errors += e->valueint;
            v->lint_warnings += w->valueint;
        }
        if (strcmp(ld[i].r.kind, "smoke") == 0) {
            const cJSON *p = cJSON_GetObjectItemCaseSensitive(smoke, "passed");
            const cJSON *f = cJSON_GetObjectItemCaseSensitive(smoke, "failed");
            if (!cJSON_IsNumber(p) || !cJSON_IsNumber(f)) {
                reason(v, "%s/results.json is a smoke result without passed and failed counts",
                       ld[i].dir);
                continue;
            }
            v->have_smoke = 1;
            v->smoke_passed += p->valueint;
            v->smoke_failed += f->valueint;
        }
    }
    if (v->lint_errors)
        reason(v, "lint found %d error(s)", v->lint_errors);
    if (v->smoke_failed)
        reason(v, "%d smoke check(s) failed", v->smoke_failed);
}

void tg_gate_decide(const tg_gate_input *in, tg_gate_verdict *v)
{
    memset(v, 0, sizeof *v);
    tg_results_init(&v->merged, "gate");
    loaded *ld = tg_calloc((size_t)in->ndirs + 1, sizeof *ld);
    int nld = 0;
    for (int i = 0; i < in->ndirs; i++) {
        char *path = tg_asprintf("%s/results.json", in->dirs[i]);
        char *why = NULL;
        tg_results r;
        if (tg_results_read(path, &r, &why) != TG_OK) {
            reason(v, "%s: %s", path, why ? why : "unreadable");
            free(why);
            free(path);
            tg_results_free(&r);
            continue;
        }
        free(path);
        if (strcmp(r.kind, "shard") && strcmp(r.kind, "lint") && strcmp(r.kind, "smoke")) {
            reason(v, "%s/results.json is of kind \"%s\", which the gate does not know",
                   in->dirs[i], r.kind);
            tg_results_free(&r);
            continue;
        }
        ld[nld].dir = in->dirs[i];
        ld[nld].r = r;
        nld++;
    }
    /* Merge every test; shard results remember their shard. */
    for (int i = 0; i < nld; i++) {
        tg_results *r = &ld[i].r;
        int is_shard = strcmp(r->kind, "shard") == 0;
        if (strcmp(r->kind, "lint") == 0)
            continue; /* lint's per-file cases feed the section, not the test count */
        for (size_t k = 0; k < r->ntests; k++) {
            tg_test *t = &r->tests[k];
            t->shard = is_shard ? r->shard_index : 0;
            tg_results_push(&v->merged, t);
        }
        r->ntests = 0;
    }
    check_shards(in, ld, nld, v);
    check_duplicates(v);
    tg_results_count(&v->merged);
    tg_totals *t = &v->merged.totals;
    int bad = t->failed + t->error + t->timeout;
    if (bad) {
        reason(v, "%d test(s) failed, errored or timed out", bad);
        int listed = 0;
        for (size_t i = 0; i < v->merged.ntests && listed < MAX_LISTED; i++)
            if (tg_status_blocks(v->merged.tests[i].status)) {
                const tg_test *x = &v->merged.tests[i];
                reason(v, "%s %s: %.200s", x->id, tg_status_name(x->status),
                       x->message ? x->message : "");
                listed++;
            }
    }
    if (t->flaky && in->cfg && in->cfg->flaky_blocks)
        reason(v, "%d flaky test(s), and the policy says flaky tests block", t->flaky);
    if (v->merged.ntests == 0)
        reason(v, "no test ran at all");
    check_sections(ld, nld, v);
    /* Started and duration: the earliest start, the longest shard. */
    for (int i = 0; i < nld; i++) {
        if (ld[i].r.started && *ld[i].r.started &&
            (!v->merged.started || strcmp(ld[i].r.started, v->merged.started) < 0)) {
            free(v->merged.started);
            v->merged.started = tg_strdup(ld[i].r.started);
        }
        if (ld[i].r.duration > v->merged.duration)
            v->merged.duration = ld[i].r.duration;
        if (!v->merged.fingerprint && ld[i].r.fingerprint)
            v->merged.fingerprint = tg_strdup(ld[i].r.fingerprint);
        if (strcmp(ld[i].r.kind, "shard") == 0 && ld[i].r.planned > v->merged.planned)
            v->merged.planned = ld[i].r.planned;
        tg_results_free(&ld[i].r);
    }
    free(ld);
    v->deploy = v->nreasons == 0;
}

void tg_gate_verdict_free(tg_gate_verdict *v)
{
    for (int i = 0; i < v->nreasons; i++)
        free(v->reasons[i]);
    for (int i = 0; i < v->nmissing; i++)
        free(v->missing[i]);
    for (int i = 0; i < v->nduplicated; i++)
        free(v->duplicated[i]);
    free(v->reasons);
    free(v->missing);
    free(v->duplicated);
    free(v->found);
    free(v->planned);
    free(v->actual);
    free(v->shard_tests);
    tg_results_free(&v->merged);
    memset(v, 0, sizeof *v);
}

static cJSON *string_array(char *const *v, int n)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
    return a;
}

char *tg_gate_verdict_json(const tg_gate_verdict *v)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "format", "tollgate-verdict/1");
    cJSON_AddBoolToObject(root, "deploy", v->deploy);
    cJSON_AddItemToObject(root, "reasons", string_array(v->reasons, v->nreasons));
    cJSON *sh = cJSON_AddObjectToObject(root, "shards");
    cJSON_AddNumberToObject(sh, "expected", v->expected);
    cJSON_AddItemToObject(sh, "found", cJSON_CreateIntArray(v->found, v->nfound));
    const tg_totals *t = &v->merged.totals;
    cJSON *tot = cJSON_AddObjectToObject(root, "totals");
    cJSON_AddNumberToObject(tot, "passed", t->passed);
    cJSON_AddNumberToObject(tot, "failed", t->failed);
    cJSON_AddNumberToObject(tot, "error", t->error);
    cJSON_AddNumberToObject(tot, "timeout", t->timeout);
    cJSON_AddNumberToObject(tot, "skipped", t->skipped);
    cJSON_AddNumberToObject(tot, "flaky", t->flaky);
    cJSON_AddItemToObject(root, "missing", string_array(v->missing, v->nmissing));
    cJSON_AddItemToObject(root, "duplicated", string_array(v->duplicated, v->nduplicated));
    const cJSON *cov = cJSON_GetObjectItemCaseSensitive(v->merged.extra, "coverage");
    cJSON_AddItemToObject(root, "coverage",
                          cov ? cJSON_Duplicate(cov, 1) : cJSON_CreateObject());
    cJSON *lint = cJSON_AddObjectToObject(root, "lint");
    if (v->have_lint) {
        cJSON_AddNumberToObject(lint, "errors", v->lint_errors);
        cJSON_AddNumberToObject(lint, "warnings", v->lint_warnings);
    }
    cJSON *smoke = cJSON_AddObjectToObject(root, "smoke");
    if (v->have_smoke) {
        cJSON_AddNumberToObject(smoke, "passed", v->smoke_passed);
        cJSON_AddNumberToObject(smoke, "failed", v->smoke_failed);
    }
    char *s = cJSON_Print(root);
    cJSON_Delete(root);
    char *out = tg_asprintf("%s\n", s);
    cJSON_free(s);
    return out;
}

/* Unit times for the history: a unit's time is the sum of its tests'. */
static int update_history(const tg_config *cfg, const tg_results *m)
{
    tg_history old;
    tg_history_load(cfg->history, &old);
    char **ids = tg_calloc(m->ntests + 1, sizeof *ids);
    double *secs = tg_calloc(m->ntests + 1, sizeof *secs);
    size_t n = 0;
    for (size_t i = 0; i < m->ntests; i++) {
        const tg_test *t = &m->tests[i];
        if (t->shard <= 0)
            continue;
        const char *key = unit_key(t);
        size_t k = 0;
        while (k < n && strcmp(ids[k], key) != 0)
            k++;
        if (k == n)
            ids[n++] = (char *)key;
        secs[k] += t->time;
    }
    int rc = tg_history_save(cfg->history, &old, ids, secs, n);
    free(ids);
    free(secs);
    tg_history_free(&old);
    return rc;
}

int tg_cmd_gate(int argc, char **argv)
{
    static const struct option opts[] = {{"shards", required_argument, 0, 'n'},
                                         {"out", required_argument, 0, 'o'},
                                         {"config", required_argument, 0, 'c'},
                                         {"junit-style", required_argument, 0, 'J'},
                                         {"no-history", no_argument, 0, 'H'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int shards = 0, c, history = 1;
    const char *out = "reports/gate", *config = TG_DEFAULT_CONFIG, *style = NULL;
    optind = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'n': {
            char *end;
            long n = strtol(optarg, &end, 10);
            if (*end || n < 1 || n > 10000) {
                tg_error(NULL, 0, "--shards %s: expected a whole number from 1 to 10000", optarg);
                return TG_EXIT_USAGE;
            }
            shards = (int)n;
            break;
        }
        case 'o': out = optarg; break;
        case 'c': config = optarg; break;
        case 'J': style = optarg; break;
        case 'H': history = 0; break;
        case 'h':
            printf("usage: tollgate gate [--shards N] [--out DIR] [--config FILE]\n"
                   "                     [--junit-style default|jenkins] [--no-history] DIR...\n"
                   "Merges the results.json of each DIR (shards, and lint or smoke results),\n"
                   "checks the run is complete, applies the policy and writes DIR/results.json,\n"
                   "junit.xml, summary.md and verdict.json (default DIR: reports/gate).\n"
                   "Exit 0: deploy allowed; 1: blocked (reasons in verdict.json).\n");
            return TG_EXIT_OK;
        default: return TG_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        tg_error(NULL, 0, "gate needs the shard result folders: tollgate gate --shards 4 "
                 "reports/shard-*");
        return TG_EXIT_USAGE;
    }
    if (style && strcmp(style, "default") != 0 && strcmp(style, "jenkins") != 0) {
        tg_error(NULL, 0, "--junit-style %s: expected default or jenkins", style);
        return TG_EXIT_USAGE;
    }
    tg_config cfg;
    int have_cfg = 0;
    if (access(config, F_OK) == 0 || strcmp(config, TG_DEFAULT_CONFIG) != 0) {
        if (tg_config_load(config, &cfg) != TG_OK) {
            tg_config_free(&cfg);
            return TG_EXIT_USAGE;
        }
        have_cfg = 1;
    }
    tg_gate_input in = {.dirs = argv + optind, .ndirs = argc - optind, .shards = shards,
                        .cfg = have_cfg ? &cfg : NULL};
    tg_gate_verdict v;
    tg_gate_decide(&in, &v);

    tg_md_shard *mds = tg_calloc((size_t)v.expected + 1, sizeof *mds);
    for (int s = 0; s < v.expected; s++) {
        mds[s].index = s + 1;
        mds[s].planned = v.planned[s];
        mds[s].actual = v.actual[s];
        mds[s].tests = v.shard_tests[s];
        for (int k = 0; k < v.nfound; k++)
            mds[s].present |= v.found[k] == s + 1;
    }
    tg_buf sections;
    tg_buf_init(&sections);
    if (v.have_lint)
        tg_buf_addf(&sections, "### Lint\n\n%d error(s), %d warning(s).\n\n", v.lint_errors,
                    v.lint_warnings);
    if (v.have_smoke)
        tg_buf_addf(&sections, "### Smoke\n\n%d check(s) passed, %d failed.\n\n", v.smoke_passed,
                    v.smoke_failed);
    tg_md_verdict md = {.title = "Gate", .deploy = v.deploy, .reasons = v.reasons,
                        .nreasons = v.nreasons, .shards = mds, .nshards = v.expected,
                        .sections = sections.data};
    int jenkins = style ? strcmp(style, "jenkins") == 0 : have_cfg && cfg.junit_jenkins;
    int rc = tg_reports_write(&v.merged, out, &md, jenkins, 1);
    if (rc == TG_OK) {
        char *vj = tg_gate_verdict_json(&v);
        char *path = tg_asprintf("%s/verdict.json", out);
        rc = tg_write_file_atomic(path, vj, strlen(vj));
        free(path);
        free(vj);
    }
    if (rc == TG_OK && v.deploy && have_cfg && history)
        update_history(&cfg, &v.merged);
    printf("tollgate: gate %s", v.deploy ? "passed: deploy allowed\n" : "blocked the deploy:\n");
    for (int i = 0; i < v.nreasons; i++)
        printf("  - %s\n", v.reasons[i]);
    printf("tollgate: verdict in %s/verdict.json\n", out);
    tg_print_count(&v.merged);
    int deploy = v.deploy;
    tg_buf_free(&sections);
    free(mds);
    tg_gate_verdict_free(&v);
    if (have_cfg)
        tg_config_free(&cfg);
    if (rc != TG_OK)
        return TG_EXIT_INTERNAL;
    return deploy ? TG_EXIT_OK : TG_EXIT_FAIL;
}
