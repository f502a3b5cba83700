/* lint_workflow.c: GitHub Actions workflows, rules W1-W10. */
#include "lint_int.h"
#include "tg.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MATRIX_JOBS 256
#define MAX_JOBS 1024

/* Every scalar under n, with f(c, scalar, arg). Bounded by the YAML depth cap. */
static void each_scalar(lint_ctx *c, const tg_ynode *n, void (*f)(lint_ctx *, const tg_ynode *, void *),
                        void *arg, int depth)
{
    if (!n || depth > 600)
        return;
    if (n->kind == TG_Y_SCALAR) {
        f(c, n, arg);
        return;
    }
    for (size_t i = 0; i < n->n; i++) {
        if (n->kind == TG_Y_MAP) /* a key can be a map or a list too ("? [a]: b") */
            each_scalar(c, n->keys[i], f, arg, depth + 1);
        each_scalar(c, n->vals[i], f, arg, depth + 1);
    }
}

static void check_braces(lint_ctx *c, const tg_ynode *s, void *arg)
{
    (void)arg;
    for (const char *p = s->value; (p = strstr(p, "${{")) != NULL; p += 3) {
        const char *close = strstr(p + 3, "}}");
        const char *next = strstr(p + 3, "${{");
        if (!close || (next && next < close)) {
            lint_add(c, "W7", TG_LINT_ERROR, s->line, s->col,
                     "\"${{\" is never closed with \"}}\"; close the expression");
            return;
        }
    }
}

/* Untrusted event text: anyone who opens an issue or a PR controls it. */
static const char *untrusted(const char *expr)
{
    static const char *const fields[] = {
        "github.event.issue.title", "github.event.issue.body", "github.event.pull_request.title",
        "github.event.pull_request.body", "github.event.comment.body", "github.event.review.body",
        "github.event.review_comment.body", "github.event.pages", "github.event.commits",
        "github.event.head_commit.message", "github.event.head_commit.author",
        "github.event.pull_request.head.ref", "github.event.pull_request.head.label",
        "github.event.workflow_run.head_branch", "github.event.discussion.title",
        "github.event.discussion.body", "github.head_ref", NULL};
    for (int i = 0; fields[i]; i++) {
        const char *p = strstr(expr, fields[i]);
        if (p)
            return fields[i];
    }
    return NULL;
}

/* A command that runs a test suite. */
static int runs_tests(const char *run)
{
    static const char *const runners[] = {
        "pytest", "jest", "vitest", "mocha", "rspec", "playwright test", "cypress run",
        "go test", "cargo test", "npm test", "npm run test", "yarn test", "pnpm test",
        "make test", "make check", "ctest", "phpunit", "tollgate run", "bun test", "deno test",
        "dotnet test", "mvn test", "gradle test", "gradlew test", "tox", "nox", NULL};
    for (int i = 0; run && runners[i]; i++)
        if (strstr(run, runners[i]))
            return 1;
    return 0;
}

/* A name that says "tests", and not a side job such as uploading their results. */
static int test_name(const char *s)
{
    static const char *const side[] = {"upload", "report", "publish", "notif", "coverage",
                                        "artifact", "comment", "summary", "cache", NULL};
    if (!s || !(strcasestr(s, "test") || strcasestr(s, "e2e")))
        return 0;
    for (int i = 0; side[i]; i++)
        if (strcasestr(s, side[i]))
            return 0;
    return 1;
}

/* Length of one matrix dimension, or -1 when it is an expression. */
static long dim_len(const tg_ynode *v)
{
    if (v && v->kind == TG_Y_SEQ)
        return (long)v->n;
    return -1;
}

/* Jobs the matrix makes, or -1 when an expression decides. */
static long matrix_size(const tg_ynode *m)
{
    if (!m || m->kind != TG_Y_MAP)
        return -1;
    long prod = 1, dims = 0;
    for (size_t i = 0; i < m->n; i++) {
        const char *k = tg_y_str(m->keys[i]);
        if (!k || !strcmp(k, "include") || !strcmp(k, "exclude"))
            continue;
        long n = dim_len(m->vals[i]);
        if (n < 0)
            return -1;
        dims++;
        if (prod > 100000)
            continue;
        prod *= n;
    }
    const tg_ynode *inc = tg_y_get(m, "include"), *exc = tg_y_get(m, "exclude");
    if (!dims)
        return inc && inc->kind == TG_Y_SEQ ? (long)inc->n : -1;
    if (exc && exc->kind == TG_Y_SEQ)
        prod -= (long)exc->n;
    return prod;
}

