/* lint_output.c: findings as text, GitHub annotations, SARIF 2.1.0, and the
 * results model (from which junit.xml is written). Reads the tg_lint only. */
#include "lint_int.h"
#include "report_github.h"
#include "tg.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *id;
    const char *text;
} rule_doc;

/* One line per rule, for SARIF's rule table (docs/lint.md has the long form). */
static const rule_doc rules[] = {
    {"Y1", "syntax error (YAML, JSON or TOML)"},
    {"Y2", "duplicate key"},
    {"Y3", "invalid UTF-8"},
    {"Y4", "binary or oversized file"},
    {"Y5", "empty file"},
    {"Y6", "nesting or alias expansion over lint's bounds"},
    {"Y7", "more findings in a file than lint lists"},
    {"P1", "Procfile line is not 'type: command'"},
    {"P2", "invalid process type name"},
    {"P3", "process type without a command"},
    {"P4", "process type declared twice"},
    {"P5", "web process does not bind $PORT"},
    {"P6", "web process binds a fixed port"},
    {"P7", "node --debug (removed in Node 8)"},
    {"P8", "release command starts a server"},
    {"P9", "gunicorn given two APP_MODULEs"},
    {"R1", "Railway setting of the wrong type"},
    {"R2", "unknown or misplaced Railway key"},
    {"R3", "Railway builder"},
    {"R4", "Railway restartPolicyType"},
    {"R5", "Railway healthcheckPath must start with /"},
    {"R6", "Railway setting must be a non-negative integer"},
    {"R7", "Railway config saved under a name Railway does not read"},
    {"R9", "Railway command with broken shell syntax"},
    {"D1", "unknown Render key"},
    {"D2", "Render service type, runtime or deprecated key"},
    {"D3", "Render env var without key or with not exactly one source"},
    {"D4", "Render reference to an undeclared database, service or group"},
    {"D5", "PostgreSQL declared as a service"},
    {"D6", "Render healthCheckPath must start with /"},
    {"D7", "Render web service does not bind $PORT"},
    {"D8", "placeholder secret committed as a literal value"},
    {"C1", "unknown Compose key or wrong type"},
    {"C2", "Compose restart value"},
    {"C3", "service_healthy on a service without a healthcheck"},
    {"C4", "healthcheck that always passes"},
    {"C5", "obsolete version: key"},
    {"C6", "${VAR} without default or :? in a production file"},
    {"C7", "depends_on names no service"},
    {"C8", "postgres image without POSTGRES_PASSWORD"},
    {"C9", "undeclared network"},
    {"C10", "URL names a service on no shared network"},
    {"W1", "matrix over 256 jobs"},
    {"W2", "shard total in a command disagrees with the matrix"},
    {"W3", "continue-on-error on a test step or job"},
    {"W4", "workflow structure (on, jobs, runs-on, steps)"},
    {"W5", "needs names no job"},
    {"W6", "needs cycle"},
    {"W7", "unbalanced ${{ }}"},
    {"W8", "untrusted event text in a run script"},
    {"W9", "docker-compose v1 on GitHub-hosted runners"},
    {"W10", "needs context names a job outside needs"},
    {"E1", "env template grammar"},
    {"E2", "inline # comment read differently by parsers"},
    {"E3", "variable declared twice"},
    {"S1", "well-known token format"},
    {"S2", "private key block"},
    {"S3", "high-entropy value in a secret-named variable"},
    {"X1", "start commands of the platforms disagree"},
    {"X2", "health check path no smoke spec checks"},
    {"X3", "expected variable missing from the env template"},
};

static const char *sev_name(tg_lint_sev s)
{
    return s == TG_LINT_ERROR ? "error" : "warning";
}

