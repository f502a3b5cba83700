/* smoke_spec.c: smoke specs from YAML (smoke.h). No network here, so the
 * fuzz target can drive it alone. Every refusal names file:line and what to
 * write instead. */
#include "smoke.h"
#include "tg.h"
#include "yamltree.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct {
    const char *path;
    tg_smoke_spec *spec;
    /* variables a check may use: captures of earlier checks */
    char **vars;
    size_t nvars;
} parser;

static int perr(const parser *P, const tg_ynode *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int perr(const parser *P, const tg_ynode *at, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    tg_error(P->path, at ? at->line : 0, "%s", msg);
    return TG_ECONFIG;
}

/* ---- variables ---------------------------------------------------------- */

static void add_json_escaped(tg_buf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            tg_buf_addf(b, "\\%c", *p);
        else if (*p < 0x20)
            tg_buf_addf(b, "\\u%04x", *p);
        else
            tg_buf_add(b, p, 1);
    }
}

char *tg_smoke_expand(const char *s, tg_smoke_lookup lookup, void *ctx, int json_escape,
                      char **missing)
{
    tg_buf b;
    tg_buf_init(&b);
    tg_buf_add(&b, "", 0);
    if (missing)
        *missing = NULL;
    for (const char *p = s; *p;) {
        if (p[0] == '$' && p[1] == '$' && p[2] == '{') {
            tg_buf_adds(&b, "${");
            p += 3;
            continue;
        }
        if (!(p[0] == '$' && p[1] == '{')) {
            tg_buf_add(&b, p, 1);
            p++;
            continue;
        }
        const char *end = strchr(p + 2, '}');
        if (!end) { /* not a reference: keep the text as it is */
            tg_buf_adds(&b, p);
            break;
        }
        char *inner = tg_strndup(p + 2, (size_t)(end - p - 2));
        char *dflt = strstr(inner, ":-");
        if (dflt) {
            *dflt = '\0';
            dflt += 2;
        }
        const char *v = inner[0] ? lookup(ctx, inner) : NULL;
        if (!v || (!*v && dflt))
            v = dflt;
        if (!v) {
            if (missing)
                *missing = tg_strdup(inner);
            free(inner);
            tg_buf_free(&b);
            return NULL;
        }
        if (json_escape)
            add_json_escaped(&b, v);
        else
            tg_buf_adds(&b, v);
        free(inner);
        p = end + 1;
    }
    return tg_buf_steal(&b);
}

static const char *parse_lookup(void *ctx, const char *name)
{
    const parser *P = ctx;
    for (size_t i = 0; i < P->nvars; i++)
        if (strcmp(P->vars[i], name) == 0)
            return "x";
    if (strcmp(name, "TARGET_URL") == 0)
        return "x";
    return getenv(name);
}

/* Refuses a string that names a variable nobody will set. */
static int check_vars(const parser *P, const tg_ynode *at, const char *s)
{
    char *missing;
    char *out = tg_smoke_expand(s, parse_lookup, (void *)P, 0, &missing);
    if (out) {
        free(out);
        return 0;
    }
    perr(P, at,
         "${%s} is not set in the environment and no earlier check captures it; export it, "
         "give a default as ${%s:-value}, or capture it in an earlier check",
         missing, missing);
    free(missing);
    return TG_ECONFIG;
}

/* ---- scalars ------------------------------------------------------------ */

static int need_kind(const parser *P, const tg_ynode *n, tg_ykind kind, const char *what)
{
    static const char *const names[] = {"a scalar", "a mapping", "a list"};
    if (n && n->kind == kind)
        return 0;
    return perr(P, n, "%s must be %s", what, names[kind]);
}

static int get_str(const parser *P, const tg_ynode *n, const char *what, char **out)
{
    if (need_kind(P, n, TG_Y_SCALAR, what) != 0)
        return TG_ECONFIG;
    if (strlen(n->value) != n->len)
        return perr(P, n, "%s holds a NUL byte", what);
    free(*out);
    *out = tg_strdup(n->value);
    return 0;
}

static int get_num(const parser *P, const tg_ynode *n, const char *what, double lo, double hi,
                   double *out)
{
    if (need_kind(P, n, TG_Y_SCALAR, what) != 0)
        return TG_ECONFIG;
    char *end;
    errno = 0;
    double v = strtod(n->value, &end);
    if (errno || end == n->value || *end || !isfinite(v) || v < lo || v > hi)
        return perr(P, n, "%s must be a number from %g to %g, not \"%s\"", what, lo, hi,
                    n->value);
    *out = v;
    return 0;
}

static int get_int(const parser *P, const tg_ynode *n, const char *what, int lo, int hi, int *out)
{
    double v;
    if (get_num(P, n, what, lo, hi, &v) != 0)
        return TG_ECONFIG;
    if (v != floor(v))
        return perr(P, n, "%s must be a whole number, not \"%s\"", what, n->value);
    *out = (int)v;
    return 0;
}

