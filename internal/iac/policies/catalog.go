package policies

import (
	"fmt"
	"strings"

	"github.com/airlock-sec/airlock/internal/iac"
)

// Catalog renders the policies of a set as the Markdown page
// docs/iac-policies.md: a table per input, then each policy in full.
func Catalog(s *iac.Set) string {
	var b strings.Builder
	b.WriteString("# IaC policies\n\n")
	b.WriteString("Generated from the policies' METADATA by `go test ./internal/iac/policies -run TestCatalog -update`; do not edit.\n")
	b.WriteString("How policies are written, and how to add your own: [iac.md](iac.md).\n\n")
	var inputs []string
	by := map[string][]*iac.Policy{}
	for _, p := range s.Policies {
		if by[p.Input] == nil {
			inputs = append(inputs, p.Input)
		}
		by[p.Input] = append(by[p.Input], p)
	}
	fmt.Fprintf(&b, "%d policies: ", len(s.Policies))
	for i, in := range inputs {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %d", in, len(by[in]))
	}
	b.WriteString(".\n")
	for _, in := range inputs {
		fmt.Fprintf(&b, "\n## %s\n\n| id | severity | title | benchmark |\n|---|---|---|---|\n", in)
		for _, p := range by[in] {
			fmt.Fprintf(&b, "| [%s](#%s) | %s | %s | %s |\n", p.ID, strings.ToLower(p.ID), p.Severity, cell(p.Title), cell(strings.Join(p.Benchmarks, "; ")))
		}
		for _, p := range by[in] {
			fmt.Fprintf(&b, "\n### %s\n\n**%s** (%s). %s\n\n", p.ID, p.Title, p.Severity, p.Description)
			if p.Remediation != "" {
				fmt.Fprintf(&b, "Remediation: %s\n\n", p.Remediation)
			}
			if len(p.Benchmarks) > 0 {
				fmt.Fprintf(&b, "Benchmark: %s\n\n", strings.Join(p.Benchmarks, "; "))
			}
			for _, r := range p.References {
				fmt.Fprintf(&b, "- <%s>\n", r)
			}
			if len(p.References) > 0 {
				b.WriteByte('\n')
			}
			fmt.Fprintf(&b, "Source: `internal/iac/%s`\n", p.File)
		}
	}
	return b.String()
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
