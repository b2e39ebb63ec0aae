package storetest

import (
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/humanitarian"
	"github.com/truce-project/truce/zones"
)

// HumanitarianStore is a store with humanitarian's view of it.
type HumanitarianStore interface {
	Store
	Humanitarian() humanitarian.Store
}

// RunHumanitarian checks humanitarian.Store: versions of a site kept
// whole, a write from a stale version refused, the inbox holding only
// the pending transmissions of sites' latest versions, and filters.
func RunHumanitarian(t *testing.T, open func(t testing.TB) HumanitarianStore) {
	t.Run("SitesAndTransmissions", func(t *testing.T) { testHumanitarian(t, open(t)) })
}

func testHumanitarian(t *testing.T, st HumanitarianStore) {
	h := st.Humanitarian()
	sarc, ga, gb := NewParty(t, st, "sarc"), NewParty(t, st, "ga"), NewParty(t, st, "gb")
	now := time.Now().UTC().Truncate(time.Microsecond)
	ag := &truce.Agreement{ID: id(), Title: "A", Signatories: []string{ga.ID, gb.ID}, Status: truce.AgreementInForce, EffectiveFrom: now, Version: 1}
	if err := st.ZoneStore().Update(ctx, func(tx zones.Tx) error {
		i, err := tx.Append(ctx, change("agreement", ag.ID, ag))
		ag.JournalIndex = i
		if err != nil {
			return err
		}
		return tx.PutAgreement(ctx, ag)
	}); err != nil {
		t.Fatal(err)
	}
	put := func(s *humanitarian.Site, ts ...*humanitarian.Transmission) error {
		return h.Update(ctx, func(tx humanitarian.Tx) error {
			if _, err := tx.Append(ctx, change("site", s.ID, s)); err != nil {
				return err
			}
			if err := tx.PutSite(ctx, s); err != nil {
				return err
			}
			for _, tr := range ts {
				if err := tx.PutTransmission(ctx, tr); err != nil {
					return err
				}
			}
			return nil
		})
	}
	site := func(sid string, v int64, lon, lat float64) *humanitarian.Site {
		return &humanitarian.Site{ID: sid, AgreementID: ag.ID, PartyID: sarc.ID, Status: humanitarian.SiteActive, Version: v,
			BBox: truce.BBox{lon - 0.01, lat - 0.01, lon + 0.01, lat + 0.01}, Hash: "h" + string(rune('0'+v)),
			SiteFields: humanitarian.SiteFields{Name: "Site", Category: humanitarian.Hospital, ValidFrom: now}}
	}
	trans := func(s *humanitarian.Site, to string) *humanitarian.Transmission {
		return &humanitarian.Transmission{ID: id(), Kind: humanitarian.KindSite, RecordID: s.ID, RecordVersion: s.Version, Hash: s.Hash, To: to, From: sarc.ID,
			AgreementID: ag.ID, SentAt: now, Deadline: now.Add(time.Hour), State: humanitarian.Pending, Version: 1}
	}
	dar, quneitra := id(), id()
	d1 := site(dar, 1, 36.10, 32.62)
	ta1, tb1 := trans(d1, ga.ID), trans(d1, gb.ID)
	if err := put(d1, ta1, tb1); err != nil {
		t.Fatal(err)
	}
	q1 := site(quneitra, 1, 35.82, 33.13)
	tq := trans(q1, ga.ID)
	if err := put(q1, tq); err != nil {
		t.Fatal(err)
	}
	inbox := func(to string) []string {
		t.Helper()
		ts, err := h.Transmissions(ctx, humanitarian.TransmissionFilter{To: to, Pending: true})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, x := range ts {
			ids = append(ids, x.ID)
		}
		return ids
	}
	if got := inbox(ga.ID); len(got) != 2 || got[0] != ta1.ID || got[1] != tq.ID {
		t.Fatalf("ga's inbox = %v, want [%s %s]", got, ta1.ID, tq.ID)
	}

	// ga answers; version 2 of Dar'a supersedes tb1.
	ta1.State, ta1.Version = humanitarian.Acknowledged, 2
	if err := h.Update(ctx, func(tx humanitarian.Tx) error {
		if _, err := tx.Append(ctx, change("transmission", ta1.ID, ta1)); err != nil {
			return err
		}
		return tx.PutTransmission(ctx, ta1)
	}); err != nil {
		t.Fatal(err)
	}
	d2 := site(dar, 2, 36.25, 32.87)
	tb2 := trans(d2, gb.ID)
	if err := put(d2, tb2); err != nil {
		t.Fatal(err)
	}
	if got := inbox(ga.ID); len(got) != 1 || got[0] != tq.ID {
		t.Errorf("ga's inbox after answering = %v", got)
	}
	if got := inbox(gb.ID); len(got) != 1 || got[0] != tb2.ID {
		t.Errorf("gb's inbox after version 2 = %v, want only %s", got, tb2.ID)
	}

	// Stale writes are refused and the transaction rolled back.
	if err := put(site(dar, 2, 0, 0), trans(d2, ga.ID)); truce.ErrorCode(err) != truce.EPRECONDITION && truce.ErrorCode(err) != truce.ECONFLICT {
		t.Errorf("a second version 2: %v, want EPRECONDITION", err)
	}
	stale := *ta1
	stale.State = humanitarian.Concern
	if err := h.Update(ctx, func(tx humanitarian.Tx) error {
		if _, err := tx.Append(ctx, change("transmission", stale.ID, stale)); err != nil {
			return err
		}
		return tx.PutTransmission(ctx, &stale)
	}); truce.ErrorCode(err) != truce.EPRECONDITION {
		t.Errorf("a stale transmission write: %v, want EPRECONDITION", err)
	}

	got, err := h.Site(ctx, dar)
	if err != nil || got.Version != 2 || got.Hash != d2.Hash {
		t.Fatalf("site = %+v, %v", got, err)
	}
	vs, err := h.SiteVersions(ctx, dar)
	if err != nil || len(vs) != 2 || vs[0].Hash != d1.Hash || vs[1].Hash != d2.Hash {
		t.Fatalf("versions = %v, %v", vs, err)
	}
	if v, err := h.SiteVersion(ctx, dar, 1); err != nil || v.BBox != d1.BBox {
		t.Errorf("version 1 = %+v, %v", v, err)
	}
	if _, err := h.SiteVersion(ctx, dar, 3); truce.ErrorCode(err) != truce.ENOTFOUND {
		t.Errorf("version 3: %v", err)
	}
	if _, err := h.SiteVersions(ctx, id()); truce.ErrorCode(err) != truce.ENOTFOUND {
		t.Errorf("versions of no site: %v", err)
	}
	board, err := h.Transmissions(ctx, humanitarian.TransmissionFilter{RecordID: dar, RecordVersion: 1})
	if err != nil || len(board) != 2 {
		t.Errorf("version 1's transmissions = %d, %v", len(board), err)
	}
	// The bbox filter finds Quneitra alone around Quneitra.
	near, err := h.Sites(ctx, humanitarian.SiteFilter{BBox: &truce.BBox{35.7, 33.0, 35.9, 33.2}})
	if err != nil || len(near) != 1 || near[0].ID != quneitra {
		t.Errorf("sites near Quneitra = %v, %v", near, err)
	}
	all, err := h.Sites(ctx, humanitarian.SiteFilter{Agreement: ag.ID, Party: sarc.ID, Limit: 1})
	if err != nil || len(all) != 1 {
		t.Errorf("a page of one = %v, %v", all, err)
	}
}
