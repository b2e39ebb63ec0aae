package ledger

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/tlog"
)

// ProofHeader is the first line of a C2SP tlog-proof@v1 file.
const ProofHeader = "c2sp.org/tlog-proof@v1"

// Proof is a C2SP tlog-proof@v1: an inclusion proof for one entry in the tree
// of a (cosigned) checkpoint, verifiable offline.
type Proof struct {
	Extra      []byte      // optional, unauthenticated
	Index      int64       // the entry's index
	Hashes     []tlog.Hash // inclusion proof, leaf's sibling first
	Checkpoint []byte      // the signed checkpoint note, verbatim
}

// Marshal encodes p in the tlog-proof@v1 text format.
func (p Proof) Marshal() []byte {
	var b bytes.Buffer
	b.WriteString(ProofHeader + "\n")
	if len(p.Extra) > 0 {
		b.WriteString("extra " + base64.StdEncoding.EncodeToString(p.Extra) + "\n")
	}
	fmt.Fprintf(&b, "index %d\n", p.Index)
	for _, h := range p.Hashes {
		b.WriteString(EncodeHash(h) + "\n")
	}
	b.WriteString("\n")
	b.Write(p.Checkpoint)
	return b.Bytes()
}

// ParseProof parses a tlog-proof@v1 file. It checks the format only;
// VerifyProof checks what it proves.
func ParseProof(file []byte) (Proof, error) {
	var p Proof
	bad := func(msg string) (Proof, error) {
		return Proof{}, fmt.Errorf("%w: tlog-proof: %s", ErrProof, msg)
	}
	head, ckpt, ok := bytes.Cut(file, []byte("\n\n"))
	if !ok {
		return bad("no empty line before the checkpoint")
	}
	lines := strings.Split(string(head), "\n")
	if lines[0] != ProofHeader {
		return bad("first line is not " + ProofHeader)
	}
	lines = lines[1:]
	if len(lines) > 0 && strings.HasPrefix(lines[0], "extra ") {
		extra, err := base64.StdEncoding.Strict().DecodeString(strings.TrimPrefix(lines[0], "extra "))
		if err != nil {
			return bad("extra is not base64")
		}
		p.Extra = extra
		lines = lines[1:]
	}
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "index ") {
		return bad("missing index line")
	}
	idx, err := parseDecimal(strings.TrimPrefix(lines[0], "index "))
	if err != nil {
		return bad(err.Error())
	}
	p.Index = idx
	if len(lines)-1 > 63 {
		return bad("more than 63 proof hashes")
	}
	for _, l := range lines[1:] {
		h, err := DecodeHash(l)
		if err != nil {
			return bad(err.Error())
		}
		p.Hashes = append(p.Hashes, h)
	}
	p.Checkpoint = ckpt
	return p, nil
}

// NewProof builds the tlog-proof for the entry at index against the signed
// (and ideally cosigned) checkpoint note, which must be one this storage's
// tree reaches.
func NewProof(ctx context.Context, s Storage, index int64, signedCheckpoint []byte) (Proof, error) {
	text, _, err := splitNote(signedCheckpoint)
	if err != nil {
		return Proof{}, err
	}
	c, err := ParseCheckpoint(text)
	if err != nil {
		return Proof{}, err
	}
	hs, err := ProveInclusion(ctx, s, index, c.Size)
	if err != nil {
		return Proof{}, err
	}
	return Proof{Index: index, Hashes: hs, Checkpoint: signedCheckpoint}, nil
}

// VerifyProof checks a tlog-proof@v1 file offline: the checkpoint must
// satisfy the policy (log signature, k of n witnesses) and the proof must
// include leafHash at the file's index. It returns the index and checkpoint.
func VerifyProof(file []byte, leafHash tlog.Hash, policy Policy) (int64, Checkpoint, error) {
	p, err := ParseProof(file)
	if err != nil {
		return 0, Checkpoint{}, err
	}
	c, _, err := policy.Verify(p.Checkpoint)
	if err != nil {
		return 0, Checkpoint{}, err
	}
	if err := VerifyInclusion(p.Index, c.Size, leafHash, p.Hashes, c.Hash); err != nil {
		return 0, Checkpoint{}, err
	}
	return p.Index, c, nil
}

