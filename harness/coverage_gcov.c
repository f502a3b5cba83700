/* coverage_gcov.c: collection, from a build's .gcno/.gcda files through gcov's
 * JSON to a tg_cov (coverage.h). */
#include "coverage.h"
#include "tg.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Messages about many files name this many, then count the rest. */
#define NAME_AT_MOST 10

typedef struct {
    char **v;
    size_t n, cap;
} strlist;

static void sl_add(strlist *l, char *s)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = tg_realloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = s;
}

static void sl_free(strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Collects the paths (relative to base) of files ending in ext under base/rel,
 * recursively. Symbolic links are not followed, so a link loop cannot trap us. */
static int walk(const char *base, const char *rel, const char *ext, strlist *out, strlist *out2,
                const char *ext2)
{
    char *dir = *rel ? tg_asprintf("%s/%s", base, rel) : tg_strdup(base);
    DIR *d = opendir(dir);
    if (!d) {
        tg_error(dir, 0, "cannot read folder: %s", strerror(errno));
        free(dir);
        return TG_EIO;
    }
    int rc = TG_OK;
    struct dirent *e;
    while (rc == TG_OK && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *sub = *rel ? tg_asprintf("%s/%s", rel, e->d_name) : tg_strdup(e->d_name);
        unsigned char type = e->d_type;
        if (type == DT_UNKNOWN) {
            struct stat st;
            char *full = tg_asprintf("%s/%s", dir, e->d_name);
            type = lstat(full, &st) == 0 ? (S_ISDIR(st.st_mode) ? DT_DIR : DT_REG) : DT_UNKNOWN;
            free(full);
        }
        if (type == DT_DIR) {
            rc = walk(base, sub, ext, out, out2, ext2);
            free(sub);
        } else if (type == DT_REG && ends_with(sub, ext)) {
            sl_add(out, sub);
        } else if (type == DT_REG && ext2 && ends_with(sub, ext2)) {
            sl_add(out2, sub);
        } else {
            free(sub);
        }
    }
    closedir(d);
    free(dir);
    return rc;
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* ---- .gcno: version and build identity ------------------------------- */

static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* GCC writes its version as 4 characters: 'A' + major / 10, '0' + major % 10,
 * '0' + minor, and a phase character ("B22*" is 12.2). */
static void gcc_version_of(uint32_t v, int *major, int *minor)
{
    int c0 = (int)(v >> 24 & 0xff), c1 = (int)(v >> 16 & 0xff), c2 = (int)(v >> 8 & 0xff);
    *major = (c0 - 'A') * 10 + (c1 - '0');
    *minor = c2 - '0';
}

typedef struct {
    uint64_t h;
} fnv;

static void fnv_add(fnv *f, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++)
        f->h = (f->h ^ s[i]) * 1099511628211ULL;
}

#define GCOV_TAG_FUNCTION 0x01000000u

/* Walks the records (tag, length in bytes, data) from off to the end. With f,
 * hashes them, leaving out each function's ident: GCC derives it from the
 * object file's path, which differs between two checkouts of one commit.
 * Returns 0, or -1 when a record runs past the end (a truncated file) or,
 * with need_end, when the end marker (tag 0) is missing. */
static int walk_records(const unsigned char *d, size_t len, size_t off, int need_end, fnv *f)
{
    while (off + 4 <= len) {
        uint32_t tag = rd32(d + off);
        if (tag == 0)
            return need_end && off + 4 != len ? -1 : 0;
        if (off + 8 > len)
            return -1;
        /* A negative length stands for counters that are all zero (GCC 12
         * writes no data for them). */
        int32_t signed_n = (int32_t)rd32(d + off + 4);
        uint32_t n = signed_n < 0 ? 0 : (uint32_t)signed_n;
        if (n > len - off - 8)
            return -1;
        if (f) {
            size_t skip = tag == GCOV_TAG_FUNCTION && n >= 4 ? 4 : 0;
            fnv_add(f, d + off, 8);
            fnv_add(f, d + off + 8 + skip, n - skip);
        }
        off += 8 + (size_t)n;
    }
    return off == len && !need_end ? 0 : -1;
}

/* Hashes one notes file into f: its path and its records. The header's
 * stamp (a timestamp), the compile directory and the function idents are
 * left out, so two builds of the same sources with the same compiler and
 * flags share an identity, on any machine, while a changed line or flag
 * changes it. */
static int gcno_hash(const char *dir, const char *rel, fnv *f, uint32_t *version)
{
    char *path = tg_asprintf("%s/%s", dir, rel);
    size_t len;
    unsigned char *d = (unsigned char *)tg_read_file(path, &len);
    if (!d) {
        tg_error(path, 0, "cannot read: %s", strerror(errno));
        free(path);
        return TG_EIO;
    }
    int rc = TG_OK;
    /* magic, version, stamp, checksum, then the compile directory (a
     * length and that many bytes) and the unexecuted-blocks flag */
    size_t off = 16;
    if (len >= 20 && rd32(d + 16) <= len - 20)
        off = 20 + rd32(d + 16) + 4;
    if (len < 16 || memcmp(d, "oncg", 4) != 0) {
        tg_error(path, 0, "not a gcov notes file (bad magic); delete the build folder and "
                          "rebuild with --coverage");
        rc = TG_EFORMAT;
    } else {
        *version = rd32(d + 4);
        fnv_add(f, rel, strlen(rel) + 1);
        fnv_add(f, d + 4, 4);
        if (off > len || walk_records(d, len, off, 0, f) != 0) {
            tg_error(path, 0, "the notes file is truncated or damaged; delete the build "
                              "folder and rebuild with --coverage");
            rc = TG_EFORMAT;
        }
    }
    free(d);
    free(path);
    return rc;
}

/* gcov reads a truncated .gcda without a word of complaint (the missing
 * counters read as zero), so the structure is checked here first. Returns
 * NULL or what is wrong (caller frees). */
static char *gcda_problem(const char *path)
{
    size_t len;
    unsigned char *d = (unsigned char *)tg_read_file(path, &len);
    if (!d)
        return tg_asprintf("%s: cannot read: %s", path, strerror(errno));
    char *why = NULL;
    if (len < 16 || memcmp(d, "adcg", 4) != 0)
        why = tg_asprintf("%s: not a gcov data file (%s); delete it and run the tests again",
                          path, len < 16 ? "too short" : "bad magic");
    else if (walk_records(d, len, 16, 1, NULL) != 0)
        why = tg_asprintf("%s: truncated or damaged gcov data (did the test die while "
                          "writing it?); delete it and run the tests again",
                          path);
    free(d);
    return why;
}

static int hash_gcno_set(const char *build, strlist *gcno, char **hex, uint32_t *version)
{
    qsort(gcno->v, gcno->n, sizeof *gcno->v, tg_strcmp_ptr);
    fnv f = {1469598103934665603ULL};
    *version = 0;
    for (size_t i = 0; i < gcno->n; i++) {
        uint32_t v;
        int rc = gcno_hash(build, gcno->v[i], &f, &v);
        if (rc)
            return rc;
        if (*version && v != *version) {
            int a, b, x, y;
            gcc_version_of(*version, &a, &b);
            gcc_version_of(v, &x, &y);
            tg_error(build, 0, "%s was written by GCC %d.%d but %s by GCC %d.%d: one build "
                               "folder, one compiler; rebuild it from clean",
                     gcno->v[i], x, y, gcno->v[0], a, b);
            return TG_ECONFIG;
        }
        *version = v;
    }
    *hex = tg_asprintf("%016llx-%zu", (unsigned long long)f.h, gcno->n);
    return TG_OK;
}

static int check_build_dir(const char *build)
{
    if (!is_dir(build)) {
        tg_error(build, 0, "the build folder does not exist; build with coverage first "
                           "(make BUILD=build/cov COV=1 tests) or pass --build DIR");
        return TG_EIO;
    }
    return TG_OK;
}

int tg_cov_build_identity(const char *dir, char **hex, long *ngcno)
{
    strlist gcno = {0};
    *hex = NULL;
    int rc = check_build_dir(dir);
    if (!rc)
        rc = walk(dir, "", ".gcno", &gcno, NULL, NULL);
    uint32_t version;
    if (!rc && gcno.n == 0) {
        tg_error(dir, 0, "no .gcno files: this folder was not built with --coverage");
        rc = TG_ECONFIG;
    }
    if (!rc)
        rc = hash_gcno_set(dir, &gcno, hex, &version);
    if (ngcno)
        *ngcno = (long)gcno.n;
    sl_free(&gcno);
    return rc;
}

/* ---- running gcov ---------------------------------------------------- */

typedef struct {
    pid_t pid;
    int out, err; /* pipe ends, -1 once closed */
    tg_buf obuf, ebuf;
    size_t first, count; /* the batch: items[first .. first+count) */
} child;

static int spawn(const char *const *argv, child *c)
{
    int po[2], pe[2];
    if (pipe2(po, O_CLOEXEC) != 0)
        return -errno;
    if (pipe2(pe, O_CLOEXEC) != 0) {
        int e = errno;
        close(po[0]);
        close(po[1]);
        return -e;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, po[1], 1);
    posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
    int e = posix_spawnp(&c->pid, argv[0], &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(po[1]);
    close(pe[1]);
    if (e != 0) {
        close(po[0]);
        close(pe[0]);
        return -e;
    }
    c->out = po[0];
    c->err = pe[0];
    tg_buf_init(&c->obuf);
    tg_buf_init(&c->ebuf);
    return 0;
}

static void drain(int *fd, tg_buf *b)
{
    char chunk[65536];
    ssize_t n = read(*fd, chunk, sizeof chunk);
    if (n > 0) {
        tg_buf_add(b, chunk, (size_t)n);
    } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        close(*fd);
        *fd = -1;
    }
}

/* Waits for the child, its output read to the end; returns its wait status. */
/* A gcov that has not finished a call in this long is stuck, not slow (it
 * handles hundreds of files a second): it is killed and the batch fails. */
#define GCOV_CALL_LIMIT_S 300

/* Waits for the child, its output read to the end; returns its wait status,
 * or with *timed_out set when it overran limit_s seconds and was killed. */
static int finish(child *c, int limit_s, int *timed_out)
{
    double deadline = tg_now() + limit_s;
    *timed_out = 0;
    while (c->out >= 0 || c->err >= 0) {
        struct pollfd p[2] = {{c->out, POLLIN, 0}, {c->err, POLLIN, 0}};
        int left_ms = (int)((deadline - tg_now()) * 1000);
        if (left_ms <= 0) {
            kill(c->pid, SIGKILL);
            *timed_out = 1;
            break;
        }
        if (poll(p, 2, left_ms) < 0 && errno != EINTR)
            break;
        if (c->out >= 0 && p[0].revents)
            drain(&c->out, &c->obuf);
        if (c->err >= 0 && p[1].revents)
            drain(&c->err, &c->ebuf);
    }
    if (c->out >= 0)
        close(c->out);
    if (c->err >= 0)
        close(c->err);
    c->out = c->err = -1;
    int st = 0;
    while (waitpid(c->pid, &st, 0) < 0 && errno == EINTR)
        ;
    return st;
}

static const char *gcov_program(const tg_cov_collect_opts *o)
{
    if (o->gcov && *o->gcov)
        return o->gcov;
    const char *e = getenv("GCOV");
    return e && *e ? e : "gcov";
}

/* Runs `gcov --version` and checks it is the gcov of the compiler that
 * wrote the notes: another version refuses the data or misreads it. */
static int check_gcov(const char *gcov, uint32_t notes_version, const char *notes_file,
                      char **version)
{
    const char *argv[] = {gcov, "--version", NULL};
    child c;
    int e = spawn(argv, &c);
    if (e) {
        tg_error(NULL, 0, "cannot run '%s': %s; install gcov (Debian: gcc) or name it with "
                          "--gcov PATH or $GCOV",
                 gcov, strerror(-e));
        return TG_ECONFIG;
    }
    int timed_out;
    int st = finish(&c, GCOV_CALL_LIMIT_S, &timed_out);
    int rc = TG_OK;
    /* "gcov (Debian 12.2.0-14) 12.2.0": the version is the last word of the first line. */
    char *nl = strchr(c.obuf.data ? c.obuf.data : "", '\n');
    if (nl)
        *nl = '\0';
    const char *line = c.obuf.data ? c.obuf.data : "";
    const char *last = strrchr(line, ' ');
    last = last ? last + 1 : line;
    int major = 0, minor = 0, want_major, want_minor;
    gcc_version_of(notes_version, &want_major, &want_minor);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || strncmp(line, "gcov", 4) != 0 ||
        sscanf(last, "%d.%d", &major, &minor) != 2) {
        tg_error(NULL, 0, "'%s --version' did not answer as gcov does (got \"%.80s\"); "
                          "name the gcov of your compiler with --gcov PATH",
                 gcov, line);
        rc = TG_ECONFIG;
    } else if (major != want_major || minor != want_minor) {
        tg_error(notes_file, 0, "written by GCC %d.%d, but '%s' is gcov %d.%d; use the gcov "
                                "of the compiler that built it (--gcov gcov-%d)",
                 want_major, want_minor, gcov, major, minor, want_major);
        rc = TG_ECONFIG;
    } else {
        *version = tg_strdup(last);
    }
    tg_buf_free(&c.obuf);
    tg_buf_free(&c.ebuf);
    return rc;
}

