package registry

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Every response parser is fuzzed: any input gives a result or an error,
// never a panic. Seeds are the files of testdata/.

func seeds(f *testing.F, pattern string) {
	files, _ := filepath.Glob(filepath.Join("testdata", pattern))
	if len(files) == 0 {
		f.Fatalf("no seeds match testdata/%s", pattern)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func FuzzParsePackument(f *testing.F) {
	seeds(f, "npm-*.json")
	f.Fuzz(func(t *testing.T, b []byte) { ParsePackument(b) })
}

func FuzzParseDependencies(f *testing.F) {
	seeds(f, "npm-*.json")
	f.Fuzz(func(t *testing.T, b []byte) { ParseDependencies(b) })
}

func FuzzParseSimpleHashes(f *testing.F) {
	seeds(f, "pypi-simple*.json")
	f.Fuzz(func(t *testing.T, b []byte) { ParseSimpleHashes(b) })
}

func FuzzParseSimple(f *testing.F) {
	seeds(f, "pypi-simple*.json")
	f.Fuzz(func(t *testing.T, b []byte) { ParseSimple(b) })
}

func FuzzParsePyPIJSON(f *testing.F) {
	seeds(f, "pypi-json*.json")
	f.Fuzz(func(t *testing.T, b []byte) { ParsePyPIJSON(b) })
}

func FuzzParseMavenMetadata(f *testing.F) {
	seeds(f, "maven-metadata*.xml")
	f.Fuzz(func(t *testing.T, b []byte) { ParseMavenMetadata(b) })
}

func FuzzParsePOM(f *testing.F) {
	seeds(f, "maven-pom*.xml")
	f.Fuzz(func(t *testing.T, b []byte) { ParsePOM(b) })
}

func FuzzParseCrateIndex(f *testing.F) {
	seeds(f, "crates-index*")
	f.Fuzz(func(t *testing.T, b []byte) { ParseCrateIndex(b) })
}

func FuzzParseGemVersions(f *testing.F) {
	seeds(f, "rubygems-*.json")
	f.Fuzz(func(t *testing.T, b []byte) { ParseGemVersions(b) })
}

func FuzzParseComposerP2(f *testing.F) {
	seeds(f, "packagist-*.json")
	f.Fuzz(func(t *testing.T, b []byte) {
		ParseComposerP2(b, "monolog/monolog")
		ParseComposerP2(b, "swiftmailer/swiftmailer")
	})
}

func FuzzParseGoMod(f *testing.F) {
	seeds(f, "go-*.mod")
	f.Fuzz(func(t *testing.T, b []byte) { ParseGoMod(b) })
}

func FuzzParseRequires(f *testing.F) {
	seeds(f, "go-*.mod")
	f.Fuzz(func(t *testing.T, b []byte) { ParseRequires(b) })
}

func FuzzGoList(f *testing.F) {
	seeds(f, "go-list*.txt")
	f.Fuzz(func(t *testing.T, b []byte) { trimList(b) })
}

func FuzzZipLicenseFiles(f *testing.F) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range []string{"example.com/m@v1.0.0/LICENSE", "example.com/m@v1.0.0/sub/LICENSE", "example.com/m@v1.0.0/go.mod"} {
		w, _ := zw.Create(name)
		w.Write([]byte("MIT License\n"))
	}
	zw.Close()
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		files, err := ZipLicenseFiles(b)
		if err == nil && bytes.Equal(b, buf.Bytes()) && (len(files) != 1 || files["LICENSE"] == nil) {
			t.Errorf("root license files %v, want LICENSE only", files)
		}
	})
}

// FuzzDecodePackage: the cache's line format reads back what it wrote,
// and any cache file gives a package or an error.
func FuzzDecodePackage(f *testing.F) {
	seeds(f, "npm-*.json")
	f.Fuzz(func(t *testing.T, b []byte) {
		decodePackage(b)
		p, err := ParsePackument(b)
		if err != nil {
			return
		}
		q, err := decodePackage(encodePackage(p))
		if err != nil {
			t.Fatalf("round trip: %v", err)
		}
		for i := range p.Versions {
			p.Versions[i].Published = p.Versions[i].Published.Truncate(time.Second).UTC()
			if p.Versions[i].Published.Unix() == 0 && !p.Versions[i].Published.IsZero() {
				return // the Unix epoch itself reads back as a time, not as unknown
			}
		}
		if p.Name != q.Name || p.Latest != q.Latest || len(p.Versions) != len(q.Versions) {
			t.Fatalf("round trip: %+v != %+v", p, q)
		}
		for i := range p.Versions {
			if p.Versions[i] != q.Versions[i] {
				t.Fatalf("round trip of %+v gave %+v", p.Versions[i], q.Versions[i])
			}
		}
	})
}

// FuzzNPMRC: any .npmrc gives the mirror credentials or none, never a
// panic, and never credentials for a host the file names nowhere.
func FuzzNPMRC(f *testing.F) {
	seeds(f, "npmrc-*")
	f.Fuzz(func(t *testing.T, b []byte) {
		home := t.TempDir()
		if err := os.WriteFile(filepath.Join(home, ".npmrc"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		getenv := func(string) string { return "" }
		m := ReadNPMRC(getenv, home).Auth(Mirror{URL: "https://unnamed.example/npm/"}, getenv)
		if (m.Token != "" || m.Username != "") && !strings.Contains(string(b), "unnamed.example") {
			t.Fatalf("credentials for a host the file does not name: %+v", m)
		}
		npmRegistry(getenv, home)
	})
}
