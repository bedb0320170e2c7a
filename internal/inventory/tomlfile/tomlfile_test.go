package tomlfile

import "testing"

func TestArrayTableLines(t *testing.T) {
	data := []byte("a = \"\"\"x\\\n[[package]]\n\"\"\"\n[[package]]\nb = 'c'\n\n  [[package]]\n[[package.files]]\n")
	got := ArrayTableLines(data, "package")
	want := []int{4, 7}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("ArrayTableLines = %v, want %v", got, want)
	}
}

func TestArrayTableLinesCargo(t *testing.T) {
	data := []byte("version = 3\n\n[[package]] # first\nname = \"a\"\n[[ package ]]\nname = \"b\"\n[package.x]\n")
	got := ArrayTableLines(data, "package")
	if len(got) != 2 || got[0] != 3 || got[1] != 5 {
		t.Errorf("ArrayTableLines = %v, want [3 5]", got)
	}
}

func TestStringSpans(t *testing.T) {
	data := []byte("[[package]]\nname = \"a\"\n version = \"1.0\"\n[package.source]\nversion = \"x\"\n[[package]]\nversion='2.0'\n[[package]]\nversion = \"a\\\"b\"\n[[package]]\nversions = \"3\"\nversion = \"\"\"4\"\"\"\n")
	lines := ArrayTableLines(data, "package")
	got := StringSpans(data, lines, "version")
	want := []string{"1.0", "2.0", "", ""}
	if len(got) != len(want) {
		t.Fatalf("StringSpans = %v, want %d entries", got, len(want))
	}
	for i, s := range got {
		text := ""
		if s != nil {
			text = string(data[s.Start:s.End])
		}
		if text != want[i] {
			t.Errorf("table %d: span holds %q, want %q", i, text, want[i])
		}
	}
}
