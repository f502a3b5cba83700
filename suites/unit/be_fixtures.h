/*
 * be_fixtures.h: reads the backend's table fixtures (the .tsv files in fixtures/backend)
 * for the unit tests: one case per line, fields separated by tabs, '#'
 * starts a comment line. Fields may hold escapes (\xNN, \t, \n, \\) so a
 * case can carry any byte. Header-only: each test binary includes it once.
 */
#ifndef BE_FIXTURES_H
#define BE_FIXTURES_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIX_MAX_FIELDS 6

typedef struct fix_case {
    int line;
    int nfields;
    char *field[FIX_MAX_FIELDS];
    size_t len[FIX_MAX_FIELDS]; /* decoded length (a field may hold NUL) */
} fix_case;

static inline int fix_hex(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

static inline size_t fix_unescape(char *s)
{
    char *w = s;
    for (const char *r = s; *r; r++) {
        if (r[0] == '\\' && r[1] == 'x' && fix_hex(r[2]) >= 0 && fix_hex(r[3]) >= 0) {
            *w++ = (char)(fix_hex(r[2]) * 16 + fix_hex(r[3]));
            r += 3;
        } else if (r[0] == '\\' && (r[1] == 't' || r[1] == 'n' || r[1] == '\\')) {
            *w++ = r[1] == 't' ? '\t' : r[1] == 'n' ? '\n' : '\\';
            r++;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
    return (size_t)(w - s);
}

/* Calls fn for every case of path; fails the test if the file is missing or
 * has no case, so a lost fixture can never pass silently. */
static inline void fix_walk(const char *path, void (*fn)(const fix_case *c))
{
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open fixture %s (tests run from the repository root)", path);
    char line[8192];
    int lineno = 0, cases = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0' || line[0] == '#')
            continue;
        fix_case c = {.line = lineno};
        char *rest = line, *tok;
        while ((tok = strsep(&rest, "\t")) != NULL && c.nfields < FIX_MAX_FIELDS) {
            c.field[c.nfields] = tok;
            c.len[c.nfields] = fix_unescape(tok);
            c.nfields++;
        }
        fn(&c);
        cases++;
    }
    fclose(f);
    ck_assert_msg(cases > 0, "fixture %s has no case", path);
}

#endif
