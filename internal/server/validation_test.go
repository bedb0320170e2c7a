package server_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/gitlab/gitlabtest"
	"github.com/airlock-sec/airlock/internal/store"
	"github.com/airlock-sec/airlock/internal/store/storetest"
)

type errorBody struct {
	Error struct {
		Code, Message, Hint, Field string
	}
}

// TestSelectionRefusesWhatItCannotHonour: a list naming a project the
// token does not see is refused with the ids named, and nothing changes;
// an empty list needs confirm_empty; a list without ids is refused.
func TestSelectionRefusesWhatItCannotHonour(t *testing.T) {
	for _, d := range storetest.Engines() {
		t.Run(string(d), func(t *testing.T) { selectionRefuses(t, d) })
	}
}

func selectionRefuses(t *testing.T, d store.Dialect) {
	h := newHarness(t, d, options{})
	gl := h.gl
	u, tok, p := gitlabSetup(gl, gitlabtest.Maintainer)
	q := gl.AddProject(gitlabtest.Project{Path: "platform/other", Members: map[int]gitlabtest.AccessLevel{u.ID: gitlabtest.Maintainer}})
	hidden := gl.AddProject(gitlabtest.Project{Path: "secret/hidden"})

	var e errorBody
	h.admin("POST", "/api/v1/integrations", map[string]any{"url": gl.URL, "token": tok.Value, "selection": "list", "gitlab_project_ids": []int{p.ID, 987654, hidden.ID}}, 422, &e)
	if e.Error.Code != "unknown_projects" || e.Error.Field != "gitlab_project_ids" || !strings.Contains(e.Error.Message, "987654") || !strings.Contains(e.Error.Message, fmt.Sprint(hidden.ID)) || strings.Contains(e.Error.Message, fmt.Sprint(p.ID)+",") {
		t.Errorf("create with unknown ids: %+v", e.Error)
	}
	var in hooksView
	h.admin("POST", "/api/v1/integrations", map[string]any{"url": gl.URL, "token": tok.Value, "selection": "list", "gitlab_project_ids": []int{p.ID}}, http.StatusCreated, &in)
	sel := fmt.Sprintf("/api/v1/integrations/%d/selection", in.ID)
	e = errorBody{}
	h.admin("PUT", sel, map[string]any{"selection": "list", "gitlab_project_ids": []int{q.ID, 424242}}, 422, &e)
	if e.Error.Code != "unknown_projects" || !strings.Contains(e.Error.Message, "424242") {
		t.Errorf("selection with an unknown id: %+v", e.Error)
	}
	e = errorBody{}
	h.admin("PUT", sel, map[string]any{"selection": "list", "gitlab_project_ids": []int{}}, 422, &e)
	if e.Error.Code != "empty_selection" || !strings.Contains(e.Error.Hint, "confirm_empty") {
		t.Errorf("empty list: %+v", e.Error)
	}
	h.admin("PUT", sel, map[string]any{"selection": "list"}, 422, nil)
	var got struct {
		Selection string  `json:"selection"`
		IDs       []int64 `json:"selected_project_ids"`
	}
	h.admin("GET", fmt.Sprintf("/api/v1/integrations/%d", in.ID), nil, 200, &got)
	if got.Selection != "list" || len(got.IDs) != 1 || got.IDs[0] != int64(p.ID) {
		t.Fatalf("a refused selection changed the integration: %+v", got)
	}
	h.admin("PUT", sel, map[string]any{"selection": "list", "gitlab_project_ids": []int{q.ID}}, 200, nil)
	h.admin("PUT", sel, map[string]any{"selection": "list", "gitlab_project_ids": []int{}, "confirm_empty": true}, 200, &got)
	if len(got.IDs) != 0 {
		t.Fatalf("confirmed empty selection: %+v", got)
	}
}

// TestEnumeratedFiltersValidated: a filter value outside its enumeration
// is a 422 naming the parameter, not an empty list.
func TestEnumeratedFiltersValidated(t *testing.T) {
	h := newHarness(t, store.SQLite, options{})
	for _, c := range []struct{ path, field string }{
		{"/api/v1/scans?status=bogus", "status"},
		{"/api/v1/findings?state=bogus", "state"},
		{"/api/v1/findings?kind=bogus", "kind"},
		{"/api/v1/findings?severity=bogus", "severity"},
		{"/api/v1/projects?selected=maybe", "selected"},
	} {
		var e errorBody
		h.admin("GET", c.path, nil, 422, &e)
		if e.Error.Field != c.field || e.Error.Code != "invalid_query" {
			t.Errorf("%s: %+v", c.path, e.Error)
		}
	}
	for _, ok := range []string{"/api/v1/scans?status=superseded", "/api/v1/findings?kind=secret&severity=high&state=open"} {
		h.admin("GET", ok, nil, 200, nil)
	}
}

// TestCACertEchoedAsPEM: a CA given as base64 is stored and shown as PEM;
// a bad one is refused with its hint once.
func TestCACertEchoedAsPEM(t *testing.T) {
	h := newHarness(t, store.SQLite, options{})
	_, tok, _ := gitlabSetup(h.gl, gitlabtest.Maintainer)
	var e errorBody
	h.admin("POST", "/api/v1/integrations", map[string]any{"url": h.gl.URL, "token": tok.Value, "ca_cert": "not a certificate"}, 422, &e)
	if e.Error.Field != "ca_cert" || e.Error.Hint == "" || strings.Count(e.Error.Message+e.Error.Hint, "base64") > 2 || strings.Contains(e.Error.Message, "give the") {
		t.Errorf("bad ca_cert: %+v", e.Error)
	}
	caPEM := testCA(t)
	var in struct {
		CAPEM string `json:"ca_pem"`
	}
	h.admin("POST", "/api/v1/integrations", map[string]any{"url": h.gl.URL, "token": tok.Value, "ca_cert": base64.StdEncoding.EncodeToString(caPEM)}, http.StatusCreated, &in)
	if in.CAPEM != strings.TrimSpace(string(caPEM)) {
		t.Errorf("ca_pem echoed as %q, want the PEM", in.CAPEM)
	}
}

func testCA(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test CA"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
