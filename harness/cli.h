/*
 * cli.h: the verbs. Each takes the arguments after the verb name (argv[0] is
 * the verb) and returns an exit code of SPEC.md: 0, 1, 2 or 3.
 */
#ifndef TG_CLI_H
#define TG_CLI_H

int tg_cmd_plan(int argc, char **argv);
int tg_cmd_run(int argc, char **argv);
int tg_cmd_gate(int argc, char **argv);
int tg_cmd_check(int argc, char **argv);

#endif
