/* lint_syntax.c: YAML, JSON and the TOML subset into one positioned tree,
 * with the syntax rules (Y1 syntax, Y2 duplicate key, Y6 nesting). */
#include "lint_int.h"
#include "tg.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

void lint_offset_pos(const char *text, size_t off, int *line, int *col)
{
    int l = 1;
    size_t ls = 0;
    for (size_t i = 0; i < off; i++)
        if (text[i] == '\n') {
            l++;
            ls = i + 1;
        }
    *line = l;
    *col = (int)(off - ls) + 1;
}

static void set_scalar(tg_ynode *n, const char *s, size_t len, int quoted)
{
    free(n->value);
    n->value = tg_strndup(s, len);
    n->len = len;
    n->quoted = quoted;
}

/* ---- YAML ---- */

tg_ynode *lint_yaml_tree(lint_ctx *c, tg_ydoc *doc)
{
    int rc = tg_yaml_load(c->text, c->len, doc);
    for (size_t i = 0; i < doc->ndups; i++)
        lint_add(c, "Y2", TG_LINT_ERROR, doc->dups[i].line, doc->dups[i].col,
                 "duplicate key \"%s\" (first at line %d): YAML readers keep only the last; "
                 "remove or merge one",
                 doc->dups[i].key, doc->dups[i].first_line);
    if (rc != 0) {
        int bounded = strstr(doc->error, "nesting") || strstr(doc->error, "alias");
        lint_add(c, bounded ? "Y6" : "Y1", TG_LINT_ERROR, doc->err_line, doc->err_col,
                 "YAML: %s; %s", doc->error,
                 bounded ? "lint caps nesting and alias expansion, simplify the document"
                         : "fix the syntax at this position");
        return NULL;
    }
    return doc->root;
}

/* ---- JSON: cJSON parses; positions are found again in the text ---- */

typedef struct {
    lint_ctx *c;
    tg_ydoc *doc;
    size_t cur;
} jloc;

static void skip_ws(const char *t, size_t len, size_t *i)
{
    while (*i < len && (t[*i] == ' ' || t[*i] == '\t' || t[*i] == '\r' || t[*i] == '\n'))
        (*i)++;
}

/* Finds "key" followed by ':' at or after cur; returns its offset or -1. */
static long find_key(const char *t, size_t len, size_t from, const char *key)
{
    size_t kl = strlen(key);
    for (size_t i = from; i + kl + 2 <= len; i++) {
        if (t[i] != '"' || memcmp(t + i + 1, key, kl) != 0 || t[i + 1 + kl] != '"')
            continue;
        size_t j = i + kl + 2;
        skip_ws(t, len, &j);
        if (j < len && t[j] == ':')
            return (long)i;
    }
    return -1;
}

