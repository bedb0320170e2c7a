package packagelock

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzScanner checks that the scanner accepts exactly the JSON that
// encoding/json accepts.
func FuzzScanner(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{`-0.5e+3`, `"\u00e9\n"`, `[1, 2,]`, `{"a":01}`, `[true,false,null]`, `"\ud800"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := scanner{data: data, line: 1}
		err := s.skip(0)
		if s.ws(); err == nil && s.pos < len(s.data) {
			err = s.errorf("trailing data")
		}
		if got, want := err == nil, json.Valid(data); got != want {
			t.Fatalf("scanner accepts %q: %v (%v), encoding/json: %v", data, got, err, want)
		}
	})
}

func TestScannerStrings(t *testing.T) {
	for in, want := range map[string]string{
		`"plain"`:                  "plain",
		`"a\"b"`:                   `a"b`,
		`"\u0041\/\\"`:             `A/\`,
		`"caf\u00e9 \ud83d\ude00"`: "café 😀",
	} {
		s := scanner{data: []byte(in), line: 1}
		got, err := s.stringValue()
		if err != nil || got != want {
			t.Errorf("stringValue(%s) = %q, %v; want %q", in, got, err, want)
		}
	}
}
