package widget_test

import "testing"

// TestIdleSocketsHoldNoGoroutine: an idle visitor socket (after hello and
// its welcome) holds no goroutine of the widget: the poller watches it, and
// there is no writer, no event relay and no ping ticker per socket. Events
// still reach every socket, every socket still answers, and closing the
// sockets gives everything back.
func TestIdleSocketsHoldNoGoroutine(t *testing.T) {
	idleGoroutines(t, newHarness, 0)
}
