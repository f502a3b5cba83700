/* be_api.c: see be_api.h. */
#include "be_api.h"

#include "be.h"
#include "be_log.h"
#include "be_route.h"
#include "be_validate.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Request headers a browser may send cross-origin (preflight allow-list). */
static const char *const cors_headers[] = {"content-type",     "authorization", "x-trace-id",
                                           "x-requested-with", "accept",        "accept-language",
                                           "content-language"};
#define CORS_ALLOW_HEADERS "Content-Type, Authorization, X-Trace-ID, X-Requested-With"
#define CORS_EXPOSE_HEADERS                                                                        \
    "X-Trace-ID, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After"

static void add_header(be_response *res, const char *name, const char *value)
{
    if (res->nheaders == BE_MAX_HEADERS)
        return;
    res->headers[res->nheaders].name = name;
    res->headers[res->nheaders].value = be_strdup(value);
    res->nheaders++;
}

static void add_header_int(be_response *res, const char *name, int64_t v)
{
    char tmp[24];
    snprintf(tmp, sizeof tmp, "%lld", (long long)v);
    add_header(res, name, tmp);
}

const char *be_response_header(const be_response *res, const char *name)
{
    for (int i = 0; i < res->nheaders; i++)
        if (strcasecmp(res->headers[i].name, name) == 0)
            return res->headers[i].value;
    return NULL;
}

void be_response_free(be_response *res)
{
    free(res->body);
    for (int i = 0; i < res->nheaders; i++)
        free(res->headers[i].value);
    memset(res, 0, sizeof *res);
}

/* Takes ownership of j. */
static void send_json(be_response *res, int status, cJSON *j)
{
    free(res->body);
    res->status = status;
    res->body = cJSON_PrintUnformatted(j);
    res->body_len = res->body ? strlen(res->body) : 0;
    cJSON_Delete(j);
}

static void send_empty(be_response *res, int status)
{
    free(res->body);
    res->body = NULL;
    res->body_len = 0;
    res->status = status;
}

static void send_error(be_response *res, int status, const char *code, const char *message)
{
    cJSON *j = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(j, "error");
    cJSON_AddStringToObject(e, "code", code);
    cJSON_AddStringToObject(e, "message", message);
    cJSON_AddStringToObject(e, "trace_id", res->trace_id);
    send_json(res, status, j);
}

/* Maps a storage error to its answer; internals go to the log only. */
static void send_store_error(be_response *res, int rc, const char *what)
{
    char msg[160];
    switch (rc) {
    case BE_ENOTFOUND:
        snprintf(msg, sizeof msg, "%s not found", what);
        send_error(res, 404, "not_found", msg);
        break;
    case BE_ECONFLICT:
        snprintf(msg, sizeof msg, "a %s with that name already exists", what);
        send_error(res, 409, "conflict", msg);
        break;
    case BE_EUNAVAIL:
        be_log_event(BE_LOG_ERROR, res->trace_id, "database unavailable: %s",
                     be_store_last_error());
        add_header(res, "Retry-After", "5");
        send_error(res, 503, "unavailable", "the database is unavailable; retry shortly");
        break;
    default:
        be_log_event(BE_LOG_ERROR, res->trace_id, "storage error: %s", be_store_last_error());
        send_error(res, 500, "internal_error", "internal server error");
        break;
    }
}

static cJSON *project_json(const be_project *p)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "id", (double)p->id);
    cJSON_AddStringToObject(j, "name", p->name);
    cJSON_AddStringToObject(j, "description", p->description);
    cJSON_AddStringToObject(j, "created_at", p->created_at);
    cJSON_AddStringToObject(j, "updated_at", p->updated_at);
    return j;
}

static cJSON *document_json(const be_document *d)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "id", (double)d->id);
    cJSON_AddNumberToObject(j, "project_id", (double)d->project_id);
    cJSON_AddStringToObject(j, "title", d->title);
    cJSON_AddStringToObject(j, "content", d->content);
    cJSON_AddStringToObject(j, "created_at", d->created_at);
    cJSON_AddStringToObject(j, "updated_at", d->updated_at);
    return j;
}

