package main_test

// The chaos test: a real `truce serve` process under mixed load (API writes,
// positions of aircraft flown into approved no-fly zones, event-stream
// readers) while it is killed with SIGKILL and restarted, its database
// connections are dropped and its disk fills up. Then it checks what must
// hold whatever happened:
//
//   - no acknowledged write lost: every 2xx answer's record is there, with
//     its journal index, after the last restart, and every event stream
//     resumed with Last-Event-ID delivered its event;
//   - storage failures are answered 503 with Retry-After, never 500, and
//     /readyz reports a full disk;
//   - no zone in force unwatched: an aircraft flown into any zone in force
//     after the faults raises an entry alert, on the server that lived
//     through them and after a restart;
//   - no aircraft that entered a zone in force without an alert;
//   - the log verified: `truce log audit` with the log's public key, and
//     the server's own start-up self-check.
//
// It runs on SQLite and, when TRUCE_TEST_POSTGRES is set, on PostgreSQL,
// loopback only, each in well under a minute. The fault schedule's jitter
// and the load's choices come from a seed that is printed
// (TRUCE_CHAOS_SEED=n replays one); TRUCE_CHAOS_LOGS=path writes every
// server log to path.<test name>.
//
// The faults, and why they are these:
//   - kill -9 and restart, three times under load and once at the end.
//   - Dropped connections. PostgreSQL: pg_terminate_backend of every backend
//     of this server (found by the application_name the test gives its DSN)
//     every 200 ms for 7 s. SQLite has no connection to drop: the database is
//     a file the server opens itself. The nearest real fault is another
//     process holding the database's write lock (a backup, an operator's
//     sqlite3 shell): the test takes it with BEGIN IMMEDIATE for longer than
//     the server's busy_timeout (10 s), so the server's writes fail as they
//     would with the database gone, while reads (WAL) go on.
//   - A full disk: the data directory is a real 64 MiB ext4 filesystem on a
//     loop device (root is needed to mount it; when it cannot be set up the
//     test fails if TRUCE_REQUIRE_MOUNT=1, as in CI, and otherwise runs
//     without this fault). A file filling it leaves no free block for 3 s,
//     then goes. A real filesystem returns ENOSPC on the write that does
//     not fit, wherever it falls (the SQLite WAL, a party's key file), which
//     RLIMIT_FSIZE (a per-file cap, SIGXFSZ) or a tmpfs (no block layer)
//     would only imitate. On PostgreSQL the database's own disk is the
//     database server's, shared here with other tests, so only the data
//     directory (keys) fills.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/api"
	"github.com/truce-project/truce/internal/testwait"
	"github.com/truce-project/truce/postgres"
	"github.com/truce-project/truce/postgres/pgtest"
	"github.com/truce-project/truce/sqlite"
)

func TestChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("the chaos test takes about 35 s per store")
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("TRUCE_CHAOS_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("TRUCE_CHAOS_SEED=%q", s)
		}
		seed = v
	}
	t.Logf("seed %d (TRUCE_CHAOS_SEED=%d replays it)", seed, seed)
	// The two runs share nothing (each its data directory, small
	// filesystem, server process, port and schema) and spend most of their
	// time in the fault schedule's waits: they run side by side.
	t.Run("SQLite", func(t *testing.T) {
		t.Parallel()
		runChaos(t, seed, "")
	})
	t.Run("PostgreSQL", func(t *testing.T) {
		t.Parallel()
		dsn := pgtest.DSN(t)
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("application_name", "truce-chaos-"+randHex(6))
		u.RawQuery = q.Encode()
		runChaos(t, seed, u.String())
	})
}

// chaos is one run: the server process, the load's record of what was
// acknowledged, and the faults' record of what was done.
type chaos struct {
	t       *testing.T
	dsn     string // "" for SQLite
	data    string // the data directory (on the small filesystem when mounted)
	mounted bool
	addr    string
	url     string
	token   string // the administrator's
	logKey  string

	mu      sync.Mutex
	rng     *mrand.Rand
	cmd     *exec.Cmd
	logs    *syncWriter // every incarnation's stderr, in order
	gen     atomic.Int64
	killed  map[int64]time.Time // incarnation -> when it was killed
	acked   []ackedWrite
	status  map[string]map[int]int // route -> HTTP status -> count
	samples map[string]string      // route + status -> one response body
	refused []string               // valid writes answered 4xx
	gaveUp  []string               // writes never answered definitively
	flights []*flight
	faults  []string // what was done, for the report

	diskFull     atomic.Bool
	phase        atomic.Value              // string: the fault under way, for the report
	byPhase      map[string]map[string]int // route + status -> fault under way -> count, for 5xx
	diskFailures atomic.Int64              // writes that failed while the disk was full
	readyDuring  []int                     // /readyz statuses while the disk was full and writes failed
}

// ackedWrite is a write the server acknowledged: with a 2xx, or with a 409
// naming the journal entry that recorded it (a retry after the server died
// between its commit and saving the answer).
type ackedWrite struct {
	kind    string // party, aircraft, zone, decision
	id      string // the record (zone id for zones and decisions)
	party   string // the deciding party, for decisions; the owner for aircraft
	index   int64  // journal index
	viaJour bool   // known by the journal index only (409)
}

// flight is one aircraft flown from outside a zone into it.
type flight struct {
	icao    string
	zone    string
	started time.Time
	// inside holds, for each report inside the zone that the server
	// accepted, the incarnation that accepted it and when.
	inside []acceptedReport
}

type acceptedReport struct {
	gen int64
	at  time.Time
}

