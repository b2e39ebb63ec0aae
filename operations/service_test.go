package operations_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/humanitarian"
	"github.com/truce-project/truce/internal/teststores"
	"github.com/truce-project/truce/journal"
	"github.com/truce-project/truce/operations"
	"github.com/truce-project/truce/zones"
	"golang.org/x/mod/sumdb/note"
)

// store is the SQL store with every capability's view: the tests'
// shared fixture (teststores), opened fresh on each database by stores.
type store = teststores.TestStore

var stores = teststores.StoreOpeners

// box is a GeoJSON polygon of the box (x0, y0)-(x1, y1).
func box(x0, y0, x1, y1 float64) json.RawMessage {
	b, _ := json.Marshal(map[string]any{"type": "Polygon", "coordinates": [][][2]float64{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}})
	return b
}

// world is one deployment for the test: the United States and Russia,
// signatories of an agreement in force that prohibits flying in its
// no-fly zone; Jordan, a signatory too; an NGO; a hospital notified at
// 36.05, 32.65; a no-fly zone in force over 36.5-36.6, 32.5-32.6.
type world struct {
	svc                     *operations.Service
	now                     time.Time
	us, ru, jo, ngo         *truce.Party
	asUS, asRU, asJO, asNGO context.Context
	asUSViewer              context.Context
	agreement               *truce.Agreement
	hospital                *humanitarian.Site
	zone                    *truce.Zone
	mu                      sync.Mutex
	events                  []truce.Event
	st                      store
}