static int get_bool(const parser *P, const tg_ynode *n, const char *what, int *out)
{
    if (need_kind(P, n, TG_Y_SCALAR, what) != 0)
        return TG_ECONFIG;
    const char *v = n->value;
    if (!strcmp(v, "true") || !strcmp(v, "True") || !strcmp(v, "yes") || !strcmp(v, "on"))
        *out = 1;
    else if (!strcmp(v, "false") || !strcmp(v, "False") || !strcmp(v, "no") || !strcmp(v, "off"))
        *out = 0;
    else
        return perr(P, n, "%s must be true or false, not \"%s\"", what, v);
    return 0;
}

static int get_duration(const parser *P, const tg_ynode *n, const char *what, double *out)
{
    if (need_kind(P, n, TG_Y_SCALAR, what) != 0)
        return TG_ECONFIG;
    double v;
    if (tg_parse_duration(n->value, &v) != 0 || v > 86400)
        return perr(P, n, "%s must be a duration like 10s, 250ms or 2m, not \"%s\"", what,
                    n->value);
    *out = v;
    return 0;
}

static int get_regex(const parser *P, const tg_ynode *n, const char *what, char **text,
                     regex_t *re)
{
    if (get_str(P, n, what, text) != 0)
        return TG_ECONFIG;
    int rc = regcomp(re, *text, REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
        char why[256];
        regerror(rc, re, why, sizeof why);
        regfree(re);
        free(*text);
        *text = NULL;
        return perr(P, n, "%s is not a valid POSIX extended regular expression: %s", what, why);
    }
    return 0;
}

static int get_redirects(const parser *P, const tg_ynode *n, tg_redir_policy *out)
{
    const char *v = tg_y_str(n);
    if (v && !strcmp(v, "none"))
        *out = TG_REDIR_NONE;
    else if (v && !strcmp(v, "same-host"))
        *out = TG_REDIR_SAME_HOST;
    else if (v && !strcmp(v, "any"))
        *out = TG_REDIR_ANY;
    else
        return perr(P, n, "redirects must be none, same-host or any");
    return 0;
}

/* Every map key must be a plain scalar from the allowed list. */
static int check_keys(const parser *P, const tg_ynode *map, const char *const *allowed,
                      const char *where)
{
    for (size_t i = 0; i < map->n; i++) {
        const tg_ynode *k = map->keys[i];
        if (k->kind != TG_Y_SCALAR)
            return perr(P, k, "a key in %s must be a plain word", where);
        int ok = 0;
        for (const char *const *a = allowed; *a; a++)
            if (strcmp(k->value, *a) == 0)
                ok = 1;
        if (!ok) {
            tg_buf b;
            tg_buf_init(&b);
            for (const char *const *a = allowed; *a; a++)
                tg_buf_addf(&b, "%s%s", a == allowed ? "" : ", ", *a);
            perr(P, k, "unknown key '%s' in %s; known keys: %s", k->value, where, b.data);
            tg_buf_free(&b);
            return TG_ECONFIG;
        }
    }
    return 0;
}

/* ---- pieces of a check -------------------------------------------------- */

static void add_header(tg_smoke_header **hs, size_t *n, const char *name, const char *value,
                       int secret)
{
    *hs = tg_realloc(*hs, sizeof **hs * (*n + 1));
    (*hs)[*n].name = tg_strdup(name);
    (*hs)[*n].value = tg_strdup(value);
    (*hs)[*n].secret = secret || tg_smoke_header_is_secret(name);
    (*n)++;
}

static int valid_header_name(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || strchr("!#$%&'*+-.^_`|~", *s)))
            return 0;
    return 1;
}

static int parse_headers(parser *P, const tg_ynode *map, tg_smoke_header **hs, size_t *n)
{
    if (need_kind(P, map, TG_Y_MAP, "headers") != 0)
        return TG_ECONFIG;
    for (size_t i = 0; i < map->n; i++) {
        const tg_ynode *k = map->keys[i], *v = map->vals[i];
        if (k->kind != TG_Y_SCALAR || !valid_header_name(k->value))
            return perr(P, k, "a header name must be a token like X-Api-Key");
        char *value = NULL;
        int secret = 0;
        if (v->kind == TG_Y_MAP) {
            static const char *const keys[] = {"value", "secret", NULL};
            if (check_keys(P, v, keys, "a header") != 0 ||
                get_str(P, tg_y_get(v, "value"), "a header's value", &value) != 0)
                return TG_ECONFIG;
            if (tg_y_get(v, "secret") &&
                get_bool(P, tg_y_get(v, "secret"), "secret", &secret) != 0) {
                free(value);
                return TG_ECONFIG;
            }
        } else if (get_str(P, v, "a header's value", &value) != 0) {
            return TG_ECONFIG;
        }
        if (strpbrk(value, "\r\n")) {
            free(value);
            return perr(P, v, "a header value cannot hold a line break");
        }
        if (check_vars(P, v, value) != 0) {
            free(value);
            return TG_ECONFIG;
        }
        add_header(hs, n, k->value, value, secret);
        free(value);
    }
    return 0;
}