func runChaos(t *testing.T, seed uint64, dsn string) {
	start := time.Now()
	c := &chaos{t: t, dsn: dsn, rng: mrand.New(mrand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), killed: map[int64]time.Time{},
		status: map[string]map[int]int{}, samples: map[string]string{}, byPhase: map[string]map[string]int{}, logs: &syncWriter{w: &bytes.Buffer{}}}
	c.phase.Store("no fault")
	dir := t.TempDir()
	c.data = filepath.Join(dir, "data")
	if err := c.mountSmallDisk(filepath.Join(dir, "disk.img"), c.data); err != nil {
		if os.Getenv("TRUCE_REQUIRE_MOUNT") == "1" {
			t.Fatalf("TRUCE_REQUIRE_MOUNT=1 but the small filesystem for the full-disk fault cannot be set up: %v", err)
		}
		t.Logf("no full-disk fault: %v (set TRUCE_REQUIRE_MOUNT=1 to make this an error)", err)
		os.MkdirAll(c.data, 0o700)
	}
	c.data = filepath.Join(c.data, "truce") // the mount point's root holds lost+found
	args := []string{"init", "--data", c.data}
	if dsn != "" {
		args = append(args, "--db", dsn)
	}
	out, errs, code := truceCmd(t, nil, args...)
	if code != 0 {
		t.Fatalf("init: %d %s", code, errs)
	}
	if c.token = tokenRE.FindString(out); c.token == "" {
		t.Fatalf("init printed no token: %s", out)
	}
	c.logKey = trimFile(t, filepath.Join(c.data, "log.key.pub"))
	c.addr = freeAddr(t)
	c.url = "http://" + c.addr
	c.start()
	t.Cleanup(func() {
		c.mu.Lock()
		cmd := c.cmd
		c.mu.Unlock()
		if cmd != nil && cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
		if dump := os.Getenv("TRUCE_CHAOS_LOGS"); dump != "" {
			os.WriteFile(dump+"."+strings.ReplaceAll(t.Name(), "/", "-"), []byte(c.logs.String()), 0o644)
		}
		if t.Failed() {
			// The server's logs but its request lines (the answers are
			// counted above).
			var keep []string
			for _, l := range strings.Split(c.logs.String(), "\n") {
				if !strings.Contains(l, `"msg":"request"`) {
					keep = append(keep, l)
				}
			}
			t.Logf("server logs without request lines (last 8000 bytes):\n%s", tail(strings.Join(keep, "\n"), 8000))
		}
	})

	ctx := context.Background()
	w := c.setup(ctx)
	t.Logf("setup done in %v", time.Since(start).Round(time.Millisecond))

	// The load runs until the faults are over.
	loadCtx, stopLoad := context.WithCancel(ctx)
	var load sync.WaitGroup
	readers := []*sseReader{{}, {}}
	for _, r := range readers {
		load.Add(1)
		go func() { defer load.Done(); c.readEvents(loadCtx, r) }()
	}
	load.Add(5)
	go func() { defer load.Done(); c.partyWriter(loadCtx, w) }()
	go func() { defer load.Done(); c.aircraftWriter(loadCtx, w) }()
	zonesInForce := make(chan *zoneCell, 256)
	var zw sync.WaitGroup
	zw.Add(2)
	for i := 0; i < 2; i++ {
		go func() { defer zw.Done(); c.zoneWriter(loadCtx, w, zonesInForce) }()
	}
	go func() { defer load.Done(); zw.Wait(); close(zonesInForce) }()
	go func() { defer load.Done(); c.flyer(loadCtx, w, zonesInForce) }()
	go func() { defer load.Done(); c.flyer(loadCtx, w, zonesInForce) }()

	c.runFaults(ctx)
	time.Sleep(1500 * time.Millisecond) // load after the last fault
	stopLoad()
	load.Wait()
	loadEnd := time.Now()
	t.Logf("load and faults done at %v: %s", time.Since(start).Round(time.Millisecond), strings.Join(c.faults, "; "))

	// Checks on the server that lived through the faults: the zone index
	// and the watched set are what it kept up to date, not what a restart
	// rebuilds.
	c.checkZonesWatched(ctx, w, "on the server that lived through the faults", 0x500000)

	// The last kill, then everything acknowledged must be there.
	// The last flights' alerts are journalled. The time is what is
	// tested: checkFlights expects an alert of every flight whose second
	// report inside came 3 s before a kill, so the kill comes 4 s after
	// the load; waiting on the alerts would assume what it checks.
	time.Sleep(time.Until(loadEnd.Add(4 * time.Second)))
	c.kill("final")
	c.start()
	c.checkAcknowledged(ctx, w)
	c.checkFlights(ctx, w)
	c.checkEvents(ctx, readers)
	c.checkZonesWatched(ctx, w, "after the last restart", 0x580000)
	c.checkLog(ctx)
	c.checkAnswers()
	t.Logf("%d acknowledged writes, %d flights, %d events streamed; whole run %v",
		len(c.acked), len(c.flights), readers[0].count(), time.Since(start).Round(time.Millisecond))
}

// --- the server process ---

