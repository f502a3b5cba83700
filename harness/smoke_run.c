/* smoke_run.c: the smoke engine on one libcurl multi handle (smoke.h).
 *
 * A job runs one check: its attempts, each attempt one request (or, for a
 * load probe, `requests` requests with `concurrency` in flight), and the
 * waits between attempts. Jobs of different specs run side by side; within a
 * spec a job starts when the one before it is done, unless the spec says
 * parallel. One loop drives everything: start due jobs, let curl work, read
 * finished transfers, sleep until curl or the next retry wants us. */
#include "smoke.h"
#include "tg.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <curl/curl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

enum { J_BLOCKED, J_WAITING, J_RUNNING, J_DONE };

typedef struct runctx runctx;
typedef struct job job;

typedef struct {
    char *name, *value;
} var;

typedef struct {
    const tg_smoke_spec *spec;
    char *base;     /* the base URL, expanded; NULL when the spec has only absolute URLs */
    var *vars;      /* captures */
    size_t nvars;
    job **jobs;
    size_t njobs;
} specrun;

typedef struct req {
    CURL *easy;
    job *j;
    struct curl_slist *hdrs;
    char *url;
    const char *method;
    int send_body;
    int hops;
    tg_buf body;
    int truncated;
    char **hnames, **hvalues; /* response headers of the last response */
    size_t nh;
    char errbuf[CURL_ERROR_SIZE];
    double elapsed_ms;
    int strip_secrets; /* after a redirect to another host */
    struct req *prev, *next; /* the run's transfers in flight */
} req;

struct job {
    runctx *R;
    specrun *S;
    const tg_smoke_check *check;
    tg_smoke_outcome *out;
    int state;
    int attempt;
    double next_at, attempt_started;
    int tries;
    double interval, timeout;
    tg_redir_policy redirects;
    /* the current attempt */
    char *url;
    char *body;
    int total, concurrency, launched, inflight, finished;
    double *samples;
    int nsamples;
    int errors;
    char *fail;        /* first failure of this attempt */
    int fail_transport;
    int captured;
    int last_status;
    double retry_after;
    int cert_days;
};

struct runctx {
    CURLM *multi;
    const tg_smoke_opts *opts;
    tg_smoke_run_result *res;
    specrun *specs;
    size_t nspecs;
    job *jobs;
    size_t njobs;
    req *active;
};

static const char *lookup_var(void *ctx, const char *name)
{
    specrun *S = ctx;
    for (size_t i = S->nvars; i-- > 0;)
        if (!strcmp(S->vars[i].name, name))
            return S->vars[i].value;
    const char *v = getenv(name);
    if (v)
        return v;
    if (!strcmp(name, "TARGET_URL"))
        return S->base;
    return NULL;
}

static void set_var(specrun *S, const char *name, const char *value)
{
    S->vars = tg_realloc(S->vars, sizeof *S->vars * (S->nvars + 1));
    S->vars[S->nvars].name = tg_strdup(name);
    S->vars[S->nvars].value = tg_strdup(value);
    S->nvars++;
}

/* ---- output as we go ---------------------------------------------------- */

static void say(runctx *R, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(runctx *R, const char *fmt, ...)
{
    if (R->opts->quiet)
        return;
    tg_buf b;
    tg_buf_init(&b);
    va_list ap;
    va_start(ap, fmt);
    tg_buf_vaddf(&b, fmt, ap);
    va_end(ap);
    tg_smoke_print_masked(&R->res->secrets, stdout, b.data);
    tg_buf_free(&b);
}

/* ---- URLs --------------------------------------------------------------- */

static int is_http_url(const char *u)
{
    return !strncasecmp(u, "http://", 7) || !strncasecmp(u, "https://", 8);
}

/* Query parameters that carry credentials by convention. */
static int is_secret_param(const char *name, size_t n)
{
    static const char *const names[] = {"token",  "access_token", "api_key",   "apikey", "key",
                                        "secret", "password",     "signature", "sig",    NULL};
    for (const char *const *p = names; *p; p++)
        if (strlen(*p) == n && !strncasecmp(name, *p, n))
            return 1;
    return 0;
}

/* Registers the user:password of a URL, and the values of credential-like
 * query parameters, as secrets. */
static void note_url_secrets(tg_smoke_secrets *sec, const char *url)
{
    CURLU *u = curl_url();
    char *user = NULL, *pass = NULL, *query = NULL;
    if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK) {
        curl_url_get(u, CURLUPART_USER, &user, 0);
        curl_url_get(u, CURLUPART_PASSWORD, &pass, 0);
        curl_url_get(u, CURLUPART_QUERY, &query, 0);
        if (pass && *pass) {
            tg_smoke_secret_add(sec, pass);
            char *both = tg_asprintf("%s:%s", user ? user : "", pass);
            tg_smoke_secret_add(sec, both);
            free(both);
        }
        for (const char *p = query; p && *p;) {
            size_t len = strcspn(p, "&"), klen = strcspn(p, "=&");
            if (klen < len && is_secret_param(p, klen)) {
                char *v = tg_strndup(p + klen + 1, len - klen - 1);
                tg_smoke_secret_add(sec, v);
                free(v);
            }
            p += len + (p[len] == '&');
        }
    }
    curl_free(user);
    curl_free(pass);
    curl_free(query);
    curl_url_cleanup(u);
}

static char *url_host(const char *url)
{
    CURLU *u = curl_url();
    char *host = NULL, *out = NULL;
    if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK)
        out = tg_strdup(host);
    curl_free(host);
    curl_url_cleanup(u);
    return out;
}

static char *join_url(const char *base, const char *path)
{
    size_t n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        n--;
    return tg_asprintf("%.*s%s", (int)n, base, path);
}