static cJSON *yaml_to_json(const tg_ynode *n)
{
    switch (n->kind) {
    case TG_Y_MAP: {
        cJSON *o = cJSON_CreateObject();
        for (size_t i = 0; i < n->n; i++)
            cJSON_AddItemToObject(o, n->keys[i]->value ? n->keys[i]->value : "",
                                  yaml_to_json(n->vals[i]));
        return o;
    }
    case TG_Y_SEQ: {
        cJSON *a = cJSON_CreateArray();
        for (size_t i = 0; i < n->n; i++)
            cJSON_AddItemToArray(a, yaml_to_json(n->vals[i]));
        return a;
    }
    default: break;
    }
    if (n->quoted)
        return cJSON_CreateString(n->value);
    if (tg_y_is_null(n))
        return cJSON_CreateNull();
    if (!strcmp(n->value, "true"))
        return cJSON_CreateTrue();
    if (!strcmp(n->value, "false"))
        return cJSON_CreateFalse();
    char *end;
    double v = strtod(n->value, &end);
    if (end != n->value && !*end && isfinite(v))
        return cJSON_CreateNumber(v);
    return cJSON_CreateString(n->value);
}

/* Walks every string of a JSON body for variables. */
static int check_json_vars(parser *P, const tg_ynode *n)
{
    if (n->kind == TG_Y_SCALAR)
        return check_vars(P, n, n->value);
    for (size_t i = 0; i < n->n; i++)
        if ((n->keys && check_vars(P, n->keys[i], n->keys[i]->value ? n->keys[i]->value : "")) ||
            check_json_vars(P, n->vals[i]))
            return TG_ECONFIG;
    return 0;
}

static int parse_status(parser *P, const tg_ynode *n, tg_smoke_check *c)
{
    const tg_ynode *one = n;
    size_t count = n->kind == TG_Y_SEQ ? n->n : 1;
    if (n->kind == TG_Y_MAP || count == 0)
        return perr(P, n, "status must be a code like 200, a class like 2xx, or a list of them");
    c->statuses = tg_calloc(count, sizeof *c->statuses);
    for (size_t i = 0; i < count; i++) {
        if (n->kind == TG_Y_SEQ)
            one = n->vals[i];
        const char *v = tg_y_str(one);
        if (v && strlen(v) == 3 && v[0] >= '1' && v[0] <= '5' && (v[1] == 'x' || v[1] == 'X') &&
            (v[2] == 'x' || v[2] == 'X')) {
            c->statuses[c->nstatuses++] = v[0] - '0'; /* a class */
            continue;
        }
        int code;
        if (get_int(P, one, "status", 100, 599, &code) != 0)
            return TG_ECONFIG;
        c->statuses[c->nstatuses++] = code;
    }
    return 0;
}

static int parse_hexpects(parser *P, const tg_ynode *map, tg_smoke_check *c)
{
    if (need_kind(P, map, TG_Y_MAP, "expect.headers") != 0)
        return TG_ECONFIG;
    c->hexpects = tg_calloc(map->n ? map->n : 1, sizeof *c->hexpects);
    for (size_t i = 0; i < map->n; i++) {
        const tg_ynode *k = map->keys[i], *v = map->vals[i];
        if (k->kind != TG_Y_SCALAR || !valid_header_name(k->value))
            return perr(P, k, "a header name must be a token like Content-Type");
        tg_smoke_hexpect *h = &c->hexpects[c->nhexpects++];
        h->name = tg_strdup(k->value);
        h->line = k->line;
        h->kind = TG_HX_EXACT;
        if (v->kind != TG_Y_MAP) {
            if (get_str(P, v, "an expected header value", &h->value) != 0)
                return TG_ECONFIG;
            if (check_vars(P, v, h->value) != 0)
                return TG_ECONFIG;
            continue;
        }
        static const char *const keys[] = {"equals", "pattern", "present", "absent", NULL};
        if (check_keys(P, v, keys, "a header expectation") != 0)
            return TG_ECONFIG;
        if (v->n != 1)
            return perr(P, v, "a header expectation takes one of equals, pattern, present, absent");
        const char *op = v->keys[0]->value;
        const tg_ynode *arg = v->vals[0];
        int flag;
        if (!strcmp(op, "equals")) {
            if (get_str(P, arg, "equals", &h->value) != 0 || check_vars(P, arg, h->value) != 0)
                return TG_ECONFIG;
        } else if (!strcmp(op, "pattern")) {
            if (get_regex(P, arg, "pattern", &h->value, &h->re) != 0)
                return TG_ECONFIG;
            h->kind = TG_HX_PATTERN;
        } else {
            if (get_bool(P, arg, op, &flag) != 0)
                return TG_ECONFIG;
            int present = !strcmp(op, "present") ? flag : !flag;
            h->kind = present ? TG_HX_PRESENT : TG_HX_ABSENT;
        }
    }
    return 0;
}

