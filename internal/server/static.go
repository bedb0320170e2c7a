package server

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"net/http"
)

// htmx is the one script the pages load (docs/ui.md, "htmx"): htmx.org
// 2.0.11's dist/htmx.min.js from the npm registry, licence 0BSD, whose
// SHA-256 docs/architecture.md records (TestHTMXAsset checks both).
//
//go:embed static/htmx-2.0.11.min.js
var htmxJS []byte

const (
	// HTMXPath is where the pages load htmx from. The version is in the
	// name, so the file may be cached for good.
	HTMXPath = "/static/htmx-2.0.11.min.js"
	// HTMXSHA256 is the SHA-256 of the file npm's htmx.org@2.0.11
	// package ships as dist/htmx.min.js.
	HTMXSHA256 = "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"
)

// serveScript serves an embedded script with a year-long, immutable
// cache lifetime: its path changes with its content (htmx's version,
// upload.js's hash).
func serveScript(js []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "text/javascript; charset=utf-8")
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "default-src 'none'")
		w.Write(js)
	}
}

// uploadJS is the data page's upload with a progress bar (docs/ui.md,
// "Uploading a bundle"); without it the form posts as usual.
//
//go:embed static/upload.js
var uploadJS []byte

// UploadJSPath is where the data page loads upload.js from; the name
// holds the start of its SHA-256, so it may be cached for good.
var UploadJSPath = func() string {
	sum := sha256.Sum256(uploadJS)
	return "/static/upload-" + hex.EncodeToString(sum[:6]) + ".js"
}()
