package observation_test

import (
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/observation"
)

func TestMove(t *testing.T) {
	all := []observation.Status{observation.StatusReported, observation.StatusCorroborated, observation.StatusVerified, observation.StatusDisputed, observation.StatusRejected}
	want := map[observation.Action]map[observation.Status]observation.Status{
		observation.ActionVerify:  {observation.StatusReported: observation.StatusVerified, observation.StatusCorroborated: observation.StatusVerified, observation.StatusDisputed: observation.StatusVerified},
		observation.ActionDispute: {observation.StatusVerified: observation.StatusDisputed},
		observation.ActionReject:  {observation.StatusReported: observation.StatusRejected, observation.StatusCorroborated: observation.StatusRejected, observation.StatusDisputed: observation.StatusRejected},
	}
	for act, to := range want {
		for _, from := range all {
			got, err := observation.Move(from, act)
			if w, ok := to[from]; ok {
				if err != nil || got != w {
					t.Errorf("Move(%s, %s) = %s, %v; want %s", from, act, got, err, w)
				}
			} else if truce.ErrorCode(err) != truce.ECONFLICT {
				t.Errorf("Move(%s, %s) = %s, %v; want ECONFLICT", from, act, got, err)
			}
		}
	}
	if _, err := observation.Move(observation.StatusReported, "approve"); truce.ErrorCode(err) != truce.EINVALID {
		t.Errorf("unknown action: %v", err)
	}
}

func caller(kind truce.PartyKind, roles ...truce.Role) *truce.Caller {
	return &truce.Caller{User: &truce.User{ID: "u", Roles: roles}, Party: &truce.Party{ID: "p", Kind: kind}}
}

