package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/journal"
	"github.com/truce-project/truce/node"
)

// post sends NDJSON lines to /api/v1/positions as us-op and decodes the
// answer.
func (e *env) post(t *testing.T, body string) (int, truce.IngestResult, []byte) {
	t.Helper()
	code, _, b := e.do("POST", "/api/v1/positions", e.tokens["us-op"], body, "Content-Type", "application/x-ndjson")
	var res truce.IngestResult
	if code == 202 {
		if err := json.Unmarshal(b, &res); err != nil {
			t.Fatal(err)
		}
	}
	return code, res, b
}

// counted is every line a result accounts for.
func counted(r truce.IngestResult) int {
	return r.Accepted + r.Rejected + r.Dropped + r.Refused + r.Pending
}

// TestPositions_TableFullCampaign: with a track table of 100, posters
// cycling 300 invented addresses far from the zones, and five aircraft
// flown into the no-fly zone: every one of the five raises its entry
// alert; the answers count the refused positions by reason; /readyz says
// degraded with the reason; the coordinator gets one journalled alert for
// the episode; the metrics count the refusals.
func TestPositions_TableFullCampaign(t *testing.T) {
	e := newEnvWith(t, node.Config{MaxTracks: 100})
	ctx := context.Background()
	e.agreementInForce(t)
	e.approveAll(t, e.zone.ID, 1)
	const rounds, intruders = 14, 5
	refused := 0
	for r := range rounds {
		now := time.Now().UTC()
		var b strings.Builder
		for i := range 100 {
			icao := fmt.Sprintf("9%05X", (r*100+i)%300)
			b.Write(ndjson(icao, "", orb.Point{38 + float64(i%10)*0.02, 35 + float64(i/10)*0.02}, 20000, now, ""))
			b.WriteByte('\n')
		}
		// The intruders come from 20 km west of the zone (36-36.5E,
		// 33-33.5N) and are inside it from the seventh round.
		for k := range intruders {
			lon := 35.8 + float64(r)*0.04
			b.Write(ndjson(fmt.Sprintf("70000%d", k+1), "", orb.Point{lon, 33.1 + float64(k)*0.07}, 5000, now, ""))
			b.WriteByte('\n')
		}
		code, res, body := e.post(t, b.String())
		if code != 202 || counted(res) != 100+intruders || res.Rejected != 0 {
			t.Fatalf("round %d: %d %s", r, code, body)
		}
		if res.Refused != res.RefusedBy["track_table_full"] {
			t.Fatalf("round %d: refusals for other reasons: %s", r, body)
		}
		refused += res.Refused
		// Rounds 200 ms apart, as a feed's reports are spread in time:
		// which tracks are quiet enough to give up their place, and when
		// the full table is scanned again (each second of the engine's
		// clock), depend on the time between reports, so it must pass.
		time.Sleep(200 * time.Millisecond)
	}
	if refused == 0 {
		t.Fatal("no answer reported a refused position, though 300 addresses cycled through a table of 100")
	}
	as := e.waitAlerts(t, "the intruders' entries and the coordinator's alert", func(as []*truce.Alert) bool {
		for k := range intruders {
			if count(as, truce.AlertZoneEntry, fmt.Sprintf("70000%d", k+1)) != 1 {
				return false
			}
		}
		for _, a := range as {
			if a.Kind == truce.AlertTrackTableFull {
				return true
			}
		}
		return false
	})
	full := 0
	for _, a := range as {
		if a.Kind == truce.AlertTrackTableFull {
			full++
			if !strings.Contains(a.Summary, "track table is full") || a.Episode == "" {
				t.Errorf("coordinator's alert: %+v", a)
			}
		}
	}
	if full != 1 {
		t.Fatalf("%d track_table_full alerts, want one for the episode", full)
	}
	code, _, body := e.do("GET", "/readyz", "", "")
	var ready struct {
		Status   string   `json:"status"`
		Problems []string `json:"problems"`
	}
	json.Unmarshal(body, &ready)
	if code != 200 || ready.Status != "degraded" || len(ready.Problems) != 1 || !strings.Contains(ready.Problems[0], "track table full") {
		t.Fatalf("readyz: %d %s", code, body)
	}
	_, _, metrics := e.do("GET", "/metrics", "", "")
	if !strings.Contains(string(metrics), `truce_monitor_unused_total{reason="track_table_full"} `) ||
		strings.Contains(string(metrics), `truce_monitor_unused_total{reason="track_table_full"} 0`+"\n") {
		t.Fatalf("metrics do not count the refusals:\n%s", grepLines(string(metrics), "truce_monitor_"))
	}
	_ = ctx
}

