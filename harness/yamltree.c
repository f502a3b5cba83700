/* yamltree.c: libyaml events to a tree (yamltree.h). */
#include "yamltree.h"
#include "tg.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

typedef struct {
    char *name;
    tg_ynode *node;
} anchor;

/* Anchors by name, hashed (open addressing): a document with many anchors
 * and aliases stays linear. A redefined anchor replaces the earlier one. */
typedef struct {
    tg_ydoc *doc;
    anchor *anchors; /* table of capanchors slots; name NULL = empty */
    size_t nanchors, capanchors;
} loader;

tg_ynode *tg_ydoc_new_node(tg_ydoc *doc, tg_ykind kind, int line, int col)
{
    tg_ynode *n = tg_calloc(1, sizeof *n);
    n->kind = kind;
    n->line = line;
    n->col = col;
    n->weight = 1;
    if (doc->nall == doc->capall) {
        doc->capall = doc->capall ? doc->capall * 2 : 64;
        doc->all = tg_realloc(doc->all, doc->capall * sizeof *doc->all);
    }
    doc->all[doc->nall++] = n;
    return n;
}

static tg_ynode *new_node(tg_ydoc *doc, tg_ykind kind, const yaml_mark_t *m)
{
    return tg_ydoc_new_node(doc, kind, (int)m->line + 1, (int)m->column + 1);
}

void tg_ynode_append(tg_ynode *parent, tg_ynode *key, tg_ynode *val)
{
    if (parent->n == parent->cap) {
        parent->cap = parent->cap ? parent->cap * 2 : 8;
        parent->vals = tg_realloc(parent->vals, parent->cap * sizeof *parent->vals);
        if (parent->kind == TG_Y_MAP)
            parent->keys = tg_realloc(parent->keys, parent->cap * sizeof *parent->keys);
    }
    if (parent->kind == TG_Y_MAP)
        parent->keys[parent->n] = key;
    parent->vals[parent->n] = val;
    parent->n++;
}

static void set_error(tg_ydoc *doc, const char *msg, int line, int col)
{
    if (doc->error)
        return;
    doc->error = tg_strdup(msg);
    doc->err_line = line;
    doc->err_col = col;
}

static size_t name_hash(const char *k)
{
    size_t h = 1469598103934665603u;
    for (; *k; k++)
        h = (h ^ (unsigned char)*k) * 1099511628211u;
    return h;
}

static anchor *anchor_slot(anchor *table, size_t cap, const char *name)
{
    size_t i = name_hash(name) & (cap - 1);
    while (table[i].name && strcmp(table[i].name, name) != 0)
        i = (i + 1) & (cap - 1);
    return &table[i];
}

static void remember_anchor(loader *L, const unsigned char *name, tg_ynode *n)
{
    if (!name)
        return;
    if (2 * (L->nanchors + 1) > L->capanchors) {
        size_t cap = L->capanchors ? L->capanchors * 2 : 16;
        anchor *big = tg_calloc(cap, sizeof *big);
        for (size_t i = 0; i < L->capanchors; i++)
            if (L->anchors[i].name)
                *anchor_slot(big, cap, L->anchors[i].name) = L->anchors[i];
        free(L->anchors);
        L->anchors = big;
        L->capanchors = cap;
    }
    anchor *a = anchor_slot(L->anchors, L->capanchors, (const char *)name);
    if (!a->name) {
        a->name = tg_strdup((const char *)name);
        L->nanchors++;
    }
    a->node = n;
}

static tg_ynode *find_anchor(loader *L, const unsigned char *name)
{
    if (!L->capanchors)
        return NULL;
    anchor *a = anchor_slot(L->anchors, L->capanchors, (const char *)name);
    return a->name ? a->node : NULL;
}

/* The scalar keys of one map being read, hashed (FNV-1a, open addressing),
 * so duplicate detection stays linear on a map with many keys. */
typedef struct {
    tg_ynode **slot;
    size_t cap, n;
} key_index;

static size_t key_hash(const tg_ynode *k)
{
    size_t h = 1469598103934665603u;
    for (size_t i = 0; i < k->len; i++)
        h = (h ^ (unsigned char)k->value[i]) * 1099511628211u;
    return h;
}

static int same_key(const tg_ynode *a, const tg_ynode *b)
{
    return a->len == b->len && memcmp(a->value, b->value, a->len) == 0;
}