static cJSON *page_json(cJSON *items, int64_t total, int64_t limit, int64_t offset)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddItemToObject(j, "items", items);
    cJSON_AddNumberToObject(j, "total", (double)total);
    cJSON_AddNumberToObject(j, "limit", (double)limit);
    cJSON_AddNumberToObject(j, "offset", (double)offset);
    return j;
}

static const char *query_arg(const be_request *req, const char *name)
{
    return req->query ? req->query(req->ctx, name) : NULL;
}

static const char *header(const be_request *req, const char *name)
{
    return req->header ? req->header(req->ctx, name) : NULL;
}

static int is_method(const be_request *req, const char *m)
{
    return strcmp(req->method, m) == 0;
}

static void handle_health(be_app *app, be_route_id id, be_response *res)
{
    cJSON *j = cJSON_CreateObject();
    if (id == BE_R_HEALTH) {
        cJSON_AddStringToObject(j, "status", "healthy");
        cJSON_AddStringToObject(j, "version", BE_VERSION);
        send_json(res, 200, j);
        return;
    }
    if (id == BE_R_LIVENESS) {
        cJSON_AddStringToObject(j, "status", "alive");
        send_json(res, 200, j);
        return;
    }
    double t0 = be_mono();
    int up = be_store_ping(app->store) == BE_OK;
    double ms = (be_mono() - t0) * 1000.0;
    if (!up)
        be_log_event(BE_LOG_WARN, res->trace_id, "database check failed: %s",
                     be_store_last_error());
    if (id == BE_R_READINESS) {
        cJSON_AddStringToObject(j, "status", up ? "ready" : "not_ready");
        cJSON *checks = cJSON_AddObjectToObject(j, "checks");
        cJSON_AddStringToObject(checks, "database", up ? "ok" : "unavailable");
    } else {
        cJSON_AddStringToObject(j, "status", up ? "healthy" : "unhealthy");
        cJSON_AddStringToObject(j, "version", BE_VERSION);
        cJSON_AddStringToObject(j, "commit", app->cfg->commit ? app->cfg->commit : "unknown");
        cJSON_AddNumberToObject(j, "uptime_seconds",
                                (double)(int64_t)((be_mono() - app->started) * 1000) / 1000.0);
        cJSON *deps = cJSON_AddObjectToObject(j, "dependencies");
        cJSON *db = cJSON_AddObjectToObject(deps, "database");
        cJSON_AddStringToObject(db, "status", up ? "up" : "down");
        cJSON_AddStringToObject(db, "engine", be_store_engine(app->store));
        cJSON_AddNumberToObject(db, "latency_ms", (double)(int64_t)(ms * 1000) / 1000.0);
    }
    send_json(res, up ? 200 : 503, j);
}

/* Parses and validates the body of a POST/PUT/PATCH into *obj (caller frees). */
static int read_body(const be_request *req, be_response *res, cJSON **obj)
{
    char msg[200];
    if (be_json_object(req->body, req->body_len, obj, msg, sizeof msg) != BE_OK) {
        send_error(res, 400, "invalid_body", msg);
        return BE_EINVAL;
    }
    return BE_OK;
}

