package registry

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/airlock-sec/airlock/internal/inventory"
)

// Crates is a client of a crates.io sparse index (index.crates.io, or a
// mirror such as Artifactory's or a Panamax copy): one file per crate, one
// JSON line per version, with yanked flags. The index records no dates or
// licenses.
type Crates struct{ f *fetcher }

// Ecosystem implements Client.
func (*Crates) Ecosystem() string { return inventory.CratesIO }

// IndexPath returns a crate's file in the index: "1/a", "2/ab", "3/a/abc",
// "se/rd/serde" (lower case).
func IndexPath(name string) (string, error) {
	n := strings.ToLower(name)
	if n == "" || strings.Trim(n, "abcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
		return "", fmt.Errorf("crates: %q is not a crate name", name)
	}
	switch len(n) {
	case 1:
		return "1/" + n, nil
	case 2:
		return "2/" + n, nil
	case 3:
		return "3/" + n[:1] + "/" + n, nil
	}
	return n[:2] + "/" + n[2:4] + "/" + n, nil
}

// Package implements Client.
func (c *Crates) Package(ctx context.Context, name string) (*Package, error) {
	p, err := IndexPath(name)
	if err != nil {
		return nil, err
	}
	r, err := c.f.get(ctx, p, "", func(b []byte) ([]byte, error) {
		pkg, err := ParseCrateIndex(b)
		if err != nil {
			return nil, err
		}
		return encodePackage(pkg), nil
	})
	if err != nil {
		return nil, fmt.Errorf("crates %s: %w", name, err)
	}
	return decodeTrimmed(r, inventory.CratesIO, name)
}

// ParseCrateIndex reads a sparse index file: the versions with their
// yanked flags; Latest is the last version listed that is not yanked.
func ParseCrateIndex(b []byte) (*Package, error) {
	p := &Package{Ecosystem: inventory.CratesIO}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	n := 0
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var e struct {
			Name   string `json:"name"`
			Vers   string `json:"vers"`
			Yanked bool   `json:"yanked"`
			Cksum  string `json:"cksum"`
		}
		if err := json.Unmarshal(line, &e); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if e.Vers == "" {
			return nil, fmt.Errorf("line %d: field \"vers\" is missing", n)
		}
		p.Name = e.Name
		p.Versions = append(p.Versions, Version{Version: e.Vers, Yanked: e.Yanked, Checksum: e.Cksum, Prerelease: strings.Contains(e.Vers, "-")})
		if !e.Yanked && !strings.Contains(e.Vers, "-") {
			p.Latest = e.Vers
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return p, nil
}
