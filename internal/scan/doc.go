// Package scan is the orchestrator shared by the CLI and the platform's
// workers: it walks a tree once, hands each file to the extractors that want
// it, matches the inventory against the vulnerability database, applies the
// repository's ignore rules and returns one Result for the report formats.
package scan
