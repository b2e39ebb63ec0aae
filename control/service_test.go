package control_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/control"
	"github.com/truce-project/truce/internal/teststores"
	"github.com/truce-project/truce/journal"
	"github.com/truce-project/truce/zones"
	"golang.org/x/mod/sumdb/note"
)

// store is the SQL store with every capability's view: the tests'
// shared fixture (teststores), opened fresh on each database by stores.
type store = teststores.TestStore

var stores = teststores.StoreOpeners

// clock is the injected service clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func geom(x0, y0, x1, y1 float64) json.RawMessage {
	b, _ := json.Marshal(map[string]any{"type": "Polygon", "coordinates": [][][2]float64{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}})
	return b
}

// world is one deployment for the test: parties, callers and an
// agreement with one liberated zone (written straight to the store: the
// zone service's approvals are not what this test is about).
type world struct {
	svc                   *control.Service
	clock                 *clock
	ru, us, monitor       *truce.Party
	asRU, asUS, asMonitor context.Context
	agreement             *truce.Agreement
	zone, otherZone       *truce.Zone
	events                []truce.Event
	mu                    sync.Mutex
}

func (w *world) eventKinds() map[string]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	m := map[string]int{}
	for _, e := range w.events {
		m[e.Kind]++
	}
	return m
}

