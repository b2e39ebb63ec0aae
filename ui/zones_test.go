package ui_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
)

// TestZonePage_ProposeVersion drives the zone page's forms without a
// browser: a suspension, refused inputs that change nothing, and a change
// that keeps the area in force.
func TestZonePage_ProposeVersion(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	u, err := s.node.Store.Accounts().User(ctx, "us-operator")
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.node.Store.Accounts().Party(ctx, u.PartyID)
	if err != nil {
		t.Fatal(err)
	}
	us := truce.NewContext(ctx, &truce.Caller{User: u, Party: p})
	ag, err := s.node.Service.CreateAgreement(us, truce.AgreementCreate{Title: "Test", Signatories: []string{p.ID}, EffectiveFrom: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.node.Service.SetAgreementStatus(us, ag.ID, truce.AgreementInForce, 0); err != nil {
		t.Fatal(err)
	}
	z, _, err := s.node.Service.ProposeZone(us, truce.ZoneProposal{Agreement: ag.ID, Name: "Box", Kind: truce.ZoneNoFly, Ceiling: "FL200",
		Geometry: json.RawMessage(`{"type":"Polygon","coordinates":[[[36,33],[36.2,33],[36.2,33.2],[36,33.2],[36,33]]]}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.node.Service.DecideZone(us, z.ID, 1, truce.ZoneDecision{Approve: true}); err != nil {
		t.Fatal(err)
	}
	c := client(t)
	_, csrf := login(t, s, c, "us-operator", "us-password-1")
	_, page := get(t, c, s.url+"/zones/"+z.ID)
	if !strings.Contains(page, `id="zone-change-form"`) || !strings.Contains(page, `value="6096m"`) {
		t.Fatalf("the zone page offers no change form filled from the version in force")
	}
	post := func(form url.Values) (int, string) {
		t.Helper()
		form.Set("csrf", csrf)
		resp, err := c.PostForm(s.url+"/zones/"+z.ID+"/versions", form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(b)
	}
	for name, form := range map[string]url.Values{
		"NoAction":          {},
		"BadTime":           {"action": {"suspend"}, "effective_from": {"yesterday"}},
		"ChangeNoVersion":   {"action": {"change"}, "name": {"Box"}, "kind": {"no_fly"}},
		"ChangeStale":       {"action": {"change"}, "zone_version": {"1"}, "name": {"Box"}, "kind": {"no_fly"}},
		"ChangeCollection":  {"action": {"change"}, "zone_version": {"2"}, "name": {"Box"}, "kind": {"no_fly"}, "geometry": {`{"type":"FeatureCollection","features":[]}`}},
		"ChangeBadGeometry": {"action": {"change"}, "zone_version": {"2"}, "name": {"Box"}, "kind": {"no_fly"}, "geometry": {`{"type":"Polygon","coordinates":[[[36,33],[36.2,33]]]}`}},
	} {
		before, _ := s.node.Store.JournalSize(ctx)
		if status, body := post(form); status < 400 || status >= 500 {
			t.Errorf("%s: %d %.200s", name, status, body)
		}
		if after, _ := s.node.Store.JournalSize(ctx); after != before {
			t.Errorf("%s: refused, yet the journal grew", name)
		}
	}
	zz, err := s.node.Service.FindZone(us, z.ID)
	if err != nil {
		t.Fatal(err)
	}
	status, body := post(url.Values{"action": {"change"}, "zone_version": {itoa64(zz.Version)}, "name": {"Box"}, "kind": {"no_fly"}, "ceiling": {"FL100"}})
	if status != http.StatusSeeOther {
		t.Fatalf("change: %d %.300s", status, body)
	}
	hist, err := s.node.Service.ZoneHistory(us, z.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || hist[1].Action != truce.ZoneChange || hist[1].BBox != hist[0].BBox || hist[1].Spec.CeilingM == nil || *hist[1].Spec.CeilingM != 3048 {
		t.Fatalf("after the change: %d versions, last %+v", len(hist), hist[len(hist)-1].Spec)
	}
	if _, err := s.node.Service.DecideZone(us, z.ID, 2, truce.ZoneDecision{Approve: true}); err != nil {
		t.Fatal(err)
	}
	if status, body := post(url.Values{"action": {"suspend"}, "note": {"talks"}}); status != http.StatusSeeOther {
		i := strings.Index(body, "<main")
		t.Fatalf("suspension: %d %.600s", status, body[max(i, 0):])
	}
	hist, _ = s.node.Service.ZoneHistory(us, z.ID)
	if v := hist[len(hist)-1]; v.Action != truce.ZoneSuspension || v.Note != "talks" || v.Status != truce.VersionProposed {
		t.Fatalf("suspension version %s %q %s", v.Action, v.Note, v.Status)
	}
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
