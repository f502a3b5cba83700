/*
 * be_http.h: the HTTP server, libmicrohttpd glue around be_api_handle().
 *
 * A pool of worker threads (epoll where available), each polling its own
 * connections; keep-alive is kept by answering on the second call of a
 * request (with libmicrohttpd 0.9.75, a response queued on the first call
 * closes the connection). Bodies are read into memory up to MAX_BODY_BYTES:
 * a larger Content-Length is answered 413 before the body is read, and a
 * chunked body that grows past the limit stops being stored. Idle and slow
 * connections are closed after CONNECTION_TIMEOUT; request headers are
 * bounded by the per-connection memory limit (libmicrohttpd answers 431).
 *
 * Shutdown: be_server_quiesce() stops accepting; be_server_inflight() counts
 * requests started and not completed; be_server_stop() closes everything.
 */
#ifndef BE_HTTP_H
#define BE_HTTP_H

#include "be_api.h"

#include <stddef.h>

typedef struct be_server be_server;

/* Binds app->cfg->host:port and starts the workers. BE_EINVAL with a message
 * in err when the address cannot be bound. */
int be_server_start(be_app *app, be_server **out, char *err, size_t errlen);
int be_server_port(const be_server *s);
void be_server_quiesce(be_server *s);
int be_server_inflight(const be_server *s);
/* Stops the workers and frees s. */
void be_server_stop(be_server *s);

/* Percent-decodes s in place and returns its new length, except for bytes
 * that would change how the path splits or ends ('/', '\\', control bytes,
 * NUL): those stay encoded, so "%2F" and "%00" reach the router as text. */
size_t be_http_unescape(char *s);

#endif