static tg_ynode *jnode(jloc *J, const cJSON *j, size_t at)
{
    const char *t = J->c->text;
    size_t len = J->c->len;
    int line, col;
    lint_offset_pos(t, at, &line, &col);
    if (cJSON_IsObject(j)) {
        tg_ynode *n = tg_ydoc_new_node(J->doc, TG_Y_MAP, line, col);
        J->cur = at + 1;
        for (const cJSON *m = j->child; m; m = m->next) {
            long k = find_key(t, len, J->cur, m->string ? m->string : "");
            size_t kat = k >= 0 ? (size_t)k : J->cur;
            int kl, kc;
            lint_offset_pos(t, kat, &kl, &kc);
            tg_ynode *key = tg_ydoc_new_node(J->doc, TG_Y_SCALAR, kl, kc);
            set_scalar(key, m->string ? m->string : "", m->string ? strlen(m->string) : 0, 1);
            for (size_t i = 0; i < n->n; i++)
                if (strcmp(n->keys[i]->value, key->value) == 0) {
                    lint_add(J->c, "Y2", TG_LINT_ERROR, kl, kc,
                             "duplicate key \"%s\" (first at line %d): JSON readers keep only "
                             "one; remove or merge one",
                             key->value, n->keys[i]->line);
                    break;
                }
            size_t v = kat;
            if (k >= 0) {
                v = kat + strlen(m->string) + 2;
                skip_ws(t, len, &v);
                v++; /* the ':' */
                skip_ws(t, len, &v);
            }
            J->cur = v;
            tg_ynode_append(n, key, jnode(J, m, v));
        }
        return n;
    }
    if (cJSON_IsArray(j)) {
        tg_ynode *n = tg_ydoc_new_node(J->doc, TG_Y_SEQ, line, col);
        J->cur = at + 1;
        for (const cJSON *e = j->child; e; e = e->next) {
            size_t v = J->cur;
            skip_ws(t, len, &v);
            if (v < len && t[v] == ',') {
                v++;
                skip_ws(t, len, &v);
            }
            tg_ynode_append(n, NULL, jnode(J, e, v));
            /* Step past a scalar so the next element is found after it. */
            if (!cJSON_IsObject(e) && !cJSON_IsArray(e)) {
                size_t w = v;
                if (w < len && t[w] == '"') {
                    for (w++; w < len && t[w] != '"'; w++)
                        if (t[w] == '\\')
                            w++;
                    w++;
                } else
                    while (w < len && t[w] != ',' && t[w] != ']')
                        w++;
                J->cur = w;
            }
        }
        return n;
    }
    tg_ynode *n = tg_ydoc_new_node(J->doc, TG_Y_SCALAR, line, col);
    if (cJSON_IsString(j))
        set_scalar(n, j->valuestring, strlen(j->valuestring), 1);
    else if (cJSON_IsBool(j))
        set_scalar(n, cJSON_IsTrue(j) ? "true" : "false", cJSON_IsTrue(j) ? 4 : 5, 0);
    else if (cJSON_IsNull(j))
        set_scalar(n, "null", 4, 0);
    else {
        size_t e = at;
        while (e < len && strchr("+-.0123456789eE", t[e]))
            e++;
        set_scalar(n, t + at, e - at, 0);
    }
    return n;
}

/* Deepest nesting outside strings, and where it first goes over max. */
static int json_too_deep(const char *t, size_t len, int max, size_t *where)
{
    int depth = 0, in_str = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = t[i];
        if (in_str) {
            if (ch == '\\')
                i++;
            else if (ch == '"')
                in_str = 0;
        } else if (ch == '"')
            in_str = 1;
        else if (ch == '{' || ch == '[') {
            if (++depth > max) {
                *where = i;
                return 1;
            }
        } else if (ch == '}' || ch == ']')
            depth--;
    }
    return 0;
}

tg_ynode *lint_json_tree(lint_ctx *c, tg_ydoc *doc)
{
    size_t deep;
    int line, col;
    if (json_too_deep(c->text, c->len, TG_LINT_MAX_JSON_DEPTH, &deep)) {
        lint_offset_pos(c->text, deep, &line, &col);
        lint_add(c, "Y6", TG_LINT_ERROR, line, col,
                 "JSON nested deeper than %d levels; refused (the JSON reader's limit), "
                 "flatten the document",
                 TG_LINT_MAX_JSON_DEPTH);
        return NULL;
    }
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(c->text, c->len, &end, 0);
    if (j) {
        size_t e = (size_t)(end - c->text);
        skip_ws(c->text, c->len, &e);
        if (e < c->len) {
            lint_offset_pos(c->text, e, &line, &col);
            lint_add(c, "Y1", TG_LINT_ERROR, line, col,
                     "JSON: text after the end of the document; remove it");
            cJSON_Delete(j);
            return NULL;
        }
    } else {
        size_t e = end && end >= c->text && end <= c->text + c->len ? (size_t)(end - c->text) : 0;
        lint_offset_pos(c->text, e, &line, &col);
        lint_add(c, "Y1", TG_LINT_ERROR, line, col,
                 "JSON syntax error here (a missing comma, quote or bracket, a trailing comma, "
                 "or a comment); fix it");
        return NULL;
    }
    jloc J = {c, doc, 0};
    size_t at = 0;
    skip_ws(c->text, c->len, &at);
    doc->root = jnode(&J, j, at);
    doc->ndocs = 1;
    cJSON_Delete(j);
    return doc->root;
}

/* ---- TOML: the subset railway.toml uses ---- */

#define TOML_MAX_DEPTH 64

typedef struct {
    lint_ctx *c;
    tg_ydoc *doc;
    const char *t;
    size_t len, i;
    int failed;
} toml;

