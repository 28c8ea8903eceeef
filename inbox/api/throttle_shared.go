package api

import (
	"context"
	"time"
)

// SignInLog keeps failed sign-ins where every gateway on a shared store
// counts them; *inbox.Store is one. Failures are recorded per account
// (the lower-case e-mail) and client address.
type SignInLog interface {
	// RecordSignInFailure records a failure at at, kept until expires,
	// and returns its id.
	RecordSignInFailure(ctx context.Context, account, address string, at, expires time.Time) (id string, err error)
	// SignInFailures counts the failures at or after since of account
	// from address (pair) and from address over all accounts (addr).
	SignInFailures(ctx context.Context, account, address string, since time.Time) (pair, addr int, err error)
	// ForgetSignInFailure deletes the failure recorded as id.
	ForgetSignInFailure(ctx context.Context, id string) error
	// ClearSignInFailures deletes every failure of account from address.
	ClearSignInFailures(ctx context.Context, account, address string) error
}

// sharedTimeout bounds each call to the shared log.
const sharedTimeout = 5 * time.Second

// sharedCtx is ctx for one call to the shared log: bounded, and not ended
// by the client going away, so that hanging up does not take back a
// failure.
func sharedCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), sharedTimeout)
}

// checkShared counts the attempt, already accepted by this gateway's
// counts, over all gateways. As locally, it is recorded as a failure
// before its password is checked, so that parallel attempts spread over
// the gateways cannot slip past the limits; it is refused (and forgotten)
// when the failures then number more than pairMax for the account from
// this address or more than addrMax from the address. An account already
// locked is refused without recording anything.
//
// A shared log that does not answer neither locks everybody out nor
// opens the gate: the error is logged and this gateway's counts decide.
func (a *attempt) checkShared(ctx context.Context) *refusal {
	t := a.t
	ctx, cancel := sharedCtx(ctx)
	defer cancel()
	since := a.at.Add(-t.window)
	locked := &refusal{wait: t.window, why: "locked"}
	pair, addr, err := t.shared.SignInFailures(ctx, a.accountKey, a.ipKey, since)
	if err != nil {
		t.sharedError("count", err)
		return nil
	}
	if pair >= t.pairMax || addr >= t.addrMax {
		return locked
	}
	id, err := t.shared.RecordSignInFailure(ctx, a.accountKey, a.ipKey, a.at, a.at.Add(t.window))
	if err != nil {
		t.sharedError("record", err)
		return nil
	}
	a.recorded = true
	// Counted again with this attempt: of the attempts recorded at once,
	// only those within the limits go on.
	if pair, addr, err = t.shared.SignInFailures(ctx, a.accountKey, a.ipKey, since); err != nil {
		t.sharedError("count", err)
		return nil
	}
	if pair <= t.pairMax && addr <= t.addrMax {
		a.sharedPair, a.sharedAddr = pair, addr
		return nil
	}
	if err := t.shared.ForgetSignInFailure(ctx, id); err != nil {
		t.sharedError("forget", err)
	}
	a.recorded = false
	return locked
}

// failedShared makes sure the failure is in the shared log (checkShared
// may not have recorded it) and adds to locks those the shared counts
// reach with it.
func (a *attempt) failedShared(ctx context.Context, locks [][2]string) [][2]string {
	t := a.t
	if t.shared == nil {
		return locks
	}
	if !a.recorded {
		ctx, cancel := sharedCtx(ctx)
		defer cancel()
		if _, err := t.shared.RecordSignInFailure(ctx, a.accountKey, a.ipKey, a.at, a.at.Add(t.window)); err != nil {
			t.sharedError("record", err)
		}
		return locks
	}
	have := map[string]bool{}
	for _, l := range locks {
		have[l[0]] = true
	}
	if a.sharedPair == t.pairMax && !have["account"] {
		locks = append(locks, [2]string{"account", a.accountKey})
	}
	if a.sharedAddr == t.addrMax && !have["address"] {
		locks = append(locks, [2]string{"address", a.ipKey})
	}
	return locks
}

// clearShared clears the account's failures from this address in the
// shared log.
func (a *attempt) clearShared(ctx context.Context) {
	t := a.t
	if t.shared == nil {
		return
	}
	ctx, cancel := sharedCtx(ctx)
	defer cancel()
	if err := t.shared.ClearSignInFailures(ctx, a.accountKey, a.ipKey); err != nil {
		t.sharedError("clear", err)
	}
}

// sharedError logs a call to the shared log that failed.
func (t *throttle) sharedError(op string, err error) {
	if t.log != nil {
		t.log.Error("sign-in throttle: the shared failure log did not answer; this gateway's counts decide", "op", op, "err", err)
	}
}