static void handle_projects(be_app *app, const be_request *req, const be_route *rt,
                            be_response *res)
{
    char msg[200];
    int rc;
    if (rt->id == BE_R_PROJECTS && !is_method(req, "POST")) {
        int64_t limit, offset;
        if (be_pagination(query_arg(req, "limit"), query_arg(req, "offset"), &limit, &offset, msg,
                          sizeof msg) != BE_OK) {
            send_error(res, 400, "invalid_query", msg);
            return;
        }
        be_project_list l;
        rc = be_project_list_get(app->store, limit, offset, &l);
        if (rc != BE_OK) {
            send_store_error(res, rc, "project");
            return;
        }
        cJSON *items = cJSON_CreateArray();
        for (size_t i = 0; i < l.n; i++)
            cJSON_AddItemToArray(items, project_json(&l.items[i]));
        send_json(res, 200, page_json(items, l.total, limit, offset));
        be_project_list_free(&l);
        return;
    }
    if (is_method(req, "DELETE")) {
        rc = be_project_delete(app->store, rt->project_id);
        if (rc != BE_OK)
            send_store_error(res, rc, "project");
        else
            send_empty(res, 204);
        return;
    }
    be_project p = {0};
    if (is_method(req, "GET") || is_method(req, "HEAD")) {
        rc = be_project_get(app->store, rt->project_id, &p);
    } else {
        cJSON *obj;
        if (read_body(req, res, &obj) != BE_OK)
            return;
        be_project_in in;
        int partial = is_method(req, "PATCH");
        if (be_project_from_json(obj, partial, &in, msg, sizeof msg) != BE_OK) {
            send_error(res, 400, "invalid_body", msg);
            cJSON_Delete(obj);
            return;
        }
        if (is_method(req, "PUT") && !in.description)
            in.description = "";
        rc = is_method(req, "POST") ? be_project_create(app->store, &in, &p)
                                    : be_project_update(app->store, rt->project_id, &in, &p);
        cJSON_Delete(obj);
    }
    if (rc != BE_OK) {
        send_store_error(res, rc, "project");
        return;
    }
    if (is_method(req, "POST")) {
        char loc[64];
        snprintf(loc, sizeof loc, "/api/v1/projects/%lld", (long long)p.id);
        add_header(res, "Location", loc);
    }
    send_json(res, is_method(req, "POST") ? 201 : 200, project_json(&p));
    be_project_clear(&p);
}

static void handle_documents(be_app *app, const be_request *req, const be_route *rt,
                             be_response *res)
{
    char msg[200];
    int rc;
    const char *what = "document";
    if (rt->id == BE_R_DOCUMENTS && !is_method(req, "POST")) {
        int64_t limit, offset;
        if (be_pagination(query_arg(req, "limit"), query_arg(req, "offset"), &limit, &offset, msg,
                          sizeof msg) != BE_OK) {
            send_error(res, 400, "invalid_query", msg);
            return;
        }
        be_document_list l;
        rc = be_document_list_get(app->store, rt->project_id, limit, offset, &l);
        if (rc != BE_OK) {
            send_store_error(res, rc, "project");
            return;
        }
        cJSON *items = cJSON_CreateArray();
        for (size_t i = 0; i < l.n; i++)
            cJSON_AddItemToArray(items, document_json(&l.items[i]));
        send_json(res, 200, page_json(items, l.total, limit, offset));
        be_document_list_free(&l);
        return;
    }
    if (is_method(req, "DELETE")) {
        rc = be_document_delete(app->store, rt->project_id, rt->document_id);
        if (rc != BE_OK)
            send_store_error(res, rc, what);
        else
            send_empty(res, 204);
        return;
    }
    be_document d = {0};
    if (is_method(req, "GET") || is_method(req, "HEAD")) {
        rc = be_document_get(app->store, rt->project_id, rt->document_id, &d);
    } else {
        cJSON *obj;
        if (read_body(req, res, &obj) != BE_OK)
            return;
        be_document_in in;
        int partial = is_method(req, "PATCH");
        if (be_document_from_json(obj, partial, &in, msg, sizeof msg) != BE_OK) {
            send_error(res, 400, "invalid_body", msg);
            cJSON_Delete(obj);
            return;
        }
        if (is_method(req, "PUT") && !in.content)
            in.content = "";
        if (is_method(req, "POST")) {
            rc = be_document_create(app->store, rt->project_id, &in, &d);
            what = rc == BE_ENOTFOUND ? "project" : what;
        } else {
            rc = be_document_update(app->store, rt->project_id, rt->document_id, &in, &d);
        }
        cJSON_Delete(obj);
    }
    if (rc != BE_OK) {
        send_store_error(res, rc, what);
        return;
    }
    if (is_method(req, "POST")) {
        char loc[96];
        snprintf(loc, sizeof loc, "/api/v1/projects/%lld/documents/%lld", (long long)d.project_id,
                 (long long)d.id);
        add_header(res, "Location", loc);
    }
    send_json(res, is_method(req, "POST") ? 201 : 200, document_json(&d));
    be_document_clear(&d);
}

