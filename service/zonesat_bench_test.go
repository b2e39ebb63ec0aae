package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/accounts"
	"github.com/truce-project/truce/journal"
	"github.com/truce-project/truce/service"
	"github.com/truce-project/truce/sqlite"
)

// zonesInForce opens a SQLite store with n square no-fly zones in force
// (a 0.05° grid of them from 36°E 32°N), with the live index loaded, and
// returns the service and an administrator's context.
func zonesInForce(tb testing.TB, n int) (*service.Service, context.Context) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "zones.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	keys, err := accounts.NewKeys(tb.TempDir(), []byte("test key secret, 32 bytes long.."))
	if err != nil {
		tb.Fatal(err)
	}
	svc := service.New(st, accounts.New(st.Accounts(), journal.New(st), keys))
	p, u, _, err := svc.Accounts.Bootstrap(ctx, truce.PartyCreate{Slug: "sec", Name: "Secretariat", Kind: truce.PartyCoordinator},
		truce.UserCreate{Username: "admin", Roles: []truce.Role{truce.RoleAdmin}})
	if err != nil {
		tb.Fatal(err)
	}
	actx := truce.NewContext(ctx, &truce.Caller{User: u, Party: p})
	ag, err := svc.CreateAgreement(actx, truce.AgreementCreate{Title: "Bench", Signatories: []string{p.ID}, EffectiveFrom: time.Now().Add(-time.Hour)})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := svc.SetAgreementStatus(actx, ag.ID, truce.AgreementInForce, 0); err != nil {
		tb.Fatal(err)
	}
	feats := make([]string, n)
	side := int(math.Ceil(math.Sqrt(float64(n))))
	for i := range n {
		x, y := 36+float64(i%side)*0.05, 32+float64(i/side)*0.05
		feats[i] = fmt.Sprintf(`{"type":"Feature","properties":{"name":"z%d"},"geometry":{"type":"Polygon","coordinates":[[[%g,%g],[%g,%g],[%g,%g],[%g,%g],[%g,%g]]]}}`,
			i, x, y, x+0.04, y, x+0.04, y+0.04, x, y+0.04, x, y)
	}
	vs, err := svc.ImportZones(actx, truce.ZoneImport{Agreement: ag.ID, Features: json.RawMessage(`{"type":"FeatureCollection","features":[` + strings.Join(feats, ",") + `]}`),
		Defaults: truce.ZoneProposal{Kind: truce.ZoneNoFly}})
	if err != nil {
		tb.Fatal(err)
	}
	for _, v := range vs {
		if _, err := svc.DecideZone(actx, v.ZoneID, 1, truce.ZoneDecision{Approve: true}); err != nil {
			tb.Fatal(err)
		}
	}
	svc.Zones = svc.NewZoneIndex()
	if err := svc.Zones.Load(ctx, svc.Now()); err != nil {
		tb.Fatal(err)
	}
	return svc, actx
}

// BenchmarkZonesAt measures one point lookup among 1,000 zones in force,
// with and without an altitude (the CLI's default is without).
func BenchmarkZonesAt(b *testing.B) {
	svc, actx := zonesInForce(b, 1000)
	for _, alt := range []float64{math.NaN(), 1000} {
		b.Run(fmt.Sprintf("alt=%v", alt), func(b *testing.B) {
			for b.Loop() {
				got, err := svc.ZonesAt(actx, 36.02, 32.02, alt, time.Now())
				if err != nil || len(got) != 1 {
					b.Fatalf("%d zones, %v", len(got), err)
				}
			}
		})
	}
}

// BenchmarkCheckState measures the self-check's state pass over 1,000
// zones in force (each with its version and 2 journal entries), their
// agreement and the administrator's party, user and token, on SQLite.
func BenchmarkCheckState(b *testing.B) {
	svc, _ := zonesInForce(b, 1000)
	ctx := context.Background()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		var err error
		// 1,000 zones, the agreement, the party, its user and token.
		if n, err = svc.CheckState(ctx, nil); err != nil || n != 1004 {
			b.Fatal(n, err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkZoneIndexLoad measures a full load of the live index over
// 1,000 zones in force, each checked against the journal (start-up, an
// agreement change, the periodic reconciliation read the same).
func BenchmarkZoneIndexLoad(b *testing.B) {
	svc, _ := zonesInForce(b, 1000)
	ctx := context.Background()
	for _, checked := range []bool{false, true} {
		b.Run(fmt.Sprintf("journal_checks=%v", checked), func(b *testing.B) {
			x := service.NewZoneIndex(svc.Store)
			if checked {
				x = svc.NewZoneIndex()
			}
			for b.Loop() {
				if err := x.Load(ctx, svc.Now()); err != nil {
					b.Fatal(err)
				}
			}
			if n := len(x.Containing(36.02, 32.02, 0, time.Now())); n != 1 {
				b.Fatalf("%d zones at a point of z0", n)
			}
		})
	}
}
