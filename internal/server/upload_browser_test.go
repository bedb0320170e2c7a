package server_test

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/airlock-sec/airlock/internal/bundle"
	"github.com/airlock-sec/airlock/internal/server"
	"github.com/airlock-sec/airlock/internal/store"
)

// signedData is a DataManager that opens and verifies uploads as signed
// bundles against its trusted keys, as the server's does, and lists the
// ones it took.
type signedData struct {
	dir  string
	keys *bundle.Keyring
	mu   sync.Mutex
	st   server.DataStatus
}

func (d *signedData) TempDir() string { return d.dir }

func (d *signedData) ImportBundle(ctx context.Context, file string) (server.DataImport, error) {
	b, err := bundle.Open(file, d.keys)
	if err == nil {
		defer b.Close()
		err = b.Verify(ctx)
	}
	if err != nil {
		code := "invalid_bundle"
		if errors.Is(err, bundle.ErrUntrusted) {
			code = "untrusted_bundle"
		}
		return server.DataImport{}, &server.DataError{Status: http.StatusUnprocessableEntity, Code: code, Err: err}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	db := server.DataBundle{ID: b.ID, Signer: b.Signer, Source: b.Manifest.Source, Created: b.Manifest.Created, Members: len(b.Manifest.Members), ImportedAt: time.Now()}
	d.st.Bundles = append(d.st.Bundles, db)
	return server.DataImport{Status: "imported", Bundle: db}, nil
}

func (d *signedData) imported() []server.DataBundle {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]server.DataBundle{}, d.st.Bundles...)
}

func (d *signedData) Status(context.Context) (server.DataStatus, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	st := d.st
	st.Sources, st.Bundles = []server.DataSource{}, append([]server.DataBundle{}, st.Bundles...)
	return st, nil
}

// TestUIBrowserUpload: on the data page, with JavaScript, a signed bundle
// is uploaded through XMLHttpRequest: the progress bar follows the
// upload and reaches its end, the result is shown on the same page (no
// navigation), and the bundles table lists the import. A file over the
// limit is refused before anything is sent.
func TestUIBrowserUpload(t *testing.T) {
	d := newUIDriver(t, "")
	dir := t.TempDir()
	if _, err := bundle.GenerateKey(filepath.Join(dir, "k")); err != nil {
		t.Fatal(err)
	}
	key, err := bundle.LoadPrivateKey(filepath.Join(dir, "k.key"))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := bundle.LoadKeyring(filepath.Join(dir, "k.pub"))
	if err != nil {
		t.Fatal(err)
	}
	bf := filepath.Join(dir, "data.bundle")
	if _, _, err := bundle.Build(context.Background(), bf, []string{"../../testdata/osv-sample/PyPI/all.zip"}, bundle.BuildOptions{Key: key, Source: "mirror.example/osv"}); err != nil {
		t.Fatal(err)
	}
	data := &signedData{dir: t.TempDir(), keys: keys}
	h := newHarness(t, store.SQLite, options{data: data})
	d.base = h.url
	d.signIn("/data", "#upload")
	d.run("mark the page", chromedp.Evaluate[chromedp.Void](`window.airlockMarker = "same page"`))
	d.run("upload",
		chromedp.SetUploadFiles(chromedp.CSS("#bundle"), []string{bf}),
		chromedp.Click(chromedp.CSS("#upload")),
		chromedp.WaitVisible(chromedp.CSS(`#upload-progress[data-state="done"]`)),
	)
	marker := get(d, "upload", chromedp.Evaluate[string](`String(window.airlockMarker)`))
	bar := get(d, "upload", chromedp.Evaluate[string](`(() => { const b = document.getElementById("upload-bar"); return b.value + "/" + b.max })()`))
	result := d.text("upload", "#upload-result")
	bundles := d.text("upload", "#data-bundles")
	got := data.imported()
	if len(got) != 1 {
		d.fail("upload", errors.New("the bundle was not imported"))
	}
	id := got[0].ID
	d.check("upload", marker == "same page", "the page navigated (marker %q)", marker)
	parts := strings.Split(bar, "/")
	d.check("upload", len(parts) == 2 && parts[0] == parts[1] && parts[0] != "0", "progress bar at %s, want its end", bar)
	d.check("upload", strings.Contains(result, "bundle "+id+" imported") && strings.Contains(result, "mirror.example/osv"), "result %q", result)
	d.check("upload", strings.Contains(bundles, id) && strings.Contains(bundles, "mirror.example/osv"), "bundles table %q", bundles)
	if n := h.count(`SELECT COUNT(*) FROM audit WHERE action = 'data.import'`); n != 1 {
		t.Errorf("%d data.import audit entries", n)
	}
	// The bar's end is the request's size, a little over the file's.
	if n, _ := strconv.Atoi(parts[0]); n < 1000 {
		t.Errorf("progress max %s: the upload's size was not followed", parts[0])
	}

	// A file over the limit: refused in the page, nothing sent.
	h2 := newHarness(t, store.SQLite, options{data: data, maxUpload: 1024})
	d.base = h2.url
	d.run("sign in again",
		chromedp.Navigate(h2.url+"/data"),
		chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.SendKeys(chromedp.CSS("#token"), adminToken),
		chromedp.Submit(chromedp.CSS("#token")),
		chromedp.WaitVisible(chromedp.CSS("#upload")),
		chromedp.SetUploadFiles(chromedp.CSS("#bundle"), []string{bf}),
		chromedp.Click(chromedp.CSS("#upload")),
		chromedp.WaitVisible(chromedp.CSS(`#upload-progress[data-state="failed"]`)),
	)
	result = d.text("too large", "#upload-result")
	d.check("too large", strings.Contains(result, "upload limit of 1 KiB") && len(data.imported()) == 1, "result %q, %d bundles", result, len(data.imported()))
}
