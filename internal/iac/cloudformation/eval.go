package cloudformation

import (
	"regexp"
	"strconv"
	"strings"
)

// eval resolves what a template decides by itself: parameters' defaults,
// conditions over them, and the functions of known values.
type eval struct {
	params   map[string]*nd
	conds    map[string]*nd
	mappings *nd
	// decided: 1 true, 2 false, 3 undecidable, 4 being decided (a cycle).
	decided map[string]int
	steps   int
}

// maxSteps bounds the work of resolving one template.
const maxSteps = 2_000_000

// noValue is what Ref AWS::NoValue resolves to: the property is dropped.
var noValue = &nd{kind: 's', v: "AWS::NoValue"}

// condition decides a named condition.
func (e *eval) condition(name string) (bool, bool) {
	switch e.decided[name] {
	case 1:
		return true, true
	case 2:
		return false, true
	case 3, 4:
		return false, false
	}
	c, ok := e.conds[name]
	if !ok {
		return false, false
	}
	e.decided[name] = 4
	v, ok := e.cond(c)
	switch {
	case !ok:
		e.decided[name] = 3
	case v:
		e.decided[name] = 1
	default:
		e.decided[name] = 2
	}
	return v, ok
}

// cond evaluates a condition function.
func (e *eval) cond(n *nd) (bool, bool) {
	if e.steps++; e.steps > maxSteps {
		return false, false
	}
	fn, arg := n.intrinsic()
	switch fn {
	case "Condition":
		s, ok := arg.str()
		if !ok {
			return false, false
		}
		return e.condition(s)
	case "Fn::Equals":
		if arg == nil || arg.kind != 'l' || len(arg.kids) != 2 {
			return false, false
		}
		a, b := e.resolve(arg.kids[0]), e.resolve(arg.kids[1])
		as, aok := a.str()
		bs, bok := b.str()
		if !aok || !bok || a == noValue || b == noValue {
			return false, false
		}
		return as == bs, true
	case "Fn::Not":
		if arg == nil || arg.kind != 'l' || len(arg.kids) != 1 {
			return false, false
		}
		v, ok := e.cond(arg.kids[0])
		return !v, ok
	case "Fn::And", "Fn::Or":
		if arg == nil || arg.kind != 'l' {
			return false, false
		}
		known := true
		for _, k := range arg.kids {
			v, ok := e.cond(k)
			if !ok {
				known = false
				continue
			}
			if fn == "Fn::And" && !v {
				return false, true
			}
			if fn == "Fn::Or" && v {
				return true, true
			}
		}
		return fn == "Fn::And", known
	}
	return false, false
}

// resolve returns n with what can be known resolved; noValue for
// Ref AWS::NoValue; nil never.
func (e *eval) resolve(n *nd) *nd {
	if n == nil {
		return nil
	}
	if e.steps++; e.steps > maxSteps {
		return n
	}
	if fn, arg := n.intrinsic(); fn != "" {
		if r := e.function(n, fn, arg); r != nil {
			return r
		}
	}
	switch n.kind {
	case 'm':
		out := &nd{kind: 'm', line: n.line, end: n.end}
		for i, k := range n.keys {
			v := e.resolve(n.kids[i])
			if v == noValue {
				continue
			}
			out.keys, out.keyLines, out.kids = append(out.keys, k), append(out.keyLines, n.keyLines[i]), append(out.kids, v)
		}
		return out
	case 'l':
		out := &nd{kind: 'l', line: n.line, end: n.end}
		for _, k := range n.kids {
			if v := e.resolve(k); v != noValue {
				out.kids = append(out.kids, v)
			}
		}
		return out
	}
	return n
}

