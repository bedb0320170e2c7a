package secret

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	re2 "github.com/wasilibs/go-re2"
)

// gorootFiles reads the Go toolchain's source tree once, skipping binaries.
var gorootFiles = sync.OnceValues(func() ([]Fragment, error) {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return nil, err
	}
	root := filepath.Join(strings.TrimSpace(string(out)), "src")
	var frags []Fragment
	err = filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil || !e.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if IsBinary(b) {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		frags = append(frags, Fragment{Path: filepath.ToSlash(rel), Content: b, StartLine: 1})
		return nil
	})
	return frags, err
})

// BenchmarkDetectGoroot scans $(go env GOROOT)/src with the embedded default
// rules on GOMAXPROCS goroutines.
func BenchmarkDetectGoroot(b *testing.B) {
	frags, err := gorootFiles()
	if err != nil {
		b.Skip("GOROOT source not readable:", err)
	}
	var total int64
	for _, f := range frags {
		total += int64(len(f.Content))
	}
	d, err := NewDetector(DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	workers := runtime.GOMAXPROCS(0)
	var matches atomic.Int64
	b.SetBytes(total)
	b.ResetTimer()
	for range b.N {
		var next atomic.Int64
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for {
					i := int(next.Add(1)) - 1
					if i >= len(frags) {
						return
					}
					matches.Add(int64(len(d.Detect(frags[i]))))
				}
			})
		}
		wg.Wait()
	}
	b.StopTimer()
	b.ReportMetric(float64(len(frags)), "files")
	b.ReportMetric(float64(len(frags))*float64(b.N)/b.Elapsed().Seconds(), "files/s")
	b.ReportMetric(float64(matches.Load())/float64(b.N), "matches")
	if testing.Verbose() {
		st := d.Stats()
		b.Logf("regex runs per pass %d", st.RegexRuns/int64(b.N))
		for _, r := range st.Rules {
			if r.Runs > 0 {
				b.Logf("%-32s runs %6d  matches %4d", r.ID, r.Runs/int64(b.N), r.Matches/int64(b.N))
			}
		}
	}
}

// benchPatterns are gitleaks-style shapes: a generic assignment (the hot
// one: its keywords occur in most source files), an access key id and a
// private key block.
var benchPatterns = map[string]string{
	"generic": `(?i)[\w.-]{0,50}?(?:access|auth|api|credential|creds|key|passw(?:or)?d|secret|token)(?:[ \t\w.-]{0,20})[\s'"]{0,3}(?:=|>|:{1,3}=|\|\||:|=>|\?=|,)[\x60'"\s=]{0,5}([\w.=-]{10,150}|[a-z0-9][a-z0-9+/]{11,}={0,3})(?:[\x60'"\s;]|\\[nr]|$)`,
	"awskey":  `\b((?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b`,
	"pem":     `(?i)-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----[\s\S-]{64,}?KEY(?: BLOCK)?-----`,
}

// BenchmarkRegexEngine compares the standard library with go-re2 on a real
// source file, the decision DESIGN §5.5 asks to measure on each machine.
func BenchmarkRegexEngine(b *testing.B) {
	frags, err := gorootFiles()
	if err != nil {
		b.Skip("GOROOT source not readable:", err)
	}
	var input []byte
	for _, f := range frags {
		if f.Path == "net/http/server.go" {
			input = f.Content
		}
	}
	if input == nil {
		b.Skip("net/http/server.go not found")
	}
	for _, name := range []string{"generic", "awskey", "pem"} {
		p := benchPatterns[name]
		std := regexp.MustCompile(p)
		fast := re2.MustCompile(p)
		b.Run(name+"/regexp", func(b *testing.B) {
			b.SetBytes(int64(len(input)))
			for range b.N {
				std.FindAllSubmatchIndex(input, -1)
			}
		})
		b.Run(name+"/go-re2", func(b *testing.B) {
			b.SetBytes(int64(len(input)))
			for range b.N {
				fast.FindAllSubmatchIndex(input, -1)
			}
		})
	}
}

// BenchmarkDetectLongLine measures single-line inputs, where anything
// quadratic in the line's length would show: a 1 MB line of 50,000
// distinct matches (what TestBadInput checks for correctness), and a 4 MB
// minified bundle with the default rules and one key at its end, which is
// reported with its column.
func BenchmarkDetectLongLine(b *testing.B) {
	b.Run("many-matches", func(b *testing.B) {
		d := mustDetector(b, pipelineRules)
		line := manyMatchesLine(1 << 20)
		b.SetBytes(int64(len(line)))
		var n int
		for b.Loop() {
			n = len(d.Detect(Fragment{Path: "many", Content: line}))
		}
		b.ReportMetric(float64(n), "matches")
	})
	b.Run("minified-bundle", func(b *testing.B) {
		d, err := NewDetector(DefaultConfig())
		if err != nil {
			b.Fatal(err)
		}
		bundle := minifiedBundle(4 << 20)
		b.SetBytes(int64(len(bundle)))
		var ms []Match
		for b.Loop() {
			ms = d.Detect(Fragment{Path: "dist/app.min.js", Content: bundle, StartLine: 1})
		}
		if len(ms) != 1 || ms[0].StartLine != 1 || ms[0].StartColumn < 4<<20-100 {
			b.Fatalf("matches %+v", ms)
		}
	})
}
