/* smoke_secret.c: secret masking for every smoke output (smoke.h).
 *
 * A secret is registered as the runner meets it (a header value, a password
 * in a URL, a Set-Cookie the server sends) together with its JSON- and
 * XML-escaped spellings, because masking also runs over rendered reports,
 * where the secret appears escaped. */
#include "smoke.h"
#include "tg.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

int tg_smoke_header_is_secret(const char *name)
{
    static const char *const always[] = {"Authorization", "Proxy-Authorization", "Cookie",
                                         "Set-Cookie", "X-Api-Key", NULL};
    for (const char *const *a = always; *a; a++)
        if (!strcasecmp(name, *a))
            return 1;
    return 0;
}

static void add_one(tg_smoke_secrets *s, const char *v)
{
    if (!v || !*v)
        return;
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->v[i], v))
            return;
    s->v = tg_realloc(s->v, sizeof *s->v * (s->n + 1));
    /* Longest first, so a secret that contains another is masked whole. */
    size_t at = s->n, len = strlen(v);
    while (at > 0 && strlen(s->v[at - 1]) < len) {
        s->v[at] = s->v[at - 1];
        at--;
    }
    s->v[at] = tg_strdup(v);
    s->n++;
}

static char *escaped(const char *v, int xml)
{
    tg_buf b;
    tg_buf_init(&b);
    tg_buf_add(&b, "", 0);
    for (const char *p = v; *p; p++) {
        if (xml && *p == '&')
            tg_buf_adds(&b, "&amp;");
        else if (xml && *p == '<')
            tg_buf_adds(&b, "&lt;");
        else if (xml && *p == '>')
            tg_buf_adds(&b, "&gt;");
        else if (xml && *p == '"')
            tg_buf_adds(&b, "&quot;");
        else if (xml && *p == '\'')
            tg_buf_adds(&b, "&apos;");
        else if (!xml && (*p == '"' || *p == '\\'))
            tg_buf_addf(&b, "\\%c", *p);
        else if (!xml && *p == '/')
            tg_buf_adds(&b, "\\/"); /* some JSON writers escape it */
        else
            tg_buf_add(&b, p, 1);
    }
    return tg_buf_steal(&b);
}

void tg_smoke_secret_add(tg_smoke_secrets *s, const char *value)
{
    if (!value || !*value)
        return;
    add_one(s, value);
    char *j = escaped(value, 0), *x = escaped(value, 1);
    add_one(s, j);
    add_one(s, x);
    free(j);
    free(x);
    /* "Bearer TOKEN", "Basic B64": the credential alone is a secret too. */
    const char *sp = strchr(value, ' ');
    if (sp && sp[1] && !strchr(sp + 1, ' ') && sp - value < 16)
        tg_smoke_secret_add(s, sp + 1);
}

char *tg_smoke_mask(const tg_smoke_secrets *s, const char *text)
{
    tg_buf b;
    tg_buf_init(&b);
    tg_buf_add(&b, "", 0);
    if (!text)
        return tg_buf_steal(&b);
    const char *p = text;
    while (*p) {
        size_t hit = 0;
        for (size_t i = 0; s && i < s->n && !hit; i++) {
            size_t n = strlen(s->v[i]);
            if (!strncmp(p, s->v[i], n))
                hit = n;
        }
        if (hit) {
            tg_buf_adds(&b, "***");
            p += hit;
        } else {
            tg_buf_add(&b, p, 1);
            p++;
        }
    }
    return tg_buf_steal(&b);
}

char *tg_smoke_url_display(const char *url)
{
    const char *auth = strstr(url, "://");
    if (!auth)
        return tg_strdup(url);
    auth += 3;
    size_t alen = strcspn(auth, "/?#");
    const char *at = NULL;
    for (const char *p = auth; p < auth + alen; p++)
        if (*p == '@')
            at = p;
    if (!at)
        return tg_strdup(url);
    return tg_asprintf("%.*s***%s", (int)(auth - url), url, at);
}

void tg_smoke_print_masked(const tg_smoke_secrets *s, FILE *out, const char *text)
{
    char *m = tg_smoke_mask(s, text);
    fputs(m, out);
    fflush(out);
    free(m);
}