static int valid_json_path(const char *p)
{
    if (!strncmp(p, "$.", 2))
        p += 2;
    else if (!strcmp(p, "$"))
        return 1;
    if (!*p)
        return 0;
    while (*p) {
        if (*p == '[') {
            p++;
            if (!isdigit((unsigned char)*p))
                return 0;
            while (isdigit((unsigned char)*p))
                p++;
            if (*p++ != ']')
                return 0;
        } else {
            size_t n = strcspn(p, ".[");
            if (n == 0)
                return 0;
            p += n;
        }
        if (*p == '.') {
            p++;
            if (!*p || *p == '.' || *p == '[')
                return 0;
        }
    }
    return 1;
}

static int parse_jexpects(parser *P, const tg_ynode *map, tg_smoke_check *c)
{
    if (need_kind(P, map, TG_Y_MAP, "expect.json") != 0)
        return TG_ECONFIG;
    c->jexpects = tg_calloc(map->n ? map->n : 1, sizeof *c->jexpects);
    for (size_t i = 0; i < map->n; i++) {
        const tg_ynode *k = map->keys[i], *v = map->vals[i];
        if (k->kind != TG_Y_SCALAR || !valid_json_path(k->value))
            return perr(P, k, "a JSON path looks like status, data.items[0].id or $.a.b");
        tg_smoke_jexpect *j = &c->jexpects[c->njexpects++];
        j->path = tg_strdup(k->value);
        j->line = k->line;
        j->exists = -1;
        if (v->kind == TG_Y_SCALAR) {
            j->equals = tg_strdup(v->value);
            j->equals_quoted = v->quoted;
            if (check_vars(P, v, j->equals) != 0)
                return TG_ECONFIG;
            continue;
        }
        if (v->kind != TG_Y_MAP)
            return perr(P, v, "a JSON expectation is a value to equal or a mapping of checks");
        static const char *const keys[] = {"equals", "pattern", "type", "exists",
                                           "gt",     "ge",      "lt",   "le", NULL};
        if (check_keys(P, v, keys, "a JSON expectation") != 0)
            return TG_ECONFIG;
        if (v->n == 0)
            return perr(P, v, "a JSON expectation needs at least one of %s", "equals, pattern, type, exists, gt, ge, lt, le");
        for (size_t m = 0; m < v->n; m++) {
            const char *op = v->keys[m]->value;
            const tg_ynode *arg = v->vals[m];
            if (!strcmp(op, "equals")) {
                if (get_str(P, arg, "equals", &j->equals) != 0 ||
                    check_vars(P, arg, j->equals) != 0)
                    return TG_ECONFIG;
                j->equals_quoted = arg->quoted;
            } else if (!strcmp(op, "pattern")) {
                if (get_regex(P, arg, "pattern", &j->pattern, &j->re) != 0)
                    return TG_ECONFIG;
            } else if (!strcmp(op, "type")) {
                static const char *const types[] = {"string", "number", "boolean", "object",
                                                    "array",  "null",   NULL};
                const char *t = tg_y_str(arg);
                int ok = 0;
                for (const char *const *x = types; t && *x; x++)
                    ok |= !strcmp(t, *x);
                if (!ok)
                    return perr(P, arg, "type must be string, number, boolean, object, array or null");
                j->type = tg_strdup(t);
            } else if (!strcmp(op, "exists")) {
                if (get_bool(P, arg, "exists", &j->exists) != 0)
                    return TG_ECONFIG;
            } else {
                double num;
                if (get_num(P, arg, op, -1e300, 1e300, &num) != 0)
                    return TG_ECONFIG;
                if (!strcmp(op, "gt"))
                    j->has_gt = 1, j->gt = num;
                else if (!strcmp(op, "ge"))
                    j->has_ge = 1, j->ge = num;
                else if (!strcmp(op, "lt"))
                    j->has_lt = 1, j->lt = num;
                else
                    j->has_le = 1, j->le = num;
            }
        }
    }
    return 0;
}

