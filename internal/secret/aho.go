package secret

// keywordMatcher finds which of a set of keywords occur in a text, ignoring
// ASCII case, in one pass. It is an Aho-Corasick automaton compiled to a
// deterministic table over byte classes: bytes that occur in no keyword share
// class 0, so the table stays small (states × distinct keyword bytes).
// States are numbered so that every state ending a keyword comes after all
// others; the scan loop tests one comparison per byte to know whether to look
// at outputs.
type keywordMatcher struct {
	class    [256]uint8
	nclass   int
	delta    []int32   // state*nclass + class -> state*nclass of the next state
	firstOut int32     // premultiplied number of the first output state
	out      [][]int32 // (state - firstOut/nclass) -> keyword ids ending there
	n        int       // number of keywords
	maxLen   int       // length of the longest keyword
	// located marks the keywords whose occurrences scan reports.
	located    []bool
	anyLocated bool
}

// newKeywordMatcher builds the automaton. Keywords match ignoring ASCII case
// (other letters match as written); empty keywords are ignored.
func newKeywordMatcher(keywords []string) *keywordMatcher {
	m := &keywordMatcher{n: len(keywords)}
	lowered := make([]string, len(keywords))
	for i, kw := range keywords {
		lowered[i] = lowerASCIIString(kw)
		m.maxLen = max(m.maxLen, len(kw))
	}
	// Byte classes, folding ASCII upper case onto lower case. At most 230
	// classes besides 0 exist (256 byte values less 26 upper-case letters).
	next := 1
	for _, kw := range lowered {
		for i := 0; i < len(kw); i++ {
			c := lowerASCII(kw[i])
			if m.class[c] == 0 {
				m.class[c] = uint8(next)
				next++
			}
		}
	}
	for c := 'A'; c <= 'Z'; c++ {
		m.class[c] = m.class[c+'a'-'A']
	}
	m.nclass = next
	nc := m.nclass

	// Trie.
	type node struct {
		next []int32 // by class, -1 when absent
		fail int32
		out  []int32
	}
	newNode := func() node {
		n := node{next: make([]int32, nc)}
		for i := range n.next {
			n.next[i] = -1
		}
		return n
	}
	nodes := []node{newNode()}
	for id, kw := range lowered {
		if kw == "" {
			continue
		}
		s := int32(0)
		for i := 0; i < len(kw); i++ {
			c := m.class[kw[i]]
			if nodes[s].next[c] < 0 {
				nodes = append(nodes, newNode())
				nodes[s].next[c] = int32(len(nodes) - 1)
			}
			s = nodes[s].next[c]
		}
		nodes[s].out = append(nodes[s].out, int32(id))
	}

	// Failure links breadth first, turning the trie into a full DFA.
	queue := make([]int32, 0, len(nodes))
	for c := 0; c < nc; c++ {
		t := nodes[0].next[c]
		if t < 0 {
			nodes[0].next[c] = 0
			continue
		}
		nodes[t].fail = 0
		queue = append(queue, t)
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		f := nodes[s].fail
		nodes[s].out = append(nodes[s].out, nodes[f].out...)
		for c := 0; c < nc; c++ {
			t := nodes[s].next[c]
			if t < 0 {
				nodes[s].next[c] = nodes[f].next[c]
				continue
			}
			nodes[t].fail = nodes[f].next[c]
			queue = append(queue, t)
		}
	}

	// Renumber: states without output first.
	renum := make([]int32, len(nodes))
	k := int32(0)
	for i := range nodes {
		if len(nodes[i].out) == 0 {
			renum[i] = k
			k++
		}
	}
	firstOut := k
	for i := range nodes {
		if len(nodes[i].out) > 0 {
			renum[i] = k
			k++
		}
	}
	m.firstOut = firstOut * int32(nc)
	m.delta = make([]int32, len(nodes)*nc)
	m.out = make([][]int32, len(nodes)-int(firstOut))
	for i := range nodes {
		r := renum[i]
		for c := 0; c < nc; c++ {
			m.delta[int(r)*nc+c] = renum[nodes[i].next[c]] * int32(nc)
		}
		if r >= firstOut {
			m.out[r-firstOut] = dedupe(nodes[i].out)
		}
	}
	return m
}

