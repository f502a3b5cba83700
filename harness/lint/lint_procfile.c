/* lint_procfile.c: Procfile rules P1-P9. */
#include "lint_int.h"
#include "tg.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static int valid_type(const char *s, size_t n)
{
    if (n == 0 || n > 63)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-';
        if (!ok || (ch == '-' && (i == 0 || i == n - 1)))
            return 0;
    }
    return 1;
}

static int has_word(const char *cmd, const char *word)
{
    size_t wl = strlen(word);
    for (const char *p = cmd; (p = strstr(p, word)) != NULL; p++) {
        int start = p == cmd || p[-1] == ' ' || p[-1] == '/' || p[-1] == '\t';
        int end = p[wl] == 0 || p[wl] == ' ' || p[wl] == '\t';
        if (start && end)
            return 1;
    }
    return 0;
}

/* Servers and dev servers that never exit: wrong as a release command. */
static int runs_server(const char *cmd)
{
    static const char *const servers[] = {"gunicorn", "uvicorn", "puma",   "unicorn", "daphne",
                                          "hypercorn", "waitress-serve", NULL};
    for (int i = 0; servers[i]; i++)
        if (has_word(cmd, servers[i]))
            return 1;
    return strstr(cmd, "npm start") || strstr(cmd, "yarn start") || strstr(cmd, "pnpm start") ||
           strstr(cmd, "rails server") || strstr(cmd, "rails s ") ||
           strstr(cmd, "manage.py runserver");
}

/* gunicorn takes one APP_MODULE; a second bare word is a mistake. Returns the
 * offset of the extra argument, or -1. */
static int gunicorn_extra_app(const char *cmd)
{
    static const char *const flags[] = {"--reload", "--preload", "--daemon", "-D",
                                        "--check-config", "--print-config", "--spew",
                                        "--capture-output", "--enable-stdio-inheritance",
                                        "--no-sendfile", "--reuse-port", "-R", "--help", "-v",
                                        "--version", NULL};
    const char *g = strstr(cmd, "gunicorn");
    if (!g || (g != cmd && g[-1] != ' ' && g[-1] != '/'))
        return -1;
    const char *p = g + 8;
    if (*p && *p != ' ')
        return -1;
    int positional = 0, skip_next = 0;
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        const char *w = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        size_t n = (size_t)(p - w);
        if ((n == 2 && memcmp(w, "&&", 2) == 0) || (n == 1 && (*w == '|' || *w == ';')) ||
            *w == '#')
            break; /* the next command */
        if (skip_next) {
            skip_next = 0;
            continue;
        }
        if (*w == '-') {
            int flag = 0;
            for (int i = 0; flags[i]; i++)
                if (strlen(flags[i]) == n && memcmp(w, flags[i], n) == 0)
                    flag = 1;
            if (!flag && !memchr(w, '=', n))
                skip_next = 1;
            continue;
        }
        if (*w == '$' || *w == '"' || *w == '\'')
            continue;
        if (++positional == 2)
            return (int)(w - cmd);
    }
    return -1;
}

void lint_procfile(lint_ctx *c)
{
    lint_set types = {0}; /* process type -> the line it was first declared on */
    int line = 0;
    char *l;
    const char *s;
    size_t pos = 0;
    while ((l = lint_next_entry(c, &pos, &line, &s)) != NULL) {
        const char *colon = strchr(s, ':');
        const char *sp = s + strcspn(s, " \t");
        if (!colon || colon > sp) {
            lint_add(c, "P1", TG_LINT_ERROR, line, (int)(s - l) + 1,
                     "not a \"type: command\" line, so the platform ignores it; write "
                     "\"%.*s: ...\" with a colon after the process type",
                     (int)(sp - s) > 40 ? 40 : (int)(sp - s), s);
            free(l);
            continue;
        }
        size_t tn = (size_t)(colon - s);
        int tcol = (int)(s - l) + 1;
        if (s != l)
            lint_add(c, "P1", TG_LINT_ERROR, line, 1,
                     "process line starts with whitespace; Procfile parsers skip such lines, "
                     "remove the indentation");
        if (!valid_type(s, tn))
            lint_add(c, "P2", TG_LINT_ERROR, line, tcol,
                     "process type \"%.*s\" must be lower-case letters, digits and inner dashes, "
                     "at most 63 characters; rename it",
                     (int)(tn > 63 ? 63 : tn), s);
        const char *cmd = colon + 1;
        while (*cmd == ' ' || *cmd == '\t')
            cmd++;
        int ccol = (int)(cmd - l) + 1;
        if (!*cmd)
            lint_add(c, "P3", TG_LINT_ERROR, line, tcol,
                     "process type \"%.*s\" has no command; add one or remove the line",
                     (int)(tn > 63 ? 63 : tn), s);
        char *type = tg_strndup(s, tn);
        int first = lint_set_put(&types, type, line);
        if (first >= 0)
            lint_add(c, "P4", TG_LINT_ERROR, line, tcol,
                     "process type \"%s\" is declared twice (first at line %d); the "
                     "platform runs only one, remove or rename one",
                     type, first);
        if (*cmd && strcmp(type, "web") == 0) {
            int port;
            int at = lint_cmd_fixed_port(cmd, &port);
            if (at >= 0)
                lint_add(c, "P6", TG_LINT_WARNING, line, ccol + at,
                         "web binds the fixed port %d; the platform assigns $PORT, bind "
                         "0.0.0.0:$PORT instead",
                         port);
            else if (!lint_cmd_uses_port(cmd))
                lint_add(c, "P5", TG_LINT_WARNING, line, ccol,
                         "web command neither uses $PORT nor runs a server known to read PORT; "
                         "pass --port $PORT (or make sure the program reads PORT)");
            lint_ref_add(&c->facts->starts, cmd, c->file, line, ccol);
        }
        const char *dbg = strstr(cmd, "node --debug");
        if (dbg)
            lint_add(c, "P7", TG_LINT_ERROR, line, ccol + (int)(dbg - cmd),
                     "node --debug was removed in Node 8 and makes node exit; drop it "
                     "(or use --inspect for local debugging)");
        if (strcmp(type, "release") == 0 && runs_server(cmd))
            lint_add(c, "P8", TG_LINT_ERROR, line, ccol,
                     "the release command starts a server that never exits, so the release "
                     "phase hangs; move it to web and keep release for one-off tasks");
        int extra = gunicorn_extra_app(cmd);
        if (extra >= 0)
            lint_add(c, "P9", TG_LINT_ERROR, line, ccol + extra,
                     "gunicorn takes one APP_MODULE, but gets a second one; keep only "
                     "module:variable");
        free(type);
        free(l);
    }
    lint_set_free(&types);
}
