/*
 * report_junit.h: JUnit XML from a tg_results, in the two styles of SPEC.md.
 *
 *   default (jenkins_style 0): <testsuites>, one <testsuite> per suite,
 *     <testcase classname name time file line>, flaky attempts as
 *     <flakyFailure>/<flakyError> (Surefire's names).
 *   jenkins (jenkins_style 1): valid against the Jenkins JUnit XSD: no
 *     file/line attributes (file:line goes into the failure text), a flaky
 *     test is a passed <testcase> whose <system-out> tells its failed tries.
 *
 * Both: times as %.3f in the C locale; tests/failures/errors/skipped on every
 * suite equal to the elements counted; characters XML 1.0 forbids removed.
 * Reads r only. The rendered string is the caller's to free.
 */
#ifndef TG_REPORT_JUNIT_H
#define TG_REPORT_JUNIT_H

#include "results.h"

char *tg_junit_render(const tg_results *r, int jenkins_style);
/* Renders and writes path atomically. */
int tg_junit_write(const tg_results *r, const char *path, int jenkins_style);

#endif
