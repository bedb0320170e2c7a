package server_test

import (
	"bytes"
	"context"
	"errors"
	"mime/multipart"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/airlock-sec/airlock/internal/server"
	"github.com/airlock-sec/airlock/internal/store"
)

// fakeData is a DataManager that takes the bundle "good" (once; then it
// is unchanged) and refuses anything else as untrusted.
type fakeData struct {
	dir string
	mu  sync.Mutex
	st  server.DataStatus
}

func (d *fakeData) TempDir() string { return d.dir }

func (d *fakeData) ImportBundle(_ context.Context, file string) (server.DataImport, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return server.DataImport{}, err
	}
	if string(b) != "good" {
		return server.DataImport{}, &server.DataError{Status: http.StatusUnprocessableEntity, Code: "untrusted_bundle", Err: errors.New("the bundle is signed by ed25519:0bad, which is not a trusted key")}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	bundle := server.DataBundle{ID: "sha256:feed", Signer: "ed25519:a1b2", Source: "mirror.example/osv", Created: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC), Members: 2, ImportedAt: time.Now()}
	if len(d.st.Bundles) > 0 {
		return server.DataImport{Status: "unchanged", Bundle: d.st.Bundles[0]}, nil
	}
	d.st.Bundles = append(d.st.Bundles, bundle)
	d.st.Sources = append(d.st.Sources, server.DataSource{Origin: "osv/PyPI/all.zip", Ecosystem: "PyPI", Records: 1234, NewestModified: time.Now().Add(-50 * time.Hour), ImportedAt: time.Now()})
	return server.DataImport{Status: "imported", Bundle: bundle}, nil
}

func (d *fakeData) Status(context.Context) (server.DataStatus, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	st := d.st
	st.Sources, st.Bundles = append([]server.DataSource{}, st.Sources...), append([]server.DataBundle{}, st.Bundles...)
	return st, nil
}

// multipartUpload is the data page's form: fields in order.
func multipartUpload(t *testing.T, b *browser, fields [][2]string) (*http.Response, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, f := range fields {
		if f[0] == "bundle" {
			fw, _ := mw.CreateFormFile("bundle", "db.bundle")
			fw.Write([]byte(f[1]))
		} else {
			mw.WriteField(f[0], f[1])
		}
	}
	mw.Close()
	return b.send("/data/bundles", mw.FormDataContentType(), nil, body.Bytes())
}

