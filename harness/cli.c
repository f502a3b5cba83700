/* cli.c: argument parsing shared by the verbs. */
#include "cli.h"
#include "tg.h"
