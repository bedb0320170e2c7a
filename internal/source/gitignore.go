package source

import (
	"bytes"
	"path"
	"strings"
)

// ignoreRule is one .gitignore pattern, scoped to the directory of its
// file.
type ignoreRule struct {
	base     string   // directory of the .gitignore, "" for the root
	segs     []string // the pattern split at "/"
	negate   bool     // "!pattern" re-includes
	dirOnly  bool     // "pattern/" matches directories only
	anchored bool     // a "/" before the end: relative to base, else any depth
}

// gitignore holds the rules of every .gitignore read so far. It follows
// git's rules for what airlock needs (skipping ignored files and
// directories): comments, "!" negation, trailing "/" for directories,
// anchoring by a leading or middle "/", "*", "?", "[...]" and "**". As
// in git, a file inside an ignored directory cannot be re-included: the
// directory is never entered.
type gitignore struct{ rules []ignoreRule }

// parseGitignore reads one .gitignore file found in directory base.
func parseGitignore(base string, data []byte) []ignoreRule {
	var out []ignoreRule
	for _, raw := range bytes.Split(data, []byte("\n")) {
		line := strings.TrimSuffix(string(raw), "\r")
		// Trailing spaces are ignored unless escaped with a backslash.
		for strings.HasSuffix(line, " ") && !strings.HasSuffix(line, `\ `) {
			line = line[:len(line)-1]
		}
		if line == "" || line[0] == '#' {
			continue
		}
		r := ignoreRule{base: base}
		if line[0] == '!' {
			r.negate, line = true, line[1:]
		} else if strings.HasPrefix(line, `\!`) || strings.HasPrefix(line, `\#`) {
			line = line[1:]
		}
		if strings.HasSuffix(line, "/") {
			r.dirOnly, line = true, strings.TrimRight(line, "/")
		}
		if line == "" {
			continue
		}
		if strings.Contains(line, "/") {
			r.anchored, line = true, strings.TrimPrefix(line, "/")
		}
		r.segs = strings.Split(line, "/")
		// A pattern that is invalid for path.Match never matches; drop it
		// here rather than on every file.
		valid := true
		for _, s := range r.segs {
			if _, err := path.Match(s, ""); err != nil {
				valid = false
			}
		}
		if valid && len(r.segs) > 0 {
			out = append(out, r)
		}
	}
	return out
}

// add appends the rules of the .gitignore in directory base.
func (g *gitignore) add(base string, data []byte) {
	g.rules = append(g.rules, parseGitignore(base, data)...)
}

// ignored reports whether the slash-separated path rel (relative to the
// scan root) is ignored; the last matching rule decides.
func (g *gitignore) ignored(rel string, isDir bool) bool {
	ignored := false
	for i := range g.rules {
		r := &g.rules[i]
		sub := rel
		if r.base != "" {
			var ok bool
			if sub, ok = strings.CutPrefix(rel, r.base+"/"); !ok {
				continue
			}
		}
		if r.dirOnly && !isDir {
			continue
		}
		var m bool
		if r.anchored {
			m = matchSegs(r.segs, strings.Split(sub, "/"))
		} else {
			m = matchSegs(r.segs, []string{path.Base(sub)})
		}
		if m {
			ignored = !r.negate
		}
	}
	return ignored
}

// matchSegs matches path segments against pattern segments, where "**"
// matches any number of segments.
func matchSegs(pat, segs []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			rest := pat[1:]
			if len(rest) == 0 {
				return len(segs) > 0
			}
			for i := 0; i <= len(segs); i++ {
				if matchSegs(rest, segs[i:]) {
					return true
				}
			}
			return false
		}
		if len(segs) == 0 {
			return false
		}
		if ok, _ := path.Match(pat[0], segs[0]); !ok {
			return false
		}
		pat, segs = pat[1:], segs[1:]
	}
	return len(segs) == 0
}
