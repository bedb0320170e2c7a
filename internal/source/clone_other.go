//go:build !unix

package source

import "os/exec"

// killProcessGroup leaves cmd as it is: without process groups, cancelling
// cmd kills git itself only.
func killProcessGroup(*exec.Cmd) {}
