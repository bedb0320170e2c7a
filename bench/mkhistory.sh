#!/usr/bin/env bash
# Creates a git repository with a realistic history for the secret-detection
# history benchmark, deterministically: the same arguments give the same
# commit ids on every machine.
#
# The history: a few dozen Go, YAML and Markdown files edited commit after
# commit (lines replaced, inserted and deleted), files added, deleted and
# renamed, a binary asset now and then, a secret added to a config file every
# 25 commits (most of them removed again later), feature branches merged with
# merge commits, a few branches left unmerged and a few tags. Commits are
# streamed into `git fast-import`, so 10,000 of them take seconds.
#
# Prints the total bytes of added lines that `git log -p` shows (the bytes
# internal/source.History hands to the detector, Stats.AddedBytes); progress
# goes to standard error.
#
# Usage: bench/mkhistory.sh DIR [COMMITS]     (COMMITS = 10000 by default)
set -euo pipefail
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 DIR [COMMITS]" >&2
  exit 2
fi
dir=$1
commits=${2:-10000}
case $commits in
  '' | *[!0-9]*) echo "mkhistory: COMMITS must be a number, got '$commits'" >&2; exit 2 ;;
esac
if [ -e "$dir" ] && [ -n "$(ls -A "$dir")" ]; then
  echo "mkhistory: $dir exists and is not empty" >&2
  exit 1
fi
command -v python3 >/dev/null || { echo "mkhistory: python3 is needed" >&2; exit 1; }

# The user's and the machine's git configuration must not change the result.
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE
mkdir -p "$dir"
git init -q -b main "$dir"

# fast-import grows and shrinks its heap for every blob; with glibc's default
# trim threshold that is most of its time (brk calls), so keep the heap.
fastimport() {
  GLIBC_TUNABLES=glibc.malloc.top_pad=67108864:glibc.malloc.trim_threshold=134217728 \
    git -C "$dir" fast-import --quiet --done
}
python3 - "$commits" <<'PY' | fastimport
import sys

COMMITS = int(sys.argv[1])
out = sys.stdout.buffer


class Rand:
    """xorshift64*: the same numbers with every Python version."""

    def __init__(self, seed):
        self.s = seed

    def next(self):
        s = self.s
        s ^= (s >> 12)
        s ^= (s << 25) & 0xFFFFFFFFFFFFFFFF
        s ^= (s >> 27)
        self.s = s
        return (s * 0x2545F4914F6CDD1D) & 0xFFFFFFFFFFFFFFFF

    def n(self, k):
        return (self.next() >> 11) % k

    def pick(self, seq):
        return seq[self.n(len(seq))]

    def chars(self, alphabet, k):
        return "".join(alphabet[self.n(len(alphabet))] for _ in range(k))


R = Rand(0x9E3779B97F4A7C15)
UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LOWER = "abcdefghijklmnopqrstuvwxyz"
DIGITS = "0123456789"
ALNUM = UPPER + LOWER + DIGITS
B32 = UPPER + "234567"
B64 = ALNUM + "+/"
HEX = "0123456789abcdef"

WORDS = ("request response handler config value item count index buffer reader writer "
         "client server token session user account project commit branch report result "
         "error context cache store queue worker record entry path name limit offset").split()
TYPES = "string int int64 bool error []byte time.Duration *Config map[string]string".split()
AUTHORS = [("Ada Lovelace", "ada@example.com"), ("Grace Hopper", "grace@example.com"),
           ("Alan Turing", "alan@example.org"), ("Barbara Liskov", "barbara@example.org"),
           ("Ken Thompson", "ken@example.net"), ("Margaret Hamilton", "margaret@example.net"),
           ("Dennis Ritchie", "dmr@example.com"), ("Frances Allen", "fran@example.com")]


def ident():
    a, b = R.pick(WORDS), R.pick(WORDS)
    return a + b[0].upper() + b[1:]


def go_line():
    k = R.n(9)
    if k == 0:
        return "\t%s := %s(ctx, %s)" % (ident(), ident(), ident())
    if k == 1:
        return "\tif err := %s.%s(%d); err != nil {" % (ident(), ident().capitalize(), R.n(1000))
    if k == 2:
        return "\t\treturn fmt.Errorf(\"%s %s: %%w\", err)" % (R.pick(WORDS), R.pick(WORDS))
    if k == 3:
        return "\t}"
    if k == 4:
        return "\t// %s the %s before the %s is %s." % (R.pick(WORDS).capitalize(), R.pick(WORDS), R.pick(WORDS), R.pick(WORDS))
    if k == 5:
        return "\t%s %s" % (ident(), R.pick(TYPES))
    if k == 6:
        return "func (s *%s) %s(%s %s) error {" % (ident().capitalize(), ident().capitalize(), ident(), R.pick(TYPES))
    if k == 7:
        return "\tfor i := 0; i < len(%s); i++ {" % ident()
    return "\t%s = append(%s, %s[i])" % (ident(), ident(), ident())


