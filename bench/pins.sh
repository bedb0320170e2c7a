#!/usr/bin/env bash
# Dependency-scan speed on many PyPI pins (issue 9): an `airlock scan
# --scanners vuln --format json` of requirements files pinning the versions
# the shared PyPI records list, against a database of those records,
# process start, database open and report included.
#   FILES=8 (default): file N pins the N-th listed version of every
#     package, N = 1..8: 4,668 pins (the issue's set);
#   FILES=0: every listed version, 35,289 pins in 1,132 files.
# Wall time of RUNS runs (default 10): median, min, max and peak RSS.
# AIRLOCK=/path/to/airlock measures that binary instead of building one
# (for a before/after comparison).
#
# Usage: bench/pins.sh    RUNS=5 FILES=0 bench/pins.sh
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-10}
files=${FILES:-8}
zip=../shared/data/osv/PyPI/all.zip
[ -f "$zip" ] || { echo "missing $zip (../shared/data)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bin=${AIRLOCK:-}
if [ -z "$bin" ]; then
  CGO_ENABLED=0 go build -o "$work/airlock" ./cmd/airlock
  bin=$work/airlock
fi
export AIRLOCK_DB="$work/vulndb.sqlite" AIRLOCK_DB_MAX_AGE=0
go run ./bench/pypipins -zip "$zip" -files "$files" "$work/pins"
"$bin" db import "$zip" >/dev/null

echo "machine: $(nproc) cores, $(uname -sr), $(go version | cut -d' ' -f3), load $(cut -d' ' -f1-3 /proc/loadavg)"
"$bin" scan --scanners vuln --format json --output "$work/out.json" --fail-on none "$work/pins" 2>/dev/null
: >"$work/times"
for i in $(seq "$runs"); do
  t0=$(date +%s%N)
  /usr/bin/time -f "%M" -o "$work/rss" "$bin" scan --scanners vuln --format json --output "$work/out.json" --fail-on none "$work/pins" 2>/dev/null
  t1=$(date +%s%N)
  echo "$(( (t1 - t0) / 1000000 )) $(tail -1 "$work/rss")" >>"$work/times"
done
sort -n "$work/times" | awk '{ t[NR]=$1; if ($2>m) m=$2 } END { printf "airlock scan: median %.3f s, min %.3f s, max %.3f s, peak RSS %.1f MB (%d runs)\n", t[int((NR+1)/2)]/1000, t[1]/1000, t[NR]/1000, m/1024, NR }'
python3 - "$work/out.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
pk = sum(len(m["packages"]) for m in d["manifests"])
print(f"{pk} packages in {len(d['manifests'])} manifests, {len(d['findings'])} findings, report {sum(1 for _ in open(sys.argv[1], 'rb'))} lines")
PY
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