/* ---- from gcov's JSON to the model ----------------------------------- */

typedef struct {
    const tg_cov_collect_opts *o;
    char *roots[2]; /* the repository root, physical and as the shell sees it */
    size_t nroots;
    tg_cov *cov;
    char **inputs;  /* what gcov was given, per item */
    char **gcda;    /* the original .gcda, per item (for messages) */
    size_t nitems;
    size_t next;          /* the first item no worker has taken */
    strlist errors;
    pthread_mutex_t lock; /* guards next and errors */
} collector;

/* Collapses "." and ".." in an absolute path, textually (as lcov does). */
static void normalize(char *p)
{
    char *out = p, *s = p;
    while (*s) {
        while (*s == '/')
            s++;
        char *seg = s;
        while (*s && *s != '/')
            s++;
        size_t n = (size_t)(s - seg);
        if (n == 0 || (n == 1 && seg[0] == '.'))
            continue;
        if (n == 2 && seg[0] == '.' && seg[1] == '.') {
            while (out > p && *--out != '/')
                ;
            continue;
        }
        *out++ = '/';
        memmove(out, seg, n);
        out += n;
    }
    if (out == p)
        *out++ = '/';
    *out = '\0';
}

/* The repository-relative path of a gcov source name, or NULL when the file
 * is outside the repository (system headers, other projects). */
