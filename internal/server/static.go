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

// serveAsset serves an embedded file with a year-long, immutable cache
// lifetime: its path changes with its content (htmx's version, the
// others' hash).
func serveAsset(contentType string, body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", contentType)
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "default-src 'none'")
		w.Write(body)
	}
}

func serveScript(js []byte) http.HandlerFunc {
	return serveAsset("text/javascript; charset=utf-8", js)
}

// hashedPath is /static/NAME-HASH.EXT, HASH the start of the content's
// SHA-256, so that the file may be cached for good.
func hashedPath(name, ext string, body []byte) string {
	sum := sha256.Sum256(body)
	return "/static/" + name + "-" + hex.EncodeToString(sum[:6]) + "." + ext
}

// uploadJS is the data page's upload with a progress bar (docs/ui.md,
// "Uploading a bundle"); without it the form posts as usual.
//
//go:embed static/upload.js
var uploadJS []byte

// UploadJSPath is where the data page loads upload.js from.
var UploadJSPath = hashedPath("upload", "js", uploadJS)

// copyJS adds a Copy button to what a page marks copyable (docs/ui.md,
// "Copying"); without it the same text is on the page to select.
//
//go:embed static/copy.js
var copyJS []byte

// CopyJSPath is where every page loads copy.js from.
var CopyJSPath = hashedPath("copy", "js", copyJS)

// styleCSS is the pages' one stylesheet: no inline style is allowed
// (style-src 'self').
//
//go:embed static/airlock.css
var styleCSS []byte

// StylePath is where every page loads the stylesheet from.
var StylePath = hashedPath("airlock", "css", styleCSS)