char *tg_lint_text(const tg_lint *L, int colour)
{
    tg_buf b;
    tg_buf_init(&b);
    const char *bold = colour ? "\033[1m" : "", *red = colour ? "\033[31m" : "",
               *yellow = colour ? "\033[33m" : "", *reset = colour ? "\033[0m" : "";
    const char *last = NULL;
    for (size_t i = 0; i < L->n; i++) {
        const tg_finding *f = &L->f[i];
        if (!last || strcmp(last, f->file) != 0) {
            tg_buf_addf(&b, "%s%s%s%s\n", last ? "\n" : "", bold, f->file, reset);
            last = f->file;
        }
        tg_buf_addf(&b, "  %s:%d:%d: %s%s%s: %s (rule %s)\n", f->file, f->line, f->col,
                    f->sev == TG_LINT_ERROR ? red : yellow, sev_name(f->sev), reset, f->message,
                    f->rule);
    }
    tg_buf_addf(&b, "%stollgate lint: %zu files, %zu errors, %zu warnings\n", L->n ? "\n" : "",
                L->files, tg_lint_count(L, TG_LINT_ERROR), tg_lint_count(L, TG_LINT_WARNING));
    return tg_buf_steal(&b);
}

char *tg_lint_github(const tg_lint *L)
{
    tg_buf b;
    tg_buf_init(&b);
    for (size_t i = 0; i < L->n; i++) {
        const tg_finding *f = &L->f[i];
        char *file = tg_github_escape(f->file, 1);
        char *title = tg_github_escape(f->rule, 1);
        char *msg = tg_github_escape(f->message, 0);
        tg_buf_addf(&b, "::%s file=%s", sev_name(f->sev), file);
        if (f->line > 0)
            tg_buf_addf(&b, ",line=%d,col=%d", f->line, f->col);
        tg_buf_addf(&b, ",title=tollgate lint %s::%s\n", title, msg);
        free(file);
        free(title);
        free(msg);
    }
    tg_buf_addf(&b, "tollgate lint: %zu files, %zu errors, %zu warnings\n", L->files,
                tg_lint_count(L, TG_LINT_ERROR), tg_lint_count(L, TG_LINT_WARNING));
    return tg_buf_steal(&b);
}

char *tg_lint_sarif(const tg_lint *L)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "$schema", "https://json.schemastore.org/sarif-2.1.0.json");
    cJSON_AddStringToObject(root, "version", "2.1.0");
    cJSON *runs = cJSON_AddArrayToObject(root, "runs");
    cJSON *run = cJSON_CreateObject();
    cJSON_AddItemToArray(runs, run);
    cJSON *driver = cJSON_AddObjectToObject(cJSON_AddObjectToObject(run, "tool"), "driver");
    cJSON_AddStringToObject(driver, "name", "tollgate");
    cJSON_AddStringToObject(driver, "version", TG_VERSION);
    cJSON_AddStringToObject(driver, "informationUri", "https://github.com/tollgate/tollgate");
    cJSON *rl = cJSON_AddArrayToObject(driver, "rules");
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "id", rules[i].id);
        cJSON_AddStringToObject(cJSON_AddObjectToObject(r, "shortDescription"), "text",
                                rules[i].text);
        cJSON_AddItemToArray(rl, r);
    }
    cJSON *results = cJSON_AddArrayToObject(run, "results");
    for (size_t i = 0; i < L->n; i++) {
        const tg_finding *f = &L->f[i];
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "ruleId", f->rule);
        for (size_t k = 0; k < sizeof rules / sizeof rules[0]; k++)
            if (strcmp(rules[k].id, f->rule) == 0)
                cJSON_AddNumberToObject(r, "ruleIndex", (double)k);
        cJSON_AddStringToObject(r, "level", sev_name(f->sev));
        cJSON_AddStringToObject(cJSON_AddObjectToObject(r, "message"), "text", f->message);
        cJSON *locs = cJSON_AddArrayToObject(r, "locations");
        cJSON *loc = cJSON_CreateObject();
        cJSON *phys = cJSON_AddObjectToObject(loc, "physicalLocation");
        const char *uri = strncmp(f->file, "./", 2) == 0 ? f->file + 2 : f->file;
        cJSON_AddStringToObject(cJSON_AddObjectToObject(phys, "artifactLocation"), "uri", uri);
        if (f->line > 0) {
            cJSON *region = cJSON_AddObjectToObject(phys, "region");
            cJSON_AddNumberToObject(region, "startLine", f->line);
            if (f->col > 0)
                cJSON_AddNumberToObject(region, "startColumn", f->col);
        }
        cJSON_AddItemToArray(locs, loc);
        cJSON_AddItemToArray(results, r);
    }
    char *s = cJSON_Print(root);
    cJSON_Delete(root);
    return s;
}

