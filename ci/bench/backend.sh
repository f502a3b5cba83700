#!/usr/bin/env bash
# Benchmark of the reference backend against the stack the documents in
# shared/context/ deploy: FastAPI under gunicorn with 2 uvicorn workers.
# Same wrk settings for both, one run each, on loopback:
#   GET /health  and  GET /api/v1/projects/{id} (a SQLite read)
# Prints requests/s, p50, p99 and peak RSS for both, and the ratios, as
# Markdown, also written to reports/bench/backend.md; exits 1 if a target
# of the issue is missed (>= 3x FastAPI req/s on /health, p99 < 5 ms, RSS < 50 MiB).
#
# Needs wrk, python3-fastapi, gunicorn, python3-uvicorn, python3-uvloop,
# python3-httptools (Debian): `sudo ci/install-deps.sh --bench` installs them.
# Settings: BENCH_SECONDS (10), BENCH_CONNECTIONS (64), BENCH_THREADS (2, or
# 1 when pinned). On a machine with 2 or more cores the load generator and
# the server under test are pinned to different cores (wrk on CPU 0, the
# server on CPU 1, for both stacks alike), so that wrk does not steal the
# server's core and the latency measured is the server's; BENCH_PIN=0 turns
# that off.
set -euo pipefail
cd "$(dirname "$0")/../.."