func (w *world) eventsOf(kind string) []truce.Event {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []truce.Event
	for _, e := range w.events {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// notify stores a humanitarian record (kind: a site or a movement) as the
// humanitarian service writes it: journalled at the time given, naming its
// own entry (setIndex), put by put in the same transaction.
func (w *world) notify(t *testing.T, kind, id string, body any, at time.Time, setIndex func(int64), put func(humanitarian.Tx) error) {
	t.Helper()
	if err := w.st.Humanitarian().Update(context.Background(), func(tx humanitarian.Tx) error {
		setIndex(tx.(interface{ NextIndex() int64 }).NextIndex())
		c, err := truce.Change{Kind: kind, Subject: id, Body: body, Visibility: truce.Visibility{Scope: truce.ScopeAll}}.Seal("p", "u", at)
		if err != nil {
			return err
		}
		if _, err := tx.Append(context.Background(), c); err != nil {
			return err
		}
		return put(tx)
	}); err != nil {
		t.Fatal(err)
	}
}

// putSite notifies a site at the time given (notify).
func (w *world) putSite(t *testing.T, site *humanitarian.Site, at time.Time) {
	t.Helper()
	w.notify(t, "site", site.ID, site, at, func(i int64) { site.JournalIndex = i }, func(tx humanitarian.Tx) error {
		return tx.PutSite(context.Background(), site)
	})
}

// restarted is a new operations service over the world's store, as a new
// server opens it (without hazard sources); the caller loads it.
func (w *world) restarted() *operations.Service {
	j := journal.New(w.st)
	j.Now = func() time.Time { return w.now }
	return operations.New(w.st.Operations(), j, nil, nil, nil)
}

func newWorld(t *testing.T, st store) *world {
	ctx := context.Background()
	w := &world{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), st: st}
	j := journal.New(st)
	j.Now = func() time.Time { return w.now }
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
	w.us, w.asUS = party("us", truce.PartyGuarantor)
	w.ru, w.asRU = party("ru", truce.PartyGuarantor)
	w.jo, w.asJO = party("jo", truce.PartyGuarantor)
	w.ngo, w.asNGO = party("ngo", truce.PartyHumanitarian)
	w.asUSViewer = truce.NewContext(ctx, &truce.Caller{User: &truce.User{ID: "us-viewer", PartyID: w.us.ID, Roles: []truce.Role{truce.RoleViewer}}, Party: w.us})
	since := w.now.Add(-24 * time.Hour)
	w.agreement = &truce.Agreement{ID: "ag-1", Title: "Memo", Signatories: []string{w.us.ID, w.ru.ID, w.jo.ID}, EffectiveFrom: since, Status: truce.AgreementInForce,
		Rules: truce.AgreementRules{Prohibited: []truce.Prohibition{{Activity: "overflight", ZoneKinds: []truce.ZoneKind{truce.ZoneNoFly}}}}, Version: 1}
	w.zone = &truce.Zone{ID: "z-1", AgreementID: w.agreement.ID, Name: "Yarmouk no-fly", Kind: truce.ZoneNoFly, State: truce.ZoneStateInForce, Current: 1, Latest: 1, Version: 1}
	seal := func(kind, subject string, body any) *truce.SealedChange {
		c, err := truce.Change{Kind: kind, Subject: subject, Body: body, Visibility: truce.Visibility{Scope: truce.ScopeAll}}.Seal("p", "u", since)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	err := st.ZoneStore().Update(ctx, func(tx zones.Tx) error {
		if _, err := tx.Append(ctx, seal("agreement", w.agreement.ID, w.agreement)); err != nil {
			return err
		}
		if err := tx.PutAgreement(ctx, w.agreement); err != nil {
			return err
		}
		if err := tx.PutZone(ctx, w.zone); err != nil {
			return err
		}
		return tx.PutZoneVersion(ctx, &truce.ZoneVersion{ZoneID: w.zone.ID, AgreementID: w.agreement.ID, Version: 1, Action: truce.ZoneProposed, Status: truce.VersionApproved,
			Spec: truce.ZoneSpec{Name: w.zone.Name, Kind: w.zone.Kind, Geometry: box(36.5, 32.5, 36.6, 32.6)}, InForceFrom: &since, BBox: truce.BBox{36.5, 32.5, 36.6, 32.6}})
	})
	if err != nil {
		t.Fatal(err)
	}
	w.hospital = &humanitarian.Site{ID: "site-1", AgreementID: w.agreement.ID, PartyID: w.ngo.ID, SiteFields: humanitarian.SiteFields{Name: "Dar'a National Hospital",
		Category: humanitarian.Hospital, Organisation: "WHO", Geometry: json.RawMessage(`{"type":"Point","coordinates":[36.05,32.65]}`), BufferM: 500, ValidFrom: since},
		Status: humanitarian.SiteActive, BBox: truce.BBox{36.04, 32.64, 36.06, 32.66}, Version: 1}
	w.putSite(t, w.hospital, since)
	zx := zones.NewIndex(st.ZoneStore())
	if err := zx.Load(ctx, w.now); err != nil {
		t.Fatal(err)
	}
	w.svc = operations.New(st.Operations(), j, st.Humanitarian(), zx, acc)
	return w
}

func (w *world) plan(name string, kind operations.Kind, area json.RawMessage, floor, ceil float64, from time.Duration, hours int) operations.FileInput {
	s := w.now.Add(from)
	return operations.FileInput{Plan: operations.Plan{AgreementID: w.agreement.ID, Name: name, Kind: kind,
		Volumes: []operations.VolumeInput{{Geometry: area, FloorM: floor, CeilingM: ceil, Start: s, End: s.Add(time.Duration(hours) * time.Hour)}}}}
}

func code(t *testing.T, what string, err error, want string) {
	t.Helper()
	if truce.ErrorCode(err) != want {
		t.Fatalf("%s: %v, want %s", what, err, want)
	}
}

// TestService_Deconfliction walks the story on both stores: a US
// air patrol filed; a Russian patrol in the same sky an hour later warns
// both; a Russian strike over the notified hospital is refused, then
// moved in time and still refused (a site has no window), then filed with
// an override that every party sees; a patrol through the no-fly zone is
// refused by the agreement's rule; a Jordanian ground patrol under the US
// patrol's band does not conflict; each side sees its own plan and only
// the overlap of the other's.
func TestService_Deconfliction(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, open(t))
			svc := w.svc

			usPatrol, err := svc.File(w.asUS, w.plan("US patrol", operations.AirPatrol, box(36.2, 32.7, 36.4, 32.9), 3000, 6000, time.Hour, 4))
			if err != nil {
				t.Fatal(err)
			}
			if usPatrol.Operation.Status != operations.Filed || len(usPatrol.Conflicts) != 0 || usPatrol.Operation.Digest == "" {
				t.Fatalf("US patrol: %+v", usPatrol)
			}
			// 6,200 m: above the US band, but within the agreement's
			// 1,000 ft of separation.
			ruPatrol, err := svc.File(w.asRU, w.plan("RU patrol", operations.AirPatrol, box(36.3, 32.8, 36.5, 33.0), 6200, 8000, 2*time.Hour, 4))
			if err != nil {
				t.Fatal(err)
			}
			if len(ruPatrol.Conflicts) != 1 {
				t.Fatalf("RU patrol conflicts: %+v", ruPatrol.Conflicts)
			}
			c := ruPatrol.Conflicts[0]
			if c.Against != operations.AgainstOperation || c.OtherID != usPatrol.Operation.ID || c.OtherParty != w.us.ID || c.Blocking ||
				c.Overlap.BBox != (truce.BBox{36.3, 32.8, 36.4, 32.9}) || !c.Overlap.Start.Equal(w.now.Add(2*time.Hour)) || !c.Overlap.End.Equal(w.now.Add(5*time.Hour)) ||
				c.JournalIndex == 0 || c.OtherName != "" {
				t.Fatalf("RU patrol's conflict: %+v", c)
			}
			// Both sides see the conflict; Jordan sees neither it nor the plans.
			for who, ctx := range map[string]context.Context{"us": w.asUS, "ru": w.asRU} {
				cs, err := svc.Conflicts(ctx, "")
				if err != nil || len(cs) != 1 || cs[0].ID != c.ID {
					t.Fatalf("%s's conflicts: %+v %v", who, cs, err)
				}
			}
			if cs, err := svc.Conflicts(w.asJO, ""); err != nil || len(cs) != 0 {
				t.Fatalf("Jordan's conflicts: %+v %v", cs, err)
			}
			_, err = svc.Operation(w.asRU, usPatrol.Operation.ID)
			code(t, "Russia reading the US plan", err, truce.ENOTFOUND)
			_, err = svc.Operation(w.asJO, ruPatrol.Operation.ID)
			code(t, "Jordan reading the Russian plan", err, truce.ENOTFOUND)
			if got, err := svc.Operation(w.asRU, ruPatrol.Operation.ID); err != nil || got.Name != "RU patrol" {
				t.Fatalf("Russia reading its plan: %+v %v", got, err)
			}
			if n := len(w.eventsOf(operations.EventConflict)); n != 1 {
				t.Fatalf("%d conflict alerts, want 1", n)
			}

			// A strike over the hospital is refused, whenever it is.
			strike := w.plan("RU strike", operations.AirStrike, box(36.0, 32.6, 36.1, 32.7), 0, 9000, 30*time.Hour, 1)
			_, err = svc.File(w.asRU, strike)
			code(t, "strike over the hospital", err, truce.EUNPROCESSABLE)
			if !strings.Contains(truce.ErrorMessage(err), "Dar'a National Hospital") {
				t.Fatalf("refusal does not name the site: %v", err)
			}
			strike.Override = "Confirmed hostile battery in the hospital grounds; hospital informed."
			struck, err := svc.File(w.asRU, strike)
			if err != nil {
				t.Fatal(err)
			}
			if len(struck.Conflicts) != 1 || !struck.Conflicts[0].Overridden || struck.Conflicts[0].Against != operations.AgainstSite || struck.Operation.Override == nil {
				t.Fatalf("overridden strike: %+v", struck)
			}
			if cs, err := svc.Conflicts(w.asJO, ""); err != nil || len(cs) != 1 || cs[0].OtherName != "Dar'a National Hospital" {
				t.Fatalf("an overridden conflict is every party's: %+v %v", cs, err)
			}

			// The no-fly zone: an air patrol through it is refused by the rule;
			// a ground patrol is not an overflight.
			_, err = svc.File(w.asUS, w.plan("through the zone", operations.AirPatrol, box(36.55, 32.55, 36.7, 32.7), 1000, 2000, time.Hour, 1))
			code(t, "patrol in the no-fly zone", err, truce.EUNPROCESSABLE)
			if !strings.Contains(truce.ErrorMessage(err), "Yarmouk no-fly") {
				t.Fatalf("refusal does not name the zone: %v", err)
			}
			if _, err := svc.File(w.asUS, w.plan("ground", operations.GroundPatrol, box(36.55, 32.55, 36.7, 32.7), 0, 10, time.Hour, 1)); err != nil {
				t.Fatal(err)
			}
			// Jordan's ground patrol under the US patrol: the bands are apart.
			jo, err := svc.File(w.asJO, w.plan("JO ground", operations.GroundPatrol, box(36.25, 32.75, 36.3, 32.8), 0, 10, time.Hour, 2))
			if err != nil || len(jo.Conflicts) != 0 {
				t.Fatalf("JO ground patrol: %+v %v", jo, err)
			}

			// Bad input changes nothing.
			bad := w.plan("bad", operations.AirPatrol, box(36, 32, 36.1, 32.1), 5000, 1000, time.Hour, 1)
			_, err = svc.File(w.asUS, bad)
			code(t, "floor above ceiling", err, truce.EINVALID)
			_, err = svc.File(w.asUSViewer, w.plan("viewer", operations.AirPatrol, box(36, 32, 36.1, 32.1), 0, 1000, time.Hour, 1))
			code(t, "a viewer filing", err, truce.EFORBIDDEN)
			_, err = svc.File(w.asNGO, w.plan("ngo", operations.Escort, box(36, 32, 36.1, 32.1), 0, 10, time.Hour, 1))
			code(t, "a non-signatory filing", err, truce.EFORBIDDEN)
			all, err := svc.Operations(w.asUS, operations.Filter{})
			if err != nil || len(all) != 2 {
				t.Fatalf("the US sees %d operations, want its 2: %v", len(all), err)
			}

			// Cancelled: out of deconfliction.
			if _, err := svc.Move(w.asRU, usPatrol.Operation.ID, operations.Cancelled); truce.ErrorCode(err) != truce.ENOTFOUND {
				t.Fatalf("Russia cancelling the US patrol: %v", err)
			}
			if _, err := svc.Move(w.asUS, usPatrol.Operation.ID, operations.Active); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Move(w.asUS, usPatrol.Operation.ID, operations.Cancelled); err != nil {
				t.Fatal(err)
			}
			again, err := svc.Check(w.asRU, w.plan("RU patrol 2", operations.AirPatrol, box(36.3, 32.8, 36.5, 33.0), 6200, 8000, 2*time.Hour, 4).Plan)
			if err != nil || len(again) != 0 {
				t.Fatalf("check against a cancelled patrol: %+v %v", again, err)
			}
		})
	}
}