func newWorld(t *testing.T, st store) *world {
	ctx := context.Background()
	w := &world{clock: &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}}
	j := journal.New(st)
	j.Now = w.clock.Now
	j.OnEvent = func(e truce.Event) { w.mu.Lock(); w.events = append(w.events, e); w.mu.Unlock() }
	acc := teststores.Accounts(t, st, j)
	admin := truce.NewContext(ctx, &truce.Caller{User: &truce.User{ID: "admin", Roles: []truce.Role{truce.RoleAdmin}}, Party: &truce.Party{ID: "admin"}})
	party := func(slug string, kind truce.PartyKind) (*truce.Party, context.Context) {
		p, err := acc.CreateParty(admin, truce.PartyCreate{Slug: slug, Name: slug, Kind: kind})
		if err != nil {
			t.Fatal(err)
		}
		return p, truce.NewContext(ctx, &truce.Caller{User: &truce.User{ID: slug + "-op", PartyID: p.ID, Roles: []truce.Role{truce.RoleOperator}}, Party: p})
	}
	w.ru, w.asRU = party("ru", truce.PartyGuarantor)
	w.us, w.asUS = party("us", truce.PartyGuarantor)
	w.monitor, w.asMonitor = party("monitor", truce.PartyMonitor)
	now := w.clock.Now()
	w.agreement = &truce.Agreement{ID: "ag-1", Title: "Memo", Signatories: []string{w.ru.ID, w.us.ID}, EffectiveFrom: now, Status: truce.AgreementInForce,
		Rules: truce.AgreementRules{GuaranteeResponse: truce.Duration(24 * time.Hour)}, Version: 1}
	other := &truce.Agreement{ID: "ag-2", Title: "Other", Signatories: []string{w.ru.ID}, EffectiveFrom: now, Status: truce.AgreementInForce, Version: 1}
	w.zone = &truce.Zone{ID: "z-1", AgreementID: w.agreement.ID, Name: "Yarmouk basin", Kind: truce.ZoneLiberated, State: truce.ZoneStateInForce, Current: 1, Latest: 1, Version: 1}
	w.otherZone = &truce.Zone{ID: "z-2", AgreementID: other.ID, Name: "Elsewhere", Kind: truce.ZoneLiberated, State: truce.ZoneStateInForce, Current: 1, Latest: 1, Version: 1}
	err := st.ZoneStore().Update(ctx, func(tx zones.Tx) error {
		for _, ag := range []*truce.Agreement{w.agreement, other} {
			c, _ := truce.Change{Kind: "agreement", Subject: ag.ID, Body: ag, Visibility: truce.Visibility{Scope: truce.ScopeAll}}.Seal("p", "u", now)
			if _, err := tx.Append(ctx, c); err != nil {
				return err
			}
			if err := tx.PutAgreement(ctx, ag); err != nil {
				return err
			}
		}
		for _, z := range []*truce.Zone{w.zone, w.otherZone} {
			if err := tx.PutZone(ctx, z); err != nil {
				return err
			}
			v := &truce.ZoneVersion{ZoneID: z.ID, AgreementID: z.AgreementID, Version: 1, Action: truce.ZoneProposed, Status: truce.VersionApproved,
				Spec: truce.ZoneSpec{Name: z.Name, Kind: z.Kind, Geometry: geom(35.9, 32.7, 36.0, 32.8)}, InForceFrom: &now, BBox: truce.BBox{35.9, 32.7, 36, 32.8}}
			if err := tx.PutZoneVersion(ctx, v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	w.svc = control.New(st.Control(), j, acc)
	return w
}

// TestService_Guarantee walks the story on both stores: actors,
// an area liberated from ISIS, a guarantee by Russia with the Syrian
// government allowed, a faction re-taking a village (a breach, alerted to
// every party), Russia's signed answer, and an unanswered breach
// escalated when its deadline passes on the injected clock.
func TestService_Guarantee(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			w := newWorld(t, st)
			svc := w.svc
			code := func(what string, err error, want string) {
				t.Helper()
				if truce.ErrorCode(err) != want {
					t.Fatalf("%s: %v, want %s", what, err, want)
				}
			}
			saa, err := svc.AddActor(w.asMonitor, control.ActorInput{Slug: "saa", Names: map[string]string{"en": "Syrian government forces", "ar": "القوات الحكومية السورية"}, Type: control.StateForces, Guarantor: "ru"})
			if err != nil {
				t.Fatal(err)
			}
			isis, err := svc.AddActor(w.asMonitor, control.ActorInput{Slug: "isis", Names: map[string]string{"en": "Islamic State"}, Aliases: []string{"ISIL", "Daesh"}, Type: control.RebelGroup})
			if err != nil {
				t.Fatal(err)
			}
			faction, err := svc.AddActor(w.asMonitor, control.ActorInput{Slug: "faction", Names: map[string]string{"en": "Armed faction (illustrative)"}, Type: control.RebelGroup, Parent: "isis"})
			if err != nil || faction.ParentID != isis.ID {
				t.Fatalf("faction: %+v %v", faction, err)
			}
			_, err = svc.AddActor(w.asMonitor, control.ActorInput{Slug: "saa", Names: map[string]string{"en": "x"}, Type: control.StateForces})
			code("duplicate slug", err, truce.ECONFLICT)
			_, err = svc.AddActor(w.asMonitor, control.ActorInput{Slug: "bad", Names: map[string]string{"en": "x"}, Type: "army"})
			code("unknown ACLED type", err, truce.EINVALID)

			t0 := w.clock.Now().Add(-30 * 24 * time.Hour)
			isisHeld, err := svc.AddControl(w.asMonitor, control.ControlInput{Actor: "isis", Geometry: geom(35.9, 32.7, 36.0, 32.8), From: t0, Source: "monitor report 1", Confidence: control.ConfidenceHigh})
			if err != nil {
				t.Fatal(err)
			}
			lib := w.clock.Now().Add(-10 * 24 * time.Hour)
			if _, err := svc.EndControl(w.asMonitor, isisHeld.Area.ID, lib); err != nil {
				t.Fatal(err)
			}
			_, err = svc.EndControl(w.asMonitor, isisHeld.Area.ID, lib)
			code("ending twice", err, truce.ECONFLICT)
			liberated, err := svc.AddControl(w.asMonitor, control.ControlInput{Actor: "saa", Geometry: geom(35.9, 32.7, 36.0, 32.8), From: lib, Source: "monitor report 2", Confidence: control.ConfidenceHigh, LiberatedFrom: "isis"})
			if err != nil || liberated.Area.LiberatedFrom != isis.ID {
				t.Fatalf("liberation: %+v %v", liberated, err)
			}
			// 0.1° × 0.1° at 32.75°N: 11.1 km × 9.35 km.
			if want := 111.19 * 111.19 * 0.01 * math.Cos(32.75*math.Pi/180); math.Abs(liberated.Area.AreaKM2-want)/want > 0.005 {
				t.Fatalf("area = %.2f km², want about %.2f", liberated.Area.AreaKM2, want)
			}
			end := lib.Add(-time.Hour)
			_, err = svc.AddControl(w.asMonitor, control.ControlInput{Actor: "saa", Geometry: geom(35.9, 32.7, 36.0, 32.8), From: lib, To: &end, Source: "s", Confidence: control.ConfidenceLow})
			code("period ending before it starts", err, truce.EINVALID)

			// Guarantees: only a signatory may give one, over its own zone.
			in := control.GuaranteeInput{AgreementID: w.agreement.ID, ZoneID: w.zone.ID, Guarantors: []string{"ru"}, Allowed: []string{"saa"}, From: lib}
			_, err = svc.AddGuarantee(w.asMonitor, in)
			code("guarantee by a non-signatory", err, truce.EFORBIDDEN)
			bad := in
			bad.ZoneID = w.otherZone.ID
			_, err = svc.AddGuarantee(w.asRU, bad)
			code("guarantee on an area outside the agreement", err, truce.EUNPROCESSABLE)
			bad = in
			bad.Guarantors = []string{"monitor"}
			_, err = svc.AddGuarantee(w.asRU, bad)
			code("guarantor not a signatory", err, truce.EUNPROCESSABLE)
			g, err := svc.AddGuarantee(w.asRU, in)
			if err != nil {
				t.Fatal(err)
			}
			if time.Duration(g.ResponseWithin) != 24*time.Hour {
				t.Fatalf("response within %v, want the agreement's 24h", time.Duration(g.ResponseWithin))
			}

			// The faction re-takes a village: one breach, alerted.
			retake := w.clock.Now().Add(-time.Hour)
			rec, err := svc.AddControl(w.asMonitor, control.ControlInput{Actor: "faction", Name: "village", Geometry: geom(35.93, 32.73, 35.95, 32.75), From: retake, Source: "monitor report 3", Confidence: control.ConfidenceMedium})
			if err != nil {
				t.Fatal(err)
			}
			if len(rec.Breaches) != 1 {
				t.Fatalf("%d breaches, want 1", len(rec.Breaches))
			}
			b := rec.Breaches[0]
			if b.GuaranteeID != g.ID || b.ActorID != faction.ID || b.Guarantors[0] != w.ru.ID || b.Evidence != "monitor report 3" || !b.Due.Equal(w.clock.Now().Add(24*time.Hour)) || b.Status != control.BreachOpen {
				t.Fatalf("breach = %+v", b)
			}
			if n := w.eventKinds()[control.EventBreach]; n != 1 {
				t.Fatalf("%d breach alerts, want 1", n)
			}
			// Allowed actor: no breach.
			rec2, err := svc.AddControl(w.asMonitor, control.ControlInput{Actor: "saa", Geometry: geom(35.96, 32.76, 35.98, 32.78), From: retake, Source: "s", Confidence: control.ConfidenceMedium})
			if err != nil || len(rec2.Breaches) != 0 {
				t.Fatalf("allowed actor: %v %v", rec2, err)
			}

			// The map now shows the village contested.
			m, err := svc.Map(w.asUS, w.clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			contested := 0
			for _, h := range m.Areas {
				if len(h.ContestedWith) > 0 {
					contested++
				}
			}
			// The village overlaps the liberated area (both contested); the
			// small SAA area lies inside the liberated area, of the same
			// actor and apart from the village: not contested.
			if len(m.Areas) != 3 || contested != 2 {
				t.Fatalf("map: %d areas, %d contested, want 3 and 2", len(m.Areas), contested)
			}
			if one, err := svc.MapIn(w.asUS, w.clock.Now(), nil, 1); err != nil || len(one.Areas) != 1 || !one.Truncated || len(one.Actors) != len(m.Actors) {
				t.Fatalf("map limited to one area: %+v %v", one, err)
			}
			far := orb.Bound{Min: orb.Point{40, 35}, Max: orb.Point{41, 36}}
			if none, err := svc.MapIn(w.asUS, w.clock.Now(), &far, 0); err != nil || len(none.Areas) != 0 || none.Truncated || len(none.Actors) != len(m.Actors) {
				t.Fatalf("map of a box elsewhere: %+v %v", none, err)
			}
			if m.Actors[0].ActorID != saa.ID || m.Actors[0].Areas != 2 {
				t.Fatalf("largest holder %+v, want saa with 2 areas", m.Actors[0])
			}
			ch, err := svc.Changes(w.asUS, t0.Add(time.Hour), w.clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			var isisDelta float64
			for _, d := range ch.Actors {
				if d.ActorID == isis.ID {
					isisDelta = d.DeltaKM2
				}
			}
			if math.Abs(isisDelta+isisHeld.Area.AreaKM2) > 1e-9 || len(ch.Movements) != 4 {
				t.Fatalf("changes: isis Δ %.2f, want -%.2f; %d movements, want 4", isisDelta, isisHeld.Area.AreaKM2, len(ch.Movements))
			}
			_, err = svc.Changes(w.asUS, w.clock.Now(), t0)
			code("changes backwards", err, truce.EINVALID)

			// Responses: not by another party; Russia's signed answer.
			_, err = svc.Respond(w.asUS, b.ID, "We looked.", "")
			code("response by a party that is not the guarantor", err, truce.EFORBIDDEN)
			forged, _ := note.Sign(&note.Note{Text: "something else\n"}, mustSigner(t, "ru"))
			_, err = svc.Respond(w.asRU, b.ID, "Withdrawn.", string(forged))
			code("signature not verifying", err, truce.EUNPROCESSABLE)
			w.clock.Add(6 * time.Hour)
			ans, err := svc.Respond(w.asRU, b.ID, "The faction was told to withdraw; Russian military police deployed to the village.", "")
			if err != nil {
				t.Fatal(err)
			}
			if ans.Status != control.BreachAnswered || ans.Response.Late || control.VerifyResponse(control.ResponseStatement(b, ans.Response.Action), ans.Response.Signature, w.ru.PublicKey) != nil {
				t.Fatalf("answer = %+v", ans.Response)
			}
			_, err = svc.Respond(w.asRU, b.ID, "again", "")
			code("answering twice", err, truce.ECONFLICT)

			// A second breach goes unanswered: escalated once overdue.
			rec3, err := svc.AddControl(w.asMonitor, control.ControlInput{Actor: "faction", Geometry: geom(35.91, 32.71, 35.92, 32.72), From: w.clock.Now(), Source: "monitor report 4", Confidence: control.ConfidenceLow})
			if err != nil || len(rec3.Breaches) != 1 {
				t.Fatalf("second breach: %v %v", rec3, err)
			}
			if esc, err := svc.Escalate(context.Background()); err != nil || len(esc) != 0 {
				t.Fatalf("escalated before the deadline: %v %v", esc, err)
			}
			w.clock.Add(24*time.Hour + time.Second)
			esc, err := svc.Escalate(context.Background())
			if err != nil || len(esc) != 1 || esc[0].ID != rec3.Breaches[0].ID || esc[0].Status != control.BreachEscalated {
				t.Fatalf("escalation: %v %v", esc, err)
			}
			if n := w.eventKinds()[control.EventOverdue]; n != 1 {
				t.Fatalf("%d overdue alerts, want 1", n)
			}
			if esc, _ := svc.Escalate(context.Background()); len(esc) != 0 {
				t.Fatalf("escalated twice: %v", esc)
			}
			late, err := svc.Respond(w.asRU, rec3.Breaches[0].ID, "Investigating.", "")
			if err != nil || !late.Response.Late {
				t.Fatalf("late answer: %+v %v", late, err)
			}
			r, err := svc.GuarantorRecord(w.asUS, "ru")
			if err != nil || len(r.Breaches) != 2 || r.Answered != 2 || r.Late != 1 || r.MeanResponseHr <= 6 {
				t.Fatalf("record: %+v %v", r, err)
			}

			// A guarantee given over ground a non-allowed actor already
			// holds is breached from its start: the faction's two areas.
			in2 := in
			in2.Guarantors = []string{"us"}
			if _, err := svc.AddGuarantee(w.asUS, in2); err != nil {
				t.Fatal(err)
			}
			usRec, err := svc.GuarantorRecord(w.asUS, "us")
			if err != nil || len(usRec.Breaches) != 2 || usRec.Unanswered != 2 {
				t.Fatalf("breaches of a guarantee given over held ground: %+v %v", usRec, err)
			}
			for _, b := range usRec.Breaches {
				if b.ActorID != faction.ID {
					t.Fatalf("breach by %s, want the faction", b.ActorID)
				}
			}
		})
	}
}

// mustSigner returns a signer that is not any party's.
func mustSigner(t *testing.T, name string) note.Signer {
	skey, _, err := note.GenerateKey(nil, name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestService_ImportControl imports control areas from a GeoJSON
// FeatureCollection: a bad feature refuses the whole import and changes
// nothing; a good one records every feature, properties over defaults.
func TestService_ImportControl(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, open(t))
			for _, slug := range []string{"saa", "isis"} {
				if _, err := w.svc.AddActor(w.asMonitor, control.ActorInput{Slug: slug, Names: map[string]string{"en": slug}, Type: control.StateForces}); err != nil {
					t.Fatal(err)
				}
			}
			fc := func(secondFrom string) json.RawMessage {
				return json.RawMessage(`{"type":"FeatureCollection","features":[
 {"type":"Feature","properties":{"name":"a"},"geometry":` + string(geom(35.9, 32.7, 35.95, 32.75)) + `},
 {"type":"Feature","properties":{"name":"b","actor":"isis","from":"` + secondFrom + `","to":"2026-01-01T00:00:00Z"},"geometry":` + string(geom(36.0, 32.7, 36.05, 32.75)) + `}]}`)
			}
			defaults := control.ControlInput{Actor: "saa", From: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), Source: "analyst drawing", Confidence: control.ConfidenceMedium}
			// The second feature's control ends before it starts.
			_, err := w.svc.ImportControl(w.asMonitor, control.ControlImport{Features: fc("2026-02-01T00:00:00Z"), Defaults: defaults})
			if truce.ErrorCode(err) != truce.EINVALID || !strings.Contains(truce.ErrorMessage(err), "Feature 2") {
				t.Fatalf("bad feature: %v", err)
			}
			if m, _ := w.svc.Map(w.asUS, time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)); len(m.Areas) != 0 {
				t.Fatalf("a refused import recorded %d areas", len(m.Areas))
			}
			recs, err := w.svc.ImportControl(w.asMonitor, control.ControlImport{Features: fc("2025-05-01T00:00:00Z"), Defaults: defaults})
			if err != nil || len(recs) != 2 {
				t.Fatalf("import: %v %v", recs, err)
			}
			if recs[0].Area.Name != "a" || recs[1].Area.Name != "b" || recs[1].Area.ActorID == recs[0].Area.ActorID || recs[1].Area.To == nil {
				t.Fatalf("imported %+v, %+v", recs[0].Area, recs[1].Area)
			}
			m, _ := w.svc.Map(w.asUS, time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC))
			if len(m.Areas) != 2 || len(m.Actors) != 2 {
				t.Fatalf("map after import: %d areas, %d actors", len(m.Areas), len(m.Actors))
			}
			isisID := recs[1].Area.ActorID
			_, err = w.svc.ImportControl(w.asMonitor, control.ControlImport{Features: fc("2025-05-01T00:00:00Z"), KML: "<kml/>", Defaults: defaults})
			if truce.ErrorCode(err) != truce.EINVALID {
				t.Fatalf("both GeoJSON and KML: %v", err)
			}
			kml := `<kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><name>c</name><ExtendedData><Data name="actor"><value>isis</value></Data></ExtendedData>
<Polygon><outerBoundaryIs><LinearRing><coordinates>36.1,32.7 36.15,32.7 36.15,32.75 36.1,32.75 36.1,32.7</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark></kml>`
			recs, err = w.svc.ImportControl(w.asMonitor, control.ControlImport{KML: kml, Defaults: defaults})
			if err != nil || len(recs) != 1 || recs[0].Area.Name != "c" || recs[0].Area.ActorID != isisID {
				t.Fatalf("KML import: %v %v", recs, err)
			}
		})
	}
}

