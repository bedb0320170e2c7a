package secret

import (
	"fmt"
	"strings"

	"github.com/BurntSushi/toml"
)

// keyPositions records on which line each key and table header of a TOML
// document stands, with array-of-table indices ("rules[3].allowlists[0]"),
// so errors about decoded values can name their line. The TOML decoder keeps
// positions only per unindexed key, which is ambiguous for [[rules]].
type keyPositions struct {
	keys   map[string]int // table + "\x00" + key -> line
	tables map[string]int // table -> header line
	order  []keyEntry     // keys in file order
}

type keyEntry struct {
	table string
	key   string
	line  int
}

// line returns the line of key in table, or the table's header line, or 0.
func (kp *keyPositions) line(table, key string) int {
	if l, ok := kp.keys[table+"\x00"+key]; ok {
		return l
	}
	// A sub-table or array of tables named key.
	for _, sub := range []string{table + "." + key + "[0]", table + "." + key} {
		if l, ok := kp.tables[sub]; ok {
			return l
		}
	}
	return kp.tableLine(table)
}

// tableLine returns the line of the table's header, or 0.
func (kp *keyPositions) tableLine(table string) int {
	return kp.tables[table]
}

// firstUnder finds the first occurrence of an unindexed key path as the
// decoder reports it (["rules", "allowlists", "foo"]).
func (kp *keyPositions) firstUnder(k toml.Key) (table string, line int) {
	want := strings.Join(k, ".")
	for _, e := range kp.order {
		full := e.key
		if e.table != "" {
			full = e.table + "." + e.key
		}
		if stripIndices(full) == want {
			return e.table, e.line
		}
	}
	// A table header the decoder did not use, such as [unknown].
	for t, l := range kp.tables {
		if stripIndices(t) == want {
			return t, l
		}
	}
	return "", 0
}

func stripIndices(s string) string {
	var b strings.Builder
	skip := false
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '[':
			skip = true
		case s[i] == ']':
			skip = false
		case !skip:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// locateKeys scans a TOML document that the decoder has accepted. It
// understands enough of the grammar to skip strings, arrays, inline tables and
// comments; on anything else it degrades to fewer known positions.
func locateKeys(data []byte) *keyPositions {
	kp := &keyPositions{keys: map[string]int{}, tables: map[string]int{}}
	s := string(data)
	line := 1
	table := ""
	counts := map[string]int{}  // indexed path of an array table -> entries seen
	current := map[string]int{} // indexed path of an array table -> current index
	resolve := func(segs []string, array bool) string {
		cur := ""
		for i, seg := range segs {
			if cur != "" {
				cur += "."
			}
			cur += seg
			last := i == len(segs)-1
			if last && array {
				idx := counts[cur]
				counts[cur] = idx + 1
				current[cur] = idx
				cur += fmt.Sprintf("[%d]", idx)
				continue
			}
			if idx, ok := current[cur]; ok {
				cur += fmt.Sprintf("[%d]", idx)
			}
		}
		return cur
	}
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == '\n':
			line++
			i++
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case c == '#':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '[':
			array := strings.HasPrefix(s[i:], "[[")
			start := i + 1
			closer := "]"
			if array {
				start = i + 2
				closer = "]]"
			}
			end := strings.Index(s[start:], closer)
			nl := strings.IndexByte(s[start:], '\n')
			if end < 0 || (nl >= 0 && nl < end) {
				// Not a header we understand; skip the line.
				i = skipLine(s, i)
				continue
			}
			name := s[start : start+end]
			table = resolve(splitKey(name), array)
			if _, ok := kp.tables[table]; !ok {
				kp.tables[table] = line
			}
			i = start + end + len(closer)
		default:
			eq := strings.IndexByte(s[i:], '=')
			nl := strings.IndexByte(s[i:], '\n')
			if eq < 0 || (nl >= 0 && nl < eq) {
				i = skipLine(s, i)
				continue
			}
			key := strings.Join(splitKey(s[i:i+eq]), ".")
			k := table + "\x00" + key
			if _, ok := kp.keys[k]; !ok {
				kp.keys[k] = line
				kp.order = append(kp.order, keyEntry{table: table, key: key, line: line})
			}
			var n int
			i, n = skipValue(s, i+eq+1)
			line += n
		}
	}
	return kp
}

func skipLine(s string, i int) int {
	for i < len(s) && s[i] != '\n' {
		i++
	}
	return i
}

// splitKey splits a dotted TOML key, removing quotes and spaces.
func splitKey(k string) []string {
	var segs []string
	for part := range strings.SplitSeq(k, ".") {
		part = strings.TrimSpace(part)
		part = strings.Trim(part, `"'`)
		segs = append(segs, part)
	}
	return segs
}

// skipValue skips one TOML value starting at i and returns the index after it
// (at the newline ending it) and the newlines it contained.
func skipValue(s string, i int) (int, int) {
	depth, lines := 0, 0
	for i < len(s) {
		switch c := s[i]; {
		case strings.HasPrefix(s[i:], "'''"):
			end := strings.Index(s[i+3:], "'''")
			if end < 0 {
				return len(s), lines
			}
			lines += strings.Count(s[i:i+3+end], "\n")
			i += 3 + end + 3
			for i < len(s) && s[i] == '\'' { // ''''' closes with extra quotes
				i++
			}
		case strings.HasPrefix(s[i:], `"""`):
			j := i + 3
			for j < len(s) && !strings.HasPrefix(s[j:], `"""`) {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			if j > len(s) {
				j = len(s)
			}
			lines += strings.Count(s[i:j], "\n")
			i = j + 3
			for i < len(s) && s[i] == '"' {
				i++
			}
		case c == '\'':
			j := strings.IndexAny(s[i+1:], "'\n")
			if j < 0 {
				return len(s), lines
			}
			i += j + 2
			if s[i-1] == '\n' {
				lines++
			}
		case c == '"':
			j := i + 1
			for j < len(s) && s[j] != '"' && s[j] != '\n' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			i = j + 1
		case c == '[' || c == '{':
			depth++
			i++
		case c == ']' || c == '}':
			depth--
			i++
		case c == '#':
			i = skipLine(s, i)
		case c == '\n':
			if depth <= 0 {
				return i, lines
			}
			lines++
			i++
		default:
			i++
		}
	}
	return len(s), lines
}
