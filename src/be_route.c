/* be_route.c: see be_route.h. */
#include "be_route.h"

#include "be.h"

#include <string.h>

static const struct {
    const char *name;
    const char *allow;
} routes[BE_R__COUNT] = {
    [BE_R_NONE] = {"none", ""},
    [BE_R_HEALTH] = {"health", "GET, HEAD, OPTIONS"},
    [BE_R_LIVENESS] = {"liveness", "GET, HEAD, OPTIONS"},
    [BE_R_READINESS] = {"readiness", "GET, HEAD, OPTIONS"},
    [BE_R_DETAILED] = {"detailed", "GET, HEAD, OPTIONS"},
    [BE_R_PROJECTS] = {"projects", "GET, HEAD, POST, OPTIONS"},
    [BE_R_PROJECT] = {"project", "GET, HEAD, PUT, PATCH, DELETE, OPTIONS"},
    [BE_R_DOCUMENTS] = {"documents", "GET, HEAD, POST, OPTIONS"},
    [BE_R_DOCUMENT] = {"document", "GET, HEAD, PUT, PATCH, DELETE, OPTIONS"},
    [BE_R_DEBUG_SLOW] = {"debug_slow", "GET, OPTIONS"},
};

#define MAX_SEGS 8

/* Splits "/a/b/c" into segments; "" segments (from "//" or a trailing "/")
 * are kept so they fail to match. Returns the count, or -1 if too many. */
static int split(const char *path, const char *seg[MAX_SEGS], size_t len[MAX_SEGS])
{
    if (path[0] != '/')
        return -1;
    int n = 0;
    const char *p = path + 1;
    for (;;) {
        const char *end = strchr(p, '/');
        if (n == MAX_SEGS)
            return -1;
        seg[n] = p;
        len[n] = end ? (size_t)(end - p) : strlen(p);
        n++;
        if (!end)
            return n;
        p = end + 1;
    }
}

static int is(const char *seg, size_t len, const char *word)
{
    return strlen(word) == len && memcmp(seg, word, len) == 0;
}

static int parse_id(const char *seg, size_t len, int64_t *out)
{
    char tmp[24];
    if (len == 0 || len >= sizeof tmp)
        return BE_EINVAL;
    memcpy(tmp, seg, len);
    tmp[len] = '\0';
    return be_parse_int(tmp, 1, INT64_MAX, out);
}

int be_route_match(const char *path, be_route *out)
{
    memset(out, 0, sizeof *out);
    const char *seg[MAX_SEGS];
    size_t len[MAX_SEGS];
    if (!path || !*path)
        return BE_ENOTFOUND;
    int n = split(path, seg, len);
    if (n < 0)
        return path[0] == '/' ? BE_ENOTFOUND : (out->error = "invalid_path", BE_EINVAL);
    for (int i = 0; i < n; i++)
        if (is(seg[i], len[i], ".") || is(seg[i], len[i], "..")) {
            out->error = "invalid_path";
            return BE_EINVAL;
        }
    /* "//" or a trailing "/" names nothing (no silent normalisation). */
    for (int i = 0; i < n; i++)
        if (len[i] == 0 && !(n == 1 && path[1] == '\0'))
            return BE_ENOTFOUND;
    if (n == 1 && is(seg[0], len[0], "health")) {
        out->id = BE_R_HEALTH;
        return BE_OK;
    }
    if (n < 3 || !is(seg[0], len[0], "api") || !is(seg[1], len[1], "v1"))
        return BE_ENOTFOUND;
    if (is(seg[2], len[2], "health")) {
        if (n == 3)
            out->id = BE_R_HEALTH;
        else if (n == 4 && is(seg[3], len[3], "liveness"))
            out->id = BE_R_LIVENESS;
        else if (n == 4 && is(seg[3], len[3], "readiness"))
            out->id = BE_R_READINESS;
        else if (n == 4 && is(seg[3], len[3], "detailed"))
            out->id = BE_R_DETAILED;
        return out->id ? BE_OK : BE_ENOTFOUND;
    }
    if (n == 4 && is(seg[2], len[2], "debug") && is(seg[3], len[3], "slow")) {
        out->id = BE_R_DEBUG_SLOW;
        return BE_OK;
    }
    if (!is(seg[2], len[2], "projects") || n > 6 || (n == 5 && !is(seg[4], len[4], "documents")))
        return BE_ENOTFOUND;
    if (n == 6 && !is(seg[4], len[4], "documents"))
        return BE_ENOTFOUND;
    if (n == 3) {
        out->id = BE_R_PROJECTS;
        return BE_OK;
    }
    if (parse_id(seg[3], len[3], &out->project_id) != BE_OK ||
        (n == 6 && parse_id(seg[5], len[5], &out->document_id) != BE_OK)) {
        out->error = "invalid_id";
        out->project_id = out->document_id = 0;
        return BE_EINVAL;
    }
    out->id = n == 4 ? BE_R_PROJECT : n == 5 ? BE_R_DOCUMENTS : BE_R_DOCUMENT;
    return BE_OK;
}

const char *be_route_allow(be_route_id id)
{
    return id < BE_R__COUNT ? routes[id].allow : "";
}

int be_route_allows(be_route_id id, const char *method)
{
    const char *allow = be_route_allow(id);
    size_t m = strlen(method);
    if (m == 0 || strpbrk(method, ", ") != NULL)
        return 0;
    for (const char *p = allow; (p = strstr(p, method)) != NULL; p += m)
        if ((p == allow || p[-1] == ' ') && (p[m] == ',' || p[m] == '\0'))
            return 1;
    return 0;
}

int be_route_is_health(be_route_id id)
{
    return id == BE_R_HEALTH || id == BE_R_LIVENESS || id == BE_R_READINESS || id == BE_R_DETAILED;
}

const char *be_route_name(be_route_id id)
{
    return id < BE_R__COUNT ? routes[id].name : "none";
}