// TestService_JointApproval files a joint US-Russian operation: a draft
// until both approve the same version, each with a signed statement (the
// US with a key it holds itself), filed and deconflicted on the last
// approval; a non-participant, a second approval, an old version and a
// signature of another statement are refused. An amendment starts the
// approvals again, and a new server loads the filed operation from the
// store, vouched by the journal.
func TestService_JointApproval(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, open(t))
			svc := w.svc
			in := w.plan("Joint strike on ISIS-held area", operations.AirStrike, box(36.8, 32.9, 36.9, 33.0), 0, 9000, 48*time.Hour, 3)
			in.Participants = []string{"ru"}
			in.NotifyTo = []string{"jo"}
			draft, err := svc.File(w.asUS, in)
			if err != nil {
				t.Fatal(err)
			}
			o := draft.Operation
			if o.Status != operations.Draft || len(o.Participants) != 2 || o.Participants[0] != w.us.ID || o.NotifyTo[0] != w.jo.ID {
				t.Fatalf("draft: %+v", o)
			}
			if got, err := svc.Operation(w.asJO, o.ID); err != nil || got.ID != o.ID {
				t.Fatalf("Jordan, notified, reading the plan: %v", err)
			}
			_, err = svc.Approve(w.asJO, o.ID, operations.ApproveInput{Version: 1})
			code(t, "a notified non-participant approving", err, truce.EFORBIDDEN)
			_, err = svc.Approve(w.asRU, o.ID, operations.ApproveInput{Version: 2})
			code(t, "approving a version that is not there", err, truce.EPRECONDITION)

			// The US holds its own key: its approval is the signed note of
			// the statement, checked against its registered key.
			skey, vkey, err := note.GenerateKey(nil, "us")
			if err != nil {
				t.Fatal(err)
			}
			signer, _ := note.NewSigner(skey)
			w.us.PublicKey, w.us.Custodial = vkey, false
			sign := func(text string) string {
				msg, err := note.Sign(&note.Note{Text: text}, signer)
				if err != nil {
					t.Fatal(err)
				}
				return string(msg)
			}
			_, err = svc.Approve(w.asUS, o.ID, operations.ApproveInput{Version: 1})
			code(t, "a self-keyed party without a signature", err, truce.EINVALID)
			other := *o
			other.Digest = strings.Repeat("0", 64)
			_, err = svc.Approve(w.asUS, o.ID, operations.ApproveInput{Version: 1, Signature: sign(operations.ApprovalStatement(&other))})
			code(t, "a signature of another plan", err, truce.EUNPROCESSABLE)
			r, err := svc.Approve(w.asUS, o.ID, operations.ApproveInput{Version: 1, Signature: sign(operations.ApprovalStatement(o))})
			if err != nil || r.Operation.Status != operations.Draft || len(r.Operation.Approvals) != 1 {
				t.Fatalf("US approval: %+v %v", r, err)
			}
			_, err = svc.Approve(w.asUS, o.ID, operations.ApproveInput{Version: 1, Signature: sign(operations.ApprovalStatement(o))})
			code(t, "approving twice", err, truce.ECONFLICT)
			r, err = svc.Approve(w.asRU, o.ID, operations.ApproveInput{Version: 1})
			if err != nil || r.Operation.Status != operations.Filed || r.Operation.FiledAt == nil || len(r.Operation.Approvals) != 2 {
				t.Fatalf("Russian approval: %+v %v", r, err)
			}
			ru := r.Operation.Approvals[1]
			if truce.VerifySignedNote(ru.Signature, operations.ApprovalStatement(o), w.ru.PublicKey) != nil {
				t.Fatal("the custodial approval does not verify with Russia's key")
			}
			if n := len(w.eventsOf(operations.EventFiled)); n != 1 {
				t.Fatalf("%d filed events, want 1", n)
			}

			// Amended: version 2, a draft again.
			amend := in
			amend.Volumes = append([]operations.VolumeInput(nil), in.Volumes...)
			amend.Volumes[0].End = amend.Volumes[0].End.Add(time.Hour)
			_, err = svc.Amend(w.asRU, o.ID, 1, amend)
			code(t, "amendment by a participant that did not file", err, truce.EFORBIDDEN)
			_, err = svc.Amend(w.asUS, o.ID, 7, amend)
			code(t, "amendment of another version", err, truce.EPRECONDITION)
			am, err := svc.Amend(w.asUS, o.ID, 1, amend)
			if err != nil || am.Operation.Version != 2 || am.Operation.Status != operations.Draft || len(am.Operation.Approvals) != 0 || am.Operation.Digest == o.Digest {
				t.Fatalf("amendment: %+v %v", am, err)
			}
			for _, ctx := range []context.Context{w.asRU, w.asJO} {
				_, err := svc.Approve(ctx, o.ID, operations.ApproveInput{Version: 1})
				if truce.ErrorCode(err) != truce.EPRECONDITION && truce.ErrorCode(err) != truce.EFORBIDDEN {
					t.Fatalf("approving the old version: %v", err)
				}
			}
			if _, err := svc.Approve(w.asRU, o.ID, operations.ApproveInput{Version: 2}); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Approve(w.asUS, o.ID, operations.ApproveInput{Version: 2, Signature: sign(operations.ApprovalStatement(am.Operation))}); err != nil {
				t.Fatal(err)
			}

			// A new server loads the filed operation and deconflicts with it.
			fresh := w.restarted()
			if err := fresh.Load(context.Background()); err != nil {
				t.Fatal(err)
			}
			cs, err := fresh.Check(w.asJO, w.plan("JO patrol", operations.AirPatrol, box(36.85, 32.95, 37, 33.1), 0, 1000, 49*time.Hour, 1).Plan)
			if err != nil || len(cs) != 1 || !cs[0].Blocking || cs[0].OtherID != o.ID {
				t.Fatalf("fresh server's check: %+v %v", cs, err)
			}
			if _, err := fresh.Operation(w.asRU, o.ID); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestService_TamperedOperation checks that operations are vouched for by