// RecordProofFormat names the RecordProof JSON format.
const RecordProofFormat = "truce.org/record-proof@v1"

// RecordProof is what Truce hands out to prove one record: the tlog-proof
// for its journal entry, the entry itself (its canonical JSON, exactly the
// leaf bytes), and, for readers allowed to see it, the record body and salt
// that the entry's "body_hash" commits to. JSON keeps it readable and lets
// the entry be carried byte-exactly as a string.
type RecordProof struct {
	Format    string `json:"format"`
	TlogProof string `json:"tlog_proof"`
	Entry     string `json:"entry"`
	Body      []byte `json:"body,omitempty"` // base64 in JSON
	Salt      []byte `json:"salt,omitempty"` // base64 in JSON
}

// NewRecordProof assembles a RecordProof; body and salt may be nil for a
// reader who may not see the body. The entry must be UTF-8 (canonical JSON
// is), so that it survives JSON transport byte for byte.
func NewRecordProof(p Proof, entry, body, salt []byte) (*RecordProof, error) {
	if !utf8.Valid(entry) {
		return nil, errors.New("ledger: entry is not UTF-8")
	}
	if (body == nil) != (salt == nil) {
		return nil, errors.New("ledger: body and salt go together")
	}
	return &RecordProof{Format: RecordProofFormat, TlogProof: string(p.Marshal()), Entry: string(entry), Body: body, Salt: salt}, nil
}

// RecordResult is what VerifyRecordProof proved.
type RecordResult struct {
	Index      int64
	Checkpoint Checkpoint
	Entry      []byte
	// BodyVerified is true when the proof carried a body and salt and
	// SHA-256(salt || body) equals the entry's body_hash.
	BodyVerified bool
}

// ErrBodyHash is returned when a record body does not match its entry.
var ErrBodyHash = errors.New("ledger: body does not match the entry's body_hash")

// VerifyRecordProof checks a RecordProof (JSON) offline: the entry is in the
// log at the proof's index under a checkpoint that satisfies the policy, and
// if a body and salt are present, the entry's "body_hash" (lowercase hex) is
// SHA-256(salt || body).
func VerifyRecordProof(data []byte, policy Policy) (RecordResult, error) {
	var rp RecordProof
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rp); err != nil {
		return RecordResult{}, fmt.Errorf("ledger: record proof: %v", err)
	}
	if rp.Format != RecordProofFormat {
		return RecordResult{}, fmt.Errorf("ledger: record proof format %q, want %q", rp.Format, RecordProofFormat)
	}
	entry := []byte(rp.Entry)
	idx, c, err := VerifyProof([]byte(rp.TlogProof), tlog.RecordHash(entry), policy)
	if err != nil {
		return RecordResult{}, err
	}
	res := RecordResult{Index: idx, Checkpoint: c, Entry: entry}
	if rp.Body == nil && rp.Salt == nil {
		return res, nil
	}
	if rp.Body == nil || rp.Salt == nil {
		return RecordResult{}, errors.New("ledger: record proof has a body without salt or a salt without body")
	}
	if err := CheckBody(entry, rp.Salt, rp.Body); err != nil {
		return RecordResult{}, err
	}
	res.BodyVerified = true
	return res, nil
}

// BodyHash returns SHA-256(salt || body) as lowercase hex, the entry's
// body_hash.
func BodyHash(salt, body []byte) string {
	h := sha256.New()
	h.Write(salt)
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// CheckBody checks that entry (JSON with a "body_hash" string field) commits
// to body under salt.
func CheckBody(entry, salt, body []byte) error {
	var e struct {
		BodyHash *string `json:"body_hash"`
	}
	if err := json.Unmarshal(entry, &e); err != nil {
		return fmt.Errorf("ledger: entry is not JSON: %v", err)
	}
	if e.BodyHash == nil {
		return errors.New("ledger: entry has no body_hash")
	}
	if subtle.ConstantTimeCompare([]byte(*e.BodyHash), []byte(BodyHash(salt, body))) != 1 {
		return ErrBodyHash
	}
	return nil
}
