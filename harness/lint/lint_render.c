/* lint_render.c: render.yaml Blueprints, rules D1-D8. */
#include "lint_int.h"
#include "tg.h"

#include <stdlib.h>
#include <string.h>

static const char *const root_keys[] = {"services", "databases", "envVarGroups", "previews",
                                        "previewsEnabled", "previewsExpireAfterDays", "projects",
                                        "ungrouped", "version", NULL};
static const char *const service_keys[] = {
    "type", "name", "runtime", "env", "plan", "region", "repo", "branch", "rootDir",
    "buildCommand", "startCommand", "preDeployCommand", "dockerfilePath", "dockerContext",
    "dockerCommand", "image", "registryCredential", "envVars", "healthCheckPath", "autoDeploy",
    "autoDeployTrigger", "buildFilter", "numInstances", "scaling", "disk", "domains", "headers",
    "routes", "staticPublishPath", "pullRequestPreviewsEnabled", "previews", "schedule",
    "ipAllowList", "maxmemoryPolicy", "initialDeployHook", "maxShutdownDelaySeconds",
    "preDeployCommand", "envVarGroups", NULL};
static const char *const database_keys[] = {
    "name", "databaseName", "user", "plan", "region", "postgresMajorVersion", "ipAllowList",
    "readReplicas", "highAvailability", "diskSizeGB", "storageAutoscalingEnabled", "previewPlan",
    "previewDiskSizeGB", "project", NULL};
static const char *const types[] = {"web", "pserv", "worker", "cron", "keyvalue", NULL};
static const char *const runtimes[] = {"node", "python", "elixir", "go",    "ruby",
                                       "rust", "docker", "image",  "static", NULL};
static const char *const sources[] = {"value", "fromDatabase", "fromService", "fromGroup",
                                      "generateValue", "sync", NULL};
static const char *const envvar_keys[] = {"key", "value", "fromDatabase", "fromService",
                                          "fromGroup", "generateValue", "sync", "previewValue",
                                          NULL};

/* The names declared under services:, databases: and envVarGroups:, for D4. */
typedef struct {
    lint_set services, databases, groups;
} declared;

static void collect_names(const tg_ynode *root, const char *list, lint_set *into)
{
    const tg_ynode *l = tg_y_get(root, list);
    for (size_t i = 0; l && l->kind == TG_Y_SEQ && i < l->n; i++) {
        const char *n = tg_y_str(tg_y_get(l->vals[i], "name"));
        if (n)
            (void)lint_set_put(into, n, (int)i);
    }
}

static int looks_placeholder(const char *v)
{
    static const char *const words[] = {"your", "change", "replace", "xxx", "<", "placeholder",
                                        "todo", "example", "secret_here", "here", NULL};
    for (int i = 0; words[i]; i++)
        if (strcasestr(v, words[i]))
            return 1;
    return 0;
}

static int secretish(const char *k)
{
    static const char *const words[] = {"SECRET", "TOKEN", "PASSWORD", "API_KEY", "APIKEY",
                                        "PRIVATE", "_URI", "_URL", "DSN", "CREDENTIAL", NULL};
    for (int i = 0; words[i]; i++)
        if (strcasestr(k, words[i]))
            return 1;
    return 0;
}

