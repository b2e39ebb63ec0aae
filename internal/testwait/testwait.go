// Package testwait lets a test wait for a condition instead of sleeping
// for a guessed time: it polls the condition, soon at first and less
// often as the wait goes on, until it holds or a deadline passes. A test
// that waits on what it needs is as fast as the machine allows and does
// not fail because a loaded machine was slower than the guess.
//
// The deadline only guards against a hang; set it well above what the
// condition needs, since reaching it fails the test.
package testwait

import (
	"testing"
	"time"
)

// First and Most bound the pause between two polls: the first pause is
// First, and each pause doubles up to Most.
const (
	First = time.Millisecond
	Most  = 50 * time.Millisecond
)

// Until polls cond until it holds (true) or timeout passes (false, after
// a last poll at the deadline). It is for tests that make their own
// assertion after the wait, with their own message.
func Until(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	pause := First
	for {
		if cond() {
			return true
		}
		left := time.Until(deadline)
		if left <= 0 {
			return false
		}
		// The polling cadence: the one sleep a wait needs.
		time.Sleep(min(pause, left))
		pause = min(2*pause, Most)
	}
}

// For polls cond until it holds, and fails the test, naming what it
// waited for, if it does not hold within timeout.
func For(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	if !Until(timeout, cond) {
		t.Fatalf("gave up after %v waiting for %s", timeout, what)
	}
}

// Past waits until the wall clock, read at the microsecond that the
// stores keep, is after t: a time taken from the clock after Past
// returns is later than t as stored. It replaces a short sleep between a
// time a test notes and a change it then makes.
func Past(t time.Time) {
	t = t.Truncate(time.Microsecond)
	for !time.Now().Truncate(time.Microsecond).After(t) {
		time.Sleep(time.Microsecond) // less than a poll: the clock moves on
	}
}
