# mk/backend.mk: the reference backend's extra rules (included by the Makefile).
#
#   make fuzz-backend [FUZZ_TIME=30]  libFuzzer on the request-handling layer
#   make bench-backend                   wrk: backend vs FastAPI (ci/bench/backend.sh),
#                                        written to reports/bench/backend.md
#   make pg-backend                      backend on a throwaway PostgreSQL (ci/pg-backend.sh)

FUZZ_TIME ?= 30
FUZZ_CC ?= clang
FUZZ_DIR = $(BUILD)/fuzz

.PHONY: fuzz-backend bench-backend pg-backend
fuzz: fuzz-backend
BENCHES += bench-backend

$(FUZZ_DIR)/fuzz_backend: src/fuzz/fuzz_request.c $(BACKEND_SRC) $(wildcard src/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
	  -fno-sanitize-recover=undefined $(PKG_CFLAGS) -Isrc -o $@ \
	  src/fuzz/fuzz_request.c $(BACKEND_SRC) $(PKG_LIBS) -lm -pthread

# Bounded: FUZZ_TIME seconds of wall time, 5 s per input, 2 GiB of memory. New
# inputs go to build/fuzz/corpus-backend; the seeds stay read-only.
fuzz-backend: $(FUZZ_DIR)/fuzz_backend
	@mkdir -p $(FUZZ_DIR)/corpus-backend
	$(FUZZ_DIR)/fuzz_backend -max_total_time=$(FUZZ_TIME) -timeout=5 -rss_limit_mb=2048 \
	  -max_len=8192 -print_final_stats=1 $(FUZZ_DIR)/corpus-backend fixtures/backend/fuzz

bench-backend: $(BUILD)/backend
	TOLLGATE_BUILD=$(BUILD) bash ci/bench/backend.sh

pg-backend: $(BUILD)/backend
	TOLLGATE_BUILD=$(BUILD) bash ci/pg-backend.sh --host 127.0.0.1 --port $${PORT:-8080}
