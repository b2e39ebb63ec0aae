package feed

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults for the TCP sources.
const (
	DefaultMinBackoff  = 500 * time.Millisecond
	DefaultMaxBackoff  = 30 * time.Second
	DefaultIdleTimeout = 60 * time.Second // a live SBS feed sends several lines a second
	DefaultDialTimeout = 10 * time.Second
)

// SourceCounters are a TCP source's line counters plus its connection
// counters, safe to read while the source runs.
type SourceCounters struct {
	Counters
	Connects   atomic.Uint64 // successful dials (client) or accepted connections (listener)
	Reconnects atomic.Uint64 // client dials after the first attempt, successful or not
	DialErrors atomic.Uint64 // failed dials (client)
	Active     atomic.Int64  // connections open now
}

// SBSClient connects to an SBS-1 (port 30003) server, such as dump1090 or
// readsb with --net-sbs-port, and hands every decoded position to Handle.
// When the connection fails, closes or goes idle it dials again after an
// exponential backoff with jitter, capped at MaxBackoff; the backoff starts
// over once a connection has delivered a line.
type SBSClient struct {
	Addr   string                                                            // host:port
	Source string                                                            // written into each position's Source; default "sbs:"+Addr
	Handle func(Position)                                                    // called from Run's goroutine, one position at a time
	OnBad  func(err error)                                                   // optional; called for every bad line
	Dial   func(ctx context.Context, network, addr string) (net.Conn, error) // default net.Dialer with DialTimeout

	MinBackoff  time.Duration // first retry delay; default DefaultMinBackoff
	MaxBackoff  time.Duration // cap; default DefaultMaxBackoff
	IdleTimeout time.Duration // drop a connection silent this long; default DefaultIdleTimeout
	DialTimeout time.Duration // default DefaultDialTimeout

	SourceCounters
}

// Run connects and reads until ctx is done, then returns ctx's error. It
// never gives up on its own: a feed that is down is retried forever.
func (c *SBSClient) Run(ctx context.Context) error {
	if c.Handle == nil {
		return errors.New("feed: SBSClient.Handle is nil")
	}
	minB, maxB := orDefault(c.MinBackoff, DefaultMinBackoff), orDefault(c.MaxBackoff, DefaultMaxBackoff)
	if maxB < minB {
		maxB = minB
	}
	dial := c.Dial
	if dial == nil {
		d := &net.Dialer{Timeout: orDefault(c.DialTimeout, DefaultDialTimeout)}
		dial = d.DialContext
	}
	source := c.Source
	if source == "" {
		source = "sbs:" + c.Addr
	}
	backoff := minB
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			c.Reconnects.Add(1)
		}
		conn, err := dial(ctx, "tcp", c.Addr)
		if ctx.Err() != nil {
			if conn != nil {
				conn.Close()
			}
			return ctx.Err()
		}
		if err != nil {
			c.DialErrors.Add(1)
		} else {
			c.Connects.Add(1)
			if lines := c.read(ctx, conn, source); lines > 0 {
				backoff = minB
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
		// "Equal jitter": wait between half and all of the backoff, so that
		// many clients of one restarted server do not reconnect in step.
		wait := backoff/2 + rand.N(backoff/2+1)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		backoff = min(backoff*2, maxB)
	}
}

// read scans one connection until it fails, closes or ctx ends, and returns
// the number of lines it read.
func (c *SBSClient) read(ctx context.Context, conn net.Conn, source string) uint64 {
	c.Active.Add(1)
	defer c.Active.Add(-1)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	defer conn.Close()
	before := c.Lines.Load()
	sc := newSourceScanner(conn, orDefault(c.IdleTimeout, DefaultIdleTimeout), &c.Counters, source)
	if c.OnBad != nil {
		sc.OnBad = func(_ uint64, err error) { c.OnBad(err) }
	}
	for sc.Scan() {
		c.Handle(sc.Position())
	}
	return c.Lines.Load() - before
}