build="${TOLLGATE_BUILD:-build}"
secs="${BENCH_SECONDS:-10}"
conns="${BENCH_CONNECTIONS:-64}"
py=/usr/bin/python3
pin_client="" pin_server=""
if [ "${BENCH_PIN:-1}" = 1 ] && [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
  pin_client="taskset -c 0" pin_server="taskset -c 1"
fi
threads="${BENCH_THREADS:-$([ -n "$pin_client" ] && echo 1 || echo 2)}"

need_install=0
command -v wrk >/dev/null || need_install=1
command -v gunicorn >/dev/null || need_install=1
$py -c 'import fastapi, uvicorn, uvloop, httptools' 2>/dev/null || need_install=1
if [ "$need_install" -eq 1 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    bash ci/install-deps.sh --bench
  else
    echo "bench: missing wrk or the FastAPI stack; run: sudo ci/install-deps.sh --bench" >&2
    exit 2
  fi
fi
[ -x "$build/backend" ] || make --no-print-directory "$build/backend"

tmp="$(mktemp -d /tmp/tollgate-bench-XXXXXX)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { $py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ready() { # url
  for _ in $(seq 100); do curl -fsS "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "bench: $1 did not answer within 10 s" >&2; exit 3
}
# Peak resident memory (VmHWM, MiB) of a process and its children.
peak_rss() { # pid
  local total=0 p
  for p in "$1" $(pgrep -P "$1" || true); do
    local kb; kb=$(awk '/^VmHWM:/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
    total=$((total + ${kb:-0}))
  done
  awk -v kb="$total" 'BEGIN { printf "%.1f\n", kb / 1024 }'
}
# wrk --latency output -> "rps p50_ms p99_ms"
run_wrk() { # url
  $pin_client wrk -t"$threads" -c"$conns" -d"${secs}s" --latency "$1" >"$tmp/wrk.out" 2>&1
  if grep -q "Non-2xx" "$tmp/wrk.out"; then
    echo "bench: $1 answered non-2xx responses:" >&2; cat "$tmp/wrk.out" >&2; exit 1
  fi
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec:/ { rps = $2 }
    /^ +50%/ { p50 = ms($2) }
    /^ +99%/ { p99 = ms($2) }
    END { printf "%.0f %.3f %.3f\n", rps, p50, p99 }' "$tmp/wrk.out"
}

# --- the C backend: SQLite file, one project, default logging to /dev/null
cport=$(free_port)
PORT=$cport HOST=127.0.0.1 RATE_LIMIT_PER_MINUTE=1000000000 LOG_LEVEL=info \
  DATABASE_URL="sqlite://$tmp/c.db" $pin_server "$build/backend" >/dev/null 2>"$tmp/c.err" &
cpid=$!; pids+=("$cpid")
wait_ready "http://127.0.0.1:$cport/health"
cid=$(curl -fsS -X POST -H 'Content-Type: application/json' \
        -d '{"name":"bench","description":"benchmark project"}' \
        "http://127.0.0.1:$cport/api/v1/projects" | $py -c 'import json,sys; print(json.load(sys.stdin)["id"])')

# --- FastAPI: same data in its own SQLite file, 2 uvicorn workers
$py - "$tmp/py.db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("CREATE TABLE projects (id INTEGER PRIMARY KEY, name TEXT, description TEXT, created_at TEXT, updated_at TEXT)")
c.execute("INSERT INTO projects VALUES (1, 'bench', 'benchmark project', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')")
c.commit()
PY
pport=$(free_port)
BENCH_DB="$tmp/py.db" $pin_server $py -m gunicorn -k uvicorn.workers.UvicornWorker -w 2 \
  --chdir ci/bench -b "127.0.0.1:$pport" fastapi_app:app >/dev/null 2>"$tmp/py.err" &
ppid=$!; pids+=("$ppid")
wait_ready "http://127.0.0.1:$pport/health"
curl -fsS "http://127.0.0.1:$pport/api/v1/projects/1" >/dev/null

load_before=$(cut -d' ' -f1 /proc/loadavg)
pinning="${pin_client:+wrk on CPU 0, each server on CPU 1}"
echo "bench: wrk -t$threads -c$conns -d${secs}s --latency, one run each, loopback, $(nproc) cores, ${pinning:-not pinned}, load $load_before"
read -r c_h_rps c_h_p50 c_h_p99 < <(run_wrk "http://127.0.0.1:$cport/health")
read -r p_h_rps p_h_p50 p_h_p99 < <(run_wrk "http://127.0.0.1:$pport/health")
read -r c_g_rps c_g_p50 c_g_p99 < <(run_wrk "http://127.0.0.1:$cport/api/v1/projects/$cid")
read -r p_g_rps p_g_p50 p_g_p99 < <(run_wrk "http://127.0.0.1:$pport/api/v1/projects/1")
c_rss=$(peak_rss "$cpid")
p_rss=$(peak_rss "$ppid")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
is_true() { awk "BEGIN { exit !($1) }"; }

verdicts=()
is_true "$c_h_rps >= 3 * $p_h_rps" && verdicts+=("met") || verdicts+=("MISSED")
is_true "$c_h_p99 < 5" && verdicts+=("met") || verdicts+=("MISSED")
is_true "$c_rss < 50" && verdicts+=("met") || verdicts+=("MISSED")

# The report: Markdown, printed and written to reports/bench/backend.md
# (through a temporary file and a rename, so a reader never sees half of it).
report="$tmp/backend.md"
{
  echo "## Reference backend vs FastAPI (gunicorn, 2 uvicorn workers)"
  echo
  echo "wrk \`-t$threads -c$conns -d${secs}s --latency\`, one run each, loopback, $(nproc) cores," \
       "${pinning:-not pinned}, load average before the run: $load_before."
  echo
  echo "| endpoint | server | req/s | p50 ms | p99 ms | peak RSS MiB |"
  echo "|---|---|---:|---:|---:|---:|"
  echo "| /health | C backend | $c_h_rps | $c_h_p50 | $c_h_p99 | $c_rss |"
  echo "| /health | FastAPI | $p_h_rps | $p_h_p50 | $p_h_p99 | $p_rss |"
  echo "| /api/v1/projects/{id} | C backend | $c_g_rps | $c_g_p50 | $c_g_p99 | $c_rss |"
  echo "| /api/v1/projects/{id} | FastAPI | $p_g_rps | $p_g_p50 | $p_g_p99 | $p_rss |"
  echo
  echo "Ratios C/FastAPI: req/s /health **$(ratio "$c_h_rps" "$p_h_rps")x**, project" \
       "**$(ratio "$c_g_rps" "$p_g_rps")x**; p99 FastAPI/C /health $(ratio "$p_h_p99" "$c_h_p99")x," \
       "project $(ratio "$p_g_p99" "$c_g_p99")x; RSS FastAPI/C $(ratio "$p_rss" "$c_rss")x" \
       "(FastAPI: gunicorn master + 2 workers)."
  echo
  echo "| target | result |"
  echo "|---|---|"
  echo "| /health at least 3x FastAPI's req/s | ${verdicts[0]} |"
  echo "| /health p99 under 5 ms at $conns connections | ${verdicts[1]} |"
  echo "| backend peak RSS under 50 MiB | ${verdicts[2]} |"
} >"$report"
cat "$report"
mkdir -p reports/bench
cp "$report" reports/bench/backend.md.tmp.$$ && mv reports/bench/backend.md.tmp.$$ reports/bench/backend.md
echo "bench: written to reports/bench/backend.md"
for v in "${verdicts[@]}"; do [ "$v" = met ] || exit 1; done