// the journal: a row changed behind the service's back (its band moved
// out of another's way) is refused when read, listed or loaded, not used.
func TestService_TamperedOperation(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, open(t))
			r, err := w.svc.File(w.asUS, w.plan("US patrol", operations.AirPatrol, box(36.2, 32.7, 36.4, 32.9), 3000, 6000, time.Hour, 4))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.svc.Operation(w.asUS, r.Operation.ID); err != nil {
				t.Fatalf("untouched operation: %v", err)
			}
			db := w.st.(interface{ DB() *sql.DB }).DB()
			if _, err := db.Exec(`UPDATE operations SET body = REPLACE(body, '"ceiling_m":6000', '"ceiling_m":3500')`); err != nil {
				t.Fatal(err)
			}
			if _, err := w.svc.Operation(w.asUS, r.Operation.ID); truce.ErrorCode(err) != truce.EINTEGRITY {
				t.Fatalf("tampered operation: %v, want integrity", err)
			}
			if _, err := w.svc.Operations(w.asUS, operations.Filter{}); truce.ErrorCode(err) != truce.EINTEGRITY {
				t.Fatalf("tampered operation listed: %v, want integrity", err)
			}
			fresh := w.restarted()
			if err := fresh.Load(context.Background()); truce.ErrorCode(err) != truce.EINTEGRITY {
				t.Fatalf("loading a tampered operation: %v, want integrity", err)
			}
		})
	}
}

