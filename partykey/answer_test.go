package partykey_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/humanitarian"
	"github.com/truce-project/truce/partykey"
)

// fakeServer is a server as a party's client sees it: it may hand over a
// statement, a transmission or a version other than the true ones.
type fakeServer struct {
	t         *humanitarian.Transmission
	party     *truce.Party
	sites     []*humanitarian.Site
	movements []*humanitarian.Movement
	statement func(t *humanitarian.Transmission, in humanitarian.AnswerInput) string
}

func (f *fakeServer) Transmission(ctx context.Context, id string) (*humanitarian.Transmission, error) {
	c := *f.t
	return &c, nil
}
func (f *fakeServer) FindParty(ctx context.Context, id string) (*truce.Party, error) {
	return f.party, nil
}
func (f *fakeServer) SiteVersions(ctx context.Context, id string) ([]*humanitarian.Site, error) {
	return f.sites, nil
}
func (f *fakeServer) MovementVersions(ctx context.Context, id string) ([]*humanitarian.Movement, error) {
	return f.movements, nil
}
func (f *fakeServer) AnswerStatement(ctx context.Context, id string, in humanitarian.AnswerInput) (string, error) {
	if f.statement != nil {
		return f.statement(f.t, in), nil
	}
	return humanitarian.Statement(f.t, in), nil
}

func testSite(t *testing.T) *humanitarian.Site {
	s := &humanitarian.Site{ID: "s1", AgreementID: "a1", PartyID: "p-sarc", Version: 2, Status: humanitarian.SiteActive, Change: "updated",
		SiteFields: humanitarian.SiteFields{Name: "Dar'a National Hospital", Category: humanitarian.Hospital, Organisation: "SARC",
			Geometry: json.RawMessage(`{"type":"Point","coordinates":[36.1,32.62]}`), BufferM: 300, ValidFrom: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}}
	h, err := humanitarian.VersionHash(s)
	if err != nil {
		t.Fatal(err)
	}
	s.Hash = h
	return s
}

