/* xml.c: see xml.h. */
#include "xml.h"
#include "tg.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *p, *end;
    int line;
    char *err;
} reader;

static int fail(reader *r, const char *what)
{
    if (!r->err)
        r->err = tg_asprintf("line %d: %s", r->line, what);
    return -1;
}

static void advance(reader *r, size_t n)
{
    for (size_t i = 0; i < n && r->p < r->end; i++, r->p++)
        if (*r->p == '\n')
            r->line++;
}

static int starts(const reader *r, const char *s)
{
    size_t n = strlen(s);
    return (size_t)(r->end - r->p) >= n && memcmp(r->p, s, n) == 0;
}

/* Skips to just past `until`; -1 when it never comes. */
static int skip_past(reader *r, const char *until)
{
    while (r->p < r->end && !starts(r, until))
        advance(r, 1);
    if (r->p >= r->end)
        return fail(r, "unterminated markup");
    advance(r, strlen(until));
    return 0;
}

static void skip_space(reader *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        advance(r, 1);
}

static void add_utf8(tg_buf *b, unsigned long cp)
{
    char u[4];
    if (cp < 0x80) {
        u[0] = (char)cp;
        tg_buf_add(b, u, 1);
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        tg_buf_add(b, u, 2);
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        tg_buf_add(b, u, 3);
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        tg_buf_add(b, u, 4);
    }
}

/* Decodes text up to a stop character, resolving entities. */
static int read_text(reader *r, char stop, tg_buf *out)
{
    while (r->p < r->end && *r->p != stop) {
        if (*r->p != '&') {
            tg_buf_add(out, r->p, 1);
            advance(r, 1);
            continue;
        }
        const char *semi = memchr(r->p, ';', (size_t)(r->end - r->p));
        if (!semi || semi - r->p > 12)
            return fail(r, "an '&' that starts no entity (write &amp;)");
        size_t n = (size_t)(semi - r->p - 1);
        const char *e = r->p + 1;
        if (n == 2 && memcmp(e, "lt", 2) == 0)
            tg_buf_adds(out, "<");
        else if (n == 2 && memcmp(e, "gt", 2) == 0)
            tg_buf_adds(out, ">");
        else if (n == 3 && memcmp(e, "amp", 3) == 0)
            tg_buf_adds(out, "&");
        else if (n == 4 && memcmp(e, "quot", 4) == 0)
            tg_buf_adds(out, "\"");
        else if (n == 4 && memcmp(e, "apos", 4) == 0)
            tg_buf_adds(out, "'");
        else if (n >= 2 && e[0] == '#') {
            char *endp;
            unsigned long cp = e[1] == 'x' ? strtoul(e + 2, &endp, 16) : strtoul(e + 1, &endp, 10);
            if (endp != semi || cp == 0 || cp > 0x10FFFF)
                return fail(r, "a bad character reference");
            add_utf8(out, cp);
        } else {
            return fail(r, "an unknown entity");
        }
        advance(r, n + 2);
    }
    return 0;
}

static int is_name_char(char c)
{
    return c && !strchr(" \t\r\n/>=<\"'", c);
}

static char *read_name(reader *r)
{
    const char *s = r->p;
    while (r->p < r->end && is_name_char(*r->p))
        advance(r, 1);
    if (r->p == s) {
        fail(r, "expected a name");
        return NULL;
    }
    const char *colon = memchr(s, ':', (size_t)(r->p - s));
    if (colon)
        s = colon + 1;
    return tg_strndup(s, (size_t)(r->p - s));
}

/* Skips comments, processing instructions and DOCTYPE between elements. */
static int skip_misc(reader *r)
{
    for (;;) {
        skip_space(r);
        if (starts(r, "<!--")) {
            if (skip_past(r, "-->") != 0)
                return -1;
        } else if (starts(r, "<?")) {
            if (skip_past(r, "?>") != 0)
                return -1;
        } else if (starts(r, "<!DOCTYPE")) {
            if (skip_past(r, ">") != 0)
                return -1;
        } else {
            return 0;
        }
    }
}

