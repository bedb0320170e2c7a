// Package compose reads Docker Compose files into the input of the
// compose policies: the file as written (services, volumes, networks,
// secrets), aliases and merge keys expanded, every key located.
//
// The input shape (see docs/iac.md) is the Compose file itself:
//
//	{"services": {"web": {"image": "nginx:1.27", "privileged": true,
//	                      "volumes": ["/var/run/docker.sock:/var/run/docker.sock"],
//	                      "environment": {"DB_PASSWORD": "secret"}}},
//	 "volumes": {...}, "networks": {...}}
//
// Variables (${TAG}) are left as written.
package compose

import (
	"context"
	"errors"
	"fmt"
	"path"
	"regexp"

	"github.com/airlock-sec/airlock/internal/iac"
)

// Parser reads Compose files.
type Parser struct{}

// New returns the parser.
func New() *Parser { return &Parser{} }

// Name implements iac.Parser.
func (*Parser) Name() string { return "compose" }

// names are the file names docker compose reads, and their overrides.
var names = regexp.MustCompile(`^(docker-)?compose(\.[A-Za-z0-9_.-]+)?\.ya?ml$`)

// FileRequired implements iac.Parser.
func (*Parser) FileRequired(p string) bool { return names.MatchString(path.Base(p)) }

// Parse implements iac.Parser: one document per file.
func (*Parser) Parse(ctx context.Context, in *iac.Input) ([]*iac.Document, []iac.Problem) {
	return iac.ParseFiles(ctx, in, "a Compose file", func(path string, content []byte) ([]*iac.Document, error) {
		d, err := Parse(path, content)
		if d == nil {
			return nil, err
		}
		return []*iac.Document{d}, err
	})
}

// Parse reads one Compose file; nil for an empty one.
func Parse(file string, content []byte) (*iac.Document, error) {
	ys, err := iac.ParseYAML(file, content)
	if err != nil {
		return nil, err
	}
	if len(ys) == 0 {
		return nil, nil
	}
	y := ys[0]
	m, ok := y.Value.(map[string]any)
	if !ok {
		return nil, &iac.LineError{Line: y.Start, Err: fmt.Errorf("a Compose file is a mapping with services")}
	}
	if s, ok := m["services"]; ok {
		svcs, ok := s.(map[string]any)
		if !ok && s != nil {
			return nil, &iac.LineError{Line: y.Index[iac.Key("services")].Start, Err: errors.New(`field "services": a mapping of service names is expected`)}
		}
		for name := range svcs {
			k := iac.Key("services", name)
			n := y.Index[k]
			n.Resource = "service " + name
			y.Index[k] = n
		}
	}
	d := &iac.Document{Input: "compose", Path: file, Value: m, Index: y.Index}
	d.Index.Set(iac.Node{Path: file, Start: y.Start, End: y.Start})
	return d, nil
}
