package keyring

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// testKey is a fixed key; testKeyHex and testKeyB64 are two of its forms.
var (
	testKey    = bytes.Repeat([]byte{0x42, 0x17, 0xa9, 0x03}, 8)
	testKeyHex = hex.EncodeToString(testKey)
	testKeyB64 = base64.StdEncoding.EncodeToString(testKey)
)

func mustOpen(t testing.TB, dataDir, env string) *Keyring {
	t.Helper()
	k, err := Open(dataDir, env)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return k
}

func TestRoundTrip(t *testing.T) {
	k := mustOpen(t, t.TempDir(), "")
	for _, plain := range []string{"", "glpat-abcdefghijklmnopqrst", strings.Repeat("x", 1<<16)} {
		aad := []byte("integration:3:token")
		sealed, err := k.Seal([]byte(plain), aad)
		if err != nil {
			t.Fatal(err)
		}
		if plain != "" && bytes.Contains(sealed, []byte(plain)) {
			t.Errorf("sealed value contains the plaintext")
		}
		got, err := k.Open(sealed, aad)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if string(got) != plain {
			t.Errorf("Open = %.20q, want %.20q", got, plain)
		}
	}
}

func TestSealUsesFreshNonces(t *testing.T) {
	k := mustOpen(t, "", testKeyHex)
	a, _ := k.Seal([]byte("same"), nil)
	b, _ := k.Seal([]byte("same"), nil)
	if bytes.Equal(a, b) {
		t.Error("two seals of the same plaintext are equal")
	}
}

func TestSealString(t *testing.T) {
	k := mustOpen(t, "", testKeyB64)
	s, err := k.SealString("webhook secret", "project:7:hook")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := base64.StdEncoding.DecodeString(s); err != nil {
		t.Errorf("SealString is not base64: %v", err)
	}
	got, err := k.OpenString(s, "project:7:hook")
	if err != nil || got != "webhook secret" {
		t.Errorf("OpenString = %q, %v", got, err)
	}
	if _, err := k.OpenString("not base64!", "project:7:hook"); !errors.Is(err, ErrInvalid) {
		t.Errorf("OpenString(garbage) error = %v, want ErrInvalid", err)
	}
}

func TestTamper(t *testing.T) {
	k := mustOpen(t, "", testKeyHex)
	aad := []byte("integration:3:token")
	sealed, err := k.Seal([]byte("glpat-secret"), aad)
	if err != nil {
		t.Fatal(err)
	}
	for i := range sealed {
		for bit := range 8 {
			c := bytes.Clone(sealed)
			c[i] ^= 1 << bit
			if _, err := k.Open(c, aad); err == nil {
				t.Fatalf("flipping bit %d of byte %d: Open succeeded", bit, i)
			}
		}
	}
	if _, err := k.Open(sealed[:len(sealed)-1], aad); !errors.Is(err, ErrInvalid) {
		t.Errorf("truncated: error = %v, want ErrInvalid", err)
	}
	if _, err := k.Open(append(bytes.Clone(sealed), 0), aad); !errors.Is(err, ErrInvalid) {
		t.Errorf("extended: error = %v, want ErrInvalid", err)
	}
}

func TestWrongAAD(t *testing.T) {
	k := mustOpen(t, "", testKeyHex)
	sealed, err := k.Seal([]byte("glpat-secret"), []byte("integration:3:token"))
	if err != nil {
		t.Fatal(err)
	}
	for _, aad := range []string{"integration:4:token", "", "integration:3:token "} {
		_, err := k.Open(sealed, []byte(aad))
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("aad %q: error = %v, want ErrInvalid", aad, err)
		}
	}
}