static int parse_expect(parser *P, const tg_ynode *map, tg_smoke_check *c)
{
    static const char *const keys[] = {"status", "headers", "json", "body", "max_ms",
                                       "tls_days_left", NULL};
    if (need_kind(P, map, TG_Y_MAP, "expect") != 0 || check_keys(P, map, keys, "expect") != 0)
        return TG_ECONFIG;
    const tg_ynode *n;
    if ((n = tg_y_get(map, "status")) && parse_status(P, n, c) != 0)
        return TG_ECONFIG;
    if ((n = tg_y_get(map, "headers")) && parse_hexpects(P, n, c) != 0)
        return TG_ECONFIG;
    if ((n = tg_y_get(map, "json")) && parse_jexpects(P, n, c) != 0)
        return TG_ECONFIG;
    if ((n = tg_y_get(map, "body"))) {
        static const char *const bkeys[] = {"pattern", NULL};
        if (need_kind(P, n, TG_Y_MAP, "expect.body") != 0 ||
            check_keys(P, n, bkeys, "expect.body") != 0)
            return TG_ECONFIG;
        if (!tg_y_get(n, "pattern"))
            return perr(P, n, "expect.body needs a pattern");
        if (get_regex(P, tg_y_get(n, "pattern"), "expect.body.pattern", &c->body_pattern,
                      &c->body_re) != 0)
            return TG_ECONFIG;
    }
    if ((n = tg_y_get(map, "max_ms")) && get_num(P, n, "max_ms", 0, 3.6e6, &c->max_ms) != 0)
        return TG_ECONFIG;
    if ((n = tg_y_get(map, "tls_days_left")) &&
        get_int(P, n, "tls_days_left", 0, 100000, &c->tls_days_min) != 0)
        return TG_ECONFIG;
    return 0;
}

static void add_var(parser *P, const char *name)
{
    P->vars = tg_realloc(P->vars, sizeof *P->vars * (P->nvars + 1));
    P->vars[P->nvars++] = tg_strdup(name);
}

static int valid_var_name(const char *s)
{
    if (!*s || isdigit((unsigned char)*s))
        return 0;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_'))
            return 0;
    return 1;
}

static int parse_captures(parser *P, const tg_ynode *map, tg_smoke_check *c)
{
    if (need_kind(P, map, TG_Y_MAP, "capture") != 0)
        return TG_ECONFIG;
    c->captures = tg_calloc(map->n ? map->n : 1, sizeof *c->captures);
    for (size_t i = 0; i < map->n; i++) {
        const tg_ynode *k = map->keys[i], *v = map->vals[i];
        static const char *const keys[] = {"json", "header", NULL};
        if (k->kind != TG_Y_SCALAR || !valid_var_name(k->value))
            return perr(P, k, "a capture name is a variable name like project_id");
        if (need_kind(P, v, TG_Y_MAP, "a capture") != 0 ||
            check_keys(P, v, keys, "a capture") != 0 || v->n != 1)
            return perr(P, v, "a capture takes one of json: PATH or header: NAME");
        tg_smoke_capture *cap = &c->captures[c->ncaptures++];
        cap->var = tg_strdup(k->value);
        cap->line = k->line;
        cap->kind = !strcmp(v->keys[0]->value, "json") ? TG_CAP_JSON : TG_CAP_HEADER;
        if (get_str(P, v->vals[0], "a capture source", &cap->from) != 0)
            return TG_ECONFIG;
        if (cap->kind == TG_CAP_JSON && !valid_json_path(cap->from))
            return perr(P, v->vals[0], "a JSON path looks like id or data.items[0].id");
        if (cap->kind == TG_CAP_HEADER && !valid_header_name(cap->from))
            return perr(P, v->vals[0], "a header name must be a token like X-Trace-ID");
        if (cap->kind == TG_CAP_JSON)
            c->expects_json = 1;
    }
    return 0;
}

static int parse_rate(const parser *P, const tg_ynode *n, double *out)
{
    const char *v = tg_y_str(n);
    if (v && *v && v[strlen(v) - 1] == '%') {
        char *end;
        double pct = strtod(v, &end);
        if (end != v && *end == '%' && pct >= 0 && pct <= 100) {
            *out = pct / 100.0;
            return 0;
        }
        return perr(P, n, "max_error_rate must be from 0 to 1, or a percentage like 1%%");
    }
    return get_num(P, n, "max_error_rate", 0, 1, out);
}

static int parse_load(parser *P, const tg_ynode *map, tg_smoke_load *L)
{
    static const char *const keys[] = {"requests", "concurrency", "p50_ms", "p95_ms",
                                       "p99_ms",   "max_error_rate", NULL};
    if (need_kind(P, map, TG_Y_MAP, "load") != 0 || check_keys(P, map, keys, "load") != 0)
        return TG_ECONFIG;
    const tg_ynode *n;
    L->concurrency = 1;
    if (!(n = tg_y_get(map, "requests")))
        return perr(P, map, "load needs requests: the number of requests to send");
    if (get_int(P, n, "requests", 1, TG_SMOKE_MAX_LOAD_REQUESTS, &L->requests) != 0)
        return TG_ECONFIG;
    if ((n = tg_y_get(map, "concurrency")) &&
        get_int(P, n, "concurrency", 1, TG_SMOKE_MAX_LOAD_CONCURRENCY, &L->concurrency) != 0)
        return TG_ECONFIG;
    if ((n = tg_y_get(map, "p50_ms")) && get_num(P, n, "p50_ms", 0, 3.6e6, &L->p50_ms) != 0)
        return TG_ECONFIG;
    if ((n = tg_y_get(map, "p95_ms")) && get_num(P, n, "p95_ms", 0, 3.6e6, &L->p95_ms) != 0)
        return TG_ECONFIG;
    if ((n = tg_y_get(map, "p99_ms")) && get_num(P, n, "p99_ms", 0, 3.6e6, &L->p99_ms) != 0)
        return TG_ECONFIG;
    if ((n = tg_y_get(map, "max_error_rate")) && parse_rate(P, n, &L->max_error_rate) != 0)
        return TG_ECONFIG;
    return 0;
}

