package gitlabtest

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
)

// tb is what the stand-in needs of its owner: a test (testing.TB) or, for
// Standalone, a program.
type tb interface {
	Helper()
	Logf(format string, args ...any)
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Skip(args ...any)
	TempDir() string
	Cleanup(func())
}

// Standalone starts a stand-in outside a test, for 'airlock demo': it
// logs to log and keeps its repositories in a temporary directory until
// Close. The setup methods (AddProject, InitRepo, ...) report their
// failures by panicking with a *SetupError; run them inside Setup, which
// turns that into an error.
func Standalone(log io.Writer, opts ...Option) (srv *Server, err error) {
	o := &owner{log: log}
	defer func() {
		if err != nil {
			o.close()
		}
	}()
	err = catch(func() { srv = start(o, opts) })
	if err != nil {
		return nil, err
	}
	srv.owner = o
	return srv, nil
}

// Close stops a Standalone stand-in and removes its repositories. Servers
// made by New stop when their test ends; Close does nothing for them.
func (s *Server) Close() {
	if s.owner != nil {
		s.owner.close()
	}
}

// Setup runs fn, which fills a Standalone stand-in, and returns the first
// failure of a setup method as an error instead of a panic.
func (s *Server) Setup(fn func()) error { return catch(fn) }

// SetupError is a failure of a stand-in's setup method outside a test.
type SetupError struct{ Msg string }

func (e *SetupError) Error() string { return e.Msg }

func catch(fn func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			se, ok := r.(*SetupError)
			if !ok {
				panic(r)
			}
			err = se
		}
	}()
	fn()
	return nil
}

// owner is the tb of a Standalone stand-in.
type owner struct {
	log      io.Writer
	mu       sync.Mutex
	cleanups []func()
	dirs     []string
	closed   bool
}

func (o *owner) Helper() {}

func (o *owner) Logf(format string, args ...any) {
	o.mu.Lock()
	defer o.mu.Unlock()
	fmt.Fprintf(o.log, format+"\n", args...)
}

func (o *owner) Errorf(format string, args ...any) { o.Logf(format, args...) }

func (o *owner) Fatalf(format string, args ...any) {
	panic(&SetupError{Msg: fmt.Sprintf(format, args...)})
}

func (o *owner) Skip(args ...any) { panic(&SetupError{Msg: fmt.Sprint(args...)}) }

func (o *owner) TempDir() string {
	dir, err := os.MkdirTemp("", "gitlabtest-")
	if err != nil {
		o.Fatalf("gitlabtest: %v", err)
	}
	o.mu.Lock()
	o.dirs = append(o.dirs, dir)
	o.mu.Unlock()
	return dir
}

func (o *owner) Cleanup(f func()) {
	o.mu.Lock()
	o.cleanups = append(o.cleanups, f)
	o.mu.Unlock()
}

// close runs the cleanups, last registered first (as testing does), then
// removes the temporary directories.
func (o *owner) close() {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return
	}
	o.closed = true
	fs, dirs := slices.Clone(o.cleanups), slices.Clone(o.dirs)
	o.mu.Unlock()
	for _, f := range slices.Backward(fs) {
		f()
	}
	var errs []error
	for _, d := range dirs {
		errs = append(errs, os.RemoveAll(d))
	}
	if err := errors.Join(errs...); err != nil {
		o.Logf("gitlabtest: %v", err)
	}
}
