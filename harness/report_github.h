/*
 * report_github.h: GitHub Actions workflow commands for failures
 * (::error file=…,line=…,title=…::message), escaped as GitHub requires:
 * in the message % CR LF become %25 %0D %0A; in properties also : and ,.
 * Printed only when GITHUB_ACTIONS is "true" (tg_github_active()).
 */
#ifndef TG_REPORT_GITHUB_H
#define TG_REPORT_GITHUB_H

#include "results.h"

#include <stdio.h>

int tg_github_active(void);
/* Escapes for the message part (property 0) or a property value (1); the
 * caller frees. */
char *tg_github_escape(const char *s, int property);
/* One ::error line per blocking test (at most 50: GitHub shows no more). */
void tg_github_annotate(const tg_results *r, FILE *out);

#endif
