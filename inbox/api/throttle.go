package api

import (
	"context"
	"log/slog"
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
//
// Several gateways on one shared store each keep these counts, and with a
// shared log (Config.SignInLog) every attempt is also counted there before
// its password is checked, and refused once the failures over all
// gateways reach the same limits (throttle_shared.go).
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
	// shared, when set, counts the failures of every gateway; log gets
	// its errors.
	shared SignInLog
	log    *slog.Logger
}

// throttleKeysMax bounds the keys kept; older entries are pruned first.
const throttleKeysMax = 100_000

type throttleConfig struct {
	window                              time.Duration
	pairMax, addrMax, alertAt, inFlight int
	now                                 func() time.Time
	onLock                              func(kind, key string)
	onAlert                             func(account string, failures int)
	shared                              SignInLog
	log                                 *slog.Logger
}

func newThrottle(c throttleConfig) *throttle {
	return &throttle{
		window: c.window, now: c.now, pairMax: c.pairMax, addrMax: c.addrMax, alertAt: c.alertAt, inFlightMax: c.inFlight,
		hits: map[string][]time.Time{}, inFlight: map[string]int{}, alerted: map[string]time.Time{},
		onLock: c.onLock, onAlert: c.onAlert, shared: c.shared, log: c.log,
	}
}

// attempt is one sign-in in progress, holding its place in the counts.
type attempt struct {
	t                 *throttle
	pair, addr, acct  string
	at                time.Time
	accountKey, ipKey string
	done              bool
	// recorded says the attempt is in the shared log; sharedPair and
	// sharedAddr are the failures there when it began, itself included
	// (0: not known).
	recorded               bool
	sharedPair, sharedAddr int
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
// many attempts running). With a shared log the attempt is also counted
// there, over all gateways. The caller ends an accepted attempt with
// succeeded or failed.
func (t *throttle) begin(ctx context.Context, account, address string) (*attempt, *refusal) {
	a, r := t.beginLocal(account, address)
	if r != nil || t.shared == nil {
		return a, r
	}
	if r := a.checkShared(ctx); r != nil {
		a.takeBack(false)
		return nil, r
	}
	return a, nil
}

// beginLocal is begin on this process's counts.
func (t *throttle) beginLocal(account, address string) (*attempt, *refusal) {
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

// takeBack ends the attempt without counting it, and says whether it was
// still running; clear also forgets the account's failures from this
// address.
func (a *attempt) takeBack(clear bool) bool {
	t := a.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if a.done {
		return false
	}
	a.end()
	keys := []string{a.pair, a.addr, a.acct}
	if clear {
		delete(t.hits, a.pair)
		keys = keys[1:]
	}
	for _, k := range keys {
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
	return true
}

// succeeded takes the attempt back and clears the account's failures from
// this address, here and in the shared log.
func (a *attempt) succeeded(ctx context.Context) {
	if a.takeBack(true) {
		a.clearShared(ctx)
	}
}

// failed keeps the attempt counted and reports new locks and alerts.
func (a *attempt) failed(ctx context.Context) {
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
	locks = a.failedShared(ctx, locks)
	for _, l := range locks {
		if t.onLock != nil {
			t.onLock(l[0], l[1])
		}
	}
	if alert && t.onAlert != nil {
		t.onAlert(a.accountKey, n)
	}
}
