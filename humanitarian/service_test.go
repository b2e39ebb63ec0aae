package humanitarian_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/humanitarian"
	"golang.org/x/mod/sumdb/note"
)

// TestSiteService_Notify files a site and checks that it and one
// transmission per other signatory are journalled together, with the
// P-codes of Dar'a, and that a short notice is flagged late, not refused.
func TestSiteService_Notify(t *testing.T) {
	for name, open := range openers {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, open(t))
			before := w.journalSize(t)
			site := must[*humanitarian.Site](t)(w.svc.NotifySite(w.sarc, humanitarian.SiteCreate{AgreementID: w.ag.ID, SiteFields: hospital(time.Now().Add(72 * time.Hour))}))
			if site.Version != 1 || site.Status != humanitarian.SiteActive || site.PartyID != w.parties["sarc"].ID {
				t.Fatalf("site = %+v", site)
			}
			if !slices.Equal(site.PCodes, []string{"SY12", "SY1200"}) {
				t.Errorf("pcodes = %v, want [SY12 SY1200] (Dar'a governorate and district)", site.PCodes)
			}
			if site.Notice.Late {
				t.Errorf("72 h of notice flagged late against a 48 h lead time")
			}
			if h, _ := humanitarian.VersionHash(site); h != site.Hash || len(h) != 64 {
				t.Errorf("hash %q, recomputed %q", site.Hash, h)
			}
			// The site and its three transmissions are four entries of one
			// write: consecutive, the site's first.
			if got := w.journalSize(t) - before; got != 4 {
				t.Fatalf("journal grew by %d, want 4", got)
			}
			recs, err := w.st.Journal(context.Background(), before, before+4)
			if err != nil {
				t.Fatal(err)
			}
			if recs[0].Entry.Kind != "site" || recs[0].Entry.Subject != site.ID || recs[0].Index != site.JournalIndex {
				t.Errorf("first entry %+v", recs[0].Entry)
			}
			to := map[string]bool{}
			for _, r := range recs[1:] {
				if r.Entry.Kind != "transmission" || !strings.Contains(string(r.Body), site.Hash) {
					t.Errorf("entry %d: %s %s", r.Index, r.Entry.Kind, r.Body)
				}
			}
			for _, slug := range []string{"ga", "gb", "gc"} {
				in, _, err := w.svc.Inbox(w.ctx(slug), "", "", 0)
				if err != nil {
					t.Fatal(err)
				}
				if len(in) != 1 || in[0].RecordID != site.ID || in[0].Hash != site.Hash || in[0].State != humanitarian.Pending {
					t.Fatalf("%s inbox = %+v", slug, in)
				}
				if d := in[0].Deadline.Sub(in[0].SentAt); d != humanitarian.DefaultAckWindow {
					t.Errorf("deadline %v after sending", d)
				}
				to[in[0].To] = true
			}
			if len(to) != 3 {
				t.Errorf("transmitted to %v", to)
			}
			if in, _, _ := w.svc.Inbox(w.sarc, "", "", 0); len(in) != 0 {
				t.Errorf("the notifying party got its own notification: %+v", in)
			}

			late := must[*humanitarian.Site](t)(w.svc.NotifySite(w.sarc, humanitarian.SiteCreate{AgreementID: w.ag.ID, SiteFields: hospital(time.Now().Add(time.Hour))}))
			if !late.Notice.Late {
				t.Errorf("one hour of notice not flagged late")
			}
			in, _, _ := w.svc.Inbox(w.ga, "", "", 0)
			if len(in) != 2 || !in[1].Late {
				t.Errorf("late flag not on the transmission: %+v", in)
			}
		})
	}
}

func (w *world) ctx(slug string) context.Context {
	switch slug {
	case "ga":
		return w.ga
	case "gb":
		return w.gb
	case "gc":
		return w.gc
	case "sarc":
		return w.sarc
	}
	return w.admin
}

