// Package policies holds airlock's own IaC policies: one Rego v1 file per
// check under <input>/<id>.rego, embedded in the binary and compiled once
// per process, each with a bad and a good fixture beside it
// (<id>.bad.<ext>, <id>.good.<ext>) that the package's test evaluates.
package policies

import (
	"context"
	"embed"
	"io/fs"
	"strings"
	"sync"

	"github.com/airlock-sec/airlock/internal/iac"
)

//go:embed */*.rego
var files embed.FS

// Sources returns the embedded policies' text, in path order.
func Sources() ([]iac.Source, error) {
	var out []iac.Source
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		out = append(out, iac.Source{Name: "policies/" + p, Text: string(b)})
		return nil
	})
	return out, err
}

// Libraries returns the embedded helper modules (package lib.*), which
// the user's own policies may import: compile them with the user's.
func Libraries() ([]iac.Source, error) {
	srcs, err := Sources()
	var out []iac.Source
	for _, s := range srcs {
		if strings.HasPrefix(s.Name, "policies/lib/") {
			out = append(out, s)
		}
	}
	return out, err
}

// builtin compiles the embedded policies once per process.
var builtin = sync.OnceValues(func() (*iac.Set, error) {
	srcs, err := Sources()
	if err != nil {
		return nil, err
	}
	return iac.Compile(context.Background(), srcs, false)
})

// Builtin returns the embedded policies, compiled on first use.
func Builtin() (*iac.Set, error) { return builtin() }
