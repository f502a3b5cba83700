#!/usr/bin/env bash
# Install the Debian packages tollgate needs to build, test and benchmark.
# Idempotent: installs only what is missing and says what it installs.
set -euo pipefail

# Build and run time: compiler, pkg-config and the libraries found with it.
build_pkgs=(build-essential pkg-config check libcurl4-openssl-dev libcjson-dev
            libyaml-dev libmicrohttpd-dev libsqlite3-dev libpq-dev)
# Tests: xmllint for the JUnit XSD check, clang for the sanitizer build,
# PostgreSQL for the backend's second storage engine, openssl for TLS tests.
test_pkgs=(libxml2-utils clang cppcheck postgresql openssl curl ca-certificates nodejs npm bc)
# Benchmarks only (make bench): the peers tollgate is measured against.
# The backend benchmark compares with FastAPI under gunicorn + uvicorn workers.
bench_pkgs=(lcov gcovr wrk hyperfine python3-fastapi gunicorn python3-uvicorn python3-uvloop
            python3-httptools)

want=("${build_pkgs[@]}" "${test_pkgs[@]}")
if [ "${1:-}" = "--bench" ]; then want+=("${bench_pkgs[@]}"); fi

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    # node and npm may come from outside Debian (nvm, NodeSource): accept them on PATH.
    case "$p" in nodejs) command -v node >/dev/null && continue ;; npm) command -v npm >/dev/null && continue ;; esac
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#want[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: not root; run: sudo apt-get install -y ${missing[*]}" >&2
  exit 2
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: done"
