package storetest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/observation"
)

// testEvidence checks the evidence files of observation.Store: a record
// and its two files written in one transaction and read back byte for
// byte (every byte value, so no text encoding is in the way), a file
// stored twice kept once, and unknown hashes not found.
func testEvidence(t *testing.T, s Store) {
	p := NewParty(t, s, "monitors")
	orig := make([]byte, 70_000)
	for i := range orig {
		orig[i] = byte(i * 7)
	}
	shared := orig[:1000]
	sum := func(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }
	e := &observation.Evidence{SHA256: sum(orig), Kind: observation.EvidencePhoto, MediaType: "image/jpeg", Size: int64(len(orig)),
		Shared: sum(shared), SharedSize: int64(len(shared)), PartyID: p.ID, UploadedBy: "u1", CreatedAt: time.Now().UTC().Truncate(time.Microsecond), Version: 1}
	st := s.Observation()
	write := func() error {
		return st.Update(ctx, func(tx observation.Tx) error {
			if _, err := tx.Append(ctx, change("evidence", e.SHA256, e)); err != nil {
				return err
			}
			if err := tx.PutEvidenceFile(ctx, e.SHA256, orig); err != nil {
				return err
			}
			if err := tx.PutEvidenceFile(ctx, e.Shared, shared); err != nil {
				return err
			}
			// The same file again (another upload stripped to it).
			if err := tx.PutEvidenceFile(ctx, e.Shared, shared); err != nil {
				return err
			}
			return tx.PutEvidence(ctx, e)
		})
	}
	if err := write(); err != nil {
		t.Fatal(err)
	}
	got, err := st.Evidence(ctx, e.SHA256)
	if err != nil || got.Shared != e.Shared || got.Size != e.Size || got.PartyID != p.ID {
		t.Fatalf("Evidence = %+v, %v", got, err)
	}
	for _, want := range [][]byte{orig, shared} {
		b, err := st.EvidenceFile(ctx, sum(want))
		if err != nil || !bytes.Equal(b, want) {
			t.Errorf("EvidenceFile: %d bytes, %v; want the %d stored", len(b), err, len(want))
		}
	}
	if err := write(); truce.ErrorCode(err) != truce.ECONFLICT {
		t.Errorf("the same record again: %v, want conflict", err)
	}
	if _, err := st.Evidence(ctx, sum([]byte("x"))); truce.ErrorCode(err) != truce.ENOTFOUND {
		t.Errorf("an unknown record: %v, want not found", err)
	}
	if _, err := st.EvidenceFile(ctx, sum([]byte("x"))); truce.ErrorCode(err) != truce.ENOTFOUND {
		t.Errorf("an unknown file: %v, want not found", err)
	}
}