// TestService_ConcurrentFilings files overlapping patrols of two parties
// at once: whichever is written second must have found the first, though
// neither holds the service's lock while it writes.
func TestService_ConcurrentFilings(t *testing.T) {
	st := stores["SQLite"](t)
	w := newWorld(t, st)
	const pairs = 8
	type res struct {
		r   *operations.Result
		err error
	}
	out := make([][2]res, pairs)
	var wg sync.WaitGroup
	for i := range pairs {
		x := 35.0 + float64(i)*0.5
		for k, ctx := range []context.Context{w.asUS, w.asRU} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := w.svc.File(ctx, w.plan("patrol", operations.AirPatrol, box(x, 34, x+0.1, 34.1), 1000, 2000, time.Hour, 2))
				out[i][k] = res{r, err}
			}()
		}
	}
	wg.Wait()
	for i, p := range out {
		if p[0].err != nil || p[1].err != nil {
			t.Fatalf("pair %d: %v %v", i, p[0].err, p[1].err)
		}
		found := 0
		for k, r := range p {
			for _, c := range r.r.Conflicts {
				if c.OtherID == p[1-k].r.Operation.ID {
					found++
				}
			}
		}
		if found == 0 {
			t.Fatalf("pair %d: neither filing found the other", i)
		}
	}
}

// TestService_HorizontalSeparation: air operations of two parties in the
// same band and window are in conflict when their areas come within the
// agreement's horizontal separation (5 NM by default) though they do not
// meet; farther apart, or a ground patrol as near, they are not. The
// overlap reported is where the new area widened by the separation meets
// the other's box.
func TestService_HorizontalSeparation(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, open(t))
			us, err := w.svc.File(w.asUS, w.plan("US patrol", operations.AirPatrol, box(36.2, 33.0, 36.3, 33.1), 3000, 6000, time.Hour, 4))
			if err != nil {
				t.Fatal(err)
			}
			// 0.06° of longitude east at 33° N is 5.6 km: within 5 NM (9.26 km).
			near, err := w.svc.File(w.asRU, w.plan("RU near", operations.AirPatrol, box(36.36, 33.0, 36.46, 33.1), 3000, 6000, time.Hour, 4))
			if err != nil {
				t.Fatal(err)
			}
			if len(near.Conflicts) != 1 || near.Conflicts[0].OtherID != us.Operation.ID {
				t.Fatalf("RU patrol 5.6 km away: %+v", near.Conflicts)
			}
			if b := near.Conflicts[0].Overlap.BBox; !(b[0] >= 36.2 && b[2] <= 36.3 && b[2] > b[0] && b[0] < 36.3 && b[0] > 36.25) {
				t.Fatalf("overlap box %v: want the east part of the US patrol's box within 9.26 km of 36.36", b)
			}
			// A circle 6 km south of the US box's edge: within the separation too.
			circle := w.plan("RU orbit", operations.Reconnaissance, json.RawMessage(`{"type":"Point","coordinates":[36.25,32.98]}`), 4000, 5000, 2*time.Hour, 1)
			circle.Volumes[0].BufferM = 1000
			if r, err := w.svc.File(w.asRU, circle); err != nil || len(r.Conflicts) != 1 || r.Conflicts[0].OtherID != us.Operation.ID {
				t.Fatalf("RU orbit 1 km around a point 2.2 km south of the US box: %+v %v", r, err)
			}
			// 0.16° east is 15 km: apart.
			far, err := w.svc.File(w.asJO, w.plan("JO far", operations.AirPatrol, box(36.46, 33.2, 36.56, 33.3), 3000, 6000, time.Hour, 4))
			if err != nil || len(far.Conflicts) != 0 {
				t.Fatalf("JO patrol 15 km away: %+v %v", far, err)
			}
			// Separation is between aircraft: a ground patrol as near is apart.
			ground, err := w.svc.File(w.asJO, w.plan("JO ground", operations.GroundPatrol, box(36.36, 33.0, 36.46, 33.1), 0, 10, time.Hour, 4))
			if err != nil || len(ground.Conflicts) != 0 {
				t.Fatalf("JO ground patrol: %+v %v", ground, err)
			}
		})
	}
}

