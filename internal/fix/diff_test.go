package fix

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestDiff(t *testing.T) {
	old := "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\nm\n"
	new := "a\nb\nC\nd\ne\nf\ng\nh\ni\nj\nk\nl\nm\nn"
	want := `--- a/x.txt
+++ b/x.txt
@@ -1,6 +1,6 @@
 a
 b
-c
+C
 d
 e
 f
@@ -11,3 +11,4 @@
 k
 l
 m
+n
\ No newline at end of file
`
	if got := Diff("x.txt", []byte(old), []byte(new)); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if Diff("x", []byte("same\n"), []byte("same\n")) != "" {
		t.Error("equal files gave a diff")
	}
}

// TestDiffApplies: random edits of random files give diffs that patch(1)
// applies back exactly.
func TestDiffApplies(t *testing.T) {
	if _, err := exec.LookPath("patch"); err != nil {
		t.Skip("patch(1) not installed")
	}
	r := rand.New(rand.NewPCG(1, 2))
	dir := t.TempDir()
	for i := 0; i < 60; i++ {
		var a []string
		for j := 0; j < r.IntN(40); j++ {
			a = append(a, string(rune('a'+r.IntN(5)))+"\n")
		}
		b := append([]string(nil), a...)
		for e := 0; e < r.IntN(6); e++ {
			switch pos := r.IntN(len(b) + 1); r.IntN(3) {
			case 0:
				b = append(b[:pos], append([]string{"new\n"}, b[pos:]...)...)
			default:
				if pos < len(b) {
					b = append(b[:pos], b[pos+1:]...)
				}
			}
		}
		old, new := strings.Join(a, ""), strings.Join(b, "")
		d := Diff("f", []byte(old), []byte(new))
		if old == new {
			continue
		}
		f := filepath.Join(dir, "f")
		os.WriteFile(f, []byte(old), 0o644)
		os.WriteFile(filepath.Join(dir, "p"), []byte(d), 0o644)
		cmd := exec.Command("patch", "-s", "-p1", "-i", "p")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("patch: %v\n%s\ndiff:\n%s", err, out, d)
		}
		got, _ := os.ReadFile(f)
		if string(got) != new {
			t.Fatalf("patched %q, want %q\ndiff:\n%s", got, new, d)
		}
	}
}
