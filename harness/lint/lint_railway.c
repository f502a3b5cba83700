/* lint_railway.c: railway.json / railway.toml config-as-code, rules R1-R9.
 *
 * Unknown keys are warnings (R2): whether Railway rejects or ignores them is
 * not settled. A known setting written in the wrong place is an error: it is
 * never applied, so the deploy does not do what the file says. */
#include "lint_int.h"
#include "tg.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const char *const top_keys[] = {"$schema", "build", "deploy", "environments", NULL};
static const char *const build_keys[] = {"builder", "buildCommand", "watchPatterns",
                                         "dockerfilePath", "nixpacksConfigPath", "nixpacksPlan",
                                         "nixpacksVersion", "railpackVersion", "buildEnvironment",
                                         NULL};
static const char *const deploy_keys[] = {
    "startCommand", "preDeployCommand", "numReplicas", "healthcheckPath", "healthcheckTimeout",
    "restartPolicyType", "restartPolicyMaxRetries", "cronSchedule", "sleepApplication", "region",
    "multiRegionConfig", "overlapSeconds", "drainingSeconds", "limitOverride", "requiredMountPath",
    "runtime", "useLegacyStacker", "ipv6EgressEnabled", NULL};
static const char *const env_keys[] = {"build", "deploy", NULL};

typedef struct {
    const char *key;
    const char *home; /* "build" or "deploy" */
    const char *proper;
} misplaced;

static const misplaced moves[] = {
    {"cron", "deploy", "deploy.cronSchedule"},
    {"crons", "deploy", "deploy.cronSchedule"},
    {"cronSchedule", "deploy", "deploy.cronSchedule"},
    {"region", "deploy", "deploy.multiRegionConfig"},
    {"regions", "deploy", "deploy.multiRegionConfig"},
    {"start", "deploy", "deploy.startCommand"},
    {"startCommand", "deploy", "deploy.startCommand"},
    {"healthcheck", "deploy", "deploy.healthcheckPath"},
    {"healthcheckPath", "deploy", "deploy.healthcheckPath"},
    {"replicas", "deploy", "deploy.numReplicas"},
    {"numReplicas", "deploy", "deploy.numReplicas"},
    {"buildCommand", "build", "build.buildCommand"},
    {"dockerfilePath", "build", "build.dockerfilePath"},
    {"builder", "build", "build.builder"},
};

/* Unknown keys of map (where = its dotted name, home = "build"/"deploy"/"").
 * A key Railway reads elsewhere is an error; other unknown keys warnings. */
static void unknown_keys(lint_ctx *c, const tg_ynode *map, const char *const *known,
                         const char *where, const char *home, int depth)
{
    if (!map || map->kind != TG_Y_MAP || depth > 8)
        return;
    for (size_t i = 0; i < map->n; i++) {
        const tg_ynode *k = map->keys[i];
        const char *s = tg_y_str(k);
        if (!s || (known && lint_in_list(s, known)))
            continue;
        const misplaced *mv = NULL;
        for (size_t j = 0; j < sizeof moves / sizeof moves[0]; j++)
            if (strcmp(moves[j].key, s) == 0 && strcmp(moves[j].home, home) != 0)
                mv = &moves[j];
        if (mv) {
            lint_add(c, "R2", TG_LINT_ERROR, k->line, k->col,
                     "\"%s\" under %s is never applied: Railway reads it as %s; move it there",
                     s, where, mv->proper);
            continue;
        }
        if (known)
            lint_add(c, "R2", TG_LINT_WARNING, k->line, k->col,
                     "unknown key \"%s\" in %s; Railway's config-as-code does not read it, "
                     "remove it",
                     s, where);
        /* Settings nested under an unknown key are not read either. */
        char *sub = tg_asprintf("%s.%s", where, s);
        unknown_keys(c, map->vals[i], NULL, sub, "", depth + 1);
        free(sub);
    }
}