func (c *chaos) start() {
	c.t.Helper()
	// The load is many times what one token may write by default: the
	// test is about faults, not each token's allowance (api tests that).
	args := []string{"serve", "--data", c.data, "--addr", c.addr, "--write-limit", "off", "--feed-limit", "off"}
	if c.dsn != "" {
		args = append(args, "--db", c.dsn)
	}
	cmd := exec.Command(binary, args...)
	gen := c.gen.Add(1)
	fmt.Fprintf(c.logs, "=== incarnation %d\n", gen)
	cmd.Stderr = c.logs
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	c.mu.Lock()
	c.cmd = cmd
	c.mu.Unlock()
	testwait.For(c.t, 20*time.Second, fmt.Sprintf("incarnation %d to start", gen), func() bool {
		resp, err := http.Get(c.url + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	})
}

// kill sends SIGKILL and waits for the process to be gone.
func (c *chaos) kill(why string) {
	c.mu.Lock()
	cmd := c.cmd
	c.mu.Unlock()
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	c.phase.Store("just restarted")
	go func(gen int64) {
		// The phase names the first second of the next incarnation:
		// the time passing is what it marks.
		time.Sleep(time.Second)
		if c.gen.Load() == gen+1 {
			c.phase.CompareAndSwap("just restarted", "no fault")
		}
	}(c.gen.Load())
	c.mu.Lock()
	c.killed[c.gen.Load()] = time.Now()
	c.faults = append(c.faults, "kill -9 ("+why+")")
	c.mu.Unlock()
}

func (c *chaos) note(format string, args ...any) {
	c.mu.Lock()
	c.faults = append(c.faults, fmt.Sprintf(format, args...))
	c.mu.Unlock()
}

// jitter returns d ± 25%, from the seed.
func (c *chaos) jitter(d time.Duration) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return d*3/4 + time.Duration(c.rng.Int64N(int64(d/2)+1))
}

func (c *chaos) intn(n int) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rng.IntN(n)
}

// runFaults is the schedule: kills, a full disk, a kill, dropped
// connections; the load runs throughout.
func (c *chaos) runFaults(ctx context.Context) {
	for i := 0; i < 2; i++ {
		time.Sleep(c.jitter(2500 * time.Millisecond)) // the fault schedule: load runs between faults
		c.kill(fmt.Sprintf("under load, %d", i+1))
		c.start()
	}
	time.Sleep(c.jitter(2 * time.Second)) // the fault schedule: load runs between faults
	if c.mounted {
		c.fillDisk(ctx, 3*time.Second)
	}
	time.Sleep(c.jitter(2 * time.Second)) // the fault schedule: load runs between faults
	c.kill("under load, 3")
	c.start()
	time.Sleep(c.jitter(2 * time.Second)) // the fault schedule: load runs between faults
	if c.dsn != "" {
		c.dropConnections(ctx, 7*time.Second, 200*time.Millisecond)
	} else {
		c.holdWriteLock(ctx, 11*time.Second)
	}
}

// mountSmallDisk makes a 64 MiB ext4 filesystem in an image file and
// mounts it on dir through a loop device.
func (c *chaos) mountSmallDisk(img, dir string) error {
	if os.Geteuid() != 0 {
		return errors.New("mounting needs root")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.Create(img)
	if err != nil {
		return err
	}
	err = f.Truncate(64 << 20)
	f.Close()
	if err != nil {
		return err
	}
	if out, err := exec.Command("mkfs.ext4", "-q", "-F", "-m", "0", img).CombinedOutput(); err != nil {
		return fmt.Errorf("mkfs.ext4: %v: %s", err, out)
	}
	if out, err := exec.Command("mount", "-o", "loop", img, dir).CombinedOutput(); err != nil {
		return fmt.Errorf("mount -o loop: %v: %s", err, out)
	}
	c.t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			c.t.Logf("umount %s: %v %s; detaching lazily", dir, err, out)
			exec.Command("umount", "-l", dir).Run()
		}
	})
	c.mounted = true
	return nil
}

// fillDisk fills the data directory's filesystem to the last block, keeps
// it full for hold while watching /readyz, then frees it and waits for the
// server to take writes again without a restart.
func (c *chaos) fillDisk(ctx context.Context, hold time.Duration) {
	filler := filepath.Join(filepath.Dir(c.data), "filler")
	f, err := os.Create(filler)
	if err != nil {
		c.t.Fatal(err)
	}
	buf := make([]byte, 1<<20)
	var n int64
	for _, size := range []int{1 << 20, 64 << 10, 4 << 10, 512} {
		for {
			m, err := f.Write(buf[:size])
			n += int64(m)
			if err != nil {
				break
			}
		}
	}
	f.Sync()
	c.phase.Store("disk full")
	defer c.phase.Store("no fault")
	c.diskFull.Store(true)
	c.note("disk full (%d MiB filler) for %v", n>>20, hold)
	// While full: once a write has failed, /readyz must say not ready.
	end := time.Now().Add(hold)
	for time.Now().Before(end) {
		if c.diskFailures.Load() > 0 {
			resp, err := http.Get(c.url + "/readyz")
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				c.mu.Lock()
				c.readyDuring = append(c.readyDuring, resp.StatusCode)
				c.mu.Unlock()
			}
		}
		time.Sleep(200 * time.Millisecond) // sampling /readyz while the disk is full
	}
	c.diskFull.Store(false)
	f.Close()
	if err := os.Remove(filler); err != nil {
		c.t.Fatal(err)
	}
}

