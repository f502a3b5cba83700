/* lint_shell.c: what lint reads in a start command: does it bind $PORT,
 * does it hard-code a port, is its shell syntax sound. */
#include "lint_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* The command word after env assignments, `exec`, `bundle exec` and the
 * like, as [*w, *w + *n). */
static void first_word(const char *cmd, const char **w, size_t *n)
{
    const char *p = cmd;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        const char *s = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        size_t len = (size_t)(p - s);
        const char *eq = memchr(s, '=', len);
        int assign = eq && eq > s && isalpha((unsigned char)*s);
        int wrapper = (len == 4 && memcmp(s, "exec", 4) == 0) ||
                      (len == 6 && memcmp(s, "bundle", 6) == 0) ||
                      (len == 4 && (memcmp(s, "exec", 4) == 0 || memcmp(s, "pipx", 4) == 0)) ||
                      (len == 6 && memcmp(s, "python", 6) == 0 && strncmp(p, " -m ", 4) == 0) ||
                      (len == 7 && memcmp(s, "python3", 7) == 0 && strncmp(p, " -m ", 4) == 0) ||
                      (len == 2 && memcmp(s, "-m", 2) == 0) ||
                      (len == 3 && memcmp(s, "npx", 3) == 0) ||
                      (len == 6 && memcmp(s, "poetry", 6) == 0 && strncmp(p, " run", 4) == 0) ||
                      (len == 3 && (memcmp(s, "run", 3) == 0 || memcmp(s, "env", 3) == 0));
        if ((assign || wrapper) && *p)
            continue;
        *w = s;
        *n = len;
        return;
    }
}

int lint_cmd_uses_port(const char *cmd)
{
    if (strstr(cmd, "$PORT") || strstr(cmd, "${PORT") || strstr(cmd, "$ENV{PORT}"))
        return 1;
    /* Servers that bind $PORT themselves when it is set. */
    static const char *const readers[] = {"gunicorn", "puma", "rails", "next", "npm", "yarn",
                                          "pnpm",     "node", "bun",   "nuxt", NULL};
    const char *w;
    size_t n;
    first_word(cmd, &w, &n);
    const char *slash = memrchr(w, '/', n);
    if (slash) {
        n -= (size_t)(slash + 1 - w);
        w = slash + 1;
    }
    for (int i = 0; readers[i]; i++)
        if (strlen(readers[i]) == n && memcmp(w, readers[i], n) == 0)
            return 1;
    return 0;
}

int lint_all_digits(const char *b, const char *e)
{
    if (b >= e)
        return 0;
    for (; b < e; b++)
        if (!isdigit((unsigned char)*b))
            return 0;
    return 1;
}

int lint_cmd_fixed_port(const char *cmd, int *port)
{
    static const char *const flags[] = {"--port=", "--port ", "-p ", "--bind=", "--bind ", "-b ",
                                        "-Dserver.port=", "--server.port=", "--listen ",
                                        "--server.port ", NULL};
    for (int i = 0; flags[i]; i++) {
        for (const char *p = cmd; (p = strstr(p, flags[i])) != NULL; p++) {
            if (p > cmd && p[-1] != ' ' && p[-1] != '\t')
                continue;
            const char *v = p + strlen(flags[i]);
            while (*v == ' ')
                v++;
            const char *end = v;
            while (*end && *end != ' ' && *end != '\t')
                end++;
            if (memchr(v, '$', (size_t)(end - v)))
                continue;
            /* host:port, or a bare port */
            const char *colon = memrchr(v, ':', (size_t)(end - v));
            const char *num = colon ? colon + 1 : v;
            if (!lint_all_digits(num, end))
                continue;
            *port = atoi(num);
            return (int)(num - cmd);
        }
    }
    return -1;
}

const char *lint_shell_problem(const char *cmd, size_t *off)
{
    char quote = 0;
    size_t qstart = 0;
    int last_op = 1; /* the start counts as an operator: no command yet */
    size_t last_op_at = 0;
    int seen_op = 0;
    for (size_t i = 0; cmd[i]; i++) {
        char ch = cmd[i];
        if (quote) {
            if (ch == '\\' && quote == '"' && cmd[i + 1])
                i++;
            else if (ch == quote)
                quote = 0;
            continue;
        }
        if (ch == '\\' && cmd[i + 1]) {
            i++;
            last_op = 0;
            continue;
        }
        if (ch == '\'' || ch == '"') {
            quote = ch;
            qstart = i;
            last_op = 0;
            continue;
        }
        if (ch == ' ' || ch == '\t' || ch == '\n')
            continue;
        int op = 0;
        if ((ch == '&' && cmd[i + 1] == '&') || (ch == '|' && cmd[i + 1] == '|'))
            op = 2;
        else if (ch == '|' || ch == ';')
            op = 1;
        else if (ch == '&' && cmd[i + 1] != '>' && (i == 0 || cmd[i - 1] != '>'))
            op = 1;
        if (!op) {
            last_op = 0;
            continue;
        }
        if (ch == ';' && cmd[i + 1] == ';') { /* case ... ;; */
            i++;
            continue;
        }
        if (last_op && !(ch == '&' && op == 1)) {
            *off = i;
            return seen_op ? "two operators with no command between them"
                           : "the command starts with an operator";
        }
        seen_op = 1;
        last_op = 1;
        last_op_at = i;
        i += (size_t)op - 1;
    }
    if (quote) {
        *off = qstart;
        return "a quote that is never closed";
    }
    if (last_op && seen_op) {
        char ch = cmd[last_op_at];
        if (ch != ';' && ch != '&') {
            *off = last_op_at;
            return "the command ends with an operator";
        }
        if (ch == '&' && cmd[last_op_at + 1] == '&') {
            *off = last_op_at;
            return "the command ends with an operator";
        }
    }
    return NULL;
}
