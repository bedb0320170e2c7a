#!/usr/bin/env bash
# Risk and license analyzers over bench/npm1000 (a package-lock.json of
# the 1,000 most downloaded npm packages, each direct, no license field):
#   1. cold: an empty cache, against the npm registry named by REGISTRY
#      (default the public one standing in for a site's mirror): time and
#      the request count airlock reports;
#   2. warm: RUNS more scans served from the cache (time, peak RSS);
#   3. the in-process Go benchmark against a stand-in mirror.
#
# Usage: bench/registry.sh            (RUNS=5, REGISTRY=https://registry.npmjs.org)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
registry=${REGISTRY:-https://registry.npmjs.org}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
CGO_ENABLED=0 go build -o "$work/airlock" ./cmd/airlock
scan() {
  env HOME="$work" XDG_CACHE_HOME="$work/cache" CI=1 AIRLOCK_DB= \
    /usr/bin/time -f "%e s (%U s user, %S s sys), %M KB peak RSS" "$work/airlock" scan --scanners risk,license \
    --registry "npm=$registry" --format json --output "$work/report.json" bench/npm1000 2>&1 |
    grep -E "package mirrors|peak RSS|rror" | tr '\n' ' '
  echo
}
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "cold: $(scan)"
for i in $(seq "$runs"); do echo "warm: $(scan)"; done
go test ./internal/scan -run '^$' -bench BenchmarkRiskLicenseWarm -benchtime 5x | grep Benchmark
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
