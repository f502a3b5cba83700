/* Unit tests for be_store.c and be_store_sqlite.c: resources, constraints,
 * pagination, the on-disk database and its health check. The PostgreSQL
 * engine runs the same API in the integration suite (test_pg.c and the
 * backend-pg service). */
#include "be.h"
#include "be_store.h"
#include "tgtest.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static be_store *st;

static void open_memory(void)
{
    char err[256];
    ck_assert_int_eq(be_store_open("sqlite::memory:", &st, err, sizeof err), BE_OK);
}

static void close_store(void)
{
    be_store_close(st);
    st = NULL;
}

static int64_t new_project(const char *name)
{
    be_project p;
    be_project_in in = {name, "desc"};
    ck_assert_int_eq(be_project_create(st, &in, &p), BE_OK);
    int64_t id = p.id;
    be_project_clear(&p);
    return id;
}

START_TEST(project_create_read_update_delete)
{
    be_project p, q;
    be_project_in in = {"alpha", NULL};
    ck_assert_int_eq(be_project_create(st, &in, &p), BE_OK);
    ck_assert_int_gt(p.id, 0);
    ck_assert_str_eq(p.name, "alpha");
    ck_assert_str_eq(p.description, "");
    ck_assert_uint_eq(strlen(p.created_at), 24);
    ck_assert_int_eq(be_project_get(st, p.id, &q), BE_OK);
    ck_assert_str_eq(q.name, "alpha");
    be_project_clear(&q);
    be_project_in patch = {NULL, "now described"};
    ck_assert_int_eq(be_project_update(st, p.id, &patch, &q), BE_OK);
    ck_assert_str_eq(q.name, "alpha");
    ck_assert_str_eq(q.description, "now described");
    be_project_clear(&q);
    ck_assert_int_eq(be_project_delete(st, p.id), BE_OK);
    ck_assert_int_eq(be_project_get(st, p.id, &q), BE_ENOTFOUND);
    ck_assert_int_eq(be_project_delete(st, p.id), BE_ENOTFOUND);
    ck_assert_int_eq(be_project_update(st, p.id, &patch, &q), BE_ENOTFOUND);
    be_project_clear(&p);
}
END_TEST

START_TEST(duplicate_project_name_conflicts)
{
    new_project("taken");
    int64_t other = new_project("free");
    be_project p;
    be_project_in in = {"taken", NULL};
    ck_assert_int_eq(be_project_create(st, &in, &p), BE_ECONFLICT);
    ck_assert_int_eq(be_project_update(st, other, &in, &p), BE_ECONFLICT);
    ck_assert_ptr_nonnull(strstr(be_store_last_error(), "UNIQUE"));
}
END_TEST

START_TEST(project_list_pages_in_id_order)
{
    char name[32];
    for (int i = 0; i < 25; i++) {
        snprintf(name, sizeof name, "p%02d", i);
        new_project(name);
    }
    be_project_list l;
    ck_assert_int_eq(be_project_list_get(st, 10, 20, &l), BE_OK);
    ck_assert_int_eq(l.total, 25);
    ck_assert_uint_eq(l.n, 5);
    ck_assert_str_eq(l.items[0].name, "p20");
    ck_assert_str_eq(l.items[4].name, "p24");
    be_project_list_free(&l);
    ck_assert_int_eq(be_project_list_get(st, 10, 100, &l), BE_OK);
    ck_assert_uint_eq(l.n, 0);
    ck_assert_int_eq(l.total, 25);
    be_project_list_free(&l);
}
END_TEST

START_TEST(documents_belong_to_their_project)
{
    int64_t a = new_project("a"), b = new_project("b");
    be_document d, e;
    be_document_in in = {"spec", "text"};
    ck_assert_int_eq(be_document_create(st, a, &in, &d), BE_OK);
    ck_assert_int_eq(d.project_id, a);
    ck_assert_int_eq(be_document_get(st, a, d.id, &e), BE_OK);
    ck_assert_str_eq(e.content, "text");
    be_document_clear(&e);
    ck_assert_int_eq(be_document_get(st, b, d.id, &e), BE_ENOTFOUND);
    ck_assert_int_eq(be_document_delete(st, b, d.id), BE_ENOTFOUND);
    /* same title in another project is fine, twice in one is a conflict */
    ck_assert_int_eq(be_document_create(st, b, &in, &e), BE_OK);
    be_document_clear(&e);
    ck_assert_int_eq(be_document_create(st, a, &in, &e), BE_ECONFLICT);
    be_document_in patch = {NULL, "changed"};
    ck_assert_int_eq(be_document_update(st, a, d.id, &patch, &e), BE_OK);
    ck_assert_str_eq(e.title, "spec");
    ck_assert_str_eq(e.content, "changed");
    be_document_clear(&e);
    be_document_clear(&d);
}
END_TEST