static void toml_fail(toml *T, size_t at, const char *what)
{
    if (T->failed)
        return;
    T->failed = 1;
    int line, col;
    lint_offset_pos(T->t, at < T->len ? at : T->len, &line, &col);
    lint_add(T->c, "Y1", TG_LINT_ERROR, line, col, "TOML: %s; fix the syntax at this position",
             what);
}

static void toml_ws(toml *T)
{
    while (T->i < T->len && (T->t[T->i] == ' ' || T->t[T->i] == '\t'))
        T->i++;
}

/* Whitespace, newlines and comments (inside arrays). */
static void toml_ws_nl(toml *T)
{
    for (;;) {
        toml_ws(T);
        if (T->i < T->len && T->t[T->i] == '#')
            while (T->i < T->len && T->t[T->i] != '\n')
                T->i++;
        if (T->i < T->len && (T->t[T->i] == '\n' || T->t[T->i] == '\r')) {
            T->i++;
            continue;
        }
        return;
    }
}

static tg_ynode *toml_new(toml *T, tg_ykind k, size_t at)
{
    int line, col;
    lint_offset_pos(T->t, at, &line, &col);
    return tg_ydoc_new_node(T->doc, k, line, col);
}

/* A string at T->i (quote char included); NULL on error. */
static tg_ynode *toml_string(toml *T)
{
    size_t at = T->i;
    char q = T->t[T->i];
    int multi = T->i + 2 < T->len && T->t[T->i + 1] == q && T->t[T->i + 2] == q;
    T->i += multi ? 3 : 1;
    tg_buf b;
    tg_buf_init(&b);
    for (;;) {
        if (T->i >= T->len || (!multi && T->t[T->i] == '\n')) {
            tg_buf_free(&b);
            toml_fail(T, at, "unterminated string");
            return NULL;
        }
        char ch = T->t[T->i];
        if (ch == q && (!multi || (T->i + 2 < T->len && T->t[T->i + 1] == q &&
                                   T->t[T->i + 2] == q))) {
            T->i += multi ? 3 : 1;
            break;
        }
        if (ch == '\\' && q == '"' && T->i + 1 < T->len) {
            char e = T->t[++T->i];
            const char *map = "n\nt\tr\r\"\"\\\\b\bf\f";
            const char *m = strchr(map, e);
            if (m && (m - map) % 2 == 0)
                tg_buf_add(&b, m + 1, 1);
            else
                tg_buf_add(&b, T->t + T->i - 1, 2);
            T->i++;
            continue;
        }
        tg_buf_add(&b, &ch, 1);
        T->i++;
    }
    tg_ynode *n = toml_new(T, TG_Y_SCALAR, at);
    set_scalar(n, b.data ? b.data : "", b.len, 1);
    tg_buf_free(&b);
    return n;
}

static tg_ynode *toml_value(toml *T, int depth);

static tg_ynode *toml_key(toml *T)
{
    toml_ws(T);
    if (T->i < T->len && (T->t[T->i] == '"' || T->t[T->i] == '\''))
        return toml_string(T);
    size_t at = T->i;
    while (T->i < T->len && (strchr("-_", T->t[T->i]) || (T->t[T->i] >= 'a' && T->t[T->i] <= 'z') ||
                             (T->t[T->i] >= 'A' && T->t[T->i] <= 'Z') ||
                             (T->t[T->i] >= '0' && T->t[T->i] <= '9')))
        T->i++;
    if (T->i == at) {
        toml_fail(T, at, "expected a key");
        return NULL;
    }
    tg_ynode *n = toml_new(T, TG_Y_SCALAR, at);
    set_scalar(n, T->t + at, T->i - at, 0);
    return n;
}

/* Finds or makes the map under key in parent; NULL when key holds a value. */
static tg_ynode *toml_child_map(toml *T, tg_ynode *parent, tg_ynode *key, int seq_ok)
{
    for (size_t i = 0; i < parent->n; i++)
        if (strcmp(parent->keys[i]->value, key->value) == 0) {
            tg_ynode *v = parent->vals[i];
            if (v->kind == TG_Y_MAP)
                return v;
            if (v->kind == TG_Y_SEQ && seq_ok && v->n && v->vals[v->n - 1]->kind == TG_Y_MAP)
                return v->vals[v->n - 1];
            return NULL;
        }
    tg_ynode *m = tg_ydoc_new_node(T->doc, TG_Y_MAP, key->line, key->col);
    tg_ynode_append(parent, key, m);
    return m;
}

