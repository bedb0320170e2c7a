package secret

import (
	"bytes"
	"path"
	"regexp"
	"strings"
)

// Built-in false-positive control, applied to every rule unless its tags
// contain "no-builtin-allowlist". Each check names its category so tests and
// statistics can tell them apart.

// fpReason is why the built-in control dropped a candidate; "" keeps it.
type fpReason string

const (
	fpPlaceholder fpReason = "placeholder"
	fpRepetitive  fpReason = "repetitive"
	fpReference   fpReason = "reference"
	fpUUID        fpReason = "uuid"
	fpChecksum    fpReason = "checksum"
)

// placeholderWords are substrings (lower case) that mark a value as a
// placeholder rather than a credential. Vendor documentation keys, such as
// AWS's AKIAIOSFODNN7EXAMPLE, end in "example".
var placeholderWords = []string{
	"xxxx", "changeme", "change_me", "change-me", "replace_me", "replaceme",
	"replace-me", "example", "dummy", "placeholder", "redacted", "***",
	"<", ">",
}

// The regexes below run on short strings (one secret, or the text around it),
// where the standard library's engine is fastest.
var (
	// your_api_key_here, your-token-here, YOUR_SECRET, insert_key_here.
	reYourHere = regexp.MustCompile(`(?i)^(?:your[_\-.]?[a-z0-9_\-.]*here|your[_\-][a-z0-9_\-]+|(?:insert|enter)[_\-][a-z0-9_\-]*)$`)
	// Environment and template references as the secret itself.
	// "$$VAR" and "$${VAR}" are docker compose's and make's escapes of "$".
	reReference = regexp.MustCompile(`^\$\$?\{?[A-Za-z_][A-Za-z0-9_.:\-]*\}?$|^\$\(|^\{\{|\}\}$|^%\([A-Za-z0-9_]+\)s$|^%[sdv]$|^<%=|%>$|^#\{.*\}$` +
		`|(?i:os\.environ|os\.getenv|process\.env|\bgetenv\(|\benv\[|system\.getenv|environment\.getenvironmentvariable|\$env:|^\.?values\.[a-z0-9_.]+$)`)
	// The text just before a secret that makes it a reference: ${, $, {{ .Values., %(, ENV[", process.env.
	reReferenceBefore = regexp.MustCompile(`(?:\$\{|\$|\{\{-?\s*\.?|%\(|(?i:env)\[["']?|(?i:process\.env)\.|(?i:os\.environ)\[["']?|(?i:getenv)\(["']?)$`)
	reUUID            = regexp.MustCompile(`^(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	reHex             = regexp.MustCompile(`^(?i)[0-9a-f]{32,}$`)
	// A digest's algorithm marker right before the secret.
	reDigestBefore = regexp.MustCompile(`(?i)(?:sha1|sha224|sha256|sha384|sha512|md5|h1|blake2b|blake3|sha3-256)[:\-=]["']?$`)
	// Checksum markers on a lockfile line.
	reLockLine = regexp.MustCompile(`(?i)integrity|resolved|checksum|\bh1:|sha1|sha256|sha384|sha512|--hash=|"hash"|content-hash|\bhash\s*=|"sum"|tarball|\bsha\b`)
)

// lockfiles are file names whose checksum lines the control skips.
var lockfiles = map[string]bool{
	"go.sum": true, "go.work.sum": true, "package-lock.json": true,
	"npm-shrinkwrap.json": true, "yarn.lock": true, "pnpm-lock.yaml": true,
	"bun.lock": true, "Cargo.lock": true, "Gemfile.lock": true,
	"poetry.lock": true, "Pipfile.lock": true, "pdm.lock": true, "uv.lock": true,
	"composer.lock": true, "packages.lock.json": true, "mix.lock": true,
	"flake.lock": true, "pubspec.lock": true, "Podfile.lock": true,
	"Package.resolved": true, "gradle.lockfile": true, "deno.lock": true,
	"verification-metadata.xml": true, "conan.lock": true, "MODULE.bazel.lock": true,
}

func isLockfile(p string) bool {
	base := path.Base(p)
	if lockfiles[base] {
		return true
	}
	if strings.HasSuffix(base, ".lock") || strings.HasSuffix(base, ".lockfile") {
		return true
	}
	// requirements.txt with --hash pins.
	return strings.HasPrefix(base, "requirements") && strings.HasSuffix(base, ".txt")
}

// builtinFalsePositive decides whether a candidate is a placeholder, a
// reference, a UUID or a checksum. before is the text on the secret's line
// just before it (at most a few dozen bytes); line is the secret's line.
func builtinFalsePositive(secret, before, line []byte, filePath string) fpReason {
	s := string(secret)
	lower := strings.ToLower(s)
	for _, w := range placeholderWords {
		if strings.Contains(lower, w) {
			return fpPlaceholder
		}
	}
	if reYourHere.MatchString(s) {
		return fpPlaceholder
	}
	if repetitive(s) {
		return fpRepetitive
	}
	if reReference.MatchString(s) || reReferenceBefore.Match(trimTrailingSpace(before)) {
		return fpReference
	}
	if reUUID.MatchString(s) {
		return fpUUID
	}
	if reDigestBefore.Match(before) {
		return fpChecksum
	}
	if isLockfile(filePath) && (reHex.MatchString(s) || reLockLine.Match(line)) {
		return fpChecksum
	}
	return ""
}

func trimTrailingSpace(b []byte) []byte {
	return bytes.TrimRight(b, " \t")
}

// repetitive reports a value made by a pattern rather than at random, either
// as a whole or as the part after a vendor prefix ending in "_" or "-"
// (ghp_aaaa…): one repeated character or an ascending or descending run
// (abcdef, 123456, 0987); two or three such runs interleaved
// (A1B2C3D4E5F6G7H8I9J0, a1b2c3…); or a short unit repeated (Ab12Ab12Ab12).
func repetitive(s string) bool {
	if patterned(s) {
		return true
	}
	if i := strings.LastIndexAny(s, "_-"); i >= 0 && len(s)-i-1 >= 8 {
		return patterned(s[i+1:])
	}
	return false
}

const maxPeriod = 16

func patterned(s string) bool {
	return isRun(s) || interleavedRuns(s, 2) || interleavedRuns(s, 3) || periodic(s)
}

// interleavedRuns reports whether s is k runs interleaved, each at least 4
// characters long: every k-th character, from each of the first k, forms a
// run.
func interleavedRuns(s string, k int) bool {
	if len(s) < 4*k {
		return false
	}
	sub := make([]byte, 0, len(s)/k+1)
	for j := range k {
		sub = sub[:0]
		for i := j; i < len(s); i += k {
			sub = append(sub, s[i])
		}
		if !isRun(string(sub)) {
			return false
		}
	}
	return true
}

// periodic reports whether s is a unit of at most a third of its length,
// and at most maxPeriod characters, repeated (the last repetition may be
// cut short). The bound keeps it linear on a long secret.
func periodic(s string) bool {
	for p := 1; p <= min(len(s)/3, maxPeriod); p++ {
		if s[p:] == s[:len(s)-p] {
			return true
		}
	}
	return false
}

func isRun(s string) bool {
	if len(s) < 4 {
		return false
	}
	same, up, down := true, true, true
	for i := 1; i < len(s); i++ {
		a, b := s[i-1], s[i]
		if a != b {
			same = false
		}
		// 0 follows 9 in "1234567890".
		if b != a+1 && !(a == '9' && b == '0') {
			up = false
		}
		if b != a-1 && !(a == '0' && b == '9') {
			down = false
		}
		if !same && !up && !down {
			return false
		}
	}
	return true
}
