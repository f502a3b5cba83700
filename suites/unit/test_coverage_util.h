/* Helpers shared by the coverage tests: temporary folders, shell commands,
 * and running the verb in-process with its messages captured. */
#ifndef TEST_COVERAGE_UTIL_H
#define TEST_COVERAGE_UTIL_H

#include "coverage.h"
#include "tg.h"

#include <check.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* A new empty folder under /tmp; the caller frees the name and removes it
 * with cov_rmrf(). */
static inline char *cov_tmpdir(void)
{
    char tmpl[] = "/tmp/tg-cov-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(tmpl));
    return tg_strdup(tmpl);
}

/* Runs a shell command; returns its exit status (-1 if it did not exit). */
static inline int cov_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int cov_sh(const char *fmt, ...)
{
    tg_buf b;
    tg_buf_init(&b);
    va_list ap;
    va_start(ap, fmt);
    tg_buf_vaddf(&b, fmt, ap);
    va_end(ap);
    fflush(NULL);
    int st = system(b.data);
    tg_buf_free(&b);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static inline void cov_rmrf(char *dir)
{
    if (dir && strncmp(dir, "/tmp/tg-cov-", 12) == 0)
        cov_sh("rm -rf '%s'", dir);
    free(dir);
}

/* Runs `tollgate coverage ARGS...` in this process with stdout and stderr
 * sent to a file; returns the exit code and, in *out, what it printed. */
static inline int cov_verb(char **out, ...)
{
    char *argv[32];
    int argc = 0;
    argv[argc++] = "coverage";
    va_list ap;
    va_start(ap, out);
    for (char *a; argc < 31 && (a = va_arg(ap, char *));)
        argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    char path[] = "/tmp/tg-cov-out-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    fflush(NULL);
    int save1 = dup(1), save2 = dup(2);
    dup2(fd, 1);
    dup2(fd, 2);
    int rc = tg_cmd_coverage(argc, argv);
    fflush(NULL);
    dup2(save1, 1);
    dup2(save2, 2);
    close(save1);
    close(save2);
    close(fd);
    char *text = tg_read_file(path, NULL);
    unlink(path);
    if (out)
        *out = text;
    else
        free(text);
    return rc;
}

/* The function of that name in the file of that path, or NULL. */
static inline const tg_cov_func *cov_func(const tg_cov *c, const char *path, const char *name)
{
    const tg_cov_file *f = tg_cov_file_find(c, path);
    for (int i = 0; f && i < f->nfuncs; i++)
        if (strcmp(f->funcs[i].name, name) == 0)
            return &f->funcs[i];
    return NULL;
}

#endif