static int want_map(lint_ctx *c, const tg_ynode *k, const tg_ynode *v, const char *what)
{
    if (v && v->kind == TG_Y_MAP)
        return 1;
    const tg_ynode *at = v ? v : k;
    lint_add(c, "R1", TG_LINT_ERROR, at->line, at->col,
             "%s must be an object of settings, not a %s; see docs.railway.com config-as-code",
             what, v && v->kind == TG_Y_SEQ ? "list" : "single value");
    return 0;
}

static void check_nonneg(lint_ctx *c, const tg_ynode *map, const char *key)
{
    const tg_ynode *v = tg_y_get(map, key);
    if (!v || tg_y_is_null(v))
        return;
    if (!lint_is_int(v) || v->value[0] == '-')
        lint_add(c, "R6", TG_LINT_ERROR, v->line, v->col,
                 "%s must be a non-negative integer, not %s%s%s; write a number without quotes",
                 key, v->kind == TG_Y_SCALAR ? "\"" : "",
                 v->kind == TG_Y_SCALAR ? v->value : "a list or object",
                 v->kind == TG_Y_SCALAR ? "\"" : "");
}

static int upper_eq(const char *s, const char *want)
{
    for (; *s && *want; s++, want++)
        if (toupper((unsigned char)*s) != *want)
            return 0;
    return !*s && !*want;
}

static int is_lower(const char *s)
{
    for (; *s; s++)
        if (isupper((unsigned char)*s))
            return 0;
    return 1;
}

static void check_command(lint_ctx *c, const tg_ynode *map, const char *key)
{
    const tg_ynode *v = tg_y_get(map, key);
    const char *s = tg_y_str(v);
    if (!v || tg_y_is_null(v))
        return;
    if (!s) {
        lint_add(c, "R1", TG_LINT_ERROR, v->line, v->col, "%s must be a string command", key);
        return;
    }
    size_t off;
    const char *why = lint_shell_problem(s, &off);
    if (why)
        lint_add(c, "R9", TG_LINT_ERROR, v->line, v->col,
                 "%s has broken shell syntax: %s (at character %zu); fix the command", key, why,
                 off + 1);
}

static void check_build(lint_ctx *c, const tg_ynode *b, const char *where)
{
    char *w = tg_asprintf("%s", where);
    unknown_keys(c, b, build_keys, w, "build", 0);
    free(w);
    const tg_ynode *v = tg_y_get(b, "builder");
    const char *s = tg_y_str(v);
    if (v && !s)
        lint_add(c, "R1", TG_LINT_ERROR, v->line, v->col, "builder must be a string");
    if (s) {
        if (strcmp(s, "RAILPACK") == 0 || strcmp(s, "DOCKERFILE") == 0)
            ;
        else if (strcmp(s, "NIXPACKS") == 0)
            lint_add(c, "R3", TG_LINT_WARNING, v->line, v->col,
                     "builder NIXPACKS is deprecated; use RAILPACK (or DOCKERFILE)");
        else if (upper_eq(s, "RAILPACK") || upper_eq(s, "DOCKERFILE") || upper_eq(s, "NIXPACKS"))
            lint_add(c, "R3", TG_LINT_WARNING, v->line, v->col,
                     "builder \"%s\" is accepted but written in %s case; write it upper-case%s",
                     s, is_lower(s) ? "lower" : "mixed",
                     upper_eq(s, "NIXPACKS") ? ", and NIXPACKS is deprecated: use RAILPACK" : "");
        else
            lint_add(c, "R3", TG_LINT_ERROR, v->line, v->col,
                     "builder \"%s\" is not one of RAILPACK, DOCKERFILE (NIXPACKS deprecated); "
                     "pick one",
                     s);
    }
    check_command(c, b, "buildCommand");
    const tg_ynode *wp = tg_y_get(b, "watchPatterns");
    if (wp && wp->kind != TG_Y_SEQ && !tg_y_is_null(wp))
        lint_add(c, "R1", TG_LINT_ERROR, wp->line, wp->col,
                 "watchPatterns must be a list of globs");
}

