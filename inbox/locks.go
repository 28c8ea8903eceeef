package inbox

import "sync"

// keyedMutex serialises work per key (a conversation id) within one
// process. MongoDB makes each single-document update atomic, but the
// embedded engine does not: two findAndModify $inc calls can read the same
// value. Serialising per conversation keeps seq allocation, message insert
// and status update in one order on a node; across nodes the unique
// indexes and the version check stay the arbiters.
type keyedMutex struct {
	mu    sync.Mutex
	locks map[string]*refLock
}

type refLock struct {
	sync.Mutex
	refs int
}

func (k *keyedMutex) lock(key string) (unlock func()) {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = map[string]*refLock{}
	}
	l := k.locks[key]
	if l == nil {
		l = &refLock{}
		k.locks[key] = l
	}
	l.refs++
	k.mu.Unlock()
	l.Lock()
	return func() {
		l.Unlock()
		k.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
}