func TestWrongKey(t *testing.T) {
	a := mustOpen(t, t.TempDir(), "")
	b := mustOpen(t, t.TempDir(), "")
	sealed, err := a.Seal([]byte("glpat-secret"), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.Open(sealed, nil)
	if !errors.Is(err, ErrDifferentKey) {
		t.Fatalf("error = %v, want ErrDifferentKey", err)
	}
	want := fmt.Sprintf("keyring: open: sealed with a different key (id %s): set AIRLOCK_SECRET_KEY to the key used when it was stored", a.ID())
	if err.Error() != want {
		t.Errorf("error = %q\nwant    %q", err, want)
	}
}

func TestPrevious(t *testing.T) {
	old := mustOpen(t, "", testKeyHex)
	sealed, err := old.Seal([]byte("glpat-secret"), []byte("a"))
	if err != nil {
		t.Fatal(err)
	}
	newKey := base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{7}, KeySize))
	cur := mustOpen(t, "", newKey)
	if _, err := cur.Open(sealed, []byte("a")); !errors.Is(err, ErrDifferentKey) {
		t.Fatalf("without previous: error = %v, want ErrDifferentKey", err)
	}
	rot, err := cur.WithPrevious(" " + testKeyB64 + " , " + newKey)
	if err != nil {
		t.Fatal(err)
	}
	got, err := rot.Open(sealed, []byte("a"))
	if err != nil || string(got) != "glpat-secret" {
		t.Fatalf("with previous: Open = %q, %v", got, err)
	}
	resealed, err := rot.Seal(got, []byte("a"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cur.Open(resealed, []byte("a")); err != nil {
		t.Errorf("a value sealed during rotation does not open with the new key alone: %v", err)
	}
	if rot.ID() != cur.ID() {
		t.Errorf("rotation changed the current key")
	}
	if same, err := cur.WithPrevious(""); err != nil || same != cur {
		t.Errorf("WithPrevious(\"\") = %v, %v; want the keyring itself", same, err)
	}
	_, err = cur.WithPrevious(testKeyHex + ",not-a-key-secretvalue")
	if err == nil || !strings.Contains(err.Error(), "AIRLOCK_SECRET_KEY_PREVIOUS: entry 2") || strings.Contains(err.Error(), "secretvalue") {
		t.Errorf("bad previous key: error = %v", err)
	}
}

func TestEnvForms(t *testing.T) {
	want := mustOpen(t, "", testKeyHex).ID()
	forms := map[string]string{
		"hex":            testKeyHex,
		"HEX":            strings.ToUpper(testKeyHex),
		"std":            base64.StdEncoding.EncodeToString(testKey),
		"std unpadded":   base64.RawStdEncoding.EncodeToString(testKey),
		"url":            base64.URLEncoding.EncodeToString(testKey),
		"url unpadded":   base64.RawURLEncoding.EncodeToString(testKey),
		"trailing space": testKeyB64 + "\n",
	}
	for name, env := range forms {
		dir := t.TempDir()
		k, err := Open(dir, env)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if k.ID() != want {
			t.Errorf("%s: key id %s, want %s", name, k.ID(), want)
		}
		if _, err := os.Stat(filepath.Join(dir, FileName)); err == nil {
			t.Errorf("%s: a key file was created although the key came from the environment", name)
		}
	}
	// A key whose base64 uses the URL alphabet's '-' and '_'.
	k := bytes.Repeat([]byte{0xfb, 0xff}, KeySize/2)
	if _, err := Open("", base64.RawURLEncoding.EncodeToString(k)); err != nil {
		t.Errorf("url alphabet: %v", err)
	}
}

func TestBadEnv(t *testing.T) {
	for name, env := range map[string]string{
		"short hex":    testKeyHex[:62],
		"hex not hex":  "zz" + testKeyHex[2:],
		"short base64": base64.StdEncoding.EncodeToString(testKey[:31]),
		"long base64":  base64.StdEncoding.EncodeToString(append(bytes.Clone(testKey), 1)),
		"password":     "hunter2-supersecret",
		"spaces only":  "   ",
		"two keys":     testKeyHex + "," + testKeyHex,
		"64 base64":    strings.Repeat("Z", 64),
	} {
		_, err := Open(t.TempDir(), env)
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, "AIRLOCK_SECRET_KEY") || !strings.Contains(msg, "base64") || !strings.Contains(msg, "hexadecimal") {
			t.Errorf("%s: error %q does not name the variable and the expected form", name, msg)
		}
		if v := strings.TrimSpace(env); len(v) > 4 && strings.Contains(msg, v) {
			t.Errorf("%s: error %q echoes the value", name, msg)
		}
	}
}

func TestKeyFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	k := mustOpen(t, dir, "")
	path := filepath.Join(dir, FileName)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %04o, want 0600", fi.Mode().Perm())
	}
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if raw, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(string(text), "\n")); err != nil || len(raw) != KeySize || !strings.HasSuffix(string(text), "\n") {
		t.Errorf("key file is not base64 of %d bytes and a newline: %q", KeySize, text)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("data directory holds %d entries, want only the key file", len(entries))
	}
	// The next start reads the same key.
	if again := mustOpen(t, dir, ""); again.ID() != k.ID() {
		t.Errorf("second Open: key id %s, want %s", again.ID(), k.ID())
	}
}

func TestKeyFileReadableByOthers(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permissions")
	}
	dir := t.TempDir()
	mustOpen(t, dir, "")
	path := filepath.Join(dir, FileName)
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		_, err := Open(dir, "")
		if err == nil {
			t.Fatalf("mode %04o: no error", mode)
		}
		if msg := err.Error(); !strings.Contains(msg, path) || !strings.Contains(msg, "chmod 600") {
			t.Errorf("mode %04o: error %q does not name the path and chmod 600", mode, msg)
		}
	}
	// The environment's key does not need the file.
	if _, err := Open(dir, testKeyHex); err != nil {
		t.Errorf("with AIRLOCK_SECRET_KEY: %v", err)
	}
}

func TestKeyFileMalformed(t *testing.T) {
	for name, content := range map[string]string{
		"empty":   "",
		"short":   base64.StdEncoding.EncodeToString(testKey[:16]) + "\n",
		"garbage": "this is not a key at all, secretvalue\n",
	} {
		dir := t.TempDir()
		path := filepath.Join(dir, FileName)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Open(dir, "")
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, path) || !strings.Contains(msg, "malformed") || strings.Contains(msg, "secretvalue") {
			t.Errorf("%s: error = %q", name, msg)
		}
		if got, _ := os.ReadFile(path); string(got) != content {
			t.Errorf("%s: the malformed key file was changed", name)
		}
	}
	// A hex key file, written by hand, is accepted.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte(testKeyHex+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if k := mustOpen(t, dir, ""); k.ID() != mustOpen(t, "", testKeyHex).ID() {
		t.Errorf("hex key file: wrong key")
	}
}

func TestKeyFileNotRegular(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, FileName), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, ""); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("error = %v", err)
	}
}

func TestConcurrentFirstStart(t *testing.T) {
	for range 20 {
		dir := t.TempDir()
		const n = 8
		ids := make([]string, n)
		rings := make([]*Keyring, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				k, err := Open(dir, "")
				if err != nil {
					t.Error(err)
					return
				}
				ids[i], rings[i] = k.ID(), k
			})
		}
		close(start)
		wg.Wait()
		if t.Failed() {
			return
		}
		for i := range n {
			if ids[i] != ids[0] {
				t.Fatalf("two processes starting together got keys %s and %s", ids[0], ids[i])
			}
		}
		sealed, _ := rings[0].Seal([]byte("x"), nil)
		if _, err := rings[n-1].Open(sealed, nil); err != nil {
			t.Fatal(err)
		}
		if k := mustOpen(t, dir, ""); k.ID() != ids[0] {
			t.Fatalf("the key file holds key %s, the starters used %s", k.ID(), ids[0])
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 1 {
			t.Fatalf("data directory holds %d entries, want only the key file", len(entries))
		}
	}
}

func TestNoKeyMaterialPrinted(t *testing.T) {
	k := mustOpen(t, "", testKeyHex)
	rot, err := k.WithPrevious(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, KeySize)))
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("started", "keyring", rot)
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("started", "keyring", *rot)
	outputs := []string{logged.String()}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%p"} {
		outputs = append(outputs, fmt.Sprintf(verb, rot), fmt.Sprintf(verb, *rot))
		outputs = append(outputs, fmt.Sprintf(verb, struct{ K *Keyring }{rot}), fmt.Sprintf(verb, []Keyring{*rot}))
	}
	forbidden := []string{
		testKeyHex, testKeyB64, string(testKey),
		hex.EncodeToString(testKey[:8]), fmt.Sprint(testKey[:8]),
	}
	for _, out := range outputs {
		for _, f := range forbidden {
			if strings.Contains(strings.ToLower(out), strings.ToLower(f)) {
				t.Errorf("output %q contains key material", out)
			}
		}
	}
	if s := rot.String(); !strings.Contains(s, k.ID()) {
		t.Errorf("String() = %q, want the key id", s)
	}
}
