#!/usr/bin/env bash
# IaC findings beside `trivy config`: runs `airlock scan --scanners iac`
# and `trivy config` (offline, its embedded checks) on each DIR, pairs
# Trivy's failures with airlock's findings of the corresponding policy in
# the same file (the map below; a pair at the same start line first),
# and prints, per DIR, every file and check with the lines each tool
# reports, then a summary line: findings of each, pairs (same line),
# airlock only, trivy only. docs/iac-comparison.md is its output read
# and judged.
#
# Usage: TRIVY=/path/to/trivy bench/iac-compare.sh [-b AIRLOCK_BINARY] DIR...
set -euo pipefail
: "${TRIVY:?TRIVY must name a trivy binary}"
command -v python3 >/dev/null || { echo "iac-compare: python3 is needed" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bin=
if [ "${1:-}" = -b ]; then
  bin=$2
  shift 2
fi
if [ -z "$bin" ]; then
  bin=$work/airlock
  (cd "$(dirname "$0")/.." && go build -o "$bin" ./cmd/airlock)
fi
[ $# -gt 0 ] || { echo "usage: TRIVY=... $0 [-b AIRLOCK_BINARY] DIR..." >&2; exit 2; }
for dir in "$@"; do
  "$bin" scan --scanners iac --format json "$dir" >"$work/a.json" 2>/dev/null || true
  "$TRIVY" config --quiet --format json --skip-check-update --skip-version-check \
    --cache-dir "$work/trivy-cache" "$dir" >"$work/t.json" 2>/dev/null || true
  echo "== $dir"
  python3 - "$work/a.json" "$work/t.json" <<'PY'
import collections, json, re, sys

# Trivy check -> airlock policies that report the same issue.
MAP = {
    # Dockerfile
    'DS001': ['DF010', 'DF011'], 'DS002': ['DF001', 'DF002'], 'DS004': ['DF015'], 'DS005': ['DF004'],
    'DS007': ['DF016'], 'DS016': ['DF016'], 'DS009': ['DF017'], 'DS010': ['DF013'], 'DS013': ['DF021'],
    'DS017': ['DF014'], 'DS025': ['DF019'], 'DS026': ['DF009'], 'DS029': ['DF007'], 'DS028': ['DF020'],
    'DS031': ['DF005', 'DF006'],
    # Kubernetes
    'KSV001': ['K8S002'], 'KSV003': ['K8S006'], 'KSV005': ['K8S007'], 'KSV006': ['K8S014'], 'KSV008': ['K8S012'],
    'KSV009': ['K8S010'], 'KSV010': ['K8S011'], 'KSV011': ['K8S016'], 'KSV012': ['K8S003'], 'KSV013': ['K8S018'],
    'KSV014': ['K8S005'], 'KSV015': ['K8S017'], 'KSV016': ['K8S017'], 'KSV017': ['K8S001'], 'KSV018': ['K8S015'],
    'KSV022': ['K8S009', 'K8S008', 'K8S007'], 'KSV023': ['K8S013'], 'KSV024': ['K8S031'], 'KSV030': ['K8S021'],
    'KSV104': ['K8S021'], 'KSV036': ['K8S022'], 'KSV041': ['K8S026'], 'KSV045': ['K8S025'], 'KSV046': ['K8S025'],
    'KSV105': ['K8S004'], 'KSV110': ['K8S023'], 'KSV106': ['K8S006'], 'KSV050': ['K8S028'], 'KSV111': ['K8S029'],
    'KSV053': ['K8S027'], 'KSV043': ['K8S028'], 'KSV044': ['K8S028'],
    # AWS (Terraform and CloudFormation)
    'AWS0086': ['AWS003', 'CFN003', 'AWS002', 'CFN002'], 'AWS0087': ['AWS003', 'CFN003', 'AWS002', 'CFN002'],
    'AWS0091': ['AWS003', 'CFN003', 'AWS002', 'CFN002'], 'AWS0093': ['AWS003', 'CFN003', 'AWS002', 'CFN002'],
    'AWS0094': ['AWS003', 'CFN003'], 'AWS0092': ['AWS001', 'CFN001'], 'AWS0090': ['AWS004', 'CFN004'],
    'AWS0089': ['AWS006', 'CFN006'], 'AWS0088': ['CFN005'], 'AWS0028': ['AWS033', 'CFN033'], 'AWS0099': ['AWS012'],
    'AWS0124': ['AWS012'], 'AWS0131': ['AWS032', 'CFN031'], 'AWS0107': ['AWS010', 'CFN010'],
    'AWS0080': ['AWS020', 'CFN020'], 'AWS0180': ['AWS021', 'CFN021'], 'AWS0177': ['AWS024', 'CFN024'],
    'AWS0077': ['AWS022', 'CFN022'], 'AWS0065': ['AWS053', 'CFN054'], 'AWS0026': ['AWS030', 'CFN030'],
    'AWS0104': ['AWS011', 'CFN011'], 'AWS0057': ['AWS040', 'AWS041', 'CFN040', 'CFN041'],
}

a = json.load(open(sys.argv[1]))
t = json.load(open(sys.argv[2]))
A = [(f['id'], f['location']['path'], f['location']['start_line'])
     for f in a.get('findings') or [] if f['kind'] == 'iac']
T = []
titles = {}
for r in t.get('Results') or []:
    for m in r.get('Misconfigurations') or []:
        if m.get('Status') != 'FAIL':
            continue
        mm = re.match(r'(?:AVD-)?([A-Z]+)-?(\d+)$', m['ID'])
        tid = mm.group(1) + ('%04d' if mm.group(1) == 'AWS' else '%03d') % int(mm.group(2))
        titles[tid] = m.get('Title', '')
        T.append((tid, r['Target'], (m.get('CauseMetadata') or {}).get('StartLine') or 0))

used = set()
rows = collections.defaultdict(lambda: ([], []))
for tid, path, line in T:
    ids = MAP.get(tid, [])
    key = (path, tid, '/'.join(ids) or '-')
    rows[key][1].append(line)
    cands = [i for i, (aid, ap, _) in enumerate(A) if ap == path and aid in ids and i not in used]
    same = [i for i in cands if A[i][2] == line]
    if same or cands:
        i = (same or cands)[0]
        used.add(i)
        rows[key][0].append(A[i][2])
for i, (aid, ap, al) in enumerate(A):
    if i not in used:
        rows[(ap, '-', aid)][0].append(al)

pairs = same_line = aonly = tonly = 0
for (path, tid, aids), (al, tl) in sorted(rows.items()):
    print(f"{path}\t{tid} / {aids}\tairlock {sorted(al)}\ttrivy {sorted(tl)}\t{titles.get(tid, '')}")
    if tid == '-':
        aonly += len(al)
    elif not al:
        tonly += len(tl)
    else:
        pairs += len(al)
        same_line += sum(1 for x in set(al) if x in tl)
print(f"airlock {len(A)}, trivy {len(T)}: pairs {pairs} (same line {same_line}), airlock only {aonly}, trivy only {tonly}")
PY
done
