# tollgate: `make` builds, `make check` runs the whole pipeline on itself.
#
# Sources are found by wildcard: a new harness/*.c, harness/lint/*.c or
# src/*.c joins its library, a new suites/unit/test_*.c or
# suites/integration/test_*.c becomes a test binary. Extra rules live in
# mk/*.mk, one fragment per area.
#
# Variants share these rules through BUILD:
#   make                      -> build/        (-O2 -g)
#   make BUILD=build/asan SAN=1  AddressSanitizer + UndefinedBehaviorSanitizer
#   make BUILD=build/cov COV=1   gcov instrumentation

BUILD   ?= build
CC      ?= cc
PREFIX  ?= /usr/local
DESTDIR ?=
SHARDS  ?= 4

PKGS := check libcurl libcjson yaml-0.1 libmicrohttpd sqlite3
ifneq ($(MAKECMDGOALS),clean)
PKG_CHECK := $(shell pkg-config --exists $(PKGS) || echo missing)
ifeq ($(PKG_CHECK),missing)
$(error missing libraries ($(PKGS)); run: sudo ci/install-deps.sh)
endif
endif
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
ifeq ($(shell pkg-config --exists libpq && echo yes),yes)
PKG_CFLAGS += $(shell pkg-config --cflags libpq) -DBE_HAVE_PQ=1
PKG_LIBS   += $(shell pkg-config --libs libpq)
endif

CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-missing-field-initializers
ifeq ($(SAN),1)
VARIANT_FLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif
ifeq ($(COV),1)
VARIANT_FLAGS += --coverage -O0
endif
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(VARIANT_FLAGS) $(PKG_CFLAGS) \
             -Iharness -Isrc -MMD -MP
# -z now: symbols are bound once at start, not again in every child a
# suite's worker forks for a test (see --tg-serve in harness/tgtest.c).
ALL_LDFLAGS = $(VARIANT_FLAGS) $(LDFLAGS) -pthread -Wl,-z,now -Wl,--as-needed
LIBS = $(PKG_LIBS) -lm

HARNESS_SRC := $(filter-out harness/main.c harness/tgtest.c,$(wildcard harness/*.c harness/lint/*.c))
BACKEND_SRC := $(filter-out src/main.c,$(wildcard src/*.c))
UNIT_SRC    := $(wildcard suites/unit/test_*.c)
INTEG_SRC   := $(wildcard suites/integration/test_*.c)

OBJ = $(BUILD)/obj
HARNESS_OBJ := $(HARNESS_SRC:%.c=$(OBJ)/%.o)
BACKEND_OBJ := $(BACKEND_SRC:%.c=$(OBJ)/%.o)
UNIT_BIN    := $(UNIT_SRC:suites/unit/%.c=$(BUILD)/tests/unit/%)
INTEG_BIN   := $(INTEG_SRC:suites/integration/%.c=$(BUILD)/tests/integration/%)
TESTS       := $(UNIT_BIN) $(INTEG_BIN)

.PHONY: all tests pipeline check check-asan cppcheck install clean bench fuzz coverage lint-self
all: $(BUILD)/tollgate $(if $(wildcard src/main.c),$(BUILD)/backend)
tests: all $(TESTS)

# Quiet by default; make V=1 shows the commands.
ifneq ($(V),1)
Q = @
endif

$(OBJ)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $(BUILD)/$<")
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/libtg.a: $(HARNESS_OBJ)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/libbe.a: $(BACKEND_OBJ)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/tollgate: $(OBJ)/harness/main.o $(BUILD)/libtg.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/backend: $(OBJ)/src/main.o $(BUILD)/libbe.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

TEST_DEPS = $(OBJ)/harness/tgtest.o $(BUILD)/libtg.a $(BUILD)/libbe.a
$(BUILD)/tests/unit/%: $(OBJ)/suites/unit/%.o $(TEST_DEPS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)
$(BUILD)/tests/integration/%: $(OBJ)/suites/integration/%.o $(TEST_DEPS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# make check: the pipeline on tollgate itself, then the same suites under
# AddressSanitizer + UndefinedBehaviorSanitizer, then cppcheck.
# The main job, as CI runs it: lint and every suite in $(SHARDS) shards,
# then the gate (reports/gate); then the coverage build through its own gate,
# which holds it to tollgate.yaml's minimums (reports/coverage).
pipeline: tests
	$(BUILD)/tollgate check --shards $(SHARDS) --out reports
	$(MAKE) --no-print-directory coverage

check: cppcheck pipeline check-asan

# Static analysis of every C file of the project.
CPPCHECK_FILES = $(shell find harness src suites fixtures ci -name '*.c' 2>/dev/null)
cppcheck:
	@echo "  CPPCHECK $(words $(CPPCHECK_FILES)) files"
	@cppcheck --enable=warning,performance,portability --error-exitcode=1 --inline-suppr \
	  --std=c11 -q -Iharness -Isrc -D__GNUC__ --suppress=missingIncludeSystem \
	  --suppress=unusedFunction $(CPPCHECK_FILES)

check-asan:
	$(MAKE) --no-print-directory BUILD=build/asan SAN=1 CFLAGS="-O1 -g" tests
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
	TOLLGATE_BUILD=build/asan build/asan/tollgate check --shards $(SHARDS) --out reports/asan

# Each area's benchmark (BENCHES, added by mk/*.mk) prints its figures beside
# the peer tool's and writes reports/bench/<area>.md; this runs them all,
# joins them into reports/bench.md, and fails if any missed its target.
bench:
	@mkdir -p reports/bench; status=0; \
	for b in $(BENCHES); do $(MAKE) --no-print-directory $$b || { echo "make bench: $$b missed a target or failed" >&2; status=1; }; done; \
	cat reports/bench/*.md > reports/bench.md; echo "benchmarks written to reports/bench.md"; exit $$status

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BUILD)/tollgate $(DESTDIR)$(PREFIX)/bin/tollgate

clean:
	rm -rf build

.SECONDARY:

-include mk/*.mk
-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
