/* be_store_sqlite.c: the SQLite engine of be_store.h (the embedded default).
 *
 * One connection behind a mutex: SQLite serialises writers anyway, an
 * in-memory database exists only on its connection, and the prepared
 * statements are cached per SQL text so a request costs a bind and a step.
 */
#include "be.h"
#include "be_store.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define STMT_CACHE 32

typedef struct {
    be_store base;
    sqlite3 *db;
    char *path; /* NULL for :memory: */
    dev_t dev;
    ino_t ino;
    struct {
        const char *sql; /* the caller's string literal: compared by address */
        sqlite3_stmt *stmt;
    } cache[STMT_CACHE];
    int ncache;
} sqlite_store;

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS projects ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " name TEXT NOT NULL UNIQUE,"
    " description TEXT NOT NULL DEFAULT '',"
    " created_at TEXT NOT NULL,"
    " updated_at TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS documents ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,"
    " title TEXT NOT NULL,"
    " content TEXT NOT NULL DEFAULT '',"
    " created_at TEXT NOT NULL,"
    " updated_at TEXT NOT NULL,"
    " UNIQUE (project_id, title));"
    "CREATE INDEX IF NOT EXISTS documents_by_project ON documents (project_id, id);";

static int map_error(sqlite3 *db, int rc)
{
    int ext = sqlite3_extended_errcode(db);
    be_store_set_error("sqlite: %s (%d)", sqlite3_errmsg(db), ext);
    if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
        return BE_ECONFLICT;
    if (ext == SQLITE_CONSTRAINT_FOREIGNKEY)
        return BE_ENOTFOUND;
    switch (rc & 0xff) {
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
    case SQLITE_FULL:
    case SQLITE_READONLY:
        return BE_EUNAVAIL;
    default:
        return BE_EINTERNAL;
    }
}

static sqlite3_stmt *prepared(sqlite_store *s, const char *sql)
{
    for (int i = 0; i < s->ncache; i++)
        if (s->cache[i].sql == sql)
            return s->cache[i].stmt;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return NULL;
    if (s->ncache < STMT_CACHE) {
        s->cache[s->ncache].sql = sql;
        s->cache[s->ncache].stmt = st;
        s->ncache++;
    }
    return st;
}

static int is_cached(const sqlite_store *s, const sqlite3_stmt *st)
{
    for (int i = 0; i < s->ncache; i++)
        if (s->cache[i].stmt == st)
            return 1;
    return 0;
}

static int run(sqlite_store *s, const char *sql, const be_param *params, int np, be_rows *rows)
{
    if (rows)
        memset(rows, 0, sizeof *rows);
    sqlite3_stmt *st = prepared(s, sql);
    if (!st)
        return map_error(s->db, sqlite3_errcode(s->db));
    /* SQLite numbers "$N" parameters in order of appearance, not by N:
     * bind by name so the SQL reads the same as in PostgreSQL. */
    for (int i = 0; i < np; i++) {
        char name[16];
        snprintf(name, sizeof name, "$%d", i + 1);
        int at = sqlite3_bind_parameter_index(st, name);
        if (at == 0)
            continue;
        if (params[i].is_int)
            sqlite3_bind_int64(st, at, params[i].i);
        else if (params[i].s)
            sqlite3_bind_text(st, at, params[i].s, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(st, at);
    }
    int ncols = sqlite3_column_count(st), cap = 0, rc;
    if (rows) {
        memset(rows, 0, sizeof *rows);
        rows->ncols = ncols;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (!rows)
            continue;
        if (rows->nrows == cap) {
            cap = cap ? cap * 2 : 8;
            rows->cells = be_realloc(rows->cells, sizeof *rows->cells * (size_t)(cap * ncols));
        }
        for (int c = 0; c < ncols; c++) {
            const unsigned char *t = sqlite3_column_text(st, c);
            rows->cells[rows->nrows * ncols + c] = t ? be_strdup((const char *)t) : NULL;
        }
        rows->nrows++;
    }
    int result = rc == SQLITE_DONE ? BE_OK : map_error(s->db, rc);
    if (result != BE_OK && rows)
        be_rows_free(rows);
    if (is_cached(s, st)) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    } else {
        sqlite3_finalize(st);
    }
    return result;
}

static int sq_query(be_store *base, const char *sql, const be_param *params, int np, be_rows *rows)
{
    return run((sqlite_store *)base, sql, params, np, rows);
}

/* A database file removed or replaced under a running service is a lost
 * database: writes would go to an unlinked inode. */
static int sq_check(be_store *base)
{
    const sqlite_store *s = (const sqlite_store *)base;
    struct stat st;
    if (s->path && (stat(s->path, &st) != 0 || st.st_dev != s->dev || st.st_ino != s->ino)) {
        be_store_set_error("sqlite: database file %s is gone", s->path);
        return BE_EUNAVAIL;
    }
    return BE_OK;
}

static void sq_close(be_store *base)
{
    sqlite_store *s = (sqlite_store *)base;
    for (int i = 0; i < s->ncache; i++)
        sqlite3_finalize(s->cache[i].stmt);
    sqlite3_close(s->db);
    free(s->path);
    free(s);
}

static const be_store_ops sqlite_ops = {"sqlite", sq_query, sq_check, sq_close};

int be_store_sqlite_open(const char *path, be_store **out, char *err, size_t errlen)
{
    *out = NULL;
    sqlite3 *db = NULL;
    int memory = strcmp(path, ":memory:") == 0;
    int rc = sqlite3_open_v2(
        path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    char *msg = NULL;
    if (rc == SQLITE_OK) {
        sqlite3_extended_result_codes(db, 1);
        rc = sqlite3_exec(db,
                          "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                          "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;",
                          NULL, NULL, &msg);
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, schema, NULL, NULL, &msg);
    struct stat st;
    if (rc == SQLITE_OK && !memory && stat(path, &st) != 0)
        rc = SQLITE_CANTOPEN;
    if (rc != SQLITE_OK) {
        snprintf(err, errlen,
                 "DATABASE_URL: cannot open SQLite database \"%s\": %s; check that its folder "
                 "exists and is writable",
                 path,
                 msg  ? msg
                 : db ? sqlite3_errmsg(db)
                      : sqlite3_errstr(rc));
        sqlite3_free(msg);
        sqlite3_close(db);
        return BE_EINVAL;
    }
    sqlite_store *s = be_calloc(1, sizeof *s);
    be_store_init(&s->base, &sqlite_ops);
    s->db = db;
    if (!memory) {
        s->path = be_strdup(path);
        s->dev = st.st_dev;
        s->ino = st.st_ino;
    }
    *out = &s->base;
    return BE_OK;
}