func TestCanDecide(t *testing.T) {
	tests := []struct {
		name string
		a    *truce.Caller
		act  observation.Action
		want string
	}{
		{"MonitorOperatorVerifies", caller(truce.PartyMonitor, truce.RoleOperator), observation.ActionVerify, ""},
		{"MonitorOperatorRejects", caller(truce.PartyMonitor, truce.RoleOperator), observation.ActionReject, ""},
		{"MonitorObserverCannotVerify", caller(truce.PartyMonitor, truce.RoleObserver), observation.ActionVerify, truce.EFORBIDDEN},
		{"GuarantorCannotVerify", caller(truce.PartyGuarantor, truce.RoleOperator), observation.ActionVerify, truce.EFORBIDDEN},
		{"GuarantorDisputes", caller(truce.PartyGuarantor, truce.RoleOperator), observation.ActionDispute, ""},
		{"ViewerCannotDispute", caller(truce.PartyGuarantor, truce.RoleViewer), observation.ActionDispute, truce.EFORBIDDEN},
		{"AdminVerifies", caller(truce.PartyCoordinator, truce.RoleAdmin), observation.ActionVerify, ""},
		{"UnknownAction", caller(truce.PartyMonitor, truce.RoleOperator), "approve", truce.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := truce.ErrorCode(observation.CanDecide(tt.a, tt.act)); got != tt.want {
				t.Fatalf("CanDecide = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDecide(t *testing.T) {
	inc := &observation.Incident{ID: "i", Status: observation.StatusCorroborated, Version: 3}
	at := time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)
	n, err := observation.Decide(inc, observation.Decision{Action: observation.ActionVerify, Reason: "two independent bearings", DecidedAt: at})
	if err != nil {
		t.Fatal(err)
	}
	if n.Status != observation.StatusVerified || n.Version != 4 || len(n.Decisions) != 1 || n.Decisions[0].From != observation.StatusCorroborated || n.Decisions[0].To != observation.StatusVerified || !n.UpdatedAt.Equal(at) {
		t.Fatalf("Decide = %+v", n)
	}
	if inc.Status != observation.StatusCorroborated || len(inc.Decisions) != 0 {
		t.Fatalf("Decide changed its input: %+v", inc)
	}
	if _, err := observation.Decide(inc, observation.Decision{Action: observation.ActionVerify}); truce.ErrorCode(err) != truce.EINVALID {
		t.Fatalf("no reason: %v, want EINVALID", err)
	}
	if _, err := observation.Decide(n, observation.Decision{Action: observation.ActionVerify, Reason: "again"}); truce.ErrorCode(err) != truce.ECONFLICT {
		t.Fatalf("verified twice: %v, want ECONFLICT", err)
	}
}

func TestViolations(t *testing.T) {
	rules := truce.AgreementRules{Prohibited: []truce.Prohibition{
		{Activity: "shelling", ZoneKinds: []truce.ZoneKind{truce.ZoneDeescalation, truce.ZoneBuffer}},
		{Activity: "air_strike", ZoneKinds: []truce.ZoneKind{truce.ZoneNoFly}},
	}}
	zones := []observation.ZoneInForce{
		{AgreementID: "ag", Rules: rules, ZoneID: "z-deesc", ZoneVersion: 2, Kind: truce.ZoneDeescalation},
		{AgreementID: "ag", Rules: rules, ZoneID: "z-nofly", ZoneVersion: 1, Kind: truce.ZoneNoFly},
	}
	verified := func(cat observation.Category, sub string) *observation.Incident {
		return &observation.Incident{Status: observation.StatusVerified, Category: cat, SubCategory: sub}
	}
	tests := []struct {
		name string
		inc  *observation.Incident
		want []string // zone ids
	}{
		{"ShellingInDeescalation", verified(observation.CatExplosion, "artillery"), []string{"z-deesc"}},
		{"AirStrikeInNoFly", verified(observation.CatExplosion, "air_strike"), []string{"z-nofly"}},
		{"FlareBreaksNothing", verified(observation.CatFlare, ""), nil},
		{"NotVerified", &observation.Incident{Status: observation.StatusCorroborated, Category: observation.CatExplosion, SubCategory: "artillery"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := observation.Violations(tt.inc, zones, "")
			if len(got) != len(tt.want) {
				t.Fatalf("Violations = %+v, want zones %v", got, tt.want)
			}
			for i, v := range got {
				if v.ZoneID != tt.want[i] || v.AgreementID != "ag" {
					t.Fatalf("violation %d = %+v, want zone %s", i, v, tt.want[i])
				}
			}
		})
	}
}

// TestViolations_Exempt: a prohibition does not bind the parties it
// exempts. A verified incident whose actor is an exempt party breaks
// none of it; the same incident by anyone else, or by no party known,
// does.
func TestViolations_Exempt(t *testing.T) {
	rules := truce.AgreementRules{Prohibited: []truce.Prohibition{
		{Activity: "air_strike", ZoneKinds: []truce.ZoneKind{truce.ZoneNoFly}, Exempt: []string{"p-host"}},
		{Activity: "shelling", ZoneKinds: []truce.ZoneKind{truce.ZoneNoFly}},
	}}
	zones := []observation.ZoneInForce{{AgreementID: "ag", Rules: rules, ZoneID: "z", ZoneVersion: 1, Kind: truce.ZoneNoFly}}
	strike := &observation.Incident{Status: observation.StatusVerified, Category: observation.CatExplosion, SubCategory: "air_strike"}
	shell := &observation.Incident{Status: observation.StatusVerified, Category: observation.CatExplosion, SubCategory: "artillery"}
	for _, c := range []struct {
		name  string
		inc   *observation.Incident
		party string
		want  int
	}{
		{"ExemptParty", strike, "p-host", 0},
		{"OtherParty", strike, "p-other", 1},
		{"NoPartyKnown", strike, "", 1},
		{"ExemptFromAnotherActivityOnly", shell, "p-host", 1},
	} {
		if got := observation.Violations(c.inc, zones, c.party); len(got) != c.want {
			t.Errorf("%s: %+v, want %d violations", c.name, got, c.want)
		}
	}
}
