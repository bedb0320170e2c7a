// Package scan is the engine shared by the CLI and the platform's workers:
// it walks a tree once, hands each file to the extractors and analyzers
// that want it, applies the repository's policy and sends the scan as a
// stream of events to a Handler (Stream); Run collects them into one
// Result for the report formats.
package scan
