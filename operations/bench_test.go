package operations_test

import (
	"fmt"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/truce-project/truce/operations"
)

// BenchmarkService_File measures filing an operation end to end on
// SQLite: the plan checked, deconflicted against the operations filed
// before it, the notified sites and movements and the zones in force,
// journalled and stored in one transaction, its event published. The
// issue's target is at least 1,000 filings a second.
func BenchmarkService_File(b *testing.B) {
	t := &testing.T{}
	st := stores["SQLite"](t)
	w := newWorld(t, st)
	if t.Failed() {
		b.Fatal("set-up failed")
	}
	var n atomic.Int64
	b.SetParallelism(8) // several operators filing at once, as a deployment's are
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(n.Add(1))
			x, y := 35.0+float64(i%100)*0.02, 33.0+float64(i/100%100)*0.02
			in := w.plan(fmt.Sprint("patrol ", i), operations.GroundPatrol, box(x, y, x+0.01, y+0.01), 0, 10, time.Duration(i%500)*time.Hour, 2)
			if _, err := w.svc.File(w.asUS, in); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "filings/s")
	// The process's CPU per filing says what the filings cost apart from
	// the machine's other load: 1,000 a second on two cores is 2 ms each.
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/filing")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
