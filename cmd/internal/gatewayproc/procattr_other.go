//go:build !linux

package gatewayproc

import "syscall"

// procAttr is empty where the kernel cannot kill a child with its parent.
func procAttr() *syscall.SysProcAttr { return nil }
