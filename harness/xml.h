/*
 * xml.h: a small, bounded XML reader for the reports other tools write
 * (JUnit XML, Check's XML log). None of tollgate's libraries reads XML, and
 * these files need only elements, attributes, text, CDATA and entities, so
 * this reads exactly that: no DTDs, no namespaces beyond keeping the prefix,
 * nesting capped at TG_XML_MAX_DEPTH. Malformed input is an error with a
 * line number, never a partial tree passed off as whole.
 *
 * Ownership: tg_xml_parse() returns a tree the caller frees with
 * tg_xml_free(); every string in it belongs to the tree.
 */
#ifndef TG_XML_H
#define TG_XML_H

#include <stddef.h>

#define TG_XML_MAX_DEPTH 256

typedef struct tg_xml tg_xml;
struct tg_xml {
    char *name;   /* element name, local part (prefix dropped) */
    char **attrs; /* name, value, name, value, ... */
    int nattrs;
    char *text;   /* concatenated text and CDATA directly inside */
    tg_xml **kids;
    int nkids;
    int line;
};

/* Returns the root element, or NULL with *err (caller frees) saying what is
 * wrong and on which line. */
tg_xml *tg_xml_parse(const char *text, size_t len, char **err);
void tg_xml_free(tg_xml *x);
const char *tg_xml_attr(const tg_xml *x, const char *name);
/* The first child element with this name, or NULL. */
const tg_xml *tg_xml_child(const tg_xml *x, const char *name);
/* The text of the first child with this name, or NULL. */
const char *tg_xml_child_text(const tg_xml *x, const char *name);

#endif
