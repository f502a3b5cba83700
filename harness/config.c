/* config.c: tollgate.yaml (config.h). */
#include "config.h"
#include "tg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *path;
    int err;
} ctx;

static int bad(ctx *c, const tg_ynode *n, const char *fmt, const char *a, const char *b)
{
    char msg[512];
    snprintf(msg, sizeof msg, fmt, a ? a : "", b ? b : "");
    tg_error(c->path, n ? n->line : 0, "%s", msg);
    c->err = TG_ECONFIG;
    return TG_ECONFIG;
}

static int check_keys(ctx *c, const tg_ynode *map, const char *where, const char *const *known)
{
    for (size_t i = 0; i < map->n; i++) {
        const char *k = tg_y_str(map->keys[i]);
        int ok = 0;
        for (const char *const *p = known; *p; p++)
            if (k && strcmp(k, *p) == 0)
                ok = 1;
        if (!ok) {
            tg_buf list;
            tg_buf_init(&list);
            for (const char *const *p = known; *p; p++)
                tg_buf_addf(&list, "%s%s", p == known ? "" : ", ", *p);
            char *w = tg_asprintf("unknown key '%s' in %s; known keys: %s", k ? k : "?", where,
                                  list.data);
            bad(c, map->keys[i], "%s%s", w, "");
            free(w);
            tg_buf_free(&list);
        }
    }
    return c->err;
}

static char *get_string(ctx *c, const tg_ynode *map, const char *key, const char *def)
{
    const tg_ynode *v = tg_y_get(map, key);
    if (!v || tg_y_is_null(v))
        return def ? tg_strdup(def) : NULL;
    if (v->kind != TG_Y_SCALAR) {
        bad(c, v, "'%s' must be a string%s", key, "");
        return def ? tg_strdup(def) : NULL;
    }
    return tg_strdup(v->value);
}

static double get_duration(ctx *c, const tg_ynode *map, const char *key, double def)
{
    const tg_ynode *v = tg_y_get(map, key);
    double s;
    if (!v || tg_y_is_null(v))
        return def;
    if (v->kind != TG_Y_SCALAR || tg_parse_duration(v->value, &s) != 0 || s <= 0) {
        bad(c, v, "'%s' must be a duration such as 10s, 250ms or 2m, not '%s'", key,
            tg_y_str(v) ? tg_y_str(v) : "(a collection)");
        return def;
    }
    return s;
}

static long get_int(ctx *c, const tg_ynode *map, const char *key, long def, long lo, long hi)
{
    const tg_ynode *v = tg_y_get(map, key);
    if (!v || tg_y_is_null(v))
        return def;
    char *end;
    errno = 0;
    long n = v->kind == TG_Y_SCALAR ? strtol(v->value, &end, 10) : 0;
    if (v->kind != TG_Y_SCALAR || errno || end == v->value || *end || n < lo || n > hi) {
        char range[64];
        snprintf(range, sizeof range, "%ld to %ld", lo, hi);
        bad(c, v, "'%s' must be a whole number from %s", key, range);
        return def;
    }
    return n;
}

static int get_bool(ctx *c, const tg_ynode *map, const char *key, int def)
{
    const tg_ynode *v = tg_y_get(map, key);
    if (!v || tg_y_is_null(v))
        return def;
    const char *s = tg_y_str(v);
    if (s && (strcmp(s, "true") == 0 || strcmp(s, "yes") == 0))
        return 1;
    if (s && (strcmp(s, "false") == 0 || strcmp(s, "no") == 0))
        return 0;
    bad(c, v, "'%s' must be true or false%s", key, "");
    return def;
}

/* A string or a list of strings. */
static char **get_list(ctx *c, const tg_ynode *map, const char *key, int *n)
{
    const tg_ynode *v = tg_y_get(map, key);
    *n = 0;
    if (!v || tg_y_is_null(v))
        return NULL;
    if (v->kind == TG_Y_SCALAR) {
        char **out = tg_malloc(sizeof *out);
        out[0] = tg_strdup(v->value);
        *n = 1;
        return out;
    }
    if (v->kind != TG_Y_SEQ) {
        bad(c, v, "'%s' must be a string or a list of strings%s", key, "");
        return NULL;
    }
    char **out = tg_calloc(v->n + 1, sizeof *out);
    for (size_t i = 0; i < v->n; i++) {
        if (v->vals[i]->kind != TG_Y_SCALAR) {
            bad(c, v->vals[i], "'%s' must list strings%s", key, "");
            continue;
        }
        out[(*n)++] = tg_strdup(v->vals[i]->value);
    }
    return out;
}

