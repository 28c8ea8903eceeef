package keyed_test

import (
	"sync"
	"testing"

	"github.com/switchboard-chat/switchboard/inbox/keyed"
)

// Each key's counter is only touched under that key's lock: the race
// detector and the final counts fail if the lock does not exclude.
func TestOneHolderPerKey(t *testing.T) {
	var k keyed.Mutex
	var wg sync.WaitGroup
	counts := map[string]*int{"a": new(int), "b": new(int)}
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := []string{"a", "b"}[i%2]
			defer k.Lock(key)()
			*counts[key]++
		}()
	}
	wg.Wait()
	if *counts["a"] != 100 || *counts["b"] != 100 {
		t.Fatalf("counts a=%d b=%d, want 100 each", *counts["a"], *counts["b"])
	}
}