static char *repo_path(const collector *k, const char *cwd, const char *file)
{
    char *abs = file[0] == '/' ? tg_strdup(file) : tg_asprintf("%s/%s", cwd ? cwd : "", file);
    normalize(abs);
    char *rel = NULL;
    for (size_t i = 0; i < k->nroots && !rel; i++) {
        size_t n = strlen(k->roots[i]);
        if (strcmp(k->roots[i], "/") == 0)
            rel = tg_strdup(abs + 1);
        else if (strncmp(abs, k->roots[i], n) == 0 && abs[n] == '/')
            rel = tg_strdup(abs + n + 1);
    }
    free(abs);
    return rel;
}

static long long num(const cJSON *o, const char *key, long long dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? (long long)v->valuedouble : dflt;
}

static void add_gcov_file(const collector *k, tg_cov *cov, const char *cwd, const cJSON *jf)
{
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(jf, "file");
    if (!cJSON_IsString(name))
        return;
    char *rel = repo_path(k, cwd, name->valuestring);
    if (!rel)
        return;
    tg_cov_file *f = tg_cov_file_get(cov, rel);
    free(rel);
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(jf, "functions"))
    {
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(e, "name");
        long long line = num(e, "start_line", -1), count = num(e, "execution_count", -1);
        if (cJSON_IsString(fn) && line >= 0 && count >= 0)
            tg_cov_add_func(f, fn->valuestring, (int)line, (int)num(e, "end_line", line), count);
    }
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(jf, "lines"))
    {
        long long line = num(e, "line_number", -1), count = num(e, "count", -1);
        if (line < 0 || count < 0)
            continue;
        tg_cov_add_line(f, (int)line, count);
        const cJSON *unexec = cJSON_GetObjectItemCaseSensitive(e, "unexecuted_block");
        /* geninfo: branches of a line in a block never executed are "-". */
        int never = cJSON_IsTrue(unexec) && count == 0;
        int idx = 0;
        const cJSON *b;
        cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(e, "branches"))
        {
            long long bc = num(b, "count", -1);
            tg_cov_add_branch(f, (int)line, idx++, never ? -1 : bc);
        }
    }
}