static tg_xml *parse_element(reader *r, int depth)
{
    if (depth > TG_XML_MAX_DEPTH) {
        fail(r, "elements nested too deep");
        return NULL;
    }
    if (!starts(r, "<")) {
        fail(r, "expected an element");
        return NULL;
    }
    tg_xml *x = tg_calloc(1, sizeof *x);
    x->line = r->line;
    advance(r, 1);
    x->name = read_name(r);
    if (!x->name)
        goto bad;
    for (;;) {
        skip_space(r);
        if (r->p >= r->end) {
            fail(r, "unterminated start tag");
            goto bad;
        }
        if (starts(r, "/>")) {
            advance(r, 2);
            return x;
        }
        if (*r->p == '>') {
            advance(r, 1);
            break;
        }
        char *an = read_name(r);
        if (!an)
            goto bad;
        skip_space(r);
        if (r->p >= r->end || *r->p != '=') {
            free(an);
            fail(r, "an attribute without a value");
            goto bad;
        }
        advance(r, 1);
        skip_space(r);
        char q = r->p < r->end ? *r->p : 0;
        if (q != '"' && q != '\'') {
            free(an);
            fail(r, "an attribute value without quotes");
            goto bad;
        }
        advance(r, 1);
        tg_buf v;
        tg_buf_init(&v);
        tg_buf_add(&v, "", 0);
        if (read_text(r, q, &v) != 0 || r->p >= r->end) {
            free(an);
            tg_buf_free(&v);
            fail(r, "unterminated attribute value");
            goto bad;
        }
        advance(r, 1);
        x->attrs = tg_realloc(x->attrs, sizeof *x->attrs * (size_t)(x->nattrs + 2));
        x->attrs[x->nattrs++] = an;
        x->attrs[x->nattrs++] = tg_buf_steal(&v);
    }
    tg_buf text;
    tg_buf_init(&text);
    tg_buf_add(&text, "", 0);
    for (;;) {
        if (r->p >= r->end) {
            fail(r, "an element that is never closed (truncated?)");
            tg_buf_free(&text);
            goto bad;
        }
        if (starts(r, "</")) {
            advance(r, 2);
            char *close = read_name(r);
            int ok = close && strcmp(close, x->name) == 0;
            free(close);
            skip_space(r);
            if (!ok || r->p >= r->end || *r->p != '>') {
                fail(r, "a closing tag that does not match");
                tg_buf_free(&text);
                goto bad;
            }
            advance(r, 1);
            break;
        }
        if (starts(r, "<![CDATA[")) {
            advance(r, 9);
            const char *s = r->p;
            while (r->p < r->end && !starts(r, "]]>"))
                advance(r, 1);
            if (r->p >= r->end) {
                fail(r, "unterminated CDATA");
                tg_buf_free(&text);
                goto bad;
            }
            tg_buf_add(&text, s, (size_t)(r->p - s));
            advance(r, 3);
            continue;
        }
        if (starts(r, "<!--") || starts(r, "<?")) {
            if (skip_past(r, starts(r, "<!--") ? "-->" : "?>") != 0) {
                tg_buf_free(&text);
                goto bad;
            }
            continue;
        }
        if (*r->p == '<') {
            tg_xml *kid = parse_element(r, depth + 1);
            if (!kid) {
                tg_buf_free(&text);
                goto bad;
            }
            x->kids = tg_realloc(x->kids, sizeof *x->kids * (size_t)(x->nkids + 1));
            x->kids[x->nkids++] = kid;
            continue;
        }
        if (read_text(r, '<', &text) != 0) {
            tg_buf_free(&text);
            goto bad;
        }
    }
    x->text = tg_buf_steal(&text);
    return x;
bad:
    tg_xml_free(x);
    return NULL;
}

tg_xml *tg_xml_parse(const char *text, size_t len, char **err)
{
    reader r = {.p = text, .end = text + len, .line = 1};
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        r.p += 3;
    tg_xml *root = NULL;
    if (skip_misc(&r) == 0)
        root = parse_element(&r, 0);
    if (root && skip_misc(&r) == 0 && r.p < r.end) {
        fail(&r, "content after the root element");
        tg_xml_free(root);
        root = NULL;
    }
    if (!root && !r.err)
        fail(&r, "no root element");
    if (err)
        *err = r.err;
    else
        free(r.err);
    return root;
}

void tg_xml_free(tg_xml *x)
{
    if (!x)
        return;
    free(x->name);
    for (int i = 0; i < x->nattrs; i++)
        free(x->attrs[i]);
    free(x->attrs);
    free(x->text);
    for (int i = 0; i < x->nkids; i++)
        tg_xml_free(x->kids[i]);
    free(x->kids);
    free(x);
}

const char *tg_xml_attr(const tg_xml *x, const char *name)
{
    for (int i = 0; x && i + 1 < x->nattrs; i += 2)
        if (strcmp(x->attrs[i], name) == 0)
            return x->attrs[i + 1];
    return NULL;
}

const tg_xml *tg_xml_child(const tg_xml *x, const char *name)
{
    for (int i = 0; x && i < x->nkids; i++)
        if (strcmp(x->kids[i]->name, name) == 0)
            return x->kids[i];
    return NULL;
}

const char *tg_xml_child_text(const tg_xml *x, const char *name)
{
    const tg_xml *k = tg_xml_child(x, name);
    return k ? k->text : NULL;
}
