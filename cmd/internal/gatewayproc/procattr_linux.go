package gatewayproc

import "syscall"

// procAttr has the gateway killed when the process that started it dies.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
