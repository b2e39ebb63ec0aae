package humanitarian_test

import (
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/humanitarian"
)

func TestLeadTime(t *testing.T) {
	h := func(n int) truce.Duration { return truce.Duration(time.Duration(n) * time.Hour) }
	rules := truce.AgreementRules{LeadTime: h(36), EmergencyLeadTime: h(12),
		LeadTimes: map[string]truce.Duration{"movement/road_convoy": h(72), "site/hospital": h(48), "movement/medical_evacuation": h(6)}}
	tests := []struct {
		name      string
		rules     truce.AgreementRules
		kind, sub string
		emergency bool
		want      truce.Duration
	}{
		{"SiteOfItsKind", rules, "site", "hospital", false, h(48)},
		{"SiteOfAnotherKind", rules, "site", "school", false, h(36)},
		{"ConvoyOfItsKind", rules, "movement", "road_convoy", false, h(72)},
		{"EmergencyWinsOverKind", rules, "movement", "road_convoy", true, h(12)},
		{"ShorterKind", rules, "movement", "medical_evacuation", false, h(6)},
		{"NoRules", truce.AgreementRules{}, "movement", "road_convoy", false, h(48)},
		{"NoRulesEmergency", truce.AgreementRules{}, "movement", "air", true, h(24)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := humanitarian.LeadTime(tt.rules, tt.kind, tt.sub, tt.emergency); got != tt.want {
				t.Errorf("LeadTime = %v, want %v", time.Duration(got), time.Duration(tt.want))
			}
		})
	}
	// A convoy without a kind is a road convoy: 60 h of notice is late
	// against the 72 h the agreement sets for convoys.
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	if !humanitarian.MovementLate(rules, "", false, now.Add(60*time.Hour), now) || humanitarian.MovementLate(rules, humanitarian.MedicalEvacuation, false, now.Add(7*time.Hour), now) {
		t.Error("MovementLate does not follow the lead time of the movement's kind")
	}
}

func TestDueNotice(t *testing.T) {
	sent := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	tr := &humanitarian.Transmission{ID: "t1", Kind: "site", RecordID: "s1", RecordVersion: 2, To: "p-gb", SentAt: sent,
		Deadline: sent.Add(24 * time.Hour), State: humanitarian.Pending}
	reminders := []time.Duration{12 * time.Hour, 2 * time.Hour} // longest first, as Reminders returns them
	rem := func(seq int) humanitarian.Notice {
		return humanitarian.Notice{Kind: humanitarian.NoticeReminder, Seq: seq}
	}
	overdue := humanitarian.Notice{Kind: humanitarian.NoticeOverdue}
	answered := *tr
	answered.State = humanitarian.Acknowledged
	tests := []struct {
		name     string
		t        *humanitarian.Transmission
		current  bool
		sent     []humanitarian.Notice
		at       time.Duration // after SentAt
		wantKind humanitarian.NoticeKind
		wantSeq  int
	}{
		{name: "TooEarly", t: tr, current: true, at: 11 * time.Hour},
		{name: "FirstReminder", t: tr, current: true, at: 12 * time.Hour, wantKind: humanitarian.NoticeReminder, wantSeq: 0},
		{name: "FirstReminderOnce", t: tr, current: true, sent: []humanitarian.Notice{rem(0)}, at: 13 * time.Hour},
		{name: "SecondReminder", t: tr, current: true, sent: []humanitarian.Notice{rem(0)}, at: 22 * time.Hour, wantKind: humanitarian.NoticeReminder, wantSeq: 1},
		{name: "MissedFirstSendsOnlyLatest", t: tr, current: true, at: 23 * time.Hour, wantKind: humanitarian.NoticeReminder, wantSeq: 1},
		{name: "SecondReminderOnce", t: tr, current: true, sent: []humanitarian.Notice{rem(1)}, at: 23 * time.Hour},
		{name: "Overdue", t: tr, current: true, sent: []humanitarian.Notice{rem(0), rem(1)}, at: 24 * time.Hour, wantKind: humanitarian.NoticeOverdue},
		{name: "OverdueWithoutReminders", t: tr, current: true, at: 30 * 24 * time.Hour, wantKind: humanitarian.NoticeOverdue},
		{name: "OverdueOnce", t: tr, current: true, sent: []humanitarian.Notice{overdue}, at: 48 * time.Hour},
		{name: "Answered", t: &answered, current: true, at: 30 * time.Hour},
		{name: "Superseded", t: tr, current: false, at: 30 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := humanitarian.DueNotice(tt.t, tt.current, reminders, tt.sent, sent.Add(tt.at))
			if tt.wantKind == "" {
				if n != nil {
					t.Fatalf("DueNotice = %v, want none", n)
				}
				return
			}
			if n == nil || n.Kind != tt.wantKind || n.Seq != tt.wantSeq || n.Party != "p-gb" || n.Transmission != "t1" {
				t.Fatalf("DueNotice = %v, want %s %d", n, tt.wantKind, tt.wantSeq)
			}
			// The reason names the party, the record version and the deadline.
			for _, want := range []string{"p-gb", "site s1 version 2", "2030-01-02T00:00:00Z"} {
				if !strings.Contains(n.Reason, want) {
					t.Errorf("reason %q lacks %q", n.Reason, want)
				}
			}
		})
	}
}

