package source

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestReadRepoFile(t *testing.T) {
	outside := t.TempDir()
	secretFile := filepath.Join(outside, "outside.toml")
	if err := os.WriteFile(secretFile, []byte("db_password = \"hunter2hunter2\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	for name, content := range map[string]string{
		".gitleaks.toml":  "title = \"ok\"\n",
		"conf/base.toml":  "title = \"base\"\n",
		"big.toml":        strings.Repeat("#", 2048),
		"conf/inside.lnk": "",
	} {
		p := filepath.Join(root, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if name == "conf/inside.lnk" {
			if err := os.Symlink("base.toml", p); err != nil {
				t.Skip("symbolic links not supported:", err)
			}
			continue
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Symlink(secretFile, filepath.Join(root, "out.toml")))
	must(os.Symlink("/dev/zero", filepath.Join(root, "zero.toml")))
	must(os.Symlink(outside, filepath.Join(root, "outdir")))
	if err := syscall.Mkfifo(filepath.Join(root, "fifo.toml"), 0o644); err != nil {
		t.Skip("cannot make a FIFO:", err)
	}

	for _, tc := range []struct {
		rel  string
		want string // content, or
		err  error  // the error it wraps
	}{
		{rel: ".gitleaks.toml", want: "title = \"ok\"\n"},
		{rel: "conf/./base.toml", want: "title = \"base\"\n"},
		{rel: "conf/inside.lnk", want: "title = \"base\"\n"},
		{rel: "missing.toml", err: fs.ErrNotExist},
		{rel: "../outside.toml", err: ErrOutsideRepo},
		{rel: "conf/../../outside.toml", err: ErrOutsideRepo},
		{rel: secretFile, err: ErrOutsideRepo},
		{rel: "out.toml", err: ErrOutsideRepo},
		{rel: "zero.toml", err: ErrOutsideRepo},
		{rel: "outdir/outside.toml", err: ErrOutsideRepo},
		{rel: "fifo.toml", err: ErrNotRegular},
		{rel: "big.toml", err: ErrFileTooLarge},
		{rel: "conf", err: nil},
	} {
		b, err := ReadRepoFile(root, tc.rel, 1024)
		if tc.want != "" {
			if err != nil || string(b) != tc.want {
				t.Errorf("%s: %q, %v", tc.rel, b, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: read %d bytes, want an error", tc.rel, len(b))
			continue
		}
		if tc.err != nil && !errors.Is(err, tc.err) {
			t.Errorf("%s: %v, want %v", tc.rel, err, tc.err)
		}
		msg := err.Error()
		if strings.Contains(msg, root) || strings.Contains(msg, "db_password") || strings.Contains(msg, "hunter2") || strings.Contains(msg, outside) && tc.rel != secretFile {
			t.Errorf("%s: error reveals a host path or content: %s", tc.rel, msg)
		}
		if !strings.Contains(msg, tc.rel) {
			t.Errorf("%s: error does not name the file: %s", tc.rel, msg)
		}
	}
}

func TestReadRegularFile(t *testing.T) {
	dir := t.TempDir()
	ok := filepath.Join(dir, "rules.toml")
	os.WriteFile(ok, []byte("x"), 0o644)
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("cannot make a FIFO:", err)
	}
	big := filepath.Join(dir, "big")
	os.WriteFile(big, make([]byte, 100), 0o644)
	if b, err := ReadRegularFile(ok, 10); err != nil || string(b) != "x" {
		t.Errorf("regular file: %q, %v", b, err)
	}
	for name, want := range map[string]error{fifo: ErrNotRegular, "/dev/zero": ErrNotRegular, big: ErrFileTooLarge, filepath.Join(dir, "none"): fs.ErrNotExist} {
		if _, err := ReadRegularFile(name, 10); !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", name, err, want)
		}
	}
}

func TestReadRepoFileMissingRoot(t *testing.T) {
	root := filepath.Join(t.TempDir(), "gone")
	_, err := ReadRepoFile(root, ".gitleaks.toml", 0)
	if !errors.Is(err, fs.ErrNotExist) || strings.Contains(err.Error(), root) {
		t.Errorf("missing root: %v", err)
	}
}
