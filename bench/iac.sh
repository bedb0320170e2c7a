#!/usr/bin/env bash
# IaC scanning benchmark: `airlock scan --scanners iac` on two generated
# trees, wall and CPU time (user+sys) per run, start-up included, median
# of RUNS:
#   small: 12 .tf files (120 resources) + terraform.tfvars, 4 Dockerfiles,
#          2 Compose files (about 20 IaC files)
#   large: 500 Terraform resources in 50 files (5 root modules), 300
#          Kubernetes objects in 30 files, 20 Dockerfiles, 10 Compose
#          files
# The trees are written by internal/analyzer/iacscan's TestWriteBenchTree,
# so the Go benchmarks (go test -bench . ./internal/analyzer/iacscan) read
# the same files. Per input type, airlock's own "iac time" notice (one
# more run) gives each type's parse and evaluation time, and its findings
# are counted by input. When TRIVY names a trivy binary, `trivy config`
# runs on the same trees beside it, offline (no check-bundle download;
# its embedded checks), findings counted from its JSON (failures, per
# file type).
#
# Start-up alone is each tool on an empty directory.
#
# Usage: bench/iac.sh [AIRLOCK_BINARY]     (RUNS=7 by default; needs jq)
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

# bytype: "a 3, b 1" from a list of names, one a line
bytype() { sort | uniq -c | awk '{printf "%s%s %s", sep, $2, $1; sep = ", "}'; }

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

# trivy config offline: no check-bundle download or update check, the
# checks embedded in the binary; its own cache directory per run set.
trivy=()
if [ -n "${TRIVY:-}" ]; then
  trivy=("$TRIVY" config --quiet --format json --skip-check-update --skip-version-check --cache-dir "$work/trivy-cache")
fi

echo "machine: $(nproc) cores ($(lscpu | sed -n 's/^Model name: *//p')), load $(cut -d' ' -f1-3 /proc/loadavg)"
for tree in small large; do
  dir=$work/trees/$tree
  "$bin" scan --scanners iac --format json "$dir" >"$work/airlock.json" 2>"$work/airlock.err" || true
  echo "$tree: $(find "$dir" -type f | wc -l) files, airlock findings: $(jq '[.findings[] | select(.kind == "iac")] | length' "$work/airlock.json")" \
    "($(jq -r '.findings[] | select(.kind == "iac") | .iac.input' "$work/airlock.json" | bytype))"
  grep -o 'iac time: .*' "$work/airlock.err" | tr -d '"' | sed 's/; /\n  /g; s/^/  /'
  report "airlock $tree" "$bin" scan --scanners iac --format json "$dir"
  if [ ${#trivy[@]} -gt 0 ]; then
    "${trivy[@]}" "$dir" >"$work/trivy.json" 2>"$work/trivy.err" || { echo "trivy failed:"; cat "$work/trivy.err"; }
    echo "$tree: trivy failures: $(jq '[.Results[]?.Misconfigurations[]? | select(.Status == "FAIL")] | length' "$work/trivy.json")" \
      "($(jq -r '.Results[]? | .Type as $t | .Misconfigurations[]? | select(.Status == "FAIL") | $t' "$work/trivy.json" | bytype))"
    report "trivy $tree" "${trivy[@]}" "$dir"
  fi
done
mkdir -p "$work/empty"
report "airlock start-up" "$bin" scan --scanners iac --format json "$work/empty"
if [ ${#trivy[@]} -gt 0 ]; then
  report "trivy start-up" "${trivy[@]}" "$work/empty"
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