static int valid_method(const char *m)
{
    if (!*m || strlen(m) > 16)
        return 0;
    for (; *m; m++)
        if (!isupper((unsigned char)*m))
            return 0;
    return 1;
}

static int parse_target(parser *P, const tg_ynode *n, const char *what, char **out)
{
    if (get_str(P, n, what, out) != 0 || check_vars(P, n, *out) != 0)
        return TG_ECONFIG;
    const char *t = *out;
    if (strpbrk(t, " \t\r\n"))
        return perr(P, n, "%s cannot hold spaces or line breaks (encode them as %%20)", what);
    if (!strcmp(what, "path") && t[0] != '/' && strncmp(t, "${", 2) != 0)
        return perr(P, n, "path must start with / (it is joined to the base URL)");
    if (!strcmp(what, "url") && strncmp(t, "http://", 7) && strncmp(t, "https://", 8) &&
        strncmp(t, "${", 2))
        return perr(P, n, "url must start with http:// or https://");
    return 0;
}

static int parse_check(parser *P, const tg_ynode *map, tg_smoke_check *c, int parallel)
{
    static const char *const keys[] = {"name",    "description", "method",   "path",
                                       "url",     "headers",     "json",     "body",
                                       "expect",  "capture",     "retries",  "interval",
                                       "timeout", "redirects",   "load",     NULL};
    c->line = map->line;
    c->max_ms = -1;
    c->tls_days_min = -1;
    c->load.p50_ms = c->load.p95_ms = c->load.p99_ms = -1;
    c->interval = -1;
    if (need_kind(P, map, TG_Y_MAP, "a check") != 0 || check_keys(P, map, keys, "a check") != 0)
        return TG_ECONFIG;
    const tg_ynode *n;
    if (!(n = tg_y_get(map, "name")))
        return perr(P, map, "a check needs a name (it becomes the id smoke/%s/NAME)",
                    P->spec->name);
    if (get_str(P, n, "name", &c->name) != 0)
        return TG_ECONFIG;
    if (!*c->name || strlen(c->name) > 200 || strpbrk(c->name, "/\t\r\n"))
        return perr(P, n, "a check name must be 1 to 200 characters without / or line breaks");
    for (size_t i = 0; i < (size_t)(c - P->spec->checks); i++)
        if (!strcmp(P->spec->checks[i].name, c->name))
            return perr(P, n, "two checks are named \"%s\" (first at line %d); names must be unique",
                        c->name, P->spec->checks[i].line);
    c->method = tg_strdup("GET");
    if ((n = tg_y_get(map, "method"))) {
        if (get_str(P, n, "method", &c->method) != 0)
            return TG_ECONFIG;
        if (!valid_method(c->method))
            return perr(P, n, "method must be an upper-case HTTP method like GET or POST");
    }
    const tg_ynode *path = tg_y_get(map, "path"), *url = tg_y_get(map, "url");
    if ((path != NULL) == (url != NULL))
        return perr(P, map, "a check needs exactly one of path (joined to the base URL) or url");
    if (parse_target(P, path ? path : url, path ? "path" : "url", &c->target) != 0)
        return TG_ECONFIG;
    if ((n = tg_y_get(map, "headers")) && parse_headers(P, n, &c->headers, &c->nheaders) != 0)
        return TG_ECONFIG;
    const tg_ynode *json = tg_y_get(map, "json"), *body = tg_y_get(map, "body");
    if (json && body)
        return perr(P, json, "a check takes json (a JSON body) or body (raw text), not both");
    if (json) {
        if (check_json_vars(P, json) != 0)
            return TG_ECONFIG;
        cJSON *j = yaml_to_json(json);
        char *text = cJSON_PrintUnformatted(j);
        cJSON_Delete(j);
        c->body = tg_strdup(text ? text : "null");
        cJSON_free(text);
        c->body_is_json = 1;
    } else if (body) {
        if (get_str(P, body, "body", &c->body) != 0 || check_vars(P, body, c->body) != 0)
            return TG_ECONFIG;
    }
    if ((n = tg_y_get(map, "retries")) && get_int(P, n, "retries", 1, 1000, &c->tries) != 0)
        return TG_ECONFIG;
    if ((n = tg_y_get(map, "interval")) && get_duration(P, n, "interval", &c->interval) != 0)
        return TG_ECONFIG;
    if ((n = tg_y_get(map, "timeout"))) {
        if (get_duration(P, n, "timeout", &c->timeout) != 0)
            return TG_ECONFIG;
        if (c->timeout == 0)
            return perr(P, n, "timeout must be more than 0");
    }
    if ((n = tg_y_get(map, "redirects")) && get_redirects(P, n, &c->redirects) != 0)
        return TG_ECONFIG;
    if ((n = tg_y_get(map, "load")) && parse_load(P, n, &c->load) != 0)
        return TG_ECONFIG;
    if ((n = tg_y_get(map, "expect")) && parse_expect(P, n, c) != 0)
        return TG_ECONFIG;
    if (c->njexpects)
        c->expects_json = 1;
    if ((n = tg_y_get(map, "capture"))) {
        if (parallel)
            return perr(P, n, "captures need checks run in order; remove parallel: true");
        if (parse_captures(P, n, c) != 0)
            return TG_ECONFIG;
        for (size_t i = 0; i < c->ncaptures; i++)
            add_var(P, c->captures[i].var);
    }
    return 0;
}