// function resolves an intrinsic; nil when it cannot be (its arguments
// are then resolved as a mapping's values).
func (e *eval) function(n *nd, fn string, arg *nd) *nd {
	at := func(v any) *nd { return &nd{kind: 's', v: v, line: n.line, end: n.end} }
	switch fn {
	case "Ref":
		name, ok := arg.str()
		if !ok {
			return nil
		}
		if name == "AWS::NoValue" {
			return noValue
		}
		// Defaults are literal: one that is not (a mapping) stays unknown.
		if def, ok := e.params[name]; ok && def.kind != 'm' {
			return relined(def, n.line)
		}
	case "Fn::If":
		if arg == nil || arg.kind != 'l' || len(arg.kids) != 3 {
			return nil
		}
		name, ok := arg.kids[0].str()
		if !ok {
			return nil
		}
		if v, ok := e.condition(name); ok {
			if v {
				return e.resolve(arg.kids[1])
			}
			return e.resolve(arg.kids[2])
		}
	case "Fn::Sub":
		var text string
		vars := map[string]*nd{}
		switch {
		case arg != nil && arg.kind == 's':
			text, _ = arg.str()
		case arg != nil && arg.kind == 'l' && len(arg.kids) == 2 && arg.kids[0].kind == 's' && arg.kids[1].kind == 'm':
			text, _ = arg.kids[0].str()
			for i, k := range arg.kids[1].keys {
				vars[k] = arg.kids[1].kids[i]
			}
		default:
			return nil
		}
		if s, ok := e.sub(text, vars); ok {
			return at(s)
		}
	case "Fn::Join":
		if arg == nil || arg.kind != 'l' || len(arg.kids) != 2 {
			return nil
		}
		sep, ok := arg.kids[0].str()
		list := e.resolve(arg.kids[1])
		if !ok || list.kind != 'l' {
			return nil
		}
		parts := make([]string, 0, len(list.kids))
		for _, k := range list.kids {
			s, ok := k.str()
			if !ok {
				return nil
			}
			parts = append(parts, s)
		}
		return at(strings.Join(parts, sep))
	case "Fn::Select":
		if arg == nil || arg.kind != 'l' || len(arg.kids) != 2 {
			return nil
		}
		is, ok := e.resolve(arg.kids[0]).str()
		list := e.resolve(arg.kids[1])
		i, err := strconv.Atoi(is)
		if !ok || err != nil || list.kind != 'l' || i < 0 || i >= len(list.kids) {
			return nil
		}
		return relined(list.kids[i], n.line)
	case "Fn::FindInMap":
		if arg == nil || arg.kind != 'l' || len(arg.kids) < 3 {
			return nil
		}
		cur := e.mappings
		for _, k := range arg.kids[:3] {
			s, ok := e.resolve(k).str()
			if !ok {
				return nil
			}
			if cur = cur.get(s); cur == nil {
				return nil
			}
		}
		if cur.kind == 'm' {
			return nil
		}
		return relined(cur, n.line)
	case "Fn::Split":
		if arg == nil || arg.kind != 'l' || len(arg.kids) != 2 {
			return nil
		}
		sep, ok1 := arg.kids[0].str()
		s, ok2 := e.resolve(arg.kids[1]).str()
		if !ok1 || !ok2 || sep == "" || e.resolve(arg.kids[1]).kind != 's' {
			return nil
		}
		out := &nd{kind: 'l', line: n.line, end: n.end}
		for _, p := range strings.Split(s, sep) {
			out.kids = append(out.kids, at(p))
		}
		return out
	}
	return nil
}

var subVar = regexp.MustCompile(`\$\{([^}]*)\}`)

// sub substitutes ${Name} in a Fn::Sub text; ok false when a name is not
// known (a resource's attribute, a parameter without a default).
func (e *eval) sub(text string, vars map[string]*nd) (string, bool) {
	known := true
	out := subVar.ReplaceAllStringFunc(text, func(m string) string {
		name := strings.TrimSpace(m[2 : len(m)-1])
		if strings.HasPrefix(name, "!") {
			return "${" + name[1:] + "}"
		}
		var v *nd
		if x, ok := vars[name]; ok {
			v = e.resolve(x)
		} else if def, ok := e.params[name]; ok {
			v = def
		}
		s, ok := v.str()
		if v == nil || !ok || v == noValue {
			known = false
			return m
		}
		return s
	})
	return out, known
}