/* env: a map of KEY: value, kept as KEY=value. */
static char **get_env(ctx *c, const tg_ynode *map, int *n)
{
    const tg_ynode *v = tg_y_get(map, "env");
    *n = 0;
    if (!v || tg_y_is_null(v))
        return NULL;
    if (v->kind != TG_Y_MAP) {
        bad(c, v, "'env' must be a map of NAME: value%s%s", "", "");
        return NULL;
    }
    char **out = tg_calloc(v->n + 1, sizeof *out);
    for (size_t i = 0; i < v->n; i++) {
        const char *k = tg_y_str(v->keys[i]), *val = tg_y_str(v->vals[i]);
        if (!k || !val || !*k || strchr(k, '=')) {
            bad(c, v->keys[i], "env entries must be NAME: value%s%s", "", "");
            continue;
        }
        out[(*n)++] = tg_asprintf("%s=%s", k, tg_y_is_null(v->vals[i]) ? "" : val);
    }
    return out;
}

static const char *const kind_names[] = {"check", "checkxml", "exec", "smoke"};

const char *tg_suite_kind_name(tg_suite_kind k)
{
    return kind_names[k];
}

static void load_suite(ctx *c, tg_config *cfg, const tg_ynode *key, const tg_ynode *v)
{
    static const char *const known[] = {"kind",  "binaries", "specs",    "format", "timeout",
                                        "retries", "services", "env", NULL};
    tg_suite *s = &cfg->suites[cfg->nsuites++];
    memset(s, 0, sizeof *s);
    s->name = tg_strdup(key->value);
    s->line = key->line;
    s->timeout = TG_DEFAULT_TIMEOUT;
    for (const char *p = s->name; *p; p++)
        if (*p == '/' || *p == ' ') {
            bad(c, key, "suite name '%s' may not hold '/' or spaces%s", s->name, "");
            break;
        }
    if (v->kind != TG_Y_MAP) {
        bad(c, v, "suite '%s' must be a map (kind, binaries, timeout, ...)%s", s->name, "");
        return;
    }
    char where[160];
    snprintf(where, sizeof where, "suite '%s'", s->name);
    check_keys(c, v, where, known);
    char *kind = get_string(c, v, "kind", "check");
    int found = 0;
    for (int k = 0; k < 4; k++)
        if (strcmp(kind, kind_names[k]) == 0) {
            s->kind = (tg_suite_kind)k;
            found = 1;
        }
    if (!found)
        bad(c, tg_y_get(v, "kind"), "kind '%s' is not one of check, checkxml, exec, smoke%s",
            kind, "");
    free(kind);
    const char *listkey = s->kind == TG_KIND_SMOKE ? "specs" : "binaries";
    s->patterns = get_list(c, v, listkey, &s->npatterns);
    if (s->npatterns == 0)
        bad(c, v, "suite '%s' needs '%s'", s->name, listkey);
    s->format = get_string(c, v, "format", "exit");
    if (strcmp(s->format, "exit") && strcmp(s->format, "tap") && strcmp(s->format, "junit"))
        bad(c, tg_y_get(v, "format"), "format '%s' is not one of exit, tap, junit%s", s->format,
            "");
    s->timeout = get_duration(c, v, "timeout", TG_DEFAULT_TIMEOUT);
    s->retries = (int)get_int(c, v, "retries", 0, 0, 10);
    s->services = get_list(c, v, "services", &s->nservices);
    s->env = get_env(c, v, &s->nenv);
}

