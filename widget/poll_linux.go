//go:build linux

package widget

import (
	"errors"
	"fmt"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// poller tells when idle sockets have something to read, so that an idle
// socket needs no goroutine blocked in Read: one epoll instance and one
// goroutine waiting on it for all of them. Each socket is registered
// one-shot: after it is reported, it is not reported again until rearm,
// so only one goroutine at a time reads a socket.
//
// The sockets stay in Go's own poller too (nonblocking, as net.Conn
// keeps them); reading them goes through net.Conn as always. Every
// epoll_ctl on a socket goes through its syscall.RawConn, which holds the
// descriptor open meanwhile, so a closed socket's number, reused by a new
// one, is never touched by mistake.
type poller struct {
	epfd int
	wake int // an eventfd: written to end run
	mu   sync.Mutex
	// conns are the registered sockets by id (the epoll event's data).
	conns  map[uint64]*conn
	next   uint64
	closed bool
	ended  chan struct{}
}

// pollEvents: readable, or the peer is gone or the socket failed (all
// end in a read that says so); one report per arming.
const pollEvents = unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLONESHOT

// newPoller opens the epoll instance and starts its goroutine.
func newPoller() (*poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("epoll_create1: %w", err)
	}
	wake, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		_ = unix.Close(epfd)
		return nil, fmt.Errorf("eventfd: %w", err)
	}
	// The eventfd has id 0; sockets count from 1.
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wake, &unix.EpollEvent{Events: unix.EPOLLIN}); err != nil {
		_ = unix.Close(epfd)
		_ = unix.Close(wake)
		return nil, fmt.Errorf("epoll_ctl eventfd: %w", err)
	}
	p := &poller{epfd: epfd, wake: wake, conns: map[uint64]*conn{}, ended: make(chan struct{})}
	go p.run()
	return p, nil
}

// run waits for readable sockets and hands each to its connection
// (conn.readable starts a goroutine for it), until close.
func (p *poller) run() {
	defer close(p.ended)
	events := make([]unix.EpollEvent, 256)
	for {
		n, err := unix.EpollWait(p.epfd, events, -1)
		if err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			// Cannot happen with a valid epfd; the sockets it held are
			// woken so that none hangs unread.
			p.failAll()
			return
		}
		for i := range events[:n] {
			id := uint64(uint32(events[i].Fd)) | uint64(uint32(events[i].Pad))<<32
			if id == 0 {
				return // close
			}
			p.mu.Lock()
			c := p.conns[id]
			p.mu.Unlock()
			if c != nil {
				c.readable()
			}
		}
	}
}

// failAll wakes every registered socket (each then finds out for itself
// that its poller is gone).
func (p *poller) failAll() {
	p.mu.Lock()
	p.closed = true
	all := make([]*conn, 0, len(p.conns))
	for _, c := range p.conns {
		all = append(all, c)
	}
	p.mu.Unlock()
	for _, c := range all {
		c.readable()
	}
}

// add registers c's socket, armed. The id it returns names it to rearm
// and remove.
func (p *poller) add(rc syscall.RawConn, c *conn) (uint64, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return 0, errPollerClosed
	}
	p.next++
	id := p.next
	p.conns[id] = c
	p.mu.Unlock()
	if err := p.ctl(rc, unix.EPOLL_CTL_ADD, id); err != nil {
		p.mu.Lock()
		delete(p.conns, id)
		p.mu.Unlock()
		return 0, err
	}
	return id, nil
}

// rearm lets the socket be reported again (at once if it has unread
// data).
func (p *poller) rearm(rc syscall.RawConn, id uint64) error {
	return p.ctl(rc, unix.EPOLL_CTL_MOD, id)
}

// remove unregisters the socket; it must be called before the socket is
// closed (closing removes it from epoll, but not from conns).
func (p *poller) remove(rc syscall.RawConn, id uint64) {
	p.mu.Lock()
	delete(p.conns, id)
	p.mu.Unlock()
	_ = p.ctl(rc, unix.EPOLL_CTL_DEL, id)
}

func (p *poller) ctl(rc syscall.RawConn, op int, id uint64) error {
	ev := unix.EpollEvent{Events: pollEvents, Fd: int32(uint32(id)), Pad: int32(uint32(id >> 32))}
	var opErr error
	err := rc.Control(func(fd uintptr) {
		opErr = unix.EpollCtl(p.epfd, op, int(fd), &ev)
	})
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	if opErr != nil {
		return fmt.Errorf("epoll_ctl: %w", opErr)
	}
	return nil
}

// close ends run and releases the epoll instance; registered sockets are
// not touched (the Widget closes them first).
func (p *poller) close() {
	p.mu.Lock()
	if p.closed && p.wake < 0 {
		p.mu.Unlock()
		return
	}
	p.closed = true
	p.mu.Unlock()
	var one [8]byte
	one[0] = 1
	_, _ = unix.Write(p.wake, one[:])
	<-p.ended
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.wake >= 0 {
		_ = unix.Close(p.wake)
		_ = unix.Close(p.epfd)
		p.wake = -1
	}
}

var errPollerClosed = errors.New("poller closed")
