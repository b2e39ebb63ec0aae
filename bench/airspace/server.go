package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// server is a real `truce serve` process, started from a binary (-truce)
// on a data directory made by setup, with its HTTP API and SBS push
// listener on loopback ports. Everything the benchmark knows of it comes
// from outside: its /metrics, its event stream, and /proc for its CPU time
// and memory.
type server struct {
	cmd     *exec.Cmd
	pid     int
	url     string
	sbs     string
	tok     tokens
	logFile *os.File
	client  *http.Client
	exited  chan error
	scrapes atomic.Int64 // GETs of /metrics, each of which costs the server CPU (about 1 ms at load 20)
}

// startServer runs bin serve on dir and waits until it answers. The flags
// are a production server's but for: no start-up self-check (a background
// recomputation of the whole Merkle tree that would compete with the
// measurement), no rate limits on writes and position batches (the
// benchmark measures the engine's capacity, not a token's allowance),
// bodies up to 4 MiB and reports up to an hour late (the throughput
// streams play feed time faster than the clock). Its log goes to
// dir/../serve.log.
func startServer(ctx context.Context, bin, dir string) (*server, error) {
	tok, err := readTokens(dir)
	if err != nil {
		return nil, err
	}
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	sbs, err := freePort()
	if err != nil {
		return nil, err
	}
	lf, err := os.OpenFile(filepath.Join(filepath.Dir(dir), "serve.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", "--data", dir, "--name", "bench", "--addr", addr, "--sbs-listen", sbs,
		"--self-check", "off", "--feed-limit", "off", "--write-limit", "off", "--max-body", strconv.Itoa(4<<20), "--max-delay", "1h")
	cmd.Stdout, cmd.Stderr = lf, lf
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, err
	}
	s := &server{cmd: cmd, pid: cmd.Process.Pid, url: "http://" + addr, sbs: sbs, tok: tok, logFile: lf,
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}, exited: make(chan error, 1)}
	go func() { s.exited <- cmd.Wait() }()
	for t0 := time.Now(); ; {
		resp, err := s.client.Get(s.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-s.exited:
			lf.Close()
			return nil, fmt.Errorf("%s serve exited at start (%v); see %s", bin, err, lf.Name())
		case <-time.After(50 * time.Millisecond):
		}
		// Opening 20,000 real polygons (9.5 M vertices, each zone vouched
		// for) took over 2 minutes at load average 40.
		if time.Since(t0) > 10*time.Minute {
			s.Close()
			return nil, fmt.Errorf("%s serve did not answer in 10 minutes; see %s", bin, lf.Name())
		}
	}
	// The SBS listener may start after the HTTP one.
	for t0 := time.Now(); ; time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", sbs); err == nil {
			c.Close()
			break
		}
		if time.Since(t0) > time.Minute {
			s.Close()
			return nil, fmt.Errorf("the SBS listener of %s serve did not open", bin)
		}
	}
	return s, nil
}

// Close stops the server as an operator would (SIGTERM) and waits for it.
func (s *server) Close() error {
	defer s.logFile.Close()
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
		return nil
	case <-time.After(time.Minute):
		_ = s.cmd.Process.Kill()
		<-s.exited
		return fmt.Errorf("truce serve did not stop in a minute after SIGTERM")
	}
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// counts are the server's monitor and journal counters, from /metrics.
type counts struct {
	processed  int64 // looked at by the monitor, used or not
	used       int64 // merged into a track and checked
	dropped    int64 // shed: refused by the full queue before the monitor saw them
	invalid    int64 // processed, not used: coordinates or values out of range
	unused     int64 // processed, not used, every reason (invalid, out of order, too old, ...)
	alerts     int64 // alerts the monitor raised
	queue      int64 // alerts waiting for the journal
	lost       int64 // alerts the journal refused for good
	waits      int64 // times the engine waited for the journal with the alert queue full
	expired    int64 // tracks dropped as stale (their open episodes end: exits with reason track_lost)
	journalled int64 // journal entries appended with a kind naming an alert
	heapAlloc  int64 // Go heap: bytes of live and not yet collected objects (go_memstats_heap_alloc_bytes)
	heapInuse  int64 // Go heap: bytes in spans in use (go_memstats_heap_inuse_bytes)
	nextGC     int64 // Go heap size at which the next collection starts (go_memstats_next_gc_bytes)
	memLimit   int64 // the Go runtime's soft memory limit (go_gc_gomemlimit_bytes; 0 when not served)
}

