package keyring

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// FileName is the name of the key file in the data directory.
const FileName = "secret.key"

// maxFileSize bounds what is read of a key file: a key is 45 bytes of text.
const maxFileSize = 1 << 10

// Open returns the keyring of the server whose data directory is dataDir.
//
// env is the value of AIRLOCK_SECRET_KEY. When it is not empty it is the
// key, as base64 (standard or URL alphabet, with or without padding) or as
// 64 hexadecimal characters, and dataDir is not used. Otherwise the key is
// read from dataDir/secret.key, which is created with a new random key (and
// dataDir with it) when it does not exist. Two processes that start together
// on the same data directory end up with the same key. A key file that other
// users can read, or that does not hold a key, is refused.
func Open(dataDir, env string) (*Keyring, error) {
	if env != "" {
		raw, err := parseKey(env)
		if err != nil {
			return nil, fmt.Errorf("keyring: %s is not a key: want %s", EnvKey, keyForm)
		}
		return fromRaw(raw)
	}
	path := filepath.Join(dataDir, FileName)
	raw, err := readKeyFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		raw, err = createKeyFile(dataDir, path)
	}
	if err != nil {
		return nil, err
	}
	return fromRaw(raw)
}

// readKeyFile reads and checks the key file at path. The error wraps
// fs.ErrNotExist when there is no such file.
func readKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("keyring: key file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("keyring: key file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("keyring: key file %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); runtime.GOOS != "windows" && perm&0o077 != 0 {
		return nil, fmt.Errorf("keyring: key file %s can be read by other users (mode %04o): run `chmod 600 %s`", path, perm, path)
	}
	text, err := io.ReadAll(io.LimitReader(f, maxFileSize))
	if err != nil {
		return nil, fmt.Errorf("keyring: key file: %w", err)
	}
	raw, err := parseKey(string(text))
	clear(text)
	if err != nil {
		return nil, fmt.Errorf("keyring: key file %s is malformed: want %s on one line; restore it from a backup (a new key cannot open the secrets stored with the old one) or set %s", path, keyForm, EnvKey)
	}
	return raw, nil
}

// createKeyFile writes a new random key to path, unless another process
// does so first, and returns the key that path then holds.
//
// The key is written to a temporary file in the same directory, synced,
// and linked to path: unlike a rename, a link fails when path exists, so
// the first process to link wins and the others read its key, and no
// process ever reads a partly written file.
func createKeyFile(dir, path string) ([]byte, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("keyring: create key file: %w", err)
	}
	raw := make([]byte, KeySize)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("keyring: create key file: %w", err)
	}
	text := []byte(base64.StdEncoding.EncodeToString(raw) + "\n")
	defer clear(text)
	if err := writeTemp(dir, text, func(tmp string) error { return os.Link(tmp, path) }); err != nil {
		clear(raw)
		if errors.Is(err, fs.ErrExist) {
			return readKeyFile(path)
		}
		return nil, fmt.Errorf("keyring: create key file %s: %w (or set %s)", path, err, EnvKey)
	}
	syncDir(dir)
	return raw, nil
}

// writeTemp writes data to a new file of mode 0600 in dir, syncs it, calls
// publish with its name, and removes it.
func writeTemp(dir string, data []byte, publish func(tmp string) error) error {
	f, err := os.CreateTemp(dir, "."+FileName+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	err = f.Chmod(0o600)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return publish(f.Name())
}

// syncDir makes a new directory entry in dir durable. Not every system can
// sync a directory; the key file's content is synced either way.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}
