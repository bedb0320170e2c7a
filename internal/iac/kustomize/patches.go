package kustomize

import (
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/airlock-sec/airlock/internal/iac"
)

// A patch is one patch of a kustomization that built the objects, read
// for its lines: a finding about a value a patch sets points at the patch
// (the file and line the user edits), not at the base the value no longer
// comes from.
type patch struct {
	kind, name string // the target; empty matches any
	// smp is a strategic-merge patch's object; ops a JSON 6902 patch's
	// operations (a list); one of them is set.
	smp *iac.YAMLDoc
	ops *iac.YAMLDoc
}

// readPatches lists the patches of the kustomization at kfile, in the
// order kustomize applies them: patchesStrategicMerge, patches,
// patchesJson6902. A patch file is read through read; one that cannot be
// read is left to kustomize, which reports it.
func readPatches(read func(string) ([]byte, error), kfile string, content []byte) []patch {
	ys, err := iac.ParseYAML(kfile, content)
	if err != nil || len(ys) == 0 {
		return nil
	}
	m, _ := ys[0].Value.(map[string]any)
	idx := ys[0].Index
	dir := path.Dir(kfile)
	var out []patch
	// load parses a patch from its file (ref) or inline text at key.
	load := func(ref string, inline string, key []any) []iac.YAMLDoc {
		if inline != "" {
			return inlinePatch(kfile, inline, idx, key)
		}
		p := path.Clean(path.Join(dir, ref))
		if strings.HasPrefix(p, "../") {
			return nil
		}
		b, err := read(p)
		if err != nil {
			return nil
		}
		ds, _ := iac.ParseYAML(p, b)
		return ds
	}
	add := func(kind, name string, ds []iac.YAMLDoc) {
		for i := range ds {
			d := &ds[i]
			switch v := d.Value.(type) {
			case []any:
				out = append(out, patch{kind: kind, name: name, ops: d})
			case map[string]any:
				k, n := kind, name
				if k == "" && n == "" {
					k, _ = v["kind"].(string)
					md, _ := v["metadata"].(map[string]any)
					n, _ = md["name"].(string)
				}
				out = append(out, patch{kind: k, name: n, smp: d})
			}
		}
	}
	smp, _ := m["patchesStrategicMerge"].([]any)
	for i, e := range smp {
		s, _ := e.(string)
		if strings.Contains(s, "\n") {
			add("", "", load("", s, []any{"patchesStrategicMerge", i}))
		} else if s != "" {
			add("", "", load(s, "", nil))
		}
	}
	for _, field := range []string{"patches", "patchesJson6902"} {
		list, _ := m[field].([]any)
		for i, e := range list {
			pm, _ := e.(map[string]any)
			if pm == nil {
				continue
			}
			t, _ := pm["target"].(map[string]any)
			kind, _ := t["kind"].(string)
			name, _ := t["name"].(string)
			ref, _ := pm["path"].(string)
			inline, _ := pm["patch"].(string)
			if ref == "" && inline == "" {
				continue
			}
			add(kind, name, load(ref, inline, []any{field, i, "patch"}))
		}
	}
	return out
}

// inlinePatch parses a patch written inside the kustomization and moves
// its lines to where they are in the kustomization: a literal block
// (patch: |-) starts on the line after its key. Other forms (one line,
// quoted) are located at the key.
func inlinePatch(kfile, text string, kidx iac.Index, key []any) []iac.YAMLDoc {
	ds, err := iac.ParseYAML(kfile, []byte(text))
	if err != nil {
		return nil
	}
	first, ok := kidx[iac.Key(append(key[:len(key):len(key)], 0)...)]
	shift := first.Start - 1
	if !ok {
		at := kidx[iac.Key(key...)]
		for i := range ds {
			for k, n := range ds[i].Index {
				n.Start, n.End = at.Start, at.End
				ds[i].Index[k] = n
			}
		}
		return ds
	}
	for i := range ds {
		for k, n := range ds[i].Index {
			n.Start += shift
			n.End += shift
			ds[i].Index[k] = n
		}
	}
	return ds
}

