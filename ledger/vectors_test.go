package ledger_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/truce-project/truce/ledger"
	"golang.org/x/mod/sumdb/tlog"
)

// vector is the union of the four vector shapes in testdata/rfc6962-vectors.
// Sizes stay json.Number because some negative cases do not fit an int64.
type vector struct {
	LeafIdx  json.Number `json:"leafIdx"`
	TreeSize json.Number `json:"treeSize"`
	Start    json.Number `json:"start"`
	End      json.Number `json:"end"`
	Size     json.Number `json:"size"`
	Size1    json.Number `json:"size1"`
	Size2    json.Number `json:"size2"`
	Root     string      `json:"root"`
	Root1    string      `json:"root1"`
	Root2    string      `json:"root2"`
	LeafHash string      `json:"leafHash"`
	Proof    []string    `json:"proof"`
	Desc     string      `json:"desc"`
	WantErr  bool        `json:"wantErr"`
}

// rootOf decodes a vector root. Several vectors use short placeholders
// ("don't care", or "") for roots whose value must not matter. A root is only
// ever compared, never hashed, so a placeholder maps to a distinct 32-byte
// value derived from its bytes (equal placeholders stay equal, different ones
// differ) and the verifier must accept or reject on its own merits.
func rootOf(t *testing.T, s string) tlog.Hash {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("bad base64 %q: %v", s, err)
	}
	if len(b) == tlog.HashSize {
		return tlog.Hash(b)
	}
	return tlog.Hash(sha256.Sum256(append([]byte("placeholder:"), b...)))
}

// hashesOf decodes leaf and proof hashes, which are hashed into the result,
// with the strict decoder the library applies to proofs it reads; a hash of
// the wrong length is a rejection.
func hashesOf(ss ...string) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(ss))
	for i, s := range ss {
		h, err := ledger.DecodeHash(s)
		if err != nil {
			return nil, err
		}
		out[i] = h
	}
	return out, nil
}

// num parses a size; ok is false when it does not fit tlog's int64 sizes, in
// which case the value handed to the verifier is the wrapped (negative) one,
// which the verifier must reject too.
func num(t *testing.T, n json.Number) (v int64, ok bool) {
	t.Helper()
	if n == "" {
		return 0, true
	}
	if v, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return v, true
	}
	u, err := strconv.ParseUint(string(n), 10, 64)
	if err != nil {
		t.Fatalf("bad number %q", n)
	}
	return int64(u), false
}

func TestRFC6962Vectors(t *testing.T) {
	root := filepath.Join("testdata", "rfc6962-vectors")
	counts := map[string]int{}
	total := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		kind := strings.Split(filepath.ToSlash(rel), "/")[0]
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var v vector
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		total++
		counts[kind]++
		t.Run(rel, func(t *testing.T) {
			fits := true
			n := func(x json.Number) int64 {
				v, ok := num(t, x)
				fits = fits && ok
				return v
			}
			proof, err := hashesOf(v.Proof...)
			var leaf []tlog.Hash
			if err == nil && (kind == "inclusion" || kind == "subtreeinclusion") {
				leaf, err = hashesOf(v.LeafHash)
			}
			if err == nil {
				switch kind {
				case "inclusion":
					err = ledger.VerifyInclusion(n(v.LeafIdx), n(v.TreeSize), leaf[0], proof, rootOf(t, v.Root))
				case "subtreeinclusion":
					err = ledger.VerifySubtreeInclusion(n(v.LeafIdx), n(v.Start), n(v.End), leaf[0], proof, rootOf(t, v.Root))
				case "consistency":
					err = ledger.VerifyConsistency(n(v.Size1), n(v.Size2), proof, rootOf(t, v.Root1), rootOf(t, v.Root2))
				case "subtreeconsistency":
					err = ledger.VerifySubtreeConsistency(n(v.Start), n(v.End), n(v.Size), proof, rootOf(t, v.Root1), rootOf(t, v.Root2))
				default:
					t.Fatalf("unknown vector kind %q", kind)
				}
			}
			if !fits && !v.WantErr {
				t.Fatalf("%s: a size beyond int64 in a happy-path vector", v.Desc)
			}
			if v.WantErr && err == nil {
				t.Errorf("%s: accepted, want rejection", v.Desc)
			}
			if !v.WantErr && err != nil {
				t.Errorf("%s: rejected: %v", v.Desc, err)
			}
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if total != 518 {
		t.Errorf("ran %d vectors, want all 518 (%v)", total, counts)
	}
}