static void load_service(ctx *c, tg_config *cfg, const tg_ynode *key, const tg_ynode *v)
{
    static const char *const known[] = {"command", "ready", "start_timeout", "env", NULL};
    tg_service *s = &cfg->services[cfg->nservices++];
    memset(s, 0, sizeof *s);
    s->name = tg_strdup(key->value);
    s->line = key->line;
    if (v->kind != TG_Y_MAP) {
        bad(c, v, "service '%s' must be a map (command, ready, start_timeout, env)%s", s->name,
            "");
        return;
    }
    char where[160];
    snprintf(where, sizeof where, "service '%s'", s->name);
    check_keys(c, v, where, known);
    s->command = get_string(c, v, "command", NULL);
    if (!s->command)
        bad(c, v, "service '%s' needs a 'command'%s", s->name, "");
    s->ready = get_string(c, v, "ready", "/");
    if (s->ready[0] != '/')
        bad(c, tg_y_get(v, "ready"), "'ready' must be a path starting with '/', not '%s'%s",
            s->ready, "");
    s->start_timeout = get_duration(c, v, "start_timeout", 10.0);
    s->env = get_env(c, v, &s->nenv);
}

int tg_config_load(const char *path, tg_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->path = tg_strdup(path);
    cfg->output_cap = TG_DEFAULT_OUTPUT_CAP;
    cfg->history = tg_strdup(TG_DEFAULT_HISTORY);
    ctx c = {.path = path};
    size_t len;
    char *text = tg_read_file(path, &len);
    if (!text) {
        tg_error(path, 0, "cannot read the configuration: %s (create it, or pass --config FILE)",
                 strerror(errno));
        return TG_EIO;
    }
    int rc = tg_yaml_load(text, len, &cfg->doc);
    free(text);
    if (rc != 0) {
        tg_error(path, cfg->doc.err_line, "invalid YAML: %s (column %d)", cfg->doc.error,
                 cfg->doc.err_col);
        return TG_ECONFIG;
    }
    for (size_t i = 0; i < cfg->doc.ndups; i++) {
        char first[32];
        snprintf(first, sizeof first, "%d", cfg->doc.dups[i].first_line);
        tg_error(path, cfg->doc.dups[i].line, "key '%s' repeats the one on line %s; keep one",
                 cfg->doc.dups[i].key, first);
        c.err = TG_ECONFIG;
    }
    const tg_ynode *root = cfg->doc.root;
    if (!root || tg_y_is_null(root)) {
        tg_error(path, 1, "the configuration is empty; declare at least one suite under 'suites:'");
        return TG_ECONFIG;
    }
    if (root->kind != TG_Y_MAP)
        return bad(&c, root, "the configuration must be a map of settings%s%s", "", "");
    static const char *const known[] = {"junit_style", "jobs",     "output_cap", "history",
                                        "policy",      "services", "suites",     "lint",
                                        "coverage",    "smoke",    NULL};
    check_keys(&c, root, "tollgate.yaml", known);
    char *style = get_string(&c, root, "junit_style", "default");
    if (strcmp(style, "jenkins") == 0)
        cfg->junit_jenkins = 1;
    else if (strcmp(style, "default") != 0)
        bad(&c, tg_y_get(root, "junit_style"), "junit_style '%s' is not one of default, jenkins%s",
            style, "");
    free(style);
    cfg->jobs = (int)get_int(&c, root, "jobs", 0, 0, 1024);
    cfg->output_cap = (size_t)get_int(&c, root, "output_cap", TG_DEFAULT_OUTPUT_CAP, 1024,
                                      64L * 1024 * 1024);
    free(cfg->history);
    cfg->history = get_string(&c, root, "history", TG_DEFAULT_HISTORY);
    const tg_ynode *policy = tg_y_get(root, "policy");
    if (policy && !tg_y_is_null(policy)) {
        static const char *const pk[] = {"flaky_blocks", NULL};
        if (policy->kind != TG_Y_MAP)
            bad(&c, policy, "'policy' must be a map%s%s", "", "");
        else {
            check_keys(&c, policy, "policy", pk);
            cfg->flaky_blocks = get_bool(&c, policy, "flaky_blocks", 0);
        }
    }
    const tg_ynode *services = tg_y_get(root, "services");
    if (services && !tg_y_is_null(services)) {
        if (services->kind != TG_Y_MAP)
            bad(&c, services, "'services' must be a map of name: {command, ready, ...}%s%s", "",
                "");
        else {
            cfg->services = tg_calloc(services->n, sizeof *cfg->services);
            for (size_t i = 0; i < services->n; i++)
                if (services->keys[i]->kind == TG_Y_SCALAR)
                    load_service(&c, cfg, services->keys[i], services->vals[i]);
        }
    }
    const tg_ynode *suites = tg_y_get(root, "suites");
    if (!suites || suites->kind != TG_Y_MAP || suites->n == 0) {
        bad(&c, suites ? suites : root, "declare at least one suite under 'suites:'%s%s", "", "");
    } else {
        cfg->suites = tg_calloc(suites->n, sizeof *cfg->suites);
        for (size_t i = 0; i < suites->n; i++)
            if (suites->keys[i]->kind == TG_Y_SCALAR)
                load_suite(&c, cfg, suites->keys[i], suites->vals[i]);
        for (int i = 0; i < cfg->nsuites; i++)
            for (int k = 0; k < cfg->suites[i].nservices; k++)
                if (!tg_config_service(cfg, cfg->suites[i].services[k])) {
                    tg_error(path, cfg->suites[i].line,
                             "suite '%s' uses service '%s', which is not declared under "
                             "'services:'",
                             cfg->suites[i].name, cfg->suites[i].services[k]);
                    c.err = TG_ECONFIG;
                }
    }
    cfg->lint = tg_y_get(root, "lint");
    cfg->coverage = tg_y_get(root, "coverage");
    return c.err;
}