/* ---- response headers --------------------------------------------------- */

static void clear_headers(req *q)
{
    for (size_t i = 0; i < q->nh; i++) {
        free(q->hnames[i]);
        free(q->hvalues[i]);
    }
    free(q->hnames);
    free(q->hvalues);
    q->hnames = q->hvalues = NULL;
    q->nh = 0;
}

static const char *resp_header(const req *q, const char *name)
{
    for (size_t i = 0; i < q->nh; i++)
        if (!strcasecmp(q->hnames[i], name))
            return q->hvalues[i];
    return NULL;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ud)
{
    req *q = ud;
    size_t len = size * nmemb;
    if (len >= 5 && !strncmp(data, "HTTP/", 5)) {
        clear_headers(q); /* a new response: after a 100 Continue, say */
        return len;
    }
    const char *colon = memchr(data, ':', len);
    if (!colon || q->nh >= 500)
        return len;
    const char *v = colon + 1, *end = data + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
        end--;
    q->hnames = tg_realloc(q->hnames, sizeof *q->hnames * (q->nh + 1));
    q->hvalues = tg_realloc(q->hvalues, sizeof *q->hvalues * (q->nh + 1));
    q->hnames[q->nh] = tg_strndup(data, (size_t)(colon - data));
    q->hvalues[q->nh] = tg_strndup(v, (size_t)(end - v));
    if (tg_smoke_header_is_secret(q->hnames[q->nh]))
        tg_smoke_secret_add(&q->j->R->res->secrets, q->hvalues[q->nh]);
    for (size_t k = 0; k < q->j->S->spec->nsecret_names; k++)
        if (!strcasecmp(q->hnames[q->nh], q->j->S->spec->secret_names[k]))
            tg_smoke_secret_add(&q->j->R->res->secrets, q->hvalues[q->nh]);
    q->nh++;
    return len;
}

/* Stops at the cap: returning short makes curl end the transfer, so a body
 * of any size costs at most max_body bytes. */
static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
    req *q = ud;
    size_t len = size * nmemb, cap = q->j->S->spec->max_body;
    if (q->body.len + len > cap) {
        tg_buf_add(&q->body, data, cap - q->body.len);
        q->truncated = 1;
        return 0;
    }
    tg_buf_add(&q->body, data, len);
    return len;
}

/* ---- requests ----------------------------------------------------------- */

static void add_req_header(req *q, const char *name, const char *value)
{
    char *line = tg_asprintf("%s: %s", name, value);
    q->hdrs = curl_slist_append(q->hdrs, line);
    free(line);
}

/* Check headers override the spec's; secret ones are registered before
 * anything could print them. Returns 0, or -1 with *missing set. */
static int build_headers(job *j, req *q, char **missing)
{
    const tg_smoke_spec *sp = j->S->spec;
    const tg_smoke_check *c = j->check;
    tg_smoke_secrets *sec = &j->R->res->secrets;
    int has_ctype = 0;
    for (int pass = 0; pass < 2; pass++) {
        const tg_smoke_header *hs = pass ? c->headers : sp->headers;
        size_t n = pass ? c->nheaders : sp->nheaders;
        for (size_t i = 0; i < n; i++) {
            if (!pass) { /* a spec header the check redefines */
                int over = 0;
                for (size_t k = 0; k < c->nheaders; k++)
                    over |= !strcasecmp(c->headers[k].name, hs[i].name);
                if (over)
                    continue;
            }
            if (q->strip_secrets && hs[i].secret)
                continue;
            char *v = tg_smoke_expand(hs[i].value, lookup_var, j->S, 0, missing);
            if (!v)
                return -1;
            if (hs[i].secret)
                tg_smoke_secret_add(sec, v);
            has_ctype |= !strcasecmp(hs[i].name, "Content-Type");
            add_req_header(q, hs[i].name, v);
            free(v);
        }
    }
    if (c->body_is_json && !has_ctype)
        add_req_header(q, "Content-Type", "application/json");
    add_req_header(q, "Expect", ""); /* no 100-continue round trip */
    return 0;
}

static void setup_easy(job *j, req *q)
{
    const tg_smoke_spec *sp = j->S->spec;
    CURL *e = q->easy;
    curl_easy_reset(e);
    curl_easy_setopt(e, CURLOPT_URL, q->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, q);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "tollgate/" TG_VERSION);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(j->timeout * 1000));
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)(j->timeout * 1000));
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, q->errbuf);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, q);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, q);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, q->hdrs);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, sp->tls_verify ? 1L : 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, sp->tls_verify ? 2L : 0L);
    if (sp->ca_file) {
        char *ca = tg_smoke_expand(sp->ca_file, lookup_var, j->S, 0, NULL);
        curl_easy_setopt(e, CURLOPT_CAINFO, ca ? ca : sp->ca_file);
        free(ca);
    }
    if (!strncasecmp(q->url, "https://", 8)) {
        curl_easy_setopt(e, CURLOPT_CERTINFO, 1L);
        /* The certificate is only seen on a handshake, not on a reused connection. */
        if (j->check->tls_days_min >= 0)
            curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
    }
    if (!strcmp(q->method, "HEAD"))
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    else if (strcmp(q->method, "GET") != 0)
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, q->method);
    if (q->send_body && j->body) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, j->body);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(j->body));
    } else if (!strcmp(q->method, "POST") || !strcmp(q->method, "PUT") ||
               !strcmp(q->method, "PATCH")) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, 0L);
    }
}

static void free_req(req *q)
{
    runctx *R = q->j->R;
    if (q->prev)
        q->prev->next = q->next;
    else if (R->active == q)
        R->active = q->next;
    if (q->next)
        q->next->prev = q->prev;
    if (q->easy)
        curl_easy_cleanup(q->easy);
    curl_slist_free_all(q->hdrs);
    free(q->url);
    tg_buf_free(&q->body);
    clear_headers(q);
    free(q);
}

