package feed_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/truce-project/truce/feed"
	"github.com/truce-project/truce/internal/testwait"
)

// waitFor guards against a hung test; it is not a speed check.
const waitFor = 10 * time.Second

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

func collect(t *testing.T, ch <-chan feed.Position, n int) []feed.Position {
	t.Helper()
	var got []feed.Position
	deadline := time.After(waitFor)
	for len(got) < n {
		select {
		case p := <-ch:
			got = append(got, p)
		case <-deadline:
			t.Fatalf("received %d positions, want %d", len(got), n)
		}
	}
	return got
}

func decodeAll(t *testing.T, lines []string) []feed.Position {
	t.Helper()
	var ps []feed.Position
	for _, l := range lines {
		p, err := feed.DecodeSBS([]byte(l), recv)
		if err == nil {
			ps = append(ps, p)
		}
	}
	return ps
}

func samePositions(t *testing.T, got, want []feed.Position, source string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d positions, want %d", len(got), len(want))
	}
	for i := range got {
		w := want[i]
		w.Time, w.Source = got[i].Time, source // live times are receive times
		if got[i] != w {
			t.Fatalf("position %d: got %+v want %+v", i, got[i], w)
		}
	}
}

// TestSBSClient_Reconnects has a real server send lines and hang up; the
// client must dial again and keep receiving from the second connection.
func TestSBSClient_Reconnects(t *testing.T) {
	lines := readLines(t, "testdata/sbs1-msgs.txt")
	first := append(append([]string{}, lines[:50]...), "MSG,3,,,NOTHEX,,,,,,,,,,,,,,,,,")
	second := lines[50:100]
	ln := listen(t)
	go func() {
		for i, batch := range [][]string{first, second} {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			io.WriteString(c, strings.Join(batch, "\r\n")+"\r\n")
			if i == 0 {
				c.Close() // the feed drops
			} else {
				defer c.Close() // held open until the listener closes
			}
		}
		ln.Accept() // park until cleanup closes ln
	}()

	ch := make(chan feed.Position, 200)
	cl := &feed.SBSClient{
		Addr:       ln.Addr().String(),
		Handle:     func(p feed.Position) { ch <- p },
		MinBackoff: 10 * time.Millisecond,
		MaxBackoff: 40 * time.Millisecond,
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cl.Run(ctx) }()
	got := collect(t, ch, 100)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v, want context.Canceled", err)
	}
	samePositions(t, got, decodeAll(t, lines[:100]), "sbs:"+ln.Addr().String())
	if c, r, l, b, a := cl.Connects.Load(), cl.Reconnects.Load(), cl.Lines.Load(), cl.Bad.Load(), cl.Active.Load(); c != 2 || r != 1 || l != 101 || b != 1 || a != 0 {
		t.Errorf("connects %d reconnects %d lines %d bad %d active %d, want 2 1 101 1 0", c, r, l, b, a)
	}
}

// TestSBSClient_ServerDownThenUp dials a port nobody listens on, then opens
// it: the client must back off, retry, and connect.
func TestSBSClient_ServerDownThenUp(t *testing.T) {
	probe := listen(t)
	addr := probe.Addr().String()
	probe.Close()

	ch := make(chan feed.Position, 10)
	cl := &feed.SBSClient{Addr: addr, Source: "radar-1", Handle: func(p feed.Position) { ch <- p },
		MinBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- cl.Run(ctx) }()

	if !testwait.Until(waitFor, func() bool { return cl.DialErrors.Load() >= 3 }) {
		t.Fatal("client never retried a refused dial")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("reopening %s (another process may have taken the port): %v", addr, err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.WriteString(c, "MSG,6,,,A92D10,,,,,,,,,,,,,7700,-1,-1,0,0\n")
		io.Copy(io.Discard, c) // hold open until the client closes
	}()
	p := collect(t, ch, 1)[0]
	if p.ICAO != 0xA92D10 || !p.Squawk.IsEmergency() || p.Source != "radar-1" {
		t.Errorf("got %+v", p)
	}
	if cl.Connects.Load() != 1 || cl.Reconnects.Load() < 3 {
		t.Errorf("connects %d reconnects %d", cl.Connects.Load(), cl.Reconnects.Load())
	}
	cancel()
	<-done
}

// TestSBSClient_IdleTimeout: a server that accepts and goes silent must be
// dropped and dialled again.
func TestSBSClient_IdleTimeout(t *testing.T) {
	ln := listen(t)
	go func() {
		silent, err := ln.Accept()
		if err != nil {
			return
		}
		defer silent.Close()
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.WriteString(c, "MSG,5,,,ADFE14,,,,,,,3575,,,,,,,,,,\n")
		io.Copy(io.Discard, c)
	}()
	ch := make(chan feed.Position, 10)
	cl := &feed.SBSClient{Addr: ln.Addr().String(), Handle: func(p feed.Position) { ch <- p },
		IdleTimeout: 50 * time.Millisecond, MinBackoff: 5 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cl.Run(ctx) }()
	p := collect(t, ch, 1)[0]
	cancel()
	<-done
	if p.ICAO != 0xADFE14 || p.AltFt != 3575 || cl.Connects.Load() != 2 {
		t.Errorf("got %+v after %d connects, want the second connection's line", p, cl.Connects.Load())
	}
}

// TestSBSListener_Push has two real clients push streams at once, one with
// junk in it, and checks each stream arrives whole and in order.
func TestSBSListener_Push(t *testing.T) {
	lines := readLines(t, "testdata/sbs1-msgs.txt")
	streams := [][]string{
		lines[:300],
		append(append(append([]string{}, lines[300:400]...), "\x00\x01garbage", strings.Repeat("Z", 5000)), lines[400:450]...),
	}
	ln := listen(t)
	var mu sync.Mutex
	bySource := map[string][]feed.Position{}
	total := make(chan struct{}, 1000)
	l := &feed.SBSListener{Handle: func(p feed.Position) {
		mu.Lock()
		bySource[p.Source] = append(bySource[p.Source], p)
		mu.Unlock()
		total <- struct{}{}
	}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Serve(ctx, ln) }()

	sources := make([]string, len(streams))
	var wg sync.WaitGroup
	for i, s := range streams {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		sources[i] = "sbs-push:" + c.LocalAddr().String()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			io.WriteString(c, strings.Join(s, "\n")+"\n")
		}()
	}
	wg.Wait()
	want := 300 + 150
	deadline := time.After(waitFor)
	for i := 0; i < want; i++ {
		select {
		case <-total:
		case <-deadline:
			t.Fatalf("received %d positions, want %d", i, want)
		}
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Serve returned %v", err)
	}
	for i, s := range streams {
		samePositions(t, bySource[sources[i]], decodeAll(t, s), sources[i])
	}
	if c, lines, b, a := l.Connects.Load(), l.Lines.Load(), l.Bad.Load(), l.Active.Load(); c != 2 || lines != 452 || b != 2 || a != 0 {
		t.Errorf("connects %d lines %d bad %d active %d, want 2 452 2 0", c, lines, b, a)
	}
}

