package zones_test

import (
	"testing"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/zones"
)

// TestIndex_Follows: the index follows zone and agreement changes; a
// zone's refresh stands for that zone's later ones, an agreement's for
// every agreement's (each reloads everything), and other kinds are not
// its.
func TestIndex_Follows(t *testing.T) {
	var x *zones.Index
	for _, tc := range []struct {
		kind, subject string
		key, what     string
		ok            bool
	}{
		{"zone", "z1", "zones:z1", "zone index: zone z1", true},
		{"zone", "z2", "zones:z2", "zone index: zone z2", true},
		{"agreement", "a1", "zones:*", "zone index: agreement a1", true},
		{"agreement", "a2", "zones:*", "zone index: agreement a2", true},
		{"alert", "x", "", "", false},
		{"aircraft", "x", "", "", false},
		{"site", "x", "", "", false},
	} {
		key, what, ok := x.Follows(truce.Event{Kind: tc.kind, Subject: tc.subject})
		if key != tc.key || what != tc.what || ok != tc.ok {
			t.Errorf("Follows(%s %s) = %q, %q, %v; want %q, %q, %v", tc.kind, tc.subject, key, what, ok, tc.key, tc.what, tc.ok)
		}
	}
}
