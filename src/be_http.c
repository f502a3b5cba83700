/* be_http.c: see be_http.h. */
#include "be_http.h"

#include "be.h"
#include "be_log.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct be_server {
    struct MHD_Daemon *daemon;
    be_app *app;
    atomic_int inflight;
    int port;
};

typedef struct {
    double start;
    be_buf body;
    int too_large;
    size_t discarded; /* bytes of a too-large chunked body read and dropped */
} request_ctx;

static int hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t be_http_unescape(char *s)
{
    char *r = s, *w = s;
    while (*r) {
        int hi, lo;
        if (r[0] == '%' && (hi = hex(r[1])) >= 0 && (lo = hex(r[2])) >= 0) {
            unsigned char c = (unsigned char)(hi * 16 + lo);
            if (c != '/' && c != '\\' && c >= 0x20 && c != 0x7f) {
                *w++ = (char)c;
                r += 3;
                continue;
            }
        }
        *w++ = *r++;
    }
    *w = '\0';
    return (size_t)(w - s);
}

static size_t unescape_cb(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls;
    (void)c;
    return be_http_unescape(s);
}

static const char *header_of(void *ctx, const char *name)
{
    return MHD_lookup_connection_value((struct MHD_Connection *)ctx, MHD_HEADER_KIND, name);
}

static const char *query_of(void *ctx, const char *name)
{
    return MHD_lookup_connection_value((struct MHD_Connection *)ctx, MHD_GET_ARGUMENT_KIND, name);
}

static void client_address(struct MHD_Connection *c, char *out, size_t n)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(out, n, "unknown");
    if (!ci || !ci->client_addr)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
                  (socklen_t)n);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
                  (socklen_t)n);
}

static enum MHD_Result respond(be_server *srv, struct MHD_Connection *c, const char *url,
                               const char *method, request_ctx *rc)
{
    char client[INET6_ADDRSTRLEN + 1];
    client_address(c, client, sizeof client);
    be_request req = {.method = method,
                      .path = url,
                      .client = client,
                      .header = header_of,
                      .query = query_of,
                      .ctx = c,
                      .body = rc->body.data ? rc->body.data : "",
                      .body_len = rc->body.len,
                      .body_too_large = rc->too_large};
    be_response res;
    be_api_handle(srv->app, &req, &res);
    struct MHD_Response *r;
    if (res.body) {
        r = MHD_create_response_from_buffer(res.body_len, res.body, MHD_RESPMEM_MUST_FREE);
        res.body = NULL; /* libmicrohttpd frees it */
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    } else {
        r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    }
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    for (int i = 0; i < res.nheaders; i++)
        MHD_add_response_header(r, res.headers[i].name, res.headers[i].value);
    if (rc->too_large)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ok = MHD_queue_response(c, (unsigned)res.status, r);
    MHD_destroy_response(r);
    be_log_request(res.trace_id, method, url, res.status, (be_mono() - rc->start) * 1000.0,
                   res.client[0] ? res.client : client);
    be_response_free(&res);
    return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls)
{
    (void)version;
    be_server *srv = cls;
    request_ctx *rc = *con_cls;
    size_t max = (size_t)srv->app->cfg->max_body;
    if (!rc) {
        rc = be_calloc(1, sizeof *rc);
        rc->start = be_mono();
        *con_cls = rc;
        atomic_fetch_add(&srv->inflight, 1);
        const char *cl =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        int64_t len;
        if (cl && (be_parse_int(cl, 0, INT64_MAX, &len) != BE_OK || (uint64_t)len > max)) {
            /* Answer now and let libmicrohttpd close the connection
             * instead of reading a body we would throw away. */
            rc->too_large = 1;
            return respond(srv, c, url, method, rc);
        }
        return MHD_YES;
    }
    if (*upload_size) {
        if (!rc->too_large && rc->body.len + *upload_size > max) {
            rc->too_large = 1;
            be_buf_free(&rc->body);
        }
        if (!rc->too_large) {
            be_buf_add(&rc->body, upload_data, *upload_size);
        } else {
            /* Drain a little so the client can read the 413; past that,
             * a client that keeps sending gets its connection closed. */
            rc->discarded += *upload_size;
            if (rc->discarded > 4 * max + 65536)
                return MHD_NO;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    return respond(srv, c, url, method, rc);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)c;
    (void)toe;
    be_server *srv = cls;
    request_ctx *rc = *con_cls;
    if (!rc)
        return;
    be_buf_free(&rc->body);
    free(rc);
    *con_cls = NULL;
    atomic_fetch_sub(&srv->inflight, 1);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    be_log_event(BE_LOG_DEBUG, NULL, "http: %s", msg);
}

int be_server_start(be_app *app, be_server **out, char *err, size_t errlen)
{
    const be_config *cfg = app->cfg;
    *out = NULL;
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE},
                    *ai = NULL;
    char port[8];
    snprintf(port, sizeof port, "%d", cfg->port);
    int gai = getaddrinfo(cfg->host, port, &hints, &ai);
    if (gai != 0 || !ai) {
        snprintf(err, errlen, "HOST: cannot resolve \"%s\": %s", cfg->host, gai_strerror(gai));
        return BE_EINVAL;
    }
    be_server *s = be_calloc(1, sizeof *s);
    s->app = app;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    flags |= MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES ? MHD_USE_EPOLL : MHD_USE_AUTO;
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    s->daemon = MHD_start_daemon(
        flags, (uint16_t)cfg->port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, ai->ai_addr,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->workers, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)cfg->conn_timeout, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32 * 1024,
        MHD_OPTION_CONNECTION_LIMIT, 4096u, MHD_OPTION_STRICT_FOR_CLIENT, 1,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_UNESCAPE_CALLBACK, unescape_cb, NULL, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log,
        NULL, MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!s->daemon) {
        snprintf(err, errlen,
                 "PORT: cannot listen on %s:%d (in use, or not allowed); pick another port",
                 cfg->host, cfg->port);
        free(s);
        return BE_EINVAL;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : cfg->port;
    *out = s;
    return BE_OK;
}

int be_server_port(const be_server *s)
{
    return s->port;
}

void be_server_quiesce(be_server *s)
{
    MHD_socket fd = MHD_quiesce_daemon(s->daemon);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
}

int be_server_inflight(const be_server *s)
{
    return atomic_load(&s->inflight);
}

void be_server_stop(be_server *s)
{
    if (!s)
        return;
    MHD_stop_daemon(s->daemon);
    free(s);
}
