/* be_store.c: the resources' SQL, written once for every engine (see be_store.h). */
#include "be_store.h"

#include "be.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local char last_error[256];

const char *be_store_last_error(void)
{
    return last_error;
}

void be_store_set_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
}

static int has_prefix(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

int be_store_open(const char *url, be_store **out, char *err, size_t errlen)
{
    *out = NULL;
    if (strcmp(url, "sqlite::memory:") == 0)
        return be_store_sqlite_open(":memory:", out, err, errlen);
    if (has_prefix(url, "sqlite://"))
        return be_store_sqlite_open(url + strlen("sqlite://"), out, err, errlen);
    if (has_prefix(url, "postgres://") || has_prefix(url, "postgresql://"))
        return be_store_pg_open(url, out, err, errlen);
    snprintf(err, errlen, "DATABASE_URL: unsupported scheme");
    return BE_EINVAL;
}

void be_store_init(be_store *s, const be_store_ops *ops)
{
    s->ops = ops;
    pthread_mutex_init(&s->lock, NULL);
}

int be_store_query(be_store *s, const char *sql, const be_param *params, int nparams, be_rows *rows)
{
    pthread_mutex_lock(&s->lock);
    int rc = s->ops->query(s, sql, params, nparams, rows);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

void be_store_close(be_store *s)
{
    if (!s)
        return;
    pthread_mutex_destroy(&s->lock);
    s->ops->close(s);
}

int be_store_ping(be_store *s)
{
    if (s->ops->check && s->ops->check(s) != BE_OK)
        return BE_EUNAVAIL;
    be_rows rows = {0};
    int rc = be_store_query(s, "SELECT 1", NULL, 0, &rows);
    be_rows_free(&rows);
    return rc == BE_OK ? BE_OK : BE_EUNAVAIL;
}

const char *be_store_engine(const be_store *s)
{
    return s->ops->engine;
}

void be_rows_free(be_rows *r)
{
    for (int i = 0; i < r->nrows * r->ncols; i++)
        free(r->cells[i]);
    free(r->cells);
    memset(r, 0, sizeof *r);
}

static char *cell(const be_rows *r, int row, int col)
{
    char *c = r->cells[row * r->ncols + col];
    return be_strdup(c ? c : "");
}

static int64_t cell_int(const be_rows *r, int row, int col)
{
    const char *c = r->cells[row * r->ncols + col];
    return c ? strtoll(c, NULL, 10) : 0;
}

void be_project_clear(be_project *p)
{
    free(p->name);
    free(p->description);
    free(p->created_at);
    free(p->updated_at);
    memset(p, 0, sizeof *p);
}

void be_document_clear(be_document *d)
{
    free(d->title);
    free(d->content);
    free(d->created_at);
    free(d->updated_at);
    memset(d, 0, sizeof *d);
}

void be_project_list_free(be_project_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        be_project_clear(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

void be_document_list_free(be_document_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        be_document_clear(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

#define PROJECT_COLS "id, name, description, created_at, updated_at"
#define DOCUMENT_COLS "id, project_id, title, content, created_at, updated_at"

static void project_from_row(const be_rows *r, int i, be_project *p)
{
    p->id = cell_int(r, i, 0);
    p->name = cell(r, i, 1);
    p->description = cell(r, i, 2);
    p->created_at = cell(r, i, 3);
    p->updated_at = cell(r, i, 4);
}

static void document_from_row(const be_rows *r, int i, be_document *d)
{
    d->id = cell_int(r, i, 0);
    d->project_id = cell_int(r, i, 1);
    d->title = cell(r, i, 2);
    d->content = cell(r, i, 3);
    d->created_at = cell(r, i, 4);
    d->updated_at = cell(r, i, 5);
}

static be_param P_INT(int64_t v)
{
    return (be_param){.is_int = 1, .i = v};
}

static be_param P_TEXT(const char *s)
{
    return (be_param){.s = s};
}

/* Runs a statement expected to return at most one row; BE_ENOTFOUND on none. */
static int query_one(be_store *s, const char *sql, const be_param *p, int np, be_rows *rows)
{
    memset(rows, 0, sizeof *rows);
    int rc = be_store_query(s, sql, p, np, rows);
    if (rc == BE_OK && rows->nrows == 0) {
        be_rows_free(rows);
        return BE_ENOTFOUND;
    }
    if (rc != BE_OK)
        be_rows_free(rows);
    return rc;
}

static int query_count(be_store *s, const char *sql, const be_param *p, int np, int64_t *n)
{
    be_rows rows;
    int rc = query_one(s, sql, p, np, &rows);
    if (rc == BE_OK)
        *n = cell_int(&rows, 0, 0);
    be_rows_free(&rows);
    return rc == BE_ENOTFOUND ? BE_EINTERNAL : rc;
}

static int project_query(be_store *s, const char *sql, const be_param *p, int np, be_project *out)
{
    be_rows rows;
    int rc = query_one(s, sql, p, np, &rows);
    if (rc == BE_OK)
        project_from_row(&rows, 0, out);
    be_rows_free(&rows);
    return rc;
}

static int document_query(be_store *s, const char *sql, const be_param *p, int np, be_document *out)
{
    be_rows rows;
    int rc = query_one(s, sql, p, np, &rows);
    if (rc == BE_OK)
        document_from_row(&rows, 0, out);
    be_rows_free(&rows);
    return rc;
}

int be_project_create(be_store *s, const be_project_in *in, be_project *out)
{
    char now[32];
    be_utc_time(now);
    be_param p[] = {P_TEXT(in->name), P_TEXT(in->description ? in->description : ""), P_TEXT(now)};
    return project_query(s,
                         "INSERT INTO projects (name, description, created_at, updated_at) "
                         "VALUES ($1, $2, $3, $3) RETURNING " PROJECT_COLS,
                         p, 3, out);
}

int be_project_get(be_store *s, int64_t id, be_project *out)
{
    be_param p[] = {P_INT(id)};
    return project_query(s, "SELECT " PROJECT_COLS " FROM projects WHERE id = $1", p, 1, out);
}

int be_project_list_get(be_store *s, int64_t limit, int64_t offset, be_project_list *out)
{
    memset(out, 0, sizeof *out);
    int rc = query_count(s, "SELECT count(*) FROM projects", NULL, 0, &out->total);
    if (rc != BE_OK)
        return rc;
    be_param p[] = {P_INT(limit), P_INT(offset)};
    be_rows rows = {0};
    rc = be_store_query(s, "SELECT " PROJECT_COLS " FROM projects ORDER BY id LIMIT $1 OFFSET $2",
                        p, 2, &rows);
    if (rc == BE_OK && rows.nrows > 0) {
        out->items = be_calloc((size_t)rows.nrows, sizeof *out->items);
        for (int i = 0; i < rows.nrows; i++)
            project_from_row(&rows, i, &out->items[i]);
        out->n = (size_t)rows.nrows;
    }
    be_rows_free(&rows);
    return rc;
}

int be_project_update(be_store *s, int64_t id, const be_project_in *in, be_project *out)
{
    char now[32];
    be_utc_time(now);
    be_param p[] = {P_INT(id), P_TEXT(in->name), P_TEXT(in->description), P_TEXT(now)};
    return project_query(s,
                         "UPDATE projects SET name = COALESCE($2, name), "
                         "description = COALESCE($3, description), updated_at = $4 "
                         "WHERE id = $1 RETURNING " PROJECT_COLS,
                         p, 4, out);
}

int be_project_delete(be_store *s, int64_t id)
{
    be_param p[] = {P_INT(id)};
    be_rows rows;
    int rc = query_one(s, "DELETE FROM projects WHERE id = $1 RETURNING id", p, 1, &rows);
    be_rows_free(&rows);
    return rc;
}

int be_document_create(be_store *s, int64_t project_id, const be_document_in *in, be_document *out)
{
    char now[32];
    be_utc_time(now);
    be_param p[] = {P_INT(project_id), P_TEXT(in->title), P_TEXT(in->content ? in->content : ""),
                    P_TEXT(now)};
    /* A missing project is a foreign-key violation, which the engines report
     * as BE_ENOTFOUND: no window between a check and the insert. */
    return document_query(s,
                          "INSERT INTO documents (project_id, title, content, created_at, "
                          "updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING " DOCUMENT_COLS,
                          p, 4, out);
}

int be_document_get(be_store *s, int64_t project_id, int64_t id, be_document *out)
{
    be_param p[] = {P_INT(project_id), P_INT(id)};
    return document_query(
        s, "SELECT " DOCUMENT_COLS " FROM documents WHERE project_id = $1 AND id = $2", p, 2, out);
}

int be_document_list_get(be_store *s, int64_t project_id, int64_t limit, int64_t offset,
                         be_document_list *out)
{
    memset(out, 0, sizeof *out);
    be_param p[] = {P_INT(project_id), P_INT(limit), P_INT(offset)};
    be_rows rows;
    int rc = query_one(s, "SELECT id FROM projects WHERE id = $1", p, 1, &rows);
    be_rows_free(&rows);
    if (rc != BE_OK)
        return rc;
    rc = query_count(s, "SELECT count(*) FROM documents WHERE project_id = $1", p, 1, &out->total);
    if (rc != BE_OK)
        return rc;
    memset(&rows, 0, sizeof rows);
    rc = be_store_query(s,
                        "SELECT " DOCUMENT_COLS " FROM documents WHERE project_id = $1 "
                        "ORDER BY id LIMIT $2 OFFSET $3",
                        p, 3, &rows);
    if (rc == BE_OK && rows.nrows > 0) {
        out->items = be_calloc((size_t)rows.nrows, sizeof *out->items);
        for (int i = 0; i < rows.nrows; i++)
            document_from_row(&rows, i, &out->items[i]);
        out->n = (size_t)rows.nrows;
    }
    be_rows_free(&rows);
    return rc;
}

int be_document_update(be_store *s, int64_t project_id, int64_t id, const be_document_in *in,
                       be_document *out)
{
    char now[32];
    be_utc_time(now);
    be_param p[] = {P_INT(project_id), P_INT(id), P_TEXT(in->title), P_TEXT(in->content),
                    P_TEXT(now)};
    return document_query(s,
                          "UPDATE documents SET title = COALESCE($3, title), "
                          "content = COALESCE($4, content), updated_at = $5 "
                          "WHERE project_id = $1 AND id = $2 RETURNING " DOCUMENT_COLS,
                          p, 5, out);
}

int be_document_delete(be_store *s, int64_t project_id, int64_t id)
{
    be_param p[] = {P_INT(project_id), P_INT(id)};
    be_rows rows;
    int rc = query_one(s, "DELETE FROM documents WHERE project_id = $1 AND id = $2 RETURNING id", p,
                       2, &rows);
    be_rows_free(&rows);
    return rc;
}
