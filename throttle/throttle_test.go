package throttle_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/truce-project/truce/throttle"
)

func TestLimiters(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := throttle.NewLimiters(time.Second, 3, 100)
	for i := range 3 {
		if ok, _ := l.Allow("a", 1, now); !ok {
			t.Fatalf("try %d within the burst refused", i)
		}
	}
	ok, wait := l.Allow("a", 1, now)
	if ok || wait <= 0 || wait > time.Second {
		t.Fatalf("past the burst: %v, wait %s", ok, wait)
	}
	if ok, _ := l.Allow("b", 1, now); !ok {
		t.Fatal("another key shares the first one's bucket")
	}
	if ok, _ := l.Allow("a", 1, now.Add(wait)); !ok {
		t.Fatal("refused after the wait it was given")
	}
	for i := range 1000 {
		l.Allow(fmt.Sprint("k", i), 1, now)
	}
	if l.Len() != 100 {
		t.Fatalf("table holds %d keys, bound 100", l.Len())
	}
}

func TestBackoff(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b := throttle.NewBackoff(2, time.Second, 8*time.Second, 50)
	var waits []time.Duration
	for range 7 {
		waits = append(waits, b.Fail("u", now))
	}
	if fmt.Sprint(waits) != "[0s 0s 1s 2s 4s 8s 8s]" {
		t.Fatalf("waits %v", waits)
	}
	if w := b.Wait("u", now.Add(3*time.Second)); w != 5*time.Second {
		t.Fatalf("wait %s", w)
	}
	if b.Wait("v", now) != 0 || b.Good("u") {
		t.Fatal("unrelated key or failing key reported wrongly")
	}
	b.Succeed("u")
	if b.Wait("u", now) != 0 || !b.Good("u") {
		t.Fatal("success did not reset the backoff")
	}
	for i := range 500 {
		b.Fail(fmt.Sprint("k", i), now)
	}
	if b.Len() != 50 {
		t.Fatalf("table holds %d keys, bound 50", b.Len())
	}
}
