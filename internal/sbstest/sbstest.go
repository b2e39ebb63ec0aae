// Package sbstest stands for an SBS-1 (BaseStation) source in tests of
// the servers that connect to one.
package sbstest

import (
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"
)

// Source is a listener standing for an SBS-1 source: it counts the
// connections open at once, and the most ever open.
type Source struct {
	ln         net.Listener
	open, most atomic.Int32
}

// New listens on a loopback port until the test ends.
func New(t *testing.T) *Source {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	s := &Source{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n := s.open.Add(1)
			for m := s.most.Load(); n > m && !s.most.CompareAndSwap(m, n); m = s.most.Load() {
			}
			go func() {
				io.Copy(io.Discard, c) // until the server hangs up
				s.open.Add(-1)
			}()
		}
	}()
	return s
}

// Wait waits up to 10 s for want connections to be open, and fails the
// test otherwise.
func (s *Source) Wait(t *testing.T, want int32, what string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); s.open.Load() != want; {
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d connections open to the source, want %d", what, s.open.Load(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Addr is the source's address, HOST:PORT.
func (s *Source) Addr() string { return s.ln.Addr().String() }

// Most is the most connections ever open at once.
func (s *Source) Most() int32 { return s.most.Load() }