static int launch_req(job *j)
{
    req *q = tg_calloc(1, sizeof *q);
    q->j = j;
    q->easy = curl_easy_init();
    q->url = tg_strdup(j->url);
    q->method = j->check->method;
    q->send_body = 1;
    q->next = j->R->active;
    if (q->next)
        q->next->prev = q;
    j->R->active = q;
    if (!q->easy) {
        free_req(q);
        return TG_EINTERNAL;
    }
    char *missing = NULL;
    if (build_headers(j, q, &missing) != 0) { /* checked before the job started */
        free(missing);
        free_req(q);
        return TG_EINTERNAL;
    }
    setup_easy(j, q);
    if (curl_multi_add_handle(j->R->multi, q->easy) != CURLM_OK) {
        free_req(q);
        return TG_EINTERNAL;
    }
    j->launched++;
    j->inflight++;
    return 0;
}

/* ---- evaluation --------------------------------------------------------- */

static char *transport_words(job *j, const req *q, CURLcode rc)
{
    char *u = tg_smoke_url_display(q->url);
    const char *detail = q->errbuf[0] ? q->errbuf : curl_easy_strerror(rc);
    char *host = url_host(q->url), *msg;
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        msg = tg_asprintf("%s %s: name resolution failed: host '%s' is not known (%s)",
                          q->method, u, host ? host : "?", detail);
        break;
    case CURLE_COULDNT_CONNECT:
        msg = tg_asprintf("%s %s: connect failed: nothing accepts connections there (%s)",
                          q->method, u, detail);
        break;
    case CURLE_OPERATION_TIMEDOUT:
        msg = tg_asprintf("%s %s: timeout: no complete answer within %.0f ms", q->method, u,
                          j->timeout * 1000);
        break;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
        msg = tg_asprintf("%s %s: TLS failed: %s", q->method, u, detail);
        break;
    case CURLE_GOT_NOTHING:
        msg = tg_asprintf("%s %s: the server closed the connection without answering",
                          q->method, u);
        break;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
        msg = tg_asprintf("%s %s: the connection broke: %s", q->method, u, detail);
        break;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
        msg = tg_asprintf("%s %s: not a usable http or https URL (%s)", q->method, u, detail);
        break;
    default: msg = tg_asprintf("%s %s: transfer failed: %s", q->method, u, detail); break;
    }
    free(host);
    free(u);
    return msg;
}

static const cJSON *json_at(const cJSON *root, const char *path)
{
    const char *p = path;
    if (!strncmp(p, "$.", 2))
        p += 2;
    else if (!strcmp(p, "$"))
        return root;
    const cJSON *cur = root;
    while (*p && cur) {
        if (*p == '[') {
            long idx = strtol(p + 1, (char **)&p, 10);
            p++; /* ] */
            cur = cJSON_IsArray(cur) ? cJSON_GetArrayItem(cur, (int)idx) : NULL;
        } else {
            size_t n = strcspn(p, ".[");
            char *key = tg_strndup(p, n);
            cur = cJSON_IsObject(cur) ? cJSON_GetObjectItemCaseSensitive(cur, key) : NULL;
            free(key);
            p += n;
        }
        if (*p == '.')
            p++;
    }
    return cur;
}

static const char *json_type(const cJSON *v)
{
    if (cJSON_IsString(v))
        return "string";
    if (cJSON_IsNumber(v))
        return "number";
    if (cJSON_IsBool(v))
        return "boolean";
    if (cJSON_IsObject(v))
        return "object";
    if (cJSON_IsArray(v))
        return "array";
    return "null";
}

/* A short text of a JSON value for messages and captures. */
static char *json_text(const cJSON *v)
{
    if (cJSON_IsString(v))
        return tg_strdup(v->valuestring);
    char *p = cJSON_PrintUnformatted(v);
    char *out = tg_strdup(p ? p : "?");
    cJSON_free(p);
    if (strlen(out) > 200)
        strcpy(out + 197, "...");
    return out;
}

static int scalar_equals(const cJSON *v, const char *want, int quoted)
{
    if (cJSON_IsString(v))
        return !strcmp(v->valuestring, want);
    if (quoted)
        return 0;
    if (cJSON_IsNumber(v)) {
        char *end;
        double w = strtod(want, &end);
        return end != want && !*end && fabs(w - v->valuedouble) <= 1e-9 * fmax(1, fabs(w));
    }
    if (cJSON_IsTrue(v))
        return !strcmp(want, "true");
    if (cJSON_IsFalse(v))
        return !strcmp(want, "false");
    if (cJSON_IsNull(v))
        return !strcmp(want, "null") || !strcmp(want, "~") || !*want;
    return 0;
}

