/* lint_secrets.c: secrets committed in any file lint reads (S1-S3).
 *
 * S1: well-known token formats; S2: private key blocks; S3: a high-entropy
 * value assigned to a name that says secret. Placeholders are not secrets:
 * "sk-ant-...", "your-key-here", "change-me", "xxx", "<token>". */
#include "lint_int.h"
#include "tg.h"

#include <ctype.h>
#include <math.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

/* hint: a literal every match contains, so most lines skip the regex. */
typedef struct {
    const char *name;
    const char *hint, *hint2;
    const char *re;
} token_format;

static const token_format formats[] = {
    {"AWS access key id", "AKIA", "ASIA", "(AKIA|ASIA)[0-9A-Z]{16}"},
    {"GitHub token", "gh", NULL, "gh[pousr]_[A-Za-z0-9]{36}"},
    {"GitHub fine-grained token", "github_pat_", NULL, "github_pat_[A-Za-z0-9_]{60,}"},
    {"Anthropic API key", "sk-ant-", NULL, "sk-ant-[a-z]{2,6}[0-9]{2}-[A-Za-z0-9_-]{60,}"},
    {"OpenAI API key", "T3BlbkFJ", NULL, "sk-(proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}"},
    {"OpenAI project key", "sk-proj-", NULL, "sk-proj-[A-Za-z0-9_-]{80,}"},
    {"Stripe live key", "_live_", NULL, "(sk|rk)_live_[0-9A-Za-z]{20,}"},
    {"Slack token", "xox", NULL, "xox[baprse]-[0-9]{6,}-[0-9A-Za-z-]{10,}"},
    {"Slack webhook", "hooks.slack.com", NULL, "hooks\\.slack\\.com/services/T[A-Z0-9]{6,}/B[A-Z0-9]{6,}/[A-Za-z0-9]{20,}"},
    {"Google API key", "AIza", NULL, "AIza[0-9A-Za-z_-]{35}"},
    {"npm token", "npm_", NULL, "npm_[A-Za-z0-9]{36}"},
    {"SendGrid API key", "SG.", NULL, "SG\\.[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{43}"},
};
#define NFORMATS (sizeof formats / sizeof formats[0])

static regex_t compiled[NFORMATS];
static regex_t private_key;
static int ready;

static void compile_once(void)
{
    if (ready)
        return;
    for (size_t i = 0; i < NFORMATS; i++)
        if (regcomp(&compiled[i], formats[i].re, REG_EXTENDED) != 0)
            abort(); /* the patterns are constants: a bug */
    if (regcomp(&private_key, "-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY( BLOCK)?-----", REG_EXTENDED))
        abort();
    ready = 1;
}

/* Does s[0..n) contain any of words (all lower case), ignoring case? The
 * text is folded once, then searched with memmem. */
static int contains_any(const char *s, size_t n, const char *const *words)
{
    char small[256], *low = n < sizeof small ? small : tg_malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        low[i] = (char)tolower((unsigned char)s[i]);
    int found = 0;
    for (int i = 0; words[i] && !found; i++)
        found = memmem(low, n, words[i], strlen(words[i])) != NULL;
    if (low != small)
        free(low);
    return found;
}

/* Words and shapes that mark a value as a placeholder. */
static int placeholder(const char *s, size_t n)
{
    static const char *const words[] = {"...", "xxx", "your", "example", "change", "replace",
                                        "dummy", "placeholder", "sample", "fake", "test_",
                                        "<", "0000000", "1234567", "abcdef", "insert", "redacted",
                                        "****", "here", "todo", "secret_key", NULL};
    if (contains_any(s, n, words))
        return 1;
    size_t same = 1;
    for (size_t i = 1; i < n; i++)
        same += s[i] == s[0];
    return same == n;
}

static double entropy(const char *s, size_t n)
{
    int counts[256] = {0};
    for (size_t i = 0; i < n; i++)
        counts[(unsigned char)s[i]]++;
    double h = 0;
    for (int i = 0; i < 256; i++)
        if (counts[i]) {
            double p = (double)counts[i] / (double)n;
            h -= p * log2(p);
        }
    return h;
}

static int secret_name(const char *s, size_t n)
{
    static const char *const words[] = {"secret", "token", "password", "passwd", "api_key",
                                        "apikey", "api-key", "private_key", "access_key",
                                        "auth_key", "client_secret", NULL};
    return contains_any(s, n, words);
}

/* NAME=value, NAME: value, "NAME": "value", NAME = "value" on one line: finds
 * the name and the value; 0 when the line is not an assignment. */