// TestSiteService_Refused checks that bad input and the wrong caller are
// refused with their codes and change nothing.
func TestSiteService_Refused(t *testing.T) {
	w := newWorld(t, openers["SQLite"](t))
	before := w.journalSize(t)
	from := time.Now().Add(72 * time.Hour)
	cases := []struct {
		name string
		ctx  context.Context
		edit func(f *humanitarian.SiteFields)
		code string
	}{
		{"GuarantorNotifies", w.ga, func(*humanitarian.SiteFields) {}, truce.EFORBIDDEN},
		{"LatitudeOutOfRange", w.sarc, func(f *humanitarian.SiteFields) {
			f.Geometry = []byte(`{"type":"Point","coordinates":[36.1,120]}`)
		}, truce.EINVALID},
		{"SelfCrossingPolygon", w.sarc, func(f *humanitarian.SiteFields) {
			f.Geometry = []byte(`{"type":"Polygon","coordinates":[[[36,32],[36.1,32.1],[36.1,32],[36,32.1],[36,32]]]}`)
		}, truce.EINVALID},
		{"LineString", w.sarc, func(f *humanitarian.SiteFields) {
			f.Geometry = []byte(`{"type":"LineString","coordinates":[[36,32],[36.1,32.1]]}`)
		}, truce.EINVALID},
		{"ValidityEndsBeforeStart", w.sarc, func(f *humanitarian.SiteFields) {
			end := f.ValidFrom.Add(-time.Hour)
			f.ValidTo = &end
		}, truce.EINVALID},
		{"UnknownCategory", w.sarc, func(f *humanitarian.SiteFields) { f.Category = "bunker" }, truce.EINVALID},
		{"BufferTooWide", w.sarc, func(f *humanitarian.SiteFields) { f.BufferM = 60_000 }, truce.EINVALID},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := hospital(from)
			c.edit(&f)
			_, err := w.svc.NotifySite(c.ctx, humanitarian.SiteCreate{AgreementID: w.ag.ID, SiteFields: f})
			wantCode(t, c.name, err, c.code)
		})
	}
	_, err := w.svc.NotifySite(w.sarc, humanitarian.SiteCreate{AgreementID: "no-such", SiteFields: hospital(from)})
	wantCode(t, "unknown agreement", err, truce.ENOTFOUND)
	if n := w.journalSize(t); n != before {
		t.Errorf("refused notifications journalled %d entries", n-before)
	}
}

// TestTransmission_Answer answers transmissions: a custodial party's
// acknowledgement is signed on the server, a concern carries text and a
// window, a party holding its own key signs the statement itself; a
// forged signature, answering for another party, a superseded version and
// a window ending before it starts are refused and change nothing.
func TestTransmission_Answer(t *testing.T) {
	for name, open := range openers {
		t.Run(name, func(t *testing.T) { testAnswer(t, newWorld(t, open(t))) })
	}
}

