// Package license identifies licenses and judges them against a policy:
// license texts classified with github.com/google/licenseclassifier/v2,
// declared names brought to SPDX identifiers, and SPDX expressions
// evaluated against allowed and denied licenses with
// github.com/github/go-spdx/v2 ("MIT OR GPL-3.0-only" passes an allow-list
// with MIT; "Apache-2.0 AND GPL-3.0-only" does not).
package license

import (
	"bytes"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"

	classifier "github.com/google/licenseclassifier/v2"
	"github.com/google/licenseclassifier/v2/assets"
)

// MaxFile bounds a license file classified.
const MaxFile = 1 << 20

// common are the licenses the first classifier knows, with the names of
// their texts in the classifier's assets: most packages use one of them,
// and loading every license text the classifier has costs seconds, so the
// full set is loaded only for a text none of these match. (The assets
// package lists no directories; TestCommonVariants checks these names.)
var common = map[string][]string{
	"MIT":                {"a.txt", "dec.txt", "pristine.txt", "xfig.txt"},
	"Apache-2.0":         {"a.txt", "b.txt", "beri.txt", "no-header.txt", "pristine.txt"},
	"BSD-2-Clause":       {"license.txt", "pristine.txt", "tcpdump.txt"},
	"BSD-3-Clause":       {"JDOM.txt", "a.txt", "juniper.txt", "libcap.txt", "libcap2.txt", "libpcap.txt", "mtk_pcap.txt", "pristine.txt", "sun.txt"},
	"ISC":                {"license.txt", "pristine.txt"},
	"MPL-2.0":            {"license.txt", "pristine.txt"},
	"MPL-1.1":            {"license.txt"},
	"GPL-2.0":            {"a.txt", "license.txt"},
	"GPL-3.0":            {"license.txt"},
	"LGPL-2.0":           {"a.txt", "license.txt"},
	"LGPL-2.1":           {"a.txt", "license.txt", "pristine.txt"},
	"LGPL-3.0":           {"license.txt", "pristine.txt"},
	"AGPL-3.0":           {"license.txt"},
	"Unlicense":          {"license.txt"},
	"CC0-1.0":            {"license.txt"},
	"BSL-1.0":            {"license.txt", "pristine.txt"},
	"EPL-1.0":            {"license.txt"},
	"EPL-2.0":            {"license.txt"},
	"Zlib":               {"license.txt", "pristine.txt", "roelofs.txt"},
	"Python-2.0":         {"license.txt"},
	"PostgreSQL":         {"license.txt"},
	"WTFPL":              {"license.txt", "v2.txt"},
	"Artistic-2.0":       {"license.txt"},
	"CDDL-1.0":           {"license.txt"},
	"CDDL-1.1":           {"license.txt"},
	"Unicode-DFS-2016":   {"a.txt", "license.txt"},
	"BSD-3-Clause-Clear": {"license.txt", "pristine.txt"},
	"X11":                {"license.txt"},
	"OpenSSL":            {"a.txt", "license.txt"},
	"CC-BY-4.0":          {"license.txt"},
	"CC-BY-SA-4.0":       {"license.txt"},
	"MS-PL":              {"license.txt"},
	"NCSA":               {"license.txt"},
	"OFL-1.1":            {"license.txt"},
	"BSD-4-Clause":       {"kitware.txt", "license.txt", "pristine.txt", "vovida.txt"},
}

// threshold is the classifier's confidence for a match.
const threshold = 0.8

var (
	commonClassifier = sync.OnceValues(func() (*classifier.Classifier, error) { return load(common) })
	fullClassifier   = sync.OnceValues(func() (*classifier.Classifier, error) { return assets.DefaultClassifier() })
)

// load builds a classifier of the named licenses' texts.
func load(names map[string][]string) (*classifier.Classifier, error) {
	c := classifier.NewClassifier(threshold)
	for n, variants := range names {
		for _, v := range variants {
			b, err := assets.ReadLicenseFile("License/" + n + "/" + v)
			if err != nil {
				return nil, fmt.Errorf("license: classifier text %s/%s: %w", n, v, err)
			}
			c.AddContent("License", n, v, b)
		}
	}
	return c, nil
}

// licenseLike is text worth the full classifier's time.
var licenseLike = regexp.MustCompile(`(?i)licen[cs]e|copyright|permission|warranty`)

// Classification is what a license text was found to be.
type Classification struct {
	// Expression is the SPDX expression of the licenses found (several
	// licenses in one file are all granted: joined with AND); empty when
	// none was recognised.
	Expression string
	// Confidence is the lowest confidence of the matches, 0 to 1.
	Confidence float64
}

// Classify recognises the licenses in a license file's text. Binary and
// oversized files are an error naming why.
func Classify(text []byte) (Classification, error) {
	if len(text) > MaxFile {
		return Classification{}, fmt.Errorf("%d bytes, more than the %d a license file may have", len(text), MaxFile)
	}
	if bytes.IndexByte(text, 0) >= 0 {
		return Classification{}, fmt.Errorf("a binary file, not a license text")
	}
	c, err := commonClassifier()
	if err != nil {
		return Classification{}, err
	}
	res := classify(c, text)
	if res.Expression == "" && licenseLike.Match(text) {
		full, err := fullClassifier()
		if err != nil {
			return Classification{}, err
		}
		res = classify(full, text)
	}
	return res, nil
}

func classify(c *classifier.Classifier, text []byte) Classification {
	r := c.Match(text)
	ids := map[string]bool{}
	conf := 1.0
	for _, m := range r.Matches {
		if m.MatchType != "License" || m.Confidence < threshold {
			continue
		}
		ids[SPDX(m.Name)] = true
		conf = min(conf, m.Confidence)
	}
	if len(ids) == 0 {
		return Classification{}
	}
	list := make([]string, 0, len(ids))
	for id := range ids {
		list = append(list, id)
	}
	sort.Strings(list)
	return Classification{Expression: strings.Join(list, " AND "), Confidence: conf}
}

// SPDX returns the SPDX identifier of a classifier license name: the
// classifier names GPL texts by version only ("GPL-2.0"), which SPDX reads
// as -only; the text alone cannot say "or later".
func SPDX(name string) string {
	switch name {
	case "GPL-1.0", "GPL-2.0", "GPL-3.0", "LGPL-2.0", "LGPL-2.1", "LGPL-3.0", "AGPL-1.0", "AGPL-3.0", "GFDL-1.1", "GFDL-1.2", "GFDL-1.3":
		return name + "-only"
	}
	return name
}
