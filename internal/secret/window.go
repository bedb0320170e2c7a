package secret

import (
	"bytes"
	"regexp/syntax"
	"slices"
	"strings"
	"unicode/utf8"
)

// Most rules' regexes cannot match across a line break, and every match
// holds one of a few literal strings (its anchors): "secret", "token",
// "akia". Such a rule, called line-local here, finds the same matches
// whether its regex runs over the whole fragment or only over the lines
// where the keyword automaton saw one of its anchors. The keywords still
// decide whether the rule runs at all, as in gitleaks; the anchors only
// decide where: a generic rule whose keywords ("token", "auth") occur in
// most source files then reads a few lines of each instead of all of it.
// Both properties are proved from the regex's syntax when the detector is
// built; a rule for which either proof fails runs over the whole fragment.
//
// Under (?i), 'k' and 's' also match U+212A (KELVIN SIGN) and U+017F (LATIN
// SMALL LETTER LONG S), which the ASCII-folding automaton does not equate
// with them; a fragment holding either runs every rule whole.

// foldTraps are the UTF-8 encodings of the non-ASCII runes that Unicode case
// folding equates with ASCII letters.
var foldTraps = []string{"\u212a", "\u017f"}

// maxExact bounds the sets of strings the analysis enumerates.
const maxExact = 256

// minAnchor is the length under which anchors are too common to help.
const minAnchor = 3

// windowGap is the distance under which the windows of two anchor lines
// are run as one, with the lines between them: each regex call has a fixed
// cost that a few hundred bytes of scanning outweigh.
const windowGap = 512

// lineAnchors returns the anchors of a line-local pattern, in ASCII lower
// case, or nil when the pattern is not line-local.
func lineAnchors(pattern string) []string {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil || !withinLine(re) {
		return nil
	}
	set, ok := anchors(re)
	if !ok || slices.ContainsFunc(set, func(s string) bool { return len(s) < minAnchor }) {
		return nil
	}
	// An anchor holding another is found through it.
	slices.Sort(set)
	set = slices.Compact(set)
	return slices.DeleteFunc(set, func(s string) bool {
		return slices.ContainsFunc(set, func(t string) bool { return t != s && strings.Contains(s, t) })
	})
}

// withinLine reports whether no match of re can hold a line feed, and
// whether re's assertions answer the same at the ends of a line as at the
// ends of a text cut to that line: word boundaries and (?m) line anchors
// do, text anchors (^ and $ without (?m), \A, \z) do not.
func withinLine(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpNoMatch, syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary, syntax.OpAnyCharNotNL:
		return true
	case syntax.OpLiteral:
		return !slices.Contains(re.Rune, '\n')
	case syntax.OpCharClass:
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if re.Rune[i] <= '\n' && '\n' <= re.Rune[i+1] {
				return false
			}
		}
		return true
	case syntax.OpCapture, syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat,
		syntax.OpConcat, syntax.OpAlternate:
		for _, sub := range re.Sub {
			if !withinLine(sub) {
				return false
			}
		}
		return true
	}
	return false // OpAnyChar, OpBeginText, OpEndText
}

// anchors returns a set of non-empty strings, ASCII lower case, one of
// which every match of re contains (ignoring ASCII case), choosing the set
// whose shortest string is longest; ok is false when none is known.
func anchors(re *syntax.Regexp) (set []string, ok bool) {
	better := func(c []string) {
		if len(c) == 0 || slices.Contains(c, "") {
			return
		}
		if !ok || shortest(c) > shortest(set) || shortest(c) == shortest(set) && len(c) < len(set) {
			set, ok = c, true
		}
	}
	if e, exactOK := exact(re); exactOK {
		better(e)
	}
	switch re.Op {
	case syntax.OpCapture, syntax.OpPlus:
		better(must(anchors(re.Sub[0])))
	case syntax.OpRepeat:
		if re.Min >= 1 {
			better(must(anchors(re.Sub[0])))
		}
	case syntax.OpAlternate:
		var union []string
		for _, sub := range re.Sub {
			c, subOK := anchors(sub)
			if !subOK || len(union)+len(c) > maxExact {
				return set, ok
			}
			union = append(union, c...)
		}
		better(union)
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			better(must(anchors(sub)))
		}
		// Runs of consecutive subexpressions matching few strings.
		for i := range re.Sub {
			run := []string{""}
			for j := i; j < len(re.Sub); j++ {
				next, exactOK := exact(re.Sub[j])
				if !exactOK {
					break
				}
				if run = product(run, next); run == nil {
					break
				}
				better(run)
			}
		}
	}
	return set, ok
}

