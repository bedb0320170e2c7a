package helm

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/airlock-sec/airlock/internal/iac"
)

// Map relocates the documents rendered from one template into the
// template's source, tmpl, at path src: the line the user edits is the
// template's, not the rendered output's (which nobody can see).
//
// Each object is first given its block of the template: the template is
// cut at its "---" lines, and the object goes to the block that writes
// its kind literally ("kind: Deployment"; the n-th Deployment rendered to
// the n-th such block, round robin when a range renders more), else to
// the whole template. Every located part of the object (a path such as
// spec.template.spec.containers[0].securityContext.privileged) is then
// looked up in that block key by key: each key is searched below its
// parent, more indented, before the parent's block ends; a list index
// counts the list's "- " items (the last item written when a range
// renders more than the template writes). The part lands on the deepest
// key found: a key the template does not write itself (a securityContext
// filled by "toYaml .Values.securityContext") lands on the line that
// includes it, and an object whose keys are all generated on its first
// line. tmpl nil (a packed subchart) puts everything on line 1 of src.
func Map(docs []*iac.Document, src string, tmpl []byte) {
	lines := strings.Split(string(tmpl), "\n")
	blocks := splitBlocks(lines)
	seen := map[string]int{}
	for _, d := range docs {
		m, _ := d.Value.(map[string]any)
		kind, _ := m["kind"].(string)
		lo, hi := 0, len(lines)
		if tmpl != nil {
			var cands [][2]int
			re := regexp.MustCompile(`^\s*kind:\s*["']?` + regexp.QuoteMeta(kind) + `["']?\s*(#.*)?$`)
			for _, b := range blocks {
				for i := b[0]; i < b[1]; i++ {
					if re.MatchString(lines[i]) {
						cands = append(cands, b)
						break
					}
				}
			}
			if len(cands) > 0 {
				b := cands[seen[kind]%len(cands)]
				lo, hi = b[0], b[1]
			}
			seen[kind]++
		}
		first := firstLine(lines, lo, hi)
		idx := iac.Index{}
		for k, n := range d.Index {
			line := 1
			if tmpl != nil {
				line = locate(lines, lo, hi, first, decodeKey(d.Value, k)) + 1
			}
			idx[k] = iac.Node{Path: src, Start: line, End: line, Resource: n.Resource}
		}
		d.Path = src
		d.Index = idx
	}
}

// splitBlocks cuts the template at its document separators.
func splitBlocks(lines []string) [][2]int {
	var out [][2]int
	start := 0
	for i, l := range lines {
		if strings.HasPrefix(l, "---") {
			out = append(out, [2]int{start, i})
			start = i + 1
		}
	}
	return append(out, [2]int{start, len(lines)})
}

// firstLine is the block's first line that writes YAML (0-based).
func firstLine(lines []string, lo, hi int) int {
	for i := lo; i < hi; i++ {
		if _, _, _, _, ok := parseLine(lines[i]); ok {
			return i
		}
	}
	return lo
}

// decodeKey turns an index key back into its path, list indexes as ints
// where v holds a list.
func decodeKey(v any, k string) []any {
	if k == "" {
		return nil
	}
	parts := strings.Split(k, "\x1f")[1:]
	out := make([]any, 0, len(parts))
	for _, p := range parts {
		switch c := v.(type) {
		case []any:
			n, err := strconv.Atoi(p)
			if err != nil || n < 0 || n >= len(c) {
				return out
			}
			out = append(out, n)
			v = c[n]
		case map[string]any:
			out = append(out, p)
			v = c[p]
		default:
			return out
		}
	}
	return out
}

var keyRe = regexp.MustCompile(`^(?:"([^"]*)"|'([^']*)'|([^\s"'{}#:][^:#]*?))\s*:(?:\s|$)`)

var action = regexp.MustCompile(`\{\{.*?\}\}`)

// parseLine reads one template line: the column of its first character,
// whether it is a list item, and the key it writes with that key's
// column; ok is false for lines that write no YAML (blank, comments,
// lines of template actions only).
func parseLine(l string) (lead int, dash bool, key string, keyCol int, ok bool) {
	l = strings.TrimRight(l, " \t\r")
	content := strings.TrimLeft(l, " ")
	if content == "" || strings.HasPrefix(content, "#") {
		return 0, false, "", 0, false
	}
	if strings.TrimSpace(action.ReplaceAllString(content, "")) == "" {
		return 0, false, "", 0, false
	}
	lead = len(l) - len(content)
	keyCol = lead
	for content == "-" || strings.HasPrefix(content, "- ") {
		dash = true
		rest := strings.TrimLeft(content[1:], " ")
		keyCol += len(content) - len(rest)
		content = rest
	}
	if m := keyRe.FindStringSubmatch(content); m != nil {
		key = m[1] + m[2] + m[3]
	}
	return lead, dash, key, keyCol, true
}

// locate finds the line (0-based) of the part at p in the block [lo, hi)
// whose object starts at first; see Map.
func locate(lines []string, lo, hi, first int, p []any) int {
	best, pos, indent, onItem := first, lo, -1, false
	for _, e := range p {
		switch k := e.(type) {
		case string:
			found := -1
			for i := pos; i < hi; i++ {
				lead, _, key, keyCol, ok := parseLine(lines[i])
				if !ok {
					continue
				}
				if !(onItem && i == pos) && lead <= indent {
					break
				}
				if key == k && keyCol > indent {
					found, indent = i, keyCol
					break
				}
			}
			if found < 0 {
				return best
			}
			best, pos, onItem = found, found+1, false
		case int:
			col, n, last := -1, -1, -1
			for i := pos; i < hi; i++ {
				lead, dash, _, _, ok := parseLine(lines[i])
				if !ok {
					continue
				}
				if lead < indent || (lead == indent && !dash) {
					break
				}
				if dash && (col < 0 || lead == col) {
					col, n, last = lead, n+1, i
					if n == k {
						break
					}
				}
			}
			if last < 0 {
				return best
			}
			best, pos, indent, onItem = last, last, col, true
		}
	}
	return best
}