START_TEST(documents_of_a_missing_project_are_not_found)
{
    be_document d;
    be_document_in in = {"t", NULL};
    ck_assert_int_eq(be_document_create(st, 424242, &in, &d), BE_ENOTFOUND);
    be_document_list l;
    ck_assert_int_eq(be_document_list_get(st, 424242, 20, 0, &l), BE_ENOTFOUND);
}
END_TEST

START_TEST(deleting_a_project_deletes_its_documents)
{
    int64_t a = new_project("doomed");
    be_document d;
    be_document_in in = {"t", NULL};
    ck_assert_int_eq(be_document_create(st, a, &in, &d), BE_OK);
    ck_assert_int_eq(be_project_delete(st, a), BE_OK);
    be_document e;
    ck_assert_int_eq(be_document_get(st, a, d.id, &e), BE_ENOTFOUND);
    be_document_clear(&d);
}
END_TEST

START_TEST(document_list_pages)
{
    int64_t a = new_project("many");
    char title[16];
    for (int i = 0; i < 7; i++) {
        be_document d;
        snprintf(title, sizeof title, "d%d", i);
        be_document_in in = {title, NULL};
        ck_assert_int_eq(be_document_create(st, a, &in, &d), BE_OK);
        be_document_clear(&d);
    }
    be_document_list l;
    ck_assert_int_eq(be_document_list_get(st, a, 3, 3, &l), BE_OK);
    ck_assert_int_eq(l.total, 7);
    ck_assert_uint_eq(l.n, 3);
    ck_assert_str_eq(l.items[0].title, "d3");
    be_document_list_free(&l);
}
END_TEST

static char tmpdir[64];

static char *db_path(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/be-store-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    return be_asprintf("%s/app.db", tmpdir);
}

static void remove_tmpdir(const char *path)
{
    char *wal = be_asprintf("%s-wal", path), *shm = be_asprintf("%s-shm", path);
    unlink(path);
    unlink(wal);
    unlink(shm);
    rmdir(tmpdir);
    free(wal);
    free(shm);
}

START_TEST(file_database_is_created_in_wal_mode_and_persists)
{
    char *path = db_path(), *url = be_asprintf("sqlite://%s", path), err[256];
    be_store *s;
    ck_assert_int_eq(be_store_open(url, &s, err, sizeof err), BE_OK);
    st = s;
    new_project("kept");
    be_store_close(s);
    st = NULL;

    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *q;
    ck_assert_int_eq(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &q, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
    ck_assert_str_eq((const char *)sqlite3_column_text(q, 0), "wal");
    sqlite3_finalize(q);
    sqlite3_close(db);

    ck_assert_int_eq(be_store_open(url, &s, err, sizeof err), BE_OK);
    be_project_list l;
    ck_assert_int_eq(be_project_list_get(s, 20, 0, &l), BE_OK);
    ck_assert_int_eq(l.total, 1);
    ck_assert_str_eq(l.items[0].name, "kept");
    be_project_list_free(&l);
    be_store_close(s);
    remove_tmpdir(path);
    free(url);
    free(path);
}
END_TEST

START_TEST(ping_fails_once_the_database_file_is_gone)
{
    char *path = db_path(), *url = be_asprintf("sqlite://%s", path), err[256];
    be_store *s;
    ck_assert_int_eq(be_store_open(url, &s, err, sizeof err), BE_OK);
    ck_assert_int_eq(be_store_ping(s), BE_OK);
    remove_tmpdir(path);
    ck_assert_int_eq(be_store_ping(s), BE_EUNAVAIL);
    ck_assert_ptr_nonnull(strstr(be_store_last_error(), "gone"));
    be_store_close(s);
    free(url);
    free(path);
}
END_TEST

START_TEST(open_in_a_missing_folder_says_what_to_fix)
{
    be_store *s;
    char err[256];
    ck_assert_int_eq(be_store_open("sqlite:///nonexistent-dir-for-tests/x.db", &s, err, sizeof err),
                     BE_EINVAL);
    ck_assert_ptr_null(s);
    ck_assert_ptr_nonnull(strstr(err, "DATABASE_URL"));
    ck_assert_ptr_nonnull(strstr(err, "folder"));
}
END_TEST

static void tests(tgt_registry *r)
{
    tgt_tcase(r, "projects");
    tgt_fixture(r, open_memory, close_store);
    tgt_add(r, project_create_read_update_delete);
    tgt_add(r, duplicate_project_name_conflicts);
    tgt_add(r, project_list_pages_in_id_order);
    tgt_tcase(r, "documents");
    tgt_fixture(r, open_memory, close_store);
    tgt_add(r, documents_belong_to_their_project);
    tgt_add(r, documents_of_a_missing_project_are_not_found);
    tgt_add(r, deleting_a_project_deletes_its_documents);
    tgt_add(r, document_list_pages);
    tgt_tcase(r, "sqlite");
    tgt_add(r, file_database_is_created_in_wal_mode_and_persists);
    tgt_add(r, ping_fails_once_the_database_file_is_gone);
    tgt_add(r, open_in_a_missing_folder_says_what_to_fix);
}

TGT_MAIN("unit", tests)
