/*
 * be_store.h: the storage layer. One interface, two implementations.
 *
 * be_store_ops is the interface every engine implements: run one
 * parameterised SQL statement and hand back its rows as text, an optional
 * readiness check, close. be_store_sqlite.c (the embedded default) and
 * be_store_pg.c (libpq, built when BE_HAVE_PQ is defined) implement it; each
 * creates the same schema in its own dialect when it opens. The SQL of the
 * resources (be_store.c) is written once, in the subset both engines speak
 * ($1 placeholders, RETURNING, LIMIT/OFFSET), so the two behave alike.
 *
 * Errors: BE_ENOTFOUND (no such row, or a parent that vanished),
 * BE_ECONFLICT (a unique name taken), BE_EUNAVAIL (database unreachable),
 * BE_EINTERNAL (anything else; be_store_last_error() says what, for the log
 * only, never for a client).
 *
 * Ownership: a be_store is made by be_store_open() and freed by
 * be_store_close(). Records filled by the store own their strings; free them
 * with be_project_clear()/be_document_clear(), lists with be_*_list_free().
 * All functions are safe to call from several threads.
 */
#ifndef BE_STORE_H
#define BE_STORE_H

#include "be_validate.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/* A statement parameter: an integer, or text (NULL text is SQL NULL). */
typedef struct be_param {
    int is_int;
    int64_t i;
    const char *s;
} be_param;

/* Rows of a result, every cell as text (NULL for SQL NULL). */
typedef struct be_rows {
    int nrows, ncols;
    char **cells; /* nrows * ncols */
} be_rows;
void be_rows_free(be_rows *r);

typedef struct be_store be_store;

typedef struct be_store_ops {
    const char *engine; /* "sqlite" or "postgres" */
    /* Runs sql with params; fills rows when non-NULL. Called with s->lock
     * held: an engine keeps one connection and never locks itself. It
     * reconnects first when it can. */
    int (*query)(be_store *s, const char *sql, const be_param *params, int nparams, be_rows *rows);
    /* Optional: a readiness check beyond answering a query; NULL if none. */
    int (*check)(be_store *s);
    /* Frees the engine (the lock is already destroyed). */
    void (*close)(be_store *s);
} be_store_ops;

/* The first member of every engine's struct. */
struct be_store {
    const be_store_ops *ops;
    pthread_mutex_t lock;
};

/* For the engines: sets ops and the lock up. */
void be_store_init(be_store *s, const be_store_ops *ops);
/* Runs one statement under the store's lock. */
int be_store_query(be_store *s, const char *sql, const be_param *params, int nparams,
                   be_rows *rows);

/* Opens by DATABASE_URL and creates the schema. BE_EINVAL/BE_EUNAVAIL with a
 * message in err on failure (a PostgreSQL server that is down at start is not
 * a failure: the store retries and readiness says 503 meanwhile). */
int be_store_open(const char *url, be_store **out, char *err, size_t errlen);
void be_store_close(be_store *s);
int be_store_ping(be_store *s);
const char *be_store_engine(const be_store *s);
/* The last internal error message of this thread, for the log. */
const char *be_store_last_error(void);
void be_store_set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The engines (each .c file). */
int be_store_sqlite_open(const char *path, be_store **out, char *err, size_t errlen);
int be_store_pg_open(const char *url, be_store **out, char *err, size_t errlen);

typedef struct be_project {
    int64_t id;
    char *name, *description, *created_at, *updated_at;
} be_project;

typedef struct be_document {
    int64_t id, project_id;
    char *title, *content, *created_at, *updated_at;
} be_document;

void be_project_clear(be_project *p);
void be_document_clear(be_document *d);

typedef struct be_project_list {
    be_project *items;
    size_t n;
    int64_t total;
} be_project_list;

typedef struct be_document_list {
    be_document *items;
    size_t n;
    int64_t total;
} be_document_list;

void be_project_list_free(be_project_list *l);
void be_document_list_free(be_document_list *l);

int be_project_create(be_store *s, const be_project_in *in, be_project *out);
int be_project_get(be_store *s, int64_t id, be_project *out);
int be_project_list_get(be_store *s, int64_t limit, int64_t offset, be_project_list *out);
/* Fields left NULL in `in` keep their value (PATCH); PUT passes both. */
int be_project_update(be_store *s, int64_t id, const be_project_in *in, be_project *out);
/* Deletes the project and its documents. */
int be_project_delete(be_store *s, int64_t id);

int be_document_create(be_store *s, int64_t project_id, const be_document_in *in, be_document *out);
int be_document_get(be_store *s, int64_t project_id, int64_t id, be_document *out);
int be_document_list_get(be_store *s, int64_t project_id, int64_t limit, int64_t offset,
                         be_document_list *out);
int be_document_update(be_store *s, int64_t project_id, int64_t id, const be_document_in *in,
                       be_document *out);
int be_document_delete(be_store *s, int64_t project_id, int64_t id);

#endif
