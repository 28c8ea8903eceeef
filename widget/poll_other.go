//go:build !linux

package widget

import (
	"errors"
	"syscall"
)

// poller exists on Linux only (epoll); elsewhere every socket has a
// reading goroutine of its own.
type poller struct{}

func newPoller() (*poller, error) { return nil, errors.New("no socket poller on this system") }

func (*poller) add(syscall.RawConn, *conn) (uint64, error) { return 0, errPollerClosed }
func (*poller) rearm(syscall.RawConn, uint64) error        { return errPollerClosed }
func (*poller) remove(syscall.RawConn, uint64)             {}
func (*poller) close()                                     {}

var errPollerClosed = errors.New("poller closed")