static void handle_slow(be_app *app, const be_request *req, be_response *res)
{
    int64_t ms = 0;
    const char *v = query_arg(req, "ms");
    if (v && be_parse_int(v, 0, app->cfg->debug_slow_ms, &ms) != BE_OK) {
        char msg[120];
        snprintf(msg, sizeof msg, "ms must be a whole number from 0 to %lld",
                 (long long)app->cfg->debug_slow_ms);
        send_error(res, 400, "invalid_query", msg);
        return;
    }
    /* Tests wait for this line to know the request is in flight. */
    be_log_event(BE_LOG_DEBUG, res->trace_id, "debug/slow: sleeping %lld ms", (long long)ms);
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "slept_ms", (double)ms);
    send_json(res, 200, j);
}

static int header_listed(const char *name, size_t n)
{
    for (size_t i = 0; i < sizeof cors_headers / sizeof cors_headers[0]; i++)
        if (strlen(cors_headers[i]) == n && strncasecmp(cors_headers[i], name, n) == 0)
            return 1;
    return 0;
}

/* Every header named in Access-Control-Request-Headers is on the allow-list. */
static int cors_headers_ok(const char *list)
{
    if (!list)
        return 1;
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == ',' || *p == '\t')
            p++;
        const char *end = p;
        while (*end && *end != ',')
            end++;
        size_t n = (size_t)(end - p);
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        if (n && !header_listed(p, n))
            return 0;
        p = end;
    }
    return 1;
}

static void handle_preflight(const be_request *req, const be_route *rt, const char *origin,
                             int origin_ok, be_response *res)
{
    const char *want = header(req, "Access-Control-Request-Method");
    add_header(res, "Vary", "Origin");
    if (!origin_ok) {
        send_error(res, 403, "cors_origin_denied", "this origin is not in CORS_ORIGINS");
        return;
    }
    if (!be_route_allows(rt->id, want)) {
        send_error(res, 403, "cors_method_denied", "that method is not allowed on this path");
        return;
    }
    if (!cors_headers_ok(header(req, "Access-Control-Request-Headers"))) {
        send_error(res, 403, "cors_headers_denied", "a requested header is not allowed");
        return;
    }
    add_header(res, "Access-Control-Allow-Origin", origin);
    add_header(res, "Access-Control-Allow-Methods", be_route_allow(rt->id));
    add_header(res, "Access-Control-Allow-Headers", CORS_ALLOW_HEADERS);
    add_header(res, "Access-Control-Max-Age", "600");
    send_empty(res, 204);
}

/* The address trust_hops entries from the right of X-Forwarded-For, if it
 * is a well-formed IP address; else the peer. */
static void client_of(const be_request *req, int trust_hops, char out[64])
{
    snprintf(out, 64, "%s", req->client ? req->client : "");
    const char *xff = trust_hops > 0 ? header(req, "X-Forwarded-For") : NULL;
    if (!xff)
        return;
    const char *end = xff + strlen(xff);
    for (int hop = 1; hop <= trust_hops; hop++) {
        const char *start = end;
        while (start > xff && start[-1] != ',')
            start--;
        if (hop == trust_hops) {
            while (start < end && (*start == ' ' || *start == '\t'))
                start++;
            const char *stop = end;
            while (stop > start && (stop[-1] == ' ' || stop[-1] == '\t'))
                stop--;
            char addr[64];
            size_t n = (size_t)(stop - start);
            if (n == 0 || n >= sizeof addr)
                return;
            memcpy(addr, start, n);
            addr[n] = '\0';
            unsigned char bin[16];
            if (inet_pton(AF_INET, addr, bin) == 1 || inet_pton(AF_INET6, addr, bin) == 1)
                memcpy(out, addr, n + 1);
            return;
        }
        if (start == xff)
            return; /* fewer entries than trusted hops: keep the peer */
        end = start - 1;
    }
}

