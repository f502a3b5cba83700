# mk/smoke.mk: extra rules of the smoke area (included by the Makefile).
#   make fuzz-smoke    libFuzzer on the smoke spec parser, FUZZ_TIME seconds (default 30)
#   make bench-smoke   1,000 checks: tollgate vs newman vs a curl loop (ci/bench/smoke_bench.sh)

FUZZ_TIME ?= 30
SMOKE_FUZZ_SRC := suites/fuzz/fuzz_smoke_spec.c harness/smoke_spec.c harness/smoke_secret.c \
                  harness/yamltree.c harness/util.c
SMOKE_FUZZ_BIN := $(BUILD)/fuzz/fuzz_smoke_spec
SMOKE_FUZZ_CORPUS := $(BUILD)/fuzz/smoke-corpus
SMOKE_BENCH_SERVER := $(BUILD)/bench/smoke_bench_server

.PHONY: fuzz-smoke bench-smoke
fuzz: fuzz-smoke
BENCHES += bench-smoke

# The parser needs no libcurl, so the target links only what it reads with.
$(SMOKE_FUZZ_BIN): $(SMOKE_FUZZ_SRC) harness/smoke.h harness/yamltree.h harness/tg.h harness/results.h
	@mkdir -p $(dir $@)
	clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
	  -fno-sanitize-recover=undefined -Iharness $(shell pkg-config --cflags libcjson yaml-0.1) \
	  $(SMOKE_FUZZ_SRC) -o $@ $(shell pkg-config --libs libcjson yaml-0.1)

fuzz-smoke: $(SMOKE_FUZZ_BIN)
	@mkdir -p $(SMOKE_FUZZ_CORPUS)
	cp fixtures/smoke/good/*.yaml fixtures/smoke/bad/*.yaml $(wildcard suites/smoke/*.yaml) \
	  $(SMOKE_FUZZ_CORPUS)/
	$(SMOKE_FUZZ_BIN) -max_total_time=$(FUZZ_TIME) -max_len=16384 -rss_limit_mb=2048 \
	  -timeout=10 -close_fd_mask=3 $(SMOKE_FUZZ_CORPUS)

$(SMOKE_BENCH_SERVER): ci/bench/smoke_bench_server.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -O2 $(PKG_CFLAGS) $< -o $@ $(PKG_LIBS)

# The reference backend is the target when this tree has it; the stand-in otherwise.
bench-smoke: $(BUILD)/tollgate $(SMOKE_BENCH_SERVER) $(if $(wildcard src/main.c),$(BUILD)/backend)
	BUILD=$(BUILD) ci/bench/smoke_bench.sh
