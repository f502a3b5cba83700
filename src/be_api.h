/*
 * be_api.h: the request-handling layer, independent of the HTTP server.
 *
 * be_api_handle() takes one parsed request and fills one response: routing,
 * CORS, method checks, rate limiting, body limits, validation, storage and
 * the JSON error shape {"error": {"code", "message", "trace_id"}}. be_http.c
 * feeds it from libmicrohttpd; the unit tests and the fuzz target call it
 * directly. It never leaks internals to the client: storage errors are
 * logged with the trace id and answered with a generic message.
 *
 * The client a request is counted for is the TCP peer, or with
 * TRUST_PROXY_HOPS=N the address N entries from the right of
 * X-Forwarded-For (the one the outermost trusted proxy saw); entries a client
 * wrote itself further left are ignored, and a malformed entry falls back to
 * the peer.
 *
 * Ownership: the request and the app belong to the caller; the response owns
 * its body and header values until be_response_free().
 */
#ifndef BE_API_H
#define BE_API_H

#include "be_config.h"
#include "be_ratelimit.h"
#include "be_store.h"
#include "be_trace.h"

#include <stddef.h>

typedef struct be_app {
    const be_config *cfg;
    be_store *store;
    be_ratelimit *rl;
    double started; /* be_mono() at start, for uptime */
} be_app;

/* Looks up a header (case-insensitive) or a query argument; NULL when absent. */
typedef const char *(*be_lookup_fn)(void *ctx, const char *name);

typedef struct be_request {
    const char *method;
    const char *path;   /* decoded by be_http_unescape() */
    const char *client; /* the peer address as text */
    be_lookup_fn header, query;
    void *ctx; /* passed to header() and query() */
    const char *body;
    size_t body_len;
    int body_too_large; /* the HTTP layer stopped reading past MAX_BODY_BYTES */
} be_request;

#define BE_MAX_HEADERS 20

typedef struct be_response {
    int status;
    char *body; /* JSON, or NULL for no body (204) */
    size_t body_len;
    struct {
        const char *name; /* a string literal */
        char *value;
    } headers[BE_MAX_HEADERS];
    int nheaders;
    char trace_id[BE_TRACE_MAX + 1];
    char client[64]; /* the client the request was counted for (see TRUST_PROXY_HOPS) */
} be_response;

void be_api_handle(be_app *app, const be_request *req, be_response *res);
void be_response_free(be_response *res);
/* The value of a response header (case-sensitive name as set), or NULL. */
const char *be_response_header(const be_response *res, const char *name);

#endif
