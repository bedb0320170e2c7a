package keyring

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzOpen checks that Open never panics on arbitrary input, that it only
// fails with its two kinds of errors, and that what it opens re-seals and
// opens to the same plaintext. Seeds, sealed under testKey, are in
// testdata/fuzz/FuzzOpen.
func FuzzOpen(f *testing.F) {
	k, err := Open("", testKeyHex)
	if err != nil {
		f.Fatal(err)
	}
	other, err := Open("", testKeyB64[:len(testKeyB64)-4]+"AAA=")
	if err != nil {
		f.Fatal(err)
	}
	sealed, _ := k.Seal([]byte("glpat-secret"), []byte("integration:3:token"))
	f.Add(sealed, []byte("integration:3:token"))
	f.Fuzz(func(t *testing.T, sealed, aad []byte) {
		plain, err := k.Open(sealed, aad)
		if err != nil {
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrDifferentKey) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		again, err := k.Seal(plain, aad)
		if err != nil {
			t.Fatal(err)
		}
		got, err := k.Open(again, aad)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("re-sealed value opens to %q, %v; want %q", got, err, plain)
		}
		if _, err := other.Open(sealed, aad); !errors.Is(err, ErrDifferentKey) {
			t.Fatalf("another key opened the value: %v", err)
		}
	})
}