static int assignment(const char *l, const char **name, size_t *nn, const char **val, size_t *vn)
{
    const char *s = l;
    while (*s == ' ' || *s == '\t' || *s == '-')
        s++;
    if (strncmp(s, "export ", 7) == 0)
        s += 7;
    if (*s == '"' || *s == '\'')
        s++;
    const char *k = s;
    while (*s && (isalnum((unsigned char)*s) || *s == '_' || *s == '-' || *s == '.'))
        s++;
    if (s == k)
        return 0;
    *name = k;
    *nn = (size_t)(s - k);
    if (*s == '"' || *s == '\'')
        s++;
    while (*s == ' ' || *s == '\t')
        s++;
    if (*s != '=' && *s != ':')
        return 0;
    s++;
    while (*s == ' ' || *s == '\t')
        s++;
    if (*s == '"' || *s == '\'') {
        char q = *s++;
        const char *e = strchr(s, q);
        *val = s;
        *vn = e ? (size_t)(e - s) : strlen(s);
    } else {
        const char *e = s;
        while (*e && *e != ' ' && *e != '\t' && *e != ',' && *e != '#')
            e++;
        *val = s;
        *vn = (size_t)(e - s);
    }
    return 1;
}

static int high_entropy_secret(const char *v, size_t n)
{
    if (n < 16 || n > 512 || memchr(v, '$', n) || memchr(v, '{', n) || memchr(v, ' ', n) ||
        memchr(v, '/', n) || placeholder(v, n))
        return 0;
    int lower = 0, upper = 0, digit = 0;
    for (size_t i = 0; i < n; i++) {
        lower |= islower((unsigned char)v[i]) != 0;
        upper |= isupper((unsigned char)v[i]) != 0;
        digit |= isdigit((unsigned char)v[i]) != 0;
    }
    return digit && (lower + upper) >= 1 && entropy(v, n) >= 3.8;
}

/* Is the block after a BEGIN line real key material (a long base64 line)? */
static int key_material_follows(const char *p, const char *end)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl)
        return 0;
    p = nl + 1;
    size_t run = 0;
    while (p < end && *p != '\n' && *p != '"' && *p != '\\') {
        run = (isalnum((unsigned char)*p) || *p == '+' || *p == '/') ? run + 1 : 0;
        if (run >= 40)
            return 1;
        p++;
    }
    /* A key written on one line with \n escapes. */
    return 0;
}

void lint_secrets(lint_ctx *c)
{
    compile_once();
    const char *end = c->text + c->len;
    int line = 0;
    char *l;
    size_t pos = 0, start = 0;
    while ((l = lint_next_line(c, &pos, &line)) != NULL) {
        const char *p = c->text + start;
        start = pos;
        regmatch_t m;
        const char *from = l;
        int token_found = 0;
        /* Every token format is at least 20 characters long. */
        for (size_t i = 0; strlen(l) >= 20 && i < NFORMATS; i++) {
            if (!strstr(l, formats[i].hint) && !(formats[i].hint2 && strstr(l, formats[i].hint2)))
                continue;
            from = l;
            while (regexec(&compiled[i], from, 1, &m, 0) == 0 && m.rm_eo > m.rm_so) {
                const char *tok = from + m.rm_so;
                size_t tn = (size_t)(m.rm_eo - m.rm_so);
                if (!placeholder(tok, tn)) {
                    lint_add(c, "S1", TG_LINT_ERROR, line, (int)(tok - l) + 1,
                             "%s committed in the file; revoke it, then read it from the "
                             "platform's secret store (${VAR} / sync: false)",
                             formats[i].name);
                    token_found = 1;
                    break;
                }
                from = tok + tn;
            }
        }
        if (strstr(l, "-----BEGIN") && regexec(&private_key, l, 1, &m, 0) == 0 &&
            key_material_follows(p, end))
            lint_add(c, "S2", TG_LINT_ERROR, line, (int)m.rm_so + 1,
                     "private key block committed in the file; revoke the key and mount it "
                     "from a secret store");
        const char *name, *val;
        size_t nn, vn;
        const char *s = l;
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s != '#' && !token_found && assignment(l, &name, &nn, &val, &vn) && secret_name(name, nn) &&
            high_entropy_secret(val, vn))
            lint_add(c, "S3", TG_LINT_WARNING, line, (int)(val - l) + 1,
                     "%.*s holds a random-looking value; if it is a real secret, revoke it and "
                     "read it from the environment, if not, use an obvious placeholder",
                     (int)nn, name);
        free(l);
    }
}