static int is_json_type(const char *ct)
{
    static const char want[] = "application/json";
    if (!ct || strncasecmp(ct, want, sizeof want - 1) != 0)
        return 0;
    char next = ct[sizeof want - 1];
    return next == '\0' || next == ';' || next == ' ';
}

void be_api_handle(be_app *app, const be_request *req, be_response *res)
{
    memset(res, 0, sizeof *res);
    be_trace_pick(header(req, "X-Trace-ID"), res->trace_id);
    add_header(res, "X-Trace-ID", res->trace_id);
    client_of(req, app->cfg->trust_proxy_hops, res->client);

    be_route rt;
    int rc = be_route_match(req->path, &rt);
    if (rc == BE_OK && rt.id == BE_R_DEBUG_SLOW && app->cfg->debug_slow_ms == 0)
        rc = BE_ENOTFOUND;
    if (rc == BE_EINVAL) {
        send_error(res, 400, rt.error,
                   strcmp(rt.error, "invalid_id") == 0
                       ? "ids are positive whole numbers"
                       : "the path has \".\" or \"..\" segments or does not start with /");
        return;
    }
    if (rc != BE_OK) {
        send_error(res, 404, "not_found", "no such endpoint");
        return;
    }

    const char *origin = header(req, "Origin");
    int origin_ok = be_config_cors_allowed(app->cfg, origin);
    if (is_method(req, "OPTIONS")) {
        add_header(res, "Allow", be_route_allow(rt.id));
        if (origin && header(req, "Access-Control-Request-Method"))
            handle_preflight(req, &rt, origin, origin_ok, res);
        else
            send_empty(res, 204);
        return;
    }
    if (origin_ok) {
        add_header(res, "Access-Control-Allow-Origin", origin);
        add_header(res, "Vary", "Origin");
        add_header(res, "Access-Control-Expose-Headers", CORS_EXPOSE_HEADERS);
    }
    if (!be_route_allows(rt.id, req->method)) {
        add_header(res, "Allow", be_route_allow(rt.id));
        send_error(res, 405, "method_not_allowed", "this method is not allowed on this path");
        return;
    }
    if (!be_route_is_health(rt.id)) {
        be_rl_result rl;
        be_ratelimit_hit(app->rl, res->client, be_wall(), &rl);
        add_header_int(res, "X-RateLimit-Limit", rl.limit);
        add_header_int(res, "X-RateLimit-Remaining", rl.remaining);
        add_header_int(res, "X-RateLimit-Reset", rl.reset);
        if (!rl.allowed) {
            add_header_int(res, "Retry-After", rl.retry_after);
            send_error(res, 429, "rate_limited",
                       "too many requests; retry after Retry-After seconds");
            return;
        }
    }
    if (req->body_too_large) {
        char msg[120];
        snprintf(msg, sizeof msg, "the request body is larger than %lld bytes",
                 (long long)app->cfg->max_body);
        send_error(res, 413, "payload_too_large", msg);
        return;
    }
    int has_body = is_method(req, "POST") || is_method(req, "PUT") || is_method(req, "PATCH");
    if (has_body && !is_json_type(header(req, "Content-Type"))) {
        send_error(res, 415, "unsupported_media_type", "send the body as application/json");
        return;
    }
    switch (rt.id) {
    case BE_R_PROJECTS:
    case BE_R_PROJECT:
        handle_projects(app, req, &rt, res);
        break;
    case BE_R_DOCUMENTS:
    case BE_R_DOCUMENT:
        handle_documents(app, req, &rt, res);
        break;
    case BE_R_DEBUG_SLOW:
        handle_slow(app, req, res);
        break;
    default:
        handle_health(app, rt.id, res);
        break;
    }
}
