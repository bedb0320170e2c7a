package report

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
)

func note(t *testing.T, n MRNote) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteMRNote(&b, n); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestMRNoteGolden(t *testing.T) {
	fs := fixture().Findings
	base := MRNote{SHA: "0123456789abcdef0123456789abcdef01234567", TargetBranch: "main", WebURL: "https://gitlab.corp.example/team/app"}
	withFindings := base
	withFindings.Findings = fs
	golden(t, "mrnote.golden", note(t, withFindings))

	clean := base
	golden(t, "mrnote-clean.golden", note(t, clean))

	failed := base
	failed.Failed = "clone: repository not found"
	failed.Findings = fs
	golden(t, "mrnote-failed.golden", note(t, failed))

	incomplete := base
	incomplete.Incomplete = "1 input could not be read: requirements.txt:2: invalid requirement"
	incomplete.Findings = fs[:1]
	golden(t, "mrnote-incomplete.golden", note(t, incomplete))
}

// TestMRNoteRows: the note lists at most MaxRows findings and counts the
// rest; table cells never break the table.
func TestMRNoteRows(t *testing.T) {
	fs := fixture().Findings
	if len(fs) < 3 {
		t.Fatalf("fixture has %d findings", len(fs))
	}
	got := string(note(t, MRNote{SHA: "abc", TargetBranch: "main", Findings: fs, MaxRows: 2}))
	if n := strings.Count(got, "\n| "); n != 2+1 {
		t.Errorf("%d table rows (with the header), want 3:\n%s", n, got)
	}
	if !strings.Contains(got, "…and "+strconv.Itoa(len(fs)-2)+" more") {
		t.Errorf("the rest is not counted:\n%s", got)
	}
	for _, line := range strings.Split(got, "\n") {
		if strings.HasPrefix(line, "| ") && strings.Count(strings.ReplaceAll(line, `\|`, ""), "|") != 5 {
			t.Errorf("row with a broken cell: %q", line)
		}
	}
}
