# Coverage: `make coverage` and `make bench-coverage` (docs/coverage.md).

ifeq ($(COV),1)
# tgtest.c flushes gcov's counters from its signal handlers (crash, timeout)
# through a weak __gcov_dump. A weak reference does not pull that member out
# of the static libgcov, so without this the handlers find no __gcov_dump and
# the coverage of every crashed or timed-out test is lost.
ALL_LDFLAGS += -Wl,-u,__gcov_dump
endif

# make coverage: the suites of a coverage build, run through tollgate in
# $(SHARDS) shards. Each shard's process tree writes its .gcda files under its
# own GCOV_PREFIX, so the shards do not mix their counters in the one build
# folder; collect pairs them with the build's .gcno files. The runner and the
# collector are the plain build's tollgate, so their own work does not count
# as covered code. The gate merges the shards' coverage into
# reports/coverage/{coverage.info,coverage.xml,summary.md} and holds it to
# tollgate.yaml's minimums, with the reason in verdict.json.
COV_BUILD := build/cov
COV_OUT   := reports/coverage

.PHONY: coverage bench-coverage
coverage: all
	$(MAKE) --no-print-directory BUILD=$(COV_BUILD) COV=1 tests
	rm -rf $(COV_OUT)/shard-*
	find $(COV_BUILD) -name '*.gcda' -delete
	@status=0; \
	for i in $$(seq 1 $(SHARDS)); do \
	  GCOV_PREFIX=$(CURDIR)/$(COV_OUT)/shard-$$i/gcda TOLLGATE_BUILD=$(COV_BUILD) \
	    $(BUILD)/tollgate run --shard $$i/$(SHARDS) --out $(COV_OUT)/shard-$$i --quiet || status=1; \
	  if [ -d $(COV_OUT)/shard-$$i/gcda ]; then \
	    $(BUILD)/tollgate coverage collect --build $(COV_BUILD) --gcda $(COV_OUT)/shard-$$i/gcda \
	      --out $(COV_OUT)/shard-$$i || exit $$?; \
	  fi; \
	done; \
	if [ $$status -ne 0 ]; then echo "make coverage: a shard had failing tests (coverage kept)" >&2; fi; \
	$(BUILD)/tollgate gate --shards $(SHARDS) --no-history --out $(COV_OUT) \
	  $$(for i in $$(seq 1 $(SHARDS)); do echo $(COV_OUT)/shard-$$i; done)

# make bench-coverage: tollgate coverage collect against lcov and gcovr.
BENCHES += bench-coverage
bench-coverage: all
	$(MAKE) --no-print-directory BUILD=$(COV_BUILD) COV=1 tests
	ci/bench/coverage.sh


# make fuzz-coverage: the coverage.json reader under libFuzzer (clang, a test
# package), for FUZZ_SECONDS, seeded with the recorded shards. A crash is kept
# in build/fuzz/coverage-crashes/ and fails the target.
FUZZ_SECONDS ?= 20
COV_FUZZ     := build/fuzz/fuzz_coverage_json
COV_FUZZ_SRC := fixtures/coverage/fuzz/fuzz_coverage_json.c harness/coverage.c \
                harness/coverage_report.c harness/results.c harness/yamltree.c harness/util.c

.PHONY: fuzz-coverage
fuzz: fuzz-coverage
$(COV_FUZZ): $(COV_FUZZ_SRC) harness/coverage.h harness/tg.h
	@mkdir -p $(dir $@)
	clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
	  -fno-sanitize-recover=undefined $(PKG_CFLAGS) -Iharness -o $@ $(COV_FUZZ_SRC) $(PKG_LIBS) -lm
fuzz-coverage: $(COV_FUZZ)
	rm -rf build/fuzz/coverage-corpus && mkdir -p build/fuzz/coverage-corpus build/fuzz/coverage-crashes
	for f in fixtures/coverage/shards/*/coverage.json fixtures/coverage/bad/*.json; do \
	  cp $$f build/fuzz/coverage-corpus/$$(echo $$f | tr / _); done
	$(COV_FUZZ) -max_total_time=$(FUZZ_SECONDS) -seed=1 -max_len=65536 -close_fd_mask=2 \
	  -artifact_prefix=build/fuzz/coverage-crashes/ build/fuzz/coverage-corpus