// TestPositions_Delays posts an aircraft's reports, once a second for 5 s
// inside the no-fly zone, 0 to 45 s late: each raises its entry alert;
// reports older than the accepted latency or from the future are counted
// as such in the answer.
func TestPositions_Delays(t *testing.T) {
	e := newEnv(t)
	e.agreementInForce(t)
	// A zone is in force from its approval: this one is approved (and
	// effective) a minute ago, so that reports 45 s late fall after it.
	ago := time.Now().Add(-time.Minute)
	z, _, err := e.client(e.tokens["us-op"]).ProposeZone(context.Background(), truce.ZoneProposal{Agreement: e.agreement.ID, Name: "East box",
		Kind: truce.ZoneNoFly, EffectiveFrom: &ago, Geometry: json.RawMessage(`{"type":"Polygon","coordinates":[[[37,33],[37.5,33],[37.5,33.5],[37,33.5],[37,33]]]}`)})
	if err != nil {
		t.Fatal(err)
	}
	e.node.Journal.Now = func() time.Time { return journal.Now().Add(-time.Minute) }
	e.approveAll(t, z.ID, 1)
	e.node.Journal.Now = journal.Now
	delays := []int{0, 3, 10, 20, 45}
	for s := range 5 {
		var b strings.Builder
		now := time.Now().UTC()
		for k, d := range delays {
			b.Write(ndjson(fmt.Sprintf("A000%02d", k), "", orb.Point{37.2, 33.1 + float64(k)*0.05}, 5000, now.Add(time.Duration(s-d-4)*time.Second), ""))
			b.WriteByte('\n')
		}
		if code, res, body := e.post(t, b.String()); code != 202 || res.Accepted != len(delays) {
			t.Fatalf("second %d: %d %s", s, code, body)
		}
	}
	e.waitAlerts(t, "an entry for every delay", func(as []*truce.Alert) bool {
		for k := range delays {
			if count(as, truce.AlertZoneEntry, fmt.Sprintf("A000%02d", k)) != 1 {
				return false
			}
		}
		return true
	})
	now := time.Now().UTC()
	body := string(ndjson("B00001", "", orb.Point{37.2, 33.2}, 5000, now.Add(-150*time.Second), "")) + "\n" +
		string(ndjson("B00002", "", orb.Point{37.2, 33.2}, 5000, now.Add(30*time.Second), "")) + "\n" +
		string(ndjson("B00003", "", orb.Point{37.2, 33.2}, 5000, now, "")) + "\n" +
		string(ndjson("B00003", "", orb.Point{37.2, 33.2}, 5000, now.Add(-time.Second), "")) + "\n"
	code, res, raw := e.post(t, body)
	if code != 202 || res.Accepted != 1 || res.Refused != 3 || res.RefusedBy["too_old"] != 1 || res.RefusedBy["future"] != 1 || res.RefusedBy["out_of_order"] != 1 {
		t.Fatalf("late, future and out-of-order reports: %d %s", code, raw)
	}
}