static const char *family_of(const char *rule)
{
    switch (rule[0]) {
    case 'Y': return "syntax";
    case 'P': return "procfile";
    case 'R': return "railway";
    case 'D': return "render";
    case 'C': return "compose";
    case 'W': return "workflow";
    case 'E': return "env";
    case 'S': return "secrets";
    case 'X': return "cross-file";
    default: return "other";
    }
}

static const char *kind_family(tg_lint_kind k)
{
    switch (k) {
    case TG_LK_PROCFILE: return "procfile";
    case TG_LK_RAILWAY_JSON:
    case TG_LK_RAILWAY_TOML:
    case TG_LK_RAILWAY_YAML: return "railway";
    case TG_LK_RENDER: return "render";
    case TG_LK_COMPOSE: return "compose";
    case TG_LK_WORKFLOW: return "workflow";
    case TG_LK_ENV: return "env";
    default: return "syntax";
    }
}

/* One test per file and rule family: the file's own family always, and any
 * other family that found something in it. */
static void add_family(const tg_lint *L, tg_results *r, const char *file, const char *family)
{
    tg_test *t = tg_results_add(r);
    const char *shown = strncmp(file, "./", 2) == 0 ? file + 2 : file;
    t->id = tg_asprintf("lint/%s/%s", shown, family);
    t->suite = tg_strdup("lint");
    t->file = tg_strdup(shown);
    t->attempts = 1;
    tg_buf msg;
    tg_buf_init(&msg);
    int errors = 0;
    for (size_t i = 0; i < L->n; i++) {
        const tg_finding *f = &L->f[i];
        if (strcmp(f->file, file) != 0 || strcmp(family_of(f->rule), family) != 0)
            continue;
        if (!t->line)
            t->line = f->line;
        errors += f->sev == TG_LINT_ERROR || L->strict;
        tg_buf_addf(&msg, "%s%s:%d:%d: %s: %s (rule %s)", msg.len ? "\n" : "", shown, f->line,
                    f->col, sev_name(f->sev), f->message, f->rule);
    }
    t->status = errors ? TG_ST_FAILED : TG_ST_PASSED;
    t->message = msg.data ? tg_buf_steal(&msg) : tg_strdup("");
    tg_buf_free(&msg);
}

void tg_lint_results(const tg_lint *L, tg_results *r)
{
    for (size_t i = 0; i < L->files; i++) {
        const char *file = L->checked[i];
        int dup = 0;
        for (size_t j = 0; j < i && !dup; j++)
            dup = strcmp(L->checked[j], file) == 0;
        if (dup)
            continue;
        const char *own = kind_family(tg_lint_kind_of(file));
        add_family(L, r, file, own);
        static const char *const fams[] = {"syntax", "procfile", "railway", "render", "compose",
                                           "workflow", "env", "secrets", "cross-file", NULL};
        for (int k = 0; fams[k]; k++) {
            if (strcmp(fams[k], own) == 0)
                continue;
            int any = 0;
            for (size_t n = 0; n < L->n && !any; n++)
                any = strcmp(L->f[n].file, file) == 0 && strcmp(family_of(L->f[n].rule), fams[k]) == 0;
            if (any)
                add_family(L, r, file, fams[k]);
        }
    }
    tg_results_sort(r);
    tg_results_count(r);
    cJSON *lint = cJSON_CreateObject();
    cJSON_AddNumberToObject(lint, "errors", (double)tg_lint_count(L, TG_LINT_ERROR));
    cJSON_AddNumberToObject(lint, "warnings", (double)tg_lint_count(L, TG_LINT_WARNING));
    cJSON_AddNumberToObject(lint, "files", (double)L->files);
    cJSON *arr = cJSON_AddArrayToObject(lint, "findings");
    for (size_t i = 0; i < L->n; i++) {
        const tg_finding *f = &L->f[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "rule", f->rule);
        cJSON_AddStringToObject(o, "severity", sev_name(f->sev));
        cJSON_AddStringToObject(o, "file", strncmp(f->file, "./", 2) == 0 ? f->file + 2 : f->file);
        cJSON_AddNumberToObject(o, "line", f->line);
        cJSON_AddNumberToObject(o, "column", f->col);
        cJSON_AddStringToObject(o, "message", f->message);
        cJSON_AddItemToArray(arr, o);
    }
    cJSON_AddItemToObject(r->extra, "lint", lint);
}
