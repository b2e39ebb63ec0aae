package ledger_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/truce-project/truce/ledger"
	"golang.org/x/mod/sumdb/tlog"
)

// The fuzz targets of the C2SP text and binary formats the ledger parses:
// checkpoints (tlog-checkpoint), signed notes, tlog-proof@v1 files, record
// proofs, tile paths and entry bundles (tlog-tiles). Their seeds are the
// real Tessera log in testdata/tessera-log (transparency-dev/tessera
// testdata, Apache-2.0; see testdata/README.md).

const tesseraDir = "testdata/tessera-log"

// tessera is the real 15-entry log: its signed checkpoints, its entries and
// a MemStorage holding them, and its verifier key.
type tessera struct {
	vkey     string
	signed   [][]byte          // every checkpoint.N, signed notes
	bodies   map[string]bool   // their bodies (note text)
	entries  [][]byte          // the 15 entries
	bundles  map[string][]byte // tile path -> bundle
	storage  *ledger.MemStorage
	policy   ledger.Policy
	latest   []byte // the signed checkpoint of size 15
	entryIdx map[string]int64
}

func loadTessera(f *testing.F) *tessera {
	f.Helper()
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(tesseraDir, name))
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	tl := &tessera{vkey: strings.TrimSpace(string(read("verifier-key.txt"))), bodies: map[string]bool{},
		bundles: map[string][]byte{}, storage: ledger.NewMemStorage(), entryIdx: map[string]int64{}}
	for n := 0; n <= 15; n++ {
		s := read("checkpoint." + strconv.Itoa(n))
		tl.signed = append(tl.signed, s)
		text, _, ok := bytes.Cut(s, []byte("\n\n"))
		if !ok {
			f.Fatalf("checkpoint.%d is not a signed note", n)
		}
		tl.bodies[string(text)+"\n"] = true
	}
	tl.latest = tl.signed[15]
	for w := 1; w <= 15; w++ {
		p := ledger.TilePath(-1, 0, w)
		tl.bundles[p] = read(p)
	}
	entries, err := ledger.ParseBundle(tl.bundles[ledger.TilePath(-1, 0, 15)], 15)
	if err != nil {
		f.Fatal(err)
	}
	tl.entries = entries
	for i, e := range entries {
		tl.entryIdx[string(e)] = int64(i)
		if _, err := tl.storage.Append(e); err != nil {
			f.Fatal(err)
		}
	}
	if tl.policy, err = ledger.NewPolicy(tl.vkey, nil, 0); err != nil {
		f.Fatal(err)
	}
	// The storage's tree is Tessera's: the seeds below are real proofs.
	c, _, err := tl.policy.Verify(tl.latest)
	if err != nil {
		f.Fatal(err)
	}
	if root, err := ledger.TreeHash(context.Background(), tl.storage, 15); err != nil || root != c.Hash {
		f.Fatalf("the re-built tree's root %v differs from Tessera's %v (%v)", root, c.Hash, err)
	}
	return tl
}

func FuzzParseCheckpoint(f *testing.F) {
	tl := loadTessera(f)
	for body := range tl.bodies {
		f.Add([]byte(body))
	}
	f.Add([]byte("example.com/log\n15\nrKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383cs=\nextension line\n"))
	f.Add([]byte("example.com/log\n15\nrKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383cs\r=\n"))
	f.Add([]byte("example.com/log\n015\nrKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383cs=\n"))
	f.Fuzz(func(t *testing.T, text []byte) {
		c, err := ledger.ParseCheckpoint(text)
		if err != nil {
			if !errors.Is(err, ledger.ErrCheckpoint) {
				t.Fatalf("error %v does not wrap ErrCheckpoint", err)
			}
			return
		}
		// Strict parsing: one checkpoint has one text.
		if got := c.Body(); !bytes.Equal(got, text) {
			t.Fatalf("accepted %q, which re-encodes as %q", text, got)
		}
		if c.Origin == "" || c.Size < 0 {
			t.Fatalf("accepted %+v", c)
		}
	})
}

// FuzzOpenCheckpoint: no one can forge the log's signature, so whatever
// verifies under the real Tessera key must be one of the checkpoints that
// log signed, whatever else (cosignatures, unknown signatures) the note
// carries.
func FuzzOpenCheckpoint(f *testing.F) {
	tl := loadTessera(f)
	for _, s := range tl.signed {
		f.Add(s)
	}
	f.Add(append(append([]byte{}, tl.latest...), "— other.example/w AAAAAQ==\n"...))
	f.Fuzz(func(t *testing.T, signed []byte) {
		c, names, err := tl.policy.Verify(signed)
		if err != nil {
			if !reflect.DeepEqual(c, ledger.Checkpoint{}) || names != nil {
				t.Fatalf("error %v with %+v %v", err, c, names)
			}
			return
		}
		if !tl.bodies[string(c.Body())] || c.Origin != "example.com/log/testdata" {
			t.Fatalf("verified a checkpoint the log never signed: %q", c.Body())
		}
	})
}

// realProof is the tlog-proof of entry i against the signed checkpoint of
// size 15.
func (tl *tessera) realProof(f *testing.F, i int64) ledger.Proof {
	p, err := ledger.NewProof(context.Background(), tl.storage, i, tl.latest)
	if err != nil {
		f.Fatal(err)
	}
	return p
}