static void check_envvars(lint_ctx *c, const declared *d, const tg_ynode *list)
{
    if (!list || tg_y_is_null(list))
        return;
    if (list->kind != TG_Y_SEQ) {
        lint_add(c, "D3", TG_LINT_ERROR, list->line, list->col,
                 "envVars must be a list of {key, value | fromDatabase | ...} entries");
        return;
    }
    for (size_t i = 0; i < list->n; i++) {
        const tg_ynode *e = list->vals[i];
        if (e->kind != TG_Y_MAP) {
            lint_add(c, "D3", TG_LINT_ERROR, e->line, e->col,
                     "an envVars entry must be a map with key and one source");
            continue;
        }
        lint_known_keys(c, e, envvar_keys, "D3", TG_LINT_ERROR, "an env var");
        const tg_ynode *key = tg_y_get(e, "key");
        int nsrc = 0;
        for (int s = 0; sources[s]; s++)
            nsrc += tg_y_key(e, sources[s]) != NULL;
        int group_only = tg_y_key(e, "fromGroup") && !key;
        if (!key && !group_only)
            lint_add(c, "D3", TG_LINT_ERROR, e->line, e->col,
                     "env var without key; add key: NAME");
        if (nsrc != 1)
            lint_add(c, "D3", TG_LINT_ERROR, e->line, e->col,
                     "env var %s has %d sources; give exactly one of value, fromDatabase, "
                     "fromService, fromGroup, generateValue, sync",
                     tg_y_str(key) ? tg_y_str(key) : "", nsrc);
        const struct {
            const char *src, *list, *what;
            const lint_set *names;
        } refs[] = {{"fromDatabase", "databases", "database", &d->databases},
                    {"fromService", "services", "service", &d->services},
                    {"fromGroup", "envVarGroups", "env var group", &d->groups}};
        for (size_t r = 0; r < 3; r++) {
            const tg_ynode *v = tg_y_get(e, refs[r].src);
            if (!v)
                continue;
            const tg_ynode *nm = r == 2 && v->kind == TG_Y_SCALAR ? v : tg_y_get(v, "name");
            const char *name = tg_y_str(nm);
            if (!name) {
                lint_add(c, "D3", TG_LINT_ERROR, v->line, v->col, "%s needs a name",
                         refs[r].src);
                continue;
            }
            if (lint_set_get(refs[r].names, name) < 0)
                lint_add(c, "D4", TG_LINT_ERROR, nm->line, nm->col,
                         "%s names %s \"%s\", which is not declared under %s; declare it or "
                         "fix the name",
                         refs[r].src, refs[r].what, name, refs[r].list);
        }
        const tg_ynode *val = tg_y_get(e, "value");
        const char *k = tg_y_str(key);
        if (k && tg_y_str(val) && val->len && secretish(k) && looks_placeholder(val->value))
            lint_add(c, "D8", TG_LINT_WARNING, val->line, val->col,
                     "%s is set to the placeholder \"%s\", which the app will receive literally; "
                     "use sync: false and set it in the dashboard",
                     k, val->value);
        const tg_ynode *sync = tg_y_get(e, "sync");
        if (k && sync && tg_y_str(sync) && strcmp(sync->value, "false") == 0)
            lint_ref_add(&c->facts->expects, k, c->file, key->line, key->col);
    }
}

