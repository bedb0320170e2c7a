// Package iac finds misconfigurations in infrastructure-as-code. Parsers
// (one package per input below internal/iac, all listed in
// internal/iac/list) turn files into documents: a generic value that Rego
// policies read as their input, and an index from paths inside that value
// to the file and lines they came from. Policies (internal/iac/policies,
// and the user's own) are Rego v1 modules compiled once; what they report
// is located through the index.
package iac

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Parser reads one kind of input.
type Parser interface {
	// Name names the input ("dockerfile", "terraform"): its documents are
	// read by the policies in packages airlock.<Name>.<policy>.
	Name() string
	// FileRequired reports whether the file at the slash-separated path
	// is one of this input's files, by its name alone.
	FileRequired(path string) bool
	// Parse reads the files the parser claimed. A file it cannot read is
	// a Problem of level error naming the file and line; the other files
	// are still read. Parse never panics on any input.
	Parse(ctx context.Context, in *Input) ([]*Document, []Problem)
}

// Sniffer is a Parser that claims some files by their content (a YAML
// file with apiVersion and kind).
type Sniffer interface {
	// MaySniff reports whether the start of the file at path is worth
	// reading; files FileRequired claims are not asked.
	MaySniff(path string) bool
	// ContentRequired reports whether the file, given its first bytes, is
	// one of this input's files.
	ContentRequired(path string, head []byte) bool
}

// Input is what a parser reads.
type Input struct {
	// Files are the files the parser claimed, in path order.
	Files []File
	// ReadFile reads another file of the scanned tree by its
	// slash-separated path (a Terraform module's files): only inside the
	// tree, bounded in size. Nil when nothing else may be read.
	ReadFile func(path string) ([]byte, error)
	// ReadDir lists the names of a directory of the tree; nil when nothing
	// else may be read.
	ReadDir func(path string) ([]string, error)
}

// File is one file of the tree.
type File struct {
	// Path is slash-separated, relative to the scanned tree.
	Path    string
	Content []byte
}

// Problem is input a parser could not read, or something it wants said.
type Problem struct {
	Level   Level
	Path    string
	Line    int
	Message string
}

// Level grades a problem.
type Level string

// Levels. An error is input not read: the scan is incomplete.
const (
	LevelError   Level = "error"
	LevelWarning Level = "warning"
	LevelInfo    Level = "info"
)

// Errorf returns an error problem at path:line.
func Errorf(path string, line int, format string, args ...any) Problem {
	return Problem{Level: LevelError, Path: path, Line: line, Message: fmt.Sprintf(format, args...)}
}

// Document is one unit the policies evaluate: a Dockerfile, a Terraform
// module with its variables resolved, a Kubernetes object.
type Document struct {
	// Input is the parser's name.
	Input string
	// Path is the file the document came from (a module's directory for
	// Terraform).
	Path string
	// Value is the policies' input: nil, bool, string, json.Number, int,
	// float64, []any and map[string]any only.
	Value any
	// Index locates parts of Value; see Locate.
	Index Index
	// Lines are the lines of every file the document came from, by path,
	// for inline suppressions; filled by the analyzer when empty.
	Lines map[string][]string
}

// Node is where a part of a document is, and the resource it belongs to.
type Node struct {
	// Path is the file; Start and End the 1-based lines (End 0: Start).
	Path       string
	Start, End int
	// Resource names the resource the part belongs to
	// ("aws_s3_bucket.data", "stage builder"); empty when it is not one.
	Resource string
}

// Index maps a path inside a document's Value (see Key) to its Node.
type Index map[string]Node

// Key encodes a path of map keys (strings) and list indexes (ints) as an
// Index key.
func Key(path ...any) string {
	var b strings.Builder
	for _, p := range path {
		b.WriteByte(0x1f)
		switch v := p.(type) {
		case string:
			b.WriteString(v)
		case int:
			b.WriteString(strconv.Itoa(v))
		case json.Number:
			b.WriteString(v.String())
		case float64:
			b.WriteString(strconv.FormatFloat(v, 'f', -1, 64))
		default:
			fmt.Fprint(&b, v)
		}
	}
	return b.String()
}

// Set records where the part at path is.
func (x Index) Set(n Node, path ...any) { x[Key(path...)] = n }

// Locate finds the nearest part at or above path that the index knows:
// where it is, and the resource of the nearest part that names one. A
// path to an attribute that is missing lands on the block that lacks it.
func (d *Document) Locate(path []any) Node {
	var at Node
	found, resource := false, ""
	for n := len(path); n >= 0 && (!found || resource == ""); n-- {
		v, ok := d.Index[Key(path[:n]...)]
		if !ok {
			continue
		}
		if !found && v.Path != "" {
			at, found = v, true
		}
		if resource == "" {
			resource = v.Resource
		}
	}
	if !found {
		at = Node{Path: d.Path}
	}
	at.Resource = resource
	return at
}
