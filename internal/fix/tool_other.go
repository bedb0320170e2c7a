//go:build !unix

package fix

import "os/exec"

// killProcessGroup leaves cmd as it is: without process groups, cancelling
// cmd kills the tool itself only.
func killProcessGroup(*exec.Cmd) {}
