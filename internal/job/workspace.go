package job

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Workspaces. Each worker clones into WorkDir/w-<worker id>/ and holds an
// exclusive lock on WorkDir/w-<worker id>.lock for as long as its process
// lives; the kernel drops the lock when the process dies, even by kill -9.
// A worker starting on the same data directory takes the free locks:
// their workers are dead, so their workspaces (clones of hundreds of MB)
// are removed and their running scans and leases taken over at once,
// without waiting for a heartbeat to go stale.

const workspacePrefix = "w-"

// workspace takes this worker's lock and directory and sweeps those of
// dead workers, returning their IDs.
func (r *Runner) workspace() (dead []string, err error) {
	if r.c.WorkDir == "" {
		return nil, nil
	}
	if err := os.MkdirAll(r.c.WorkDir, 0o700); err != nil {
		return nil, fmt.Errorf("job: work directory: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(r.c.WorkDir, workspacePrefix+r.id+".lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("job: work directory: %w", err)
	}
	r.dir = filepath.Join(r.c.WorkDir, workspacePrefix+r.id)
	if err := os.MkdirAll(r.dir, 0o700); err != nil {
		lock.Close()
		return nil, fmt.Errorf("job: workspace: %w", err)
	}
	if !lockSupported {
		lock.Close()
		return nil, nil
	}
	if ok, err := tryLock(lock); err != nil || !ok {
		lock.Close()
		return nil, fmt.Errorf("job: lock of worker %s: %v", r.id, err)
	}
	// Held until the process exits.
	r.lock = lock
	entries, err := os.ReadDir(r.c.WorkDir)
	if err != nil {
		return nil, fmt.Errorf("job: work directory: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasPrefix(name, workspacePrefix) && strings.HasSuffix(name, ".lock"):
			id := strings.TrimSuffix(strings.TrimPrefix(name, workspacePrefix), ".lock")
			if id == r.id {
				continue
			}
			if r.sweep(id) {
				dead = append(dead, id)
			}
		case strings.HasPrefix(name, "clone-") || strings.HasPrefix(name, "ca-"):
			// Left by a version that cloned into WorkDir itself: stale once
			// older than any scan may run.
			if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > 2*r.c.ScanTimeout+time.Minute {
				r.removeAll(filepath.Join(r.c.WorkDir, name))
			}
		}
	}
	return dead, nil
}

// sweep removes the workspace of worker id if its lock is free (the
// worker is dead) and reports whether it was.
func (r *Runner) sweep(id string) bool {
	path := filepath.Join(r.c.WorkDir, workspacePrefix+id+".lock")
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	if ok, err := tryLock(f); err != nil || !ok {
		return false
	}
	r.removeAll(filepath.Join(r.c.WorkDir, workspacePrefix+id))
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		r.log.Warn("lock of a dead worker not removed", "path", path, "error", err.Error())
	}
	r.log.Info("workspace of a dead worker removed", "worker", id)
	return true
}

func (r *Runner) removeAll(path string) {
	if err := os.RemoveAll(path); err != nil {
		r.log.Warn("stale workspace not removed", "path", path, "error", err.Error())
	}
}