// TestService_PolygonSiteBuffer: a site notified as a polygon with a
// buffer is checked with its buffer, as a point site is: a strike 300 m
// outside a camp's polygon with a 500 m buffer is refused; 2 km away it
// is not.
func TestService_PolygonSiteBuffer(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, open(t))
			camp := &humanitarian.Site{ID: "site-camp", AgreementID: w.agreement.ID, PartyID: w.ngo.ID, SiteFields: humanitarian.SiteFields{Name: "Rukban camp",
				Category: humanitarian.Hospital, Organisation: "UNHCR", Geometry: box(36.8, 33.3, 36.82, 33.32), BufferM: 500, ValidFrom: w.now.Add(-time.Hour)},
				Status: humanitarian.SiteActive, BBox: truce.BBox{36.794, 33.295, 36.826, 33.325}, Version: 1} // the box widened by the buffer, as humanitarian stores it
			w.putSite(t, camp, w.now)
			// 0.0032° east of 36.82 at 33.3° N is 300 m.
			_, err := w.svc.File(w.asRU, w.plan("near", operations.AirStrike, box(36.8232, 33.3, 36.83, 33.32), 0, 9000, time.Hour, 1))
			code(t, "strike 300 m from the camp", err, truce.EUNPROCESSABLE)
			if !strings.Contains(truce.ErrorMessage(err), "Rukban camp") {
				t.Fatalf("refusal does not name the camp: %v", err)
			}
			if r, err := w.svc.File(w.asRU, w.plan("far", operations.AirStrike, box(36.8415, 33.3, 36.85, 33.32), 0, 9000, time.Hour, 1)); err != nil || len(r.Conflicts) != 0 {
				t.Fatalf("strike 2 km from the camp: %+v %v", r, err)
			}
		})
	}
}