static char *spec_name_of(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    const char *dot = strrchr(base, '.');
    if (dot && dot != base)
        n = (size_t)(dot - base);
    return n ? tg_strndup(base, n) : tg_strdup("spec");
}

static int parse_spec(parser *P, const tg_ynode *root)
{
    static const char *const keys[] = {"description", "base_url", "retries", "interval",
                                       "timeout",     "tls",      "redirects", "parallel",
                                       "max_body_bytes", "secrets", "headers", "checks", NULL};
    tg_smoke_spec *s = P->spec;
    if (!root)
        return perr(P, NULL, "the spec is empty; it needs a checks: list");
    if (need_kind(P, root, TG_Y_MAP, "a smoke spec") != 0 ||
        check_keys(P, root, keys, "a smoke spec") != 0)
        return TG_ECONFIG;
    const tg_ynode *n;
    if ((n = tg_y_get(root, "base_url")) && parse_target(P, n, "url", &s->base_url) != 0)
        return TG_ECONFIG;
    if ((n = tg_y_get(root, "retries")) && get_int(P, n, "retries", 1, 1000, &s->tries) != 0)
        return TG_ECONFIG;
    if ((n = tg_y_get(root, "interval")) && get_duration(P, n, "interval", &s->interval) != 0)
        return TG_ECONFIG;
    if ((n = tg_y_get(root, "timeout")) &&
        (get_duration(P, n, "timeout", &s->timeout) != 0 || s->timeout == 0))
        return s->timeout == 0 ? perr(P, n, "timeout must be more than 0") : TG_ECONFIG;
    if ((n = tg_y_get(root, "tls"))) {
        static const char *const tkeys[] = {"verify", "ca_file", NULL};
        if (need_kind(P, n, TG_Y_MAP, "tls") != 0 || check_keys(P, n, tkeys, "tls") != 0)
            return TG_ECONFIG;
        if (tg_y_get(n, "verify") && get_bool(P, tg_y_get(n, "verify"), "verify", &s->tls_verify))
            return TG_ECONFIG;
        if (tg_y_get(n, "ca_file") &&
            (get_str(P, tg_y_get(n, "ca_file"), "ca_file", &s->ca_file) != 0 ||
             check_vars(P, tg_y_get(n, "ca_file"), s->ca_file) != 0))
            return TG_ECONFIG;
    }
    if ((n = tg_y_get(root, "redirects")) && get_redirects(P, n, &s->redirects) != 0)
        return TG_ECONFIG;
    if ((n = tg_y_get(root, "parallel")) && get_bool(P, n, "parallel", &s->parallel) != 0)
        return TG_ECONFIG;
    if ((n = tg_y_get(root, "max_body_bytes"))) {
        int mb;
        if (get_int(P, n, "max_body_bytes", 1, 256 * 1024 * 1024, &mb) != 0)
            return TG_ECONFIG;
        s->max_body = (size_t)mb;
    }
    if ((n = tg_y_get(root, "secrets"))) {
        if (need_kind(P, n, TG_Y_SEQ, "secrets (a list of header names)") != 0)
            return TG_ECONFIG;
        s->secret_names = tg_calloc(n->n ? n->n : 1, sizeof *s->secret_names);
        for (size_t i = 0; i < n->n; i++) {
            const char *v = tg_y_str(n->vals[i]);
            if (!v || !valid_header_name(v))
                return perr(P, n->vals[i], "secrets lists header names like X-Internal-Token");
            s->secret_names[s->nsecret_names++] = tg_strdup(v);
        }
    }
    if ((n = tg_y_get(root, "headers")) && parse_headers(P, n, &s->headers, &s->nheaders) != 0)
        return TG_ECONFIG;
    if (!(n = tg_y_get(root, "checks")))
        return perr(P, root, "a smoke spec needs a checks: list");
    if (need_kind(P, n, TG_Y_SEQ, "checks") != 0)
        return TG_ECONFIG;
    if (n->n == 0)
        return perr(P, n, "checks is empty; a spec that checks nothing proves nothing");
    s->checks = tg_calloc(n->n, sizeof *s->checks);
    for (size_t i = 0; i < n->n; i++) {
        s->nchecks++;
        if (parse_check(P, n->vals[i], &s->checks[i], s->parallel) != 0)
            return TG_ECONFIG;
    }
    return 0;
}