/* Returns the first key equal to key, or NULL after remembering key. */
static tg_ynode *key_index_put(key_index *ix, tg_ynode *key)
{
    if (2 * (ix->n + 1) > ix->cap) {
        key_index big = {tg_calloc(ix->cap ? ix->cap * 2 : 16, sizeof *big.slot),
                         ix->cap ? ix->cap * 2 : 16, 0};
        for (size_t i = 0; i < ix->cap; i++)
            if (ix->slot[i])
                (void)key_index_put(&big, ix->slot[i]);
        free(ix->slot);
        *ix = big;
    }
    size_t i = key_hash(key) & (ix->cap - 1);
    for (; ix->slot[i]; i = (i + 1) & (ix->cap - 1))
        if (same_key(ix->slot[i], key))
            return ix->slot[i];
    ix->slot[i] = key;
    ix->n++;
    return NULL;
}

static void note_duplicate(tg_ydoc *doc, key_index *ix, tg_ynode *key)
{
    if (key->kind != TG_Y_SCALAR)
        return;
    tg_ynode *k = key_index_put(ix, key);
    if (!k || strcmp(key->value, "<<") == 0)
        return;
    doc->dups = tg_realloc(doc->dups, (doc->ndups + 1) * sizeof *doc->dups);
    tg_ydup *d = &doc->dups[doc->ndups++];
    d->key = tg_strdup(key->value);
    d->line = key->line;
    d->col = key->col;
    d->first_line = k->line;
    d->first_col = k->col;
}

/* Parses one node (the event already read); returns NULL on error. */
static tg_ynode *parse_node(loader *L, yaml_parser_t *p, yaml_event_t *ev, int depth);