/* The matrix dimension that numbers shards: its name says so. */
static const tg_ynode *shard_dim(const tg_ynode *m, const char **name)
{
    static const char *const names[] = {"shard", "shardIndex", "shard_index", "shards",
                                        "ci_node_index", "split", "group", "worker_id", "chunk",
                                        NULL};
    for (int i = 0; names[i]; i++) {
        const tg_ynode *v = tg_y_get(m, names[i]);
        if (v && v->kind == TG_Y_SEQ) {
            *name = names[i];
            return v;
        }
    }
    return NULL;
}

/* A literal shard total written in a command: --shard x/N, --shard=x/N,
 * --total=N, --total N, --splits N, --shard-count N. */
static long shard_total_in(const char *s, size_t *off)
{
    static const char *const opts[] = {"--shard=", "--shard ", "--total=", "--total ",
                                       "--splits ", "--splits=", "--shard-count ",
                                       "--shard-count=", "--num-shards=", "--num-shards ", NULL};
    for (int i = 0; opts[i]; i++) {
        for (const char *p = s; (p = strstr(p, opts[i])) != NULL; p++) {
            const char *v = p + strlen(opts[i]);
            const char *end = v;
            /* A value may start with an expression: --shard=${{ matrix.i }}/4. */
            if (strncmp(end, "${{", 3) == 0) {
                const char *close = strstr(end, "}}");
                end = close ? close + 2 : end + strlen(end);
            }
            while (*end && *end != ' ' && *end != '\n' && *end != '"' && *end != '\'')
                end++;
            const char *num = v;
            if (!strncmp(opts[i], "--shard", 7) && strncmp(opts[i], "--shard-count", 13)) {
                const char *slash = memrchr(v, '/', (size_t)(end - v));
                if (!slash)
                    continue;
                num = slash + 1;
            }
            if (!lint_all_digits(num, end))
                continue;
            *off = (size_t)(num - s);
            return strtol(num, NULL, 10);
        }
    }
    return -1;
}

/* The job ids a job's needs: lists, as scalars. */
static size_t needs_of(const tg_ynode *job, const tg_ynode **out, size_t max)
{
    const tg_ynode *n = tg_y_get(job, "needs");
    if (!n)
        return 0;
    if (n->kind == TG_Y_SCALAR) {
        out[0] = n;
        return 1;
    }
    size_t k = 0;
    for (size_t i = 0; n->kind == TG_Y_SEQ && i < n->n && k < max; i++)
        if (n->vals[i]->kind == TG_Y_SCALAR)
            out[k++] = n->vals[i];
    return k;
}

typedef struct {
    const tg_ynode *job;
    const char *id;
    int implicit; /* an if: value, an expression even without ${{ }} */
} needs_ctx;

/* Is offset p of s inside a ${{ ... }} expression? */
static int in_expression(const char *s, const char *p)
{
    const char *open = NULL;
    for (const char *q = s; (q = strstr(q, "${{")) != NULL && q < p; q += 3)
        open = q;
    if (!open)
        return 0;
    const char *close = strstr(open, "}}");
    return !close || close > p;
}

static void check_needs_context(lint_ctx *c, const tg_ynode *s, void *arg)
{
    needs_ctx *nc = arg;
    for (const char *p = s->value; (p = strstr(p, "needs.")) != NULL; p += 6) {
        if (p > s->value && (isalnum((unsigned char)p[-1]) || p[-1] == '_' || p[-1] == '.'))
            continue;
        if (!nc->implicit && !in_expression(s->value, p))
            continue;
        const char *b = p + 6, *e = b;
        while (isalnum((unsigned char)*e) || *e == '_' || *e == '-')
            e++;
        if (e == b)
            continue;
        char *name = tg_strndup(b, (size_t)(e - b));
        const tg_ynode *needs[MAX_JOBS];
        size_t nn = needs_of(nc->job, needs, MAX_JOBS);
        int ok = 0;
        for (size_t i = 0; i < nn; i++)
            ok |= strcmp(needs[i]->value, name) == 0;
        if (!ok)
            lint_add(c, "W10", TG_LINT_ERROR, s->line, s->col,
                     "needs.%s is read here, but job %s does not list %s in needs:, so it is "
                     "always empty; add it to needs",
                     name, nc->id, name);
        free(name);
    }
}

static void check_untrusted(lint_ctx *c, const tg_ynode *run)
{
    for (const char *p = run->value; (p = strstr(p, "${{")) != NULL; p += 3) {
        const char *close = strstr(p, "}}");
        if (!close)
            return;
        char *expr = tg_strndup(p, (size_t)(close - p));
        const char *f = untrusted(expr);
        if (f)
            lint_add(c, "W8", TG_LINT_WARNING, run->line, run->col,
                     "${{ %s }} is text an outsider controls, pasted into a script (script "
                     "injection); pass it through env: and read the variable instead",
                     f);
        free(expr);
    }
}

