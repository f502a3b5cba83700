/*
 * yamltree.h: a YAML document as a tree of nodes with positions, on libyaml.
 *
 * libyaml gives events; the config reader and the lint validators want a
 * tree they can query, with the line and column of every node, and they want
 * to hear about duplicate keys, which libyaml accepts silently.
 *
 * Bounds, so hostile input cannot exhaust memory or time: an alias points at
 * its anchored node (nothing is copied), and a document whose aliases would
 * expand to more than TG_YAML_MAX_EXPANDED nodes, or that nests deeper than
 * TG_YAML_MAX_DEPTH, is refused with an error.
 *
 * Ownership: every node belongs to the document; tg_ydoc_free() frees all.
 */
#ifndef TG_YAMLTREE_H
#define TG_YAMLTREE_H

#include <stddef.h>

#define TG_YAML_MAX_DEPTH 512
#define TG_YAML_MAX_EXPANDED 1000000

typedef enum { TG_Y_SCALAR, TG_Y_MAP, TG_Y_SEQ } tg_ykind;

typedef struct tg_ynode tg_ynode;
struct tg_ynode {
    tg_ykind kind;
    int line, col;   /* 1-based position of the node's start */
    char *value;     /* scalar text (NUL-terminated; may hold NULs, see len) */
    size_t len;
    int quoted;      /* scalar was quoted or a block scalar: never null/bool */
    char *tag;       /* explicit tag, or NULL */
    int is_alias;    /* this reference came through an alias */
    /* MAP: keys[i] -> vals[i]; SEQ: vals[i]. */
    tg_ynode **keys, **vals;
    size_t n, cap;
    size_t weight;   /* nodes in the expanded subtree */
};

/* A duplicate key found while loading. */
typedef struct tg_ydup {
    char *key;
    int line, col;        /* the repeat */
    int first_line, first_col;
} tg_ydup;

typedef struct tg_ydoc {
    tg_ynode *root;       /* the first document's root; NULL for an empty file */
    int ndocs;            /* documents in the stream */
    tg_ydup *dups;
    size_t ndups;
    /* On error: */
    char *error;          /* message, NULL when loaded */
    int err_line, err_col;
    /* internal: every node, for freeing */
    tg_ynode **all;
    size_t nall, capall;
} tg_ydoc;

/* Loads text. Returns 0, or -1 with doc->error and its position set (the tree
 * holds what was read before the error). */
int tg_yaml_load(const char *text, size_t len, tg_ydoc *doc);
void tg_ydoc_free(tg_ydoc *doc);

/* For readers of other formats that want the same tree (lint's JSON and
 * TOML readers): a zeroed node owned by doc (freed by tg_ydoc_free), and
 * appending to a map (key given) or a sequence (key NULL). */
tg_ynode *tg_ydoc_new_node(tg_ydoc *doc, tg_ykind kind, int line, int col);
void tg_ynode_append(tg_ynode *parent, tg_ynode *key, tg_ynode *val);

/* The value of key in a map, or NULL (last one wins, as YAML loaders do). */
tg_ynode *tg_y_get(const tg_ynode *map, const char *key);
/* The key node for key in a map, or NULL. */
tg_ynode *tg_y_key(const tg_ynode *map, const char *key);
/* 1 when n is a plain scalar YAML reads as null (~, null, empty). */
int tg_y_is_null(const tg_ynode *n);
/* A scalar's text, or NULL when n is not a scalar. */
const char *tg_y_str(const tg_ynode *n);

#endif
