package humanitarian_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/accounts"
	"github.com/truce-project/truce/airspace"
	"github.com/truce-project/truce/humanitarian"
	"github.com/truce-project/truce/journal"
	"github.com/truce-project/truce/postgres"
	"github.com/truce-project/truce/postgres/pgtest"
	"github.com/truce-project/truce/sqlite"
	"github.com/truce-project/truce/zones"
	"golang.org/x/mod/sumdb/note"
)

// testStore is a store as the node wires it: the shared store and the
// capabilities' views.
type testStore interface {
	truce.Store
	Accounts() accounts.Store
	Humanitarian() humanitarian.Store
	ZoneStore() zones.Store
	Airspace() airspace.Store
}

var openers = map[string]func(t testing.TB) testStore{
	"SQLite": func(t testing.TB) testStore {
		st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "truce.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	},
	"PostgreSQL": func(t testing.TB) testStore {
		st, err := postgres.Open(context.Background(), pgtest.DSN(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	},
}

// world is an agreement in force between three guarantors (ga and gb
// custodial, gc holding its own key, skey), a humanitarian organisation
// (sarc) that notifies sites under it, and their callers.
type world struct {
	st               testStore
	svc              *humanitarian.Service
	acc              *accounts.Service
	ag               *truce.Agreement
	admin            context.Context
	sarc, ga, gb, gc context.Context
	parties          map[string]*truce.Party
	gcKey            string // gc's signer key
	zones            *zones.Service
	byParty          map[string]context.Context
	member           func(slug string, kind truce.PartyKind, pub string, roles ...truce.Role) context.Context
}

var areas = func() *humanitarian.AdminAreas {
	b, err := os.ReadFile("../ui/static/data/syria-districts.geojson")
	if err != nil {
		panic(err)
	}
	a, err := humanitarian.LoadAdminAreas(b)
	if err != nil {
		panic(err)
	}
	return a
}()

func newWorld(t testing.TB, st testStore) *world {
	t.Helper()
	ctx := context.Background()
	keys, err := accounts.NewKeys(t.TempDir(), []byte("test key secret, 32 bytes long.."))
	if err != nil {
		t.Fatal(err)
	}
	j := journal.New(st)
	acc := accounts.New(st.Accounts(), j, keys)
	zs := zones.New(st.ZoneStore(), acc)
	p, u, _, err := acc.Bootstrap(ctx, truce.PartyCreate{Slug: "ocha", Name: "Coordination office", Kind: truce.PartyCoordinator},
		truce.UserCreate{Username: "admin", Roles: []truce.Role{truce.RoleAdmin}})
	if err != nil {
		t.Fatal(err)
	}
	w := &world{st: st, acc: acc, admin: truce.NewContext(ctx, &truce.Caller{User: u, Party: p}), parties: map[string]*truce.Party{"ocha": p}}
	w.svc = humanitarian.New(st.Humanitarian(), j, acc, areas)
	w.zones = zs
	w.byParty = map[string]context.Context{}
	w.member = func(slug string, kind truce.PartyKind, pub string, roles ...truce.Role) context.Context {
		p, err := acc.CreateParty(w.admin, truce.PartyCreate{Slug: slug, Name: "Party " + slug, Kind: kind, PublicKey: pub})
		if err != nil {
			t.Fatal(err)
		}
		u, err := acc.CreateUser(w.admin, truce.UserCreate{Party: p.ID, Username: slug + "-user", Roles: roles})
		if err != nil {
			t.Fatal(err)
		}
		w.parties[slug] = p
		w.byParty[slug] = truce.NewContext(ctx, &truce.Caller{User: u, Party: p})
		return w.byParty[slug]
	}
	skey, vkey, err := note.GenerateKey(rand.Reader, "gc")
	if err != nil {
		t.Fatal(err)
	}
	w.gcKey = skey
	member := w.member
	w.ga = member("ga", truce.PartyGuarantor, "", truce.RoleOperator)
	w.gb = member("gb", truce.PartyGuarantor, "", truce.RoleOperator)
	w.gc = member("gc", truce.PartyGuarantor, vkey, truce.RoleOperator)
	w.sarc = member("sarc", truce.PartyHumanitarian, "", truce.RoleHumanitarian)
	ag, err := zs.CreateAgreement(w.admin, truce.AgreementCreate{Title: "Ceasefire",
		Signatories: []string{w.parties["ga"].ID, w.parties["gb"].ID, w.parties["gc"].ID}, EffectiveFrom: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	w.ag = w.inForce(t, ag.ID)
	return w
}

// inForce brings agreement id into force: ga proposes, and every
// signatory signs (gc with its own key).
func (w *world) inForce(t testing.TB, id string) *truce.Agreement {
	t.Helper()
	ag, err := w.zones.ProposeAgreement(w.ga, id, truce.AgreementMotion{Action: truce.AgreementBringIntoForce}, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := ag.Proposals
	for _, sig := range ag.Signatories {
		var ctx context.Context
		var d truce.ZoneDecision
		d.Approve = true
		for slug, p := range w.parties {
			if p.ID == sig {
				ctx = w.byParty[slug]
			}
		}
		if sig == w.parties["gc"].ID {
			statement, err := truce.AgreementDecisionStatement(ag.ID, ag.Proposal, true)
			if err != nil {
				t.Fatal(err)
			}
			signer, err := note.NewSigner(w.gcKey)
			if err != nil {
				t.Fatal(err)
			}
			msg, err := note.Sign(&note.Note{Text: statement}, signer)
			if err != nil {
				t.Fatal(err)
			}
			d.Signature = string(msg)
		}
		if ag, err = w.zones.DecideAgreement(ctx, id, n, d); err != nil {
			t.Fatal(err)
		}
	}
	if ag.Status != truce.AgreementInForce {
		t.Fatalf("agreement %s is %s after every signature", id, ag.Status)
	}
	return ag
}

// hospital is a site at Dar'a, at the town's GeoNames coordinates.
func hospital(from time.Time) humanitarian.SiteFields {
	return humanitarian.SiteFields{Name: "Dar'a National Hospital", Category: humanitarian.Hospital, Organisation: "SARC",
		Contact: "+963 15 000000", Capacity: 120, Geometry: []byte(`{"type":"Point","coordinates":[36.10213,32.61889]}`),
		BufferM: 300, ValidFrom: from}
}

func (w *world) journalSize(t testing.TB) int64 {
	t.Helper()
	n, err := w.st.JournalSize(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func wantCode(t testing.TB, what string, err error, code string) {
	t.Helper()
	if truce.ErrorCode(err) != code {
		t.Fatalf("%s: %v, want code %q", what, err, code)
	}
}

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// newWorldN is newWorld with an agreement in force between n guarantors
// (ga, gb, gc and more).
func newWorldN(t testing.TB, st testStore, n int) *world {
	w := newWorld(t, st)
	sig := []string{w.parties["ga"].ID, w.parties["gb"].ID, w.parties["gc"].ID}
	for i := 3; i < n; i++ {
		slug := fmt.Sprintf("g%d", i)
		w.member(slug, truce.PartyGuarantor, "", truce.RoleOperator)
		sig = append(sig, w.parties[slug].ID)
	}
	ag, err := w.zones.CreateAgreement(w.admin, truce.AgreementCreate{Title: "Wider ceasefire", Signatories: sig, EffectiveFrom: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	w.ag = w.inForce(t, ag.ID)
	return w
}