func must(set []string, ok bool) []string {
	if !ok {
		return nil
	}
	return set
}

func shortest(set []string) int {
	n := -1
	for _, s := range set {
		if n < 0 || len(s) < n {
			n = len(s)
		}
	}
	return n
}

// exact returns every string re matches, in ASCII lower case, when there
// are at most maxExact of them and they are ASCII; the runes that case
// folding adds beyond ASCII (foldTraps) are left out, since a fragment
// holding them is scanned whole.
func exact(re *syntax.Regexp) ([]string, bool) {
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText,
		syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return []string{""}, true
	case syntax.OpLiteral:
		var b strings.Builder
		for _, r := range re.Rune {
			if r >= utf8.RuneSelf {
				return nil, false
			}
			b.WriteByte(lowerASCII(byte(r)))
		}
		return []string{b.String()}, true
	case syntax.OpCharClass:
		var set []string
		for i := 0; i+1 < len(re.Rune); i += 2 {
			lo, hi := re.Rune[i], re.Rune[i+1]
			if hi-lo >= maxExact {
				return nil, false
			}
			for r := lo; r <= hi; r++ {
				if r == '\u212a' || r == '\u017f' {
					continue
				}
				if r >= utf8.RuneSelf {
					return nil, false
				}
				set = append(set, string(rune(lowerASCII(byte(r)))))
			}
		}
		slices.Sort(set)
		set = slices.Compact(set)
		return set, len(set) > 0 && len(set) <= maxExact
	case syntax.OpCapture:
		return exact(re.Sub[0])
	case syntax.OpQuest:
		set, ok := exact(re.Sub[0])
		if !ok || len(set)+1 > maxExact {
			return nil, false
		}
		return append(set, ""), true
	case syntax.OpConcat:
		set := []string{""}
		for _, sub := range re.Sub {
			next, ok := exact(sub)
			if !ok {
				return nil, false
			}
			if set = product(set, next); set == nil {
				return nil, false
			}
		}
		return set, true
	case syntax.OpAlternate:
		var set []string
		for _, sub := range re.Sub {
			next, ok := exact(sub)
			if !ok || len(set)+len(next) > maxExact {
				return nil, false
			}
			set = append(set, next...)
		}
		return set, true
	}
	return nil, false
}

// product returns every a+b, or nil past maxExact strings.
func product(as, bs []string) []string {
	if len(as)*len(bs) > maxExact {
		return nil
	}
	out := make([]string, 0, len(as)*len(bs))
	for _, a := range as {
		for _, b := range bs {
			out = append(out, a+b)
		}
	}
	return out
}

// windows returns the line-aligned spans of content holding the offsets
// at (sorted), merged when less than windowGap apart, appended to dst.
// Each span starts at a line's start and ends at a line's end, before its
// line feed.
func windows(dst [][2]int, content []byte, at []int) [][2]int {
	end := -1 // the end of the last span
	for _, o := range at {
		if o < end {
			continue
		}
		ls := bytes.LastIndexByte(content[:o], '\n') + 1
		le := bytes.IndexByte(content[o:], '\n')
		if le < 0 {
			le = len(content)
		} else {
			le += o
		}
		if n := len(dst); n > 0 && ls-end < windowGap {
			dst[n-1][1] = le
		} else {
			dst = append(dst, [2]int{ls, le})
		}
		end = le
	}
	return dst
}
