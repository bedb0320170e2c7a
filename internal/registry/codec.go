package registry

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The cache keeps a Package in a compact line format rather than JSON: a
// warm scan of 1,000 npm packages decodes every packument it kept, and
// JSON decoding was most of that scan's time. The first line is JSON
// (name, latest, deprecation); each further line is one version, its
// fields separated by tabs: version, release time (Unix seconds, empty
// when unknown), flags ("y" yanked, "p" prerelease), yank reason,
// deprecation, license, integrity, checksum. Tabs, newlines and backslashes in
// fields are escaped.

type codecHead struct {
	Name       string `json:"name,omitempty"`
	Latest     string `json:"latest,omitempty"`
	Deprecated string `json:"deprecated,omitempty"`
}

var (
	escaper   = strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\n", `\n`)
	unescaper = strings.NewReplacer(`\\`, `\`, `\t`, "\t", `\n`, "\n")
)

func esc(s string) string {
	if strings.ContainsAny(s, "\\\t\n") {
		return escaper.Replace(s)
	}
	return s
}

func unesc(s string) string {
	if strings.IndexByte(s, '\\') >= 0 {
		return unescaper.Replace(s)
	}
	return s
}

// encodePackage writes p in the cache's line format.
func encodePackage(p *Package) []byte {
	head, _ := json.Marshal(codecHead{Name: p.Name, Latest: p.Latest, Deprecated: p.Deprecated})
	var b bytes.Buffer
	b.Write(head)
	b.WriteByte('\n')
	for _, v := range p.Versions {
		b.WriteString(esc(v.Version))
		b.WriteByte('\t')
		if !v.Published.IsZero() {
			b.WriteString(strconv.FormatInt(v.Published.Unix(), 10))
		}
		b.WriteByte('\t')
		if v.Yanked {
			b.WriteByte('y')
		}
		if v.Prerelease {
			b.WriteByte('p')
		}
		for _, f := range []string{v.YankedReason, v.Deprecated, v.License, v.Integrity, v.Checksum} {
			b.WriteByte('\t')
			b.WriteString(esc(f))
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// decodePackage reads the cache's line format.
func decodePackage(b []byte) (*Package, error) {
	line, rest, _ := bytes.Cut(b, []byte{'\n'})
	var h codecHead
	if err := json.Unmarshal(line, &h); err != nil {
		return nil, fmt.Errorf("line 1: %w", err)
	}
	p := &Package{Name: h.Name, Latest: h.Latest, Deprecated: h.Deprecated, Versions: make([]Version, 0, bytes.Count(rest, []byte{'\n'}))}
	n := 1
	for len(rest) > 0 {
		n++
		line, rest, _ = bytes.Cut(rest, []byte{'\n'})
		f := strings.Split(string(line), "\t")
		if len(f) != 8 {
			return nil, fmt.Errorf("line %d: %d fields, want 8", n, len(f))
		}
		v := Version{Version: unesc(f[0]), YankedReason: unesc(f[3]), Deprecated: unesc(f[4]), License: unesc(f[5]), Integrity: unesc(f[6]), Checksum: unesc(f[7])}
		if f[1] != "" {
			sec, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				return nil, fmt.Errorf("line %d: time %q", n, f[1])
			}
			v.Published = time.Unix(sec, 0).UTC()
		}
		v.Yanked = strings.Contains(f[2], "y")
		v.Prerelease = strings.Contains(f[2], "p")
		p.Versions = append(p.Versions, v)
	}
	return p, nil
}