def yaml_line():
    k = R.n(4)
    if k == 0:
        return "%s:" % ident()
    if k == 1:
        return "  %s: %d" % (ident(), R.n(65536))
    if k == 2:
        return "  %s: \"%s-%s\"" % (ident(), R.pick(WORDS), R.pick(WORDS))
    return "  - %s" % R.pick(WORDS)


def md_line():
    return " ".join(R.pick(WORDS) for _ in range(4 + R.n(10))).capitalize() + "."


def line_for(path):
    if path.endswith(".go"):
        return go_line()
    if path.endswith(".yaml"):
        return yaml_line()
    return md_line()


def new_file(path, lo, hi):
    return [line_for(path) for _ in range(lo + R.n(hi - lo))]


def secret():
    k = R.n(8)
    if k == 0:
        return ["aws_access_key_id = AKIA" + R.chars(B32, 16),
                "aws_secret_access_key = " + R.chars(B64, 40)]
    if k == 1:
        return ["github_token: ghp_" + R.chars(ALNUM, 36)]
    if k == 2:
        return ["GITLAB_TOKEN=glpat-" + R.chars(ALNUM + "_-", 20)]
    if k == 3:
        return ["slack_bot_token = \"xoxb-%s-%s-%s\"" % (R.chars(DIGITS, 12), R.chars(DIGITS, 13), R.chars(ALNUM, 24))]
    if k == 4:
        return ["stripe_key: sk_live_" + R.chars(ALNUM, 24)]
    if k == 5:
        return ["database_url: postgres://app:%s@db.internal:5432/app" % R.chars(ALNUM, 16)]
    if k == 6:
        return ["api_key = \"%s\"" % R.chars(HEX, 32)]
    return (["-----BEGIN RSA PRIVATE KEY-----"] + [R.chars(B64, 64) for _ in range(12)]
            + [R.chars(B64, 20) + "==", "-----END RSA PRIVATE KEY-----"])


def binary_blob():
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(R.n(256) for _ in range(512 + R.n(2048)))


def data(b):
    out.write(b"data %d\n" % len(b))
    out.write(b)
    out.write(b"\n")


def text(lines):
    return ("\n".join(lines) + "\n").encode() if lines else b""


DIRS = ["cmd/app", "internal/api", "internal/store", "internal/auth", "internal/queue",
        "internal/report", "pkg/client", "pkg/config"]
files = {}  # main's files: path -> lines
for i in range(36):
    d = DIRS[i % len(DIRS)]
    files["%s/%s.go" % (d, ident().lower())] = new_file(".go", 40, 220)
for name in ["config/app.yaml", "config/deploy.yaml", "config/secrets.yaml", "deploy/values.yaml"]:
    files[name] = new_file(".yaml", 20, 80)
for name in ["README.md", "docs/setup.md", "docs/operations.md"]:
    files[name] = new_file(".md", 20, 60)

made = 0
mark = 0
t0 = 1600000000
main_head = None
pending = []  # (commit number to remove it at, path, secret lines)


def edit(lines, path):
    for _ in range(1 + R.n(3)):
        k = R.n(3)
        at = R.n(len(lines) + 1)
        if k == 0 and lines:
            lines[min(at, len(lines) - 1)] = line_for(path)
        elif k == 1 or len(lines) < 10:
            # Mostly a few lines; now and then a new function or section.
            count = 10 + R.n(50) if R.n(3) == 0 else 1 + R.n(5)
            lines[at:at] = [line_for(path) for _ in range(count)]
        else:
            count = 10 + R.n(50) if R.n(3) == 0 else 1 + R.n(5)
            del lines[at:at + count]


def commit(ref, parent, changes, merge=None):
    """changes: list of ("M", path, bytes) | ("D", path) | ("R", old, new)."""
    global made, mark
    mark += 1
    name, email = AUTHORS[R.n(len(AUTHORS))]
    when = t0 + made * 1800 + R.n(1800)
    out.write(b"commit %s\nmark :%d\n" % (ref.encode(), mark))
    out.write(b"author %s <%s> %d +0000\n" % (name.encode(), email.encode(), when))
    out.write(b"committer %s <%s> %d +0000\n" % (name.encode(), email.encode(), when))
    data(b"change %d" % made)
    if parent is not None:
        out.write(b"from :%d\n" % parent)
    if merge is not None:
        out.write(b"merge :%d\n" % merge)
    for c in changes:
        if c[0] == "M":
            out.write(b"M 100644 inline %s\n" % c[1].encode())
            data(c[2])
        elif c[0] == "D":
            out.write(b"D %s\n" % c[1].encode())
        else:
            out.write(b"R %s %s\n" % (c[1].encode(), c[2].encode()))
    made += 1
    if made % 1000 == 0:
        sys.stderr.write("mkhistory: %d commits\n" % made)
    return mark


