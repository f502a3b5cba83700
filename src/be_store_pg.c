/* be_store_pg.c: the PostgreSQL engine of be_store.h, through libpq.
 *
 * Built when the Makefile finds libpq (it defines BE_HAVE_PQ). One connection
 * behind a mutex (a PGconn must not be used by two threads at once). A server
 * that is down at start or goes away later is not fatal: every call
 * reconnects when the connection is bad, readiness answers 503 until it
 * works, and the schema is created on the first connection that succeeds.
 */
#include "be.h"
#include "be_store.h"

#include <stdio.h>

#ifndef BE_HAVE_PQ

int be_store_pg_open(const char *url, be_store **out, char *err, size_t errlen)
{
    (void)url;
    *out = NULL;
    snprintf(err, errlen, "DATABASE_URL: this backend was built without libpq");
    return BE_EINVAL;
}

#else

#include <libpq-fe.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    be_store base;
    PGconn *conn;
    char *url;
    int schema_ready;
} pg_store;

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS projects ("
    " id BIGSERIAL PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE,"
    " description TEXT NOT NULL DEFAULT '',"
    " created_at TEXT NOT NULL,"
    " updated_at TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS documents ("
    " id BIGSERIAL PRIMARY KEY,"
    " project_id BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,"
    " title TEXT NOT NULL,"
    " content TEXT NOT NULL DEFAULT '',"
    " created_at TEXT NOT NULL,"
    " updated_at TEXT NOT NULL,"
    " UNIQUE (project_id, title));"
    "CREATE INDEX IF NOT EXISTS documents_by_project ON documents (project_id, id);";

static void quiet_notices(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* connect_timeout bounds how long a request waits for a server that is down. */
static PGconn *pg_connect(const char *url)
{
    const char *keys[] = {"dbname", "connect_timeout", "application_name", NULL};
    const char *vals[] = {url, "3", "tollgate-backend", NULL};
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    if (c)
        PQsetNoticeProcessor(c, quiet_notices, NULL);
    return c;
}

/* With the lock held: a live connection with the schema in place, or BE_EUNAVAIL. */
static int ensure_connected(pg_store *s)
{
    if (!s->conn)
        s->conn = pg_connect(s->url);
    else if (PQstatus(s->conn) != CONNECTION_OK)
        PQreset(s->conn);
    if (!s->conn || PQstatus(s->conn) != CONNECTION_OK) {
        be_store_set_error("postgres: %s", s->conn ? PQerrorMessage(s->conn) : "no connection");
        return BE_EUNAVAIL;
    }
    if (!s->schema_ready) {
        PGresult *r = PQexec(s->conn, schema);
        int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        if (!ok)
            be_store_set_error("postgres: schema: %s", PQresultErrorMessage(r));
        PQclear(r);
        if (!ok)
            return PQstatus(s->conn) == CONNECTION_OK ? BE_EINTERNAL : BE_EUNAVAIL;
        s->schema_ready = 1;
    }
    return BE_OK;
}

static int map_error(pg_store *s, PGresult *r)
{
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    be_store_set_error("postgres: %s", PQresultErrorMessage(r));
    if (state && strcmp(state, "23505") == 0)
        return BE_ECONFLICT;
    if (state && strcmp(state, "23503") == 0)
        return BE_ENOTFOUND;
    if (PQstatus(s->conn) != CONNECTION_OK ||
        (state && (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0)))
        return BE_EUNAVAIL;
    return BE_EINTERNAL;
}

static int run(pg_store *s, const char *sql, const be_param *params, int np, be_rows *rows)
{
    if (rows)
        memset(rows, 0, sizeof *rows);
    int rc = ensure_connected(s);
    if (rc != BE_OK)
        return rc;
    char ints[16][24];
    const char *values[16];
    if (np > 16)
        return BE_EINTERNAL;
    for (int i = 0; i < np; i++) {
        if (params[i].is_int) {
            snprintf(ints[i], sizeof ints[i], "%lld", (long long)params[i].i);
            values[i] = ints[i];
        } else {
            values[i] = params[i].s;
        }
    }
    PGresult *r = PQexecParams(s->conn, sql, np, NULL, values, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
        rc = map_error(s, r);
        PQclear(r);
        return rc;
    }
    if (rows) {
        memset(rows, 0, sizeof *rows);
        rows->nrows = PQntuples(r);
        rows->ncols = PQnfields(r);
        if (rows->nrows > 0 && rows->ncols > 0) {
            rows->cells = be_calloc((size_t)(rows->nrows * rows->ncols), sizeof *rows->cells);
            for (int i = 0; i < rows->nrows; i++)
                for (int c = 0; c < rows->ncols; c++)
                    rows->cells[i * rows->ncols + c] =
                        PQgetisnull(r, i, c) ? NULL : be_strdup(PQgetvalue(r, i, c));
        }
    }
    PQclear(r);
    return BE_OK;
}

static int pg_query(be_store *base, const char *sql, const be_param *params, int np, be_rows *rows)
{
    return run((pg_store *)base, sql, params, np, rows);
}

static void pg_close(be_store *base)
{
    pg_store *s = (pg_store *)base;
    if (s->conn)
        PQfinish(s->conn);
    free(s->url);
    free(s);
}

static const be_store_ops pg_ops = {"postgres", pg_query, NULL, pg_close};

int be_store_pg_open(const char *url, be_store **out, char *err, size_t errlen)
{
    *out = NULL;
    char *perr = NULL;
    PQconninfoOption *opts = PQconninfoParse(url, &perr);
    if (!opts) {
        snprintf(err, errlen, "DATABASE_URL: not a valid PostgreSQL URL: %s",
                 perr ? perr : "parse error");
        PQfreemem(perr);
        return BE_EINVAL;
    }
    PQconninfoFree(opts);
    pg_store *s = be_calloc(1, sizeof *s);
    be_store_init(&s->base, &pg_ops);
    s->url = be_strdup(url);
    pthread_mutex_lock(&s->base.lock);
    int rc = ensure_connected(s);
    pthread_mutex_unlock(&s->base.lock);
    if (rc == BE_EINTERNAL) {
        snprintf(err, errlen, "DATABASE_URL: cannot create the schema: %s", be_store_last_error());
        be_store_close(&s->base);
        return BE_EINVAL;
    }
    *out = &s->base;
    return BE_OK;
}

#endif
