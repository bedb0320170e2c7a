//go:build unix

package source

import (
	"os/exec"
	"syscall"
)

// killProcessGroup starts cmd in a process group of its own and makes
// cancelling it kill the whole group: git runs helpers (git-remote-https,
// index-pack) that would otherwise outlive it and keep the connection open.
func killProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
