#!/usr/bin/env bash
# Benchmarks of the foundation issue, on this machine:
#   1. import of the three shared all.zip files (time, database size);
#   2. a full `airlock scan` of testdata/repo40 (~40 pinned packages across
#      Go, PyPI and crates.io): wall time and peak RSS over several runs;
#   3. the Go benchmarks: in-process scan of repo40, extract + match of a
#      generated 10,000-package package-lock.json, package-lock extraction.
# Where OSV_SCANNER points at a locally built osv-scanner binary, it scans
# the same tree offline from the same all.zip files, and both figures are
# printed.
#
# Usage: bench/run.sh            (RUNS=10 by default)
#        OSV_SCANNER=/path/to/osv-scanner bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-10}
osv=../shared/data/osv
for eco in Go PyPI crates.io; do
  [ -f "$osv/$eco/all.zip" ] || { echo "missing $osv/$eco/all.zip (../shared/data)" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
CGO_ENABLED=0 go build -o "$work/airlock" ./cmd/airlock
export AIRLOCK_DB="$work/vulndb.sqlite" AIRLOCK_DB_MAX_AGE=0
target=testdata/repo40

# timed CMD...: runs CMD, prints "seconds max_rss_kb exit_code"
timed() {
  local t0 t1 rss code
  t0=$(date +%s%N)
  set +e
  /usr/bin/time -f "%M" -o "$work/rss" "$@" >"$work/out" 2>"$work/err"
  code=$?
  set -e
  t1=$(date +%s%N)
  rss=$(tail -1 "$work/rss")
  awk -v a="$t0" -v b="$t1" -v r="$rss" -v c="$code" 'BEGIN { printf "%.3f %d %d\n", (b-a)/1e9, r, c }'
}

# summarise FILE: median and max of column 1, max of column 2
summarise() {
  sort -n "$1" | awk '{ t[NR]=$1; if ($2>m) m=$2 } END { printf "median %.3f s, min %.3f s, max %.3f s, peak RSS %.1f MB (%d runs)\n", t[int((NR+1)/2)], t[1], t[NR], m/1024, NR }'
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr), $(go version | cut -d' ' -f3), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo

echo "== import of Go, PyPI and crates.io all.zip (fresh database each run)"
: >"$work/import.txt"
for i in 1 2 3; do
  rm -f "$AIRLOCK_DB" "$AIRLOCK_DB"-wal "$AIRLOCK_DB"-shm
  timed "$work/airlock" db import "$osv/Go/all.zip" "$osv/PyPI/all.zip" "$osv/crates.io/all.zip" >>"$work/import.txt"
done
summarise "$work/import.txt"
echo "database size: $(du -k "$AIRLOCK_DB" | cut -f1) KB ($(grep -o '[0-9.]* MB' "$work/out"))"
echo

echo "== airlock scan $target --format json ($runs runs)"
"$work/airlock" scan "$target" --format json --output "$work/airlock.json" --fail-on none 2>/dev/null
: >"$work/scan.txt"
for i in $(seq "$runs"); do
  timed "$work/airlock" scan "$target" --format json --output "$work/airlock.json" --fail-on none >>"$work/scan.txt"
done
summarise "$work/scan.txt"
python3 - "$work/airlock.json" <<'PY'
import json, sys, collections
d = json.load(open(sys.argv[1]))
pk = sum(len(m["packages"]) for m in d["manifests"])
ids = collections.Counter()
for f in d["findings"]:
    ids[f["package"]["ecosystem"]] += 1
print(f"{pk} packages in {len(d['manifests'])} manifests; findings (package x vulnerability) by ecosystem: {dict(sorted(ids.items()))}")
PY
echo

if [ -n "${OSV_SCANNER:-}" ]; then
  echo "== peer: $("$OSV_SCANNER" --version 2>/dev/null | head -1)"
  # osv-scanner 2.x's offline mode reads <dir>/osv-scalibr/<Ecosystem>/all.zip
  # (1.x: <dir>/osv-scanner/...). --offline is needed: --offline-vulnerabilities
  # alone matches nothing. It re-reads every zip on every run.
  for layout in osv-scalibr osv-scanner; do
    for eco in Go PyPI crates.io; do
      mkdir -p "$work/osvdb/$layout/$eco"
      ln -s "$(realpath "$osv/$eco/all.zip")" "$work/osvdb/$layout/$eco/all.zip"
    done
  done
  : >"$work/peer.txt"
  for i in $(seq "$runs"); do
    timed "$OSV_SCANNER" scan source --offline --no-call-analysis=all --local-db-path "$work/osvdb" --format json --output-file "$work/peer.json" -r "$target" >>"$work/peer.txt"
  done
  summarise "$work/peer.txt"
  python3 - "$work/peer.json" <<'PY'
import json, sys, collections
d = json.load(open(sys.argv[1]))
c = collections.Counter(); pk = 0
for r in d.get("results", []):
    for p in r.get("packages", []):
        pk += 1
        c[p["package"]["ecosystem"]] += len(p.get("vulnerabilities", []))
print(f"{pk} packages; findings (package x vulnerability) by ecosystem: {dict(sorted(c.items()))}")
PY
  echo
fi

echo "== go test -bench (in-process)"
go test -run='^$' -bench='ScanRepo40|ScanLockfile10k' -benchmem -count=3 ./internal/scan/ | grep -E '^Benchmark'
go test -run='^$' -bench='Extract10k' -benchmem -count=3 ./internal/inventory/packagelock/ | grep -E '^Benchmark'
