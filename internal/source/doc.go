// Package source holds the sources of content for analyzers: the files of a
// tree and the lines that a git history added. It is the only package that
// reads a repository's history; analyzers receive what it yields and do no
// I/O of their own.
package source
