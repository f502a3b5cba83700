/*
 * suite_foreign.h: per-test results from reports other tools write, for
 * suites tollgate runs whole: JUnit XML (an `exec` suite with format: junit,
 * which writes to $TOLLGATE_JUNIT_OUT) and Check's XML log (a `checkxml`
 * suite: a Check binary built without tollgate's helper; tollgate sets
 * CK_XML_LOG_FILE_NAME).
 *
 * Every result gets a distinct, stable id under `prefix`: a loop test's
 * iterations get "@N", a name that still repeats (two suites with one name)
 * gets "#2", "#3"... in file order. Tests are appended to res with the given
 * suite and unit. A file that is not well-formed is TG_EFORMAT with *why
 * set (caller frees): the caller then records the unit as an error.
 */
#ifndef TG_SUITE_FOREIGN_H
#define TG_SUITE_FOREIGN_H

#include "results.h"

int tg_read_junit(const char *text, size_t len, const char *prefix, const char *suite,
                  const char *unit, tg_results *res, char **why);
int tg_read_check_xml(const char *text, size_t len, const char *prefix, const char *suite,
                      const char *unit, tg_results *res, char **why);

#endif
