package inbox_test

import (
	"context"
	"testing"
	"time"
)

// TestSignInFailuresShared: two nodes on one shared store record failed
// sign-ins; each counts them all, by account and address and by address,
// within the window only. Forgetting takes one back; clearing deletes the
// account's failures from that address only. Expired failures are deleted
// by a later record (the embedded engine has no TTL).
func TestSignInFailuresShared(t *testing.T) {
	stores := engine.Stores(t, 2, false)
	a, b := stores[0], stores[1]
	ctx := context.Background()
	const ann, bob, ip, other = "ann@example.com", "bob@example.com", "198.51.100.7", "192.0.2.1"
	keep := time.Hour
	record := func(i int, account, address string, at time.Time) string {
		t.Helper()
		id, err := stores[i%2].RecordSignInFailure(ctx, account, address, at, at.Add(keep))
		if err != nil || id == "" {
			t.Fatalf("record: %q, %v", id, err)
		}
		return id
	}
	want := func(account, address string, since time.Time, wantPair, wantAddr int) {
		t.Helper()
		for _, s := range stores {
			pair, addr, err := s.SignInFailures(ctx, account, address, since)
			if err != nil {
				t.Fatal(err)
			}
			if pair != wantPair || addr != wantAddr {
				t.Errorf("failures of %s from %s since %s: %d by pair, %d by address; want %d, %d",
					account, address, since.Format(time.TimeOnly), pair, addr, wantPair, wantAddr)
			}
		}
	}
	var ids []string
	for i := range 3 {
		ids = append(ids, record(i, ann, ip, t0.Add(time.Duration(i)*time.Minute)))
	}
	record(0, bob, ip, t0.Add(3*time.Minute))
	record(1, ann, other, t0.Add(3*time.Minute))

	want(ann, ip, t0, 3, 4)
	want(bob, ip, t0, 1, 4)
	want(ann, other, t0, 1, 1)
	// The window cuts off older failures: at is inclusive.
	want(ann, ip, t0.Add(time.Minute), 2, 3)
	want(ann, ip, t0.Add(3*time.Minute), 0, 1)
	want(ann, "203.0.113.5", t0, 0, 0)

	// An attempt refused after it was recorded is taken back, alone.
	if err := b.ForgetSignInFailure(ctx, ids[2]); err != nil {
		t.Fatal(err)
	}
	want(ann, ip, t0, 2, 3)
	want(ann, ip, t0.Add(2*time.Minute), 0, 1)

	// A success clears the account's failures from that address only.
	if err := a.ClearSignInFailures(ctx, ann, ip); err != nil {
		t.Fatal(err)
	}
	want(ann, ip, t0, 0, 1)
	want(bob, ip, t0, 1, 1)
	want(ann, other, t0, 1, 1)

	// Failures kept until an hour later are deleted by a record after
	// that (the purge runs at most once a minute, by the callers' clock).
	later := t0.Add(2 * time.Hour)
	record(0, ann, ip, later)
	want(bob, ip, t0, 0, 1)
	want(ann, other, t0, 0, 0)
	want(ann, ip, t0, 1, 1)
}
