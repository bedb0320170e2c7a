//go:build !unix

package job

import "os"

// Without flock a worker cannot prove another dead: dead workers are then
// found by their stale heartbeats only, and their workspaces stay.
const lockSupported = false

func tryLock(*os.File) (bool, error) { return false, nil }