static void check_deploy(lint_ctx *c, const tg_ynode *d, const char *where)
{
    unknown_keys(c, d, deploy_keys, where, "deploy", 0);
    static const char *const ints[] = {"numReplicas", "healthcheckTimeout",
                                       "restartPolicyMaxRetries", "overlapSeconds",
                                       "drainingSeconds", NULL};
    for (int i = 0; ints[i]; i++)
        check_nonneg(c, d, ints[i]);
    const tg_ynode *v = tg_y_get(d, "restartPolicyType");
    const char *s = tg_y_str(v);
    if (s) {
        int exact = strcmp(s, "ON_FAILURE") == 0 || strcmp(s, "ALWAYS") == 0 ||
                    strcmp(s, "NEVER") == 0;
        int folded = upper_eq(s, "ON_FAILURE") || upper_eq(s, "ALWAYS") || upper_eq(s, "NEVER");
        if (!exact && folded)
            lint_add(c, "R4", TG_LINT_WARNING, v->line, v->col,
                     "restartPolicyType \"%s\" is accepted but not upper-case; write it as "
                     "ON_FAILURE, ALWAYS or NEVER",
                     s);
        else if (!exact)
            lint_add(c, "R4", TG_LINT_ERROR, v->line, v->col,
                     "restartPolicyType \"%s\" is not one of ON_FAILURE, ALWAYS, NEVER; pick one",
                     s);
    }
    v = tg_y_get(d, "healthcheckPath");
    s = tg_y_str(v);
    if (s) {
        if (s[0] != '/')
            lint_add(c, "R5", TG_LINT_ERROR, v->line, v->col,
                     "healthcheckPath \"%s\" must be a path starting with '/', e.g. /health", s);
        else
            lint_ref_add(&c->facts->health, s, c->file, v->line, v->col);
    }
    check_command(c, d, "startCommand");
    check_command(c, d, "preDeployCommand");
    v = tg_y_get(d, "startCommand");
    if (tg_y_str(v) && !strcmp(where, "deploy"))
        lint_ref_add(&c->facts->starts, tg_y_str(v), c->file, v->line, v->col);
}

void lint_railway(lint_ctx *c, const tg_ynode *root)
{
    const char *base = lint_base_name(c->file);
    if (strcmp(base, "railway.json") != 0 && strcmp(base, "railway.toml") != 0)
        lint_add(c, "R7", TG_LINT_ERROR, 1, 1,
                 "Railway reads railway.json or railway.toml, not %s; rename the file%s", base,
                 strstr(base, "schema") ? " (the schema name belongs in \"$schema\")" : "");
    if (root->kind != TG_Y_MAP) {
        lint_add(c, "R1", TG_LINT_ERROR, root->line, root->col,
                 "the config must be an object with build and deploy sections");
        return;
    }
    unknown_keys(c, root, top_keys, "the top level", "", 0);
    for (size_t i = 0; i < root->n; i++) {
        const char *k = tg_y_str(root->keys[i]);
        const tg_ynode *v = root->vals[i];
        if (!k)
            continue;
        if (strcmp(k, "build") == 0 && want_map(c, root->keys[i], v, "build"))
            check_build(c, v, "build");
        else if (strcmp(k, "deploy") == 0 && want_map(c, root->keys[i], v, "deploy"))
            check_deploy(c, v, "deploy");
        else if (strcmp(k, "environments") == 0 &&
                 want_map(c, root->keys[i], v, "environments")) {
            for (size_t j = 0; j < v->n; j++) {
                const char *name = tg_y_str(v->keys[j]);
                const tg_ynode *e = v->vals[j];
                char *where = tg_asprintf("environments.%s", name ? name : "?");
                if (want_map(c, v->keys[j], e, where)) {
                    unknown_keys(c, e, env_keys, where, "", 0);
                    const tg_ynode *b = tg_y_get(e, "build"), *d = tg_y_get(e, "deploy");
                    char *wb = tg_asprintf("%s.build", where), *wd = tg_asprintf("%s.deploy", where);
                    if (b && want_map(c, tg_y_key(e, "build"), b, wb))
                        check_build(c, b, wb);
                    if (d && want_map(c, tg_y_key(e, "deploy"), d, wd))
                        check_deploy(c, d, wd);
                    free(wb);
                    free(wd);
                }
                free(where);
            }
        }
    }
}