/* Headers named in secrets: are secret wherever they appear. */
static void apply_secret_names(tg_smoke_spec *s)
{
    for (size_t k = 0; k < s->nsecret_names; k++) {
        for (size_t i = 0; i < s->nheaders; i++)
            if (!strcasecmp(s->headers[i].name, s->secret_names[k]))
                s->headers[i].secret = 1;
        for (size_t c = 0; c < s->nchecks; c++)
            for (size_t i = 0; i < s->checks[c].nheaders; i++)
                if (!strcasecmp(s->checks[c].headers[i].name, s->secret_names[k]))
                    s->checks[c].headers[i].secret = 1;
    }
}

int tg_smoke_spec_parse(const char *text, size_t len, const char *path, tg_smoke_spec **out)
{
    tg_ydoc doc;
    tg_smoke_spec *s = tg_calloc(1, sizeof *s);
    s->path = tg_strdup(path);
    s->name = spec_name_of(path);
    s->tls_verify = 1;
    s->interval = -1;
    s->max_body = TG_SMOKE_MAX_BODY;
    parser P = {.path = path, .spec = s};
    int rc = TG_ECONFIG;
    if (tg_yaml_load(text, len, &doc) != 0) {
        tg_error(path, doc.err_line, "not valid YAML: %s", doc.error);
    } else if (doc.ndups) {
        tg_error(path, doc.dups[0].line, "duplicate key '%s' (first at line %d); keep one",
                 doc.dups[0].key, doc.dups[0].first_line);
    } else if (doc.ndocs > 1) {
        tg_error(path, 0, "holds %d YAML documents; put one spec in each file", doc.ndocs);
    } else {
        rc = parse_spec(&P, doc.root);
    }
    tg_ydoc_free(&doc);
    for (size_t i = 0; i < P.nvars; i++)
        free(P.vars[i]);
    free(P.vars);
    if (rc != 0) {
        tg_smoke_spec_free(s);
        return rc;
    }
    apply_secret_names(s);
    *out = s;
    return 0;
}

int tg_smoke_spec_load(const char *path, tg_smoke_spec **out)
{
    size_t len;
    char *text = tg_read_file(path, &len);
    if (!text) {
        tg_error(path, 0, "cannot read the smoke spec: %s", strerror(errno));
        return TG_EIO;
    }
    int rc = tg_smoke_spec_parse(text, len, path, out);
    free(text);
    return rc;
}

tg_smoke_spec *tg_smoke_spec_default(void)
{
    static const char text[] = "checks:\n"
                               "  - name: health\n"
                               "    path: /health\n"
                               "    expect: {status: 200}\n";
    tg_smoke_spec *s = NULL;
    if (tg_smoke_spec_parse(text, sizeof text - 1, "default", &s) != 0)
        abort(); /* the built-in text is a constant: failing here is a bug */
    free(s->path);
    s->path = NULL; /* no file to point at */
    return s;
}

static void free_headers(tg_smoke_header *h, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(h[i].name);
        free(h[i].value);
    }
    free(h);
}

static void free_check(tg_smoke_check *c)
{
    free(c->name);
    free(c->method);
    free(c->target);
    free_headers(c->headers, c->nheaders);
    free(c->body);
    free(c->statuses);
    for (size_t i = 0; i < c->nhexpects; i++) {
        if (c->hexpects[i].kind == TG_HX_PATTERN && c->hexpects[i].value)
            regfree(&c->hexpects[i].re);
        free(c->hexpects[i].name);
        free(c->hexpects[i].value);
    }
    free(c->hexpects);
    for (size_t i = 0; i < c->njexpects; i++) {
        tg_smoke_jexpect *j = &c->jexpects[i];
        if (j->pattern)
            regfree(&j->re);
        free(j->pattern);
        free(j->path);
        free(j->equals);
        free(j->type);
    }
    free(c->jexpects);
    if (c->body_pattern)
        regfree(&c->body_re);
    free(c->body_pattern);
    for (size_t i = 0; i < c->ncaptures; i++) {
        free(c->captures[i].var);
        free(c->captures[i].from);
    }
    free(c->captures);
}

void tg_smoke_spec_free(tg_smoke_spec *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nchecks; i++)
        free_check(&s->checks[i]);
    free(s->checks);
    free_headers(s->headers, s->nheaders);
    for (size_t i = 0; i < s->nsecret_names; i++)
        free(s->secret_names[i]);
    free(s->secret_names);
    free(s->path);
    free(s->name);
    free(s->base_url);
    free(s->ca_file);
    free(s);
}