// SBSListener accepts connections on which SBS-1 lines are pushed (a remote
// receiver's "push" output, or `nc` piping a feed) and hands every decoded
// position to Handle.
type SBSListener struct {
	Source      string          // written into each position's Source; default "sbs-push:"+remote address
	Handle      func(Position)  // called concurrently from one goroutine per connection
	OnBad       func(err error) // optional; called concurrently for every bad line
	MaxConns    int             // connections served at once; more are closed at once; default 64
	IdleTimeout time.Duration   // drop a connection silent this long; default DefaultIdleTimeout

	SourceCounters
}

// Serve accepts connections on ln until ctx is done (then it closes ln and
// every connection, waits for their goroutines, and returns ctx's error) or
// Accept fails for good.
func (l *SBSListener) Serve(ctx context.Context, ln net.Listener) error {
	if l.Handle == nil {
		return errors.New("feed: SBSListener.Handle is nil")
	}
	maxConns := l.MaxConns
	if maxConns <= 0 {
		maxConns = 64
	}
	sem := make(chan struct{}, maxConns)
	var wg sync.WaitGroup
	var mu sync.Mutex
	conns := map[net.Conn]struct{}{}
	stop := context.AfterFunc(ctx, func() {
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	defer stop()
	defer wg.Wait()
	var tempDelay time.Duration
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				// Out of file descriptors and the like: back off briefly, as
				// net/http does, instead of spinning or dying.
				tempDelay = min(max(2*tempDelay, 5*time.Millisecond), time.Second)
				time.Sleep(tempDelay)
				continue
			}
			return err
		}
		tempDelay = 0
		select {
		case sem <- struct{}{}:
		default:
			conn.Close()
			continue
		}
		mu.Lock()
		if ctx.Err() != nil {
			mu.Unlock()
			conn.Close()
			<-sem
			return ctx.Err()
		}
		conns[conn] = struct{}{}
		mu.Unlock()
		l.Connects.Add(1)
		l.Active.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			defer l.Active.Add(-1)
			defer func() {
				mu.Lock()
				delete(conns, conn)
				mu.Unlock()
				conn.Close()
			}()
			source := l.Source
			if source == "" {
				source = "sbs-push:" + conn.RemoteAddr().String()
			}
			sc := newSourceScanner(conn, orDefault(l.IdleTimeout, DefaultIdleTimeout), &l.Counters, source)
			if l.OnBad != nil {
				sc.OnBad = func(_ uint64, err error) { l.OnBad(err) }
			}
			for sc.Scan() {
				l.Handle(sc.Position())
			}
		}()
	}
}

func newSourceScanner(conn net.Conn, idle time.Duration, c *Counters, source string) *Scanner {
	sc := &Scanner{dec: decodeLiveSBS, Source: source}
	sc.init(&idleReader{conn: conn, idle: idle}, MaxSBSLine, c)
	return sc
}

// idleReader sets a read deadline before every read, so that a peer that
// vanished without closing (a half-open connection) is noticed.
type idleReader struct {
	conn net.Conn
	idle time.Duration
}

func (r *idleReader) Read(b []byte) (int, error) {
	if err := r.conn.SetReadDeadline(time.Now().Add(r.idle)); err != nil {
		return 0, err
	}
	return r.conn.Read(b)
}

var _ io.Reader = (*idleReader)(nil)

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// decodeLiveSBS is DecodeSBS for a live stream: a line timed absurdly far
// from its receipt (CheckLive) is a bad line, counted and passed to OnBad
// with the reason.
func decodeLiveSBS(line []byte, recv time.Time) (Position, error) {
	p, err := DecodeSBS(line, recv)
	if err == nil {
		if err = CheckLive(p.Time, recv); err != nil {
			return Position{}, invalidf("sbs: %s", strings.TrimPrefix(err.Error(), "feed: "))
		}
	}
	return p, err
}