static char *check_json(job *j, const cJSON *root, const tg_smoke_jexpect *x)
{
    const cJSON *v = json_at(root, x->path);
    if (x->exists == 0)
        return v ? tg_asprintf("JSON %s is present; expected it absent", x->path) : NULL;
    if (!v)
        return tg_asprintf("JSON %s is missing", x->path);
    char *got = json_text(v), *msg = NULL;
    if (x->equals) {
        char *want = tg_smoke_expand(x->equals, lookup_var, j->S, 0, NULL);
        if (!want || !scalar_equals(v, want, x->equals_quoted))
            msg = tg_asprintf("JSON %s is %s (%s); expected %s", x->path, got, json_type(v),
                              want ? want : x->equals);
        free(want);
    }
    if (!msg && x->type && strcmp(x->type, json_type(v)))
        msg = tg_asprintf("JSON %s is a %s; expected a %s", x->path, json_type(v), x->type);
    if (!msg && x->pattern && (cJSON_IsObject(v) || cJSON_IsArray(v) ||
                               regexec(&x->re, got, 0, NULL, 0) != 0))
        msg = tg_asprintf("JSON %s is %s; expected it to match /%s/", x->path, got, x->pattern);
    if (!msg && (x->has_gt || x->has_ge || x->has_lt || x->has_le)) {
        if (!cJSON_IsNumber(v))
            msg = tg_asprintf("JSON %s is %s (%s); expected a number", x->path, got, json_type(v));
        else {
            double d = v->valuedouble;
            if (x->has_gt && !(d > x->gt))
                msg = tg_asprintf("JSON %s is %s; expected more than %g", x->path, got, x->gt);
            else if (x->has_ge && !(d >= x->ge))
                msg = tg_asprintf("JSON %s is %s; expected at least %g", x->path, got, x->ge);
            else if (x->has_lt && !(d < x->lt))
                msg = tg_asprintf("JSON %s is %s; expected less than %g", x->path, got, x->lt);
            else if (x->has_le && !(d <= x->le))
                msg = tg_asprintf("JSON %s is %s; expected at most %g", x->path, got, x->le);
        }
    }
    free(got);
    return msg;
}

static int status_ok(const tg_smoke_check *c, long st)
{
    if (c->nstatuses == 0)
        return st >= 200 && st < 300;
    for (size_t i = 0; i < c->nstatuses; i++)
        if (c->statuses[i] < 10 ? st / 100 == c->statuses[i] : st == c->statuses[i])
            return 1;
    return 0;
}

static char *excerpt(const tg_buf *b)
{
    char *clean = tg_clean_text(b->data ? b->data : "", b->len > 200 ? 200 : b->len);
    for (char *p = clean; *p; p++) /* messages stay on one line */
        if (*p == '\n' || *p == '\t')
            *p = ' ';
    char *out = tg_asprintf("\"%s\"%s", clean, b->len > 200 ? "..." : "");
    free(clean);
    return out;
}

static char *check_captures(job *j, const req *q, const cJSON *root)
{
    const tg_smoke_check *c = j->check;
    for (size_t i = 0; i < c->ncaptures; i++) {
        const tg_smoke_capture *cap = &c->captures[i];
        if (cap->kind == TG_CAP_HEADER) {
            const char *v = resp_header(q, cap->from);
            if (!v)
                return tg_asprintf("capture %s: the response has no %s header", cap->var,
                                   cap->from);
            set_var(j->S, cap->var, v);
        } else {
            const cJSON *v = json_at(root, cap->from);
            if (!v || cJSON_IsObject(v) || cJSON_IsArray(v) || cJSON_IsNull(v))
                return tg_asprintf("capture %s: JSON %s is %s", cap->var, cap->from,
                                   v ? "not a scalar" : "missing");
            char *t = json_text(v);
            set_var(j->S, cap->var, t);
            free(t);
        }
    }
    return NULL;
}

static int parse_cert_days(CURL *e)
{
    struct curl_certinfo *ci = NULL;
    if (curl_easy_getinfo(e, CURLINFO_CERTINFO, &ci) != CURLE_OK || !ci || ci->num_of_certs < 1)
        return -1;
    for (struct curl_slist *s = ci->certinfo[0]; s; s = s->next) {
        if (strncmp(s->data, "Expire date:", 12) != 0)
            continue;
        time_t t = curl_getdate(s->data + 12, NULL);
        if (t == (time_t)-1) {
            struct tm tm = {0};
            if (!strptime(s->data + 12, "%b %d %H:%M:%S %Y", &tm))
                return -1;
            t = timegm(&tm);
        }
        double days = difftime(t, time(NULL)) / 86400.0;
        return days < 0 ? 0 : (int)floor(days);
    }
    return -1;
}

static double parse_retry_after(const char *v)
{
    if (!v)
        return 0;
    char *end;
    double s = strtod(v, &end);
    if (end != v && (*end == '\0' || isspace((unsigned char)*end)))
        return s > 0 ? s : 0;
    time_t t = curl_getdate(v, NULL);
    if (t == (time_t)-1)
        return 0;
    double d = difftime(t, time(NULL));
    return d > 0 ? d : 0;
}

/* Judges one finished response. Returns NULL when it meets every
 * expectation, or what it got wrong; *transport says the exchange itself
 * failed. */
