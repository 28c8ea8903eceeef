package api

import (
	"sync"
	"time"
)

// throttle guards sign-ins. Every attempt is counted before its password is
// checked, so parallel attempts cannot slip past the limit while bcrypt
// runs; a success takes its own attempt back. An account is locked for one
// client address only (LoginMaxFailures per account and address), so an
// attacker elsewhere cannot lock the owner out; an address is locked after
// LoginMaxFailuresPerAddress failures over all accounts; and at most
// LoginMaxInFlight attempts per account and per address run at once.
type throttle struct {
	mu     sync.Mutex
	window time.Duration
	now    func() time.Time
	// limits by key kind: pair (account and address), addr, account (alert only).
	pairMax, addrMax, alertAt, inFlightMax int
	hits                                   map[string][]time.Time
	inFlight                               map[string]int
	alerted                                map[string]time.Time
	// onLock is told when a key is first locked ("account" or "address"),
	// onAlert when one account passes alertAt failures from all addresses.
	onLock  func(kind, key string)
	onAlert func(account string, failures int)
}

// throttleKeysMax bounds the keys kept; older entries are pruned first.
const throttleKeysMax = 100_000

type throttleConfig struct {
	window                              time.Duration
	pairMax, addrMax, alertAt, inFlight int
	now                                 func() time.Time
	onLock                              func(kind, key string)
	onAlert                             func(account string, failures int)
}

func newThrottle(c throttleConfig) *throttle {
	return &throttle{
		window: c.window, now: c.now, pairMax: c.pairMax, addrMax: c.addrMax, alertAt: c.alertAt, inFlightMax: c.inFlight,
		hits: map[string][]time.Time{}, inFlight: map[string]int{}, alerted: map[string]time.Time{},
		onLock: c.onLock, onAlert: c.onAlert,
	}
}

// attempt is one sign-in in progress, holding its place in the counts.
type attempt struct {
	t                 *throttle
	pair, addr, acct  string
	at                time.Time
	accountKey, ipKey string
	done              bool
}

// refusal says why an attempt may not start and for how long.
type refusal struct {
	wait time.Duration
	why  string // "locked" or "busy"
}

func (t *throttle) recent(key string, now time.Time) []time.Time {
	hs := t.hits[key]
	i := 0
	for i < len(hs) && now.Sub(hs[i]) >= t.window {
		i++
	}
	hs = hs[i:]
	if len(hs) == 0 {
		delete(t.hits, key)
	} else {
		t.hits[key] = hs
	}
	return hs
}

// begin counts an attempt on account from address before the password is
// checked, or refuses it: locked (too many recent failures) or busy (too
// many attempts running). The caller ends an accepted attempt with
// succeeded or failed.
func (t *throttle) begin(account, address string) (*attempt, *refusal) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if len(t.hits) > throttleKeysMax {
		for k := range t.hits {
			t.recent(k, now)
		}
		for k, at := range t.alerted {
			if now.Sub(at) >= t.window {
				delete(t.alerted, k)
			}
		}
	}
	a := &attempt{t: t, pair: "pair:" + account + "\x00" + address, addr: "addr:" + address, acct: "acct:" + account,
		at: now, accountKey: account, ipKey: address}
	var wait time.Duration
	for _, k := range []struct {
		key string
		max int
	}{{a.pair, t.pairMax}, {a.addr, t.addrMax}} {
		if hs := t.recent(k.key, now); len(hs) >= k.max {
			wait = max(wait, hs[len(hs)-k.max].Add(t.window).Sub(now))
		}
	}
	if wait > 0 {
		return nil, &refusal{wait: wait, why: "locked"}
	}
	if t.inFlight[a.acct] >= t.inFlightMax || t.inFlight[a.addr] >= t.inFlightMax {
		return nil, &refusal{wait: time.Second, why: "busy"}
	}
	t.inFlight[a.acct]++
	t.inFlight[a.addr]++
	for _, k := range []string{a.pair, a.addr, a.acct} {
		t.hits[k] = append(t.recent(k, now), now)
	}
	return a, nil
}

func (a *attempt) end() {
	t := a.t
	for _, k := range []string{a.acct, a.addr} {
		if t.inFlight[k]--; t.inFlight[k] <= 0 {
			delete(t.inFlight, k)
		}
	}
	a.done = true
}

// succeeded takes the attempt back and clears the account's failures from
// this address.
func (a *attempt) succeeded() {
	t := a.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if a.done {
		return
	}
	a.end()
	delete(t.hits, a.pair)
	for _, k := range []string{a.addr, a.acct} {
		hs := t.hits[k]
		for i := len(hs) - 1; i >= 0; i-- {
			if hs[i].Equal(a.at) {
				hs = append(hs[:i:i], hs[i+1:]...)
				break
			}
		}
		if len(hs) == 0 {
			delete(t.hits, k)
		} else {
			t.hits[k] = hs
		}
	}
}

// failed keeps the attempt counted and reports new locks and alerts.
func (a *attempt) failed() {
	t := a.t
	t.mu.Lock()
	if a.done {
		t.mu.Unlock()
		return
	}
	a.end()
	now := t.now()
	var locks [][2]string
	if len(t.recent(a.pair, now)) == t.pairMax {
		locks = append(locks, [2]string{"account", a.accountKey})
	}
	if len(t.recent(a.addr, now)) == t.addrMax {
		locks = append(locks, [2]string{"address", a.ipKey})
	}
	n := len(t.recent(a.acct, now))
	alert := false
	if n >= t.alertAt {
		if at, ok := t.alerted[a.acct]; !ok || now.Sub(at) >= t.window {
			t.alerted[a.acct] = now
			alert = true
		}
	}
	t.mu.Unlock()
	for _, l := range locks {
		if t.onLock != nil {
			t.onLock(l[0], l[1])
		}
	}
	if alert && t.onAlert != nil {
		t.onAlert(a.accountKey, n)
	}
}