static void check_service(lint_ctx *c, const declared *d, const tg_ynode *s)
{
    if (s->kind != TG_Y_MAP) {
        lint_add(c, "D1", TG_LINT_ERROR, s->line, s->col, "a service must be a map");
        return;
    }
    lint_known_keys(c, s, service_keys, "D1", TG_LINT_WARNING, "a service");
    const tg_ynode *type = tg_y_get(s, "type");
    const char *t = tg_y_str(type);
    if (!t)
        lint_add(c, "D2", TG_LINT_ERROR, s->line, s->col,
                 "service without type; add type: web (or pserv, worker, cron, keyvalue)");
    else if (strcmp(t, "redis") == 0)
        lint_add(c, "D2", TG_LINT_WARNING, type->line, type->col,
                 "type redis is deprecated; write type: keyvalue");
    else if (!lint_in_list(t, types))
        lint_add(c, "D2", TG_LINT_ERROR, type->line, type->col,
                 "service type \"%s\" is not one of web, pserv, worker, cron, keyvalue", t);
    const tg_ynode *rt = tg_y_get(s, "runtime"), *env = tg_y_get(s, "env");
    const char *r = tg_y_str(rt), *e = tg_y_str(env);
    if (env && e && !tg_y_key(s, "runtime")) {
        if (lint_in_list(e, runtimes))
            lint_add(c, "D2", TG_LINT_WARNING, env->line, env->col,
                     "env: %s is deprecated; write runtime: %s", e, e);
    }
    const char *which = r ? r : e;
    const tg_ynode *wn = r ? rt : env;
    int kv = t && (strcmp(t, "keyvalue") == 0 || strcmp(t, "redis") == 0);
    if (which && (strcmp(which, "postgres") == 0 || strcmp(which, "postgresql") == 0))
        lint_add(c, "D5", TG_LINT_ERROR, wn->line, wn->col,
                 "PostgreSQL is not a service runtime; declare it under databases: and use "
                 "fromDatabase");
    else if (which && !lint_in_list(which, runtimes))
        lint_add(c, "D2", TG_LINT_ERROR, wn->line, wn->col,
                 "runtime \"%s\" is not one of node, python, elixir, go, ruby, rust, docker, "
                 "image, static",
                 which);
    else if (!which && !kv && !tg_y_key(s, "image") && t)
        lint_add(c, "D2", TG_LINT_ERROR, s->line, s->col,
                 "service %s has no runtime; add runtime: node (or python, docker, ...)",
                 tg_y_str(tg_y_get(s, "name")) ? tg_y_str(tg_y_get(s, "name")) : "");
    const tg_ynode *ad = tg_y_key(s, "autoDeploy");
    if (ad)
        lint_add(c, "D2", TG_LINT_WARNING, ad->line, ad->col,
                 "autoDeploy is deprecated; write autoDeployTrigger: commit (or off)");
    const tg_ynode *hc = tg_y_get(s, "healthCheckPath");
    if (tg_y_str(hc)) {
        if (hc->value[0] != '/')
            lint_add(c, "D6", TG_LINT_ERROR, hc->line, hc->col,
                     "healthCheckPath \"%s\" must start with '/', e.g. /health", hc->value);
        else
            lint_ref_add(&c->facts->health, hc->value, c->file, hc->line, hc->col);
    }
    const tg_ynode *dc = tg_y_get(s, "dockerCommand");
    if (t && strcmp(t, "web") == 0 && tg_y_str(dc))
        lint_ref_add(&c->facts->starts, dc->value, c->file, dc->line, dc->col);
    const tg_ynode *sc = tg_y_get(s, "startCommand");
    if (t && strcmp(t, "web") == 0 && tg_y_str(sc) && !(which && !strcmp(which, "static"))) {
        int port;
        if (!lint_cmd_uses_port(sc->value) && lint_cmd_fixed_port(sc->value, &port) < 0)
            lint_add(c, "D7", TG_LINT_WARNING, sc->line, sc->col,
                     "web startCommand neither uses $PORT nor runs a server known to read PORT; "
                     "bind 0.0.0.0:$PORT");
        lint_ref_add(&c->facts->starts, sc->value, c->file, sc->line, sc->col);
    }
    check_envvars(c, d, tg_y_get(s, "envVars"));
}

void lint_render(lint_ctx *c, const tg_ynode *root)
{
    if (root->kind != TG_Y_MAP) {
        lint_add(c, "D1", TG_LINT_ERROR, root->line, root->col,
                 "render.yaml must be a map with services: and databases:");
        return;
    }
    lint_known_keys(c, root, root_keys, "D1", TG_LINT_ERROR, "render.yaml");
    declared d = {{0}, {0}, {0}};
    collect_names(root, "services", &d.services);
    collect_names(root, "databases", &d.databases);
    collect_names(root, "envVarGroups", &d.groups);
    const tg_ynode *svcs = tg_y_get(root, "services");
    if (svcs && svcs->kind == TG_Y_SEQ)
        for (size_t i = 0; i < svcs->n; i++)
            check_service(c, &d, svcs->vals[i]);
    else if (svcs && !tg_y_is_null(svcs))
        lint_add(c, "D1", TG_LINT_ERROR, svcs->line, svcs->col, "services must be a list");
    const tg_ynode *dbs = tg_y_get(root, "databases");
    if (dbs && dbs->kind == TG_Y_SEQ)
        for (size_t i = 0; i < dbs->n; i++) {
            lint_known_keys(c, dbs->vals[i], database_keys, "D1", TG_LINT_WARNING, "a database");
            if (!tg_y_str(tg_y_get(dbs->vals[i], "name")))
                lint_add(c, "D1", TG_LINT_ERROR, dbs->vals[i]->line, dbs->vals[i]->col,
                         "database without name; add name:");
        }
    const tg_ynode *groups = tg_y_get(root, "envVarGroups");
    if (groups && groups->kind == TG_Y_SEQ)
        for (size_t i = 0; i < groups->n; i++)
            check_envvars(c, &d, tg_y_get(groups->vals[i], "envVars"));
    lint_set_free(&d.services);
    lint_set_free(&d.databases);
    lint_set_free(&d.groups);
}
