# Coverage: `make coverage` and `make bench-coverage` (docs/coverage.md).

ifeq ($(COV),1)
# tgtest.c flushes gcov's counters from its signal handlers (crash, timeout)
# through a weak __gcov_dump. A weak reference does not pull that member out
# of the static libgcov, so without this the handlers find no __gcov_dump and
# the coverage of every crashed or timed-out test is lost.
ALL_LDFLAGS += -Wl,-u,__gcov_dump
endif