/* W6: is job i reachable from its own needs? An explicit stack, each job
 * visited once, so a long chain cannot exhaust the C stack. */
static int on_cycle(const tg_ynode *jobs, const lint_set *ids, size_t nj, size_t i, char *seen,
                    size_t *stack)
{
    size_t top = 0;
    memset(seen, 0, nj);
    const tg_ynode **needs = tg_malloc(MAX_JOBS * sizeof *needs);
    size_t nn = needs_of(jobs->vals[i], needs, MAX_JOBS);
    for (size_t k = 0; k < nn; k++) {
        int j = lint_set_get(ids, needs[k]->value);
        if (j >= 0 && (size_t)j < nj && !seen[j]) {
            seen[j] = 1;
            stack[top++] = (size_t)j;
        }
    }
    int found = 0;
    while (top && !found) {
        size_t cur = stack[--top];
        if (cur == i) {
            found = 1;
            break;
        }
        nn = needs_of(jobs->vals[cur], needs, MAX_JOBS);
        for (size_t k = 0; k < nn; k++) {
            int j = lint_set_get(ids, needs[k]->value);
            if (j >= 0 && (size_t)j < nj && !seen[j]) {
                seen[j] = 1;
                stack[top++] = (size_t)j;
            }
        }
    }
    free(needs);
    return found;
}

static void check_steps(lint_ctx *c, const char *id, const tg_ynode *steps, const tg_ynode *matrix)
{
    if (steps->kind != TG_Y_SEQ) {
        lint_add(c, "W4", TG_LINT_ERROR, steps->line, steps->col,
                 "steps of job %s must be a list", id);
        return;
    }
    const char *dname = NULL;
    const tg_ynode *dim = matrix ? shard_dim(matrix, &dname) : NULL;
    for (size_t i = 0; i < steps->n; i++) {
        const tg_ynode *st = steps->vals[i];
        if (st->kind != TG_Y_MAP) {
            lint_add(c, "W4", TG_LINT_ERROR, st->line, st->col,
                     "a step must be a map with run: or uses:");
            continue;
        }
        const tg_ynode *run = tg_y_get(st, "run"), *uses = tg_y_get(st, "uses");
        if (!run && !uses)
            lint_add(c, "W4", TG_LINT_ERROR, st->line, st->col,
                     "step has neither run: nor uses:; add one");
        else if (run && uses)
            lint_add(c, "W4", TG_LINT_ERROR, st->line, st->col,
                     "step has both run: and uses:; split it in two steps");
        const char *rs = tg_y_str(run);
        /* actions/github-script runs its script: input as JavaScript. */
        const char *us = tg_y_str(uses);
        const tg_ynode *script = tg_y_get(tg_y_get(st, "with"), "script");
        if (us && strstr(us, "actions/github-script") && tg_y_str(script))
            check_untrusted(c, script);
        if (rs) {
            check_untrusted(c, run);
            const char *dc = strstr(rs, "docker-compose ");
            if (dc && (dc == rs || dc[-1] == ' ' || dc[-1] == '\n' || dc[-1] == ';'))
                lint_add(c, "W9", TG_LINT_ERROR, run->line, run->col,
                         "docker-compose (Compose v1) is not installed on GitHub-hosted runners "
                         "since 2024; write docker compose");
            size_t off;
            long total = shard_total_in(rs, &off);
            if (total > 0 && dim && (long)dim->n != total)
                lint_add(c, "W2", TG_LINT_ERROR, run->line, run->col,
                         "the command splits into %ld shards but matrix.%s has %zu entries; "
                         "write ${{ strategy.job-total }} (or fix the matrix)",
                         total, dname, dim->n);
        }
        const tg_ynode *coe = tg_y_get(st, "continue-on-error");
        if (tg_y_str(coe) && !strcmp(coe->value, "true") &&
            (runs_tests(rs) || test_name(tg_y_str(tg_y_get(st, "name")))))
            lint_add(c, "W3", TG_LINT_WARNING, coe->line, coe->col,
                     "continue-on-error: true on a test step hides test failures from the "
                     "gate; remove it");
    }
}

