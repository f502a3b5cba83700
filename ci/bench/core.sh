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
t0=$(date +%s.%N); $B/trivial >/dev/null; t1=$(date +%s.%N)
check_s=$(echo "$t1 - $t0" | bc -l)
cat > $B/bench.yaml <<YAML
history: $B/timings.json
suites:
  bench: {kind: check, binaries: $B/trivial}
YAML
rm -f $B/timings.json
t0=$(date +%s.%N); build/tollgate run --config $B/bench.yaml --out $B/run1 --jobs 1 --quiet >/dev/null; t1=$(date +%s.%N)
tg1_s=$(echo "$t1 - $t0" | bc -l)
t0=$(date +%s.%N); build/tollgate run --config $B/bench.yaml --out $B/runN --quiet >/dev/null; t1=$(date +%s.%N)
tgn_s=$(echo "$t1 - $t0" | bc -l)
grep -q "\"passed\":	$n" $B/runN/results.json || { echo "tollgate did not pass all $n tests" >&2; exit 1; }
printf '| runner | time | ratio to Check |\n|---|---:|---:|\n'
printf '| Check srunner, fork mode (1 process) | %.2fs | 1.00x |\n' "$check_s"
printf '| tollgate run --jobs 1 | %.2fs | %.2fx |\n' "$tg1_s" "$(echo "$tg1_s / $check_s" | bc -l)"
printf '| tollgate run (--jobs %s, the default) | %.2fs | %.2fx |\n' "$(nproc)" "$tgn_s" "$(echo "$tgn_s / $check_s" | bc -l)"
echo
echo "tollgate's process per test is fork + exec of the suite binary, with a timeout, output capture"
echo "and a result pipe; Check's fork mode forks without exec. Target: at most 1.2x."
echo
echo "### Shard balance: max shard time / (total / 4); 1.0 is perfect"
echo
$B/balance 2000
echo
echo "Target for tollgate: at most 1.02."
} | tee "$out"
