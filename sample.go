// Package airlock holds the files of the repository that the binary
// carries: the samples of 'airlock demo'.
package airlock

import "embed"

// OSVSample is testdata/osv-sample: real OSV records (an all.zip per
// ecosystem; its README.md names their sources and licenses) for the
// packages of the sample repository.
//
//go:embed testdata/osv-sample
var OSVSample embed.FS

// SampleRepo is testdata/repo40: a Python requirements file and a
// Cargo.lock pinned to vulnerable releases, with a policy file
// (.airlock.yaml) that ignores one finding. Its api/go.mod is left out
// (go:embed skips the directories of other modules); cmd/airlock has a copy.
//
//go:embed all:testdata/repo40
var SampleRepo embed.FS