// TestService_TamperedBreach checks that the reads are vouched for by the
// journal: a breach row changed behind the service's back (marked
// answered) is refused, not served.
func TestService_TamperedBreach(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			w := newWorld(t, st)
			for _, a := range []control.ActorInput{{Slug: "saa", Names: map[string]string{"en": "saa"}, Type: control.StateForces}, {Slug: "faction", Names: map[string]string{"en": "f"}, Type: control.RebelGroup}} {
				if _, err := w.svc.AddActor(w.asMonitor, a); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := w.svc.AddGuarantee(w.asRU, control.GuaranteeInput{AgreementID: w.agreement.ID, ZoneID: w.zone.ID, Guarantors: []string{"ru"}, Allowed: []string{"saa"}, From: w.clock.Now()}); err != nil {
				t.Fatal(err)
			}
			rec, err := w.svc.AddControl(w.asMonitor, control.ControlInput{Actor: "faction", Geometry: geom(35.93, 32.73, 35.95, 32.75), From: w.clock.Now(), Source: "s", Confidence: control.ConfidenceLow})
			if err != nil || len(rec.Breaches) != 1 {
				t.Fatalf("breach: %v %v", rec, err)
			}
			if _, err := w.svc.Breach(w.asUS, rec.Breaches[0].ID); err != nil {
				t.Fatalf("untouched breach: %v", err)
			}
			db := st.(interface{ DB() *sql.DB }).DB()
			if _, err := db.Exec(`UPDATE control_breaches SET body = REPLACE(body, '"status":"open"', '"status":"answered"')`); err != nil {
				t.Fatal(err)
			}
			if _, err := w.svc.Breach(w.asUS, rec.Breaches[0].ID); truce.ErrorCode(err) != truce.EINTEGRITY {
				t.Fatalf("tampered breach: %v, want integrity", err)
			}
			if _, err := w.svc.Breaches(w.asUS, false); truce.ErrorCode(err) != truce.EINTEGRITY {
				t.Fatalf("tampered breach listed: %v, want integrity", err)
			}
		})
	}
}
