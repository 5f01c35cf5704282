//go:build !unix

package actions

import "os/exec"

// killGroup: without process groups, the command alone is killed.
func killGroup(cmd *exec.Cmd) {}
