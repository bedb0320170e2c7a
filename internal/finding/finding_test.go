package finding

import "testing"

func TestSeverity(t *testing.T) {
	for in, want := range map[string]Severity{"CRITICAL": Critical, "High": High, "important": High, "MODERATE": Medium, "low": Low, "none": Info, " medium ": Medium} {
		if got, ok := ParseSeverity(in); !ok || got != want {
			t.Errorf("ParseSeverity(%q) = %s, %v", in, got, ok)
		}
	}
	if _, ok := ParseSeverity("severe"); ok {
		t.Error("ParseSeverity accepted severe")
	}
	for i := 1; i < len(Severities); i++ {
		if Severities[i-1].Rank() <= Severities[i].Rank() {
			t.Errorf("%s does not rank above %s", Severities[i-1], Severities[i])
		}
	}
}

func TestFingerprint(t *testing.T) {
	a := Fingerprint("vulnerability", "go.mod", "x")
	if len(a) != 32 || a != Fingerprint("vulnerability", "go.mod", "x") {
		t.Errorf("fingerprint %q is not stable", a)
	}
	// Parts are separated: moving text between parts changes the hash.
	if Fingerprint("ab", "c") == Fingerprint("a", "bc") {
		t.Error("fingerprint parts are ambiguous")
	}
}

func TestParseInlineIgnore(t *testing.T) {
	for _, c := range []struct {
		text, id, reason, msg string
	}{
		{"# airlock:ignore DF002 runs as root on purpose", "DF002", "runs as root on purpose", ""},
		{"  acl = \"public-read\" # airlock:ignore AWS001,AWS003 public website", "aws003", "public website", ""},
		{"<!-- airlock:ignore X1 because -->", "X1", "because", ""},
		{"# airlock:ignore DF002", "DF002", "", "airlock:ignore DF002 has no reason, so it is not applied: say why (airlock:ignore DF002 <reason>)"},
		{"# airlock:ignore DF0021 other rule", "DF002", "", ""},
		{"# airlock:ignore", "DF002", "", ""},
		{"no marker", "DF002", "", ""},
	} {
		ig, msg := ParseInlineIgnore(c.text, c.id)
		reason := ""
		if ig != nil {
			reason = ig.Reason
		}
		if reason != c.reason || msg != c.msg {
			t.Errorf("ParseInlineIgnore(%q, %s) = %q, %q; want %q, %q", c.text, c.id, reason, msg, c.reason, c.msg)
		}
	}
}