// dropConnections terminates every backend of the server every period.
func (c *chaos) dropConnections(ctx context.Context, d, period time.Duration) {
	u, _ := url.Parse(c.dsn)
	app := u.Query().Get("application_name")
	db, err := postgres.OpenDB(ctx, os.Getenv("TRUCE_TEST_POSTGRES"))
	if err != nil {
		c.t.Fatal(err)
	}
	defer db.Close()
	var dropped int64
	c.phase.Store("connections dropped")
	defer c.phase.Store("no fault")
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		var n int64
		if err := db.QueryRowContext(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1`, app).Scan(&n); err != nil {
			c.t.Fatalf("pg_terminate_backend: %v", err)
		}
		dropped += n
		time.Sleep(c.jitter(period)) // the pace of dropped connections
	}
	c.note("%d PostgreSQL connections dropped over %v", dropped, d)
}

// holdWriteLock holds SQLite's write lock from this process (as another
// program would) for d.
func (c *chaos) holdWriteLock(ctx context.Context, d time.Duration) {
	db, err := sql.Open("sqlite", sqlite.DSN(filepath.Join(c.data, "truce.db")))
	if err != nil {
		c.t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		c.t.Fatal(err)
	}
	defer conn.Close()
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE")
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("BEGIN IMMEDIATE: %v", err)
		}
	}
	c.phase.Store("write lock held")
	time.Sleep(d) // the fault lasts d
	c.phase.Store("no fault")
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		c.t.Fatal(err)
	}
	c.note("SQLite write lock held by another process for %v", d)
}

// --- HTTP ---

// do sends one request and returns the status, Retry-After and body; a
// transport error (the server is down) is returned as err.
func (c *chaos) do(ctx context.Context, token, method, path, ctype string, body []byte, key string) (int, string, []byte, error) {
	rctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, method, c.url+path, bytes.NewReader(body))
	if err != nil {
		return 0, "", nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", ctype)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, "", nil, err
	}
	return resp.StatusCode, resp.Header.Get("Retry-After"), data, nil
}

// count records a response's status by route.
func (c *chaos) count(route string, status int, retryAfter string, body []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.status[route] == nil {
		c.status[route] = map[int]int{}
	}
	c.status[route][status]++
	if status == http.StatusServiceUnavailable && retryAfter == "" {
		c.status[route][-503]++ // a 503 without Retry-After
	}
	k := route + " " + strconv.Itoa(status)
	if status >= 500 {
		if c.byPhase[k] == nil {
			c.byPhase[k] = map[string]int{}
		}
		ph, _ := c.phase.Load().(string)
		c.byPhase[k][ph]++
	}
	if _, ok := c.samples[k]; !ok {
		c.samples[k] = tail(string(body), 300)
	}
}

var recordedRE = regexp.MustCompile(`already recorded \(journal entry (\d+)\)`)

// write makes one logical write, retrying with the same Idempotency-Key
// through restarts and storage failures until the server answers it for
// good (2xx, or 4xx) or ctx ends. It returns the 2xx body, or the journal
// index of a write recorded before the server could answer (409).
func (c *chaos) write(ctx context.Context, token, route, path string, in any) (body []byte, journalOnly int64, ok bool) {
	buf, err := json.Marshal(in)
	if err != nil {
		panic(err) // the test's own values
	}
	key := randHex(16)
	began := time.Now()
	deadline := began.Add(30 * time.Second)
	last := "no answer"
	// A write under way when the load stops is seen through, as a client
	// does: only the 30 s bound ends it, so a fault that ends just before
	// the load does cannot leave it without an answer.
	rctx := context.WithoutCancel(ctx)
	for time.Now().Before(deadline) {
		status, ra, data, err := c.do(rctx, token, "POST", path, "application/json", buf, key)
		if err != nil {
			time.Sleep(100 * time.Millisecond) // a client's pause before it tries again
			continue
		}
		c.count(route, status, ra, data)
		last = strconv.Itoa(status) + " " + tail(string(data), 200)
		switch {
		case status >= 200 && status < 300:
			return data, -1, true
		case status == http.StatusConflict && recordedRE.Match(data):
			n, _ := strconv.ParseInt(string(recordedRE.FindSubmatch(data)[1]), 10, 64)
			return nil, n, true
		case status == http.StatusTooManyRequests:
			// Held back: come again when told, as a client should.
			secs, _ := strconv.Atoi(ra)
			time.Sleep(time.Duration(max(1, secs)) * time.Second) // Retry-After is a time to let pass
			continue
		case status >= 500:
			if c.diskFull.Load() {
				c.diskFailures.Add(1)
			}
			time.Sleep(150 * time.Millisecond) // a client's pause before it tries again
			continue
		default:
			c.mu.Lock()
			c.refused = append(c.refused, fmt.Sprintf("%s %s: %d %s", route, buf, status, tail(string(data), 300)))
			c.mu.Unlock()
			return nil, -1, false
		}
	}
	// Unanswered for 30 s: the server is stuck on this write.
	c.mu.Lock()
	c.gaveUp = append(c.gaveUp, fmt.Sprintf("%s %s: retried for %v, last answer %s", route, tail(string(buf), 200), time.Since(began).Round(time.Second), last))
	c.mu.Unlock()
	return nil, -1, false
}

func (c *chaos) ack(a ackedWrite) {
	c.mu.Lock()
	c.acked = append(c.acked, a)
	c.mu.Unlock()
}

// --- the load ---

// world is what the setup made: three signatory parties with an operator
// each, and an agreement in force between them.
type world struct {
	agreement string
	parties   []string // ids
	operators []string // tokens, one per party
	admin     *api.Client
}

func (c *chaos) setup(ctx context.Context) *world {
	t := c.t
	w := &world{admin: api.NewClient(c.url, c.token)}
	for _, slug := range []string{"us", "ru", "jo"} {
		p, err := w.admin.CreateParty(ctx, truce.PartyCreate{Slug: slug, Name: strings.ToUpper(slug), Kind: truce.PartyGuarantor})
		if err != nil {
			t.Fatal(err)
		}
		u, err := w.admin.CreateUser(ctx, truce.UserCreate{Party: p.ID, Username: slug + "-op", Name: slug + " operator", Roles: []truce.Role{truce.RoleOperator}})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := w.admin.CreateToken(ctx, truce.TokenCreate{User: u.ID, Name: "chaos"})
		if err != nil {
			t.Fatal(err)
		}
		w.parties = append(w.parties, p.ID)
		w.operators = append(w.operators, tok.Secret)
	}
	op := api.NewClient(c.url, w.operators[0])
	ag, err := op.CreateAgreement(ctx, truce.AgreementCreate{Title: "Chaos memorandum", Signatories: []string{"us", "ru", "jo"},
		EffectiveFrom: time.Now().Add(-time.Hour).UTC()})
	if err != nil {
		t.Fatal(err)
	}
	// In force once each signatory has signed its text.
	if _, err := op.ProposeAgreement(ctx, ag.ID, truce.AgreementMotion{Action: truce.AgreementBringIntoForce}, 0); err != nil {
		t.Fatal(err)
	}
	for _, tok := range w.operators {
		if _, err := api.NewClient(c.url, tok).DecideAgreement(ctx, ag.ID, 1, truce.ZoneDecision{Approve: true}); err != nil {
			t.Fatal(err)
		}
	}
	w.agreement = ag.ID
	return w
}

// partyWriter creates monitor parties with custodial keys (a key file in
// the data directory each) and, every third time, a draft agreement
// between two of the signatories (which makes the server reload its zone
// index and separation minima).
func (c *chaos) partyWriter(ctx context.Context, w *world) {
	for i := 0; ctx.Err() == nil; i++ {
		if i%3 == 2 {
			in := truce.AgreementCreate{Title: fmt.Sprintf("Annex %d", i), Signatories: []string{"us", "ru"}, EffectiveFrom: time.Now().UTC()}
			body, idx, ok := c.write(ctx, w.operators[0], "POST /api/v1/agreements", "/api/v1/agreements", in)
			switch {
			case !ok:
			case body == nil:
				if rec, err := w.admin.JournalEntry(ctx, idx); err == nil {
					c.ack(ackedWrite{kind: "agreement", id: rec.Entry.Subject, index: idx, viaJour: true})
				}
			default:
				var ag truce.Agreement
				json.Unmarshal(body, &ag)
				c.ack(ackedWrite{kind: "agreement", id: ag.ID, index: ag.JournalIndex})
			}
		}
		slug := fmt.Sprintf("m%d-%s", i, randHex(3))
		body, idx, ok := c.write(ctx, c.token, "POST /api/v1/parties", "/api/v1/parties", truce.PartyCreate{Slug: slug, Name: "Monitor " + slug, Kind: truce.PartyMonitor})
		if !ok {
			continue
		}
		if body == nil {
			c.ack(ackedWrite{kind: "party", id: slug, index: idx, viaJour: true})
			continue
		}
		var p truce.Party
		json.Unmarshal(body, &p)
		c.ack(ackedWrite{kind: "party", id: p.ID, index: p.JournalIndex})
	}
}

// aircraftWriter registers aircraft, each by one of the parties.
func (c *chaos) aircraftWriter(ctx context.Context, w *world) {
	for i := 0; ctx.Err() == nil; i++ {
		k := c.intn(len(w.operators))
		icao := fmt.Sprintf("7%05X", i)
		body, idx, ok := c.write(ctx, w.operators[k], "POST /api/v1/aircraft", "/api/v1/aircraft", map[string]string{"icao": icao})
		if !ok {
			continue
		}
		if body == nil {
			c.ack(ackedWrite{kind: "aircraft", id: icao, party: w.parties[k], index: idx, viaJour: true})
			continue
		}
		var a truce.Aircraft
		json.Unmarshal(body, &a)
		c.ack(ackedWrite{kind: "aircraft", id: a.ID, party: w.parties[k], index: a.JournalIndex})
	}
}

// zoneCell is a zone on the test's grid: a 0.05° square, 0.1° from the next.
type zoneCell struct {
	id             string
	minLon, minLat float64
	inForceAt      time.Time // when the last approval was acknowledged
}

var cellCounter atomic.Int64

func newCell() *zoneCell {
	k := cellCounter.Add(1) - 1
	return &zoneCell{minLon: 36.0 + float64(k%25)*0.1, minLat: 32.0 + float64(k/25)*0.1}
}

func (z *zoneCell) polygon() json.RawMessage {
	a, b := z.minLon, z.minLat
	return json.RawMessage(fmt.Sprintf(`{"type":"Polygon","coordinates":[[[%g,%g],[%g,%g],[%g,%g],[%g,%g],[%g,%g]]]}`,
		a, b, a+0.05, b, a+0.05, b+0.05, a, b+0.05, a, b))
}

// zoneWriter proposes no-fly zones and has every signatory approve them;
// a zone whose every approval was acknowledged is handed to the flyers.
func (c *chaos) zoneWriter(ctx context.Context, w *world, inForce chan<- *zoneCell) {
	for ctx.Err() == nil {
		z := newCell()
		k := c.intn(len(w.operators))
		p := truce.ZoneProposal{Agreement: w.agreement, Name: fmt.Sprintf("NFZ %.2f %.2f", z.minLon, z.minLat), Kind: truce.ZoneNoFly,
			Geometry: z.polygon(), Floor: "SFC", Ceiling: "FL200"}
		body, idx, ok := c.write(ctx, w.operators[k], "POST /api/v1/zones", "/api/v1/zones", p)
		if !ok {
			continue
		}
		if body == nil {
			rec, err := w.admin.JournalEntry(ctx, idx)
			if err != nil {
				continue // read back at the end through the journal check
			}
			z.id = rec.Entry.Subject
			c.ack(ackedWrite{kind: "zone", id: z.id, index: idx, viaJour: true})
		} else {
			var pz api.ProposedZone
			json.Unmarshal(body, &pz)
			z.id = pz.Zone.ID
			c.ack(ackedWrite{kind: "zone", id: z.id, index: pz.Version.JournalIndex})
		}
		all := true
		for i := range w.operators {
			body, idx, ok := c.write(ctx, w.operators[i], "POST /api/v1/zones/{id}/versions/{v}/decision",
				"/api/v1/zones/"+z.id+"/versions/1/decision", truce.ZoneDecision{Approve: true})
			if !ok {
				all = false
				break
			}
			a := ackedWrite{kind: "decision", id: z.id, party: w.parties[i], index: idx, viaJour: body == nil}
			if body != nil {
				var v truce.ZoneVersion
				json.Unmarshal(body, &v)
				a.index = v.Decisions[len(v.Decisions)-1].JournalIndex
				for _, d := range v.Decisions {
					if d.PartyID == w.parties[i] {
						a.index = d.JournalIndex
					}
				}
			}
			c.ack(a)
		}
		if all {
			z.inForceAt = time.Now()
			select {
			case inForce <- z:
			default:
			}
		}
	}
}

// flyer flies a fresh aircraft into each zone whose approval was
// acknowledged: one report outside, then reports inside every 400 ms, all
// stamped with the time they are sent, as a live feed would.
func (c *chaos) flyer(ctx context.Context, w *world, zones <-chan *zoneCell) {
	token := w.operators[0]
	for z := range zones {
		if ctx.Err() != nil {
			continue // drain
		}
		f := &flight{icao: fmt.Sprintf("4%05X", c.intn(1<<20)), zone: z.id, started: time.Now()}
		c.mu.Lock()
		c.flights = append(c.flights, f)
		c.mu.Unlock()
		clon, clat := z.minLon+0.025, z.minLat+0.025
		c.report(ctx, token, f.icao, z.minLon-0.03, clat)
		for i := 0; i < 5 && ctx.Err() == nil; i++ {
			time.Sleep(400 * time.Millisecond) // a flight's reporting pace
			gen := c.gen.Load()
			if c.report(ctx, token, f.icao, clon, clat) && c.gen.Load() == gen {
				c.mu.Lock()
				f.inside = append(f.inside, acceptedReport{gen: gen, at: time.Now()})
				c.mu.Unlock()
			}
		}
	}
}

// report posts one position at 5,000 ft; true if the server took it.
func (c *chaos) report(ctx context.Context, token, icao string, lon, lat float64) bool {
	line := fmt.Sprintf(`{"icao":%q,"lat":%.5f,"lon":%.5f,"alt_ft":5000,"gs_kt":250,"track_deg":90,"time":%q}`,
		icao, lat, lon, time.Now().UTC().Format(time.RFC3339Nano))
	status, ra, data, err := c.do(ctx, token, "POST", "/api/v1/positions", "application/x-ndjson", []byte(line), "")
	if err != nil {
		return false
	}
	c.count("POST /api/v1/positions", status, ra, data)
	if status != http.StatusOK && status != http.StatusAccepted {
		return false
	}
	var res truce.IngestResult
	return json.Unmarshal(data, &res) == nil && res.Accepted == 1 && res.Dropped == 0
}

// sseReader follows /api/v1/events, resuming with Last-Event-ID.
type sseReader struct {
	mu       sync.Mutex
	last     int64 // the last event id read
	ids      []int64
	subjects map[string]bool
	missed   []string
}

func (r *sseReader) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.ids)
}

func (c *chaos) readEvents(ctx context.Context, r *sseReader) {
	r.mu.Lock()
	// From the start of the log: the first connection may come after the
	// first writes.
	r.last, r.subjects = 0, map[string]bool{}
	r.mu.Unlock()
	for ctx.Err() == nil {
		c.readEventsOnce(ctx, r, true)
		time.Sleep(100 * time.Millisecond) // a reconnecting reader's pace
	}
}

// readEventsOnce reads one stream until it ends (follow) or is read out.
func (c *chaos) readEventsOnce(ctx context.Context, r *sseReader, follow bool) error {
	req, _ := http.NewRequestWithContext(ctx, "GET", c.url+"/api/v1/events?follow="+strconv.FormatBool(follow), nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	r.mu.Lock()
	if r.last >= 0 {
		req.Header.Set("Last-Event-ID", strconv.FormatInt(r.last, 10))
	}
	r.mu.Unlock()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		io.Copy(io.Discard, resp.Body)
		return fmt.Errorf("events: %d", resp.StatusCode)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var id int64 = -1
	var event string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "id: "):
			id, _ = strconv.ParseInt(line[4:], 10, 64)
		case strings.HasPrefix(line, "event: "):
			event = line[7:]
		case strings.HasPrefix(line, "data: "):
			r.mu.Lock()
			switch {
			case event == "missed":
				r.missed = append(r.missed, line[6:])
			case event == "" && id >= 0:
				var ev truce.Event
				json.Unmarshal([]byte(line[6:]), &ev)
				r.ids = append(r.ids, id)
				r.subjects[ev.Kind+" "+ev.Subject] = true
				r.last = id
			}
			r.mu.Unlock()
		case line == "":
			id, event = -1, ""
		}
	}
	return sc.Err()
}

// --- the checks ---

// checkAcknowledged finds every acknowledged write's record with its
// journal index, each index's entry naming that record, and a gap-free
// journal.
func (c *chaos) checkAcknowledged(ctx context.Context, w *world) {
	t := c.t
	admin := w.admin
	aircraft := map[string]int64{}
	for _, p := range w.parties {
		as, err := admin.ListAircraft(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range as {
			aircraft[a.ID] = a.JournalIndex
			aircraft[a.ICAO] = a.JournalIndex
		}
	}
	lost := 0
	fail := func(format string, args ...any) {
		lost++
		if lost <= 20 {
			t.Errorf("LOST: "+format, args...)
		}
	}
	for _, a := range c.acked {
		rec, err := admin.JournalEntry(ctx, a.index)
		if err != nil {
			fail("%s %s acknowledged at journal index %d: the entry is not there: %v", a.kind, a.id, a.index, err)
			continue
		}
		switch a.kind {
		case "party":
			p, err := admin.FindParty(ctx, a.id)
			if err != nil || p.JournalIndex != a.index && !a.viaJour {
				fail("party %s acknowledged at %d: %+v %v", a.id, a.index, p, err)
			} else if rec.Entry.Subject != p.ID {
				fail("party %s: entry %d is about %s %s", a.id, a.index, rec.Entry.Kind, rec.Entry.Subject)
			}
		case "agreement":
			ag, err := admin.FindAgreement(ctx, a.id)
			if err != nil || ag.JournalIndex != a.index && !a.viaJour || rec.Entry.Subject != a.id {
				fail("agreement %s acknowledged at %d: %+v %v; the entry is about %s %s", a.id, a.index, ag, err, rec.Entry.Kind, rec.Entry.Subject)
			}
		case "aircraft":
			got, ok := aircraft[a.id]
			if !ok || got != a.index && !a.viaJour {
				fail("aircraft %s acknowledged at %d: listed %v at %d", a.id, a.index, ok, got)
			}
		case "zone", "decision":
			if rec.Entry.Subject != a.id {
				fail("%s of zone %s acknowledged at %d: the entry is about %s %s", a.kind, a.id, a.index, rec.Entry.Kind, rec.Entry.Subject)
				continue
			}
			vs, err := admin.ZoneHistory(ctx, a.id)
			if err != nil || len(vs) == 0 {
				fail("zone %s acknowledged at %d: history %v", a.id, a.index, err)
				continue
			}
			if a.kind == "zone" && vs[0].JournalIndex != a.index && !a.viaJour {
				fail("zone %s proposed at %d: version 1 says %d", a.id, a.index, vs[0].JournalIndex)
			}
			if a.kind == "decision" {
				found := false
				for _, d := range vs[0].Decisions {
					found = found || d.PartyID == a.party && d.Approve && (d.JournalIndex == a.index || a.viaJour)
				}
				if !found {
					fail("decision of %s on zone %s acknowledged at %d is not in its version: %+v", a.party, a.id, a.index, vs[0].Decisions)
				}
			}
		}
	}
	n := gapFreeJournal(t, ctx, admin)
	if lost > 0 {
		t.Errorf("%d of %d acknowledged writes lost", lost, len(c.acked))
	} else {
		t.Logf("every one of %d acknowledged writes found at its journal index (journal: %d entries, gap-free)", len(c.acked), n)
	}
}

// entryAlerts returns the zone entry alerts as "ICAO zone" -> true.
func (c *chaos) entryAlerts(ctx context.Context, admin *api.Client) map[string]bool {
	out := map[string]bool{}
	for cursor := ""; ; {
		as, next, err := admin.ListAlerts(ctx, truce.AlertFilter{Kind: "zone_entry", Cursor: cursor, Limit: 500})
		if err != nil {
			c.t.Fatal(err)
		}
		for _, a := range as {
			for _, ac := range a.Aircraft {
				out[strings.ToUpper(ac.ICAO)+" "+a.ZoneID] = true
			}
		}
		if next == "" || len(as) == 0 {
			return out
		}
		cursor = next
	}
}

// checkFlights: every aircraft that entered a zone in force (two reports
// inside accepted by one server, which then ran for 3 s more) has its
// entry alert.
func (c *chaos) checkFlights(ctx context.Context, w *world) {
	alerts := c.entryAlerts(ctx, w.admin)
	var counted, missing int
	for _, f := range c.flights {
		byGen := map[int64][]time.Time{}
		for _, r := range f.inside {
			byGen[r.gen] = append(byGen[r.gen], r.at)
		}
		entered := false
		for gen, ts := range byGen {
			killed, ok := c.killed[gen]
			if len(ts) >= 2 && (!ok || killed.Sub(ts[1]) >= 3*time.Second) {
				entered = true
			}
		}
		if !entered {
			continue
		}
		counted++
		if !alerts[f.icao+" "+f.zone] {
			missing++
			c.t.Errorf("NO ALERT: aircraft %s entered zone %s in force (flight from %s, reports inside accepted at %v) and no entry alert was journalled",
				f.icao, f.zone, f.started.Format("15:04:05.000"), f.inside)
		}
	}
	c.t.Logf("%d of %d flights entered a zone in force on one server; %d without an entry alert", counted, len(c.flights), missing)
	if counted == 0 {
		c.t.Error("no flight entered a zone in force: the check proved nothing")
	}
}

// checkZonesWatched flies one new aircraft into every zone in force now
// (by the database) and expects an entry alert for each.
func (c *chaos) checkZonesWatched(ctx context.Context, w *world, when string, icaoBase int) {
	t := c.t
	op := w.operators[0]
	vs, err := w.admin.ZonesInForce(ctx, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	type probe struct {
		icao, zone string
		lon, lat   float64
	}
	var ps []probe
	for i, v := range vs {
		lon, lat := (v.BBox[0]+v.BBox[2])/2, (v.BBox[1]+v.BBox[3])/2
		ps = append(ps, probe{fmt.Sprintf("%06X", icaoBase+i), v.ZoneID, lon, lat})
	}
	if len(ps) == 0 {
		t.Errorf("%s: no zone in force", when)
		return
	}
	post := func(inside bool) {
		var lines []string
		now := time.Now().UTC().Format(time.RFC3339Nano)
		for _, p := range ps {
			lon := p.lon
			if !inside {
				lon -= 0.055
			}
			lines = append(lines, fmt.Sprintf(`{"icao":%q,"lat":%.5f,"lon":%.5f,"alt_ft":5000,"time":%q}`, p.icao, p.lat, lon, now))
		}
		status, _, data, err := c.do(ctx, op, "POST", "/api/v1/positions", "application/x-ndjson", []byte(strings.Join(lines, "\n")), "")
		if err != nil || status != http.StatusOK && status != http.StatusAccepted {
			t.Fatalf("%s: positions: %d %s %v", when, status, data, err)
		}
	}
	post(false)
	for i := 0; i < 3; i++ {
		time.Sleep(500 * time.Millisecond) // reports spread in time, as a flight's are
		post(true)
	}
	var missing []string
	testwait.Until(8*time.Second, func() bool {
		alerts := c.entryAlerts(ctx, w.admin)
		missing = missing[:0]
		for _, p := range ps {
			if !alerts[p.icao+" "+p.zone] {
				missing = append(missing, p.zone)
			}
		}
		return len(missing) == 0
	})
	if len(missing) > 0 {
		sort.Strings(missing)
		t.Errorf("UNWATCHED %s: %d of %d zones in force raised no entry alert for an aircraft flown into them: %v", when, len(missing), len(ps), missing)
		for _, l := range strings.Split(c.logs.String(), "\n") {
			for _, z := range missing {
				if strings.Contains(l, z) && !strings.Contains(l, `"msg":"request"`) {
					t.Logf("server log on %s: %s", z, l)
				}
			}
		}
	} else {
		t.Logf("%s: all %d zones in force raised an entry alert", when, len(ps))
	}
}

// checkEvents: each stream, resumed with Last-Event-ID across restarts and
// drops, delivered events in order, none twice, with no gap reported, and
// an event for every acknowledged zone, decision and aircraft.
func (c *chaos) checkEvents(ctx context.Context, readers []*sseReader) {
	for i, r := range readers {
		// Read what was logged since the reader stopped.
		if err := c.readEventsOnce(ctx, r, false); err != nil {
			c.t.Errorf("stream %d: the final read: %v", i, err)
		}
		r.mu.Lock()
		for j := 1; j < len(r.ids); j++ {
			if r.ids[j] <= r.ids[j-1] {
				c.t.Errorf("stream %d: event %d after %d", i, r.ids[j], r.ids[j-1])
				break
			}
		}
		if len(r.missed) > 0 {
			c.t.Errorf("stream %d: the server reported missed events on resume: %v", i, r.missed)
		}
		var missing []string
		for _, a := range c.acked {
			kind := a.kind
			if kind == "decision" {
				kind = "zone"
			}
			if kind == "party" || kind == "agreement" || a.viaJour {
				continue // only the air picture's events are checked; 409s carry no id
			}
			if !r.subjects[kind+" "+a.id] {
				missing = append(missing, kind+" "+a.id)
			}
		}
		r.mu.Unlock()
		if len(missing) > 0 {
			c.t.Errorf("stream %d: no event for %d acknowledged writes, e.g. %v", i, len(missing), missing[:min(5, len(missing))])
		}
	}
}

// checkLog audits the log with the CLI against the server, and waits for
// the server's own start-up self-check to pass and /readyz to say ready.
func (c *chaos) checkLog(ctx context.Context) {
	t := c.t
	out, errs, code := truceCmd(t, nil, "log", "audit", c.url, "--key", c.logKey, "--token", c.token)
	if code != 0 || !strings.Contains(out, "Audited log") {
		t.Errorf("truce log audit: exit %d\n%s\n%s", code, out, errs)
	}
	var body []byte
	var err error
	if !testwait.Until(15*time.Second, func() bool {
		var resp *http.Response
		if resp, err = http.Get(c.url + "/readyz"); err != nil {
			return false
		}
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode == 200
	}) {
		t.Errorf("/readyz after the last restart: %s %v", body, err)
	}
	logs := c.logs.String()
	last := logs[strings.LastIndex(logs, "=== incarnation"):]
	if !strings.Contains(last, "log self-check passed") || strings.Contains(logs, "stored log is corrupt") {
		t.Errorf("the start-up self-check did not pass:\n%s", tail(last, 2000))
	}
}

// checkAnswers: a storage failure is a 503 with Retry-After, not a 500; a
// full disk makes /readyz say not ready; no valid write was refused and
// none went unanswered.
func (c *chaos) checkAnswers() {
	t := c.t
	var routes []string
	for r := range c.status {
		routes = append(routes, r)
	}
	sort.Strings(routes)
	for _, r := range routes {
		t.Logf("answers %s: %v", r, c.status[r])
		for st, n := range c.status[r] {
			switch {
			case st == -503:
				t.Errorf("%s: %d answers 503 without Retry-After", r, n)
			case st >= 500 && st != http.StatusServiceUnavailable:
				k := r + " " + strconv.Itoa(st)
				t.Errorf("%s: %d answers %d to a storage failure (want 503 with Retry-After); faults under way: %v; e.g. %s", r, n, st, c.byPhase[k], c.samples[k])
			}
		}
	}
	for _, s := range c.refused {
		t.Errorf("a valid write was refused: %s", s)
	}
	for _, s := range c.gaveUp {
		t.Errorf("a write got no definitive answer: %s", s)
	}
	if c.mounted {
		ready := 0
		for _, st := range c.readyDuring {
			if st == 200 {
				ready++
			}
		}
		switch {
		case c.diskFailures.Load() == 0:
			t.Logf("the full disk failed no write (everything fitted in the page cache or the journal's slack)")
		case len(c.readyDuring) == 0 || ready == len(c.readyDuring):
			t.Errorf("/readyz answered ready %d of %d times while the disk was full and %d writes had failed", ready, len(c.readyDuring), c.diskFailures.Load())
		}
	}
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
