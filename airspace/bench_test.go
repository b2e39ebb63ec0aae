package airspace_test

import (
	"context"
	"io"
	"log/slog"
	"math"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/feed"
	"github.com/truce-project/truce/internal/testwait"
	"github.com/truce-project/truce/node"
	"github.com/truce-project/truce/postgres/pgtest"
)

// BenchmarkAlertJournal measures what a journalled alert costs the server
// end to end: the monitor raises b.N alerts (emergency squawks that
// change code on every report, each a new episode, from 2,000 aircraft
// that already have a 16-point history for the evidence), the host queues
// them, and the clock and the CPU count stop only when every alert is in
// the journal and its event in the event log, both read back from the
// database. cpu-µs/alert is the process's user+system CPU (getrusage) over
// that span divided by the alerts, the ingest of the b.N positions that
// raise them included (about 1 µs each); alerts/s is over wall time;
// written-B/alert is what the process wrote (/proc/self/io wchar: the
// database file and its WAL) over the span, per alert. On
// PostgreSQL (TRUCE_TEST_POSTGRES) the database server's own CPU is not
// counted: it is another process.
//
//	go test ./airspace -run XXX -bench AlertJournal -benchtime 20000x -count 3
func BenchmarkAlertJournal(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchAlertJournal(b, "") })
	b.Run("postgres", func(b *testing.B) {
		if os.Getenv("TRUCE_TEST_POSTGRES") == "" {
			b.Skip("TRUCE_TEST_POSTGRES is not set")
		}
		benchAlertJournal(b, pgtest.DSN(b))
	})
}

// eventBounds is what the benchmark reads of the event log.
type eventBounds interface {
	EventBounds(ctx context.Context) (first, last int64, err error)
}

func benchAlertJournal(b *testing.B, dsn string) {
	ctx := context.Background()
	cfg := node.Config{DataDir: b.TempDir(), DB: dsn, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), SelfCheck: "off"}
	if _, err := node.Init(ctx, cfg, node.InitOptions{PartySlug: "secretariat", PartyName: "Secretariat", PartyKind: truce.PartyCoordinator, Username: "admin"}); err != nil {
		b.Fatal(err)
	}
	n, err := node.Open(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer n.Close()
	evs, ok := n.Store.(eventBounds)
	if !ok {
		b.Fatalf("store %T reads no event bounds", n.Store)
	}
	e := n.Monitor()

	const aircraft, history = 2000, 16
	codes := []string{"7700", "7600", "7500"}
	var squawks []feed.Squawk
	for _, c := range codes {
		sq, _ := feed.ParseSquawk(c)
		squawks = append(squawks, sq)
	}
	normal, _ := feed.ParseSquawk("7000")
	reports := make([]int, aircraft)
	ingest := func(i int, sq feed.Squawk) {
		r := reports[i]
		reports[i]++
		// Coordinates to 5 decimals, as SBS-1 and NDJSON feeds give them.
		lat, lon := 33+float64(i%50)*0.02+float64(r)*0.001, 36+float64(i/50)*0.02
		p := feed.Position{ICAO: 0x700000 + uint32(i), Squawk: sq, Lat: math.Round(lat*1e5) / 1e5, Lon: math.Round(lon*1e5) / 1e5,
			AltFt: 20000, AltM: 20000 * feed.FeetToMetres, Time: time.Now().UTC(), Source: "bench",
			Present: feed.FieldSquawk | feed.FieldLatLon | feed.FieldAltitude}
		for !n.IngestPosition(p) { // shed under overload: offer it again
			// A feed's pace while the monitor catches up: nothing
			// signals room in its queue, and a busy loop would take
			// the CPU the monitor needs.
			time.Sleep(100 * time.Microsecond)
		}
	}
	settle := func(positions uint64) {
		testwait.For(b, 10*time.Minute, "the monitor to process the positions", func() bool { return e.Counters.Processed.Load() >= positions })
	}
	for range history {
		for i := range aircraft {
			ingest(i, normal)
		}
	}
	settle(aircraft * history)

	j0, err := n.Store.JournalSize(ctx)
	if err != nil {
		b.Fatal(err)
	}
	_, ev0, err := evs.EventBounds(ctx)
	if err != nil {
		b.Fatal(err)
	}
	alerts0, processed0 := e.Counters.Alerts.Load(), e.Counters.Processed.Load()
	b.ResetTimer()
	cpu0, w0, t0 := cpuTime(), writtenBytes(), time.Now()
	for k := range b.N {
		i := k % aircraft
		ingest(i, squawks[(k/aircraft)%len(squawks)])
	}
	settle(processed0 + uint64(b.N))
	raised := int64(e.Counters.Alerts.Load() - alerts0)
	testwait.For(b, 10*time.Minute, "every alert to be journalled and its event logged", func() bool {
		j, err := n.Store.JournalSize(ctx)
		if err != nil || j < j0+raised {
			return false
		}
		_, ev, err := evs.EventBounds(ctx)
		return err == nil && ev >= ev0+raised
	})
	cpu, written, wall := cpuTime()-cpu0, writtenBytes()-w0, time.Since(t0)
	b.StopTimer()
	if raised != int64(b.N) {
		b.Fatalf("%d alerts raised for %d emergency reports", raised, b.N)
	}
	as, err := n.Store.Airspace().Alerts(ctx, truce.AlertFilter{Kind: truce.AlertKind("emergency_squawk"), Limit: 1})
	if err != nil || len(as) != 1 || as[0].JournalIndex < j0 {
		b.Fatalf("no emergency alert journalled after index %d: %v %v", j0, as, err)
	}
	b.ReportMetric(float64(cpu.Microseconds())/float64(raised), "cpu-µs/alert")
	b.ReportMetric(float64(raised)/wall.Seconds(), "alerts/s")
	if written >= 0 && w0 >= 0 {
		b.ReportMetric(float64(written)/float64(raised), "written-B/alert")
	}
}

// writtenBytes is what the process has handed to write system calls
// (/proc/self/io wchar: the database file, its WAL, and anything else), or
// -1 where the system does not say.
func writtenBytes() int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "wchar: "); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return -1
			}
			return n
		}
	}
	return -1
}

// cpuTime is the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