static int next_event(loader *L, yaml_parser_t *p, yaml_event_t *ev)
{
    if (!yaml_parser_parse(p, ev)) {
        char msg[512];
        if (p->context)
            snprintf(msg, sizeof msg, "%s, %s that starts at line %d, column %d",
                     p->problem ? p->problem : "invalid YAML", p->context,
                     (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
        else
            snprintf(msg, sizeof msg, "%s", p->problem ? p->problem : "invalid YAML");
        set_error(L->doc, msg, (int)p->problem_mark.line + 1, (int)p->problem_mark.column + 1);
        return -1;
    }
    return 0;
}

static tg_ynode *parse_node(loader *L, yaml_parser_t *p, yaml_event_t *ev, int depth)
{
    tg_ydoc *doc = L->doc;
    if (depth > TG_YAML_MAX_DEPTH) {
        char msg[96];
        snprintf(msg, sizeof msg, "nesting deeper than %d levels", TG_YAML_MAX_DEPTH);
        set_error(doc, msg, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1);
        return NULL;
    }
    switch (ev->type) {
    case YAML_ALIAS_EVENT: {
        tg_ynode *target = find_anchor(L, ev->data.alias.anchor);
        if (!target) {
            set_error(doc, "alias to an anchor that is not defined",
                      (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1);
            return NULL;
        }
        return target;
    }
    case YAML_SCALAR_EVENT: {
        tg_ynode *n = new_node(doc, TG_Y_SCALAR, &ev->start_mark);
        n->len = ev->data.scalar.length;
        n->value = tg_strndup((const char *)ev->data.scalar.value, n->len);
        n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
        if (ev->data.scalar.tag)
            n->tag = tg_strdup((const char *)ev->data.scalar.tag);
        remember_anchor(L, ev->data.scalar.anchor, n);
        return n;
    }
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        int is_map = ev->type == YAML_MAPPING_START_EVENT;
        tg_ynode *n = new_node(doc, is_map ? TG_Y_MAP : TG_Y_SEQ, &ev->start_mark);
        const unsigned char *anc = is_map ? ev->data.mapping_start.anchor
                                          : ev->data.sequence_start.anchor;
        const unsigned char *tag = is_map ? ev->data.mapping_start.tag
                                          : ev->data.sequence_start.tag;
        if (tag)
            n->tag = tg_strdup((const char *)tag);
        key_index ix = {NULL, 0, 0};
        for (;;) {
            yaml_event_t child;
            if (next_event(L, p, &child) != 0)
                goto fail;
            if (child.type == YAML_SEQUENCE_END_EVENT || child.type == YAML_MAPPING_END_EVENT) {
                yaml_event_delete(&child);
                break;
            }
            tg_ynode *key = NULL, *val;
            if (is_map) {
                key = parse_node(L, p, &child, depth + 1);
                yaml_event_delete(&child);
                if (!key || next_event(L, p, &child) != 0)
                    goto fail;
                note_duplicate(doc, &ix, key);
            }
            val = parse_node(L, p, &child, depth + 1);
            int was_alias = child.type == YAML_ALIAS_EVENT;
            yaml_mark_t use_mark = child.start_mark;
            yaml_event_delete(&child);
            if (!val)
                goto fail;
            if (was_alias) {
                /* Refer to the anchored node through a thin alias wrapper
                 * so positions of the use site are kept. */
                tg_ynode *ref = new_node(doc, val->kind, &use_mark);
                ref->value = val->value ? tg_strndup(val->value, val->len) : NULL;
                ref->len = val->len;
                ref->quoted = val->quoted;
                ref->is_alias = 1;
                ref->keys = NULL;
                ref->vals = NULL;
                if (val->n) {
                    ref->cap = ref->n = val->n;
                    ref->vals = tg_malloc(val->n * sizeof *ref->vals);
                    memcpy(ref->vals, val->vals, val->n * sizeof *ref->vals);
                    if (val->kind == TG_Y_MAP) {
                        ref->keys = tg_malloc(val->n * sizeof *ref->keys);
                        memcpy(ref->keys, val->keys, val->n * sizeof *ref->keys);
                    }
                }
                ref->weight = val->weight;
                val = ref;
            }
            n->weight += val->weight + (key ? key->weight : 0);
            if (n->weight > TG_YAML_MAX_EXPANDED) {
                char msg[128];
                snprintf(msg, sizeof msg,
                         "aliases expand to more than %d nodes (an alias bomb?); refused",
                         TG_YAML_MAX_EXPANDED);
                set_error(doc, msg, n->line, n->col);
                goto fail;
            }
            tg_ynode_append(n, key, val);
        }
        free(ix.slot);
        remember_anchor(L, anc, n);
        return n;
    fail:
        free(ix.slot);
        return NULL;
    }
    default:
        set_error(doc, "unexpected YAML event", (int)ev->start_mark.line + 1,
                  (int)ev->start_mark.column + 1);
        return NULL;
    }
}

int tg_yaml_load(const char *text, size_t len, tg_ydoc *doc)
{
    memset(doc, 0, sizeof *doc);
    loader L = {.doc = doc};
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        set_error(doc, "cannot initialise the YAML parser", 0, 0);
        return -1;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    int done = 0;
    while (!done && !doc->error) {
        yaml_event_t ev;
        if (next_event(&L, &p, &ev) != 0)
            break;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT: done = 1; break;
        case YAML_DOCUMENT_START_EVENT: doc->ndocs++; break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
        case YAML_SCALAR_EVENT:
        case YAML_ALIAS_EVENT: {
            tg_ynode *n = parse_node(&L, &p, &ev, 0);
            if (n && !doc->root)
                doc->root = n;
            break;
        }
        default: break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    for (size_t i = 0; i < L.capanchors; i++)
        free(L.anchors[i].name);
    free(L.anchors);
    return doc->error ? -1 : 0;
}

void tg_ydoc_free(tg_ydoc *doc)
{
    for (size_t i = 0; i < doc->nall; i++) {
        tg_ynode *n = doc->all[i];
        free(n->value);
        free(n->tag);
        free(n->keys);
        free(n->vals);
        free(n);
    }
    free(doc->all);
    for (size_t i = 0; i < doc->ndups; i++)
        free(doc->dups[i].key);
    free(doc->dups);
    free(doc->error);
    memset(doc, 0, sizeof *doc);
}

tg_ynode *tg_y_key(const tg_ynode *map, const char *key)
{
    if (!map || map->kind != TG_Y_MAP)
        return NULL;
    for (size_t i = map->n; i-- > 0;) {
        const tg_ynode *k = map->keys[i];
        if (k->kind == TG_Y_SCALAR && strcmp(k->value, key) == 0)
            return map->keys[i];
    }
    return NULL;
}

tg_ynode *tg_y_get(const tg_ynode *map, const char *key)
{
    if (!map || map->kind != TG_Y_MAP)
        return NULL;
    for (size_t i = map->n; i-- > 0;) {
        const tg_ynode *k = map->keys[i];
        if (k->kind == TG_Y_SCALAR && strcmp(k->value, key) == 0)
            return map->vals[i];
    }
    return NULL;
}

int tg_y_is_null(const tg_ynode *n)
{
    if (!n)
        return 1;
    if (n->kind != TG_Y_SCALAR || n->quoted)
        return 0;
    return n->len == 0 || strcmp(n->value, "~") == 0 || strcmp(n->value, "null") == 0 ||
           strcmp(n->value, "Null") == 0 || strcmp(n->value, "NULL") == 0;
}

const char *tg_y_str(const tg_ynode *n)
{
    return n && n->kind == TG_Y_SCALAR ? n->value : NULL;
}
