package bundle

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/airlock-sec/airlock/internal/iac"
	"github.com/airlock-sec/airlock/internal/iac/policies"
)

// iacPoliciesFormat is the version of an iac-policies member's JSON.
const iacPoliciesFormat = 1

// iacPoliciesDoc is an iac-policies member: Rego files by their path
// relative to the directory they were packed from.
type iacPoliciesDoc struct {
	Format int          `json:"format"`
	Files  []policyFile `json:"files"`
}

type policyFile struct {
	Name string `json:"name"`
	Text string `json:"text"`
}

// isPolicyDir reports whether the input directory holds Rego files: an
// IaC policy directory rather than a directory of OSV records.
func isPolicyDir(dir string) bool {
	found := false
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".rego") {
			found = true
			return filepath.SkipAll
		}
		return nil
	})
	return found
}

// iacMember packs a directory of Rego policies, after checking that they
// compile with the embedded libraries exactly as a scan will compile them.
func iacMember(ctx context.Context, in, work string, i int, base *baseData) (*Built, string, error) {
	srcs, err := iac.LoadDir(in)
	if err != nil {
		return nil, "", fmt.Errorf("bundle: input %w", err)
	}
	var files []policyFile
	var newest time.Time
	for _, s := range srcs {
		rel, err := filepath.Rel(in, s.Name)
		if err != nil {
			return nil, "", fmt.Errorf("bundle: input %w", err)
		}
		files = append(files, policyFile{Name: filepath.ToSlash(rel), Text: s.Text})
		if st, err := os.Stat(s.Name); err == nil && st.ModTime().After(newest) {
			newest = st.ModTime()
		}
	}
	raw, err := json.Marshal(iacPoliciesDoc{Format: iacPoliciesFormat, Files: files})
	if err != nil {
		return nil, "", fmt.Errorf("bundle: %w", err)
	}
	set, err := compileIaC(ctx, raw, in)
	if err != nil {
		return nil, "", fmt.Errorf("bundle: input %w", err)
	}
	return dataMember(work, i, base, Member{Name: memberPrefix + "iac-policies.json", Kind: KindIaCPolicies,
		Records: len(set.Policies), From: in, SourceDate: newest.UTC().Truncate(time.Second)}, raw)
}

// CompileIaCPolicies compiles the IaC policies a bundle carried (an
// iac-policies payload), with the embedded libraries they may import.
// name says where they came from in errors.
func CompileIaCPolicies(ctx context.Context, data []byte, name string) (*iac.Set, error) {
	return compileIaC(ctx, data, name)
}

func compileIaC(ctx context.Context, data []byte, name string) (*iac.Set, error) {
	var doc iacPoliciesDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: IaC policies: %v", name, err)
	}
	if doc.Format != iacPoliciesFormat {
		return nil, fmt.Errorf("%s: IaC policies: format %d, this airlock reads %d", name, doc.Format, iacPoliciesFormat)
	}
	if len(doc.Files) == 0 {
		return nil, fmt.Errorf("%s: IaC policies: no files", name)
	}
	var srcs []iac.Source
	for i, f := range doc.Files {
		if f.Name == "" || strings.HasPrefix(f.Name, "policies/lib/") {
			return nil, fmt.Errorf("%s: IaC policies: files[%d].name %q is empty or the name of an embedded library", name, i, f.Name)
		}
		srcs = append(srcs, iac.Source{Name: name + ":" + f.Name, Text: f.Text})
	}
	libs, err := policies.Libraries()
	if err != nil {
		return nil, err
	}
	set, err := iac.Compile(ctx, append(srcs, libs...), false)
	if err != nil {
		return nil, err
	}
	if len(set.Policies) == 0 {
		return nil, fmt.Errorf("%s: IaC policies: the files hold libraries only, no policy", name)
	}
	// They run beside the embedded policies: an id of theirs would report
	// one misconfiguration twice under one rule.
	builtin, err := policies.Builtin()
	if err != nil {
		return nil, err
	}
	ids := map[string]bool{}
	for _, p := range builtin.Policies {
		ids[p.ID] = true
	}
	for _, p := range set.Policies {
		if ids[p.ID] {
			return nil, fmt.Errorf("%s: IaC policy %s: id %s is an embedded policy's; give the site's policies ids of their own", name, p.File, p.ID)
		}
	}
	return set, nil
}