static void free_list(char **v, int n)
{
    for (int i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void tg_config_free(tg_config *cfg)
{
    for (int i = 0; i < cfg->nsuites; i++) {
        tg_suite *s = &cfg->suites[i];
        free(s->name);
        free(s->format);
        free_list(s->patterns, s->npatterns);
        free_list(s->services, s->nservices);
        free_list(s->env, s->nenv);
    }
    for (int i = 0; i < cfg->nservices; i++) {
        tg_service *s = &cfg->services[i];
        free(s->name);
        free(s->command);
        free(s->ready);
        free_list(s->env, s->nenv);
    }
    free(cfg->suites);
    free(cfg->services);
    free(cfg->path);
    free(cfg->history);
    tg_ydoc_free(&cfg->doc);
    memset(cfg, 0, sizeof *cfg);
}

const tg_suite *tg_config_suite(const tg_config *cfg, const char *name)
{
    for (int i = 0; i < cfg->nsuites; i++)
        if (strcmp(cfg->suites[i].name, name) == 0)
            return &cfg->suites[i];
    return NULL;
}

const tg_service *tg_config_service(const tg_config *cfg, const char *name)
{
    for (int i = 0; i < cfg->nservices; i++)
        if (strcmp(cfg->services[i].name, name) == 0)
            return &cfg->services[i];
    return NULL;
}

static const char *lookup(const char *name, size_t n, char *const *extra, int nextra)
{
    for (int i = 0; i < nextra; i++)
        if (strncmp(extra[i], name, n) == 0 && extra[i][n] == '=')
            return extra[i] + n + 1;
    char *key = tg_strndup(name, n);
    const char *v = getenv(key);
    free(key);
    return v;
}

char *tg_expand(const char *s, char *const *extra, int nextra)
{
    tg_buf b;
    tg_buf_init(&b);
    tg_buf_add(&b, "", 0);
    while (*s) {
        const char *close;
        if (s[0] == '$' && s[1] == '{' && (close = strchr(s + 2, '}'))) {
            const char *name = s + 2, *def = NULL;
            const char *colon = memchr(name, ':', (size_t)(close - name));
            size_t n = (size_t)(close - name);
            if (colon && colon[1] == '-') {
                n = (size_t)(colon - name);
                def = colon + 2;
            }
            const char *v = lookup(name, n, extra, nextra);
            if (v && *v)
                tg_buf_adds(&b, v);
            else if (def)
                tg_buf_add(&b, def, (size_t)(close - def));
            s = close + 1;
            continue;
        }
        tg_buf_add(&b, s, 1);
        s++;
    }
    return tg_buf_steal(&b);
}
