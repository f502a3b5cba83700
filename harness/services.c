/* services.c: start, probe and stop the services suites need (services.h). */
#include "services.h"
#include "tg.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int tg_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

char *tg_service_env_name(const char *name)
{
    tg_buf b;
    tg_buf_init(&b);
    tg_buf_adds(&b, "TOLLGATE_");
    for (const char *p = name; *p; p++) {
        char c = isalnum((unsigned char)*p) ? (char)toupper((unsigned char)*p) : '_';
        tg_buf_add(&b, &c, 1);
    }
    tg_buf_adds(&b, "_URL");
    return tg_buf_steal(&b);
}

static size_t discard(char *p, size_t size, size_t n, void *u)
{
    (void)p;
    (void)u;
    return size * n;
}

/* One readiness probe: 1 when the URL answers 2xx. */
static int probe(const char *url)
{
    CURL *c = curl_easy_init();
    if (!c)
        return 0;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 1000L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 500L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    long code = 0;
    int ok = curl_easy_perform(c) == CURLE_OK &&
             curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK && code >= 200 &&
             code < 300;
    curl_easy_cleanup(c);
    return ok;
}

static void sleep_s(double s)
{
    struct timespec ts = {.tv_sec = (time_t)s, .tv_nsec = (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

int tg_service_start(const tg_service *def, const char *log_dir, tg_svc *svc)
{
    memset(svc, 0, sizeof *svc);
    svc->def = def;
    svc->pid = -1;
    if (tg_mkdirs(log_dir) != TG_OK) {
        svc->error = tg_asprintf("service '%s': cannot create %s", def->name, log_dir);
        return TG_EIO;
    }
    svc->log_path = tg_asprintf("%s/%s.log", log_dir, def->name);
    svc->port = tg_free_port();
    if (svc->port < 0) {
        svc->error = tg_asprintf("service '%s': no free loopback port", def->name);
        return TG_EIO;
    }
    char portvar[32];
    snprintf(portvar, sizeof portvar, "PORT=%d", svc->port);
    char *extra[] = {portvar};
    char *cmd = tg_expand(def->command, extra, 1);
    char *shcmd = tg_asprintf("exec %s", cmd);
    int logfd = open(svc->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (logfd < 0) {
        svc->error = tg_asprintf("service '%s': cannot write %s: %s", def->name, svc->log_path,
                                 strerror(errno));
        free(cmd);
        free(shcmd);
        return TG_EIO;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            _exit(1);
        dup2(logfd, 1);
        dup2(logfd, 2);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2(devnull, 0);
        setenv("PORT", portvar + 5, 1);
        for (int i = 0; i < def->nenv; i++) {
            char *kv = tg_expand(def->env[i], extra, 1);
            char *eq = strchr(kv, '=');
            *eq = '\0';
            setenv(kv, eq + 1, 1);
        }
        signal(SIGPIPE, SIG_DFL);
        execl("/bin/sh", "sh", "-c", shcmd, (char *)NULL);
        _exit(127);
    }
    close(logfd);
    if (pid < 0) {
        svc->error = tg_asprintf("service '%s': cannot fork: %s", def->name, strerror(errno));
        free(cmd);
        free(shcmd);
        return TG_EIO;
    }
    setpgid(pid, pid);
    svc->pid = pid;
    svc->url = tg_asprintf("http://127.0.0.1:%d", svc->port);
    char *ready = tg_asprintf("%s%s", svc->url, def->ready);
    double deadline = tg_now() + def->start_timeout;
    int rc = TG_EIO;
    for (;;) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            svc->pid = -1;
            svc->error = tg_asprintf(
                "service '%s' (%s) exited with %s %d before it was ready; its log: %s", def->name,
                cmd, WIFEXITED(status) ? "status" : "signal",
                WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), svc->log_path);
            break;
        }
        if (probe(ready)) {
            rc = TG_OK;
            break;
        }
        if (tg_now() > deadline) {
            svc->error = tg_asprintf("service '%s' (%s) was not ready at %s within %.1fs; its "
                                     "log: %s",
                                     def->name, cmd, ready, def->start_timeout, svc->log_path);
            break;
        }
        sleep_s(0.05);
    }
    free(ready);
    free(cmd);
    free(shcmd);
    return rc;
}

void tg_service_stop(tg_svc *svc, double patience)
{
    if (svc->pid > 0) {
        kill(-svc->pid, SIGTERM);
        double deadline = tg_now() + patience;
        int status, gone = 0;
        while (!gone && tg_now() < deadline) {
            pid_t r = waitpid(svc->pid, &status, WNOHANG);
            if (r == svc->pid || (r < 0 && errno == ECHILD))
                gone = 1;
            else
                sleep_s(0.02);
        }
        kill(-svc->pid, SIGKILL);
        if (!gone)
            waitpid(svc->pid, &status, 0);
    }
    free(svc->url);
    free(svc->log_path);
    free(svc->error);
    memset(svc, 0, sizeof *svc);
    svc->pid = -1;
}
