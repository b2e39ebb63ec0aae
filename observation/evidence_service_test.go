package observation_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/observation"
)

func sumOf(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }

// TestService_Evidence walks evidence on both stores: a team uploads a
// real camera photo by its SHA-256 (again: the same record), cites it in
// an observation; its own party downloads it as uploaded, the guarantor
// downloads it without its GPS position; bad uploads and citations
// change nothing; a PDF, whose metadata cannot be removed, stays with
// the uploading party.
func TestService_Evidence(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := open(t)
			w := newWorld(t, st, nil)
			photo := readTestdata(t, "nikon-d2h-gps.jpg")
			sum := sumOf(photo)
			size0, _ := st.JournalSize(ctx)

			e, err := w.svc.UploadEvidence(as(w.obs1), sum, photo)
			if err != nil {
				t.Fatal(err)
			}
			if e.SHA256 != sum || e.Kind != observation.EvidencePhoto || e.Shared == "" || e.Shared == sum || e.Size != int64(len(photo)) {
				t.Fatalf("evidence %+v", e)
			}
			again, err := w.svc.UploadEvidence(as(w.obs2), sum, photo)
			if err != nil || again.JournalIndex != e.JournalIndex {
				t.Fatalf("the same file again: %+v, %v; want the first record", again, err)
			}
			size1, _ := st.JournalSize(ctx)
			if size1 != size0+1 {
				t.Errorf("journal grew by %d for one file uploaded twice, want 1", size1-size0)
			}
			rs, err := w.svc.Journal.SubjectEntries(ctx, "evidence", sum)
			if err != nil || len(rs) != 1 || rs[0].Index != e.JournalIndex || !bytes.Contains(rs[0].Body, []byte(e.Shared)) {
				t.Errorf("journal entries of the file: %d, %v; want one at %d holding the shared copy's hash too", len(rs), err, e.JournalIndex)
			}

			for name, c := range map[string]struct {
				who  *truce.Caller
				sum  string
				data []byte
				code string
			}{
				"hash of another file": {w.obs1, sumOf([]byte("other")), photo, truce.EINVALID},
				"not a hash":           {w.obs1, "abc", photo, truce.EINVALID},
				"cut on the way":       {w.obs1, sum, photo[:len(photo)-100], truce.EINVALID},
				"a guarantor":          {w.gop, sum, photo, truce.EFORBIDDEN},
				"another mission":      {w.stranger, sum, photo, truce.ECONFLICT},
				"an executable":        {w.obs1, sumOf([]byte("\x7fELF\x02\x01\x01")), []byte("\x7fELF\x02\x01\x01"), truce.EINVALID},
			} {
				if _, err := w.svc.UploadEvidence(as(c.who), c.sum, c.data); truce.ErrorCode(err) != c.code {
					t.Errorf("%s: %v, want %s", name, err, c.code)
				}
			}
			if size, _ := st.JournalSize(ctx); size != size1 {
				t.Errorf("refused uploads journalled %d entries", size-size1)
			}

			in := heardFrom(orb.Point{36.10, 32.58}, 0)
			in.Evidence = []string{sum}
			o, err := w.svc.AddObservation(as(w.obs1), in)
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := w.svc.FindObservation(as(w.gop), o.ID); len(got.Evidence) != 1 || got.Evidence[0] != sum {
				t.Errorf("the guarantor reads evidence %v, want [%s]", got.Evidence, sum)
			}
			for name, ev := range map[string][]string{
				"unknown":         {sumOf([]byte("never uploaded"))},
				"twice":           {sum, sum},
				"not a hash":      {"photo.jpg"},
				"another party's": nil,
			} {
				in := heardFrom(orb.Point{36.10, 32.58}, 0)
				who := w.obs1
				in.Evidence = ev
				if ev == nil {
					in.Evidence, who = []string{sum}, w.stranger
				}
				if _, err := w.svc.AddObservation(as(who), in); truce.ErrorCode(err) != truce.EINVALID {
					t.Errorf("citing %s evidence: %v, want invalid", name, err)
				}
			}

			_, own, err := w.svc.EvidenceFile(as(w.obs2), sum, false)
			if err != nil || !bytes.Equal(own, photo) {
				t.Errorf("own party's download: %d bytes, %v; want the photo as uploaded", len(own), err)
			}
			ge, theirs, err := w.svc.EvidenceFile(as(w.gop), sum, false)
			if err != nil || sumOf(theirs) != e.Shared || bytes.Contains(theirs, []byte("Exif")) || ge.UploadedBy != "" {
				t.Errorf("guarantor's download: %d bytes (Exif %v), uploader %q, %v; want the copy without metadata", len(theirs), bytes.Contains(theirs, []byte("Exif")), ge.UploadedBy, err)
			}

			pdf := []byte("%PDF-1.4\n1 0 obj << /Author (team-a) /GPS (32.6 36.1) >> endobj\n%%EOF\n")
			if _, err := w.svc.UploadEvidence(as(w.obs1), sumOf(pdf), pdf); err != nil {
				t.Fatal(err)
			}
			if _, _, err := w.svc.EvidenceFile(as(w.gop), sumOf(pdf), false); truce.ErrorCode(err) != truce.EFORBIDDEN {
				t.Errorf("guarantor downloading a PDF: %v, want forbidden", err)
			}
			if _, b, err := w.svc.EvidenceFile(as(w.obs1), sumOf(pdf), false); err != nil || !bytes.Equal(b, pdf) {
				t.Errorf("own party downloading its PDF: %v", err)
			}

		})
	}
}