static char *evaluate(job *j, req *q, CURLcode rc, long status, int *transport)
{
    const tg_smoke_check *c = j->check;
    *transport = 0;
    if (q->truncated)
        return tg_asprintf("the response body is larger than the %zu-byte cap; stopped reading "
                           "after %zu bytes (raise max_body_bytes if this is expected)",
                           j->S->spec->max_body, q->body.len);
    if (rc != CURLE_OK) {
        *transport = 1;
        return transport_words(j, q, rc);
    }
    if (!status_ok(c, status)) {
        char *ex = excerpt(&q->body);
        char *m = tg_asprintf("status %ld; expected %s (body %s)", status,
                              c->nstatuses ? "another status" : "2xx", ex);
        if (c->nstatuses) {
            tg_buf w;
            tg_buf_init(&w);
            for (size_t i = 0; i < c->nstatuses; i++) {
                if (c->statuses[i] < 10)
                    tg_buf_addf(&w, "%s%dxx", i ? " or " : "", c->statuses[i]);
                else
                    tg_buf_addf(&w, "%s%d", i ? " or " : "", c->statuses[i]);
            }
            free(m);
            m = tg_asprintf("status %ld; expected %s (body %s)", status, w.data, ex);
            tg_buf_free(&w);
        }
        free(ex);
        return m;
    }
    if (c->max_ms >= 0 && q->elapsed_ms > c->max_ms)
        return tg_asprintf("took %.1f ms; the budget is %g ms", q->elapsed_ms, c->max_ms);
    if (c->tls_days_min >= 0) {
        if (j->cert_days < 0)
            return tg_strdup("no peer certificate to read days left from (is the URL https?)");
        if (j->cert_days < c->tls_days_min)
            return tg_asprintf("the TLS certificate expires in %d days; expected at least %d",
                               j->cert_days, c->tls_days_min);
    }
    for (size_t i = 0; i < c->nhexpects; i++) {
        const tg_smoke_hexpect *h = &c->hexpects[i];
        const char *v = resp_header(q, h->name);
        if (h->kind == TG_HX_ABSENT) {
            if (v)
                return tg_asprintf("header %s is present (%s); expected it absent", h->name, v);
            continue;
        }
        if (!v)
            return tg_asprintf("header %s is missing", h->name);
        if (h->kind == TG_HX_PATTERN && regexec(&h->re, v, 0, NULL, 0) != 0)
            return tg_asprintf("header %s is \"%s\"; expected it to match /%s/", h->name, v,
                               h->value);
        if (h->kind == TG_HX_EXACT) {
            char *want = tg_smoke_expand(h->value, lookup_var, j->S, 0, NULL);
            int same = want && !strcmp(v, want);
            char *m = same ? NULL
                           : tg_asprintf("header %s is \"%s\"; expected \"%s\"", h->name, v,
                                         want ? want : h->value);
            free(want);
            if (m)
                return m;
        }
    }
    if (c->body_pattern && regexec(&c->body_re, q->body.data ? q->body.data : "", 0, NULL, 0)) {
        char *ex = excerpt(&q->body);
        char *m = tg_asprintf("body does not match /%s/ (body %s)", c->body_pattern, ex);
        free(ex);
        return m;
    }
    if (!c->expects_json) {
        if (j->captured)
            return NULL;
        j->captured = 1;
        return check_captures(j, q, NULL); /* header captures only */
    }
    const char *ct = resp_header(q, "Content-Type");
    if (!ct || !strcasestr(ct, "json"))
        return tg_asprintf("expected a JSON body but Content-Type is %s", ct ? ct : "missing");
    cJSON *root = cJSON_ParseWithLength(q->body.data ? q->body.data : "", q->body.len);
    if (!root) {
        char *ex = excerpt(&q->body);
        char *m = tg_asprintf("the body is not valid JSON: %s", ex);
        free(ex);
        return m;
    }
    char *msg = NULL;
    for (size_t i = 0; i < c->njexpects && !msg; i++)
        msg = check_json(j, root, &c->jexpects[i]);
    if (!msg && !j->captured) {
        j->captured = 1;
        msg = check_captures(j, q, root);
    }
    cJSON_Delete(root);
    return msg;
}

/* ---- jobs --------------------------------------------------------------- */

static void job_done(job *j, tg_status st, const char *message);
static void finish_attempt(job *j);

static void start_attempt(job *j)
{
    runctx *R = j->R;
    const tg_smoke_check *c = j->check;
    char *missing = NULL;
    free(j->url);
    free(j->body);
    j->url = j->body = NULL;
    char *target = tg_smoke_expand(c->target, lookup_var, j->S, 0, &missing);
    if (target && c->body)
        j->body = tg_smoke_expand(c->body, lookup_var, j->S, c->body_is_json, &missing);
    if (!target || (c->body && !j->body)) {
        char *m = tg_asprintf("not run: ${%s} has no value (the check that captures it did not "
                              "pass)", missing ? missing : "?");
        free(target);
        free(missing);
        job_done(j, TG_ST_SKIPPED, m);
        free(m);
        return;
    }
    if (is_http_url(target)) {
        j->url = target;
    } else if (j->S->base) {
        j->url = join_url(j->S->base, target);
        free(target);
    } else {
        free(target);
        job_done(j, TG_ST_ERROR, "no base URL: give one on the command line, set base_url in "
                                 "the spec, or export TARGET_URL");
        return;
    }
    note_url_secrets(&R->res->secrets, j->url);
    j->attempt++;
    j->attempt_started = tg_now();
    j->state = J_RUNNING;
    j->total = c->load.requests > 0 ? c->load.requests : 1;
    j->concurrency = c->load.requests > 0 ? c->load.concurrency : 1;
    j->launched = j->inflight = j->finished = j->errors = 0;
    j->nsamples = 0;
    free(j->samples);
    j->samples = tg_calloc((size_t)j->total, sizeof *j->samples);
    free(j->fail);
    j->fail = NULL;
    j->fail_transport = 0;
    j->captured = c->ncaptures == 0;
    j->retry_after = 0;
    j->last_status = 0;
    while (j->launched < j->total && j->inflight < j->concurrency)
        if (launch_req(j) != 0) {
            j->errors++;
            j->finished++;
            if (!j->fail)
                j->fail = tg_strdup("internal: libcurl could not start a transfer");
            break;
        }
    if (j->inflight == 0)
        finish_attempt(j);
}

static void activate_next(job *j)
{
    specrun *S = j->S;
    if (S->spec->parallel)
        return;
    for (size_t i = 0; i < S->njobs; i++)
        if (S->jobs[i]->state == J_BLOCKED) {
            S->jobs[i]->state = J_WAITING;
            S->jobs[i]->next_at = 0;
            return;
        }
}

