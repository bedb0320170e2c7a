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