func (b *browser) send(path, contentType string, header http.Header, body []byte) (*http.Response, string) {
	b.t.Helper()
	req, _ := http.NewRequest("POST", b.base+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out bytes.Buffer
	out.ReadFrom(resp.Body)
	return resp, out.String()
}

// TestUIData: the data page shows each data set's records and age, the
// bundles' provenance and the sync status; admins upload a bundle through
// a multipart form (or a raw body) into the API's import, see the result
// or the refusal's reason; the CSRF token must come first; viewers see
// no form and are refused.
func TestUIData(t *testing.T) {
	data := &fakeData{dir: t.TempDir(), st: server.DataStatus{Sources: []server.DataSource{}, Bundles: []server.DataBundle{},
		Sync: &server.DataSync{URLs: []string{"https://mirror.example/db.bundle"}, Interval: "6h0m0s", LastAttempt: time.Now(), LastError: "GET https://mirror.example/db.bundle: 404 Not Found"}}}
	h := newHarness(t, store.SQLite, options{data: data})
	b := newBrowser(t, h.url)
	b.signIn(adminToken)
	resp, page := b.get("/data")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("data page: %d\n%s", resp.StatusCode, page)
	}
	for _, want := range []string{"No vulnerability data imported", "No bundle imported", "Every 6h0m0s from https://mirror.example/db.bundle", "The last round failed: GET https://mirror.example/db.bundle: 404 Not Found", `enctype="multipart/form-data"`, `<a href="/data">Offline data</a>`} {
		if !strings.Contains(page, want) {
			t.Errorf("data page lacks %q", want)
		}
	}
	token := csrf(t, page)
	// Refused: untrusted, with the reason; no file; CSRF missing or after the file.
	resp, body := multipartUpload(t, b, [][2]string{{"csrf_token", token}, {"bundle", "forged"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "not a trusted key") {
		t.Errorf("untrusted upload: %d\n%s", resp.StatusCode, body)
	}
	if resp, body := multipartUpload(t, b, [][2]string{{"csrf_token", token}}); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "field bundle") {
		t.Errorf("upload without a file: %d\n%s", resp.StatusCode, body)
	}
	if resp, _ := multipartUpload(t, b, [][2]string{{"bundle", "good"}, {"csrf_token", token}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("csrf after the file: %d", resp.StatusCode)
	}
	if resp, _ := multipartUpload(t, b, [][2]string{{"csrf_token", "nope"}, {"bundle", "good"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("wrong csrf: %d", resp.StatusCode)
	}
	if resp, _ := b.send("/data/bundles", "application/octet-stream", nil, []byte("good")); resp.StatusCode != http.StatusForbidden {
		t.Errorf("raw upload without the csrf header: %d", resp.StatusCode)
	}
	if n := len(data.st.Bundles); n != 0 {
		t.Fatalf("refused uploads imported %d bundles", n)
	}

	// Imported, then unchanged (raw body with the header).
	resp, body = multipartUpload(t, b, [][2]string{{"csrf_token", token}, {"bundle", "good"}})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/data?notice=") {
		t.Fatalf("upload: %d %q\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	_, page = b.get(resp.Header.Get("Location"))
	for _, want := range []string{"bundle sha256:feed imported: 2 members from &#34;mirror.example/osv&#34;, signed by ed25519:a1b2, created 2026-12-01 08:00 UTC",
		"<td>osv/PyPI/all.zip</td><td>PyPI</td><td>1234</td>", "2 days 2 hours", "1 data sets, 1234 records", "<code>ed25519:a1b2</code>", "mirror.example/osv"} {
		if !strings.Contains(page, want) {
			t.Errorf("data page after the import lacks %q", want)
		}
	}
	resp, body = b.send("/data/bundles", "application/octet-stream", http.Header{"X-Csrf-Token": {token}}, []byte("good"))
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "imported+before") {
		t.Errorf("raw upload: %d %q\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	if n := h.count(`SELECT COUNT(*) FROM audit WHERE action = 'data.import'`); n != 1 {
		t.Errorf("%d data.import audit entries", n)
	}

	// A viewer sees the data but no form, and cannot upload.
	var vt struct {
		Token string `json:"token"`
	}
	h.admin("POST", "/api/v1/tokens", map[string]any{"name": "auditor", "role": "viewer"}, http.StatusCreated, &vt)
	v := newBrowser(t, h.url)
	vcsrf := v.signIn(vt.Token)
	_, page = v.get("/data")
	if !strings.Contains(page, "osv/PyPI/all.zip") || strings.Contains(page, `name="bundle"`) {
		t.Errorf("viewer's data page:\n%s", page)
	}
	if resp, _ := multipartUpload(t, v, [][2]string{{"csrf_token", vcsrf}, {"bundle", "good"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("viewer upload: %d", resp.StatusCode)
	}
}

// TestUIDataDisabled: without trusted keys the page says uploads are off
// and how to turn them on; a post is refused like the API's.
func TestUIDataDisabled(t *testing.T) {
	h := newHarness(t, store.SQLite, options{})
	b := newBrowser(t, h.url)
	token := b.signIn(adminToken)
	_, page := b.get("/data")
	if strings.Contains(page, `name="bundle"`) || !strings.Contains(page, "this server takes no bundle uploads") || !strings.Contains(page, "AIRLOCK_TRUSTED_KEYS") {
		t.Errorf("data page without uploads:\n%s", page)
	}
	resp, body := multipartUpload(t, b, [][2]string{{"csrf_token", token}, {"bundle", "good"}})
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "takes no bundle uploads") {
		t.Errorf("upload: %d\n%s", resp.StatusCode, body)
	}
	h.admin("POST", "/api/v1/data/bundles", nil, http.StatusServiceUnavailable, nil)
}
