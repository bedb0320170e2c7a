package secret

import (
	"bytes"
	"encoding/base64"
	"path"
	"strings"
)

// A Kubernetes Secret keeps its values base64-encoded under "data:", so no
// rule sees them; stringData and other kinds are plain text already. The
// reader below is line-based, not a YAML parser: it finds top-level
// "kind: Secret" and "data:" in each "---" document of a .yaml/.yml file
// and the "KEY: VALUE" lines indented under data, which is how kubectl,
// Helm and kustomize write Secrets. Flow style ({a: b}) and JSON are not
// read.

// kubeValue is one base64 value of a Secret's data.
type kubeValue struct {
	key        string
	start, end int // the encoded value in the fragment
	decoded    []byte
}

// maxKubeValue bounds the encoded values decoded.
const maxKubeValue = 1 << 20

// kubeSecretValues returns the decodable values of the Kubernetes Secrets
// in a YAML fragment.
func kubeSecretValues(p string, content []byte) []kubeValue {
	ext := strings.ToLower(path.Ext(p))
	if ext != ".yaml" && ext != ".yml" || !bytes.Contains(content, []byte("Secret")) || !bytes.Contains(content, []byte("data:")) {
		return nil
	}
	var (
		out    []kubeValue
		doc    []kubeValue // values of the current document
		secret bool        // the current document is a Secret
		inData bool
	)
	flush := func() {
		if secret {
			out = append(out, doc...)
		}
		doc, secret, inData = doc[:0:0], false, false
	}
	for off := 0; off < len(content); {
		end := bytes.IndexByte(content[off:], '\n')
		if end < 0 {
			end = len(content)
		} else {
			end += off
		}
		line := bytes.TrimRight(content[off:end], " \t\r")
		start := off
		off = end + 1
		trimmed := bytes.TrimLeft(line, " \t")
		if len(trimmed) == 0 || trimmed[0] == '#' {
			continue
		}
		indented := len(trimmed) < len(line)
		if !indented {
			inData = false
			switch {
			case bytes.HasPrefix(line, []byte("---")):
				flush()
			case bytes.HasPrefix(line, []byte("kind:")):
				v := unquoteYAML(bytes.TrimSpace(stripComment(line[len("kind:"):])))
				secret = string(v) == "Secret"
			case string(bytes.TrimSpace(stripComment(line))) == "data:":
				inData = true
			}
			continue
		}
		if !inData {
			continue
		}
		key, val, ok := bytes.Cut(trimmed, []byte(":"))
		if !ok || len(key) == 0 {
			continue
		}
		val = stripComment(val)
		lead := len(val) - len(bytes.TrimLeft(val, " \t"))
		val = bytes.TrimSpace(val)
		vs := start + (len(line) - len(trimmed)) + len(key) + 1 + lead
		if len(val) >= 2 && (val[0] == '"' || val[0] == '\'') && val[len(val)-1] == val[0] {
			val = val[1 : len(val)-1]
			vs++
		}
		if len(val) < 8 || len(val) > maxKubeValue {
			continue
		}
		dec, err := base64.StdEncoding.DecodeString(string(val))
		if err != nil {
			if dec, err = base64.RawStdEncoding.DecodeString(string(val)); err != nil {
				continue
			}
		}
		if len(dec) == 0 || IsBinary(dec) {
			continue
		}
		doc = append(doc, kubeValue{key: string(unquoteYAML(key)), start: vs, end: vs + len(val), decoded: dec})
	}
	flush()
	return out
}

// stripComment cuts a " #" comment off a plain YAML value.
func stripComment(b []byte) []byte {
	if i := bytes.Index(b, []byte(" #")); i >= 0 {
		return b[:i]
	}
	return b
}

func unquoteYAML(b []byte) []byte {
	if len(b) >= 2 && (b[0] == '"' || b[0] == '\'') && b[len(b)-1] == b[0] {
		return b[1 : len(b)-1]
	}
	return b
}

// dropEncoded drops the candidates of generic rules that overlap an
// encoded value: the decoded text is what counts.
func dropEncoded(found []candidate, kube []kubeValue) []candidate {
	out := found[:0]
	for _, c := range found {
		if c.rule.generic && overlapsKube(kube, c.start, c.end) {
			continue
		}
		out = append(out, c)
	}
	return out
}

func overlapsKube(kube []kubeValue, s, e int) bool {
	for _, kv := range kube {
		if s < kv.end && kv.start < e {
			return true
		}
	}
	return false
}

// decodedNote ends the evidence of a match in a decoded value.
const decodedNote = " (base64-decoded)"

// detectDecoded scans one decoded value as "KEY: VALUE" and reports its
// matches at the encoded value's place in f.
func (d *Detector) detectDecoded(sc *scratch, f *Fragment, kv kubeValue) []Match {
	text := make([]byte, 0, len(kv.key)+2+len(kv.decoded)+1)
	text = append(text, kv.key...)
	text = append(text, ": "...)
	text = append(text, kv.decoded...)
	text = append(text, '\n')
	ms := d.detect(Fragment{Path: f.Path, Content: text, StartLine: 1,
		Commit: f.Commit, Author: f.Author, Email: f.Email, Date: f.Date}, true)
	first := f.StartLine
	if first <= 0 {
		first = 1
	}
	sl, el := sc.lineOf(kv.start), sc.lineOf(kv.end-1)
	for i := range ms {
		m := &ms[i]
		m.StartLine, m.EndLine = first+sl, first+el
		m.StartColumn = kv.start - sc.lineStarts[sl] + 1
		m.EndColumn = kv.end - 1 - sc.lineStarts[el] + 1
		m.Line = cutBack(m.Line, maxEvidence-len(decodedNote)) + decodedNote
	}
	return ms
}
