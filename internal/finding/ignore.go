package finding

import (
	"bytes"
	"fmt"
	"strings"
)

// IgnoreMarker is the inline suppression a comment carries:
// "airlock:ignore <ID>[,<ID>...] <reason>", on the finding's line or on
// the line above it (IaC files; secrets take it beside gitleaks:allow).
const IgnoreMarker = "airlock:ignore"

// ParseInlineIgnore reads a suppression of id in one line of text: the
// ignore when the marker names id with a reason; a message when it names
// id without one (the marker is then not applied); neither otherwise.
func ParseInlineIgnore(text, id string) (*Ignore, string) {
	at := strings.Index(text, IgnoreMarker)
	if at < 0 {
		return nil, ""
	}
	fields := strings.Fields(text[at+len(IgnoreMarker):])
	if len(fields) == 0 {
		return nil, ""
	}
	match := false
	for _, x := range strings.Split(fields[0], ",") {
		if x = strings.TrimSpace(x); x != "" && strings.EqualFold(x, id) {
			match = true
		}
	}
	if !match {
		return nil, ""
	}
	reason := strings.TrimSpace(strings.Join(fields[1:], " "))
	reason = strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(reason, "-->"), "*/"))
	if reason == "" {
		return nil, fmt.Sprintf("%s %s has no reason, so it is not applied: say why (%s %s <reason>)", IgnoreMarker, id, IgnoreMarker, id)
	}
	return &Ignore{Reason: reason}, ""
}

// InlineIgnore looks in a file's content for a suppression of id on line
// (1-based) or on the line above it; the ignore's Line says which.
func InlineIgnore(content []byte, line int, id string) (*Ignore, string) {
	if content == nil || line <= 0 {
		return nil, ""
	}
	for _, l := range []int{line, line - 1} {
		ig, msg := ParseInlineIgnore(nthLine(content, l), id)
		if ig != nil {
			ig.Line = l
		}
		if ig != nil || msg != "" {
			return ig, msg
		}
	}
	return nil, ""
}

// nthLine returns the 1-based line n of b.
func nthLine(b []byte, n int) string {
	for i := 1; i < n; i++ {
		j := bytes.IndexByte(b, '\n')
		if j < 0 {
			return ""
		}
		b = b[j+1:]
	}
	if j := bytes.IndexByte(b, '\n'); j >= 0 {
		b = b[:j]
	}
	return string(b)
}
