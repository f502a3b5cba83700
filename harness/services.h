/*
 * services.h: the processes integration suites talk to (tollgate.yaml
 * `services:`), started on a free loopback port and stopped however the run
 * ends.
 *
 * A service runs `/bin/sh -c "exec COMMAND"` in its own process group with
 * PORT set (and ${PORT} expanded in the command), its output in
 * LOGDIR/NAME.log, and dies with tollgate (PR_SET_PDEATHSIG). It is ready
 * when GET http://127.0.0.1:PORT<ready> answers 2xx; its URL is exported to
 * the tests as TOLLGATE_<NAME>_URL.
 */
#ifndef TG_SERVICES_H
#define TG_SERVICES_H

#include "config.h"

#include <sys/types.h>

typedef struct tg_svc {
    const tg_service *def;
    pid_t pid;
    int port;
    char *url;
    char *log_path;
    char *error; /* why it is not running, or NULL */
} tg_svc;

/* Starts one service and waits until it is ready. Returns 0, or TG_EIO with
 * svc->error saying why (the log path included). */
int tg_service_start(const tg_service *def, const char *log_dir, tg_svc *svc);
/* SIGTERM, up to `patience` seconds, then SIGKILL; frees what svc holds. */
void tg_service_stop(tg_svc *svc, double patience);
/* A free TCP port on 127.0.0.1, or -1. */
int tg_free_port(void);
/* "backend" -> "TOLLGATE_BACKEND_URL" (caller frees). */
char *tg_service_env_name(const char *name);

#endif