/* key(.key)* = value into table. */
static void toml_keyval(toml *T, tg_ynode *table, int depth)
{
    tg_ynode *key = toml_key(T);
    if (!key)
        return;
    toml_ws(T);
    while (T->i < T->len && T->t[T->i] == '.') {
        T->i++;
        tg_ynode *sub = toml_child_map(T, table, key, 0);
        if (!sub) {
            toml_fail(T, T->i, "a dotted key goes through a value that is not a table");
            return;
        }
        table = sub;
        if (!(key = toml_key(T)))
            return;
        toml_ws(T);
    }
    if (T->i >= T->len || T->t[T->i] != '=') {
        toml_fail(T, T->i, "expected '=' after the key");
        return;
    }
    T->i++;
    toml_ws(T);
    tg_ynode *v = toml_value(T, depth + 1);
    if (!v)
        return;
    for (size_t i = 0; i < table->n; i++)
        if (strcmp(table->keys[i]->value, key->value) == 0) {
            lint_add(T->c, "Y2", TG_LINT_ERROR, key->line, key->col,
                     "duplicate key \"%s\" (first at line %d): TOML forbids it; remove one",
                     key->value, table->keys[i]->line);
            break;
        }
    tg_ynode_append(table, key, v);
}

static tg_ynode *toml_value(toml *T, int depth)
{
    if (depth > TOML_MAX_DEPTH) {
        toml_fail(T, T->i, "nesting deeper than 64 levels");
        return NULL;
    }
    if (T->i >= T->len) {
        toml_fail(T, T->i, "expected a value");
        return NULL;
    }
    char ch = T->t[T->i];
    size_t at = T->i;
    if (ch == '"' || ch == '\'')
        return toml_string(T);
    if (ch == '[') {
        tg_ynode *n = toml_new(T, TG_Y_SEQ, at);
        T->i++;
        for (;;) {
            toml_ws_nl(T);
            if (T->i < T->len && T->t[T->i] == ']') {
                T->i++;
                return n;
            }
            tg_ynode *e = toml_value(T, depth + 1);
            if (!e)
                return NULL;
            tg_ynode_append(n, NULL, e);
            toml_ws_nl(T);
            if (T->i < T->len && T->t[T->i] == ',')
                T->i++;
            else if (T->i >= T->len || T->t[T->i] != ']') {
                toml_fail(T, T->i, "expected ',' or ']' in an array");
                return NULL;
            }
        }
    }
    if (ch == '{') {
        tg_ynode *n = toml_new(T, TG_Y_MAP, at);
        T->i++;
        toml_ws(T);
        if (T->i < T->len && T->t[T->i] == '}') {
            T->i++;
            return n;
        }
        for (;;) {
            toml_keyval(T, n, depth);
            if (T->failed)
                return NULL;
            toml_ws(T);
            if (T->i < T->len && T->t[T->i] == ',') {
                T->i++;
                continue;
            }
            if (T->i < T->len && T->t[T->i] == '}') {
                T->i++;
                return n;
            }
            toml_fail(T, T->i, "expected ',' or '}' in an inline table");
            return NULL;
        }
    }
    while (T->i < T->len && !strchr(" \t\r\n,]}#", T->t[T->i]))
        T->i++;
    if (T->i == at) {
        toml_fail(T, at, "expected a value");
        return NULL;
    }
    tg_ynode *n = toml_new(T, TG_Y_SCALAR, at);
    set_scalar(n, T->t + at, T->i - at, 0);
    int ok = strcmp(n->value, "true") == 0 || strcmp(n->value, "false") == 0 ||
             strchr("+-0123456789in", n->value[0]) != NULL;
    if (!ok) {
        toml_fail(T, at, "a bare word is not a TOML value (quote strings)");
        return NULL;
    }
    return n;
}

static void toml_line_end(toml *T)
{
    toml_ws(T);
    if (T->i < T->len && T->t[T->i] == '#')
        while (T->i < T->len && T->t[T->i] != '\n')
            T->i++;
    if (T->i < T->len && T->t[T->i] == '\r')
        T->i++;
    if (T->i < T->len && T->t[T->i] != '\n')
        toml_fail(T, T->i, "unexpected text after the value");
    else if (T->i < T->len)
        T->i++;
}

