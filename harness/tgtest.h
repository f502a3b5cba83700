/*
 * tgtest.h: the registration helper that makes a Check binary a tollgate suite.
 *
 * Check has no way to list its tests and silently runs nothing for an
 * unknown CK_RUN_SUITE, so tollgate owns the list. A test file registers its
 * tests with tgt_tcase()/tgt_add() and ends with TGT_MAIN("suite", fn). The
 * binary then answers three calls:
 *
 *   BIN --tg-list      one line per test: ID <TAB> FILE <TAB> LINE, where ID is
 *                      SUITE/FILE/TCASE/TEST (FILE is the source file's base
 *                      name without ".c"); a name registered twice gets "#2".
 *   BIN --tg-run ID    runs exactly that test in this process (tollgate gives
 *                      each test its own process) and writes one result line
 *                      to the fd named by $TOLLGATE_RESULT_FD:
 *                      STATUS <TAB> FILE <TAB> LINE <TAB> MESSAGE; exits 0 on a
 *                      pass, 1 on a failure, TGT_EXIT_UNKNOWN for an unknown id.
 *                      The id's first part may be any name: tollgate uses the
 *                      suite of tollgate.yaml that runs the binary, so one
 *                      binary can serve two suites with distinct ids.
 *   BIN --tg-serve     tollgate's worker: stays up and forks one child per test
 *                      tollgate sends (see serve() in tgtest.c), so a test
 *                      still runs alone in a fresh process without an exec.
 *   BIN                runs everything with Check's own srunner (fork mode),
 *                      as a plain Check binary would.
 *
 * In a coverage build, crash signals and SIGTERM (tollgate's timeout) flush
 * gcov's counters before the process dies, so no coverage is lost.
 */
#ifndef TGTEST_H
#define TGTEST_H

#include <check.h>

#define TGT_EXIT_UNKNOWN 97

typedef struct tgt_registry tgt_registry;

/* Starts a new test case; the tests added next belong to it. */
void tgt_tcase(tgt_registry *r, const char *name);
/* Checked fixtures for the current test case. */
void tgt_fixture(tgt_registry *r, SFun setup, SFun teardown);
/* Adds a test defined with START_TEST to the current test case. */
void tgt_add(tgt_registry *r, const TTest *test);

int tgt_main(int argc, char **argv, const char *suite, void (*reg)(tgt_registry *));

#define TGT_MAIN(suite, reg)                                                                       \
    int main(int argc, char **argv) { return tgt_main(argc, argv, suite, reg); }

/* A fresh scratch folder for a test: /tmp/PREFIX-XXXXXX, written into out
 * (at least 64 bytes); aborts the test when it cannot be made. tgt_rmtree()
 * removes a folder and everything in it. */
void tgt_scratch(char *out, const char *prefix);
void tgt_rmtree(const char *path);

/* For integration tests: the URL of a service tollgate started
 * ($TOLLGATE_<NAME>_URL, NAME upper-cased), or NULL. */
const char *tgt_service_url(const char *name);

#endif
