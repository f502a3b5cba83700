#!/usr/bin/env bash
# smoke_bench.sh: 1,000 checks of GET /health (status 200 and JSON status
# "healthy") against a server on loopback, three ways:
#   tollgate smoke   one spec of 1,000 checks in order, and 4 specs of 250 in parallel
#   newman           an equivalent Postman collection this script generates
#   curl loop        curl in a shell loop, as the deploy documents do
# Prints total time and checks per second for each, and the ratios.
# Target: tollgate at least 5x faster than newman.
#
# The server is the reference backend ($BUILD/backend) when it is built, the
# stand-in $BUILD/bench/smoke_bench_server otherwise (the script says which).
# Run through `make bench-smoke`; CHECKS overrides the count (default 1000).
set -euo pipefail

BUILD=${BUILD:-build}
CHECKS=${CHECKS:-1000}
TOLLGATE=${TOLLGATE:-$BUILD/tollgate}
WORK=$BUILD/bench/smoke
NPM_DIR=build/npm
NEWMAN=$NPM_DIR/node_modules/.bin/newman
mkdir -p "$WORK"

# Newman is a benchmark peer only: installed into build/npm, never needed at run time.
if [ ! -x "$NEWMAN" ]; then
  echo "smoke-bench: installing newman into $NPM_DIR"
  npm install --silent --no-audit --no-fund --prefix "$NPM_DIR" newman@6 >/dev/null
fi

free_port() {
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

PORT=$(free_port)
URL="http://127.0.0.1:$PORT"
if [ -x "$BUILD/backend" ]; then
  SERVER="reference backend ($BUILD/backend)"
  DATABASE_URL="sqlite::memory:" RATE_LIMIT_PER_MINUTE=1000000 LOG_LEVEL=error \
    "$BUILD/backend" --host 127.0.0.1 --port "$PORT" >"$WORK/server.log" 2>&1 &
else
  SERVER="stand-in server ($BUILD/bench/smoke_bench_server; the reference backend is not built in this tree)"
  "$BUILD/bench/smoke_bench_server" "$PORT" >"$WORK/server.log" 2>&1 &
fi
SERVER_PID=$!
trap 'kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true' EXIT

for _ in $(seq 1 100); do # bounded: 10 s
  curl -fsS -o /dev/null "$URL/health" 2>/dev/null && break
  sleep 0.1
done
curl -fsS -o /dev/null "$URL/health" || { echo "smoke-bench: the server did not come up" >&2; exit 1; }

# --- inputs -----------------------------------------------------------------
spec_of() { # spec_of FILE FIRST COUNT
  {
    echo "retries: 1"
    echo "checks:"
    for i in $(seq "$2" $(($2 + $3 - 1))); do
      echo "  - {name: health-$i, path: /health, expect: {status: 200, json: {status: healthy}}}"
    done
  } >"$1"
}
spec_of "$WORK/seq.yaml" 1 "$CHECKS"
PARTS=4
PER=$((CHECKS / PARTS))
PAR_SPECS=()
for p in $(seq 1 $PARTS); do
  spec_of "$WORK/par$p.yaml" $(((p - 1) * PER + 1)) "$PER"
  PAR_SPECS+=("$WORK/par$p.yaml")
done

# Written with node, which newman needs anyway.
node -e '
const [file, n] = process.argv.slice(1);
const item = i => ({name: "health-" + i, request: {method: "GET", url: "{{baseUrl}}/health"},
  event: [{listen: "test", script: {type: "text/javascript", exec: [
    "pm.test(\"status 200\", () => pm.response.to.have.status(200));",
    "pm.test(\"healthy\", () => pm.expect(pm.response.json().status).to.eql(\"healthy\"));"]}}]});
require("fs").writeFileSync(file, JSON.stringify({info: {name: "smoke-bench",
  schema: "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
  item: Array.from({length: +n}, (_, i) => item(i + 1))}));' "$WORK/collection.json" "$CHECKS"

# --- runs ---------------------------------------------------------------------
now() { date +%s.%N; }
declare -A SECS
measure() { # measure NAME COMMAND...
  local name=$1; shift
  local t0 t1
  t0=$(now)
  if ! "$@" >"$WORK/$name.out" 2>&1; then
    echo "smoke-bench: $name failed; see $WORK/$name.out" >&2
    tail -5 "$WORK/$name.out" >&2
    exit 1
  fi
  t1=$(now)
  SECS[$name]=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.6f", b - a}')
}

curl_loop() {
  for _ in $(seq 1 "$CHECKS"); do
    curl -fsS "$URL/health" | grep -q '"status":"healthy"' || return 1
  done
}

measure tollgate-sequential "$TOLLGATE" smoke "$URL" --spec "$WORK/seq.yaml" --out "$WORK/tg-seq" --quiet
measure tollgate-parallel "$TOLLGATE" smoke "$URL" --spec "${PAR_SPECS[@]}" --out "$WORK/tg-par" --quiet
measure newman "$NEWMAN" run "$WORK/collection.json" --env-var "baseUrl=$URL" --reporters cli \
  --reporter-cli-no-summary --reporter-cli-no-banner
measure curl-loop curl_loop

# Every run must have checked everything: a fast wrong answer is no answer.
grep -q "tollgate: $CHECKS passed, 0 failed" "$WORK/tollgate-sequential.out"
grep -q "tollgate: $((PER * PARTS)) passed, 0 failed" "$WORK/tollgate-parallel.out"
NEWMAN_FAILS=$(grep -c "AssertionError\|failure" "$WORK/newman.out" || true)
[ "$NEWMAN_FAILS" = 0 ] || { echo "smoke-bench: newman reported failures" >&2; exit 1; }

echo "smoke-bench: $CHECKS checks of GET /health against the $SERVER on loopback"
printf "%-22s %10s %14s\n" "runner" "total s" "checks/s"
for name in tollgate-sequential tollgate-parallel newman curl-loop; do
  n=$CHECKS
  [ "$name" = tollgate-parallel ] && n=$((PER * PARTS))
  printf "%-22s %10.3f %14.1f\n" "$name" "${SECS[$name]}" "$(awk -v n="$n" -v s="${SECS[$name]}" 'BEGIN{printf "%.6f", n / s}')"
done
ratio() { awk -v a="${SECS[$2]}" -v b="${SECS[$1]}" 'BEGIN{printf "%.6f", a / b}'; }
printf "tollgate (sequential) is %.1fx faster than newman and %.1fx faster than the curl loop\n" \
  "$(ratio tollgate-sequential newman)" "$(ratio tollgate-sequential curl-loop)"
printf "tollgate (4 specs in parallel) is %.1fx faster than newman and %.1fx faster than the curl loop\n" \
  "$(ratio tollgate-parallel newman)" "$(ratio tollgate-parallel curl-loop)"
R=$(ratio tollgate-sequential newman)
if awk -v r="$R" 'BEGIN{exit !(r >= 5)}'; then
  echo "target met: at least 5x faster than newman"
else
  echo "target MISSED: under 5x faster than newman" >&2
  exit 1
fi
