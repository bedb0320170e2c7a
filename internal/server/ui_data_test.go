package server_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
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

// TestBundleUploadLimit: an upload over the configured limit is refused
// with 413 naming the limit, by the API and the data page alike, whether
// its length is declared (refused before the body is read) or not
// (refused once the limit is passed); nothing is imported and no
// temporary file stays.
func TestBundleUploadLimit(t *testing.T) {
	data := &fakeData{dir: t.TempDir()}
	h := newHarness(t, store.SQLite, options{data: data, maxUpload: 1024})
	big := bytes.Repeat([]byte("x"), 4096)
	const limit = "1 KiB (1024 bytes)"
	api := func(body io.Reader) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", h.url+"/api/v1/data/bundles", body)
		req.Header.Set("Authorization", "Bearer "+adminToken)
		req.Header.Set("Content-Type", "application/octet-stream")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := api(bytes.NewReader(big)); code != http.StatusRequestEntityTooLarge || !strings.Contains(body, `"too_large"`) || !strings.Contains(body, limit) {
		t.Errorf("API, declared length: %d %s", code, body)
	}
	// io.MultiReader hides the length: the body is sent chunked.
	if code, body := api(io.MultiReader(bytes.NewReader(big))); code != http.StatusRequestEntityTooLarge || !strings.Contains(body, limit) {
		t.Errorf("API, chunked: %d %s", code, body)
	}
	if code, body := api(io.MultiReader(strings.NewReader("good"))); code != http.StatusOK {
		t.Errorf("API, under the limit: %d %s", code, body)
	}

	b := newBrowser(t, h.url)
	token := b.signIn(adminToken)
	if resp, body := b.send("/data/bundles", "application/octet-stream", http.Header{"X-Csrf-Token": {token}}, big); resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, limit) {
		t.Errorf("page, raw body: %d\n%s", resp.StatusCode, body)
	}
	// The form's body is a little larger than the file: the file itself
	// is held to the limit as it is read.
	resp, body := multipartUpload(t, b, [][2]string{{"csrf_token", token}, {"bundle", string(big)}})
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, limit) || !strings.Contains(body, "max_bundle_upload") {
		t.Errorf("page, form: %d\n%s", resp.StatusCode, body)
	}
	_, page := b.get("/data")
	if !strings.Contains(page, `data-max-bytes="1024"`) || !strings.Contains(page, "at most 1 KiB") {
		t.Errorf("the data page does not say the limit:\n%s", page)
	}
	if n := len(data.st.Bundles); n != 1 {
		t.Errorf("%d bundles imported, want the one under the limit", n)
	}
	if left, _ := filepath.Glob(filepath.Join(data.dir, "*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// TestBundleUploadStreams: the API and the page write an upload to disk
// as it arrives: while the client still holds back the rest of the body,
// the part sent is already in the temporary file.
func TestBundleUploadStreams(t *testing.T) {
	data := &fakeData{dir: t.TempDir()}
	h := newHarness(t, store.SQLite, options{data: data})
	b := newBrowser(t, h.url)
	token := b.signIn(adminToken)
	first := bytes.Repeat([]byte("a"), 64<<10)
	for _, tc := range []struct {
		name       string
		send       func(body io.Reader) *http.Request
		head, tail string
	}{
		{"API", func(body io.Reader) *http.Request {
			req, _ := http.NewRequest("POST", h.url+"/api/v1/data/bundles", body)
			req.Header.Set("Authorization", "Bearer "+adminToken)
			return req
		}, "", ""},
		{"page", func(body io.Reader) *http.Request {
			req, _ := http.NewRequest("POST", h.url+"/data/bundles", body)
			req.Header.Set("Content-Type", "multipart/form-data; boundary=BOUNDARY")
			return req
		}, "--BOUNDARY\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n" + token + "\r\n--BOUNDARY\r\nContent-Disposition: form-data; name=\"bundle\"; filename=\"db.bundle\"\r\nContent-Type: application/octet-stream\r\n\r\n",
			"\r\n--BOUNDARY--\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pr, pw := io.Pipe()
			done := make(chan *http.Response, 1)
			go func() {
				resp, err := b.c.Do(tc.send(pr))
				if err != nil {
					t.Error(err)
					close(done)
					return
				}
				done <- resp
			}()
			pw.Write([]byte(tc.head))
			pw.Write(first)
			// The server has the first part on disk before the rest is sent.
			var size int64
			for size < int64(len(first)) {
				files, _ := filepath.Glob(filepath.Join(data.dir, ".upload-*"))
				if len(files) == 1 {
					if fi, err := os.Stat(files[0]); err == nil {
						size = fi.Size()
					}
				}
				time.Sleep(5 * time.Millisecond)
			}
			pw.Write([]byte("more" + tc.tail))
			pw.Close()
			resp := <-done
			if resp == nil {
				return
			}
			resp.Body.Close()
			// Not a bundle the fake trusts: refused once all of it came.
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("status %d, want 422", resp.StatusCode)
			}
		})
	}
}