def main_commit():
    """One commit of churn on main."""
    global main_head
    n = made
    changes = []
    touched = set()
    if main_head is None:
        changes = [("M", p, text(l)) for p, l in sorted(files.items())]
        main_head = commit("refs/heads/main", None, changes)
        return
    for _ in range(1 + R.n(3)):
        p = R.pick(sorted(files))
        if p in touched:
            continue
        touched.add(p)
        edit(files[p], p)
    if n % 25 == 0:
        p = R.pick(["config/app.yaml", "config/deploy.yaml", "config/secrets.yaml", "deploy/values.yaml", "README.md"])
        if p in files:
            s = secret()
            at = R.n(len(files[p]) + 1)
            files[p][at:at] = s
            touched.add(p)
            if R.n(10) < 6:
                pending.append((n + 3 + R.n(200), p, s))
    for due in [x for x in pending if x[0] <= n]:
        pending.remove(due)
        _, p, s = due
        lines = files.get(p)
        if lines is not None:
            for i in range(len(lines) - len(s) + 1):
                if lines[i:i + len(s)] == s:
                    del lines[i:i + len(s)]
                    touched.add(p)
                    break
    if n % 20 == 0:
        p = "%s/%s.go" % (R.pick(DIRS), ident().lower())
        if p not in files:
            files[p] = new_file(p, 30, 150)
            touched.add(p)
    if n % 37 == 0 and len(files) > 30:
        p = R.pick(sorted(x for x in files if x.endswith(".go")))
        del files[p]
        touched.discard(p)
        changes.append(("D", p))
    if n % 150 == 0:
        old = R.pick(sorted(x for x in files if x.endswith(".go") and x not in touched))
        new = "%s/%s" % (R.pick(DIRS), old.rsplit("/", 1)[1])
        if new not in files:
            files[new] = files.pop(old)
            changes.append(("R", old, new))
    if n % 500 == 0:
        changes.append(("M", "assets/img-%d.png" % (n // 500 % 4), binary_blob()))
    changes += [("M", p, text(files[p])) for p in sorted(touched)]
    main_head = commit("refs/heads/main", main_head, changes)


def feature(k, merge_it):
    """A feature branch of a few commits on files of its own, merged or not."""
    global main_head
    ref = "refs/heads/feature-%d" % k
    own = {}
    head = main_head
    for i in range(5 + R.n(11)):
        if made >= COMMITS - (1 if merge_it else 0):
            break
        if i == 0 or R.n(4) == 0:
            p = "features/f%d/%s.go" % (k, ident().lower())
            own[p] = new_file(p, 20, 100)
        else:
            p = R.pick(sorted(own))
            edit(own[p], p)
        if R.n(12) == 0:
            s = secret()
            own[p][1:1] = s
        head = commit(ref, head, [("M", p, text(own[p]))])
    if merge_it and made < COMMITS and head != main_head:
        files.update(own)
        main_head = commit("refs/heads/main", main_head, [("M", p, text(l)) for p, l in sorted(own.items())], merge=head)


k = 0
while made < COMMITS:
    if made > 0 and made % 200 == 0:
        k += 1
        feature(k, merge_it=k % 7 != 0)
        if k % 5 == 0:
            out.write(b"reset refs/tags/v0.%d.0\nfrom :%d\n\n" % (k // 5, main_head))
    else:
        main_commit()
out.write(b"done\n")
PY

git -C "$dir" read-tree --reset -u HEAD
# Added bytes as History counts them: the same diff options, and the body
# lines of each hunk counted from its header, so that an added line that
# looks like a header is still content.
git -C "$dir" -c core.quotepath=off log --all --format=%x00 --patch --unified=0 \
  --no-color --no-ext-diff --no-textconv --find-renames --irreversible-delete \
  --diff-merges=off --root --submodule=short |
  LC_ALL=C awk '
    left == 0 && /^@@ / { n = split($3, a, ","); left = (n == 1 ? 1 : a[2] + 0); next }
    left > 0 && /^\+/ { bytes += length($0); left--; next }
    END { printf "%d\n", bytes }'
