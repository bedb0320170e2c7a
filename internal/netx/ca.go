package netx

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// ParseCA reads CA certificates given as PEM text or as the base64 of PEM
// text (as pasted into a form or a Kubernetes secret). It returns a pool
// holding only those certificates, and the certificates themselves so a
// caller can show their subjects and expiry. Errors start with
// "ca_certificate:" and say which form was given.
func ParseCA(b []byte) (*x509.CertPool, []*x509.Certificate, error) {
	text := bytes.TrimSpace(b)
	if len(text) == 0 {
		return nil, nil, errors.New("ca_certificate: empty (give the PEM text or its base64)")
	}
	form := "PEM"
	if !bytes.Contains(text, []byte("-----BEGIN")) {
		decoded, err := decodeBase64(text)
		if err != nil {
			return nil, nil, errors.New("ca_certificate: no PEM certificate found, and the text is not base64 either (give the PEM text or its base64)")
		}
		form = "base64"
		text = decoded
	}
	certs, err := parsePEMCerts(text)
	if err != nil {
		return nil, nil, fmt.Errorf("ca_certificate: %s given: %w", form, err)
	}
	pool := x509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool, certs, nil
}

// decodeBase64 accepts standard or URL-safe base64, padded or not, with line
// breaks anywhere.
func decodeBase64(b []byte) ([]byte, error) {
	compact := strings.Join(strings.Fields(string(b)), "")
	var firstErr error
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		out, err := enc.DecodeString(compact)
		if err == nil {
			return out, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return nil, firstErr
}

func parsePEMCerts(text []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	rest := text
	for n := 1; ; n++ {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("PEM block %d is a %s, not a CERTIFICATE (give only the CA certificates)", n, block.Type)
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate %d: %w", n, err)
		}
		certs = append(certs, cert)
	}
	if len(certs) == 0 {
		return nil, errors.New("no PEM certificate found (give the PEM text or its base64)")
	}
	return certs, nil
}
