package testwait_test

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/truce-project/truce/internal/testwait"
)

func TestUntil(t *testing.T) {
	var n atomic.Int32
	go func() {
		for range 5 {
			time.Sleep(2 * time.Millisecond) // the condition comes true over about 10 ms
			n.Add(1)
		}
	}()
	start := time.Now()
	if !testwait.Until(10*time.Second, func() bool { return n.Load() == 5 }) {
		t.Fatal("the condition held and Until said it did not")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Until returned after %v for a condition met in about 10 ms", d)
	}
	start = time.Now()
	if testwait.Until(30*time.Millisecond, func() bool { return false }) {
		t.Fatal("Until said a condition that never holds held")
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Fatalf("Until gave up after %v, before its 30 ms deadline", d)
	}
}

func TestFor_Fails(t *testing.T) {
	ft := &fakeT{TB: t}
	done := make(chan struct{})
	go func() { // Fatalf ends the goroutine, as in a test
		defer close(done)
		testwait.For(ft, 10*time.Millisecond, "nothing", func() bool { return false })
	}()
	<-done
	if !ft.failed {
		t.Fatal("For did not fail the test when the condition never held")
	}
}

func TestPast(t *testing.T) {
	for range 100 {
		t0 := time.Now()
		testwait.Past(t0)
		if now := time.Now().Truncate(time.Microsecond); !now.After(t0.Truncate(time.Microsecond)) {
			t.Fatalf("after Past(%v) the clock reads %v", t0, now)
		}
	}
}

type fakeT struct {
	testing.TB
	failed bool
}

func (f *fakeT) Helper() {}
func (f *fakeT) Fatalf(string, ...any) {
	f.failed = true
	runtime.Goexit()
}