void lint_workflow(lint_ctx *c, const tg_ynode *root)
{
    each_scalar(c, root, check_braces, NULL, 0);
    if (root->kind != TG_Y_MAP) {
        lint_add(c, "W4", TG_LINT_ERROR, root->line, root->col,
                 "a workflow must be a map with on: and jobs:");
        return;
    }
    if (!tg_y_key(root, "on") && !tg_y_key(root, "true"))
        lint_add(c, "W4", TG_LINT_ERROR, 1, 1, "workflow has no on: trigger; add one");
    const tg_ynode *jobs = tg_y_get(root, "jobs");
    if (!jobs || jobs->kind != TG_Y_MAP || jobs->n == 0) {
        lint_add(c, "W4", TG_LINT_ERROR, jobs ? jobs->line : 1, jobs ? jobs->col : 1,
                 "workflow has no jobs: map; add at least one job");
        return;
    }
    lint_set ids = {0}; /* job id -> its index */
    for (size_t i = 0; i < jobs->n; i++)
        if (tg_y_str(jobs->keys[i]))
            (void)lint_set_put(&ids, jobs->keys[i]->value, (int)i);
    for (size_t i = 0; i < jobs->n; i++) {
        const char *id = tg_y_str(jobs->keys[i]);
        const tg_ynode *job = jobs->vals[i];
        if (!id)
            continue;
        if (job->kind != TG_Y_MAP) {
            lint_add(c, "W4", TG_LINT_ERROR, job->line, job->col, "job %s must be a map", id);
            continue;
        }
        if (!tg_y_key(job, "runs-on") && !tg_y_key(job, "uses"))
            lint_add(c, "W4", TG_LINT_ERROR, jobs->keys[i]->line, jobs->keys[i]->col,
                     "job %s has neither runs-on: nor uses:; add runs-on: ubuntu-latest", id);
        const tg_ynode *steps = tg_y_get(job, "steps");
        if (!steps && !tg_y_key(job, "uses"))
            lint_add(c, "W4", TG_LINT_ERROR, jobs->keys[i]->line, jobs->keys[i]->col,
                     "job %s has no steps:; add steps (or uses: for a reusable workflow)", id);
        const tg_ynode *needs[MAX_JOBS];
        size_t nn = needs_of(job, needs, MAX_JOBS);
        for (size_t k = 0; k < nn; k++)
            if (lint_set_get(&ids, needs[k]->value) < 0 && !strstr(needs[k]->value, "${{"))
                lint_add(c, "W5", TG_LINT_ERROR, needs[k]->line, needs[k]->col,
                         "job %s needs \"%s\", which is not a job in this workflow", id,
                         needs[k]->value);
        const tg_ynode *matrix = tg_y_get(tg_y_get(job, "strategy"), "matrix");
        long size = matrix_size(matrix);
        if (size > MAX_MATRIX_JOBS)
            lint_add(c, "W1", TG_LINT_ERROR, matrix->line, matrix->col,
                     "the matrix makes %ld jobs; GitHub allows at most %d per workflow run, "
                     "split the matrix",
                     size, MAX_MATRIX_JOBS);
        if (steps)
            check_steps(c, id, steps, matrix && matrix->kind == TG_Y_MAP ? matrix : NULL);
        const tg_ynode *coe = tg_y_get(job, "continue-on-error");
        if (tg_y_str(coe) && !strcmp(coe->value, "true") &&
            (test_name(id) || test_name(tg_y_str(tg_y_get(job, "name")))))
            lint_add(c, "W3", TG_LINT_WARNING, coe->line, coe->col,
                     "continue-on-error: true on test job %s hides test failures from the "
                     "gate; remove it",
                     id);
        for (size_t k = 0; k < job->n; k++) {
            const char *key = tg_y_str(job->keys[k]);
            if (!key || strcmp(key, "needs") == 0)
                continue;
            needs_ctx nc = {job, id, strcmp(key, "if") == 0};
            each_scalar(c, job->vals[k], check_needs_context, &nc, 0);
        }
        /* A step's if: is an expression even without ${{ }}. */
        for (size_t k = 0; steps && steps->kind == TG_Y_SEQ && k < steps->n; k++) {
            const tg_ynode *sif = tg_y_get(steps->vals[k], "if");
            needs_ctx nc = {job, id, 1};
            if (tg_y_str(sif) && !strstr(sif->value, "${{"))
                check_needs_context(c, sif, &nc);
        }
    }
    size_t nj = jobs->n < MAX_JOBS ? jobs->n : MAX_JOBS;
    char *seen = tg_malloc(nj + 1);
    size_t *stack = tg_malloc((nj + 1) * sizeof *stack);
    for (size_t i = 0; i < nj; i++)
        if (on_cycle(jobs, &ids, nj, i, seen, stack))
            lint_add(c, "W6", TG_LINT_ERROR, jobs->keys[i]->line, jobs->keys[i]->col,
                     "job %s is part of a needs: cycle, so it never runs; break the cycle",
                     tg_y_str(jobs->keys[i]) ? jobs->keys[i]->value : "?");
    free(seen);
    free(stack);
    lint_set_free(&ids);
}