func dedupe(ids []int32) []int32 {
	var out []int32
	for _, id := range ids {
		seen := false
		for _, o := range out {
			if o == id {
				seen = true
				break
			}
		}
		if !seen {
			out = append(out, id)
		}
	}
	return out
}

// lowerASCIIString folds ASCII letters only, as the scan does; other bytes,
// valid UTF-8 or not, stay as they are.
func lowerASCIIString(s string) string {
	b := []byte(s)
	for i, c := range b {
		b[i] = lowerASCII(c)
	}
	return string(b)
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// occurrence is where a keyword ended: the offset of its last byte.
type occurrence struct {
	at int
	id int32
}

// scan sets hit[id] for every keyword occurring in b and returns how many
// distinct keywords it found. Every occurrence of a keyword marked in
// m.located is appended to *occ, in no particular order and possibly twice;
// without such keywords the scan stops once all keywords have been found.
//
// A table-driven automaton spends its time waiting for each table load, one
// byte after another. Large inputs are therefore cut into four streams that
// overlap by the longest keyword less one byte, so no occurrence is lost at a
// cut, and stepped together: four independent chains of loads keep the core
// busy.
func (m *keywordMatcher) scan(b []byte, hit []bool, occ *[]occurrence) int {
	if m.n == 0 {
		return 0
	}
	found := 0
	ov := m.maxLen - 1
	q := len(b) / 4
	if q < 64+ov {
		m.scanRange(b, 0, 0, hit, &found, occ)
		return found
	}
	l := q + ov
	b0, b1, b2, b3 := b[:l], b[q-ov:2*q], b[2*q-ov:3*q], b[3*q-ov:4*q]
	delta, class, firstOut := m.delta, &m.class, m.firstOut
	var s0, s1, s2, s3 int32
	for i := range b0 {
		s0 = delta[s0+int32(class[b0[i]])]
		s1 = delta[s1+int32(class[b1[i]])]
		s2 = delta[s2+int32(class[b2[i]])]
		s3 = delta[s3+int32(class[b3[i]])]
		if s0 >= firstOut || s1 >= firstOut || s2 >= firstOut || s3 >= firstOut {
			for k, s := range [4]int32{s0, s1, s2, s3} {
				if s >= firstOut {
					base := 0
					if k > 0 {
						base = k*q - ov
					}
					m.emit(s, base+i, hit, &found, occ)
				}
			}
			if found == m.n && !m.anyLocated {
				return found
			}
		}
	}
	m.scanRange(b[4*q:], 4*q, s3, hit, &found, occ)
	return found
}

// scanRange runs the automaton over b, which starts at offset base, from
// state s.
func (m *keywordMatcher) scanRange(b []byte, base int, s int32, hit []bool, found *int, occ *[]occurrence) {
	delta, class, firstOut := m.delta, &m.class, m.firstOut
	for i, c := range b {
		s = delta[s+int32(class[c])]
		if s >= firstOut {
			m.emit(s, base+i, hit, found, occ)
			if *found == m.n && !m.anyLocated {
				return
			}
		}
	}
}

func (m *keywordMatcher) emit(s int32, at int, hit []bool, found *int, occ *[]occurrence) {
	for _, id := range m.out[(s-m.firstOut)/int32(m.nclass)] {
		if !hit[id] {
			hit[id] = true
			*found++
		}
		if m.anyLocated && m.located[id] {
			*occ = append(*occ, occurrence{at: at, id: id})
		}
	}
}

// locate marks the keywords whose occurrences scan reports.
func (m *keywordMatcher) locate(ids []int32) {
	if m.located == nil {
		m.located = make([]bool, m.n)
	}
	for _, id := range ids {
		m.located[id] = true
		m.anyLocated = true
	}
}
