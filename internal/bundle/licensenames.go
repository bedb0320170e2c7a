package bundle

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/airlock-sec/airlock/internal/license"
)

// isLicenseTable reports whether the input file is a license table: a
// YAML or JSON file named *.licenses.yaml, *.licenses.yml or
// *.licenses.json (a plain .json input is an OSV record).
func isLicenseTable(in string) bool {
	base := strings.ToLower(filepath.Base(in))
	for _, suf := range []string{".licenses.yaml", ".licenses.yml", ".licenses.json"} {
		if strings.HasSuffix(base, suf) {
			return true
		}
	}
	return false
}

// licenseMember packs a license table as canonical JSON after checking
// every entry.
func licenseMember(in string, fi os.FileInfo, work string, i int, base *baseData) (*Built, string, error) {
	raw, err := os.ReadFile(in)
	if err != nil {
		return nil, "", fmt.Errorf("bundle: input %w", err)
	}
	var f license.NamesFile
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, "", fmt.Errorf("bundle: input %s: %v", in, err)
	}
	table, err := license.NewTable(in, f)
	if err != nil {
		return nil, "", fmt.Errorf("bundle: input %w", err)
	}
	data, err := json.Marshal(f)
	if err != nil {
		return nil, "", fmt.Errorf("bundle: %w", err)
	}
	return dataMember(work, i, base, Member{Name: memberPrefix + "license-names.json", Kind: KindLicenseNames,
		Records: table.Len(), From: in, SourceDate: fi.ModTime().UTC().Truncate(time.Second)}, data)
}

// LicenseTable reads a license-names payload.
func LicenseTable(data []byte, name string) (*license.Table, error) {
	var f license.NamesFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: license table: %v", name, err)
	}
	return license.NewTable(name, f)
}
