package license

import (
	"fmt"
	"sort"
	"strings"

	"github.com/github/go-spdx/v2/spdxexp"
	"go.yaml.in/yaml/v3"

	"github.com/airlock-sec/airlock/internal/finding"
	"github.com/airlock-sec/airlock/internal/inventory"
)

// Policy is a license policy: the "licenses:" section of .airlock.yaml or
// of the server's (or the CLI user's) configuration file.
type Policy struct {
	// Source names the file, for messages.
	Source string
	// Allow, when not empty, lists the only licenses allowed (SPDX ids, or
	// "ID WITH EXCEPTION"); Deny lists licenses never allowed.
	Allow, Deny []string
	// Severity of a denied license (default high); Unknown of a package
	// whose license is unknown or not an SPDX expression (default low).
	Severity, Unknown finding.Severity
	// Exceptions are packages exempt from the policy.
	Exceptions []Exception
}

// Exception exempts a package (every version, or those whose license is
// License) from the policy.
type Exception struct {
	Package string `yaml:"package"`
	// Ecosystem limits the exception to one ecosystem; empty for any.
	Ecosystem string `yaml:"ecosystem"`
	// License limits it to one declared license expression.
	License string `yaml:"license"`
	Reason  string `yaml:"reason"`
	Line    int    `yaml:"-"`
}

// ParsePolicy reads a licenses section. Errors name the file, the line and
// the field; every listed id must be an SPDX license (or an exception
// form) so that a typo cannot pass everything.
func ParsePolicy(source string, n *yaml.Node) (*Policy, error) {
	if n == nil || n.Kind == 0 {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: field \"licenses\" must be a mapping (allow, deny, severity, unknown, exceptions)", source, n.Line)
	}
	p := &Policy{Source: source, Severity: finding.High, Unknown: finding.Low}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		var err error
		switch k.Value {
		case "allow":
			p.Allow, err = idList(v)
		case "deny":
			p.Deny, err = idList(v)
		case "severity":
			p.Severity, err = severity(v.Value)
		case "unknown":
			p.Unknown, err = severity(v.Value)
		case "exceptions":
			if err = v.Decode(&p.Exceptions); err == nil {
				for j := range p.Exceptions {
					e := &p.Exceptions[j]
					e.Line = v.Content[j].Line
					if strings.TrimSpace(e.Package) == "" || strings.TrimSpace(e.Reason) == "" {
						return nil, fmt.Errorf("%s:%d: licenses.exceptions[%d]: fields \"package\" and \"reason\" are required", source, e.Line, j)
					}
				}
			}
		default:
			err = fmt.Errorf("unknown field (known: allow, deny, severity, unknown, exceptions)")
		}
		if err != nil {
			return nil, fmt.Errorf("%s:%d: licenses.%s: %v", source, v.Line, k.Value, err)
		}
	}
	if len(p.Allow) == 0 && len(p.Deny) == 0 {
		return nil, fmt.Errorf("%s:%d: licenses: give allow or deny (or both)", source, n.Line)
	}
	return p, nil
}

func idList(n *yaml.Node) ([]string, error) {
	var ids []string
	if err := n.Decode(&ids); err != nil {
		return nil, fmt.Errorf("must be a list of SPDX license ids")
	}
	for _, id := range ids {
		got, err := spdxexp.ExtractLicenses(id)
		if err != nil || len(got) != 1 {
			return nil, fmt.Errorf("%q is not one SPDX license id (or \"ID WITH EXCEPTION\")", id)
		}
	}
	return ids, nil
}

func severity(s string) (finding.Severity, error) {
	sev, ok := finding.ParseSeverity(s)
	if !ok || sev == finding.Unknown {
		return "", fmt.Errorf("%q is not a severity (critical, high, medium, low, info)", s)
	}
	return sev, nil
}

// Verdict is a policy's judgement of one expression.
type Verdict struct {
	// Allowed is true when the expression can be satisfied with allowed
	// licenses only.
	Allowed bool
	// Needs lists, when not allowed, the licenses of the expression that
	// the policy does not allow.
	Needs []string
}

// Check judges an SPDX expression: allowed when some choice of its
// alternatives uses only licenses that are allowed (in Allow, when given)
// and not denied. An expression that does not parse is an error naming it.
func (p *Policy) Check(expr string) (Verdict, error) {
	ids, err := spdxexp.ExtractLicenses(expr)
	if err != nil {
		return Verdict{}, fmt.Errorf("%q is not an SPDX expression: %v", expr, err)
	}
	denied := func(id string) bool {
		for _, d := range p.Deny {
			if strings.EqualFold(d, id) || strings.EqualFold(strings.TrimSuffix(id, "+"), d) {
				return true
			}
		}
		if len(p.Allow) == 0 {
			return false
		}
		for _, a := range p.Allow {
			if strings.EqualFold(a, id) {
				return false
			}
		}
		return true
	}
	var ok, bad []string
	for _, id := range ids {
		if denied(id) {
			bad = append(bad, id)
		} else {
			ok = append(ok, id)
		}
	}
	sort.Strings(bad)
	if len(bad) == 0 {
		return Verdict{Allowed: true}, nil
	}
	if len(ok) == 0 {
		return Verdict{Needs: bad}, nil
	}
	sat, err := spdxexp.Satisfies(expr, ok)
	if err != nil {
		return Verdict{}, fmt.Errorf("%q: %v", expr, err)
	}
	if sat {
		return Verdict{Allowed: true}, nil
	}
	return Verdict{Needs: bad}, nil
}

// Exempt returns the exception that covers a package with a declared
// license, if any.
func (p *Policy) Exempt(pkg inventory.Package, expr string) (Exception, bool) {
	if p == nil {
		return Exception{}, false
	}
	for _, e := range p.Exceptions {
		if e.Ecosystem != "" && !strings.EqualFold(e.Ecosystem, pkg.Ecosystem) {
			continue
		}
		if inventory.NormalizeName(pkg.Ecosystem, e.Package) != inventory.NormalizeName(pkg.Ecosystem, pkg.Name) {
			continue
		}
		if e.License != "" && !strings.EqualFold(strings.TrimSpace(e.License), strings.TrimSpace(expr)) {
			continue
		}
		return e, true
	}
	return Exception{}, false
}