static void add_error(collector *k, char *msg)
{
    pthread_mutex_lock(&k->lock);
    sl_add(&k->errors, msg);
    pthread_mutex_unlock(&k->lock);
}

/* Parses the documents gcov wrote for one batch, one per input. */
static void parse_batch(collector *k, child *c, tg_cov *cov)
{
    const char *p = c->obuf.data ? c->obuf.data : "";
    const char *end = p + c->obuf.len;
    size_t docs = 0;
    while (p < end) {
        while (p < end && (*p == '\n' || *p == ' ' || *p == '\r' || *p == '\t'))
            p++;
        if (p == end)
            break;
        const char *stop = NULL;
        cJSON *doc = cJSON_ParseWithLengthOpts(p, (size_t)(end - p), &stop, 0);
        if (!doc) {
            add_error(k, tg_asprintf("gcov's output for %s is not JSON it can read (at byte "
                                     "%zu); is '%s' the gcov of GCC 9 or later?",
                                     k->gcda[c->first], (size_t)(p - c->obuf.data),
                                     gcov_program(k->o)));
            return;
        }
        const cJSON *fv = cJSON_GetObjectItemCaseSensitive(doc, "format_version");
        if (!cJSON_IsString(fv) || strcmp(fv->valuestring, "1") != 0) {
            add_error(k, tg_asprintf("gcov's JSON format_version is %s, tollgate reads \"1\"; "
                                     "use the gcov of GCC 9 to 13",
                                     cJSON_IsString(fv) ? fv->valuestring : "missing"));
            cJSON_Delete(doc);
            return;
        }
        const cJSON *cwd = cJSON_GetObjectItemCaseSensitive(doc, "current_working_directory");
        const cJSON *jf;
        cJSON_ArrayForEach(jf, cJSON_GetObjectItemCaseSensitive(doc, "files"))
        {
            add_gcov_file(k, cov, cJSON_IsString(cwd) ? cwd->valuestring : NULL, jf);
        }
        cJSON_Delete(doc);
        docs++;
        p = stop;
    }
    if (docs != c->count)
        add_error(k, tg_asprintf("gcov returned data for %zu of the %zu files from %s on",
                                 docs, c->count, k->gcda[c->first]));
}

