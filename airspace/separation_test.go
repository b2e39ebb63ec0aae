package airspace

import (
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/monitor"
)

// TestSeparations: the minima agreements set between their signatories,
// rule by rule.
func TestSeparations(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	later := now.Add(time.Hour)
	earlier := now.Add(-time.Hour)
	ag := func(status truce.AgreementStatus, nm, ft float64, signatories ...string) *truce.Agreement {
		return &truce.Agreement{Status: status, EffectiveFrom: now.Add(-24 * time.Hour), Signatories: signatories,
			Rules: truce.AgreementRules{SeparationNM: nm, SeparationFt: ft}}
	}
	ended := ag(truce.AgreementInForce, 40, 2000, "us", "ru")
	ended.EffectiveTo = &earlier
	future := ag(truce.AgreementInForce, 40, 2000, "us", "ru")
	future.EffectiveFrom = later
	type pair struct{ p, q string }
	for _, tc := range []struct {
		name    string
		ags     []*truce.Agreement
		want    map[pair]monitor.Separation
		largest float64
	}{
		{"none", nil, map[pair]monitor.Separation{}, 0},
		{"two signatories", []*truce.Agreement{ag(truce.AgreementInForce, 40, 2000, "us", "ru")},
			map[pair]monitor.Separation{{"us", "ru"}: {HorizontalM: 40 * 1852, VerticalFt: 2000}}, 40 * 1852},
		{"the agreement's defaults", []*truce.Agreement{ag(truce.AgreementInForce, 0, 0, "us", "ru")},
			map[pair]monitor.Separation{{"ru", "us"}: {HorizontalM: 5 * 1852, VerticalFt: 1000}}, 5 * 1852},
		{"one signatory binds no pair", []*truce.Agreement{ag(truce.AgreementInForce, 40, 2000, "us")}, map[pair]monitor.Separation{}, 40 * 1852},
		{"three signatories, three pairs", []*truce.Agreement{ag(truce.AgreementInForce, 10, 1500, "us", "ru", "tr")},
			map[pair]monitor.Separation{{"us", "ru"}: {HorizontalM: 10 * 1852, VerticalFt: 1500}, {"us", "tr"}: {HorizontalM: 10 * 1852, VerticalFt: 1500},
				{"ru", "tr"}: {HorizontalM: 10 * 1852, VerticalFt: 1500}}, 10 * 1852},
		{"the largest of each minimum where several bind a pair",
			[]*truce.Agreement{ag(truce.AgreementInForce, 40, 1000, "us", "ru"), ag(truce.AgreementInForce, 10, 3000, "ru", "us")},
			map[pair]monitor.Separation{{"us", "ru"}: {HorizontalM: 40 * 1852, VerticalFt: 3000}}, 40 * 1852},
		{"not in force", []*truce.Agreement{ag(truce.AgreementDraft, 40, 2000, "us", "ru"), ag(truce.AgreementSuspended, 40, 2000, "us", "ru")},
			map[pair]monitor.Separation{}, 0},
		{"effective period over or to come", []*truce.Agreement{ended, future}, map[pair]monitor.Separation{}, 0},
		{"not vouched for (nil)", []*truce.Agreement{nil}, map[pair]monitor.Separation{}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var m separations
			for _, a := range tc.ags {
				m.add(a, now)
			}
			if len(m.pairs) != len(tc.want) || m.largest != tc.largest {
				t.Fatalf("%d pairs, largest %.0f m; want %d, %.0f m: %v", len(m.pairs), m.largest, len(tc.want), tc.largest, m.pairs)
			}
			for k, want := range tc.want {
				if got, ok := m.pairs[pairOf(k.p, k.q)]; !ok || got != want {
					t.Errorf("%s-%s: %+v (%v), want %+v", k.p, k.q, got, ok, want)
				}
			}
		})
	}
}
