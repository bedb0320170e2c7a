#!/usr/bin/env bash
# IaC scanning benchmark: `airlock scan --scanners iac` on two generated
# trees, wall and CPU time (user+sys) per run, start-up included, median
# of RUNS:
#   small: 12 .tf files (120 resources) + terraform.tfvars, 4 Dockerfiles,
#          2 Compose files (about 20 IaC files)
#   large: 500 Terraform resources in 50 files (5 root modules), 20
#          Dockerfiles, 10 Compose files
# The trees are written by internal/analyzer/iacscan's TestWriteBenchTree,
# so the Go benchmarks (go test -bench . ./internal/analyzer/iacscan) read
# the same files. When TRIVY names a trivy binary, `trivy config` runs on
# the same trees beside it (findings counted from its JSON).
#
# Usage: bench/iac.sh [AIRLOCK_BINARY]     (RUNS=7 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-7}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bin=${1:-}
if [ -z "$bin" ]; then
  bin=$work/airlock
  go build -o "$bin" ./cmd/airlock
fi
AIRLOCK_IAC_BENCH_TREE=$work/trees go test -count=1 -run '^TestWriteBenchTree$' ./internal/analyzer/iacscan >/dev/null

# measure CMD...: prints "wall_seconds cpu_seconds" of one run
measure() {
  /usr/bin/time -o "$work/time" -f '%e %U %S' "$@" >/dev/null 2>&1 || true
  tail -1 "$work/time" | awk '{printf "%.3f %.3f\n", $1, $2 + $3}'
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

report() { # name CMD...
  local name=$1; shift
  local walls=() cpus=()
  for _ in $(seq "$runs"); do
    read -r w c < <(measure "$@")
    walls+=("$w"); cpus+=("$c")
  done
  printf '%-22s wall %ss  cpu %ss  (median of %d; walls: %s)\n' "$name" \
    "$(printf '%s\n' "${walls[@]}" | median)" "$(printf '%s\n' "${cpus[@]}" | median)" "$runs" "${walls[*]}"
}

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for tree in small large; do
  dir=$work/trees/$tree
  n=$("$bin" scan --scanners iac --format json "$dir" 2>/dev/null | grep -c '"kind": "iac"' || true)
  echo "$tree: $(find "$dir" -type f | wc -l) files, airlock findings: $n"
  report "airlock $tree" "$bin" scan --scanners iac --format json "$dir"
  if [ -n "${TRIVY:-}" ]; then
    m=$("$TRIVY" config --quiet --format json "$dir" 2>/dev/null | grep -c '"Status": "FAIL"' || true)
    echo "$tree: trivy failures: $m"
    report "trivy $tree" "$TRIVY" config --quiet --format json "$dir"
  fi
done
