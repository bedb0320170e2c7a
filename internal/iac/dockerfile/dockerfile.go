// Package dockerfile reads Dockerfiles and Containerfiles with BuildKit's
// own parser into the input of the dockerfile policies: the stages, each
// with its base image and its instructions.
//
// The input shape (see docs/iac.md):
//
//	{"global": [instruction...],            // ARGs before the first FROM
//	 "stages": [{"name": "builder",         // the AS name, or ""
//	             "from": {"image": "golang:1.22", "name": "golang", "tag": "1.22",
//	                      "digest": "", "platform": "", "stage": false},
//	             "commands": [instruction...]}]}
//	instruction: {"cmd": "run", "value": ["apt-get update"], "flags": ["--mount=type=cache"],
//	              "json": false, "original": "RUN apt-get update", "line": 3}
package dockerfile

import (
	"bytes"
	"context"
	"errors"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"github.com/airlock-sec/airlock/internal/iac"
)

// Parser reads Dockerfiles.
type Parser struct{}

// New returns the parser.
func New() *Parser { return &Parser{} }

// Name implements iac.Parser.
func (*Parser) Name() string { return "dockerfile" }

// FileRequired implements iac.Parser: Dockerfile, Containerfile, and
// names such as Dockerfile.prod, prod.Dockerfile, api.dockerfile.
func (*Parser) FileRequired(p string) bool {
	b := strings.ToLower(path.Base(p))
	for _, n := range []string{"dockerfile", "containerfile"} {
		if b == n || strings.HasPrefix(b, n+".") || strings.HasSuffix(b, "."+n) {
			return !strings.HasSuffix(b, ".dockerignore") && !strings.HasSuffix(b, ".md")
		}
	}
	return false
}

// Parse implements iac.Parser: one document per file.
func (p *Parser) Parse(ctx context.Context, in *iac.Input) ([]*iac.Document, []iac.Problem) {
	var docs []*iac.Document
	var probs []iac.Problem
	for _, f := range in.Files {
		if ctx.Err() != nil {
			break
		}
		d, err := Parse(f.Path, f.Content)
		if err != nil {
			probs = append(probs, problem(f.Path, err))
			continue
		}
		docs = append(docs, d)
	}
	return docs, probs
}

func problem(file string, err error) iac.Problem {
	line := 0
	var le *parser.LocationError
	if errors.As(err, &le) && len(le.Locations) > 0 && len(le.Locations[0]) > 0 {
		line = le.Locations[0][0].Start.Line
	}
	msg := err.Error()
	if le != nil && le.Unwrap() != nil {
		msg = le.Unwrap().Error()
	}
	return iac.Errorf(file, line, "not read as a Dockerfile: %s", msg)
}

// Parse reads one Dockerfile.
func Parse(file string, content []byte) (doc *iac.Document, err error) {
	// The parser is not ours: whatever it does on odd input, the scan
	// goes on.
	defer func() {
		if r := recover(); r != nil {
			doc, err = nil, errors.New("the Dockerfile parser failed on this file")
		}
	}()
	res, err := parser.Parse(bytes.NewReader(content))
	if err != nil {
		return nil, err
	}
	d := &iac.Document{Input: "dockerfile", Path: file, Index: iac.Index{}}
	global := []any{}
	stages := []any{}
	args := argEnv{}
	lex := shell.NewLex(res.EscapeToken)
	var cur map[string]any
	var curCmds []any
	for _, n := range res.AST.Children {
		cmd := strings.ToLower(n.Value)
		if cmd == "from" {
			if cur != nil {
				cur["commands"] = curCmds
			}
			i := len(stages)
			cur = stage(n, stages, lex, args)
			curCmds = []any{}
			stages = append(stages, cur)
			res := "stage " + cur["name"].(string)
			if cur["name"] == "" {
				res = "stage " + strconv.Itoa(i)
			}
			d.Index.Set(iac.Node{Path: file, Start: n.StartLine, End: n.EndLine, Resource: res}, "stages", i)
			d.Index.Set(iac.Node{Path: file, Start: n.StartLine, End: n.EndLine}, "stages", i, "from")
			continue
		}
		c := instruction(n)
		if cur == nil {
			if cmd == "arg" {
				for _, kv := range c["value"].([]any) {
					k, v, ok := strings.Cut(kv.(string), "=")
					if ok {
						args[k] = strings.Trim(v, `"'`)
					} else if _, seen := args[k]; !seen {
						args[k] = ""
					}
				}
			}
			d.Index.Set(iac.Node{Path: file, Start: n.StartLine, End: n.EndLine}, "global", len(global))
			global = append(global, c)
			continue
		}
		d.Index.Set(iac.Node{Path: file, Start: n.StartLine, End: n.EndLine}, "stages", len(stages)-1, "commands", len(curCmds))
		curCmds = append(curCmds, c)
	}
	if cur != nil {
		cur["commands"] = curCmds
	}
	// A part that is not there (a missing HEALTHCHECK, USER) is reported
	// at the last stage's FROM line.
	d.Value = map[string]any{"global": global, "stages": stages}
	start := 1
	if len(stages) > 0 {
		start = d.Index[iac.Key("stages", len(stages)-1)].Start
	}
	d.Index.Set(iac.Node{Path: file, Start: start, End: start}, "stages")
	d.Index.Set(iac.Node{Path: file, Start: start, End: start})
	return d, nil
}

