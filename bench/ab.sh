#!/usr/bin/env bash
# A/B comparison of two airlock binaries on the same machine, run
# alternately so that both see the same load: wall time and CPU time
# (user+sys) per run, median of RUNS. Workloads: the default scan of
# testdata/repo40 (dependencies and secrets), secret detection over
# $(go env GOROOT)/src, and dependency scanning of a generated
# 10,000-package package-lock.json.
#
# Usage: bench/ab.sh OLD_BINARY NEW_BINARY     (RUNS=5 by default)
# Each binary imports the shared OSV data into its own database first
# (their database layouts may differ).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 2 ] || { echo "usage: $0 OLD_BINARY NEW_BINARY" >&2; exit 2; }
old=$(realpath "$1") new=$(realpath "$2")
runs=${RUNS:-5}
osv=../shared/data/osv
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export AIRLOCK_DB_MAX_AGE=0

for b in old new; do
  bin=${!b}
  AIRLOCK_DB="$work/$b.db" "$bin" db import "$osv/Go/all.zip" "$osv/PyPI/all.zip" "$osv/crates.io/all.zip" >/dev/null
done

# A 10,000-package lockfile: 10,000 distinct npm packages, half of them
# direct, with one version each.
mkdir -p "$work/lock"
awk 'BEGIN {
  printf "{\n  \"name\": \"bench\",\n  \"version\": \"1.0.0\",\n  \"lockfileVersion\": 3,\n  \"requires\": true,\n  \"packages\": {\n    \"\": {\"name\": \"bench\", \"version\": \"1.0.0\", \"dependencies\": {"
  for (i = 0; i < 5000; i++) printf "%s\"pkg-%d\": \"^1.%d.0\"", (i ? ", " : ""), i, i % 50
  printf "}}"
  for (i = 0; i < 10000; i++) printf ",\n    \"node_modules/pkg-%d\": {\"version\": \"1.%d.%d\", \"resolved\": \"https://registry.npmjs.org/pkg-%d/-/pkg-%d-1.%d.%d.tgz\", \"integrity\": \"sha512-x\"}", i, i % 50, i % 7, i, i, i % 50, i % 7
  printf "\n  }\n}\n"
}' >"$work/lock/package-lock.json"

# run BIN DB ARGS...: prints "wall_seconds cpu_seconds"
run() {
  local bin=$1 db=$2; shift 2
  local t0 t1
  t0=$(date +%s%N)
  AIRLOCK_DB="$db" /usr/bin/time -f "%U %S" -o "$work/time" "$bin" "$@" >/dev/null 2>&1 || true
  t1=$(date +%s%N)
  awk -v a="$t0" -v b="$t1" '{ printf "%.3f %.3f\n", (b-a)/1e9, $1+$2 }' "$work/time"
}

median() { sort -n | awk '{ v[NR]=$1 } END { printf "%.3f", v[int((NR+1)/2)] }'; }

bench() {
  local name=$1; shift
  : >"$work/old.txt"; : >"$work/new.txt"
  for i in $(seq "$runs"); do
    run "$old" "$work/old.db" "$@" >>"$work/old.txt"
    run "$new" "$work/new.db" "$@" >>"$work/new.txt"
  done
  printf "%-44s old: wall %s s, cpu %s s   new: wall %s s, cpu %s s\n" "$name" \
    "$(cut -d' ' -f1 "$work/old.txt" | median)" "$(cut -d' ' -f2 "$work/old.txt" | median)" \
    "$(cut -d' ' -f1 "$work/new.txt" | median)" "$(cut -d' ' -f2 "$work/new.txt" | median)"
}

echo "machine: $(nproc) cores, $(uname -sr), load $(cut -d' ' -f1-3 /proc/loadavg); $runs runs each, alternating"
bench "scan testdata/repo40 (default scanners)" scan --format json --fail-on none testdata/repo40
bench "secrets over GOROOT/src ($(du -sm "$(go env GOROOT)/src" | cut -f1) MB)" scan --scanners secret --format json --fail-on none "$(go env GOROOT)/src"
bench "10,000-package package-lock.json" scan --scanners vuln --format json --fail-on none "$work/lock"
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
