#!/usr/bin/env bash
# The core's benchmarks (make bench): runner overhead against Check's own
# fork-mode srunner, and shard balance against round-robin and pytest-split's
# contiguous chunks. Prints Markdown and writes it to reports/bench/core.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
B=build/bench
out=reports/bench/core.md
mkdir -p reports/bench
n=${BENCH_TESTS:-5000}
{
echo "## Core: runner overhead and shard balance"
echo
echo "Machine: $(nproc) cores; $(date -u +%Y-%m-%dT%H:%M:%SZ)."
echo
echo "### Runner overhead: $n trivial Check tests, one process per test"
echo
# Median of three wall-clock runs of a command (stdout discarded).
median3() {
  local t=()
  for _ in 1 2 3; do
    local t0 t1
    t0=$(date +%s.%N); "$@" >/dev/null; t1=$(date +%s.%N)
    t+=("$(echo "$t1 - $t0" | bc -l)")
  done
  printf '%s\n' "${t[@]}" | sort -g | sed -n 2p
}
cat > $B/bench.yaml <<YAML
history: $B/timings.json
suites:
  bench: {kind: check, binaries: $B/trivial}
YAML
rm -f $B/timings.json
check_s=$(median3 $B/trivial)
tg1_s=$(median3 build/tollgate run --config $B/bench.yaml --out $B/run1 --jobs 1 --quiet)
tgn_s=$(median3 build/tollgate run --config $B/bench.yaml --out $B/runN --quiet)
ex1_s=$(median3 env TOLLGATE_EXEC_EACH=1 build/tollgate run --config $B/bench.yaml --out $B/runE --jobs 1 --quiet)
grep -q "\"passed\":	$n" $B/runN/results.json || { echo "tollgate did not pass all $n tests" >&2; exit 1; }
ratio() { echo "$1 / $check_s" | bc -l; }
printf '| runner (median of 3 runs) | time | ratio to Check |\n|---|---:|---:|\n'
printf '| Check srunner, fork mode (1 process) | %.2fs | 1.00x |\n' "$check_s"
printf '| tollgate run --jobs 1 | %.2fs | %.2fx |\n' "$tg1_s" "$(ratio "$tg1_s")"
printf '| tollgate run (--jobs %s, the default) | %.2fs | %.2fx |\n' "$(nproc)" "$tgn_s" "$(ratio "$tgn_s")"
printf '| tollgate run --jobs 1, exec per test (TOLLGATE_EXEC_EACH=1) | %.2fs | %.2fx |\n' "$ex1_s" "$(ratio "$ex1_s")"
echo
echo "tollgate starts each suite binary once as a worker (--tg-serve) that forks a fresh process per"
echo "test; tollgate owns each test's output and result pipes, process group, timeout and kill. Check's"
echo "fork mode forks per test inside one process and supervises nothing outside it. Target: at most 1.2x."
echo
echo "### Shard balance: max shard time / (total / 4); 1.0 is perfect"
echo
$B/balance 2000
echo
echo "Target for tollgate: at most 1.02."
} | tee "$out"
