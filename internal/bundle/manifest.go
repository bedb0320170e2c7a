// Package bundle reads and writes airlock's signed offline data bundles:
// one file that carries OSV archives (vulnerabilities and malicious
// packages) and secret rules into an air-gapped network, with a manifest
// signed with Ed25519 that lists every member's sha256 and size.
//
// A bundle is a zip archive: manifest.json (the signed bytes),
// manifest.sig (the signature and the id of the key that made it), then
// the members under members/. Nothing is read from a member before the
// manifest's signature is checked against the site's trusted keys, and no
// member is used before its content matches the manifest's digest.
package bundle

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// FormatVersion is the layout this airlock writes and reads.
const FormatVersion = 1

// Entry names inside a bundle.
const (
	ManifestName  = "manifest.json"
	SignatureName = "manifest.sig"
	memberPrefix  = "members/"
)

// Limits on what Open accepts.
const (
	MaxManifestSize  = 8 << 20
	MaxSignatureSize = 64 << 10
	// MaxMemberSize bounds one member: the largest OSV export (npm's) is
	// under 1 GiB.
	MaxMemberSize = 4 << 30
	// MaxMembers bounds the member list.
	MaxMembers = 10000
)

// Kind is what a member holds and so where an import puts it.
type Kind string

// Member kinds.
const (
	// KindOSV is an archive of OSV records (an ecosystem's all.zip, a
	// malicious-package set), imported into the vulnerability database.
	KindOSV Kind = "osv"
	// KindSecretRules is a gitleaks TOML rule set that replaces the
	// embedded secret rules for scans that name no rules of their own.
	KindSecretRules Kind = "secret-rules"
	// KindIaCPolicies is a set of Rego IaC policies, run beside the
	// embedded ones (one JSON file of the policies' sources).
	KindIaCPolicies Kind = "iac-policies"
	// KindLicenseNames is the site's table of license names to SPDX
	// expressions, consulted before the embedded one.
	KindLicenseNames Kind = "license-names"
)

// Manifest is the signed description of a bundle.
type Manifest struct {
	FormatVersion int       `json:"format_version"`
	Created       time.Time `json:"created"`
	// Source names who made the bundle and from what ("osv.dev via
	// secteam"); a site refuses a bundle older than the one already
	// applied from the same signer and source.
	Source string `json:"source"`
	// Base is the bundle an incremental bundle applies on top of.
	Base    *Base    `json:"base,omitempty"`
	Members []Member `json:"members"`
}

// Base identifies the bundle an incremental one was built against.
type Base struct {
	ID      string    `json:"id"`
	Created time.Time `json:"created"`
}

// Member is one file of a bundle.
type Member struct {
	// Name is the entry's name in the bundle (members/...).
	Name   string `json:"name"`
	Kind   Kind   `json:"kind"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	// Origin is the vulnerability database source an OSV member's records
	// belong to ("osv/PyPI/all.zip").
	Origin    string `json:"origin,omitempty"`
	Ecosystem string `json:"ecosystem,omitempty"`
	// Records counts the OSV records (rules, for secret rules).
	Records int `json:"records"`
	// Merge says the records add to the origin's instead of replacing
	// them: an incremental member, or a directory of records.
	Merge bool `json:"merge,omitempty"`
	// From is where the builder read the member; SourceDate the newest
	// record's date (the file's time for other kinds).
	From       string    `json:"from"`
	SourceDate time.Time `json:"source_date"`
}

// ParseManifest decodes and checks a manifest.
func ParseManifest(b []byte) (*Manifest, error) {
	var head struct {
		FormatVersion *int `json:"format_version"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, fmt.Errorf("%s: not JSON: %v", ManifestName, err)
	}
	switch {
	case head.FormatVersion == nil:
		return nil, fmt.Errorf("%s: field format_version is missing", ManifestName)
	case *head.FormatVersion != FormatVersion:
		return nil, fmt.Errorf("%s: format_version %d: this airlock reads format %d (a newer bundle needs a newer airlock)", ManifestName, *head.FormatVersion, FormatVersion)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%s: %v", ManifestName, err)
	}
	if err := m.check(); err != nil {
		return nil, err
	}
	return &m, nil
}

func (m *Manifest) check() error {
	bad := func(field, format string, a ...any) error {
		return fmt.Errorf("%s: field %s: %s", ManifestName, field, fmt.Sprintf(format, a...))
	}
	if m.Created.IsZero() {
		return bad("created", "missing")
	}
	if strings.TrimSpace(m.Source) == "" {
		return bad("source", "missing")
	}
	if m.Base != nil && !isDigest(m.Base.ID) {
		return bad("base.id", "%q is not a sha256 in hex", m.Base.ID)
	}
	if len(m.Members) > MaxMembers {
		return bad("members", "%d members, over the limit of %d", len(m.Members), MaxMembers)
	}
	seen := map[string]bool{}
	origins := map[string]bool{}
	for i, mb := range m.Members {
		f := func(name string) string { return fmt.Sprintf("members[%d].%s", i, name) }
		if reason := unsafeName(mb.Name); reason != "" {
			return bad(f("name"), "%q: %s", mb.Name, reason)
		}
		if !strings.HasPrefix(mb.Name, memberPrefix) || len(mb.Name) == len(memberPrefix) {
			return bad(f("name"), "%q is not under %s", mb.Name, memberPrefix)
		}
		if seen[mb.Name] {
			return bad(f("name"), "%q is listed twice", mb.Name)
		}
		seen[mb.Name] = true
		if !isDigest(mb.SHA256) {
			return bad(f("sha256"), "%q is not a sha256 in hex", mb.SHA256)
		}
		if mb.Size < 0 || mb.Size > MaxMemberSize {
			return bad(f("size"), "%d is outside 0..%d", mb.Size, int64(MaxMemberSize))
		}
		switch mb.Kind {
		case KindOSV:
			if mb.Origin == "" {
				return bad(f("origin"), "missing for an osv member")
			}
			if origins[mb.Origin] {
				return bad(f("origin"), "%q is given to two members", mb.Origin)
			}
			origins[mb.Origin] = true
		case KindSecretRules, KindIaCPolicies, KindLicenseNames:
			if origins[string(mb.Kind)] {
				return bad(f("kind"), "a bundle carries one %s", onePer[mb.Kind])
			}
			origins[string(mb.Kind)] = true
		default:
			return bad(f("kind"), "unknown kind %q (this airlock reads %s, %s, %s, %s)", mb.Kind, KindOSV, KindSecretRules, KindIaCPolicies, KindLicenseNames)
		}
	}
	return nil
}

// onePer names, for the kinds a bundle carries one of, what that one is.
var onePer = map[Kind]string{KindSecretRules: "secret rule set", KindIaCPolicies: "set of IaC policies", KindLicenseNames: "license table"}

func isDigest(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}

// unsafeName explains why an entry name is refused (zip-slip and
// ambiguous names), or returns "".
func unsafeName(name string) string {
	switch {
	case name == "":
		return "empty name"
	case strings.HasPrefix(name, "/") || strings.Contains(name, `\`) || strings.Contains(name, ":"):
		return "absolute or non-portable path"
	case strings.ContainsAny(name, "\x00\r\n"):
		return "control character in name"
	}
	for _, seg := range strings.Split(name, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "path with an empty, . or .. segment"
		}
	}
	return ""
}

// signature is manifest.sig.
type signature struct {
	Algorithm string `json:"algorithm"`
	KeyID     string `json:"key_id"`
	Signature []byte `json:"signature"`
}
