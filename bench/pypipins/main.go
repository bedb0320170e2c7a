// Command pypipins writes the input of bench/pins.sh: the (package,
// version) pairs that an OSV all.zip lists in versions[], as name==version
// lines in requirements-N.txt files (see vulntest.WriteRequirements).
//
// Usage: go run ./bench/pypipins [-zip ../shared/data/osv/PyPI/all.zip] [-files 8] DIR
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/airlock-sec/airlock/internal/vuln/vulntest"
)

func main() {
	zipPath := flag.String("zip", "../shared/data/osv/PyPI/all.zip", "OSV `all.zip` to read")
	eco := flag.String("ecosystem", "PyPI", "ecosystem whose versions are pinned")
	files := flag.Int("files", 8, "requirements files to write: file N pins the N-th version of every package (0: as many as it takes to pin every version)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: pypipins [-zip FILE] [-files N] DIR")
		os.Exit(2)
	}
	pins, err := vulntest.ListedPins(*zipPath, *eco)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := os.MkdirAll(flag.Arg(0), 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	paths, n, err := vulntest.WriteRequirements(flag.Arg(0), pins, *files)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("%d of %d pins in %d files\n", n, len(pins), len(paths))
}
