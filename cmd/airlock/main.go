// Command airlock is self-hosted application security for GitLab
// Self-Managed that works offline: it scans source trees for vulnerable
// dependencies against vulnerability data imported from files.
//
// Exit codes: 0 clean, 1 error, 2 usage, 3 findings at or above --fail-on.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Exit codes.
const (
	exitOK       = 0
	exitError    = 1
	exitUsage    = 2
	exitFindings = 3
)

// version is set at build time with -ldflags "-X main.version=..."; when
// empty, the module version from the build information is used.
var version = ""

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// usageError is a mistake in the command line: exit code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// findingsError means the scan found what --fail-on fails on: exit code 3.
type findingsError struct{ n int }

func (e findingsError) Error() string {
	return fmt.Sprintf("%d findings at or above the --fail-on threshold", e.n)
}

const usage = `airlock: offline application security for GitLab Self-Managed

Usage:
  airlock scan [flags] [PATH]        scan a directory or one manifest for vulnerable dependencies
  airlock db import [flags] PATH...  import OSV data: all.zip files, directories of JSON, JSON records
  airlock db status [flags]          show the imported data: ecosystems, records, sources, age
  airlock db keygen --out NAME       create an Ed25519 key pair for signing bundles
  airlock db bundle --sign KEY --out FILE INPUT...
                                     pack OSV archives and secret rules into a signed bundle
  airlock db verify --trusted-keys PATH FILE
                                     check a bundle's signature and members without importing it
  airlock db sync [flags] URL...     fetch bundles and all.zip files from an internal HTTP location and import what changed
  airlock fix [flags] [PATH]         plan upgrades of vulnerable dependencies to releases the mirrors serve; --write applies them
  airlock serve [flags]              run the platform: REST API, GitLab webhooks, scheduler and workers
  airlock worker [flags]             run extra workers against the server's PostgreSQL
  airlock migrate [flags]            apply the platform database's migrations and exit
  airlock agent [flags]              run the on-prem agent: relay the server's GitLab calls from inside the network
  airlock demo [--addr HOST:PORT]    try it out: the platform with a built-in GitLab stand-in, sample projects and data
  airlock version                    print the version

Run 'airlock COMMAND -h' for a command's flags.
Exit codes: 0 clean, 1 error, 2 usage, 3 findings at or above --fail-on.
`

const dbUsage = `Usage:
  airlock db import [flags] PATH...  import OSV data: all.zip files, directories of JSON, JSON records
  airlock db status [flags]          show the imported data: ecosystems, records, sources, age
  airlock db keygen --out NAME       create an Ed25519 key pair for signing bundles
  airlock db bundle --sign KEY --out FILE INPUT...
                                     pack OSV archives and secret rules into a signed bundle
  airlock db verify --trusted-keys PATH FILE
                                     check a bundle's signature and members without importing it
  airlock db sync [flags] URL...     fetch bundles and all.zip files from an internal HTTP location and import what changed

Run 'airlock db import -h' or 'airlock db status -h' for their flags.
`

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	err := dispatch(ctx, args, stdout, stderr)
	var ue usageError
	var fe findingsError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "airlock: %s\n", ue.msg)
		return exitUsage
	case errors.As(err, &fe):
		return exitFindings
	default:
		fmt.Fprintf(stderr, "airlock: %v\n", err)
		return exitError
	}
}

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError{"no command given"}
	}
	switch args[0] {
	case "scan":
		return cmdScan(ctx, args[1:], stdout, stderr)
	case "db":
		if len(args) < 2 {
			return usageError{"db needs a subcommand: import, status, keygen, bundle, verify or sync"}
		}
		switch args[1] {
		case "-h", "-help", "--help", "help":
			fmt.Fprint(stdout, dbUsage)
			return nil
		case "import":
			return cmdDBImport(ctx, args[2:], stdout, stderr)
		case "status":
			return cmdDBStatus(ctx, args[2:], stdout, stderr)
		case "keygen":
			return cmdDBKeygen(ctx, args[2:], stdout, stderr)
		case "bundle":
			return cmdDBBundle(ctx, args[2:], stdout, stderr)
		case "verify":
			return cmdDBVerify(ctx, args[2:], stdout, stderr)
		case "sync":
			return cmdDBSync(ctx, args[2:], stdout, stderr)
		}
		return usageError{fmt.Sprintf("unknown db subcommand %q: use import, status, keygen, bundle, verify or sync", args[1])}
	case "fix":
		return cmdFix(ctx, args[1:], stdout, stderr)
	case "serve":
		return cmdServe(ctx, args[1:], stdout, stderr)
	case "demo":
		return cmdDemo(ctx, args[1:], stdout, stderr)
	case "worker":
		return cmdWorker(ctx, args[1:], stdout, stderr)
	case "migrate":
		return cmdMigrate(ctx, args[1:], stdout, stderr)
	case "agent":
		return cmdAgent(ctx, args[1:], stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "airlock", toolVersion())
		return nil
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return usageError{fmt.Sprintf("unknown command %q", args[0])}
}

func toolVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

// parse parses flags that may come before and after positional arguments
// ("airlock scan . --format json"), returning the positional ones.
func parse(fs *flag.FlagSet, args []string, stderr io.Writer) ([]string, error) {
	// The flag package prints its error and the whole usage on a mistake;
	// airlock prints the error once (run maps it to exit 2) and points to
	// -h. Help itself goes to stderr through fs.Usage.
	usage := fs.Usage
	fs.Usage = func() {}
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.SetOutput(stderr)
				if usage != nil {
					usage()
				} else {
					fs.PrintDefaults()
				}
				return nil, err
			}
			return nil, usageError{fmt.Sprintf("%s: %v (see '%s -h')", fs.Name(), err, fs.Name())}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// defaultDB is the vulnerability database path: $AIRLOCK_DB, else
// $XDG_DATA_HOME/airlock/vulndb.sqlite, else ~/.local/share/airlock/vulndb.sqlite.
func defaultDB() string {
	if p := os.Getenv("AIRLOCK_DB"); p != "" {
		return p
	}
	dir := os.Getenv("XDG_DATA_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			home = "."
		}
		dir = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(dir, "airlock", "vulndb.sqlite")
}

// ageFlag is a duration that also accepts days ("7d").
type ageFlag struct{ d *time.Duration }

func (a ageFlag) String() string {
	if a.d == nil {
		return ""
	}
	if *a.d%(24*time.Hour) == 0 {
		return strconv.Itoa(int(*a.d/(24*time.Hour))) + "d"
	}
	return a.d.String()
}

func (a ageFlag) Set(s string) error {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 0 {
			return fmt.Errorf("%q is not a number of days", s)
		}
		*a.d = time.Duration(days) * 24 * time.Hour
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return fmt.Errorf("%q is not a duration (7d, 36h)", s)
	}
	*a.d = d
	return nil
}

// defaultMaxAge is $AIRLOCK_DB_MAX_AGE, else 7 days.
func defaultMaxAge() (time.Duration, error) {
	d := 7 * 24 * time.Hour
	if s := os.Getenv("AIRLOCK_DB_MAX_AGE"); s != "" {
		if err := (ageFlag{&d}).Set(s); err != nil {
			return 0, usageError{"AIRLOCK_DB_MAX_AGE: " + err.Error()}
		}
	}
	return d, nil
}
