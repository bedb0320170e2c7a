package secret

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// TestKubeSecretData: the base64 values of a Kubernetes Secret's data are
// decoded and scanned; the findings point at the encoded values.
func TestKubeSecretData(t *testing.T) {
	_, d := defaultDetector(t)
	const pat = "ghp_Q7rT2xK9mB4vN8cL1zP6wS3dF5gH0jYuE2aR"
	const pw = "Zq8Lw3Xv9Rk2Yp7Mn4Bc"
	yaml := strings.Join([]string{
		"apiVersion: v1",
		"kind: ConfigMap",
		"data:",
		"  config: " + b64(pat), // not a Secret: left encoded
		"---",
		"apiVersion: v1",
		"data:",
		"  GITHUB_TOKEN: " + b64(pat),
		`  db-password: "` + b64(pw) + `"`,
		"  username: " + b64("service-account"),
		"  placeholder_password: " + b64("changeme-please"),
		"kind: Secret",
		"metadata:",
		"  name: app",
		"type: Opaque",
		"",
	}, "\n")
	got := d.Detect(Fragment{Path: "deploy/secret.yaml", Content: []byte(yaml), StartLine: 1})
	type loc struct {
		Rule            string
		Line, Col, EndC int
		Secret          string
	}
	var locs []loc
	for _, m := range got {
		locs = append(locs, loc{m.RuleID, m.StartLine, m.StartColumn, m.EndColumn, m.Secret})
		if strings.Contains(m.Line, b64(pat)[:12]) || strings.Contains(m.Line, pat[4:]) {
			t.Errorf("evidence shows the secret: %q", m.Line)
		}
	}
	want := []loc{
		{"github-pat", 8, 17, 16 + len(b64(pat)), pat},
		{"generic-password", 9, 17, 16 + len(b64(pw)), pw},
	}
	if diff := cmp.Diff(want, locs); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	// The same text in a .json file is not decoded (generic rules may
	// still match the encoded values), nor are a Secret's stringData.
	for _, m := range d.Detect(Fragment{Path: "secret.json", Content: []byte(yaml)}) {
		if m.RuleID == "github-pat" {
			t.Errorf("json decoded: %s", describe([]Match{m}))
		}
	}
	plain := "kind: Secret\nstringData:\n  note: " + b64(pat) + "\n"
	if got := d.Detect(Fragment{Path: "s.yml", Content: []byte(plain)}); len(got) != 0 {
		t.Errorf("stringData: %s", describe(got))
	}
}

func TestKubeSecretValuesBadInput(t *testing.T) {
	for _, in := range []string{
		"kind: Secret\ndata:\n  a: not base64!!\n  b:\n  : x\n  c: \"\n",
		"kind: Secret\ndata:\n  k: " + b64("\x00\x01binary\x00") + "\n",
		"data:\n  k: " + b64("x") + "\nkind: Secret",
		"kind: Secret\ndata:",
	} {
		if vs := kubeSecretValues("x.yaml", []byte(in)); len(vs) != 0 {
			t.Errorf("%q: %+v", in, vs)
		}
	}
}