// TestSBSListener_MaxConns: a connection over the limit is closed at once.
func TestSBSListener_MaxConns(t *testing.T) {
	ln := listen(t)
	l := &feed.SBSListener{Handle: func(feed.Position) {}, MaxConns: 1}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Serve(ctx, ln) }()
	defer func() { cancel(); <-done }()

	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if !testwait.Until(waitFor, func() bool { return l.Active.Load() == 1 }) {
		t.Fatal("first connection never became active")
	}
	b, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	b.SetReadDeadline(time.Now().Add(waitFor))
	n, err := b.Read(make([]byte, 1))
	var ne net.Error
	if err == nil || (errors.As(err, &ne) && ne.Timeout()) {
		t.Errorf("second connection read %d bytes, err %v; want it closed by the server", n, err)
	}
	if l.Connects.Load() != 1 {
		t.Errorf("connects %d, want 1", l.Connects.Load())
	}
}

// TestSBSListener_AbsurdTimes: a live line timed years before its receipt
// (or 1970) is refused as bad, with the reason, and never handed on; the
// same line from a recording (DecodeSBS) is still read.
func TestSBSListener_AbsurdTimes(t *testing.T) {
	now := time.Now().UTC()
	stamp := func(at time.Time) string {
		return fmt.Sprintf("MSG,3,1,1,4CA2D1,1,%s,%s,%s,%s,,35000,,,33.5,36.3,,,0,0,0,0",
			at.Format("2006/01/02"), at.Format("15:04:05.000"), at.Format("2006/01/02"), at.Format("15:04:05.000"))
	}
	old := stamp(time.Date(2001, 9, 11, 12, 0, 0, 0, time.UTC))
	epoch := stamp(time.Date(1970, 1, 1, 0, 0, 1, 0, time.UTC))
	if _, err := feed.DecodeSBS([]byte(old), now); err != nil {
		t.Fatalf("a recorded line of 2001: %v", err)
	}
	ln := listen(t)
	got := make(chan feed.Position, 10)
	var mu sync.Mutex
	var bad []string
	l := &feed.SBSListener{Handle: func(p feed.Position) { got <- p }, OnBad: func(err error) {
		mu.Lock()
		bad = append(bad, err.Error())
		mu.Unlock()
	}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Serve(ctx, ln) }()
	defer func() { cancel(); <-done }()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(c, old+"\n"+epoch+"\n"+stamp(now)+"\n")
	c.Close()
	select {
	case p := <-got:
		if !p.Time.Equal(now.Truncate(time.Millisecond)) {
			t.Fatalf("the position handed on is timed %s, want the current one", p.Time)
		}
	case <-time.After(waitFor):
		t.Fatal("the current line was not handed on")
	}
	select {
	case p := <-got:
		t.Fatalf("a second position handed on: %+v", p)
	case <-time.After(100 * time.Millisecond):
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bad) != 2 || !strings.Contains(bad[0], "before receipt") || !strings.Contains(bad[1], "before receipt") {
		t.Fatalf("bad lines reported: %q", bad)
	}
}