// TestPositions_BatchRefusedFeedsNothing: a batch refused as a whole
// (over the body limit, a line too long, too many lines) has fed nothing
// to the monitor; a batch taken says which lines it rejected.
func TestPositions_BatchRefusedFeedsNothing(t *testing.T) {
	e := newEnv(t)
	now := time.Now().UTC()
	var big strings.Builder
	for i := 0; big.Len() < 80<<10; i++ { // the env's body limit is 64 KiB
		big.Write(ndjson(fmt.Sprintf("C%05X", i+1), "", orb.Point{36.2, 33.2}, 5000, now, ""))
		big.WriteByte('\n')
	}
	long := string(ndjson("C00001", "", orb.Point{36.2, 33.2}, 5000, now, "")) + "\n" + `{"icao":"C00002","callsign":"` + strings.Repeat(" ", 5000) + `"}` + "\n"
	for name, c := range map[string]struct {
		body string
		code int
	}{"OverBodyLimit": {big.String(), 413}, "LineTooLong": {long, 400}} {
		body := c.body
		// Streamed (no Content-Length), so the limit is met while reading.
		req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/positions", io.MultiReader(strings.NewReader(body)))
		req.Header.Set("Authorization", "Bearer "+e.tokens["us-op"])
		req.Header.Set("Content-Type", "application/x-ndjson")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.code {
			t.Fatalf("%s: %d %s, want %d", name, resp.StatusCode, raw, c.code)
		}
		if !strings.Contains(string(raw), "Nothing was taken") {
			t.Errorf("%s: the problem does not say that nothing was taken: %s", name, raw)
		}
	}
	// No wait needed: a batch is ingested (and counted) before its
	// answer is sent, so what a refused batch fed would be counted by now.
	if n := e.node.Monitor().Counters.Ingested.Load(); n != 0 {
		t.Fatalf("batches refused as a whole fed %d positions to the monitor", n)
	}
	body := "\n" + string(ndjson("C00001", "", orb.Point{36.2, 33.2}, 5000, now, "")) + "\n" +
		`{"icao":"C00002","lat":95,"lon":36}` + "\n\n" +
		string(ndjson("C00003", "", orb.Point{36.2, 33.2}, 5000, now, "")) + "\n" +
		`{"icao":"C00004","time":"1970-01-01T00:00:01Z","lat":33.2,"lon":36.2}` + "\n" +
		`{"icao":"C00005","time":"2001-09-11T12:00:00Z","lat":33.2,"lon":36.2}` + "\n"
	code, res, raw := e.post(t, body)
	if code != 202 || res.Accepted != 2 || res.Rejected != 3 || fmt.Sprint(res.RejectedLines) != "[3 6 7]" {
		t.Fatalf("mixed batch: %d %s", code, raw)
	}
	if !strings.Contains(res.Errors[1], "line 6: time 1970-01-01T00:00:01Z is more than 1h0m0s before receipt") {
		t.Fatalf("the 1970 report's reason: %q", res.Errors)
	}
}

// TestPositions_SquawkFirstReport: an emergency squawked in an aircraft's
// first report is journalled at that report's position, so a query by
// area finds it.
func TestPositions_SquawkFirstReport(t *testing.T) {
	e := newEnv(t)
	now := time.Now().UTC()
	if code, res, raw := e.post(t, string(ndjson("155ABD", "SYR77", orb.Point{38, 35}, 15000, now, `,"squawk":"7700"`))+"\n"); code != 202 || res.Accepted != 1 {
		t.Fatalf("post: %d %s", code, raw)
	}
	e.waitAlerts(t, "the emergency squawk", func(as []*truce.Alert) bool { return count(as, truce.AlertSquawk, "155ABD") == 1 })
	as, _, err := e.client(e.admin).ListAlerts(context.Background(), truce.AlertFilter{Kind: truce.AlertSquawk, BBox: &truce.BBox{37.9, 34.9, 38.1, 35.1}})
	if err != nil || len(as) != 1 || as[0].Lon != 38 || as[0].Lat != 35 {
		var got []string
		for _, a := range as {
			got = append(got, fmt.Sprintf("%s at %v,%v", a.Kind, a.Lon, a.Lat))
		}
		t.Fatalf("squawk alerts in the aircraft's area: %v %v", got, err)
	}
}

// TestPositions_MetricsSplitUsed: a position the monitor merges into its
// track and one it sees but does not use (older than the track's last) are
// both processed; only the first is counted as used, the second under its
// reason, so a benchmark or a dashboard need not take processed for used.
func TestPositions_MetricsSplitUsed(t *testing.T) {
	e := newEnv(t)
	now := time.Now().UTC()
	body := string(ndjson("7A0001", "", orb.Point{40, 30}, 20000, now, "")) + "\n" +
		string(ndjson("7A0001", "", orb.Point{40.01, 30}, 20000, now.Add(-time.Second), "")) + "\n"
	code, res, b := e.post(t, body)
	if code != 202 || res.Accepted != 1 || res.RefusedBy["out_of_order"] != 1 {
		t.Fatalf("%d %s", code, b)
	}
	_, _, metrics := e.do("GET", "/metrics", "", "")
	for _, want := range []string{"truce_monitor_processed_total 2\n", "truce_monitor_used_total 1\n",
		`truce_monitor_unused_total{reason="out_of_order"} 1` + "\n", "truce_monitor_dropped_total 0\n"} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("metrics lack %q:\n%s", want, grepLines(string(metrics), "truce_monitor_"))
		}
	}
}
