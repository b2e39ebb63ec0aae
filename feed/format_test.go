package feed_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/truce-project/truce/feed"
)

// TestFormat_AsFmt: FormatICAO and Squawk.String, written by hand, write
// what fmt's "%06X" and "%04o" write, on every squawk code and on ICAO
// addresses at the edges and at random (seed printed).
func TestFormat_AsFmt(t *testing.T) {
	for v := range 0o20000 {
		if got, want := feed.Squawk(v).String(), fmt.Sprintf("%04o", uint16(v)); got != want {
			t.Fatalf("squawk %d: %q, want %q", v, got, want)
		}
	}
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 0))
	addrs := []uint32{0, 1, 0xF, 0x10, 0xABCDEF, 0xFFFFFF, 0x1000000, 0xFFFFFFFF}
	for range 100000 {
		addrs = append(addrs, r.Uint32N(0x1000000))
	}
	for _, a := range addrs {
		if got, want := feed.FormatICAO(a), fmt.Sprintf("%06X", a); got != want {
			t.Fatalf("ICAO %#x: %q, want %q", a, got, want)
		}
	}
}