// counts scrapes /metrics. A server without truce_monitor_used_total (older
// than the metric) has its used positions computed as processed minus the
// unused ones, which is what the metric counts.
func (s *server) counts() (counts, error) {
	var c counts
	s.scrapes.Add(1)
	resp, err := s.client.Get(s.url + "/metrics")
	if err != nil {
		return c, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return c, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	used := int64(-1)
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' || !strings.HasPrefix(line, "truce_") && !strings.HasPrefix(line, "go_memstats_") && !strings.HasPrefix(line, "go_gc_gomemlimit") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		name, n := line[:i], int64(v)
		switch {
		case name == "truce_monitor_processed_total":
			c.processed = n
		case name == "truce_monitor_used_total":
			used = n
		case name == "truce_monitor_dropped_total":
			c.dropped = n
		case name == "truce_monitor_alerts_total":
			c.alerts = n
		case name == "truce_monitor_alert_queue":
			c.queue = n
		case name == "truce_monitor_alerts_lost_total":
			c.lost = n
		case name == "truce_monitor_expired_total":
			c.expired = n
		case name == "truce_monitor_alert_queue_waits_total":
			c.waits = n
		case strings.HasPrefix(name, "truce_monitor_unused_total{"):
			c.unused += n
			if strings.Contains(name, `reason="invalid"`) {
				c.invalid = n
			}
		case strings.HasPrefix(name, "truce_journal_appends_total{") && strings.Contains(name, "alert"):
			c.journalled += n
		case name == "go_memstats_heap_alloc_bytes":
			c.heapAlloc = n
		case name == "go_memstats_heap_inuse_bytes":
			c.heapInuse = n
		case name == "go_memstats_next_gc_bytes":
			c.nextGC = n
		case name == "go_gc_gomemlimit_bytes":
			c.memLimit = n
		}
	}
	if err := sc.Err(); err != nil {
		return c, err
	}
	c.used = used
	if used < 0 {
		c.used = c.processed - c.unused
	}
	return c, nil
}

func (c counts) minus(b counts) counts {
	return counts{processed: c.processed - b.processed, used: c.used - b.used, dropped: c.dropped - b.dropped,
		invalid: c.invalid - b.invalid, unused: c.unused - b.unused, alerts: c.alerts - b.alerts, queue: c.queue,
		lost: c.lost - b.lost, expired: c.expired - b.expired, waits: c.waits - b.waits, journalled: c.journalled - b.journalled, heapAlloc: c.heapAlloc, heapInuse: c.heapInuse, nextGC: c.nextGC, memLimit: c.memLimit}
}

// progress is what changes while the server works on a run (not the Go
// heap figures, which change with every scrape).
func (c counts) progress() [7]int64 {
	return [7]int64{c.processed, c.used, c.dropped, c.unused, c.alerts, c.journalled, c.expired}
}

// alertEvent is what the benchmark reads of an alert on the event stream.
type alertEvent struct {
	Kind string    `json:"kind"`
	Time time.Time `json:"time"` // when the alert's change was sealed
	Data struct {
		Kind     string    `json:"kind"`
		Time     time.Time `json:"time"` // the triggering position's time
		Index    int64     `json:"journal_index"`
		Aircraft []struct {
			ICAO string `json:"icao"`
		} `json:"aircraft"`
		Version   int64      `json:"version"`
		EndedAt   *time.Time `json:"ended_at"` // the time of the position that ended the episode
		EndReason string     `json:"end_reason"`
		History   []struct {
			Action string `json:"action"`
		} `json:"history"`
	} `json:"data"`
}

// alertStream is a subscriber to the server's alert events as the
// administrator (who sees every alert), which reconnects with
// Last-Event-ID when the server ends the stream for falling behind, as
// EventSource does: it counts the events (each once), the notices of
// falling behind and the time the last event was read, and hands each
// event to on (when set) with the time it was read.
type alertStream struct {
	n         atomic.Int64
	raised    atomic.Int64 // events of new records (version 1)
	coalesced atomic.Int64 // of which already ended: the end reported in the same write, carried in the record
	ended     atomic.Int64 // events of later versions that end a stored record
	kindsMu   sync.Mutex
	kinds     map[string]int // engine alerts delivered by kind ("zone_entry", "zone_entry end: exit" ...)
	behind    atomic.Int64   // "the stream fell behind" notices, each followed by a reconnection
	last      atomic.Int64   // Unix ns when the last event was read
	mu        sync.Mutex
	body      io.Closer
	closing   atomic.Bool
	done      chan error
	once      sync.Once
	closeErr  error
}