/* gcov names the input in its complaints ("x.gcda:stamp mismatch with notes
 * file"): say it with the path the user knows. */
static void batch_errors(collector *k, child *c, int st)
{
    char *text = c->ebuf.data ? c->ebuf.data : "";
    int ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        const char *who = NULL, *what = line;
        for (size_t i = c->first; i < c->first + c->count && !who; i++) {
            size_t n = strlen(k->inputs[i]) - 5; /* without ".gcda" */
            if (strncmp(line, k->inputs[i], n) == 0 && line[n] == '.' && strchr(line + n, ':')) {
                who = k->gcda[i];
                what = strchr(line + n, ':') + 1;
            }
        }
        if (ok)
            tg_warn(who, 0, "gcov: %s", what);
        else
            add_error(k, who ? tg_asprintf("%s: %s (rebuild and run the tests again)", who, what)
                             : tg_asprintf("gcov: %s", what));
    }
    if (!ok && !k->errors.n)
        add_error(k, tg_asprintf("gcov failed (%s %d) on the batch from %s on",
                                 WIFEXITED(st) ? "exit" : "signal",
                                 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st),
                                 k->gcda[c->first]));
}

/* One worker thread: takes the next batch, runs gcov on it, reads its output
 * to the end and parses it into its own tg_cov, until no batch is left. Each
 * worker parses while the others' gcov runs, and no gcov ever waits on a full
 * pipe while its output waits for the parser. */
