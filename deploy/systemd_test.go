package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// installedBinary is where docs/deploy.md installs airlock and where the
// units run it from.
const installedBinary = "/usr/local/bin/airlock"

// verifiableUnits copies deploy/systemd into a temporary directory with
// the binary's path replaced by an executable that exists here (this test
// binary): systemd-analyze verify checks that ExecStart can run.
func verifiableUnits(t *testing.T) (dir string, names []string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir = t.TempDir()
	entries, err := os.ReadDir("systemd")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("systemd", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(e.Name(), ".service") && !strings.Contains(string(b), "ExecStart="+installedBinary+" ") {
			t.Errorf("%s: ExecStart does not run %s (the path docs/deploy.md installs to)", e.Name(), installedBinary)
		}
		unit := strings.ReplaceAll(string(b), installedBinary, exe)
		if err := os.WriteFile(filepath.Join(dir, e.Name()), []byte(unit), 0o644); err != nil {
			t.Fatal(err)
		}
		names = append(names, filepath.Join(dir, e.Name()))
	}
	if len(names) != 3 {
		t.Fatalf("deploy/systemd holds %d files, want airlock.service, airlock-db-sync.service and airlock-db-sync.timer", len(names))
	}
	return dir, names
}

func systemdAnalyze(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed")
	}
	return p
}

// TestSystemdUnitsVerify runs 'systemd-analyze verify' on the units: it
// must exit 0 and say nothing (it reports unknown keys and bad values as
// warnings with exit status 0).
func TestSystemdUnitsVerify(t *testing.T) {
	sa := systemdAnalyze(t)
	dir, names := verifiableUnits(t)
	out, err := exec.Command(sa, append([]string{"verify"}, names...)...).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}

	// The check above sees systemd's warnings: a misspelt key in a copy
	// of the unit is reported.
	b, err := os.ReadFile(filepath.Join(dir, "airlock.service"))
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "misspelt.service")
	if err := os.WriteFile(bad, []byte(strings.Replace(string(b), "NoNewPrivileges=", "NoNewPrivilege=", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _ = exec.Command(sa, "verify", bad).CombinedOutput()
	if !strings.Contains(string(out), "NoNewPrivilege") {
		t.Errorf("systemd-analyze verify did not report a misspelt key: %q", out)
	}
}

// TestSystemdUnitsExposure: 'systemd-analyze security --offline=yes'
// rates both services OK (docs/deploy.md quotes 1.2 with systemd 252).
func TestSystemdUnitsExposure(t *testing.T) {
	sa := systemdAnalyze(t)
	_, names := verifiableUnits(t)
	level := regexp.MustCompile(`Overall exposure level for \S+: (\d+\.\d+) (\S+)`)
	for _, n := range names {
		if !strings.HasSuffix(n, ".service") {
			continue
		}
		out, err := exec.Command(sa, "security", "--offline=yes", n).CombinedOutput()
		m := level.FindSubmatch(out)
		if err != nil || m == nil {
			t.Errorf("systemd-analyze security %s: %v\n%s", filepath.Base(n), err, out)
			continue
		}
		v, _ := strconv.ParseFloat(string(m[1]), 64)
		if v > 2.0 || string(m[2]) != "OK" {
			t.Errorf("%s: exposure %s %s, want OK at 2.0 or below", filepath.Base(n), m[1], m[2])
		}
	}
}
