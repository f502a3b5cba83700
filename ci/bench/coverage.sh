#!/usr/bin/env bash
# Benchmark (make bench-coverage): `tollgate coverage collect` against
# `lcov --capture` and `gcovr` on the same gcov data, printing the time and
# the totals each reports. Two data sets:
#   project  the project's own coverage build (build/cov) after its unit suite
#   tree     a generated C tree built with coverage (ci/bench/coverage_tree.sh)
# All three tools count branches (lcov with lcov_branch_coverage=1) and gcovr
# uses every core, as tollgate does. Targets: 10x faster than lcov, 4x faster
# than gcovr, line totals equal to lcov's. Exits 1 when totals disagree.
# Writes the table to reports/bench/coverage.md too (make bench joins them).
#
# Environment: RUNS (tollgate runs, best kept; default 3), PEER_RUNS (lcov and
# gcovr runs; default 1), TREE_FILES (modules in the tree; default 240).
set -euo pipefail
cd "$(dirname "$0")/../.."

tg=build/tollgate
out=build/bench/coverage
runs=${RUNS:-3}
peer_runs=${PEER_RUNS:-1}
tree=build/bench/cov-tree
cores=$(nproc 2>/dev/null || echo 2)
for tool in lcov gcovr; do
  command -v "$tool" >/dev/null || { echo "bench-coverage: $tool is missing; run: sudo ci/install-deps.sh --bench" >&2; exit 2; }
done
rm -rf "$out" && mkdir -p "$out"
verdicts=""

calc() { awk "BEGIN { print ($1) }"; }

# best WALL and its CPU (user+sys, children included) over N runs of a command
best_wall=0 best_cpu=0
measure() {
  local n=$1; shift
  best_wall=999999 best_cpu=0
  for ((i = 0; i < n; i++)); do
    local t0 t1 c0 c1
    t0=$(date +%s.%N)
    c0=$(awk '{print $14+$15+$16+$17}' /proc/$$/stat)
    "$@" > "$out/last.out" 2> "$out/last.err" || { echo "bench-coverage: failed: $*" >&2; cat "$out/last.err" >&2; exit 2; }
    t1=$(date +%s.%N)
    c1=$(awk '{print $14+$15+$16+$17}' /proc/$$/stat)
    local wall cpu
    wall=$(calc "$t1 - $t0")
    cpu=$(calc "($c1 - $c0) / $(getconf CLK_TCK)")
    if [ "$(calc "$wall < $best_wall")" = 1 ]; then best_wall=$wall best_cpu=$cpu; fi
  done
}

# "H/F" for lines, functions, branches from each tool's own summary
tg_totals() { sed -n 's/.*lines [0-9.]*% (\([0-9]*\) of \([0-9]*\)), functions [0-9.]*% (\([0-9]*\) of \([0-9]*\)), branches [0-9.]*% (\([0-9]*\) of \([0-9]*\)).*/\1\/\2 \3\/\4 \5\/\6/p' "$1"; }
lcov_totals() {
  lcov --summary "$1" --rc lcov_branch_coverage=1 2>&1 |
    awk '/lines\.|functions\.|branches\./ { gsub(/[()]/, ""); printf "%s/%s ", $3, $5 } END { print "" }'
}
gcovr_totals() { awk '/^(lines|functions|branches):/ { gsub(/[()]/, ""); printf "%s/%s ", $3, $6 } END { print "" }' "$1"; }

status=0
md="## Coverage: tollgate coverage collect against lcov and gcovr

| data | tool | wall s | cpu s | lines | functions | branches |
|---|---|---:|---:|---|---|---|
"
row() {
  printf '%-26s %-9s %8s %8s   %-14s %-12s %-14s\n' "$@"
  [ "$1" = data ] || md+="| $1 | $2 | $3 | $4 | $5 | $6 | $7 |"$'\n'
}
row "data" "tool" "wall s" "cpu s" "lines" "functions" "branches"

bench_set() { # NAME ROOT BUILD_REL (relative to ROOT)
  local name=$1 root=$2 build=$3
  local ngcda
  ngcda=$(find "$root/$build" -name '*.gcda' | wc -l)
  local label="$name ($ngcda .gcda)"

  measure "$runs" "$tg" coverage collect --build "$root/$build" --root "$root" --out "$out/$name-tollgate"
  local tg_wall=$best_wall tg_cpu=$best_cpu tgt
  tgt=$(tg_totals "$out/last.out")
  row "$label" tollgate "$(printf %.2f "$tg_wall")" "$(printf %.2f "$tg_cpu")" $tgt

  measure "$peer_runs" sh -c "cd '$root' && lcov --quiet --capture --rc lcov_branch_coverage=1 --no-external -b . -d '$build' -o '$PWD/$out/$name-lcov.info'"
  local lcov_wall=$best_wall lt
  lt=$(lcov_totals "$out/$name-lcov.info")
  row "" lcov "$(printf %.2f "$lcov_wall")" "$(printf %.2f "$best_cpu")" $lt

  measure "$peer_runs" sh -c "cd '$root' && gcovr -r . -j $cores --print-summary '$build'"
  local gcovr_wall=$best_wall gt
  gt=$(gcovr_totals "$out/last.out")
  row "" gcovr "$(printf %.2f "$gcovr_wall")" "$(printf %.2f "$best_cpu")" $gt

  local vs_lcov vs_gcovr same
  vs_lcov=$(calc "$lcov_wall / $tg_wall")
  vs_gcovr=$(calc "$gcovr_wall / $tg_wall")
  same=no
  [ "${tgt%% *}" = "${lt%% *}" ] && same=yes
  local verdict
  verdict=$(printf '%s: %.1fx faster than lcov (target 10x: %s), %.1fx faster than gcovr (target 4x: %s), line totals equal to lcov: %s' \
    "$name" "$vs_lcov" "$([ "$(calc "$vs_lcov >= 10")" = 1 ] && echo met || echo missed)" \
    "$vs_gcovr" "$([ "$(calc "$vs_gcovr >= 4")" = 1 ] && echo met || echo missed)" "$same")
  echo "  $verdict"
  verdicts+="- $verdict"$'\n'

  [ "$same" = yes ] || status=1
}

# The project's own coverage build, its unit suite run unsharded so the .gcda
# files sit beside the .gcno files where lcov and gcovr look for them.
find build/cov -name '*.gcda' -delete
env -u GCOV_PREFIX TOLLGATE_BUILD=build/cov "$tg" run --suite unit --out "$out/run" --quiet > /dev/null || true
bench_set project . build/cov

[ -x "$tree/driver" ] || ci/bench/coverage_tree.sh "$tree" "${TREE_FILES:-240}"
bench_set tree "$tree" obj

machine="$cores cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "bench-coverage: $machine"
mkdir -p reports/bench
printf '%s\n%s\nMeasured on %s; best of %s tollgate runs and %s lcov/gcovr runs.\n\n' \
  "$md" "$verdicts" "$machine" "$runs" "$peer_runs" > reports/bench/coverage.md.tmp
mv reports/bench/coverage.md.tmp reports/bench/coverage.md
exit $status