func TestCheckAnswerStatement(t *testing.T) {
	_, k := writeKey(t) // party "ru"
	_, other := writeKey(t)
	from := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	to := from.Add(24 * time.Hour)
	concern := humanitarian.AnswerInput{Concern: true, Text: "Active operations on the southern road", WindowFrom: &from, WindowTo: &to}
	tests := []struct {
		name    string
		in      humanitarian.AnswerInput
		tamper  func(f *fakeServer)
		wantErr string // "" signs
	}{
		{name: "Acknowledgement", in: humanitarian.AnswerInput{}},
		{name: "Concern", in: concern},
		{name: "ConcernAsAcknowledgement", in: concern, tamper: func(f *fakeServer) {
			f.statement = func(t *humanitarian.Transmission, in humanitarian.AnswerInput) string {
				return humanitarian.Statement(t, humanitarian.AnswerInput{})
			}
		}, wantErr: "is of an acknowledgement, not of a concern"},
		{name: "AnotherTransmission", tamper: func(f *fakeServer) {
			f.statement = func(t *humanitarian.Transmission, in humanitarian.AnswerInput) string {
				c := *t
				c.ID = "t2"
				return humanitarian.Statement(&c, in)
			}
		}, wantErr: "names transmission t2"},
		{name: "AnotherVersion", tamper: func(f *fakeServer) {
			f.statement = func(t *humanitarian.Transmission, in humanitarian.AnswerInput) string {
				c := *t
				c.RecordVersion = 1
				return humanitarian.Statement(&c, in)
			}
		}, wantErr: "names site s1 version 1, not site s1 version 2"},
		{name: "AnotherHash", tamper: func(f *fakeServer) {
			f.statement = func(t *humanitarian.Transmission, in humanitarian.AnswerInput) string {
				c := *t
				c.Hash = strings.Repeat("0", 64)
				return humanitarian.Statement(&c, in)
			}
		}, wantErr: "carries hash 0000"},
		{name: "AnotherConcernText", in: concern, tamper: func(f *fakeServer) {
			f.statement = func(t *humanitarian.Transmission, in humanitarian.AnswerInput) string {
				in.Text = "Nothing to report"
				return humanitarian.Statement(t, in)
			}
		}, wantErr: "another concern text"},
		{name: "AnotherWindow", in: concern, tamper: func(f *fakeServer) {
			f.statement = func(t *humanitarian.Transmission, in humanitarian.AnswerInput) string {
				later := to.Add(time.Hour)
				in.WindowTo = &later
				return humanitarian.Statement(t, in)
			}
		}, wantErr: "not the answer statement"},
		{name: "NotAStatement", tamper: func(f *fakeServer) {
			f.statement = func(*humanitarian.Transmission, humanitarian.AnswerInput) string { return "truce zone decision v1\n" }
		}, wantErr: "not an answer statement"},
		{name: "ExtraLine", tamper: func(f *fakeServer) {
			f.statement = func(t *humanitarian.Transmission, in humanitarian.AnswerInput) string {
				st := humanitarian.Statement(t, in)
				return strings.Replace(st, humanitarian.ReceiptNotPermission, "and permission\n"+humanitarian.ReceiptNotPermission, 1)
			}
		}, wantErr: "more lines"},
		{name: "VersionContentDiffers", tamper: func(f *fakeServer) {
			// The server shows a version whose content is not what the
			// transmission's hash names (the coordinates moved).
			s := *f.sites[1]
			s.Geometry = json.RawMessage(`{"type":"Point","coordinates":[36.2,32.62]}`)
			f.sites[1] = &s
		}, wantErr: "as read hashes to"},
		{name: "NoSuchVersion", tamper: func(f *fakeServer) { f.sites = nil }, wantErr: "has no version 2"},
		{name: "AnotherPartysKey", tamper: func(f *fakeServer) { f.party.PublicKey = other.Verifier }, wantErr: "key on record"},
		{name: "AnotherParty", tamper: func(f *fakeServer) { f.party.Slug = "us" }, wantErr: "this key is ru's"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			site := testSite(t)
			tr := &humanitarian.Transmission{ID: "t1", Kind: humanitarian.KindSite, RecordID: site.ID, RecordVersion: 2, Hash: site.Hash, To: "p-ru", From: "p-sarc"}
			f := &fakeServer{t: tr, party: &truce.Party{ID: "p-ru", Slug: "ru", PublicKey: k.Verifier}, sites: []*humanitarian.Site{testSite(t), site}}
			f.sites[0].Version = 1
			if tt.tamper != nil {
				tt.tamper(f)
			}
			sg, err := partykey.CheckAnswerStatement(context.Background(), f, k, "t1", tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "refusing to sign") {
					t.Fatalf("err %v, want refusal containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			msg, err := sg.Sign(k)
			if err != nil {
				t.Fatal(err)
			}
			in := tt.in
			humanitarian.CheckAnswer(&in)
			if err := humanitarian.VerifyAnswer(msg, humanitarian.Statement(tr, in), k.Verifier); err != nil {
				t.Fatalf("signature does not verify: %v", err)
			}
			sum := sg.Summary()
			for _, want := range []string{"Dar'a National Hospital", "36.1,32.62", site.Hash, "version 2"} {
				if !strings.Contains(sum, want) {
					t.Errorf("summary lacks %q:\n%s", want, sum)
				}
			}
		})
	}
}

func TestParseAnswerStatement(t *testing.T) {
	from := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	st := truce.AnswerStatement("t1", "movement", "m1", 3, "abc", "p-ru", true, "x", &from, nil)
	f, err := truce.ParseAnswerStatement(st)
	if err != nil {
		t.Fatal(err)
	}
	if !f.Concern || f.Kind != "movement" || f.Record != "m1" || f.Version != 3 || f.Hash != "abc" || f.Party != "p-ru" || f.Window != "2030-01-01T00:00:00Z -" {
		t.Fatalf("parsed %+v", f)
	}
	for _, bad := range []string{"", "truce humanitarian acknowledgement\n", strings.Replace(st, "version 3", "version x", 1), strings.Replace(st, "hash abc", "hash  abc", 1)} {
		if _, err := truce.ParseAnswerStatement(bad); err == nil {
			t.Errorf("parsed %q", bad)
		}
	}
}
