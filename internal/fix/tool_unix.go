//go:build unix

package fix

import (
	"os/exec"
	"syscall"
)

// killProcessGroup starts cmd in a process group of its own and makes
// cancelling it kill the whole group (npm and the go command start
// helpers of their own).
func killProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