tg_ynode *lint_toml_tree(lint_ctx *c, tg_ydoc *doc)
{
    toml T = {c, doc, c->text, c->len, 0, 0};
    tg_ynode *root = tg_ydoc_new_node(doc, TG_Y_MAP, 1, 1);
    tg_ynode *table = root;
    while (T.i < T.len && !T.failed) {
        toml_ws(&T);
        if (T.i >= T.len)
            break;
        char ch = T.t[T.i];
        if (ch == '\n' || ch == '\r' || ch == '#') {
            toml_line_end(&T);
            continue;
        }
        if (ch == '[') {
            int arr = T.i + 1 < T.len && T.t[T.i + 1] == '[';
            size_t at = T.i;
            T.i += arr ? 2 : 1;
            tg_ynode *t = root;
            for (;;) {
                tg_ynode *key = toml_key(&T);
                if (!key)
                    break;
                toml_ws(&T);
                int last = T.i >= T.len || T.t[T.i] != '.';
                if (last && arr) {
                    tg_ynode *seq = NULL;
                    for (size_t i = 0; i < t->n; i++)
                        if (strcmp(t->keys[i]->value, key->value) == 0)
                            seq = t->vals[i];
                    if (!seq) {
                        seq = tg_ydoc_new_node(doc, TG_Y_SEQ, key->line, key->col);
                        tg_ynode_append(t, key, seq);
                    } else if (seq->kind != TG_Y_SEQ) {
                        toml_fail(&T, at, "[[table]] repeats a name that is not an array");
                        break;
                    }
                    tg_ynode *m = toml_new(&T, TG_Y_MAP, at);
                    tg_ynode_append(seq, NULL, m);
                    t = m;
                } else {
                    tg_ynode *sub = toml_child_map(&T, t, key, 1);
                    if (!sub) {
                        toml_fail(&T, at, "table name repeats a key that holds a value");
                        break;
                    }
                    t = sub;
                }
                if (last)
                    break;
                T.i++;
            }
            if (T.failed)
                break;
            if (T.i + (arr ? 1 : 0) >= T.len || T.t[T.i] != ']' || (arr && T.t[T.i + 1] != ']')) {
                toml_fail(&T, T.i, arr ? "expected ']]'" : "expected ']'");
                break;
            }
            T.i += arr ? 2 : 1;
            table = t;
            toml_line_end(&T);
            continue;
        }
        toml_keyval(&T, table, 0);
        if (!T.failed)
            toml_line_end(&T);
    }
    if (T.failed)
        return NULL;
    doc->root = root;
    doc->ndocs = 1;
    return root;
}

/* ---- tree helpers ---- */

int lint_is_int(const tg_ynode *n)
{
    if (!n || n->kind != TG_Y_SCALAR || n->quoted || !n->len)
        return 0;
    const char *p = n->value;
    if (*p == '-' || *p == '+')
        p++;
    if (!*p)
        return 0;
    for (; *p; p++)
        if (*p < '0' || *p > '9')
            return 0;
    return 1;
}

int lint_is_bool(const tg_ynode *n)
{
    return n && n->kind == TG_Y_SCALAR && !n->quoted &&
           (strcmp(n->value, "true") == 0 || strcmp(n->value, "false") == 0);
}

int lint_in_list(const char *s, const char *const *list)
{
    for (int i = 0; s && list[i]; i++)
        if (strcmp(s, list[i]) == 0)
            return 1;
    return 0;
}

int lint_known_keys(lint_ctx *c, const tg_ynode *map, const char *const *known,
                    const char *rule, tg_lint_sev sev, const char *where)
{
    int bad = 0;
    if (!map || map->kind != TG_Y_MAP)
        return 0;
    for (size_t i = 0; i < map->n; i++) {
        const tg_ynode *k = map->keys[i];
        const char *s = tg_y_str(k);
        if (!s || strcmp(s, "<<") == 0 || lint_in_list(s, known))
            continue;
        bad++;
        tg_buf b;
        tg_buf_init(&b);
        for (int j = 0; known[j]; j++)
            tg_buf_addf(&b, "%s%s", j ? ", " : "", known[j]);
        lint_add(c, rule, sev, k->line, k->col, "unknown key \"%s\" in %s; expected one of: %s",
                 s, where, b.data);
        tg_buf_free(&b);
    }
    return bad;
}