func (s *server) subscribe(ctx context.Context, since time.Time, on func(ev *alertEvent, at time.Time)) (*alertStream, error) {
	open := func(lastID string) (io.ReadCloser, error) {
		req, err := http.NewRequestWithContext(ctx, "GET", s.url+"/api/v1/events?kind=alert", nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+s.tok.Admin)
		req.Header.Set("Accept", "text/event-stream")
		if lastID != "" {
			req.Header.Set("Last-Event-ID", lastID)
		}
		resp, err := (&http.Client{}).Do(req)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			return nil, fmt.Errorf("GET /api/v1/events: %s", resp.Status)
		}
		return resp.Body, nil
	}
	body, err := open("")
	if err != nil {
		return nil, err
	}
	st := &alertStream{body: body, done: make(chan error, 1), kinds: map[string]int{}}
	go func() {
		seen := map[string]bool{} // event ids: a replay after reconnecting may repeat one
		lastID := ""
		for {
			br := bufio.NewReaderSize(body, 1<<16)
			behind, id := false, ""
			for {
				line, err := br.ReadString('\n')
				at := time.Now()
				if err != nil {
					break
				}
				if strings.HasPrefix(line, "event: dropped") {
					behind = true
					continue
				}
				if v, ok := strings.CutPrefix(line, "id: "); ok {
					id = strings.TrimSpace(v)
					continue
				}
				data, ok := strings.CutPrefix(line, "data: ")
				if !ok {
					continue
				}
				if behind {
					lastID = id
					continue
				}
				if id != "" {
					lastID = id
					if seen[id] {
						continue
					}
					seen[id] = true
				}
				var ev alertEvent
				if err := json.Unmarshal([]byte(data), &ev); err != nil {
					st.done <- fmt.Errorf("SSE event %q: %v", data, err)
					return
				}
				if ev.Time.Before(since) {
					continue // an earlier run's alert, replayed from the event log
				}
				st.n.Add(1)
				st.kindsMu.Lock()
				switch d := ev.delivers(); {
				case d.raised:
					st.raised.Add(1)
					st.kinds[ev.Data.Kind]++
					if d.coalesced {
						st.coalesced.Add(1)
						st.kinds[ev.Data.Kind+" end: "+ev.Data.EndReason]++
					}
				case d.ended:
					st.ended.Add(1)
					st.kinds[ev.Data.Kind+" end: "+ev.Data.EndReason]++
				}
				st.kindsMu.Unlock()
				st.last.Store(at.UnixNano())
				if on != nil {
					on(&ev, at)
				}
			}
			if st.closing.Load() || !behind {
				st.done <- nil
				return
			}
			st.behind.Add(1)
			nb, err := open(lastID)
			if err != nil {
				st.done <- err
				return
			}
			st.mu.Lock()
			body = nb
			st.body = nb
			st.mu.Unlock()
			if st.closing.Load() {
				nb.Close()
			}
		}
	}()
	return st, nil
}

// Close ends the subscription and returns the reader's error, if any.
func (st *alertStream) Close() error {
	st.once.Do(func() {
		st.closing.Store(true)
		st.mu.Lock()
		st.body.Close()
		st.mu.Unlock()
		st.closeErr = <-st.done
	})
	return st.closeErr
}

// settle waits until the server has processed (or shed) n positions since
// base, its alert queue is empty and every alert it journalled has been
// read from the stream, with nothing changing for half a second. It
// returns the counts and the time the last work was seen done: the later
// of the moment processing was complete and the last event read.
func (s *server) settle(base counts, n int64, st *alertStream, limit time.Duration) (counts, time.Time, error) {
	t0 := time.Now()
	var prev counts
	var prevN int64 = -1
	var stableSince time.Time
	var processedAt time.Time
	for {
		c, err := s.counts()
		if err != nil {
			return c, time.Time{}, err
		}
		d := c.minus(base)
		if processedAt.IsZero() && d.processed+d.dropped >= n {
			processedAt = time.Now()
		}
		got := st.n.Load()
		quiet := !processedAt.IsZero() && c.queue == 0 && d.progress() == prev.progress() && got == prevN
		switch {
		case !quiet:
			stableSince = time.Time{}
		case stableSince.IsZero():
			stableSince = time.Now()
		}
		complete := got >= d.journalled
		if quiet && (complete && time.Since(stableSince) >= 500*time.Millisecond || time.Since(stableSince) >= 5*time.Second) {
			end := processedAt
			if l := st.last.Load(); l > end.UnixNano() {
				end = time.Unix(0, l)
			}
			return d, end, nil
		}
		if time.Since(t0) > limit {
			return d, time.Time{}, fmt.Errorf("after %v: %d of %d positions processed, %d alerts waiting for the journal, %d of %d journalled alerts read",
				limit, d.processed+d.dropped, n, c.queue, got, d.journalled)
		}
		prev, prevN = d, got
		time.Sleep(100 * time.Millisecond)
	}
}

// procCPU is a process's user+system CPU time from /proc/PID/stat (fields
// 14 and 15, in clock ticks of 1/100 s on Linux).
func procCPU(pid int) (time.Duration, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(u+s) * 10 * time.Millisecond, nil
}

// procMem is a process's resident set size and its peak (VmRSS, VmHWM
// in /proc/PID/status), in bytes.
func procMem(pid int) (rss, peak int64, err error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0, err
	}
	for _, l := range strings.Split(string(data), "\n") {
		for _, f := range []struct {
			key string
			p   *int64
		}{{"VmRSS:", &rss}, {"VmHWM:", &peak}} {
			if rest, ok := strings.CutPrefix(l, f.key); ok {
				kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
				if err != nil {
					return 0, 0, err
				}
				*f.p = kb << 10
			}
		}
	}
	if rss == 0 {
		return 0, 0, fmt.Errorf("/proc/%d/status: no VmRSS", pid)
	}
	return rss, peak, nil
}

// loadAvg is the machine's load average (1, 5, 15 minutes), which every
// figure is printed with: the machine may be shared.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