typedef struct {
    collector *k;
    size_t batch;
    tg_cov cov;
} worker;

static void *worker_main(void *arg)
{
    worker *w = arg;
    collector *k = w->k;
    const char *gcov = gcov_program(k->o);
    for (;;) {
        pthread_mutex_lock(&k->lock);
        size_t first = k->next;
        size_t n = k->nitems - first < w->batch ? k->nitems - first : w->batch;
        int stop = first >= k->nitems || k->errors.n > 0;
        if (!stop)
            k->next += n;
        pthread_mutex_unlock(&k->lock);
        if (stop)
            break;
        const char **argv = tg_calloc(n + 5, sizeof *argv);
        argv[0] = gcov;
        argv[1] = "--json-format";
        argv[2] = "--stdout";
        argv[3] = "--branch-probabilities";
        for (size_t i = 0; i < n; i++)
            argv[4 + i] = k->inputs[first + i];
        child c;
        int e = spawn(argv, &c);
        free(argv);
        if (e) {
            add_error(k, tg_asprintf("cannot run '%s': %s", gcov, strerror(-e)));
            break;
        }
        c.first = first;
        c.count = n;
        int timed_out, limit = k->o->limit_s > 0 ? k->o->limit_s : GCOV_CALL_LIMIT_S;
        int st = finish(&c, limit, &timed_out);
        if (timed_out)
            add_error(k, tg_asprintf("'%s' did not finish within %d s on the %zu files from %s "
                                     "on; it was stopped",
                                     gcov, limit, n, k->gcda[first]));
        batch_errors(k, &c, st);
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
            parse_batch(k, &c, &w->cov);
        tg_buf_free(&c.obuf);
        tg_buf_free(&c.ebuf);
    }
    return NULL;
}

static void run_batches(collector *k, int jobs, size_t batch)
{
    size_t nbatches = (k->nitems + batch - 1) / batch;
    if ((size_t)jobs > nbatches)
        jobs = (int)nbatches;
    worker *w = tg_calloc((size_t)jobs, sizeof *w);
    pthread_t *tid = tg_calloc((size_t)jobs, sizeof *tid);
    int *started = tg_calloc((size_t)jobs, sizeof *started);
    for (int i = 0; i < jobs; i++) {
        w[i].k = k;
        w[i].batch = batch;
        tg_cov_init(&w[i].cov);
        started[i] = pthread_create(&tid[i], NULL, worker_main, &w[i]) == 0;
    }
    /* Without threads (none could start), the work is done here. */
    if (jobs > 0 && !started[0])
        worker_main(&w[0]);
    for (int i = 0; i < jobs; i++) {
        if (started[i])
            pthread_join(tid[i], NULL);
        tg_cov_merge(k->cov, &w[i].cov);
        tg_cov_free(&w[i].cov);
    }
    free(started);
    free(tid);
    free(w);
}

/* ---- pairing .gcda with .gcno ---------------------------------------- */

/* The notes of a data file: the .gcno whose path under the build folder ends
 * the .gcda's path under the data folder (GCOV_PREFIX_STRIP may have cut any
 * number of leading folders). gcno must be sorted. */
