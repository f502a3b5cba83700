/* inventory.c: what the suites hold (inventory.h). */
#include "inventory.h"
#include "tg.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

tg_unit *tg_inventory_add(tg_inventory *inv, const char *id, const char *suite,
                          tg_suite_kind kind, const char *path)
{
    if (inv->n == inv->cap) {
        inv->cap = inv->cap ? inv->cap * 2 : 64;
        inv->units = tg_realloc(inv->units, inv->cap * sizeof *inv->units);
    }
    tg_unit *u = &inv->units[inv->n++];
    memset(u, 0, sizeof *u);
    u->id = tg_strdup(id);
    u->suite = tg_strdup(suite);
    u->kind = kind;
    u->path = tg_strdup(path ? path : "");
    return u;
}

void tg_inventory_free(tg_inventory *inv)
{
    for (size_t i = 0; i < inv->n; i++) {
        free(inv->units[i].id);
        free(inv->units[i].suite);
        free(inv->units[i].path);
        free(inv->units[i].file);
    }
    free(inv->units);
    memset(inv, 0, sizeof *inv);
}

static int cmp_unit(const void *a, const void *b)
{
    return strcmp(((const tg_unit *)a)->id, ((const tg_unit *)b)->id);
}

void tg_inventory_sort(tg_inventory *inv)
{
    if (inv->n > 1)
        qsort(inv->units, inv->n, sizeof *inv->units, cmp_unit);
}

int tg_capture_output(char *const argv[], double timeout, char **out)
{
    int fds[2];
    *out = NULL;
    if (pipe2(fds, O_CLOEXEC) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        dup2(fds[1], 1);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2(devnull, 0);
        execv(argv[0], argv);
        fprintf(stderr, "tollgate: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    tg_buf b;
    tg_buf_init(&b);
    tg_buf_add(&b, "", 0);
    double deadline = tg_now() + timeout;
    int timed_out = 0;
    for (;;) {
        double left = deadline - tg_now();
        if (left <= 0) {
            timed_out = 1;
            kill(pid, SIGKILL);
            break;
        }
        struct pollfd p = {.fd = fds[0], .events = POLLIN};
        int r = poll(&p, 1, (int)(left * 1000) + 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            continue;
        char chunk[8192];
        ssize_t n = read(fds[0], chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        tg_buf_add(&b, chunk, (size_t)n);
    }
    close(fds[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    *out = tg_buf_steal(&b);
    if (timed_out)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Lists a tgtest binary's tests and adds them. */
static int list_check_binary(const tg_suite *s, const char *bin, tg_inventory *inv)
{
    char *argv[] = {(char *)bin, "--tg-list", NULL};
    char *out;
    int rc = tg_capture_output(argv, 60.0, &out);
    if (rc != 0) {
        tg_error(bin, 0,
                 "suite '%s': listing tests failed (exit %d); is it a Check binary built with "
                 "tollgate's tgtest helper? (use kind: checkxml for other Check binaries)",
                 s->name, rc);
        free(out);
        return TG_ECONFIG;
    }
    size_t before = inv->n;
    char *save = NULL;
    for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *tab1 = strchr(line, '\t');
        char *tab2 = tab1 ? strchr(tab1 + 1, '\t') : NULL;
        if (!tab1 || !tab2 || tab1 == line) {
            tg_error(bin, 0, "suite '%s': --tg-list printed a line that is not ID<TAB>FILE<TAB>LINE: "
                     "'%.80s'", s->name, line);
            free(out);
            return TG_ECONFIG;
        }
        *tab1 = *tab2 = '\0';
        /* SUITE is the suite of tollgate.yaml, whatever the binary calls
         * itself: one binary can serve two suites (say, SQLite and
         * PostgreSQL) and its tests keep distinct ids. */
        const char *rest = strchr(line, '/');
        char *id = tg_asprintf("%s%s", s->name, rest ? rest : "/");
        tg_unit *u = tg_inventory_add(inv, id, s->name, TG_KIND_CHECK, bin);
        free(id);
        u->file = tg_strdup(tab1 + 1);
        u->line = atoi(tab2 + 1);
    }
    free(out);
    if (inv->n == before) {
        tg_error(bin, 0, "suite '%s': the binary lists no tests; a suite with nothing to run is "
                 "an error, never a pass", s->name);
        return TG_ECONFIG;
    }
    return TG_OK;
}

/* "build/tests/unit/test_plan" -> "test_plan"; "suites/smoke/backend.yaml" -> "backend" */
static char *stem(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    return tg_strndup(base, n);
}

static int add_suite(const tg_suite *s, tg_inventory *inv)
{
    for (int p = 0; p < s->npatterns; p++) {
        char *pat = tg_expand(s->patterns[p], NULL, 0);
        glob_t g;
        int grc = glob(pat, GLOB_NOSORT, NULL, &g);
        if (grc != 0) {
            tg_error(NULL, 0, "suite '%s': no file matches '%s' (build it first: make tests)",
                     s->name, pat);
            free(pat);
            return TG_ECONFIG;
        }
        qsort(g.gl_pathv, g.gl_pathc, sizeof *g.gl_pathv, tg_strcmp_ptr);
        for (size_t i = 0; i < g.gl_pathc; i++) {
            const char *path = g.gl_pathv[i];
            struct stat st;
            if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
                tg_error(path, 0, "suite '%s': not a file", s->name);
                globfree(&g);
                free(pat);
                return TG_ECONFIG;
            }
            if (s->kind != TG_KIND_SMOKE && access(path, X_OK) != 0) {
                tg_error(path, 0, "suite '%s': not executable", s->name);
                globfree(&g);
                free(pat);
                return TG_ECONFIG;
            }
            int rc = TG_OK;
            if (s->kind == TG_KIND_CHECK) {
                rc = list_check_binary(s, path, inv);
            } else {
                char *name = stem(path);
                char *id = s->kind == TG_KIND_SMOKE ? tg_asprintf("smoke/%s", name)
                                                    : tg_asprintf("%s/%s", s->name, name);
                tg_inventory_add(inv, id, s->name, s->kind, path);
                free(id);
                free(name);
            }
            if (rc != TG_OK) {
                globfree(&g);
                free(pat);
                return rc;
            }
        }
        globfree(&g);
        free(pat);
    }
    return TG_OK;
}

int tg_inventory_build(const tg_config *cfg, char *const *only, int nonly, tg_inventory *inv)
{
    memset(inv, 0, sizeof *inv);
    for (int k = 0; k < nonly; k++)
        if (!tg_config_suite(cfg, only[k])) {
            tg_error(cfg->path, 0, "no suite named '%s' (--suite)", only[k]);
            return TG_EUSAGE;
        }
    for (int i = 0; i < cfg->nsuites; i++) {
        const tg_suite *s = &cfg->suites[i];
        int wanted = nonly == 0;
        for (int k = 0; k < nonly; k++)
            if (strcmp(only[k], s->name) == 0)
                wanted = 1;
        if (!wanted)
            continue;
        int rc = add_suite(s, inv);
        if (rc != TG_OK)
            return rc;
    }
    tg_inventory_sort(inv);
    for (size_t i = 1; i < inv->n; i++)
        if (strcmp(inv->units[i - 1].id, inv->units[i].id) == 0) {
            tg_error(inv->units[i].path, 0, "test id '%s' appears twice (also in %s); ids must be "
                     "unique", inv->units[i].id, inv->units[i - 1].path);
            return TG_ECONFIG;
        }
    return TG_OK;
}