// varRef is a variable reference ($NAME, ${NAME}, ${NAME:-x}) in a
// FROM name after regexp.QuoteMeta.
var varRef = regexp.MustCompile(`\\\$(\\\{[^}]*\\\}|[a-z_][a-z0-9_]*)`)

// stage reads a FROM instruction.
func stage(n *parser.Node, prev []any, lex *shell.Lex, args argEnv) map[string]any {
	var words []string
	for w := n.Next; w != nil; w = w.Next {
		words = append(words, w.Value)
	}
	image, name := "", ""
	if len(words) > 0 {
		image = words[0]
	}
	if len(words) >= 3 && strings.EqualFold(words[1], "as") {
		name = strings.ToLower(words[2])
	}
	// Only a FROM whose every variable is a global ARG is expanded: the
	// others (BuildKit's automatic TARGETOS and the like, or an ARG
	// declared later) keep their "$", never a half-empty name such as
	// "binaries-" for "binaries-$TARGETOS".
	if expanded, unmatched, err := lex.ProcessWord(image, args); err == nil && expanded != "" && len(unmatched) == 0 {
		image = expanded
	}
	platform := ""
	for _, f := range n.Flags {
		if v, ok := strings.CutPrefix(f, "--platform="); ok {
			platform = v
		}
	}
	from := map[string]any{"image": image, "platform": platform, "stage": false, "name": "", "tag": "", "digest": "", "line": n.StartLine}
	lower := strings.ToLower(image)
	// A name with a variable left in it ("binaries-$TARGETOS") names an
	// earlier stage when, whatever the variable, it can be one.
	var pattern *regexp.Regexp
	if strings.Contains(lower, "$") {
		pattern = regexp.MustCompile("^" + varRef.ReplaceAllString(regexp.QuoteMeta(lower), ".*") + "$")
	}
	for _, p := range prev {
		prevName := p.(map[string]any)["name"].(string)
		if prevName != "" && (prevName == lower || pattern != nil && pattern.MatchString(prevName)) {
			from["stage"] = true
		}
	}
	if image == "scratch" {
		from["stage"] = true // no image at all: nothing to pin
	}
	ref, digest, _ := strings.Cut(image, "@")
	tag := ""
	if slash, colon := strings.LastIndex(ref, "/"), strings.LastIndex(ref, ":"); colon > slash {
		ref, tag = ref[:colon], ref[colon+1:]
	}
	from["name"], from["tag"], from["digest"] = ref, tag, digest
	return map[string]any{"name": name, "from": from, "original": n.Original, "line": n.StartLine}
}

// instruction reads one instruction other than FROM.
func instruction(n *parser.Node) map[string]any {
	value := []any{}
	for w := n.Next; w != nil; w = w.Next {
		value = append(value, w.Value)
	}
	flags := []any{}
	for _, f := range n.Flags {
		flags = append(flags, f)
	}
	heredocs := []any{}
	for _, h := range n.Heredocs {
		heredocs = append(heredocs, h.Content)
	}
	return map[string]any{
		"cmd":      strings.ToLower(n.Value),
		"value":    value,
		"flags":    flags,
		"json":     n.Attributes["json"],
		"original": n.Original,
		"heredocs": heredocs,
		"line":     n.StartLine,
	}
}

// argEnv is the global ARGs with their defaults, for FROM lines.
type argEnv map[string]string

func (a argEnv) Get(k string) (string, bool) { v, ok := a[k]; return v, ok }

func (a argEnv) Keys() []string {
	out := make([]string, 0, len(a))
	for k := range a {
		out = append(out, k)
	}
	return out
}
