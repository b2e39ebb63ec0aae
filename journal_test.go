package truce_test

import (
	"encoding/json"
	"math/rand"
	"testing"
	"time"

	"github.com/gowebpki/jcs"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/ledger"
)

// TestEntryLeaf_JCS checks the hand-written canonical form of an entry
// against a general RFC 8785 implementation on random entries.
func TestEntryLeaf_JCS(t *testing.T) {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewSource(seed))
	alphabet := []rune{'a', 'Z', '0', '"', '\\', '/', '\b', '\f', '\n', '\r', '\t', 0, 0x1f, 0x7f, 'é', 'ش', '€', 0x2028, 0x2029, '😀', 0xFFFD}
	str := func() string {
		n := rng.Intn(12)
		b := []byte{}
		for i := 0; i < n; i++ {
			if rng.Intn(15) == 0 {
				b = append(b, 0xff) // invalid UTF-8
				continue
			}
			b = append(b, string(alphabet[rng.Intn(len(alphabet))])...)
		}
		return string(b)
	}
	for i := 0; i < 5000; i++ {
		e := truce.Entry{Kind: str(), Subject: str(), Party: str(), User: str(), BodyHash: str(),
			Time: time.Unix(rng.Int63n(4e9), rng.Int63n(1e9))}
		if rng.Intn(2) == 0 {
			p := rng.Int63n(1 << 50)
			e.Prev = &p
		}
		got, _ := e.Leaf()
		raw, _ := json.Marshal(struct {
			Kind     string `json:"kind"`
			Subject  string `json:"subject"`
			Party    string `json:"party"`
			User     string `json:"user"`
			Time     string `json:"time"`
			BodyHash string `json:"body_hash"`
			Prev     *int64 `json:"prev,omitempty"`
		}{e.Kind, e.Subject, e.Party, e.User, e.Time.UTC().Format(time.RFC3339Nano), e.BodyHash, e.Prev})
		want, err := jcs.Transform(raw)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Fatalf("entry %+v:\n got %s\nwant %s", e, got, want)
		}
	}
}

// TestMaxEntrySize: the journal and the log agree on the largest entry.
func TestMaxEntrySize(t *testing.T) {
	if truce.MaxEntrySize != ledger.MaxEntrySize {
		t.Fatalf("journal allows %d-byte entries, the log %d", truce.MaxEntrySize, ledger.MaxEntrySize)
	}
}
