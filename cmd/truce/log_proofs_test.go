package main_test

// Proof files that prove everything they show: the labels of a bundle, the
// parties' signatures inside its bodies, and the witnesses' cosignatures on
// its checkpoint are all checked by `truce log verify-proof` and `truce log
// audit --bodies`, against a real server, a real `truce witness` on its own
// socket, and a decision the server forged in a party's name.

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/ledger"
	"github.com/truce-project/truce/node"
	"github.com/truce-project/truce/postgres/pgtest"
	"golang.org/x/mod/sumdb/note"
)

func TestLogProofs_PartySignaturesAndWitnesses(t *testing.T) {
	t.Run("SQLite", func(t *testing.T) { testLogProofs(t, "") })
	t.Run("PostgreSQL", func(t *testing.T) { testLogProofs(t, pgtest.DSN(t)) })
}

// proofWorld is a server with two guarantors that approved a zone.
type proofWorld struct {
	n                  *node.Node
	url, adminToken    string
	logKey             string
	witness, absent    string             // verifier keys: one cosigns, one never runs
	zone, other, third *truce.ZoneVersion // approved by both
	us, ru             *truce.Caller
	dir                string
}

func newProofWorld(t *testing.T, db string) *proofWorld {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	w := &proofWorld{dir: t.TempDir()}
	witnessKey := func(name string) string {
		key := filepath.Join(w.dir, strings.ReplaceAll(name, "/", "_")+".key")
		if out, errs, code := truceCmd(t, nil, "witness", "--init-key", "--key", key, "--name", name); code != 0 {
			t.Fatalf("witness --init-key: %s %s", out, errs)
		}
		return key
	}
	wkey := witnessKey("witness.test/us")
	w.witness = trimFile(t, wkey+".pub")
	w.absent = trimFile(t, witnessKey("witness.test/ru")+".pub")

	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	data := filepath.Join(w.dir, "data")
	cfg := node.Config{DataDir: data, DB: db, Name: "proofs", Logger: quiet}
	init, err := node.Init(ctx, cfg, node.InitOptions{PartySlug: "secretariat", PartyName: "Secretariat",
		PartyKind: truce.PartyCoordinator, Username: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	w.logKey, w.adminToken = init.LogVerifierKey, init.Token.Secret

	// The witness is the real verb on its own socket.
	waddr := freeAddr(t)
	wcmd := exec.Command(binary, "witness", "--addr", waddr, "--key", wkey, "--state", filepath.Join(w.dir, "wstate.json"), "--log", w.logKey)
	if err := wcmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { wcmd.Process.Kill(); wcmd.Wait() })
	waitUntil(t, "the witness to listen", func() bool {
		c, err := net.Dial("tcp", waddr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	cfg.Witnesses, cfg.WitnessQuorum = []node.Witness{{URL: "http://" + waddr, Key: w.witness}}, 1
	n, err := node.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	w.n = n
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { n.Serve(ctx, ln); n.Close(); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	w.url = "http://" + ln.Addr().String()

	svc := n.Service
	admin := truce.NewContext(ctx, &truce.Caller{User: init.User, Party: init.Party})
	caller := func(slug, name string) *truce.Caller {
		p, err := n.Accounts.CreateParty(admin, truce.PartyCreate{Slug: slug, Name: name, Kind: truce.PartyGuarantor})
		if err != nil {
			t.Fatal(err)
		}
		u, err := n.Accounts.CreateUser(admin, truce.UserCreate{Party: p.ID, Username: slug + "-op", Name: name, Roles: []truce.Role{truce.RoleOperator}})
		if err != nil {
			t.Fatal(err)
		}
		return &truce.Caller{User: u, Party: p}
	}
	w.us, w.ru = caller("us", "United States"), caller("ru", "Russian Federation")
	ag, err := svc.CreateAgreement(admin, truce.AgreementCreate{Title: "Memorandum", Signatories: []string{"us", "ru"},
		EffectiveFrom: time.Date(2017, 7, 9, 9, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SetAgreementStatus(admin, ag.ID, truce.AgreementInForce, 0); err != nil {
		t.Fatal(err)
	}
	approved := func(name string) *truce.ZoneVersion {
		_, v, err := svc.ProposeZone(truce.NewContext(ctx, w.us), truce.ZoneProposal{Agreement: ag.ID, Name: name, Kind: truce.ZoneNoFly,
			Geometry: json.RawMessage(`{"type":"Point","coordinates":[36.5582,33.0773]}`), RadiusM: 10000})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []*truce.Caller{w.us, w.ru} {
			if v, err = svc.DecideZone(truce.NewContext(ctx, c), v.ZoneID, 1, truce.ZoneDecision{Approve: true}); err != nil {
				t.Fatal(err)
			}
		}
		return v
	}
	w.zone, w.other, w.third = approved("No-fly zone"), approved("Another no-fly zone"), approved("A third no-fly zone")
	w.waitCosigned(t)
	return w
}

// waitCosigned waits until a checkpoint cosigned by the witness covers the
// whole journal.
func (w *proofWorld) waitCosigned(t *testing.T) {
	t.Helper()
	policy, err := ledger.NewPolicy(w.logKey, []string{w.witness}, 1)
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "a cosigned checkpoint of every entry", func() bool {
		resp, err := http.Get(w.url + "/log/checkpoint")
		if err != nil {
			return false
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		c, _, err := policy.Verify(b)
		if err != nil {
			return false
		}
		size, err := w.n.Store.JournalSize(context.Background())
		return err == nil && c.Size == size
	})
}

// proof saves `truce log proof KIND ID` as the administrator.
func (w *proofWorld) proof(t *testing.T, kind, id string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), kind+".json")
	if out, errs, code := truceCmd(t, nil, "log", "proof", kind, id, "-o", file, "--url", w.url, "--token", w.adminToken); code != 0 {
		t.Fatalf("log proof: %s %s", out, errs)
	}
	return file
}

// edited writes a copy of the bundle in file changed by change.
func edited(t *testing.T, file string, change func(b map[string]any)) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	change(m)
	if b, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "edited.json")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// rejournal journals, as the server could behind the parties' backs, the
// zone's latest record again as made by the caller as, its version changed
// by change.
func (w *proofWorld) rejournal(t *testing.T, zoneID string, as *truce.Caller, change func(v *truce.ZoneVersion)) {
	t.Helper()
	ctx := context.Background()
	rs, err := w.n.Store.SubjectJournal(ctx, "zone", zoneID)
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(rs[len(rs)-1].Body, &body); err != nil {
		t.Fatal(err)
	}
	var v truce.ZoneVersion
	if err := json.Unmarshal(body["version"], &v); err != nil {
		t.Fatal(err)
	}
	change(&v)
	if body["version"], err = json.Marshal(v); err != nil {
		t.Fatal(err)
	}
	w.journal(t, "zone", zoneID, as, body)
}

// journal appends an entry for the record kind/subject, as made by the
// caller as, behind the services' backs, and waits until it is cosigned.
func (w *proofWorld) journal(t *testing.T, kind, subject string, as *truce.Caller, body any) {
	t.Helper()
	ctx := context.Background()
	sealed, err := truce.Change{Kind: kind, Subject: subject, Body: body}.Seal(as.Party.ID, as.User.ID, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.n.Store.Update(ctx, func(tx truce.Tx) error {
		_, err := tx.Append(ctx, sealed)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	w.n.Ledger.Notify()
	w.waitCosigned(t)
}

// forgedDecisions has Russia's decisions signed by a key that is not
// Russia's but bears its name.
func (w *proofWorld) forgedDecisions(t *testing.T) func(v *truce.ZoneVersion) {
	name, _, _ := strings.Cut(w.ru.Party.PublicKey, "+")
	skey, _, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return func(v *truce.ZoneVersion) {
		found := false
		for i, d := range v.Decisions {
			if d.PartyID != w.ru.Party.ID {
				continue
			}
			statement, err := truce.DecisionStatement(v, d.Approve)
			if err != nil {
				t.Fatal(err)
			}
			forged, err := note.Sign(&note.Note{Text: statement}, signer)
			if err != nil {
				t.Fatal(err)
			}
			v.Decisions[i].Signature, found = string(forged), true
		}
		if !found {
			t.Fatal("no decision of Russia to forge")
		}
	}
}

func testLogProofs(t *testing.T, db string) {
	w := newProofWorld(t, db)
	good := w.proof(t, "zone", w.zone.ZoneID)
	policy := []string{"--key", w.logKey, "--witness", w.witness}
	verify := func(t *testing.T, file string, extra ...string) (string, string, int) {
		t.Helper()
		return truceCmd(t, nil, append(append([]string{"log", "verify-proof", file}, policy...), extra...)...)
	}
	audit := func(t *testing.T, extra ...string) (string, string, int) {
		t.Helper()
		return truceCmd(t, nil, append(append([]string{"log", "audit", w.url}, policy...), extra...)...)
	}

	t.Run("UntouchedBundleVerifies", func(t *testing.T) {
		out, errs, code := verify(t, good)
		if code != 0 {
			t.Fatalf("exit %d: %s %s", code, out, errs)
		}
		for _, want := range []string{
			"signature verified: zone " + w.zone.ZoneID + " version 1 approval by party us (" + w.us.Party.ID + ")",
			"signature verified: zone " + w.zone.ZoneID + " version 1 approval by party ru (" + w.ru.Party.ID + ")",
			"witnesses:  witness.test/us",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
	})

	t.Run("BundleCarriesTheSignersKeys", func(t *testing.T) {
		var b truce.RecordProofs
		raw, _ := os.ReadFile(good)
		if err := json.Unmarshal(raw, &b); err != nil {
			t.Fatal(err)
		}
		if b.Kind != "zone" || len(b.Proofs) != 3 || len(b.PartyKeys) != 2 {
			t.Fatalf("bundle %s %s with %d proofs, %d party keys; want zone, 3, 2", b.Kind, b.Subject, len(b.Proofs), len(b.PartyKeys))
		}
	})

	t.Run("ErrEditedLabel", func(t *testing.T) {
		usProof := w.proof(t, "party", w.us.Party.ID)
		for name, change := range map[string]func(m map[string]any){
			"Kind":           func(m map[string]any) { m["kind"] = "party" },
			"Subject":        func(m map[string]any) { m["subject"] = w.us.Party.ID },
			"KindAndSubject": func(m map[string]any) { m["kind"], m["subject"] = "party", w.us.Party.ID },
			// Another record's entries under this record's labels.
			"Proofs": func(m map[string]any) {
				raw, _ := os.ReadFile(usProof)
				var other map[string]any
				json.Unmarshal(raw, &other)
				m["proofs"] = other["proofs"]
			},
			// Another record's entries given as the signers' key records.
			"PartyKeys": func(m map[string]any) { m["party_keys"] = m["proofs"] },
			// An entry left out: the next one does not follow its predecessor.
			"EntryLeftOut": func(m map[string]any) {
				ps := m["proofs"].([]any)
				m["proofs"] = append([]any{ps[0]}, ps[2:]...)
			},
		} {
			t.Run(name, func(t *testing.T) {
				out, errs, code := verify(t, edited(t, good, change))
				if code != 1 || !strings.Contains(errs, "does NOT verify: label mismatch") {
					t.Fatalf("exit %d: %s %s", code, out, errs)
				}
			})
		}
	})

	t.Run("ErrMissingCosignature", func(t *testing.T) {
		out, errs, code := verify(t, good, "--require-witness", w.absent)
		if code != 1 || !strings.Contains(errs, "no cosignature of the required witness witness.test/ru") {
			t.Fatalf("exit %d: %s %s", code, out, errs)
		}
		// Quorum 1 of the two is met by the witness that cosigned.
		if out, errs, code := verify(t, good, "--witness", w.absent, "--quorum", "1"); code != 0 {
			t.Fatalf("1 of 2: exit %d: %s %s", code, out, errs)
		}
		out, errs, code = audit(t, "--require-witness", w.absent)
		if code != 1 || !strings.Contains(errs, "no cosignature of the required witness witness.test/ru") {
			t.Fatalf("audit: exit %d: %s %s", code, out, errs)
		}
	})

	// `truce log entry` prints the entry's fields: a server that labels the
	// leaf as another record's is refused.
	t.Run("ErrLogEntryLabels", func(t *testing.T) {
		target, _ := url.Parse(w.url)
		proxy := httputil.NewSingleHostReverseProxy(target)
		proxy.ModifyResponse = func(r *http.Response) error {
			b, err := io.ReadAll(r.Body)
			if err != nil {
				return err
			}
			b = []byte(strings.Replace(string(b), `"kind":"zone"`, `"kind":"party"`, 1))
			r.Body, r.ContentLength = io.NopCloser(strings.NewReader(string(b))), int64(len(b))
			r.Header.Del("Content-Length")
			return nil
		}
		lying := httptest.NewServer(proxy)
		defer lying.Close()
		index := fmt.Sprint(w.zone.JournalIndex)
		if out, errs, code := truceCmd(t, nil, "log", "entry", index, "--url", w.url, "--token", w.adminToken, "--key", w.logKey); code != 0 || !strings.Contains(out, "record:    zone "+w.zone.ZoneID) {
			t.Fatalf("untouched: exit %d: %s %s", code, out, errs)
		}
		out, errs, code := truceCmd(t, nil, "log", "entry", index, "--url", lying.URL, "--token", w.adminToken)
		if code != 1 || !strings.Contains(errs, "label mismatch at index "+index) {
			t.Fatalf("relabelled: exit %d: %s %s", code, out, errs)
		}
	})

	t.Run("ErrPartyKeysLeftOut", func(t *testing.T) {
		out, errs, code := verify(t, edited(t, good, func(m map[string]any) { delete(m, "party_keys") }))
		if code != 1 || !strings.Contains(errs, "cannot check a party signature") {
			t.Fatalf("exit %d: %s %s", code, out, errs)
		}
	})

	t.Run("AuditChecksSignatures", func(t *testing.T) {
		// Each zone's first approval is journalled with one decision, its
		// second with both: three signatures per zone, three zones.
		out, errs, code := audit(t, "--bodies", "--token", w.adminToken)
		if code != 0 || !strings.Contains(out, "Party signatures verified with the parties' journalled keys: 9.") {
			t.Fatalf("exit %d: %s %s", code, out, errs)
		}
		if _, errs, code := audit(t, "--bodies", "--token", ""); code != 1 || !strings.Contains(errs, "give the API token") {
			t.Fatalf("--bodies without a token: exit %d: %s", code, errs)
		}
	})

	// Last: the forged entries stay in the log.
	t.Run("ErrForgedPartySignature", func(t *testing.T) {
		w.rejournal(t, w.zone.ZoneID, w.ru, w.forgedDecisions(t))
		forged := w.proof(t, "zone", w.zone.ZoneID)
		want := "party signature does not verify: zone " + w.zone.ZoneID + " version 1 approval by party ru (" + w.ru.Party.ID + ")" +
			": the signature does not verify with the party's key"
		out, errs, code := verify(t, forged)
		if code != 1 || !strings.Contains(errs, want) {
			t.Fatalf("verify-proof: exit %d: %s %s", code, out, errs)
		}
		out, errs, code = audit(t, "--bodies", "--token", w.adminToken)
		if code != 1 || !strings.Contains(errs, "audit failed") || !strings.Contains(errs, want) {
			t.Fatalf("audit: exit %d: %s %s", code, out, errs)
		}
		// Without bodies the audit checks the tree only, which holds.
		if out, errs, code := audit(t); code != 0 {
			t.Fatalf("audit without bodies: exit %d: %s %s", code, out, errs)
		}
	})

	// Russia's key is rotated (its party record journalled anew with a new
	// key): its approval journalled after the rotation verifies with the
	// new key, its earlier ones with the old; the old key's signature
	// presented as an act after the rotation does not.
	t.Run("KeyRotation", func(t *testing.T) {
		name, _, _ := strings.Cut(w.ru.Party.PublicKey, "+")
		skey, vkey, err := note.GenerateKey(rand.Reader, name)
		if err != nil {
			t.Fatal(err)
		}
		signer, err := note.NewSigner(skey)
		if err != nil {
			t.Fatal(err)
		}
		rotated := *w.ru.Party
		rotated.PublicKey, rotated.Custodial = vkey, false
		w.journal(t, "party", rotated.ID, w.ru, &rotated)
		var oldSignature string
		w.rejournal(t, w.third.ZoneID, w.ru, func(v *truce.ZoneVersion) {
			for i, d := range v.Decisions {
				if d.PartyID == w.ru.Party.ID {
					st, _ := truce.DecisionStatement(v, d.Approve)
					msg, err := note.Sign(&note.Note{Text: st}, signer)
					if err != nil {
						t.Fatal(err)
					}
					oldSignature = d.Signature
					v.Decisions[i].Signature, v.Decisions[i].JournalIndex = string(msg), 0
				}
			}
		})
		file := w.proof(t, "zone", w.third.ZoneID)
		out, errs, code := verify(t, file)
		// Russia's approval as first journalled (old key) and as journalled
		// again after the rotation (new key).
		if code != 0 || strings.Count(out, "approval by party ru (") != 2 {
			t.Fatalf("after the rotation: exit %d: %s %s", code, out, errs)
		}
		// Russia's first record left out of the bundle's key records: its
		// history no longer starts at its creation.
		dropRu := func(creation bool) func(m map[string]any) {
			return func(m map[string]any) {
				var keep []any
				for _, p := range m["party_keys"].([]any) {
					e := p.(map[string]any)["entry"].(string)
					ru := strings.Contains(e, `"subject":"`+w.ru.Party.ID+`"`)
					if !ru || strings.Contains(e, `"prev":`) == creation {
						keep = append(keep, p)
					}
				}
				m["party_keys"] = keep
			}
		}
		out, errs, code = verify(t, edited(t, file, dropRu(true)))
		if code != 1 || !strings.Contains(errs, "the key history of party "+w.ru.Party.ID+" is incomplete") {
			t.Fatalf("creation left out: exit %d: %s %s", code, out, errs)
		}
		// The rotation left out: the tail of a history cannot be known
		// offline (the audit sees it), but the new key's signature then
		// fails.
		out, errs, code = verify(t, edited(t, file, dropRu(false)))
		if code != 1 || !strings.Contains(errs, "does not verify with the party's key") {
			t.Fatalf("rotation left out: exit %d: %s %s", code, out, errs)
		}
		// The old key's signature of the same statement, as a new act.
		w.rejournal(t, w.third.ZoneID, w.ru, func(v *truce.ZoneVersion) {
			for i, d := range v.Decisions {
				if d.PartyID == w.ru.Party.ID {
					v.Decisions[i].Signature = oldSignature
				}
			}
		})
		out, errs, code = verify(t, w.proof(t, "zone", w.third.ZoneID))
		if code != 1 || !strings.Contains(errs, "by party ru ("+w.ru.Party.ID+"): the signature does not verify with the party's key (key of entry") {
			t.Fatalf("old key after the rotation: exit %d: %s %s", code, out, errs)
		}
	})

	// An entry that says the United States made Russia's approval: the
	// signatures verify, the entry's party label does not.
	t.Run("ErrEntryPartyIsNotTheSigner", func(t *testing.T) {
		w.rejournal(t, w.other.ZoneID, w.us, func(v *truce.ZoneVersion) {
			for i := range v.Decisions {
				if v.Decisions[i].PartyID == w.ru.Party.ID {
					v.Decisions[i].JournalIndex = 0 // the act of the new entry
				}
			}
		})
		out, errs, code := verify(t, w.proof(t, "zone", w.other.ZoneID))
		want := "label mismatch: entry"
		if code != 1 || !strings.Contains(errs, want) || !strings.Contains(errs, "says party "+w.us.Party.ID) ||
			!strings.Contains(errs, "is by party ru ("+w.ru.Party.ID+")") {
			t.Fatalf("verify-proof: exit %d: %s %s", code, out, errs)
		}
	})
}
