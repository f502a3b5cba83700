/* lint_env.c: env templates (.env.example and friends), rules E1-E3. */
#include "lint_int.h"
#include "tg.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static int key_char(char ch, int first)
{
    return ch == '_' || isalpha((unsigned char)ch) || (!first && (isdigit((unsigned char)ch) ||
                                                                  ch == '.' || ch == '-'));
}

void lint_env(lint_ctx *c)
{
    lint_set keys = {0}; /* name -> the line it was first declared on */
    const char *end = c->text + c->len;
    int line = 0;
    c->facts->have_template = 1;
    char *l;
    const char *s;
    size_t pos = 0;
    while ((l = lint_next_entry(c, &pos, &line, &s)) != NULL) {
        if (strncmp(s, "export ", 7) == 0)
            s += 7;
        const char *k = s;
        if (!key_char(*k, 1)) {
            lint_add(c, "E1", TG_LINT_ERROR, line, (int)(k - l) + 1,
                     "not a KEY=value line; a variable name starts with a letter or '_'");
            free(l);
            continue;
        }
        while (key_char(*s, 0))
            s++;
        size_t kn = (size_t)(s - k);
        const char *eq = s;
        while (*eq == ' ' || *eq == '\t')
            eq++;
        if (*eq != '=') {
            lint_add(c, "E1", TG_LINT_ERROR, line, (int)(eq - l) + 1,
                     "expected '=' after %.*s; write KEY=value", (int)kn, k);
            free(l);
            continue;
        }
        if (eq != s)
            lint_add(c, "E1", TG_LINT_WARNING, line, (int)(s - l) + 1,
                     "space before '=': docker --env-file reads the name with the space; "
                     "write %.*s=value",
                     (int)kn, k);
        char *key = tg_strndup(k, kn);
        const char *v = eq + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        if (*v == '"' || *v == '\'') {
            char q = *v;
            const char *e = v + 1;
            while (*e && *e != q) {
                if (*e == '\\' && q == '"' && e[1])
                    e++;
                e++;
            }
            if (!*e) {
                /* A double-quoted value may continue on the next lines. */
                int closed = 0;
                if (q == '"') {
                    const char *r = c->text + pos;
                    while (r < end && *r != '"')
                        r++;
                    closed = r < end;
                }
                if (!closed)
                    lint_add(c, "E1", TG_LINT_ERROR, line, (int)(v - l) + 1,
                             "quote %c is never closed; close it on this line", q);
            } else {
                const char *after = e + 1;
                while (*after == ' ' || *after == '\t')
                    after++;
                if (*after && *after != '#')
                    lint_add(c, "E1", TG_LINT_ERROR, line, (int)(after - l) + 1,
                             "text after the closing quote; put the whole value inside the "
                             "quotes");
            }
        } else {
            const char *hash = strstr(v, " #");
            if (!hash)
                hash = strstr(v, "\t#");
            if (hash && hash > v)
                lint_add(c, "E2", TG_LINT_WARNING, line, (int)(hash - l) + 2,
                         "inline comment after an unquoted value: Compose and python-dotenv "
                         "strip it, other readers keep it in the value; move the comment to "
                         "its own line or quote the value");
        }
        int first = lint_set_put(&keys, key, line);
        if (first >= 0)
            lint_add(c, "E3", TG_LINT_WARNING, line, (int)(k - l) + 1,
                     "%s is declared twice (first at line %d); readers disagree on which "
                     "wins, keep one",
                     key, first);
        lint_ref_add(&c->facts->declared, key, c->file, line, (int)(k - l) + 1);
        free(key);
        free(l);
    }
    lint_set_free(&keys);
}
