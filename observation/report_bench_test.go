package observation_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/journal"
	"github.com/truce-project/truce/observation"
)

// BenchmarkService_DailyReport builds one day's report through the
// service, as GET /api/v1/reports/daily does (every incident of the day
// and of the day before read a page at a time and vouched for by the
// journal, then counted), over a store holding REPORT_BENCH_OBS
// observations (1,000,000 unless set) filed over the 30 days the report
// ends. Each incident has two observations from the mission's two
// observers; one in ten is verified with a violation. The records are
// stored in bulk through the store, each journalled as the service
// journals it (journal.Write, the same changes), so the report's vouched
// reads check them as they would a served store's. Issue #15's target:
// ≤ 2 s. It runs on SQLite, and on PostgreSQL when TRUCE_TEST_POSTGRES
// is set.
//
//	go test ./observation -run '^$' -bench Service_DailyReport -benchtime 3x -timeout 2h
func BenchmarkService_DailyReport(b *testing.B) {
	n := 1_000_000
	if s := os.Getenv("REPORT_BENCH_OBS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 2 {
			b.Fatalf("REPORT_BENCH_OBS=%q: want a number of observations ≥ 2", s)
		}
		n = v
	}
	day := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -1)
	for name, open := range stores {
		if name == "PostgreSQL" && os.Getenv("TRUCE_TEST_POSTGRES") == "" {
			continue
		}
		// The store is filled once, outside the sub-benchmark, which
		// the testing package runs again for each b.N.
		var w *world
		var perDay int
		b.Run(name, func(sb *testing.B) {
			if w == nil {
				w = newWorld(b, open(b), nil)
				t0 := time.Now()
				perDay = fillReportDays(b, w, day, 30, n)
				sb.Logf("%d observations stored (%d incidents a day) in %s", n, perDay, time.Since(t0).Round(time.Second))
			}
			b := sb
			ctx := as(w.op)
			var rep *observation.DailyReport
			cpu0 := cpuTime()
			b.ResetTimer()
			for range b.N {
				var err error
				if rep, err = w.svc.DailyReport(ctx, day); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			cpu := cpuTime() - cpu0
			if rep.Total.Incidents != perDay || rep.Previous.Incidents != perDay {
				b.Fatalf("report counts %d incidents, %d the day before; want %d", rep.Total.Incidents, rep.Previous.Incidents, perDay)
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "wall-s/report")
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/report")
			b.ReportMetric(float64(perDay), "incidents/day")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// fillReportDays stores n observations, two to an incident, spread evenly
// over the days days ending with last (in batches of one transaction,
// each record journalled as the service journals it), and returns the
// number of incidents on each day.
func fillReportDays(b testing.TB, w *world, last time.Time, days, n int) int {
	ctx := context.Background()
	incidents := n / 2
	perDay := incidents / days
	incidents = perDay * days
	j := journal.New(w.st)
	r := rand.New(rand.NewPCG(1, 2))
	cats := []observation.Category{observation.CatExplosion, observation.CatBurstShot, observation.CatArmedClash, observation.CatFlare}
	const batch = 1000
	now := journal.Now()
	first := last.AddDate(0, 0, 1-days)
	for done := 0; done < incidents; done += batch {
		_, err := journal.Write(ctx, j, w.st.Observation(), w.obs1, func(tx observation.Tx, jw *journal.Writer) (int, error) {
			for i := done; i < min(done+batch, incidents); i++ {
				start := first.AddDate(0, 0, i/perDay).Add(time.Duration(r.Int64N(int64(24*time.Hour - time.Hour)))).Truncate(time.Microsecond)
				p := observation.Point{Lon: 35.8 + 1.5*r.Float64(), Lat: 32.3 + 1.2*r.Float64()}
				cat := cats[r.IntN(len(cats))]
				inc := &observation.Incident{ID: truce.NewID(), Category: cat, Status: observation.StatusReported, CreatedAt: now, Version: 1}
				var obs []*observation.Observation
				for k, c := range []*truce.Caller{w.obs1, w.obs2} {
					q := observation.Point{Lon: p.Lon + 0.001*float64(k), Lat: p.Lat}
					in := observation.Input{Mode: observation.ModeHeard, ObserverID: c.User.ID, Position: q, Location: &q, Accuracy: 500,
						Start: start, End: start.Add(time.Minute), Category: cat, Events: observation.Count{Best: 2, Low: 1, High: 3}}
					loc := observation.Locate(&in)
					obs = append(obs, &observation.Observation{ID: truce.NewID(), Input: in, PartyID: w.mission.ID,
						ObserverLabel: "observer of party " + w.mission.Slug, FiledBy: c.User.ID, Center: loc.Center, Radius: loc.Radius,
						Area: loc.Area, CreatedAt: now, Version: 1, IncidentID: inc.ID, PCode: fmt.Sprintf("SY%02d%02d", 1+r.IntN(14), 1+r.IntN(9))})
				}
				inc = observation.Summarize(inc, obs)
				inc.PCode, inc.UpdatedAt = obs[0].PCode, now
				if i%10 == 0 {
					inc.Status = observation.StatusVerified
					inc.Violations = []observation.Violation{{Activity: "shelling", AgreementID: "bench-agreement", ZoneID: "bench-zone-" + strconv.Itoa(r.IntN(20)), ZoneVersion: 1, ZoneKind: truce.ZoneDeescalation, At: start}}
				}
				inc.JournalIndex = jw.Journal(observation.IncidentChange(inc))
				if err := tx.PutIncident(ctx, inc); err != nil {
					return 0, err
				}
				for _, o := range obs {
					o.JournalIndex = jw.Journal(observation.ObservationChange(o))
					if err := tx.PutObservation(ctx, o); err != nil {
						return 0, err
					}
				}
			}
			return 0, nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return perDay
}

// TestService_DailyReportPages: the report reads a day of more incidents
// than a page, by start, whose ids are in no order of their starts (they
// were stored after the fact), and counts each once, on both days.
func TestService_DailyReportPages(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, open(t), nil)
			day := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -1)
			perDay := fillReportDays(t, w, day, 3, 3*2*1234)
			rep, err := w.svc.DailyReport(as(w.op), day)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for _, inc := range rep.Incidents {
				seen[inc.ID] = true
			}
			if rep.Total.Incidents != perDay || len(seen) != perDay || rep.Previous.Incidents != perDay {
				t.Errorf("report: %d incidents (%d distinct), %d the day before; want %d", rep.Total.Incidents, len(seen), rep.Previous.Incidents, perDay)
			}
		})
	}
}