// TestService_SiteNotifiedLater: a hospital notified inside a filed
// operation after it was filed raises a conflict alert to both sides (the
// operation's party and the site's), recorded and journalled once however
// often the site's change is handled; a site elsewhere raises none; a
// convoy notified through it in its window raises another.
func TestService_SiteNotifiedLater(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, open(t))
			op, err := w.svc.File(w.asUS, w.plan("US patrol", operations.GroundPatrol, box(36.9, 33.5, 37.0, 33.6), 0, 10, time.Hour, 4))
			if err != nil || len(op.Conflicts) != 0 {
				t.Fatalf("filing: %+v %v", op, err)
			}
			notify := func(id string, x, y float64) truce.Event {
				site := &humanitarian.Site{ID: id, AgreementID: w.agreement.ID, PartyID: w.ngo.ID, SiteFields: humanitarian.SiteFields{Name: "Field hospital " + id,
					Category: humanitarian.Hospital, Organisation: "MSF", Geometry: json.RawMessage(fmt.Sprintf(`{"type":"Point","coordinates":[%g,%g]}`, x, y)), BufferM: 200, ValidFrom: w.now},
					Status: humanitarian.SiteActive, BBox: truce.BBox{x - 0.01, y - 0.01, x + 0.01, y + 0.01}, Version: 1}
				w.putSite(t, site, w.now)
				return truce.Event{Kind: "site", Subject: id, BBox: &site.BBox}
			}
			inside := notify("site-later", 36.95, 33.55)
			for range 2 { // handled twice (a retry): recorded once
				if err := w.svc.Handle(context.Background(), inside); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.svc.Handle(context.Background(), notify("site-away", 36.5, 33.9)); err != nil {
				t.Fatal(err)
			}
			// A convoy notified through the patrol's area within its window.
			dep := w.now.Add(2 * time.Hour)
			mv := &humanitarian.Movement{ID: "mv-later", AgreementID: w.agreement.ID, PartyID: w.ngo.ID, MovementFields: humanitarian.MovementFields{Name: "Convoy 7",
				Organisation: "WFP", Route: json.RawMessage(`{"type":"LineString","coordinates":[[36.85,33.55],[37.05,33.55]]}`), CorridorM: 100,
				Departure: humanitarian.Window{From: dep, To: dep.Add(time.Hour)}, Arrival: humanitarian.Window{From: dep.Add(2 * time.Hour), To: dep.Add(3 * time.Hour)},
				Vehicles: []humanitarian.Vehicle{{Count: 3, Type: "truck"}}}, Status: humanitarian.MovementNotified, Notified: 1,
				BBox: truce.BBox{36.84, 33.54, 37.06, 33.56}, Version: 1}
			w.notify(t, humanitarian.KindMovement, mv.ID, mv, w.now, func(i int64) { mv.JournalIndex = i }, func(tx humanitarian.Tx) error {
				return tx.PutMovement(context.Background(), mv)
			})
			if err := w.svc.Handle(context.Background(), truce.Event{Kind: humanitarian.KindMovement, Subject: mv.ID}); err != nil {
				t.Fatal(err)
			}
			for who, ctx := range map[string]context.Context{"us": w.asUS, "ngo": w.asNGO} {
				cs, err := w.svc.Conflicts(ctx, op.Operation.ID)
				if err != nil || len(cs) != 2 {
					t.Fatalf("%s sees %d conflicts (%v), want 2", who, len(cs), err)
				}
				c := cs[0]
				if c.OtherID != "site-later" || c.Against != operations.AgainstSite || !c.Later || c.JournalIndex == 0 || c.OperationVersion != 1 {
					t.Fatalf("%s's conflict: %+v", who, c)
				}
				if c := cs[1]; c.OtherID != mv.ID || c.Against != operations.AgainstMovement || !c.Later || c.OtherName != "Convoy 7" {
					t.Fatalf("%s's conflict with the convoy: %+v", who, c)
				}
			}
			if cs, err := w.svc.Conflicts(w.asJO, op.Operation.ID); err != nil || len(cs) != 0 {
				t.Fatalf("Jordan sees %+v %v", cs, err)
			}
			if n := len(w.eventsOf(operations.EventConflict)); n != 2 {
				t.Fatalf("%d conflict alerts, want 2", n)
			}
			// The convoy arrives: its conflict is withdrawn, the site's
			// stands.
			arrived := *mv
			arrived.Status, arrived.Version = humanitarian.MovementArrived, 2
			w.notify(t, humanitarian.KindMovement, mv.ID, &arrived, w.now, func(i int64) { arrived.JournalIndex = i }, func(tx humanitarian.Tx) error {
				return tx.PutMovement(context.Background(), &arrived)
			})
			if err := w.svc.Handle(context.Background(), truce.Event{Kind: humanitarian.KindMovement, Subject: mv.ID}); err != nil {
				t.Fatal(err)
			}
			cs, err := w.svc.Conflicts(w.asNGO, op.Operation.ID)
			if err != nil || len(cs) != 2 || cs[0].WithdrawnAt != nil || cs[1].WithdrawnAt == nil || cs[1].WithdrawnReason == "" {
				t.Fatalf("conflicts after the convoy arrived: %+v %v; want the convoy's withdrawn, the site's standing", cs, err)
			}
			if n := len(w.eventsOf(operations.EventConflict)); n != 3 {
				t.Fatalf("%d conflict alerts, want 3 (two raised, one withdrawn)", n)
			}
		})
	}
}

// recordSite records site as the humanitarian service does: a journal entry
// holding it and its row, in one transaction (journalled false: the row
// alone).
func recordSite(t *testing.T, st store, w *world, site *humanitarian.Site, journalled bool) truce.Event {
	t.Helper()
	if err := st.Humanitarian().Update(context.Background(), func(tx humanitarian.Tx) error {
		if journalled {
			site.JournalIndex = tx.(interface{ NextIndex() int64 }).NextIndex()
			c, err := truce.Change{Kind: "site", Subject: site.ID, Body: site, Visibility: truce.Visibility{Scope: truce.ScopeAll}}.Seal("p", "u", w.now)
			if err != nil {
				return err
			}
			if _, err := tx.Append(context.Background(), c); err != nil {
				return err
			}
		}
		return tx.PutSite(context.Background(), site)
	}); err != nil {
		t.Fatal(err)
	}
	bb := site.BBox
	return truce.Event{Kind: "site", Subject: site.ID, BBox: &bb}
}

