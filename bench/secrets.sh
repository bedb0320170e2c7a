#!/usr/bin/env bash
# Benchmarks of secret detection (issue 4), on this machine:
#   1. tree: `airlock scan --scanners secret` of the Go toolchain's own source,
#      $(go env GOROOT)/src: wall time, MB/s and files/s (over the bytes and
#      files of every regular file in the tree, counted once), peak RSS and
#      the number of findings;
#   2. history: `airlock scan --scanners secret --history` of a generated
#      repository of 10,000 commits (bench/mkhistory.sh): wall time, MB/s of
#      added diff bytes, peak RSS, findings.
# Where GITLEAKS names one or more locally built gitleaks binaries (separated
# by spaces, e.g. a plain build and one with its go-re2 tag), each scans the
# same tree (`gitleaks dir`) and history (`gitleaks git`) the same way and its
# figures and finding counts are printed beside airlock's.
#
# Usage: bench/secrets.sh                      (RUNS=3, COMMITS=10000)
#        GITLEAKS="/path/gitleaks /path/gitleaks-re2" bench/secrets.sh
#        SKIP_AIRLOCK=1 GITLEAKS=... bench/secrets.sh   (the peers only)
#        TREE=/some/dir bench/secrets.sh               (another tree)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
runs=${RUNS:-3}
commits=${COMMITS:-10000}
tree=${TREE:-$(go env GOROOT)/src}
[ -d "$tree" ] || { echo "secrets.sh: no tree at $tree" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "secrets.sh: /usr/bin/time is needed (Debian package: time)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

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

# findings FILE: the number of findings in a JSON report (airlock's object
# with a findings array, or gitleaks' array)
findings() {
  python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print(len(d.get("findings") or []) if isinstance(d, dict) else len(d))
PY
}

# bench LABEL BYTES FILES REPORT CMD...: RUNS timed runs of CMD, which writes
# the JSON report REPORT, and one line of figures. FILES is 0 for a history.
bench() {
  local label=$1 bytes=$2 files=$3 report=$4
  shift 4
  : >"$work/times"
  for _ in $(seq "$runs"); do
    rm -f "$report"
    timed "$@" >>"$work/times"
    if [ "$(tail -1 "$work/times" | cut -d' ' -f3)" != 0 ]; then
      echo "secrets.sh: $label failed: $*" >&2
      tail -5 "$work/err" >&2
      exit 1
    fi
  done
  sort -n "$work/times" | awk -v label="$label" -v bytes="$bytes" -v files="$files" -v n="$(findings "$report")" '
    { t[NR] = $1; if ($2 > m) m = $2 }
    END {
      med = t[int((NR + 1) / 2)]
      printf "%-22s median %7.2f s (min %.2f, max %.2f)  %7.1f MB/s", label, med, t[1], t[NR], bytes / 1e6 / med
      if (files > 0) printf "  %7.0f files/s", files / med
      printf "  peak RSS %6.1f MB  findings %d\n", m / 1024, n
    }'
}

# gitleaks_cmd BIN MODE TARGET REPORT: sets cmd to the command line of
# gitleaks for a directory (MODE=dir) or a history (MODE=git); gitleaks 8.19
# and later have the dir and git subcommands, older releases `detect
# [--no-git]`.
gitleaks_cmd() {
  local bin=$1 mode=$2 target=$3 report=$4
  local common=(--no-banner --log-level error --report-format json --report-path "$report" --exit-code 0)
  if "$bin" dir --help >/dev/null 2>&1; then
    cmd=("$bin" "$mode" "${common[@]}" "$target")
  elif [ "$mode" = dir ]; then
    cmd=("$bin" detect --no-git --source "$target" "${common[@]}")
  else
    cmd=("$bin" detect --source "$target" "${common[@]}")
  fi
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr), $(go version | cut -d' ' -f3), $(git --version), load $(cut -d' ' -f1-3 /proc/loadavg)"

airlock=
if [ -z "${SKIP_AIRLOCK:-}" ]; then
  CGO_ENABLED=0 go build -o "$work/airlock" ./cmd/airlock
  airlock=$work/airlock
  # The secret scanner and --history must be there (issue 4).
  mkdir "$work/probe"
  printf 'x = 1\n' >"$work/probe/a.txt"
  if ! "$airlock" scan --scanners secret --fail-on none --format json --output "$work/probe.json" "$work/probe" >/dev/null 2>"$work/probe.err"; then
    echo "secrets.sh: this airlock does not run 'airlock scan --scanners secret':" >&2
    sed 's/^/  /' "$work/probe.err" | head -5 >&2
    echo "(the secret scanner's CLI integration of issue 4 is needed; SKIP_AIRLOCK=1 measures the peers only)" >&2
    exit 1
  fi
  git init -q "$work/probe"
  if ! "$airlock" scan --scanners secret --history --fail-on none --format json --output "$work/probe.json" "$work/probe" >/dev/null 2>"$work/probe.err"; then
    echo "secrets.sh: this airlock does not run 'airlock scan --scanners secret --history':" >&2
    sed 's/^/  /' "$work/probe.err" | head -5 >&2
    exit 1
  fi
fi
peers=()
for bin in ${GITLEAKS:-}; do
  [ -x "$bin" ] || { echo "secrets.sh: GITLEAKS: $bin is not an executable" >&2; exit 1; }
  peers+=("$bin")
done
[ -n "$airlock" ] || [ ${#peers[@]} -gt 0 ] || { echo "secrets.sh: nothing to run (SKIP_AIRLOCK set, GITLEAKS empty)" >&2; exit 1; }
for bin in "${peers[@]}"; do
  echo "peer: $bin $("$bin" version 2>/dev/null | head -1)"
done
echo

files=$(find "$tree" -type f | wc -l)
bytes=$(find "$tree" -type f -print0 | xargs -0 cat | wc -c)
echo "== tree $tree: $files files, $(awk -v b="$bytes" 'BEGIN { printf "%.1f MB", b / 1e6 }') ($runs runs each)"
# Run from an empty directory: gitleaks reads a .gitleaksignore in the
# current one.
cd "$work"
if [ -n "$airlock" ]; then
  bench "airlock" "$bytes" "$files" "$work/airlock-tree.json" \
    "$airlock" scan --scanners secret --fail-on none --format json --output "$work/airlock-tree.json" "$tree"
fi
for bin in "${peers[@]}"; do
  gitleaks_cmd "$bin" dir "$tree" "$work/gitleaks-tree.json"
  bench "$(basename "$bin")" "$bytes" "$files" "$work/gitleaks-tree.json" "${cmd[@]}"
done
echo

echo "== history: bench/mkhistory.sh, $commits commits"
t0=$(date +%s%N)
added=$("$root/bench/mkhistory.sh" "$work/history" "$commits" 2>/dev/null)
t1=$(date +%s%N)
echo "$(git -C "$work/history" rev-list --all --count) commits ($(git -C "$work/history" rev-list --all --merges --count) merges), $(awk -v b="$added" 'BEGIN { printf "%.1f MB", b / 1e6 }') of added lines; generated in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f s", (b - a) / 1e9 }')"
if [ -n "$airlock" ]; then
  bench "airlock --history" "$added" 0 "$work/airlock-history.json" \
    "$airlock" scan --scanners secret --history --fail-on none --format json --output "$work/airlock-history.json" "$work/history"
fi
for bin in "${peers[@]}"; do
  gitleaks_cmd "$bin" git "$work/history" "$work/gitleaks-history.json"
  bench "$(basename "$bin") git" "$added" 0 "$work/gitleaks-history.json" "${cmd[@]}"
done
