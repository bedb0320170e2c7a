package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// checkJSONL scans with --format json and --format jsonl and checks that
// every line of the stream is a JSON object with a type, config first and
// done last, and that the stream holds as many notices, manifests and
// findings as the JSON report, with the same fingerprints in the same
// order, and the same exit code.
func checkJSONL(t *testing.T, db string, args ...string) {
	t.Helper()
	rj := airlock(t, db, append([]string{"scan", "--format", "json"}, args...)...)
	var doc struct {
		Notices   []json.RawMessage
		Manifests []json.RawMessage
		Findings  []struct{ Fingerprint string }
	}
	if err := json.Unmarshal([]byte(rj.stdout), &doc); err != nil {
		t.Fatalf("json: exit %d: %v\n%s", rj.code, err, rj.stderr)
	}
	rl := airlock(t, db, append([]string{"scan", "--format", "jsonl"}, args...)...)
	if rl.code != rj.code {
		t.Errorf("exit %d with jsonl, %d with json\n%s", rl.code, rj.code, rl.stderr)
	}
	counts := map[string]int{}
	var types, fingerprints []string
	var done struct{ Findings, Manifests, Notices, Incomplete int }
	sc := bufio.NewScanner(strings.NewReader(rl.stdout))
	sc.Buffer(nil, 16<<20)
	for n := 1; sc.Scan(); n++ {
		var obj struct {
			Type        string
			Fingerprint string
		}
		if err := json.Unmarshal(sc.Bytes(), &obj); err != nil {
			t.Fatalf("line %d is not JSON: %v\n%s", n, err, sc.Bytes())
		}
		types = append(types, obj.Type)
		counts[obj.Type]++
		switch obj.Type {
		case "finding":
			fingerprints = append(fingerprints, obj.Fingerprint)
		case "done":
			if err := json.Unmarshal(sc.Bytes(), &done); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(types) < 2 || types[0] != "config" || types[len(types)-1] != "done" || counts["config"] != 1 || counts["done"] != 1 {
		t.Fatalf("stream of %v: want one config first and one done last", types)
	}
	if counts["finding"] != len(doc.Findings) || counts["manifest"] != len(doc.Manifests) || counts["notice"] != len(doc.Notices) {
		t.Errorf("jsonl counts %v; the JSON report has %d findings, %d manifests, %d notices", counts, len(doc.Findings), len(doc.Manifests), len(doc.Notices))
	}
	if done.Findings != len(doc.Findings) || done.Manifests != len(doc.Manifests) || done.Notices != len(doc.Notices) {
		t.Errorf("done %+v", done)
	}
	for i, f := range doc.Findings {
		if i < len(fingerprints) && fingerprints[i] != f.Fingerprint {
			t.Errorf("finding %d: %s in jsonl, %s in json", i, fingerprints[i], f.Fingerprint)
			break
		}
	}
}

// TestScanJSONL: the stream holds what the JSON report holds, for
// secrets in a tree and its history, and for every analyzer over repo40.
func TestScanJSONL(t *testing.T) {
	t.Run("secrets", func(t *testing.T) {
		checkJSONL(t, filepath.Join(t.TempDir(), "none.db"), "--scanners", "secret", "--history", gitRepo(t))
	})
	t.Run("repo40", func(t *testing.T) {
		checkJSONL(t, importedDB(t), "../../testdata/repo40")
	})
}

// TestScanHandlerErrorExits: a report that cannot be written stops the
// scan, and airlock exits 1 saying why; JSON lines are written as the
// scan goes, so the first line already fails.
func TestScanHandlerErrorExits(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	dir := gitRepo(t)
	for _, f := range []string{"jsonl", "json"} {
		r := airlock(t, filepath.Join(t.TempDir(), "none.db"), "scan", "--scanners", "secret", "--format", f, "--output", "/dev/full", dir)
		if r.code != exitError || !strings.Contains(r.stderr, "no space left on device") {
			t.Errorf("%s to /dev/full: exit %d\n%s", f, r.code, r.stderr)
		}
	}
}