func testAnswer(t *testing.T, w *world) {
	site := must[*humanitarian.Site](t)(w.svc.NotifySite(w.sarc, humanitarian.SiteCreate{AgreementID: w.ag.ID, SiteFields: hospital(time.Now().Add(72 * time.Hour))}))
	inbox := func(slug string) *humanitarian.Transmission {
		t.Helper()
		in, _, err := w.svc.Inbox(w.ctx(slug), "", "", 0)
		if err != nil || len(in) != 1 {
			t.Fatalf("%s inbox: %v %+v", slug, err, in)
		}
		return in[0]
	}
	ta, tb, tc := inbox("ga"), inbox("gb"), inbox("gc")
	before := w.journalSize(t)

	// Refused, changing nothing.
	_, err := w.svc.Answer(w.gb, ta.ID, humanitarian.AnswerInput{})
	wantCode(t, "answering as another party", err, truce.EFORBIDDEN)
	_, err = w.svc.Answer(w.sarc, ta.ID, humanitarian.AnswerInput{})
	wantCode(t, "a humanitarian user answering", err, truce.EFORBIDDEN)
	from := time.Now().Add(time.Hour)
	to := from.Add(-time.Minute)
	_, err = w.svc.Answer(w.gb, tb.ID, humanitarian.AnswerInput{Concern: true, Text: "operations", WindowFrom: &from, WindowTo: &to})
	wantCode(t, "window ending before it starts", err, truce.EINVALID)
	_, err = w.svc.Answer(w.gc, tc.ID, humanitarian.AnswerInput{})
	wantCode(t, "own-key party without a signature", err, truce.EINVALID)
	forger, _ := note.NewSigner(mustKey(t, "gc"))
	forged, _ := note.Sign(&note.Note{Text: humanitarian.Statement(tc, humanitarian.AnswerInput{})}, forger)
	_, err = w.svc.Answer(w.gc, tc.ID, humanitarian.AnswerInput{Signature: string(forged)})
	wantCode(t, "forged signature", err, truce.EUNPROCESSABLE)
	signer, err := note.NewSigner(w.gcKey)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := note.Sign(&note.Note{Text: humanitarian.Statement(ta, humanitarian.AnswerInput{})}, signer)
	_, err = w.svc.Answer(w.gc, tc.ID, humanitarian.AnswerInput{Signature: string(other)})
	wantCode(t, "a signature over another transmission's statement", err, truce.EUNPROCESSABLE)
	if n := w.journalSize(t); n != before {
		t.Fatalf("refused answers journalled %d entries", n-before)
	}

	// A custodial acknowledgement, signed on the server with ga's key.
	ack := must[*humanitarian.Transmission](t)(w.svc.Answer(w.ga, ta.ID, humanitarian.AnswerInput{}))
	if ack.State != humanitarian.Acknowledged || ack.Answer == nil || ack.Answer.Overdue {
		t.Fatalf("ack = %+v", ack)
	}
	if err := humanitarian.VerifyAnswer(ack.Answer.Signature, humanitarian.Statement(ta, humanitarian.AnswerInput{}), w.parties["ga"].PublicKey); err != nil {
		t.Errorf("server-signed acknowledgement does not verify: %v", err)
	}
	if !strings.Contains(ack.Answer.Signature, site.Hash) || !strings.Contains(ack.Answer.Signature, humanitarian.ReceiptNotPermission) {
		t.Errorf("signed note does not name the version hash and receipt: %s", ack.Answer.Signature)
	}
	_, err = w.svc.Answer(w.ga, ta.ID, humanitarian.AnswerInput{})
	wantCode(t, "answering twice", err, truce.ECONFLICT)

	// A concern with a window.
	to = from.Add(6 * time.Hour)
	concern := humanitarian.AnswerInput{Concern: true, Text: "Active operations near the southern road until dawn.", WindowFrom: &from, WindowTo: &to}
	c := must[*humanitarian.Transmission](t)(w.svc.Answer(w.gb, tb.ID, concern))
	if c.State != humanitarian.Concern || c.Answer.Text != concern.Text || !c.Answer.WindowTo.Equal(to.UTC().Truncate(time.Microsecond)) {
		t.Fatalf("concern = %+v", c.Answer)
	}

	// The board: ga acknowledged, gb raised a concern, gc is silent.
	b := must[*humanitarian.Board](t)(w.svc.Board(w.sarc, site.ID, 0))
	states := map[string]string{}
	for _, r := range b.Rows {
		states[r.Slug] = r.State
	}
	if want := map[string]string{"ga": "acknowledged", "gb": "concern", "gc": "silent"}; !mapsEqual(states, want) || !b.Current {
		t.Errorf("board = %v (current %v), want %v", states, b.Current, want)
	}

	// A move is a new version, notified again; v1's transmission to gc is
	// superseded and no longer answerable, and gc's inbox holds v2's.
	moved := hospital(time.Now().Add(72 * time.Hour))
	moved.Geometry = []byte(`{"type":"Point","coordinates":[36.25072,32.86709]}`) // Izra'
	v2 := must[*humanitarian.Site](t)(w.svc.UpdateSite(w.sarc, site.ID, 1, humanitarian.SiteUpdate{SiteFields: moved}))
	if v2.Version != 2 || v2.Hash == site.Hash || !slices.Contains(v2.PCodes, "SY1203") {
		t.Fatalf("v2 = version %d hash %s pcodes %v", v2.Version, v2.Hash, v2.PCodes)
	}
	statement := humanitarian.Statement(tc, humanitarian.AnswerInput{})
	signed, _ := note.Sign(&note.Note{Text: statement}, signer)
	_, err = w.svc.Answer(w.gc, tc.ID, humanitarian.AnswerInput{Signature: string(signed)})
	wantCode(t, "acknowledging a superseded version", err, truce.ECONFLICT)
	tc2 := inbox("gc")
	if tc2.RecordVersion != 2 || tc2.Hash != v2.Hash {
		t.Fatalf("gc's inbox holds %+v, want version 2", tc2)
	}
	statement = must[string](t)(w.svc.AnswerStatement(w.gc, tc2.ID, humanitarian.AnswerInput{}))
	signed, _ = note.Sign(&note.Note{Text: statement}, signer)
	got := must[*humanitarian.Transmission](t)(w.svc.Answer(w.gc, tc2.ID, humanitarian.AnswerInput{Signature: string(signed)}))
	if got.Answer.Signature != string(signed) {
		t.Errorf("own-key signature not kept as sent")
	}
	_, err = w.svc.UpdateSite(w.sarc, site.ID, 1, humanitarian.SiteUpdate{SiteFields: moved})
	wantCode(t, "update from a stale version", err, truce.EPRECONDITION)
	_, err = w.svc.UpdateSite(w.ga, site.ID, 0, humanitarian.SiteUpdate{SiteFields: moved})
	wantCode(t, "a guarantor updating the site", err, truce.EFORBIDDEN)

	// A closure is a version too.
	v3 := must[*humanitarian.Site](t)(w.svc.CloseSite(w.sarc, site.ID, 2))
	if v3.Status != humanitarian.SiteClosed || v3.Version != 3 || v3.ValidTo == nil {
		t.Fatalf("closed = %+v", v3)
	}
	vs := must[[]*humanitarian.Site](t)(w.svc.SiteVersions(w.ga, site.ID))
	if len(vs) != 3 || vs[0].Hash != site.Hash || vs[2].Change != "closed" {
		t.Errorf("versions: %d", len(vs))
	}
	old := must[*humanitarian.Board](t)(w.svc.Board(w.ga, site.ID, 1))
	if old.Current || len(old.Rows) != 3 {
		t.Errorf("v1 board current=%v rows=%d", old.Current, len(old.Rows))
	}
}