func FuzzParseProof(f *testing.F) {
	tl := loadTessera(f)
	for _, i := range []int64{0, 7, 14} {
		p := tl.realProof(f, i)
		f.Add(p.Marshal())
		p.Extra = []byte("context")
		f.Add(p.Marshal())
	}
	f.Add([]byte("c2sp.org/tlog-proof@v1\nextra \nindex 0\n\nx"))
	f.Fuzz(func(t *testing.T, file []byte) {
		p, err := ledger.ParseProof(file)
		if err != nil {
			if !errors.Is(err, ledger.ErrProof) {
				t.Fatalf("error %v does not wrap ErrProof", err)
			}
			if !reflect.DeepEqual(p, ledger.Proof{}) {
				t.Fatalf("error %v with %+v", err, p)
			}
			return
		}
		if p.Index < 0 || len(p.Hashes) > 63 {
			t.Fatalf("accepted %+v", p)
		}
		// What was read is what is written back, and reads the same again.
		again, err := ledger.ParseProof(p.Marshal())
		if err != nil {
			t.Fatalf("re-parse of %q: %v", p.Marshal(), err)
		}
		if again.Index != p.Index || !bytes.Equal(again.Extra, p.Extra) || !reflect.DeepEqual(again.Hashes, p.Hashes) || !bytes.Equal(again.Checkpoint, p.Checkpoint) {
			t.Fatalf("round trip\n got %+v\nwant %+v", again, p)
		}
	})
}

// FuzzVerifyRecordProof: a record proof (JSON) that verifies under the real
// log's key must prove one of that log's entries at its own index.
func FuzzVerifyRecordProof(f *testing.F) {
	tl := loadTessera(f)
	for _, i := range []int64{0, 5, 14} {
		rp, err := ledger.NewRecordProof(tl.realProof(f, i), tl.entries[i], nil, nil)
		if err != nil {
			f.Fatal(err)
		}
		b, err := json.Marshal(rp)
		if err != nil {
			f.Fatal(err)
		}
		if res, err := ledger.VerifyRecordProof(b, tl.policy); err != nil || res.Index != i {
			f.Fatalf("the real proof of entry %d: %+v %v", i, res, err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"format":"truce-record-proof/v1","tlog_proof":"","entry":"","body":"AA==","salt":"AA=="}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := ledger.VerifyRecordProof(data, tl.policy)
		if err != nil {
			if !reflect.DeepEqual(res, ledger.RecordResult{}) {
				t.Fatalf("error %v with %+v", err, res)
			}
			return
		}
		i, ok := tl.entryIdx[string(res.Entry)]
		if !ok || i != res.Index || !tl.bodies[string(res.Checkpoint.Body())] || res.Index >= res.Checkpoint.Size {
			t.Fatalf("proved entry %q at %d under %+v, which the log does not hold", res.Entry, res.Index, res.Checkpoint)
		}
		if res.BodyVerified {
			t.Fatal("a body verified against an entry without body_hash")
		}
	})
}

func FuzzParseTilePath(f *testing.F) {
	tl := loadTessera(f)
	for p := range tl.bundles {
		f.Add(p)
	}
	for _, p := range []string{"tile/0/000.p/3", "tile/1/000", "tile/0/x001/234/067.p/8", "tile/entries/x001/000", "tile/0/000.p/256", "tile/64/000"} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, path string) {
		level, n, width, err := ledger.ParseTilePath(path)
		if err != nil {
			if !errors.Is(err, ledger.ErrNotFound) {
				t.Fatalf("error %v does not wrap ErrNotFound", err)
			}
			return
		}
		if level < -1 || level > 63 || n < 0 || width < 1 || width > ledger.TileWidth {
			t.Fatalf("%q: level %d, n %d, width %d", path, level, n, width)
		}
		// Each tile has exactly one path.
		if got := ledger.TilePath(level, n, width); got != path {
			t.Fatalf("accepted %q, which TilePath writes %q", path, got)
		}
	})
}

func FuzzParseBundle(f *testing.F) {
	tl := loadTessera(f)
	for p, b := range tl.bundles {
		_, _, w, _ := ledger.ParseTilePath(p)
		f.Add(b, w)
	}
	f.Add([]byte{0, 1, 'a', 0, 0}, 2)
	f.Fuzz(func(t *testing.T, data []byte, want int) {
		if want < 0 || want > ledger.TileWidth {
			return // callers ask for 1..256
		}
		es, err := ledger.ParseBundle(data, want)
		if err != nil {
			if es != nil {
				t.Fatalf("error %v with %d entries", err, len(es))
			}
			return
		}
		if len(es) != want {
			t.Fatalf("%d entries, want %d", len(es), want)
		}
		again, err := ledger.EncodeBundle(es)
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("re-encoding: %v %q != %q", err, again, data)
		}
	})
}

func FuzzDecodeHash(f *testing.F) {
	tl := loadTessera(f)
	for i := range tl.entries {
		f.Add(ledger.EncodeHash(tlog.RecordHash(tl.entries[i])))
	}
	f.Add("rKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383cs")
	f.Add("rKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja_1nk427v383cs=")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ledger.DecodeHash(s)
		if err != nil {
			if h != (tlog.Hash{}) {
				t.Fatalf("error %v with %v", err, h)
			}
			return
		}
		if got := ledger.EncodeHash(h); got != s {
			t.Fatalf("accepted %q, which encodes as %q", s, got)
		}
	})
}