static void job_done(job *j, tg_status st, const char *message)
{
    tg_smoke_outcome *o = j->out;
    o->status = st;
    o->attempts = j->attempt > 0 ? j->attempt : 1;
    free(o->message);
    o->message = tg_strdup(message ? message : "");
    o->http_status = j->last_status;
    o->cert_days = j->cert_days;
    j->state = J_DONE;
    const char *word = tg_status_name(st);
    char lat[64] = "";
    if (o->latency.n == 1)
        snprintf(lat, sizeof lat, ", %.1f ms", o->latency.p50);
    else if (o->latency.n > 1)
        snprintf(lat, sizeof lat, ", p50 %.1f ms p95 %.1f ms p99 %.1f ms", o->latency.p50,
                 o->latency.p95, o->latency.p99);
    say(j->R, "%-7s %s (%d attempt%s%s)%s%s\n", word, o->id, o->attempts,
        o->attempts == 1 ? "" : "s", lat, *o->message ? ": " : "", o->message);
    activate_next(j);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Index of the p-th percentile in n sorted values (nearest rank). */
static int nearest_rank(double p, int n)
{
    int k = (int)ceil(p / 100.0 * n) - 1;
    return k < 0 ? 0 : k >= n ? n - 1 : k;
}

void tg_smoke_latency_of(double *ms, int n, tg_smoke_latency *out)
{
    memset(out, 0, sizeof *out);
    out->n = n;
    if (n <= 0)
        return;
    qsort(ms, (size_t)n, sizeof *ms, cmp_double);
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += ms[i];
    out->min = ms[0];
    out->max = ms[n - 1];
    out->mean = sum / n;
    out->p50 = ms[nearest_rank(50, n)];
    out->p95 = ms[nearest_rank(95, n)];
    out->p99 = ms[nearest_rank(99, n)];
}

static void add_try(tg_smoke_outcome *o, tg_status st, double took, const char *why)
{
    o->tries = tg_realloc(o->tries, sizeof *o->tries * (size_t)(o->ntries + 1));
    o->tries[o->ntries].status = st;
    o->tries[o->ntries].time = took;
    o->tries[o->ntries].message = tg_strdup(why);
    o->ntries++;
}

/* All requests of the attempt are in: pass, retry later, or give up. */
static void finish_attempt(job *j)
{
    const tg_smoke_check *c = j->check;
    tg_smoke_outcome *o = j->out;
    double took = tg_now() - j->attempt_started;
    tg_smoke_latency_of(j->samples, j->nsamples, &o->latency);
    char *why = NULL;
    int transport = j->fail_transport;
    if (c->load.requests > 0) {
        o->load_requests = j->total;
        o->error_rate = j->total ? (double)j->errors / j->total : 0;
        /* Only an error rate made of transport errors is an error; a blown
         * budget is a failed expectation. */
        int over_rate = o->error_rate > c->load.max_error_rate;
        if (!over_rate)
            transport = 0;
        if (over_rate)
            why = tg_asprintf("error rate %.1f%% (%d of %d requests) is over %.1f%%; first: %s",
                              o->error_rate * 100, j->errors, j->total,
                              c->load.max_error_rate * 100, j->fail ? j->fail : "?");
        else if (c->load.p50_ms >= 0 && o->latency.p50 > c->load.p50_ms)
            why = tg_asprintf("p50 %.1f ms is over the %g ms budget", o->latency.p50,
                              c->load.p50_ms);
        else if (c->load.p95_ms >= 0 && o->latency.p95 > c->load.p95_ms)
            why = tg_asprintf("p95 %.1f ms is over the %g ms budget", o->latency.p95,
                              c->load.p95_ms);
        else if (c->load.p99_ms >= 0 && o->latency.p99 > c->load.p99_ms)
            why = tg_asprintf("p99 %.1f ms is over the %g ms budget", o->latency.p99,
                              c->load.p99_ms);
    } else if (j->fail) {
        why = tg_strdup(j->fail);
    }
    o->time = took;
    if (!why) {
        job_done(j, j->attempt > 1 ? TG_ST_FLAKY : TG_ST_PASSED, "");
        return;
    }
    tg_status st = transport ? TG_ST_ERROR : TG_ST_FAILED;
    int stopping = j->R->opts->stop && *j->R->opts->stop;
    if (j->attempt < j->tries && !stopping) {
        double wait = j->interval;
        if ((j->last_status == 429 || j->last_status == 503) && j->retry_after > wait)
            wait = j->retry_after > TG_SMOKE_MAX_RETRY_AFTER ? TG_SMOKE_MAX_RETRY_AFTER
                                                              : j->retry_after;
        add_try(o, st, took, why);
        say(j->R, "retry   %s: attempt %d of %d failed: %s; next try in %.3g s\n", o->id,
            j->attempt, j->tries, why, wait);
        j->state = J_WAITING;
        j->next_at = tg_now() + wait;
        free(why);
        return;
    }
    job_done(j, st, why);
    free(why);
}

/* Follows a redirect in place when the policy allows. Returns 1 when the
 * request went out again, 0 when the response stands, and sets *why when the
 * redirect is refused. */
static int maybe_redirect(job *j, req *q, long status, char **why)
{
    const tg_smoke_check *c = j->check;
    if (status < 300 || status > 399 || j->redirects == TG_REDIR_NONE)
        return 0;
    for (size_t i = 0; i < c->nstatuses; i++) /* the check is about the redirect itself */
        if (c->statuses[i] == status || c->statuses[i] == 3)
            return 0;
    char *loc = NULL;
    curl_easy_getinfo(q->easy, CURLINFO_REDIRECT_URL, &loc);
    if (!loc)
        return 0;
    char *from = url_host(q->url), *to = url_host(loc);
    int cross = !from || !to || strcasecmp(from, to) != 0;
    free(from);
    free(to);
    if (cross && j->redirects != TG_REDIR_ANY) {
        char *u = tg_smoke_url_display(loc);
        *why = tg_asprintf("redirected (%ld) to another host, %s; not followed (set redirects: "
                           "any to allow it)", status, u);
        free(u);
        return 0;
    }
    if (++q->hops > TG_SMOKE_MAX_REDIRECTS) {
        *why = tg_asprintf("more than %d redirects", TG_SMOKE_MAX_REDIRECTS);
        return 0;
    }
    char *next = tg_strdup(loc);
    note_url_secrets(&j->R->res->secrets, next);
    curl_multi_remove_handle(j->R->multi, q->easy);
    free(q->url);
    q->url = next;
    if (status == 303 || ((status == 301 || status == 302) && !strcmp(q->method, "POST"))) {
        q->method = "GET";
        q->send_body = 0;
    }
    if (cross && !q->strip_secrets) {
        q->strip_secrets = 1; /* credentials stay with the host they were meant for */
        curl_slist_free_all(q->hdrs);
        q->hdrs = NULL;
        build_headers(j, q, NULL);
    }
    tg_buf_free(&q->body);
    clear_headers(q);
    q->errbuf[0] = '\0';
    setup_easy(j, q);
    if (curl_multi_add_handle(j->R->multi, q->easy) != CURLM_OK) {
        *why = tg_strdup("internal: libcurl could not follow the redirect");
        return 0;
    }
    return 1;
}

static void on_done(runctx *R, CURL *easy, CURLcode rc)
{
    char *priv = NULL;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
    req *q = (req *)priv;
    job *j = q->j;
    long status = 0;
    curl_off_t us = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(easy, CURLINFO_TOTAL_TIME_T, &us);
    q->elapsed_ms += (double)us / 1000.0;
    if (!strncasecmp(q->url, "https://", 8)) {
        int days = parse_cert_days(easy);
        if (days >= 0)
            j->cert_days = days;
    }
    char *why = NULL;
    if (rc == CURLE_OK && maybe_redirect(j, q, status, &why))
        return;
    curl_multi_remove_handle(R->multi, easy);
    int transport = 0;
    if (!why)
        why = evaluate(j, q, rc, status, &transport);
    if (status)
        j->last_status = (int)status;
    if (status == 429 || status == 503)
        j->retry_after = parse_retry_after(resp_header(q, "Retry-After"));
    if (rc == CURLE_OK || q->truncated)
        j->samples[j->nsamples++] = q->elapsed_ms;
    if (why) {
        j->errors++;
        if (!j->fail) {
            j->fail = why;
            j->fail_transport = transport;
        } else {
            free(why);
        }
    }
    j->inflight--;
    j->finished++;
    free_req(q);
    if (j->launched < j->total && (!R->opts->stop || !*R->opts->stop)) {
        if (launch_req(j) != 0) {
            j->errors += j->total - j->launched;
            j->finished += j->total - j->launched;
            j->launched = j->total;
        }
    }
    if (j->inflight == 0)
        finish_attempt(j);
}

/* ---- the run ------------------------------------------------------------ */

static int prepare_spec(runctx *R, specrun *S, const tg_smoke_spec *sp)
{
    S->spec = sp;
    const char *base = R->opts->base_url;
    char *expanded = NULL;
    if (!base && sp->base_url) {
        char *missing = NULL;
        expanded = tg_smoke_expand(sp->base_url, lookup_var, S, 0, &missing);
        if (!expanded) {
            tg_error(sp->path, 0, "base_url needs ${%s}, which is not set", missing);
            free(missing);
            return TG_ECONFIG;
        }
        base = expanded;
    }
    if (!base)
        base = getenv("TARGET_URL");
    if (base && *base) {
        if (!is_http_url(base)) {
            char *u = tg_smoke_url_display(base);
            tg_error(NULL, 0, "the base URL '%s' is not http:// or https://", u);
            free(u);
            free(expanded);
            return TG_EUSAGE;
        }
        S->base = tg_strdup(base);
        note_url_secrets(&R->res->secrets, S->base);
    }
    free(expanded);
    for (size_t i = 0; i < sp->nchecks; i++)
        if (!is_http_url(sp->checks[i].target) && sp->checks[i].target[0] == '/' && !S->base) {
            tg_error(sp->path, sp->checks[i].line,
                     "check '%s' has a path but there is no base URL: give one on the command "
                     "line, set base_url in the spec, or export TARGET_URL",
                     sp->checks[i].name);
            return TG_EUSAGE;
        }
    return 0;
}

static void init_jobs(runctx *R)
{
    const tg_smoke_opts *o = R->opts;
    size_t total = 0;
    for (size_t s = 0; s < R->nspecs; s++)
        total += R->specs[s].spec->nchecks;
    R->jobs = tg_calloc(total ? total : 1, sizeof *R->jobs);
    R->res->outcomes = tg_calloc(total ? total : 1, sizeof *R->res->outcomes);
    R->res->n = total;
    size_t k = 0;
    for (size_t s = 0; s < R->nspecs; s++) {
        specrun *S = &R->specs[s];
        const tg_smoke_spec *sp = S->spec;
        S->jobs = tg_calloc(sp->nchecks, sizeof *S->jobs);
        S->njobs = sp->nchecks;
        for (size_t i = 0; i < sp->nchecks; i++, k++) {
            const tg_smoke_check *c = &sp->checks[i];
            job *j = &R->jobs[k];
            S->jobs[i] = j;
            j->R = R;
            j->S = S;
            j->check = c;
            j->out = &R->res->outcomes[k];
            j->cert_days = -1;
            j->state = (sp->parallel || i == 0) ? J_WAITING : J_BLOCKED;
            /* check > spec > command line > default */
            j->tries = c->tries > 0 ? c->tries : sp->tries > 0 ? sp->tries
                       : o->tries > 0 ? o->tries : TG_SMOKE_TRIES;
            j->interval = c->interval >= 0 ? c->interval : sp->interval >= 0 ? sp->interval
                          : o->interval >= 0 ? o->interval : TG_SMOKE_INTERVAL;
            j->timeout = c->timeout > 0 ? c->timeout : sp->timeout > 0 ? sp->timeout
                         : o->timeout > 0 ? o->timeout : TG_SMOKE_TIMEOUT;
            j->redirects = c->redirects != TG_REDIR_UNSET ? c->redirects
                           : sp->redirects != TG_REDIR_UNSET ? sp->redirects
                           : TG_REDIR_SAME_HOST;
            tg_smoke_outcome *out = j->out;
            out->id = tg_asprintf("smoke/%s/%s", sp->name, c->name);
            out->spec = tg_strdup(sp->name);
            out->check = tg_strdup(c->name);
            out->file = sp->path ? tg_strdup(sp->path) : NULL;
            out->line = c->line;
            out->cert_days = -1;
            out->message = tg_strdup("");
        }
    }
    R->njobs = total;
}

static void abandon(runctx *R)
{
    for (size_t i = 0; i < R->njobs; i++) {
        job *j = &R->jobs[i];
        if (j->state == J_DONE)
            continue;
        j->state = J_DONE;
        tg_smoke_outcome *o = j->out;
        o->status = j->attempt ? TG_ST_ERROR : TG_ST_SKIPPED;
        o->attempts = j->attempt ? j->attempt : 1;
        free(o->message);
        o->message = tg_strdup("interrupted before it finished");
    }
    R->res->interrupted = 1;
}

int tg_smoke_run(tg_smoke_spec **specs, size_t nspecs, const tg_smoke_opts *opts,
                 tg_smoke_run_result *res)
{
    memset(res, 0, sizeof *res);
    tg_utc_timestamp(res->started);
    double t0 = tg_now();
    if (opts->base_url && !is_http_url(opts->base_url)) {
        char *u = tg_smoke_url_display(opts->base_url);
        tg_error(NULL, 0, "the URL '%s' is not http:// or https://; give the deployed service's "
                          "base URL, like https://app.example.com", u);
        free(u);
        return TG_EUSAGE;
    }
    runctx R = {.opts = opts, .res = res, .nspecs = nspecs};
    if (opts->base_url)
        note_url_secrets(&res->secrets, opts->base_url);
    R.specs = tg_calloc(nspecs ? nspecs : 1, sizeof *R.specs);
    int rc = 0;
    for (size_t s = 0; s < nspecs && rc == 0; s++)
        rc = prepare_spec(&R, &R.specs[s], specs[s]);
    if (rc == 0 && !(R.multi = curl_multi_init())) {
        tg_error(NULL, 0, "libcurl: cannot create a multi handle");
        rc = TG_EINTERNAL;
    }
    if (rc == 0) {
        init_jobs(&R);
        for (;;) {
            double now = tg_now(), next = now + 1.0;
            int pending = 0;
            for (size_t i = 0; i < R.njobs; i++) {
                job *j = &R.jobs[i];
                if (j->state == J_WAITING && j->next_at <= now)
                    start_attempt(j);
            }
            int running = 0;
            curl_multi_perform(R.multi, &running);
            CURLMsg *m;
            int left;
            while ((m = curl_multi_info_read(R.multi, &left)))
                if (m->msg == CURLMSG_DONE)
                    on_done(&R, m->easy_handle, m->data.result);
            for (size_t i = 0; i < R.njobs; i++) {
                job *j = &R.jobs[i];
                if (j->state != J_DONE)
                    pending = 1;
                if (j->state == J_WAITING && j->next_at < next)
                    next = j->next_at;
            }
            if (!pending)
                break;
            if (opts->stop && *opts->stop) {
                abandon(&R);
                break;
            }
            now = tg_now();
            int wait_ms = next <= now ? 0 : (int)((next - now) * 1000) + 1;
            if (wait_ms > 200) /* wake up to notice a stop request */
                wait_ms = 200;
            if (wait_ms > 0 || running)
                curl_multi_poll(R.multi, NULL, 0, wait_ms, NULL);
        }
    }
    /* Tear down: transfers still attached (after a stop) go with their jobs. */
    for (size_t i = 0; i < R.njobs; i++) {
        free(R.jobs[i].url);
        free(R.jobs[i].body);
        free(R.jobs[i].samples);
        free(R.jobs[i].fail);
    }
    while (R.active) {
        curl_multi_remove_handle(R.multi, R.active->easy);
        free_req(R.active);
    }
    if (R.multi)
        curl_multi_cleanup(R.multi);
    for (size_t s = 0; s < nspecs; s++) {
        specrun *S = &R.specs[s];
        for (size_t i = 0; i < S->nvars; i++) {
            free(S->vars[i].name);
            free(S->vars[i].value);
        }
        free(S->vars);
        free(S->jobs);
        free(S->base);
    }
    free(R.specs);
    free(R.jobs);
    res->duration = tg_now() - t0;
    return rc;
}

void tg_smoke_run_result_free(tg_smoke_run_result *res)
{
    for (size_t i = 0; i < res->n; i++) {
        tg_smoke_outcome *o = &res->outcomes[i];
        free(o->id);
        free(o->spec);
        free(o->check);
        free(o->file);
        free(o->message);
        for (int k = 0; k < o->ntries; k++)
            free(o->tries[k].message);
        free(o->tries);
    }
    free(res->outcomes);
    for (size_t i = 0; i < res->secrets.n; i++)
        free(res->secrets.v[i]);
    free(res->secrets.v);
    memset(res, 0, sizeof *res);
}
