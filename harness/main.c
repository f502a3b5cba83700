/* main.c: tollgate's command line: picks the verb and hands over. */
#include "cli.h"
#include "lint/lint.h"
#include "smoke.h"
#include "coverage.h"
#include "tg.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
} verb;

static const verb verbs[] = {
    {"plan", tg_cmd_plan, "print the shard plan"},
    {"run", tg_cmd_run, "run this shard's part of the suites"},
    {"gate", tg_cmd_gate, "merge shard outputs and decide whether the deploy may go"},
    {"check", tg_cmd_check, "run every shard here in parallel, then the gate"},
    {"lint", tg_cmd_lint, "validate deploy and CI configuration"},
    {"smoke", tg_cmd_smoke, "verify a live deployment's endpoints (retries, assertions, budgets)"},
    {"monitor", tg_cmd_monitor, "run smoke rounds on a schedule and keep a health report"},
    {"coverage", tg_cmd_coverage, "collect, merge and report gcov coverage"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: tollgate VERB [OPTIONS]   (tollgate VERB --help for a verb's options)\n\n");
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        fprintf(out, "  %-9s %s\n", verbs[i].name, verbs[i].help);
    fprintf(out, "\nExit codes: 0 all good, 1 something checked failed, 2 usage or "
                 "configuration error, 3 internal error.\n");
}

int main(int argc, char **argv)
{
    /* Reports and plans never depend on the user's locale. */
    setlocale(LC_ALL, "C");
    if (argc < 2) {
        usage(stderr);
        return TG_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("tollgate %s\n", TG_VERSION);
        return TG_EXIT_OK;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return TG_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (strcmp(argv[1], verbs[i].name) == 0)
            return verbs[i].fn(argc - 1, argv + 1);
    tg_error(NULL, 0, "unknown verb '%s'", argv[1]);
    usage(stderr);
    return TG_EXIT_USAGE;
}
