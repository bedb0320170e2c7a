package fix

import (
	"fmt"
	"strings"
)

// Diff returns the unified diff (3 lines of context) that turns old into
// new, with the file headers "a/path" and "b/path"; "" when they are
// equal. Lines are compared whole; a last line without a newline is
// marked as diff(1) marks it.
func Diff(path string, old, new []byte) string {
	if string(old) == string(new) {
		return ""
	}
	a, b := splitLines(string(old)), splitLines(string(new))
	ops := myers(a, b)
	var out strings.Builder
	fmt.Fprintf(&out, "--- a/%s\n+++ b/%s\n", path, path)
	const context = 3
	// Walk the edit script in hunks: runs of changes with up to 2×context
	// equal lines between them.
	i := 0
	for i < len(ops) {
		for i < len(ops) && ops[i].kind == ' ' {
			i++
		}
		if i == len(ops) {
			break
		}
		start := max(0, i-context)
		end := i
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run == len(ops) || run-end > 2*context {
				end = min(run, end+context)
				break
			}
			end = run
		}
		writeHunk(&out, ops[start:end])
		i = end
	}
	return out.String()
}

type op struct {
	kind byte // ' ', '-', '+'
	line string
	a, b int // 0-based positions in old and new before this op
}

func writeHunk(out *strings.Builder, ops []op) {
	var na, nb int
	for _, o := range ops {
		if o.kind != '+' {
			na++
		}
		if o.kind != '-' {
			nb++
		}
	}
	sa, sb := ops[0].a+1, ops[0].b+1
	if na == 0 {
		sa--
	}
	if nb == 0 {
		sb--
	}
	fmt.Fprintf(out, "@@ -%d,%d +%d,%d @@\n", sa, na, sb, nb)
	for _, o := range ops {
		out.WriteByte(o.kind)
		out.WriteString(o.line)
		if !strings.HasSuffix(o.line, "\n") {
			out.WriteString("\n\\ No newline at end of file\n")
		}
	}
}

func splitLines(s string) []string {
	var out []string
	for len(s) > 0 {
		n := strings.IndexByte(s, '\n')
		if n < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:n+1])
		s = s[n+1:]
	}
	return out
}

// maxEdits bounds the edit distance searched; beyond it the differing
// middle is shown as removed and added whole.
const maxEdits = 20000

// myers returns an edit script from a to b: Myers' O(ND) algorithm on
// what lies between the common prefix and suffix, keeping the furthest
// reaching paths of step d in a slice of 2d+1 entries (O(D²) memory).
func myers(a, b []string) []op {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	var ops []op
	for i := 0; i < pre; i++ {
		ops = append(ops, op{' ', a[i], i, i})
	}
	ma, mb := a[pre:len(a)-suf], b[pre:len(b)-suf]
	ops = append(ops, middle(ma, mb, pre)...)
	for i := 0; i < suf; i++ {
		ia, ib := len(a)-suf+i, len(b)-suf+i
		ops = append(ops, op{' ', a[ia], ia, ib})
	}
	return ops
}

func middle(a, b []string, off int) []op {
	n, m := len(a), len(b)
	whole := func() []op {
		var ops []op
		for i, l := range a {
			ops = append(ops, op{'-', l, off + i, off})
		}
		for j, l := range b {
			ops = append(ops, op{'+', l, off + n, off + j})
		}
		return ops
	}
	if n == 0 || m == 0 {
		return whole()
	}
	// trace[d][k+d] is the furthest x on diagonal k after d edits.
	var trace [][]int
	prev := []int{0}
	found := -1
	for d := 0; d <= n+m && d <= maxEdits; d++ {
		v := make([]int, 2*d+1)
		get := func(k int) int { return prev[k+d-1] } // prev has offset d-1
		for k := -d; k <= d; k += 2 {
			var x int
			switch {
			case d == 0:
				x = 0
			case k == -d || (k != d && get(k-1) < get(k+1)):
				x = get(k + 1)
			default:
				x = get(k-1) + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x, y = x+1, y+1
			}
			v[k+d] = x
			if x >= n && y >= m {
				found = d
				break
			}
		}
		trace = append(trace, v)
		prev = v
		if found >= 0 {
			break
		}
	}
	if found < 0 {
		return whole()
	}
	// Walk back from (n, m).
	var rev []op
	x, y := n, m
	for d := found; d > 0; d-- {
		pv := trace[d-1]
		k := x - y
		var pk int
		if k == -d || (k != d && pv[k-1+d-1] < pv[k+1+d-1]) {
			pk = k + 1
		} else {
			pk = k - 1
		}
		px := pv[pk+d-1]
		py := px - pk
		for x > px && y > py {
			rev = append(rev, op{' ', a[x-1], off + x - 1, off + y - 1})
			x, y = x-1, y-1
		}
		if pk == k+1 {
			rev = append(rev, op{'+', b[y-1], off + x, off + y - 1})
			y--
		} else {
			rev = append(rev, op{'-', a[x-1], off + x - 1, off + y})
			x--
		}
	}
	for x > 0 && y > 0 {
		rev = append(rev, op{' ', a[x-1], off + x - 1, off + y - 1})
		x, y = x-1, y-1
	}
	ops := make([]op, len(rev))
	for i := range rev {
		ops[i] = rev[len(rev)-1-i]
	}
	return ops
}
