package maven

import "strings"

// maxValue bounds the length of an interpolated value, so that properties
// that double each other's length cannot grow without limit. No real
// coordinate comes near it.
const maxValue = 4096

// maxNesting bounds how deeply properties may refer to one another before
// the reference counts as unresolved; real POMs nest a few levels at most.
const maxNesting = 64

// resolver interpolates ${…} references, resolving each property once.
type resolver struct {
	raw  map[string]string   // names to values as written
	done map[string]resolved // names already resolved
	busy map[string]bool     // names being resolved, to detect cycles
}

type resolved struct {
	value string
	ok    bool
}

// newResolver interpolates in the model of a chain of POMs, child first:
// properties are merged with the child's winning, and the project's
// coordinates are the child's, inheriting its parent's groupId and version
// where it has none.
func newResolver(chain []*pom) *resolver {
	p := chain[0]
	raw := make(map[string]string, len(p.properties)+12)
	for i := len(chain) - 1; i >= 0; i-- {
		for k, v := range chain[i].properties {
			raw[k] = v
		}
	}
	// The model's own coordinates take precedence over properties of the
	// same name.
	group, version := p.group(), p.version
	if version == "" {
		version = p.parentVersion
	}
	set := func(name, value string) {
		if value != "" {
			raw["project."+name] = value
			raw["pom."+name] = value
		}
	}
	set("groupId", group)
	set("artifactId", p.artifactID)
	set("version", version)
	set("parent.groupId", p.parentGroupID)
	set("parent.artifactId", p.parentArtifactID)
	set("parent.version", p.parentVersion)
	return &resolver{raw: raw, done: make(map[string]resolved), busy: make(map[string]bool)}
}

// resolve interpolates s. It reports false, and returns s unchanged, when a
// reference is unknown, cyclic or expands beyond maxValue.
func (r *resolver) resolve(s string) (string, bool) {
	if !strings.Contains(s, "${") {
		return s, true
	}
	var b strings.Builder
	rest := s
	for {
		i := strings.Index(rest, "${")
		if i < 0 {
			b.WriteString(rest)
			break
		}
		j := strings.IndexByte(rest[i+2:], '}')
		if j < 0 {
			return s, false
		}
		b.WriteString(rest[:i])
		v, ok := r.property(rest[i+2 : i+2+j])
		if !ok {
			return s, false
		}
		b.WriteString(v)
		if b.Len() > maxValue {
			return s, false
		}
		rest = rest[i+2+j+1:]
	}
	return b.String(), true
}

// property returns the interpolated value of the named property.
func (r *resolver) property(name string) (string, bool) {
	if d, ok := r.done[name]; ok {
		return d.value, d.ok
	}
	v, ok := r.raw[name]
	if !ok || r.busy[name] || len(r.busy) >= maxNesting {
		return "", false
	}
	r.busy[name] = true
	v, ok = r.resolve(v)
	delete(r.busy, name)
	r.done[name] = resolved{v, ok}
	return v, ok
}

// key identifies a dependency the way dependencyManagement matches it.
func (r *resolver) key(d dependency) string {
	group, _ := r.resolve(d.groupID)
	artifact, _ := r.resolve(d.artifactID)
	typ, _ := r.resolve(d.typ)
	if typ == "" {
		typ = "jar"
	}
	classifier, _ := r.resolve(d.classifier)
	return group + ":" + artifact + ":" + typ + ":" + classifier
}

// version returns the pinned version of a version as written, or else the
// constraint to report in its place; ok is false when a property in it is
// not resolved.
func (r *resolver) version(written string) (version, constraint string, ok bool) {
	v, ok := r.resolve(written)
	switch {
	case !ok:
		return "", written, false
	case v == "":
		return "", "", true
	case len(v) > 2 && v[0] == '[' && v[len(v)-1] == ']' && !strings.ContainsAny(v[1:len(v)-1], ",[]()"):
		return v[1 : len(v)-1], "", true // "[1.2.3]" allows exactly 1.2.3
	case strings.HasPrefix(v, "[") || strings.HasPrefix(v, "(") || strings.Contains(v, ","):
		return "", v, true
	case v == "LATEST" || v == "RELEASE":
		return "", v, true
	}
	return v, "", true
}