static const char *notes_for(const strlist *gcno, const char *gcda_rel)
{
    size_t n = strlen(gcda_rel) - 5;
    char *stem = tg_strndup(gcda_rel, n);
    const char *found = NULL;
    for (const char *s = stem; s && !found; s = strchr(s, '/') ? strchr(s, '/') + 1 : NULL) {
        char *want = tg_asprintf("%s.gcno", s);
        char **hit = bsearch(&want, gcno->v, gcno->n, sizeof *gcno->v, tg_strcmp_ptr);
        if (hit)
            found = *hit;
        free(want);
    }
    free(stem);
    return found;
}

static char *absolute(const char *path)
{
    char *r = realpath(path, NULL);
    if (!r)
        return tg_strdup(path);
    char *s = tg_strdup(r);
    free(r);
    return s;
}

static void report_errors(const char *title, strlist *l)
{
    for (size_t i = 0; i < l->n && i < NAME_AT_MOST; i++)
        tg_error(NULL, 0, "%s", l->v[i]);
    if (l->n > NAME_AT_MOST)
        tg_error(NULL, 0, "... and %zu more %s", l->n - NAME_AT_MOST, title);
}

/* Links i.gcda and i.gcno side by side in farm, so one gcov call can take
 * data files whose notes live in another tree. */
static int link_pair(const char *farm, size_t i, const char *gcda, const char *gcno, char **input)
{
    *input = tg_asprintf("%s/%zu.gcda", farm, i);
    char *notes = tg_asprintf("%s/%zu.gcno", farm, i);
    int rc = TG_OK;
    if (symlink(gcda, *input) != 0 || symlink(gcno, notes) != 0) {
        tg_error(farm, 0, "cannot link gcov inputs: %s", strerror(errno));
        rc = TG_EIO;
    }
    free(notes);
    return rc;
}

static void remove_farm(const char *farm, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char *a = tg_asprintf("%s/%zu.gcda", farm, i), *b = tg_asprintf("%s/%zu.gcno", farm, i);
        unlink(a);
        unlink(b);
        free(a);
        free(b);
    }
    rmdir(farm);
}

/* lcov honours LCOV_EXCL markers in the sources, so tollgate does too. A
 * source that cannot be read keeps all its data, as with geninfo. */
static void apply_markers(tg_cov *c, const char *root)
{
    for (size_t i = 0; i < c->nfiles; i++) {
        char *path = tg_asprintf("%s/%s", root, c->files[i]->path);
        size_t len;
        char *text = tg_read_file(path, &len);
        if (text)
            tg_cov_apply_markers(c->files[i], text, len);
        free(text);
        free(path);
    }
}

