package tunnel

import (
	_ "embed"
	"fmt"
	"strings"
)

// DefaultAllowlist is the text of the allowlist an agent applies unless
// it is given its own: the GitLab calls airlock makes, nothing more.
//
//go:embed allowlist.txt
var DefaultAllowlist string

// Rule allows one method on the paths matching a pattern.
type Rule struct {
	Method  string
	Pattern string
	// Line is where the rule was written (1-based).
	Line     int
	segments []string
}

// Allowlist is what an agent relays; anything else it refuses.
type Allowlist []Rule

// ParseAllowlist reads an allowlist: one "METHOD /pattern" per line,
// blank lines and "#" comments ignored. name is the file, for errors.
// In a pattern, "*" is one path segment and "**" one or more.
func ParseAllowlist(name, text string) (Allowlist, error) {
	var out Allowlist
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 2 {
			return nil, fmt.Errorf("%s:%d: want METHOD /path-pattern, got %q", name, i+1, line)
		}
		method, pattern := fields[0], fields[1]
		if !validMethod(method) {
			return nil, fmt.Errorf("%s:%d: method %q: give GET, HEAD, POST, PUT, PATCH or DELETE", name, i+1, method)
		}
		if !strings.HasPrefix(pattern, "/") || strings.Contains(pattern, "?") {
			return nil, fmt.Errorf("%s:%d: pattern %q: give a path starting with /, without a query", name, i+1, pattern)
		}
		segs := strings.Split(strings.TrimPrefix(pattern, "/"), "/")
		for _, s := range segs {
			if s == "" || s == "." || s == ".." {
				return nil, fmt.Errorf("%s:%d: pattern %q: empty, . or .. segment", name, i+1, pattern)
			}
			if strings.Contains(s, "*") && s != "*" && s != "**" {
				return nil, fmt.Errorf("%s:%d: pattern %q: * and ** stand for whole segments only", name, i+1, pattern)
			}
		}
		out = append(out, Rule{Method: method, Pattern: pattern, Line: i + 1, segments: segs})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no rules: an agent with an empty allowlist would refuse everything", name)
	}
	return out, nil
}

func validMethod(m string) bool {
	switch m {
	case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE":
		return true
	}
	return false
}

// Allows reports whether the method may be used on the path, which is
// the request's escaped path (a project path escaped as one segment stays
// one segment). HEAD is allowed where GET is.
func (a Allowlist) Allows(method, escapedPath string) bool {
	if !strings.HasPrefix(escapedPath, "/") {
		return false
	}
	segs := strings.Split(strings.TrimPrefix(escapedPath, "/"), "/")
	for _, s := range segs {
		// No traversal and no empty segments: GitLab would resolve them
		// to a path the pattern did not name.
		if s == "" || s == "." || s == ".." || strings.EqualFold(s, "%2e") || strings.EqualFold(s, "%2e%2e") {
			return false
		}
	}
	for _, r := range a {
		if (r.Method == method || method == "HEAD" && r.Method == "GET") && match(r.segments, segs) {
			return true
		}
	}
	return false
}

// match matches path segments against pattern segments.
func match(pat, segs []string) bool {
	for len(pat) > 0 {
		switch pat[0] {
		case "**":
			for n := 1; n <= len(segs); n++ {
				if match(pat[1:], segs[n:]) {
					return true
				}
			}
			return false
		case "*":
			if len(segs) == 0 {
				return false
			}
		default:
			if len(segs) == 0 || segs[0] != pat[0] {
				return false
			}
		}
		pat, segs = pat[1:], segs[1:]
	}
	return len(segs) == 0
}
