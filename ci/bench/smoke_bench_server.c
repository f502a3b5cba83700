/* smoke_bench_server.c: a stand-in for the reference backend in the smoke
 * benchmark when build/backend is not built: GET /health answers like the
 * backend does ({"status":"healthy",...}, X-Trace-ID), on 127.0.0.1.
 * Usage: smoke_bench_server PORT   (runs until SIGTERM or SIGINT) */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **state)
{
    (void)cls, (void)method, (void)version, (void)upload, (void)upload_size, (void)state;
    static const char healthy[] = "{\"status\":\"healthy\",\"version\":\"bench\"}";
    static const char missing[] = "{\"error\":{\"code\":\"not_found\",\"message\":\"no route\"}}";
    int ok = !strcmp(url, "/health");
    const char *body = ok ? healthy : missing;
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body,
                                                             MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r, "Content-Type", "application/json");
    MHD_add_response_header(r, "X-Trace-ID", "bench");
    enum MHD_Result ret = MHD_queue_response(c, ok ? 200 : 404, r);
    MHD_destroy_response(r);
    return ret;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s PORT\n", argv[0]);
        return 2;
    }
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons((unsigned short)atoi(argv[1]));
    struct MHD_Daemon *d =
        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL_LINUX_ONLY, 0, NULL, NULL,
                         handle, NULL, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_THREAD_POOL_SIZE, 2,
                         MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "smoke_bench_server: cannot listen on 127.0.0.1:%s\n", argv[1]);
        return 1;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    while (!stop)
        pause();
    MHD_stop_daemon(d);
    return 0;
}