// applies reports whether p targets the built object of kind and name
// (kustomize may have added a prefix or a suffix to the name).
func (p *patch) applies(kind, name string) bool {
	if p.kind != "" && p.kind != kind {
		return false
	}
	if p.name == "" {
		return true
	}
	if strings.Contains(name, p.name) {
		return true
	}
	// A target name may be a regular expression.
	if strings.ContainsAny(p.name, `.*+?[](){}|^$\`) {
		if re, err := regexp.Compile("^(?:" + p.name + ")$"); err == nil {
			return re.MatchString(name)
		}
	}
	return false
}

// locate finds where the patch writes the part of the built object at
// at: ok is false when the patch does not write it.
func (p *patch) locate(built any, at []any) (iac.Node, bool) {
	if p.smp != nil {
		pp, followed, _ := smpPath(built, p.smp.Value, at)
		if followed < len(at) {
			return iac.Node{}, false
		}
		n, ok := p.smp.Index[iac.Key(pp...)]
		return n, ok
	}
	ops, _ := p.ops.Value.([]any)
	// The last operation that writes at wins.
	for i := len(ops) - 1; i >= 0; i-- {
		o, _ := ops[i].(map[string]any)
		op, _ := o["op"].(string)
		ptr, _ := o["path"].(string)
		if op != "add" && op != "replace" && op != "copy" && op != "move" {
			continue
		}
		target, ok := pointer(ptr)
		if !ok || len(target) > len(at) || !samePrefix(target, at) {
			continue
		}
		if op == "copy" || op == "move" {
			// The value comes from elsewhere in the object: the operation
			// is what the user edits.
			if n, ok := p.ops.Index[iac.Key(i)]; ok {
				return n, true
			}
			continue
		}
		// Inside the value: the nearest part of the value written.
		key := append([]any{i, "value"}, at[len(target):]...)
		for len(key) >= 2 {
			if n, ok := p.ops.Index[iac.Key(key...)]; ok {
				return n, true
			}
			key = key[:len(key)-1]
		}
	}
	return iac.Node{}, false
}

// pointer turns a JSON pointer into a path; "-" (append) and escapes are
// read as RFC 6901 says.
func pointer(s string) ([]any, bool) {
	if s == "" || s[0] != '/' {
		return nil, false
	}
	var out []any
	for _, tok := range strings.Split(s[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		if tok == "-" {
			return nil, false
		}
		if n, err := strconv.Atoi(tok); err == nil && n >= 0 {
			out = append(out, n)
			continue
		}
		out = append(out, tok)
	}
	return out, true
}

func samePrefix(prefix, p []any) bool {
	for i, e := range prefix {
		if iac.Key(e) != iac.Key(p[i]) {
			return false
		}
	}
	return true
}

// mergeKeys identify a list element in a strategic-merge patch: the
// Kubernetes API's patchMergeKey of the lists kustomize merges by key.
var mergeKeys = []string{"name", "mountPath", "containerPort", "devicePath", "ip", "topologyKey", "type"}

// smpPath follows at through the built object and another object the
// built one was merged from (a patch, or the base), side by side: map keys
// as they are, a list element by its merge key (the element of the other
// with the same name, mountPath, ...), since a strategic merge reorders
// lists. It returns the path in the other object, how many elements of
// at it could follow (len(at) when the other has all of it), and the part
// of the built object it stopped at (at[:n]).
func smpPath(built, other any, at []any) (path []any, n int, stop any) {
	for i, e := range at {
		switch k := e.(type) {
		case string:
			om, ok := other.(map[string]any)
			bm, _ := built.(map[string]any)
			if !ok {
				return path, i, built
			}
			if other, ok = om[k]; !ok {
				return path, i, built
			}
			built = bm[k]
			path = append(path, k)
		case int:
			ol, ok := other.([]any)
			bl, _ := built.([]any)
			if !ok || k >= len(bl) {
				return path, i, built
			}
			be, _ := bl[k].(map[string]any)
			j := matchElement(be, ol)
			if j < 0 {
				return path, i, built
			}
			other, built = ol[j], bl[k]
			path = append(path, j)
		default:
			return path, i, built
		}
	}
	return path, len(at), built
}

// basePath is at in the base the built object came from: followed by
// merge keys as far as the base has it, the rest as it is (the index
// finds the nearest part written). A list element without a merge key
// keeps its index; one whose key the base lacks (a patch added it) stops
// at the list.
func basePath(built, base any, at []any) []any {
	bp, n, stop := smpPath(built, base, at)
	if n < len(at) {
		if k, isInt := at[n].(int); isInt {
			if l, _ := stop.([]any); k < len(l) {
				if _, _, keyed := mergeKey(l[k]); keyed {
					return bp
				}
			}
		}
	}
	return append(bp, at[n:]...)
}

// mergeKey is the merge key a list element is identified by, and its
// value; ok is false for an element without one.
func mergeKey(v any) (key string, value any, ok bool) {
	m, _ := v.(map[string]any)
	for _, mk := range mergeKeys {
		if v, ok := m[mk]; ok {
			return mk, v, true
		}
	}
	return "", nil, false
}

// matchElement is the index in pl of the element with the same merge key
// as be; -1 when there is none.
func matchElement(be map[string]any, pl []any) int {
	mk, v, ok := mergeKey(be)
	if !ok {
		return -1
	}
	for j, e := range pl {
		if pe, _ := e.(map[string]any); pe != nil && iac.Key(pe[mk]) == iac.Key(v) {
			return j
		}
	}
	return -1
}