func TestNextNoticeAt(t *testing.T) {
	sent := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	tr := &humanitarian.Transmission{SentAt: sent, Deadline: sent.Add(24 * time.Hour)}
	rem := func(seq int) humanitarian.Notice {
		return humanitarian.Notice{Kind: humanitarian.NoticeReminder, Seq: seq}
	}
	tests := []struct {
		name      string
		reminders []time.Duration
		sent      []humanitarian.Notice
		want      time.Duration // after SentAt; -1: none
	}{
		{"FirstReminder", []time.Duration{12 * time.Hour, 2 * time.Hour}, nil, 12 * time.Hour},
		{"SecondReminder", []time.Duration{12 * time.Hour, 2 * time.Hour}, []humanitarian.Notice{rem(0)}, 22 * time.Hour},
		{"Deadline", []time.Duration{12 * time.Hour, 2 * time.Hour}, []humanitarian.Notice{rem(0), rem(1)}, 24 * time.Hour},
		{"ReminderBeforeTheTransmissionSkipped", []time.Duration{48 * time.Hour, 6 * time.Hour}, nil, 18 * time.Hour},
		{"NoneAfterOverdue", []time.Duration{6 * time.Hour}, []humanitarian.Notice{{Kind: humanitarian.NoticeOverdue}}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := humanitarian.NextNoticeAt(tr, tt.reminders, tt.sent)
			if tt.want < 0 {
				if got != nil {
					t.Fatalf("NextNoticeAt = %v, want none", got)
				}
				return
			}
			if got == nil || !got.Equal(sent.Add(tt.want)) {
				t.Fatalf("NextNoticeAt = %v, want %v", got, sent.Add(tt.want))
			}
		})
	}
}

func TestAgreementRules_ValidateNotification(t *testing.T) {
	h := func(n int) truce.Duration { return truce.Duration(time.Duration(n) * time.Hour) }
	tests := []struct {
		name  string
		rules truce.AgreementRules
		ok    bool
	}{
		{"KindsAndReminders", truce.AgreementRules{LeadTimes: map[string]truce.Duration{"site/hospital": h(48), "movement/road_convoy": h(72)}, AckWindow: h(24), Reminders: []truce.Duration{h(12), h(2)}}, true},
		{"BadKeyPrefix", truce.AgreementRules{LeadTimes: map[string]truce.Duration{"zone/buffer": h(48)}}, false},
		{"BadKeyName", truce.AgreementRules{LeadTimes: map[string]truce.Duration{"site/Hospital!": h(48)}}, false},
		{"ZeroLeadTime", truce.AgreementRules{LeadTimes: map[string]truce.Duration{"site/school": 0}}, false},
		{"LeadTimeTooLong", truce.AgreementRules{LeadTimes: map[string]truce.Duration{"site/school": h(24 * 91)}}, false},
		{"ReminderOutsideWindow", truce.AgreementRules{AckWindow: h(24), Reminders: []truce.Duration{h(24)}}, false},
		{"ReminderTwice", truce.AgreementRules{Reminders: []truce.Duration{h(6), h(6)}}, false},
		{"NegativeWindow", truce.AgreementRules{AckWindow: -h(1)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.rules.Validate()
			if (err == nil) != tt.ok {
				t.Fatalf("Validate = %v, want ok %v", err, tt.ok)
			}
			if err != nil && truce.ErrorCode(err) != truce.EINVALID {
				t.Fatalf("code %s", truce.ErrorCode(err))
			}
		})
	}
}
