package ledger_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce/ledger"
	"golang.org/x/mod/sumdb/tlog"
)

func TestRecordProof(t *testing.T) {
	ctx := context.Background()
	skey, vkey := newLogKey(t, "truce.example/log")
	w := startWitness(t, "w.example", vkey, filepath.Join(t.TempDir(), "w.json"))
	wv, _ := ledger.NewCosignatureVerifier(w.vkey)
	m := ledger.NewMemStorage()
	body := []byte(`{"site":"hospital","lat":33.5}`)
	salt := []byte("0123456789abcdef0123456789abcdef")
	var entry []byte
	for i := 0; i < 40; i++ {
		e := fmt.Appendf(nil, `{"body_hash":"%s","kind":"site.notified","n":%d}`, ledger.BodyHash(salt, fmt.Appendf(nil, "%s%d", body, i)), i)
		if i == 17 {
			e = fmt.Appendf(nil, `{"body_hash":"%s","kind":"site.notified","n":%d}`, ledger.BodyHash(salt, body), i)
			entry = e
		}
		m.Append(e)
	}
	l, _ := ledger.NewLog(m, skey, ledger.LogOptions{Now: func() time.Time { return time.Unix(1_700_000_000, 0) }, Witnesses: []*ledger.WitnessClient{{URL: w.url, Verifier: wv}}})
	signed, _, err := l.Sign(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ledger.NewProof(ctx, m, 17, signed)
	if err != nil {
		t.Fatal(err)
	}
	p.Extra = []byte("context")
	// The tlog-proof text round-trips.
	again, err := ledger.ParseProof(p.Marshal())
	if err != nil || string(again.Marshal()) != string(p.Marshal()) || again.Index != 17 || string(again.Extra) != "context" {
		t.Fatalf("round trip: %+v, %v", again, err)
	}
	policy, _ := ledger.NewPolicy(vkey, []string{w.vkey}, 1)
	idx, c, err := ledger.VerifyProof(p.Marshal(), tlog.RecordHash(entry), policy)
	if err != nil || idx != 17 || c.Size != 40 {
		t.Fatalf("VerifyProof = %d, %+v, %v", idx, c, err)
	}

	full, _ := ledger.NewRecordProof(p, entry, body, salt)
	redacted, _ := ledger.NewRecordProof(p, entry, nil, nil)
	otherEntry, _ := m.ReadEntries(ctx, 18, 19)
	wrongEntry, _ := ledger.NewRecordProof(p, otherEntry[0], nil, nil)
	wrongBody, _ := ledger.NewRecordProof(p, entry, []byte(`{"site":"school","lat":33.5}`), salt)
	wrongSalt, _ := ledger.NewRecordProof(p, entry, body, []byte("other salt"))
	p2 := p
	p2.Index = 18
	wrongIndex, _ := ledger.NewRecordProof(p2, entry, nil, nil)
	strict, _ := ledger.NewPolicy(vkey, []string{w.vkey}, 1)
	tests := []struct {
		name     string
		rp       *ledger.RecordProof
		policy   ledger.Policy
		wantErr  error
		wantBody bool
	}{
		{"Full", full, policy, nil, true},
		{"Redacted", redacted, policy, nil, false},
		{"WrongEntry", wrongEntry, policy, ledger.ErrProof, false},
		{"WrongIndex", wrongIndex, policy, ledger.ErrProof, false},
		{"WrongBody", wrongBody, strict, ledger.ErrBodyHash, false},
		{"WrongSalt", wrongSalt, strict, ledger.ErrBodyHash, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, _ := json.Marshal(tt.rp)
			res, err := ledger.VerifyRecordProof(b, tt.policy)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Index != 17 || res.BodyVerified != tt.wantBody || string(res.Entry) != string(entry) {
				t.Fatalf("result %+v", res)
			}
		})
	}
	// A policy asking for a witness the checkpoint lacks rejects it.
	_, lonely, err := ledger.GenerateCosignerKey(rand.Reader, "lonely.example")
	if err != nil {
		t.Fatal(err)
	}
	twoOfTwo, _ := ledger.NewPolicy(vkey, []string{w.vkey, lonely}, 2)
	if _, _, err := ledger.VerifyProof(p.Marshal(), tlog.RecordHash(entry), twoOfTwo); !errors.Is(err, ledger.ErrPolicy) {
		t.Fatalf("2 of 2 witnesses with one cosignature: err = %v, want ErrPolicy", err)
	}
	// Quorum 1 holds with w's cosignature, but not once the lonely witness
	// is required; requiring w, which cosigned, keeps it valid.
	oneOfTwo, _ := ledger.NewPolicy(vkey, []string{w.vkey, lonely}, 1)
	if _, _, err := ledger.VerifyProof(p.Marshal(), tlog.RecordHash(entry), oneOfTwo); err != nil {
		t.Fatalf("1 of 2: %v", err)
	}
	needLonely, err := oneOfTwo.Require(lonely)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := ledger.VerifyProof(p.Marshal(), tlog.RecordHash(entry), needLonely); !errors.Is(err, ledger.ErrPolicy) || !strings.Contains(err.Error(), "required witness lonely.example") {
		t.Fatalf("required witness missing: err = %v", err)
	}
	needW, _ := ledger.NewPolicy(vkey, nil, 0)
	if needW, err = needW.Require(w.vkey); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ledger.VerifyProof(p.Marshal(), tlog.RecordHash(entry), needW); err != nil {
		t.Fatalf("required witness present: %v", err)
	}
	if _, err := oneOfTwo.Require("not a key"); err == nil {
		t.Fatal("Require accepted a bad key")
	}
}