func mustKey(t *testing.T, name string) string {
	skey, _, err := note.GenerateKey(nil, name)
	if err != nil {
		t.Fatal(err)
	}
	return skey
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// failingTx fails the second transmission's write.
type failingStore struct {
	humanitarian.Store
	n int
}

func (f *failingStore) Update(ctx context.Context, fn func(humanitarian.Tx) error) error {
	return f.Store.Update(ctx, func(tx humanitarian.Tx) error { return fn(&failingTx{tx, f}) })
}

type failingTx struct {
	humanitarian.Tx
	f *failingStore
}

var errBoom = errors.New("disk on fire")

func (t *failingTx) PutTransmission(ctx context.Context, tr *humanitarian.Transmission) error {
	t.f.n++
	if t.f.n == 2 {
		return errBoom
	}
	return t.Tx.PutTransmission(ctx, tr)
}

// TestSiteService_TransmissionInSameTransaction fails a notification's
// second transmission and checks that neither the site nor any
// transmission nor any entry was recorded: no site is recorded without
// its transmissions.
func TestSiteService_TransmissionInSameTransaction(t *testing.T) {
	w := newWorld(t, openers["SQLite"](t))
	before := w.journalSize(t)
	w.svc.Store = &failingStore{Store: w.st.Humanitarian()}
	_, err := w.svc.NotifySite(w.sarc, humanitarian.SiteCreate{AgreementID: w.ag.ID, SiteFields: hospital(time.Now())})
	if err == nil || !strings.Contains(err.Error(), errBoom.Error()) {
		t.Fatalf("notify: %v, want the failure", err)
	}
	w.svc.Store = w.st.Humanitarian()
	if n := w.journalSize(t); n != before {
		t.Errorf("%d entries journalled", n-before)
	}
	sites := must[[]*humanitarian.Site](t)(w.st.Humanitarian().Sites(context.Background(), humanitarian.SiteFilter{}))
	ts := must[[]*humanitarian.Transmission](t)(w.st.Humanitarian().Transmissions(context.Background(), humanitarian.TransmissionFilter{}))
	if len(sites) != 0 || len(ts) != 0 {
		t.Errorf("%d sites and %d transmissions stored", len(sites), len(ts))
	}
}

// TestTransmission_SignatureInJournal checks that the journalled answer is
// what an offline verifier checks: truce.SignaturesInBody rebuilds the
// statement from the body, and the signed note verifies with the party's
// key (a concern's text with stray spaces included, signed as stored).
func TestTransmission_SignatureInJournal(t *testing.T) {
	w := newWorld(t, openers["SQLite"](t))
	must[*humanitarian.Site](t)(w.svc.NotifySite(w.sarc, humanitarian.SiteCreate{AgreementID: w.ag.ID, SiteFields: hospital(time.Now().Add(72 * time.Hour))}))
	in, _, _ := w.svc.Inbox(w.gb, "", "", 0)
	from := time.Now().Add(time.Hour)
	got := must[*humanitarian.Transmission](t)(w.svc.Answer(w.gb, in[0].ID, humanitarian.AnswerInput{Concern: true, Text: "  Operations near the road. ", WindowFrom: &from}))
	rs, err := w.st.SubjectJournal(context.Background(), "transmission", got.ID)
	if err != nil || len(rs) != 2 {
		t.Fatalf("%d entries, %v", len(rs), err)
	}
	sigs, err := truce.SignaturesInBody("transmission", rs[1].Index, rs[1].Body)
	if err != nil || len(sigs) != 1 || sigs[0].Party != w.parties["gb"].ID {
		t.Fatalf("signatures %+v, %v", sigs, err)
	}
	if err := humanitarian.VerifyAnswer(sigs[0].Note, sigs[0].Statement, w.parties["gb"].PublicKey); err != nil {
		t.Errorf("the journalled answer does not verify: %v", err)
	}
	if sigs, _ := truce.SignaturesInBody("transmission", rs[0].Index, rs[0].Body); len(sigs) != 0 {
		t.Errorf("an unanswered transmission carries %d signatures", len(sigs))
	}
}

// TestTransmission_AcknowledgeAll acknowledges a party's inbox in one
// write, all or none.
func TestTransmission_AcknowledgeAll(t *testing.T) {
	for name, open := range openers {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, open(t))
			for range 3 {
				must[*humanitarian.Site](t)(w.svc.NotifySite(w.sarc, humanitarian.SiteCreate{AgreementID: w.ag.ID, SiteFields: hospital(time.Now().Add(72 * time.Hour))}))
			}
			ids := func(slug string) []string {
				in, _, err := w.svc.Inbox(w.ctx(slug), "", "", 0)
				if err != nil {
					t.Fatal(err)
				}
				var out []string
				for _, x := range in {
					out = append(out, x.ID)
				}
				return out
			}
			a, b := ids("ga"), ids("gb")
			before := w.journalSize(t)
			_, err := w.svc.AcknowledgeAll(w.ga, append(a[:2:2], b[0]))
			wantCode(t, "a batch with another party's transmission", err, truce.EFORBIDDEN)
			_, err = w.svc.AcknowledgeAll(w.gc, ids("gc"))
			wantCode(t, "an own-key party's batch", err, truce.EINVALID)
			_, err = w.svc.AcknowledgeAll(w.ga, []string{a[0], a[0]})
			wantCode(t, "a transmission listed twice", err, truce.EINVALID)
			must[*humanitarian.Transmission](t)(w.svc.Answer(w.ga, a[2], humanitarian.AnswerInput{}))
			before++
			_, err = w.svc.AcknowledgeAll(w.ga, a)
			wantCode(t, "a batch with an answered transmission", err, truce.ECONFLICT)
			if n := w.journalSize(t); n != before {
				t.Fatalf("refused batches journalled %d entries", n-before)
			}
			got := must[[]*humanitarian.Transmission](t)(w.svc.AcknowledgeAll(w.ga, a[:2]))
			if len(got) != 2 || got[0].State != humanitarian.Acknowledged || got[1].Answer == nil {
				t.Fatalf("batch = %+v", got)
			}
			if n := w.journalSize(t); n != before+2 {
				t.Errorf("batch journalled %d entries, want 2", n-before)
			}
			if left := ids("ga"); len(left) != 0 {
				t.Errorf("ga's inbox still holds %v", left)
			}
		})
	}
}