int tg_cov_collect(const tg_cov_collect_opts *o, tg_cov *out)
{
    tg_cov_init(out);
    const char *build = o->build;
    const char *data = o->gcda ? o->gcda : build;
    int rc = check_build_dir(build);
    if (!rc && data != build && !is_dir(data)) {
        tg_error(data, 0, "the coverage data folder does not exist (did the tests run with "
                          "GCOV_PREFIX set to it?)");
        rc = TG_EIO;
    }
    if (rc)
        return rc;
    strlist gcno = {0}, gcda = {0};
    if (data == build || strcmp(data, build) == 0) {
        rc = walk(build, "", ".gcno", &gcno, &gcda, ".gcda");
    } else {
        rc = walk(build, "", ".gcno", &gcno, NULL, NULL);
        if (!rc)
            rc = walk(data, "", ".gcda", &gcda, NULL, NULL);
    }
    if (!rc && gcno.n == 0) {
        tg_error(build, 0, "no .gcno files: this folder was not built with --coverage "
                           "(make BUILD=build/cov COV=1 tests)");
        rc = TG_ECONFIG;
    }
    if (!rc && gcda.n == 0) {
        tg_error(data, 0, "no .gcda files: no instrumented program has run (run the tests "
                          "first; with GCOV_PREFIX, pass that folder as --gcda)");
        rc = TG_ECONFIG;
    }
    uint32_t version = 0;
    if (!rc)
        rc = hash_gcno_set(build, &gcno, &out->identity, &version);
    if (!rc) {
        char *first = tg_asprintf("%s/%s", build, gcno.v[0]);
        rc = check_gcov(gcov_program(o), version, first, &out->gcov_version);
        free(first);
    }
    collector k = {.o = o, .cov = out, .lock = PTHREAD_MUTEX_INITIALIZER};
    char *farm = NULL;
    if (!rc) {
        qsort(gcda.v, gcda.n, sizeof *gcda.v, tg_strcmp_ptr);
        k.inputs = tg_calloc(gcda.n, sizeof *k.inputs);
        k.gcda = tg_calloc(gcda.n, sizeof *k.gcda);
        k.nitems = gcda.n;
        char *abs_build = absolute(build), *abs_data = absolute(data);
        strlist orphans = {0};
        for (size_t i = 0; i < gcda.n && !rc; i++) {
            k.gcda[i] = tg_asprintf("%s/%s", data, gcda.v[i]);
            const char *notes = notes_for(&gcno, gcda.v[i]);
            char *beside = tg_strdup(gcda.v[i]);
            memcpy(beside + strlen(beside) - 5, ".gcno", 5);
            char *problem = gcda_problem(k.gcda[i]);
            if (problem) {
                sl_add(&orphans, problem);
            } else if (!notes) {
                sl_add(&orphans, tg_asprintf("%s has no .gcno under %s (was it built in another "
                                             "folder? pass that one as --build)",
                                             k.gcda[i], build));
            } else if (data == build && strcmp(notes, beside) == 0) {
                k.inputs[i] = tg_strdup(k.gcda[i]);
            } else {
                if (!farm) {
                    const char *tmp = getenv("TMPDIR");
                    farm = tg_asprintf("%s/tollgate-gcov-XXXXXX", tmp && *tmp ? tmp : "/tmp");
                    if (!mkdtemp(farm)) {
                        tg_error(farm, 0, "cannot create: %s", strerror(errno));
                        rc = TG_EIO;
                    }
                }
                char *ga = tg_asprintf("%s/%s", abs_data, gcda.v[i]);
                char *na = tg_asprintf("%s/%s", abs_build, notes);
                if (!rc)
                    rc = link_pair(farm, i, ga, na, &k.inputs[i]);
                free(ga);
                free(na);
            }
            free(beside);
        }
        if (!rc && orphans.n) {
            report_errors("unusable data files", &orphans);
            rc = TG_ECONFIG;
        }
        sl_free(&orphans);
        free(abs_build);
        free(abs_data);
    }
    if (!rc) {
        const char *root = o->root ? o->root : ".";
        k.roots[k.nroots++] = absolute(root);
        const char *pwd = getenv("PWD");
        if (root[0] != '/' && pwd && pwd[0] == '/') {
            char *logical = tg_asprintf("%s/%s", pwd, root);
            normalize(logical);
            k.roots[k.nroots++] = logical;
        }
        int jobs = o->jobs > 0 ? o->jobs : tg_ncpu();
        /* Several batches per worker keep the cores busy when files differ in
         * size; at least 8 files a call keeps gcov's start-up cost small. */
        size_t batch = o->batch > 0 ? (size_t)o->batch
                                    : (k.nitems + (size_t)jobs * 4 - 1) / ((size_t)jobs * 4);
        if (o->batch <= 0 && batch < 8)
            batch = 8;
        if (batch > 256)
            batch = 256;
        run_batches(&k, jobs, batch);
        out->ngcda = (long)k.nitems;
        apply_markers(out, root);
        if (k.errors.n) {
            report_errors("gcov errors", &k.errors);
            rc = TG_ECONFIG;
        }
    }
    if (farm)
        remove_farm(farm, k.nitems);
    free(farm);
    for (size_t i = 0; i < k.nitems; i++) {
        free(k.inputs[i]);
        free(k.gcda[i]);
    }
    free(k.inputs);
    free(k.gcda);
    for (size_t i = 0; i < k.nroots; i++)
        free(k.roots[i]);
    sl_free(&k.errors);
    sl_free(&gcno);
    sl_free(&gcda);
    if (rc)
        tg_cov_free(out);
    else
        tg_cov_sort(out);
    return rc;
}