// TestService_FileAgainstSitesNotifiedSince: the sites a filing is checked
// against are held in memory from the first filing on; a site notified
// afterwards (its event handled, as the node hands it over) refuses a
// strike over it at once, and once closed no longer does.
func TestService_FileAgainstSitesNotifiedSince(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			w := newWorld(t, st)
			if _, err := w.svc.File(w.asUS, w.plan("US patrol", operations.GroundPatrol, box(36.9, 33.5, 37.0, 33.6), 0, 10, time.Hour, 4)); err != nil {
				t.Fatal(err)
			}
			site := &humanitarian.Site{ID: "site-new", AgreementID: w.agreement.ID, PartyID: w.ngo.ID, SiteFields: humanitarian.SiteFields{Name: "Bosra school",
				Category: humanitarian.Hospital, Organisation: "UNICEF", Geometry: json.RawMessage(`{"type":"Point","coordinates":[36.3,32.52]}`), BufferM: 300, ValidFrom: w.now},
				Status: humanitarian.SiteActive, BBox: truce.BBox{36.29, 32.51, 36.31, 32.53}, Version: 1}
			if err := w.svc.Handle(context.Background(), recordSite(t, st, w, site, true)); err != nil {
				t.Fatal(err)
			}
			strike := w.plan("RU strike", operations.AirStrike, box(36.27, 32.49, 36.33, 32.55), 0, 9000, 2*time.Hour, 1)
			_, err := w.svc.File(w.asRU, strike)
			code(t, "strike over the site notified since", err, truce.EUNPROCESSABLE)
			if !strings.Contains(truce.ErrorMessage(err), "Bosra school") {
				t.Fatalf("refusal does not name the site: %v", err)
			}
			closed := *site
			closed.Status, closed.Version = humanitarian.SiteClosed, 2
			if err := w.svc.Handle(context.Background(), recordSite(t, st, w, &closed, true)); err != nil {
				t.Fatal(err)
			}
			res, err := w.svc.File(w.asRU, strike)
			if err != nil {
				t.Fatalf("strike once the site is closed: %v", err)
			}
			for _, c := range res.Conflicts {
				if c.OtherID == site.ID {
					t.Fatalf("conflict with the closed site: %+v", c)
				}
			}
			// A convoy notified since: a patrol across its route in its
			// window is warned of it.
			dep := w.now.Add(10 * time.Hour)
			mv := &humanitarian.Movement{ID: "mv-new", AgreementID: w.agreement.ID, PartyID: w.ngo.ID, MovementFields: humanitarian.MovementFields{Name: "Convoy 9",
				Organisation: "WFP", Route: json.RawMessage(`{"type":"LineString","coordinates":[[36.2,33.2],[36.4,33.2]]}`), CorridorM: 100,
				Departure: humanitarian.Window{From: dep, To: dep.Add(time.Hour)}, Arrival: humanitarian.Window{From: dep.Add(2 * time.Hour), To: dep.Add(3 * time.Hour)},
				Vehicles: []humanitarian.Vehicle{{Count: 3, Type: "truck"}}}, Status: humanitarian.MovementNotified, Notified: 1,
				BBox: truce.BBox{36.19, 33.19, 36.41, 33.21}, Version: 1}
			if err := st.Humanitarian().Update(context.Background(), func(tx humanitarian.Tx) error {
				mv.JournalIndex = tx.(interface{ NextIndex() int64 }).NextIndex()
				c, err := truce.Change{Kind: humanitarian.KindMovement, Subject: mv.ID, Body: mv, Visibility: truce.Visibility{Scope: truce.ScopeAll}}.Seal("p", "u", w.now)
				if err != nil {
					return err
				}
				if _, err := tx.Append(context.Background(), c); err != nil {
					return err
				}
				return tx.PutMovement(context.Background(), mv)
			}); err != nil {
				t.Fatal(err)
			}
			if err := w.svc.Handle(context.Background(), truce.Event{Kind: humanitarian.KindMovement, Subject: mv.ID}); err != nil {
				t.Fatal(err)
			}
			patrol, err := w.svc.File(w.asUS, w.plan("US patrol 2", operations.GroundPatrol, box(36.25, 33.15, 36.3, 33.25), 0, 10, 11*time.Hour, 2))
			if err != nil {
				t.Fatal(err)
			}
			if len(patrol.Conflicts) != 1 || patrol.Conflicts[0].OtherID != mv.ID || patrol.Conflicts[0].Against != operations.AgainstMovement {
				t.Fatalf("patrol across the convoy: %+v", patrol.Conflicts)
			}
		})
	}
}

// TestService_FileVouchesSites: a site row moved behind the server's back
// is checked as its journal entry holds it, where it was notified. Before,
// a filing read the rows as they were: a strike over the hospital's real
// place was filed without a conflict.
func TestService_FileVouchesSites(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			w := newWorld(t, st)
			db := st.(interface{ DB() *sql.DB }).DB()
			if r, err := db.Exec(`UPDATE sites SET doc = REPLACE(doc, '36.05,32.65', '36.9,33.9')`); err != nil {
				t.Fatal(err)
			} else if n, _ := r.RowsAffected(); n != 1 {
				t.Fatalf("%d rows moved", n)
			}
			_, err := w.svc.File(w.asRU, w.plan("RU strike", operations.AirStrike, box(36.0, 32.6, 36.1, 32.7), 0, 9000, 30*time.Hour, 1))
			code(t, "strike over the hospital's notified place", err, truce.EUNPROCESSABLE)
			if !strings.Contains(truce.ErrorMessage(err), "Dar'a National Hospital") {
				t.Fatalf("refusal does not name the hospital: %v", err)
			}
		})
	}
}
